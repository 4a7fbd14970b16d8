// The syncs on the embedded store (PGlite, what `mamori demo` uses by default; QUA-28, QUA-29): the same queries
// and messages as on PostgreSQL — an examined person is sent to both systems, one written without checks is
// withheld, a re-run sends nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrganisations, type Organisations } from '../../src/app/index.js';
import { exchangeNodeFor } from '../../src/kernel/exchange/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { MENKYO_ROLE, menkyoEntries } from '../../src/peers/menkyo/index.js';
import {
  applyForStaff, approveStaff, authenticateStaff, decideApplication, exampleForm, insertApplication, issueStaffToken, recordCheck, registerEntry, REGISTRY_NODE, REGISTRY_ROLE, REGISTRY_SCHEMA,
  RegistrySecrets, runSync, syncAdministrators, withRegistryTenant,
} from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { settleFeesByStamps } from '../harness/registry.js';

let app: TestApp;
let orgs: Organisations;

beforeAll(async () => {
  app = await testApp('embedded');
  orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0 });
}, 120_000);

afterAll(async () => {
  await orgs?.close();
  await app?.cleanup();
});

describe('syncs on the embedded store', () => {
  it('sends the examined person to both systems, withholds the unchecked one, and a re-run sends nothing', async () => {
    const clock = app.config.clock;
    const db = await app.db.forRole(REGISTRY_ROLE);
    await syncAdministrators(db, clock);
    const secrets = RegistrySecrets.open(app.config.keyDir);
    const node = exchangeNodeFor({ name: REGISTRY_NODE, schema: REGISTRY_SCHEMA, db, keyDir: app.config.keyDir, directory: orgs.directory, clock });
    const deps = { db, clock, node, secrets, keyDir: app.config.keyDir };
    await applyForStaff(db, clock, { tenant: 'mhlw-iyaku', userId: 'emb-chief', name: '審査 責任者', affiliation: 'ministry', affiliationName: '本省', role: 'supervisor', qualifications: ['yakuzaishi'], reason: '審査', appliedBy: 'operator' });
    await approveStaff(db, clock, 'mhlw-iyaku', 'emb-chief', 'operator');
    const chief = await authenticateStaff(db, clock, `Bearer ${(await issueStaffToken(db, clock, 'mhlw-iyaku', 'emb-chief')).token}`);
    const a = await withRegistryTenant(db, 'mhlw-iyaku', (tx) => insertApplication(tx, { clock, secrets }, 'mhlw-iyaku', {
      qualification: 'yakuzaishi', procedure: 'new', channel: 'paper', form: exampleForm('yakuzaishi'), myNumber: syntheticMyNumber('syncs-embedded', 1), registrationNo: null,
      identityProof: { documents: ['マイナンバーカード'], checkedBy: 'madoguchi' }, receivedBy: 'madoguchi',
    }));
    await withRegistryTenant(db, 'mhlw-iyaku', async (tx) => {
      for (const source of ['juki', 'koseki', 'passers'] as const) await recordCheck(tx, clock, a.id, { source, outcome: 'match', by: 'system' });
    });
    await settleFeesByStamps(db, clock, 'mhlw-iyaku', a.id);
    const approved = await decideApplication({ db, clock, secrets }, chief, a.id, { action: 'approve' });
    await registerEntry({ db, clock, secrets }, { applicationId: 'emb-unchecked', qualification: 'yakuzaishi', application: exampleForm('yakuzaishi'), myNumber: syntheticMyNumber('syncs-embedded', 2), approvedBy: 'operator' });
    expect(await runSync(deps, 'menkyo', { tenant: 'mhlw-iyaku' })).toEqual([expect.objectContaining({ sent: 1, stored: 1, withheld: { unverified: 1, proposal: 0, application: 0 } })]);
    expect(await runSync(deps, 'kensaku', { tenant: 'mhlw-iyaku' })).toEqual([expect.objectContaining({ sent: 1, stored: 1, removed: 0 })]);
    expect((await menkyoEntries(await app.db.forRole(MENKYO_ROLE), 'yakuzaishi')).map((e) => e.registrationNo)).toEqual([approved.entry!.number]);
    expect((await runSync(deps, 'menkyo', { tenant: 'mhlw-iyaku' }))[0]!.sent).toBe(0);
  });
});
