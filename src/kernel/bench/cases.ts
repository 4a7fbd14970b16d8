// Kernel bench cases: operation-log appends on the server database and vault encrypt+index.
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { MamoriDb } from '../db/index.js';
import { runAs, newMeta, type Principal } from '../context/index.js';
import { appendEntry, auditWriterFor, sealPending } from '../audit/index.js';
import { Vault, type TenantKeySet } from '../vault/index.js';
import { syntheticMyNumber } from '../mynumber/index.js';
import type { AuditTrust } from '../audit/index.js';
import { syncThroughput, throughput, type BenchCase, type BenchContext, type BenchResult } from './harness.js';

export interface ServerBenchContext extends BenchContext {
  /** A migrated app on a durable throwaway PostgreSQL server with one tenant. */
  server(): Promise<{ db: MamoriDb; auditKeys: AuditTrust; tenant: string; principal: Principal; url: string }>;
}

/**
 * audit.append: operation-log entries appended by 32 concurrent callers through the kernel's audit writer,
 * each call resolving only when its entry is durably committed (fsync on), with the sealer chaining them as
 * in a running server; the figure counts only entries sealed by the end.  Baseline: the same server's
 * single-row INSERT transactions per second into a plain table of the same row width, same durability and
 * concurrency — the naive way to append.  The notes also give the rate of appends made inside business
 * transactions (runAs: BEGIN+tenant, INSERT, COMMIT).
 */
export const auditAppendCase: BenchCase<ServerBenchContext> = {
  name: 'audit.append',
  description: '操作ログの追記（サーバーDB、封印込み）',
  async run(ctx): Promise<BenchResult> {
    const { db, auditKeys, tenant, principal, url } = await ctx.server();
    const seconds = ctx.quick ? 3 : 10;
    const concurrency = 32;
    const entry = { action: 'read', targetType: 'resident', targetId: '000123', detail: { n: 1 } };
    const plain = new pg.Pool({ connectionString: url, max: concurrency });
    await plain.query(`CREATE TABLE IF NOT EXISTS public.bench_plain_log (LIKE kernel.audit_log INCLUDING DEFAULTS INCLUDING IDENTITY)`);
    const baseline = await throughput(
      async () => {
        await plain.query(
          `INSERT INTO public.bench_plain_log (tenant_code, actor_kind, actor_login, action, target_type, target_id, request_id, program, outcome, detail)
           VALUES ($1, 'staff', 'bench', 'read', 'resident', '000123', $2, 'bench', 'success', $3::jsonb)`,
          [tenant, randomBytes(8).toString('hex'), '{"n":1}'],
        );
      },
      { seconds, concurrency },
    );
    await plain.end();
    const inTx = await throughput(() => runAs(db, { ...principal, meta: newMeta('bench') }, (w) => appendEntry(w.tx, w, entry)), { seconds: Math.max(2, seconds / 3), concurrency });
    await sealPending(db.system, auditKeys, tenant);

    const writer = auditWriterFor(db);
    const count = async () => Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE tenant_code = ${tenant}`.execute(db.system)).rows[0]!.n);
    const before = await count();
    let sealing = true;
    const sealer = (async () => {
      while (sealing) {
        await sealPending(db.system, auditKeys, tenant);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const start = performance.now();
    const rate = await throughput(() => writer.append({ ...principal, meta: newMeta('bench') }, entry), { seconds, concurrency, warmupSeconds: 0 });
    await writer.flush();
    sealing = false;
    await sealer;
    await sealPending(db.system, auditKeys, tenant);
    const elapsed = (performance.now() - start) / 1000;
    const sealedAfter = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE tenant_code = ${tenant} AND seq IS NOT NULL`.execute(db.system)).rows[0]!.n);
    const appended = (await count()) - before;
    const sealedRate = (sealedAfter - before) / elapsed;
    const value = Math.min(rate, sealedRate);
    return {
      name: this.name,
      value,
      unit: 'entries/s',
      baseline,
      baselineUnit: 'inserts/s',
      ratio: value / baseline,
      goal: '≥ 5,000/s',
      pass: value >= 5000 && appended === sealedAfter - before,
      notes: `concurrency ${concurrency}, ${seconds}s, fsync on; writer ${Math.round(rate)}/s, sealed ${Math.round(sealedRate)}/s including the final seal; inside business transactions (runAs) ${Math.round(inTx)}/s`,
    };
  },
};

/**
 * vault.seal: validating, AES-256-GCM-encrypting (row-bound AAD) and HMAC-indexing My Numbers with loaded
 * tenant keys.  Baseline: the bare Node crypto calls (one AES-256-GCM encryption of 12 bytes plus one
 * HMAC-SHA-256) in the same loop.
 */
export const vaultSealCase: BenchCase = {
  name: 'vault.seal',
  description: '個人番号の暗号化＋検索用インデックス',
  async run(ctx): Promise<BenchResult> {
    const seconds = ctx.quick ? 1 : 3;
    const keys: TenantKeySet = { tenant: '312011', encVersion: 1, enc: new Map([[1, randomBytes(32)]]), indexVersion: 1, index: randomBytes(32) };
    const numbers = Array.from({ length: 10_000 }, (_, i) => syntheticMyNumber('bench', i));
    const value = syncThroughput((i) => {
      Vault.sealWith(keys, { subjectType: 'resident', subjectId: String(i % 10_000) }, numbers[i % 10_000]!);
    }, seconds);
    const key = keys.enc.get(1)!;
    const baseline = syncThroughput((i) => {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      c.update(numbers[i % 10_000]!, 'ascii');
      c.final();
      c.getAuthTag();
      createHmac('sha256', keys.index).update(numbers[i % 10_000]!).digest();
    }, seconds);
    return { name: this.name, value, unit: 'numbers/s', baseline, baselineUnit: 'raw crypto ops/s', ratio: value / baseline, goal: '≥ 20,000/s', pass: value >= 20000 };
  },
};
