// The 住基ネット 全国サーバ node (decision 0138) over real HTTP, with real ExchangeNodes as the municipality
// (市町村CS) and the 情報提供ネットワークシステム: identity.update, the three kinds of identity.query, the
// query file, person.link, the query log, the schema's isolation, no My Number in clear; and the
// municipality's sender (syncResidentsToJlis) fed by the real 住基 import.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { addTenant, EDOGAWA, operatorOf, testApp, SENDAI, TOTTORI, type Mode, type TestApp } from '../harness/app.js';
import { untyped, type UntypedDatabase } from '../../src/kernel/db/index.js';
import { movement, person, writeCsv, mn } from '../harness/residents.js';
import { Directory, ExchangeNode, MessageLog, NodeKeys, createNodeServer, exchangeNodeFor } from '../../src/kernel/exchange/index.js';
import { Problem } from '../../src/kernel/problems/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { addressKey, buildJlisNode, JLIS_ROLE, loadIdentities, nameKey, parseQueryFile, queryLog, queryRecord, readAnswerFile, type IdentityChange } from '../../src/peers/jlis/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { CS_PURPOSE, syncResidentsToJlis } from '../../src/municipality/exchange/cs.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-jlis-'));
const f = (name: string) => join(dir, name);
const num = (i: number) => syntheticMyNumber('jlis-test', i);
const code = (i: number) => String(20_000_000_000 + i);

function change(i: number, over: Partial<IdentityChange> = {}): IdentityChange {
  return {
    juminhyoCode: code(i),
    myNumber: num(i),
    name: '鳥取　花子',
    nameKana: 'トットリ　ハナコ',
    birthDate: '1990-04-01',
    sex: 'female',
    address: '鳥取県鳥取市尚徳町116番地',
    status: 'resident',
    movement: '01',
    movementDate: '2020-04-01',
    seq: i,
    ...over,
  };
}

async function refusal(p: Promise<unknown>): Promise<Problem> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Problem) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('jlis normalisation and query-file parsing (pure)', () => {
  it('folds width, spaces and kana script; nothing else', () => {
    expect(nameKey('鳥取　花子')).toBe(nameKey('鳥取 花子'));
    expect(nameKey('ﾄｯﾄﾘ ﾊﾅｺ')).toBe(nameKey('とっとり　はなこ'));
    expect(nameKey('ｶﾞｸ')).toBe('ガク');
    expect(nameKey('ＳＭＩＴＨ　Ｊｏｈｎ')).toBe('SMITHJOHN');
    expect(nameKey('髙橋')).not.toBe(nameKey('高橋')); // 異体字 are not guessed: the query is exact
    expect(addressKey('尚徳町１１６－１')).toBe(addressKey('尚徳町116-1'));
    expect(addressKey('尚徳町116ー1')).toBe(addressKey('尚徳町116−1'));
    expect(addressKey('尚徳町116番地')).not.toBe(addressKey('尚徳町116'));
  });

  const file = (details: string[], count = details.length) =>
    [queryRecord('header', { created: '20261121', purpose: '定期確認' }), ...details, queryRecord('trailer', { count: String(count).padStart(6, '0') })].join('\n');

  it('reads every key kind, tolerates trailing spaces dropped and a BOM', () => {
    const p = parseQueryFile('\uFEFF' + file([queryRecord('detail', { serial: '000001', kind: '1', number: '12345678901' }).trimEnd(), queryRecord('detail', { serial: '000002', kind: '3', name: '山田 太郎', birthDate: '20000229', sex: '1', address: '東京都' })]));
    expect(p.purpose).toBe('定期確認');
    expect(p.queries).toEqual([
      { row: 2, serial: '000001', key: { by: 'juminhyoCode', juminhyoCode: '12345678901' } },
      { row: 3, serial: '000002', key: { by: 'fourItems', name: '山田 太郎', birthDate: '2000-02-29', sex: 'male', address: '東京都' } },
    ]);
  });

  it('names row and column of each error, and counts the others', () => {
    const bad = (f: string) => {
      try {
        parseQueryFile(f);
      } catch (e) {
        return (e as Problem).detail ?? '';
      }
      return 'parsed';
    };
    expect(bad('')).toContain('1行目1桁目（レコード）');
    expect(bad(file([queryRecord('detail', { serial: '00000A', kind: '1', number: '12345678901' })]))).toContain('2行目2桁目（通番）');
    expect(bad(file([queryRecord('detail', { serial: '000001', kind: '2', number: '123456789012' })]))).toContain('2行目9桁目（住民票コード・個人番号）');
    expect(bad(file([queryRecord('detail', { serial: '000001', kind: '3', birthDate: '20000230', sex: '3' })]))).toMatch(/2行目21桁目（氏名）.*（ほか3件）/);
    expect(bad(file([queryRecord('detail', { serial: '000001', kind: '1', number: '12345678901' }) + 'x']))).toContain('2行目170桁目（レコード長）');
    expect(bad(file([]))).toContain('明細レコードがありません');
    const dup = queryRecord('detail', { serial: '000001', kind: '1', number: '12345678901' });
    expect(bad(file([dup, dup]))).toContain('3行目2桁目（通番）');
  });
});

describe.each<Mode>(['server', 'embedded'])('住基ネット 全国サーバ (jlis, %s)', (mode) => {
  let app: TestApp;
  let jlisDb: Kysely<UntypedDatabase>;
  let municipality: ExchangeNode;
  let network: ExchangeNode;
  const servers: FastifyInstance[] = [];

  async function listen(name: string, title: string, directory: Directory, fastify: FastifyInstance): Promise<void> {
    await fastify.listen({ port: 0, host: '127.0.0.1' });
    servers.push(fastify);
    const port = (fastify.server.address() as { port: number }).port;
    directory.set({ name, title, url: `http://127.0.0.1:${port}` });
  }

  beforeAll(async () => {
    app = await testApp(mode);
    await addTenant(app, TOTTORI, '鳥取市');
    jlisDb = await app.db.forRole(JLIS_ROLE);
    const clock = app.config.clock;
    const keyDir = app.config.keyDir;
    const directory = new Directory([]);
    const jlisNode = exchangeNodeFor({ name: 'jlis', schema: 'peers_jlis', db: jlisDb, keyDir, directory, clock });
    const jlis = await buildJlisNode({ name: 'jlis', db: jlisDb, node: jlisNode, clock, config: app.config }, { myNumberRecipients: ['network'] });
    await listen('jlis', '住基ネット全国サーバ', directory, jlis.fastify);
    municipality = new ExchangeNode('municipality', NodeKeys.open(keyDir, 'municipality'), directory, new MessageLog(untyped(app.db.system), 'municipality', 'municipality'), clock);
    network = new ExchangeNode('network', NodeKeys.open(keyDir, 'network'), directory, new MessageLog(untyped(app.db.system), 'municipality', 'network'), clock);
    for (const [node, title] of [[municipality, '鳥取市'], [network, '情報提供ネットワークシステム']] as const) {
      const fastify = await createNodeServer(node.name);
      node.serve(fastify, {});
      await listen(node.name, title, directory, fastify);
    }
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
    await app.cleanup();
  });

  // Direct updates come as 仙台市's 市町村CS; the sender test below notifies as 鳥取市 (its own seq series).
  const update = (changes: unknown[], tenant = SENDAI) => municipality.call('jlis', 'identity.update', { tenant, changes }, { personal: true });
  const query = (from: ExchangeNode, body: Record<string, unknown>) => from.call('jlis', 'identity.query', body, { personal: true });
  const matchesOf = (r: { body: unknown }) => (r.body as { matches: Record<string, unknown>[] }).matches;
  const count = async (t: string) => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM ${sql.table(`peers_jlis.${t}`)}`.execute(app.db.system)).rows[0]!.n);

  it('applies an update and answers a query by 住民票コード, My Number and 4情報', async () => {
    const r = await update([change(1), change(2, { name: '髙橋　一郎', nameKana: 'タカハシ　イチロウ', sex: 'male', birthDate: '1985-12-24' }), change(3, { myNumber: undefined, name: 'さくら　もも', nameKana: 'サクラ　モモ' })]);
    expect(r.body).toEqual({ applied: 3, unchanged: 0 });

    const byCode = matchesOf(await query(municipality, { by: 'juminhyoCode', juminhyoCode: code(2), purpose: '予防接種事務における本人確認' }));
    expect(byCode).toEqual([
      { juminhyoCode: code(2), name: '髙橋　一郎', nameKana: 'タカハシ　イチロウ', birthDate: '1985-12-24', sex: 'male', address: '鳥取県鳥取市尚徳町116番地', status: 'resident', lastMovement: '01', lastMovementDate: '2020-04-01' },
    ]);
    const byNumber = matchesOf(await query(municipality, { by: 'myNumber', myNumber: num(1), purpose: '予防接種事務における本人確認' }));
    expect(byNumber.map((m) => m['juminhyoCode'])).toEqual([code(1)]);
    const byFour = matchesOf(await query(municipality, { by: 'fourItems', name: '鳥取　花子', address: '鳥取県鳥取市尚徳町116番地', birthDate: '1990-04-01', sex: 'female', purpose: '予防接種事務における本人確認' }));
    expect(byFour.map((m) => m['juminhyoCode'])).toEqual([code(1)]);
    const none = matchesOf(await query(municipality, { by: 'juminhyoCode', juminhyoCode: '29999999999', purpose: '予防接種事務における本人確認' }));
    expect(none).toEqual([]);
  });

  it('matches 4情報 after normalising width, spaces and kana', async () => {
    const q = (name: string, address: string) =>
      query(municipality, { by: 'fourItems', name, address, birthDate: '1990-04-01', sex: 'female', purpose: '4情報による本人確認' }).then((r) => matchesOf(r).map((m) => m['juminhyoCode']));
    expect(await q('鳥取 花子', '鳥取県鳥取市尚徳町１１６番地')).toEqual([code(1)]);
    expect(await q('鳥取花子', ' 鳥取県 鳥取市 尚徳町116番地 ')).toEqual([code(1)]);
    expect(await q('ﾄｯﾄﾘ ﾊﾅｺ', '鳥取県鳥取市尚徳町116番地')).toEqual([code(1)]); // 半角カナ → the kana name
    expect(await q('とっとり　はなこ', '鳥取県鳥取市尚徳町116番地')).toEqual([code(1)]); // ひらがな
    expect(await q('サクラ モモ', '鳥取県鳥取市尚徳町116番地')).toEqual([code(3)]);
    expect(await q('鳥取　花江', '鳥取県鳥取市尚徳町116番地')).toEqual([]);
    expect(await q('鳥取　花子', '鳥取県鳥取市尚徳町117番地')).toEqual([]);
  });

  it('returns the My Number only to a caller the allow-list names', async () => {
    const toMunicipality = matchesOf(await query(municipality, { by: 'juminhyoCode', juminhyoCode: code(1), purpose: '本人確認' }));
    expect(toMunicipality[0]).not.toHaveProperty('myNumber');
    const toNetwork = matchesOf(await query(network, { by: 'fourItems', name: '鳥取花子', address: '鳥取県鳥取市尚徳町116番地', birthDate: '1990-04-01', sex: 'female', purpose: '4情報による個人番号の取得' }));
    expect(toNetwork[0]).toMatchObject({ juminhyoCode: code(1), myNumber: num(1) });
    const noNumberHeld = matchesOf(await query(network, { by: 'juminhyoCode', juminhyoCode: code(3), purpose: '本人確認' }));
    expect(noNumberHeld[0]).not.toHaveProperty('myNumber');
  });

  it('refuses a query without a purpose, or with an incomplete key (400)', async () => {
    const p = await refusal(query(municipality, { by: 'juminhyoCode', juminhyoCode: code(1) }));
    expect(p.status).toBe(400);
    expect(p.detail).toContain('purpose');
    const blank = await refusal(query(municipality, { by: 'juminhyoCode', juminhyoCode: code(1), purpose: ' ' }));
    expect(blank.status).toBe(400);
    const four = await refusal(query(municipality, { by: 'fourItems', name: '鳥取花子', birthDate: '1990-04-01', sex: 'female', purpose: '本人確認' }));
    expect(four.status).toBe(400);
    expect(four.detail).toContain('address');
    const badNumber = await refusal(query(municipality, { by: 'myNumber', myNumber: '123456789012', purpose: '本人確認' }));
    expect(badNumber.status).toBe(400);
    expect(badNumber.detail).toContain('myNumber');
  });

  it('refuses a malformed update naming the field, and applies nothing of it', async () => {
    const before = await count('identities');
    const history = await count('identity_history');
    const p = await refusal(update([change(10), change(11, { birthDate: '1990-02-30' }), change(12)]));
    expect(p.status).toBe(400);
    expect(p.detail).toContain('changes.1.birthDate');
    const q = await refusal(update([change(13), { ...change(14), myNumber: '123456789012' }]));
    expect(q.detail).toContain('changes.1.myNumber');
    expect(q.detail).not.toContain('123456789012');
    const dup = await refusal(update([change(15), change(16, { seq: 15 })]));
    expect(dup.detail).toContain('changes.1.seq');
    const badStatus = await refusal(update([change(17, { status: 'gone' as never })]));
    expect(badStatus.detail).toContain('changes.0.status');
    expect(await count('identities')).toBe(before);
    expect(await count('identity_history')).toBe(history);
  });

  it('is idempotent: a resent batch and identical content are unchanged', async () => {
    const again = await update([change(1), change(2, { name: '髙橋　一郎', nameKana: 'タカハシ　イチロウ', sex: 'male', birthDate: '1985-12-24' })]);
    expect(again.body).toEqual({ applied: 0, unchanged: 2 });
    const same = await update([change(1, { seq: 101 })]);
    expect(same.body).toEqual({ applied: 0, unchanged: 1 });
    const moved = await update([change(1, { seq: 102, address: '鳥取県鳥取市幸町71番地', movement: '20', movementDate: '2026-10-01' })]);
    expect(moved.body).toEqual({ applied: 1, unchanged: 0 });
    const hist = await sql<{ kind: string; changed: string[] }>`SELECT kind, changed FROM peers_jlis.identity_history WHERE juminhyo_code = ${code(1)} ORDER BY seq`.execute(app.db.system);
    expect(hist.rows.map((h) => h.kind)).toEqual(['insert', 'unchanged', 'update']);
    expect(hist.rows[2]!.changed).toEqual(['address', 'last_movement', 'last_movement_date']);
    const now = matchesOf(await query(municipality, { by: 'juminhyoCode', juminhyoCode: code(1), purpose: '本人確認' }));
    expect(now[0]).toMatchObject({ address: '鳥取県鳥取市幸町71番地', lastMovement: '20', lastMovementDate: '2026-10-01' });
    // A seq received before with other content is not a resend: refused whole, nothing applied.
    const reused = await refusal(update([change(50, { seq: 104 }), change(2, { seq: 2, name: '別人　次郎' })]));
    expect(reused).toMatchObject({ status: 409, code: 'JLIS_SEQ_CONFLICT' });
    expect(reused.detail).toContain('changes.1.seq');
    expect(matchesOf(await query(municipality, { by: 'juminhyoCode', juminhyoCode: code(50), purpose: '本人確認' }))).toEqual([]);
    // back to the first address for the remaining tests
    await update([change(1, { seq: 103 })]);
  });

  it('a former municipality\'s late 転出 does not undo the new municipality\'s 転入', async () => {
    await update([change(40, { seq: 40 })], SENDAI);
    await update([change(40, { seq: 1040, address: '東京都江戸川区中央一丁目4番1号', movement: '01', movementDate: '2026-11-01' })], EDOGAWA);
    const late = await update([change(40, { seq: 41, status: 'moved-out', movement: '11', movementDate: '2026-10-31' })], SENDAI);
    expect(late.body).toEqual({ applied: 0, unchanged: 1 });
    const now = matchesOf(await query(municipality, { by: 'juminhyoCode', juminhyoCode: code(40), purpose: '本人確認' }));
    expect(now[0]).toMatchObject({ status: 'resident', address: '東京都江戸川区中央一丁目4番1号' });
    const kinds = await sql<{ kind: string }>`SELECT kind FROM peers_jlis.identity_history WHERE juminhyo_code = ${code(40)} ORDER BY seq`.execute(app.db.system);
    expect(kinds.rows.map((k) => k.kind)).toEqual(['insert', 'update', 'superseded']);
  });

  it('identity.update is for the municipality only', async () => {
    const p = await refusal(network.call('jlis', 'identity.update', { tenant: SENDAI, changes: [change(30)] }, { personal: true }));
    expect(p).toMatchObject({ status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
  });

  it('answers a query file, and refuses a malformed one naming row and column', async () => {
    const file =
      [
        queryRecord('header', { created: '20261121', purpose: '資格情報の定期確認' }),
        queryRecord('detail', { serial: '000001', kind: '1', number: code(2) }),
        queryRecord('detail', { serial: '000002', kind: '2', number: num(1) }),
        queryRecord('detail', { serial: '000003', kind: '3', name: 'ﾄｯﾄﾘ ﾊﾅｺ', birthDate: '19900401', sex: '2', address: '鳥取県鳥取市尚徳町１１６番地' }),
        queryRecord('detail', { serial: '000004', kind: '1', number: '29999999999' }),
        queryRecord('trailer', { count: '000004' }),
      ].join('\r\n') + '\r\n';
    const r = await network.call('jlis', 'identity.query-file', { file }, { personal: true });
    const answer = readAnswerFile((r.body as { file: string }).file);
    expect(answer.header).toMatchObject({ type: '1', format: 'JLISA001', created: '20261121' });
    expect(answer.details.map((d) => [d['serial'], d['result'], d['juminhyoCode']])).toEqual([
      ['000001', '00', code(2)],
      ['000002', '00', code(1)],
      ['000003', '00', code(1)],
      ['000004', '10', ''],
    ]);
    expect(answer.details[0]).toMatchObject({ name: '髙橋　一郎', birthDate: '19851224', sex: '1', status: '1', lastMovement: '01', lastMovementDate: '20200401', myNumber: num(2) });
    expect(answer.trailer).toMatchObject({ queries: '000004', details: '000004' });
    // the municipality is not on the My Number allow-list: the column stays blank
    const m = await municipality.call('jlis', 'identity.query-file', { file }, { personal: true });
    expect(readAnswerFile((m.body as { file: string }).file).details[1]!['myNumber']).toBe('');

    const bad = file.replace(`000003${'3'}`, '0000039');
    const p = await refusal(network.call('jlis', 'identity.query-file', { file: bad }, { personal: true }));
    expect(p).toMatchObject({ status: 400, code: 'JLIS_FILE_MALFORMED' });
    expect(p.detail).toContain('4行目8桁目（照会キー種別）');
    const badCount = file.replace('9000004', '9000005');
    const c = await refusal(network.call('jlis', 'identity.query-file', { file: badCount }, { personal: true }));
    expect(c.detail).toContain('6行目2桁目（照会件数）');
    const noPurpose = file.replace('資格情報の定期確認', '         ');
    const np = await refusal(network.call('jlis', 'identity.query-file', { file: noPurpose }, { personal: true }));
    expect(np.detail).toContain('1行目18桁目（利用目的）');
    const badDate = file.replace('19900401', '19900231');
    expect((await refusal(network.call('jlis', 'identity.query-file', { file: badDate }, { personal: true }))).detail).toContain('4行目61桁目（生年月日）');
  });

  it('person.link: stable and opaque for the network, refused to the municipality', async () => {
    const a = await network.call('jlis', 'person.link', { juminhyoCode: code(1) }, { personal: true });
    const b = await network.call('jlis', 'person.link', { juminhyoCode: code(1) }, { personal: true });
    const c = await network.call('jlis', 'person.link', { juminhyoCode: code(2) }, { personal: true });
    const link = (a.body as { link: string }).link;
    expect(link).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(link).not.toContain(code(1));
    expect((b.body as { link: string }).link).toBe(link);
    expect((c.body as { link: string }).link).not.toBe(link);
    expect(a.envelope.enc?.to).toBe('network');
    const unknown = await refusal(network.call('jlis', 'person.link', { juminhyoCode: '29999999999' }, { personal: true }));
    expect(unknown).toMatchObject({ status: 404, code: 'PERSON_UNKNOWN' });
    const refused = await refusal(municipality.call('jlis', 'person.link', { juminhyoCode: code(1) }, { personal: true }));
    expect(refused).toMatchObject({ status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
  });

  it('logs every query with caller and purpose, never the key', async () => {
    const log = await queryLog(jlisDb, { limit: 500 });
    expect(log.length).toBeGreaterThan(10);
    expect(log.find((x) => x.caller === 'network' && x.purpose === '4情報による個人番号の取得')).toMatchObject({ keyKind: 'fourItems', resultCount: 1, myNumberReturned: true, channel: 'query' });
    expect(log.filter((x) => x.channel === 'file' && x.caller === 'network' && x.purpose === '資格情報の定期確認').map((x) => x.fileRow).sort()).toEqual([2, 3, 4, 5]);
    expect(log.find((x) => x.caller === 'municipality' && x.keyKind === 'juminhyoCode' && x.resultCount === 0)).toBeDefined();
    expect(log.find((x) => x.channel === 'link' && x.resultCount === 0)).toBeDefined();
    const raw = await sql<{ t: string }>`SELECT row_to_json(q)::text AS t FROM peers_jlis.query_log q`.execute(app.db.system);
    const all = raw.rows.map((r) => r.t).join('\n');
    for (const k of [code(1), code(2), num(1), '29999999999', 'トットリ']) expect(all).not.toContain(k);
  });

  it('mamori_app cannot read peers_jlis; the node role cannot read the municipality', async () => {
    await expect(sql`SELECT count(*) FROM peers_jlis.identities`.execute(app.db.app)).rejects.toThrow(/permission denied/);
    await expect(sql`SELECT count(*) FROM peers_jlis.query_log`.execute(app.db.app)).rejects.toThrow(/permission denied/);
    await expect(sql`SELECT count(*) FROM municipality.persons`.execute(jlisDb)).rejects.toThrow(/permission denied/);
    await expect(sql`DELETE FROM peers_jlis.query_log`.execute(jlisDb)).rejects.toThrow(/permission denied/);
  });

  describe('syncResidentsToJlis (市町村CS)', () => {
    /**
     * The sender sends only versions older than every transaction still running in the cluster (cs.ts: the
     * snapshot's xmin).  On the test server other test files run at the same time, and one of their
     * transactions can hold that horizon back for a moment: wait until this tenant's versions are all behind
     * it before a sync that must send them (a real 市町村CS simply sends them on its next run).
     */
    const settled = async (): Promise<void> => {
      for (let i = 0; i < 600; i++) {
        const r = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.person_versions p,
          (SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS s) s
          WHERE p.tenant_code = ${TOTTORI} AND NOT ((((s.s % 4294967296) - p.xmin::text::bigint) % 4294967296 + 4294967296) % 4294967296 BETWEEN 1 AND 2147483648)`.execute(app.db.system);
        if (r.rows[0]!.n === 0) return;
        await new Promise((res) => setTimeout(res, 100));
      }
    };

    it('sends imported residents with their My Number, once; movements later; a crashed run resends idempotently', async () => {
      const rows = [person(1), person(2)];
      const imp = await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(f(`full-${mode}.csv`), 'full', rows) });
      expect(imp.created).toBe(2);
      await settled();
      const r1 = await syncResidentsToJlis(app, municipality, TOTTORI);
      expect(r1).toMatchObject({ batches: 1, sent: 2, applied: 2, unchanged: 0, withMyNumber: 2 });
      const found = matchesOf(await query(network, { by: 'myNumber', myNumber: mn(2), purpose: '本人確認' }));
      expect(found).toEqual([expect.objectContaining({ juminhyoCode: person(2)['住民票コード'], name: person(2)['氏名'], birthDate: '2025-09-10', sex: 'female', myNumber: mn(2) })]);

      // The My Number use is in the operation log, with its purpose, per person; and one summary entry.
      const audit = await sql<{ action: string; n: number }>`SELECT action, count(*)::int AS n FROM kernel.audit_log WHERE purpose = ${CS_PURPOSE} GROUP BY action ORDER BY action`.execute(app.db.system);
      expect(audit.rows).toEqual([{ action: 'export', n: 1 }, { action: 'mynumber_reveal', n: 2 }]);

      expect(await syncResidentsToJlis(app, municipality, TOTTORI)).toMatchObject({ batches: 0, sent: 0 });

      await importResidents(app, operatorOf(TOTTORI), {
        file: writeCsv(f(`diff-${mode}.csv`), 'diff', [movement('CS-1', '11', '20261101', person(1, { 転出先住所: '大阪府大阪市北区梅田一丁目', 住民でなくなった日: '20261101', 消除事由: '転出' }))]),
      });
      await settled();
      const r2 = await syncResidentsToJlis(app, municipality, TOTTORI);
      expect(r2).toMatchObject({ batches: 1, sent: 1, applied: 1 });
      const left = matchesOf(await query(municipality, { by: 'juminhyoCode', juminhyoCode: person(1)['住民票コード'], purpose: '本人確認' }));
      expect(left[0]).toMatchObject({ status: 'moved-out', lastMovement: '11', lastMovementDate: '2026-11-01' });

      // A run that crashed after sending (the cursor not advanced): the same changes go again, unchanged.
      await sql`UPDATE municipality.cs_sync SET last_xid = NULL, last_atena_no = NULL, last_version = NULL, sent_seq = 0 WHERE tenant_code = ${TOTTORI}`.execute(app.db.system);
      await settled();
      const r3 = await syncResidentsToJlis(app, municipality, TOTTORI, { batchSize: 1 });
      expect(r3.applied).toBe(0);
      expect(r3.unchanged).toBe(r3.sent);
      expect(r3.sent).toBeGreaterThanOrEqual(2);
    });

    // Embedded mode has one connection: no transaction can stay open beside another.
    it.runIf(mode === 'server')('does not pass over versions of a transaction that started earlier and is still running', async () => {
      await app.db.system.connection().execute(async (conn) => {
        await sql`BEGIN`.execute(conn);
        try {
          await sql`SELECT pg_current_xact_id()`.execute(conn); // an older transaction, still open
          await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(f(`diff2-${mode}.csv`), 'diff', [movement('CS-2', '20', '20261105', person(2, { 住所: '鳥取県鳥取市幸町71' }))]) });
          expect(await syncResidentsToJlis(app, municipality, TOTTORI)).toMatchObject({ sent: 0 });
        } finally {
          await sql`COMMIT`.execute(conn);
        }
      });
      await settled();
      expect(await syncResidentsToJlis(app, municipality, TOTTORI)).toMatchObject({ sent: 1, applied: 1 });
      const moved = matchesOf(await query(municipality, { by: 'juminhyoCode', juminhyoCode: person(2)['住民票コード'], purpose: '本人確認' }));
      expect(moved[0]).toMatchObject({ address: '鳥取県鳥取市幸町71', lastMovement: '20' });
    });

    it('sends a large municipality in messages of at most 1000 changes', async () => {
      const rows = Array.from({ length: 1500 }, (_, i) => person(5000 + i));
      await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(f(`big-${mode}.csv`), 'diff', rows.map((r, i) => movement(`BIG-${i}`, '01', '20261110', r))) });
      await settled();
      const t0 = performance.now();
      const r = await syncResidentsToJlis(app, municipality, TOTTORI);
      const ms = performance.now() - t0;
      expect(r).toMatchObject({ batches: 2, sent: 1500, applied: 1500, withMyNumber: 1500 });
      console.info(`cs sync of 1500 residents: ${Math.round(ms)} ms`);
    }, 180_000);
  });

  it('bulk load, and no My Number in clear in any peers_jlis table', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => ({
      municipalityCode: TOTTORI, juminhyoCode: String(30_000_000_000 + i), myNumber: num(1000 + i), name: `大量　${i}`, nameKana: `タイリョウ　${i}`,
      birthDate: '2000-01-01', sex: 'male' as const, address: '鳥取県鳥取市東町一丁目220番地', status: 'resident' as const,
    }));
    const r = await loadIdentities(jlisDb, rows, { keyDir: app.config.keyDir, batchSize: 1000 });
    expect(r.loaded).toBe(2500);
    const hit = matchesOf(await query(network, { by: 'myNumber', myNumber: num(1000 + 1234), purpose: '本人確認' }));
    expect(hit.map((m) => m['juminhyoCode'])).toEqual([String(30_000_001_234)]);

    const numbers = [num(1), num(2), mn(1), mn(2), ...rows.slice(0, 50).map((x) => x.myNumber)];
    const tables = await sql<{ t: string }>`SELECT tablename AS t FROM pg_tables WHERE schemaname = 'peers_jlis'`.execute(app.db.system);
    expect(tables.rows.map((x) => x.t).sort()).toEqual(['exchange_messages', 'identities', 'identity_history', 'query_log']);
    for (const { t } of tables.rows) {
      const all = (await sql<{ j: string }>`SELECT row_to_json(x)::text AS j FROM ${sql.table(`peers_jlis.${t}`)} x`.execute(app.db.system)).rows.map((x) => x.j).join('\n');
      for (const n of numbers) {
        expect(all, t).not.toContain(n);
        expect(all, t).not.toContain(Buffer.from(n, 'ascii').toString('hex'));
      }
    }
  });
});
