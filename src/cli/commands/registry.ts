// `mamori registry qualifications|form|staff` (docs/formats/registry-cli.md; decisions 0169–0171): the
// qualification catalog and the new-registration form of each qualification — both read only the catalog
// shipped with Mamori (no database; the catalog is validated when loaded, so a broken file fails here too) —
// and the staff of each 資格管理者, on the registry's own schema through its own database role.
import type { App } from '../../app/index.js';
import { invalidField } from '../../kernel/problems/index.js';
import {
  AFFILIATION_LABELS, applyForStaff, approveStaff, catalog, deleteStaff, exampleForm, issueStaffToken, listStaff, REGISTRY_ROLE, STAFF_ROLE_LABELS, STAFF_STATUS_LABELS, syncAdministrators,
} from '../../registry/index.js';
import { withApp } from '../context.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown>;

export async function qualifications(o: O): Promise<number> {
  const c = catalog();
  const rows = c.qualifications.map((q) => ({ code: q.code, name: q.name, administrator: q.administrator }));
  if (o['json']) printJson(rows);
  else {
    print(table([['資格コード', '資格', '名簿', '資格管理者', '資格管理者コード'], ...c.qualifications.map((q) => [q.code, q.name, q.fileName, c.administrator(q.administrator)!.name, q.administrator])]));
  }
  return 0;
}

export async function form(o: O): Promise<number> {
  const code = String(o['qualification'] ?? '');
  if (!catalog().qualification(code)) throw invalidField('qualification', 'QUALIFICATION_UNKNOWN', `資格コード「${code}」はありません（mamori registry qualifications で一覧を確認してください）`);
  printJson(exampleForm(code));
  return 0;
}

/** The registry's database as its own role, with the catalog's 資格管理者 written (as the node does at start). */
async function registryDb(app: App) {
  const db = await app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(db, app.config.clock);
  return db;
}

const list = (v: unknown): string[] => String(v ?? '').split(',').map((x) => x.trim()).filter(Boolean);

export async function staffApply(o: O): Promise<number> {
  return withApp(o as { data?: string }, async (app) => {
    const s = await applyForStaff(await registryDb(app), app.config.clock, {
      tenant: o['tenant'], userId: o['user'], name: o['name'], affiliation: o['affiliation'], affiliationName: o['affiliationName'], role: o['role'],
      qualifications: list(o['qualifications']), reason: o['reason'], appliedBy: o['by'] ?? 'operator',
    });
    if (o['json']) printJson(s);
    else print(`利用者登録を申請しました: ${s.userId}（${STAFF_ROLE_LABELS[s.role]}）。同じ資格管理者の審査責任者の承認で有効になります。`);
    return 0;
  });
}

export async function staffApprove(o: O): Promise<number> {
  return withApp(o as { data?: string }, async (app) => {
    const s = await approveStaff(await registryDb(app), app.config.clock, String(o['tenant']), String(o['user']), String(o['by'] ?? 'operator'));
    if (o['json']) printJson(s);
    else print(`利用者を承認しました: ${s.userId}（有効期限 ${s.validUntil}）`);
    return 0;
  });
}

export async function staffList(o: O): Promise<number> {
  return withApp(o as { data?: string }, async (app) => {
    const tenant = String(o['tenant']);
    if (!catalog().administrator(tenant)) throw invalidField('tenant', 'ADMINISTRATOR_UNKNOWN', `資格管理者「${tenant}」はありません（mamori registry qualifications で確認してください）`);
    const rows = await listStaff(await registryDb(app), tenant);
    if (o['json']) printJson(rows);
    else {
      print(table([['利用者ID', '氏名', '所属', '役割', '所掌する資格', '状態', '有効期限'], ...rows.map((r) => [
        r.userId, r.name, `${AFFILIATION_LABELS[r.affiliation]}（${r.affiliationName}）`, STAFF_ROLE_LABELS[r.role],
        r.qualifications.map((q) => catalog().qualification(q)?.name ?? q).join('・'), STAFF_STATUS_LABELS[r.status], r.validUntil ?? '',
      ])]));
    }
    return 0;
  });
}

export async function staffDelete(o: O): Promise<number> {
  return withApp(o as { data?: string }, async (app) => {
    await deleteStaff(await registryDb(app), app.config.clock, String(o['tenant']), String(o['user']));
    print(`利用者を削除しました: ${String(o['user'])}（発行済みのトークンも無効になりました）`);
    return 0;
  });
}

export async function staffToken(o: O): Promise<number> {
  return withApp(o as { data?: string }, async (app) => {
    const t = await issueStaffToken(await registryDb(app), app.config.clock, String(o['tenant']), String(o['user']));
    if (o['json']) printJson(t);
    else print(`トークンを発行しました（この表示限り）: ${t.token}`);
    return 0;
  });
}
