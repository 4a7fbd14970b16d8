// `mamori backup --out FILE` / `mamori restore FILE`
import { resolve } from 'node:path';
import { withApp } from '../context.js';
import { backup, restore } from '../../kernel/backup/index.js';
import { print, printJson, warn } from '../io.js';

type O = Record<string, unknown> & { data?: string };

export async function backupCmd(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const s = await backup(app, resolve(String(o['out'])));
    if (o['json']) printJson(s);
    else print(`バックアップを作成しました: ${s.file}（${s.tables} テーブル、${s.rows} 行、${s.bytes} バイト、暗号化済み）`);
    return 0;
  });
}

export async function restoreCmd(o: O, args: string[]): Promise<number> {
  // The schema is rebuilt at the backup's migration level first, so the database is opened unmigrated.
  return withApp(o, { migrate: false }, async (app) => {
    const s = await restore(app, resolve(args[0]!), app.migrations, { force: !!o['force'] });
    const bad = s.verify.filter((v) => !v.ok);
    if (o['json']) printJson(s);
    else {
      print(`復元しました: ${s.tables} テーブル、${s.rows} 行（バックアップ作成 ${s.createdAt}）`);
      for (const v of s.verify) {
        if (v.ok) print(`操作ログ 団体 ${v.tenant}: 連鎖は正常（${v.verified} 件）`);
        else warn(`操作ログ 団体 ${v.tenant}: 不正 ${v.failure!.message}`);
      }
    }
    return bad.length ? 1 : 0;
  });
}
