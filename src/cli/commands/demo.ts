// `mamori demo`: two real-format municipalities with an administrator each, printed credentials, then serve.
import { resolveConfig } from '../../kernel/config/index.js';
import { configureLogging } from '../../kernel/log/index.js';
import { openApp, type App } from '../../app/index.js';
import { addOrganisation, getOrganisation } from '../../kernel/tenancy/index.js';
import { bootstrapAdministrator, resetPassword } from '../../kernel/access/index.js';
import { runAs } from '../../kernel/context/index.js';
import { operator } from '../context.js';
import { print } from '../io.js';
import { serveApp } from './serve.js';

type O = Record<string, unknown> & { data?: string };

export const DEMO_ORGS = [
  { code: '312011', name: '鳥取市', kana: 'トットリシ', admin: 'admin' },
  { code: '131237', name: '江戸川区', kana: 'エドガワク', admin: 'admin' },
] as const;

interface Credential {
  org: string;
  code: string;
  loginId: string;
  password: string | null;
}

/** Creates (or finds) the demo organisations and administrators; returns what to print. */
export async function prepareDemo(app: App): Promise<Credential[]> {
  const out: Credential[] = [];
  for (const d of DEMO_ORGS) {
    if (!(await getOrganisation(app.db.system, d.code))) await addOrganisation(app.db.system, app.tenantKeys, { code: d.code, name: d.name, nameKana: d.kana });
    const existing = await app.db.system.selectFrom('kernel.accounts').select(['id', 'must_change_password', 'status']).where('tenant_code', '=', d.code).where('login_id', '=', d.admin).executeTakeFirst();
    let password: string | null = null;
    await runAs(app.db, operator(d.code, 'demo'), async (w) => {
      if (!existing) password = (await bootstrapAdministrator(w, { loginId: d.admin, fullName: `${d.name} アカウント管理者` })).initialPassword ?? null;
      else if (existing.must_change_password && existing.status === 'active') password = (await resetPassword(w, existing.id)).initialPassword;
    });
    out.push({ org: d.name, code: d.code, loginId: d.admin, password });
  }
  return out;
}

export async function demo(o: O): Promise<number> {
  const config = resolveConfig({ data: o.data });
  configureLogging({ level: config.logLevel, file: config.logFile });
  const app = await openApp(config);
  try {
    const creds = await prepareDemo(app);
    const show = (url: string) => {
      print('');
      print('守り Mamori デモ（合成データのみ。本物の個人情報を入力しないでください）');
      print(`URL: ${url}`);
      for (const c of creds) {
        print(`  ${c.org}（団体コード ${c.code}）  ログインID: ${c.loginId}  ${c.password ? `初期パスワード: ${c.password}（初回ログイン時に変更）` : 'パスワード: 変更済み'}`);
      }
      print(`新しい職員アカウントは ${url}apply から申請し、管理者が承認します。`);
      print('停止するには Ctrl+C を押してください。');
    };
    if (o['serve'] === false) show('(サーバーは起動していません) ');
    else await serveApp(app, String(o['host'] ?? '127.0.0.1'), Number(o['port'] ?? 8080), show);
  } finally {
    await app.close();
  }
  return 0;
}
