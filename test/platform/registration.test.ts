// The platform's registration (issue 12; PMH-02…08, PMH-20…23) over real HTTP on real PostgreSQL: the REST
// API with Bearer tokens, the message service for the municipality node, validation that names row and
// field and stores nothing, idempotent replays, deletion, RLS, log retention and tenant erasure.  支払基金 is
// a stand-in node here so that it can misbehave on purpose (a different My Number back, PMH-08); the real
// insurerhub runs in the end-to-end test.
import type { AddressInfo } from 'node:net';
import { findMyNumbers } from '../harness/leaks.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { Directory, createNodeServer, exchangeNodeFor, type ExchangeNode } from '../../src/kernel/exchange/index.js';
import { untyped, type UntypedDatabase } from '../../src/kernel/db/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { Problem } from '../../src/kernel/problems/index.js';
import {
  addTenant, applyForUser, approveUser, buildPlatformNode, eraseTenant, issueToken, purgeLogs, deleteUser, PLATFORM_ROLE, PlatformSecrets, withPlatformTenant,
} from '../../src/platform/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { testClock } from '../harness/clock.js';

const A = '312011';
const B = '131237';

function target(i: number, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    modificationSeg: '1',
    municipalityIdentityKey: `K${String(i).padStart(6, '0')}`,
    myNumber: syntheticMyNumber('platform-test', i),
    basicFiveInfo: { name: `試験 太郎${i}`, nameKana: `シケン タロウ`, address: '鳥取県鳥取市東町一丁目1番地', dateOfBirth: '2025-04-01', sex: '1' },
    guardianName: '試験 花子',
    targetCategory: '1',
    reductionCategory: '0',
    vaccinations: [{ programCode: 'hib', dose: 1, dueFrom: '2025-06-01', dueUntil: '2030-03-31' }],
    history: [],
    notices: [{ noticeId: `n${i}`, templateId: 'notice-default', programCode: 'hib', dose: 1, voucherNo: `V${i}`, issuedOn: '2025-05-20' }],
    ...over,
  };
}

describe('platform registration', () => {
  let app: TestApp;
  const clock = testClock();
  const directory = new Directory([]);
  const servers: FastifyInstance[] = [];
  let pdb: Kysely<UntypedDatabase>;
  let municipality: ExchangeNode;
  let base = '';
  let token = '';
  /** How the stand-in 支払基金 answers: 'ok', or 'other-number' (PMH-08 test). */
  let hubMode: 'ok' | 'other-number' = 'ok';
  const responses: string[] = [];

  async function listen(name: string, f: FastifyInstance): Promise<string> {
    await f.listen({ host: '127.0.0.1', port: 0 });
    servers.push(f);
    const url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    directory.set({ name, title: name, url });
    return url;
  }

  async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> & { errors?: { field: string }[] } }> {
    const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    responses.push(text);
    return { status: res.status, json: JSON.parse(text) };
  }

  beforeAll(async () => {
    app = await testApp('server', { clock });
    pdb = await app.db.forRole(PLATFORM_ROLE);
    const keyDir = app.config.keyDir;
    const platformNode = exchangeNodeFor({ name: 'platform', schema: 'platform', db: pdb, keyDir, directory, clock });
    const platform = await buildPlatformNode({ name: 'platform', db: pdb, node: platformNode, clock, config: app.config }, { retentionMinutes: 0 });
    base = await listen('platform', platform.fastify);

    // The stand-in 支払基金: a stable key per number, MISMATCH when the kana says so, and on demand a different number back.
    const hubDb = await app.db.forRole('mamori_insurerhub');
    const hub = exchangeNodeFor({ name: 'insurerhub', schema: 'peers_insurerhub', db: hubDb, keyDir, directory, clock });
    const hubServer = await createNodeServer('insurerhub');
    hub.serve(hubServer, {
      'pmhkey.issue': {
        title: 'PMHキー採番（試験用）',
        from: (s) => s === 'platform',
        async handle(msg) {
          const items = (msg.body as { items: { ref: string; myNumber: string; basicFiveInfo: { nameKana: string } }[] }).items;
          return {
            personal: true,
            body: {
              items: items.map((it) =>
                it.basicFiveInfo.nameKana.includes('チガウ') ? { ref: it.ref, error: { code: 'MISMATCH', fields: ['nameKana'] } }
                : { ref: it.ref, pmhKey: `PK${Buffer.from(it.myNumber).toString('hex').toUpperCase().replace(/[^A-Z2-7]/g, 'A').padEnd(20, 'Q').slice(0, 20)}`, myNumber: hubMode === 'other-number' ? syntheticMyNumber('other', 1) : it.myNumber },
              ),
            },
          };
        },
      },
    });
    await listen('insurerhub', hubServer);

    municipality = exchangeNodeFor({ name: 'municipality', schema: 'municipality', db: untyped(app.db.app), keyDir, directory, clock });
    const mServer = await createNodeServer('municipality');
    municipality.serve(mServer, {});
    await listen('municipality', mServer);

    await addTenant(pdb, clock, { code: A, name: '鳥取市', node: 'municipality' });
    await addTenant(pdb, clock, { code: B, name: '江戸川区', node: 'other-node' });
    await applyForUser(pdb, clock, { tenant: A, userId: 'admin1', email: 'admin1@example.jp', name: '管理 一郎', permissionId: 'admin', reason: '契約時の管理者', appliedBy: 'operator' });
    await approveUser(pdb, clock, A, 'admin1', 'operator');
    await applyForUser(pdb, clock, { tenant: A, userId: 'reg1', email: 'reg1@example.jp', name: '連携 次郎', permissionId: 'register', reason: '健康管理システムの連携', appliedBy: 'admin1' });
    await approveUser(pdb, clock, A, 'reg1', 'admin1');
    token = (await issueToken(pdb, clock, A, 'reg1')).token;
    const s = await api('PUT', '/pmh/v1/settings/vaccinations', [{ programCode: 'hib', name: 'ヒブ感染症', doses: 4 }]);
    expect(s.status).toBe(200);
    const t = await api('PUT', '/pmh/v1/templates/notice-default', { kind: 'notice', title: '{programName}の予防接種のお知らせ', body: '{name}様 接種券番号 {voucherNo}' });
    expect(t.status).toBe(200);
  });

  afterAll(async () => {
    for (const s of servers) await s.close();
    await app?.cleanup();
  });

  it('PMH-20: users come from approved applications; nobody approves themself; a view-only user gets no token', async () => {
    await expect(approveUser(pdb, clock, A, 'admin1', 'admin1')).rejects.toThrow(Problem);
    await applyForUser(pdb, clock, { tenant: A, userId: 'view1', email: 'v@example.jp', name: '閲覧 三郎', permissionId: 'view', reason: '閲覧', appliedBy: 'admin1' });
    await expect(issueToken(pdb, clock, A, 'view1')).rejects.toMatchObject({ code: 'NO_REGISTER_PERMISSION' });
    await approveUser(pdb, clock, A, 'view1', 'admin1');
    await expect(issueToken(pdb, clock, A, 'view1')).rejects.toMatchObject({ code: 'NO_REGISTER_PERMISSION' });
  });

  it('refuses a missing or wrong token', async () => {
    const res = await fetch(`${base}/pmh/v1/targets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' });
    expect(res.status).toBe(401);
    const bad = await fetch(`${base}/pmh/v1/linkage`, { headers: { authorization: `Bearer ${token.slice(0, -2)}xx` } });
    expect(bad.status).toBe(401);
  });

  it('registers in bulk, gets PMH keys, and a replay is unchanged (PMH-02, PMH-06, PMH-21)', async () => {
    const rows = [target(1), target(2), target(3)];
    const r = await api('POST', '/pmh/v1/targets', rows, { 'x-linkage-file-name': 'TAISHO_20261121.json' });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ sent: 3, registered: 3, updated: 0, unchanged: 0, failed: 0, fileName: 'TAISHO_20261121.json' });
    const again = await api('POST', '/pmh/v1/targets', rows);
    expect(again.json).toMatchObject({ sent: 3, registered: 0, unchanged: 3 });
    const changed = await api('POST', '/pmh/v1/targets', [target(2, { reductionCategory: '1' })]);
    expect(changed.json).toMatchObject({ updated: 1 });
    const st = await api('GET', '/pmh/v1/targets/K000002');
    expect(st.json).toMatchObject({ status: 'linked', error: null, targetId: expect.stringMatching(/^T\d{15}$/), reductionCategory: '1' });
  });

  it('an Idempotency-Key replay returns the first answer; another body under the same key is refused', async () => {
    const first = await api('POST', '/pmh/v1/targets', [target(10)], { 'idempotency-key': 'batch-10' });
    const replay = await api('POST', '/pmh/v1/targets', [target(10)], { 'idempotency-key': 'batch-10' });
    expect(replay.json['callId']).toBe(first.json['callId']);
    expect(replay.json['registered']).toBe(1);
    const other = await api('POST', '/pmh/v1/targets', [target(11)], { 'idempotency-key': 'batch-10' });
    expect(other.status).toBe(409);
    expect(other.json['code']).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('bad rows are refused with row and field named, and nothing is stored', async () => {
    const count = async () => Number((await withPlatformTenant(pdb, A, (tx) => sql<{ n: string }>`SELECT count(*)::text AS n FROM platform.targets`.execute(tx))).rows[0]!.n);
    const before = await count();
    const badNumber = syntheticMyNumber('platform-test', 20).slice(0, 11) + String((Number(syntheticMyNumber('platform-test', 20)[11]) + 1) % 10);
    const noKana = target(21);
    delete (noKana['basicFiveInfo'] as Record<string, unknown>)['nameKana'];
    const r = await api('POST', '/pmh/v1/targets', [
      target(20, { myNumber: badNumber }),
      noKana,
      target(22, { vaccinations: [{ programCode: 'nosuch', dose: 1 }] }),
      target(23, { modificationSeg: '3' }),
      target(24, { isDeleted: true }),
      target(25),
    ]);
    expect(r.status).toBe(400);
    const fields = (r.json.errors ?? []).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['items.0.myNumber', 'items.1.basicFiveInfo.nameKana', 'items.2.vaccinations.0.programCode', 'items.3.modificationSeg', 'items.4.isDeleted']));
    expect(fields.some((f) => f.startsWith('items.5'))).toBe(false);
    expect(JSON.stringify(r.json)).not.toContain(badNumber);
    expect(await count()).toBe(before);
  });

  it('PMH-07: a mis-link is a linkage error, not a link; PMH-08: a different number back is an error too', async () => {
    const r = await api('POST', '/pmh/v1/targets', [target(30, { basicFiveInfo: { name: '試験 三十', nameKana: 'チガウ カナ', address: '鳥取県鳥取市', dateOfBirth: '2025-04-01', sex: '2' } }), target(31)]);
    expect(r.json).toMatchObject({ registered: 1, failed: 1 });
    const res = r.json['results'] as { status: string; linkage: { status: string; error: string } }[];
    expect(res[0]).toMatchObject({ status: 'failed', linkage: { status: 'error' } });
    expect(res[0]!.linkage.error).toContain('カナ氏名');
    hubMode = 'other-number';
    try {
      const o = await api('POST', '/pmh/v1/targets', [target(32)]);
      expect(o.json).toMatchObject({ failed: 1, registered: 0 });
      expect((o.json['results'] as { linkage: { error: string } }[])[0]!.linkage.error).toContain('一致しません');
    } finally {
      hubMode = 'ok';
    }
    const links = await withPlatformTenant(pdb, A, (tx) => sql<{ identity_key: string; pmh_key: string | null; link_status: string }>`SELECT identity_key, pmh_key, link_status FROM platform.targets WHERE identity_key IN ('K000030','K000032') ORDER BY identity_key`.execute(tx));
    expect(links.rows).toEqual([{ identity_key: 'K000030', pmh_key: null, link_status: 'error' }, { identity_key: 'K000032', pmh_key: null, link_status: 'error' }]);
    // The same row sent again is retried (not "unchanged"), and links once 支払基金 answers correctly.
    const retry = await api('POST', '/pmh/v1/targets', [target(32)]);
    expect(retry.json).toMatchObject({ registered: 1 });
  });

  it('PMH-07 on an update: a linked target whose new data fails the check keeps its link and data; the error is recorded', async () => {
    const before = await withPlatformTenant(pdb, A, (tx) => sql<{ pmh_key: string; content_hash: Buffer }>`SELECT pmh_key, content_hash FROM platform.targets WHERE identity_key = 'K000031'`.execute(tx));
    const r = await api('POST', '/pmh/v1/targets', [target(31, { basicFiveInfo: { name: '試験 太郎31', nameKana: 'チガウ', address: '鳥取県鳥取市東町一丁目1番地', dateOfBirth: '2025-04-01', sex: '1' } })]);
    expect(r.json).toMatchObject({ failed: 1, updated: 0 });
    expect((r.json['results'] as { linkage: { status: string; error: string } }[])[0]!.linkage).toMatchObject({ status: 'linked', error: expect.stringContaining('カナ氏名') });
    const after = await withPlatformTenant(pdb, A, (tx) => sql<{ pmh_key: string; content_hash: Buffer; link_status: string; link_error: string }>`SELECT pmh_key, content_hash, link_status, link_error FROM platform.targets WHERE identity_key = 'K000031'`.execute(tx));
    expect(after.rows[0]).toMatchObject({ pmh_key: before.rows[0]!.pmh_key, link_status: 'linked', link_error: expect.stringContaining('前回の登録のまま') });
    expect(Buffer.from(after.rows[0]!.content_hash).equals(Buffer.from(before.rows[0]!.content_hash))).toBe(true);
  });

  it('the same new person sent twice at once: one registration, the other refused cleanly or applied as an update; the sealed data opens', async () => {
    const results = await Promise.all([1, 2, 3].map(() => api('POST', '/pmh/v1/targets', [target(50)])));
    for (const r of results) {
      expect([200, 409]).toContain(r.status);
      if (r.status === 409) expect(r.json['code']).toBe('CONCURRENT_REGISTRATION');
    }
    expect(results.some((r) => r.status === 200)).toBe(true);
    const rows = await withPlatformTenant(pdb, A, (tx) => sql<{ target_id: string; sealed: Buffer }>`SELECT target_id, sealed FROM platform.targets WHERE identity_key = 'K000050'`.execute(tx));
    expect(rows.rows).toHaveLength(1);
    const opened = PlatformSecrets.open(app.config.keyDir).open<{ basicFiveInfo: { name: string } }>('target', A, rows.rows[0]!.target_id, Buffer.from(rows.rows[0]!.sealed));
    expect(opened.basicFiveInfo.name).toBe('試験 太郎50');
  });

  it('the municipality node registers through the signed message service; a tenant that is not the caller\'s is refused', async () => {
    const ok = await municipality.call('platform', 'targets.register', { tenant: A, fileName: 'push-1', items: [target(40)] }, { personal: true });
    expect(ok.envelope.enc).toBeTruthy();
    expect(ok.body).toMatchObject({ registered: 1 });
    await expect(municipality.call('platform', 'targets.register', { tenant: B, items: [target(41)] }, { personal: true })).rejects.toMatchObject({ code: 'TENANT_MISMATCH' });
    const list = await municipality.call('platform', 'linkage.list', { tenant: A, keys: ['K000040'] });
    expect(list.body).toMatchObject({ total: 1, items: [{ municipalityIdentityKey: 'K000040', status: 'linked', fileName: 'push-1' }] });
  });

  it('PMH-03: modificationSeg "2" deletes the personal data and records it; an operator deletion too', async () => {
    const r = await api('POST', '/pmh/v1/targets', [{ modificationSeg: '2', municipalityIdentityKey: 'K000001', changeCategory: '11', movementDate: '2026-11-01' }]);
    expect(r.json).toMatchObject({ deleted: 1 });
    const op = await api('DELETE', '/pmh/v1/targets/K000003', { reason: '誤登録の削除依頼（令和8年11月21日 受付）' });
    expect(op.status).toBe(200);
    const rows = await withPlatformTenant(pdb, A, (tx) =>
      sql<{ identity_key: string; sealed: Buffer | null; pmh_key: string | null; change_category: string | null; how: string }>`
        SELECT t.identity_key, t.sealed, t.pmh_key, t.change_category, d.how FROM platform.targets t JOIN platform.deletions d USING (tenant_code, target_id)
        WHERE t.identity_key IN ('K000001','K000003') ORDER BY t.identity_key`.execute(tx));
    expect(rows.rows).toEqual([
      { identity_key: 'K000001', sealed: null, pmh_key: null, change_category: '11', how: 'modification-seg' },
      { identity_key: 'K000003', sealed: null, pmh_key: null, change_category: null, how: 'operator' },
    ]);
    const st = await api('GET', '/pmh/v1/targets/K000001');
    expect(st.json).toMatchObject({ status: 'deleted', changeCategory: '11', movementDate: '2026-11-01' });
  });

  it('RLS: a transaction set to one tenant sees none of another tenant\'s rows', async () => {
    const other = await withPlatformTenant(pdb, B, (tx) => sql<{ n: string }>`SELECT count(*)::text AS n FROM platform.targets`.execute(tx));
    expect(other.rows[0]!.n).toBe('0');
    const none = await sql<{ n: string }>`SELECT count(*)::text AS n FROM platform.targets`.execute(pdb);
    expect(none.rows[0]!.n).toBe('0');
  });

  it('PMH-22: the handling log is exported as CSV, and log objects go three years after creation', async () => {
    const res = await fetch(`${base}/pmh/v1/logs`, { headers: { authorization: `Bearer ${token}`, accept: 'text/csv' } });
    const csv = await res.text();
    responses.push(csv);
    expect(csv.split('\r\n')[0]).toContain('日時');
    expect(csv).toContain('対象者情報の登録・更新');
    const later = testClock('2029-11-22T10:00:00+09:00');
    const purged = await purgeLogs(pdb, later);
    expect(purged.handlingLog).toBeGreaterThan(0);
    const left = await withPlatformTenant(pdb, A, (tx) => sql<{ n: string }>`SELECT count(*)::text AS n FROM platform.handling_log`.execute(tx));
    expect(left.rows[0]!.n).toBe('0');
  });

  it('no answer of the run carried a My Number', () => {
    expect(responses.length).toBeGreaterThan(10);
    // Any valid My Number in any shape (the leak scanner; random UUIDs blanked first).
    for (const r of responses) expect(findMyNumbers(r)).toEqual([]);
  });

  it('PMH-23: erasing a tenant leaves none of its rows, reports the counts, and stops its tokens', async () => {
    await deleteUser(pdb, clock, A, 'view1');
    const report = await eraseTenant(pdb, clock, A, 'operator:test');
    expect(report.remaining).toBe(0);
    expect(report.counts['targets']).toBeGreaterThan(5);
    expect(report.counts['apiTokens']).toBe(1);
    const res = await fetch(`${base}/pmh/v1/linkage`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(401);
  });
});

describe('platform OpenAPI', () => {
  it('docs/api/platform-openapi.json is the generated document (npm run openapi)', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { ROOT } = await import('../harness/paths.js');
    const { platformOpenApi } = await import('../../src/platform/index.js');
    const doc = JSON.parse(readFileSync(join(ROOT, 'docs', 'api', 'platform-openapi.json'), 'utf8')) as Record<string, unknown>;
    expect(doc).toEqual(JSON.parse(JSON.stringify(platformOpenApi())));
    const target = JSON.stringify((doc['components'] as { schemas: Record<string, unknown> }).schemas['Target']);
    for (const f of ['modificationSeg', 'municipalityIdentityKey', 'myNumber', 'basicFiveInfo', 'nameKana', 'dateOfBirth', 'isNotDisclosed', 'isDeleted']) expect(target).toContain(f);
  });
});
