// The foundation's side of the media transfers (QUA-32; decision 0232; layouts in docs/formats/registry-foundation.md):
// it writes the inbound file (`kaigo-inbound-v1.csv`: 試験合格者 and paper applications with My Number) and reads the
// registry's outbound file (`kaigo-outbound-v1.csv`: online applications as 資格仮名ID + items 3–80, and the
// 資格仮名ID of its paper applications — after which it deletes their My Number).  Both are one CSV (UTF-8 with
// BOM, CRLF) in a ZIP encrypted with AES-256 under a password agreed out of band.
import { Problem } from '../../kernel/problems/index.js';
import { applyRegistryBatch, markPassersSent, pendingForRegistry, SHIKEN_ITEMS, type ShikenDeps } from './store.js';
import { parseRegistryRows } from './services.js';

export const SHIKEN_INBOUND_COLUMNS = ['区分', '受付番号', '個人番号', '番号確認書類', '番号確認者', '番号確認日', ...SHIKEN_ITEMS] as const;
export const SHIKEN_OUTBOUND_COLUMNS = ['区分', '資格仮名ID', '受付番号', ...SHIKEN_ITEMS] as const;

const quote = (v: string): string => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const csv = (rows: readonly (readonly string[])[]): string => `\uFEFF${rows.map((r) => r.map(quote).join(',')).join('\r\n')}\r\n`;
const bad = (code: string, title: string, detail: string) => new Problem(400, code, title, detail);

/** RFC 4180 records. */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false; else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { row.push(cell); cell = ''; } else if (ch === '\r' && text[i + 1] === '\n') { /* CRLF: the \n ends the row */ } else if (ch === '\n') { row.push(cell); out.push(row); row = []; cell = ''; } else cell += ch;
  }
  if (cell !== '' || row.length) { row.push(cell); out.push(row); }
  return out;
}

/** Writes the inbound file of what the registry has not yet received; the passers in it count as sent. */
export async function writeInboundMedia(deps: ShikenDeps, password: string): Promise<{ bytes: Buffer; passers: number; paper: number }> {
  if (password.length < 12) throw bad('MEDIA_PASSWORD_WEAK', 'パスワードが短すぎます', 'パスワードは12文字以上です。');
  const { passers, paper } = await pendingForRegistry(deps.db);
  const rows = [
    ...passers.map((p) => ['1', '', '', '', '', '', ...SHIKEN_ITEMS.map((k) => p.items[k] ?? '')]),
    ...paper.map((p) => ['2', p.ref, p.myNumber, p.numberCheck.document, p.numberCheck.checkedBy, p.numberCheck.checkedOn, ...SHIKEN_ITEMS.map((k) => p.items[k] ?? '')]),
  ];
  const zip = await import('@zip.js/zip.js');
  zip.configure({ useWebWorkers: false });
  const writer = new zip.ZipWriter(new zip.Uint8ArrayWriter(), { password, encryptionStrength: 3 });
  await writer.add('kaigo-inbound-v1.csv', new zip.Uint8ArrayReader(Buffer.from(csv([[...SHIKEN_INBOUND_COLUMNS], ...rows]), 'utf8')), { level: 6 });
  const bytes = Buffer.from(await writer.close());
  await markPassersSent(deps.db, passers.map((p) => p.items['合格証書番号']!), deps.clock.now());
  return { bytes, passers: passers.length, paper: paper.length };
}

/** Reads the registry's outbound file: checked whole, then applied in one transaction (the same file again changes nothing). */
export async function readOutboundMedia(deps: ShikenDeps, bytes: Buffer, password: string): Promise<{ linked: number; stored: number; rows: number }> {
  const zip = await import('@zip.js/zip.js');
  zip.configure({ useWebWorkers: false });
  const reader = new zip.ZipReader(new zip.Uint8ArrayReader(bytes));
  let text: string;
  try {
    const entries = (await reader.getEntries().catch(() => { throw bad('MEDIA_DAMAGED', 'ファイルが壊れているか改変されています', '暗号化ZIPとして読めません。'); })).filter((e) => !e.directory);
    const e = entries[0];
    if (entries.length !== 1 || !e || e.filename !== 'kaigo-outbound-v1.csv') throw bad('MEDIA_LAYOUT', '定められた形式のファイルではありません', 'kaigo-outbound-v1.csv だけを含むファイルです。');
    if (!e.encrypted) throw bad('MEDIA_NOT_ENCRYPTED', '暗号化されていないファイルは受け付けません', 'AES-256 で暗号化されたファイルだけを受け付けます。');
    const data = await e.getData!(new zip.Uint8ArrayWriter(), { password, checkSignature: true }).catch((err: Error) => {
      throw /password/i.test(err.message) ? bad('MEDIA_PASSWORD', 'パスワードが違います', 'ファイルのパスワードが正しくありません。') : bad('MEDIA_DAMAGED', 'ファイルが壊れているか改変されています', '暗号化されたデータの検証に失敗しました。');
    });
    text = new TextDecoder('utf-8', { fatal: true }).decode(data).replace(/^\uFEFF/, '');
  } finally {
    await reader.close().catch(() => undefined);
  }
  const records = parseCsv(text);
  const header = records[0] ?? [];
  if (header.length !== SHIKEN_OUTBOUND_COLUMNS.length || header.some((h, i) => h !== SHIKEN_OUTBOUND_COLUMNS[i])) throw bad('MEDIA_LAYOUT', '定められた形式のファイルではありません', '見出し行が定められた項目と一致しません。全体を受け付けませんでした。');
  const rows = records.slice(1).map((cells, i) => {
    if (cells.length !== header.length) throw bad('MEDIA_LAYOUT', '定められた形式のファイルではありません', `${i + 2}行目: 列の数が正しくありません。`);
    const items = Object.fromEntries(SHIKEN_ITEMS.map((k, j) => [k, cells[3 + j]!]).filter(([, v]) => v !== ''));
    return cells[0] === '1' ? { 区分: 'online', 資格仮名ID: cells[1], 項目: items } : cells[0] === '2' ? { 区分: 'link', 資格仮名ID: cells[1], 受付番号: cells[2] } : { 区分: cells[0] };
  });
  const batch = parseRegistryRows(rows);
  const r = await applyRegistryBatch(deps, batch, 'file');
  return { ...r, rows: rows.length };
}
