// The registry in `mamori demo` (prepareDemoRegistry): 公金決済 knows the registry as a merchant that may send
// payers back to マイナポータル; each 資格管理者 has a 審査責任者 whose token file logs in; running it again
// changes nothing but the tokens.
import { readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDemoRegistry, startOrganisations, type Organisations } from '../../src/app/index.js';
import { merchantOf, PAYMENT_ROLE } from '../../src/peers/payment/index.js';
import { authenticateStaff, catalog, listStaff, REGISTRY_ROLE } from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';

let app: TestApp;
let orgs: Organisations;
let dir: string;

beforeAll(async () => {
  app = await testApp('server');
  orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'mamori-demo-registry-'));
}, 120_000);

afterAll(async () => {
  await orgs?.close();
  await app?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('prepareDemoRegistry', () => {
  it('registers the merchant and one 審査責任者 per 資格管理者 whose token logs in; idempotent', async () => {
    const first = await prepareDemoRegistry(app, orgs.directory, join(dir, 'r'));
    const again = await prepareDemoRegistry(app, orgs.directory, join(dir, 'r'));
    expect(first.examiners.map((e) => e.tenant).sort()).toEqual(catalog().administrators.map((a) => a.code).sort());
    const m = await merchantOf(await app.db.forRole(PAYMENT_ROLE), 'registry');
    expect(m).toMatchObject({ merchantCode: 'REG00001', returnOrigins: [new URL(orgs.directory.entry('mynaportal').url).origin] });
    const db = await app.db.forRole(REGISTRY_ROLE);
    for (const e of again.examiners) {
      expect((await listStaff(db, e.tenant)).filter((s) => s.userId === 'demo-shinsa')).toHaveLength(1);
      expect(statSync(e.tokenFile).mode & 0o077).toBe(0);
      const s = await authenticateStaff(db, app.config.clock, `Bearer ${readFileSync(e.tokenFile, 'utf8').trim()}`);
      expect(s.staff).toMatchObject({ tenant: e.tenant, userId: 'demo-shinsa', role: 'supervisor' });
    }
  }, 60_000);
});
