import { withApp } from '../context.js';
import { appliedMigrations } from '../../kernel/db/index.js';
import { print } from '../io.js';

type O = Record<string, unknown> & { data?: string };

export async function migrateCmd(o: O): Promise<number> {
  return withApp(o, async (app) => {
    if (app.applied.length === 0) print('未適用のマイグレーションはありません。');
    for (const m of app.applied) print(`適用: ${m.schema}/${String(m.version).padStart(4, '0')}_${m.name}`);
    return 0;
  });
}

export async function status(o: O): Promise<number> {
  return withApp(o, async (app) => {
    print(`データベース: ${app.db.kind === 'embedded' ? `組込み（PGlite） ${app.config.dataDir}` : 'PostgreSQL サーバー（DATABASE_URL）'}`);
    for (const m of await appliedMigrations(app.db.system)) print(`適用済み: ${m}`);
    return 0;
  });
}
