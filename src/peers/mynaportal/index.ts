// マイナポータル node `mynaportal` (issue 12; contract: docs/formats/platform-protocol.md; decision 0146).
// Card login (challenge → card signature → 公的個人認証 CA → card.status → insurerhub portal.resolve), the
// PMH仮名識別子 (made here once per 仮名識別子, PMH-09 step 3), the first-use link to the platform (the PMHキー
// is passed on and dropped, PMH-09 step 5), 代理人 by the child's own card (PMH-11), server-side sessions,
// and the calls the resident portal pages (src/web/portal) make to the platform for a person.  Every access
// is logged in peers_mynaportal.access_log.  No My Number and no PMHキー are stored or logged here.
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { createNodeServer, type ExchangeNode, type PeerContext, type PeerService } from '../../kernel/exchange/index.js';
import type { MigrationSource, UntypedDatabase } from '../../kernel/db/index.js';
import type { Clock } from '../../kernel/clock/index.js';
import { isProblem, parseInput, Problem } from '../../kernel/problems/index.js';
import { caCertSource, verifyCardSignature, type VerifyCardInput, type VerifiedCard } from '../../kernel/jpki/index.js';

export const MYNAPORTAL_SCHEMA = 'peers_mynaportal';
export const MYNAPORTAL_ROLE = 'mamori_mynaportal';
export const MYNAPORTAL_NODE = 'mynaportal';

export const mynaportalMigrations: MigrationSource = {
  schema: MYNAPORTAL_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

/** A login challenge lives 5 minutes and is used once. */
export const CHALLENGE_SECONDS = 300;
/** A session ends after 30 minutes without a request. */
export const SESSION_IDLE_SECONDS = 30 * 60;
/** Failed PINs / card logins in a row before the card is locked here (as a real card locks). */
export const MAX_CARD_FAILURES = 3;

/** What a parent agrees to when registering as a child's 代理人 (stored with the agency and sent to the platform). */
export const AGENT_CONSENT_TEXT =
  '私は、このお子さまの親権者（法定代理人）として、お子さまの予防接種のお知らせ・予診票・接種記録をマイナポータルで閲覧し、予診票を入力することに同意します。お子さまの情報はこの目的のためにだけ利用します。';

/** What the resident agrees to before sending a 予診票 (the consent the platform records, PMH-11). */
export const QUESTIONNAIRE_CONSENT_SELF = '上記の利用目的を確認し、予診票の内容を医療機関と市区町村に提供することに同意します。';
export const QUESTIONNAIRE_CONSENT_AGENT = '上記の利用目的を確認し、代理人として、お子さまの予診票の内容を医療機関と市区町村に提供することに同意します。';

const PP_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A fresh PMH仮名識別子: `PP` + 26 random base32 characters. */
export function newPmhPseudonym(): string {
  const b = randomBytes(26);
  let s = 'PP';
  for (const x of b) s += PP_ALPHABET[x & 31];
  return s;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The certificate serial (upper-case hex) this node counts failures under; undefined when the PEM is not a certificate. */
function serialOf(certPem: string): string | undefined {
  try {
    return new X509Certificate(certPem).serialNumber.toUpperCase();
  } catch {
    return undefined;
  }
}

export type VerifyCard = (input: VerifyCardInput) => VerifiedCard | Promise<VerifiedCard>;

export interface MynaportalOptions {
  /** Node names (defaults: 'platform', 'insurerhub', 'card'). */
  readonly platformNode?: string;
  readonly insurerhubNode?: string;
  readonly cardNode?: string;
  /** 国家資格等情報連携・活用システム (default 'registry'). */
  readonly registryNode?: string;
}

/** A card's answer to a challenge, as the login page posts it. */
export interface CardProof {
  readonly challengeId: string;
  readonly certPem: string;
  readonly signature: string;
}

export interface PortalSession {
  readonly tokenHash: string;
  /** The logged-in resident's PMH仮名識別子 (the platform's `actor`). */
  readonly actor: string;
  readonly createdAt: Date;
  readonly lastSeenAt: Date;
}

export interface PortalPerson {
  /** Opaque per-session id for URLs. */
  readonly pid: string;
  readonly relation: 'self' | 'agent';
  readonly name: string;
  readonly nameKana: string;
  readonly dateOfBirth: string;
  readonly sex: string;
}

export interface Challenge {
  readonly challengeId: string;
  readonly challenge: string;
  readonly expiresAt: string;
}

const noticeSchema = z.object({
  noticeId: z.string(),
  title: z.string(),
  body: z.string(),
  programName: z.string(),
  /** Not in the contract's list, but in the platform's Target.notices: links the notice to its 予診票. */
  programCode: z.string().optional(),
  dose: z.number().nullable().optional(),
  voucherNo: z.string().nullable().optional(),
  issuedOn: z.string().nullable().optional(),
  dueUntil: z.string().nullable().optional(),
  municipalityName: z.string().nullable().optional(),
});
export type PortalNotice = z.output<typeof noticeSchema>;

const itemSchema = z.object({
  itemId: z.string(),
  label: z.string(),
  type: z.enum(['boolean', 'choice', 'text', 'number']),
  options: z.array(z.string()).optional(),
  required: z.boolean().optional(),
  maxLength: z.number().int().positive().optional(),
});
export type QuestionnaireItem = z.output<typeof itemSchema>;

const questionnaireSchema = z.object({
  purpose: z.string(),
  items: z.array(itemSchema),
  answer: z.unknown().optional(),
  targetId: z.string().optional(),
  questionnaireId: z.string().optional(),
  title: z.string().optional(),
});
export type PortalQuestionnaire = z.output<typeof questionnaireSchema>;

const answerResultSchema = z.object({ answerId: z.string(), status: z.string(), qr: z.string() });
export type PortalAnswerResult = z.output<typeof answerResultSchema>;

const recordSchema = z.object({}).catchall(z.unknown());
const recordsSchema = z.object({
  records: z.array(recordSchema),
  due: z.array(recordSchema),
  fhir: z.unknown(),
});
export type PortalRecords = z.output<typeof recordsSchema>;

const dataUseSchema = z.object({
  entries: z.array(
    z.object({
      at: z.string(),
      who: z.string().nullable().optional(),
      organisation: z.string().nullable().optional(),
      action: z.string().nullable().optional(),
      purpose: z.string().nullable().optional(),
    }),
  ),
});
export type DataUseEntry = z.output<typeof dataUseSchema>['entries'][number];

const personsSchema = z.object({
  persons: z.array(
    z.object({
      subject: z.string(),
      relation: z.enum(['self', 'agent']),
      name: z.string(),
      nameKana: z.string().optional().default(''),
      dateOfBirth: z.string().optional().default(''),
      sex: z.string().optional().default(''),
    }),
  ),
});

const proofSchema = z.object({
  challengeId: z.string({ message: 'challengeId を指定してください' }).regex(/^[A-Za-z0-9_-]{24}$/, { message: 'challengeId の形式が正しくありません' }),
  certPem: z.string({ message: '電子証明書を指定してください' }).min(1).max(20_000),
  signature: z.string({ message: '署名を指定してください' }).regex(/^[A-Za-z0-9_-]{1,2048}$/, { message: '署名の形式が正しくありません' }),
});

/** What the applicant's page (or the CLI) sends: the signed document and the attachments' bytes (base64). */
export interface RegistrySubmission {
  readonly document: string;
  readonly certPem: string;
  readonly signature: string;
  readonly attachments?: readonly { readonly label: string; readonly mediaType: string; readonly content: string }[];
}

const submissionSchema = z
  .object({
    document: z.string({ message: '申請データがありません' }).min(1).max(1_000_000),
    certPem: z.string({ message: '署名用電子証明書がありません' }).min(1).max(20_000),
    signature: z.string({ message: '署名がありません' }).regex(/^[A-Za-z0-9_-]{1,2048}$/, { message: '署名の形式が正しくありません' }),
    attachments: z.array(z.object({ label: z.string().max(200), mediaType: z.string().max(100), content: z.string().max(30_000_000) }).strict()).max(10, { message: '添付書類は10件までです' }).default([]),
  })
  .strict();

const registryAnswerSchema = z.object({
  applicationId: z.string().uuid(),
  status: z.string(),
  statusLabel: z.string(),
  qualificationName: z.string(),
  procedureLabel: z.string(),
  receivedAt: z.string(),
  fee: z.object({ amount: z.number(), kind: z.string(), payUrl: z.string().optional() }).optional(),
});
export type RegistrySubmitAnswer = z.output<typeof registryAnswerSchema>;

const registryApplicationSchema = z.object({
  applicationId: z.string().uuid(),
  qualification: z.string(),
  qualificationName: z.string(),
  administratorName: z.string(),
  procedure: z.string(),
  procedureLabel: z.string(),
  status: z.enum(['received', 'returned', 'approved', 'rejected', 'withdrawn']),
  statusLabel: z.string(),
  receivedAt: z.string(),
  decidedAt: z.string().nullable(),
  notice: z
    .object({ kind: z.string(), title: z.string(), text: z.string(), registrationNo: z.number().optional(), registeredOn: z.string().optional(), reason: z.string().optional() })
    .nullable(),
  form: z.record(z.string(), z.unknown()).optional(),
});
export type RegistryApplication = z.output<typeof registryApplicationSchema>;

/** The fees of an application as the registry's `applications.fees` answers them (docs/formats/registry-api.md). */
const registryFeesSchema = z.object({
  applicationId: z.string().uuid(),
  status: z.string(),
  statusLabel: z.string(),
  lines: z.array(z.object({ kind: z.string(), amount: z.number().nullable() })),
  due: z.number().nullable(),
  paid: z.number(),
  outstanding: z.number().nullable(),
  settled: z.boolean(),
  payment: z.object({ payUrl: z.string().url(), expiresAt: z.string(), statusLabel: z.string() }).nullable(),
});
export type RegistryFees = z.output<typeof registryFeesSchema>;

/** The registry's notices as `notices.mine` / `notices.read` answer them (QUA-26; docs/formats/registry-protocol.md). */
const registryNoticeSchema = z.object({
  noticeId: z.string().uuid(), kind: z.string(), kindLabel: z.string(), title: z.string(), body: z.string(), qualificationName: z.string(), administratorName: z.string(),
  registrationNo: z.number().nullable(), applicationId: z.string().nullable(), createdAt: z.string(), read: z.boolean(),
});
export type RegistryNotice = z.output<typeof registryNoticeSchema>;
const registryNoticePageSchema = z.object({ total: z.number(), unread: z.number(), page: z.number(), perPage: z.number(), pages: z.number(), notices: z.array(registryNoticeSchema) });
export type RegistryNoticePage = z.output<typeof registryNoticePageSchema>;

/** A card-signed request of a credential holder (docs/formats/verify.md): the page signs it with the card. */
export interface HolderSignedRequest {
  readonly document: string;
  readonly certPem: string;
  readonly signature: string;
}
const holderRequestSchema = z
  .object({
    document: z.string({ message: '依頼データがありません' }).min(1).max(20_000),
    certPem: z.string({ message: '署名用電子証明書がありません' }).min(1).max(20_000),
    signature: z.string({ message: '署名がありません' }).regex(/^[A-Za-z0-9_-]{1,2048}$/, { message: '署名の形式が正しくありません' }),
  })
  .strict();

const holderCredentialsSchema = z.object({
  credentials: z.array(z.object({
    qualification: z.string(), qualificationName: z.string(), number: z.number(), registeredOn: z.string(), name: z.string(), issuerName: z.string(), credential: z.string(), issuedAt: z.string(), expiresAt: z.string(),
  })),
  notIssued: z.array(z.object({ qualificationName: z.string(), number: z.number(), reason: z.string() })),
});
export type HolderCredentials = z.output<typeof holderCredentialsSchema>;

const confirmationSchema = z.object({ linkId: z.string(), path: z.string().regex(/^\/verify\/confirm\/[a-z][a-z0-9-]{1,39}\/[A-Za-z0-9_-]{32}$/), expiresAt: z.string(), claims: z.array(z.string()), qualificationName: z.string(), number: z.number() });
export type HolderConfirmation = z.output<typeof confirmationSchema> & { readonly url: string };

const confirmationLogSchema = z.object({
  links: z.array(z.object({
    linkId: z.string(), qualificationName: z.string(), number: z.number(), recipient: z.string(), claims: z.array(z.string()), createdAt: z.string(), expiresAt: z.string(), openedAt: z.string().nullable(),
    events: z.array(z.object({ at: z.string(), kind: z.string(), label: z.string() })),
  })),
});
export type HolderConfirmationRecord = z.output<typeof confirmationLogSchema>['links'][number];

/** The system a マイナポータル仮名ID is made for, and its prefix (decision 0189). */
export const REGISTRY_SYSTEM = 'registry';
const SYSTEM_PREFIX: Record<string, string> = { [REGISTRY_SYSTEM]: 'MR' };

const notFound = (): Problem => new Problem(404, 'NOT_FOUND', '見つかりません', 'お探しのページは見つかりませんでした。');

/** What the resident portal pages (src/web/portal) use of the マイナポータル node. */
export interface MynaPortal {
  readonly node: ExchangeNode;
  readonly clock: Clock;
  /** The consent texts the pages show (the same text is stored and sent to the platform). */
  readonly texts: { readonly agentConsent: string; readonly questionnaireSelf: string; readonly questionnaireAgent: string };
  /** A fresh challenge: for login, or (with a session) for adding a child whose card the parent holds. */
  challenge(purpose: 'login' | 'agent', session?: PortalSession): Promise<Challenge>;
  /** Card login; returns the session token for the cookie (only its hash is stored). */
  login(proof: CardProof): Promise<{ token: string; session: PortalSession }>;
  /** The page reports a PIN the card file refused (consumes the challenge); counts towards the lock. */
  pinFailed(input: { challengeId: string; certPem: string }): Promise<{ remaining: number; locked: boolean }>;
  /** The live session of a cookie token (and marks it used), or null (unknown, ended or idle too long). */
  session(token: string | undefined): Promise<PortalSession | null>;
  logout(session: PortalSession): Promise<void>;
  /** The persons this session may see (本人 first), each with its opaque `pid`. */
  persons(session: PortalSession): Promise<PortalPerson[]>;
  /** One person by `pid`; 404 for any other value. */
  person(session: PortalSession, pid: string): Promise<PortalPerson>;
  /** 代理人の登録 with the child's card (PMH-11); returns the child as a person of this session. */
  addAgent(session: PortalSession, proof: CardProof, consent: { agreed: boolean; text: string }): Promise<PortalPerson>;
  notices(session: PortalSession, pid: string): Promise<PortalNotice[]>;
  questionnaire(session: PortalSession, pid: string, programCode: string, dose: number): Promise<PortalQuestionnaire>;
  answer(session: PortalSession, pid: string, input: { programCode: string; dose: number; consentText: string; answers: Record<string, string | number | boolean> }): Promise<PortalAnswerResult>;
  records(session: PortalSession, pid: string): Promise<PortalRecords>;
  dataUse(session: PortalSession, pid: string): Promise<DataUseEntry[]>;
  /**
   * 国家資格の申請 (issue 15; decisions 0188–0190): hands the applicant's card-signed document and attachments
   * to the registry (signed, encrypted) under the applicant's マイナポータル仮名ID, and keeps nothing of it.
   * The document's 券面事項入力補助 must be of the card this session logged in with.
   */
  registryApply(session: PortalSession, input: RegistrySubmission): Promise<RegistrySubmitAnswer>;
  /** The corrected application after 補正依頼 (signed again). */
  registryResubmit(session: PortalSession, applicationId: string, input: RegistrySubmission): Promise<RegistrySubmitAnswer>;
  /** The applicant's applications (every 資格管理者) with their result notices. */
  registryApplications(session: PortalSession): Promise<RegistryApplication[]>;
  /** One of the applicant's applications (with its form); 404 for anyone else's. */
  registryApplication(session: PortalSession, applicationId: string): Promise<RegistryApplication>;
  /** 取下げ by the applicant. */
  registryWithdraw(session: PortalSession, applicationId: string): Promise<RegistrySubmitAnswer>;
  /**
   * The fees of the applicant's application (QUA-19); with `pay`, the registry opens (or reuses) a payment at
   * 公金決済 and answers the payer page to send the applicant to, returning to `returnUrl`.
   */
  registryFees(session: PortalSession, applicationId: string, pay?: { returnUrl: string }): Promise<RegistryFees>;
  /** 国家資格のお知らせ (QUA-26): the applicant's notices from the registry, one page; nothing is kept here. */
  registryNotices(session: PortalSession, page?: number): Promise<RegistryNoticePage>;
  /** One notice, marked read at the registry; 404 for anyone else's. */
  registryNotice(session: PortalSession, noticeId: string): Promise<RegistryNotice>;

  /**
   * デジタル資格証 (issue 16; QUA-23; decision 0206): the holder's card-signed request (券面事項入力補助 and the
   * consent) to the registry, which identifies the holder itself; the credentials pass through, kept nowhere.
   */
  registryCredentials(session: PortalSession, input: HolderSignedRequest): Promise<HolderCredentials>;
  /** A one-time confirmation link for an employer (QUA-24; decision 0207); its full URL on the registry node. */
  registryConfirmationCreate(session: PortalSession, input: HolderSignedRequest): Promise<HolderConfirmation>;
  /** 「確認の記録」: the holder's links and their openings. */
  registryConfirmations(session: PortalSession): Promise<HolderConfirmationRecord[]>;
  /** The registry node's public verifier page (src/web/verify). */
  registryVerifyUrl(): string;
  /** The portal's own access log of one actor (newest first), for checks and the operator. */
  accessLog(actor: string, limit?: number): Promise<{ at: Date; actor: string | null; subject: string | null; action: string; outcome: string; code: string | null }[]>;
}

export function createMynaPortal(ctx: PeerContext, opts: MynaportalOptions = {}): MynaPortal {
  const db: Kysely<UntypedDatabase> = ctx.db;
  const S = MYNAPORTAL_SCHEMA;
  const clock = ctx.clock;
  const node = ctx.node;
  const platform = opts.platformNode ?? 'platform';
  const registry = opts.registryNode ?? 'registry';
  const insurerhub = opts.insurerhubNode ?? 'insurerhub';
  const cardNode = opts.cardNode ?? 'card';
  const verify: VerifyCard = verifyCardSignature;

  const t = (name: string) => sql.table(`${S}.${name}`);

  async function log(actor: string | null, subject: string | null, action: string, outcome: 'ok' | 'refused' | 'failed', code: string | null = null): Promise<void> {
    await sql`INSERT INTO ${t('access_log')} (at, actor, subject, action, outcome, code) VALUES (${clock.now()}, ${actor}, ${subject}, ${action}, ${outcome}, ${code})`.execute(db);
  }

  const caCert = caCertSource(() => `${node.directory.entry(cardNode).url}/card/v1/ca.pem`, () => clock.now());

  async function consume(id: string, purpose: 'login' | 'agent', session?: PortalSession): Promise<string> {
    const now = clock.now();
    const r = await sql<{ challenge: string; session_hash: string | null }>`
      UPDATE ${t('challenges')} SET consumed_at = ${now}
      WHERE id = ${id} AND purpose = ${purpose} AND consumed_at IS NULL AND expires_at > ${now}
      RETURNING challenge, session_hash`.execute(db);
    const row = r.rows[0];
    if (!row || (purpose === 'agent' && row.session_hash !== session?.tokenHash)) {
      await log(session?.actor ?? null, null, purpose === 'login' ? 'login' : 'agent.add', 'refused', 'CHALLENGE_INVALID');
      throw new Problem(401, 'CHALLENGE_INVALID', 'もう一度お試しください', 'ログインの有効期限が切れたか、すでに使われた確認です。画面を開き直して、もう一度カードで確認してください。');
    }
    return row.challenge;
  }

  async function failuresOf(serial: string): Promise<{ failures: number; locked: boolean }> {
    const r = await sql<{ failures: number; locked_at: Date | null }>`SELECT failures, locked_at FROM ${t('card_failures')} WHERE serial = ${serial}`.execute(db);
    const row = r.rows[0];
    return { failures: row ? Number(row.failures) : 0, locked: !!row?.locked_at };
  }

  function lockedProblem(): Problem {
    return new Problem(423, 'CARD_LOCKED', 'このカードはロックされています', `暗証番号を${MAX_CARD_FAILURES}回続けて間違えたため、このカードではログインできません。お住まいの市区町村の窓口で、暗証番号の再設定（ロックの解除）を受けてください。`);
  }

  async function fail(serial: string): Promise<{ remaining: number; locked: boolean }> {
    const now = clock.now();
    const r = await sql<{ failures: number }>`
      INSERT INTO ${t('card_failures')} AS f (serial, failures, locked_at, updated_at) VALUES (${serial}, 1, ${MAX_CARD_FAILURES <= 1 ? now : null}, ${now})
      ON CONFLICT (serial) DO UPDATE SET failures = f.failures + 1, updated_at = ${now},
        locked_at = COALESCE(f.locked_at, CASE WHEN f.failures + 1 >= ${MAX_CARD_FAILURES} THEN ${now}::timestamptz END)
      RETURNING failures`.execute(db);
    const failures = Number(r.rows[0]!.failures);
    return { remaining: Math.max(0, MAX_CARD_FAILURES - failures), locked: failures >= MAX_CARD_FAILURES };
  }

  /** Checks a card's answer to a challenge and finds (or makes) its PMH仮名識別子; the PMHキー is passed on once and dropped. */
  async function identify(proofIn: unknown, purpose: 'login' | 'agent', session?: PortalSession): Promise<{ pmhPseudonym: string; serial: string }> {
    const proof = parseInput(proofSchema, proofIn);
    const challenge = await consume(proof.challengeId, purpose, session);
    const actor = session?.actor ?? null;
    const action = purpose === 'login' ? 'login' : 'agent.add';
    const claimed = serialOf(proof.certPem);
    if (!claimed) {
      await log(actor, null, action, 'refused', 'CERT_INVALID');
      throw new Problem(401, 'CERT_INVALID', 'カードを確認できませんでした', 'カードのファイルに電子証明書が見つかりません。正しいファイルを選んでください。');
    }
    if ((await failuresOf(claimed)).locked) {
      await log(actor, null, action, 'refused', 'CARD_LOCKED');
      throw lockedProblem();
    }
    const caPem = await caCert();
    let card: VerifiedCard;
    try {
      card = await verify({ certPem: proof.certPem, caCertPem: caPem, challenge, signature: proof.signature, now: clock.now() });
    } catch (e) {
      if (isProblem(e) && e.status >= 500) throw e;
      // Count the failure only for a certificate the CA really issued (a forged certificate cannot lock a real card).
      let issued: boolean;
      try {
        issued = new X509Certificate(proof.certPem).verify(new X509Certificate(caPem).publicKey);
      } catch {
        issued = false;
      }
      const left = issued ? await fail(claimed) : undefined;
      await log(actor, null, action, 'refused', 'SIGNATURE_INVALID');
      if (left?.locked) throw lockedProblem();
      throw new Problem(401, 'SIGNATURE_INVALID', 'カードを確認できませんでした', left ? `カードの署名を確認できませんでした。あと${left.remaining}回失敗すると、このカードはロックされます。` : 'カードの署名または電子証明書を確認できませんでした。');
    }
    const serial = card.serial;
    const status = await node.call(cardNode, 'card.status', { serial });
    const st = (status.body ?? {}) as { status?: unknown };
    if (st.status !== 'good') {
      await log(actor, null, action, 'refused', st.status === 'revoked' ? 'CARD_REVOKED' : 'CARD_UNKNOWN');
      throw st.status === 'revoked'
        ? new Problem(403, 'CARD_REVOKED', 'このカードの電子証明書は失効しています', 'このカードではログインできません。お住まいの市区町村の窓口で電子証明書の再発行を受けてください。')
        : new Problem(403, 'CARD_UNKNOWN', 'このカードの電子証明書を確認できません', '公的個人認証サービスがこの電子証明書を確認できませんでした。');
    }
    let resolved: { pseudonymId: string; pmhKey?: string | undefined };
    try {
      const a = await node.call(insurerhub, 'portal.resolve', { serial });
      resolved = parseInput(z.object({ pseudonymId: z.string().regex(/^[0-9a-f]{32}$/), pmhKey: z.string().regex(/^PK[A-Z2-7]{20}$/).optional() }), a.body);
    } catch (e) {
      if (isProblem(e) && e.code === 'CARD_NOT_LINKED') {
        await log(actor, null, action, 'refused', 'CARD_NOT_LINKED');
        throw new Problem(403, 'CARD_NOT_LINKED', 'このカードはまだ利用できません', '健康保険の資格情報とこのカードの紐付けが確認できませんでした。加入している健康保険の窓口にお問い合わせください。');
      }
      throw e;
    }
    const now = clock.now();
    await sql`INSERT INTO ${t('pseudonyms')} (pseudonym_id, pmh_pseudonym, created_at) VALUES (${resolved.pseudonymId}, ${newPmhPseudonym()}, ${now}) ON CONFLICT (pseudonym_id) DO NOTHING`.execute(db);
    const p = (await sql<{ pmh_pseudonym: string; linked_at: Date | null }>`SELECT pmh_pseudonym, linked_at FROM ${t('pseudonyms')} WHERE pseudonym_id = ${resolved.pseudonymId}`.execute(db)).rows[0]!;
    await sql`INSERT INTO ${t('card_serials')} (serial, pseudonym_id, first_seen_at, last_seen_at) VALUES (${serial}, ${resolved.pseudonymId}, ${now}, ${now})
      ON CONFLICT (serial) DO UPDATE SET last_seen_at = ${now}`.execute(db);
    if (!p.linked_at) {
      // PMH-09 (4)(5): the platform ties the PMH仮名識別子 to the PMHキー; the key is not kept here.  Without a
      // key yet (nobody's target, e.g. a parent acting only as 代理人) the platform keeps the pseudonym alone,
      // and the link is completed at a later login that brings the key.
      try {
        const a = await node.call(platform, 'portal.link', { pmhPseudonym: p.pmh_pseudonym, ...(resolved.pmhKey ? { pmhKey: resolved.pmhKey } : {}) }, { personal: true });
        if ((a.body as { linked?: unknown } | null)?.linked === true) {
          await sql`UPDATE ${t('pseudonyms')} SET linked_at = ${clock.now()} WHERE pseudonym_id = ${resolved.pseudonymId}`.execute(db);
          await log(p.pmh_pseudonym, p.pmh_pseudonym, 'link', 'ok');
        }
      } catch (e) {
        if (!(isProblem(e) && e.code === 'PMH_KEY_UNKNOWN')) throw e;
        await log(p.pmh_pseudonym, p.pmh_pseudonym, 'link', 'refused', 'PMH_KEY_UNKNOWN');
      }
    }
    // The PMHキー goes out of scope here: it was never written anywhere (PMH-09 step 5).
    await sql`DELETE FROM ${t('card_failures')} WHERE serial = ${claimed}`.execute(db);
    return { pmhPseudonym: p.pmh_pseudonym, serial };
  }

  async function subjectOf(session: PortalSession, pid: string): Promise<string> {
    if (!/^[A-Za-z0-9_-]{8,64}$/.test(pid)) throw notFound();
    const r = await sql<{ pmh_pseudonym: string }>`SELECT pmh_pseudonym FROM ${t('session_persons')} WHERE token_hash = ${session.tokenHash} AND pid = ${pid}`.execute(db);
    const s = r.rows[0]?.pmh_pseudonym;
    if (!s) throw notFound();
    return s;
  }

  async function listPersons(session: PortalSession): Promise<(PortalPerson & { subject: string })[]> {
    const a = await node.call(platform, 'portal.persons', { actor: session.actor });
    const persons = parseInput(personsSchema, a.body).persons;
    const out: (PortalPerson & { subject: string })[] = [];
    for (const p of persons) {
      await sql`INSERT INTO ${t('session_persons')} (token_hash, pid, pmh_pseudonym) VALUES (${session.tokenHash}, ${randomBytes(12).toString('base64url')}, ${p.subject}) ON CONFLICT DO NOTHING`.execute(db);
      const pid = (await sql<{ pid: string }>`SELECT pid FROM ${t('session_persons')} WHERE token_hash = ${session.tokenHash} AND pmh_pseudonym = ${p.subject}`.execute(db)).rows[0]!.pid;
      out.push({ pid, subject: p.subject, relation: p.relation, name: p.name, nameKana: p.nameKana, dateOfBirth: p.dateOfBirth, sex: p.sex });
    }
    out.sort((x, y) => (x.relation === y.relation ? 0 : x.relation === 'self' ? -1 : 1));
    return out;
  }

  /** Calls a platform service about one person of the session, logging the access either way. */
  async function about<T>(session: PortalSession, pid: string, action: string, svc: string, body: Record<string, unknown>, schema: z.ZodType<T>, personal = false): Promise<T> {
    const subject = await subjectOf(session, pid);
    try {
      const a = await node.call(platform, svc, { actor: session.actor, subject, ...body }, { personal });
      const out = parseInput(schema, a.body);
      await log(session.actor, subject, action, 'ok');
      return out;
    } catch (e) {
      await log(session.actor, subject, action, isProblem(e) && e.status < 500 ? 'refused' : 'failed', isProblem(e) ? e.code : 'ERROR');
      if (isProblem(e) && e.status === 404) throw notFound();
      throw e;
    }
  }

  /** The session's マイナポータル仮名ID for a system, made at first use (decision 0189). */
  async function systemPseudonym(session: PortalSession, system: string): Promise<string> {
    const prefix = SYSTEM_PREFIX[system]!;
    await sql`INSERT INTO ${t('system_pseudonyms')} (pmh_pseudonym, system, pseudonym, created_at) VALUES (${session.actor}, ${system}, ${prefix + newPmhPseudonym().slice(2)}, ${clock.now()})
      ON CONFLICT (pmh_pseudonym, system) DO NOTHING`.execute(db);
    return (await sql<{ pseudonym: string }>`SELECT pseudonym FROM ${t('system_pseudonyms')} WHERE pmh_pseudonym = ${session.actor} AND system = ${system}`.execute(db)).rows[0]!.pseudonym;
  }

  /**
   * The document's 券面事項入力補助 must be of the card this session logged in with (its 利用者証明用 serial):
   * the applicant signs with their own card.  The registry verifies the rest (XCH-27).
   */
  async function checkSigner(session: PortalSession, document: string, action = 'registry.apply'): Promise<void> {
    const r = await sql<{ serial: string }>`SELECT serial FROM ${t('sessions')} WHERE token_hash = ${session.tokenHash}`.execute(db);
    let authSerial: unknown;
    try {
      const doc = JSON.parse(document) as { kenmen?: { text?: unknown } };
      authSerial = typeof doc.kenmen?.text === 'string' ? (JSON.parse(doc.kenmen.text) as { authSerial?: unknown }).authSerial : undefined;
    } catch {
      authSerial = undefined;
    }
    if (typeof authSerial !== 'string' || authSerial.toLowerCase() !== r.rows[0]?.serial.toLowerCase()) {
      await log(session.actor, session.actor, action, 'refused', 'SIGNER_NOT_LOGGED_IN');
      throw new Problem(403, 'SIGNER_NOT_LOGGED_IN', 'ログインしたカードで署名してください', '申請には、ログインに使ったご本人のマイナンバーカード（券面事項入力補助の情報を含むもの）で署名してください。', [{ field: 'document.kenmen', code: 'SIGNER_NOT_LOGGED_IN', message: 'ログインしたカードの情報ではありません' }]);
    }
  }

  /** Calls a registry service for the applicant; the body and the answer pass through and are not kept. */
  async function toRegistry<T>(session: PortalSession, action: string, svc: string, body: Record<string, unknown>, schema: z.ZodType<T>): Promise<T> {
    const pseudonym = await systemPseudonym(session, REGISTRY_SYSTEM);
    try {
      const a = await node.call(registry, svc, { pseudonym, ...body }, { personal: true, timeoutMs: 60_000 });
      const out = parseInput(schema, a.body);
      await log(session.actor, session.actor, action, 'ok');
      return out;
    } catch (e) {
      await log(session.actor, session.actor, action, isProblem(e) && e.status < 500 ? 'refused' : 'failed', isProblem(e) ? e.code : 'ERROR');
      if (isProblem(e) && e.status === 404) throw notFound();
      throw e;
    }
  }

  const portal: MynaPortal = {
    node,
    clock,
    texts: { agentConsent: AGENT_CONSENT_TEXT, questionnaireSelf: QUESTIONNAIRE_CONSENT_SELF, questionnaireAgent: QUESTIONNAIRE_CONSENT_AGENT },

    async challenge(purpose, session) {
      if (purpose === 'agent' && !session) throw new Problem(401, 'UNAUTHENTICATED', 'ログインしてください');
      const now = clock.now();
      const c: Challenge = { challengeId: randomBytes(18).toString('base64url'), challenge: randomBytes(32).toString('base64url'), expiresAt: new Date(now.getTime() + CHALLENGE_SECONDS * 1000).toISOString() };
      await sql`DELETE FROM ${t('challenges')} WHERE expires_at < ${new Date(now.getTime() - 86_400_000)}`.execute(db);
      await sql`INSERT INTO ${t('challenges')} (id, challenge, purpose, session_hash, created_at, expires_at) VALUES (${c.challengeId}, ${c.challenge}, ${purpose}, ${session?.tokenHash ?? null}, ${now}, ${c.expiresAt})`.execute(db);
      return c;
    },

    async login(proof) {
      const who = await identify(proof, 'login');
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      const tokenHash = sha256(token);
      await sql`INSERT INTO ${t('sessions')} (token_hash, pmh_pseudonym, serial, created_at, last_seen_at) VALUES (${tokenHash}, ${who.pmhPseudonym}, ${who.serial}, ${now}, ${now})`.execute(db);
      await log(who.pmhPseudonym, who.pmhPseudonym, 'login', 'ok');
      return { token, session: { tokenHash, actor: who.pmhPseudonym, createdAt: now, lastSeenAt: now } };
    },

    async pinFailed(input) {
      const parsed = parseInput(z.object({ challengeId: proofSchema.shape.challengeId, certPem: proofSchema.shape.certPem }), input);
      await consume(parsed.challengeId, 'login');
      const serial = serialOf(parsed.certPem);
      let issued: boolean;
      try {
        issued = !!serial && new X509Certificate(parsed.certPem).verify(new X509Certificate(await caCert()).publicKey);
      } catch {
        issued = false;
      }
      if (!serial || !issued) throw new Problem(401, 'CERT_INVALID', 'カードを確認できませんでした', 'カードのファイルに正しい電子証明書が見つかりません。');
      if ((await failuresOf(serial)).locked) throw lockedProblem();
      const r = await fail(serial);
      await log(null, null, 'login.pin', 'refused', r.locked ? 'CARD_LOCKED' : 'PIN_INCORRECT');
      return r;
    },

    async session(token) {
      if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
      const now = clock.now();
      const idleSince = new Date(now.getTime() - SESSION_IDLE_SECONDS * 1000);
      const r = await sql<{ token_hash: string; pmh_pseudonym: string; created_at: Date; last_seen_at: Date }>`
        UPDATE ${t('sessions')} SET last_seen_at = ${now}
        WHERE token_hash = ${sha256(token)} AND ended_at IS NULL AND last_seen_at > ${idleSince}
        RETURNING token_hash, pmh_pseudonym, created_at, last_seen_at`.execute(db);
      const row = r.rows[0];
      if (!row) return null;
      return { tokenHash: row.token_hash, actor: row.pmh_pseudonym, createdAt: new Date(row.created_at), lastSeenAt: new Date(row.last_seen_at) };
    },

    async logout(session) {
      await sql`UPDATE ${t('sessions')} SET ended_at = ${clock.now()} WHERE token_hash = ${session.tokenHash}`.execute(db);
      await sql`DELETE FROM ${t('session_persons')} WHERE token_hash = ${session.tokenHash}`.execute(db);
      await log(session.actor, session.actor, 'logout', 'ok');
    },

    async persons(session) {
      const list = await listPersons(session);
      await log(session.actor, session.actor, 'persons', 'ok');
      return list.map(({ subject: _s, ...p }) => p);
    },

    async person(session, pid) {
      const subject = await subjectOf(session, pid);
      const p = (await listPersons(session)).find((x) => x.subject === subject);
      if (!p) throw notFound();
      const { subject: _s, ...rest } = p;
      return rest;
    },

    async addAgent(session, proof, consent) {
      if (!consent.agreed || consent.text !== AGENT_CONSENT_TEXT) {
        throw new Problem(400, 'CONSENT_REQUIRED', '同意が必要です', '代理人として登録するには、同意の内容を確認してチェックを入れてください。', [{ field: 'consent', code: 'CONSENT_REQUIRED', message: '同意の内容を確認してチェックを入れてください' }]);
      }
      const child = await identify(proof, 'agent', session);
      if (child.pmhPseudonym === session.actor) {
        await log(session.actor, session.actor, 'agent.add', 'refused', 'AGENT_IS_SELF');
        throw new Problem(400, 'AGENT_IS_SELF', 'ご本人のカードです', '代理人の登録には、お子さまのカードを使ってください。');
      }
      const at = clock.now();
      await sql`INSERT INTO ${t('agencies')} (agent, principal, consent_text, consented_at) VALUES (${session.actor}, ${child.pmhPseudonym}, ${AGENT_CONSENT_TEXT}, ${at})
        ON CONFLICT (agent, principal) DO UPDATE SET consent_text = EXCLUDED.consent_text, consented_at = EXCLUDED.consented_at`.execute(db);
      await node.call(platform, 'portal.agency', { agent: session.actor, principal: child.pmhPseudonym, consentedAt: at.toISOString(), consentText: AGENT_CONSENT_TEXT }, { personal: true });
      await log(session.actor, child.pmhPseudonym, 'agent.add', 'ok');
      const p = (await listPersons(session)).find((x) => x.subject === child.pmhPseudonym);
      if (!p) throw new Problem(502, 'AGENCY_NOT_RECORDED', '代理人の登録を確認できません', '登録は受け付けましたが、まだお子さまの情報を表示できません。時間をおいてもう一度ログインしてください。');
      const { subject: _s, ...rest } = p;
      return rest;
    },

    async notices(session, pid) {
      return (await about(session, pid, 'notices', 'portal.notices', {}, z.object({ notices: z.array(noticeSchema) }))).notices;
    },

    async questionnaire(session, pid, programCode, dose) {
      return about(session, pid, 'questionnaire', 'portal.questionnaire', { programCode, dose }, questionnaireSchema);
    },

    async answer(session, pid, input) {
      const person = await portal.person(session, pid);
      const by = person.relation === 'self' ? 'self' : 'agent';
      return about(
        session, pid, 'answer', 'portal.answer',
        { programCode: input.programCode, dose: input.dose, consent: { by, at: clock.now().toISOString(), text: input.consentText }, answers: input.answers },
        answerResultSchema, true,
      );
    },

    async records(session, pid) {
      return about(session, pid, 'records', 'portal.records', {}, recordsSchema);
    },

    async dataUse(session, pid) {
      return (await about(session, pid, 'data-use', 'portal.data-use', {}, dataUseSchema)).entries;
    },

    async registryApply(session, input) {
      const sub = parseInput(submissionSchema, input);
      await checkSigner(session, sub.document);
      return toRegistry(session, 'registry.apply', 'applications.submit', sub, registryAnswerSchema);
    },

    async registryResubmit(session, applicationId, input) {
      const sub = parseInput(submissionSchema, input);
      await checkSigner(session, sub.document);
      return toRegistry(session, 'registry.resubmit', 'applications.resubmit', { ...sub, applicationId }, registryAnswerSchema);
    },

    async registryApplications(session) {
      return (await toRegistry(session, 'registry.applications', 'applications.mine', {}, z.object({ applications: z.array(registryApplicationSchema) }))).applications;
    },

    async registryApplication(session, applicationId) {
      return toRegistry(session, 'registry.application', 'applications.show', { applicationId }, registryApplicationSchema);
    },

    async registryWithdraw(session, applicationId) {
      return toRegistry(session, 'registry.withdraw', 'applications.withdraw', { applicationId }, registryAnswerSchema);
    },

    async registryFees(session, applicationId, pay) {
      const body = pay ? { applicationId, pay: true, returnUrl: pay.returnUrl } : { applicationId };
      return toRegistry(session, pay ? 'registry.pay' : 'registry.fees', 'applications.fees', body, registryFeesSchema);
    },

    async registryNotices(session, page = 1) {
      return toRegistry(session, 'registry.notices', 'notices.mine', { page, perPage: 20 }, registryNoticePageSchema);
    },

    async registryNotice(session, noticeId) {
      return toRegistry(session, 'registry.notice', 'notices.read', { noticeId }, registryNoticeSchema);
    },

    async registryCredentials(session, input) {
      const sub = parseInput(holderRequestSchema, input);
      await checkSigner(session, sub.document, 'registry.credentials');
      return toRegistry(session, 'registry.credentials', 'credentials.issue', sub, holderCredentialsSchema);
    },

    async registryConfirmationCreate(session, input) {
      const sub = parseInput(holderRequestSchema, input);
      await checkSigner(session, sub.document, 'registry.confirmation');
      const c = await toRegistry(session, 'registry.confirmation', 'credentials.confirmations.create', sub, confirmationSchema);
      return { ...c, url: `${node.directory.entry(registry).url}${c.path}` };
    },

    async registryConfirmations(session) {
      return (await toRegistry(session, 'registry.confirmations', 'credentials.confirmations.log', {}, confirmationLogSchema)).links;
    },

    registryVerifyUrl() {
      return `${node.directory.entry(registry).url}/verify`;
    },

    async accessLog(actor, limit = 1000) {
      const r = await sql<{ at: Date; actor: string | null; subject: string | null; action: string; outcome: string; code: string | null }>`
        SELECT at, actor, subject, action, outcome, code FROM ${t('access_log')} WHERE actor = ${actor} ORDER BY seq DESC LIMIT ${limit}`.execute(db);
      return r.rows.map((x) => ({ ...x, at: new Date(x.at) }));
    },
  };
  return portal;
}

export async function buildMynaportalNode(ctx: PeerContext, opts: MynaportalOptions = {}): Promise<PeerService & { portal: MynaPortal }> {
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, {});
  return { fastify, portal: createMynaPortal(ctx, opts) };
}
