// Row-Level Security fails closed (KRN-01…03, decision 0123).
//
// The application pool must run as the non-owner role `mamori_app`: a table's owner, a superuser or a
// BYPASSRLS role is not confined by the tenant_isolation policies, so running as one of them would
// silently show every tenant's rows.  Two checks run before Mamori serves anything:
//   1. the app pool's role — each app connection asks for `role=mamori_app` in its startup packet, so a
//      login that may not become mamori_app cannot connect at all (never "falls back" to the owner);
//      the role it ends up as must be neither superuser nor BYPASSRLS;
//   2. the canary — inside a transaction that is always rolled back, rows for two synthetic tenants
//      go into kernel.rls_canary and a query with one tenant set must see only that tenant's row.
import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { Problem } from '../problems/index.js';
import type { Database } from './types.js';

export const APP_ROLE = 'mamori_app';

const ROLE_TITLE = 'データベースのアプリケーション用ロールに切り替えられません';

/** The app pool connected as a login that may not become mamori_app (SQLSTATE 42501 at startup). */
export function appRoleRefused(login: string, cause: string): Problem {
  return new Problem(
    500,
    'DB_APP_ROLE',
    ROLE_TITLE,
    `接続ユーザー「${login}」はロール ${APP_ROLE} になれないため起動を中止しました（所有者のまま動くと行レベルセキュリティが効かず、他の団体のデータが見えてしまいます）。` +
      `管理者が「GRANT ${APP_ROLE} TO ${login};」を実行するか、MAMORI_APP_DATABASE_URL に ${APP_ROLE} のメンバーであるログインを指定してください。 / ` +
      `Refusing to start: database login "${login}" cannot SET ROLE ${APP_ROLE} (${cause}). Running as the owner would bypass row-level security. ` +
      `Grant membership (GRANT ${APP_ROLE} TO ${login};) or set MAMORI_APP_DATABASE_URL to a login that is a member of ${APP_ROLE}.`,
  );
}

/** Checks the role the app pool actually runs as; throws a Problem when RLS would not apply to it. */
export async function checkAppRole(app: Kysely<Database>, expectAppRole: boolean, login: string): Promise<void> {
  let row: { u: string; sup: boolean; bypass: boolean } | undefined;
  try {
    const r = await sql<{ u: string; sup: boolean; bypass: boolean }>`
      SELECT current_user::text AS u, r.rolsuper AS sup, r.rolbypassrls AS bypass FROM pg_roles r WHERE r.rolname = current_user`.execute(app);
    row = r.rows[0];
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === '42501') throw appRoleRefused(login, err.message ?? 'permission denied');
    throw e;
  }
  if (!row) throw appRoleRefused(login, 'current_user not found in pg_roles');
  if (row.sup || row.bypass || (expectAppRole && row.u !== APP_ROLE)) {
    throw new Problem(
      500,
      'DB_APP_ROLE',
      ROLE_TITLE,
      `アプリケーション用の接続がロール「${row.u}」（${row.sup ? 'スーパーユーザー' : row.bypass ? 'BYPASSRLS' : `${APP_ROLE} ではない`}）で動くため起動を中止しました。行レベルセキュリティが効きません。 / ` +
        `Refusing to start: the application connection runs as role "${row.u}"${row.sup ? ' (superuser)' : row.bypass ? ' (BYPASSRLS)' : ` instead of ${APP_ROLE}`}, which bypasses row-level security.`,
    );
  }
}

/**
 * The canary: proves that a transaction with one tenant set sees no other tenant's rows.  Always rolled
 * back.  `skipIfMissing` lets a store that has not been migrated yet (restore into an empty store) open.
 */
export async function rlsCanary(app: Kysely<Database>, opts: { skipIfMissing?: boolean } = {}): Promise<'passed' | 'skipped'> {
  const suffix = randomBytes(6).toString('hex');
  const a = `canary-a-${suffix}`;
  const b = `canary-b-${suffix}`;
  return app.connection().execute(async (conn) => {
    if (opts.skipIfMissing) {
      const t = await sql<{ t: string | null }>`SELECT to_regclass('kernel.rls_canary')::text AS t`.execute(conn);
      if (!t.rows[0]?.t) return 'skipped';
    }
    await sql.raw('BEGIN').execute(conn);
    try {
      await sql`SELECT set_config('mamori.tenant', ${a}, true)`.execute(conn);
      await sql`INSERT INTO kernel.rls_canary (tenant_code, note) VALUES (${a}, 'canary')`.execute(conn);
      await sql`SELECT set_config('mamori.tenant', ${b}, true)`.execute(conn);
      await sql`INSERT INTO kernel.rls_canary (tenant_code, note) VALUES (${b}, 'canary')`.execute(conn);
      const seen = await sql<{ tenant_code: string }>`SELECT tenant_code FROM kernel.rls_canary ORDER BY tenant_code`.execute(conn);
      const codes = seen.rows.map((r) => r.tenant_code);
      if (codes.length !== 1 || codes[0] !== b) {
        throw new Problem(
          500,
          'RLS_CANARY_FAILED',
          '団体間のデータ分離を確認できないため起動を中止しました',
          `テナントを1つ指定した問い合わせで別の団体の行が見えました（kernel.rls_canary: ${codes.length} 行）。行レベルセキュリティが無効になっていないか、接続ロールが所有者でないか確認してください。 / ` +
            `Refusing to start: the row-level security canary failed — a query with one tenant set saw ${codes.length} row(s) of kernel.rls_canary, including another tenant's. Check that RLS is enabled and that the application role is not the table owner.`,
        );
      }
    } finally {
      await sql.raw('ROLLBACK').execute(conn).catch(() => undefined);
    }
    return 'passed';
  });
}
