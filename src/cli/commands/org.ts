import { withApp } from '../context.js';
import { addOrganisation, listOrganisations, ORG_KIND_LABELS } from '../../kernel/tenancy/index.js';
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
