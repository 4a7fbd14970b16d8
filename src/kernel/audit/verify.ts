// `mamori audit verify`: walks each tenant chain and names the first entry that was altered,
// removed or reordered (KRN-34).  Since decision 0120 the entry hashes are keyed (an owner who edits an entry
// cannot recompute them) and the chain is compared with the checkpoints witnessed outside the database, so
// that deleting the newest entries, moving the head back and deleting checkpoint rows names the missing range.
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/index.js';
import { CHAIN_COLUMNS, checkpointMessage, entryMac, genesis, legacyEntryHash, type AuditTrust, type ChainRow } from './chain.js';
import type { WitnessRead, WitnessRecord } from './witness.js';

export type VerifyFailureKind =
  | 'hash-mismatch'
  | 'prev-mismatch'
  | 'seq-gap'
  | 'missing-start'
  | 'head-mismatch'
  | 'checkpoint-signature'
  | 'checkpoint-mismatch'
  | 'witness-missing'
  | 'witness-mismatch'
  | 'witness-signature';

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
  reason: string;
  sig_version: number;
}

export async function verifyTenantChain(db: Kysely<Database>, trust: AuditTrust, tenant: string, witnessRead: WitnessRead = trust.witness.read()): Promise<VerifyResult> {
  const cps = (
    await sql<Checkpoint>`SELECT seq::bigint AS seq, hash, key_id, signature, reason, sig_version FROM kernel.audit_checkpoints WHERE tenant_code = ${tenant} ORDER BY seq`.execute(db)
  ).rows.map((c) => ({ ...c, seq: Number(c.seq) }));
  const headRow = (await sql<{ seq: number | string; hash: Buffer }>`SELECT seq, hash FROM kernel.audit_chain_heads WHERE tenant_code = ${tenant}`.execute(db)).rows[0];
  const head = headRow ? { seq: Number(headRow.seq), hash: headRow.hash } : undefined;
  const pending = Number(
    (await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE tenant_code = ${tenant} AND seq IS NULL`.execute(db)).rows[0]?.n ?? 0,
  );
  const base = { tenant, pending, checkpoints: cps.length };
  const fail = (verified: number, firstSeq: number | null, lastSeq: number | null, failure: VerifyFailure): VerifyResult => ({
    ...base, ok: false, verified, firstSeq, lastSeq, failure,
  });

  for (const cp of cps) {
    const msg = checkpointMessage(tenant, cp.seq, cp.hash, cp.reason, cp.sig_version === 1 ? 1 : 2);
    if (!trust.verify(cp.key_id, msg, cp.signature)) {
      return fail(0, null, null, {
        kind: 'checkpoint-signature', seq: cp.seq, id: null,
        message: `チェックポイント seq ${cp.seq} の署名を検証できません（鍵 ${cp.key_id}）`,
      });
    }
  }
  // The witness (outside the database): every line must carry the signing key's signature.
  if (witnessRead.malformed.length) {
    return fail(0, null, null, {
      kind: 'witness-signature', seq: null, id: null,
      message: `証跡ファイルの ${witnessRead.malformed.join('、')} 行目が読めません（証跡ファイルの改ざんの疑い）`,
    });
  }
  const mine = witnessRead.records.filter((r) => r.tenant === tenant);
  for (const r of mine) {
    if (!trust.verify(r.keyId, checkpointMessage(tenant, r.seq, Buffer.from(r.hash, 'hex'), r.reason), Buffer.from(r.sig, 'base64'))) {
      return fail(0, null, null, {
        kind: 'witness-signature', seq: r.seq, id: null,
        message: `証跡ファイル ${r.line} 行目（seq ${r.seq}）の署名を検証できません（証跡ファイルの改ざんの疑い）`,
      });
    }
  }
  const live = trust.witness.live(tenant, witnessRead);
  const witnessBySeq = new Map<number, WitnessRecord>();
  for (const r of live) witnessBySeq.set(r.seq, r);
  const witnessTop = live.reduce((m, r) => Math.max(m, r.seq), 0);
  // Entries up to a signed 'legacy-end' were sealed before migration 0012 with the unkeyed v1 hash.
  const legacyThrough = Math.max(
    0,
    ...cps.filter((c) => c.reason === 'legacy-end' && c.sig_version !== 1).map((c) => c.seq),
    ...mine.filter((r) => r.reason === 'legacy-end').map((r) => r.seq),
  );
  let lastWitnessOk = 0;
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
      const h = seq <= legacyThrough ? legacyEntryHash(prev, r, seq) : entryMac(trust, prev, r, seq);
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
      const w = witnessBySeq.get(seq);
      if (w) {
        if (!Buffer.from(w.hash, 'hex').equals(h)) {
          return fail(verified, firstSeq, lastSeq, {
            kind: 'witness-mismatch', seq, id: r.id,
            message: `seq ${seq}（id ${r.id}）のハッシュが証跡ファイルのチェックポイントと一致しません（seq ${Math.max(lastWitnessOk + 1, firstSeq ?? 1)}–${seq} の差し替えの疑い）`,
          });
        }
        lastWitnessOk = seq;
      }
      prev = h;
      lastSeq = seq;
      expected = seq + 1;
      verified += 1;
    }
    after = lastSeq ?? after;
  }
  // The tail: nothing may be missing after the last entry present.  The witness first: the owner can rewind
  // the head and delete checkpoint rows, but not the witnessed checkpoints (KRN-34).
  const lastCp = cps.at(-1);
  // Everything purged behind a checkpoint at the head counts as present up to the head.
  const have = lastSeq ?? (head && lastCp && lastCp.seq === head.seq && lastCp.hash.equals(head.hash) ? head.seq : 0);
  const from = have + 1;
  if (witnessTop > have) {
    return fail(verified, firstSeq, lastSeq, {
      kind: 'witness-missing', seq: from, id: null,
      message: `seq ${from}–${witnessTop} のエントリがありません（証跡ファイルに seq ${witnessTop} までの署名付きチェックポイントがあります。末尾の削除・巻き戻しの疑い）`,
    });
  }
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
        message: `seq ${lastSeq! + 1}–${lastCp.seq} のエントリがありません（署名付きチェックポイント seq ${lastCp.seq} までのエントリがありません。末尾 seq ${lastSeq} 以降の削除の疑い）`,
      });
    }
    if (head && (head.seq !== lastSeq || !head.hash.equals(prev))) {
      return fail(verified, firstSeq, lastSeq, {
        kind: 'head-mismatch', seq: head.seq, id: null,
        message: head.seq > lastSeq!
          ? `seq ${lastSeq! + 1}–${head.seq} のエントリがありません（連鎖の末尾 seq ${lastSeq} が記録された末尾位置 seq ${head.seq} と一致しません。末尾の削除の疑い）`
          : `連鎖の末尾（seq ${lastSeq}）が記録された末尾位置（seq ${head.seq}）と一致しません（末尾の削除の疑い）`,
      });
    }
  }
  return { ...base, ok: true, verified, firstSeq, lastSeq };
}

export async function verifyChains(db: Kysely<Database>, trust: AuditTrust, tenant?: string): Promise<VerifyResult[]> {
  const witnessRead = trust.witness.read();
  const tenants = tenant
    ? [tenant]
    : [
        ...new Set([
          ...(
            await sql<{ tenant_code: string }>`SELECT tenant_code FROM kernel.audit_chain_heads
                                               UNION SELECT DISTINCT tenant_code FROM kernel.audit_log`.execute(db)
          ).rows.map((r) => r.tenant_code),
          // A tenant whose every row was deleted is still known to the witness.
          ...[...new Set(witnessRead.records.map((r) => r.tenant))].filter((t) => trust.witness.live(t, witnessRead).some((r) => r.seq > 0)),
        ]),
      ].sort();
  const out: VerifyResult[] = [];
  for (const t of tenants) out.push(await verifyTenantChain(db, trust, t, witnessRead));
  return out;
}
