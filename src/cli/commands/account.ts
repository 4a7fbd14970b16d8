// `mamori account …` — operator-side account administration.
import { writeFileSync } from 'node:fs';
import { withApp, operator, tenantArg } from '../context.js';
import { runAs } from '../../kernel/context/index.js';
import { accessTableCsv, bootstrapAdministrator, expireAccounts, listAccounts, reviewReport, ACCOUNT_STATUS_LABELS, role, type AccountView } from '../../kernel/access/index.js';
import { listOrganisations } from '../../kernel/tenancy/index.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown> & { data?: string };

export async function bootstrapAdmin(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const r = await runAs(app.db, operator(tenant, 'account bootstrap-admin'), (w) =>
      bootstrapAdministrator(w, { loginId: String(o['login']), fullName: String(o['name']), ...(o['expires'] ? { expiresOn: String(o['expires']) } : {}) }),
    );
    if (o['json']) printJson({ loginId: r.account.loginId, tenant, initialPassword: r.initialPassword, expiresOn: r.account.expiresOn });
    else {
      print(`アカウント管理者 ${r.account.loginId}（団体 ${tenant}）を作成しました。有効期限 ${r.account.expiresOn}`);
      print(`初期パスワード: ${r.initialPassword}（初回ログイン時に変更が必要です）`);
    }
    return 0;
  });
}

function rows(list: AccountView[]): (string | null)[][] {
  return [
    ['ログインID', '氏名', '状態', '役割', '所掌事務', '個人番号', '有効期限', '最終ログイン'],
    ...list.map((a) => [a.loginId, a.fullName, ACCOUNT_STATUS_LABELS[a.status], role(a.role)?.label ?? '', a.duties.join(','), a.mynumberView ? '可' : '', a.expiresOn, a.lastLoginAt?.toISOString().slice(0, 10) ?? '']),
  ];
}

export async function list(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const all = await runAs(app.db, operator(tenant, 'account list'), (w) => listAccounts(w));
    if (o['json']) printJson(all);
    else print(table(rows(all)));
    return 0;
  });
}

export async function exportTable(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const csv = await runAs(app.db, operator(tenant, 'account export'), (w) => accessTableCsv(w));
    if (o['out']) {
      writeFileSync(String(o['out']), csv, { mode: 0o600 });
      print(`アクセス権限の管理表を ${String(o['out'])} に出力しました。`);
    } else process.stdout.write(csv);
    return 0;
  });
}

export async function review(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const r = await runAs(app.db, operator(tenant, 'account review'), (w) => reviewReport(w, o['inactiveDays'] ? { inactiveDays: Number(o['inactiveDays']) } : {}));
    if (o['json']) printJson(r);
    else {
      const sec = (title: string, l: AccountView[]): void => {
        print(`■ ${title}（${l.length}件）`);
        if (l.length) print(table(rows(l)));
        print();
      };
      print(`アカウント棚卸し ${r.today}（団体 ${tenant}）`);
      sec(`${r.inactiveDays}日以上ログインしていないアカウント`, r.inactive);
      sec(`${r.expiringDays}日以内に有効期限が来るアカウント`, r.expiringSoon);
      sec('特権アカウント', r.privileged);
      sec('個人番号閲覧可能フラグを持つアカウント', r.mynumberHolders);
      sec('委託先アカウント', r.contractors);
      sec('承認待ちの申請', r.pendingApplications);
      sec('ロック中のアカウント', r.locked);
    }
    return 0;
  });
}

export async function expire(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenants = o['tenant'] ? [await tenantArg(app, o['tenant'])] : (await listOrganisations(app.db.system)).filter((x) => x.kind !== 'clinic').map((x) => x.code);
    for (const t of tenants) {
      const n = await runAs(app.db, operator(t, 'account expire'), (w) => expireAccounts(w));
      print(`団体 ${t}: ${n} 件を期限切れにしました。`);
    }
    return 0;
  });
}
