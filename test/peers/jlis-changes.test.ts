// 本人確認情報の異動照会 (identity.changes; QUA-15, XCH-23/25; decision 0176) on the 住基ネット 全国サーバ node
// over real HTTP: a register (node `registry`) asks which of its persons changed in a period and gets only
// those, with the current 本人確認情報 and the names of the items that changed; deaths and moves are said;
// 消除者 left out on request; unknown codes named; the period's bounds are JST days; no My Number in the
// answer or the 照会処理の記録; other nodes refused; a malformed query names the field.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { addTenant, testApp, SENDAI, TOTTORI, type TestApp } from '../harness/app.js';
import { untyped, type UntypedDatabase } from '../../src/kernel/db/index.js';
import type { SetClock } from '../../src/kernel/clock/index.js';
import { Directory, ExchangeNode, MessageLog, NodeKeys, createNodeServer, exchangeNodeFor } from '../../src/kernel/exchange/index.js';
import { Problem } from '../../src/kernel/problems/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { buildJlisNode, JLIS_ROLE, MAX_CHANGE_CODES, queryLog, type ChangesAnswer, type IdentityChange } from '../../src/peers/jlis/index.js';
import { findMyNumbers } from '../harness/leaks.js';

const num = (i: number) => syntheticMyNumber('jlis-changes', i);
const code = (i: number) => String(30_000_000_000 + i);
let seq = 0;
const change = (i: number, over: Partial<IdentityChange> = {}): IdentityChange => ({
  juminhyoCode: code(i), myNumber: num(i), name: `仙台　${i}子`, nameKana: `センダイ　${i}コ`, birthDate: '1980-05-05', sex: 'female',
  address: '宮城県仙台市青葉区国分町三丁目7番1号', status: 'resident', movement: '01', movementDate: '2020-04-01', seq: ++seq, ...over,
});

async function refusal(p: Promise<unknown>): Promise<Problem> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Problem) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('本人確認情報の異動照会 (identity.changes)', () => {
  let app: TestApp;
  let jlisDb: Kysely<UntypedDatabase>;
  let clock: SetClock;
  let municipality: ExchangeNode;
  let registry: ExchangeNode;
  const servers: FastifyInstance[] = [];

  async function listen(name: string, title: string, directory: Directory, fastify: FastifyInstance): Promise<void> {
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    servers.push(fastify);
    directory.set({ name, title, url: `http://127.0.0.1:${(fastify.server.address() as { port: number }).port}` });
  }

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    jlisDb = await app.db.forRole(JLIS_ROLE);
    clock = app.config.clock as SetClock;
    const keyDir = app.config.keyDir;
    const directory = new Directory([]);
    const jlisNode = exchangeNodeFor({ name: 'jlis', schema: 'peers_jlis', db: jlisDb, keyDir, directory, clock });
    const jlis = await buildJlisNode({ name: 'jlis', db: jlisDb, node: jlisNode, clock, config: app.config });
    await listen('jlis', '住基ネット全国サーバ', directory, jlis.fastify);
    municipality = new ExchangeNode('municipality', NodeKeys.open(keyDir, 'municipality'), directory, new MessageLog(untyped(app.db.system), 'municipality', 'municipality'), clock);
    registry = new ExchangeNode('registry', NodeKeys.open(keyDir, 'registry'), directory, new MessageLog(untyped(app.db.system), 'municipality', 'registry'), clock);
    for (const [node, title] of [[municipality, '仙台市'], [registry, '国家資格等情報連携・活用システム']] as const) {
      const fastify = await createNodeServer(node.name);
      node.serve(fastify, {});
      await listen(node.name, title, directory, fastify);
    }
    // Day 0 (2026-11-01, JST): five persons registered.  Day 1: 2 renamed, 3 moved out, 4 died.  Day 2: 2 moved.
    clock.set('2026-11-01T09:00:00+09:00');
    await update([1, 2, 3, 4, 5].map((i) => change(i)));
    clock.set('2026-11-02T23:30:00+09:00'); // late evening JST: still 11-02 (14:30 UTC)
    await update([change(2, { name: '青葉　二子', nameKana: 'アオバ　フタコ' }), change(3, { status: 'moved-out', movement: '21', movementDate: '2026-11-02' }), change(4, { status: 'deceased', movement: '31', movementDate: '2026-11-01' })]);
    clock.set('2026-11-03T08:00:00+09:00');
    await update([change(2, { name: '青葉　二子', nameKana: 'アオバ　フタコ', address: '宮城県仙台市宮城野区五輪一丁目1番1号', movement: '11', movementDate: '2026-11-03' })]);
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await app?.cleanup();
  });

  const update = (changes: unknown[]) => municipality.call('jlis', 'identity.update', { tenant: SENDAI, changes }, { personal: true });
  const ask = async (body: Record<string, unknown>, from = registry) => (await from.call('jlis', 'identity.changes', { purpose: '医師等の免許の登録事項の定期確認', ...body }, { personal: true })).body as ChangesAnswer;
  const all = [1, 2, 3, 4, 5].map(code);

  it('answers only the persons changed in the period, with their current 本人確認情報 and what changed', async () => {
    const a = await ask({ from: '2026-11-02', until: '2026-11-03', juminhyoCodes: [...all, '39999999999'] });
    expect(a.asked).toBe(6);
    expect(a.unknown).toEqual(['39999999999']);
    expect(a.changed.map((c) => [c.juminhyoCode, c.status, c.changed])).toEqual([
      [code(2), 'resident', ['address', 'last_movement', 'last_movement_date', 'name', 'name_kana']],
      [code(3), 'moved-out', ['last_movement', 'last_movement_date', 'status']],
      [code(4), 'deceased', ['last_movement', 'last_movement_date', 'status']],
    ]);
    expect(a.changed[0]).toMatchObject({ name: '青葉　二子', address: '宮城県仙台市宮城野区五輪一丁目1番1号', lastMovement: '11', lastMovementDate: '2026-11-03', });
    expect(a.changed[0]!.changedAt).toMatch(/^2026-11-02T23:00:0/); // the last change of the period: 11-03 08:00 JST
    expect(a.changed[2]).toMatchObject({ lastMovement: '31', lastMovementDate: '2026-11-01' });
    expect(findMyNumbers(JSON.stringify(a))).toEqual([]);
  });

  it('the period is JST days: a change at 23:30 on 11-02 is in 11-02 and not in 11-03', async () => {
    expect((await ask({ from: '2026-11-02', until: '2026-11-02', juminhyoCodes: all })).changed.map((c) => c.juminhyoCode)).toEqual([code(2), code(3), code(4)]);
    const day3 = await ask({ from: '2026-11-03', until: '2026-11-03', juminhyoCodes: all });
    expect(day3.changed.map((c) => [c.juminhyoCode, c.changed])).toEqual([[code(2), ['address', 'last_movement', 'last_movement_date']]]);
    expect((await ask({ from: '2026-11-04', until: '2026-11-30', juminhyoCodes: all })).changed).toEqual([]);
    // The first registration counts as a change of every item (a register may learn of a person that way).
    expect((await ask({ from: '2026-11-01', until: '2026-11-01', juminhyoCodes: [code(5)] })).changed.map((c) => c.juminhyoCode)).toEqual([code(5)]);
  });

  it('消除者の要否: with includeRemoved false, persons now moved out or dead are left out', async () => {
    const a = await ask({ from: '2026-11-02', until: '2026-11-03', includeRemoved: false, juminhyoCodes: all });
    expect(a.changed.map((c) => c.juminhyoCode)).toEqual([code(2)]);
  });

  it('logs each code asked as one row of the 照会処理の記録 (a keyed hash, never the code), and never a My Number', async () => {
    const before = (await queryLog(jlisDb, { caller: 'registry', limit: 100_000 })).length;
    await ask({ from: '2026-11-02', until: '2026-11-03', juminhyoCodes: all, caller: '医政局 医事課' });
    const rows = (await queryLog(jlisDb, { caller: 'registry', limit: 100_000 })).slice(0, all.length);
    expect((await queryLog(jlisDb, { caller: 'registry', limit: 100_000 })).length - before).toBe(5);
    expect(rows.every((r) => r.channel === 'changes' && r.keyKind === 'juminhyoCode' && r.callerDetail === '医政局 医事課' && !r.myNumberReturned)).toBe(true);
    expect(rows.map((r) => r.resultCount).sort()).toEqual([0, 0, 1, 1, 1]);
    const raw = await sql<{ t: string }>`SELECT string_agg(row_to_json(q)::text, E'\n') AS t FROM peers_jlis.query_log q WHERE channel = 'changes'`.execute(app.db.system);
    for (const c of all) expect(raw.rows[0]!.t).not.toContain(c);
    expect(findMyNumbers(raw.rows[0]!.t)).toEqual([]);
  });

  it('refuses another node, and a malformed query naming the field', async () => {
    const other = await refusal(ask({ from: '2026-11-02', until: '2026-11-03', juminhyoCodes: all }, municipality));
    expect(other.status).toBe(403);
    // The refusal names the field (the message layer carries the detail; the field is its first word).
    const bad = async (body: Record<string, unknown>) => {
      const p = await refusal(ask({ from: '2026-11-02', until: '2026-11-03', juminhyoCodes: all, ...body }));
      expect(p.status).toBe(400);
      return p.detail ?? '';
    };
    expect(await bad({ from: '2026-11-31' })).toContain('from');
    expect(await bad({ until: '2026-11-01' })).toContain('until');
    expect(await bad({ juminhyoCodes: ['1234'] })).toContain('juminhyoCodes.0');
    expect(await bad({ juminhyoCodes: [code(1), code(1)] })).toContain('重複');
    expect(await bad({ juminhyoCodes: Array.from({ length: MAX_CHANGE_CODES + 1 }, (_, i) => String(31_000_000_000 + i)) })).toContain(`${MAX_CHANGE_CODES}件まで`);
    expect(await bad({ includeRemoved: 'no' })).toContain('includeRemoved');
    expect(await bad({ extra: 1 })).toContain('extra');
    const noPurpose = await refusal(registry.call('jlis', 'identity.changes', { from: '2026-11-02', until: '2026-11-03', juminhyoCodes: all }, { personal: true }));
    expect(noPurpose.detail).toContain('purpose');
  });
});
