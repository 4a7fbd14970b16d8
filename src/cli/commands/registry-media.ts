// `mamori registry media import|export|list` and `mamori registry foundation send` (issue 16; QUA-30, QUA-32,
// QUA-40; decisions 0229–0232; docs/formats/registry-foundation.md): the 介護福祉士 foundation's encrypted files and
// the media ledger, and the on-demand send of online applications to the foundation's 登録情報連携システム.
// The password is read from a file (--password-file) or MAMORI_MEDIA_PASSWORD, never from the command line.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { exchangeNodeFor } from '../../kernel/exchange/index.js';
import { invalidField, isProblem } from '../../kernel/problems/index.js';
import { exportMedia, importMedia, listMedia, RegistrySecrets, REGISTRY_NODE, REGISTRY_ROLE, REGISTRY_SCHEMA, sendToFoundation, syncAdministrators } from '../../registry/index.js';
import type { App } from '../../app/index.js';
import { withApp, withOrganisations } from '../context.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown>;

function passwordOf(o: O): string {
  const file = o['passwordFile'];
  let p: string | undefined;
  if (typeof file === 'string') {
    try {
      p = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch {
      throw invalidField('passwordFile', 'FILE_UNREADABLE', `パスワードのファイル「${file.slice(0, 200)}」を読めません`);
    }
  } else p = process.env['MAMORI_MEDIA_PASSWORD'];
  if (!p) throw invalidField('passwordFile', 'PASSWORD_REQUIRED', '媒体のパスワードを --password-file か環境変数 MAMORI_MEDIA_PASSWORD で指定してください');
  return p;
}

async function deps(app: App) {
  const db = await app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(db, app.config.clock);
  return { db, clock: app.config.clock, secrets: RegistrySecrets.open(app.config.keyDir) };
}

export async function mediaImport(o: O): Promise<number> {
  const file = String(o['file'] ?? '');
  let bytes: Buffer;
  try {
    if (statSync(file).size > 50 * 1024 * 1024) throw invalidField('file', 'FILE_TOO_LARGE', 'ファイルは50MBまでです');
    bytes = readFileSync(file);
  } catch (e) {
    if (isProblem(e)) throw e;
    throw invalidField('file', 'FILE_UNREADABLE', `ファイル「${file.slice(0, 200)}」を読めません`);
  }
  const password = passwordOf(o);
  return withApp(o as { data?: string }, async (app) => {
    const r = await importMedia(await deps(app), { bytes, fileName: basename(file), password, by: String(o['by'] ?? '') });
    if (o['json']) printJson(r);
    else if (r.repeated) print(`この媒体は取込済みです（変更はありません）: ${r.entry.fileName}（SHA-256 ${r.entry.sha256}）`);
    else {
      print(`媒体を取り込みました: ${r.entry.fileName} ${r.entry.rows}件（試験合格者 ${r.passers.received}件（新規 ${r.passers.added}件）、紙による申請 ${r.links.length}件）`);
      print(`媒体管理簿: ${r.entry.statusLabel}（受領 ${r.entry.receivedAt}、登録 ${r.entry.registeredAt ?? ''}、廃棄 ${r.entry.discardedAt ?? ''}）`);
      if (r.links.length) print(table([['受付番号', '資格仮名ID'], ...r.links.map((l) => [l.ref, l.pseudonymId])]));
    }
    return 0;
  });
}

export async function mediaExport(o: O): Promise<number> {
  const out = String(o['out'] ?? '');
  if (!out) throw invalidField('out', 'OUT_REQUIRED', '書き出すファイルを --out で指定してください');
  const password = passwordOf(o);
  return withApp(o as { data?: string }, async (app) => {
    const r = await exportMedia(await deps(app), { password, by: String(o['by'] ?? ''), fileName: basename(out) });
    writeFileSync(out, r.bytes, { mode: 0o600 });
    if (o['json']) printJson({ entry: r.entry, online: r.online, links: r.links });
    else print(`センター向けの媒体を作成しました: ${out}（オンライン申請 ${r.online}件、資格仮名ID通知 ${r.links}件、SHA-256 ${r.entry.sha256}）`);
    return 0;
  });
}

export async function mediaList(o: O): Promise<number> {
  return withApp(o as { data?: string }, async (app) => {
    const page = await listMedia(await deps(app), { page: Number(o['page'] ?? 1) || 1 });
    if (o['json']) {
      printJson(page);
      return 0;
    }
    print(`媒体管理簿: 全${page.total}件（${page.page}ページ目、1ページ${page.pageSize}件）`);
    print(table([['受領・作成日時', '方向', 'ファイル', '件数', '状態', '担当', '登録', '廃棄', 'SHA-256'], ...page.entries.map((e) => [e.receivedAt, e.directionLabel, e.fileName, String(e.rows), e.statusLabel, e.receivedBy, e.registeredAt ?? '', e.discardedAt ? `${e.discardedAt}（${e.discardedBy ?? ''}）` : '', e.sha256.slice(0, 16)])]));
    return 0;
  });
}

export async function foundationSend(o: O): Promise<number> {
  return withOrganisations(o as { data?: string }, async (app, orgs) => {
    const d = await deps(app);
    const node = exchangeNodeFor({ name: REGISTRY_NODE, schema: REGISTRY_SCHEMA, db: d.db, keyDir: app.config.keyDir, directory: orgs.directory, clock: app.config.clock });
    const r = await sendToFoundation({ ...d, node });
    if (o['json']) printJson(r);
    else if (!r.batchId) print('登録情報連携システムへ送る申請はありません。');
    else print(`登録情報連携システムへ送りました: オンライン申請 ${r.online}件、資格仮名ID通知 ${r.links}件（バッチ ${r.batchId}）`);
    return 0;
  });
}
