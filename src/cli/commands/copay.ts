// `mamori import eligibility FILE --tenant CODE --kind seikatsuhogo|kazei|kaigo [--json]` and
// `mamori copay rules set|list` (docs/formats/eligibility-csv.md, docs/formats/copay-rules.md; decisions 0157, 0158).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { runAs } from '../../kernel/context/index.js';
import { Problem, invalidField } from '../../kernel/problems/index.js';
import { formatFiscalYearWareki } from '../../kernel/jp/index.js';
import { sheetRow } from '../../municipality/intake/index.js';
import { eligibilityRejectsCsv, importEligibility, listCopayRules, setCopayRule, FEED_KINDS, FEED_LABELS, EXEMPTION_BASIS_LABELS, FEE_COLLECTION_LABELS, type FeedKind } from '../../municipality/copay/index.js';
import { requireImport } from '../../municipality/residents/index.js';
import { operator, tenantArg, withApp } from '../context.js';
import { print, printJson, table, warn } from '../io.js';

type O = Record<string, unknown> & { data?: string };

export async function importEligibilityCmd(o: O, args: string[]): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const who = operator(tenant, 'import eligibility');
    requireImport(who.actor);
    const kind = String(o['kind'] ?? '');
    if (!(FEED_KINDS as readonly string[]).includes(kind)) throw invalidField('kind', 'CODE_UNKNOWN', '--kind は seikatsuhogo・kazei・kaigo のいずれかです');
    const encoding = o['encoding'] === 'sjis' || o['encoding'] === 'utf8' ? o['encoding'] : 'auto';
    const r = await importEligibility(app.db, who, {
      file: resolve(args[0]!),
      kind: kind as FeedKind,
      encoding,
      ...(o['batch'] ? { batchSize: Number(o['batch']) } : {}),
      onProgress: o['json'] ? undefined : (n) => process.stderr.write(`\r${n} 行を処理しました`),
    });
    if (!o['json']) process.stderr.write('\n');
    if (o['report']) writeFileSync(String(o['report']), await eligibilityRejectsCsv(app.db, who, r.runId), { mode: 0o600 });
    if (o['json']) {
      printJson({ accepted: r.accepted, rejected: r.rejected, created: r.created, updated: r.updated, unchanged: r.unchanged, alreadyImported: r.alreadyImported, runId: r.runId, kind, encoding: r.encoding, rows: r.rows, resumedFromRow: r.resumedFromRow, rejects: r.rejects });
    } else {
      if (r.alreadyImported) print(`このファイルは取込済みです（変更はありません）。取込ID ${r.runId}`);
      else if (r.resumedFromRow) print(`中断していた取込を ${sheetRow(r.resumedFromRow)} 行目の後から再開しました。`);
      print(`${r.fileName}（${FEED_LABELS[kind as FeedKind]}・${r.encoding === 'sjis' ? 'Shift_JIS' : 'UTF-8'}）${r.rows} 行: 受付 ${r.accepted}（新規 ${r.created}、更新 ${r.updated}、変更なし ${r.unchanged}）、不備 ${r.rejected}`);
      for (const x of r.rejects.slice(0, 20)) warn(`  ${sheetRow(x.rowNo)}行目 ${x.field}: ${x.message} [${x.code}]`);
      if (r.rejected > 20) warn(`  …ほか ${r.rejected - 20} 件（--report FILE で一覧を出力できます）`);
    }
    return 0;
  });
}

export async function rulesSet(o: O, args: string[]): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(resolve(args[0]!), 'utf8'));
    } catch {
      throw new Problem(400, 'RULE_FILE', '規則のファイルを読めません', 'JSON ファイル {program, fiscalYear, rule} を指定してください。');
    }
    const r = await runAs(app.db, operator(tenant, 'copay rules set'), (w) => setCopayRule(w, raw));
    if (o['json']) printJson({ program: r.program, fiscalYear: r.fiscalYear, rule: r.rule });
    else print(`${formatFiscalYearWareki(r.fiscalYear)}・${r.program} の自己負担の規則を登録しました。`);
    return 0;
  });
}

export async function rulesList(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const rules = await runAs(app.db, operator(tenant, 'copay rules list'), (w) => listCopayRules(w));
    if (o['json']) printJson(rules.map((r) => ({ program: r.program, fiscalYear: r.fiscalYear, rule: r.rule })));
    else {
      print(table([
        ['年度', '予防接種', '区分と金額', '免除', '徴収'],
        ...rules.map((r) => [
          formatFiscalYearWareki(r.fiscalYear),
          r.program,
          Object.entries(r.rule.amounts).map(([k, v]) => `${k} ${v.toLocaleString('ja-JP')}円`).join('、'),
          r.rule.exemptions.map((e) => `${EXEMPTION_BASIS_LABELS[e.basis]}${e.brackets ? `（第${e.brackets.join('・')}段階）` : ''}→${e.category}`).join('、') || 'なし',
          FEE_COLLECTION_LABELS[r.rule.collection],
        ]),
      ]));
    }
    return 0;
  });
}
