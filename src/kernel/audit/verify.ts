// `mamori audit verify`: walks each tenant chain and names the first entry that was altered,
// removed or reordered (KRN-34).
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import type { SignatureVerifier } from '../crypto/index.js';
import { CHAIN_COLUMNS, checkpointMessage, entryHash, genesis, type ChainRow } from './chain.js';

export type VerifyFailureKind =
  | 'hash-mismatch'
  | 'prev-mismatch'
  | 'seq-gap'
  | 'missing-start'
  | 'head-mismatch'
  | 'checkpoint-signature'
  | 'checkpoint-mismatch';

export interface VerifyFailure {
  readonly kind: VerifyFailureKind;
  readonly seq: number | null;
  readonly id: number | null;
  readonly message: string;
}

export interface VerifyResult {
  readonly tenant: string;
  readonly ok: boolean;
  readonly verified: number;
  readonly firstSeq: number | null;
  readonly lastSeq: number | null;
  readonly pending: number;
  readonly checkpoints: number;
  readonly failure?: VerifyFailure;
}

interface Checkpoint {
  seq: number;
  hash: Buffer;
  key_id: string;
  signature: Buffer;
}

export async function verifyTenantChain(db: Kysely<Database>, verifier: SignatureVerifier, tenant: string): Promise<VerifyResult> {
  const cps = (
    await sql<Checkpoint>`SELECT seq, hash, key_id, signature FROM kernel.audit_checkpoints WHERE tenant_code = ${tenant} ORDER BY seq`.execute(db)
  ).rows;
  const head = (await sql<{ seq: number; hash: Buffer }>`SELECT seq, hash FROM kernel.audit_chain_heads WHERE tenant_code = ${tenant}`.execute(db)).rows[0];
  const pending = Number(
    (await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE tenant_code = ${tenant} AND seq IS NULL`.execute(db)).rows[0]?.n ?? 0,
  );
  const base = { tenant, pending, checkpoints: cps.length };
  const fail = (verified: number, firstSeq: number | null, lastSeq: number | null, failure: VerifyFailure): VerifyResult => ({
    ...base, ok: false, verified, firstSeq, lastSeq, failure,
  });

  for (const cp of cps) {
    if (!verifier.verify(cp.key_id, checkpointMessage(tenant, cp.seq, cp.hash), cp.signature)) {
      return fail(0, null, null, {
        kind: 'checkpoint-signature', seq: cp.seq, id: null,
        message: `チェックポイント seq ${cp.seq} の署名を検証できません（鍵 ${cp.key_id}）`,
      });
    }
  }
  const cpBySeq = new Map(cps.map((c) => [c.seq, c]));

  let expected: number | null = null;
  let prev: Buffer = genesis(tenant);
  let verified = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  let after = -1;
  for (;;) {
    const rows = (
      await sql<ChainRow>`SELECT ${CHAIN_COLUMNS} FROM kernel.audit_log
                          WHERE tenant_code = ${tenant} AND seq IS NOT NULL AND seq > ${after}
                          ORDER BY seq LIMIT 5000`.execute(db)
    ).rows;
    if (rows.length === 0) break;
    for (const r of rows) {
      const seq = r.seq!;
      if (expected === null) {
        firstSeq = seq;
        if (seq !== 1) {
          const cp = cpBySeq.get(seq - 1);
          if (!cp) {
            return fail(0, seq, null, {
              kind: 'missing-start', seq, id: r.id,
              message: `seq ${seq}（id ${r.id}）より前のエントリがなく、seq ${seq - 1} の署名付きチェックポイントもありません（先頭の削除の疑い）`,
            });
          }
          prev = cp.hash;
        }
        expected = seq;
      }
      if (seq !== expected) {
        return fail(verified, firstSeq, lastSeq, {
          kind: 'seq-gap', seq, id: r.id,
          message: `seq ${expected} が見つかりません。seq ${lastSeq} の次が seq ${seq}（id ${r.id}）です（削除の疑い）`,
        });
      }
      if (!r.prev_hash || !r.prev_hash.equals(prev)) {
        return fail(verified, firstSeq, lastSeq, {
          kind: 'prev-mismatch', seq, id: r.id,
          message: `seq ${seq}（id ${r.id}）の前エントリハッシュが連鎖と一致しません（削除・並べ替えの疑い）`,
        });
      }
      const h = entryHash(prev, r, seq);
      if (!r.hash || !r.hash.equals(h)) {
        return fail(verified, firstSeq, lastSeq, {
          kind: 'hash-mismatch', seq, id: r.id,
          message: `seq ${seq}（id ${r.id}）の内容がハッシュと一致しません（改ざん・並べ替えの疑い）`,
        });
      }
      const cp = cpBySeq.get(seq);
      if (cp && !cp.hash.equals(h)) {
        return fail(verified, firstSeq, lastSeq, {
          kind: 'checkpoint-mismatch', seq, id: r.id,
          message: `seq ${seq}（id ${r.id}）のハッシュが署名付きチェックポイントと一致しません（連鎖の再計算による改ざんの疑い）`,
        });
      }
      prev = h;
      lastSeq = seq;
      expected = seq + 1;
      verified += 1;
    }
    after = lastSeq ?? after;
  }
  // The tail: nothing may be missing after the last entry present.
  const lastCp = cps.at(-1);
  if (verified === 0) {
    if (head && head.seq > 0 && !(lastCp && lastCp.seq === head.seq && lastCp.hash.equals(head.hash))) {
      return fail(0, null, null, {
        kind: 'head-mismatch', seq: head.seq, id: null,
        message: `封印済みのエントリ（seq ${head.seq} まで）がすべてありません（削除の疑い）`,
      });
    }
  } else {
    if (lastCp && lastCp.seq > lastSeq!) {
      return fail(verified, firstSeq, lastSeq, {
        kind: 'head-mismatch', seq: lastCp.seq, id: null,
        message: `署名付きチェックポイント seq ${lastCp.seq} までのエントリがありません（末尾 seq ${lastSeq} 以降の削除の疑い）`,
      });
    }
    if (head && (head.seq !== lastSeq || !head.hash.equals(prev))) {
      return fail(verified, firstSeq, lastSeq, {
        kind: 'head-mismatch', seq: head.seq, id: null,
        message: `連鎖の末尾（seq ${lastSeq}）が記録された末尾位置（seq ${head.seq}）と一致しません（末尾の削除の疑い）`,
      });
    }
  }
  return { ...base, ok: true, verified, firstSeq, lastSeq };
}

export async function verifyChains(db: Kysely<Database>, verifier: SignatureVerifier, tenant?: string): Promise<VerifyResult[]> {
  const tenants = tenant
    ? [tenant]
    : (
        await sql<{ tenant_code: string }>`SELECT tenant_code FROM kernel.audit_chain_heads
                                           UNION SELECT DISTINCT tenant_code FROM kernel.audit_log ORDER BY 1`.execute(db)
      ).rows.map((r) => r.tenant_code);
  const out: VerifyResult[] = [];
  for (const t of tenants) out.push(await verifyTenantChain(db, verifier, t));
  return out;
}
