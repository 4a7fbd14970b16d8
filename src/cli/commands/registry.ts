// `mamori registry qualifications|form|staff` (docs/formats/registry-cli.md; decisions 0169–0171): the
// qualification catalog and the new-registration form of each qualification — both read only the catalog
// shipped with Mamori (no database; the catalog is validated when loaded, so a broken file fails here too) —
// and the staff of each 資格管理者, on the registry's own schema through its own database role.
import type { App } from '../../app/index.js';
import { readFileSync, statSync } from 'node:fs';
import { exchangeNodeFor } from '../../kernel/exchange/index.js';
import { invalidField, isProblem } from '../../kernel/problems/index.js';
import {
  AFFILIATION_LABELS, CHANGE_KIND_LABELS, applicationCheckers, closeProposal, getApplication, kosekiChecksDue, latestChecks, listChecks, runChecksAsStaff, listProposals, runChecks, runKosekiChecks, RegistrySecrets, REGISTRY_NODE, REGISTRY_SCHEMA, PROPOSAL_KIND_LABELS, decideApplication, importPassers, MAX_PASSER_FILE_BYTES, staffSessionOf, withRegistryTenant,
  showEntryAsOperator, applyForStaff, approveStaff, catalog, deleteStaff, exampleForm, issueStaffToken, listStaff, REGISTRY_ROLE, STAFF_ROLE_LABELS, STAFF_STATUS_LABELS, syncAdministrators,
} from '../../registry/index.js';
import { withApp, withOrganisations } from '../context.js';
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
  const { procedureOf } = await import('../../registry/index.js');
  printJson(exampleForm(code, procedureOf({ procedure: o['procedure'] ?? 'new' })));
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

/** `mamori registry show`: an entry with its history, read as the operator and logged (never a My Number). */
export async function show(o: O): Promise<number> {
  const tenant = String(o['tenant'] ?? '');
  const admin = catalog().administrator(tenant);
  if (!admin) throw invalidField('tenant', 'ADMINISTRATOR_UNKNOWN', `資格管理者「${tenant}」はありません（mamori registry qualifications で確認してください）`);
  const own = catalog().jurisdiction(tenant);
  const code = o['qualification'] === undefined ? (own.length === 1 ? own[0]!.code : undefined) : String(o['qualification']);
  if (!code) throw invalidField('qualification', 'QUALIFICATION_REQUIRED', `${admin.name}は複数の資格を所掌しています。--qualification で資格コードを指定してください（${own.map((q) => q.code).join(', ')}）`);
  if (!own.some((q) => q.code === code)) throw invalidField('qualification', 'QUALIFICATION_UNKNOWN', `資格コード「${code.slice(0, 40)}」は${admin.name}の所掌ではありません`);
  return withApp(o as { data?: string }, async (app) => {
    const e = await showEntryAsOperator({ db: await registryDb(app), clock: app.config.clock }, tenant, code, o['number']);
    if (o['json']) {
      printJson(e);
      return 0;
    }
    print(`${e.qualificationName} 登録番号 ${e.number}（登録年月日 ${e.registeredOn}）  状態: ${e.status.label}${e.status.until ? `（${e.status.until}まで）` : ''}`);
    print(`資格仮名ID: ${e.pseudonymId}  個人番号: ${e.myNumber.held ? '保管中' : `削除済み（${e.myNumber.deletedOn ?? ''}）`}`);
    if (e.erasure) print(`抹消: ${e.erasure.on} ${e.erasure.label}${e.erasure.note ? `（${e.erasure.note}）` : ''}`);
    print(table([['登録事項', '内容'], ...Object.entries(e.items).map(([k, v]) => [k, v === null ? '' : String(v)])]));
    print(table([['氏名の種別', '氏名', 'フリガナ', '期間'], ...e.names.map((n) => [n.kind, n.表記 ?? [n.姓, n.名].filter(Boolean).join(' '), n.フリガナ ? `${n.フリガナ.姓} ${n.フリガナ.名}` : '', `${n.from}〜${n.until ?? ''}`])]));
    print(`旧姓フラグ: ${e.flags.旧姓フラグ ? 'あり' : 'なし'}  通称名フラグ: ${e.flags.通称名フラグ ? 'あり' : 'なし'}  旧姓通称名フラグ: ${e.flags.旧姓通称名フラグ ? 'あり' : 'なし'}`);
    if (e.dispositions.length > 0) print(table([['行政処分', '処分年月日', '処分コード', '期間', '発簡番号'], ...e.dispositions.map((d) => [d.label, d.decidedOn, d.code, `${d.from}〜${d.until ?? ''}`, d.issueNo])]));
    print(table([['版', '変更', '理由コード', '記事', '変更した事項', '担当', '日時'], ...(e.history ?? []).map((v) => [String(v.version), CHANGE_KIND_LABELS[v.kind], v.reasonCode ?? '', v.note ?? '', v.changedItems.join('・'), v.by, v.at])]));
    return 0;
  });
}

// ---- 住基ネット checks (decisions 0180–0183; docs/formats/registry-cli.md「住基ネットの確認」) ----

function tenantOption(o: O): string {
  const tenant = String(o['tenant'] ?? '');
  if (!catalog().administrator(tenant)) throw invalidField('tenant', 'ADMINISTRATOR_UNKNOWN', `資格管理者「${tenant.slice(0, 40)}」はありません（mamori registry qualifications で確認してください）`);
  return tenant;
}

const show1 = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== null && x !== undefined).map(([k, x]) => `${k}: ${String(x)}`).join('、') : String(v));

/** `mamori registry checks --tenant CODE [--from D --until D] [--json]`: the periodic 住基 check, as the registry node. */
export async function checks(o: O): Promise<number> {
  const tenant = tenantOption(o);
  return withOrganisations(o as { data?: string }, async (app, orgs) => {
    const db = await registryDb(app);
    const node = exchangeNodeFor({ name: REGISTRY_NODE, schema: REGISTRY_SCHEMA, db, keyDir: app.config.keyDir, directory: orgs.directory, clock: app.config.clock });
    const deps = { db, clock: app.config.clock, node, secrets: RegistrySecrets.open(app.config.keyDir) };
    const r = await runChecks(deps, {
      tenant, ...(o['from'] !== undefined ? { from: String(o['from']) } : {}), ...(o['until'] !== undefined ? { until: String(o['until']) } : {}),
    });
    // 戸籍 (QUA-17) after 住基, unless it already ran today (periodic.ts); its figures beside 住基's.
    const k = (await kosekiChecksDue(deps, tenant)) ? await runKosekiChecks(deps, { tenant, by: 'operator' }) : null;
    if (o['json']) printJson({ checked: r.checked, changed: r.changed, deaths: r.deaths, unresolved: r.unresolved, ...(k ? { koseki: { checked: k.checked, changed: k.changed, deaths: k.deaths, unresolved: k.unresolved } } : {}) });
    else {
      if (!r.period) print('住基ネット: 確認する期間がありません（今日までの確認は済んでいます）。');
      else {
        print(`住基ネットで確認しました（照会対象期間 ${r.period.from}〜${r.period.until}${r.resumed ? '、前回の続きから' : ''}）: 確認 ${r.checked} 人、変更 ${r.changed} 人、死亡 ${r.deaths} 人、住基ネットで確認できない ${r.unresolved} 人。`);
        print(`審査への提案を ${r.proposals} 件追加しました（mamori registry proposals --tenant ${tenant} で確認）。`);
      }
      if (k) print(`戸籍で確認しました（${k.since} 以降の異動）: 確認 ${k.checked} 人、変更 ${k.changed} 人、死亡 ${k.deaths} 人、本籍を特定できない ${k.unresolved} 人。審査への提案 ${k.proposals} 件。`);
      else print('戸籍: 今日の確認は済んでいます。');
    }
    return 0;
  });
}

/** `mamori registry proposals --tenant CODE [--status S] [--kind K] [--limit N] [--offset N] [--json]`. */
export async function proposals(o: O): Promise<number> {
  const tenant = tenantOption(o);
  return withApp(o as { data?: string }, async (app) => {
    const l = await listProposals(await registryDb(app), {
      tenant, ...(o['status'] !== undefined ? { status: o['status'] } : {}), ...(o['kind'] !== undefined ? { kind: o['kind'] } : {}),
      ...(o['limit'] !== undefined ? { limit: o['limit'] } : {}), ...(o['offset'] !== undefined ? { offset: o['offset'] } : {}),
    });
    if (o['json']) {
      printJson(l);
      return 0;
    }
    print(`提案 ${l.total} 件（${Object.entries(l.byKind).map(([k, n]) => `${PROPOSAL_KIND_LABELS[k as keyof typeof PROPOSAL_KIND_LABELS]} ${n}`).join('、') || 'なし'}）${l.total > l.rows.length ? `、${l.offset + 1}〜${l.offset + l.rows.length} 件目を表示` : ''}`);
    if (l.rows.length) {
      print(table([['番号', '資格', '登録番号', '確認元', '種類', '登録簿', '確認結果', '状態', '見つけた日時'], ...l.rows.map((p) => [
        String(p.id), p.qualificationName, String(p.number), p.sourceLabel, p.kindLabel, show1(p.current), show1(p.proposed), p.statusLabel, p.foundAt,
      ])]));
    }
    return 0;
  });
}

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `mamori registry examine`: a decision on an application by a named staff member (--examiner, an active staff
 * member of the tenant): the same permission checks and access log as the staff screens — 承認・却下 need a
 * 審査責任者 holding the qualification's duty, 補正依頼 a 審査担当 or 審査責任者.  On approval prints the 登録番号.
 */
export async function examine(o: O): Promise<number> {
  const tenant = String(o['tenant'] ?? '');
  if (!catalog().administrator(tenant)) throw invalidField('tenant', 'ADMINISTRATOR_UNKNOWN', `資格管理者「${tenant.slice(0, 40)}」はありません（mamori registry qualifications で確認してください）`);
  const id = String(o['application'] ?? '');
  if (!ID.test(id)) throw invalidField('application', 'APPLICATION_ID', '申請ID（UUID）を指定してください');
  const chosen = (['approve', 'return', 'reject'] as const).filter((k) => o[k] !== undefined && o[k] !== false);
  if (chosen.length !== 1) throw invalidField('approve', 'DECISION_REQUIRED', '--approve、--return 理由、--reject 理由 のどれか一つを指定してください');
  const action = chosen[0]!;
  const reason = action === 'approve' ? (typeof o['reason'] === 'string' ? o['reason'] : undefined) : String(o[action]);
  return withOrganisations(o as { data?: string }, async (app, orgs) => {
    const db = await registryDb(app);
    const clock = app.config.clock;
    const secrets = RegistrySecrets.open(app.config.keyDir);
    const node = exchangeNodeFor({ name: REGISTRY_NODE, schema: REGISTRY_SCHEMA, db, keyDir: app.config.keyDir, directory: orgs.directory, clock });
    const deps = { db, clock, secrets, checkers: applicationCheckers({ db, clock, node, secrets }) };
    const session = await staffSessionOf(db, clock, tenant, o['examiner'] !== undefined ? String(o['examiner']) : await soleSupervisor(db, tenant, id));
    // An approval asks 住基ネット and 戸籍 first when their latest results do not already allow it (as the
    // screen's 「照会を実行する」): the examiner decides on checks made through the other organisations.
    if (action === 'approve') {
      const ok = (c: { source: string; outcome: string } | undefined) => c !== undefined && (c.outcome === 'match' || c.outcome === 'extract-received' || c.outcome === 'not-applicable');
      const latest = latestChecks(await withRegistryTenant(db, tenant, (tx) => listChecks(tx, id)));
      if (!ok(latest.juki) || !ok(latest.koseki) || !ok(latest.passers)) await runChecksAsStaff(deps, session, id);
    }
    const r = await decideApplication(deps, session, id, { action, ...(reason ? { reason } : {}) });
    if (o['json']) {
      printJson({ id: r.application.id, status: r.application.status, statusLabel: r.application.statusLabel, registrationNo: r.application.registrationNo, decidedBy: r.application.decidedBy, decidedAt: r.application.decidedAt, reason: r.application.decisionReason });
      return 0;
    }
    if (action === 'approve') print(`承認しました: ${r.application.qualificationName}（${r.application.procedureLabel}） 登録番号 ${r.entry!.number}`);
    else print(`${action === 'return' ? '補正を依頼しました' : '却下しました'}: ${r.application.qualificationName}（${r.application.procedureLabel}） 理由: ${r.application.decisionReason ?? ''}`);
    return 0;
  });
}

/**
 * The examiner when `--examiner` is not given: the one active 審査責任者 of the tenant holding the application's
 * qualification (as in the demo); with none or several, exit 2 asking for `--examiner`.
 */
async function soleSupervisor(db: Awaited<ReturnType<typeof registryDb>>, tenant: string, id: string): Promise<string> {
  const a = await withRegistryTenant(db, tenant, (tx) => getApplication(tx, id));
  const staff = (await listStaff(db, tenant)).filter((s) => s.status === 'active' && s.role === 'supervisor' && (!a || s.qualifications.includes(a.qualification)));
  if (staff.length !== 1) throw invalidField('examiner', 'EXAMINER_REQUIRED', '審査する職員（審査責任者）の利用者IDを --examiner で指定してください');
  return staff[0]!.userId;
}

/** `mamori registry proposal --tenant CODE --id N (--accept | --reject REASON) [--keep-old-name-as 旧姓|旧氏] [--by ID] [--json]`. */
export async function proposal(o: O): Promise<number> {
  const tenant = tenantOption(o);
  if (!!o['accept'] === (o['reject'] !== undefined)) throw invalidField('accept', 'DECISION_REQUIRED', '--accept（反映する）か --reject 理由（反映しない）のどちらか一方を指定してください');
  return withApp(o as { data?: string }, async (app) => {
    const p = await closeProposal({ db: await registryDb(app), clock: app.config.clock }, {
      tenant, id: o['id'], decision: o['accept'] ? 'accept' : 'reject', ...(o['reject'] !== undefined ? { reason: String(o['reject']) } : {}),
      ...(o['keepOldNameAs'] !== undefined ? { keepOldNameAs: o['keepOldNameAs'] } : {}), by: String(o['by'] ?? 'operator'),
    });
    if (o['json']) printJson(p);
    else print(`提案 ${p.id}（${p.qualificationName} 登録番号 ${p.number}、${p.kindLabel}）: ${p.statusLabel}${p.reason ? `（${p.reason}）` : ''}`);
    return 0;
  });
}

/** `mamori registry passers --import FILE`: a 合格者名簿 of one qualification, all rows or none (docs/formats/registry-cli.md). */
export async function passers(o: O): Promise<number> {
  const tenant = String(o['tenant'] ?? '');
  if (!catalog().administrator(tenant)) throw invalidField('tenant', 'ADMINISTRATOR_UNKNOWN', `資格管理者「${tenant.slice(0, 40)}」はありません（mamori registry qualifications で確認してください）`);
  const code = String(o['qualification'] ?? '');
  const q = catalog().qualification(code);
  if (!q || q.administrator !== tenant) throw invalidField('qualification', 'QUALIFICATION_UNKNOWN', `資格コード「${code.slice(0, 40)}」はこの資格管理者の所掌ではありません`);
  const file = String(o['import'] ?? '');
  let bytes: Buffer;
  try {
    if (statSync(file).size > MAX_PASSER_FILE_BYTES) throw invalidField('import', 'FILE_TOO_LARGE', `ファイルは${MAX_PASSER_FILE_BYTES / 1024 / 1024}MBまでです`);
    bytes = readFileSync(file);
  } catch (e) {
    if (isProblem(e)) throw e;
    throw invalidField('import', 'FILE_UNREADABLE', `ファイル「${file.slice(0, 200)}」を読めません`);
  }
  return withApp(o as { data?: string }, async (app) => {
    const db = await registryDb(app);
    const r = await withRegistryTenant(db, tenant, (tx) => importPassers(tx, app.config.clock, tenant, { qualification: code, by: String(o['by'] ?? 'operator') }, bytes));
    if (o['json']) printJson(r);
    else if (r.repeated) print(`このファイルは取込済みです（変更はありません）: ${q.name} ${r.rows}件`);
    else print(`合格者名簿を取り込みました: ${q.name} ${r.rows}件（新規 ${r.added}件、文字コード ${r.encoding === 'utf-8' ? 'UTF-8' : 'Shift_JIS'}）`);
    return 0;
  });
}
