// Certificates from the ledger (issue 5 point 4; VAX-27, VAX-35, VAX-42, KRN-15): applications, issuing
// from records created through createRecord, the 証明書番号, the PDFs' text layer, the SMART Health Card
// (verifies; what 0051 says goes into it), the passport number sealed and revealed with a purpose, reissue,
// the register and its CSV, refusals by duty, no My Number anywhere, and the retention erasure.
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixedClock } from '../../../src/kernel/clock/index.js';
import { inflateRawSync } from 'node:zlib';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { luhnCheckDigit } from '../../../src/kernel/jp/index.js';
import { importResidents } from '../../../src/municipality/residents/index.js';
import { createRecord, deleteRecord } from '../../../src/municipality/records/index.js';
import { ShcKeyStore, verifyHealthCard } from '../../../src/municipality/certificates/index.js';
import {
  CERTIFICATE_CONTENT_CLASS,
  canonicalJson,
  certificateOutput,
  certificateRegister,
  certificateRegisterCsv,
  checkCertificateNumber,
  covidVaccineOf,
  findCertificate,
  formatCertificateNumber,
  getCertificate,
  issueCertificate,
  makeCertificateNumber,
  paginateRows,
  personCertificates,
  previewApplication,
  receiveApplication,
  revealPassportNumber,
  revokeCertificate,
  cancelApplication,
  type CertificationDeps,
} from '../../../src/municipality/certification/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { expectProblem } from '../../harness/expect.js';
import { runCli } from '../../harness/cli.js';
import { mn, person, writeCsv } from '../../harness/residents.js';
import { readText } from '../documents/read-pdf.js';
import { scanQrCodes } from './scan.js';

describe('証明書番号 (decision 0071)', () => {
  it('17 digits: organisation code, fiscal year, kind, serial, Luhn check digit; printed with hyphens', () => {
    const n = makeCertificateNumber({ orgCode: '312011', fiscalYear: 2026, kind: 'covid19-overseas', serial: 123 });
    expect(n).toMatch(/^3120112640000123\d$/);
    expect(n).toHaveLength(17);
    expect(n.slice(0, 16)).toBe('3120112640000123');
    expect(Number(n[16])).toBe(luhnCheckDigit(n.slice(0, 16)));
    expect(formatCertificateNumber(n)).toBe(`312011-26-4-0000123-${n[16]}`);
    expect(checkCertificateNumber(formatCertificateNumber(n))).toEqual({ ok: true, number: n, parts: { orgCode: '312011', fiscalYear: 2026, kind: 'covid19-overseas', serial: 123 } });
    // Full-width digits and other dashes, as typed at a counter.
    expect(checkCertificateNumber(formatCertificateNumber(n).replace(/\d/g, (d) => String.fromCharCode(0xff10 + Number(d))).replace(/-/g, '－')).ok).toBe(true);
  });

  it('refuses wrong lengths, a wrong check digit, a wrong organisation code or kind, serial 0 — with a reason', () => {
    const n = makeCertificateNumber({ orgCode: '131237', fiscalYear: 2025, kind: 'history', serial: 1 });
    for (const bad of [n.slice(1), `${n}1`, `${n.slice(0, 16)}${(Number(n[16]) + 1) % 10}`, 'abc', '']) {
      const r = checkCertificateNumber(bad);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/証明書番号/);
    }
    const body = (s: string) => s + String(luhnCheckDigit(s));
    expect(checkCertificateNumber(body('3120122620000001'))).toMatchObject({ ok: false, reason: expect.stringContaining('団体コード') });
    expect(checkCertificateNumber(body('3120112690000001'))).toMatchObject({ ok: false, reason: expect.stringContaining('種別') });
    expect(checkCertificateNumber(body('3120112620000000'))).toMatchObject({ ok: false, reason: expect.stringContaining('連番') });
  });

  it('every single-digit error and every adjacent transposition of different digits (except 0↔9) is caught', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9_999_999 }), fc.integer({ min: 2000, max: 2099 }), fc.integer({ min: 0, max: 16 }), fc.integer({ min: 1, max: 9 }), (serial, fy, pos, delta) => {
        const n = makeCertificateNumber({ orgCode: '312011', fiscalYear: fy, kind: 'completion', serial });
        const changed = n.slice(0, pos) + String((Number(n[pos]) + delta) % 10) + n.slice(pos + 1);
        expect(checkCertificateNumber(changed).ok).toBe(false);
        if (pos < 16 && n[pos] !== n[pos + 1] && !['09', '90'].includes(n[pos]! + n[pos + 1]!)) {
          const swapped = n.slice(0, pos) + n[pos + 1] + n[pos] + n.slice(pos + 2);
          expect(checkCertificateNumber(swapped).ok).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('pagination keeps at least one row on the last page (which also holds the notes and the issuer)', () => {
    const rows = (n: number, h = 1): number[] => Array.from({ length: n }, () => h);
    expect(paginateRows(rows(3), (_p, last) => (last ? 10 : 20))).toEqual([[0, 1, 2]]);
    expect(paginateRows(rows(15), (p, last) => (last ? 10 : p === 0 ? 14 : 20)).map((x) => x.length)).toEqual([14, 1]);
    expect(paginateRows(rows(40), (p, last) => (last ? 10 : p === 0 ? 14 : 20)).map((x) => x.length)).toEqual([14, 20, 6]);
    expect(paginateRows(rows(34), (p, last) => (last ? 10 : p === 0 ? 14 : 20)).map((x) => x.length)).toEqual([14, 19, 1]);
  });

  it('pagination by row height: tall rows take more room; a row taller than the last page room leaves the notes a page', () => {
    expect(paginateRows([8, 8, 30, 8, 8], (_p, last) => (last ? 20 : 50)).map((x) => x.length)).toEqual([3, 2]);
    expect(paginateRows([8, 40], (_p, last) => (last ? 20 : 50)).map((x) => x.length)).toEqual([1, 1, 0]);
  });
});

describe('COVID-19 vaccine codes from record items (decision 0073)', () => {
  const base = { program: null, dose: null, doseLabel: null, category: '特措法', vaccinatedOn: '2021-06-01', dateUnknown: false, product: 'covid19', gtin: null } as const;
  it('exact product name → its CVX; a maker → the maker’s CVX; a GTIN; else CVX 213', async () => {
    await expect(covidVaccineOf({ ...base, vaccineName: 'コミナティ筋注5～11歳用', manufacturer: null } as never)).resolves.toMatchObject({ code: '218', kind: 'ファイザー' });
    await expect(covidVaccineOf({ ...base, vaccineName: 'スパイクバックス筋注', manufacturer: null } as never)).resolves.toMatchObject({ code: '207', kind: 'モデルナ', productName: 'スパイクバックス筋注' });
    await expect(covidVaccineOf({ ...base, vaccineName: null, manufacturer: 'ファイザー株式会社' } as never)).resolves.toMatchObject({ system: 'http://hl7.org/fhir/sid/cvx', code: '208' });
    await expect(covidVaccineOf({ ...base, vaccineName: 'ダイチロナ筋注', manufacturer: '第一三共', gtin: '04987123456784' } as never)).resolves.toMatchObject({ system: 'https://www.gs1.org/gtin', code: '04987123456784', productName: 'ダイチロナ筋注' });
    await expect(covidVaccineOf({ ...base, vaccineName: null, manufacturer: null } as never)).resolves.toMatchObject({ code: '213' });
  });
});

const PUBLIC = 'https://mamori.test';
const NOW = new Date('2026-11-21T01:00:00Z');

describe('certificates from the ledger', () => {
  let app: TestApp;
  let deps: CertificationDeps;
  let clerk: Principal;
  let viewer: Principal;
  let addressee: Principal;
  let child: string;
  let adult: string;
  let deletedRecord: string;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-cert-'));

  beforeAll(async () => {
    app = await testApp('server', { clock: fixedClock(NOW) });
    await addTenant(app, TOTTORI, '鳥取市');
    deps = { vault: app.vault, tenantKeys: app.tenantKeys, shcKeys: new ShcKeyStore(join(app.tmp, 'keys')), publicUrl: PUBLIC };
    clerk = (await staff(app, TOTTORI, { login: 'cert-clerk', role: 'clerk', duties: ['vaccination'] })).principal;
    viewer = (await staff(app, TOTTORI, { login: 'cert-viewer', role: 'viewer', duties: ['vaccination'] })).principal;
    addressee = (await staff(app, TOTTORI, { login: 'cert-atena', role: 'clerk', duties: ['addressee'] })).principal;
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'r.csv'), 'full', [
        person(1, { 氏名: '鳥取　花子', 氏名カナ: 'トットリ　ハナコ', 生年月日: '20250910', 性別: '2' }),
        person(2, { 氏名: '見本　太郎', 氏名カナ: 'ミホン　タロウ', 生年月日: '19850401', 性別: '1', 続柄: '世帯主' }),
      ]),
    });
    const atenaOf = async (code: string) => (await app.db.system.selectFrom('municipality.persons').select('atena_no').where('juminhyo_code', '=', code).executeTakeFirstOrThrow()).atena_no;
    child = await atenaOf('10000000001');
    adult = await atenaOf('10000000002');
    await runAs(app.db, clerk, async (w) => {
      const save = { source: 'counter' as const, acceptProblems: true };
      await createRecord(w, child, { product: 'dpt-ipv-hib', vaccinatedOn: '2025-11-10', lot: 'DPT001', institutionCode: '0110113719' }, save);
      await createRecord(w, child, { product: 'dpt-ipv-hib', vaccinatedOn: '2025-12-10', lot: 'DPT002' }, save);
      await createRecord(w, child, { product: 'bcg', vaccinatedOn: '2026-03-10', lot: 'BCG001' }, save);
      await createRecord(w, child, { product: 'hepb', dateUnknown: true }, save);
      deletedRecord = (await createRecord(w, child, { product: 'pcv20', vaccinatedOn: '2025-11-10', lot: 'GONE999' }, save)).id;
      await deleteRecord(w, deletedRecord, { reasonKind: '職権修正', reason: '重複登録のため' });
      await createRecord(w, adult, { product: 'covid19', category: '特措法', vaccinatedOn: '2021-06-01', vaccineName: 'コミナティ筋注', manufacturer: 'ファイザー株式会社', lot: 'FF0001' }, save);
      await createRecord(w, adult, { product: 'covid19', category: '特措法', vaccinatedOn: '2021-06-22', vaccineName: 'コミナティ筋注', manufacturer: 'ファイザー株式会社', lot: 'FF0002' }, save);
      await createRecord(w, adult, { product: 'covid19', category: '特措法', vaccinatedOn: '2022-01-20', manufacturer: 'モデルナ・ジャパン', lot: 'MD0003' }, save);
      await createRecord(w, adult, { product: 'covid19', category: '特措法', dateUnknown: true }, save);
      const gone = await createRecord(w, adult, { product: 'covid19', category: '特措法', vaccinatedOn: '2022-07-01', lot: 'GONE888' }, save);
      await deleteRecord(w, gone.id, { reasonKind: '職権修正', reason: '誤登録' });
      await createRecord(w, adult, { product: 'influenza', vaccinatedOn: '2025-11-01', lot: 'FLU001' }, save);
    });
  });
  afterAll(async () => app.cleanup());

  const receive = (who: Principal, atena: string, raw: Record<string, unknown>) => runAs(app.db, who, (w) => receiveApplication(w, deps, atena, raw));
  const issue = (who: Principal, id: string, issueDate = '2026-11-21') => runAs(app.db, who, (w) => issueCertificate(w, deps, id, { issueDate }));
  const base = { channel: 'counter', applicant: 'self', identityDocument: 'mynumber-card', reason: '記録の確認', receivedOn: '2026-11-20' };
  const noMyNumber = (text: string) => {
    for (const i of [1, 2]) {
      expect(text).not.toContain(mn(i));
      expect(text.replace(/\s/g, '')).not.toContain(mn(i));
    }
  };

  it('接種記録の証明: issued from real records — text layer, 和暦, excluded and deleted records, register row, operation log', async () => {
    const a = await receive(clerk, child, { ...base, kind: 'history' });
    expect(a).toMatchObject({ status: 'received', kind: 'history', channel: 'counter', applicant: 'self', receivedOn: '2026-11-20' });
    const pv = await runAs(app.db, clerk, (w) => previewApplication(w, deps, a.id, '2026-11-21'));
    expect(pv.doses.map((d) => d.date)).toEqual(['2025-11-10', '2025-12-10', '2026-03-10']);
    expect(pv.excluded).toEqual([expect.objectContaining({ reason: 'date-unknown' })]);
    expect(pv.blockers).toEqual([]);

    const r = await issue(clerk, a.id);
    const c = r.certificate;
    expect(c).toMatchObject({ kind: 'history', issueDate: '2026-11-21', doseCount: 3, excludedCount: 1, status: 'issued', formats: ['pdf'], issuedBy: 'cert-clerk', shc: null });
    expect(checkCertificateNumber(c.certificateNo)).toMatchObject({ ok: true, parts: { orgCode: TOTTORI, fiscalYear: 2026, kind: 'history' } });
    expect(r.card).toBeNull();

    // The register holds the record ids and versions certified, and never the deleted record.
    const certified = await app.db.system.selectFrom('municipality.vaccination_records').select(['id', 'version']).where('atena_no', '=', child).where('status', '=', 'active').where('vaccinated_on', 'is not', null).execute();
    expect([...c.records].sort((x, y) => x.id.localeCompare(y.id))).toEqual(certified.map((x) => ({ id: x.id, version: x.version })).sort((x, y) => x.id.localeCompare(y.id)));
    expect(c.records.map((x) => x.id)).not.toContain(deletedRecord);
    const row = await app.db.system.selectFrom('municipality.certificates').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow();
    expect(row.issue_date).toBe('2026-11-21');
    expect(row.content_sha256.toString('hex')).toBe(createHash('sha256').update(canonicalJson(row.content)).digest('hex'));

    const [page] = await readText(r.pdf);
    for (const s of ['予防接種記録証明書', `証明書番号 ${formatCertificateNumber(c.certificateNo)}`, '鳥取 花子', 'トットリ ハナコ', '令和7年9月10日生', '令和7年11月10日', '令和7年12月10日', '令和8年3月10日', 'DPT001', 'BCG001', '鳥取市の予防接種台帳', '鳥取市長', '令和8年11月21日', '接種日不明']) {
      expect(page, s).toContain(s);
    }
    expect(page).not.toContain('GONE999');
    noMyNumber(page!);

    const log = await sql<{ action: string; target_id: string; subject_ref: string; detail: unknown }>`SELECT action, target_id, subject_ref, detail FROM kernel.audit_log WHERE actor_login = 'cert-clerk' AND action = 'certificate_issue'`.execute(app.db.system);
    expect(log.rows).toEqual([expect.objectContaining({ target_id: c.certificateNo, subject_ref: `resident:${child}` })]);
    expect(JSON.stringify(log.rows[0]!.detail)).not.toMatch(/鳥取|花子/);
  });

  it('予防接種済証: only the requested programs; needs one; a second issue of the same application is refused', async () => {
    await expectProblem(receive(clerk, child, { ...base, kind: 'completion' }), { status: 400, field: 'programs', code: 'REQUIRED' });
    await expectProblem(receive(clerk, child, { ...base, kind: 'completion', programs: ['no-such'] }), { status: 400, field: 'programs.0' });
    const a = await receive(clerk, child, { ...base, kind: 'completion', programs: ['bcg'] });
    const r = await issue(clerk, a.id);
    expect(r.certificate.doseCount).toBe(1);
    const [page] = await readText(r.pdf);
    expect(page).toContain('予防接種済証明書');
    expect(page).toContain('上記の者は、下記のとおり予防接種を受けたことを証明します。');
    expect(page).toContain('BCG001');
    expect(page).not.toContain('DPT001');
    await expectProblem(issue(clerk, a.id), { status: 409, code: 'APPLICATION_NOT_OPEN' });
  });

  it('COVID-19 国内用: the card verifies, carries what 0051 says, its kid and JWS hash are recorded, and the printed QR decodes to it', async () => {
    const a = await receive(clerk, adult, { ...base, kind: 'covid19-domestic', reason: '医療機関・施設への提出' });
    const r = await issue(clerk, a.id);
    const c = r.certificate;
    expect(c).toMatchObject({ kind: 'covid19-domestic', doseCount: 3, excludedCount: 1, formats: ['pdf', 'shc'] });
    expect(c.records.map((x) => x.id)).not.toContain(undefined);
    const jws = r.card!.jws;
    expect(c.shc).toEqual({ kid: await deps.shcKeys.currentKid(TOTTORI), jwsSha256: createHash('sha256').update(jws).digest('hex'), qrCount: 1 });
    const v = await verifyHealthCard(r.card!.qr.join('\n'), { resolver: deps.shcKeys.resolver(), now: NOW });
    expect(v.valid).toBe(true);
    if (!v.valid) return;
    expect(v.card).toMatchObject({ iss: `${PUBLIC}/issuers/${TOTTORI}`, kind: 'domestic', person: { name: '見本 太郎', birthDate: '1985-04-01' } });
    expect(v.card.doses.map((d) => [d.date, d.vaccineCode, d.lotNumber])).toEqual([['2021-06-01', '208', 'FF0001'], ['2021-06-22', '208', 'FF0002'], ['2022-01-20', '207', 'MD0003']]);
    const payload = inflateRawSync(Buffer.from(jws.split('.')[1]!, 'base64url')).toString('utf8');
    expect(payload).not.toContain('GONE888');
    expect(payload).not.toContain(adult);
    noMyNumber(payload);
    expect(JSON.parse(r.card!.file)).toEqual({ verifiableCredential: [jws] });

    const [page] = await readText(r.pdf);
    for (const s of ['新型コロナウイルス感染症 予防接種証明書', '（国内用）', '見本 太郎', '昭和60年4月1日', `証明書ID ${formatCertificateNumber(c.certificateNo)}`, 'ファイザー', 'モデルナ', 'FF0001', 'MD0003', `${PUBLIC}/verify`, '接種日不明の記録 1 件']) expect(page, s).toContain(s);
    // The QR printed on the page is the card (the rendered page read back with zbar).
    expect(scanQrCodes(r.pdf)).toEqual([r.card!.qr[0]]);
    // Output again: the same PDF bytes, the same card.
    const again = await runAs(app.db, clerk, (w) => certificateOutput(w, deps, c.id, 'pdf'));
    expect(Buffer.from(again.body as Uint8Array).equals(Buffer.from(r.pdf))).toBe(true);
    const file = await runAs(app.db, clerk, (w) => certificateOutput(w, deps, c.id, 'shc'));
    expect(file).toMatchObject({ mediaType: 'application/smart-health-card', fileName: `certificate-${c.certificateNo}.smart-health-card`, body: r.card!.file });
    const png = await runAs(app.db, clerk, (w) => certificateOutput(w, deps, c.id, 'qr'));
    expect(Buffer.from(png.body as Uint8Array).subarray(1, 4).toString('latin1')).toBe('PNG');
    // `mamori certificate verify FILE` with the same key directory prints the content.
    const cardFile = join(dir, 'card.smart-health-card');
    writeFileSync(cardFile, r.card!.file);
    const cli = await runCli(['certificate', 'verify', cardFile, '--data', app.tmp]);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('有効な SMART Health Card です');
    expect(cli.stdout).toContain('氏名: 見本 太郎');
    expect(cli.stdout).toMatch(/3回目 {2}2022-01-20 {2}スパイクバックス筋注.*ロット MD0003/);
  });

  it('COVID-19 海外用: passport items required; the 旅券番号 is sealed (bound to its row), printed, never in the card, revealed only with a purpose', async () => {
    await expectProblem(receive(clerk, adult, { ...base, kind: 'covid19-overseas' }), { status: 400, code: 'OVERSEAS_ITEMS_REQUIRED' });
    await expectProblem(receive(clerk, adult, { ...base, kind: 'covid19-overseas', passport: { romajiFamily: '見本', nationality: 'JP', passportNumber: 'X' } }), { status: 400, field: 'passport.romajiFamily' });
    await expectProblem(receive(clerk, adult, { ...base, kind: 'covid19-domestic', passport: { romajiFamily: 'MIHON', nationality: 'JPN', passportNumber: 'TZ1234567' } }), { status: 400, code: 'PASSPORT_NOT_ALLOWED' });
    const a = await receive(clerk, adult, { ...base, kind: 'covid19-overseas', reason: '留学・海外渡航', passport: { romajiFamily: 'mihon', romajiGiven: 'Taro', nationality: 'jpn', passportNumber: 'tz 1234567' } });
    expect(a.passport).toEqual({ romajiFamily: 'MIHON', romajiGiven: 'TARO', nationality: 'JPN', otherName: null, hasNumber: true });
    const stored = await app.db.system.selectFrom('municipality.certificate_applications').select(['passport_no']).where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(stored.passport_no!.toString('latin1')).not.toContain('TZ1234567');

    const r = await issue(clerk, a.id);
    const v = await verifyHealthCard(r.card!.jws, { resolver: deps.shcKeys.resolver(), now: NOW });
    expect(v.valid && v.card).toMatchObject({ kind: 'overseas', person: { name: '見本 太郎', romajiName: 'MIHON TARO' } });
    const payload = inflateRawSync(Buffer.from(r.card!.jws.split('.')[1]!, 'base64url')).toString('utf8');
    expect(payload).not.toContain('TZ1234567');
    expect(payload).not.toContain('JPN');
    const [page] = await readText(r.pdf);
    for (const s of ['Vaccination Certificate for COVID-19', 'MIHON TARO', 'TZ1234567', 'JPN', 'Passport No.', '1985-04-01', '2021-06-22']) expect(page, s).toContain(s);
    expect(scanQrCodes(r.pdf)).toEqual(r.card!.qr);
    // Lists, the register and its CSV never carry it.
    const csv = await runAs(app.db, clerk, (w) => certificateRegisterCsv(w, {}));
    const mine = await runAs(app.db, clerk, (w) => personCertificates(w, adult));
    for (const text of [csv, JSON.stringify(mine), JSON.stringify(await runAs(app.db, clerk, (w) => getCertificate(w, r.certificate.id)))]) expect(text).not.toContain('TZ1234567');

    await expectProblem(runAs(app.db, clerk, (w) => revealPassportNumber(w, deps, a.id, '')), { status: 400, field: 'purpose' });
    expect(await runAs(app.db, clerk, (w) => revealPassportNumber(w, deps, a.id, '旅券との照合'))).toBe('TZ1234567');
    const reveal = await sql<{ purpose: string; subject_ref: string }>`SELECT purpose, subject_ref FROM kernel.audit_log WHERE action = 'passport_reveal'`.execute(app.db.system);
    expect(reveal.rows).toEqual([{ purpose: '旅券との照合', subject_ref: `resident:${adult}` }]);
    const logs = await sql<{ t: string }>`SELECT string_agg(coalesce(purpose, '') || coalesce(detail::text, '') || coalesce(target_id, ''), ' ') AS t FROM kernel.audit_log`.execute(app.db.system);
    expect(logs.rows[0]!.t).not.toContain('TZ1234567');

    // AAD binding: the ciphertext copied onto another application does not open there.
    const other = await receive(clerk, adult, { ...base, kind: 'covid19-overseas', passport: { romajiFamily: 'MIHON', nationality: 'JPN', passportNumber: 'AB7654321' } });
    await app.db.system.updateTable('municipality.certificate_applications').set({ passport_no: stored.passport_no }).where('id', '=', other.id).execute();
    await expectProblem(runAs(app.db, clerk, (w) => revealPassportNumber(w, deps, other.id, '照合')), { status: 500, code: 'PASSPORT_CIPHERTEXT_INVALID' });
    await runAs(app.db, clerk, (w) => cancelApplication(w, other.id, { reason: 'テスト用の申請' }));
  });

  it('再交付 links to the previous certificate and reuses its passport items; numbers are unique and consecutive', async () => {
    const [prev] = (await runAs(app.db, clerk, (w) => certificateRegister(w, { kind: 'covid19-overseas' })));
    await expectProblem(receive(clerk, adult, { ...base, kind: 'covid19-domestic', reissueOf: prev!.certificateNo }), { status: 400, code: 'REISSUE_KIND_MISMATCH' });
    await expectProblem(receive(clerk, child, { ...base, kind: 'covid19-overseas', reissueOf: prev!.certificateNo }), { status: 400, code: 'CERTIFICATE_NOT_FOUND' });
    const a = await receive(clerk, adult, { ...base, kind: 'covid19-overseas', reason: '紛失・汚損による再交付', reissueOf: formatCertificateNumber(prev!.certificateNo) });
    expect(a.passport).toMatchObject({ romajiFamily: 'MIHON', hasNumber: true });
    const r = await issue(clerk, a.id);
    expect(r.certificate).toMatchObject({ previousId: prev!.id, previousNo: prev!.certificateNo });
    const [page] = await readText(r.pdf);
    expect(page).toContain('（再交付）');
    expect(page).toContain(`証明書ID ${formatCertificateNumber(prev!.certificateNo)} の再交付です`);
    expect(page).toContain('TZ1234567');

    const all = await runAs(app.db, clerk, (w) => certificateRegister(w, {}));
    const numbers = all.map((x) => x.certificateNo);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers.every((n) => checkCertificateNumber(n).ok)).toBe(true);
    expect(all.map((x) => Number(x.certificateNo.slice(9, 16))).sort((x, y) => x - y)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(await runAs(app.db, clerk, (w) => findCertificate(w, formatCertificateNumber(r.certificate.certificateNo)))).toMatchObject({ id: r.certificate.id });
  });

  it('the register filters by kind and date and exports CSV (no My Number, no passport item); both are logged', async () => {
    const covid = await runAs(app.db, clerk, (w) => certificateRegister(w, { kind: 'covid19-domestic' }));
    expect(covid.map((x) => x.kind)).toEqual(['covid19-domestic']);
    expect(covid[0]).toMatchObject({ channel: 'counter', applicant: 'self', name: '見本　太郎', doseCount: 3, excludedCount: 1, issuedBy: 'cert-clerk' });
    expect(await runAs(app.db, clerk, (w) => certificateRegister(w, { from: '2026-11-22' }))).toEqual([]);
    await expectProblem(runAs(app.db, clerk, (w) => certificateRegister(w, { from: '2026-12-01', to: '2026-11-01' })), { status: 400, field: 'to' });
    const csv = await runAs(app.db, clerk, (w) => certificateRegisterCsv(w, {}));
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    expect(lines[0]).toBe('証明書番号,交付日,種別,受付方法,受付日,申請者,代理人の資格,宛名番号,氏名,記載した接種の件数,記載しなかった記録の件数,再交付元の証明書番号,状態,取消理由,交付者,交付日時');
    expect(lines.length).toBe(1 + (await runAs(app.db, clerk, (w) => certificateRegister(w, {}))).length);
    noMyNumber(csv);
    // A text cell a spreadsheet would run as a formula is written as text (decision 0121).
    const newest = (await runAs(app.db, clerk, (w) => certificateRegister(w, {})))[0]!;
    await sql`UPDATE municipality.certificates SET revoked_reason = ${'＝HYPERLINK("http://example.invalid")'} WHERE certificate_no = ${newest.certificateNo}`.execute(app.db.system);
    const formulaSafe = await runAs(app.db, clerk, (w) => certificateRegisterCsv(w, {}));
    expect(formulaSafe).toContain(`,"'＝HYPERLINK(""http://example.invalid"")",`);
    await sql`UPDATE municipality.certificates SET revoked_reason = NULL WHERE certificate_no = ${newest.certificateNo}`.execute(app.db.system);
    const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE target_type = 'certificate-register' AND action IN ('search', 'export')`.execute(app.db.system);
    expect(n.rows[0]!.n).toBeGreaterThanOrEqual(2);
  });

  it('access by duty: a viewer may look but not issue; another duty may not even look (403, logged); an agent needs name, relation and 委任状', async () => {
    const a = await receive(clerk, child, { ...base, kind: 'history', applicant: 'agent', agentName: '鳥取　一郎', agentRelation: 'parent', identityDocument: 'driver-licence' });
    expect(a).toMatchObject({ applicant: 'agent', agentName: '鳥取　一郎', agentRelation: 'parent' });
    await expectProblem(receive(clerk, child, { ...base, kind: 'history', applicant: 'agent' }), { status: 400, field: 'agentName' });
    await expectProblem(receive(clerk, child, { ...base, kind: 'history', applicant: 'agent', agentName: '代理　人', agentRelation: 'proxy' }), { status: 400, code: 'POWER_OF_ATTORNEY_REQUIRED' });
    await expectProblem(receive(clerk, child, { ...base, kind: 'history', channel: 'kiosk' }), { status: 400, field: 'channel' });

    expect((await runAs(app.db, viewer, (w) => previewApplication(w, deps, a.id, '2026-11-21'))).doses).toHaveLength(3);
    await expectProblem(issue(viewer, a.id), { status: 403 });
    await expectProblem(receive(viewer, child, { ...base, kind: 'history' }), { status: 403 });
    await expectProblem(runAs(app.db, addressee, (w) => personCertificates(w, child)), { status: 403 });
    await expectProblem(runAs(app.db, addressee, (w) => certificateRegister(w, {})), { status: 403 });
    const denied = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE action = 'access_denied' AND actor_login IN ('cert-viewer', 'cert-atena')`.execute(app.db.system);
    expect(denied.rows[0]!.n).toBeGreaterThanOrEqual(4);
    const r = await issue(clerk, a.id);
    const [page] = await readText(r.pdf);
    expect(page).toContain('鳥取県鳥取市尚徳町116番地');
  });

  it('a record deleted after the preview is not certified; with nothing left to certify the issue is refused', async () => {
    const a = await receive(clerk, child, { ...base, kind: 'completion', programs: ['bcg'] });
    const bcg = (await runAs(app.db, clerk, (w) => previewApplication(w, deps, a.id, '2026-11-21'))).doses[0]!;
    await runAs(app.db, clerk, (w) => deleteRecord(w, bcg.id, { reasonKind: '職権修正', reason: '別人の記録だったため' }));
    expect((await runAs(app.db, clerk, (w) => previewApplication(w, deps, a.id, '2026-11-21'))).blockers).toContain('証明できる接種記録がありません。');
    await expectProblem(issue(clerk, a.id), { status: 409, code: 'NO_DOSES_TO_CERTIFY' });
    const left = await app.db.system.selectFrom('municipality.certificate_applications').select('status').where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(left.status).toBe('received');
  });

  it('COVID-19 certificates need the public URL for the issuer; nothing is written without it', async () => {
    const a = await receive(clerk, adult, { ...base, kind: 'covid19-domestic' });
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.certificates`.execute(app.db.system);
    await expectProblem(runAs(app.db, clerk, (w) => issueCertificate(w, { ...deps, publicUrl: undefined }, a.id, { issueDate: '2026-11-21' })), { status: 409, code: 'PUBLIC_URL_NOT_CONFIGURED' });
    await expectProblem(runAs(app.db, clerk, (w) => issueCertificate(w, { ...deps, publicUrl: 'http://insecure.example' }, a.id, { issueDate: '2026-11-21' })), { status: 409, code: 'PUBLIC_URL_NOT_CONFIGURED' });
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.certificates`.execute(app.db.system);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('a revoked certificate stays in the register and cannot be output again', async () => {
    const [one] = await runAs(app.db, clerk, (w) => certificateRegister(w, { kind: 'completion' }));
    await expectProblem(runAs(app.db, clerk, (w) => revokeCertificate(w, one!.id, { reason: '' })), { status: 400, field: 'reason' });
    await runAs(app.db, clerk, (w) => revokeCertificate(w, one!.id, { reason: '別人に交付したため' }));
    expect(await runAs(app.db, clerk, (w) => certificateRegister(w, { status: 'revoked' }))).toEqual([expect.objectContaining({ id: one!.id, revokedReason: '別人に交付したため' })]);
    await expectProblem(runAs(app.db, clerk, (w) => certificateOutput(w, deps, one!.id, 'pdf')), { status: 409, code: 'CERTIFICATE_REVOKED' });
  });

  it('retention: after the period the content, the card and the passport items are erased; the register row remains', async () => {
    const before = await runAs(app.db, clerk, (w) => certificateRegister(w, {}));
    const cutoff = new Date(app.config.clock.now().getTime() + 86_400_000); // a day on: today's certificates are due too
    const n = await runAs(app.db, operatorOf(TOTTORI), (w) => CERTIFICATE_CONTENT_CLASS.count(w, cutoff));
    expect(n).toBeGreaterThan(before.length);
    const out = await runAs(app.db, operatorOf(TOTTORI), (w) => CERTIFICATE_CONTENT_CLASS.purge(w, cutoff, 'logical'));
    expect(out.count).toBe(n);
    const after = await runAs(app.db, clerk, (w) => certificateRegister(w, {}));
    expect(after.map((x) => x.certificateNo)).toEqual(before.map((x) => x.certificateNo));
    expect(after.every((x) => x.name === null)).toBe(true);
    const rows = await app.db.system.selectFrom('municipality.certificate_applications').select(['passport_no', 'romaji_family', 'agent_name', 'erased_at']).execute();
    expect(rows.every((r) => r.passport_no === null && r.romaji_family === null && r.agent_name === null && r.erased_at !== null)).toBe(true);
    const covid = after.find((x) => x.kind === 'covid19-domestic')!;
    await expectProblem(runAs(app.db, clerk, (w) => certificateOutput(w, deps, covid.id, 'pdf')), { status: 409, code: 'CERTIFICATE_ERASED' });
    const hashes = await app.db.system.selectFrom('municipality.certificates').select(['content', 'shc_jws', 'content_sha256', 'shc_jws_sha256']).where('id', '=', covid.id).executeTakeFirstOrThrow();
    expect(hashes).toMatchObject({ content: null, shc_jws: null });
    expect(hashes.content_sha256).toHaveLength(32);
    expect(hashes.shc_jws_sha256).toHaveLength(32);
    expect(await runAs(app.db, operatorOf(TOTTORI), (w) => CERTIFICATE_CONTENT_CLASS.count(w, cutoff))).toBe(0);
  });
});

describe('certificates on embedded PGlite (same SQL)', () => {
  let app: TestApp;
  afterAll(async () => app?.cleanup());

  it('receive, issue, register, CSV and the retention erasure work on PGlite too', async () => {
    app = await testApp('embedded', { clock: fixedClock(NOW) });
    await addTenant(app, TOTTORI, '鳥取市');
    const deps: CertificationDeps = { vault: app.vault, tenantKeys: app.tenantKeys, shcKeys: new ShcKeyStore(join(app.tmp, 'keys')), publicUrl: PUBLIC };
    const clerk = (await staff(app, TOTTORI, { login: 'pg-clerk', role: 'clerk', duties: ['vaccination'] })).principal;
    const dir = mkdtempSync(join(tmpdir(), 'mamori-cert-pg-'));
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'r.csv'), 'full', [person(3, { 生年月日: '20250910' })]) });
    const atena = (await app.db.system.selectFrom('municipality.persons').select('atena_no').executeTakeFirstOrThrow()).atena_no;
    await runAs(app.db, clerk, (w) => createRecord(w, atena, { product: 'bcg', vaccinatedOn: '2026-03-10', lot: 'BCG9' }, { source: 'counter', acceptProblems: true }));
    const a = await runAs(app.db, clerk, (w) => receiveApplication(w, deps, atena, { kind: 'completion', programs: ['bcg'], identityDocument: 'mynumber-card', reason: '入学・就学' }));
    const r = await runAs(app.db, clerk, (w) => issueCertificate(w, deps, a.id, { issueDate: '2026-11-21' }));
    expect(checkCertificateNumber(r.certificate.certificateNo).ok).toBe(true);
    expect((await readText(r.pdf))[0]).toContain('BCG9');
    expect(await runAs(app.db, clerk, (w) => certificateRegister(w, { kind: 'completion' }))).toHaveLength(1);
    expect(await runAs(app.db, clerk, (w) => certificateRegisterCsv(w, {}))).toContain(formatCertificateNumber(r.certificate.certificateNo));
    const cutoff = new Date(app.config.clock.now().getTime() + 86_400_000); // a day on: today's certificates are due too
    expect((await runAs(app.db, operatorOf(TOTTORI), (w) => CERTIFICATE_CONTENT_CLASS.purge(w, cutoff, 'logical'))).count).toBe(2);
    expect(await runAs(app.db, operatorOf(TOTTORI), (w) => CERTIFICATE_CONTENT_CLASS.count(w, cutoff))).toBe(0);
  });
});
