// Issue 11, "done when": the move-in inquiry end to end across the organisations over real HTTP — two
// municipalities (one staff system, two 中間サーバー), the 情報提供ネットワークシステム and 住基ネット:
// move-in, inquiry, answer, adoption, the schedule status changing; both ends' logs and the network's record
// agree; the refusals (no duty, network down) leave nothing half-done; no My Number in any log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { messageLogOf } from '../../src/app/index.js';
import { runAs } from '../../src/kernel/context/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { personTimeline } from '../../src/municipality/records/index.js';
import { adoptInquiry, askVaccinationHistory, personDataUse, registerCopies } from '../../src/municipality/exchange/index.js';
import { EDOGAWA, operatorOf, TOTTORI } from '../harness/app.js';
import { mn } from '../harness/residents.js';
import { CHILD, CHILD_BIRTH, CHILD_DOSES, moveInWorld, type MoveInWorld } from '../harness/exchange.js';

let world: MoveInWorld;
let app: MoveInWorld['app'];
let orgs: MoveInWorld['orgs'];
let movedAtena: string;

beforeAll(async () => {
  world = await moveInWorld();
  ({ app, orgs, movedAtena } = world);
  expect(world.firstCopies).toMatchObject({ registered: 2, unchanged: 0, rejected: 0 });
});

afterAll(async () => {
  await world?.close();
});

describe('move-in inquiry across the organisations', () => {
  it('runs every organisation on its own port', () => {
    const names = orgs.nodes.map((n) => n.name).sort();
    expect(names).toEqual(['card', 'chukan-131237', 'chukan-312011', 'eapply', 'insurerhub', 'jlis', 'kensaku', 'kokuhoren', 'koseki', 'koukin', 'menkyo', 'municipality', 'mynaportal', 'network', 'payment', 'platform', 'registry', 'shiken', 'vrs']);
    expect(new Set(orgs.nodes.map((n) => n.url)).size).toBe(names.length);
  });

  it('registering the same 副本 again changes nothing', async () => {
    expect(await registerCopies(app.db, operatorOf(TOTTORI), orgs.municipal)).toMatchObject({ registered: 0, unchanged: 2, rejected: 0 });
  });

  it('refuses the inquiry to a user without the vaccination duty, and logs it', async () => {
    await expect(askVaccinationHistory(app.db, world.clerkAddressee, orgs.municipal, movedAtena)).rejects.toMatchObject({ status: 403 });
    const denied = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE tenant_code = ${EDOGAWA} AND action = 'access_denied' AND subject_ref = ${`resident:${movedAtena}`}`.execute(app.db.system);
    expect(denied.rows[0]!.n).toBeGreaterThan(0);
  });

  it('asks 鳥取市 through the network, adopts the answer, and the schedule counts the doses', async () => {
    const before = await runAs(app.db, world.nurseEdogawa, (w) => personTimeline(w, movedAtena));
    const hibBefore = before.evaluation.results.find((r) => r.program === 'hib');
    expect(hibBefore?.dosesCounted ?? 0).toBe(0);

    const v = await askVaccinationHistory(app.db, world.nurseEdogawa, orgs.municipal, movedAtena);
    expect(v.provider).toBe(TOTTORI);
    expect(v.status).toBe('provided');
    expect(v.legalBasis).toMatch(/番号法/);
    expect(v.records.map((r) => [r.program, r.dose, r.date])).toEqual(CHILD_DOSES.map((d) => ['hib', d.dose, addDaysIso(CHILD_BIRTH, d.at)]));

    const adopted = await runAs(app.db, world.nurseEdogawa, (w) => adoptInquiry(w, v.exchangeId));
    expect(adopted).toMatchObject({ adopted: 3, skipped: 0 });
    const after = await runAs(app.db, world.nurseEdogawa, (w) => personTimeline(w, movedAtena));
    expect(after.evaluation.results.find((r) => r.program === 'hib')?.dosesCounted).toBe(3);
    expect(after.records.filter((r) => r.source === 'other-municipality').map((r) => r.data.sourceRef)).toEqual([v.exchangeId, v.exchangeId, v.exchangeId]);
    await expect(runAs(app.db, world.nurseEdogawa, (w) => adoptInquiry(w, v.exchangeId))).rejects.toMatchObject({ code: 'ALREADY_ADOPTED' });

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
    const use = await personDataUse(app.db, world.auditor, orgs.municipal, movedAtena);
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
    const err = await askVaccinationHistory(app.db, world.nurseEdogawa, orgs.municipal, movedAtena).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: 'EXCHANGE_UNREACHABLE' });
    const after = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.exchange_inquiries`.execute(app.db.system);
    expect(after.rows[0]!.n).toBe(before.rows[0]!.n);
    expect(network.url).toMatch(/^http:/);
  });

  it('no My Number in clear in any table of any organisation, nor in any message log', async () => {
    const numbers = [mn(CHILD), mn(CHILD + 1)];
    const tables = await sql<{ s: string; t: string }>`
      SELECT table_schema AS s, table_name AS t FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')`.execute(app.db.system);
    const schemas = new Set(tables.rows.map((r) => r.s));
    for (const s of ['kernel', 'municipality', 'peers_jlis', 'peers_network', 'peers_chukan']) expect(schemas).toContain(s);
    for (const { s, t } of tables.rows) {
      const r = await sql<{ txt: string }>`SELECT string_agg(x::text, ' ') AS txt FROM ${sql.table(`${s}.${t}`)} x`.execute(app.db.system);
      for (const n of numbers) expect(r.rows[0]?.txt ?? '', `${s}.${t}`).not.toContain(n);
    }
  });
});
