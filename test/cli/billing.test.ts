// `mamori billing …` and `mamori payments …` as subprocesses (docs/formats/billing-cli.md; VAX-32, PMH-18):
// the command hosts the municipality node itself and reaches the real 国保連 node named in MAMORI_DIRECTORY
// (running in the test process on the same database).  Prices, payees and the 依頼人 seeded through the CLI,
// the close and the batch printing exactly their JSON keys, the 全銀 file written, and a payee's wrong data
// refused with the institution and field named and no file.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrganisations, type Organisations } from '../../src/app/index.js';
import { runAs } from '../../src/kernel/context/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { createRecord, saveScheduleConfig } from '../../src/municipality/records/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { runCli } from '../harness/cli.js';
import { ROOT } from '../harness/paths.js';
import { approveReimbursement, createReimbursementApplication, examineReimbursement, setSubsidyProgram } from '../../src/municipality/reimburse/index.js';
import { findMyNumbers } from '../harness/leaks.js';
import { person, writeCsv } from '../harness/residents.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-billing-cli-'));
const INST = '0110113719';
let app: TestApp;
let orgs: Organisations;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  app = await testApp('server');
  await addTenant(app, TOTTORI, '鳥取市');
  const nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
  await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'r.csv'), 'full', [1, 2, 3].map((i) => person(i))), kind: 'full' });
  const atenas = (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons ORDER BY atena_no`.execute(app.db.system)).rows.map((r) => r.atena_no);
  const doses = [
    { on: '2026-10-05', copay: '一般' },
    { on: '2026-10-12', copay: '生活保護' },
    { on: '2026-11-03', copay: '一般' }, // after the claim month → returned
  ];
  for (const [i, d] of doses.entries()) {
    await runAs(app.db, nurse, (w) => createRecord(w, atenas[i]!, { product: 'hib', program: 'hib', dose: 1, vaccinatedOn: d.on, institutionCode: INST, claimMonth: '2026-10', copayCategory: d.copay }, { source: 'clinic-batch', acceptProblems: true }));
  }
  orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0 });
  const dirFile = join(dir, 'directory.json');
  writeFileSync(dirFile, JSON.stringify(orgs.nodes.filter((n) => n.name !== 'municipality').map((n) => ({ name: n.name, title: n.title, url: n.url }))));
  env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness, MAMORI_DIRECTORY: dirFile };
}, 240_000);

afterAll(async () => {
  await orgs?.close();
  await app?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const json = <T>(s: string): T => JSON.parse(s) as T;
const T = ['--tenant', TOTTORI];

describe('mamori billing / payments', () => {
  let batch = '';

  it('seeds prices, payees and the 依頼人; a wrong bank code or kana name is refused with the field named', async () => {
    const p = await runCli(['billing', 'prices', 'set', ...T, '--program', 'hib', '--from', '2026-04-01', '--unit-price', '8000', '--copay', '1000', '--waive', '生活保護,市町村民税非課税', '--json'], { env });
    expect(p.code, p.stderr).toBe(0);
    expect(json(p.stdout)).toMatchObject({ program: 'hib', unitPrice: 8000, copay: 1000, copayWaivedFor: ['生活保護', '市町村民税非課税'] });
    const bad = await runCli(['billing', 'payee', 'set', ...T, '--institution', INST, '--name', '鳥取こどもクリニック', '--kana', 'トットリコドモクリニック', '--bank', '16', '--branch', '101', '--account-type', '1', '--account', '7654321', '--holder', '鳥取医院'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('金融機関コードは4桁の数字です');
    expect(bad.stderr).toContain('口座名義（カナ）に振込で使えない文字があります');
    const ok = await runCli(['billing', 'payee', 'set', ...T, '--institution', INST, '--name', '鳥取こどもクリニック', '--kana', 'トットリコドモクリニック', '--bank', '0168', '--branch', '101', '--account-type', '1', '--account', '7654321', '--holder', 'イ）トットリキッズ', '--json'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(json(ok.stdout)).toMatchObject({ holderKana: 'ｲ)ﾄﾂﾄﾘｷﾂｽﾞ' });
    const rq = await runCli(['billing', 'requester', 'set', ...T, '--code', '3120110001', '--kana', 'トットリシ', '--bank', '0168', '--branch', '001', '--account-type', '1', '--account', '1234567'], { env });
    expect(rq.code, rq.stderr).toBe(0);
  });

  it('billing close --json prints exactly {claims, accepted, returned, amount}; again: nothing new', async () => {
    const r = await runCli(['billing', 'close', ...T, '--month', '2026-10', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toEqual({ claims: 1, accepted: 2, returned: 1, amount: 7000 + 8000 });
    const again = await runCli(['billing', 'close', ...T, '--month', '2026-10', '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(json(again.stdout)).toEqual({ claims: 0, accepted: 0, returned: 0, amount: 0 });
    const badMonth = await runCli(['billing', 'close', ...T, '--month', '2026-13'], { env });
    expect(badMonth.code).toBe(2);
    expect(findMyNumbers(r.stdout + r.stderr)).toEqual([]);
  });

  it('payments batch --json prints exactly {batch, payments, amount}; a second batch has nothing to pay', async () => {
    const r = await runCli(['payments', 'batch', ...T, '--month', '2026-10', '--transfer-date', '2026-11-30', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const b = json<{ batch: string; payments: number; amount: number }>(r.stdout);
    expect(Object.keys(b).sort()).toEqual(['amount', 'batch', 'payments']);
    expect(b).toMatchObject({ payments: 1, amount: 15000 });
    batch = b.batch;
    const again = await runCli(['payments', 'batch', ...T, '--month', '2026-10'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('支払う請求がありません');
    const paid = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.vaccination_records WHERE paid AND paid_on = '2026-11-30'`.execute(app.db.system);
    expect(paid.rows[0]!.n).toBe(2);
  });

  it('payments file writes the 全銀 file; a payee with a stored kana outside the 全銀 set → error naming it and no file', async () => {
    const out = join(dir, 'furikomi.txt');
    const r = await runCli(['payments', 'file', ...T, '--batch', batch, '--out', out], { env });
    expect(r.code, r.stderr).toBe(0);
    const buf = readFileSync(out);
    expect(buf.length).toBe(4 * 122);
    const recs = iconv.decode(buf, 'Shift_JIS').split('\r\n').slice(0, -1);
    expect(recs.map((x) => x[0])).toEqual(['1', '2', '8', '9']);
    expect(recs[1]!.slice(50, 80).trimEnd()).toBe('ｲ)ﾄﾂﾄﾘｷﾂｽﾞ');
    expect(Number(recs[1]!.slice(80, 90))).toBe(15000);
    expect(recs[2]!.slice(1, 19)).toBe('000001000000015000');
    await sql`UPDATE municipality.payees SET holder_kana = 'ｲ)ﾄﾂﾄﾘ㈱' WHERE institution_code = ${INST}`.execute(app.db.system);
    const out2 = join(dir, 'furikomi2.txt');
    const bad = await runCli(['payments', 'file', ...T, '--batch', batch, '--out', out2], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(INST);
    expect(bad.stderr).toContain('口座名義（カナ）に振込で使えない文字があります');
    expect(existsSync(out2)).toBe(false);
    expect(existsSync(`${out2}.part`)).toBe(false);
  });

  it('payments batch --reimbursements pays approved reimbursements without a month; again: nothing; neither month nor --reimbursements: refused', async () => {
    const chief = (await staff(app, TOTTORI, { login: 'vax-chief', role: 'supervisor', duties: ['vaccination'] })).principal;
    const clerk = (await staff(app, TOTTORI, { login: 'clerk', duties: ['vaccination'] })).principal;
    await runAs(app.db, chief, (w) => saveScheduleConfig(w, JSON.parse(readFileSync(join(ROOT, 'docs/formats/examples/schedule-municipal-config.json'), 'utf8')), 'おたふくかぜ助成'));
    const atena = (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons ORDER BY atena_no LIMIT 1`.execute(app.db.system)).rows[0]!.atena_no;
    await runAs(app.db, chief, (w) => createRecord(w, atena, { product: 'mumps', vaccinatedOn: '2026-10-20', lot: 'MU1' }, { source: 'counter', acceptProblems: true }));
    await runAs(app.db, chief, (w) => setSubsidyProgram(w, { code: 'mumps', name: 'おたふくかぜ予防接種費用助成', program: 'mumps-subsidy', minAge: 1, maxAge: 5, amountKind: 'up-to-cost', amount: 4000, validFrom: '2026-04-01' }));
    const a = await runAs(app.db, chief, (w) => createReimbursementApplication(w, { atenaNo: atena, subsidyCode: 'mumps', receipt: { clinicName: '鳥取こどもクリニック', vaccinatedOn: '2026-10-20', amountPaid: 6500 }, account: { bankCode: '0168', branchCode: '101', accountType: '1', accountNo: '1111111', holderKana: 'ﾄﾂﾄﾘ ﾀﾛｳ' } }));
    await runAs(app.db, chief, (w) => examineReimbursement(w, a.id));
    await runAs(app.db, clerk, (w) => approveReimbursement(w, a.id));
    const none = await runCli(['payments', 'batch', ...T], { env });
    expect(none.code).toBe(2); // bad input
    expect(none.stderr).toContain('請求年月を指定するか、償還払いの支払を選んでください');
    const r = await runCli(['payments', 'batch', ...T, '--reimbursements', '--transfer-date', '2026-12-01', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const b = json<{ batch: string; payments: number; amount: number }>(r.stdout);
    expect(b).toMatchObject({ payments: 1, amount: 4000 });
    const again = await runCli(['payments', 'batch', ...T, '--reimbursements'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('承認済みで未払いの償還払いはありません');
    await sql`UPDATE municipality.payees SET holder_kana = 'ｲ)ﾄﾂﾄﾘｷﾂｽﾞ' WHERE institution_code = ${INST}`.execute(app.db.system);
    const out = join(dir, 'furikomi-persons.txt');
    const f = await runCli(['payments', 'file', ...T, '--batch', b.batch, '--out', out], { env });
    expect(f.code, f.stderr).toBe(0);
    const recs = iconv.decode(readFileSync(out), 'Shift_JIS').split('\r\n').slice(0, -1);
    expect(recs.map((x) => x[0])).toEqual(['1', '2', '8', '9']);
    expect([recs[1]!.slice(50, 80).trimEnd(), Number(recs[1]!.slice(80, 90)), recs[1]!.slice(91, 101)]).toEqual(['ﾄﾂﾄﾘ ﾀﾛｳ', 4000, a.no.padStart(10, '0')]);
  });
});
