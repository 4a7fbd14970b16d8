import { withApp } from '../context.js';
import { addOrganisation, attachMember, listMembers, listOrganisations, ORG_KIND_LABELS } from '../../kernel/tenancy/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { operator } from '../context.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown> & { data?: string };

export async function add(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const org = await addOrganisation(app.db.system, app.tenantKeys, { code: o['code'], name: o['name'], kind: o['kind'], nameKana: o['kana'] });
    if (org.kind !== 'clinic') {
      const p = operator(org.code, 'org add');
      await app.db.system.transaction().execute((tx) => appendEntry(tx, p, { action: 'org_add', targetType: 'organisation', targetId: org.code, detail: { name: org.name, kind: org.kind } }));
    }
    if (o['json']) printJson(org);
    else print(`${ORG_KIND_LABELS[org.kind]}「${org.name}」（${org.code}）を登録しました。`);
    return 0;
  });
}

export async function list(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const orgs = await listOrganisations(app.db.system);
    if (o['json']) printJson(orgs);
    else print(table([['コード', '種別', '名称'], ...orgs.map((x) => [x.code, ORG_KIND_LABELS[x.kind], x.name])]));
    return 0;
  });
}

export async function attach(o: O): Promise<number> {
  return withApp(o, async (app) => {
    await attachMember(app.db.system, { tenant: o['tenant'], member: o['member'], relation: o['relation'] });
    const p = operator(String(o['tenant']), 'org attach');
    await app.db.system.transaction().execute((tx) => appendEntry(tx, p, { action: 'org_attach', targetType: 'membership', targetId: String(o['member']), detail: { relation: o['relation'] } }));
    print(`${String(o['member'])} を団体 ${String(o['tenant'])} に所属させました。`);
    return 0;
  });
}

export async function members(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const m = await listMembers(app.db.system, String(o['tenant']));
    if (o['json']) printJson(m);
    else print(table([['コード', '種別', '名称', '関係', '開始日', '終了日'], ...m.map((x) => [x.code, ORG_KIND_LABELS[x.kind], x.name, x.relation === 'clinic' ? '医療機関' : '委託先', x.valid_from, x.valid_until])]));
    return 0;
  });
}
