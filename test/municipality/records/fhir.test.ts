// FHIR R4 export (issue 4 point 6, "FHIR export validates"): a person with a normal dose, a date-unknown dose,
// a combination vaccine counting toward two programs, a corrected and a deleted record and a clinic-batch dose,
// built through the real import and ledger functions; the Bundle is validated by two FHIR validator libraries
// and checked for what must never be in it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { addOrganisation } from '../../../src/kernel/tenancy/index.js';
import { importResidents } from '../../../src/municipality/residents/index.js';
import { ATC_BY_PRODUCT, FHIR_SYSTEMS, atenaSystem, correctRecord, createRecord, deleteRecord, fhirExport, importRecords, personTimeline, type FhirBundle, type Timeline } from '../../../src/municipality/records/index.js';
import { defaultCatalog } from '../../../src/municipality/schedule/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { dose, mn, person, writeCsv, writeRecordsCsv } from '../../harness/residents.js';
import { validateR4 } from './fhir-validate.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-fhir-'));
const f = (n: string) => join(dir, n);
const CLINIC = '3110112343';
const AS_OF = '2026-01-15';

type Json = Record<string, unknown>;
const resources = (b: FhirBundle, type: string): Json[] => b.entry.map((e) => e.resource as Json).filter((r) => r['resourceType'] === type);

/** Every `reference` anywhere in the bundle. */
function references(x: unknown, out: string[] = []): string[] {
  if (Array.isArray(x)) for (const v of x) references(v, out);
  else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x)) {
      if (k === 'reference' && typeof v === 'string') out.push(v);
      else references(v, out);
    }
  }
  return out;
}

describe('FHIR R4 export of a vaccination history', () => {
  let app: TestApp;
  let nurse: Principal;
  let atena: string;
  let dvAtena: string;
  let ids: { combo: string; unknownDate: string; corrected: string; deleted: string };
  let bundle: FhirBundle;
  let timeline: Timeline;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await addOrganisation(app.db.system, app.tenantKeys, { code: CLINIC, name: 'テスト小児科医院', kind: 'clinic' });
    nurse = (await staff(app, TOTTORI, { login: 'fhir-nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(f('r.csv'), 'full', [
        person(1, { 氏名: '鳥取　花子', 氏名カナ: 'トットリ　ハナコ', 生年月日: '20250910', 性別: '2' }),
        person(2, { 氏名: '髙橋　一郎', 氏名カナ: 'タカハシ　イチロウ', 生年月日: '20250801', 性別: '1', 支援措置: '1' }),
      ]),
    });
    const atenaOf = async (code: string) => (await app.db.system.selectFrom('municipality.persons').select('atena_no').where('juminhyo_code', '=', code).executeTakeFirstOrThrow()).atena_no;
    atena = await atenaOf('10000000001');
    dvAtena = await atenaOf('10000000002');

    const create = (raw: Record<string, unknown>, source: 'staff' | 'counter' = 'staff') => runAs(app.db, nurse, (w) => createRecord(w, atena, raw, { source }));
    // 5種混合: one record, counted toward Hib and 第1期.
    const combo = await create({
      product: 'dpt-ipv-hib', vaccinatedOn: '2025-11-10', time: '10:30', lot: 'AB1234', gtin: '04987123456784', expiry: '2026-06-30', amount: '０．５ｍＬ', site: '左上腕',
      route: '皮下注射', institutionCode: CLINIC, doctorName: '小児　太郎', place: 'テスト小児科医院', vaccineName: 'ゴービック',
    });
    // BCG from the 母子健康手帳 without a date.
    const unknownDate = await create({ program: 'bcg', product: 'bcg', dose: 1, dateUnknown: true, route: '経皮' }, 'counter');
    // 小児肺炎球菌, corrected (lot number) after entry.
    const pcv = await create({ product: 'pcv20', vaccinatedOn: '2025-11-10', lot: 'PC0001', amount: '0.5', institutionCode: CLINIC });
    await runAs(app.db, nurse, (w) => correctRecord(w, pcv.id, { lot: 'PC0002' }, { reasonKind: '母子手帳を元に修正', reason: 'ロット番号の転記誤り' }));
    // B型肝炎, entered twice by mistake: the duplicate is deleted.
    const hepb = await create({ product: 'hepb', vaccinatedOn: '2025-11-10', lot: 'HB0001', institutionCode: CLINIC });
    await runAs(app.db, nurse, (w) => deleteRecord(w, hepb.id, { reasonKind: '職権修正', reason: '別人の記録を誤って登録' }));
    // The second 5種混合 arrives in the clinic's monthly batch.
    const r = await importRecords(app.db, operatorOf(TOTTORI), { file: writeRecordsCsv(f('batch.csv'), [dose('1', { 宛名番号: atena, 接種日: '20251210', ロット番号: 'AB1299' })]) });
    expect(r).toMatchObject({ created: 1, rejected: 0, queued: 0 });
    ids = { combo: combo.id, unknownDate: unknownDate.id, corrected: pcv.id, deleted: hepb.id };

    bundle = await runAs(app.db, nurse, (w) => fhirExport(w, app.vault, atena, AS_OF));
    timeline = await runAs(app.db, nurse, (w) => personTimeline(w, atena, AS_OF));
  });
  afterAll(async () => app.cleanup());

  it('validates against FHIR R4 with zero errors (JSON schema and StructureDefinitions)', () => {
    expect(bundle).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(validateR4(bundle)).toEqual({ schemaErrors: [], structureErrors: [] });
  });

  it('the validators do catch broken resources (so a pass means something)', () => {
    const broken = JSON.parse(JSON.stringify(bundle)) as { entry: { resource: Json }[] };
    const imm = broken.entry.find((e) => e.resource['resourceType'] === 'Immunization')!.resource;
    delete imm['status'];
    imm['occurrenceDateTime'] = '2025-13-45';
    const r = validateR4(broken);
    expect(r.structureErrors.join('\n')).toContain('Immunization.status');
    expect(r.schemaErrors.length).toBeGreaterThan(0);
  });

  it('the Patient carries the 宛名番号 under the municipality, JP Core names, and no My Number anywhere', () => {
    const json = JSON.stringify(bundle);
    for (const i of [1, 2]) expect(json).not.toContain(mn(i));
    expect(json).not.toContain('10000000001'); // 住民票コード
    const [patient] = resources(bundle, 'Patient');
    expect(patient).toMatchObject({
      identifier: [{ system: atenaSystem(TOTTORI), value: atena, assigner: { display: '鳥取市' } }],
      gender: 'female',
      birthDate: '2025-09-10',
      name: [
        { extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation', valueCode: 'IDE' }], text: '鳥取 花子', family: '鳥取', given: ['花子'] },
        { extension: [{ valueCode: 'SYL' }], text: 'トットリ ハナコ', family: 'トットリ', given: ['ハナコ'] },
      ],
      address: [{ text: '鳥取県鳥取市尚徳町116番地', postalCode: '680-8571', country: 'JP' }],
    });
    expect(resources(bundle, 'Patient')).toHaveLength(1);
  });

  it('one Immunization per active record; the deleted one is absent; the correction is the current version', () => {
    const imms = resources(bundle, 'Immunization');
    const active = timeline.records.filter((r) => r.status === 'active');
    expect(imms.map((i) => i['id']).sort()).toEqual(active.map((r) => r.id).sort());
    expect(active).toHaveLength(4);
    expect(JSON.stringify(bundle)).not.toContain(ids.deleted);
    expect(JSON.stringify(bundle)).not.toContain('HB0001');
    const pcv = imms.find((i) => i['id'] === ids.corrected)!;
    expect(pcv).toMatchObject({ meta: { versionId: '2' }, lotNumber: 'PC0002', note: [{ text: '接種量: 0.5' }] });
    expect(pcv['doseQuantity']).toBeUndefined();
    for (const i of imms) expect(i['status']).toBe('completed');
  });

  it('maps the vial, route, dose, clinic and doctor; a combination dose counts toward both programs', () => {
    const catalog = defaultCatalog();
    const name = (code: string) => catalog.programsByCode.get(code)!.at(-1)!.name;
    const imm = resources(bundle, 'Immunization').find((i) => i['id'] === ids.combo)!;
    const [org] = resources(bundle, 'Organization').filter((o) => JSON.stringify(o['identifier']).includes(CLINIC));
    expect(org).toMatchObject({ identifier: [{ system: 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no', value: CLINIC }], name: 'テスト小児科医院' });
    expect(imm).toMatchObject({
      vaccineCode: {
        coding: [
          { system: FHIR_SYSTEMS.vaccine, code: 'dpt-ipv-hib' },
          { system: 'http://www.whocc.no/atc', code: ATC_BY_PRODUCT['dpt-ipv-hib']![0] },
          { system: 'https://www.gs1.org/gtin', code: '04987123456784' },
        ],
        text: 'ゴービック',
      },
      occurrenceDateTime: '2025-11-10T10:30:00+09:00',
      lotNumber: 'AB1234',
      expirationDate: '2026-06-30',
      site: { text: '左上腕' },
      route: { coding: [{ code: 'SQ' }], text: '皮下注射' },
      doseQuantity: { value: 0.5, unit: 'mL', system: 'http://unitsofmeasure.org', code: 'mL' },
      performer: [{ actor: { reference: `urn:uuid:${org!['id']}`, display: 'テスト小児科医院' } }, { function: { coding: [{ code: 'AP' }] }, actor: { display: '小児 太郎' } }],
      location: { display: 'テスト小児科医院' },
      programEligibility: [{ coding: [{ code: 'routine-a', display: 'A類定期' }] }],
    });
    const applied = (i: Json) => (i['protocolApplied'] as { series: string; doseNumberPositiveInt?: number }[]).map((p) => [p.series, p.doseNumberPositiveInt]).sort();
    expect(applied(imm)).toEqual([[name('dpt-ipv-1'), 1], [name('hib'), 1]].sort());
    const batch = resources(bundle, 'Immunization').find((i) => i['lotNumber'] === 'AB1299')!;
    expect(batch).toMatchObject({ primarySource: true, occurrenceDateTime: '2025-12-10' });
    expect(applied(batch)).toEqual([[name('dpt-ipv-1'), 2], [name('hib'), 2]].sort());
  });

  it('a date-unknown record says so in occurrenceString and keeps its program and dose', () => {
    const imm = resources(bundle, 'Immunization').find((i) => i['id'] === ids.unknownDate)!;
    expect(imm).toMatchObject({ occurrenceString: '接種日不明', primarySource: false, reportOrigin: { coding: [{ code: 'record' }] }, route: { text: '経皮' }, protocolApplied: [{ doseNumberPositiveInt: 1 }] });
    expect(imm['occurrenceDateTime']).toBeUndefined();
    expect((imm['route'] as Json)['coding']).toBeUndefined();
  });

  it('every reference resolves inside the bundle and fullUrls are unique', () => {
    const urls = bundle.entry.map((e) => e.fullUrl);
    expect(new Set(urls).size).toBe(urls.length);
    const refs = references(bundle);
    expect(refs.length).toBeGreaterThan(5);
    for (const r of refs) expect(urls).toContain(r);
    const patientUrl = bundle.entry.find((e) => e.resource.resourceType === 'Patient')!.fullUrl;
    for (const r of [...resources(bundle, 'Immunization'), ...resources(bundle, 'ImmunizationRecommendation')]) expect((r['patient'] as Json)['reference']).toBe(patientUrl);
  });

  it('the recommendation lists exactly the programs the engine finds due, upcoming or missed, with its dates', () => {
    const expected = timeline.evaluation.results.filter((p) => ['due', 'upcoming', 'missed'].includes(p.status));
    expect(expected.some((p) => p.status === 'due')).toBe(true);
    const [rec] = resources(bundle, 'ImmunizationRecommendation') as [Json];
    expect(rec).toMatchObject({ date: AS_OF });
    const items = rec['recommendation'] as Json[];
    const code = (x: Json) => ((x['targetDisease'] as Json)['coding'] as Json[])[0]!['code'];
    expect(items.map(code)).toEqual(expected.map((p) => p.program));
    for (const [i, p] of expected.entries()) {
      const item = items[i]!;
      expect(((item['forecastStatus'] as Json)['coding'] as Json[])[0]).toMatchObject({ system: FHIR_SYSTEMS.forecastStatus, code: p.status });
      expect(item['series']).toBe(p.name);
      if (p.nextDose) {
        expect(item['doseNumberPositiveInt']).toBe(p.nextDose.dose);
        const crit = item['dateCriterion'] as { code: { coding: { code: string }[] }; value: string }[];
        expect(crit.find((c) => c.code.coding[0]!.code === '30981-5')!.value).toBe(p.nextDose.earliest);
        expect(crit.find((c) => c.code.coding[0]!.code === '59777-3')!.value).toBe(p.nextDose.latest);
      }
    }
    // Hepatitis B: the deleted record does not count, so dose 1 is still due.
    expect(items.find((x) => code(x) === 'hepb')).toMatchObject({ doseNumberPositiveInt: 1 });
  });

  it('is reproducible: identical input gives identical output', async () => {
    const again = await runAs(app.db, nurse, (w) => fhirExport(w, app.vault, atena, AS_OF));
    expect(JSON.stringify(again)).toBe(JSON.stringify(bundle));
    const later = await runAs(app.db, nurse, (w) => fhirExport(w, app.vault, atena, '2026-02-15'));
    expect(later.id).not.toBe(bundle.id);
  });

  it('logs an export entry for the resident', async () => {
    const rows = await app.db.system.selectFrom('kernel.audit_log').select(['action', 'subject_ref', 'actor_login']).where('action', '=', 'export').where('subject_ref', '=', `resident:${atena}`).execute();
    expect(rows.length).toBeGreaterThanOrEqual(1);
    expect(rows[0]).toMatchObject({ actor_login: 'fhir-nurse' });
  });

  it('never exports the address of a person under 支援措置, whoever exports', async () => {
    const seen = await runAs(app.db, nurse, (w) => fhirExport(w, app.vault, dvAtena, AS_OF));
    const both = (await staff(app, TOTTORI, { login: 'fhir-both', duties: ['addressee', 'vaccination'] })).principal;
    const seenByBoth = await runAs(app.db, both, (w) => fhirExport(w, app.vault, dvAtena, AS_OF));
    for (const b of [seen, seenByBoth]) {
      const [p] = resources(b, 'Patient');
      expect(p!['address']).toBeUndefined();
      expect(JSON.stringify(b)).not.toContain('尚徳町');
      expect(JSON.stringify(b)).not.toContain('支援措置の対象');
      expect(validateR4(b)).toEqual({ schemaErrors: [], structureErrors: [] });
    }
  });

  it('needs 個人情報のファイル出力 in 予防接種: a viewer and the operator are refused', async () => {
    const viewer = (await staff(app, TOTTORI, { login: 'fhir-viewer', role: 'viewer', duties: ['vaccination'] })).principal;
    await expect(runAs(app.db, viewer, (w) => fhirExport(w, app.vault, atena, AS_OF))).rejects.toMatchObject({ status: 403 });
    await expect(runAs(app.db, operatorOf(TOTTORI), (w) => fhirExport(w, app.vault, atena, AS_OF))).rejects.toMatchObject({ status: 403 });
    const denied = await app.db.system.selectFrom('kernel.audit_log').select('actor_login').where('action', '=', 'access_denied').where('target_id', '=', atena).execute();
    expect(denied.map((d) => d.actor_login)).toContain('fhir-viewer');
  });
});
