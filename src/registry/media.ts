// Media transfers with the 介護福祉士 foundation (issue 16 Must have 6; QUA-32, QUA-40; decision 0232; layouts:
// docs/formats/registry-foundation.md).  A file is a ZIP with one CSV entry in a predefined layout, encrypted with
// AES-256 (WinZip AE-2) under a password agreed out of band; the CSV is UTF-8 with BOM and CRLF (read: UTF-8 or
// Shift_JIS).  Inbound (foundation → registry, `kaigo-inbound-v1.csv`): 試験合格者 and paper applications with
// My Number.  Outbound (registry → foundation, `kaigo-outbound-v1.csv`): online applications as 資格仮名ID +
// items 3–80, and the 資格仮名ID of each paper application — no My Number column at all.
//
// The media ledger: an inbound file is recorded `received` with its bytes (still the encrypted ZIP: locked),
// its rows are registered (passers stored, applications queued with their 資格仮名ID) in the same transaction
// (`registered`), and then its bytes are discarded (`discarded`: content removed, the row kept with digest, who
// and when).  Wrong password, altered file or wrong layout: a clear error and nothing written.  The same file
// again changes nothing.  An outbound file is recorded `written` (its bytes are never kept).
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../kernel/clock/index.js';
import { Problem, invalidField, notFound } from '../kernel/problems/index.js';
import { logAccess, visibleQualifications, type StaffSession } from './staff.js';
import {
  KAIGO_ITEMS, FOUNDATION_NODE, kaigoQualification, markSent, parsePaperRows, parsePasserRows, pendingOutbound, receivePaper, receivePassers, type FoundationDeps, type KaigoItems,
} from './foundation.js';
import { csvRecords, decodePasserFile } from './passers.js';
import { withTenant } from './store.js';

export const INBOUND_LAYOUT = 'kaigo-inbound-v1';
export const OUTBOUND_LAYOUT = 'kaigo-outbound-v1';
export const INBOUND_COLUMNS = ['区分', '受付番号', '個人番号', '番号確認書類', '番号確認者', '番号確認日', ...KAIGO_ITEMS] as const;
export const OUTBOUND_COLUMNS = ['区分', '資格仮名ID', '受付番号', ...KAIGO_ITEMS] as const;
export const MEDIA_KIND_LABELS = { '1': '試験合格者', '2': '紙による申請' } as const;
export const MEDIA_STATUS_LABELS = { received: '受領（施錠保管）', registered: '登録済み', discarded: '廃棄済み', written: '作成済み' } as const;
const MIN_PASSWORD = 12;
const MAX_MEDIA_BYTES = 50 * 1024 * 1024;

const mediaError = (code: string, title: string, detail: string) => new Problem(400, code, title, detail);

function checkPassword(password: string): void {
  if (typeof password !== 'string' || password.length < MIN_PASSWORD || password.length > 128) throw invalidField('password', 'MEDIA_PASSWORD_WEAK', `パスワードは${MIN_PASSWORD}〜128文字です`);
}

const quote = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
export const csvText = (rows: readonly (readonly string[])[]): string => `\uFEFF${rows.map((r) => r.map(quote).join(',')).join('\r\n')}\r\n`;

/** A password-protected AES-256 ZIP with one entry. */
export async function sealZip(name: string, content: Uint8Array, password: string): Promise<Buffer> {
  checkPassword(password);
  const zip = await import('@zip.js/zip.js');
  zip.configure({ useWebWorkers: false });
  const w = new zip.Uint8ArrayWriter();
  const writer = new zip.ZipWriter(w, { password, encryptionStrength: 3 });
  await writer.add(name, new zip.Uint8ArrayReader(content), { level: 6 });
  return Buffer.from(await writer.close());
}

/** The one entry of a password-protected ZIP (its name and bytes); wrong password, altered or unencrypted file → 400. */
export async function openZip(bytes: Buffer, password: string): Promise<{ name: string; content: Buffer }> {
  if (bytes.length === 0) throw mediaError('MEDIA_EMPTY', 'ファイルが空です', '媒体のファイルに内容がありません。');
  if (bytes.length > MAX_MEDIA_BYTES) throw mediaError('MEDIA_TOO_LARGE', 'ファイルが大きすぎます', `${MAX_MEDIA_BYTES / 1024 / 1024}MBまでです。`);
  const zip = await import('@zip.js/zip.js');
  zip.configure({ useWebWorkers: false });
  const reader = new zip.ZipReader(new zip.Uint8ArrayReader(bytes));
  try {
    let entries;
    try {
      entries = await reader.getEntries();
    } catch {
      throw mediaError('MEDIA_DAMAGED', 'ファイルが壊れているか改変されています', '暗号化ZIPとして読めません。受け取ったファイルを確認してください。');
    }
    const files = entries.filter((e) => !e.directory);
    if (files.length !== 1) throw mediaError('MEDIA_LAYOUT', '定められた形式のファイルではありません', `ファイルに含まれるデータは1件だけです（${files.length}件あります）。`);
    const e = files[0]!;
    if (!e.encrypted) throw mediaError('MEDIA_NOT_ENCRYPTED', '暗号化されていないファイルは受け付けません', 'パスワードで保護・暗号化されたファイル（AES-256）だけを受け付けます。');
    try {
      const data = await e.getData!(new zip.Uint8ArrayWriter(), { password, checkSignature: true });
      return { name: e.filename, content: Buffer.from(data) };
    } catch (err) {
      if (/password/i.test((err as Error).message)) throw mediaError('MEDIA_PASSWORD', 'パスワードが違います', 'ファイルのパスワードが正しくありません。');
      throw mediaError('MEDIA_DAMAGED', 'ファイルが壊れているか改変されています', '暗号化されたデータの検証に失敗しました。受け取ったファイルを確認してください。');
    }
  } finally {
    await reader.close().catch(() => undefined);
  }
}

/** The rows of a CSV in the given layout: the header must be exactly the layout's columns (an extra item refuses the file). */
export function layoutRows(content: Buffer, columns: readonly string[]): { line: number; cells: Record<string, string> }[] {
  let text: string;
  try {
    text = decodePasserFile(content).text;
  } catch {
    throw mediaError('MEDIA_LAYOUT', '定められた形式のファイルではありません', '文字コードが UTF-8 でも Shift_JIS でもありません。');
  }
  const records = csvRecords(text.replace(/^\uFEFF/, '')).filter((r) => !(r.cells.length === 1 && r.cells[0] === ''));
  const header = records[0]?.cells ?? [];
  const bad = header.findIndex((h, i) => h !== columns[i]);
  if (header.length !== columns.length || bad >= 0) {
    const extra = header.find((h) => !columns.includes(h));
    throw mediaError('MEDIA_LAYOUT', '定められた形式のファイルではありません', extra ? `定められていない項目「${extra.slice(0, 40)}」があります。全体を受け付けませんでした。` : `見出し行が定められた項目（${columns.length}列）と一致しません（${bad >= 0 ? `${bad + 1}列目` : `${header.length}列`}）。`);
  }
  return records.slice(1).map((r) => {
    if (r.cells.length !== columns.length) throw mediaError('MEDIA_LAYOUT', '定められた形式のファイルではありません', `${r.line}行目: 列の数が ${columns.length} ではありません（${r.cells.length}）。`);
    return { line: r.line, cells: Object.fromEntries(columns.map((c, i) => [c, r.cells[i]!])) };
  });
}

const itemsOf = (cells: Record<string, string>): KaigoItems => Object.fromEntries(KAIGO_ITEMS.filter((k) => cells[k] !== '').map((k) => [k, cells[k]])) as KaigoItems;

export interface MediaEntry {
  readonly id: string;
  readonly direction: 'in' | 'out';
  readonly directionLabel: string;
  readonly fileName: string;
  readonly layout: string;
  readonly sha256: string;
  readonly size: number;
  readonly rows: number;
  readonly status: keyof typeof MEDIA_STATUS_LABELS;
  readonly statusLabel: string;
  readonly contentKept: boolean;
  readonly receivedBy: string;
  readonly receivedAt: string;
  readonly registeredAt: string | null;
  readonly discardedBy: string | null;
  readonly discardedAt: string | null;
}

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));

function entryOf(r: Record<string, unknown>): MediaEntry {
  const direction = r['direction'] as 'in' | 'out';
  const status = r['status'] as MediaEntry['status'];
  return {
    id: String(r['id']), direction, directionLabel: direction === 'in' ? '受領（センター→本システム）' : '提供（本システム→センター）', fileName: String(r['file_name']), layout: String(r['layout']),
    sha256: String(r['sha256']), size: Number(r['size']), rows: Number(r['rows']), status, statusLabel: MEDIA_STATUS_LABELS[status], contentKept: Boolean(r['content_kept']),
    receivedBy: String(r['received_by']), receivedAt: iso(r['received_at'])!, registeredAt: iso(r['registered_at']), discardedBy: iso(r['discarded_by']), discardedAt: iso(r['discarded_at']),
  };
}

export interface MediaImport {
  readonly entry: MediaEntry;
  /** True when this exact file had been imported before (nothing changed). */
  readonly repeated: boolean;
  readonly passers: { received: number; added: number };
  readonly links: { ref: string; pseudonymId: string }[];
}

const who = (by: unknown): string => {
  if (typeof by !== 'string' || by.trim() === '' || by.length > 60) throw invalidField('by', 'BY_REQUIRED', '作業した職員（60文字以内）を指定してください');
  return by.trim();
};

/**
 * Imports a file the foundation wrote (QUA-30 inbound by file, QUA-40): checked whole before anything is written,
 * then recorded, registered and discarded.  Idempotent by the file's SHA-256.
 */
export async function importMedia(deps: FoundationDeps, input: { bytes: Buffer; fileName: string; password: string; by: string }): Promise<MediaImport> {
  const by = who(input.by);
  const tenant = kaigoQualification().administrator;
  const sha256 = createHash('sha256').update(input.bytes).digest('hex');
  // The password is checked first, even for a file already imported.
  const { name, content } = await openZip(input.bytes, input.password);
  const known = await withTenant(deps.db, tenant, (tx) => sql<Record<string, unknown>>`SELECT *, content IS NOT NULL AS content_kept FROM registry.media_ledger WHERE tenant_code = ${tenant} AND direction = 'in' AND sha256 = ${sha256}`.execute(tx));
  if (known.rows[0]) return { entry: entryOf(known.rows[0]), repeated: true, passers: { received: 0, added: 0 }, links: [] };
  if (name !== `${INBOUND_LAYOUT}.csv`) throw mediaError('MEDIA_LAYOUT', '定められた形式のファイルではありません', `データの名前は ${INBOUND_LAYOUT}.csv です（「${name.slice(0, 60)}」）。`);
  const rows = layoutRows(content, INBOUND_COLUMNS);
  const passerRows: unknown[] = [];
  const paperRows: unknown[] = [];
  for (const r of rows) {
    const c = r.cells;
    if (c['区分'] === '1') {
      if (c['個人番号'] || c['受付番号'] || c['番号確認書類']) throw mediaError('MEDIA_LAYOUT', '定められた形式のファイルではありません', `${r.line}行目: 試験合格者（区分1）に個人番号・受付番号・番号確認は記載しません。`);
      passerRows.push({ 項目: itemsOf(c) });
    } else if (c['区分'] === '2') {
      paperRows.push({ 受付番号: c['受付番号'], 個人番号: c['個人番号'], 番号確認: { 書類: c['番号確認書類'], 確認者: c['番号確認者'], 確認日: c['番号確認日'] }, 項目: itemsOf(c) });
    } else throw mediaError('MEDIA_LAYOUT', '定められた形式のファイルではありません', `${r.line}行目: 区分は 1（試験合格者）か 2（紙による申請）です。`);
  }
  const passers = parsePasserRows(passerRows);
  const paper = parsePaperRows(paperRows);
  const id = randomUUID();
  const batchId = `F-${sha256.slice(0, 32)}`;
  const fileName = input.fileName.replace(/^.*[\\/]/, '').slice(0, 200) || 'media.zip';
  const result = await withTenant(deps.db, tenant, async (tx) => {
    await sql`INSERT INTO registry.media_ledger (tenant_code, id, direction, file_name, layout, sha256, size, rows, status, content, received_by, received_at)
              VALUES (${tenant}, ${id}, 'in', ${fileName}, ${INBOUND_LAYOUT}, ${sha256}, ${input.bytes.length}, ${rows.length}, 'received', ${input.bytes}, ${by}, ${deps.clock.now()})`.execute(tx);
    const p = await receivePassers(tx, deps, passers, batchId, 'file');
    const links = await receivePaper(tx, deps, paper, batchId, 'file');
    await sql`UPDATE registry.media_ledger SET status = 'registered', registered_at = ${deps.clock.now()} WHERE tenant_code = ${tenant} AND id = ${id}`.execute(tx);
    return { passers: p, links: links.map((l) => ({ ref: l.ref, pseudonymId: l.pseudonymId })) };
  });
  // Registration is complete: the file's content is discarded at once (QUA-40); the ledger row stays.
  const entry = await discardMedia(deps, id, 'system:registration-complete');
  return { entry, repeated: false, ...result };
}

/** Discards a registered inbound file's content (content removed, who and when recorded). */
export async function discardMedia(deps: { db: FoundationDeps['db']; clock: Clock }, id: string, by: string): Promise<MediaEntry> {
  const tenant = kaigoQualification().administrator;
  return withTenant(deps.db, tenant, async (tx) => {
    const r = await sql<Record<string, unknown>>`SELECT status FROM registry.media_ledger WHERE tenant_code = ${tenant} AND id = ${id} FOR UPDATE`.execute(tx);
    const status = r.rows[0]?.['status'];
    if (status === undefined) throw new Problem(404, 'NOT_FOUND', '媒体の記録がありません', `媒体 ${id} の記録はありません。`);
    if (status === 'received') throw new Problem(409, 'MEDIA_NOT_REGISTERED', '登録が完了していない媒体は廃棄できません', '受領した内容の登録が完了してから廃棄します。');
    if (status === 'registered') {
      await sql`UPDATE registry.media_ledger SET status = 'discarded', content = NULL, discarded_by = ${who(by)}, discarded_at = ${deps.clock.now()} WHERE tenant_code = ${tenant} AND id = ${id}`.execute(tx);
    }
    const e = await sql<Record<string, unknown>>`SELECT *, content IS NOT NULL AS content_kept FROM registry.media_ledger WHERE tenant_code = ${tenant} AND id = ${id}`.execute(tx);
    return entryOf(e.rows[0]!);
  });
}

export interface MediaExport {
  readonly entry: MediaEntry;
  readonly bytes: Buffer;
  readonly online: number;
  readonly links: number;
}

/**
 * Writes the periodic file for the foundation (QUA-30 定期・ファイル連携, QUA-32): what it has not yet received,
 * in the outbound layout, password-protected and AES-256 encrypted; recorded in the ledger and marked as sent.
 */
export async function exportMedia(deps: FoundationDeps, input: { password: string; by: string; fileName?: string }): Promise<MediaExport> {
  const by = who(input.by);
  checkPassword(input.password);
  const tenant = kaigoQualification().administrator;
  return withTenant(deps.db, tenant, async (tx) => {
    const pending = await pendingOutbound(tx, deps);
    const rows = pending.map((p) => p.row.区分 === 'online'
      ? ['1', p.row.資格仮名ID, '', ...KAIGO_ITEMS.map((k) => (p.row.区分 === 'online' ? p.row.項目[k] ?? '' : ''))]
      : ['2', p.row.資格仮名ID, p.row.受付番号, ...KAIGO_ITEMS.map(() => '')]);
    const bytes = await sealZip(`${OUTBOUND_LAYOUT}.csv`, Buffer.from(csvText([[...OUTBOUND_COLUMNS], ...rows]), 'utf8'), input.password);
    const id = randomUUID();
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const fileName = (input.fileName ?? `kaigo-outbound-${deps.clock.today().replace(/-/g, '')}.zip`).replace(/^.*[\\/]/, '').slice(0, 200);
    const now = deps.clock.now();
    await sql`INSERT INTO registry.media_ledger (tenant_code, id, direction, file_name, layout, sha256, size, rows, status, content, received_by, received_at, registered_at)
              VALUES (${tenant}, ${id}, 'out', ${fileName}, ${OUTBOUND_LAYOUT}, ${sha256}, ${bytes.length}, ${rows.length}, 'written', NULL, ${by}, ${now}, ${now})`.execute(tx);
    await markSent(tx, deps, pending, 'file', `M-${id}`);
    const e = await sql<Record<string, unknown>>`SELECT *, false AS content_kept FROM registry.media_ledger WHERE tenant_code = ${tenant} AND id = ${id}`.execute(tx);
    return { entry: entryOf(e.rows[0]!), bytes, online: pending.filter((p) => p.kind === 'online').length, links: pending.filter((p) => p.kind === 'link').length };
  });
}

export interface MediaPage { readonly total: number; readonly page: number; readonly pageSize: number; readonly entries: MediaEntry[] }

/** The media ledger, newest first (never the content). */
export async function listMedia(deps: { db: FoundationDeps['db'] }, opts: { page?: number; pageSize?: number } = {}): Promise<MediaPage> {
  const tenant = kaigoQualification().administrator;
  const pageSize = Math.min(Math.max(opts.pageSize ?? 50, 1), 200);
  const page = Math.max(opts.page ?? 1, 1);
  return withTenant(deps.db, tenant, async (tx) => {
    const t = await sql<{ n: string }>`SELECT count(*) AS n FROM registry.media_ledger WHERE tenant_code = ${tenant}`.execute(tx);
    const r = await sql<Record<string, unknown>>`SELECT id, direction, file_name, layout, sha256, size, rows, status, content IS NOT NULL AS content_kept, received_by, received_at, registered_at, discarded_by, discarded_at
      FROM registry.media_ledger WHERE tenant_code = ${tenant} ORDER BY received_at DESC, id LIMIT ${pageSize} OFFSET ${(page - 1) * pageSize}`.execute(tx);
    return { total: Number(t.rows[0]!.n), page, pageSize, entries: r.rows.map(entryOf) };
  });
}

export { FOUNDATION_NODE };

/**
 * The media ledger for a staff member (the staff screen): only for the 介護福祉士's 資格管理者 and a member with the
 * 介護福祉士 duty; anyone else gets the same 404 as an unknown page (logged as denied).  Every read is logged.
 */
export async function staffMediaLedger(deps: { db: FoundationDeps['db']; clock: Clock }, session: StaffSession, page: number, requestId?: string): Promise<MediaPage> {
  const q = kaigoQualification();
  const allowed = session.staff.tenant === q.administrator && visibleQualifications(session).some((x) => x.code === q.code);
  await logAccess(deps.db, deps.clock, session, { action: 'list', targetType: 'media-ledger', targetId: q.code, outcome: allowed ? 'ok' : 'denied', ...(requestId ? { requestId } : {}) });
  if (!allowed) throw notFound('ページ');
  return listMedia(deps, { page, pageSize: 20 });
}

/** Whether the staff member may see the media ledger (the menu shows it only then). */
export function seesMediaLedger(session: StaffSession): boolean {
  const q = kaigoQualification();
  return session.staff.tenant === q.administrator && visibleQualifications(session).some((x) => x.code === q.code);
}
