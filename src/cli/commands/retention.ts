// `mamori retention run|policies`
import { withApp, operator, tenantArg } from '../context.js';
import { runAs } from '../../kernel/context/index.js';
import { describePolicy } from '../../kernel/retention/index.js';
import { listOrganisations } from '../../kernel/tenancy/index.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown> & { data?: string };

export async function runCmd(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenants = o['tenant'] ? [await tenantArg(app, o['tenant'])] : (await listOrganisations(app.db.system)).filter((x) => x.kind !== 'clinic').map((x) => x.code);
    const all: Record<string, unknown> = {};
    for (const t of tenants) {
      const items = await app.retention.runTenant(app.db, { system: app.db.system, auditKeys: app.auditKeys }, t);
      all[t] = items;
      if (!o['json']) {
        if (items.length === 0) print(`団体 ${t}: 対象なし`);
        for (const i of items) print(`団体 ${t}: ${i.dataClass} ${i.action === 'deleted' ? `${i.count} 件を削除` : `${i.count} 件の削除申請を作成（承認待ち）`}`);
      }
    }
    if (o['json']) printJson(all);
    return 0;
  });
}

export async function policies(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const p = await runAs(app.db, operator(tenant, 'retention policies'), (w) => app.retention.policies(w));
    if (o['json']) printJson(p.map((x) => ({ dataClass: x.dataClass.name, label: x.dataClass.label, ...x.policy, overridden: x.overridden })));
    else print(table([['区分', '名称', '保存期間', '削除方法', '承認', '設定'], ...p.map((x) => [x.dataClass.name, x.dataClass.label, describePolicy(x.policy), x.policy.deletion === 'physical' ? '物理削除' : '論理削除', x.policy.requiresApproval ? '要' : '不要', x.overridden ? '団体設定' : '既定'])]));
    return 0;
  });
}
