// Issue 6: the synthetic city (`mamori synth city`), loading it through the real imports, the crash drill
// and the backup.restore bench's logic — all on small cities (the measured runs are in docs/benchmarks.md).
// The files hold synthetic My Numbers and names: nothing here prints their contents.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseDigest, openApp, runDrill } from '../../../src/app/index.js';
import { backupRestoreRun } from '../../../src/app/city-bench.js';
import { newMeta, systemActor } from '../../../src/kernel/context/index.js';
import { addOrganisation } from '../../../src/kernel/tenancy/index.js';
import { RECORD_COLUMNS } from '../../../src/municipality/records/index.js';
import { loadCity, readCityManifest, writeSyntheticCity, type CityManifest } from '../../../src/municipality/synth/index.js';
import { freshConfig, serverUrl } from '../../harness/app.js';
import { runCli } from '../../harness/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'mamori-city-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A small city: 300 residents, two movement weeks, doses from October 2025 (≈ 20 files). */
const SMALL = { residents: 300, seed: 'city-test', weeks: 2, historyFrom: '2025-10-01' } as const;

describe('synth city: files', () => {
  const a = writeSyntheticCity({ ...SMALL, out: join(tmp, 'a') });

  it('same seed → same bytes and content hash; another seed → another hash', () => {
    const b = writeSyntheticCity({ ...SMALL, out: join(tmp, 'b') });
    expect(b.contentHash).toBe(a.contentHash);
    expect(b.files.map((f) => [f.path, f.sha256])).toEqual(a.files.map((f) => [f.path, f.sha256]));
    expect(readFileSync(join(tmp, 'b', 'manifest.json'), 'utf8')).toBe(readFileSync(join(tmp, 'a', 'manifest.json'), 'utf8'));
    const c = writeSyntheticCity({ ...SMALL, seed: 'city-test-2', out: join(tmp, 'c') });
    expect(c.contentHash).not.toBe(a.contentHash);
  });

  it('lists the snapshot, the movement weeks and the monthly batches in import order, with exact hashes', () => {
    expect(a.files[0]).toMatchObject({ path: 'residents/jumin.csv', kind: 'residents-full', encoding: 'sjis', rows: a.counts.residents });
    expect(a.files.slice(1, 3).map((f) => [f.kind, f.week])).toEqual([
      ['residents-diff', 1],
      ['residents-diff', 2],
    ]);
    const batches = a.files.filter((f) => f.kind === 'records-clinic');
    expect(batches.length).toBe(a.counts.recordFiles);
    expect(batches.map((f) => f.claimMonth)).toEqual([...batches.map((f) => f.claimMonth)].sort());
    expect(batches.reduce((s, f) => s + f.rows, 0)).toBe(a.counts.recordRows);
    // Contractor files in CP932, hospital files in UTF-8 with BOM; every one has the clinic-batch header.
    for (const f of batches) {
      const bytes = readFileSync(join(tmp, 'a', f.path));
      const text = f.encoding === 'sjis' ? iconv.decode(bytes, 'cp932') : bytes.toString('utf8');
      expect(f.encoding === 'utf8' ? text.startsWith('\uFEFF') : !text.startsWith('\uFEFF')).toBe(true);
      expect(text.replace(/^\uFEFF/, '').split('\r\n')[0]).toBe(RECORD_COLUMNS.join(','));
    }
    expect(readCityManifest(join(tmp, 'a')).contentHash).toBe(a.contentHash);
  });

  it('holds the rows a real ledger holds: 4情報 rows, 接種日不明, resubmissions, late reports and a few bad rows (at scale)', () => {
    const big = writeSyntheticCity({ residents: 3000, seed: 'city-mix', weeks: 0, historyFrom: '2012-04-01', out: join(tmp, 'mix') });
    const c = big.counts;
    expect(c.fourInfoRows).toBeGreaterThan(c.recordRows * 0.015);
    expect(c.dateUnknownRows).toBeGreaterThan(0);
    expect(c.resubmissions).toBeGreaterThan(0);
    expect(c.notYetReported).toBeGreaterThan(0);
    expect(c.doses).toBe(c.recordRows - c.resubmissions + c.notYetReported);
    // Product switches over the years are all there.
    for (const p of ['pcv13', 'pcv20', 'dpt-ipv', 'dpt-ipv-hib', 'hpv9', 'influenza', 'ppsv23', 'zoster-recombinant']) expect(c.dosesByProduct[p] ?? 0).toBeGreaterThan(0);
    // The share of residents with doses follows the age pyramid: children and the elderly.
    expect(c.vaccinatedPersons / c.residents).toBeGreaterThan(0.3);
    expect(c.vaccinatedPersons / c.residents).toBeLessThan(0.7);
    rmSync(join(tmp, 'mix'), { recursive: true, force: true });
  });

  it('refuses bad options naming the field', () => {
    expect(() => writeSyntheticCity({ ...SMALL, weeks: 99, out: join(tmp, 'x') })).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ field: 'weeks' })] }));
    expect(() => writeSyntheticCity({ ...SMALL, historyFrom: '2030-01-01', out: join(tmp, 'x') })).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ field: 'history-from' })] }));
  });
});

describe('synth city: loading through the imports (server)', () => {
  it('the files import with the counts the manifest predicts, and a second load changes nothing', async () => {
    const dir = join(tmp, 'load');
    const m: CityManifest = writeSyntheticCity({ ...SMALL, out: dir });
    const f = await freshConfig('server');
    const app = await openApp(f.config);
    try {
      const tenant = m.options.tenant;
      await addOrganisation(app.db.system, app.tenantKeys, { code: tenant, name: '仙台市', kind: 'municipality' });
      const who = { tenant, actor: systemActor('test'), meta: newMeta('test:city') };
      const s = await loadCity(app, who, dir);
      const bad = Object.values(m.counts.badRows).reduce((x, y) => x + y, 0);
      expect(s.residents).toMatchObject({ files: 1 + SMALL.weeks, rejected: 0, queued: 0, alreadyImported: 0 });
      expect(s.residents.rows).toBe(m.files.filter((x) => x.kind !== 'records-clinic').reduce((x, y) => x + y.rows, 0));
      expect(s.records.rows).toBe(m.counts.recordRows);
      expect(s.records.rejected).toBe(bad);
      expect(s.records.created + s.records.unchanged + s.records.queued + s.records.rejected).toBe(m.counts.recordRows);
      expect(s.records.queued).toBeLessThanOrEqual(m.counts.fourInfoRows);
      const d = await databaseDigest(app.db, { tenant });
      const rows = Object.fromEntries(d.tables.map((t) => [t.table, t.rows]));
      expect(rows['municipality.vaccination_records']).toBe(s.records.created);
      expect(rows['municipality.persons']).toBe(s.residents.created);
      expect(rows['municipality.import_runs']).toBe(m.files.length);
      // Idempotent: every file is found imported, nothing changes.
      const again = await loadCity(app, who, dir);
      expect(again.residents.alreadyImported + again.records.alreadyImported).toBe(m.files.length);
      expect((await databaseDigest(app.db, { tenant })).sha256).toBe(d.sha256);
    } finally {
      await app.close();
      await f.drop();
    }
  }, 300_000);

  it('--into-db gives the same database as importing the --out files (CLI), and prints the content hash', async () => {
    const dir = join(tmp, 'cli');
    const args = ['synth', 'city', '--residents', String(SMALL.residents), '--seed', SMALL.seed, '--weeks', String(SMALL.weeks), '--history-from', SMALL.historyFrom];
    const [x, y] = [await freshConfig('server'), await freshConfig('server')];
    try {
      const out = await runCli([...args, '--out', dir, '--json'], { withholdStdout: true });
      expect(out.code).toBe(0);
      const written = JSON.parse(out.stdout) as { contentHash: string };
      expect(written.contentHash).toBe(readCityManifest(dir).contentHash);
      const env = (c: typeof x) => ({ env: { DATABASE_URL: c.config.databaseUrl! }, timeoutMs: 300_000, withholdStdout: true });
      expect((await runCli(['org', 'add', '--code', '041009', '--name', '仙台市', '--data', x.config.dataDir], env(x))).code).toBe(0);
      const imported = await runCli(['import', 'city', dir, '--tenant', '041009', '--json', '--data', x.config.dataDir], env(x));
      expect(imported.code).toBe(0);
      const intoDb = await runCli([...args, '--into-db', '--json', '--data', y.config.dataDir], env(y));
      expect(intoDb.code).toBe(0);
      const a = JSON.parse(imported.stdout) as { contentHash: string; database: { sha256: string; tables: { table: string; rows: number }[] } };
      const b = JSON.parse(intoDb.stdout) as { contentHash: string; database: { sha256: string; tables: { table: string; rows: number }[] } };
      expect(b.contentHash).toBe(written.contentHash);
      expect(a.contentHash).toBe(written.contentHash);
      expect(b.database.tables.find((t) => t.table === 'municipality.vaccination_records')!.rows).toBeGreaterThan(0);
      expect(b.database).toEqual(a.database);
    } finally {
      await x.drop();
      await y.drop();
    }
  }, 300_000);
});

describe('crash drill (tiny city)', () => {
  it('kills every operation at its points, completes every run, and matches the uninterrupted reference', async () => {
    const report = await runDrill({ residents: 200, seed: 'drill-test', weeks: 2, historyFrom: '2025-10-01', points: 2, chains: 1 });
    expect(report.results.map((r) => r.operation)).toEqual(['residents', 'records', 'extraction']);
    for (const r of report.results) {
      expect(r.points, r.operation).toBeGreaterThanOrEqual(2);
      expect(r, r.operation).toMatchObject({ allComplete: true, rowsEqual: true, hashesEqual: true, duplicates: 0, auditOk: true });
      expect(r.referenceRows, r.operation).toBeGreaterThan(0);
    }
    expect(report.pass).toBe(true);
  }, 600_000);
});

describe('backup.restore case logic (small city, not timed)', () => {
  it('restores the loaded city into a fresh database with equal counts, equal digest and a verified log', async () => {
    const r = await backupRestoreRun({ adminUrl: serverUrl('postgres'), residents: 300, seed: 'bench-test', weeks: 2, historyFrom: '2025-10-01' });
    expect(r.rows).toBeGreaterThan(1000);
    expect(r).toMatchObject({ countsEqual: true, digestEqual: true, auditOk: true });
    expect(r.restoredRows).toBe(r.rows);
    expect(r.backupBytes).toBeGreaterThan(0);
    expect(r.dumpBytes).toBeGreaterThan(0);
  }, 600_000);
});
