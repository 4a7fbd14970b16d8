// Who may do what in the notices ledger (KRN-28) and the municipality's sender block (首長名, 担当課, 問合せ先)
// printed on every document.
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { can, type Permission } from '../../kernel/policy/index.js';
import { forbidden, Problem, parseInput } from '../../kernel/problems/index.js';
import { municipalitySchema, type MunicipalityInfo } from '../documents/index.js';
import { requireResidentAccess } from '../residents/index.js';

/** Notices are the vaccination desk's work (予防接種): reading needs personal.read, issuing personal.write,
 * printing and files personal.export — all in the 予防接種 duty. */
export function requireNotices(w: Work, permission: Permission, target?: string): void {
  requireResidentAccess(w.actor, permission, ['vaccination'], target);
}

export function mayNotices(w: Pick<Work, 'actor'>, permission: Permission): boolean {
  return can(w.actor, permission, 'vaccination');
}

/** Hand-overs to a contractor are made by the municipality's own staff, never by a contractor account. */
export function requireOwnStaff(w: Work): void {
  if (w.actor.kind !== 'staff') {
    throw forbidden('委託先への受け渡しは市区町村の職員のみが行えます。').withAudit({ action: 'access_denied', targetType: 'notice-handover', outcome: 'denied', detail: { kind: w.actor.kind } });
  }
}

const settingsInput = z.object({
  head: z.string().trim().min(1, { message: '差出人（首長名）を入力してください' }).max(30),
  department: z.string().trim().min(1, { message: '担当課を入力してください' }).max(40),
  postalCode: z.string().trim().regex(/^\d{3}-?\d{4}$/, { message: '郵便番号は7桁（例 680-8571）で入力してください' }),
  address: z.string().trim().max(60).optional(),
  phone: z.string().trim().regex(/^[0-9-]{6,15}$/, { message: '電話番号は数字とハイフンで入力してください' }),
  contact: z.string().trim().max(80).optional(),
  /** 郵送日数 (decision 0102); unchanged when not given. */
  mailingLeadDays: z.coerce
    .number({ message: '郵送日数は数字で入力してください' })
    .int({ message: '郵送日数は整数で入力してください' })
    .min(0, { message: '郵送日数は0〜90日です' })
    .max(90, { message: '郵送日数は0〜90日です' })
    .optional(),
});

export type NoticeSettingsInput = z.input<typeof settingsInput>;

/** The sender block, or null when the municipality has not set it yet. */
export async function getNoticeSettings(w: Work): Promise<MunicipalityInfo | null> {
  const org = await w.tx.selectFrom('kernel.organisations').select(['code', 'name']).where('code', '=', w.tenant).executeTakeFirst();
  const s = await w.tx.selectFrom('municipality.notice_settings').selectAll().where('tenant_code', '=', w.tenant).executeTakeFirst();
  if (!org || !s) return null;
  return {
    code: org.code,
    name: org.name,
    head: s.head,
    department: s.department,
    phone: s.phone,
    ...(s.postal_code ? { postalCode: s.postal_code } : {}),
    ...(s.address ? { address: s.address } : {}),
    ...(s.contact ? { contact: s.contact } : {}),
  };
}

/** Days a mailed document is taken to need to reach the resident when a municipality has not set it (decision 0102). */
export const DEFAULT_MAILING_LEAD_DAYS = 14;

/** The municipality's 郵送日数 (decision 0102): the default until the sender block is saved with one. */
export async function getMailingLeadDays(w: Work): Promise<number> {
  const s = await w.tx.selectFrom('municipality.notice_settings').select('mailing_lead_days').where('tenant_code', '=', w.tenant).executeTakeFirst();
  return s?.mailing_lead_days ?? DEFAULT_MAILING_LEAD_DAYS;
}

/** The sender block for printing; a 409 with a clear message when it has not been set. */
export async function requireNoticeSettings(w: Work): Promise<MunicipalityInfo> {
  const s = await getNoticeSettings(w);
  if (!s) throw new Problem(409, 'NOTICE_SETTINGS_MISSING', '差出人の設定がありません', '通知書の差出人（首長名・担当課・電話番号）を「文面の管理」で設定してから作成してください。');
  return s;
}

export async function saveNoticeSettings(w: Work, raw: unknown): Promise<MunicipalityInfo> {
  requireNotices(w, 'personal.write');
  const v = parseInput(settingsInput, raw);
  const org = await w.tx.selectFrom('kernel.organisations').select(['code', 'name']).where('code', '=', w.tenant).executeTakeFirstOrThrow();
  const row = {
    head: v.head,
    department: v.department,
    postal_code: v.postalCode,
    address: v.address || null,
    phone: v.phone,
    contact: v.contact || null,
  };
  // The whole block must be printable (the renderer's own rules).
  parseInput(municipalitySchema, { code: org.code, name: org.name, head: row.head, department: row.department, phone: row.phone, ...(row.postal_code ? { postalCode: row.postal_code } : {}), ...(row.address ? { address: row.address } : {}), ...(row.contact ? { contact: row.contact } : {}) });
  const lead = v.mailingLeadDays === undefined ? {} : { mailing_lead_days: v.mailingLeadDays };
  await w.tx
    .insertInto('municipality.notice_settings')
    .values({ tenant_code: w.tenant, ...row, ...lead })
    .onConflict((oc) => oc.column('tenant_code').doUpdateSet({ ...row, ...lead }))
    .execute();
  await appendEntry(w.tx, w, { action: 'settings_change', targetType: 'notice-settings', targetId: w.tenant, ...(v.mailingLeadDays === undefined ? {} : { detail: { mailingLeadDays: v.mailingLeadDays } }) });
  return (await getNoticeSettings(w))!;
}
