// Notices to applicants online (issue 16 Must have 5; QUA-26; decisions 0216, 0217): 手続結果や各種お知らせ the
// registry keeps for a person who applied through マイナポータル, addressed by the マイナポータル仮名ID of their
// online applications — on approval, 補正依頼 and 却下 of an online application, when a 免許証・登録証 is issued,
// when a 行政処分 is recorded against their entry, and when a 住基・戸籍 check finds a change the person must
// apply for (籍訂正・書換え交付).  Each is written in the transaction of the event it tells of.  The portal asks
// for them through the registry's exchange services `notices.mine` and `notices.read` (signed, logged, from the
// マイナポータル node only, docs/formats/registry-protocol.md) and keeps none of them; the registry records when
// the person first opened each (未読・既読).  A person registered on paper with no online application gets the
// notice by post as before (nothing is written here).  No notice holds a My Number.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { formatWareki } from '../kernel/jp/index.js';
import { notFound, parseInput } from '../kernel/problems/index.js';
import { catalog } from './catalog.js';
import { withTenant, type Db, type Tx } from './store.js';

export const NOTICE_KINDS = ['approved', 'returned', 'rejected', 'certificate', 'disposition', 'change-needed'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
export const NOTICE_KIND_LABELS: Record<NoticeKind, string> = {
  approved: '手続の結果', returned: '補正のお願い', rejected: '手続の結果', certificate: '免許証・登録証の交付', disposition: '行政処分', 'change-needed': '申請のお願い',
};

export interface NewNotice {
  readonly pseudonym: string;
  readonly kind: NoticeKind;
  readonly title: string;
  readonly body: string;
  readonly qualification: string;
  readonly registrationNo?: number | null;
  readonly applicationId?: string | null;
}

export interface NoticeView {
  readonly noticeId: string;
  readonly kind: NoticeKind;
  readonly kindLabel: string;
  readonly title: string;
  readonly body: string;
  readonly qualificationName: string;
  readonly administratorName: string;
  readonly registrationNo: number | null;
  readonly applicationId: string | null;
  readonly createdAt: string;
  readonly read: boolean;
}

export interface NoticePage {
  readonly total: number;
  readonly unread: number;
  readonly page: number;
  readonly perPage: number;
  readonly pages: number;
  readonly notices: readonly NoticeView[];
}

/** Writes a notice in the caller's transaction (set to its tenant); the pseudonym must be a portal one. */
export async function addNotice(tx: Tx, clock: Clock, n: NewNotice): Promise<string> {
  const tenant = (await sql<{ t: string | null }>`SELECT current_setting('mamori.registry_tenant', true) AS t`.execute(tx)).rows[0]?.t;
  if (!tenant) throw new Error('registry: a notice is written in a tenant transaction');
  const id = randomUUID();
  await sql`INSERT INTO registry.notices (tenant_code, notice_id, portal_pseudonym, kind, title, body, qualification_code, registration_no, application_id, created_at)
            VALUES (${tenant}, ${id}, ${n.pseudonym}, ${n.kind}, ${n.title.slice(0, 200)}, ${n.body.slice(0, 2000)}, ${n.qualification}, ${n.registrationNo ?? null}, ${n.applicationId ?? null}, ${clock.now()})`.execute(tx);
  return id;
}

/**
 * The マイナポータル仮名ID a notice about an entry goes to: that of the person's latest online application for
 * it (the registering one or any later one with its 登録番号), or null when they never applied online.
 */
export async function pseudonymOfEntry(tx: Tx, qualification: string, number: number): Promise<string | null> {
  const r = await sql<{ p: string }>`
    SELECT a.portal_pseudonym AS p FROM registry.applications a
    WHERE a.qualification_code = ${qualification} AND a.portal_pseudonym IS NOT NULL
      AND (a.registration_no = ${number} OR a.id::text = (SELECT e.application_id FROM registry.entries e WHERE e.qualification_code = ${qualification} AND e.registration_no = ${number}))
    ORDER BY a.received_at DESC LIMIT 1`.execute(tx);
  return r.rows[0]?.p ?? null;
}

/** Writes a notice about an entry to its person when they applied online; returns whether one was written. */
export async function noticeToEntry(tx: Tx, clock: Clock, qualification: string, number: number, n: Omit<NewNotice, 'pseudonym' | 'qualification' | 'registrationNo'>): Promise<boolean> {
  const pseudonym = await pseudonymOfEntry(tx, qualification, number);
  if (!pseudonym) return false;
  await addNotice(tx, clock, { ...n, pseudonym, qualification, registrationNo: number });
  return true;
}

function viewOf(r: Record<string, unknown>): NoticeView {
  const q = catalog().qualification(String(r['qualification_code']));
  const kind = r['kind'] as NoticeKind;
  return {
    noticeId: String(r['notice_id']), kind, kindLabel: NOTICE_KIND_LABELS[kind], title: String(r['title']), body: String(r['body']),
    qualificationName: q?.name ?? '', administratorName: catalog().administrator(String(r['tenant_code']))?.name ?? '',
    registrationNo: r['registration_no'] === null ? null : Number(r['registration_no']), applicationId: (r['application_id'] as string | null) ?? null,
    createdAt: new Date(r['created_at'] as Date).toISOString(), read: r['read_at'] !== null,
  };
}

/** The マイナポータル仮名ID of the registry (intake.ts PORTAL_PSEUDONYM; repeated here so that the register's writers need not load intake). */
const PORTAL_PSEUDONYM = /^MR[A-Z2-7]{26}$/;
const pseudonym = z.string({ message: 'マイナポータル仮名IDがありません' }).regex(PORTAL_PSEUDONYM, { message: 'マイナポータル仮名IDの形式が正しくありません' });
const mineQuery = z.object({
  pseudonym,
  page: z.coerce.number({ message: 'ページは1以上の数字です' }).int({ message: 'ページは1以上の数字です' }).min(1, { message: 'ページは1以上の数字です' }).max(10_000, { message: 'ページが大きすぎます' }).default(1),
  perPage: z.coerce.number({ message: '件数は1〜100の数字です' }).int({ message: '件数は1〜100の数字です' }).min(1, { message: '件数は1〜100の数字です' }).max(100, { message: '件数は1〜100の数字です' }).default(20),
}).strict();

/** Every notice row of a person (every 資格管理者), newest first. */
async function rowsOf(db: Db, who: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const admin of catalog().administrators) {
    await withTenant(db, admin.code, async (tx) => {
      out.push(...(await sql<Record<string, unknown>>`SELECT * FROM registry.notices WHERE portal_pseudonym = ${who} ORDER BY created_at DESC, notice_id LIMIT 5000`.execute(tx)).rows);
    });
  }
  return out.sort((a, b) => (new Date(b['created_at'] as Date).getTime() - new Date(a['created_at'] as Date).getTime()) || String(a['notice_id']).localeCompare(String(b['notice_id'])));
}

/** `notices.mine`: the person's notices (every 資格管理者), newest first, with the totals and the page asked for. */
export async function myNotices(deps: { db: Db }, raw: unknown): Promise<NoticePage> {
  const q = parseInput(mineQuery, raw);
  const rows = await rowsOf(deps.db, q.pseudonym);
  const total = rows.length;
  return {
    total, unread: rows.filter((r) => r['read_at'] === null).length, page: q.page, perPage: q.perPage, pages: Math.max(1, Math.ceil(total / q.perPage)),
    notices: rows.slice((q.page - 1) * q.perPage, q.page * q.perPage).map(viewOf),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `notices.read`: one of the person's notices, marked read the first time; 404 for anyone else's. */
export async function readNotice(deps: { db: Db; clock: Clock }, raw: unknown): Promise<NoticeView> {
  const q = parseInput(z.object({ pseudonym, noticeId: z.string().max(64) }).strict(), raw);
  if (!UUID.test(q.noticeId)) throw notFound('お知らせ');
  for (const admin of catalog().administrators) {
    const found = await withTenant(deps.db, admin.code, async (tx) => {
      const r = await sql<Record<string, unknown>>`SELECT * FROM registry.notices WHERE notice_id = ${q.noticeId} AND portal_pseudonym = ${q.pseudonym}`.execute(tx);
      const row = r.rows[0];
      if (!row) return undefined;
      if (row['read_at'] === null) {
        await sql`UPDATE registry.notices SET read_at = ${deps.clock.now()} WHERE tenant_code = ${admin.code} AND notice_id = ${q.noticeId} AND read_at IS NULL`.execute(tx);
      }
      return { ...viewOf(row), read: true };
    });
    if (found) return found;
  }
  throw notFound('お知らせ');
}

// ---- the notices of each event (their wording in one place) ---------------------------------------------------

const wareki = (d: string): string => (/^\d{4}-\d{2}-\d{2}$/.test(d) ? formatWareki(d) : d);

/** The notice of a decision on an online application (承認・補正依頼・却下), in the decision's transaction. */
export async function noticeOfDecision(tx: Tx, clock: Clock, a: { id: string; qualification: string; qualificationName: string; procedureLabel: string; portalPseudonym: string | null }, d: { action: 'approve' | 'return' | 'reject'; reason?: string | null; registrationNo?: number | null; registeredOn?: string | null; isNew: boolean }): Promise<void> {
  if (!a.portalPseudonym) return;
  const what = `${a.qualificationName}の${a.procedureLabel}`;
  const base = { pseudonym: a.portalPseudonym, qualification: a.qualification, applicationId: a.id, registrationNo: d.registrationNo ?? null };
  if (d.action === 'return') {
    await addNotice(tx, clock, { ...base, kind: 'returned', title: `${what}の申請の補正をお願いします`, body: `${what}の申請について、補正（修正）をお願いします。理由：${d.reason ?? ''}　マイナポータルの「国家資格の申請の状況」から補正した申請書を提出してください。` });
  } else if (d.action === 'reject') {
    await addNotice(tx, clock, { ...base, kind: 'rejected', title: `${what}の申請は却下されました`, body: `${what}の申請は却下されました。理由：${d.reason ?? ''}　納付された手数料は還付されます。` });
  } else {
    const body = d.isNew && d.registrationNo
      ? `${a.qualificationName}の登録が完了しました。登録番号は第${d.registrationNo}号、登録年月日は${d.registeredOn ? wareki(d.registeredOn) : '（確認中）'}です。`
      : `${what}の申請を承認し、登録事項に反映しました。`;
    await addNotice(tx, clock, { ...base, kind: 'approved', title: `${what}の申請が承認されました`, body });
  }
}

/** The notice that a 免許証・登録証 was issued and can be collected. */
export async function noticeOfCertificate(tx: Tx, clock: Clock, c: { qualification: string; registrationNo: number; title: string; serialNo: number; reasonLabel: string; issuedOn: string; applicationId?: string | null }): Promise<boolean> {
  const admin = catalog().administrator(catalog().qualification(c.qualification)?.administrator ?? '')?.name ?? '';
  return noticeToEntry(tx, clock, c.qualification, c.registrationNo, {
    kind: 'certificate', applicationId: c.applicationId ?? null, title: `${c.title}を交付しました（${c.reasonLabel}）`,
    body: `${c.title}（交付番号 第${c.serialNo}号、交付年月日 ${wareki(c.issuedOn)}）を交付しました。受取りの方法は${admin}からのご案内をご確認ください。${c.reasonLabel === '新規登録' ? '' : 'これまでの免許証・登録証は無効になりました。'}`,
  });
}

/** The notice of a 行政処分 recorded against the person's entry. */
export async function noticeOfDisposition(tx: Tx, clock: Clock, d: { qualification: string; registrationNo: number; kind: 'suspension' | 'revocation'; from: string; until?: string | null }): Promise<boolean> {
  const q = catalog().qualification(d.qualification);
  const label = d.kind === 'suspension' ? '業務停止' : '免許取消';
  const period = d.kind === 'suspension' ? `期間：${wareki(d.from)}から${d.until ? wareki(d.until) : ''}まで` : `${wareki(d.from)}から`;
  return noticeToEntry(tx, clock, d.qualification, d.registrationNo, {
    kind: 'disposition', title: `${q?.name ?? ''}の行政処分（${label}）が記録されました`,
    body: `${q?.name ?? ''}（登録番号 第${d.registrationNo}号）について、行政処分（${label}、${period}）が登録されました。処分の内容は、処分の通知書をご確認ください。`,
  });
}

/** The notice that a 住基・戸籍 change needs the person's own 籍訂正・書換え交付 application. */
export async function noticeOfChangeNeeded(tx: Tx, clock: Clock, d: { qualification: string; registrationNo: number; what: string }): Promise<boolean> {
  const q = catalog().qualification(d.qualification);
  return noticeToEntry(tx, clock, d.qualification, d.registrationNo, {
    kind: 'change-needed', title: `${q?.name ?? ''}の${q?.registerName ?? ''}の訂正の申請をお願いします`,
    body: `住民票・戸籍の記載（${d.what}）が${q?.registerName ?? ''}の登録事項と異なっています。${q?.registerName ?? ''}の訂正（籍訂正）と、${q ? `${q.name}${q.registerName.endsWith('登録簿') ? '登録証' : '免許証'}` : '免許証'}の書換え交付の申請をしてください（マイナポータルの「国家資格の申請」からできます）。`,
  });
}

const CHANGE_NEEDED: Record<string, string> = { name: '氏名', honseki: '本籍' };

/** For the proposals a 住基・戸籍 check just added: a name or 本籍 change is told to the person (QUA-26). */
export async function noticeOfChangeNeededRows(tx: Tx, clock: Clock, rows: readonly { qualification_code: string; registration_no: string | number; kind: string }[]): Promise<void> {
  for (const r of rows) {
    const what = CHANGE_NEEDED[r.kind];
    if (what) await noticeOfChangeNeeded(tx, clock, { qualification: r.qualification_code, registrationNo: Number(r.registration_no), what });
  }
}
