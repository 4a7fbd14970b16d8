// COVID-19 doses from entry to certificate (issue 9 point 2; decisions 0095–0097): doses of 2021–2023 are
// filed under the 特例臨時接種 and numbered 1回目, 2回目, 3回目…, doses from FY2024 under the B類 program
// numbered per fiscal year; the resident's records screen, the 接種記録の証明 PDF and the COVID-19
// certificate PDF print the same 回数 for each dose, name the product and its 製造販売業者, and the SMART
// Health Card carries the same doses in the same order with each product's CVX (and no dose number: the
// SHC profile forbids Immunization.protocolApplied).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { fixedClock } from '../../src/kernel/clock/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { correctRecord, createRecord, doseNumberOf, personTimeline } from '../../src/municipality/records/index.js';
import { defaultCatalog } from '../../src/municipality/schedule/index.js';
import { ShcKeyStore, verifyHealthCard } from '../../src/municipality/certificates/index.js';
import { issueCertificate, receiveApplication, renderCertificatePdf, type CertificationDeps } from '../../src/municipality/certification/index.js';
import { addTenant, GOOD_PASSWORD, staff, operatorOf, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, type TestWeb } from '../harness/web.js';
import { person, writeCsv } from '../harness/residents.js';
import { readText } from '../municipality/documents/read-pdf.js';

const PUBLIC = 'https://mamori.test';
const NOW = new Date('2026-11-21T01:00:00Z');
const SPECIAL = '新型コロナウイルス感染症（特例臨時接種）';
const B = '新型コロナウイルス感染症（高齢者等）';

// product, date, lot → program, dose, printed 回数, 販売名, 製造販売業者, CVX
const DOSES = [
  ['covid19-comirnaty', '2021-06-01', 'FA0001', 'covid19-special', 1, '1回目', 'コミナティ筋注', 'ファイザー株式会社', '208'],
  ['covid19-comirnaty', '2021-06-22', 'FA0002', 'covid19-special', 2, '2回目', 'コミナティ筋注', 'ファイザー株式会社', '208'],
  ['covid19-spikevax', '2022-01-20', 'MD0003', 'covid19-special', 3, '3回目', 'スパイクバックス筋注', 'モデルナ・ジャパン株式会社', '207'],
  ['covid19-nuvaxovid', '2022-12-01', 'NV0004', 'covid19-special', 4, '4回目', 'ヌバキソビッド筋注', '武田薬品工業株式会社', '211'],
  ['covid19-kostaive', '2024-10-15', 'KS0005', 'covid19-elderly', 1, '令和6年度 1回目', 'コスタイベ筋注用', 'Meiji Seika ファルマ株式会社', '213'],
  ['covid19-daichirona', '2025-10-20', 'DC0006', 'covid19-elderly', 1, '令和7年度 1回目', 'ダイチロナ筋注', '第一三共株式会社', '213'],
] as const;

describe('COVID-19 doses: filing, 回数 and product on the screen and the certificates', () => {
  let app: TestApp;
  let web: TestWeb;
  let deps: CertificationDeps;
  let clerk: Principal;
  let atena: string;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-covid-'));

  beforeAll(async () => {
    app = await testApp('server', { clock: fixedClock(NOW) });
    Object.assign(app, { config: { ...app.config, publicUrl: PUBLIC } });
    await addTenant(app, TOTTORI, '鳥取市');
    deps = { vault: app.vault, tenantKeys: app.tenantKeys, shcKeys: new ShcKeyStore(join(app.tmp, 'keys')), publicUrl: PUBLIC };
    clerk = (await staff(app, TOTTORI, { login: 'covid-clerk', role: 'clerk', duties: ['vaccination'] })).principal;
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'r.csv'), 'full', [person(3, { 氏名: '接種　一郎', 氏名カナ: 'セッシュ　イチロウ', 生年月日: '19500501', 性別: '1' })]) });
    atena = (await app.db.system.selectFrom('municipality.persons').select('atena_no').executeTakeFirstOrThrow()).atena_no;
    await runAs(app.db, clerk, async (w) => {
      // Entered as the clinic would: the product and the date only; the engine files program and dose.
      for (const [product, vaccinatedOn, lot] of DOSES) await createRecord(w, atena, { product, vaccinatedOn, lot }, { source: 'counter' });
    });
    web = await startWeb(app);
  });
  afterAll(async () => {
    await web.close();
    await app.cleanup();
  });

  it('files each dose under the program in force on its day, with its number there', async () => {
    const t = await runAs(app.db, clerk, (w) => personTimeline(w, atena, '2026-11-21'));
    expect(t.records.map((r) => [r.data.program, r.data.dose, r.data.category])).toEqual(DOSES.map((d) => [d[3], d[4], d[3] === 'covid19-special' ? '臨時' : 'B類定期']));
    expect(t.records.every((r) => r.warnings.every((x) => x.level !== 'problem'))).toBe(true);
    expect(t.records.map((r) => doseNumberOf(defaultCatalog(), r.data).text)).toEqual(DOSES.map((d) => d[5]));
  });

  it('the records screen prints program, 回数, product and 製造販売業者', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'covid-clerk', GOOD_PASSWORD);
    const html = (await c.get(`/residents/${atena}/vaccinations`)).text;
    for (const [, , , program, , printed, name, maker] of DOSES) {
      expect(html, printed).toContain(`${program === 'covid19-special' ? SPECIAL : B} ${printed}`);
      expect(html, name).toContain(`${name}（${maker}）`);
    }
  });

  const issue = async (kind: 'covid19-domestic' | 'history') => {
    const a = await runAs(app.db, clerk, (w) => receiveApplication(w, deps, atena, { kind, channel: 'counter', applicant: 'self', identityDocument: 'mynumber-card', reason: '記録の確認', receivedOn: '2026-11-20' }));
    return runAs(app.db, clerk, (w) => issueCertificate(w, deps, a.id, { issueDate: '2026-11-21' }));
  };

  // The text layer runs column by column (each column's cells top to bottom), so a column's cells read in
  // order give the doses' values in date order.
  const column = (values: readonly string[]) => values.join('');

  it('the COVID-19 certificate prints the same 回数 as the screen, the product and its 製造販売業者; the card carries the same doses', async () => {
    const r = await issue('covid19-domestic');
    writeFileSync(join(dir, 'covid.pdf'), r.pdf);
    const text = (await readText(r.pdf)).join('');
    expect(text).toContain(`接種回${column(DOSES.map((d) => d[5]))}`);
    expect(text).toContain(`ワクチン名${column(DOSES.map((d) => d[6]))}`);
    expect(text).toContain(`製造販売業者${column(DOSES.map((d) => d[7]))}`);
    expect(text).toContain(`ロット番号${column(DOSES.map((d) => d[2]))}`);
    const v = await verifyHealthCard(r.card!.jws, { resolver: deps.shcKeys.resolver(), now: NOW });
    expect(v.valid).toBe(true);
    if (!v.valid) return;
    expect(v.card.doses.map((d) => [d.date, d.vaccineCode, d.lotNumber])).toEqual(DOSES.map((d) => [d[1], d[8], d[2]]));
    const payload = inflateRawSync(Buffer.from(r.card!.jws.split('.')[1]!, 'base64url')).toString('utf8');
    expect(payload).not.toContain('protocolApplied');
    expect(payload).not.toContain('doseNumber');
  });

  it('the 接種記録の証明 prints the same program and 回数 as the screen and the COVID-19 certificate', async () => {
    const r = await issue('history');
    writeFileSync(join(dir, 'history.pdf'), r.pdf);
    const text = (await readText(r.pdf)).join('');
    expect(text).toContain(`予防接種の種類${column(DOSES.map((d) => (d[3] === 'covid19-special' ? SPECIAL : B)))}`);
    expect(text).toContain(`回数${column(DOSES.map((d) => d[5]))}`);
    expect(text).toContain(`ワクチン${column(DOSES.map((d) => d[6]))}`);
  });
});

describe('a corrected date files the dose again', () => {
  let app: TestApp;
  let clerk: Principal;
  let atena: string;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-covid-fix-'));
  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    clerk = (await staff(app, TOTTORI, { login: 'covid-fix', role: 'clerk', duties: ['vaccination'] })).principal;
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'r.csv'), 'full', [person(4, { 氏名: '訂正　二郎', 氏名カナ: 'テイセイ　ジロウ', 生年月日: '19480301', 性別: '1' })]) });
    atena = (await app.db.system.selectFrom('municipality.persons').select('atena_no').executeTakeFirstOrThrow()).atena_no;
  });
  afterAll(async () => app.cleanup());

  it('moving a dose from FY2024 to 2022 moves it to the 特例臨時接種 with its number there; the form\'s unchanged 回数 does not hold it back', async () => {
    await runAs(app.db, clerk, async (w) => {
      for (const date of ['2021-06-01', '2021-06-22']) await createRecord(w, atena, { product: 'covid19-comirnaty', vaccinatedOn: date }, { source: 'counter' });
      const r = await createRecord(w, atena, { product: 'covid19-comirnaty', vaccinatedOn: '2024-10-20' }, { source: 'counter' });
      expect(r.data).toMatchObject({ program: 'covid19-elderly', dose: 1, category: 'B類定期' });
      // As the correction form sends it: every field, the 回数 as it was.
      const fixed = await correctRecord(w, r.id, { vaccinatedOn: '2022-10-20', lot: null, institutionCode: null, dose: '1' }, { reasonKind: '母子手帳を元に修正', reason: '接種日の誤り' });
      expect(fixed.data).toMatchObject({ program: 'covid19-special', dose: 3, category: '臨時' });
      expect(doseNumberOf(defaultCatalog(), fixed.data).text).toBe('3回目');
      // A correction that does not touch date or product keeps the filing.
      const again = await correctRecord(w, r.id, { lot: 'LOT9' }, { reasonKind: 'その他', reason: 'ロット追記' });
      expect(again.data).toMatchObject({ program: 'covid19-special', dose: 3, lot: 'LOT9' });
    });
  });
});

describe('certificates issued before the shared dose number', () => {
  it('re-print with the columns they were issued with (no doseText in the stored content)', async () => {
    const dose = { id: 'r1', version: 1, seq: 1, date: '2021-06-01', program: 'covid19-elderly', programName: '新型コロナウイルス感染症（高齢者等）', dose: null, doseLabel: null, category: '特措法', productCode: 'covid19', productName: 'コミナティ筋注', manufacturer: 'ファイザー株式会社', lot: 'FF0001', institution: null, covid: { system: 'http://hl7.org/fhir/sid/cvx', code: '208', kind: 'ファイザー' } };
    const content = { v: 1, kind: 'covid19-domestic', certificateNo: '31201126300000010', issueDate: '2026-11-21', issuer: { code: '312011', name: '鳥取市', head: '鳥取市長' }, person: { name: '見本　太郎', family: '見本', given: '太郎', kana: 'ミホン　タロウ', birthDate: '1985-04-01', sex: 'male', address: null }, passport: null, programs: [], doses: [dose], excluded: [], reissueOf: null } as const;
    const old = (await readText(await renderCertificatePdf({ content: content as never }))).join('');
    expect(old).toContain('接種回1回目');
    expect(old).toContain('ワクチンの種類ファイザー');
    const now = (await readText(await renderCertificatePdf({ content: { ...content, doses: [{ ...dose, dose: 1, doseText: '1回目' }] } as never }))).join('');
    expect(now).toContain('製造販売業者ファイザー株式会社');
    expect(now).not.toContain('ワクチンの種類');
  });
});
