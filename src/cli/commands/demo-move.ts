// The demo's moved child (issue 11 point 9): a young child of the first demo municipality, with doses in its
// ledger, moves to the second one.  Both 住基 systems send their movement files as real ones would — 転出確定
// to the old municipality, 転入 (with the 転入前住所) to the new one — and they go through the real imports,
// so the new municipality's staff find a moved-in child whose history they can ask for through the network.
// Made once, right after the demo cities are loaded (the city files still hold the child's 住基 row).
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { sql } from 'kysely';
import type { App } from '../../app/index.js';
import { addDaysIso } from '../../kernel/jp/index.js';
import { importResidents } from '../../municipality/residents/index.js';
import { operator } from '../context.js';

export const DEMO_MOVE_IN_ID = 'DEMO-MOVE-IN-0001';
const DEMO_MOVE_OUT_ID = 'DEMO-MOVE-OUT-0001';

function readCsv(path: string): Record<string, string>[] {
  const buf = readFileSync(path);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch {
    text = iconv.decode(buf, 'cp932');
  }
  return parse(text.replace(/^\uFEFF/, ''), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
}

const q = (v: string): string => `"${v.replaceAll('"', '""')}"`;

function writeDiff(path: string, header: readonly string[], row: Record<string, string>): void {
  writeFileSync(path, [header.map(q).join(','), header.map((h) => q(row[h] ?? '')).join(',')].join('\r\n') + '\r\n', 'utf8');
}

const ymd = (iso: string) => iso.replaceAll('-', '');

/**
 * Moves one child from `from` to `to` (both freshly loaded from the synthetic city in `fromCityDir`).
 * Returns the child's new 宛名番号 in `to`, or undefined when the city has no suitable child.
 */
export async function demoMoveChild(app: App, from: { code: string; dir: string }, to: { code: string; address: string; postalCode: string }): Promise<string | undefined> {
  const today = app.config.clock.today();
  const done = await sql<{ atena_no: string }>`
    SELECT atena_no FROM municipality.person_versions WHERE tenant_code = ${to.code} AND movement_id = ${DEMO_MOVE_IN_ID}`.execute(app.db.system);
  if (done.rows[0]) return done.rows[0].atena_no;
  // A child of one to three with at least three doses in the old municipality's ledger.
  const child = await sql<{ atena_no: string; juminhyo_code: string }>`
    SELECT p.atena_no, p.juminhyo_code FROM municipality.persons p
    WHERE p.tenant_code = ${from.code} AND p.status = 'resident' AND p.integrated_no IS NOT NULL AND p.juminhyo_code IS NOT NULL AND NOT p.dv_support
      AND p.birth_date BETWEEN ${addDaysIso(today, -3 * 365)}::date AND ${addDaysIso(today, -365)}::date
      AND (SELECT count(*) FROM municipality.vaccination_records r WHERE r.tenant_code = p.tenant_code AND r.atena_no = p.atena_no AND r.status <> 'deleted') >= 3
    ORDER BY p.atena_no LIMIT 1`.execute(app.db.system);
  const c = child.rows[0];
  if (!c) return undefined;
  // The child's latest 住基 row: the snapshot, then the weekly movement files in order.
  const resDir = join(from.dir, 'residents');
  const files = readdirSync(resDir).filter((f) => f.endsWith('.csv')).sort((a, b) => (a === 'jumin.csv' ? -1 : b === 'jumin.csv' ? 1 : a.localeCompare(b)));
  let row: Record<string, string> | undefined;
  let header: string[] = [];
  for (const f of files) {
    for (const r of readCsv(join(resDir, f))) {
      if (r['住民票コード'] === c.juminhyo_code) row = r;
    }
    if (f === 'jumin.csv') header = Object.keys(readCsv(join(resDir, f))[0] ?? {});
  }
  if (!row || !header.length) return undefined;
  const diffHeader = ['異動ID', '異動区分', '異動日', '届出日', ...header];
  const movedOn = addDaysIso(today, -14);
  const notifiedOn = addDaysIso(today, -13);
  const tmp = mkdtempSync(join(tmpdir(), 'mamori-demo-move-'));
  try {
    const oldAddress = row['住所'] ?? '';
    const base = { ...row, 最新異動日: ymd(movedOn), 最新届出日: ymd(notifiedOn) };
    // 1. The old municipality: 転出確定.
    writeDiff(join(tmp, 'out.csv'), diffHeader, {
      ...base,
      異動ID: DEMO_MOVE_OUT_ID, 異動区分: '11', 異動日: ymd(movedOn), 届出日: ymd(addDaysIso(movedOn, -7)),
      最新異動区分: '11', 住民でなくなった日: ymd(movedOn), 消除事由: '転出', 転出先住所: to.address,
    });
    await importResidents(app, operator(from.code, 'demo'), { file: join(tmp, 'out.csv'), fileName: 'demo-move-out.csv', kind: 'diff' });
    // 2. The new municipality: 転入, with the 転入前住所.  Its own 宛名番号 is assigned on import.
    writeDiff(join(tmp, 'in.csv'), diffHeader, {
      ...base,
      異動ID: DEMO_MOVE_IN_ID, 異動区分: '01', 異動日: ymd(movedOn), 届出日: ymd(notifiedOn),
      宛名番号: '', 住所: to.address, 郵便番号: to.postalCode, 方書: '', 地区コード: '', 世帯番号: '',
      住民となった日: ymd(movedOn), 住民でなくなった日: '', 消除事由: '', 最新異動区分: '01', 転入前住所: oldAddress, 転出先住所: '',
      送付先氏名: '', 送付先郵便番号: '', 送付先住所: '', 送付先方書: '',
    });
    await importResidents(app, operator(to.code, 'demo'), { file: join(tmp, 'in.csv'), fileName: 'demo-move-in.csv', kind: 'diff' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const moved = await sql<{ atena_no: string }>`
    SELECT atena_no FROM municipality.person_versions WHERE tenant_code = ${to.code} AND movement_id = ${DEMO_MOVE_IN_ID}`.execute(app.db.system);
  return moved.rows[0]?.atena_no;
}
