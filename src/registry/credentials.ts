// Digital qualification certificates (issue 16 Must have 1, 3; QUA-23, QUA-24; decisions 0201–0204).
//
// Each 資格管理者 issues SD-JWT VCs (`@sd-jwt/sd-jwt-vc`, ES256) for the active entries of its register, signed
// with its own issuer key kept by the registry node (<keyDir>/nodes/registry/credential-<tenant>-NNNN.jwk;
// every generation stays in the published JWKS so a credential signed before a rotation still verifies).
// 資格名, 登録番号, 登録年月日, 氏名 and 生年月日 are selectively disclosable; the 資格管理者 is always shown; the
// 資格仮名ID and the My Number never enter a credential (decision 0202).  Revocation and suspension go through
// an IETF Token Status List per 資格管理者 (`@sd-jwt/jwt-status-list`, 2 bits: 0 valid, 1 revoked, 2 suspended),
// computed from the entry's status on the clock's today and served signed as `statuslist+jwt` (decision 0203).
// `verifyPresentation` checks a presentation step by step, naming the first thing that fails, then lets the
// library verify it whole (decision 0204).
import { createHash, generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Jwt, SDJwt } from '@sd-jwt/core';
import { digest, ES256, generateSalt } from '@sd-jwt/crypto-nodejs';
import { createHeaderAndPayload, getListFromStatusListJWT, StatusList } from '@sd-jwt/jwt-status-list';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { createSecretFileOnce, nodeKeyDir } from '../kernel/crypto/index.js';
import { conflict, notFound, parseInput } from '../kernel/problems/index.js';
import { catalog, type QualificationEntry } from './catalog.js';
import { DISPOSITION_LABELS, statusOf, type DispositionView, type NameRecord, type Items } from './register.js';
import { withTenant, type Db, type Tx } from './store.js';

// ---- constants of the format (docs/formats/registry-api.md, 「資格証明書」) -----------------------------------

/** The selectively disclosable claims, in display order. */
export const CREDENTIAL_CLAIMS = ['資格名', '登録番号', '登録年月日', '氏名', '生年月日'] as const;
export type CredentialClaim = (typeof CREDENTIAL_CLAIMS)[number];
/** Always visible: who issued it (the 資格管理者's name). */
export const ISSUER_NAME_CLAIM = '資格管理者';
/** The credential's type: a stable URI of ours per qualification, independent of where Mamori runs. */
export const vctOf = (qualification: string): string => `urn:mamori:registry:credential:${qualification}`;
/** A credential is valid for this many days after issue; the holder gets a new one from the portal. */
export const CREDENTIAL_VALID_DAYS = 365;
/** A published status list is valid for a day; verifiers should fetch it again after `ttl` seconds. */
export const STATUS_LIST_VALID_SECONDS = 86_400;
export const STATUS_LIST_TTL_SECONDS = 300;
/** Tolerated difference between the issuer's clock and the verifier's (a status list is signed when fetched). */
export const CLOCK_SKEW_SECONDS = 60;
/** Entries per status list (2 bits each: 16 KiB before compression) and the share filled before the next list. */
export const STATUS_LIST_SIZE = 65_536;
const STATUS_LIST_FILL = STATUS_LIST_SIZE / 2;
export const STATUS_CODES = { valid: 0, revoked: 1, suspended: 2 } as const;
export type StatusName = keyof typeof STATUS_CODES;
export const STATUS_LABELS: Record<StatusName, string> = { valid: '有効', revoked: '失効（免許取消・抹消）', suspended: '業務停止中' };

const TENANT_RE = /^[a-z][a-z0-9-]{1,39}$/;

/** The public paths of a 資格管理者 as issuer, under the registry node's URL. */
export const issuerPath = (tenant: string): string => `/registry/issuers/${tenant}`;
export const issuerUrl = (baseUrl: string, tenant: string): string => `${baseUrl.replace(/\/+$/, '')}${issuerPath(tenant)}`;
export const statusListUrl = (baseUrl: string, tenant: string, listNo: number): string => `${issuerUrl(baseUrl, tenant)}/status-lists/${listNo}`;

// ---- issuer keys -------------------------------------------------------------------------------------------

export interface IssuerKey {
  readonly version: number;
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

/** An issuer key from its private JWK: `kid` = the JWK thumbprint (RFC 7638) of the public part. */
async function issuerKeyOf(privateJwk: JWK, version: number): Promise<IssuerKey> {
  const { d: _d, ...pub } = privateJwk;
  const kid = await calculateJwkThumbprint(pub);
  return { version, kid, privateJwk: { ...privateJwk, kid, alg: 'ES256' }, publicJwk: { ...pub, kid, alg: 'ES256', use: 'sig' } };
}

/**
 * The 資格管理者's issuer keys (ES256), under <keyDir>/nodes/registry/ (mode 0600, created on first use):
 * `credential-<tenant>-NNNN.jwk`, a private JWK.  The newest generation signs; every generation is published,
 * so credentials signed before a rotation still verify.  The key id is the key's JWK thumbprint (RFC 7638).
 */
export class IssuerKeys {
  private readonly cache = new Map<string, IssuerKey>();
  private constructor(private readonly dir: string) {}

  static open(keyDir: string, node = 'registry'): IssuerKeys {
    return new IssuerKeys(nodeKeyDir(keyDir, node));
  }

  private static check(tenant: string): void {
    if (!TENANT_RE.test(tenant) || !catalog().administrator(tenant)) throw notFound('資格管理者');
  }

  private async read(file: string, version: number): Promise<IssuerKey> {
    const path = join(this.dir, file);
    const hit = this.cache.get(path);
    if (hit) return hit;
    const key = await issuerKeyOf(JSON.parse(readFileSync(path, 'utf8')) as JWK, version);
    this.cache.set(path, key);
    return key;
  }

  private files(tenant: string): { file: string; version: number }[] {
    const re = new RegExp(`^credential-${tenant}-(\\d{4})\\.jwk$`);
    return readdirSync(this.dir).flatMap((f) => {
      const m = re.exec(f);
      return m ? [{ file: f, version: Number(m[1]) }] : [];
    }).sort((a, b) => a.version - b.version);
  }

  /** Writes generation `version` unless it exists (two processes at once both end up with the first one's key). */
  private create(tenant: string, version: number): void {
    const path = join(this.dir, `credential-${tenant}-${String(version).padStart(4, '0')}.jwk`);
    if (existsSync(path)) return;
    createSecretFileOnce(path, JSON.stringify(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' })) + '\n');
  }

  /** Every generation of the tenant's key, oldest first (the first created when there is none). */
  async all(tenant: string): Promise<IssuerKey[]> {
    IssuerKeys.check(tenant);
    let files = this.files(tenant);
    if (files.length === 0) {
      this.create(tenant, 1);
      files = this.files(tenant);
    }
    return Promise.all(files.map((f) => this.read(f.file, f.version)));
  }

  /** The generation that signs now. */
  async current(tenant: string): Promise<IssuerKey> {
    const keys = await this.all(tenant);
    return keys[keys.length - 1]!;
  }

  /** A new generation; the old ones stay published (their credentials keep verifying). */
  async rotate(tenant: string): Promise<IssuerKey> {
    const cur = await this.current(tenant);
    this.create(tenant, cur.version + 1);
    return this.current(tenant);
  }

  /** The published JWKS of the 資格管理者: public keys only. */
  async jwks(tenant: string): Promise<{ keys: JWK[] }> {
    return { keys: (await this.all(tenant)).map((k) => k.publicJwk) };
  }
}

// ---- building and signing (shared by issuing and the CLI sample) ------------------------------------------------

export type CredentialClaims = Record<CredentialClaim, string | number>;

export interface CredentialContent {
  readonly iss: string;
  readonly vct: string;
  readonly issuerName: string;
  readonly claims: CredentialClaims;
  readonly iat: number;
  readonly exp: number;
  readonly status: { readonly idx: number; readonly uri: string };
  readonly holderKey?: JWK | undefined;
}

/** An SD-JWT VC of the content, signed with `key` (every claim of CREDENTIAL_CLAIMS selectively disclosable). */
export async function signCredential(key: IssuerKey, c: CredentialContent): Promise<string> {
  const sdjwt = new SDJwtVcInstance({ signer: await ES256.getSigner(key.privateJwk), signAlg: 'ES256', hasher: digest, hashAlg: 'sha-256', saltGenerator: generateSalt });
  const payload = {
    iss: c.iss, iat: c.iat, exp: c.exp, vct: c.vct,
    status: { status_list: { idx: c.status.idx, uri: c.status.uri } },
    ...(c.holderKey ? { cnf: { jwk: c.holderKey } } : {}),
    [ISSUER_NAME_CLAIM]: c.issuerName,
    ...c.claims,
  };
  return sdjwt.issue(payload, { _sd: [...CREDENTIAL_CLAIMS] }, { header: { kid: key.kid } });
}

/** The holder's presentation: the credential with only the chosen claims' disclosures. */
export async function presentCredential(credential: string, claims: readonly CredentialClaim[]): Promise<string> {
  const sdjwt = new SDJwtVcInstance({ hasher: digest });
  return sdjwt.present(credential, Object.fromEntries(claims.map((c) => [c, true])));
}

/** A signed `statuslist+jwt` of `statuses` (index → code) for `uri`. */
export async function signStatusList(key: IssuerKey, o: { iss: string; uri: string; iat: number; statuses: ReadonlyMap<number, number> | readonly number[]; size?: number }): Promise<string> {
  const list = new StatusList(new Array<number>(o.size ?? STATUS_LIST_SIZE).fill(0), 2);
  for (const [idx, code] of o.statuses instanceof Map ? o.statuses : (o.statuses as readonly number[]).entries()) if (code !== 0) list.setStatus(idx, code);
  const { header, payload } = createHeaderAndPayload(list, { iss: o.iss, sub: o.uri, iat: o.iat, exp: o.iat + STATUS_LIST_VALID_SECONDS, ttl: STATUS_LIST_TTL_SECONDS }, { alg: 'ES256', typ: 'statuslist+jwt', kid: key.kid });
  const jwt = new Jwt({ header, payload });
  await jwt.sign(await ES256.getSigner(key.privateJwk));
  return jwt.encodeJwt();
}

// ---- issuing ------------------------------------------------------------------------------------------------

export interface CredentialDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly keys: IssuerKeys;
  /** The registry node's public URL (issuer URLs and status list URIs are under it). */
  readonly baseUrl: string;
}

const jwkSchema = z
  .object({ kty: z.literal('EC'), crv: z.literal('P-256'), x: z.string().regex(/^[A-Za-z0-9_-]{43}$/), y: z.string().regex(/^[A-Za-z0-9_-]{43}$/) })
  .passthrough()
  .refine((k) => !('d' in k), { message: '秘密鍵は指定できません（公開鍵を指定してください）' })
  .transform((k): JWK => ({ kty: k.kty, crv: k.crv, x: k.x, y: k.y }));

const issueInput = z
  .object({
    tenant: z.string().regex(TENANT_RE, { message: '資格管理者コードを指定してください' }),
    qualification: z.string().min(1).max(40),
    number: z.coerce.number({ message: '登録番号（数字）を指定してください' }).int().min(1).max(Number.MAX_SAFE_INTEGER),
    holderKey: z.object({ kty: z.string(), crv: z.string().optional(), x: z.string().optional(), y: z.string().optional(), d: z.string().optional() }).passthrough().optional(),
  })
  .strict();

export interface IssuedCredential {
  readonly credentialId: string;
  /** The SD-JWT VC with every disclosure (`<jwt>~<disclosure>~…~`): for the holder only. */
  readonly credential: string;
  readonly issuer: string;
  readonly vct: string;
  readonly keyId: string;
  readonly status: { readonly idx: number; readonly uri: string; readonly listNo: number };
  readonly issuedAt: string;
  readonly expiresAt: string;
}

interface EntryState {
  readonly q: QualificationEntry;
  readonly row: Record<string, unknown>;
  readonly dispositions: DispositionView[];
}

const day = (v: unknown): string => (v instanceof Date ? `${v.getFullYear()}-${String(v.getMonth() + 1).padStart(2, '0')}-${String(v.getDate()).padStart(2, '0')}` : String(v).slice(0, 10));

async function entryState(tx: Tx, q: QualificationEntry, number: number): Promise<EntryState | undefined> {
  const r = await sql<Record<string, unknown>>`SELECT * FROM registry.entries WHERE qualification_code = ${q.code} AND registration_no = ${number}`.execute(tx);
  const row = r.rows[0];
  if (!row) return undefined;
  const ds = await sql<Record<string, unknown>>`SELECT * FROM registry.dispositions WHERE qualification_code = ${q.code} AND registration_no = ${number} ORDER BY seq`.execute(tx);
  const dispositions = ds.rows.map((d): DispositionView => ({
    seq: Number(d['seq']), kind: d['kind'] as DispositionView['kind'], label: DISPOSITION_LABELS[d['kind'] as DispositionView['kind']], decidedOn: day(d['decided_on']), code: String(d['code']),
    from: day(d['period_from']), until: d['period_until'] === null ? null : day(d['period_until']), issueNo: String(d['issue_no']), note: (d['note'] as string | null) ?? null,
  }));
  return { q, row, dispositions };
}

/** The status code of an entry on `today`, and the next day on which it changes by itself (null: never). */
function statusCode(e: EntryState, today: string): { code: number; recheckOn: string | null } {
  const s = statusOf(e.row['erased_on'] !== null, e.dispositions, today);
  const code = s.code === 'active' ? STATUS_CODES.valid : s.code === 'suspended' ? STATUS_CODES.suspended : STATUS_CODES.revoked;
  if (code === STATUS_CODES.revoked) return { code, recheckOn: null };
  const next = e.dispositions.flatMap((d) => [d.from, ...(d.until ? [nextDay(d.until)] : [])]).filter((x) => x > today).sort();
  return { code, recheckOn: next[0] ?? null };
}

function nextDay(iso: string): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function qualificationOf(tenant: string, code: string): QualificationEntry {
  const q = catalog().qualification(code);
  if (!q || q.administrator !== tenant) throw notFound('資格');
  return q;
}

/** The current 氏名 as one string (姓 and 名 with a full-width space), or its 表記. */
function fullName(names: readonly NameRecord[]): string {
  const n = names.find((x) => x.kind === '氏名' && x.until === null);
  if (!n) return '';
  return n.表記 ?? [n.姓, n.名].filter(Boolean).join('　');
}

/** The entry's birth date: the file's 生年月日 item (生年月日, 生年月日（年月日）). */
function birthDate(items: Items): string {
  const k = Object.keys(items).find((x) => x.startsWith('生年月日'));
  return k ? String(items[k]) : '';
}

/**
 * Takes a free index of the tenant's current list for a new credential row (random, so an index says nothing
 * about when it was issued): the row is inserted with `ON CONFLICT DO NOTHING`, so two concurrent issues never
 * share an index — the second waits for the first and draws again.
 */
async function insertWithFreeIndex(tx: Tx, row: { tenant: string; qualification: string; number: number; credentialId: string; status: number; recheckOn: string | null; keyId: string; holderBound: boolean; now: Date; expiresAt: Date }): Promise<{ listNo: number; idx: number }> {
  const cur = await sql<{ list_no: number; n: number }>`SELECT list_no, count(*)::int AS n FROM registry.credentials GROUP BY list_no ORDER BY list_no DESC LIMIT 1`.execute(tx);
  const top = cur.rows[0];
  const listNo = !top ? 1 : top.n >= STATUS_LIST_FILL ? top.list_no + 1 : top.list_no;
  for (let i = 0; i < 64; i++) {
    const idx = randomInt(STATUS_LIST_SIZE);
    const r = await sql`INSERT INTO registry.credentials (tenant_code, qualification_code, registration_no, credential_id, list_no, status_idx, status, status_recheck_on, key_id, holder_bound, issued_at, expires_at, status_updated_at)
      VALUES (${row.tenant}, ${row.qualification}, ${row.number}, ${row.credentialId}, ${listNo}, ${idx}, ${row.status}, ${row.recheckOn}, ${row.keyId}, ${row.holderBound}, ${row.now}, ${row.expiresAt}, ${row.now})
      ON CONFLICT (tenant_code, list_no, status_idx) DO NOTHING RETURNING 1`.execute(tx);
    if (r.rows.length === 1) return { listNo, idx };
  }
  throw new Error('registry: no free status list index');
}

/**
 * Issues an SD-JWT VC for an active entry of the tenant's register (409 `CREDENTIAL_NOT_ACTIVE` when the entry
 * is suspended, revoked or erased; 404 for an unknown number or another administrator's qualification) and
 * records it (entry, status list and index, key id, issued and expiry instants — never the credential's text).
 */
export async function issueCredential(deps: CredentialDeps, raw: unknown): Promise<IssuedCredential> {
  const input = parseInput(issueInput, raw);
  const q = qualificationOf(input.tenant, input.qualification);
  const holderKey = input.holderKey === undefined ? undefined : (parseInput(jwkSchema, input.holderKey));
  const key = await deps.keys.current(input.tenant);
  const admin = catalog().administrator(input.tenant)!;
  const iss = issuerUrl(deps.baseUrl, input.tenant);
  return withTenant(deps.db, input.tenant, async (tx) => {
    const e = await entryState(tx, q, input.number);
    if (!e) throw notFound('登録');
    const today = deps.clock.today();
    const st = statusCode(e, today);
    if (st.code !== STATUS_CODES.valid) {
      const label = statusOf(e.row['erased_on'] !== null, e.dispositions, today).label;
      throw conflict('CREDENTIAL_NOT_ACTIVE', `登録番号 ${input.number} は${label}のため、資格証明書を発行できません。`);
    }
    const now = deps.clock.now();
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + CREDENTIAL_VALID_DAYS * 86_400;
    const credentialId = `C${randomBytes(12).toString('hex').toUpperCase()}`;
    const { listNo, idx } = await insertWithFreeIndex(tx, {
      tenant: input.tenant, qualification: q.code, number: input.number, credentialId, status: st.code, recheckOn: st.recheckOn, keyId: key.kid, holderBound: holderKey !== undefined, now, expiresAt: new Date(exp * 1000),
    });
    const uri = statusListUrl(deps.baseUrl, input.tenant, listNo);
    const credential = await signCredential(key, {
      iss, vct: vctOf(q.code), issuerName: admin.name, iat, exp, status: { idx, uri }, holderKey,
      claims: { 資格名: q.name, 登録番号: input.number, 登録年月日: day(e.row['registered_on']), 氏名: fullName(e.row['names'] as NameRecord[]), 生年月日: birthDate(e.row['items'] as Items) },
    });
    return { credentialId, credential, issuer: iss, vct: vctOf(q.code), keyId: key.kid, status: { idx, uri, listNo }, issuedAt: now.toISOString(), expiresAt: new Date(exp * 1000).toISOString() };
  });
}

/**
 * The claims a credential of the entry would carry today and the entry's current status (issue 16, the employer
 * confirmation page; decision 0207): undefined for an unknown number.  In the caller's tenant transaction.
 */
export async function entryClaims(tx: Tx, clock: Clock, tenant: string, qualification: string, number: number): Promise<{ claims: CredentialClaims; status: { code: string; label: string } } | undefined> {
  const q = qualificationOf(tenant, qualification);
  const e = await entryState(tx, q, number);
  if (!e) return undefined;
  const s = statusOf(e.row['erased_on'] !== null, e.dispositions, clock.today());
  return {
    claims: { 資格名: q.name, 登録番号: number, 登録年月日: day(e.row['registered_on']), 氏名: fullName(e.row['names'] as NameRecord[]), 生年月日: birthDate(e.row['items'] as Items) },
    status: { code: s.code, label: s.label },
  };
}

// ---- status --------------------------------------------------------------------------------------------------

/**
 * Recomputes the status of every credential of the entry from its current status on the clock's today (called
 * at the end of recordDisposition and eraseEntry, in their transaction).  A suspension starting later or ending
 * is caught by `status_recheck_on`: the list is refreshed for those rows when it is next published.
 */
export async function refreshCredentialStatus(tx: Tx, deps: { readonly clock: Clock }, ref: { tenant: string; qualification: string; number: number }): Promise<number> {
  const q = qualificationOf(ref.tenant, ref.qualification);
  const e = await entryState(tx, q, ref.number);
  if (!e) return 0;
  const st = statusCode(e, deps.clock.today());
  const r = await sql`UPDATE registry.credentials SET status = ${st.code}, status_recheck_on = ${st.recheckOn}, status_updated_at = ${deps.clock.now()}
                      WHERE qualification_code = ${q.code} AND registration_no = ${ref.number} AND (status <> ${st.code} OR status_recheck_on IS DISTINCT FROM ${st.recheckOn}::date)`.execute(tx);
  return Number(r.numAffectedRows ?? 0);
}

/** Refreshes the rows whose status changes by itself on or before today (a suspension begun or ended). */
async function refreshDue(tx: Tx, clock: Clock, tenant: string): Promise<void> {
  const due = await sql<{ qualification_code: string; registration_no: string }>`
    SELECT DISTINCT qualification_code, registration_no FROM registry.credentials WHERE status_recheck_on <= ${clock.today()}::date`.execute(tx);
  for (const d of due.rows) await refreshCredentialStatus(tx, { clock }, { tenant, qualification: d.qualification_code, number: Number(d.registration_no) });
}

/**
 * The tenant's status list `listNo` as a signed `statuslist+jwt`, as of the clock's now: rows whose status
 * changed by itself are refreshed first (in the same transaction), so an ended suspension reads as valid
 * without a daily job.  404 for an unknown tenant or a list never used.
 */
export async function publishStatusList(deps: CredentialDeps, tenant: string, listNo: number): Promise<string> {
  if (!TENANT_RE.test(tenant) || !catalog().administrator(tenant)) throw notFound('ステータスリスト');
  if (!Number.isSafeInteger(listNo) || listNo < 1) throw notFound('ステータスリスト');
  const key = await deps.keys.current(tenant);
  const statuses = await withTenant(deps.db, tenant, async (tx) => {
    await refreshDue(tx, deps.clock, tenant);
    const used = await sql`SELECT 1 FROM registry.credentials WHERE list_no = ${listNo} LIMIT 1`.execute(tx);
    if (used.rows.length === 0) return undefined;
    const rows = await sql<{ status_idx: number; status: number }>`SELECT status_idx, status FROM registry.credentials WHERE list_no = ${listNo} AND status <> 0`.execute(tx);
    return new Map(rows.rows.map((r) => [Number(r.status_idx), Number(r.status)]));
  });
  if (!statuses) throw notFound('ステータスリスト');
  return signStatusList(key, { iss: issuerUrl(deps.baseUrl, tenant), uri: statusListUrl(deps.baseUrl, tenant, listNo), iat: Math.floor(deps.clock.now().getTime() / 1000), statuses });
}

/** The credentials issued for an entry (for staff and the holder's portal): never their text. */
export async function credentialsOf(db: Db, tenant: string, qualification: string, number: number): Promise<{ credentialId: string; status: StatusName; listNo: number; idx: number; keyId: string; issuedAt: string; expiresAt: string }[]> {
  const q = qualificationOf(tenant, qualification);
  return withTenant(db, tenant, async (tx) => {
    const r = await sql<Record<string, unknown>>`SELECT * FROM registry.credentials WHERE qualification_code = ${q.code} AND registration_no = ${number} ORDER BY issued_at, credential_id`.execute(tx);
    const names = Object.keys(STATUS_CODES) as StatusName[];
    return r.rows.map((x) => ({
      credentialId: String(x['credential_id']), status: names[Number(x['status'])]!, listNo: Number(x['list_no']), idx: Number(x['status_idx']), keyId: String(x['key_id']),
      issuedAt: new Date(x['issued_at'] as Date).toISOString(), expiresAt: new Date(x['expires_at'] as Date).toISOString(),
    }));
  });
}

// ---- verification ----------------------------------------------------------------------------------------------

export type InvalidReason =
  | 'malformed' | 'issuer-key-unknown' | 'signature-invalid' | 'disclosure-not-in-credential' | 'disclosure-duplicated'
  | 'expired' | 'not-yet-valid' | 'status-missing' | 'status-unavailable' | 'status-list-invalid' | 'rejected';

export const INVALID_REASON_LABELS: Record<InvalidReason, string> = {
  malformed: '資格証明書の形式ではありません',
  'issuer-key-unknown': '発行者の公開鍵（JWKS）にない鍵で署名されています',
  'signature-invalid': '発行者の署名が一致しません（記載が書き換えられたか、別の鍵で署名されています）',
  'disclosure-not-in-credential': '開示された項目が資格証明書に含まれていません（書き換えられたか、別の証明書の項目です）',
  'disclosure-duplicated': '同じ項目が重ねて開示されています',
  expired: '有効期限が切れています',
  'not-yet-valid': '発行日時が未来です',
  'status-missing': '失効の確認先（ステータスリスト）がありません',
  'status-unavailable': '失効の確認先（ステータスリスト）を取得できません',
  'status-list-invalid': 'ステータスリストが発行者の署名のない、または期限切れのものです',
  rejected: '資格証明書として検証できません',
};

export interface VerifyOptions {
  /** The issuer's JWKS (published at `<iss>/jwks.json`). */
  readonly jwks: { readonly keys: readonly JWK[] };
  /** Fetches the signed status list at a URI (the CLI may read it from a file). */
  readonly fetchStatusList: (uri: string) => Promise<string>;
  readonly now: Date;
}

export type Verification =
  | {
      readonly result: 'valid' | 'revoked' | 'suspended';
      readonly label: string;
      readonly issuer: string;
      readonly issuerName: string | null;
      readonly vct: string;
      readonly keyId: string;
      /** The disclosed claims only, in display order. */
      readonly claims: Partial<Record<CredentialClaim, string | number>>;
      readonly issuedAt: string;
      readonly expiresAt: string | null;
      readonly status: { readonly idx: number; readonly uri: string; readonly code: number };
    }
  | { readonly result: 'invalid'; readonly label: string; readonly reason: InvalidReason; readonly detail: string; readonly issuer: string | null };

const b64url = (b: Uint8Array): string => Buffer.from(b).toString('base64url');
const invalid = (reason: InvalidReason, detail?: string, issuer: string | null = null): Verification => ({ result: 'invalid', label: '無効', reason, detail: detail ?? INVALID_REASON_LABELS[reason], issuer });

/** Every digest a credential payload (and its disclosed values) refers to. */
function digestsIn(v: unknown, out: Set<string>): void {
  if (Array.isArray(v)) {
    for (const x of v) {
      if (x && typeof x === 'object' && !Array.isArray(x) && typeof (x as Record<string, unknown>)['...'] === 'string' && Object.keys(x).length === 1) out.add((x as Record<string, string>)['...']!);
      else digestsIn(x, out);
    }
  } else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '_sd' && Array.isArray(x)) for (const d of x) if (typeof d === 'string') out.add(d);
      else digestsIn(x, out);
    }
  }
}

async function verifyJwtSignature(compact: string, jwks: VerifyOptions['jwks']): Promise<'ok' | 'unknown-key' | 'bad'> {
  const [h, p, s] = compact.split('.');
  const header = JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')) as Record<string, unknown>;
  if (header['alg'] !== 'ES256') return 'unknown-key';
  const jwk = jwks.keys.find((k) => k.kid === header['kid'] && k.kty === 'EC' && k.crv === 'P-256');
  if (!jwk) return 'unknown-key';
  const ok = await (await ES256.getVerifier(jwk))(`${h}.${p}`, s ?? '').catch(() => false);
  return ok ? 'ok' : 'bad';
}

/**
 * Verifies a credential or a presentation (the credential with some of its disclosures): the issuer's
 * signature against its JWKS, that every disclosure belongs to the credential, its validity period and its
 * status on the issuer's status list.  Returns the first failure precisely, or the status with the disclosed
 * claims and the issuer.  Then `@sd-jwt/sd-jwt-vc` verifies it whole; a rejection there is reported too.
 */
export async function verifyPresentation(text: string, opts: VerifyOptions): Promise<Verification> {
  const encoded = text.trim();
  if (encoded.length > 64_000 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+~([A-Za-z0-9_-]*~)*([A-Za-z0-9_.-]*)$/.test(encoded)) return invalid('malformed');
  let sd: SDJwt;
  try {
    sd = await SDJwt.fromEncode(encoded, digest);
  } catch {
    return invalid('malformed');
  }
  const payload = (sd.jwt?.payload ?? {}) as Record<string, unknown>;
  const header = (sd.jwt?.header ?? {}) as Record<string, unknown>;
  const iss = typeof payload['iss'] === 'string' ? payload['iss'] : null;
  if (!iss || typeof payload['vct'] !== 'string' || header['typ'] !== 'dc+sd-jwt') return invalid('malformed', undefined, iss);
  const compact = encoded.split('~')[0]!;
  const sig = await verifyJwtSignature(compact, opts.jwks);
  if (sig === 'unknown-key') return invalid('issuer-key-unknown', `${INVALID_REASON_LABELS['issuer-key-unknown']}（鍵ID ${String(header['kid'] ?? 'なし').slice(0, 60)}）`, iss);
  if (sig === 'bad') return invalid('signature-invalid', undefined, iss);
  // Every disclosure must be one the issuer signed: its digest among the credential's.
  const known = new Set<string>();
  digestsIn(payload, known);
  for (const d of sd.disclosures ?? []) digestsIn(d.value, known);
  const seen = new Set<string>();
  for (const d of sd.disclosures ?? []) {
    const h = b64url(digest(d.encode(), 'sha-256'));
    const name = typeof d.key === 'string' ? `「${d.key.slice(0, 20)}」` : '';
    if (!known.has(h)) return invalid('disclosure-not-in-credential', `開示された項目${name}は、この資格証明書に含まれていません（書き換えられたか、別の証明書の項目です）`, iss);
    if (seen.has(h)) return invalid('disclosure-duplicated', `開示された項目${name}が重ねて含まれています`, iss);
    seen.add(h);
  }
  const now = Math.floor(opts.now.getTime() / 1000);
  const exp = typeof payload['exp'] === 'number' ? payload['exp'] : null;
  const iat = typeof payload['iat'] === 'number' ? payload['iat'] : null;
  if (exp !== null && exp < now) return invalid('expired', `有効期限（${new Date(exp * 1000).toISOString()}）が切れています`, iss);
  if (iat === null || iat > now + CLOCK_SKEW_SECONDS) return invalid('not-yet-valid', undefined, iss);
  const ref = (payload['status'] as { status_list?: { idx?: unknown; uri?: unknown } } | undefined)?.status_list;
  if (!ref || typeof ref.idx !== 'number' || typeof ref.uri !== 'string') return invalid('status-missing', undefined, iss);
  let listJwt: string;
  try {
    listJwt = (await opts.fetchStatusList(ref.uri)).trim();
  } catch (e) {
    return invalid('status-unavailable', `${INVALID_REASON_LABELS['status-unavailable']}（${ref.uri.slice(0, 200)}: ${(e as Error).message.slice(0, 120)}）`, iss);
  }
  let code: number;
  try {
    if ((await verifyJwtSignature(listJwt, opts.jwks)) !== 'ok') return invalid('status-list-invalid', undefined, iss);
    const lp = JSON.parse(Buffer.from(listJwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const lh = JSON.parse(Buffer.from(listJwt.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (lh['typ'] !== 'statuslist+jwt' || lp['sub'] !== ref.uri || (typeof lp['exp'] === 'number' && lp['exp'] < now)) return invalid('status-list-invalid', undefined, iss);
    code = getListFromStatusListJWT(listJwt).getStatus(ref.idx);
  } catch {
    return invalid('status-list-invalid', undefined, iss);
  }
  // The library's own verification, as the final word (signature, time, disclosures, status list).
  let claims: Record<string, unknown>;
  try {
    const vc = new SDJwtVcInstance({
      hasher: digest,
      verifier: async (data: string, s: string) => (await verifyJwtSignature(`${data}.${s}`, opts.jwks)) === 'ok',
      statusListFetcher: async () => listJwt,
      statusValidator: async () => undefined,
    });
    claims = (await vc.verify(encoded, { currentDate: now, skewSeconds: CLOCK_SKEW_SECONDS })).payload as Record<string, unknown>;
  } catch (e) {
    return invalid('rejected', `${INVALID_REASON_LABELS.rejected}（${(e as Error).message.slice(0, 160)}）`, iss);
  }
  const disclosed: Partial<Record<CredentialClaim, string | number>> = {};
  for (const c of CREDENTIAL_CLAIMS) {
    const v = claims[c];
    if (typeof v === 'string' || typeof v === 'number') disclosed[c] = v;
  }
  const result: 'valid' | 'revoked' | 'suspended' | undefined = code === 0 ? 'valid' : code === 1 ? 'revoked' : code === 2 ? 'suspended' : undefined;
  if (!result) return invalid('status-list-invalid', `ステータスリストの値（${code}）が定義されていません`, iss);
  return {
    result, label: STATUS_LABELS[result], issuer: iss, issuerName: typeof payload[ISSUER_NAME_CLAIM] === 'string' ? (payload[ISSUER_NAME_CLAIM] as string) : null, vct: String(payload['vct']), keyId: String(header['kid']),
    claims: disclosed, issuedAt: new Date(iat * 1000).toISOString(), expiresAt: exp === null ? null : new Date(exp * 1000).toISOString(), status: { idx: ref.idx, uri: ref.uri, code },
  };
}

// ---- the sample for outside tools (`mamori registry credential sample`) --------------------------------------

/** The sample's issuer host: `.invalid` never resolves, so a sample can never pass for a real 資格管理者's credential. */
export const SAMPLE_BASE_URL = 'https://sample.mamori.invalid';
/** What the sample's presentation discloses. */
export const SAMPLE_DISCLOSED: readonly CredentialClaim[] = ['資格名', '登録番号'];

/** A throwaway ES256 key (the sample's issuer; never written to the key directory). */
export async function ephemeralIssuerKey(): Promise<IssuerKey> {
  return issuerKeyOf(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }) as JWK, 1);
}

export interface CredentialSample {
  readonly credential: string;
  readonly presentation: string;
  readonly jwks: { keys: JWK[] };
  readonly statusList: string;
  readonly manifest: Record<string, unknown>;
}

/**
 * A complete, self-consistent sample for a synthetic registered person (the qualification's example form, 登録番号
 * 1, registered today): the credential, a presentation of 資格名 and 登録番号, the issuer's JWKS and the signed
 * status list the credential points to — signed by a throwaway key of a sample issuer under SAMPLE_BASE_URL,
 * never by a 資格管理者's key, and nothing written to the register.
 */
export async function buildCredentialSample(o: { qualification: string; clock: Clock; form: Record<string, unknown> }): Promise<CredentialSample> {
  const q = catalog().qualification(o.qualification);
  if (!q) throw notFound('資格');
  const admin = catalog().administrator(q.administrator)!;
  const key = await ephemeralIssuerKey();
  const iss = issuerUrl(SAMPLE_BASE_URL, q.administrator);
  const uri = statusListUrl(SAMPLE_BASE_URL, q.administrator, 1);
  const idx = randomInt(STATUS_LIST_SIZE);
  const iat = Math.floor(o.clock.now().getTime() / 1000);
  const name = (o.form['氏名'] ?? {}) as { 姓?: string; 名?: string };
  const claims: CredentialClaims = { 資格名: q.name, 登録番号: 1, 登録年月日: o.clock.today(), 氏名: [name.姓, name.名].filter(Boolean).join('　'), 生年月日: String(o.form['生年月日'] ?? '') };
  const credential = await signCredential(key, { iss, vct: vctOf(q.code), issuerName: `${admin.name}（見本）`, claims, iat, exp: iat + CREDENTIAL_VALID_DAYS * 86_400, status: { idx, uri } });
  const presentation = await presentCredential(credential, SAMPLE_DISCLOSED);
  const statusList = await signStatusList(key, { iss, uri, iat, statuses: new Map() });
  const manifest = {
    note: '見本です。発行者は架空（.invalid）で、資格管理者の鍵では署名していません。',
    issuer: iss, vct: vctOf(q.code), keyId: key.kid, status: { idx, uri, bits: 2, codes: { '0': '有効', '1': '失効', '2': '業務停止中' } },
    files: { credential: 'credential.txt', presentation: 'presentation.txt', jwks: 'jwks.json', statusList: 'status-list.jwt' },
    disclosedInPresentation: SAMPLE_DISCLOSED, selectivelyDisclosable: CREDENTIAL_CLAIMS,
    sha256: { credential: sha256(credential), presentation: sha256(presentation), statusList: sha256(statusList) },
  };
  return { credential, presentation, jwks: { keys: [key.publicJwk] }, statusList, manifest };
}

/** sha-256 of a text as base64url (for the sample's manifest). */
export const sha256 = (s: string): string => createHash('sha256').update(s).digest('base64url');
