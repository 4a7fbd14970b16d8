// 申請管理: receipt of electronic applications (XCH-26…XCH-28, XCH-30; decisions 0155, 0156;
// docs/formats/eapply-protocol.md).  Collects the tenant's queued applications from サービス検索・電子申請機能
// (applications.fetch, signed and encrypted), checks each — the document against the national standard
// form, the card signature against the 公的個人認証 CA (validity, tampering) and `card.status`
// (revocation) — identifies the applicant and the person vaccinated exactly, stores the result and
// acknowledges (applications.ack), whereupon the portal deletes its copy.
// A failed check makes the application 'rejected' with its reason and nothing else is kept of it; a
// transient failure (the CA or the portal unreachable) leaves the application at the portal for the next run.
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { ExchangeNode } from '../../kernel/exchange/index.js';
import type { MamoriDb } from '../../kernel/db/index.js';
import type { TenantKeyService } from '../../kernel/crypto/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import { newMeta, runAs, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { caCertSource, verifyDocumentSignature, type Holder } from '../../kernel/jpki/index.js';
import { EFORM_KINDS, eformDocumentSchema, formHasMyNumber, withoutMyNumber, type EformDocument, type EformKind } from '../../kernel/eforms/index.js';
import { isProblem, parseInput, Problem } from '../../kernel/problems/index.js';
import { PERSON_SUBJECT, requireResidentAccess } from '../residents/index.js';
import { sealDocument } from './seal.js';
import { recordEvent } from './events.js';

export const EAPPLY_NODE = 'eapply';
export const CARD_NODE = 'card';
/** Applications asked for per fetch. */
export const FETCH_PAGE = 100;
export const RECEIVE_PURPOSE = '電子申請の申請者の特定（申請管理）';

export interface EapplyDeps {
  readonly db: MamoriDb;
  readonly vault: Vault;
  readonly tenantKeys: TenantKeyService;
}

export interface ReceiveReport {
  /** Applications newly stored by this run. */
  readonly received: number;
  /** … of which the signature verified and the applicant was identified (status 'checked'). */
  readonly verified: number;
  /** … of which were rejected at receipt. */
  readonly rejected: number;
}

const queuedSchema = z.object({
  applicationNo: z.string().uuid(),
  kind: z.string().max(40),
  document: z.string().max(65_536),
  signature: z.object({ certPem: z.string().max(65_536), value: z.string().max(2048) }),
  receivedAt: z.string().datetime({ offset: true }),
});
const fetchAnswerSchema = z.object({ applications: z.array(queuedSchema).max(1000), more: z.boolean() });

type Queued = z.output<typeof queuedSchema>;

interface Refusal {
  readonly code: string;
  readonly reason: string;
}

type Checked = { ok: true; doc: EformDocument; serial: string; notAfter: Date; holder: Holder } | { ok: false; kind: EformKind | 'unknown'; refusal: Refusal };

function kindOf(k: string): EformKind | 'unknown' {
  return (EFORM_KINDS as readonly string[]).includes(k) ? (k as EformKind) : 'unknown';
}

const refusalOf = (e: Problem): Refusal => ({ code: e.code, reason: e.detail ? `${e.title}（${e.detail}）` : e.title });

/**
 * The checks that need no database (XCH-26, XCH-27): the form, the signature and the certificate's
 * revocation status.  Throws only for a transient failure (the CA unreachable): the caller leaves the
 * application at the portal.
 */
async function checkSigned(a: Queued, tenant: string, node: ExchangeNode, caPem: () => Promise<string>): Promise<Checked> {
  let raw: unknown;
  try {
    raw = JSON.parse(a.document);
  } catch {
    return { ok: false, kind: kindOf(a.kind), refusal: { code: 'FORM_INVALID', reason: '申請データを読めません（JSON ではありません）' } };
  }
  const parsed = eformDocumentSchema.safeParse(raw);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))].slice(0, 5).join('、');
    return { ok: false, kind: kindOf(a.kind), refusal: { code: 'FORM_INVALID', reason: `申請データが標準様式の項目に合いません（${fields || '全体'}）` } };
  }
  const doc = parsed.data;
  if (doc.tenant !== tenant) return { ok: false, kind: doc.kind, refusal: { code: 'WRONG_TENANT', reason: '提出先の団体が違います' } };
  if (doc.kind !== a.kind) return { ok: false, kind: doc.kind, refusal: { code: 'FORM_INVALID', reason: '申請の種類が申請データと一致しません' } };
  let v: Awaited<ReturnType<typeof verifyDocumentSignature>>;
  try {
    v = await verifyDocumentSignature({ text: a.document, certPem: a.signature.certPem, caCertPem: await caPem(), signature: a.signature.value, now: node.clock.now() });
  } catch (e) {
    if (isProblem(e) && e.status < 500) return { ok: false, kind: doc.kind, refusal: refusalOf(e) };
    throw e;
  }
  const st = await node.call(CARD_NODE, 'card.status', { serial: v.serial });
  const status = (st.body as { status?: unknown } | undefined)?.status;
  if (status === 'revoked') return { ok: false, kind: doc.kind, refusal: { code: 'CARD_REVOKED', reason: '署名用電子証明書は失効しています' } };
  if (status !== 'good') return { ok: false, kind: doc.kind, refusal: { code: 'CARD_UNKNOWN', reason: '公的個人認証サービスが発行を確認できない電子証明書です' } };
  return { ok: true, doc, serial: v.serial, notAfter: v.notAfter, holder: v.holder };
}

interface PersonRow {
  atena_no: string;
  name_kanji: string;
  birth_date: string;
  sex: string;
  address: string | null;
  household_no: string | null;
}

const SEX: Record<Holder['sex'], string | null> = { '1': 'male', '2': 'female', '9': null };

/**
 * XCH-28: the applicant is the resident whose 住民記録 equals the 署名用 certificate's 4情報 exactly (氏名,
 * 生年月日, 性別, 住所 — a 署名用 certificate is revoked when any of them changes, so the current record is
 * the one to compare).  The person vaccinated is the applicant ('self'), or the one resident of the
 * applicant's household with exactly the form's 氏名 and 生年月日.  When the form carries a My Number, the
 * blind index must give exactly that person.  Never a similarity match: anything else is a refusal.
 */
async function identify(w: Work, deps: EapplyDeps, doc: EformDocument, holder: Holder): Promise<{ ok: true; applicant: string; subject: string } | { ok: false; refusal: Refusal }> {
  const persons = (where: ReturnType<typeof sql>) =>
    sql<PersonRow>`SELECT atena_no, name_kanji, to_char(birth_date, 'YYYY-MM-DD') AS birth_date, sex, state->>'address' AS address, state->>'householdNo' AS household_no
                   FROM municipality.persons WHERE tenant_code = ${w.tenant} AND status = 'resident' AND ${where}`.execute(w.tx);
  const sex = SEX[holder.sex];
  const found = await persons(sql`name_kanji = ${holder.name} AND birth_date = ${holder.dateOfBirth}::date AND state->>'address' = ${holder.address}`);
  const applicants = found.rows.filter((p) => sex === null || p.sex === sex);
  if (applicants.length === 0) return { ok: false, refusal: { code: 'APPLICANT_NOT_FOUND', reason: '署名用電子証明書の基本4情報と一致する住民がいません（住所等の変更により電子証明書が失効している場合があります）' } };
  if (applicants.length > 1) return { ok: false, refusal: { code: 'APPLICANT_AMBIGUOUS', reason: '署名用電子証明書の基本4情報と一致する住民が複数います' } };
  const applicant = applicants[0]!;
  const form = doc.form as { subject: { name: string; birthDate: string }; relation: 'self' | 'parent' | 'guardian'; myNumber?: string };
  let subject: string;
  if (form.relation === 'self') {
    if (form.subject.name !== applicant.name_kanji || form.subject.birthDate !== applicant.birth_date) return { ok: false, refusal: { code: 'SUBJECT_MISMATCH', reason: '本人の申請ですが、被接種者の氏名・生年月日が署名者と一致しません' } };
    subject = applicant.atena_no;
  } else {
    if (!applicant.household_no) return { ok: false, refusal: { code: 'SUBJECT_NOT_FOUND', reason: '申請者の世帯が住民記録にないため、被接種者を特定できません' } };
    const kids = await persons(sql`name_kanji = ${form.subject.name} AND birth_date = ${form.subject.birthDate}::date AND state->>'householdNo' = ${applicant.household_no} AND atena_no <> ${applicant.atena_no}`);
    if (kids.rows.length !== 1) return { ok: false, refusal: { code: 'SUBJECT_NOT_FOUND', reason: '申請者の世帯に、被接種者の氏名・生年月日と一致する住民がいません' } };
    subject = kids.rows[0]!.atena_no;
  }
  if (form.myNumber) {
    const holders = await deps.vault.lookup(w, PERSON_SUBJECT, form.myNumber, RECEIVE_PURPOSE);
    if (holders.length !== 1 || holders[0] !== subject) return { ok: false, refusal: { code: 'MYNUMBER_MISMATCH', reason: '申請の個人番号が被接種者の住民記録と一致しません' } };
  }
  return { ok: true, applicant: applicant.atena_no, subject };
}

/** XCH-30: a resubmission replaces the open earlier application of the same person and kind. */
async function supersede(w: Work, doc: EformDocument, applicant: string, subject: string, newId: string): Promise<{ ok: true; earlier: string | null } | { ok: false; refusal: Refusal }> {
  if (!doc.supersedes) return { ok: true, earlier: null };
  const r = await sql<{ id: string; kind: string; status: string; applicant_atena: string | null; subject_atena: string | null }>`
    SELECT id, kind, status, applicant_atena, subject_atena FROM municipality.eapplications
    WHERE tenant_code = ${w.tenant} AND application_no = ${doc.supersedes} FOR UPDATE`.execute(w.tx);
  const e = r.rows[0];
  if (!e) return { ok: false, refusal: { code: 'SUPERSEDES_UNKNOWN', reason: '再申請の元の申請が見つかりません' } };
  if (e.applicant_atena !== applicant || e.subject_atena !== subject || e.kind !== doc.kind) return { ok: false, refusal: { code: 'SUPERSEDES_OTHER', reason: '再申請の元の申請は、別の方または別の種類の申請です' } };
  if (e.status === 'accepted') return { ok: false, refusal: { code: 'SUPERSEDES_DECIDED', reason: '元の申請はすでに受理されているため、再申請できません（窓口にご相談ください）' } };
  if (e.status === 'superseded') return { ok: false, refusal: { code: 'SUPERSEDES_STALE', reason: '元の申請はすでに別の再申請に置き換えられています' } };
  if (e.status === 'checked' || e.status === 'under_review') {
    await sql`UPDATE municipality.eapplications SET status = 'superseded', superseded_by = ${newId}, sealed_document = NULL, erased_at = ${w.clock.now()}
              WHERE tenant_code = ${w.tenant} AND id = ${e.id}`.execute(w.tx);
    await recordEvent(w, e.id, e.status, 'superseded', '再申請により置き換え');
  }
  return { ok: true, earlier: e.id };
}

function requireReceive(w: Work): void {
  if (w.actor.kind === 'system') return;
  requireResidentAccess(w.actor, 'personal.write', ['vaccination']);
}

/** Stores one fetched application (one transaction); null when it was stored by an earlier run. */
async function store(w: Work, deps: EapplyDeps, a: Queued, checked: Checked): Promise<'checked' | 'rejected' | null> {
  // Two runs at once (the background sync and a staff 取込) may hold the same application: one stores it.
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`eapply|${w.tenant}|${a.applicationNo}`}))`.execute(w.tx);
  const exists = await sql`SELECT 1 FROM municipality.eapplications WHERE tenant_code = ${w.tenant} AND application_no = ${a.applicationNo}`.execute(w.tx);
  if (exists.rows.length) return null;
  const id = randomUUID();
  const now = w.clock.now();
  const sha = createHash('sha256').update(a.document, 'utf8').digest('hex');
  let refusal: Refusal | null = checked.ok ? null : checked.refusal;
  let who: { applicant: string; subject: string } | null = null;
  let earlier: string | null = null;
  if (checked.ok) {
    const idf = await identify(w, deps, checked.doc, checked.holder);
    if (!idf.ok) refusal = idf.refusal;
    else {
      const s = await supersede(w, checked.doc, idf.applicant, idf.subject, id);
      if (!s.ok) refusal = s.refusal;
      else {
        who = idf;
        earlier = s.earlier;
      }
    }
  }
  const kind = checked.ok ? checked.doc.kind : checked.kind;
  const ok = refusal === null && who !== null && checked.ok;
  const form = ok ? withoutMyNumber(checked.doc.form) : null;
  const sealed = ok ? await sealDocument(deps.tenantKeys, w, id, { document: a.document, certPem: a.signature.certPem, signature: a.signature.value }) : null;
  await sql`INSERT INTO municipality.eapplications
      (tenant_code, id, application_no, kind, status, submitted_at, fetched_at, verified, reject_code, reject_reason, cert_serial, cert_not_after,
       applicant_atena, subject_atena, relation, form, had_mynumber, document_sha256, sealed_document, supersedes_id)
    VALUES (${w.tenant}, ${id}, ${a.applicationNo}, ${kind}, ${ok ? 'checked' : 'rejected'}, ${new Date(a.receivedAt)}, ${now}, ${checked.ok}, ${refusal?.code ?? null}, ${refusal?.reason ?? null},
       ${checked.ok ? checked.serial : null}, ${checked.ok ? checked.notAfter : null}, ${who?.applicant ?? null}, ${who?.subject ?? null},
       ${ok ? String((checked.doc.form as { relation: string }).relation) : null}, ${form ? JSON.stringify(form) : null}::jsonb, ${checked.ok && formHasMyNumber(checked.doc.form)},
       ${sha}, ${sealed}, ${earlier})`.execute(w.tx);
  await recordEvent(w, id, null, ok ? 'checked' : 'rejected', refusal?.reason ?? '署名検証・申請者の特定済み');
  await appendEntry(w.tx, w, {
    action: 'eapply_receive',
    targetType: 'eapplication',
    targetId: id,
    ...(who ? { subjectRef: `resident:${who.subject}` } : {}),
    purpose: RECEIVE_PURPOSE,
    detail: { kind, status: ok ? 'checked' : 'rejected', code: refusal?.code ?? null, supersedes: earlier },
  });
  return ok ? 'checked' : 'rejected';
}

/**
 * `mamori eapply receive`: collects every queued application of the principal's tenant, stores each once
 * and acknowledges it.  A run stopped anywhere can be run again: stored applications are acknowledged
 * again and counted once.
 */
export async function receiveApplications(deps: EapplyDeps, who: Principal, node: ExchangeNode, opts: { pageSize?: number } = {}): Promise<ReceiveReport> {
  await runAs(deps.db, who, async (w) => requireReceive(w));
  const caPem = caCertSource(() => `${node.directory.entry(CARD_NODE).url}/card/v1/ca.pem`, () => node.clock.now());
  const out = { received: 0, verified: 0, rejected: 0 };
  const size = Math.max(1, Math.min(opts.pageSize ?? FETCH_PAGE, 200));
  for (let round = 0; round < 10_000; round++) {
    const res = await node.call(EAPPLY_NODE, 'applications.fetch', { tenant: who.tenant, limit: size }, { personal: true, timeoutMs: 60_000 });
    const answer = parseInput(fetchAnswerSchema, res.body);
    const done: string[] = [];
    let pending = 0;
    for (const a of answer.applications) {
      let checked: Checked;
      try {
        checked = await checkSigned(a, who.tenant, node, caPem);
      } catch {
        // The CA unreachable: this application stays at the portal for the next run.
        pending++;
        continue;
      }
      const r = await runAs(deps.db, { ...who, meta: newMeta(who.meta.program) }, (w) => store(w, deps, a, checked));
      done.push(a.applicationNo);
      if (r) {
        out.received++;
        if (r === 'checked') out.verified++;
        else out.rejected++;
      }
    }
    if (done.length) await node.call(EAPPLY_NODE, 'applications.ack', { tenant: who.tenant, applicationNos: done });
    if (pending) throw new Problem(503, 'CARD_CA_UNREACHABLE', '電子証明書を確認できません', `公的個人認証サービスに接続できないため、${pending} 件の申請を取り込めませんでした（次の取込で再度処理します）。`);
    if (!answer.more || answer.applications.length === 0) break;
  }
  return out;
}
