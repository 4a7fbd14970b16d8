// The 全国サーバ's 本人確認情報: applying the 市町村CS's updates (identity.update), bulk loading, and the three
// kinds of query (XCH-23) with their log (XCH-25).  Everything runs as the node's own role on its own
// schema (peers_jlis); the My Number is sealed and indexed with the node's own keys (secrets.ts).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { sql, type Kysely } from 'kysely';
import { arrayLiteral } from '../../kernel/db/index.js';
import { checkMyNumber } from '../../kernel/mynumber/index.js';
import { isIsoDate, checkLocalGovernmentCode } from '../../kernel/jp/index.js';
import { Problem, invalidField, parseInput } from '../../kernel/problems/index.js';
import type { JlisSecrets } from './secrets.js';
import { addressKey, nameKey } from './normalize.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';

export const JLIS_SCHEMA = 'peers_jlis';
export const JLIS_ROLE = 'mamori_jlis';

export type IdentityStatus = 'resident' | 'moved-out' | 'deceased';
export const STATUSES: readonly IdentityStatus[] = ['resident', 'moved-out', 'deceased'];

/** Batch limit of one identity.update message. */
export const MAX_CHANGES = 1000;

const text = (max: number) => z.string().trim().min(1, { message: '入力されていません' }).max(max, { message: `${max}文字以内で指定してください` });
const isoDate = z.string().refine((s) => isIsoDate(s), { message: 'YYYY-MM-DD 形式の実在する日付で指定してください', params: { code: 'INVALID_DATE' } });
const juminhyoCode = z.string().regex(/^[0-9]{11}$/, { message: '住民票コードは11桁の数字です' });
const myNumber = z.string().superRefine((s, ctx) => {
  const c = checkMyNumber(s);
  // The message never repeats the value (no personal data in a refusal).
  if (!c.ok) ctx.addIssue({ code: 'custom', message: c.message, params: { code: c.code } });
});

export const changeSchema = z.strictObject({
  juminhyoCode,
  myNumber: myNumber.optional(),
  name: text(100),
  // Not one of the 4情報: may be empty (a person registered without a reading).
  nameKana: z.string().trim().max(100, { message: '100文字以内で指定してください' }),
  birthDate: isoDate,
  sex: z.enum(['male', 'female'], { message: 'male または female を指定してください' }),
  address: text(200),
  status: z.enum(['resident', 'moved-out', 'deceased'], { message: 'resident、moved-out、deceased のいずれかを指定してください' }),
  movement: z.string().max(20).nullable().optional(),
  movementDate: isoDate.nullable().optional(),
  seq: z.number().int().positive({ message: '1以上の整数で指定してください' }),
});
export type IdentityChange = z.output<typeof changeSchema>;

const tenantCode = z.string().superRefine((s, ctx) => {
  if (!checkLocalGovernmentCode(s).ok) ctx.addIssue({ code: 'custom', message: '団体コードは検査数字付きの6桁で指定してください', params: { code: 'INVALID_TENANT' } });
});

export const updateSchema = z.strictObject({
  tenant: tenantCode,
  changes: z.array(changeSchema).min(1, { message: '1件以上指定してください' }).max(MAX_CHANGES, { message: `1回に${MAX_CHANGES}件までです` }),
});

/** Validates a whole identity.update body; a bad change refuses the whole message (400, the field named). */
export function parseUpdate(body: unknown): { tenant: string; changes: IdentityChange[] } {
  const u = parseInput(updateSchema, body);
  const seen = new Map<number, number>();
  u.changes.forEach((c, i) => {
    const prior = seen.get(c.seq);
    if (prior !== undefined) throw invalidField(`changes.${i}.seq`, 'DUPLICATE_SEQ', `通番 ${c.seq} が changes.${prior} と重複しています`);
    seen.set(c.seq, i);
  });
  return u;
}

// ------------------------------------------------------------------ rows

interface IdentityRow {
  juminhyo_code: string;
  municipality_code: string;
  name: string;
  name_kana: string;
  name_key: string;
  kana_key: string;
  birth_date: string;
  sex: string;
  address: string;
  address_key: string;
  status: string;
  last_movement: string | null;
  last_movement_date: string | null;
  my_number_ct: Buffer | null;
  my_number_key: number | null;
  my_number_index: Buffer | null;
  content_hash: Buffer;
  source_seq: number;
}

const CONTENT_FIELDS = ['municipality_code', 'name', 'name_kana', 'birth_date', 'sex', 'address', 'status', 'last_movement', 'last_movement_date'] as const;

function contentHash(r: Omit<IdentityRow, 'content_hash'>): Buffer {
  const h = createHash('sha256');
  for (const f of CONTENT_FIELDS) h.update(`${f}=${r[f] ?? ''}\u0000`);
  h.update(`my_number=${r.my_number_index ? r.my_number_index.toString('hex') : ''}`);
  return h.digest();
}

/** The row a change (or a bulk row) describes; the My Number sealed only when it is new or changed. */
function rowOf(secrets: JlisSecrets, tenant: string, c: Omit<IdentityChange, 'seq'>, seq: number, prior: IdentityRow | undefined): IdentityRow {
  let ct = prior?.my_number_ct ?? null;
  let ver = prior?.my_number_key ?? null;
  let idx = prior?.my_number_index ?? null;
  if (c.myNumber !== undefined) {
    const n = checkMyNumber(c.myNumber);
    if (!n.ok) throw invalidField('myNumber', n.code, n.message);
    const newIdx = secrets.blindIndex(n.value);
    if (!idx || !idx.equals(newIdx)) {
      const s = secrets.sealMyNumber(c.juminhyoCode, n.value);
      ct = s.ciphertext;
      ver = s.version;
      idx = newIdx;
    }
  }
  const r: Omit<IdentityRow, 'content_hash'> = {
    juminhyo_code: c.juminhyoCode,
    municipality_code: tenant,
    name: c.name,
    name_kana: c.nameKana,
    name_key: nameKey(c.name),
    kana_key: nameKey(c.nameKana),
    birth_date: c.birthDate,
    sex: c.sex,
    address: c.address,
    address_key: addressKey(c.address),
    status: c.status,
    last_movement: c.movement ?? null,
    last_movement_date: c.movementDate ?? null,
    my_number_ct: ct,
    my_number_key: ver,
    my_number_index: idx,
    source_seq: seq,
  };
  return { ...r, content_hash: contentHash(r) };
}

/** The hash of a change as sent (the My Number as its blind index): tells a resend from a reused seq. */
function changeHash(secrets: JlisSecrets, c: IdentityChange): Buffer {
  const h = createHash('sha256');
  for (const k of ['juminhyoCode', 'name', 'nameKana', 'birthDate', 'sex', 'address', 'status', 'movement', 'movementDate'] as const) h.update(`${k}=${c[k] ?? ''}\u0000`);
  h.update(`myNumber=${c.myNumber ? secrets.blindIndex(c.myNumber).toString('hex') : ''}`);
  return h.digest();
}

function changedFields(prior: IdentityRow | undefined, next: IdentityRow): string[] {
  if (!prior) return [...CONTENT_FIELDS, ...(next.my_number_index ? ['my_number'] : [])];
  const out: string[] = CONTENT_FIELDS.filter((f) => String(prior[f] ?? '') !== String(next[f] ?? ''));
  if (!(prior.my_number_index ?? Buffer.alloc(0)).equals(next.my_number_index ?? Buffer.alloc(0))) out.push('my_number');
  return out;
}

const ROW_COLUMNS = [
  'juminhyo_code', 'municipality_code', 'name', 'name_kana', 'name_key', 'kana_key', 'birth_date', 'sex', 'address', 'address_key', 'status',
  'last_movement', 'last_movement_date', 'my_number_ct', 'my_number_key', 'my_number_index', 'content_hash', 'source_seq',
] as const;
const ROW_TYPES: Record<(typeof ROW_COLUMNS)[number], string> = {
  juminhyo_code: 'text', municipality_code: 'text', name: 'text', name_kana: 'text', name_key: 'text', kana_key: 'text', birth_date: 'date', sex: 'text',
  address: 'text', address_key: 'text', status: 'text', last_movement: 'text', last_movement_date: 'date', my_number_ct: 'bytea', my_number_key: 'int',
  my_number_index: 'bytea', content_hash: 'bytea', source_seq: 'bigint',
};

/** One statement upserting many rows (each column sent as one array literal). */
async function upsertRows(db: Kysely<UntypedDatabase>, rows: readonly IdentityRow[], at: Date): Promise<void> {
  if (rows.length === 0) return;
  const cols = ROW_COLUMNS.map((c) => sql`${arrayLiteral(rows.map((r) => r[c]))}::${sql.raw(ROW_TYPES[c])}[]`);
  const names = sql.raw(ROW_COLUMNS.join(', '));
  const updates = sql.raw(ROW_COLUMNS.filter((c) => c !== 'juminhyo_code').map((c) => `${c} = excluded.${c}`).join(', '));
  await sql`INSERT INTO peers_jlis.identities (${names}, updated_at)
    SELECT u.*, ${at}::timestamptz FROM unnest(${sql.join(cols)}) AS u(${names})
    ON CONFLICT (juminhyo_code) DO UPDATE SET ${updates}, updated_at = excluded.updated_at`.execute(db);
}

async function priorRows(db: Kysely<UntypedDatabase>, codes: readonly string[]): Promise<Map<string, IdentityRow>> {
  if (codes.length === 0) return new Map();
  const r = await sql<IdentityRow>`SELECT ${sql.raw(ROW_COLUMNS.join(', '))} FROM peers_jlis.identities
    WHERE juminhyo_code = ANY(${arrayLiteral(codes)}::text[]) FOR UPDATE`.execute(db);
  return new Map(r.rows.map((x) => [x.juminhyo_code, x]));
}

// ------------------------------------------------------------------ identity.update

export interface UpdateResult {
  readonly applied: number;
  readonly unchanged: number;
}

/**
 * Applies one 市町村CS message in one transaction.  A change is unchanged (and nothing is written for it
 * but, the first time, its history row) when (tenant, seq) was already received — a resend — or its content equals
 * what is held.  A 転出 report of the former municipality that arrives after the new municipality's 転入
 * (the person is resident elsewhere) does not undo it: recorded as superseded.
 */
export async function applyUpdate(db: Kysely<UntypedDatabase>, secrets: JlisSecrets, tenant: string, changes: readonly IdentityChange[], ctx: { at: Date; msgId?: string }): Promise<UpdateResult> {
  return db.transaction().execute(async (tx) => {
    // One 市町村CS at a time per municipality: two concurrent resends of the same batch cannot both apply.
    await sql`SELECT pg_advisory_xact_lock(7262, ${Number(tenant)}::int)`.execute(tx);
    const seqs = changes.map((c) => c.seq);
    const seen = await sql<{ source_seq: number; change_hash: Buffer }>`SELECT source_seq, change_hash FROM peers_jlis.identity_history
      WHERE municipality_code = ${tenant} AND source_seq = ANY(${arrayLiteral(seqs)}::bigint[])`.execute(tx);
    const done = new Map(seen.rows.map((r) => [Number(r.source_seq), r.change_hash]));
    // A seq received before with other content is not a resend: the sender's sequence went back (e.g. its
    // database was restored from an older backup).  Refused whole, so that nothing is silently dropped.
    changes.forEach((c, i) => {
      const h = done.get(c.seq);
      if (h && !h.equals(changeHash(secrets, c))) {
        throw new Problem(409, 'JLIS_SEQ_CONFLICT', '通番が受信済みの別の更新と重複しています', `changes.${i}.seq: 通番 ${c.seq} は内容の異なる更新で受信済みです。市町村CSの通番を受信済みの最大値より後に進めて送り直してください。`);
      }
    });
    const prior = await priorRows(tx, [...new Set(changes.map((c) => c.juminhyoCode))]);
    const next = new Map<string, IdentityRow>();
    const history: { juminhyo: string; seq: number; kind: string; status: string; movement: string | null; date: string | null; changed: string[]; hash: Buffer }[] = [];
    let applied = 0;
    let unchanged = 0;
    for (const c of changes) {
      if (done.has(c.seq)) {
        unchanged++;
        continue;
      }
      const before = next.get(c.juminhyoCode) ?? prior.get(c.juminhyoCode);
      const row = rowOf(secrets, tenant, c, c.seq, before);
      const hist = { juminhyo: c.juminhyoCode, seq: c.seq, status: row.status, movement: row.last_movement, date: row.last_movement_date, hash: changeHash(secrets, c) };
      if (before && before.content_hash.equals(row.content_hash)) {
        unchanged++;
        history.push({ ...hist, kind: 'unchanged', changed: [] });
        continue;
      }
      if (before && before.municipality_code !== tenant && before.status === 'resident' && row.status === 'moved-out') {
        unchanged++;
        history.push({ ...hist, kind: 'superseded', changed: [] });
        continue;
      }
      applied++;
      history.push({ ...hist, kind: before ? 'update' : 'insert', changed: changedFields(before, row) });
      next.set(c.juminhyoCode, row);
    }
    await upsertRows(tx, [...next.values()], ctx.at);
    if (history.length) {
      await sql`INSERT INTO peers_jlis.identity_history (municipality_code, source_seq, juminhyo_code, kind, status, movement, movement_date, changed, change_hash, msg_id, at)
        SELECT ${tenant}, u.seq, u.juminhyo, u.kind, u.status, u.movement, u.date, string_to_array(u.changed, ','), u.hash, ${ctx.msgId ?? null}, ${ctx.at}::timestamptz
        FROM unnest(${arrayLiteral(history.map((h) => h.seq))}::bigint[], ${arrayLiteral(history.map((h) => h.juminhyo))}::text[], ${arrayLiteral(history.map((h) => h.kind))}::text[],
                    ${arrayLiteral(history.map((h) => h.status))}::text[], ${arrayLiteral(history.map((h) => h.movement))}::text[], ${arrayLiteral(history.map((h) => h.date))}::date[],
                    ${arrayLiteral(history.map((h) => h.changed.join(',')))}::text[], ${arrayLiteral(history.map((h) => h.hash))}::bytea[])
             AS u(seq, juminhyo, kind, status, movement, date, changed, hash)`.execute(tx);
    }
    return { applied, unchanged };
  });
}

// ------------------------------------------------------------------ bulk load

export interface IdentityInput {
  readonly municipalityCode: string;
  readonly juminhyoCode: string;
  readonly myNumber?: string | undefined;
  readonly name: string;
  readonly nameKana: string;
  readonly birthDate: string;
  readonly sex: 'male' | 'female';
  readonly address: string;
  readonly status: IdentityStatus;
  readonly movement?: string | null | undefined;
  readonly movementDate?: string | null | undefined;
}

/**
 * Bulk load for scale tests and the initial migration (初期移行): upserts rows in batches of `batchSize`,
 * one statement per batch, no HTTP and no history (source_seq 0: the 市町村CS's own sequence starts at 1).
 * `rows` may be any (async) iterable, e.g. the composition root's adapter over the synth generator.
 */
export async function loadIdentities(
  db: Kysely<UntypedDatabase>,
  rows: Iterable<IdentityInput> | AsyncIterable<IdentityInput>,
  opts: { secrets: JlisSecrets; batchSize?: number; at?: Date },
): Promise<{ loaded: number }> {
  const size = Math.max(1, Math.min(opts.batchSize ?? 5000, 20_000));
  const at = opts.at ?? new Date();
  let batch: IdentityRow[] = [];
  let loaded = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const dedup = new Map(batch.map((r) => [r.juminhyo_code, r]));
    await upsertRows(db, [...dedup.values()], at);
    loaded += batch.length;
    batch = [];
  };
  let i = 0;
  for await (const r of rows as AsyncIterable<IdentityInput>) {
    const { municipalityCode: _m, ...fields } = r;
    const c = changeSchema.safeParse({ ...fields, seq: 1 });
    if (!c.success) {
      const issue = c.error.issues[0]!;
      throw invalidField(`rows.${i}.${issue.path.join('.')}`, 'INVALID', issue.message);
    }
    if (!/^[0-9]{6}$/.test(r.municipalityCode)) throw invalidField(`rows.${i}.municipalityCode`, 'INVALID_TENANT', '団体コードは6桁の数字です');
    batch.push(rowOf(opts.secrets, r.municipalityCode, c.data, 0, undefined));
    i++;
    if (batch.length >= size) await flush();
  }
  await flush();
  return { loaded };
}

// ------------------------------------------------------------------ queries

export type QueryKind = 'juminhyoCode' | 'myNumber' | 'fourItems';

export type QueryKey =
  | { readonly by: 'juminhyoCode'; readonly juminhyoCode: string }
  | { readonly by: 'myNumber'; readonly myNumber: string }
  | { readonly by: 'fourItems'; readonly name: string; readonly address: string; readonly birthDate: string; readonly sex: 'male' | 'female' };

export interface Match {
  readonly juminhyoCode: string;
  readonly name: string;
  readonly nameKana: string;
  readonly birthDate: string;
  readonly sex: 'male' | 'female';
  readonly address: string;
  readonly status: IdentityStatus;
  readonly lastMovement: string | null;
  readonly lastMovementDate: string | null;
  readonly myNumber?: string;
}

/** At most this many matches per 4情報 query (same name, birth date, sex and address is already rare). */
export const MAX_MATCHES = 20;

const MATCH_COLUMNS = sql.raw('juminhyo_code, name, name_kana, birth_date, sex, address, status, last_movement, last_movement_date, my_number_ct, my_number_key');

/** The value the query log hashes for a key. */
export function keyText(k: QueryKey): string {
  switch (k.by) {
    case 'juminhyoCode':
      return k.juminhyoCode;
    case 'myNumber':
      return k.myNumber;
    case 'fourItems':
      return [nameKey(k.name), addressKey(k.address), k.birthDate, k.sex].join('|');
  }
}

export async function findIdentities(db: Kysely<UntypedDatabase>, secrets: JlisSecrets, k: QueryKey, withMyNumber: boolean): Promise<Match[]> {
  let r;
  switch (k.by) {
    case 'juminhyoCode':
      r = await sql<Record<string, unknown>>`SELECT ${MATCH_COLUMNS} FROM peers_jlis.identities WHERE juminhyo_code = ${k.juminhyoCode}`.execute(db);
      break;
    case 'myNumber':
      r = await sql<Record<string, unknown>>`SELECT ${MATCH_COLUMNS} FROM peers_jlis.identities WHERE my_number_index = ${secrets.blindIndex(k.myNumber)} ORDER BY juminhyo_code LIMIT ${MAX_MATCHES}`.execute(db);
      break;
    case 'fourItems': {
      const n = nameKey(k.name);
      r = await sql<Record<string, unknown>>`SELECT ${MATCH_COLUMNS} FROM peers_jlis.identities
        WHERE birth_date = ${k.birthDate}::date AND sex = ${k.sex} AND address_key = ${addressKey(k.address)} AND (name_key = ${n} OR kana_key = ${n})
        ORDER BY juminhyo_code LIMIT ${MAX_MATCHES}`.execute(db);
      break;
    }
  }
  return r.rows.map((x) => {
    const m: Match = {
      juminhyoCode: String(x['juminhyo_code']),
      name: String(x['name']),
      nameKana: String(x['name_kana']),
      birthDate: String(x['birth_date']),
      sex: x['sex'] as 'male' | 'female',
      address: String(x['address']),
      status: x['status'] as IdentityStatus,
      lastMovement: (x['last_movement'] as string | null) ?? null,
      lastMovementDate: (x['last_movement_date'] as string | null) ?? null,
    };
    const ct = x['my_number_ct'] as Buffer | null;
    if (withMyNumber && ct) return { ...m, myNumber: secrets.openMyNumber(m.juminhyoCode, ct, Number(x['my_number_key'])) };
    return m;
  });
}

export async function identityExists(db: Kysely<UntypedDatabase>, juminhyoCode: string): Promise<boolean> {
  const r = await sql`SELECT 1 FROM peers_jlis.identities WHERE juminhyo_code = ${juminhyoCode}`.execute(db);
  return r.rows.length > 0;
}

// ------------------------------------------------------------------ query log

export interface QueryLogEntry {
  readonly caller: string;
  /** Who at the caller asked (the body's `caller`, e.g. a system or desk name), when given. */
  readonly callerDetail?: string | null;
  readonly purpose: string;
  readonly keyKind: QueryKind | 'link';
  readonly keyHash: Buffer;
  readonly resultCount: number;
  readonly myNumberReturned: boolean;
  readonly channel: 'query' | 'file' | 'link' | 'changes';
  readonly fileRow?: number | null;
  readonly msgId?: string | null;
}

export async function logQueries(db: Kysely<UntypedDatabase>, at: Date, entries: readonly QueryLogEntry[]): Promise<void> {
  for (let i = 0; i < entries.length; i += 5000) {
    const e = entries.slice(i, i + 5000);
    await sql`INSERT INTO peers_jlis.query_log (at, caller, caller_detail, purpose, key_kind, key_hash, result_count, my_number_returned, channel, file_row, msg_id)
      SELECT ${at}::timestamptz, u.caller, u.detail, u.purpose, u.kind, u.hash, u.n, u.mn, u.channel, u.row, u.msg
      FROM unnest(${arrayLiteral(e.map((x) => x.caller))}::text[], ${arrayLiteral(e.map((x) => x.callerDetail ?? null))}::text[], ${arrayLiteral(e.map((x) => x.purpose))}::text[], ${arrayLiteral(e.map((x) => x.keyKind))}::text[],
                  ${arrayLiteral(e.map((x) => x.keyHash))}::bytea[], ${arrayLiteral(e.map((x) => x.resultCount))}::int[], ${arrayLiteral(e.map((x) => x.myNumberReturned))}::boolean[],
                  ${arrayLiteral(e.map((x) => x.channel))}::text[], ${arrayLiteral(e.map((x) => x.fileRow ?? null))}::int[], ${arrayLiteral(e.map((x) => x.msgId ?? null))}::text[])
           AS u(caller, detail, purpose, kind, hash, n, mn, channel, row, msg)`.execute(db);
  }
}

export interface QueryLogRow {
  readonly seq: number;
  readonly at: Date;
  readonly caller: string;
  readonly callerDetail: string | null;
  readonly purpose: string;
  readonly keyKind: string;
  readonly resultCount: number;
  readonly myNumberReturned: boolean;
  readonly channel: string;
  readonly fileRow: number | null;
  readonly msgId: string | null;
}

/** 照会処理の記録 for periodic review (XCH-25) and the CLI: newest first; never a key value. */
export async function queryLog(db: Kysely<UntypedDatabase>, opts: { since?: Date; until?: Date; caller?: string; limit?: number } = {}): Promise<QueryLogRow[]> {
  const limit = Math.max(1, Math.min(opts.limit ?? 1000, 100_000));
  const r = await sql<Record<string, unknown>>`SELECT seq, at, caller, caller_detail, purpose, key_kind, result_count, my_number_returned, channel, file_row, msg_id FROM peers_jlis.query_log
    WHERE (${opts.since ?? null}::timestamptz IS NULL OR at >= ${opts.since ?? null}::timestamptz)
      AND (${opts.until ?? null}::timestamptz IS NULL OR at < ${opts.until ?? null}::timestamptz)
      AND (${opts.caller ?? null}::text IS NULL OR caller = ${opts.caller ?? null}::text)
    ORDER BY seq DESC LIMIT ${limit}`.execute(db);
  return r.rows.map((x) => ({
    seq: Number(x['seq']),
    at: x['at'] as Date,
    caller: String(x['caller']),
    callerDetail: (x['caller_detail'] as string | null) ?? null,
    purpose: String(x['purpose']),
    keyKind: String(x['key_kind']),
    resultCount: Number(x['result_count']),
    myNumberReturned: Boolean(x['my_number_returned']),
    channel: String(x['channel']),
    fileRow: (x['file_row'] as number | null) ?? null,
    msgId: (x['msg_id'] as string | null) ?? null,
  }));
}

export function problemUnknownPerson(): Problem {
  return new Problem(404, 'PERSON_UNKNOWN', '該当する住民票コードがありません', '指定された住民票コードの本人確認情報は全国サーバにありません。');
}
