// `mamori registry fees` (docs/formats/registry-cli.md, "registry fees"; decision 0198): the income and
// expenditure of one 資格管理者's fees for a period, per qualification, fee kind and channel — what its
// accounts officer reads (QUA-21, QUA-22).  Read on the registry's own schema through its own database role.
import { invalidField } from '../../kernel/problems/index.js';
import { catalog, feeTotals, REGISTRY_ROLE } from '../../registry/index.js';
import { withApp } from '../context.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown>;
const yen = (n: number): string => `${n.toLocaleString('ja-JP')}円`;

export async function fees(o: O): Promise<number> {
  const tenant = String(o['tenant'] ?? '');
  const admin = catalog().administrator(tenant);
  if (!admin) throw invalidField('tenant', 'ADMINISTRATOR_UNKNOWN', `資格管理者「${tenant.slice(0, 40)}」はありません（mamori registry qualifications で確認してください）`);
  const query: Record<string, unknown> = { from: o['from'], until: o['until'] };
  for (const k of ['qualification', 'kind', 'channel']) if (o[k] !== undefined) query[k] = o[k];
  return withApp(o as { data?: string }, async (app) => {
    const t = await feeTotals(await app.db.forRole(REGISTRY_ROLE), tenant, query);
    if (o['json']) {
      printJson(t);
      return 0;
    }
    print(`${admin.name} 手数料等の収支  ${t.from}〜${t.until}`);
    print(table([
      ['資格', '手数料の種類', '納付方法', '収入', '件数', '返金（支出）', '件数', '差引'],
      ...t.rows.map((r) => [r.qualificationName, r.kind, r.channelLabel, yen(r.receipts), String(r.receiptCount), yen(r.refunds), String(r.refundCount), yen(r.net)]),
      ['合計', '', '', yen(t.receipts), '', yen(t.refunds), '', yen(t.net)],
    ]));
    return 0;
  });
}
