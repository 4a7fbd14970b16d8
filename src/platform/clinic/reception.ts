// Reception (受付, PMH-13/14): by the person's My Number card — a one-use challenge signed by the card, the
// certificate checked against the 公的個人認証 CA and `card.status`, the PMH key asked of 支払基金
// (`reception.resolve`), the person's targets found by that key — or by the QR of a 予診票 answered on
// マイナポータル.  Only targets of municipalities this institution has a contract with are opened; any other
// is refused (403 NO_CONTRACT), logged, and nothing of it is read.  Each opened target gets today's visit,
// with the reception's identity check recorded.  No My Number is ever involved.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { verifyCardSignature } from '../../kernel/jpki/index.js';
import { Problem, isProblem, notFound, parseInput } from '../../kernel/problems/index.js';
import { withPlatformTenant as withTenant, type PlatformDb as Tx } from '../index.js';
import { asTenant, clinicLog, handled, type ClinicContext } from './context.js';
import { contractedOn, noContract } from './institutions.js';
import type { ClinicSession } from './session.js';
import { identityCheckSchema, newId, visitOf, VISIT_COLUMNS, type IdentityCheck, type Visit, type VisitRow } from './visits.js';

export const CHALLENGE_SECONDS = 300;

export async function receptionChallenge(c: ClinicContext, s: ClinicSession): Promise<{ challengeId: string; challenge: string; expiresAt: string }> {
  const now = c.clock.now();
  const challengeId = randomBytes(18).toString('base64url');
  const challenge = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + CHALLENGE_SECONDS * 1000);
  await sql`DELETE FROM platform.reception_challenges WHERE expires_at < ${new Date(now.getTime() - 86_400_000)}`.execute(c.db);
  await sql`INSERT INTO platform.reception_challenges (challenge_id, institution_code, session_hash, challenge, created_at, expires_at)
            VALUES (${challengeId}, ${s.institutionCode}, ${s.tokenHash}, ${challenge}, ${now}, ${expiresAt})`.execute(c.db);
  return { challengeId, challenge, expiresAt: expiresAt.toISOString() };
}

const cardSchema = z
  .object({
    challengeId: z.string({ message: 'challengeId を指定してください' }).regex(/^[A-Za-z0-9_-]{24}$/, { message: 'challengeId の形式が正しくありません' }),
    certPem: z.string({ message: '電子証明書（certPem）を指定してください' }).min(1).max(20_000),
    signature: z.string({ message: '署名（signature）を指定してください' }).regex(/^[A-Za-z0-9_-]{1,2048}$/, { message: '署名の形式が正しくありません' }),
    identityCheck: identityCheckSchema,
    consent: z.literal(true, { message: '本人の同意（consent: true）が必要です' }),
  })
  .strict();

const qrSchema = z
  .object({
    qr: z.string({ message: 'QRコードの内容（qr）を指定してください' }).max(200),
    identityCheck: identityCheckSchema,
  })
  .strict();

const QR = /^MAMORI-PMH1:([0-9]{6}):(T[0-9]{15}):(A[0-9A-Z]{20})$/;

interface Found {
  readonly tenant: string;
  readonly targetId: string;
}

/** Reception by card: the challenge signed by the card's 利用者証明用 key. */
export async function receptionByCard(c: ClinicContext, s: ClinicSession, raw: unknown): Promise<{ visits: Visit[] }> {
  const input = parseInput(cardSchema, raw);
  const now = c.clock.now();
  const refuse = async (code: string, p: Problem): Promise<never> => {
    await clinicLog(c.db, now, { institution: s.institutionCode, userId: s.userId, action: 'reception.card', outcome: 'refused', code });
    throw p;
  };
  const ch = await sql<{ challenge: string }>`
    UPDATE platform.reception_challenges SET consumed_at = ${now}
    WHERE challenge_id = ${input.challengeId} AND institution_code = ${s.institutionCode} AND session_hash = ${s.tokenHash} AND consumed_at IS NULL AND expires_at > ${now}
    RETURNING challenge`.execute(c.db);
  const challenge = ch.rows[0]?.challenge;
  if (!challenge) return refuse('CHALLENGE_INVALID', new Problem(401, 'CHALLENGE_INVALID', 'もう一度カードを読み取ってください', '確認の有効期限が切れたか、すでに使われた確認です。'));
  let serial: string;
  try {
    serial = (await verifyCardSignature({ certPem: input.certPem, caCertPem: await c.caCert(), challenge, signature: input.signature, now })).serial;
  } catch (e) {
    if (isProblem(e) && e.status < 500) return refuse(e.code, new Problem(401, e.code, 'カードを確認できませんでした', e.detail ?? e.title));
    throw e;
  }
  const st = ((await c.node.call(c.cardNode, 'card.status', { serial })).body ?? {}) as { status?: unknown };
  if (st.status !== 'good') {
    return st.status === 'revoked'
      ? refuse('CARD_REVOKED', new Problem(403, 'CARD_REVOKED', 'このカードの電子証明書は失効しています', 'このカードでは受付できません。健康保険証などで本人確認をして、予診票のQRコードで受付してください。'))
      : refuse('CARD_UNKNOWN', new Problem(403, 'CARD_UNKNOWN', 'このカードの電子証明書を確認できません', '公的個人認証サービスがこの電子証明書を確認できませんでした。'));
  }
  let pmhKey: string;
  try {
    const a = await c.node.call(c.insurerhubNode, 'reception.resolve', { serial }, { personal: true });
    pmhKey = parseInput(z.object({ pmhKey: z.string().regex(/^PK[A-Z2-7]{20}$/) }), a.body).pmhKey;
  } catch (e) {
    if (isProblem(e) && e.code === 'CARD_NOT_LINKED') {
      return refuse('CARD_NOT_LINKED', new Problem(403, 'CARD_NOT_LINKED', 'このカードでは受付できません', 'このカードは予防接種の情報と紐付いていません。予診票のQRコードか、市区町村の接種券で受付してください。'));
    }
    throw e;
  }
  const kt = await sql<{ tenant_code: string; target_id: string }>`SELECT tenant_code, target_id FROM platform.key_tenants WHERE pmh_key = ${pmhKey} ORDER BY tenant_code, target_id`.execute(c.db);
  if (!kt.rows.length) return refuse('NOT_A_TARGET', new Problem(404, 'NOT_A_TARGET', '予防接種の対象者として登録されていません', 'この方の予防接種の情報は、市区町村からまだ登録されていません。'));
  return open(c, s, kt.rows.map((r) => ({ tenant: r.tenant_code, targetId: r.target_id })), input.identityCheck, 'card', null);
}

/** Reception by the QR of a 予診票 answered on マイナポータル: the answer must belong to that target. */
export async function receptionByQr(c: ClinicContext, s: ClinicSession, raw: unknown): Promise<{ visits: Visit[] }> {
  const input = parseInput(qrSchema, raw);
  const m = QR.exec(input.qr.trim());
  if (!m) throw new Problem(400, 'QR_INVALID', 'QRコードを読み取れません', 'マイナポータルの予診票のQRコードではありません。', [{ field: 'qr', code: 'QR_INVALID', message: '予診票のQRコードではありません' }]);
  const [, tenant, targetId, answerId] = m as unknown as [string, string, string, string];
  return open(c, s, [{ tenant, targetId }], input.identityCheck, 'qr', answerId);
}

async function open(c: ClinicContext, s: ClinicSession, found: readonly Found[], check: IdentityCheck, via: 'card' | 'qr', answerId: string | null): Promise<{ visits: Visit[] }> {
  const now = c.clock.now();
  const today = c.clock.today();
  const action = via === 'card' ? 'reception.card' : 'reception.qr';
  const ok = await contractedOn(c.db, s.institutionCode, [...new Set(found.map((f) => f.tenant))], today);
  const refused = found.filter((f) => !ok.has(f.tenant));
  for (const f of refused) {
    // Logged at the institution and in the municipality's handling log: an attempt on its resident.
    await clinicLog(c.db, now, { institution: s.institutionCode, userId: s.userId, action, outcome: 'refused', code: 'NO_CONTRACT', tenant: f.tenant, targetId: f.targetId });
    const t = await sql`SELECT 1 FROM platform.tenants WHERE tenant_code = ${f.tenant} AND kind = 'municipality'`.execute(c.db);
    if (t.rows.length) {
      await withTenant(c.db, f.tenant, (tx) => handled(tx, now, f.tenant, s, 'clinic.refused', f.targetId, '契約のない医療機関からの受付（拒否・情報は表示していません）'));
    }
  }
  const allowed = found.filter((f) => ok.has(f.tenant));
  if (!allowed.length) throw noContract();
  const visits: Visit[] = [];
  for (const f of allowed) {
    const v = await withTenant(c.db, f.tenant, async (tx) => {
      const t = await sql<{ target_id: string }>`SELECT target_id FROM platform.targets WHERE tenant_code = ${f.tenant} AND target_id = ${f.targetId} AND NOT deleted`.execute(tx);
      if (!t.rows[0]) return null;
      if (answerId) {
        const a = await sql`SELECT 1 FROM platform.answers WHERE tenant_code = ${f.tenant} AND answer_id = ${answerId} AND target_id = ${f.targetId} AND status <> 'withdrawn'`.execute(tx);
        if (!a.rows.length) return null;
      }
      const row = await openVisit(tx, s, f, check, via, answerId, today, now);
      await handled(tx, now, f.tenant, s, 'clinic.reception', f.targetId, via === 'card' ? '予防接種の受付（マイナンバーカード）' : '予防接種の受付（予診票のQRコード）');
      return visitOf(c, tx, row);
    });
    if (v) visits.push(v);
  }
  if (!visits.length) {
    await clinicLog(c.db, now, { institution: s.institutionCode, userId: s.userId, action, outcome: 'refused', code: 'NOT_FOUND' });
    throw notFound(via === 'qr' ? '予診票' : '対象者');
  }
  await clinicLog(c.db, now, { institution: s.institutionCode, userId: s.userId, action, outcome: 'ok' });
  return { visits };
}

/** Today's open visit of the target at this institution (made now if there is none). */
async function openVisit(tx: Tx, s: ClinicSession, f: Found, check: IdentityCheck, via: 'card' | 'qr', answerId: string | null, today: string, now: Date): Promise<VisitRow> {
  await asTenant(tx, f.tenant);
  const ins = await sql<VisitRow>`
    INSERT INTO platform.visits AS v (visit_id, tenant_code, institution_code, visit_date, target_id, status, answer_id, reception_method, reception_note, reception_via, reception_by, reception_at)
    VALUES (${newId('V')}, ${f.tenant}, ${s.institutionCode}, ${today}, ${f.targetId}, 'checked-in', ${answerId}, ${check.method}, ${check.note ?? null}, ${via}, ${s.userId}, ${now})
    ON CONFLICT (institution_code, tenant_code, target_id, visit_date) WHERE status <> 'cancelled' DO NOTHING
    RETURNING ${VISIT_COLUMNS}`.execute(tx);
  if (ins.rows[0]) return ins.rows[0];
  // Checked in already today: the same visit (a QR read later adds its answer).
  const r = await sql<VisitRow>`
    UPDATE platform.visits v SET answer_id = COALESCE(${answerId}, v.answer_id)
    WHERE v.institution_code = ${s.institutionCode} AND v.tenant_code = ${f.tenant} AND v.target_id = ${f.targetId} AND v.visit_date = ${today}::date AND v.status <> 'cancelled'
    RETURNING ${VISIT_COLUMNS}`.execute(tx);
  return r.rows[0]!;
}
