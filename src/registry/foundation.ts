// The 介護福祉士 linkage with (公財)社会福祉振興・試験センター's 登録情報連携システム (node `shiken`; issue 16 Must
// have 6; QUA-30, QUA-31; decisions 0229–0231; contract: docs/formats/registry-foundation.md).
//
// Only predefined items are exchanged (QUA-30): the 資格仮名ID and the items 3–80 of 別添2 of the
// 介護福祉士登録名簿ファイル (= the catalog's register items of 介護福祉士, checked when loaded), and, from the
// foundation for a paper application only, the My Number with the record of its check against the ID documents.
// A message or file with anything else is refused whole; nothing is stored.
//   outbound (registry → foundation): online applications of 介護福祉士 as 資格仮名ID + items 3–80, never a My
//     Number or a マイナポータル仮名ID; and the 資格仮名ID given to each paper application the foundation sent.
//   inbound (foundation → registry): 試験合格者 (items 3–80), and paper applications (My Number + items 3–80),
//     which are queued as paper applications of the registry and answered with their 資格仮名ID.
// The 資格仮名ID of an application is given before registration (registry.pseudonym_reservations) and kept by
// its registration (register.ts); a person has one per 資格管理者.
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../kernel/clock/index.js';
import { Problem, conflict, isProblem } from '../kernel/problems/index.js';
import type { ExchangeNode, ServiceDef } from '../kernel/exchange/index.js';
import { getApplication, insertApplication } from './applications.js';
import { catalog, type QualificationEntry } from './catalog.js';
import { parseApplication } from './forms.js';
import { IDENTITY_DOCUMENTS } from './paper.js';
import { applicationItems } from './register.js';
import { RegistrySecrets } from './secrets.js';
import { withTenant, type Db, type Tx } from './store.js';

export const FOUNDATION_NODE = 'shiken';
export const KAIGO_QUALIFICATION = 'kaigofukushishi';
/** The batch of one message or file, at most. */
export const MAX_FOUNDATION_ROWS = 5000;

/** 別添2（介護福祉士登録名簿ファイル）の項目3〜80, in the seed's order (the file layouts' column order). */
export const KAIGO_ITEMS = [
  '登録コード', '登録番号', '登録年月日（元号）', '登録年月日（年月日）', 'カナ氏名（姓）', 'カナ氏名（名）', '漢字氏名（姓）', '漢字氏名（名）', '旧姓', '旧姓（長名）',
  '通称', '通称（長名）', '通称（旧姓）', '通称（旧姓）（長名）', 'カナ氏名（長名）', '漢字氏名（長名）', 'アルファベット氏名', '本籍地コード', '現住所コード', '郵便番号',
  '固定電話', '携帯電話', '住所', 'メールアドレス', '生年月日（元号）', '生年月日（年月日）', '性別', 'ＥＰＡ', '留学', '期限付登録',
  '合格証書番号', '合格年月（元号）', '合格年月（年月）', '養成施設コード', '有効期限（元号）', '有効期限（年月日）', '有効期限解除日（元号）', '有効期限解除日（年月日）', '有効期限解除理由', '合計休業日数',
  '休業可能日数', '訂正日（元号）', '訂正日（年月日）', '再交付（元号）', '再交付（年月日）', '消除日（元号）', '消除日（年月日）', '消除理由', '消除取消日（元号）', '消除取消日（年月日）',
  '停止日（元号）', '停止日（年月日）', '停止理由', '停止解除日（元号）', '停止解除日（年月日）', '登録可能日（元号）', '登録可能日（年月日）', '指定研修課程修了', '指定研修課程修了（元号）', '指定研修課程修了（年月日）',
  '付記資格１', '付記資格年月日１（元号）', '付記資格年月日１（年月日）', '付記資格２', '付記資格年月日２（元号）', '付記資格年月日２（年月日）', '付記資格３', '付記資格年月日３（元号）', '付記資格年月日３（年月日）', '付記資格４',
  '付記資格年月日４（元号）', '付記資格年月日４（年月日）', '付記資格５', '付記資格年月日５（元号）', '付記資格年月日５（年月日）', '旧姓フラグ', '通称名フラグ', '旧姓通称名フラグ',
] as const;
const ITEM_SET: ReadonlySet<string> = new Set(KAIGO_ITEMS);
const IDENTIFIERS: ReadonlySet<string> = new Set(['資格仮名ID', 'マイナポータル仮名ID', '個人番号', '機関別符号']);

/** The 介護福祉士 qualification, its register items checked to be exactly items 3–80 (a catalog change fails here). */
export function kaigoQualification(): QualificationEntry {
  const q = catalog().qualification(KAIGO_QUALIFICATION)!;
  // The register items are the file's 共通項目 (1 資格仮名ID, 2 マイナポータル仮名ID, 個人番号, 機関別符号) and items 3–80.
  const items = q.registerItems.filter((i) => !IDENTIFIERS.has(i));
  if (KAIGO_ITEMS.length !== 78 || items.length !== KAIGO_ITEMS.length || !items.every((i) => ITEM_SET.has(i))) {
    throw new Error('registry: the catalog\'s 介護福祉士 register items are not the items 3–80 of 別添2');
  }
  return q;
}

export type KaigoItems = Partial<Record<(typeof KAIGO_ITEMS)[number], string>>;

const refused = (detail: string) => new Problem(400, 'FOUNDATION_REFUSED', '定められた項目・形式と異なるため全体を受け付けませんでした', detail);
const MY_NUMBER = /^[0-9]{12}$/;

/** Items 3–80 of one row: only predefined names, strings (or null/empty: absent) of at most 200 characters. */
export function checkItems(raw: unknown, where: string): KaigoItems {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw refused(`${where}: 項目がありません。`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!ITEM_SET.has(k)) throw refused(`${where}: あらかじめ定められた項目（別添2の項目3〜80）にない項目「${k.slice(0, 40)}」が含まれています。`);
    if (v === null || v === '') continue;
    if (typeof v !== 'string' || v.length > 200) throw refused(`${where}: 項目「${k}」の値は200文字以内の文字列です。`);
    out[k] = v;
  }
  return out as KaigoItems;
}

/** A row object's keys must be exactly these (required) and those (optional). */
function keysOf(raw: unknown, where: string, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw refused(`${where}: 行の形式が正しくありません。`);
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!required.includes(k) && !optional.includes(k)) throw refused(`${where}: 定められていない項目「${k.slice(0, 40)}」が含まれています。`);
  for (const k of required) if (r[k] === undefined) throw refused(`${where}: 「${k}」がありません。`);
  return r;
}

function rowsOf(body: unknown): { batchId: string; rows: unknown[] } {
  const b = keysOf(body, '要求', ['batchId', 'rows']);
  if (typeof b['batchId'] !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(b['batchId'])) throw refused('batchId（半角英数字64文字以内）が正しくありません。');
  if (!Array.isArray(b['rows']) || b['rows'].length > MAX_FOUNDATION_ROWS) throw refused(`rows は ${MAX_FOUNDATION_ROWS} 件以内の配列です。`);
  return { batchId: b['batchId'], rows: b['rows'] };
}

export const digestOfRow = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex');
const sortedItems = (items: KaigoItems): KaigoItems => Object.fromEntries(KAIGO_ITEMS.filter((k) => items[k] !== undefined).map((k) => [k, items[k]])) as KaigoItems;

// ---- inbound -----------------------------------------------------------------------------------------------

export interface PasserRow { readonly items: KaigoItems }
export interface PaperRow {
  readonly ref: string;
  readonly myNumber: string;
  readonly numberCheck: { readonly document: (typeof IDENTITY_DOCUMENTS)[number]; readonly checkedBy: string; readonly checkedOn: string };
  readonly items: KaigoItems;
}

export function parsePasserRows(rows: unknown[]): PasserRow[] {
  return rows.map((raw, i) => {
    const r = keysOf(raw, `${i + 1}件目`, ['項目']);
    const items = checkItems(r['項目'], `${i + 1}件目`);
    if (!items['合格証書番号'] || !/^[0-9A-Z-]{1,16}$/.test(items['合格証書番号'])) throw refused(`${i + 1}件目: 合格証書番号（半角英数字16文字以内）がありません。`);
    return { items: sortedItems(items) };
  });
}

export function parsePaperRows(rows: unknown[]): PaperRow[] {
  return rows.map((raw, i) => {
    const w = `${i + 1}件目`;
    const r = keysOf(raw, w, ['受付番号', '個人番号', '番号確認', '項目']);
    if (typeof r['受付番号'] !== 'string' || !/^[0-9A-Za-z-]{1,32}$/.test(r['受付番号'])) throw refused(`${w}: 受付番号（半角英数字32文字以内）が正しくありません。`);
    if (typeof r['個人番号'] !== 'string' || !MY_NUMBER.test(r['個人番号'])) throw refused(`${w}: 個人番号の形式が正しくありません。`);
    try {
      RegistrySecrets.check(r['個人番号']);
    } catch {
      throw refused(`${w}: 個人番号の検査用数字が正しくありません。`);
    }
    const c = keysOf(r['番号確認'], `${w} 番号確認`, ['書類', '確認者', '確認日']);
    if (!IDENTITY_DOCUMENTS.includes(c['書類'] as (typeof IDENTITY_DOCUMENTS)[number])) throw refused(`${w}: 番号確認の書類は ${IDENTITY_DOCUMENTS.join('・')} のいずれかです。`);
    if (typeof c['確認者'] !== 'string' || c['確認者'].trim() === '' || c['確認者'].length > 60) throw refused(`${w}: 番号確認の確認者がありません。`);
    if (typeof c['確認日'] !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(c['確認日'])) throw refused(`${w}: 番号確認の確認日（YYYY-MM-DD）が正しくありません。`);
    return { ref: r['受付番号'], myNumber: r['個人番号'], numberCheck: { document: c['書類'] as PaperRow['numberCheck']['document'], checkedBy: c['確認者'].trim(), checkedOn: c['確認日'] }, items: sortedItems(checkItems(r['項目'], w)) };
  });
}

/**
 * The application form of a paper application from its items 3–80.  The paper form itself (with its 欠格事由
 * declaration) stays with the foundation, which examined it before sending (decision 0231): the declaration
 * is recorded as 該当なし and the application's `received` event says where it came from.
 */
export function formFromItems(items: KaigoItems): Record<string, unknown> {
  const f: Record<string, unknown> = {
    qualification: KAIGO_QUALIFICATION, procedure: 'new',
    氏名: { 姓: items['漢字氏名（姓）'], 名: items['漢字氏名（名）'] },
    フリガナ: { 姓: items['カナ氏名（姓）'], 名: items['カナ氏名（名）'] },
    生年月日: items['生年月日（年月日）'], 性別: items['性別'],
    本籍: { 都道府県コード: items['本籍地コード'] },
    住所: { 郵便番号: items['郵便番号'], 住所: items['住所'] },
    電話番号: items['固定電話'] ?? items['携帯電話'],
    欠格事由: { 罰金以上の刑: false, 業務に関する犯罪又は不正の行為: false },
    資格取得: items['合格証書番号'] ? { 区分: '試験', 合格証書番号: items['合格証書番号'], 合格年月: items['合格年月（年月）'] } : { 区分: '養成施設', 養成施設コード: items['養成施設コード'], 卒業年月: items['登録可能日（年月日）']?.slice(0, 7) },
  };
  if (items['旧姓']) f['旧姓'] = items['旧姓'];
  if (items['メールアドレス']) f['メールアドレス'] = items['メールアドレス'];
  if (items['アルファベット氏名']) f['アルファベット氏名'] = items['アルファベット氏名'];
  if (items['固定電話'] && items['携帯電話']) f['携帯電話'] = items['携帯電話'];
  return f;
}

/** The application id of the foundation's 受付番号 (deterministic: sending the same row again is the same application). */
export function foundationApplicationId(ref: string): string {
  const h = createHash('sha256').update(`shiken|${ref}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The 資格仮名ID of an application: the one already given, the person's (registered or given before), or a new one. */
export async function reservePseudonym(tx: Tx, clock: Clock, tenant: string, applicationId: string, blindIndex: Buffer): Promise<string> {
  const own = await sql<{ pseudonym_id: string }>`SELECT pseudonym_id FROM registry.pseudonym_reservations WHERE tenant_code = ${tenant} AND application_id = ${applicationId}`.execute(tx);
  if (own.rows[0]) return own.rows[0].pseudonym_id;
  await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`registry|${tenant}|${blindIndex.toString('hex')}`}, 0))`.execute(tx);
  const known = await sql<{ pseudonym_id: string }>`
    SELECT e.pseudonym_id FROM registry.entry_mynumbers m JOIN registry.entries e USING (tenant_code, qualification_code, registration_no) WHERE m.tenant_code = ${tenant} AND m.blind_index = ${blindIndex}
    UNION ALL SELECT pseudonym_id FROM registry.pseudonym_reservations WHERE tenant_code = ${tenant} AND blind_index = ${blindIndex} LIMIT 1`.execute(tx);
  let pseudonym = known.rows[0]?.pseudonym_id;
  if (!pseudonym) {
    pseudonym = `Q${randomBytes(10).toString('hex').toUpperCase()}`;
    await sql`INSERT INTO registry.registrants (tenant_code, pseudonym_id, created_at) VALUES (${tenant}, ${pseudonym}, ${clock.now()})`.execute(tx);
  }
  await sql`INSERT INTO registry.pseudonym_reservations (tenant_code, application_id, pseudonym_id, blind_index, reserved_at) VALUES (${tenant}, ${applicationId}, ${pseudonym}, ${blindIndex}, ${clock.now()})`.execute(tx);
  return pseudonym;
}

export interface FoundationDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly secrets: RegistrySecrets;
}

/** Stores 試験合格者 (in the caller's tenant transaction); same content again: skipped; other content: refused whole. */
export async function receivePassers(tx: Tx, deps: FoundationDeps, rows: readonly PasserRow[], batchId: string, via: 'api' | 'file'): Promise<{ received: number; added: number }> {
  const q = kaigoQualification();
  let added = 0;
  for (const [i, r] of rows.entries()) {
    const no = r.items['合格証書番号']!;
    const digest = digestOfRow(r.items);
    const had = await sql<{ digest: string }>`SELECT digest FROM registry.foundation_passers WHERE tenant_code = ${q.administrator} AND certificate_no = ${no}`.execute(tx);
    if (had.rows[0]) {
      if (had.rows[0].digest !== digest) throw conflict('PASSER_DIFFERS', `${i + 1}件目: 合格証書番号 ${no} の合格者は既に異なる内容で受け付けています。全体を受け付けませんでした。`);
      continue;
    }
    await sql`INSERT INTO registry.foundation_passers (tenant_code, certificate_no, items, digest, batch_id, received_via, received_at)
              VALUES (${q.administrator}, ${no}, ${JSON.stringify(r.items)}::jsonb, ${digest}, ${batchId}, ${via}, ${deps.clock.now()})`.execute(tx);
    added += 1;
  }
  return { received: rows.length, added };
}

/**
 * Queues paper applications (in the caller's tenant transaction) and gives each its 資格仮名ID.  A row already
 * queued (same 受付番号) returns the same 資格仮名ID and changes nothing.
 */
export async function receivePaper(tx: Tx, deps: FoundationDeps, rows: readonly PaperRow[], batchId: string, via: 'api' | 'file'): Promise<{ ref: string; pseudonymId: string; applicationId: string }[]> {
  const q = kaigoQualification();
  const tenant = q.administrator;
  const out: { ref: string; pseudonymId: string; applicationId: string }[] = [];
  for (const [i, r] of rows.entries()) {
    let form: Record<string, unknown>;
    try {
      form = parseApplication(q.code, formFromItems(r.items));
    } catch (e) {
      if (!isProblem(e)) throw e;
      throw refused(`${i + 1}件目（受付番号 ${r.ref}）: 申請として読めません（${e.detail ?? e.title}）。`);
    }
    const id = foundationApplicationId(r.ref);
    const had = await getApplication(tx, id);
    if (!had) {
      await insertApplication(tx, { clock: deps.clock, secrets: deps.secrets }, tenant, {
        id, qualification: q.code, procedure: 'new', channel: 'paper', form, myNumber: r.myNumber, receivedBy: FOUNDATION_NODE,
        identityProof: { documents: [r.numberCheck.document], numberCheckedWith: r.numberCheck.document, checkedBy: r.numberCheck.checkedBy, checkedOn: r.numberCheck.checkedOn, channel: '郵送', note: `（公財）社会福祉振興・試験センター 登録情報連携システムから（受付番号 ${r.ref}）`, enteredBy: FOUNDATION_NODE },
        receivedDetail: { foundation: { ref: r.ref, batchId, via }, identityProof: { documents: [r.numberCheck.document], numberCheckedWith: r.numberCheck.document, checkedBy: r.numberCheck.checkedBy, checkedOn: r.numberCheck.checkedOn, channel: '郵送' } },
      });
    }
    const pseudonymId = await reservePseudonym(tx, deps.clock, tenant, id, deps.secrets.blindIndex(tenant, r.myNumber));
    out.push({ ref: r.ref, pseudonymId, applicationId: id });
  }
  return out;
}

// ---- outbound ----------------------------------------------------------------------------------------------

export type OutboundRow = { 区分: 'online'; 資格仮名ID: string; 項目: KaigoItems } | { 区分: 'link'; 資格仮名ID: string; 受付番号: string };
interface Pending { readonly applicationId: string; readonly kind: 'online' | 'link'; readonly digest: string; readonly row: OutboundRow }

/**
 * What the foundation has not yet received: each online 介護福祉士 application (received, returned or approved)
 * as 資格仮名ID + items 3–80 — again when its items changed — and the 資格仮名ID of each paper application it
 * sent.  Never a My Number, a マイナポータル仮名ID, an application id or a form field outside items 3–80.
 */
export async function pendingOutbound(tx: Tx, deps: FoundationDeps): Promise<Pending[]> {
  const q = kaigoQualification();
  const tenant = q.administrator;
  const out: Pending[] = [];
  const online = await sql<{ id: string; form: Record<string, unknown>; blind_index: Buffer }>`
    SELECT a.id, a.form, m.blind_index FROM registry.applications a JOIN registry.application_mynumbers m ON m.tenant_code = a.tenant_code AND m.application_id = a.id
    WHERE a.tenant_code = ${tenant} AND a.qualification_code = ${q.code} AND a.channel = 'online' AND a.procedure = 'new' AND a.status IN ('received', 'returned', 'approved')
    ORDER BY a.received_at, a.id`.execute(tx);
  for (const a of online.rows) {
    const pseudonymId = await reservePseudonym(tx, deps.clock, tenant, a.id, Buffer.from(a.blind_index));
    const items = sortedItems(checkItems(Object.fromEntries(Object.entries(applicationItems(q, a.form, deps.clock.today())).map(([k, v]) => [k, v === null ? null : String(v)])), '送信'));
    const row: OutboundRow = { 区分: 'online', 資格仮名ID: pseudonymId, 項目: items };
    out.push({ applicationId: a.id, kind: 'online', digest: digestOfRow(row), row });
  }
  const links = await sql<{ id: string; ref: string; pseudonym_id: string }>`
    SELECT a.id, ev.detail->'foundation'->>'ref' AS ref, r.pseudonym_id FROM registry.applications a
      JOIN registry.pseudonym_reservations r ON r.tenant_code = a.tenant_code AND r.application_id = a.id
      JOIN registry.application_events ev ON ev.tenant_code = a.tenant_code AND ev.application_id = a.id AND ev.kind = 'received'
    WHERE a.tenant_code = ${tenant} AND a.channel = 'paper' AND a.received_by = ${FOUNDATION_NODE} ORDER BY a.received_at, a.id`.execute(tx);
  for (const l of links.rows) {
    const row: OutboundRow = { 区分: 'link', 資格仮名ID: l.pseudonym_id, 受付番号: l.ref };
    out.push({ applicationId: l.id, kind: 'link', digest: digestOfRow(row), row });
  }
  const sent = await sql<{ application_id: string; kind: string; digest: string }>`SELECT application_id, kind, digest FROM registry.foundation_outbound WHERE tenant_code = ${tenant}`.execute(tx);
  const done = new Set(sent.rows.map((s) => `${s.application_id}|${s.kind}|${s.digest}`));
  return out.filter((p) => !done.has(`${p.applicationId}|${p.kind}|${p.digest}`));
}

export async function markSent(tx: Tx, deps: { clock: Clock }, pending: readonly { applicationId: string; kind: 'online' | 'link'; digest: string }[], via: 'api' | 'file', batchId: string): Promise<void> {
  const tenant = kaigoQualification().administrator;
  for (const p of pending) {
    await sql`INSERT INTO registry.foundation_outbound (tenant_code, application_id, kind, digest, via, batch_id, sent_at) VALUES (${tenant}, ${p.applicationId}, ${p.kind}, ${p.digest}, ${via}, ${batchId}, ${deps.clock.now()})
              ON CONFLICT DO NOTHING`.execute(tx);
  }
}

export interface SendReport { readonly batchId: string | null; readonly online: number; readonly links: number }

/**
 * Sends what the foundation has not yet received, by message (QUA-30 随時・API連携): one `registry.applications`
 * call (signed, encrypted, logged at both ends); marked as sent only once the foundation answered.
 */
export async function sendToFoundation(deps: FoundationDeps & { node: ExchangeNode }, foundation = FOUNDATION_NODE): Promise<SendReport> {
  const tenant = kaigoQualification().administrator;
  const pending = await withTenant(deps.db, tenant, (tx) => pendingOutbound(tx, deps));
  if (pending.length === 0) return { batchId: null, online: 0, links: 0 };
  const batchId = `R${deps.clock.now().toISOString().replace(/[-:.TZ]/g, '')}-${randomBytes(4).toString('hex')}`;
  for (let i = 0; i < pending.length; i += MAX_FOUNDATION_ROWS) {
    const part = pending.slice(i, i + MAX_FOUNDATION_ROWS);
    await deps.node.call(foundation, 'registry.applications', { batchId, rows: part.map((p) => p.row) }, { personal: true });
    await withTenant(deps.db, tenant, (tx) => markSent(tx, deps, part, 'api', batchId));
  }
  return { batchId, online: pending.filter((p) => p.kind === 'online').length, links: pending.filter((p) => p.kind === 'link').length };
}

/** The services the foundation calls (only `shiken`). */
export function foundationServices(deps: FoundationDeps, foundation = FOUNDATION_NODE): Record<string, ServiceDef> {
  const fromFoundation = (s: string) => s === foundation;
  const tenant = () => kaigoQualification().administrator;
  return {
    'foundation.passers': {
      title: '介護福祉士試験合格者情報の受付（登録情報連携システム）',
      from: fromFoundation,
      async handle(msg) {
        const { batchId, rows } = rowsOf(msg.body);
        const parsed = parsePasserRows(rows);
        const r = await withTenant(deps.db, tenant(), (tx) => receivePassers(tx, deps, parsed, batchId, 'api'));
        return { body: { batchId, ...r }, personal: true };
      },
    },
    'foundation.paper': {
      title: '紙による介護福祉士登録申請の受付（登録情報連携システム）',
      from: fromFoundation,
      async handle(msg) {
        const { batchId, rows } = rowsOf(msg.body);
        const parsed = parsePaperRows(rows);
        const results = await withTenant(deps.db, tenant(), async (tx) => {
          const r = await receivePaper(tx, deps, parsed, batchId, 'api');
          // The 資格仮名ID goes back in this answer: the link counts as sent.
          await markSent(tx, deps, r.map((x) => ({ applicationId: x.applicationId, kind: 'link' as const, digest: digestOfRow({ 区分: 'link', 資格仮名ID: x.pseudonymId, 受付番号: x.ref }) })), 'api', batchId);
          return r;
        });
        return { body: { batchId, results: results.map((x) => ({ 受付番号: x.ref, 資格仮名ID: x.pseudonymId })) }, personal: true };
      },
    },
  };
}
