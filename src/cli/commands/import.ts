// `mamori import residents FILE --tenant CODE [--json]`
import { resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { withApp, operator, tenantArg } from '../context.js';
import { importResidents, rejectsCsv, requireImport } from '../../municipality/residents/index.js';
import { print, printJson, warn } from '../io.js';
import { sheetRow } from '../../municipality/intake/index.js';
import { invalidField } from '../../kernel/problems/index.js';

type O = Record<string, unknown> & { data?: string };

export async function residents(o: O, args: string[]): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const who = operator(tenant, 'import residents');
    requireImport(who.actor);
    const encoding = o['encoding'] === 'sjis' || o['encoding'] === 'utf8' ? o['encoding'] : 'auto';
    const kind = o['kind'] === 'full' || o['kind'] === 'diff' ? o['kind'] : 'auto';
    const baseDate = o['baseDate'] ? String(o['baseDate']) : undefined;
    if (baseDate && !/^\d{4}-\d{2}-\d{2}$/.test(baseDate)) throw invalidField('base-date', 'DATE_INVALID', '基準日は YYYY-MM-DD で指定してください');
    const r = await importResidents(app, who, {
      file: resolve(args[0]!),
      encoding,
      kind,
      ...(baseDate ? { baseDate } : {}),
      ...(o['batch'] ? { batchSize: Number(o['batch']) } : {}),
      onProgress: o['json'] ? undefined : (n) => process.stderr.write(`\r${n} 行を処理しました`),
    });
    if (!o['json']) process.stderr.write('\n');
    if (o['report']) writeFileSync(String(o['report']), await rejectsCsv(app, who, r.runId), { mode: 0o600 });
    if (o['json']) {
      printJson({ accepted: r.accepted, rejected: r.rejected, created: r.created, updated: r.updated, unchanged: r.unchanged, queued: r.queued, alreadyImported: r.alreadyImported, runId: r.runId, kind: r.kind, encoding: r.encoding, rows: r.rows, resumedFromRow: r.resumedFromRow, rejects: r.rejects });
    } else {
      if (r.alreadyImported) print(`このファイルは取込済みです（変更はありません）。取込ID ${r.runId}`);
      else if (r.resumedFromRow) print(`中断していた取込を ${sheetRow(r.resumedFromRow)} 行目の後から再開しました。`);
      print(`${r.fileName}（${r.kind === 'full' ? '全件' : '異動'}・${r.encoding === 'sjis' ? 'Shift_JIS' : 'UTF-8'}）${r.rows} 行: 受付 ${r.accepted}（新規 ${r.created}、更新 ${r.updated}、変更なし ${r.unchanged}${r.queued ? `、確認待ち ${r.queued}` : ''}）、不備 ${r.rejected}`);
      for (const x of r.rejects.slice(0, 20)) warn(`  ${sheetRow(x.rowNo)}行目 ${x.field}: ${x.message} [${x.code}]`);
      if (r.rejected > 20) warn(`  …ほか ${r.rejected - 20} 件（--report FILE で一覧を出力できます）`);
    }
    return 0;
  });
}

export async function records(o: O, args: string[]): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const who = operator(tenant, 'import records');
    const { importRecords, recordRejectsCsv } = await import('../../municipality/records/index.js');
    const { resolveVouchers } = await import('../../municipality/notices/index.js');
    const encoding = o['encoding'] === 'sjis' || o['encoding'] === 'utf8' ? o['encoding'] : 'auto';
    const r = await importRecords(app.db, who, {
      file: resolve(args[0]!),
      encoding,
      resolveVoucher: resolveVouchers,
      ...(o['batch'] ? { batchSize: Number(o['batch']) } : {}),
      onProgress: o['json'] ? undefined : (n) => process.stderr.write(`\r${n} 行を処理しました`),
    });
    if (!o['json']) process.stderr.write('\n');
    if (o['report']) writeFileSync(String(o['report']), await recordRejectsCsv(app.db, who, r.runId), { mode: 0o600 });
    if (o['json']) printJson({ accepted: r.accepted, rejected: r.rejected, created: r.created, updated: r.updated, unchanged: r.unchanged, queued: r.queued, alreadyImported: r.alreadyImported, runId: r.runId, encoding: r.encoding, rows: r.rows, resumedFromRow: r.resumedFromRow, rejects: r.rejects });
    else {
      if (r.alreadyImported) print(`このファイルは取込済みです（変更はありません）。取込ID ${r.runId}`);
      print(`${r.fileName}（${r.encoding === 'sjis' ? 'Shift_JIS' : 'UTF-8'}）${r.rows} 行: 受付 ${r.accepted}（登録 ${r.created}、登録済み ${r.unchanged}、照合の確認待ち ${r.queued}）、不備 ${r.rejected}`);
      for (const x of r.rejects.slice(0, 20)) warn(`  ${sheetRow(x.rowNo)}行目 ${x.field}: ${x.message} [${x.code}]`);
    }
    return 0;
  });
}
