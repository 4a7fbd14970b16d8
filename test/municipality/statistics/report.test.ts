// Statistics over a small town (decisions 0075, 0076; VAX-28): 対象者数 and 接種者数 per program, dose and age
// band for 令和7年度 (FY2025), computed by the engine from the ledger; people who moved out before the 基準日 are not
// counted; small cells are suppressed; the CSV never shows a small count; the report is logged; duties apply.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { importResidents } from '../../../src/municipality/residents/index.js';
import { createRecord } from '../../../src/municipality/records/index.js';
import { computeStatistics, statisticsCsv, type StatisticsRow } from '../../../src/municipality/statistics/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { movement, person, writeCsv } from '../../harness/residents.js';
import { PageClient, startWeb } from '../../harness/web.js';
import { runCli } from '../../harness/cli.js';

const MAY = '20250510'; // 年度末（2026-03-31）に10か月
const DEC = '20251220'; // 年度末に3か月

describe('vaccination statistics', () => {
  let app: TestApp;
  let clerk: Principal;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-stats-'));

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    clerk = (await staff(app, TOTTORI, { login: 'stats-clerk', duties: ['vaccination'] })).principal;
    const rows = [
      ...Array.from({ length: 13 }, (_, i) => person(i + 1, { 生年月日: MAY, 住民となった日: MAY, 最新異動日: MAY })),
      ...Array.from({ length: 4 }, (_, i) => person(20 + i, { 生年月日: DEC, 住民となった日: DEC, 最新異動日: DEC })),
      person(30, { 生年月日: '19600601', 性別: '1', 続柄: '世帯主', 住民となった日: '19600601', 最新異動日: '19600601' }),
    ];
    const op = operatorOf(TOTTORI);
    await importResidents(app, op, { file: writeCsv(join(dir, 'town.csv'), 'full', rows), baseDate: '2025-04-01' });
    // Number 13 had a dose, then moved away in January: not a resident on the 基準日, not counted.
    await importResidents(app, op, { file: writeCsv(join(dir, 'move.csv'), 'diff', [movement('S-1', '11', '20260110', { ...rows[12]!, 転出先住所: '大阪府大阪市北区梅田一丁目', 住民でなくなった日: '20260110', 消除事由: '転出' })]) });
    const atena = new Map((await app.db.system.selectFrom('municipality.persons').select(['atena_no', 'juminhyo_code']).execute()).map((r) => [r.juminhyo_code, r.atena_no]));
    const of = (i: number) => atena.get(person(i)['住民票コード']!)!;
    await runAs(app.db, clerk, async (w) => {
      const give = (i: number, product: string, date: string) => createRecord(w, of(i), { product, vaccinatedOn: date, lot: 'AB1234' }, { source: 'counter' });
      for (const i of [1, 2, 3, 4, 5, 6, 7, 8, 13]) await give(i, 'hib', '2025-08-01');
      for (const i of [1, 2, 3, 4, 5]) await give(i, 'hib', '2025-09-15');
      await give(20, 'hib', '2026-03-01');
      await give(30, 'influenza', '2025-11-01');
    });
  }, 240_000);
  afterAll(async () => {
    await app.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const row = (rows: readonly StatisticsRow[], program: string, dose: number, band: string) => rows.find((r) => r.program === program && r.dose === dose && r.ageBand === band);

  it('counts targets and vaccinated per dose and age band as the engine sees the ledger', async () => {
    const r = await runAs(app.db, clerk, (w) => computeStatistics(w, { fiscalYear: 2025, threshold: 3 }));
    expect(r.period).toEqual({ from: '2025-04-01', until: '2026-03-31' });
    expect(r.population).toBe(17);
    // Dose 1: 12 May babies (number 13 moved out) and 4 December babies were due; 8 + 1 were vaccinated.
    expect(row(r.rows, 'hib', 1, 'all')).toMatchObject({ targets: { value: 16 }, vaccinated: { value: 9 }, rate: 56.3 });
    expect(row(r.rows, 'hib', 1, 'm06-11')!.targets).toEqual({ value: 12, suppressed: false });
    expect(row(r.rows, 'hib', 1, 'm00-05')!.targets).toEqual({ value: 4, suppressed: false });
    // One December baby vaccinated: a count of 1 is hidden, and so is the May count that would give it away.
    expect(row(r.rows, 'hib', 1, 'm00-05')!.vaccinated).toEqual({ value: null, suppressed: 'primary' });
    expect(row(r.rows, 'hib', 1, 'm06-11')!.vaccinated).toEqual({ value: null, suppressed: 'complementary' });
    expect(row(r.rows, 'hib', 1, 'm06-11')!.rate).toBeNull();
    // Dose 2: the 8 with a first dose (and the December baby whose second dose fell due on 29 March); 5 vaccinated.
    expect(row(r.rows, 'hib', 2, 'all')).toMatchObject({ targets: { value: 9 }, vaccinated: { value: 5 } });
    // Dose 3: due for the 5 with two doses, none given yet.
    expect(row(r.rows, 'hib', 3, 'all')).toMatchObject({ targets: { value: 5 }, vaccinated: { value: 0 }, rate: 0 });
    // The one elderly person's influenza dose: every cell of that group is hidden.
    const flu = r.rows.filter((x) => x.program === 'influenza-elderly');
    expect(flu.length).toBeGreaterThan(0);
    expect(flu.every((x) => x.targets.suppressed && x.vaccinated.suppressed && x.rate === null)).toBe(true);
    // Every 接種者数 ≤ 対象者数 where both are shown.
    for (const x of r.rows) if (!x.targets.suppressed && !x.vaccinated.suppressed) expect(x.vaccinated.value).toBeLessThanOrEqual(x.targets.value);
  });

  it('the CSV (default threshold 10) never holds a count from 1 to 9, and the report is logged once', async () => {
    const before = await app.db.system.selectFrom('kernel.audit_log').select('id').where('target_type', '=', 'vaccination-statistics').execute();
    const r = await runAs(app.db, clerk, (w) => computeStatistics(w, { fiscalYear: 2025 }));
    const csv = statisticsCsv(r);
    expect(csv.startsWith('\ufeff年度,基準日,予防接種')).toBe(true);
    const records = parse(csv.slice(1), { relax_column_count: true }) as string[][];
    const [head, ...body] = records;
    const ti = head!.indexOf('対象者数');
    const vi = head!.indexOf('接種者数');
    const data = body.filter((x) => x.length === head!.length);
    expect(data.length).toBe(r.rows.length);
    for (const x of data) for (const v of [x[ti]!, x[vi]!]) expect(v === '＊' || v === '0' || Number(v) >= 10).toBe(true);
    expect(data.some((x) => x[ti] === '16')).toBe(true);
    expect(csv).toContain('令和7年度');
    const after = await app.db.system.selectFrom('kernel.audit_log').select(['id', 'actor_login', 'action']).where('target_type', '=', 'vaccination-statistics').execute();
    expect(after.length).toBe(before.length + 1);
    expect(after.at(-1)).toMatchObject({ actor_login: 'stats-clerk', action: 'read' });
  });

  it('the CSV writes counts as numbers and neutralises text a spreadsheet would run as a formula (decision 0121)', () => {
    const row: StatisticsRow = { program: '=cmd', programName: '＋HYPERLINK("x")', category: '\u3000@SUM(A1)', dose: 1, ageBand: 'all', ageBandLabel: '\t=1+1', targets: { value: 20, suppressed: false }, vaccinated: { value: 12, suppressed: false }, rate: 60 };
    const csv = statisticsCsv({ fiscalYear: 2025, period: { from: '2025-04-01', until: '2026-03-31' }, catalogVersion: 't', threshold: 10, districts: null, population: 20, rows: [row], suppressedCells: 0 });
    const [, data] = parse(csv.slice(1), { relax_column_count: true }) as string[][];
    expect(data).toEqual(['2025年度（令和7年度）', '2026-03-31', `'＋HYPERLINK("x")`, "'=cmd", "'\u3000@SUM(A1)", '1回目', "'\t=1+1", '20', '12', '60.0']);
  });

  it('refuses a user without the vaccination duty, unknown programs and a 基準日 before the year', async () => {
    const other = (await staff(app, TOTTORI, { login: 'stats-atena', duties: ['addressee'] })).principal;
    await expect(runAs(app.db, other, (w) => computeStatistics(w, { fiscalYear: 2025 }))).rejects.toMatchObject({ status: 403 });
    await expect(runAs(app.db, clerk, (w) => computeStatistics(w, { fiscalYear: 2025, programs: ['no-such'] }))).rejects.toMatchObject({ status: 400, errors: [{ field: 'programs', code: 'UNKNOWN_PROGRAM' }] });
    await expect(runAs(app.db, clerk, (w) => computeStatistics(w, { fiscalYear: 2025, asOf: '2025-03-01' }))).rejects.toMatchObject({ status: 400 });
    await expect(runAs(app.db, clerk, (w) => computeStatistics(w, { fiscalYear: 2025, threshold: 1 }))).rejects.toMatchObject({ status: 400 });
  });

  it('the screen shows the table with ＊ for hidden cells and offers the CSV; another duty is refused', async () => {
    const web = await startWeb(app);
    try {
      const c = new PageClient(web.url);
      await c.login(TOTTORI, 'stats-clerk', 'Mamori-Test-2026!');
      const form = await c.get('/statistics');
      expect(form.status).toBe(200);
      expect(form.text).toContain('集計の条件');
      const shown = await c.get('/statistics?fiscalYear=2025&threshold=3&programs=hib');
      expect(shown.status).toBe(200);
      expect(shown.text).toContain('0歳（6〜11か月）');
      expect(shown.text).toContain('56.3%');
      expect(shown.text).toContain('＊');
      const link = /href="(\/statistics\.csv\?[^"]+)"/.exec(shown.text)![1]!.replace(/&amp;/g, '&');
      const csv = await c.get(link);
      expect(csv.res.headers.get('content-type')).toContain('text/csv');
      expect(csv.res.headers.get('content-disposition')).toContain('vaccination-statistics-2025.csv');
      expect(csv.text).toContain('Hib感染症');
      const bad = await c.get('/statistics?fiscalYear=1999');
      expect(bad.status).toBe(400);
      expect(bad.text).toContain('2000年度以降');
      const other = new PageClient(web.url);
      await other.login(TOTTORI, 'stats-atena', 'Mamori-Test-2026!');
      expect((await other.get('/statistics?fiscalYear=2025')).status).toBe(403);
    } finally {
      await web.close();
    }
  });

  it('mamori statistics prints the same figures as JSON and writes the CSV; a bad year exits 2 naming the field', async () => {
    const env = { DATABASE_URL: app.databaseUrl! };
    const data = ['--data', app.config.dataDir];
    const r = await runCli(['statistics', '--tenant', TOTTORI, '--fiscal-year', '2025', '--threshold', '3', '--program', 'hib', '--json', '--csv', join(dir, 'stats.csv'), ...data], { env });
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { population: number; rows: { program: string; dose: number; ageBand: string; targets: number | string; vaccinated: number | string; rate: number | null }[] };
    expect(j.population).toBe(17);
    expect(j.rows.find((x) => x.dose === 1 && x.ageBand === 'all')).toMatchObject({ targets: 16, vaccinated: 9, rate: 56.3 });
    expect(j.rows.find((x) => x.dose === 1 && x.ageBand === 'm00-05')).toMatchObject({ targets: 4, vaccinated: '＊' });
    expect(j.rows.every((x) => x.program === 'hib')).toBe(true);
    const bad = await runCli(['statistics', '--tenant', TOTTORI, '--fiscal-year', 'x', ...data], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('fiscalYear');
  }, 120_000);
});
