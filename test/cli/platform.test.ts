// `mamori platform push|status` as a subprocess (docs/formats/platform-cli.md "## mamori platform"): the
// command hosts the municipality node itself and reaches the platform named in MAMORI_DIRECTORY — here the
// real platform and 支払基金 nodes, running in the test process on the same database.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrganisations, type Organisations } from '../../src/app/index.js';
import { startExtraction } from '../../src/municipality/extraction/index.js';
import { enrollInsured, platformJobPrincipal } from '../../src/municipality/platform/index.js';
import { addTenant as addPlatformTenant, deleteByOperator, PLATFORM_ROLE } from '../../src/platform/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { runCli } from '../harness/cli.js';
import { mn } from '../harness/residents.js';
import { buildTown, TOWN, type Town } from '../municipality/notices/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-platform-cli-'));
let app: TestApp;
let orgs: Organisations;
let town: Town;
let runId: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  app = await testApp('server');
  await addTenant(app, TOTTORI, '鳥取市');
  const nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
  town = await buildTown(app, operatorOf(TOTTORI), dir);
  runId = (await startExtraction(app.db, nurse, { kind: 'targets', programs: ['hib'], asOf: '2026-11-21' })).run.id;
  // The other organisations, real, in this process; the CLI is told where they are.
  orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0 });
  await addPlatformTenant(await app.db.forRole(PLATFORM_ROLE), app.config.clock, { code: TOTTORI, name: '鳥取市', node: 'municipality' });
  const job = platformJobPrincipal(TOTTORI);
  await enrollInsured({ db: app.db, vault: app.vault }, { ...job, actor: { ...job.actor, mynumberView: true } }, { node: orgs.municipal.node });
  const dirFile = join(dir, 'directory.json');
  writeFileSync(dirFile, JSON.stringify(orgs.nodes.filter((n) => n.name !== 'municipality').map((n) => ({ name: n.name, title: n.title, url: n.url }))));
  env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness, MAMORI_DIRECTORY: dirFile };
}, 240_000);

afterAll(async () => {
  await orgs?.close();
  await app?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const json = <T>(s: string): T => JSON.parse(s) as T;

describe('mamori platform', () => {
  it('push --json: exactly {sent, registered, updated, deleted, failed}; again: nothing sent; --all: sent, unchanged', async () => {
    const r = await runCli(['platform', 'push', '--tenant', TOTTORI, '--run', runId, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toEqual({ sent: 4, registered: 4, updated: 0, deleted: 0, failed: 0 });
    expect(r.stdout + r.stderr).not.toContain(mn(1));
    const again = await runCli(['platform', 'push', '--tenant', TOTTORI, '--run', runId, '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(json(again.stdout)).toEqual({ sent: 0, registered: 0, updated: 0, deleted: 0, failed: 0 });
    const all = await runCli(['platform', 'push', '--tenant', TOTTORI, '--run', runId, '--all'], { env });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toContain('送信 4 件');
    expect(all.stdout).toContain('変更なし 4 件');
  });

  it('status: linkage counts and the failed rows (宛名番号 and error)', async () => {
    // 支払基金 now holds another kana for A, and the platform no longer holds A (an operator deleted it on
    // request, PMH-03): sent again, A meets the mis-link check (PMH-07) and is not linked.
    await deleteByOperator(await app.db.forRole(PLATFORM_ROLE), app.config.clock, TOTTORI, town.A, 'operator:test', '削除依頼（試験）');
    const a = TOWN.A;
    const iso = (ymd: string) => `${ymd.slice(0, 4)}-${ymd.slice(4, 6)}-${ymd.slice(6, 8)}`;
    await orgs.municipal.node.call('insurerhub', 'insured.enroll', { insurer: `01${TOTTORI}`, members: [{ myNumber: mn(1), name: a['氏名'], nameKana: 'チガウ　カナ', dateOfBirth: iso(a['生年月日']!), sex: '2', address: a['住所'] }] }, { personal: true });
    const push = await runCli(['platform', 'push', '--tenant', TOTTORI, '--run', runId, '--all', '--json'], { env });
    expect(json(push.stdout)).toMatchObject({ sent: 4, failed: 1 });
    const r = await runCli(['platform', 'status', '--tenant', TOTTORI, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ linked: number; error: number; total: number; failed: { atenaNo: string; error: string }[] }>(r.stdout);
    expect(out).toMatchObject({ linked: 3, error: 1, total: 4 });
    expect(out.failed).toMatchObject([{ atenaNo: town.A, error: expect.stringContaining('カナ氏名') }]);
    const human = await runCli(['platform', 'status', '--tenant', TOTTORI], { env });
    expect(human.stdout).toContain('紐付け済み 3 人');
    expect(human.stdout).toContain(town.A);
  });

  it('a bad run id is refused before anything is sent', async () => {
    const r = await runCli(['platform', 'push', '--tenant', TOTTORI, '--run', 'nope', '--json'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('抽出の番号が正しくありません');
  });
});
