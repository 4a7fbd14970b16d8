// `mamori platform push|status` as a subprocess (docs/formats/platform-cli.md "## mamori platform"): the
// command hosts the municipality node itself and reaches the platform named in MAMORI_DIRECTORY — here the
// stand-in platform node of test/harness/platform-standin.ts, running in the test process.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createNodeServer, Directory, exchangeNodeFor } from '../../src/kernel/exchange/index.js';
import { untyped } from '../../src/kernel/db/index.js';
import { startExtraction } from '../../src/municipality/extraction/index.js';
import { PLATFORM_ROLE } from '../../src/platform/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { runCli } from '../harness/cli.js';
import { mn } from '../harness/residents.js';
import { startPlatformStandIn, type PlatformStandIn } from '../harness/platform-standin.js';
import { buildTown, type Town } from '../municipality/notices/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-platform-cli-'));
let app: TestApp;
let standIn: PlatformStandIn;
let jwks: FastifyInstance;
let town: Town;
let runId: string;
let env: NodeJS.ProcessEnv;
const directory = new Directory([]);

beforeAll(async () => {
  app = await testApp('server');
  await addTenant(app, TOTTORI, '鳥取市');
  const nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
  town = await buildTown(app, operatorOf(TOTTORI), dir);
  runId = (await startExtraction(app.db, nurse, { kind: 'targets', programs: ['hib'], asOf: '2026-11-21' })).run.id;
  // The municipality's public keys (the same key directory the CLI opens), for the stand-in to verify its messages.
  const municipal = exchangeNodeFor({ name: 'municipality', schema: 'municipality', db: untyped(app.db.app), keyDir: app.config.keyDir, directory, clock: app.config.clock });
  jwks = await createNodeServer('municipality');
  municipal.serve(jwks, {});
  await jwks.listen({ host: '127.0.0.1', port: 0 });
  directory.set({ name: 'municipality', title: '鳥取市', url: `http://127.0.0.1:${(jwks.server.address() as AddressInfo).port}` });
  standIn = await startPlatformStandIn({ db: await app.db.forRole(PLATFORM_ROLE), keyDir: app.config.keyDir, directory, clock: app.config.clock });
  const dirFile = join(dir, 'directory.json');
  writeFileSync(dirFile, JSON.stringify([{ name: 'platform', title: '予防接種プラットフォーム', url: standIn.url }]));
  env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness, MAMORI_DIRECTORY: dirFile };
});

afterAll(async () => {
  await standIn?.close();
  await jwks?.close();
  await app?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const json = <T>(s: string): T => JSON.parse(s) as T;

describe('mamori platform', () => {
  it('push --json: exactly {sent, registered, updated, deleted, failed}; again: nothing sent; --all: sent, unchanged', async () => {
    const r = await runCli(['platform', 'push', '--tenant', TOTTORI, '--run', runId, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toEqual({ sent: 4, registered: 4, updated: 0, deleted: 0, failed: 0 });
    expect(standIn.received).toHaveLength(4);
    expect(standIn.invalid).toEqual([]);
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
    standIn.failKeys.set(town.A, 'NOT_ENROLLED');
    const push = await runCli(['platform', 'push', '--tenant', TOTTORI, '--run', runId, '--all', '--json'], { env });
    expect(json(push.stdout)).toMatchObject({ sent: 4, failed: 1 });
    const r = await runCli(['platform', 'status', '--tenant', TOTTORI, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ linked: number; error: number; total: number; failed: { atenaNo: string; error: string }[] }>(r.stdout);
    expect(out).toMatchObject({ linked: 3, error: 1, total: 4 });
    expect(out.failed).toMatchObject([{ atenaNo: town.A, error: expect.stringContaining('NOT_ENROLLED') }]);
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
