// `mamori audit verify|seal|export`
import { writeFileSync } from 'node:fs';
import { withApp, operator, tenantArg } from '../context.js';
import { runAs } from '../../kernel/context/index.js';
import { exportAuditCsv, sealPending, verifyChains } from '../../kernel/audit/index.js';
import { fields } from '../../kernel/access/index.js';
import { parseInput } from '../../kernel/problems/index.js';
import { addDaysIso } from '../../kernel/jp/index.js';
import { print, printJson, warn } from '../io.js';

type O = Record<string, unknown> & { data?: string };

export async function verify(o: O): Promise<number> {
  return withApp(o, async (app) => {
    // An unknown code is an input error naming the field, not an empty (and so "intact") chain.
    const tenant = o['tenant'] !== undefined ? await tenantArg(app, o['tenant']) : undefined;
    if (o['seal'] !== false) await sealPending(app.db.system, app.auditKeys, tenant);
    const results = await verifyChains(app.db.system, app.auditKeys, tenant);
    const bad = results.filter((r) => !r.ok);
    if (o['json']) printJson({ ok: bad.length === 0, results });
    else {
      for (const r of results) {
        if (r.ok) print(`団体 ${r.tenant}: 正常（${r.verified} 件検証、seq ${r.firstSeq ?? '-'}〜${r.lastSeq ?? '-'}、チェックポイント ${r.checkpoints} 件${r.pending ? `、未封印 ${r.pending} 件` : ''}）`);
        else warn(`団体 ${r.tenant}: 不正を検出 [${r.failure!.kind}] ${r.failure!.message}`);
      }
      if (results.length === 0) print('操作ログはまだありません。');
    }
    return bad.length === 0 ? 0 : 1;
  });
}

export async function seal(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const r = await sealPending(app.db.system, app.auditKeys);
    for (const x of r) {
      if (x.refused) warn(`団体 ${x.tenant}: ${x.refused}`);
      else print(`団体 ${x.tenant}: ${x.sealed} 件を封印（末尾 seq ${x.headSeq}）`);
    }
    if (r.length === 0) print('未封印のエントリはありません。');
    return r.some((x) => x.refused) ? 1 : 0;
  });
}

export async function exportCsv(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const from = o['from'] ? parseInput(fields.plainDate, o['from'], 'from') : undefined;
    const to = o['to'] ? parseInput(fields.plainDate, o['to'], 'to') : undefined;
    const csv = await runAs(app.db, operator(tenant, 'audit export'), (w) =>
      exportAuditCsv(w, { from: from ? new Date(`${from}T00:00:00+09:00`) : undefined, to: to ? new Date(`${addDaysIso(to, 1)}T00:00:00+09:00`) : undefined }),
    );
    if (o['out']) {
      writeFileSync(String(o['out']), csv, { mode: 0o600 });
      print(`操作ログを ${String(o['out'])} に出力しました。`);
    } else process.stdout.write(csv);
    return 0;
  });
}
