// The holder's side of the digital qualification certificates (issue 16 Must have 1 and 2; QUA-23, QUA-24;
// decisions 0206–0208; contract: docs/formats/verify.md).  マイナポータル calls these services for a resident
// after card authentication and an explicit consent: the resident signs a request with the card's 署名用 key
// in the page, the request carrying the card's 券面事項入力補助 block (issuer-signed) and the consent text.  The
// registry verifies all of it as it verifies an application (signature, revocation at 公的個人認証サービス,
// the 券面事項入力補助 of the signing card) and finds the holder's entries itself by the blind index of the
// block's My Number under each 資格管理者 — the My Number never travels except inside that signed block in the
// encrypted message, and is never stored or logged here.
//   credentials.issue               one SD-JWT VC per active entry of the holder (issueCredential)
//   credentials.confirmations.create a one-time confirmation link for an employer (only its token's hash kept)
//   credentials.confirmations.log   the holder's links and every opening (「確認の記録」), by マイナポータル仮名ID
// The employer's opening (openConfirmation) and the public verifier (verifyForPage) are used by the registry
// node's public pages (src/web/verify).
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import type { ExchangeNode } from '../kernel/exchange/index.js';
import type { KenmenData } from '../kernel/jpki/index.js';
import { invalidField, isProblem, notFound, parseInput, Problem } from '../kernel/problems/index.js';
import { catalog } from './catalog.js';
import {
  CREDENTIAL_CLAIMS, entryClaims, issueCredential, issuerPath, publishStatusList, verifyPresentation, type CredentialClaim, type CredentialDeps, type Verification,
} from './credentials.js';
import { PORTAL_PSEUDONYM, verifyCardSignature, verifyKenmenOfSigner } from './intake.js';
import type { RegistrySecrets } from './secrets.js';
import { withTenant, type Db } from './store.js';

/** The document the holder signs with the card (canonical JSON). */
export const HOLDER_REQUEST_FORMAT = 'mamori-registry-holder-request/1';
/** A signed request is accepted this long after it was made (a replay later is refused). */
export const HOLDER_REQUEST_SECONDS = 600;
/** An employer confirmation link lives at most this many days (decision 0207). */
export const CONFIRMATION_MAX_DAYS = 7;

/** What the holder agrees to before getting the credentials (shown in the page and signed). */
export const CREDENTIAL_CONSENT_TEXT =
  '国家資格等情報連携・活用システムが、マイナンバーカードの券面事項入力補助の情報により私の登録を確認し、私が有する資格のデジタル資格証（資格名、登録番号、登録年月日、氏名、生年月日を記載し、個人番号は記載しません）を発行することに同意します。';
/** What the holder agrees to before making a confirmation link for an employer. */
export const CONFIRMATION_CONSENT_TEXT =
  '選んだ項目と資格の現在の状態を、確認用リンクを開いた方（1回限り・有効期限まで）に提供することに同意します。リンクの作成と閲覧は記録され、マイナポータルで確認できます。';

export const CONFIRMATION_EVENT_LABELS = { created: '確認用リンクを作成', opened: '確認用リンクが開かれました', 'refused-used': '使用済みのリンクが開かれようとしました', 'refused-expired': '期限切れのリンクが開かれようとしました' } as const;
type EventKind = keyof typeof CONFIRMATION_EVENT_LABELS;

export interface HolderDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly secrets: RegistrySecrets;
  readonly node: ExchangeNode;
  readonly caCert: () => Promise<string>;
  readonly cardNode?: string;
  readonly credentials: CredentialDeps;
}

const claimEnum = z.enum(CREDENTIAL_CLAIMS as unknown as [CredentialClaim, ...CredentialClaim[]], { message: '開示する項目が正しくありません' });

const requestDocument = z
  .object({
    format: z.literal(HOLDER_REQUEST_FORMAT, { message: `依頼データの形式は ${HOLDER_REQUEST_FORMAT} です` }),
    purpose: z.enum(['credentials', 'confirmation'], { message: '依頼の種類が正しくありません' }),
    consent: z.string().max(1000),
    requestedAt: z.string().datetime({ offset: true, message: '依頼の日時の形式が正しくありません' }),
    kenmen: z.unknown(),
    confirmation: z
      .object({
        qualification: z.string().regex(/^[a-z]{2,30}$/, { message: '資格コードの形式が正しくありません' }),
        number: z.number().int().positive(),
        claims: z.array(claimEnum).min(1, { message: '提供する項目を1つ以上選んでください' }).max(5),
        days: z.number().int().min(1).max(CONFIRMATION_MAX_DAYS, { message: `有効期限は${CONFIRMATION_MAX_DAYS}日以内です` }),
        recipient: z.string().trim().min(1, { message: '提供先を入力してください' }).max(100, { message: '提供先は100文字以内です' }),
      })
      .strict()
      .optional(),
  })
  .strict();

const signedRequest = z
  .object({
    pseudonym: z.string({ message: 'マイナポータル仮名IDがありません' }).regex(PORTAL_PSEUDONYM, { message: 'マイナポータル仮名IDの形式が正しくありません' }),
    document: z.string({ message: '依頼データがありません' }).min(1).max(20_000),
    certPem: z.string({ message: '署名用電子証明書がありません' }).min(1).max(20_000),
    signature: z.string({ message: '署名がありません' }).regex(/^[A-Za-z0-9_-]{1,2048}$/, { message: '署名の形式が正しくありません' }),
  })
  .strict();

/**
 * Verifies a holder's signed request: the card signature (chain, validity, canonical text), the certificate's
 * revocation, the 券面事項入力補助 of the signing card, the consent text of its purpose and its freshness.
 */
async function verifyRequest(deps: HolderDeps, raw: unknown, purpose: 'credentials' | 'confirmation'): Promise<{ pseudonym: string; doc: z.output<typeof requestDocument>; kenmen: KenmenData }> {
  const input = parseInput(signedRequest, raw);
  const caPem = await deps.caCert();
  const v = await verifyCardSignature(deps, input, caPem);
  const doc = parseInput(requestDocument, JSON.parse(input.document), 'document');
  if (doc.purpose !== purpose) throw invalidField('document.purpose', 'PURPOSE_MISMATCH', '依頼の種類が違います');
  const expected = purpose === 'credentials' ? CREDENTIAL_CONSENT_TEXT : CONFIRMATION_CONSENT_TEXT;
  if (doc.consent !== expected) throw new Problem(400, 'CONSENT_REQUIRED', '同意が必要です', '同意の内容を確認し、同意したうえで署名してください。', [{ field: 'document.consent', code: 'CONSENT_REQUIRED', message: '同意の内容が示したものと一致しません' }]);
  if (purpose === 'confirmation' && !doc.confirmation) throw invalidField('document.confirmation', 'CONFIRMATION_MISSING', '提供する資格と項目を選んでください');
  const age = (deps.clock.now().getTime() - Date.parse(doc.requestedAt)) / 1000;
  if (age > HOLDER_REQUEST_SECONDS || age < -60) throw new Problem(400, 'REQUEST_STALE', '依頼の有効時間を過ぎています', 'もう一度カードで署名してください。');
  const kenmen = await verifyKenmenOfSigner(doc.kenmen, caPem, v);
  return { pseudonym: input.pseudonym, doc, kenmen };
}

interface HolderEntry {
  readonly tenant: string;
  readonly qualification: string;
  readonly number: number;
}

/** The holder's entries under every 資格管理者, found by the blind index of the My Number (never by the number). */
async function holderEntries(deps: HolderDeps, myNumber: string): Promise<HolderEntry[]> {
  const out: HolderEntry[] = [];
  for (const a of catalog().administrators) {
    const bi = deps.secrets.blindIndex(a.code, myNumber);
    const r = await withTenant(deps.db, a.code, (tx) => sql<{ qualification_code: string; registration_no: string }>`
      SELECT m.qualification_code, m.registration_no::text FROM registry.entry_mynumbers m
      JOIN registry.entries e USING (tenant_code, qualification_code, registration_no)
      WHERE m.blind_index = ${bi} AND e.erased_on IS NULL ORDER BY e.registered_on, m.qualification_code`.execute(tx));
    for (const x of r.rows) out.push({ tenant: a.code, qualification: x.qualification_code, number: Number(x.registration_no) });
  }
  return out;
}

export interface HolderCredential {
  readonly qualification: string;
  readonly qualificationName: string;
  readonly number: number;
  readonly registeredOn: string;
  readonly name: string;
  readonly issuerName: string;
  readonly credential: string;
  readonly issuedAt: string;
  readonly expiresAt: string;
}

/** `credentials.issue`: a credential for each active entry; entries not active are named with their status. */
export async function issueHolderCredentials(deps: HolderDeps, raw: unknown): Promise<{ credentials: HolderCredential[]; notIssued: { qualificationName: string; number: number; reason: string }[] }> {
  const { kenmen } = await verifyRequest(deps, raw, 'credentials');
  const credentials: HolderCredential[] = [];
  const notIssued: { qualificationName: string; number: number; reason: string }[] = [];
  for (const e of await holderEntries(deps, kenmen.myNumber)) {
    const q = catalog().qualification(e.qualification)!;
    try {
      const c = await issueCredential(deps.credentials, { tenant: e.tenant, qualification: e.qualification, number: e.number });
      const view = await withTenant(deps.db, e.tenant, (tx) => entryClaims(tx, deps.clock, e.tenant, e.qualification, e.number));
      credentials.push({
        qualification: q.code, qualificationName: q.name, number: e.number, registeredOn: String(view!.claims.登録年月日), name: String(view!.claims.氏名),
        issuerName: catalog().administrator(e.tenant)!.name, credential: c.credential, issuedAt: c.issuedAt, expiresAt: c.expiresAt,
      });
    } catch (err) {
      if (!(isProblem(err) && err.code === 'CREDENTIAL_NOT_ACTIVE')) throw err;
      notIssued.push({ qualificationName: q.name, number: e.number, reason: err.detail ?? err.title });
    }
  }
  return { credentials, notIssued };
}

const tokenHash = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

/** `credentials.confirmations.create`: a one-time link for one of the holder's own entries. */
export async function createConfirmation(deps: HolderDeps, raw: unknown): Promise<{ linkId: string; path: string; expiresAt: string; claims: CredentialClaim[]; qualificationName: string; number: number }> {
  const { pseudonym, doc, kenmen } = await verifyRequest(deps, raw, 'confirmation');
  const c = doc.confirmation!;
  const mine = (await holderEntries(deps, kenmen.myNumber)).find((e) => e.qualification === c.qualification && e.number === c.number);
  // Another person's entry, an erased one or an unknown number: the same 404 (nothing says whose it is).
  if (!mine) throw notFound('登録');
  const q = catalog().qualification(c.qualification)!;
  const now = deps.clock.now();
  const expires = new Date(now.getTime() + c.days * 86_400_000);
  const linkId = `L${randomBytes(10).toString('hex').toUpperCase()}`;
  const token = randomBytes(24).toString('base64url');
  const claims = CREDENTIAL_CLAIMS.filter((x) => c.claims.includes(x));
  await withTenant(deps.db, mine.tenant, async (tx) => {
    await sql`INSERT INTO registry.confirmation_links (tenant_code, link_id, token_hash, qualification_code, registration_no, holder_pseudonym, claims, recipient, consent_text, created_at, expires_at)
      VALUES (${mine.tenant}, ${linkId}, ${tokenHash(token)}, ${mine.qualification}, ${mine.number}, ${pseudonym}, ${claims}, ${c.recipient}, ${doc.consent}, ${now}, ${expires})`.execute(tx);
    await sql`INSERT INTO registry.confirmation_events (tenant_code, link_id, at, kind) VALUES (${mine.tenant}, ${linkId}, ${now}, 'created')`.execute(tx);
  });
  return { linkId, path: `/verify/confirm/${mine.tenant}/${token}`, expiresAt: expires.toISOString(), claims, qualificationName: q.name, number: mine.number };
}

export interface ConfirmationRecord {
  readonly linkId: string;
  readonly qualificationName: string;
  readonly number: number;
  readonly recipient: string;
  readonly claims: string[];
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly openedAt: string | null;
  readonly events: { readonly at: string; readonly kind: EventKind; readonly label: string }[];
}

/** `credentials.confirmations.log`: the holder's links (newest first) with every event, by マイナポータル仮名ID. */
export async function confirmationLog(deps: { db: Db }, raw: unknown): Promise<{ links: ConfirmationRecord[] }> {
  const { pseudonym } = parseInput(z.object({ pseudonym: signedRequest.shape.pseudonym }).strict(), raw);
  const links: ConfirmationRecord[] = [];
  for (const a of catalog().administrators) {
    await withTenant(deps.db, a.code, async (tx) => {
      const r = await sql<{ link_id: string; qualification_code: string; registration_no: string; recipient: string; claims: string[]; created_at: Date; expires_at: Date; opened_at: Date | null }>`
        SELECT link_id, qualification_code, registration_no::text, recipient, claims, created_at, expires_at, opened_at FROM registry.confirmation_links WHERE holder_pseudonym = ${pseudonym}`.execute(tx);
      for (const l of r.rows) {
        const ev = await sql<{ at: Date; kind: EventKind }>`SELECT at, kind FROM registry.confirmation_events WHERE link_id = ${l.link_id} ORDER BY seq`.execute(tx);
        links.push({
          linkId: l.link_id, qualificationName: catalog().qualification(l.qualification_code)?.name ?? '', number: Number(l.registration_no), recipient: l.recipient, claims: l.claims,
          createdAt: new Date(l.created_at).toISOString(), expiresAt: new Date(l.expires_at).toISOString(), openedAt: l.opened_at ? new Date(l.opened_at).toISOString() : null,
          events: ev.rows.map((e) => ({ at: new Date(e.at).toISOString(), kind: e.kind, label: CONFIRMATION_EVENT_LABELS[e.kind] })),
        });
      }
    });
  }
  links.sort((x, y) => (x.createdAt < y.createdAt ? 1 : -1));
  return { links };
}

export type ConfirmationOpening =
  | { readonly result: 'shown'; readonly issuerName: string; readonly qualificationName: string; readonly status: { code: string; label: string }; readonly claims: Partial<Record<CredentialClaim, string | number>>; readonly recipient: string; readonly expiresAt: string; readonly openedAt: string }
  | { readonly result: 'used'; readonly openedAt: string }
  | { readonly result: 'expired'; readonly expiresAt: string }
  | { readonly result: 'ready'; readonly expiresAt: string }
  | { readonly result: 'unknown' };

const TOKEN = /^[A-Za-z0-9_-]{32}$/;

/**
 * The employer opens a link (once): the chosen items as the register holds them now and the entry's current
 * status; a second opening or an expired link says so.  Every opening is an event the holder sees.
 */
export async function openConfirmation(deps: { db: Db; clock: Clock }, tenant: string, token: string, consume: boolean): Promise<ConfirmationOpening> {
  if (!catalog().administrator(tenant) || !TOKEN.test(token)) return { result: 'unknown' };
  return withTenant(deps.db, tenant, async (tx) => {
    const r = await sql<{ link_id: string; qualification_code: string; registration_no: string; claims: string[]; recipient: string; expires_at: Date; opened_at: Date | null }>`
      SELECT link_id, qualification_code, registration_no::text, claims, recipient, expires_at, opened_at FROM registry.confirmation_links WHERE token_hash = ${tokenHash(token)} FOR UPDATE`.execute(tx);
    const l = r.rows[0];
    if (!l) return { result: 'unknown' };
    const now = deps.clock.now();
    const event = (kind: EventKind) => sql`INSERT INTO registry.confirmation_events (tenant_code, link_id, at, kind) VALUES (${tenant}, ${l.link_id}, ${now}, ${kind})`.execute(tx);
    if (l.opened_at) {
      await event('refused-used');
      return { result: 'used', openedAt: new Date(l.opened_at).toISOString() };
    }
    if (new Date(l.expires_at).getTime() <= now.getTime()) {
      await event('refused-expired');
      return { result: 'expired', expiresAt: new Date(l.expires_at).toISOString() };
    }
    if (!consume) return { result: 'ready', expiresAt: new Date(l.expires_at).toISOString() };
    const view = (await entryClaims(tx, deps.clock, tenant, l.qualification_code, Number(l.registration_no)))!;
    await sql`UPDATE registry.confirmation_links SET opened_at = ${now} WHERE tenant_code = ${tenant} AND link_id = ${l.link_id}`.execute(tx);
    await event('opened');
    const claims: Partial<Record<CredentialClaim, string | number>> = {};
    for (const k of CREDENTIAL_CLAIMS) if (l.claims.includes(k)) claims[k] = view.claims[k];
    return {
      result: 'shown', issuerName: catalog().administrator(tenant)!.name, qualificationName: catalog().qualification(l.qualification_code)?.name ?? '', status: view.status, claims,
      recipient: l.recipient, expiresAt: new Date(l.expires_at).toISOString(), openedAt: now.toISOString(),
    };
  });
}

/**
 * The public verifier (src/web/verify): the issuer must be one of this registry's 資格管理者 (its URL's path
 * names the tenant; anything else is 検証できません — the page fetches nothing from addresses a presentation
 * names), then verifyPresentation with that 資格管理者's published JWKS and status lists, as served.
 */
export async function verifyForPage(deps: CredentialDeps, text: string): Promise<Verification> {
  const trimmed = text.trim();
  let iss: unknown;
  try {
    iss = (JSON.parse(Buffer.from(trimmed.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown }).iss;
  } catch {
    iss = undefined;
  }
  const tenant = typeof iss === 'string' ? catalog().administrators.find((a) => { try { return new URL(iss as string).pathname === issuerPath(a.code); } catch { return false; } })?.code : undefined;
  if (!tenant) return verifyPresentation(trimmed, { jwks: { keys: [] }, fetchStatusList: () => Promise.reject(new Error('unknown issuer')), now: deps.clock.now() });
  const prefix = `${iss as string}/status-lists/`;
  return verifyPresentation(trimmed, {
    jwks: await deps.keys.jwks(tenant),
    fetchStatusList: async (uri) => {
      const m = uri.startsWith(prefix) ? /^([1-9][0-9]{0,8})$/.exec(uri.slice(prefix.length)) : null;
      if (!m) throw new Error('status list outside the issuer');
      return publishStatusList(deps, tenant, Number(m[1]));
    },
    now: deps.clock.now(),
  });
}
