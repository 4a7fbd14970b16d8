// The operation log (issue 2 "Operation log"): every entry identifies the operator (KRN-30, KRN-31),
// entries are sealed into a per-tenant hash chain and the log is append-only (KRN-34); verification names
// the first entry that was altered, removed or reordered, also through `mamori audit verify`; a retention
// purge keeps the chain verifiable through a signed checkpoint (KRN-35, KRN-39); search, export and
// "who accessed this person's data, when and why" (KRN-33).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chain, entryMac, unkeyedHash } from '../harness/audit-chain.js';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import {
  accessHistory,
  appendEntry,
  exportAuditCsv,
  genesis,
  searchAudit,
  sealPending,
  verifyChains,
  verifyTenantChain,
  writeCheckpoint,
  type AuditEntry,
} from '../../src/kernel/audit/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { openApp } from '../../src/app/index.js';
import { addTenant, freshConfig, operatorOf, staff, testApp, TOTTORI, SENDAI, type Mode, type TestApp } from '../harness/app.js';
import { asRogueDba, auditRows, countRows, dbNow } from '../harness/sql.js';
import { runCli } from '../harness/cli.js';

// Real-format municipality codes (valid check digits), one tenant chain per tampering scenario.
const T_ALTER = '011002'; // 札幌市
const T_DELETE = '131016'; // 千代田区
const T_REORDER = '271004'; // 大阪市
const T_TAIL = '141003'; // 横浜市
const T_RECOMPUTE = '231002'; // 名古屋市
const T_HEAD = '261009'; // 京都市
const T_CHECKPOINT = '401005'; // 北九州市
const T_PURGE = '281000'; // 神戸市
const T_GUARD = '341002'; // 広島市

/** The v1 hash a rogue owner can compute (test/harness/audit-chain.ts). */
const entryHash = unkeyedHash;

describe.each<Mode>(['server', 'embedded'])('operation log (%s)', (mode) => {
  let app: TestApp;
  let clerk: Principal;
  const ids = new Map<string, number[]>(); // tenant → entry ids in seq order

  /** Writes `n` entries for `tenant` as a staff member of that tenant, then seals them. */
  async function filled(tenant: string, n: number): Promise<number[]> {
    const who = (await staff(app, tenant, { login: `op-${tenant}` })).principal;
    await runAs(app.db, who, async (w) => {
      for (let i = 1; i <= n; i++) {
        await appendEntry(w.tx, w, { action: 'read', targetType: 'person', targetId: `r-${i}`, subjectRef: `person:r-${i}`, purpose: `照会 ${i}`, detail: { i, note: 'テスト' } });
      }
    });
    await sealPending(app.db.system, app.auditKeys, tenant);
    const rows = await chain(app.db.system, tenant);
    const list = rows.map((r) => r.id);
    ids.set(tenant, list);
    return list;
  }

  const verify = async (tenant: string) => verifyTenantChain(app.db.system, app.auditKeys, tenant);

  beforeAll(async () => {
    app = await testApp(mode);
    for (const [code, name] of [
      [TOTTORI, '鳥取市'], [SENDAI, '仙台市'], [T_ALTER, '札幌市'], [T_DELETE, '千代田区'], [T_REORDER, '大阪市'], [T_TAIL, '横浜市'],
      [T_RECOMPUTE, '名古屋市'], [T_HEAD, '京都市'], [T_CHECKPOINT, '北九州市'], [T_PURGE, '神戸市'], [T_GUARD, '広島市'],
    ] as const) await addTenant(app, code, name);
    clerk = (await staff(app, TOTTORI, { login: 'tt-clerk' })).principal;
  });
  afterAll(async () => app.cleanup());

  it('every entry identifies operator, tenant, action, target, purpose, request, terminal, time and outcome (KRN-30, KRN-31)', async () => {
    await runAs(app.db, clerk, (w) => appendEntry(w.tx, w, { action: 'update', targetType: 'person', targetId: 'x-1', subjectRef: 'person:x-1', purpose: '住所変更' }));
    const [row] = (await auditRows(app, TOTTORI, { action: 'update', actor_login: 'tt-clerk' })).slice(-1);
    expect(row).toMatchObject({
      tenant_code: TOTTORI, actor_kind: 'staff', actor_id: clerk.actor.id, actor_login: 'tt-clerk', action: 'update', target_type: 'person', target_id: 'x-1',
      subject_ref: 'person:x-1', purpose: '住所変更', request_id: clerk.meta.requestId, client_address: '127.0.0.1', terminal_id: 'test-terminal', program: 'test', outcome: 'success',
    });
    expect(row!.occurred_at).toBeInstanceOf(Date);
    expect(row!.seq).toBeNull(); // appended unsealed; the sealer links it later
  });

  it('My Number-shaped text in an entry is masked before it is stored', async () => {
    const n = syntheticMyNumber('audit-redaction', 1);
    await runAs(app.db, clerk, (w) => appendEntry(w.tx, w, { action: 'search', targetType: 'person', purpose: `番号 ${n} で検索`, detail: { q: n, spaced: `${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}` } }));
    const [row] = (await auditRows(app, TOTTORI, { action: 'search', actor_login: 'tt-clerk' })).slice(-1);
    expect(JSON.stringify(row)).not.toContain(n);
    expect(JSON.stringify(row)).not.toContain(n.slice(8));
    expect(row!.purpose).toBe('番号 [個人番号] で検索');
  });

  it('record ids (UUIDs) whose digit groups look like a number are kept intact', async () => {
    // 4-4-4 digit groups and a 12-digit last group: both shapes the redaction looks for.
    const a = '37aa7863-5558-4200-8999-3bb7ae9b7eda';
    const b = '00000000-0000-4000-8000-123456789012';
    const n = syntheticMyNumber('audit-redaction', 2);
    await runAs(app.db, clerk, (w) => appendEntry(w.tx, w, { action: 'read', targetType: 'account', targetId: a, subjectRef: `account:${b}`, purpose: `${b} ${n}`, detail: { a, b, n } }));
    const [row] = (await auditRows(app, TOTTORI, { action: 'read', actor_login: 'tt-clerk' })).slice(-1);
    expect(row).toMatchObject({ target_id: a, subject_ref: `account:${b}`, purpose: `${b} [個人番号]` });
    expect(row!.detail).toEqual({ a, b, n: '[個人番号]' });
    const h = await runAs(app.db, operatorOf(TOTTORI), (w) => accessHistory(w, `account:${b}`));
    expect(h).toHaveLength(1);
  });

  it('sealing links each tenant\'s entries into its own chain that verifies (KRN-34)', async () => {
    await filled(SENDAI, 5);
    await sealPending(app.db.system, app.auditKeys);
    for (const t of [TOTTORI, SENDAI]) {
      const rows = await chain(app.db.system, t);
      expect(rows.length).toBeGreaterThan(3);
      expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
      // Keyed with the chain MAC key from the key directory (never in the database).
      const key = Buffer.from(readFileSync(join(app.config.keyDir, 'audit', 'chain-mac.key'), 'utf8').trim(), 'base64');
      let prev = genesis(t);
      for (const r of rows) {
        expect(r.prev_hash.equals(prev)).toBe(true);
        expect(r.hash.equals(entryHash(prev, r, r.seq))).toBe(false); // not the unkeyed v1 hash
        const h = entryMac(key, prev, r, r.seq);
        expect(r.hash.equals(h)).toBe(true);
        prev = h;
      }
      const head = await app.db.system.selectFrom('kernel.audit_chain_heads').selectAll().where('tenant_code', '=', t).executeTakeFirstOrThrow();
      expect(head.seq).toBe(rows.length);
      expect(head.hash.equals(prev)).toBe(true);
    }
    const all = await verifyChains(app.db.system, app.auditKeys);
    expect(all.filter((r) => !r.ok)).toEqual([]);
    expect(all.find((r) => r.tenant === SENDAI)).toMatchObject({ ok: true, firstSeq: 1, pending: 0 });
    // Sealing again changes nothing; new entries continue the chain.
    expect((await sealPending(app.db.system, app.auditKeys, SENDAI))[0]).toMatchObject({ sealed: 0 });
    await runAs(app.db, operatorOf(SENDAI), (w) => appendEntry(w.tx, w, { action: 'read', targetType: 'x' }));
    const pending = await verify(SENDAI);
    expect(pending).toMatchObject({ ok: true, pending: 1 });
    await sealPending(app.db.system, app.auditKeys, SENDAI);
    expect(await verify(SENDAI)).toMatchObject({ ok: true, pending: 0, verified: pending.verified + 1 });
  });

  it('the application role cannot UPDATE, DELETE or TRUNCATE the log; the owner cannot UPDATE, DELETE or TRUNCATE while the guard is on (KRN-34)', async () => {
    const list = await filled(T_GUARD, 4);
    const p = (await staff(app, T_GUARD, { login: 'guard-clerk' })).principal;
    const before = await countRows(app.db.system, 'kernel.audit_log', T_GUARD);
    await expect(runAs(app.db, p, (w) => sql`UPDATE kernel.audit_log SET purpose = 'x' WHERE id = ${list[1]!}`.execute(w.tx))).rejects.toThrow(/permission denied/);
    await expect(runAs(app.db, p, (w) => sql`DELETE FROM kernel.audit_log WHERE id = ${list[1]!}`.execute(w.tx))).rejects.toThrow(/permission denied/);
    await expect(runAs(app.db, p, (w) => sql`TRUNCATE kernel.audit_log`.execute(w.tx))).rejects.toThrow(/permission denied/);
    await expect(runAs(app.db, p, (w) => sql`UPDATE kernel.audit_chain_heads SET seq = 0`.execute(w.tx))).rejects.toThrow(/permission denied/);
    await expect(runAs(app.db, p, (w) => sql`DELETE FROM kernel.audit_checkpoints`.execute(w.tx))).rejects.toThrow(/permission denied/);
    // The owner role is held back by the guard triggers.
    await expect(sql`UPDATE kernel.audit_log SET purpose = 'x' WHERE tenant_code = ${T_GUARD} AND id = ${list[1]!}`.execute(app.db.system)).rejects.toThrow(/append-only/);
    await expect(sql`UPDATE kernel.audit_log SET seq = seq + 100 WHERE tenant_code = ${T_GUARD} AND id = ${list[1]!}`.execute(app.db.system)).rejects.toThrow(/append-only/);
    await expect(sql`DELETE FROM kernel.audit_log WHERE tenant_code = ${T_GUARD} AND id = ${list[1]!}`.execute(app.db.system)).rejects.toThrow(/append-only/);
    await expect(sql`TRUNCATE kernel.audit_log`.execute(app.db.system)).rejects.toThrow(/append-only/);
    expect(await countRows(app.db.system, 'kernel.audit_log', T_GUARD)).toBe(before);
    // An unsealed entry's content cannot be changed on its way to sealing either.
    await runAs(app.db, p, (w) => appendEntry(w.tx, w, { action: 'read', targetType: 'x', purpose: '元の目的' }));
    const unsealed = (await auditRows(app, T_GUARD)).find((r) => r.purpose === '元の目的');
    expect(unsealed!.seq).toBeNull();
    await expect(sql`UPDATE kernel.audit_log SET purpose = '書換え' WHERE tenant_code = ${T_GUARD} AND id = ${unsealed!.id}`.execute(app.db.system)).rejects.toThrow(/append-only/);
    await sealPending(app.db.system, app.auditKeys, T_GUARD);
    expect(await verify(T_GUARD)).toMatchObject({ ok: true, verified: before + 1 });
  });

  it('(a) an altered entry fails with hash-mismatch naming its seq and id — for every content column', async () => {
    const list = await filled(T_ALTER, 6);
    expect(await verify(T_ALTER)).toMatchObject({ ok: true });
    // seq 1–3 were written while creating the operator's account; seq 5 is one of its 'read' entries,
    // with every column filled.
    const S = 5;
    const idS = list[S - 1]!;
    const edits: [string, string, string][] = [
      ['actor_login', `actor_login || '✎'`, `left(actor_login, -1)`],
      ['actor_kind', `'system'`, `'staff'`],
      ['actor_id', `actor_id || '✎'`, `left(actor_id, -1)`],
      ['action', `'delete'`, `'read'`],
      ['target_type', `target_type || '✎'`, `left(target_type, -1)`],
      ['target_id', `target_id || '✎'`, `left(target_id, -1)`],
      ['subject_ref', `subject_ref || '✎'`, `left(subject_ref, -1)`],
      ['purpose', `purpose || '✎'`, `left(purpose, -1)`],
      ['request_id', `request_id || '✎'`, `left(request_id, -1)`],
      ['client_address', `client_address || '✎'`, `left(client_address, -1)`],
      ['terminal_id', `terminal_id || '✎'`, `left(terminal_id, -1)`],
      ['program', `program || '✎'`, `left(program, -1)`],
      ['outcome', `'denied'`, `'success'`],
      ['occurred_at', `occurred_at + interval '1 microsecond'`, `occurred_at - interval '1 microsecond'`],
      ['detail', `detail || '{"x": 1}'::jsonb`, `detail - 'x'`],
      ['id', `id + 1000000`, `id - 1000000`],
    ];
    for (const [col, tamper, undo] of edits) {
      await asRogueDba(app, (tx) => sql.raw(`UPDATE kernel.audit_log SET ${col} = ${tamper} WHERE tenant_code = '${T_ALTER}' AND seq = ${S}`).execute(tx));
      const r = await verify(T_ALTER);
      expect(r.ok, col).toBe(false);
      expect(r.failure, col).toMatchObject({ kind: 'hash-mismatch', seq: S, id: col === 'id' ? idS + 1_000_000 : idS });
      expect(r.failure!.message).toContain(`seq ${S}`);
      expect(r.verified).toBe(S - 1);
      await asRogueDba(app, (tx) => sql.raw(`UPDATE kernel.audit_log SET ${col} = ${undo} WHERE tenant_code = '${T_ALTER}' AND seq = ${S}`).execute(tx));
      expect((await verify(T_ALTER)).ok, `${col} restored`).toBe(true);
    }
    // Leave it altered: other tenants' chains are unaffected.
    await asRogueDba(app, (tx) => sql`UPDATE kernel.audit_log SET purpose = '改ざん' WHERE tenant_code = ${T_ALTER} AND seq = ${S}`.execute(tx));
    const all = await verifyChains(app.db.system, app.auditKeys);
    expect(all.filter((r) => !r.ok).map((r) => r.tenant)).toEqual([T_ALTER]);
    expect(all.find((r) => r.tenant === T_ALTER)!.failure!.message).toContain(`id ${idS}`);
  });

  it('(b) a deleted middle entry is named as the gap', async () => {
    const list = await filled(T_DELETE, 6);
    await asRogueDba(app, (tx) => sql`DELETE FROM kernel.audit_log WHERE tenant_code = ${T_DELETE} AND seq = 3`.execute(tx));
    const r = await verify(T_DELETE);
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ kind: 'seq-gap', seq: 4, id: list[3] });
    expect(r.failure!.message).toContain('seq 3');
    expect(r.verified).toBe(2);
  });

  it('(c) reordered entries are detected at the first swapped position', async () => {
    const list = await filled(T_REORDER, 6);
    const swapSeq = async (a: number, b: number): Promise<void> =>
      asRogueDba(app, async (tx) => {
        await sql`UPDATE kernel.audit_log SET seq = -1 WHERE tenant_code = ${T_REORDER} AND seq = ${a}`.execute(tx);
        await sql`UPDATE kernel.audit_log SET seq = ${a} WHERE tenant_code = ${T_REORDER} AND seq = ${b}`.execute(tx);
        await sql`UPDATE kernel.audit_log SET seq = ${b} WHERE tenant_code = ${T_REORDER} AND seq = -1`.execute(tx);
      });
    // Swapping positions only.
    await swapSeq(3, 4);
    let r = await verify(T_REORDER);
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ seq: 3, id: list[3] });
    expect(['prev-mismatch', 'hash-mismatch']).toContain(r.failure!.kind);
    await swapSeq(3, 4);
    expect((await verify(T_REORDER)).ok).toBe(true);
    // Swapping the chain columns too: each row takes the other's seq, prev_hash and hash.
    await asRogueDba(app, async (tx) => {
      const [a, b] = (await chain(tx, T_REORDER)).filter((r) => r.seq === 2 || r.seq === 5);
      await sql`UPDATE kernel.audit_log SET seq = -1 WHERE tenant_code = ${T_REORDER} AND id = ${a!.id}`.execute(tx);
      await sql`UPDATE kernel.audit_log SET seq = 2, prev_hash = ${a!.prev_hash}, hash = ${a!.hash} WHERE tenant_code = ${T_REORDER} AND id = ${b!.id}`.execute(tx);
      await sql`UPDATE kernel.audit_log SET seq = 5, prev_hash = ${b!.prev_hash}, hash = ${b!.hash} WHERE tenant_code = ${T_REORDER} AND id = ${a!.id}`.execute(tx);
    });
    r = await verify(T_REORDER);
    expect(r.failure).toMatchObject({ kind: 'hash-mismatch', seq: 2, id: list[4] });
  });

  it('(d) a truncated tail is detected through the witnessed checkpoint, also when the head is rewound and checkpoint rows are deleted', async () => {
    const list = await filled(T_TAIL, 8);
    const rows = await chain(app.db.system, T_TAIL);
    const last = rows.length; // 8 entries plus the 3 that creating the operator's account wrote
    expect(last).toBe(list.length);
    // The first seal wrote a checkpoint at the head, in the database and in the witness (decision 0120).
    await asRogueDba(app, (tx) => sql`DELETE FROM kernel.audit_log WHERE tenant_code = ${T_TAIL} AND seq > ${last - 2}`.execute(tx));
    let r = await verify(T_TAIL);
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ kind: 'witness-missing', seq: last - 1 });
    expect(r.failure!.message).toContain(`seq ${last - 1}–${last}`);
    expect(r.lastSeq).toBe(last - 2);
    // Rewinding the recorded head and deleting the checkpoint rows changes nothing: the witness is outside.
    await asRogueDba(app, async (tx) => {
      await sql`UPDATE kernel.audit_chain_heads SET seq = ${last - 2}, hash = ${rows[last - 3]!.hash} WHERE tenant_code = ${T_TAIL}`.execute(tx);
      await sql`DELETE FROM kernel.audit_checkpoints WHERE tenant_code = ${T_TAIL}`.execute(tx);
    });
    r = await verify(T_TAIL);
    expect(r.failure).toMatchObject({ kind: 'witness-missing', seq: last - 1 });
    expect(r.failure!.message).toContain(`seq ${last - 1}–${last}`);
    // Everything deleted.
    await asRogueDba(app, (tx) => sql`DELETE FROM kernel.audit_log WHERE tenant_code = ${T_TAIL}`.execute(tx));
    r = await verify(T_TAIL);
    expect(r).toMatchObject({ ok: false, verified: 0, failure: { kind: 'witness-missing', seq: 1 } });
    expect(r.failure!.message).toContain(`seq 1–${last}`);
  });

  it('a deleted head (first entries) without a checkpoint is detected as a missing start', async () => {
    const list = await filled(T_HEAD, 5);
    await asRogueDba(app, (tx) => sql`DELETE FROM kernel.audit_log WHERE tenant_code = ${T_HEAD} AND seq <= 2`.execute(tx));
    const r = await verify(T_HEAD);
    expect(r.failure).toMatchObject({ kind: 'missing-start', seq: 3, id: list[2] });
  });

  it('(e) a rewritten entry with every later hash recomputed is caught at that entry: the owner has no chain key', async () => {
    const list = await filled(T_RECOMPUTE, 8);
    const original = await chain(app.db.system, T_RECOMPUTE);
    // The rogue DBA rewrites seq 3 and recomputes seq 3..8 and the head with the unkeyed algorithm, starting
    // from the stored link of seq 3 (before decision 0120 this was only caught by a later signed checkpoint).
    await asRogueDba(app, async (tx) => {
      await sql`UPDATE kernel.audit_log SET purpose = '書き換えた目的' WHERE tenant_code = ${T_RECOMPUTE} AND seq = 3`.execute(tx);
      const rows = (await chain(tx, T_RECOMPUTE)).filter((r) => r.seq >= 3);
      let prev = rows[0]!.prev_hash;
      for (const r of rows) {
        const h = entryHash(prev, r, r.seq);
        await sql`UPDATE kernel.audit_log SET prev_hash = ${prev}, hash = ${h} WHERE tenant_code = ${T_RECOMPUTE} AND id = ${r.id}`.execute(tx);
        prev = h;
      }
      await sql`UPDATE kernel.audit_chain_heads SET hash = ${prev} WHERE tenant_code = ${T_RECOMPUTE}`.execute(tx);
    });
    const tampered = await chain(app.db.system, T_RECOMPUTE);
    expect(tampered[2]!.hash.equals(original[2]!.hash)).toBe(false);
    const r = await verify(T_RECOMPUTE);
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ kind: 'hash-mismatch', seq: 3, id: list[2] });
    expect(r.verified).toBe(2);
  });

  it('a checkpoint that was altered or forged fails its signature check', async () => {
    await filled(T_CHECKPOINT, 4);
    const rows = await chain(app.db.system, T_CHECKPOINT);
    const cps = (await verify(T_CHECKPOINT)).checkpoints; // the first seal wrote one at the head
    await writeCheckpoint(app.db.system, app.auditKeys, T_CHECKPOINT, 2, rows[1]!.hash, 'test');
    expect(await verify(T_CHECKPOINT)).toMatchObject({ ok: true, checkpoints: cps + 1 });
    await asRogueDba(app, (tx) => sql`UPDATE kernel.audit_checkpoints SET hash = ${rows[2]!.hash}, seq = 3 WHERE tenant_code = ${T_CHECKPOINT} AND seq = 2`.execute(tx));
    expect((await verify(T_CHECKPOINT)).failure).toMatchObject({ kind: 'checkpoint-signature', seq: 3 });
    // A checkpoint signed with some other key.
    const other = generateKeyPairSync('ed25519');
    const msg = Buffer.from(`mamori-audit-checkpoint/v2|${T_CHECKPOINT}|3|${rows[2]!.hash.toString('hex')}|test`, 'utf8');
    await asRogueDba(app, (tx) => sql`UPDATE kernel.audit_checkpoints SET signature = ${sign(null, msg, other.privateKey)}, key_id = 'ak-forged' WHERE tenant_code = ${T_CHECKPOINT} AND seq = 3`.execute(tx));
    expect((await verify(T_CHECKPOINT)).failure).toMatchObject({ kind: 'checkpoint-signature', seq: 3 });
  });

  it('a retention purge removes old entries behind a signed checkpoint; the chain still verifies; the deletion is recorded (KRN-35, KRN-39)', async () => {
    // Ten entries from four years ago, written before sealing (as if the log had been running), then recent ones.
    const old = new Date(app.config.clock.now().getTime() - 4 * 366 * 86400_000);
    await sql`INSERT INTO kernel.audit_log (tenant_code, occurred_at, actor_kind, actor_login, action, target_type, outcome, program)
              SELECT ${T_PURGE}, ${old}::timestamptz + (g || ' seconds')::interval, 'staff', 'former-clerk', 'read', 'person', 'success', 'web'
              FROM generate_series(1, 10) g`.execute(app.db.system);
    await filled(T_PURGE, 5);
    const before = await chain(app.db.system, T_PURGE);
    const oldCount = before.filter((r) => r.actor_login === 'former-clerk').length;
    expect(oldCount).toBe(10);
    expect(await verify(T_PURGE)).toMatchObject({ ok: true, firstSeq: 1 });

    const items = await app.retention.runTenant(app.db, { system: app.db.system, auditKeys: app.auditKeys }, T_PURGE);
    expect(items).toContainEqual({ dataClass: 'audit-log', action: 'deleted', count: 10, requestId: null });
    const after = await verify(T_PURGE);
    expect(after).toMatchObject({ ok: true, firstSeq: 11 });
    const cp = await app.db.system.selectFrom('kernel.audit_checkpoints').selectAll().where('tenant_code', '=', T_PURGE).where('reason', '=', 'purge').executeTakeFirstOrThrow();
    expect(cp).toMatchObject({ seq: 10, reason: 'purge', key_id: app.auditKeys.keyId });
    expect(cp.hash.equals(before[9]!.hash)).toBe(true);
    expect((await auditRows(app, T_PURGE, { actor_login: 'former-clerk' })).length).toBe(0);

    const rec = await app.db.system.selectFrom('kernel.deletion_records').selectAll().where('tenant_code', '=', T_PURGE).execute();
    expect(rec).toHaveLength(1);
    expect(rec[0]).toMatchObject({ data_class: 'audit-log', method: 'physical', deleted_count: 10, target_ids: ['seq<=10'], executed_by: 'system:retention', request_id: null });
    const purge = await auditRows(app, T_PURGE, { action: 'purge' });
    expect(purge).toHaveLength(1);
    expect(purge[0]).toMatchObject({ target_type: 'audit-log', actor_login: 'system:retention', outcome: 'success' });
    expect(purge[0]!.purpose).toContain('3年');
    expect(purge[0]!.detail).toMatchObject({ count: 10, method: 'physical' });

    // The purge entry itself is sealed into the remaining chain; a second run deletes nothing more.
    await sealPending(app.db.system, app.auditKeys, T_PURGE);
    expect(await verify(T_PURGE)).toMatchObject({ ok: true, firstSeq: 11 });
    const again = await app.retention.runTenant(app.db, { system: app.db.system, auditKeys: app.auditKeys }, T_PURGE);
    expect(again.filter((i) => i.dataClass === 'audit-log')).toEqual([]);
    expect(await countRows(app.db.system, 'kernel.deletion_records', T_PURGE)).toBe(1);

    // Removing the checkpoint that vouches for the purged start is itself detected.
    await asRogueDba(app, (tx) => sql`DELETE FROM kernel.audit_checkpoints WHERE tenant_code = ${T_PURGE} AND seq <= 10`.execute(tx));
    expect((await verify(T_PURGE)).failure).toMatchObject({ kind: 'missing-start', seq: 11 });
  });

  describe('search, export and access history (KRN-33)', () => {
    let auditor: Principal;
    let viewerA: Principal;
    let viewerB: Principal;

    beforeAll(async () => {
      auditor = (await staff(app, SENDAI, { login: 'sd-auditor', role: 'auditor' })).principal;
      viewerA = (await staff(app, SENDAI, { login: 'sd-viewer-a', mynumberView: true })).principal;
      viewerB = (await staff(app, SENDAI, { login: 'sd-viewer-b', mynumberView: true })).principal;
      const clerkSd = (await staff(app, SENDAI, { login: 'sd-clerk' })).principal;
      const subject = { subjectType: 'person', subjectId: 'h-1' };
      await runAs(app.db, viewerA, (w) => app.vault.store(w, subject, syntheticMyNumber('audit-history', 1), { purpose: '転入時の登録' }));
      await runAs(app.db, viewerA, (w) => app.vault.reveal(w, subject, '接種券の発行確認'));
      await runAs(app.db, viewerB, (w) => app.vault.reveal(w, subject, '健康被害救済の審査'));
      await runAs(app.db, clerkSd, (w) => app.vault.reveal(w, subject, '興味本位')).catch(() => undefined);
      const entries: AuditEntry[] = [
        { action: 'export', targetType: 'person', purpose: '=HYPERLINK("http://example.invalid","x")', subjectRef: 'person:h-2' },
        { action: 'export', targetType: 'person', purpose: '+SUM(1,2)', subjectRef: 'person:h-2' },
        { action: 'export', targetType: 'person', purpose: '-2+3', subjectRef: 'person:h-2' },
        { action: 'export', targetType: 'person', purpose: '@cmd', subjectRef: 'person:h-2' },
        { action: 'export', targetType: 'person', purpose: 'comma, "quote"\nnewline', subjectRef: 'person:h-2' },
        { action: 'export', targetType: 'person', purpose: '＋cmd', subjectRef: 'person:h-2' },
        { action: 'export', targetType: 'person', purpose: '\t=1+1', subjectRef: 'person:h-2' },
        { action: 'export', targetType: 'person', purpose: '\u3000@SUM(A1)', subjectRef: 'person:h-2' },
      ];
      await runAs(app.db, viewerA, async (w) => {
        for (const e of entries) await appendEntry(w.tx, w, e);
      });
    });

    it('accessHistory answers who accessed a person\'s data, when and why — newest first, denials included', async () => {
      const h = await runAs(app.db, auditor, (w) => accessHistory(w, 'person:h-1'));
      expect(h.map((x) => [x.actorLogin, x.action, x.purpose, x.outcome])).toEqual([
        ['sd-clerk', 'mynumber_reveal', '興味本位', 'denied'],
        ['sd-viewer-b', 'mynumber_reveal', '健康被害救済の審査', 'success'],
        ['sd-viewer-a', 'mynumber_reveal', '接種券の発行確認', 'success'],
        ['sd-viewer-a', 'mynumber_store', '転入時の登録', 'success'],
      ]);
      expect(h[1]).toMatchObject({ actorKind: 'staff', actionLabel: '個人番号表示', program: 'test' });
      for (let i = 1; i < h.length; i++) expect(h[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(h[i]!.at.getTime());
      // Another tenant asking about the same reference learns nothing.
      const other = (await staff(app, TOTTORI, { login: 'tt-auditor', role: 'auditor' })).principal;
      expect(await runAs(app.db, other, (w) => accessHistory(w, 'person:h-1'))).toEqual([]);
    });

    it('searchAudit filters and is itself logged', async () => {
      const before = await countRows(app.db.system, 'kernel.audit_log', SENDAI);
      const byActor = await runAs(app.db, auditor, (w) => searchAudit(w, { actorLogin: 'sd-viewer-b' }));
      expect(byActor.length).toBeGreaterThan(0);
      expect(byActor.every((r) => r.actor_login === 'sd-viewer-b' && r.tenant_code === SENDAI)).toBe(true);
      const denied = await runAs(app.db, auditor, (w) => searchAudit(w, { outcome: 'denied', subjectRef: 'person:h-1' }));
      expect(denied.map((r) => r.actor_login)).toEqual(['sd-clerk']);
      const page1 = await runAs(app.db, auditor, (w) => searchAudit(w, { action: 'export', limit: 2 }));
      const page2 = await runAs(app.db, auditor, (w) => searchAudit(w, { action: 'export', limit: 2, beforeId: page1.at(-1)!.id }));
      expect(page1).toHaveLength(2);
      expect(page2).toHaveLength(2);
      expect(page2[0]!.id).toBeLessThan(page1[1]!.id);
      const inAnHour = new Date((await dbNow(app)).getTime() + 3600_000);
      const future = await runAs(app.db, auditor, (w) => searchAudit(w, { from: inAnHour }));
      expect(future).toEqual([]);
      const logged = await auditRows(app, SENDAI, { action: 'search', actor_login: 'sd-auditor' });
      expect(logged).toHaveLength(5);
      expect(logged[0]).toMatchObject({ target_type: 'audit_log' });
      expect(logged[0]!.detail).toMatchObject({ filters: { actorLogin: 'sd-viewer-b' }, results: byActor.length });
      expect(await countRows(app.db.system, 'kernel.audit_log', SENDAI)).toBe(before + 5);
    });

    it('exportAuditCsv has a BOM, quotes properly, guards formula injection and is logged as an export', async () => {
      const csv = await runAs(app.db, auditor, (w) => exportAuditCsv(w, { subjectRef: 'person:h-2' }));
      expect(csv.startsWith('\uFEFF')).toBe(true);
      const lines = csv.slice(1).split('\r\n');
      expect(lines[0]).toBe('id,seq,日時,操作者種別,操作者ID,操作,操作名,対象種別,対象種別名,対象ID,本人参照,本人,目的,結果,リクエストID,端末,接続元,プログラム');
      expect(csv).toContain(`"'=HYPERLINK(""http://example.invalid"",""x"")"`);
      expect(csv).toContain(`,"'+SUM(1,2)",`);
      expect(csv).toContain(`,'-2+3,`);
      expect(csv).toContain(`,'@cmd,`);
      expect(csv).toContain(`"comma, ""quote""\nnewline"`);
      // Full-width forms, a leading tab and a leading full-width space (decision 0121).
      expect(csv).toContain(`,'＋cmd,`);
      expect(csv).toContain(`,'\t=1+1,`);
      expect(csv).toContain(`,'\u3000@SUM(A1),`);
      // No cell starts with a bare formula character.
      expect(csv).not.toMatch(/(^|,)[=+@]/m);
      expect(csv).not.toMatch(/(^|,)"[=+@-]/m);
      const exported = await auditRows(app, SENDAI, { action: 'export', actor_login: 'sd-auditor' });
      expect(exported).toHaveLength(1);
      expect(exported[0]).toMatchObject({ target_type: 'audit_log' });
      expect(exported[0]!.detail).toMatchObject({ rows: 8, format: 'csv' });
    });
  });
});

describe('CLI: mamori audit verify on an embedded data dir', () => {
  let cfg: Awaited<ReturnType<typeof freshConfig>>;
  let data: string;
  beforeAll(async () => {
    cfg = await freshConfig('embedded');
    data = cfg.config.dataDir;
  });
  afterAll(async () => cfg.drop());

  it('exits 0 on an intact log, and non-zero naming the first bad entry after tampering', async () => {
    expect((await runCli(['org', 'add', '--code', TOTTORI, '--name', '鳥取市', '--data', data])).code).toBe(0);
    const boot = await runCli(['account', 'bootstrap-admin', '--tenant', TOTTORI, '--login', 'cli-admin', '--name', '運用 管理者', '--json', '--data', data]);
    expect(boot.code, boot.stderr).toBe(0);
    const ok = await runCli(['audit', 'verify', '--data', data]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain(`団体 ${TOTTORI}: 正常`);

    // Tamper with the data directly, after the CLI has exited.
    const app = await openApp(cfg.config);
    let victim: { id: number; seq: number };
    try {
      const rows = await chain(app.db.system, TOTTORI);
      expect(rows.length).toBeGreaterThanOrEqual(4);
      victim = { id: rows[1]!.id, seq: rows[1]!.seq };
      await asRogueDba(app, (tx) => sql`UPDATE kernel.audit_log SET actor_login = 'someone-else' WHERE tenant_code = ${TOTTORI} AND id = ${victim.id}`.execute(tx));
    } finally {
      await app.close();
    }
    const bad = await runCli(['audit', 'verify', '--data', data]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('hash-mismatch');
    expect(bad.stderr).toContain(`seq ${victim.seq}`);
    expect(bad.stderr).toContain(`id ${victim.id}`);

    const json = await runCli(['audit', 'verify', '--tenant', TOTTORI, '--json', '--data', data]);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as { ok: boolean; results: { tenant: string; ok: boolean; failure: { kind: string; seq: number; id: number } }[] };
    expect(parsed.ok).toBe(false);
    expect(parsed.results[0]).toMatchObject({ tenant: TOTTORI, ok: false, failure: { kind: 'hash-mismatch', seq: victim.seq, id: victim.id } });

    // An unknown organisation code is refused naming the field, not reported as a clean chain.
    const unknown = await runCli(['audit', 'verify', '--tenant', '041009', '--data', data]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('tenant');
  });
});

describe('operation log reads are authorised in the kernel (KRN-33)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
  });
  afterAll(async () => app.cleanup());

  it('staff without the audit-review duty read only their own operations, and a refusal is logged', async () => {
    const clerk = (await staff(app, TOTTORI, { login: 'own-clerk' })).principal;
    const auditor = (await staff(app, TOTTORI, { login: 'own-auditor', role: 'auditor' })).principal;
    await runAs(app.db, clerk, (w) => appendEntry(w.tx, w, { action: 'read', targetType: 'account', subjectRef: 'person:x' }));
    const own = await runAs(app.db, clerk, (w) => searchAudit(w, { actorLogin: 'own-clerk' }));
    expect(own.every((r) => r.actor_login === 'own-clerk')).toBe(true);
    await expect(runAs(app.db, clerk, (w) => searchAudit(w, {}))).rejects.toMatchObject({ status: 403 });
    await expect(runAs(app.db, clerk, (w) => exportAuditCsv(w, { actorLogin: 'own-auditor' }))).rejects.toMatchObject({ status: 403 });
    await expect(runAs(app.db, clerk, (w) => accessHistory(w, 'person:x'))).rejects.toMatchObject({ status: 403 });
    const all = await runAs(app.db, auditor, (w) => searchAudit(w, { outcome: 'denied' }));
    expect(all.filter((r) => r.actor_login === 'own-clerk' && r.action === 'access_denied').length).toBe(3);
  });
});

describe('audit writer (group commit for standalone entries)', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await addTenant(app, SENDAI, '仙台市');
  });
  afterAll(async () => app.cleanup());

  it('every append resolves only after its entry is committed; batches mix tenants and still seal into per-tenant chains', async () => {
    const { auditWriterFor, sealPending: seal, verifyChains: verify } = await import('../../src/kernel/audit/index.js');
    const writer = auditWriterFor(app.db);
    const a = operatorOf(TOTTORI);
    const b = operatorOf(SENDAI);
    await Promise.all(Array.from({ length: 300 }, (_, i) => writer.append(i % 2 ? a : b, { action: 'read', targetType: 'resident', targetId: `w-${i}` })));
    const n = await sql<{ t: string; n: number }>`SELECT tenant_code AS t, count(*)::int AS n FROM kernel.audit_log WHERE target_id LIKE 'w-%' GROUP BY 1 ORDER BY 1`.execute(app.db.system);
    expect(n.rows).toEqual([{ t: SENDAI, n: 150 }, { t: TOTTORI, n: 150 }]);
    await seal(app.db.system, app.auditKeys);
    expect((await verify(app.db.system, app.auditKeys)).every((r) => r.ok)).toBe(true);
  });

  it('a failing batch rejects its callers instead of losing entries silently', async () => {
    const { AuditWriter } = await import('../../src/kernel/audit/index.js');
    const writer = new AuditWriter(app.db.system);
    const bad = { tenant: TOTTORI, actor: { kind: 'staff' as const, id: null, login: 'x', role: null, duties: [], mynumberView: false }, meta: { requestId: 'r', clientAddress: null, terminalId: null, program: 'test' } };
    // An outcome outside the CHECK constraint makes the whole INSERT fail.
    await expect(writer.append(bad, { action: 'read', outcome: 'bogus' as never })).rejects.toThrow();
    await writer.close();
    await expect(writer.append(bad, { action: 'read' })).rejects.toThrow(/closed/);
  });
});
