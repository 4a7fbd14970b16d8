// The `mamori` command line as operators and external checks call it (issue 2 "Project", "Database",
// "Demo", "Bench harness"; Done when: the run command serves with no PostgreSQL server installed, and
// DATABASE_URL=… mamori serve works against a server).
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli.js';
import { freshConfig } from '../harness/app.js';
import { MAMORI_BIN, ROOT } from '../harness/paths.js';
import { checkLocalGovernmentCode, checkCorporateNumber, checkMedicalInstitutionCode } from '../../src/kernel/jp/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'mamori-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function waitFor(url: string, ms = 60_000): Promise<Response> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      return await fetch(url);
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

function serveChild(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [MAMORI_BIN, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
  return { child, output: () => out };
}

async function stop(child: ReturnType<typeof spawn>): Promise<number | null> {
  child.kill('SIGTERM');
  return new Promise((r) => child.on('close', (c) => r(c)));
}

describe('organisation codes (地方公共団体コード, 法人番号, 医療機関コード)', () => {
  it('validates real codes and rejects wrong check digits', () => {
    for (const c of ['131016', '312011', '041009', '131237', '011002', '471003']) expect(checkLocalGovernmentCode(c)).toEqual({ ok: true, code: c });
    expect(checkLocalGovernmentCode('１３１０１６')).toEqual({ ok: true, code: '131016' });
    expect(checkLocalGovernmentCode('131017').ok).toBe(false);
    expect(checkLocalGovernmentCode('13101').ok).toBe(false);
    expect(checkLocalGovernmentCode('481004').ok).toBe(false); // prefecture 48 does not exist
    expect(checkCorporateNumber('6000012070001')).toEqual({ ok: true, code: '6000012070001' }); // 厚生労働省
    expect(checkCorporateNumber('7000012070001').ok).toBe(false);
    expect(checkMedicalInstitutionCode('0110113719')).toEqual({ ok: true, code: '0110113719' });
    expect(checkMedicalInstitutionCode('0110113718').ok).toBe(false);
  });
});

describe('mamori org add / db migrate / db status', () => {
  const data = join(tmp, 'org');

  it('adds a municipality, refuses a wrong check digit (exit 2, field named), lists organisations', async () => {
    const ok = await runCli(['org', 'add', '--code', '312011', '--name', '鳥取市', '--data', data]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('鳥取市');
    const bad = await runCli(['org', 'add', '--code', '312012', '--name', '架空市', '--data', data]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('ORG_CODE_INVALID');
    expect(bad.stderr).toContain('code');
    const missing = await runCli(['org', 'add', '--code', '312011', '--data', data]);
    expect(missing.code).toBe(2);
    const list = await runCli(['org', 'list', '--json', '--data', data]);
    const orgs = JSON.parse(list.stdout) as { code: string }[];
    expect(orgs.map((o) => o.code)).toEqual(['312011']);
    // A clinic is a member organisation, attached to the municipality.
    expect((await runCli(['org', 'add', '--kind', 'clinic', '--code', '0110113719', '--name', 'テスト小児科クリニック', '--data', data])).code).toBe(0);
    expect((await runCli(['org', 'attach', '--tenant', '312011', '--member', '0110113719', '--data', data])).code).toBe(0);
    const members = JSON.parse((await runCli(['org', 'members', '--tenant', '312011', '--json', '--data', data])).stdout) as { code: string; relation: string }[];
    expect(members).toEqual([expect.objectContaining({ code: '0110113719', relation: 'clinic' })]);
    const notClinic = await runCli(['org', 'attach', '--tenant', '0110113719', '--member', '312011', '--data', data]);
    expect(notClinic.code).toBe(2);
    expect(notClinic.stderr).toContain('tenant');
    // Unknown organisation code for a tenant-scoped command.
    const unknown = await runCli(['account', 'review', '--tenant', '131016', '--data', data]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('tenant');
  });

  it('db migrate applies nothing twice; an edited migration is refused', async () => {
    const d = join(tmp, 'mig');
    const first = await runCli(['db', 'migrate', '--data', d]);
    expect(first.code).toBe(0);
    const again = await runCli(['db', 'migrate', '--data', d]);
    expect(again.stdout).toContain('未適用のマイグレーションはありません');
    const status = await runCli(['db', 'status', '--data', d]);
    expect(status.stdout).toContain('kernel/1');
    // A copy of the source tree with one applied migration edited must be refused.
    const src = join(tmp, 'edited');
    cpSync(join(ROOT, 'src'), join(src, 'src'), { recursive: true });
    cpSync(join(ROOT, 'bin'), join(src, 'bin'), { recursive: true });
    const f = join(src, 'src', 'kernel', 'migrations', '0001_kernel.sql');
    writeFileSync(f, readFileSync(f, 'utf8') + '\n-- edited after it was applied\n');
    const { symlinkSync } = await import('node:fs');
    symlinkSync(join(ROOT, 'node_modules'), join(src, 'node_modules'));
    writeFileSync(join(src, 'package.json'), readFileSync(join(ROOT, 'package.json')));
    const r = await new Promise<{ code: number; err: string }>((resolve) => {
      const c = spawn(process.execPath, [join(src, 'bin', 'mamori'), 'db', 'migrate', '--data', d], { env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      c.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
      c.on('close', (code) => resolve({ code: code ?? 1, err }));
    });
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('MIGRATION_CHANGED');
  });
});

describe('mamori demo and serve', () => {
  it('the README run command serves on embedded data with no PostgreSQL server (demo organisations and credentials printed)', async () => {
    const data = join(tmp, 'demo');
    const prep = await runCli(['demo', '--no-serve', '--no-data-load', '--data', data]);
    expect(prep.code).toBe(0);
    // A restart prints the same initial passwords (decision 0087) until they are changed.
    const again = await runCli(['demo', '--no-serve', '--no-data-load', '--data', data]);
    expect(again.stdout.match(/初期パスワード: \S{16}/g)).toEqual(prep.stdout.match(/初期パスワード: \S{16}/g));
    expect(prep.stdout.match(/初期パスワード: \S{16}/g)).toHaveLength(8);
    expect(prep.stdout).toContain('鳥取市（団体コード 312011）');
    expect(prep.stdout).toContain('江戸川区（団体コード 131237）');
    expect(prep.stdout).toMatch(/初期パスワード: \S{16}/);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const { child, output } = serveChild(['demo', '--no-data-load', '--port', String(port), '--data', data], { DATABASE_URL: '' });
    try {
      const res = await waitFor(`http://127.0.0.1:${port}/healthz`);
      expect(await res.json()).toEqual({ status: 'ok', database: 'embedded' });
      const login = await fetch(`http://127.0.0.1:${port}/login`);
      expect(await login.text()).toContain('団体コード');
      // The banner follows once every organisation is up (the staff node answers first).
      await expect.poll(output, { timeout: 60_000 }).toContain(`http://localhost:${port}/`);
    } finally {
      expect(await stop(child)).toBe(0);
    }
  });

  it('DATABASE_URL=… mamori serve works against a PostgreSQL server', async () => {
    const f = await freshConfig('server');
    try {
      const port = 20000 + Math.floor(Math.random() * 20000);
      const { child } = serveChild(['serve', '--port', String(port), '--data', join(f.tmp, 'keys-only')], { DATABASE_URL: f.config.databaseUrl! });
      try {
        const res = await waitFor(`http://127.0.0.1:${port}/healthz`);
        expect(await res.json()).toEqual({ status: 'ok', database: 'server' });
      } finally {
        expect(await stop(child)).toBe(0);
      }
    } finally {
      await f.drop();
    }
  });
});

describe('mamori bench JSON contract', () => {
  it('writes {"cases":[{name,value,unit,baseline,baselineUnit,ratio,goal,pass}]}', async () => {
    const out = join(tmp, 'bench.json');
    const r = await runCli(['bench', '--quick', '--case', 'vault.seal', '--json', out]);
    expect(r.code).toBe(0);
    const j = JSON.parse(readFileSync(out, 'utf8')) as { cases: Record<string, unknown>[] };
    expect(j.cases).toHaveLength(1);
    expect(Object.keys(j.cases[0]!)).toEqual(expect.arrayContaining(['name', 'value', 'unit', 'baseline', 'baselineUnit', 'ratio', 'goal', 'pass']));
    expect(j.cases[0]!['name']).toBe('vault.seal');
    expect(j.cases[0]!['value']).toBeGreaterThan(0);
    expect(j.cases[0]!['baseline']).toBeGreaterThan(0);
    expect(r.stdout).toContain('vault.seal');
  });
});
