// KRN-01…03, decision 0123: Row-Level Security fails closed.  A database login that cannot become the
// application role mamori_app makes Mamori refuse to start (never run as the owner, which RLS does not
// confine), and a canary at every start proves that one tenant's query sees no other tenant's rows.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import pg from 'pg';
import { sql } from 'kysely';
import { openApp } from '../../src/app/index.js';
import { openDatabase, rlsCanary } from '../../src/kernel/db/index.js';
import { resolveConfig } from '../../src/kernel/config/index.js';
import { freshConfig, serverUrl, type Mode } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { runCli } from '../harness/cli.js';

async function admin(text: string): Promise<void> {
  const c = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

describe('a login that cannot become mamori_app', () => {
  const suffix = randomBytes(4).toString('hex');
  const owner = `owner_${suffix}`;
  const db = `t_owner_${suffix}`;
  const url = (() => {
    const u = new URL(serverUrl(db));
    u.username = owner;
    u.password = '';
    return u.toString();
  })();
  const tmp = join(process.cwd(), '.test-output', `rls-${suffix}`);

  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin(`DROP ROLE IF EXISTS ${owner}`);
  });

  it('makes openApp refuse to start, naming the role problem in Japanese and English', async () => {
    // A non-superuser that owns its database but is not a member of mamori_app.  Before decision 0123
    // the pool's "SET ROLE mamori_app" failed silently and every app query ran as this owner (no RLS).
    await admin(`CREATE ROLE ${owner} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE`);
    await admin(`CREATE DATABASE ${db} OWNER ${owner}`);
    const config = resolveConfig({ data: join(tmp, 'data') }, { DATABASE_URL: url });
    const p = await expectProblem(openApp(config), { code: 'DB_APP_ROLE' });
    expect(p.message).toContain('mamori_app');
    expect(p.message).toContain(owner);
    expect(p.message).toMatch(/起動を中止しました/);
    expect(p.message).toMatch(/Refusing to start: database login "owner_[0-9a-f]+" cannot SET ROLE mamori_app/);
  });

  it('makes a CLI command refuse too, with the message on stderr', async () => {
    const r = await runCli(['org', 'list'], { env: { DATABASE_URL: url, MAMORI_DATA: join(tmp, 'cli') } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/mamori_app/);
    expect(r.stderr).toMatch(/起動を中止しました/);
  });

  it('opens once the login is granted membership, and the app pool then runs as mamori_app', async () => {
    await admin(`GRANT mamori_app TO ${owner}`);
    const d = await openDatabase(resolveConfig({ data: join(tmp, 'data') }, { DATABASE_URL: url }));
    try {
      const r = await sql<{ u: string }>`SELECT current_user::text AS u`.execute(d.app);
      expect(r.rows[0]!.u).toBe('mamori_app');
    } finally {
      await d.close();
    }
  });
});

describe.each<Mode>(['server', 'embedded'])('the RLS canary (%s)', (mode) => {
  it('passes on a normal start, and openApp refuses once the owner disables RLS on the canary table', async () => {
    const f = await freshConfig(mode);
    try {
      const app = await openApp(f.config);
      try {
        expect(await rlsCanary(app.db.app)).toBe('passed');
        // The canary leaves nothing behind (its transaction is rolled back).
        const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.rls_canary`.execute(app.db.system);
        expect(n.rows[0]!.n).toBe(0);
        await sql`ALTER TABLE kernel.rls_canary DISABLE ROW LEVEL SECURITY`.execute(app.db.system);
      } finally {
        await app.close();
      }
      const p = await expectProblem(openApp(f.config), { code: 'RLS_CANARY_FAILED' });
      expect(p.message).toMatch(/団体間のデータ分離を確認できないため起動を中止しました/);
      expect(p.message).toMatch(/Refusing to start: the row-level security canary failed/);
    } finally {
      await f.drop();
    }
  });
});
