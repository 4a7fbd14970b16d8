// The register itself (issue 15 Must have 2 and 5; QUA-09…14, QUA-27, QUA-36, QUA-37, QUA-10; decisions
// 0177, 0178).  An entry is made from an approved, validated application: its items are the catalog's
// register items of the qualification, its 登録番号 the next of the qualification (one counter row locked by
// the transaction: consecutive, no gap), its 登録年月日 the kernel clock's day, its person a 資格仮名ID (random,
// one per person per 資格管理者), its My Number sealed with the registry's own key, bound to the entry.
// Every change is a new version (who, when, kind, reason code and 記事); names keep their history and the
// aliases their flags; 行政処分 are recorded against the entry; 抹消 is logical and applies the file's
// retention rule from the catalog (QUA-11…14).  Reads are for the administrator's staff and always logged.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { warekiParts } from '../kernel/jp/index.js';
import { conflict, invalidField, notFound, parseInput } from '../kernel/problems/index.js';
import { catalog, type FileCode, type QualificationEntry } from './catalog.js';
import { refreshCredentialStatus } from './credentials.js';
import { parseApplication } from './forms.js';
import { RegistrySecrets } from './secrets.js';
import { logAccess, visibleQualifications, type StaffSession } from './staff.js';
import { withTenant, type Db, type Tx } from './store.js';

export interface RegisterDeps {
  readonly db: Db;
  readonly clock: Clock;
  /** Needed to seal a My Number (register); reads and other changes do not open it. */
  readonly secrets?: RegistrySecrets;
  /**
   * A transaction already set to the entry's 資格管理者 (withTenant): the write joins it, so that the caller's
   * own writes (an application's decision) and the register's commit together or not at all.  Without it each
   * write runs in a transaction of its own.
   */
  readonly tx?: Tx;
}

/** Runs `fn` in the caller's transaction (checked to be set to `tenant`) or in a new one for `tenant`. */
async function inTenant<T>(deps: RegisterDeps, tenant: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (!deps.tx) return withTenant(deps.db, tenant, fn);
  const r = await sql<{ t: string | null }>`SELECT current_setting('mamori.registry_tenant', true) AS t`.execute(deps.tx);
  if (r.rows[0]?.t !== tenant) throw new Error(`registry: the caller's transaction is not set to tenant ${tenant}`);
  return fn(deps.tx);
}

export type ItemValue = string | number | boolean | null;
export type Items = Record<string, ItemValue>;

export const NAME_KINDS = ['氏名', '旧姓', '旧氏', '通称', 'アルファベット氏名'] as const;
export type NameKind = (typeof NAME_KINDS)[number];

/** One name of a person, with its period: a replaced name keeps its row with `until` (QUA-37). */
export interface NameRecord {
  readonly kind: NameKind;
  readonly 姓: string | null;
  readonly 名: string | null;
  readonly フリガナ: { readonly 姓: string; readonly 名: string } | null;
  /** The whole name in one string (アルファベット氏名, a 通称 written as one). */
  readonly 表記: string | null;
  /** A 旧姓 or 旧氏 used as the 通称 (旧姓通称名フラグ). */
  readonly 通称として使用: boolean;
  readonly from: string;
  readonly until: string | null;
}

export interface NameFlags {
  readonly 旧姓フラグ: boolean;
  readonly 通称名フラグ: boolean;
  readonly 旧姓通称名フラグ: boolean;
}

/** The flags follow from the current names (decision 0178), so they cannot contradict them. */
export function flagsOf(names: readonly NameRecord[]): NameFlags {
  const now = names.filter((n) => n.until === null);
  const old = now.filter((n) => n.kind === '旧姓' || n.kind === '旧氏');
  return { 旧姓フラグ: old.length > 0, 通称名フラグ: now.some((n) => n.kind === '通称') || old.some((n) => n.通称として使用), 旧姓通称名フラグ: old.some((n) => n.通称として使用) };
}

// ---- items per file -------------------------------------------------------------------------------------

type Role =
  | '姓' | '名' | 'セイ' | 'メイ' | '旧姓' | '通称姓' | '通称名' | '通称' | 'アルファベット' | '生年月日' | '性別' | '本籍'
  | '受験番号' | '試験回数' | '合格年月日' | '合格証書番号' | '合格年月' | '養成施設' | '登録番号' | '登録年月日'
  | '郵便番号' | '住所' | '電話' | '携帯' | 'メール' | '罰金刑'
  | '訂正日' | '訂正理由コード' | '訂正記事' | '抹消日' | '抹消理由コード' | '抹消記事'
  | '処分日' | '処分コード' | '処分開始' | '処分終了' | '発簡番号' | '停止日' | '停止理由' | '停止解除日'
  | '旧姓フラグ' | '通称名フラグ' | '旧姓通称名フラグ' | '再交付日' | '再交付理由コード' | '再交付記事';

const REISSUE_ITEMS = { 再交付日: '再交付年月日', 再交付理由コード: '再交付理由コード', 再交付記事: '再交付理由（記事）' } as const;

const EXAM_FILE = { 受験番号: '受験番号', 試験回数: '国家試験回数', 合格年月日: '国家試験合格年月日', 本籍: '本籍地コード', 生年月日: '生年月日', 性別: '性別コード', 姓: '姓', 名: '名', セイ: 'フリガナ（姓）', メイ: 'フリガナ（名）', 旧姓: '旧姓', 通称姓: '通称（姓）', 通称名: '通称（名）', 登録番号: '登録番号', 登録年月日: '登録年月日', 罰金刑: '罰金刑区分' } as const;

/** Which register item of each file holds what (the layouts of §004; an item a file lacks is not written). */
const ITEM: Record<FileCode, Partial<Record<Role, string>>> = {
  iseki: { ...EXAM_FILE, ...REISSUE_ITEMS, 住所: '住所', 電話: '電話番号', メール: 'メールアドレス', 訂正日: '籍訂正年月日', 訂正理由コード: '籍訂正理由コード', 訂正記事: '籍訂正理由（記事）', 抹消日: 'まっ消年月日', 抹消理由コード: 'まっ消理由コード', 抹消記事: 'まっ消理由（記事）' },
  yakuzaishi: {
    ...EXAM_FILE, ...REISSUE_ITEMS, 合格証書番号: '合格証書番号', 訂正日: '名簿訂正年月日', 訂正理由コード: '名簿訂正理由コード', 訂正記事: '名簿訂正理由（記事）', 抹消日: '消除年月日', 抹消理由コード: '消除理由コード', 抹消記事: '消除理由（記事）',
    処分日: '行政処分：行政処分年月日', 処分コード: '行政処分：行政処分コード', 処分開始: '行政処分：行政処分内容（開始期間）', 処分終了: '行政処分：行政処分内容（終了期間）', 発簡番号: '行政処分：行政処分内容（発簡番号）',
  },
  kanrieiyoshi: { 姓: '漢字氏名（姓）', 名: '漢字氏名（名）', セイ: 'カナ氏名（姓）', メイ: 'カナ氏名（名）', 旧姓: '旧姓（漢字）', 通称姓: '通称名（姓）', 通称名: '通称名（名）', 生年月日: '生年月日', 性別: '性別', 本籍: '本籍コード', 受験番号: '受験番号', 合格年月日: '資格取得年月日', 登録番号: '登録番号', 登録年月日: '登録日', 訂正日: '理由発生日', 訂正理由コード: '理由コード', 抹消日: '理由発生日', 抹消理由コード: '理由コード' },
  kaigofukushishi: {
    姓: '漢字氏名（姓）', 名: '漢字氏名（名）', セイ: 'カナ氏名（姓）', メイ: 'カナ氏名（名）', 旧姓: '旧姓', 通称: '通称', アルファベット: 'アルファベット氏名', 生年月日: '生年月日（年月日）', 性別: '性別', 本籍: '本籍地コード',
    郵便番号: '郵便番号', 住所: '住所', 電話: '固定電話', 携帯: '携帯電話', メール: 'メールアドレス', 合格証書番号: '合格証書番号', 合格年月: '合格年月（年月）', 養成施設: '養成施設コード', 登録番号: '登録番号', 登録年月日: '登録年月日（年月日）',
    訂正日: '訂正日（年月日）', 抹消日: '消除日（年月日）', 抹消記事: '消除理由', 停止日: '停止日（年月日）', 停止理由: '停止理由', 停止解除日: '停止解除日（年月日）',
    旧姓フラグ: '旧姓フラグ', 通称名フラグ: '通称名フラグ', 旧姓通称名フラグ: '旧姓通称名フラグ', 再交付日: '再交付（年月日）',
  },
};

/**
 * The register item holding the person's 生年月日, 性別 or 住所 in this qualification's file, or undefined when
 * the file does not keep it (used by the 住基 checks to compare and to propose a change).
 */
export function personItemOf(q: QualificationEntry, role: '生年月日' | '性別' | '住所'): string | undefined {
  const name = ITEM[q.file][role];
  return name && q.registerItems.includes(name) ? name : undefined;
}

/** The register item holding the 本籍 in this qualification's file (undefined when the file has none). */
export function honsekiItemOf(q: QualificationEntry): string | undefined {
  const name = ITEM[q.file].本籍;
  return name && q.registerItems.includes(name) ? name : undefined;
}

/** Identifiers are never items: the 資格仮名ID is the entry's own column, the My Number sealed apart. */
const IDENTIFIERS = new Set(['資格仮名ID', 'マイナポータル仮名ID', '個人番号', '機関別符号']);

function put(q: QualificationEntry, items: Items, role: Role, value: ItemValue | undefined): void {
  const name = ITEM[q.file][role];
  if (name && value !== undefined && q.registerItems.includes(name)) items[name] = value;
}

/** Items a change may not set directly: the number and date, and the name items (set through names). */
function managedItems(q: QualificationEntry): Set<string> {
  const roles: Role[] = ['登録番号', '登録年月日', '姓', '名', 'セイ', 'メイ', '旧姓', '通称姓', '通称名', '通称', 'アルファベット', '旧姓フラグ', '通称名フラグ', '旧姓通称名フラグ', '抹消日', '抹消理由コード', '抹消記事', '処分日', '処分コード', '処分開始', '処分終了', '発簡番号', '停止日', '停止理由', '停止解除日', '再交付日', '再交付理由コード', '再交付記事'];
  return new Set(roles.map((r) => ITEM[q.file][r]).filter((x): x is string => x !== undefined));
}

/** Writes the current names (and their flags) into the file's name items. */
function applyNames(q: QualificationEntry, items: Items, names: readonly NameRecord[]): void {
  const now = names.filter((n) => n.until === null);
  const one = (k: NameKind) => now.find((n) => n.kind === k);
  const own = one('氏名');
  put(q, items, '姓', own?.姓 ?? null);
  put(q, items, '名', own?.名 ?? null);
  put(q, items, 'セイ', own?.フリガナ?.姓 ?? null);
  put(q, items, 'メイ', own?.フリガナ?.名 ?? null);
  put(q, items, '旧姓', (one('旧姓') ?? one('旧氏'))?.姓 ?? null);
  const alias = one('通称');
  put(q, items, '通称姓', alias?.姓 ?? null);
  put(q, items, '通称名', alias?.名 ?? null);
  put(q, items, '通称', alias ? alias.表記 ?? [alias.姓, alias.名].filter(Boolean).join('　') : null);
  put(q, items, 'アルファベット', one('アルファベット氏名')?.表記 ?? null);
  const f = flagsOf(names);
  put(q, items, '旧姓フラグ', f.旧姓フラグ);
  put(q, items, '通称名フラグ', f.通称名フラグ);
  put(q, items, '旧姓通称名フラグ', f.旧姓通称名フラグ);
}

type Form = Record<string, unknown>;
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function namesFromApplication(form: Form, today: string): NameRecord[] {
  const n = obj(form['氏名']);
  const k = obj(form['フリガナ']);
  const out: NameRecord[] = [{ kind: '氏名', 姓: str(n['姓']) ?? null, 名: str(n['名']) ?? null, フリガナ: { 姓: String(k['姓']), 名: String(k['名']) }, 表記: null, 通称として使用: false, from: today, until: null }];
  if (str(form['旧姓'])) out.push({ kind: '旧姓', 姓: str(form['旧姓'])!, 名: null, フリガナ: null, 表記: null, 通称として使用: false, from: today, until: null });
  if (form['通称']) {
    const a = obj(form['通称']);
    out.push({ kind: '通称', 姓: str(a['姓']) ?? null, 名: str(a['名']) ?? null, フリガナ: null, 表記: null, 通称として使用: false, from: today, until: null });
  }
  if (str(form['アルファベット氏名'])) out.push({ kind: 'アルファベット氏名', 姓: null, 名: null, フリガナ: null, 表記: str(form['アルファベット氏名'])!, 通称として使用: false, from: today, until: null });
  return out;
}

/** The register items an application gives before registration (no 登録番号, no 登録年月日): the 介護福祉士 linkage (QUA-30). */
export function applicationItems(q: QualificationEntry, form: Form, today: string): Items {
  const items = itemsFromApplication(q, form, 0, today, namesFromApplication(form, today));
  for (const r of ['登録番号', '登録年月日'] as const) {
    const name = ITEM[q.file][r];
    if (name) delete items[name];
  }
  return items;
}

function itemsFromApplication(q: QualificationEntry, form: Form, number: number, registeredOn: string, names: readonly NameRecord[]): Items {
  const items: Items = {};
  const exam = obj(form['国家試験']);
  const honseki = obj(form['本籍']);
  const addr = obj(form['住所']);
  const acq = obj(form['資格取得']);
  const bars = obj(form['欠格事由']);
  put(q, items, '登録番号', number);
  put(q, items, '登録年月日', registeredOn);
  put(q, items, '生年月日', str(form['生年月日']));
  put(q, items, '性別', str(form['性別']));
  put(q, items, '本籍', str(honseki['都道府県コード']) ?? (str(honseki['国籍']) ? `国籍：${str(honseki['国籍'])}` : undefined));
  put(q, items, '受験番号', str(exam['受験番号']));
  put(q, items, '試験回数', typeof exam['回数'] === 'number' ? exam['回数'] : undefined);
  put(q, items, '合格年月日', str(exam['合格年月日']));
  put(q, items, '合格証書番号', str(form['合格証書番号']) ?? str(acq['合格証書番号']));
  put(q, items, '合格年月', str(acq['合格年月']));
  put(q, items, '養成施設', str(acq['養成施設コード']));
  put(q, items, '郵便番号', str(addr['郵便番号']));
  put(q, items, '住所', str(addr['住所']));
  put(q, items, '電話', str(form['電話番号']));
  put(q, items, '携帯', str(form['携帯電話']));
  put(q, items, 'メール', str(form['メールアドレス']));
  put(q, items, '罰金刑', bars['罰金以上の刑'] === true ? '1' : '0');
  applyNames(q, items, names);
  return items;
}

// ---- reading ----------------------------------------------------------------------------------------------

export const ENTRY_STATUS_LABELS = { active: '有効', suspended: '業務停止中', revoked: '免許取消', erased: '抹消' } as const;
export type EntryStatus = keyof typeof ENTRY_STATUS_LABELS;
export const DISPOSITION_LABELS = { suspension: '業務停止', revocation: '免許取消' } as const;
export const ERASURE_CAUSE_LABELS = { request: '申請による抹消', disposition: '行政処分による抹消', death: '死亡による抹消' } as const;
export const CHANGE_KIND_LABELS = { register: '新規登録', correction: '籍訂正', rewrite: '書換え交付', change: '登録事項の変更', disposition: '行政処分', erasure: '抹消', reissue: '再交付', notification: '届出票の記録', term: '登録の有効期限', supplementary: '付記資格' } as const;
export type ChangeKind = keyof typeof CHANGE_KIND_LABELS;

export interface DispositionView {
  readonly seq: number;
  readonly kind: keyof typeof DISPOSITION_LABELS;
  readonly label: string;
  readonly decidedOn: string;
  readonly code: string;
  readonly from: string;
  readonly until: string | null;
  readonly issueNo: string;
  readonly note: string | null;
}

export interface VersionView {
  readonly version: number;
  readonly kind: ChangeKind;
  readonly label: string;
  readonly reasonCode: string | null;
  readonly note: string | null;
  readonly changedItems: readonly string[];
  readonly items: Items;
  readonly names: readonly NameRecord[];
  readonly by: string;
  readonly at: string;
}

export interface EntryView {
  readonly tenant: string;
  readonly qualification: string;
  readonly qualificationName: string;
  readonly number: number;
  readonly registeredOn: string;
  readonly pseudonymId: string;
  readonly status: { readonly code: EntryStatus; readonly label: string; readonly until: string | null };
  readonly version: number;
  readonly items: Items;
  readonly names: readonly NameRecord[];
  readonly flags: NameFlags;
  readonly dispositions: readonly DispositionView[];
  readonly erasure: { readonly on: string; readonly cause: keyof typeof ERASURE_CAUSE_LABELS; readonly label: string; readonly reasonCode: string | null; readonly note: string | null } | null;
  readonly deceased: boolean;
  /** Whether the sealed My Number is still held (never the number itself). */
  readonly myNumber: { readonly held: boolean; readonly deletedOn: string | null };
  readonly history?: readonly VersionView[];
}

const day = (v: unknown): string => (v instanceof Date ? `${v.getFullYear()}-${String(v.getMonth() + 1).padStart(2, '0')}-${String(v.getDate()).padStart(2, '0')}` : String(v).slice(0, 10));
const dayOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : day(v));

/** Current status on `today`: 抹消 over 取消 over a running 業務停止 (QUA-10). */
export function statusOf(erased: boolean, dispositions: readonly DispositionView[], today: string): EntryView['status'] {
  if (erased) return { code: 'erased', label: ENTRY_STATUS_LABELS.erased, until: null };
  if (dispositions.some((d) => d.kind === 'revocation' && d.from <= today)) return { code: 'revoked', label: ENTRY_STATUS_LABELS.revoked, until: null };
  const s = dispositions.find((d) => d.kind === 'suspension' && d.from <= today && (d.until ?? today) >= today);
  if (s) return { code: 'suspended', label: ENTRY_STATUS_LABELS.suspended, until: s.until };
  return { code: 'active', label: ENTRY_STATUS_LABELS.active, until: null };
}

async function loadEntry(tx: Tx, clock: Clock, q: QualificationEntry, number: number, withHistory: boolean): Promise<EntryView | undefined> {
  const r = await sql<Record<string, unknown>>`
    SELECT e.*, (m.registration_no IS NOT NULL) AS held FROM registry.entries e
    LEFT JOIN registry.entry_mynumbers m USING (tenant_code, qualification_code, registration_no)
    WHERE e.qualification_code = ${q.code} AND e.registration_no = ${number}`.execute(tx);
  const e = r.rows[0];
  if (!e) return undefined;
  const ds = (await sql<Record<string, unknown>>`SELECT * FROM registry.dispositions WHERE qualification_code = ${q.code} AND registration_no = ${number} ORDER BY seq`.execute(tx)).rows.map(
    (d): DispositionView => ({
      seq: Number(d['seq']), kind: d['kind'] as DispositionView['kind'], label: DISPOSITION_LABELS[d['kind'] as DispositionView['kind']], decidedOn: day(d['decided_on']), code: String(d['code']),
      from: day(d['period_from']), until: dayOrNull(d['period_until']), issueNo: String(d['issue_no']), note: (d['note'] as string | null) ?? null,
    }),
  );
  const names = e['names'] as NameRecord[];
  const cause = e['erasure_cause'] as keyof typeof ERASURE_CAUSE_LABELS | null;
  const view: EntryView = {
    tenant: String(e['tenant_code']), qualification: q.code, qualificationName: q.name, number, registeredOn: day(e['registered_on']), pseudonymId: String(e['pseudonym_id']),
    status: statusOf(cause !== null, ds, clock.today()), version: Number(e['version']), items: e['items'] as Items, names, flags: flagsOf(names), dispositions: ds,
    erasure: cause ? { on: day(e['erased_on']), cause, label: ERASURE_CAUSE_LABELS[cause], reasonCode: (e['erasure_reason_code'] as string | null) ?? null, note: (e['erasure_note'] as string | null) ?? null } : null,
    deceased: e['deceased'] === true, myNumber: { held: e['held'] === true, deletedOn: dayOrNull(e['mynumber_deleted_on']) },
  };
  if (!withHistory) return view;
  const vs = await sql<Record<string, unknown>>`SELECT * FROM registry.entry_versions WHERE qualification_code = ${q.code} AND registration_no = ${number} ORDER BY version`.execute(tx);
  return {
    ...view,
    history: vs.rows.map((v) => ({
      version: Number(v['version']), kind: v['change_kind'] as ChangeKind, label: CHANGE_KIND_LABELS[v['change_kind'] as ChangeKind], reasonCode: (v['reason_code'] as string | null) ?? null,
      note: (v['note'] as string | null) ?? null, changedItems: v['changed_items'] as string[], items: v['items'] as Items, names: v['names'] as NameRecord[], by: String(v['changed_by']), at: new Date(v['changed_at'] as Date).toISOString(),
    })),
  };
}

const numberSchema = z.coerce.number({ message: '登録番号（数字）を指定してください' }).int({ message: '登録番号（数字）を指定してください' }).min(1).max(Number.MAX_SAFE_INTEGER);

function qualificationIn(tenant: string | undefined, code: string): QualificationEntry {
  const q = catalog().qualification(code);
  if (!q || (tenant !== undefined && q.administrator !== tenant)) throw notFound('資格');
  return q;
}

/**
 * An entry with its history, for a staff member of its 資格管理者 whose duties cover the qualification.  Every
 * read is logged (`read entry <qualification>:<number>`); another administrator's qualification, one outside the
 * reader's duties and an unknown number answer the same 404, logged as denied under the reader's tenant.
 */
export async function showEntry(deps: RegisterDeps, session: StaffSession, qualification: string, number: unknown, requestId?: string): Promise<EntryView> {
  const code = String(qualification).slice(0, 40);
  const n = numberSchema.safeParse(number);
  const target = `${code}:${n.success ? n.data : String(number).slice(0, 20)}`;
  const q = visibleQualifications(session).find((x) => x.code === code);
  const view = q && n.success ? await withTenant(deps.db, session.staff.tenant, (tx) => loadEntry(tx, deps.clock, q, n.data, true)) : undefined;
  await logAccess(deps.db, deps.clock, session, { action: 'read', targetType: 'entry', targetId: target, outcome: view ? 'ok' : 'denied', requestId });
  if (!view) throw notFound('登録');
  return view;
}

/** The same read for the operator's CLI (`mamori registry show`), logged under the tenant as user `operator`. */
export async function showEntryAsOperator(deps: RegisterDeps, tenant: string, qualification: string, number: unknown): Promise<EntryView> {
  const n = parseInput(z.object({ number: numberSchema }), { number }).number;
  const q = qualificationIn(tenant, qualification);
  const view = await withTenant(deps.db, tenant, (tx) => loadEntry(tx, deps.clock, q, n, true));
  // Logged in its own transaction, so that a refused read is kept after the 404.
  await withTenant(deps.db, tenant, (tx) => sql`INSERT INTO registry.access_log (tenant_code, at, user_id, action, target_type, target_id, outcome)
    VALUES (${tenant}, ${deps.clock.now()}, 'operator', 'read', 'entry', ${`${q.code}:${n}`}, ${view ? 'ok' : 'denied'})`.execute(tx));
  if (!view) throw notFound('登録');
  return view;
}

// ---- writing ----------------------------------------------------------------------------------------------

const by = z.string().trim().min(1, { message: '入力してください' }).max(60);
const reasonCode = z.string().regex(/^[0-9A-Za-z-]{1,10}$/, { message: '理由コード（半角英数字10文字以内）を入力してください' });
const note = z.string().trim().min(1).max(500, { message: '500文字以内で入力してください' });
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'YYYY-MM-DD の形式で入力してください' }).refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), { message: '存在しない日付です' });

const registerInput = z
  .object({
    applicationId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: '申請ID（半角英数字）を指定してください' }),
    qualification: z.string().min(1).max(40),
    application: z.unknown(),
    myNumber: z.string({ message: '個人番号を指定してください' }),
    approvedBy: by,
  })
  .strict();

async function writeVersion(tx: Tx, clock: Clock, e: { tenant: string; qualification: string; number: number; version: number }, v: { kind: ChangeKind; reasonCode?: string | null; note?: string | null; changed: string[]; items: Items; names: readonly NameRecord[]; by: string }): Promise<void> {
  await sql`INSERT INTO registry.entry_versions (tenant_code, qualification_code, registration_no, version, change_kind, reason_code, note, changed_items, items, names, changed_by, changed_at)
            VALUES (${e.tenant}, ${e.qualification}, ${e.number}, ${e.version}, ${v.kind}, ${v.reasonCode ?? null}, ${v.note ?? null}, ${v.changed}, ${JSON.stringify(v.items)}::jsonb, ${JSON.stringify(v.names)}::jsonb, ${v.by}, ${clock.now()})`.execute(tx);
}

/**
 * Registers the person of an approved application (called on examination approval).  The application is
 * validated again against its qualification's form; the My Number comes from the card, never from the form.
 * Idempotent per applicationId: a second call returns the entry made by the first.
 */
export async function registerEntry(deps: RegisterDeps, raw: unknown): Promise<EntryView> {
  if (!deps.secrets) throw new Error('registry: registerEntry needs the registry secrets');
  const secrets = deps.secrets;
  const input = parseInput(registerInput, raw);
  const q = catalog().qualification(input.qualification);
  if (!q) throw invalidField('qualification', 'QUALIFICATION_UNKNOWN', `資格コード「${input.qualification.slice(0, 40)}」はありません`);
  const form = parseApplication(q.code, input.application);
  const myNumber = RegistrySecrets.check(input.myNumber);
  const tenant = q.administrator;
  const index = secrets.blindIndex(tenant, myNumber);
  return inTenant(deps, tenant, async (tx) => {
    const done = await sql<{ registration_no: string }>`SELECT registration_no FROM registry.entries WHERE qualification_code = ${q.code} AND application_id = ${input.applicationId}`.execute(tx);
    if (done.rows[0]) return (await loadEntry(tx, deps.clock, q, Number(done.rows[0].registration_no), true))!;
    // One person at a time per 資格管理者: two registrations of the same person never make two 資格仮名ID.
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`registry|${tenant}|${index.toString('hex')}`}, 0))`.execute(tx);
    const same = await sql<{ pseudonym_id: string; qualification_code: string; registration_no: string }>`
      SELECT e.pseudonym_id, e.qualification_code, e.registration_no FROM registry.entry_mynumbers m
      JOIN registry.entries e USING (tenant_code, qualification_code, registration_no) WHERE m.blind_index = ${index}`.execute(tx);
    const already = same.rows.find((r) => r.qualification_code === q.code);
    if (already) throw conflict('ALREADY_REGISTERED', `この方は既に${q.registerName}に登録されています（登録番号 ${already.registration_no}）。`);
    // A 資格仮名ID already given to this application (the 介護福祉士 foundation linkage, foundation.ts) is kept.
    const reserved = await sql<{ pseudonym_id: string }>`SELECT pseudonym_id FROM registry.pseudonym_reservations WHERE tenant_code = ${tenant} AND application_id::text = ${input.applicationId}`.execute(tx);
    let pseudonym = reserved.rows[0]?.pseudonym_id ?? same.rows[0]?.pseudonym_id;
    if (!pseudonym) {
      pseudonym = `Q${randomBytes(10).toString('hex').toUpperCase()}`;
      await sql`INSERT INTO registry.registrants (tenant_code, pseudonym_id, created_at) VALUES (${tenant}, ${pseudonym}, ${deps.clock.now()})`.execute(tx);
    }
    // The counter row stays locked until this transaction ends: the next registration waits and takes the
    // next number; a rolled-back registration gives its number back.
    const c = await sql<{ last_no: string }>`
      INSERT INTO registry.number_counters (tenant_code, qualification_code, last_no) VALUES (${tenant}, ${q.code}, 1)
      ON CONFLICT (tenant_code, qualification_code) DO UPDATE SET last_no = registry.number_counters.last_no + 1 RETURNING last_no`.execute(tx);
    const number = Number(c.rows[0]!.last_no);
    const today = deps.clock.today();
    const names = namesFromApplication(form, today);
    const items = itemsFromApplication(q, form, number, today, names);
    const now = deps.clock.now();
    await sql`INSERT INTO registry.entries (tenant_code, qualification_code, registration_no, pseudonym_id, application_id, registered_on, registered_at, version, items, names, updated_at)
              VALUES (${tenant}, ${q.code}, ${number}, ${pseudonym}, ${input.applicationId}, ${today}, ${now}, 1, ${JSON.stringify(items)}::jsonb, ${JSON.stringify(names)}::jsonb, ${now})`.execute(tx);
    const ref = { tenant, qualification: q.code, number };
    await writeVersion(tx, deps.clock, { ...ref, version: 1 }, { kind: 'register', reasonCode: null, note: null, changed: Object.keys(items), items, names, by: input.approvedBy });
    const s = secrets.sealMyNumber(ref, myNumber);
    await sql`INSERT INTO registry.entry_mynumbers (tenant_code, qualification_code, registration_no, ciphertext, key_version, blind_index, stored_at)
              VALUES (${tenant}, ${q.code}, ${number}, ${s.ciphertext}, ${s.version}, ${index}, ${now})`.execute(tx);
    return (await loadEntry(tx, deps.clock, q, number, true))!;
  });
}

interface Locked {
  readonly q: QualificationEntry;
  readonly number: number;
  readonly row: Record<string, unknown>;
}

/** The entry's row, locked for the change; 404 for an unknown number, 409 for an erased entry. */
async function lockEntry(tx: Tx, q: QualificationEntry, number: number, allowErased = false): Promise<Locked> {
  const r = await sql<Record<string, unknown>>`SELECT * FROM registry.entries WHERE qualification_code = ${q.code} AND registration_no = ${number} FOR UPDATE`.execute(tx);
  const row = r.rows[0];
  if (!row) throw notFound('登録');
  if (row['erased_on'] !== null && !allowErased) throw conflict('ENTRY_ERASED', `登録番号 ${number} は抹消されています（${day(row['erased_on'])}）。`);
  return { q, number, row };
}

async function saveVersion(tx: Tx, clock: Clock, l: Locked, v: { kind: ChangeKind; reasonCode?: string | null; note?: string | null; changed: string[]; items: Items; names: readonly NameRecord[]; by: string }, extra: Record<string, unknown> = {}): Promise<void> {
  const version = Number(l.row['version']) + 1;
  await sql`UPDATE registry.entries SET version = ${version}, items = ${JSON.stringify(v.items)}::jsonb, names = ${JSON.stringify(v.names)}::jsonb, updated_at = ${clock.now()},
              erased_on = ${extra['erasedOn'] ?? l.row['erased_on'] ?? null}, erasure_cause = ${extra['cause'] ?? l.row['erasure_cause'] ?? null},
              erasure_reason_code = ${extra['reasonCode'] ?? l.row['erasure_reason_code'] ?? null}, erasure_note = ${extra['note'] ?? l.row['erasure_note'] ?? null},
              deceased = ${extra['deceased'] ?? l.row['deceased']}, mynumber_deleted_on = ${extra['myNumberDeletedOn'] ?? l.row['mynumber_deleted_on'] ?? null}
            WHERE qualification_code = ${l.q.code} AND registration_no = ${l.number}`.execute(tx);
  await writeVersion(tx, clock, { tenant: l.q.administrator, qualification: l.q.code, number: l.number, version }, v);
}

const nameInput = z.object({ 姓: z.string().trim().min(1).max(30), 名: z.string().trim().min(1).max(30), フリガナ: z.object({ 姓: z.string().trim().min(1).max(40), 名: z.string().trim().min(1).max(40) }).strict() }).strict();
const aliasInput = z
  .object({
    kind: z.enum(['旧姓', '旧氏', '通称', 'アルファベット氏名'], { message: '旧姓・旧氏・通称・アルファベット氏名のいずれかです' }),
    姓: z.string().trim().min(1).max(30).optional(),
    名: z.string().trim().min(1).max(30).optional(),
    表記: z.string().trim().min(1).max(80).optional(),
    通称として使用: z.boolean().optional(),
  })
  .strict()
  .refine((a) => (a.kind === 'アルファベット氏名' ? a.表記 !== undefined && /^[A-Z ,.'-]{1,80}$/.test(a.表記) : a.姓 !== undefined || a.表記 !== undefined), { message: '氏名を入力してください（アルファベット氏名は半角英大文字）' })
  .refine((a) => !a.通称として使用 || a.kind === '旧姓' || a.kind === '旧氏', { message: '通称として使用できるのは旧姓・旧氏です', path: ['通称として使用'] });

const changeInput = z
  .object({
    qualification: z.string().min(1).max(40),
    number: numberSchema,
    kind: z.enum(['correction', 'rewrite', 'change'], { message: 'correction（籍訂正）、rewrite（書換え交付）、change（登録事項の変更）のいずれかです' }),
    reasonCode,
    note: note.optional(),
    items: z.record(z.string(), z.union([z.string().max(500), z.number(), z.boolean(), z.null()])).optional(),
    /** A new 氏名; the old one stays in the history and, when asked, as the current 旧姓 or 旧氏. */
    name: nameInput.optional(),
    keepOldNameAs: z.enum(['旧姓', '旧氏']).optional(),
    aliases: z.object({ set: z.array(aliasInput).max(5).optional(), end: z.array(z.enum(['旧姓', '旧氏', '通称', 'アルファベット氏名'])).max(4).optional() }).strict().optional(),
    by,
  })
  .strict();

/**
 * A change of an entry (籍訂正, 書換え交付, 登録事項の変更): a new version with who, when, the reason code and
 * 記事.  Names: a new 氏名 ends the old one (kept with its period) and may keep it as 旧姓/旧氏; aliases are
 * set or ended, each kept in the history (QUA-37).  A change that changes nothing writes nothing.
 */
export async function changeEntry(deps: RegisterDeps, raw: unknown): Promise<EntryView> {
  const input = parseInput(changeInput, raw);
  const q = qualificationIn(undefined, input.qualification);
  const protectedItems = managedItems(q);
  for (const k of Object.keys(input.items ?? {})) {
    if (IDENTIFIERS.has(k) || protectedItems.has(k)) throw invalidField(`items.${k}`, 'ITEM_PROTECTED', `「${k}」はこの手続では変更できません`);
    if (!q.registerItems.includes(k)) throw invalidField(`items.${k}`, 'ITEM_UNKNOWN', `「${k}」は${q.registerName}の登録事項にありません`);
  }
  return inTenant(deps, q.administrator, async (tx) => {
    const l = await lockEntry(tx, q, input.number);
    const today = deps.clock.today();
    const items: Items = { ...(l.row['items'] as Items) };
    let names: NameRecord[] = [...(l.row['names'] as NameRecord[])];
    const end = (pred: (n: NameRecord) => boolean) => (names = names.map((n) => (n.until === null && pred(n) ? { ...n, until: today } : n)));
    for (const [k, v] of Object.entries(input.items ?? {})) items[k] = v;
    if (input.name) {
      const old = names.find((n) => n.kind === '氏名' && n.until === null);
      const same = old && old.姓 === input.name.姓 && old.名 === input.name.名 && old.フリガナ?.姓 === input.name.フリガナ.姓 && old.フリガナ?.名 === input.name.フリガナ.名;
      if (!same) {
        end((n) => n.kind === '氏名');
        if (old && input.keepOldNameAs) {
          end((n) => n.kind === input.keepOldNameAs);
          names.push({ kind: input.keepOldNameAs, 姓: old.姓, 名: null, フリガナ: null, 表記: null, 通称として使用: false, from: today, until: null });
        }
        names.push({ kind: '氏名', 姓: input.name.姓, 名: input.name.名, フリガナ: input.name.フリガナ, 表記: null, 通称として使用: false, from: today, until: null });
      }
    }
    for (const k of input.aliases?.end ?? []) end((n) => n.kind === k);
    for (const a of input.aliases?.set ?? []) {
      const cur = names.find((n) => n.kind === a.kind && n.until === null);
      const next: NameRecord = { kind: a.kind, 姓: a.姓 ?? null, 名: a.名 ?? null, フリガナ: null, 表記: a.表記 ?? null, 通称として使用: a.通称として使用 ?? false, from: today, until: null };
      if (cur && cur.姓 === next.姓 && cur.名 === next.名 && cur.表記 === next.表記 && cur.通称として使用 === next.通称として使用) continue;
      end((n) => n.kind === a.kind);
      names.push(next);
    }
    applyNames(q, items, names);
    const before = l.row['items'] as Items;
    const changed = [...new Set([...Object.keys(items), ...Object.keys(before)])].filter((k) => JSON.stringify(items[k] ?? null) !== JSON.stringify(before[k] ?? null));
    const namesChanged = JSON.stringify(names) !== JSON.stringify(l.row['names']);
    if (changed.length === 0 && !namesChanged) return (await loadEntry(tx, deps.clock, q, input.number, true))!;
    if (input.kind !== 'change') {
      put(q, items, '訂正日', today);
      put(q, items, '訂正理由コード', input.reasonCode);
      put(q, items, '訂正記事', input.note ?? null);
    }
    await saveVersion(tx, deps.clock, l, { kind: input.kind, reasonCode: input.reasonCode, note: input.note ?? null, changed, items, names, by: input.by });
    return (await loadEntry(tx, deps.clock, q, input.number, true))!;
  });
}

const dispositionInput = z
  .object({
    qualification: z.string().min(1).max(40),
    number: numberSchema,
    kind: z.enum(['suspension', 'revocation'], { message: 'suspension（業務停止）または revocation（免許取消）です' }),
    decidedOn: isoDate,
    code: reasonCode,
    from: isoDate,
    until: isoDate.optional(),
    issueNo: z.string().trim().min(1, { message: '発簡番号を入力してください' }).max(40),
    note: note.optional(),
    by,
  })
  .strict()
  .refine((d) => (d.kind === 'suspension') === (d.until !== undefined), { message: '業務停止には期間の終わり（until）が必要で、免許取消にはありません', path: ['until'] })
  .refine((d) => d.until === undefined || d.until >= d.from, { message: '期間の終わりは始まり以後の日付です', path: ['until'] });

/** Records a 行政処分 (QUA-10) against the entry: a new version; the same 発簡番号 again changes nothing. */
export async function recordDisposition(deps: RegisterDeps, raw: unknown): Promise<EntryView> {
  const d = parseInput(dispositionInput, raw);
  const q = qualificationIn(undefined, d.qualification);
  return inTenant(deps, q.administrator, async (tx) => {
    const l = await lockEntry(tx, q, d.number);
    const seen = await sql`SELECT 1 FROM registry.dispositions WHERE qualification_code = ${q.code} AND registration_no = ${d.number} AND issue_no = ${d.issueNo}`.execute(tx);
    if (seen.rows.length > 0) return (await loadEntry(tx, deps.clock, q, d.number, true))!;
    const seq = await sql<{ n: number }>`SELECT count(*)::int + 1 AS n FROM registry.dispositions WHERE qualification_code = ${q.code} AND registration_no = ${d.number}`.execute(tx);
    await sql`INSERT INTO registry.dispositions (tenant_code, qualification_code, registration_no, seq, kind, decided_on, code, period_from, period_until, issue_no, note, recorded_by, recorded_at)
              VALUES (${q.administrator}, ${q.code}, ${d.number}, ${seq.rows[0]!.n}, ${d.kind}, ${d.decidedOn}, ${d.code}, ${d.from}, ${d.until ?? null}, ${d.issueNo}, ${d.note ?? null}, ${d.by}, ${deps.clock.now()})`.execute(tx);
    const items: Items = { ...(l.row['items'] as Items) };
    put(q, items, '処分日', d.decidedOn);
    put(q, items, '処分コード', d.code);
    put(q, items, '処分開始', d.from);
    put(q, items, '処分終了', d.until ?? null);
    put(q, items, '発簡番号', d.issueNo);
    if (d.kind === 'suspension') {
      put(q, items, '停止日', d.from);
      put(q, items, '停止理由', d.note ?? d.code);
      put(q, items, '停止解除日', d.until ?? null);
    }
    const before = l.row['items'] as Items;
    const changed = Object.keys(items).filter((k) => JSON.stringify(items[k]) !== JSON.stringify(before[k] ?? null));
    await saveVersion(tx, deps.clock, l, { kind: 'disposition', reasonCode: d.code, note: d.note ?? `${DISPOSITION_LABELS[d.kind]}（発簡番号 ${d.issueNo}）`, changed, items, names: l.row['names'] as NameRecord[], by: d.by });
    await refreshCredentialStatus(tx, deps, { tenant: q.administrator, qualification: q.code, number: d.number }); // issue 16: the status list
    return (await loadEntry(tx, deps.clock, q, d.number, true))!;
  });
}

const erasureInput = z
  .object({
    qualification: z.string().min(1).max(40),
    number: numberSchema,
    cause: z.enum(['request', 'disposition', 'death'], { message: 'request（申請）、disposition（行政処分）、death（死亡）のいずれかです' }),
    on: isoDate.optional(),
    reasonCode,
    note: note.optional(),
    by,
  })
  .strict();

/** Whether the file's rule deletes the My Number of this entry once its qualification is lost (QUA-12…14). */
function deletesMyNumber(q: QualificationEntry, deceased: boolean): boolean {
  if (q.retention.neverFullyErased) return false;
  return q.retention.myNumberOnLoss[deceased ? 'deceased' : 'living'] === 'delete';
}

/**
 * 抹消 on request, by disposition or on death (QUA-11…14): always logical — the entry stays, marked 抹消 with
 * its date and reason, as a new version.  Then the file's rule from the catalog: 薬剤師 physically deletes a
 * living person's My Number and keeps the deceased's; 医籍等, 管理栄養士 and 介護福祉士 keep it.  Erasing an
 * erased entry again with the same cause changes nothing.
 */
export async function eraseEntry(deps: RegisterDeps, raw: unknown): Promise<EntryView> {
  const input = parseInput(erasureInput, raw);
  const q = qualificationIn(undefined, input.qualification);
  return inTenant(deps, q.administrator, async (tx) => {
    const l = await lockEntry(tx, q, input.number, true);
    if (l.row['erased_on'] !== null) {
      if (l.row['erasure_cause'] !== input.cause) throw conflict('ENTRY_ERASED', `登録番号 ${input.number} は既に抹消されています（${ERASURE_CAUSE_LABELS[l.row['erasure_cause'] as keyof typeof ERASURE_CAUSE_LABELS]}）。`);
      return (await loadEntry(tx, deps.clock, q, input.number, true))!;
    }
    const on = input.on ?? deps.clock.today();
    if (on > deps.clock.today()) throw invalidField('on', 'DATE_IN_FUTURE', '抹消年月日に将来の日付は指定できません');
    const deceased = input.cause === 'death';
    const items: Items = { ...(l.row['items'] as Items) };
    put(q, items, '抹消日', on);
    put(q, items, '抹消理由コード', input.reasonCode);
    put(q, items, '抹消記事', input.note ?? ERASURE_CAUSE_LABELS[input.cause]);
    const before = l.row['items'] as Items;
    const changed = Object.keys(items).filter((k) => JSON.stringify(items[k]) !== JSON.stringify(before[k] ?? null));
    const today = deps.clock.today();
    const purge = deletesMyNumber(q, deceased);
    if (purge) await sql`DELETE FROM registry.entry_mynumbers WHERE qualification_code = ${q.code} AND registration_no = ${input.number}`.execute(tx);
    await saveVersion(tx, deps.clock, l, { kind: 'erasure', reasonCode: input.reasonCode, note: input.note ?? ERASURE_CAUSE_LABELS[input.cause], changed: purge ? [...changed, '個人番号'] : changed, items, names: l.row['names'] as NameRecord[], by: input.by }, {
      erasedOn: on, cause: input.cause, reasonCode: input.reasonCode, note: input.note ?? null, deceased, myNumberDeletedOn: purge ? today : null,
    });
    await refreshCredentialStatus(tx, deps, { tenant: q.administrator, qualification: q.code, number: input.number }); // issue 16: the status list
    return (await loadEntry(tx, deps.clock, q, input.number, true))!;
  });
}

/**
 * Physical deletion of an erased entry's My Number, only where the file's rule asks for it (薬剤師, living).
 * 医籍等 are never erased (QUA-13): refused whatever the entry's state — and the database refuses it too.
 */
export async function purgeMyNumber(deps: RegisterDeps, raw: unknown): Promise<EntryView> {
  const input = parseInput(z.object({ qualification: z.string().min(1).max(40), number: numberSchema, by }).strict(), raw);
  const q = qualificationIn(undefined, input.qualification);
  if (q.retention.neverFullyErased) throw conflict('NEVER_ERASED', `${q.registerName}は永年保存です。死亡・資格の喪失の後も、個人番号を含む情報を消去することはありません。`);
  return inTenant(deps, q.administrator, async (tx) => {
    const l = await lockEntry(tx, q, input.number, true);
    if (l.row['erased_on'] === null) throw conflict('ENTRY_NOT_ERASED', `登録番号 ${input.number} は抹消されていません。個人番号は資格の喪失まで保持します。`);
    if (!deletesMyNumber(q, l.row['deceased'] === true)) throw conflict('RETENTION_KEEP', `${q.registerName}では資格を喪失した方の個人番号も保持します。`);
    await sql`DELETE FROM registry.entry_mynumbers WHERE qualification_code = ${q.code} AND registration_no = ${input.number}`.execute(tx);
    if (l.row['mynumber_deleted_on'] === null) await sql`UPDATE registry.entries SET mynumber_deleted_on = ${deps.clock.today()} WHERE qualification_code = ${q.code} AND registration_no = ${input.number}`.execute(tx);
    return (await loadEntry(tx, deps.clock, q, input.number, true))!;
  });
}

// ---- 医師・歯科医師の届出票 (QUA-38); 介護福祉士の期限付登録と付記資格 (QUA-39); decision 0199 ------------------
// Each is a version of the entry like any change (who, when, what changed), written into the file's own
// register items (§004), so the history keeps every notification, term and 付記資格 as it was.

const text = (label: string, max: number) => z.string({ message: `${label}を入力してください` }).trim().min(1, { message: `${label}を入力してください` }).max(max, { message: `${label}は${max}文字以内です` });
const tel = z.string().regex(/^[0-9-]{6,20}$/, { message: '電話番号は数字とハイフン（6〜20文字）です' });
const workplace = z
  .object({ 名称: text('従事先の名称', 100), 電話: tel.optional(), 所在地: text('従事先の所在地', 200), 勤務日数: z.number().min(0).max(7, { message: '勤務日数は週7日以内です' }).optional(), 宿直日直回数: z.number().int().min(0).max(31, { message: '宿直・日直回数は月31回以内です' }).optional() })
  .strict();

/** The qualifications whose holders file the biennial 届出 (医師法・歯科医師法 第6条第3項). */
export const NOTIFYING_QUALIFICATIONS = ['ishi', 'shikaishi'] as const;

const notificationInput = z
  .object({
    qualification: z.enum(NOTIFYING_QUALIFICATIONS, { message: '届出票を記録できるのは医師・歯科医師です' }),
    number: numberSchema,
    /** その年の12月31日現在 (even years: the 医師・歯科医師・薬剤師統計). */
    基準日: isoDate.refine((d) => d.endsWith('-12-31') && Number(d.slice(0, 4)) % 2 === 0, { message: '届出の基準日は偶数年の12月31日です（医師法・歯科医師法第6条第3項）' }),
    届出日: isoDate,
    届出票: z
      .object({
        住所: text('住所', 200),
        電話番号: tel.optional(),
        メールアドレス: z.email({ message: 'メールアドレスの形式が正しくありません' }).max(254).optional(),
        メールアドレスの利用同意: z.boolean().optional(),
        従事している業務の種別: text('従事している業務の種別', 40),
        主たる従事先: workplace.optional(),
        就業形態: text('就業形態', 40).optional(),
        主たる業務内容: text('主たる業務内容', 100).optional(),
        休業の取得: text('休業の取得', 40).optional(),
        従たる従事先: z.array(workplace).max(20, { message: '従たる従事先は20か所までです' }).optional(),
        従事する診療科名等: z.array(text('診療科名', 40)).min(1).max(10, { message: '診療科名等は10までです' }).optional(),
        専門性に関する資格名: z.array(text('資格名', 80)).max(10).optional(),
        分娩の取扱いの有無: z.boolean().optional(),
        出身地: text('出身地', 40).optional(),
        医学課程を修めた外国の医学校のある国: text('国名', 60).optional(),
        歯学課程を修めた大学名等: text('大学名等', 100).optional(),
        地域枠等: z
          .object({ 従事要件有無: z.boolean(), 従事年数: z.number().int().min(0).max(20).optional(), 終了しているか: z.boolean().optional(), 要件となる従事場所: text('従事場所', 100).optional(), 奨学金貸与元: text('奨学金貸与元', 100).optional(), 選抜方式: text('選抜方式', 60).optional() })
          .strict()
          .optional(),
        活用に関する確認: z.boolean({ message: '届出票の活用に関する確認（同意するかどうか）を指定してください' }),
        備考: text('備考', 500).optional(),
      })
      .strict(),
    by,
  })
  .strict();
export type NotificationInput = z.input<typeof notificationInput>;

const ONLY_ISHI = ['分娩の取扱いの有無', '医学課程を修めた外国の医学校のある国', '地域枠等'] as const;
const ONLY_SHIKAISHI = ['歯学課程を修めた大学名等'] as const;

/** The 届出票 as the file's register items (医師: the items themselves; 歯科医師: the 届出票： items). */
function notificationItems(q: QualificationEntry, n: z.output<typeof notificationInput>['届出票'], current: Items, names: readonly NameRecord[]): Items {
  const ishi = q.code === 'ishi';
  const p = ishi ? '' : '届出票：';
  const join = (a: readonly string[] | undefined) => (a && a.length ? a.join('、') : null);
  const others = n.従たる従事先 ?? [];
  const out: Items = {
    [`${p}住所`]: n.住所,
    [`${p}電話番号`]: n.電話番号 ?? null,
    [`${p}メールアドレス`]: n.メールアドレス ?? null,
    [`${p}メールアドレス（利用同意）`]: n.メールアドレスの利用同意 ?? null,
    [`${p}従事している業務の種別`]: n.従事している業務の種別,
    [`${p}主たる従事先（名称）`]: n.主たる従事先?.名称 ?? null,
    [`${p}主たる従事先（電話）`]: n.主たる従事先?.電話 ?? null,
    [`${p}主たる従事先（所在地）`]: n.主たる従事先?.所在地 ?? null,
    [`${p}就業形態`]: n.就業形態 ?? null,
    [`${p}主たる業務内容`]: n.主たる業務内容 ?? null,
    [`${p}休業の取得`]: n.休業の取得 ?? null,
    [`${p}従たる従事先（名称）`]: join(others.map((o) => o.名称)),
    [`${p}従たる従事先（電話）`]: join(others.map((o) => o.電話 ?? '')),
    [`${p}従たる従事先（所在地）`]: join(others.map((o) => o.所在地)),
    [`${p}従事する診療科名等`]: join(n.従事する診療科名等),
    [`${p}出身地`]: n.出身地 ?? null,
    [`${p}備考`]: n.備考 ?? null,
  };
  if (ishi) {
    Object.assign(out, {
      '勤務状況（勤務日数）': n.主たる従事先?.勤務日数 ?? null,
      '勤務状況（宿直・日直回数）': n.主たる従事先?.宿直日直回数 ?? null,
      '従たる従事先の勤務状況（勤務日数）': others.length ? others.reduce((s, o) => s + (o.勤務日数 ?? 0), 0) : null,
      '従たる従事先の勤務状況（宿直・日直回数）': others.length ? others.reduce((s, o) => s + (o.宿直日直回数 ?? 0), 0) : null,
      従たる従事先の件数: others.length,
      取得している広告可能な医師の専門性に関する資格名及び麻酔科の標榜資格: join(n.専門性に関する資格名),
      分娩の取扱いの有無: n.分娩の取扱いの有無 ?? null,
      医学課程を修めた外国の医学校のある国: n.医学課程を修めた外国の医学校のある国 ?? null,
      '地域枠等（従事要件有無）': n.地域枠等?.従事要件有無 ?? null,
      '地域枠等（従事年数）': n.地域枠等?.従事年数 ?? null,
      '地域枠等（終了しているか）': n.地域枠等?.終了しているか ?? null,
      '地域枠等（要件となる従事場所）': n.地域枠等?.要件となる従事場所 ?? null,
      '地域枠等（奨学金貸与元）': n.地域枠等?.奨学金貸与元 ?? null,
      '地域枠等（選抜方式）': n.地域枠等?.選抜方式 ?? null,
      医師届出票の活用に関する確認: n.活用に関する確認,
    });
  } else {
    const own = names.find((x) => x.kind === '氏名' && x.until === null);
    Object.assign(out, {
      '届出票：姓': own?.姓 ?? null,
      '届出票：名': own?.名 ?? null,
      '届出票：フリガナ（姓）': own?.フリガナ?.姓 ?? null,
      '届出票：フリガナ（名）': own?.フリガナ?.名 ?? null,
      '届出票：生年月日': current['生年月日'] ?? null,
      '届出票：性別コード': current['性別コード'] ?? null,
      '届出票：登録番号': current['登録番号'] ?? null,
      '届出票：登録年月日': current['登録年月日'] ?? null,
      '届出票：取得している広告可能な歯科医師の専門性に関する資格名': join(n.専門性に関する資格名),
      '届出票：歯科医師免許取得の際に歯学課程を修めた大学名等': n.歯学課程を修めた大学名等 ?? null,
      '届出票：歯科医師届出票の活用に関する確認': n.活用に関する確認,
    });
  }
  for (const k of Object.keys(out)) if (!q.registerItems.includes(k)) throw new Error(`registry: ${k} is not a register item of ${q.code}`);
  return out;
}

/**
 * Records a 医師 or 歯科医師 届出票 (QUA-38; 医師法・歯科医師法 第6条第3項: every two years, as of 12月31日):
 * workplaces, work status, specialties, 地域枠等 and the consent to use it, as a new version of the entry
 * (kind `notification`, its note naming the 基準日).  The newest notification is the entry's current state; a
 * notification with nothing new writes nothing.  Items of the other profession are refused by name.
 */
export async function recordNotification(deps: RegisterDeps, raw: unknown): Promise<EntryView> {
  const input = parseInput(notificationInput, raw);
  const q = qualificationIn(undefined, input.qualification);
  for (const k of input.qualification === 'ishi' ? ONLY_SHIKAISHI : ONLY_ISHI) {
    if ((input.届出票 as Record<string, unknown>)[k] !== undefined) throw invalidField(`届出票.${k}`, 'ITEM_NOT_APPLICABLE', `「${k}」は${q.name}の届出票にはありません`);
  }
  const today = deps.clock.today();
  if (input.届出日 > today) throw invalidField('届出日', 'DATE_IN_FUTURE', '届出日に将来の日付は指定できません');
  if (input.届出日 <= input.基準日) throw invalidField('届出日', 'NOTIFICATION_BEFORE_REFERENCE', '届出日は基準日（12月31日）より後の日付です');
  return withTenant(deps.db, q.administrator, async (tx) => {
    const l = await lockEntry(tx, q, input.number);
    const before = l.row['items'] as Items;
    const names = l.row['names'] as NameRecord[];
    const items: Items = { ...before, ...notificationItems(q, input.届出票, before, names) };
    const changed = Object.keys(items).filter((k) => JSON.stringify(items[k] ?? null) !== JSON.stringify(before[k] ?? null));
    const last = await sql<{ note: string | null }>`SELECT note FROM registry.entry_versions WHERE qualification_code = ${q.code} AND registration_no = ${input.number} AND change_kind = 'notification' ORDER BY version DESC LIMIT 1`.execute(tx);
    const noteText = `${input.基準日}現在の届出（${input.届出日}届出）`;
    if (changed.length === 0 && last.rows[0]?.note === noteText) return (await loadEntry(tx, deps.clock, q, input.number, true))!;
    await saveVersion(tx, deps.clock, l, { kind: 'notification', reasonCode: null, note: noteText, changed, items, names, by: input.by });
    return (await loadEntry(tx, deps.clock, q, input.number, true))!;
  });
}

/** The era name for the （元号） items of 介護福祉士 (令和 …). */
const eraOf = (date: string): string => warekiParts(date).era;

function kaigoIn(code: string): QualificationEntry {
  const q = qualificationIn(undefined, code);
  if (q.file !== 'kaigofukushishi') throw invalidField('qualification', 'NOT_APPLICABLE', `${q.name}には期限付登録・付記資格はありません（介護福祉士のみ）`);
  return q;
}

/** What the 介護福祉士 entry says of its time limit (QUA-39). */
export interface RegistrationTerm {
  readonly limited: boolean;
  readonly epa: boolean;
  readonly 留学: boolean;
  readonly expiresOn: string | null;
  readonly releasedOn: string | null;
  readonly releaseReason: string | null;
  readonly leaveDays: number;
  readonly leaveAllowed: number | null;
  /** Limited, not released, and past its 有効期限 on `today`. */
  readonly expired: boolean;
}

export function termOf(entry: Pick<EntryView, 'items'>, today: string): RegistrationTerm {
  const i = entry.items;
  const limited = i['期限付登録'] === true;
  const expiresOn = (i['有効期限（年月日）'] as string | null) ?? null;
  const releasedOn = (i['有効期限解除日（年月日）'] as string | null) ?? null;
  return {
    limited,
    epa: i['ＥＰＡ'] === true,
    留学: i['留学'] === true,
    expiresOn,
    releasedOn,
    releaseReason: (i['有効期限解除理由'] as string | null) ?? null,
    leaveDays: Number(i['合計休業日数'] ?? 0),
    leaveAllowed: i['休業可能日数'] === null || i['休業可能日数'] === undefined ? null : Number(i['休業可能日数']),
    expired: limited && releasedOn === null && expiresOn !== null && expiresOn < today,
  };
}

const termInput = z
  .object({
    qualification: z.string().min(1).max(40),
    number: numberSchema,
    /** 有効期限 of the registration. */
    有効期限: isoDate,
    /** Why it is limited: EPA (経済連携協定の介護福祉士候補者) and/or 留学 (在留資格「介護」); neither: 養成施設卒業者の経過措置. */
    区分: z.array(z.enum(['EPA', '留学'], { message: '区分は EPA・留学 です' })).max(2).optional(),
    休業可能日数: z.number().int().min(0).max(3650).optional(),
    reasonCode,
    note: note.optional(),
    by,
  })
  .strict();

/** Makes a 介護福祉士 registration time-limited (期限付登録, 有効期限, EPA/留学, 休業可能日数): a new version. */
export async function setRegistrationTerm(deps: RegisterDeps, raw: unknown): Promise<EntryView> {
  const input = parseInput(termInput, raw);
  const q = kaigoIn(input.qualification);
  return withTenant(deps.db, q.administrator, async (tx) => {
    const l = await lockEntry(tx, q, input.number);
    const before = l.row['items'] as Items;
    if (input.有効期限 <= day(l.row['registered_on'])) throw invalidField('有効期限', 'TERM_BEFORE_REGISTRATION', '有効期限は登録年月日より後の日付です');
    if (before['有効期限解除日（年月日）']) throw conflict('TERM_RELEASED', `登録番号 ${input.number} の有効期限は解除されています（${String(before['有効期限解除日（年月日）'])}）。`);
    const kinds = new Set(input.区分 ?? []);
    const items: Items = {
      ...before,
      期限付登録: true,
      ＥＰＡ: kinds.has('EPA'),
      留学: kinds.has('留学'),
      '有効期限（元号）': eraOf(input.有効期限),
      '有効期限（年月日）': input.有効期限,
      合計休業日数: Number(before['合計休業日数'] ?? 0),
      休業可能日数: input.休業可能日数 ?? (before['休業可能日数'] as number | null) ?? null,
    };
    const changed = Object.keys(items).filter((k) => JSON.stringify(items[k] ?? null) !== JSON.stringify(before[k] ?? null));
    if (changed.length === 0) return (await loadEntry(tx, deps.clock, q, input.number, true))!;
    await saveVersion(tx, deps.clock, l, { kind: 'term', reasonCode: input.reasonCode, note: input.note ?? `期限付登録（有効期限 ${input.有効期限}）`, changed, items, names: l.row['names'] as NameRecord[], by: input.by });
    return (await loadEntry(tx, deps.clock, q, input.number, true))!;
  });
}

const releaseInput = z.object({ qualification: z.string().min(1).max(40), number: numberSchema, on: isoDate, 理由: text('解除の理由', 200), reasonCode, by }).strict();

/** Releases the time limit (有効期限解除日 and 理由, e.g. 国家試験合格・実務経験): a new version; only once. */
export async function releaseRegistrationTerm(deps: RegisterDeps, raw: unknown): Promise<EntryView> {
  const input = parseInput(releaseInput, raw);
  const q = kaigoIn(input.qualification);
  if (input.on > deps.clock.today()) throw invalidField('on', 'DATE_IN_FUTURE', '解除日に将来の日付は指定できません');
  return withTenant(deps.db, q.administrator, async (tx) => {
    const l = await lockEntry(tx, q, input.number);
    const before = l.row['items'] as Items;
    if (before['期限付登録'] !== true) throw conflict('TERM_NOT_LIMITED', `登録番号 ${input.number} は期限付登録ではありません。`);
    if (before['有効期限解除日（年月日）']) {
      if (before['有効期限解除日（年月日）'] === input.on && before['有効期限解除理由'] === input.理由) return (await loadEntry(tx, deps.clock, q, input.number, true))!;
      throw conflict('TERM_RELEASED', `登録番号 ${input.number} の有効期限は既に解除されています（${String(before['有効期限解除日（年月日）'])}）。`);
    }
    const items: Items = { ...before, '有効期限解除日（元号）': eraOf(input.on), '有効期限解除日（年月日）': input.on, 有効期限解除理由: input.理由 };
    const changed = ['有効期限解除日（元号）', '有効期限解除日（年月日）', '有効期限解除理由'];
    await saveVersion(tx, deps.clock, l, { kind: 'term', reasonCode: input.reasonCode, note: `有効期限の解除（${input.理由}）`, changed, items, names: l.row['names'] as NameRecord[], by: input.by });
    return (await loadEntry(tx, deps.clock, q, input.number, true))!;
  });
}

const leaveInput = z.object({ qualification: z.string().min(1).max(40), number: numberSchema, days: z.number({ message: '休業日数を指定してください' }).int().min(1, { message: '休業日数は1日以上です' }).max(3650), reasonCode, note: note.optional(), by }).strict();

/** Adds 休業 days to a time-limited registration (合計休業日数), never beyond its 休業可能日数 (409 LEAVE_EXCEEDS). */
export async function recordLeave(deps: RegisterDeps, raw: unknown): Promise<EntryView> {
  const input = parseInput(leaveInput, raw);
  const q = kaigoIn(input.qualification);
  return withTenant(deps.db, q.administrator, async (tx) => {
    const l = await lockEntry(tx, q, input.number);
    const t = termOf({ items: l.row['items'] as Items }, deps.clock.today());
    if (!t.limited || t.releasedOn) throw conflict('TERM_NOT_LIMITED', `登録番号 ${input.number} は有効期限のある期限付登録ではありません。`);
    const total = t.leaveDays + input.days;
    if (t.leaveAllowed !== null && total > t.leaveAllowed) throw conflict('LEAVE_EXCEEDS', `休業日数の合計（${total}日）が休業可能日数（${t.leaveAllowed}日）を超えます。`);
    const items: Items = { ...(l.row['items'] as Items), 合計休業日数: total };
    await saveVersion(tx, deps.clock, l, { kind: 'term', reasonCode: input.reasonCode, note: input.note ?? `休業 ${input.days}日（合計 ${total}日）`, changed: ['合計休業日数'], items, names: l.row['names'] as NameRecord[], by: input.by });
    return (await loadEntry(tx, deps.clock, q, input.number, true))!;
  });
}

/** The most 付記資格 a 介護福祉士 entry holds (付記資格１…５, §004). */
export const MAX_SUPPLEMENTARY = 5;

const supplementaryInput = z.object({ qualification: z.string().min(1).max(40), number: numberSchema, 名称: text('付記資格の名称', 60), 年月日: isoDate, reasonCode, note: note.optional(), by }).strict();

/** The 付記資格 of an entry, in their slots (1…5). */
export function supplementaryOf(entry: Pick<EntryView, 'items'>): { slot: number; 名称: string; 年月日: string | null }[] {
  const out: { slot: number; 名称: string; 年月日: string | null }[] = [];
  for (let i = 1; i <= MAX_SUPPLEMENTARY; i++) {
    const name = entry.items[`付記資格${String.fromCharCode(0xff10 + i)}`];
    if (typeof name === 'string' && name) out.push({ slot: i, 名称: name, 年月日: (entry.items[`付記資格年月日${String.fromCharCode(0xff10 + i)}（年月日）`] as string | null) ?? null });
  }
  return out;
}

/**
 * Adds a 付記資格 with its date to a 介護福祉士 entry in the first free slot (QUA-39): a new version.  The same
 * 付記資格 again changes nothing; a sixth is refused (409 SUPPLEMENTARY_FULL); a future date is refused.
 */
export async function addSupplementaryQualification(deps: RegisterDeps, raw: unknown): Promise<EntryView> {
  const input = parseInput(supplementaryInput, raw);
  const q = kaigoIn(input.qualification);
  if (input.年月日 > deps.clock.today()) throw invalidField('年月日', 'DATE_IN_FUTURE', '付記資格の年月日に将来の日付は指定できません');
  return withTenant(deps.db, q.administrator, async (tx) => {
    const l = await lockEntry(tx, q, input.number);
    const before = l.row['items'] as Items;
    const held = supplementaryOf({ items: before });
    if (held.some((h) => h.名称 === input.名称)) return (await loadEntry(tx, deps.clock, q, input.number, true))!;
    if (held.length >= MAX_SUPPLEMENTARY) throw conflict('SUPPLEMENTARY_FULL', `付記資格は${MAX_SUPPLEMENTARY}件までです（登録番号 ${input.number}）。`);
    const free = [1, 2, 3, 4, 5].find((i) => !held.some((h) => h.slot === i))!;
    const n = String.fromCharCode(0xff10 + free);
    const keys = [`付記資格${n}`, `付記資格年月日${n}（元号）`, `付記資格年月日${n}（年月日）`];
    const items: Items = { ...before, [keys[0]!]: input.名称, [keys[1]!]: eraOf(input.年月日), [keys[2]!]: input.年月日 };
    await saveVersion(tx, deps.clock, l, { kind: 'supplementary', reasonCode: input.reasonCode, note: input.note ?? `付記資格「${input.名称}」`, changed: keys, items, names: l.row['names'] as NameRecord[], by: input.by });
    return (await loadEntry(tx, deps.clock, q, input.number, true))!;
  });
}

const reissueInput = z.object({ qualification: z.string().min(1).max(40), number: numberSchema, reasonCode, note: note.optional(), by }).strict();

/**
 * A 再交付 of the licence (免許証・登録証の再交付): a new version recording the day and, where the file has them,
 * the reason code and 記事 (items 再交付年月日・再交付理由コード・再交付理由（記事）, 介護福祉士 再交付（年月日）).
 * An erased entry is not reissued (409 ENTRY_ERASED).
 */
export async function recordReissue(deps: RegisterDeps, raw: unknown): Promise<EntryView> {
  const input = parseInput(reissueInput, raw);
  const q = qualificationIn(undefined, input.qualification);
  return inTenant(deps, q.administrator, async (tx) => {
    const l = await lockEntry(tx, q, input.number);
    const items: Items = { ...(l.row['items'] as Items) };
    put(q, items, '再交付日', deps.clock.today());
    put(q, items, '再交付理由コード', input.reasonCode);
    put(q, items, '再交付記事', input.note ?? null);
    const before = l.row['items'] as Items;
    const changed = Object.keys(items).filter((k) => JSON.stringify(items[k]) !== JSON.stringify(before[k] ?? null));
    await saveVersion(tx, deps.clock, l, { kind: 'reissue', reasonCode: input.reasonCode, note: input.note ?? null, changed, items, names: l.row['names'] as NameRecord[], by: input.by });
    return (await loadEntry(tx, deps.clock, q, input.number, true))!;
  });
}
