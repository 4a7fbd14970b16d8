// Issue 11, "done when": the move-in inquiry end to end across the organisations over real HTTP — two
// municipalities (one staff system, two 中間サーバー), the 情報提供ネットワークシステム and 住基ネット:
// move-in, inquiry, answer, adoption, the schedule status changing; both ends' logs and the network's record
// agree; the refusals (no duty, not permitted, network down) leave nothing half-done.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startOrganisations, exchangeReady, messageLogOf, type Organisations } from '../../src/app/index.js';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { createRecord, personTimeline } from '../../src/municipality/records/index.js';
import { adoptInquiry, askVaccinationHistory, personDataUse, registerCopies } from '../../src/municipality/exchange/index.js';
import { addTenant, EDOGAWA, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { person, writeCsv, mn } from '../harness/residents.js';
import { TEST_TODAY } from '../harness/clock.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';

let app: TestApp;
let orgs: Organisations;
let dir: string;
let nurseTottori: Principal;
let nurseEdogawa: Principal;
let clerkAddressee: Principal;
let auditor: Principal;
const CHILD = 7;
const birth = addDaysIso(TEST_TODAY, -400); // about 13 months old
const ymd = (iso: string) => iso.replaceAll('-', '');
let movedAtena: string;

const DOSES = [
  { product: 'hib', program: 'hib', dose: 1, at: 70 },
  { product: 'hib', program: 'hib', dose: 2, at: 100 },
  { product: 'hib', program: 'hib', dose: 3, at: 130 },
];

beforeAll(async () => {
  app = await testApp('server');
  dir = mkdtempSync(join(tmpdir(), 'mamori-xe2e-'));
  await addTenant(app, TOTTORI, '鳥取市');
  await addTenant(app, EDOGAWA, '江戸川区');
  nurseTottori = (await staff(app, TOTTORI, { login: 'nurse-t', role: 'nurse', duties: ['vaccination', 'addressee'] })).principal;
  nurseEdogawa = (await staff(app, EDOGAWA, { login: 'nurse-e', role: 'nurse', duties: ['vaccination', 'addressee'] })).principal;
  clerkAddressee = (await staff(app, EDOGAWA, { login: 'clerk-e', role: 'clerk', duties: ['addressee'] })).principal;
  auditor = (await staff(app, EDOGAWA, { login: 'audit-e', role: 'auditor', duties: ['audit-review'] })).principal;
  // The child lives in 鳥取市 with three Hib doses, and a neighbour without doses.
  const born = { 生年月日: ymd(birth), 住民となった日: ymd(birth), 最新異動日: ymd(birth) };
  await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 't.csv'), 'full', [person(CHILD, born), person(CHILD + 1, born)]), kind: 'full' });
  const child = await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons WHERE tenant_code = ${TOTTORI} AND juminhyo_code = ${person(CHILD)['住民票コード']!}`.execute(app.db.system);
  const tAtena = child.rows[0]!.atena_no;
  for (const d of DOSES) {
    await runAs(app.db, nurseTottori, (w) => createRecord(w, tAtena, { product: d.product, program: d.program, dose: d.dose, vaccinatedOn: addDaysIso(birth, d.at), lot: `LOT${d.dose}` }, { source: 'staff' }));
  }
  // It moves to 江戸川区: 転出確定 in 鳥取市, 転入 (with the 転入前住所) in 江戸川区.
  const moved = addDaysIso(TEST_TODAY, -10);
  await importResidents(app, operatorOf(TOTTORI), {
    file: writeCsv(join(dir, 'out.csv'), 'diff', [{ ...person(CHILD, born), 異動ID: 'M-OUT-1', 異動区分: '11', 異動日: ymd(moved), 届出日: ymd(moved), 住民でなくなった日: ymd(moved), 消除事由: '転出', 転出先住所: '東京都江戸川区中央一丁目2番3号', 最新異動区分: '11', 最新異動日: ymd(moved) }]),
    kind: 'diff',
  });
  await importResidents(app, operatorOf(EDOGAWA), {
    file: writeCsv(join(dir, 'in.csv'), 'diff', [{ ...person(CHILD, born), 異動ID: 'M-IN-1', 異動区分: '01', 異動日: ymd(moved), 届出日: ymd(moved), 住所: '東京都江戸川区中央一丁目2番3号', 郵便番号: '132-0021', 住民となった日: ymd(moved), 転入前住所: '鳥取県鳥取市尚徳町116番地', 最新異動区分: '01', 最新異動日: ymd(moved) }]),
    kind: 'diff',
  });
  const e = await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons WHERE tenant_code = ${EDOGAWA} AND juminhyo_code = ${person(CHILD)['住民票コード']!}`.execute(app.db.system);
  movedAtena = e.rows[0]!.atena_no;
  orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0 });
  for (const t of [TOTTORI, EDOGAWA]) await exchangeReady(app, orgs, t, operatorOf(t));
  const copies = await registerCopies(app.db, operatorOf(TOTTORI), orgs.municipal);
  expect(copies).toMatchObject({ registered: 1, unchanged: 0, rejected: 0 });
});

afterAll(async () => {
  await orgs?.close();
  await app?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('move-in inquiry across the organisations', () => {
  it('runs every organisation on its own port', () => {
    const names = orgs.nodes.map((n) => n.name).sort();
    expect(names).toEqual(['chukan-131237', 'chukan-312011', 'jlis', 'municipality', 'network']);
    expect(new Set(orgs.nodes.map((n) => n.url)).size).toBe(5);
  });

  it('registering the same 副本 again changes nothing', async () => {
    expect(await registerCopies(app.db, operatorOf(TOTTORI), orgs.municipal)).toMatchObject({ registered: 0, unchanged: 1, rejected: 0 });
  });

  it('refuses the inquiry to a user without the vaccination duty, and logs it', async () => {
    await expect(askVaccinationHistory(app.db, clerkAddressee, orgs.municipal, movedAtena)).rejects.toMatchObject({ status: 403 });
    const denied = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE tenant_code = ${EDOGAWA} AND action = 'access_denied' AND subject_ref = ${`resident:${movedAtena}`}`.execute(app.db.system);
    expect(denied.rows[0]!.n).toBeGreaterThan(0);
  });

  it('asks 鳥取市 through the network, adopts the answer, and the schedule counts the doses', async () => {
    const before = await runAs(app.db, nurseEdogawa, (w) => personTimeline(w, movedAtena));
    const hibBefore = before.evaluation.results.find((r) => r.program === 'hib');
    expect(hibBefore?.dosesCounted ?? 0).toBe(0);

    const v = await askVaccinationHistory(app.db, nurseEdogawa, orgs.municipal, movedAtena);
    expect(v.provider).toBe(TOTTORI);
    expect(v.status).toBe('provided');
    expect(v.legalBasis).toMatch(/番号法/);
    expect(v.records.map((r) => [r.program, r.dose, r.date])).toEqual(DOSES.map((d) => ['hib', d.dose, addDaysIso(birth, d.at)]));

    const adopted = await runAs(app.db, nurseEdogawa, (w) => adoptInquiry(w, v.exchangeId));
    expect(adopted).toMatchObject({ adopted: 3, skipped: 0 });
    const after = await runAs(app.db, nurseEdogawa, (w) => personTimeline(w, movedAtena));
    expect(after.evaluation.results.find((r) => r.program === 'hib')?.dosesCounted).toBe(3);
    expect(after.records.filter((r) => r.source === 'other-municipality').map((r) => r.data.sourceRef)).toEqual([v.exchangeId, v.exchangeId, v.exchangeId]);
    await expect(runAs(app.db, nurseEdogawa, (w) => adoptInquiry(w, v.exchangeId))).rejects.toMatchObject({ code: 'ALREADY_ADOPTED' });

    // Both ends' logs agree: every message the asking side sent is one the other side received (same digest).
    const logs = new Map<string, Awaited<ReturnType<Awaited<ReturnType<typeof messageLogOf>>['list']>>['rows']>();
    for (const n of ['municipality', 'chukan-131237', 'network', 'chukan-312011', 'jlis']) logs.set(n, (await (await messageLogOf(app, n)).list({ limit: 100_000 })).rows);
    const pairs: [string, string, string][] = [
      ['municipality', 'chukan-131237', 'inquire'],
      ['chukan-131237', 'network', 'inquiry'],
      ['network', 'chukan-312011', 'provide'],
    ];
    for (const [from, to, svc] of pairs) {
      const sent = logs.get(from)!.filter((r) => r.direction === 'out' && r.peer === to && r.service === svc && r.outcome === 'ok');
      const got = logs.get(to)!.filter((r) => r.direction === 'in' && r.peer === from && r.service === svc && r.outcome === 'ok');
      expect(sent.length).toBeGreaterThan(0);
      expect(new Set(sent.map((r) => r.digest))).toEqual(new Set(got.map((r) => r.digest)));
    }
    // The network's 情報提供等記録 names both bodies, the legal basis and the outcome; the resident can read it.
    const use = await personDataUse(app.db, auditor, orgs.municipal, movedAtena);
    expect(use.exchangesUnavailable).toBeNull();
    const rec = use.exchanges.find((r) => r.exchangeId === v.exchangeId);
    expect(rec).toMatchObject({ requester: EDOGAWA, provider: TOTTORI, status: 'provided' });
    expect(rec!.legalBasis).toBe(v.legalBasis);
    expect(use.accesses.some((a) => a.action === 'exchange_inquiry')).toBe(true);
  });

  it('a network that is down fails the inquiry clearly and records nothing as an answer', async () => {
    const network = orgs.nodes.find((n) => n.name === 'network')!;
    const before = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.exchange_inquiries`.execute(app.db.system);
    const closed = await orgs.stop('network');
    expect(closed).toBe(true);
    const err = await askVaccinationHistory(app.db, nurseEdogawa, orgs.municipal, movedAtena).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: 'EXCHANGE_UNREACHABLE' });
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.exchange_inquiries`.execute(app.db.system);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    expect(network.url).toMatch(/^http:/);
  });

  it('no My Number in any message log or exchange table', async () => {
    const numbers = [mn(CHILD), mn(CHILD + 1)];
    const tables = await sql<{ s: string; t: string }>`
      SELECT table_schema AS s, table_name AS t FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND (table_schema IN ('peers_network', 'peers_chukan') OR table_name IN ('exchange_messages', 'exchange_inquiries'))`.execute(app.db.system);
    expect(tables.rows.length).toBeGreaterThan(3);
    for (const { s, t } of tables.rows) {
      const r = await sql<{ txt: string }>`SELECT string_agg(x::text, ' ') AS txt FROM ${sql.table(`${s}.${t}`)} x`.execute(app.db.system);
      for (const n of numbers) expect(r.rows[0]?.txt ?? '', `${s}.${t}`).not.toContain(n);
    }
  });
});
