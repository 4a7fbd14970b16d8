// `mamori platform tenant|user|token|erase|logs|clinic` (docs/formats/platform-cli.md): what the platform's
// operator (運用保守事業者) does for a contracting tenant — add it, register its users from approved
// applications (PMH-20), issue the Bearer token of its 健康管理システム (PMH-02), read its handling log
// (PMH-22) and erase everything at contract end (PMH-23).  They work on the platform's own schema through
// its own database role.
import { writeFileSync } from 'node:fs';
import type { App } from '../../app/index.js';
import {
  addClinicAccount, addContract, addInstitution, addTenant, applyForUser, approveUser, CLINIC_ROLE_LABELS, deleteUser, eraseTenant, ERASURE_LABELS, handlingLog, handlingLogCsv,
  issueToken, listClinicAccounts, listContracts, listTenants, listUsers, PERMISSION_LABELS, PLATFORM_ROLE, unlockClinicAccount,
} from '../../platform/index.js';
import { generateInitialPassword } from '../../kernel/access/index.js';
import { Problem } from '../../kernel/problems/index.js';
import { withApp } from '../context.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown> & { data?: string };

async function platformDb(app: App) {
  return app.db.forRole(PLATFORM_ROLE);
}

export async function tenantAdd(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const t = await addTenant(await platformDb(app), app.config.clock, { code: o['code'], name: o['name'], node: o['node'] ?? 'municipality', kind: o['kind'] ?? 'municipality' });
    if (o['json']) printJson(t);
    else print(`契約団体を登録しました: ${t.code} ${t.name}（連携ノード ${t.node}）`);
    return 0;
  });
}

export async function tenantList(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const ts = await listTenants(await platformDb(app));
    if (o['json']) printJson(ts);
    else print(table([['団体コード', '名称', '連携ノード', '状態'], ...ts.map((t) => [t.code, t.name, t.node, t.status === 'active' ? '契約中' : '契約終了'])]));
    return 0;
  });
}

export async function userApply(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const u = await applyForUser(await platformDb(app), app.config.clock, {
      tenant: o['tenant'], userId: o['user'], email: o['email'], name: o['name'], permissionId: o['permission'], category: o['category'] ?? 'municipal-staff',
      myNumberViewable: !!o['mynumberView'], reason: o['reason'], appliedBy: o['by'] ?? 'operator',
    });
    if (o['json']) printJson(u);
    else print(`利用者登録を申請しました: ${u.userId}（${PERMISSION_LABELS[u.permissionId]}）。管理者の承認で有効になります。`);
    return 0;
  });
}

export async function userApprove(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const u = await approveUser(await platformDb(app), app.config.clock, String(o['tenant']), String(o['user']), String(o['by'] ?? 'operator'));
    if (o['json']) printJson(u);
    else print(`利用者を承認しました: ${u.userId}（有効期限 ${u.validUntil}）`);
    return 0;
  });
}

export async function userDelete(o: O): Promise<number> {
  return withApp(o, async (app) => {
    await deleteUser(await platformDb(app), app.config.clock, String(o['tenant']), String(o['user']));
    print(`利用者に削除フラグを設定しました: ${String(o['user'])}（発行済みのトークンも無効になりました）`);
    return 0;
  });
}

export async function userList(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const us = await listUsers(await platformDb(app), String(o['tenant']));
    if (o['json']) printJson(us);
    else print(table([['機関ユーザーID', '氏名', '権限', '個人番号閲覧', '状態', '有効期限'], ...us.map((u) => [u.userId, u.name, PERMISSION_LABELS[u.permissionId], u.myNumberViewable ? '可' : '不可', { applied: '申請中', active: '有効', rejected: '却下', deleted: '削除' }[u.status], u.validUntil ?? ''])]));
    return 0;
  });
}

export async function token(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const t = await issueToken(await platformDb(app), app.config.clock, String(o['tenant']), String(o['user']));
    if (o['out']) {
      writeFileSync(String(o['out']), t.token + '\n', { mode: 0o600 });
      print(`連携用トークンを ${String(o['out'])} に書き出しました（トークンID ${t.tokenId}。この画面には表示しません）。`);
    } else if (o['json']) printJson(t);
    else print(t.token);
    return 0;
  });
}

export async function logs(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const entries = await handlingLog(await platformDb(app), String(o['tenant']), { from: o['from'], to: o['to'] });
    if (o['json']) printJson(entries);
    else process.stdout.write(handlingLogCsv(entries));
    return 0;
  });
}

export async function erase(o: O): Promise<number> {
  if (o['confirm'] !== o['tenant']) throw new Problem(400, 'CONFIRM_REQUIRED', '確認が必要です', `契約終了による全データの消去です。--confirm ${String(o['tenant'])} を付けて実行してください。`);
  return withApp(o, async (app) => {
    const r = await eraseTenant(await platformDb(app), app.config.clock, String(o['tenant']), String(o['by'] ?? 'operator'));
    if (o['json']) printJson(r);
    else {
      print(`${r.tenantName}（${r.tenant}）のデータを消去しました（${r.at}、実施者 ${r.by}）。残存 ${r.remaining} 件。`);
      print(table([['区分', '消去した件数'], ...Object.entries(r.counts).map(([k, n]) => [ERASURE_LABELS[k as keyof typeof ERASURE_LABELS] ?? k, n])]));
    }
    return 0;
  });
}

// ---------------------------------------------------------------- medical institutions (issue 13 part C)

export async function clinicAdd(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const t = await addInstitution(await platformDb(app), app.config.clock, { code: o['code'], name: o['name'] });
    if (o['json']) printJson(t);
    else print(`医療機関を登録しました: ${t.code} ${t.name}`);
    return 0;
  });
}

export async function clinicContract(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const c = await addContract(await platformDb(app), app.config.clock, { institution: o['institution'], municipality: o['municipality'], from: o['from'], until: o['until'] });
    if (o['json']) printJson(c);
    else print(`委託契約を登録しました: 医療機関 ${c.institutionCode} ↔ 市区町村 ${c.municipalityCode}（${c.from}〜${c.until ?? ''}）`);
    return 0;
  });
}

export async function clinicAccount(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const password = generateInitialPassword(16);
    const a = await addClinicAccount(await platformDb(app), app.config.clock, {
      institution: o['institution'], userId: o['user'], name: o['name'], role: o['role'], password, createdBy: String(o['by'] ?? 'operator'),
    });
    if (o['out']) {
      writeFileSync(String(o['out']), password + '\n', { mode: 0o600, flag: 'wx' });
      if (o['json']) printJson({ ...a, passwordFile: String(o['out']) });
      else print(`アカウントを作成しました: ${a.userId}（${CLINIC_ROLE_LABELS[a.role]}）。初期パスワードを ${String(o['out'])} に書き出しました。`);
    } else if (o['json']) printJson({ ...a, initialPassword: password });
    else print(`アカウントを作成しました: ${a.userId}（${CLINIC_ROLE_LABELS[a.role]}）。初期パスワード（この一度だけ表示します）: ${password}`);
    return 0;
  });
}

export async function clinicList(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const db = await platformDb(app);
    const code = String(o['institution']);
    const accounts = await listClinicAccounts(db, code);
    const contracts = await listContracts(db, code);
    if (o['json']) printJson({ accounts, contracts });
    else {
      print(table([['ユーザーID', '氏名', '役割', '状態'], ...accounts.map((a) => [a.userId, a.name, CLINIC_ROLE_LABELS[a.role], a.locked ? 'ロック中' : '有効'])]));
      print(table([['市区町村', '開始日', '終了日'], ...contracts.map((c) => [c.municipalityCode, c.from, c.until ?? ''])]));
    }
    return 0;
  });
}

export async function clinicUnlock(o: O): Promise<number> {
  return withApp(o, async (app) => {
    await unlockClinicAccount(await platformDb(app), String(o['institution']), String(o['user']));
    print(`アカウントのロックを解除しました: ${String(o['user'])}`);
    return 0;
  });
}
