// Issue 10 point 1, "tamper-evident against the database owner" (KRN-33, KRN-34, decision 0120).  Someone with
// owner access to the database (here: the owner connection with triggers switched off, asRogueDba) tampers
// with the operation log in every way the issue lists, and `audit verify` — the function, and the
// `mamori audit verify` command once — names the first bad entry (seq) or the missing range (seq X–Y):
//   - entries are HMAC-SHA256 under a key in the key directory, so an edited entry cannot be re-chained;
//   - signed checkpoints are written every 1,000 entries or when the newest is a minute old (kernel clock);
//   - each checkpoint is also appended to a witness file outside the database and the data directory, so
//     deleting the newest entries, moving the head back and deleting checkpoint rows is detected;
//   - the application role may append only unsealed entries.
// Every test states why it fails on the code before decision 0120.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { chain, entryMac, unkeyedHash, type ChainRow } from '../harness/audit-chain.js';
import { sql, type Kysely } from 'kysely';
import { runAs } from '../../src/kernel/context/index.js';
import type { Database } from '../../src/kernel/db/index.js';
import { appendEntries, appendEntry, AuditWitness, CHECKPOINT_EVERY, genesis, sealPending, verifyChains, verifyTenantChain, type AuditEntry } from '../../src/kernel/audit/index.js';
import { openApp, type App } from '../../src/app/index.js';
import { resolveConfig } from '../../src/kernel/config/index.js';
import { addTenant, freshConfig, operatorOf } from '../harness/app.js';
import { testClock } from '../harness/clock.js';
import { asRogueDba } from '../harness/sql.js';
import { runCli } from '../harness/cli.js';

// Real-format municipality codes (valid check digits), one tenant chain per scenario.
const T_EDIT = '011002'; // 札幌市
const T_TAIL = '131016'; // 千代田区
const T_GONE = '271004'; // 大阪市
const T_FORGE = '141003'; // 横浜市
const T_APPROLE = '231002'; // 名古屋市
const T_CADENCE = '261009'; // 京都市
const T_LEGACY = '401005'; // 北九州市
const T_SPLIT = '281000'; // 神戸市

/** The unkeyed chain hash (the format before decision 0120): anyone can compute it. */
const unkeyed = unkeyedHash;

/** The documented keyed format, under a key the rogue made up (the real one is not in the database). */
const guessedKey = randomBytes(32);
const guessedMac = (prev: Buffer, r: ChainRow, seq: number): Buffer => entryMac(guessedKey, prev, r, seq);

describe('operation log: tamper-evident against the database owner (KRN-33, KRN-34, decision 0120)', () => {
  const clock = testClock();
  let app: App;
  let drop: () => Promise<void>;
  let dataDir: string;
  let databaseUrl: string;
  let witnessDir: string;
  let witness: string;

  const verify = (tenant: string) => verifyTenantChain(app.db.system, app.auditKeys, tenant);
  const seal = (tenant?: string) => sealPending(app.db.system, app.auditKeys, tenant);
  const checkpoints = async (tenant: string) =>
    (await sql<{ seq: number; reason: string }>`SELECT seq, reason FROM kernel.audit_checkpoints WHERE tenant_code = ${tenant} ORDER BY seq`.execute(app.db.system)).rows.map((r) => [Number(r.seq), r.reason]);
  const witnessed = (tenant: string): { seq: number; reason: string }[] =>
    existsSync(witness)
      ? readFileSync(witness, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { tenant: string; seq: number; reason: string }).filter((r) => r.tenant === tenant).map(({ seq, reason }) => ({ seq, reason }))
      : [];

  /** Appends `n` entries for `tenant` and seals them; returns the head seq. */
  async function fill(tenant: string, n: number): Promise<number> {
    await runAs(app.db, operatorOf(tenant), async (w) => {
      for (let i = 1; i <= n; i++) await appendEntry(w.tx, w, { action: 'read', targetType: 'person', targetId: `p-${i}`, subjectRef: `person:p-${i}`, purpose: `照会 ${i}`, detail: { i } });
    });
    const [r] = await seal(tenant);
    return r!.headSeq;
  }

  beforeAll(async () => {
    // The witness lives in its own temporary directory, away from the data directory (as in production).
    witnessDir = mkdtempSync(join(tmpdir(), 'mamori-witness-'));
    witness = join(witnessDir, 'audit-witness.jsonl');
    const f = await freshConfig('server', clock);
    drop = f.drop;
    dataDir = f.config.dataDir;
    databaseUrl = f.config.databaseUrl!;
    app = await openApp({ ...f.config, auditWitness: witness });
    for (const [code, name] of [[T_EDIT, '札幌市'], [T_TAIL, '千代田区'], [T_GONE, '大阪市'], [T_FORGE, '横浜市'], [T_APPROLE, '名古屋市'], [T_CADENCE, '京都市'], [T_LEGACY, '北九州市'], [T_SPLIT, '神戸市']] as const) {
      await addTenant(app, code, name);
    }
  });
  afterAll(async () => {
    await app?.close();
    await drop?.();
    rmSync(witnessDir, { recursive: true, force: true });
  });

  it('the witness is a file outside the data directory; the chain MAC key is in the key directory, not in the database', async () => {
    // Before 0120 there was neither a witness (no auditWitness setting) nor a chain key.
    expect(app.config.auditWitness).toBe(witness);
    expect(relative(dataDir, witness).startsWith('..')).toBe(true);
    // The default sits beside the data directory, not in it; MAMORI_AUDIT_WITNESS names another file.
    const byDefault = resolveConfig({ data: dataDir }, {}).auditWitness;
    expect(byDefault).toBe(join(dirname(dataDir), `${basename(dataDir)}-audit-witness.jsonl`));
    expect(relative(dataDir, byDefault).startsWith('..')).toBe(true);
    expect(resolveConfig({ data: dataDir }, { MAMORI_AUDIT_WITNESS: witness }).auditWitness).toBe(witness);
    const key = readFileSync(join(app.config.keyDir, 'audit', 'chain-mac.key'), 'utf8').trim();
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    const found = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_checkpoints WHERE encode(hash, 'base64') = ${key} OR encode(signature, 'base64') = ${key}`.execute(app.db.system);
    expect(found.rows[0]!.n).toBe(0);
  });

  it('an edited entry with the whole chain recomputed — unkeyed, or keyed with any key but the real one — is named at that entry', async () => {
    // Before 0120 the chain was unkeyed SHA-256 with a checkpoint only every 10,000 entries: the recomputed
    // chains below verified as intact.
    const head = await fill(T_EDIT, 8);
    expect(head).toBe(8);
    expect(await verify(T_EDIT)).toMatchObject({ ok: true, verified: 8 });
    const original = await chain(app.db.system, T_EDIT);
    const S = 4;
    const rechain = (hash: (prev: Buffer, r: ChainRow, seq: number) => Buffer, fromSeq: number) =>
      asRogueDba(app, async (tx) => {
        await sql`UPDATE kernel.audit_log SET purpose = '書き換えた目的' WHERE tenant_code = ${T_EDIT} AND seq = ${S}`.execute(tx);
        const rows = (await chain(tx, T_EDIT)).filter((r) => r.seq >= fromSeq);
        let prev = fromSeq === 1 ? genesis(T_EDIT) : rows[0]!.prev_hash;
        for (const r of rows) {
          const h = hash(prev, r, r.seq);
          await sql`UPDATE kernel.audit_log SET prev_hash = ${prev}, hash = ${h} WHERE tenant_code = ${T_EDIT} AND id = ${r.id}`.execute(tx);
          prev = h;
        }
        await sql`UPDATE kernel.audit_chain_heads SET hash = ${prev} WHERE tenant_code = ${T_EDIT}`.execute(tx);
      });
    const restore = () =>
      asRogueDba(app, async (tx) => {
        for (const r of original) {
          await sql`UPDATE kernel.audit_log SET purpose = ${r.purpose}, prev_hash = ${r.prev_hash}, hash = ${r.hash} WHERE tenant_code = ${T_EDIT} AND id = ${r.id}`.execute(tx);
        }
        await sql`UPDATE kernel.audit_chain_heads SET hash = ${original.at(-1)!.hash} WHERE tenant_code = ${T_EDIT}`.execute(tx);
      });

    // Edited, then prev_hash and hash of it and every later row (and the head) recomputed, unkeyed.
    await rechain(unkeyed, S);
    let r = await verify(T_EDIT);
    expect(r).toMatchObject({ ok: false, verified: S - 1, failure: { kind: 'hash-mismatch', seq: S, id: original[S - 1]!.id } });
    expect(r.failure!.message).toContain(`seq ${S}`);
    await restore();
    expect((await verify(T_EDIT)).ok).toBe(true);

    // The same with the documented keyed format under a key of the rogue's choosing.
    await rechain(guessedMac, S);
    r = await verify(T_EDIT);
    expect(r.failure).toMatchObject({ kind: 'hash-mismatch', seq: S, id: original[S - 1]!.id });
    await restore();

    // The whole chain re-derived from genesis: the first re-derived entry is the first bad one.
    await rechain(unkeyed, 1);
    r = await verify(T_EDIT);
    expect(r).toMatchObject({ ok: false, verified: 0, failure: { kind: 'hash-mismatch', seq: 1 } });
    await restore();
    expect((await verify(T_EDIT)).ok).toBe(true);
  });

  it('checkpoints are written every 1,000 entries and when the newest is older than a minute by the kernel clock, and each reaches the witness', async () => {
    // Before 0120: one checkpoint per 10,000 entries, none by time, no witness.
    expect(CHECKPOINT_EVERY).toBe(1000);
    const entries: AuditEntry[] = Array.from({ length: 2500 }, (_, i) => ({ action: 'read', targetType: 'person', targetId: `c-${i}` }));
    await runAs(app.db, operatorOf(T_CADENCE), (w) => appendEntries(w.tx, w, entries));
    expect((await seal(T_CADENCE))[0]).toMatchObject({ sealed: 2500, headSeq: 2500 });
    expect(await checkpoints(T_CADENCE)).toEqual([[1000, 'periodic'], [2000, 'periodic']]);
    // A quiet minute: nothing new to seal, and the sealer of all tenants (as the server runs it every
    // second) writes nothing until the newest checkpoint is a minute old …
    await seal();
    expect(await checkpoints(T_CADENCE)).toEqual([[1000, 'periodic'], [2000, 'periodic']]);
    clock.advance(59_000);
    await seal();
    expect((await checkpoints(T_CADENCE)).length).toBe(2);
    // … then it checkpoints the head.
    clock.advance(2_000);
    await seal();
    expect(await checkpoints(T_CADENCE)).toEqual([[1000, 'periodic'], [2000, 'periodic'], [2500, 'periodic']]);
    expect(witnessed(T_CADENCE)).toEqual([{ seq: 1000, reason: 'periodic' }, { seq: 2000, reason: 'periodic' }, { seq: 2500, reason: 'periodic' }]);
    const cp = await app.db.system.selectFrom('kernel.audit_checkpoints').selectAll().where('tenant_code', '=', T_CADENCE).where('seq', '=', 2500).executeTakeFirstOrThrow();
    expect(new Date(cp.created_at).getTime()).toBeGreaterThanOrEqual(clock.now().getTime() - 5_000); // stamped by the kernel clock
    expect(await verify(T_CADENCE)).toMatchObject({ ok: true, verified: 2500 });
  });

  it('the newest entries deleted, the head moved back and the checkpoint rows deleted: verify names the missing range up to the last witnessed checkpoint, and the sealer refuses to reuse those seqs', async () => {
    // Before 0120 nothing outside the database remembered the tail: with the head rewound to the last
    // remaining entry (and no checkpoint within 10,000 entries) the shortened chain verified as intact.
    await fill(T_TAIL, 5); // first seal: a checkpoint at seq 5
    clock.advance(61_000);
    await fill(T_TAIL, 5); // a minute later: a checkpoint at seq 10
    const head = await fill(T_TAIL, 3); // within the minute: no checkpoint at 13
    expect(head).toBe(13);
    expect(await checkpoints(T_TAIL)).toEqual([[5, 'periodic'], [10, 'periodic']]);
    expect(witnessed(T_TAIL).map((w) => w.seq)).toEqual([5, 10]);
    const rows = await chain(app.db.system, T_TAIL);

    await asRogueDba(app, async (tx) => {
      await sql`DELETE FROM kernel.audit_log WHERE tenant_code = ${T_TAIL} AND seq > 7`.execute(tx);
      await sql`UPDATE kernel.audit_chain_heads SET seq = 7, hash = ${rows[6]!.hash} WHERE tenant_code = ${T_TAIL}`.execute(tx);
      await sql`DELETE FROM kernel.audit_checkpoints WHERE tenant_code = ${T_TAIL} AND seq > 7`.execute(tx);
    });
    const r = await verify(T_TAIL);
    expect(r).toMatchObject({ ok: false, verified: 7, lastSeq: 7, failure: { kind: 'witness-missing', seq: 8 } });
    expect(r.failure!.message).toContain('seq 8–10');
    expect(r.failure!.message).toMatch(/削除|巻き戻し/);

    // New entries are not chained onto the shortened log: seq 8.. stay unissued, the entry stays pending.
    await runAs(app.db, operatorOf(T_TAIL), (w) => appendEntry(w.tx, w, { action: 'read', targetType: 'person' }));
    const [s] = await seal(T_TAIL);
    expect(s).toMatchObject({ sealed: 0, headSeq: 7 });
    expect(s!.refused).toContain('seq 8–10');
    expect(await verify(T_TAIL)).toMatchObject({ ok: false, pending: 1, failure: { kind: 'witness-missing', seq: 8 } });
  });

  it('every entry, the head and every checkpoint row of a tenant deleted: the witness still names the range', async () => {
    // Before 0120 a tenant without rows was not even listed by verify.
    const head = await fill(T_GONE, 6);
    await asRogueDba(app, async (tx) => {
      await sql`DELETE FROM kernel.audit_log WHERE tenant_code = ${T_GONE}`.execute(tx);
      await sql`DELETE FROM kernel.audit_chain_heads WHERE tenant_code = ${T_GONE}`.execute(tx);
      await sql`DELETE FROM kernel.audit_checkpoints WHERE tenant_code = ${T_GONE}`.execute(tx);
    });
    const all = await verifyChains(app.db.system, app.auditKeys);
    const r = all.find((x) => x.tenant === T_GONE);
    expect(r).toMatchObject({ ok: false, verified: 0, failure: { kind: 'witness-missing', seq: 1 } });
    expect(r!.failure!.message).toContain(`seq 1–${head}`);
  });

  it('a forged checkpoint, an authentic older checkpoint presented as the end, and a forged witness line are all refused', async () => {
    // Before 0120 the rogue could roll back to any authentic checkpoint: with the later entries, the later
    // checkpoint rows and the head rolled back to it, verify passed.  (A checkpoint with a bad signature was
    // refused already; it still is.)
    await fill(T_FORGE, 5); // checkpoint at 5
    clock.advance(61_000);
    await fill(T_FORGE, 4); // checkpoint at 9
    const rows = await chain(app.db.system, T_FORGE);
    await asRogueDba(app, async (tx) => {
      await sql`DELETE FROM kernel.audit_log WHERE tenant_code = ${T_FORGE} AND seq > 5`.execute(tx);
      await sql`DELETE FROM kernel.audit_checkpoints WHERE tenant_code = ${T_FORGE} AND seq > 5`.execute(tx);
      await sql`UPDATE kernel.audit_chain_heads SET seq = 5, hash = ${rows[4]!.hash} WHERE tenant_code = ${T_FORGE}`.execute(tx);
    });
    let r = await verify(T_FORGE);
    expect(r.failure).toMatchObject({ kind: 'witness-missing', seq: 6 });
    expect(r.failure!.message).toContain('seq 6–9');

    // A checkpoint forged with the rogue's own key, under the real key's id.
    const rogue = generateKeyPairSync('ed25519');
    const msg = Buffer.from(`mamori-audit-checkpoint/v2|${T_FORGE}|5|${rows[4]!.hash.toString('hex')}|periodic`, 'utf8');
    await asRogueDba(app, (tx) => sql`UPDATE kernel.audit_checkpoints SET signature = ${sign(null, msg, rogue.privateKey)} WHERE tenant_code = ${T_FORGE} AND seq = 5`.execute(tx));
    r = await verify(T_FORGE);
    expect(r.failure).toMatchObject({ kind: 'checkpoint-signature', seq: 5 });
    expect(r.failure!.message).toContain('seq 5');

    // A line appended to the witness without the signing key.
    appendFileSync(witness, JSON.stringify({ v: 1, tenant: T_FORGE, seq: 5, hash: rows[4]!.hash.toString('hex'), reason: 'restore', at: clock.now().toISOString(), keyId: app.auditKeys.keyId, sig: sign(null, msg, rogue.privateKey).toString('base64') }) + '\n');
    await asRogueDba(app, (tx) => sql`DELETE FROM kernel.audit_checkpoints WHERE tenant_code = ${T_FORGE} AND seq = 5`.execute(tx));
    r = await verify(T_FORGE);
    expect(r.failure).toMatchObject({ kind: 'witness-signature', seq: 5 });
    expect(r.failure!.message).toMatch(/証跡ファイル \d+ 行目/);
  });

  it('a truncated chain continued by a process that has the keys but another witness: verify names the replaced range', async () => {
    // Before 0120 nothing remembered the old seq 7–10, so the re-issued ones verified as the original log.
    await fill(T_SPLIT, 5); // checkpoint at 5
    clock.advance(61_000);
    await fill(T_SPLIT, 5); // checkpoint at 10
    const rows = await chain(app.db.system, T_SPLIT);
    await asRogueDba(app, async (tx) => {
      await sql`DELETE FROM kernel.audit_log WHERE tenant_code = ${T_SPLIT} AND seq > 6`.execute(tx);
      await sql`DELETE FROM kernel.audit_checkpoints WHERE tenant_code = ${T_SPLIT} AND seq > 6`.execute(tx);
      await sql`UPDATE kernel.audit_chain_heads SET seq = 6, hash = ${rows[5]!.hash} WHERE tenant_code = ${T_SPLIT}`.execute(tx);
    });
    // A misconfigured process (same database and key directory, its own witness file) seals new entries as
    // seq 7–10 and checkpoints them.
    const other = await openApp({ ...app.config, auditWitness: join(witnessDir, 'another-witness.jsonl') });
    try {
      await runAs(other.db, operatorOf(T_SPLIT), async (w) => {
        for (let i = 1; i <= 4; i++) await appendEntry(w.tx, w, { action: 'read', targetType: 'person', targetId: `x-${i}` });
      });
      expect((await sealPending(other.db.system, other.auditKeys, T_SPLIT))[0]).toMatchObject({ sealed: 4, headSeq: 10 });
      expect(await verifyTenantChain(other.db.system, other.auditKeys, T_SPLIT)).toMatchObject({ ok: true });
    } finally {
      await other.close();
    }
    const r = await verify(T_SPLIT);
    expect(r).toMatchObject({ ok: false, verified: 9, failure: { kind: 'witness-mismatch', seq: 10 } });
    expect(r.failure!.message).toContain('seq 6–10');
  });

  it('the application role cannot insert a sealed-looking entry, nor can the owner\'s writer; the sealer keeps working', async () => {
    // Before 0120 the INSERT below was accepted: the row sat at seq 4 and every later seal failed on the
    // unique (tenant_code, seq) index — the sealer was wedged for good.
    const head = await fill(T_APPROLE, 3);
    const last = (await chain(app.db.system, T_APPROLE)).at(-1)!;
    const sealedLooking = (tx: Kysely<Database>, cols: 'all' | 'seq' | 'hash') =>
      sql`INSERT INTO kernel.audit_log (tenant_code, actor_kind, actor_login, action, outcome, seq, prev_hash, hash)
          VALUES (${T_APPROLE}, 'staff', 'intruder', 'read', 'success', ${cols === 'hash' ? null : head + 1}, ${cols === 'all' ? last.hash : null}, ${cols === 'seq' ? null : randomBytes(32)})`.execute(tx);
    for (const cols of ['all', 'seq', 'hash'] as const) {
      await expect(runAs(app.db, operatorOf(T_APPROLE), (w) => sealedLooking(w.tx, cols)), cols).rejects.toThrow(/permission denied/);
      await expect(sealedLooking(app.db.system, cols), cols).rejects.toThrow(/only unsealed entries/);
    }
    expect((await chain(app.db.system, T_APPROLE)).length).toBe(head);
    await runAs(app.db, operatorOf(T_APPROLE), (w) => appendEntry(w.tx, w, { action: 'read', targetType: 'person' }));
    expect((await seal(T_APPROLE))[0]).toMatchObject({ sealed: 1, headSeq: head + 1 });
    expect(await verify(T_APPROLE)).toMatchObject({ ok: true, verified: head + 1, pending: 0 });
  });

  it('a chain sealed before migration 0012 (unkeyed) is closed with a signed legacy-end checkpoint and continues keyed; the owner cannot declare a keyed chain legacy', async () => {
    // Before 0120 there was no keyed chain to continue, and no 'keyed' flag on the head.
    await runAs(app.db, operatorOf(T_LEGACY), async (w) => {
      for (let i = 1; i <= 4; i++) await appendEntry(w.tx, w, { action: 'read', targetType: 'person', targetId: `l-${i}` });
    });
    // Sealed the old way (as the sealer before 0012 did: the update path the guard allows).
    await app.db.system.transaction().execute(async (tx) => {
      const rows = (
        await sql<ChainRow>`SELECT tenant_code, id, NULL::bigint AS seq, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts,
          actor_kind, actor_id, actor_login, action, target_type, target_id, subject_ref, purpose, request_id, client_address, terminal_id, program, outcome, detail::text AS detail, prev_hash, hash
          FROM kernel.audit_log WHERE tenant_code = ${T_LEGACY} ORDER BY id`.execute(tx)
      ).rows;
      let prev = genesis(T_LEGACY);
      let seq = 0;
      for (const r of rows) {
        seq += 1;
        const h = unkeyed(prev, r, seq);
        await sql`UPDATE kernel.audit_log SET seq = ${seq}, prev_hash = ${prev}, hash = ${h} WHERE tenant_code = ${T_LEGACY} AND id = ${r.id}`.execute(tx);
        prev = h;
      }
      await sql`INSERT INTO kernel.audit_chain_heads (tenant_code, seq, hash, keyed) VALUES (${T_LEGACY}, ${seq}, ${prev}, false)`.execute(tx);
    });
    const head = await fill(T_LEGACY, 3);
    expect(head).toBe(7);
    expect((await checkpoints(T_LEGACY))[0]).toEqual([4, 'legacy-end']);
    expect(witnessed(T_LEGACY)[0]).toEqual({ seq: 4, reason: 'legacy-end' });
    expect(await verify(T_LEGACY)).toMatchObject({ ok: true, verified: 7 });

    // The keyed part is keyed: an unkeyed recomputation from seq 6 is named at seq 6.
    await asRogueDba(app, async (tx) => {
      const rows = (await chain(tx, T_LEGACY)).filter((r) => r.seq >= 6);
      await sql`UPDATE kernel.audit_log SET target_id = 'x' WHERE tenant_code = ${T_LEGACY} AND id = ${rows[0]!.id}`.execute(tx);
      let prev = rows[0]!.prev_hash;
      for (const r of await chain(tx, T_LEGACY)) {
        if (r.seq < 6) continue;
        const h = unkeyed(prev, r, r.seq);
        await sql`UPDATE kernel.audit_log SET prev_hash = ${prev}, hash = ${h} WHERE tenant_code = ${T_LEGACY} AND id = ${r.id}`.execute(tx);
        prev = h;
      }
    });
    expect((await verify(T_LEGACY)).failure).toMatchObject({ kind: 'hash-mismatch', seq: 6 });

    // Clearing the flag does not get a keyed chain re-declared legacy: the witness knows this tenant.
    await asRogueDba(app, (tx) => sql`UPDATE kernel.audit_chain_heads SET keyed = false WHERE tenant_code = ${T_LEGACY}`.execute(tx));
    await runAs(app.db, operatorOf(T_LEGACY), (w) => appendEntry(w.tx, w, { action: 'read', targetType: 'person' }));
    const [s] = await seal(T_LEGACY);
    expect(s!.refused).toContain('形式');
    expect((await checkpoints(T_LEGACY)).filter(([, reason]) => reason === 'legacy-end')).toEqual([[4, 'legacy-end']]);
  });

  it('`mamori audit verify` reads the witness named by MAMORI_AUDIT_WITNESS and names the missing range', async () => {
    // Before 0120 the command printed 「正常」 for the shortened chain of T_TAIL and exited 0.
    const env = { DATABASE_URL: databaseUrl, MAMORI_AUDIT_WITNESS: witness, MAMORI_CLOCK: clock.setting() };
    const bad = await runCli(['audit', 'verify', '--tenant', T_TAIL, '--data', dataDir], { env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`団体 ${T_TAIL}: 不正を検出 [witness-missing]`);
    expect(bad.stderr).toContain('seq 8–10');
    const good = await runCli(['audit', 'verify', '--tenant', T_APPROLE, '--data', dataDir], { env });
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toContain(`団体 ${T_APPROLE}: 正常`);
  });
});

describe('the witness file (KRN-34, decision 0120)', () => {
  it('is read incrementally; a line torn by a crash is left for later, then closed so the next record stays readable', () => {
    // Before 0120 there was no witness file.
    const dir = mkdtempSync(join(tmpdir(), 'mamori-witness-'));
    try {
      const path = join(dir, 'sub', 'w.jsonl');
      const w = new AuditWitness(path);
      expect(w.read()).toEqual({ records: [], malformed: [] });
      const rec = (seq: number) => ({ v: 1 as const, tenant: '312011', seq, hash: 'ab', reason: 'periodic', at: '2026-11-21T01:00:00.000Z', keyId: 'ak-x', sig: 'AA==' });
      w.append([rec(1), rec(2)]);
      expect(w.read().records.map((r) => r.seq)).toEqual([1, 2]);
      expect(w.top('312011')?.seq).toBe(2);
      appendFileSync(path, '{"v":1,"tenant":"312011","se'); // a crash mid-append
      expect(w.read()).toMatchObject({ malformed: [] });
      w.append([rec(3)]);
      const r = w.read();
      expect(r.records.map((x) => [x.seq, x.line])).toEqual([[1, 1], [2, 2], [3, 4]]);
      expect(r.malformed).toEqual([3]);
      expect(new AuditWitness(path).read()).toEqual(r); // a fresh reader sees the same
      w.append([{ ...rec(0), reason: 'restore' }]);
      expect(w.top('312011')).toMatchObject({ seq: 0, reason: 'restore' });
      expect(w.live('312011').map((x) => x.seq)).toEqual([0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
