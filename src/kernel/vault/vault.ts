// The My Number vault (KRN-02, KRN-09, KRN-12, KRN-29).
//
// - Envelope encryption: each tenant has data keys ('mynumber' for AES-256-GCM, 'blind-index' for
//   HMAC-SHA-256) wrapped by the master key.  A ciphertext is bound to its row by the associated data
//   "tenant|subject_type|subject_id|key_version", so a ciphertext copied to another row does not open.
// - Exact lookup without decryption through the blind index HMAC(index key, number).
// - Reveal requires the My Number view flag and a stated purpose; every reveal, lookup and store is an
//   operation-log entry.  Denied reveals are logged too.
import { createHmac, randomBytes } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import { arrayLiteral, type Database } from '../db/index.js';
import type { Work } from '../context/index.js';
import { appendEntry } from '../audit/index.js';
import { open, seal, wrapContext, type KeyEncryptionKeys, type TenantKeyService } from '../crypto/index.js';
import { Problem, forbidden, invalidField, notFound } from '../problems/index.js';
import { checkMyNumber } from '../mynumber/index.js';
import { formatJst } from '../jp/index.js';

export interface TenantKeySet {
  readonly tenant: string;
  readonly encVersion: number;
  readonly enc: ReadonlyMap<number, Buffer>;
  readonly indexVersion: number;
  readonly index: Buffer;
}

export interface SealedMyNumber {
  readonly ciphertext: Buffer;
  readonly keyVersion: number;
  readonly blindIndex: Buffer;
  readonly indexVersion: number;
}

function aad(tenant: string, subjectType: string, subjectId: string, version: number): string {
  return `mynumber|${tenant}|${subjectType}|${subjectId}|${version}`;
}

export interface SubjectRef {
  readonly subjectType: string;
  readonly subjectId: string;
}

export class Vault {
  constructor(private readonly tenantKeys: TenantKeyService) {}

  /** The tenant's My Number and blind-index keys, loaded through the tenant-confined transaction. */
  async keysFor(w: Work, needEncVersion = 0): Promise<TenantKeySet> {
    const enc = await this.tenantKeys.series(w.tx, w.tenant, 'mynumber', needEncVersion);
    const idx = await this.tenantKeys.series(w.tx, w.tenant, 'blind-index');
    return { tenant: w.tenant, encVersion: enc.current, enc: enc.keys, indexVersion: idx.current, index: idx.keys.get(idx.current)! };
  }


  /** Pure: validates, encrypts and indexes one number with already-loaded keys (bulk imports, bench). */
  static sealWith(keys: TenantKeySet, subject: SubjectRef, myNumber: string, knownIndex?: Buffer): SealedMyNumber {
    const c = checkMyNumber(myNumber);
    if (!c.ok) throw invalidField('myNumber', c.code, c.message);
    const key = keys.enc.get(keys.encVersion)!;
    return {
      ciphertext: seal(key, Buffer.from(c.value, 'ascii'), aad(keys.tenant, subject.subjectType, subject.subjectId, keys.encVersion)),
      keyVersion: keys.encVersion,
      // A caller that computed the index with these keys (blindIndex) passes it in: an HMAC less per number.
      blindIndex: knownIndex ?? blindIndex(keys, c.value),
      indexVersion: keys.indexVersion,
    };
  }

  /** Stores (or replaces) the My Number of a subject.  Logged (with the purpose, when given) unless the caller logs the batch. */
  async store(w: Work, subject: SubjectRef, myNumber: string, opts: { audit?: boolean; purpose?: string; subjectRef?: string } = {}): Promise<void> {
    const keys = await this.keysFor(w);
    const s = Vault.sealWith(keys, subject, myNumber);
    await w.tx
      .insertInto('kernel.mynumber_vault')
      .values({
        tenant_code: w.tenant,
        subject_type: subject.subjectType,
        subject_id: subject.subjectId,
        ciphertext: s.ciphertext,
        key_version: s.keyVersion,
        blind_index: s.blindIndex,
        index_version: s.indexVersion,
      })
      .onConflict((oc) =>
        oc.columns(['tenant_code', 'subject_type', 'subject_id']).doUpdateSet({
          ciphertext: s.ciphertext,
          key_version: s.keyVersion,
          blind_index: s.blindIndex,
          index_version: s.indexVersion,
          suppressed_at: null,
          suppressed_reason: null,
        }),
      )
      .execute();
    if (opts.audit !== false) {
      await appendEntry(w.tx, w, {
        action: 'mynumber_store',
        targetType: 'mynumber',
        targetId: `${subject.subjectType}:${subject.subjectId}`,
        subjectRef: opts.subjectRef ?? `${subject.subjectType}:${subject.subjectId}`,
        purpose: opts.purpose,
      });
    }
  }

  /**
   * Bulk form for imports: which subjects already hold each of these (valid) numbers, in one query.  The
   * caller logs the batch.  Returns number → subject ids.  `knownIndexes` (number → blindIndex with the
   * current keys) spares recomputing them.
   */
  async holders(w: Work, subjectType: string, numbers: readonly string[], knownIndexes?: ReadonlyMap<string, Buffer>): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (numbers.length === 0) return out;
    const keys = await this.keysFor(w);
    const byIndex = new Map(numbers.map((n) => [(knownIndexes?.get(n) ?? blindIndex(keys, n)).toString('hex'), n]));
    const rows = await w.tx
      .selectFrom('kernel.mynumber_vault')
      .select(['subject_id', 'blind_index'])
      .where('tenant_code', '=', w.tenant)
      .where('subject_type', '=', subjectType)
      // Spelled out so that the partial index mynumber_vault_index is used for long lists too (the planner
      // proves "IS NOT NULL" from an IN list of at most 100 values only).
      .where('blind_index', 'is not', null)
      .where('blind_index', 'in', [...byIndex.keys()].map((h) => Buffer.from(h, 'hex')))
      .execute();
    for (const r of rows) {
      const n = byIndex.get(r.blind_index!.toString('hex'))!;
      out.set(n, [...(out.get(n) ?? []), r.subject_id]);
    }
    return out;
  }

  /**
   * Bulk store for imports (one multi-row upsert per 5,000 subjects, each column sent as one array); numbers
   * must be valid.  The caller logs each subject.
   */
  async storeMany(w: Work, items: readonly { subject: SubjectRef; myNumber: string; blindIndex?: Buffer }[]): Promise<void> {
    if (items.length === 0) return;
    const keys = await this.keysFor(w);
    for (const q of Vault.storeManyStatements(keys, items)) await q.execute(w.tx);
  }

  /**
   * storeMany as statements sealed now and run later in the tenant's transaction (bulk writers seal the
   * next batch while the database stores the previous one).  `keys` from keysFor.
   */
  static storeManyStatements(keys: TenantKeySet, items: readonly { subject: SubjectRef; myNumber: string; blindIndex?: Buffer }[]): RawBuilder<unknown>[] {
    const out: RawBuilder<unknown>[] = [];
    for (let i = 0; i < items.length; i += 5000) {
      const chunk = items.slice(i, i + 5000);
      const sealed = chunk.map(({ subject, myNumber, blindIndex: idx }) => Vault.sealWith(keys, subject, myNumber, idx));
      out.push(sql`INSERT INTO kernel.mynumber_vault (tenant_code, subject_type, subject_id, ciphertext, key_version, blind_index, index_version)
        SELECT ${keys.tenant}, u.subject_type, u.subject_id, u.ciphertext, u.key_version, u.blind_index, u.index_version
        FROM unnest(${arrayLiteral(chunk.map((x) => x.subject.subjectType))}::text[], ${arrayLiteral(chunk.map((x) => x.subject.subjectId))}::text[],
                    ${arrayLiteral(sealed.map((x) => x.ciphertext))}::bytea[], ${arrayLiteral(sealed.map((x) => x.keyVersion))}::int[],
                    ${arrayLiteral(sealed.map((x) => x.blindIndex))}::bytea[], ${arrayLiteral(sealed.map((x) => x.indexVersion))}::int[])
             AS u(subject_type, subject_id, ciphertext, key_version, blind_index, index_version)
        ON CONFLICT (tenant_code, subject_type, subject_id) DO UPDATE SET ciphertext = excluded.ciphertext, key_version = excluded.key_version,
          blind_index = excluded.blind_index, index_version = excluded.index_version, suppressed_at = NULL, suppressed_reason = NULL`);
    }
    return out;
  }

  /** The blind index of a valid number for this tenant (e.g. to notice that a stored number changed). */
  async indexOf(w: Work, myNumber: string): Promise<Buffer> {
    return blindIndex(await this.keysFor(w), myNumber);
  }

  /** Stored blind indexes of these subjects (no decryption), subject id → index. */
  async storedIndexes(w: Work, subjectType: string, subjectIds: readonly string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    if (subjectIds.length === 0) return out;
    const rows = await w.tx
      .selectFrom('kernel.mynumber_vault')
      .select(['subject_id', 'blind_index'])
      .where('tenant_code', '=', w.tenant)
      .where('subject_type', '=', subjectType)
      .where('subject_id', 'in', [...subjectIds])
      .where('blind_index', 'is not', null)
      .execute();
    for (const r of rows) out.set(r.subject_id, r.blind_index!);
    return out;
  }

  /** Subjects of `subjectType` holding exactly this number (blind index); logged with its purpose. */
  async lookup(w: Work, subjectType: string, myNumber: string, purpose: string): Promise<string[]> {
    requirePurpose(purpose);
    const keys = await this.keysFor(w);
    const c = checkMyNumber(myNumber);
    if (!c.ok) throw invalidField('myNumber', c.code, c.message);
    const rows = await w.tx
      .selectFrom('kernel.mynumber_vault')
      .select('subject_id')
      .where('tenant_code', '=', w.tenant)
      .where('subject_type', '=', subjectType)
      .where('blind_index', '=', blindIndex(keys, c.value))
      .execute();
    await appendEntry(w.tx, w, {
      action: 'mynumber_lookup',
      targetType: 'mynumber',
      purpose,
      detail: { subjectType, matches: rows.length },
    });
    return rows.map((r) => r.subject_id);
  }

  async has(w: Work, subject: SubjectRef): Promise<boolean> {
    const r = await w.tx
      .selectFrom('kernel.mynumber_vault')
      .select('ciphertext')
      .where('tenant_code', '=', w.tenant)
      .where('subject_type', '=', subject.subjectType)
      .where('subject_id', '=', subject.subjectId)
      .executeTakeFirst();
    return !!r?.ciphertext;
  }

  /**
   * Decrypts one number for a person holding the view flag, for a stated purpose (KRN-29).  `subjectRef` is
   * how the caller's system names the person in the operation log (e.g. 'resident:<宛名番号>'), so that the
   * reveal appears in that person's access history; by default the vault subject.
   */
  async reveal(w: Work, subject: SubjectRef, purpose: string, opts: { subjectRef?: string } = {}): Promise<string> {
    const target = `${subject.subjectType}:${subject.subjectId}`;
    const subjectRef = opts.subjectRef ?? target;
    if (!w.actor.mynumberView) {
      throw forbidden('個人番号を表示する権限（個人番号閲覧可能フラグ）がありません。').withAudit({
        action: 'mynumber_reveal', targetType: 'mynumber', targetId: target, subjectRef, purpose, outcome: 'denied',
      });
    }
    requirePurpose(purpose);
    const row = await w.tx
      .selectFrom('kernel.mynumber_vault')
      .select(['ciphertext', 'key_version', 'suppressed_at', 'suppressed_reason'])
      .where('tenant_code', '=', w.tenant)
      .where('subject_type', '=', subject.subjectType)
      .where('subject_id', '=', subject.subjectId)
      .executeTakeFirst();
    if (row?.suppressed_at && !row.ciphertext) {
      // KRN-12: a blanked number is gone; say so, and when and why, instead of "not found".
      throw new Problem(
        410,
        'MYNUMBER_ERASED',
        '個人番号は消去されています',
        `この個人番号は ${formatJst(row.suppressed_at)} に消去されたため表示できません（理由：${row.suppressed_reason ?? '記載なし'}）。`,
      ).withAudit({ action: 'mynumber_reveal', targetType: 'mynumber', targetId: target, subjectRef, purpose, outcome: 'failure', detail: { reason: 'erased' } });
    }
    if (!row || !row.ciphertext || row.key_version === null) throw notFound('個人番号');
    const keys = await this.keysFor(w, row.key_version);
    const key = keys.enc.get(row.key_version);
    if (!key) throw new Problem(500, 'KEY_VERSION_MISSING', 'データ鍵がありません', `鍵バージョン ${row.key_version} がありません。`);
    let plain: string;
    try {
      plain = open(key, row.ciphertext, aad(w.tenant, subject.subjectType, subject.subjectId, row.key_version)).toString('ascii');
    } catch {
      // The ciphertext does not open with its own row binding: altered, or copied from another row.
      throw new Problem(500, 'MYNUMBER_DECRYPT_FAILED', '個人番号を復号できません', '保管されている暗号文が改ざんまたは破損しています。システム管理者に連絡してください。').withAudit({
        action: 'mynumber_reveal', targetType: 'mynumber', targetId: target, subjectRef, purpose, outcome: 'failure', detail: { reason: 'decrypt-failed' },
      });
    }
    await appendEntry(w.tx, w, { action: 'mynumber_reveal', targetType: 'mynumber', targetId: target, subjectRef, purpose });
    return plain;
  }

  /**
   * Moves a stored number from one subject to another without handing it to anyone (e.g. a number held with
   * a review-queue item becomes the person's once staff decide who it is).  The source is erased; logged.
   */
  async move(w: Work, from: SubjectRef, to: SubjectRef, purpose: string): Promise<boolean> {
    const row = await w.tx
      .selectFrom('kernel.mynumber_vault')
      .select(['ciphertext', 'key_version'])
      .where('tenant_code', '=', w.tenant)
      .where('subject_type', '=', from.subjectType)
      .where('subject_id', '=', from.subjectId)
      .executeTakeFirst();
    if (!row?.ciphertext || row.key_version === null) return false;
    const keys = await this.keysFor(w, row.key_version);
    const plain = open(keys.enc.get(row.key_version)!, row.ciphertext, aad(w.tenant, from.subjectType, from.subjectId, row.key_version)).toString('ascii');
    await this.store(w, to, plain, { purpose });
    await this.suppress(w, from, purpose);
    return true;
  }

  /**
   * Subjects of `subjectType` among these whose number was erased (suppress): a re-import must not store it
   * again unless the caller decides the subject is live again.
   */
  async erasedSubjects(w: Work, subjectType: string, subjectIds: readonly string[]): Promise<Set<string>> {
    if (subjectIds.length === 0) return new Set();
    const rows = await w.tx
      .selectFrom('kernel.mynumber_vault')
      .select('subject_id')
      .where('tenant_code', '=', w.tenant)
      .where('subject_type', '=', subjectType)
      .where('subject_id', 'in', [...subjectIds])
      .where('suppressed_at', 'is not', null)
      .where('ciphertext', 'is', null)
      .execute();
    return new Set(rows.map((r) => r.subject_id));
  }

  /** When and why a subject's number was erased (KRN-12), or null when it was not. */
  async erasure(w: Work, subject: SubjectRef): Promise<{ at: Date; reason: string | null } | null> {
    const r = await w.tx
      .selectFrom('kernel.mynumber_vault')
      .select(['suppressed_at', 'suppressed_reason'])
      .where('tenant_code', '=', w.tenant)
      .where('subject_type', '=', subject.subjectType)
      .where('subject_id', '=', subject.subjectId)
      .where('ciphertext', 'is', null)
      .executeTakeFirst();
    return r?.suppressed_at ? { at: r.suppressed_at, reason: r.suppressed_reason } : null;
  }

  /** KRN-12: a deleted or retired record's number is erased; the row remains as a tombstone. */
  async suppress(w: Work, subject: SubjectRef, reason: string, opts: { subjectRef?: string } = {}): Promise<boolean> {
    const r = await w.tx
      .updateTable('kernel.mynumber_vault')
      .set({ ciphertext: null, blind_index: null, key_version: null, index_version: null, suppressed_at: w.clock.now(), suppressed_reason: reason })
      .where('tenant_code', '=', w.tenant)
      .where('subject_type', '=', subject.subjectType)
      .where('subject_id', '=', subject.subjectId)
      .where('suppressed_at', 'is', null)
      .executeTakeFirst();
    const done = Number(r.numUpdatedRows) > 0;
    if (done) {
      const target = `${subject.subjectType}:${subject.subjectId}`;
      await appendEntry(w.tx, w, { action: 'mynumber_suppress', targetType: 'mynumber', targetId: target, subjectRef: opts.subjectRef ?? target, purpose: reason });
    }
    return done;
  }

}

export function blindIndex(keys: TenantKeySet, value: string): Buffer {
  return createHmac('sha256', keys.index).update(`mynumber|${keys.tenant}|${value}`).digest();
}

function requirePurpose(purpose: string): void {
  const p = purpose.trim();
  if (p.length < 2 || p.length > 200) throw invalidField('purpose', 'PURPOSE_REQUIRED', '利用目的を2〜200文字で入力してください');
}

// ------------------------------------------------------------------ rotation (mamori keys rotate)

export interface RewrapResult {
  readonly rewrapped: number;
  readonly verified: number;
  readonly kekId: string;
}

/**
 * Re-wraps every tenant data key under the current master key, in one transaction, and checks that
 * each unwraps again before committing.  Data ciphertexts are untouched, so nothing can be lost.
 */
export async function rewrapAllKeys(system: Kysely<Database>, kek: KeyEncryptionKeys): Promise<RewrapResult> {
  return system.transaction().execute(async (tx) => {
    const rows = await tx.selectFrom('kernel.tenant_keys').selectAll().forUpdate().execute();
    let rewrapped = 0;
    for (const r of rows) {
      const ctx = wrapContext(r.tenant_code, r.purpose, r.version);
      const plain = kek.unwrap(r.kek_id, r.wrapped_key, ctx);
      if (r.kek_id === kek.currentId()) continue;
      const { kekId, wrapped } = kek.wrap(plain, ctx);
      if (!kek.unwrap(kekId, wrapped, ctx).equals(plain)) throw new Error('rewrap self-check failed');
      await tx
        .updateTable('kernel.tenant_keys')
        .set({ kek_id: kekId, wrapped_key: wrapped })
        .where('tenant_code', '=', r.tenant_code)
        .where('purpose', '=', r.purpose)
        .where('version', '=', r.version)
        .execute();
      rewrapped += 1;
    }
    return { rewrapped, verified: rows.length, kekId: kek.currentId() };
  });
}

export interface DataKeyRotation {
  readonly tenant: string;
  readonly newVersion: number;
  readonly reencrypted: number;
}

/**
 * Creates a new 'mynumber' data key version for a tenant and re-encrypts every stored number under it
 * in batches (resumable: rows still under an older version are picked up by the next run).  The old
 * version is retired once no row uses it.  The blind index key is unchanged, so lookups keep working.
 */
export async function rotateDataKey(system: Kysely<Database>, kek: KeyEncryptionKeys, tenant: string, batch = 2000): Promise<DataKeyRotation> {
  const current = await system
    .selectFrom('kernel.tenant_keys')
    .select(({ fn }) => fn.max('version').as('v'))
    .where('tenant_code', '=', tenant)
    .where('purpose', '=', 'mynumber')
    .executeTakeFirst();
  const active = await system
    .selectFrom('kernel.tenant_keys')
    .select(['version'])
    .where('tenant_code', '=', tenant)
    .where('purpose', '=', 'mynumber')
    .where('retired_at', 'is', null)
    .orderBy('version', 'desc')
    .executeTakeFirst();
  const maxV = Number(current?.v ?? 0);
  if (maxV === 0) throw new Problem(404, 'TENANT_KEYS_MISSING', 'データ鍵がありません', `団体 ${tenant} のデータ鍵がありません。`);
  // Resume an interrupted rotation instead of starting another one.
  const pendingOld = await system
    .selectFrom('kernel.mynumber_vault')
    .select(({ fn }) => fn.countAll<number>().as('n'))
    .where('tenant_code', '=', tenant)
    .where('key_version', '<', active?.version ?? maxV)
    .executeTakeFirst();
  let newVersion = active?.version ?? maxV;
  if (Number(pendingOld?.n ?? 0) === 0) {
    newVersion = maxV + 1;
    const { kekId, wrapped } = kek.wrap(randomBytes(32), wrapContext(tenant, 'mynumber', newVersion));
    await system.insertInto('kernel.tenant_keys').values({ tenant_code: tenant, purpose: 'mynumber', version: newVersion, kek_id: kekId, wrapped_key: wrapped }).execute();
  }
  const keyRows = await system.selectFrom('kernel.tenant_keys').selectAll().where('tenant_code', '=', tenant).where('purpose', '=', 'mynumber').execute();
  const keys = new Map(keyRows.map((r) => [r.version, kek.unwrap(r.kek_id, r.wrapped_key, wrapContext(tenant, 'mynumber', r.version))]));
  const newKey = keys.get(newVersion)!;
  let reencrypted = 0;
  for (;;) {
    const n = await system.transaction().execute(async (tx) => {
      const rows = await tx
        .selectFrom('kernel.mynumber_vault')
        .select(['subject_type', 'subject_id', 'ciphertext', 'key_version'])
        .where('tenant_code', '=', tenant)
        .where('key_version', '<', newVersion)
        .where('ciphertext', 'is not', null)
        .limit(batch)
        .forUpdate()
        .execute();
      for (const r of rows) {
        const oldKey = keys.get(r.key_version!);
        if (!oldKey) throw new Error(`missing data key version ${r.key_version}`);
        const plain = open(oldKey, r.ciphertext!, aad(tenant, r.subject_type, r.subject_id, r.key_version!));
        const ct = seal(newKey, plain, aad(tenant, r.subject_type, r.subject_id, newVersion));
        await tx
          .updateTable('kernel.mynumber_vault')
          .set({ ciphertext: ct, key_version: newVersion })
          .where('tenant_code', '=', tenant)
          .where('subject_type', '=', r.subject_type)
          .where('subject_id', '=', r.subject_id)
          .execute();
      }
      return rows.length;
    });
    reencrypted += n;
    if (n < batch) break;
  }
  await sql`UPDATE kernel.tenant_keys SET retired_at = now()
            WHERE tenant_code = ${tenant} AND purpose = 'mynumber' AND version < ${newVersion} AND retired_at IS NULL`.execute(system);
  return { tenant, newVersion, reencrypted };
}
