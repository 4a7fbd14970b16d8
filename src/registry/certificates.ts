// Paper certificates (issue 16 Must have 4; QUA-25; decisions 0214, 0215): the 免許証 or 登録証 of an entry.
// A certificate is issued — recorded with its serial (交付番号, consecutive per 資格管理者), kind, reason
// (新規登録・再交付・書換え交付), 交付日 from the kernel clock and the data it prints — in the transaction that
// approves a 新規登録, 再交付 or 書換え交付 application (examination.ts).  A new one voids the entry's previous
// one (無効: day and reason, the serial that replaced it); no certificate is ever deleted.  The PDF (A4, BIZ
// UDPゴシック embedded as a subset) is rendered from the recorded data only, so the same certificate prints
// the same bytes every time; it never carries a My Number.  Staff print it from 登録の表示 (every print logged in
// registry.access_log like other reads); the operator with `mamori registry certificate`.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { notFound, parseInput } from '../kernel/problems/index.js';
import { catalog, type QualificationEntry } from './catalog.js';
import type { EntryView } from './register.js';
import { logAccess, visibleQualifications, type StaffSession } from './staff.js';
import { withTenant, type Db, type Tx } from './store.js';

export const CERTIFICATE_REASON_LABELS = { new: '新規登録', reissue: '再交付', rewrite: '書換え交付' } as const;
export type CertificateReason = keyof typeof CERTIFICATE_REASON_LABELS;
export type CertificateKind = '免許証' | '登録証';

/** What the certificate prints, recorded when it is issued (never a My Number, never a 資格仮名ID). */
export interface PrintedCertificate {
  /** 医師免許証, 介護福祉士登録証 … */
  readonly title: string;
  readonly kind: CertificateKind;
  readonly qualificationName: string;
  readonly registerName: string;
  readonly registrationNo: number;
  /** YYYY-MM-DD */
  readonly registeredOn: string;
  readonly name: string;
  /** 旧姓 printed beside the name (旧姓併記), when the register holds one. */
  readonly formerName: string | null;
  readonly birthDate: string | null;
  /** 本籍 (都道府県 or 国籍) as printed, on a 免許証 only. */
  readonly honseki: string | null;
  /** The sentence of the certificate (the law it is given under). */
  readonly statement: string;
  /** The issuer's line: 厚生労働大臣, or the 指定登録機関. */
  readonly issuer: string;
  readonly serialNo: number;
  readonly issuedOn: string;
  readonly reason: CertificateReason;
}

export interface CertificateView {
  readonly serialNo: number;
  readonly qualification: string;
  readonly registrationNo: number;
  readonly kind: CertificateKind;
  readonly title: string;
  readonly reason: CertificateReason;
  readonly reasonLabel: string;
  readonly issuedOn: string;
  readonly issuedBy: string;
  readonly applicationId: string | null;
  readonly valid: boolean;
  readonly statusLabel: '有効' | '無効';
  readonly voidOn: string | null;
  readonly voidReason: string | null;
  readonly voidBySerial: number | null;
}

const PREFECTURES = ['北海道', '青森県', '岩手県', '宮城県', '秋田県', '山形県', '福島県', '茨城県', '栃木県', '群馬県', '埼玉県', '千葉県', '東京都', '神奈川県', '新潟県', '富山県', '石川県', '福井県', '山梨県', '長野県', '岐阜県', '静岡県', '愛知県', '三重県', '滋賀県', '京都府', '大阪府', '兵庫県', '奈良県', '和歌山県', '鳥取県', '島根県', '岡山県', '広島県', '山口県', '徳島県', '香川県', '愛媛県', '高知県', '福岡県', '佐賀県', '長崎県', '熊本県', '大分県', '宮崎県', '鹿児島県', '沖縄県'];

/**
 * The kind follows the register (decision 0214): a qualification given by 免許 (医籍等, 薬剤師名簿, 管理栄養士名簿)
 * gets a 免許証; one given by 登録 in a 登録簿 (介護福祉士, 社会福祉士及び介護福祉士法第42条) a 登録証.
 */
export function certificateKind(q: QualificationEntry): CertificateKind {
  return q.registerName.endsWith('登録簿') ? '登録証' : '免許証';
}

export function certificateTitle(q: QualificationEntry): string {
  return `${q.name}${certificateKind(q)}`;
}

/** 厚生労働大臣, or — where the 資格管理者 works through a 指定登録機関 — that body (from the catalog). */
export function issuerLine(q: QualificationEntry): string {
  const admin = catalog().administrator(q.administrator);
  const body = admin?.affiliations.includes('designated-body') ? admin.divisions.find((d) => d.includes('法人')) : undefined;
  return body ? `厚生労働大臣指定登録機関　${body}` : '厚生労働大臣';
}

const day = (v: unknown): string => (v instanceof Date ? `${v.getFullYear()}-${String(v.getMonth() + 1).padStart(2, '0')}-${String(v.getDate()).padStart(2, '0')}` : String(v).slice(0, 10));
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);

/** What the certificate of `entry` prints (the entry as it stands after the approval). */
export function printedOf(entry: EntryView, serialNo: number, issuedOn: string, reason: CertificateReason): PrintedCertificate {
  const q = catalog().qualification(entry.qualification)!;
  const kind = certificateKind(q);
  const current = entry.names.filter((n) => n.until === null);
  const own = current.find((n) => n.kind === '氏名');
  const former = current.find((n) => n.kind === '旧姓' || n.kind === '旧氏');
  const law = q.legalBasis.register;
  const birth = Object.entries(entry.items).find(([k]) => k.startsWith('生年月日'))?.[1];
  const honsekiRaw = Object.entries(entry.items).find(([k]) => k.startsWith('本籍'))?.[1];
  const honseki = typeof honsekiRaw === 'string' ? (/^\d{2}$/.test(honsekiRaw) ? PREFECTURES[Number(honsekiRaw) - 1] ?? null : honsekiRaw.replace(/^国籍：/, '')) : null;
  return {
    title: certificateTitle(q), kind, qualificationName: q.name, registerName: q.registerName, registrationNo: entry.number, registeredOn: entry.registeredOn,
    name: [own?.姓, own?.名].filter(Boolean).join('　'), formerName: str(former?.姓), birthDate: str(birth),
    honseki: kind === '免許証' ? honseki : null,
    statement: kind === '免許証'
      ? `${law.law}（${law.lawNumber}）により${q.name}の免許を与える。`
      : `上記の者は、${law.law}（${law.lawNumber}）により${q.registerName}に登録されたことを証する。`,
    issuer: issuerLine(q), serialNo, issuedOn, reason,
  };
}

const VOID_REASONS: Record<CertificateReason, string> = { new: '新規登録', reissue: '再交付', rewrite: '書換え交付' };

/**
 * Issues the certificate of an entry in the caller's transaction (set to the entry's tenant): the next serial
 * of the 資格管理者 (an advisory lock keeps them consecutive), the previous valid certificate voided (day, reason,
 * replacing serial), the new one recorded with the data it prints.  Idempotent per application: the same
 * application again returns the certificate it already issued.
 */
export async function issueCertificate(tx: Tx, clock: Clock, entry: EntryView, input: { reason: CertificateReason; by: string; applicationId?: string | null; detail?: string | null }): Promise<CertificateView> {
  const tenant = entry.tenant;
  if (input.applicationId) {
    const done = await sql<{ serial_no: string }>`SELECT serial_no FROM registry.certificates WHERE tenant_code = ${tenant} AND application_id = ${input.applicationId}`.execute(tx);
    if (done.rows[0]) return (await certificatesOf(tx, entry.qualification, entry.number)).find((c) => c.serialNo === Number(done.rows[0]!.serial_no))!;
  }
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`registry-certificates|${tenant}`}, 0))`.execute(tx);
  const serial = Number((await sql<{ n: string }>`SELECT COALESCE(MAX(serial_no), 0) + 1 AS n FROM registry.certificates WHERE tenant_code = ${tenant}`.execute(tx)).rows[0]!.n);
  const today = clock.today();
  const why = `${VOID_REASONS[input.reason]}により無効${input.detail ? `（${input.detail}）` : ''}`.slice(0, 200);
  await sql`UPDATE registry.certificates SET void_on = ${today}, void_reason = ${why}, void_by_serial = ${serial}
            WHERE tenant_code = ${tenant} AND qualification_code = ${entry.qualification} AND registration_no = ${entry.number} AND void_on IS NULL`.execute(tx);
  const printed = printedOf(entry, serial, today, input.reason);
  await sql`INSERT INTO registry.certificates (tenant_code, serial_no, qualification_code, registration_no, kind, reason, issued_on, issued_at, issued_by, application_id, printed)
            VALUES (${tenant}, ${serial}, ${entry.qualification}, ${entry.number}, ${printed.kind}, ${input.reason}, ${today}, ${clock.now()}, ${input.by}, ${input.applicationId ?? null}, ${JSON.stringify(printed)}::jsonb)`.execute(tx);
  return (await certificatesOf(tx, entry.qualification, entry.number)).find((c) => c.serialNo === serial)!;
}

function viewOf(r: Record<string, unknown>): CertificateView {
  const reason = r['reason'] as CertificateReason;
  const voidOn = r['void_on'] === null ? null : day(r['void_on']);
  const printed = r['printed'] as PrintedCertificate;
  return {
    serialNo: Number(r['serial_no']), qualification: String(r['qualification_code']), registrationNo: Number(r['registration_no']), kind: r['kind'] as CertificateKind, title: printed.title,
    reason, reasonLabel: CERTIFICATE_REASON_LABELS[reason], issuedOn: day(r['issued_on']), issuedBy: String(r['issued_by']), applicationId: (r['application_id'] as string | null) ?? null,
    valid: voidOn === null, statusLabel: voidOn === null ? '有効' : '無効', voidOn, voidReason: (r['void_reason'] as string | null) ?? null, voidBySerial: r['void_by_serial'] === null ? null : Number(r['void_by_serial']),
  };
}

/** The 交付履歴 of an entry, oldest first (in a transaction set to its tenant). */
export async function certificatesOf(tx: Tx, qualification: string, number: number): Promise<CertificateView[]> {
  const r = await sql<Record<string, unknown>>`SELECT * FROM registry.certificates WHERE qualification_code = ${qualification} AND registration_no = ${number} ORDER BY serial_no`.execute(tx);
  return r.rows.map(viewOf);
}

const numberSchema = z.coerce.number({ message: '登録番号（数字）を指定してください' }).int({ message: '登録番号（数字）を指定してください' }).min(1, { message: '登録番号（数字）を指定してください' }).max(Number.MAX_SAFE_INTEGER);
const serialSchema = z.coerce.number({ message: '交付番号（数字）を指定してください' }).int({ message: '交付番号（数字）を指定してください' }).min(1, { message: '交付番号（数字）を指定してください' }).max(Number.MAX_SAFE_INTEGER);

async function printedIn(tx: Tx, qualification: string, number: number, serial: number | undefined): Promise<{ printed: PrintedCertificate; view: CertificateView } | undefined> {
  const r = serial === undefined
    ? await sql<Record<string, unknown>>`SELECT * FROM registry.certificates WHERE qualification_code = ${qualification} AND registration_no = ${number} ORDER BY (void_on IS NULL) DESC, serial_no DESC LIMIT 1`.execute(tx)
    : await sql<Record<string, unknown>>`SELECT * FROM registry.certificates WHERE qualification_code = ${qualification} AND registration_no = ${number} AND serial_no = ${serial}`.execute(tx);
  const row = r.rows[0];
  return row ? { printed: row['printed'] as PrintedCertificate, view: viewOf(row) } : undefined;
}

/** One recorded certificate: what it prints and its state (the PDF is rendered from this: certificate-pdf.ts). */
export interface CertificateRecord {
  readonly printed: PrintedCertificate;
  readonly filename: string;
  readonly certificate: CertificateView;
}

const filenameOf = (c: CertificateView): string => `certificate-${c.qualification}-${c.registrationNo}-${c.serialNo}.pdf`;

/**
 * One certificate of an entry (to print), for a staff member whose duties cover the qualification: another
 * administrator's, one outside the duties, an unknown number or serial answer the same 404; every print (and
 * every refusal) is logged (`read certificate <qualification>:<number>:<serial>`).
 */
export async function certificateForStaff(deps: { db: Db; clock: Clock }, session: StaffSession, qualification: string, number: unknown, serial: unknown, requestId?: string): Promise<CertificateRecord> {
  const code = String(qualification).slice(0, 40);
  const n = numberSchema.safeParse(number);
  const s = serialSchema.safeParse(serial);
  const target = `${code}:${n.success ? n.data : String(number).slice(0, 20)}:${s.success ? s.data : String(serial).slice(0, 20)}`;
  const q = visibleQualifications(session).find((x) => x.code === code);
  const found = q && n.success && s.success ? await withTenant(deps.db, session.staff.tenant, (tx) => printedIn(tx, code, n.data, s.data)) : undefined;
  await logAccess(deps.db, deps.clock, session, { action: 'read', targetType: 'certificate', targetId: target, outcome: found ? 'ok' : 'denied', ...(requestId ? { requestId } : {}) });
  if (!found) throw notFound('免許証・登録証');
  return { printed: found.printed, filename: filenameOf(found.view), certificate: found.view };
}

/** The same for the operator's CLI (`mamori registry certificate`): the valid certificate unless a serial is given; logged as user `operator`. */
export async function certificateAsOperator(deps: { db: Db; clock: Clock }, raw: { tenant: string; qualification: string; number: unknown; serial?: unknown }): Promise<CertificateRecord> {
  const input = parseInput(z.object({ number: numberSchema, serial: serialSchema.optional() }), { number: raw.number, ...(raw.serial !== undefined ? { serial: raw.serial } : {}) });
  const q = catalog().qualification(raw.qualification);
  if (!q || q.administrator !== raw.tenant) throw notFound('資格');
  const found = await withTenant(deps.db, raw.tenant, (tx) => printedIn(tx, q.code, input.number, input.serial));
  await withTenant(deps.db, raw.tenant, (tx) => sql`INSERT INTO registry.access_log (tenant_code, at, user_id, action, target_type, target_id, outcome)
    VALUES (${raw.tenant}, ${deps.clock.now()}, 'operator', 'read', 'certificate', ${`${q.code}:${input.number}:${found?.view.serialNo ?? input.serial ?? '-'}`}, ${found ? 'ok' : 'denied'})`.execute(tx));
  if (!found) throw notFound('免許証・登録証');
  return { printed: found.printed, filename: filenameOf(found.view), certificate: found.view };
}
