// Contacts (RES-18; decision 0157): phone, mobile, fax and e-mail per person, each with its kind, where it came
// from, the day it was set, whether the person agreed to be contacted there, and the day it stopped being used.
// Input is normalised (全角 → 半角 by NFKC; the various dashes to '-') and checked against the Japanese numbering
// plan: a fixed line is 10 digits (0 + area code + number), a mobile 11 digits starting 060/070/080/090, an IP
// phone 050 + 8 digits, 0120/0570 10 digits, 0800 11 digits; +81 is read as the leading 0.  Values never go into
// the operation log (only the kind).
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { conflict, notFound, parseInput } from '../../kernel/problems/index.js';
import { fields } from '../../kernel/access/index.js';
import { requireResidentAccess, RESIDENT_DUTIES } from '../residents/index.js';
import './tables.js';

export const CONTACT_KINDS = ['phone', 'mobile', 'fax', 'email'] as const;
export type ContactKind = (typeof CONTACT_KINDS)[number];
export const CONTACT_KIND_LABELS: Record<ContactKind, string> = { phone: '電話', mobile: '携帯電話', fax: 'FAX', email: 'メール' };

export const CONTACT_SOURCES = ['counter', 'application', 'phone', 'clinic', 'other'] as const;
export type ContactSource = (typeof CONTACT_SOURCES)[number];
export const CONTACT_SOURCE_LABELS: Record<ContactSource, string> = { counter: '窓口で本人から', application: '申請書', phone: '電話で本人から', clinic: '医療機関から', other: 'その他' };

/** Who may change contacts: 宛名管理 or 予防接種 staff. */
const WRITE_DUTIES = ['addressee', 'vaccination'] as const;

export type PhoneCheck = { ok: true; value: string } | { ok: false; message: string };

/** Normalises and checks a phone number of `kind`; the stored form keeps the caller's hyphens when they group all digits. */
export function checkPhone(kind: 'phone' | 'mobile' | 'fax', input: string): PhoneCheck {
  let s = input.normalize('NFKC').trim().replace(/[‐‑‒–—―−ー]/g, '-').replace(/[\s()]/g, (c) => (c === '(' || c === ')' ? '-' : ''));
  if (s.startsWith('+81')) s = `0${s.slice(3).replace(/^-/, '')}`;
  s = s.replace(/-+/g, '-').replace(/^-|-$/g, '');
  if (!/^[0-9-]+$/.test(s)) return { ok: false, message: '電話番号は数字とハイフンで入力してください' };
  const d = s.replace(/-/g, '');
  const mobile = /^0[6789]0\d{8}$/.test(d);
  const ip = /^050\d{8}$/.test(d);
  const free = /^(0120|0570)\d{6}$/.test(d) || /^0800\d{7}$/.test(d);
  const fixed = /^0[1-9]\d{8}$/.test(d) && !/^0[5-9]0/.test(d) && !/^0120|^0570|^0800/.test(d);
  if (kind === 'mobile' && !mobile) return { ok: false, message: '携帯電話番号は 060・070・080・090 で始まる11桁です' };
  if (kind === 'phone' && !(fixed || ip || free || mobile)) return { ok: false, message: '電話番号は市外局番からの10桁（050・0800・携帯は11桁）です' };
  if (kind === 'fax' && !(fixed || ip)) return { ok: false, message: 'FAX番号は市外局番からの10桁（050は11桁）です' };
  const groups = s.split('-');
  const value = groups.length >= 2 && groups.length <= 3 && groups.every((g) => g.length >= 1) && groups[0]!.startsWith('0') ? s : mobile || ip ? `${d.slice(0, 3)}-${d.slice(3, 7)}-${d.slice(7)}` : d;
  return { ok: true, value };
}

export const ContactInput = z
  .object({
    kind: z.enum(CONTACT_KINDS, { message: '連絡先の種類を選んでください' }),
    value: z.string().max(254, '長すぎます'),
    source: z.enum(CONTACT_SOURCES, { message: '入手元を選んでください' }),
    setOn: fields.plainDate,
    consent: z.boolean({ message: '連絡してよいかどうか（同意）を選んでください' }),
    note: fields.optionalText(200),
  })
  .transform((c, ctx) => {
    if (c.kind === 'email') {
      const e = fields.email.safeParse(c.value.normalize('NFKC'));
      if (!e.success || !e.data) {
        ctx.addIssue({ code: 'custom', path: ['value'], message: 'メールアドレスの形式が正しくありません', params: { code: 'EMAIL_FORMAT' } });
        return z.NEVER;
      }
      const at = e.data.lastIndexOf('@');
      return { ...c, value: `${e.data.slice(0, at)}@${e.data.slice(at + 1).toLowerCase()}` };
    }
    const p = checkPhone(c.kind, c.value);
    if (!p.ok) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: p.message, params: { code: 'PHONE_FORMAT' } });
      return z.NEVER;
    }
    return { ...c, value: p.value };
  });

export interface ContactView {
  readonly id: string;
  readonly kind: ContactKind;
  readonly value: string;
  readonly source: ContactSource;
  readonly setOn: string;
  readonly consent: boolean;
  readonly note: string | null;
  readonly endedOn: string | null;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

const COLS = ['id', 'kind', 'value', 'source', 'set_on', 'consent', 'note', 'ended_on', 'updated_at', 'updated_by'] as const;
type Row = { id: string; kind: ContactKind; value: string; source: ContactSource; set_on: string; consent: boolean; note: string | null; ended_on: string | null; updated_at: Date; updated_by: string };
const view = (r: Row): ContactView => ({ id: r.id, kind: r.kind, value: r.value, source: r.source, setOn: r.set_on, consent: r.consent, note: r.note, endedOn: r.ended_on, updatedAt: r.updated_at, updatedBy: r.updated_by });

async function requirePerson(w: Work, atenaNo: string): Promise<void> {
  const p = await w.tx.selectFrom('municipality.persons').select('atena_no').where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).executeTakeFirst();
  if (!p) throw notFound('住民');
}

/** Adds a contact; the same kind and value already in use is refused (end the old one first). */
export async function addContact(w: Work, atenaNo: string, raw: unknown): Promise<ContactView> {
  requireResidentAccess(w.actor, 'personal.write', WRITE_DUTIES, atenaNo);
  const c = parseInput(ContactInput, raw);
  await requirePerson(w, atenaNo);
  const dup = await w.tx.selectFrom('municipality.person_contacts').select('id').where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).where('kind', '=', c.kind).where('value', '=', c.value).where('ended_on', 'is', null).executeTakeFirst();
  if (dup) throw conflict('CONTACT_EXISTS', 'この連絡先はすでに登録されています。');
  const r = await w.tx
    .insertInto('municipality.person_contacts')
    .values({ tenant_code: w.tenant, atena_no: atenaNo, kind: c.kind, value: c.value, source: c.source, set_on: c.setOn, consent: c.consent, note: c.note ?? null, ended_on: null, updated_at: w.clock.now(), updated_by: w.actor.login })
    .returning(COLS)
    .executeTakeFirstOrThrow();
  await appendEntry(w.tx, w, { action: 'create', targetType: 'person-contact', targetId: r.id, subjectRef: `resident:${atenaNo}`, detail: { kind: c.kind, source: c.source, consent: c.consent } });
  return view(r as Row);
}

const EndInput = z.object({ endedOn: fields.plainDate });

/** Marks a contact as no longer used (kept for the history). */
export async function endContact(w: Work, id: string, raw: unknown): Promise<ContactView> {
  const e = parseInput(EndInput, raw);
  const cur = await w.tx.selectFrom('municipality.person_contacts').select(['atena_no', 'set_on', 'ended_on']).where('tenant_code', '=', w.tenant).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!cur) throw notFound('連絡先');
  requireResidentAccess(w.actor, 'personal.write', WRITE_DUTIES, cur.atena_no);
  if (cur.ended_on) throw conflict('CONTACT_ENDED', 'この連絡先はすでに使われなくなっています。');
  if (e.endedOn < cur.set_on) throw conflict('CONTACT_END_BEFORE_SET', '終了日が設定日より前です。');
  const r = await w.tx.updateTable('municipality.person_contacts').set({ ended_on: e.endedOn, updated_at: w.clock.now(), updated_by: w.actor.login }).where('tenant_code', '=', w.tenant).where('id', '=', id).returning(COLS).executeTakeFirstOrThrow();
  await appendEntry(w.tx, w, { action: 'update', targetType: 'person-contact', targetId: id, subjectRef: `resident:${cur.atena_no}`, detail: { ended: true } });
  return view(r as Row);
}

/** A person's contacts, current ones first (the person page). */
export async function listContacts(w: Work, atenaNo: string): Promise<ContactView[]> {
  requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES, atenaNo);
  const rows = await w.tx
    .selectFrom('municipality.person_contacts')
    .select(COLS)
    .where('tenant_code', '=', w.tenant)
    .where('atena_no', '=', atenaNo)
    .orderBy((eb) => eb('ended_on', 'is', null), 'desc')
    .orderBy('set_on', 'desc')
    .execute();
  return rows.map((r) => view(r as Row));
}
