// `mamori import eligibility FILE --tenant CODE --kind … [--json]` and `mamori copay rules set|list` as
// subprocesses (docs/formats/eligibility-csv.md, docs/formats/copay-rules.md; RES-21, VAX-29): exactly the
// JSON keys, bad rows named, the same file again changing nothing, and a run stopped part-way resumed.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importEligibility } from '../../src/municipality/copay/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { addTenant, operatorOf, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { runCli } from '../harness/cli.js';
import { findMyNumbers } from '../harness/leaks.js';
import { person, writeCsv } from '../harness/residents.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-copay-cli-'));
let app: TestApp;
let env: NodeJS.ProcessEnv;
let atenas: string[];

beforeAll(async () => {
  app = await testApp('server');
  await addTenant(app, TOTTORI, '鳥取市');
  await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'r.csv'), 'full', [1, 2, 3].map((i) => person(i, { 生年月日: '19500601' }))), kind: 'full' });
  atenas = (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons ORDER BY atena_no`.execute(app.db.system)).rows.map((r) => r.atena_no);
  env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness };
}, 120_000);

afterAll(async () => {
  await app?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const T = ['--tenant', TOTTORI];

describe('mamori import eligibility / copay rules', () => {
  it('imports a 課税 file with --json: counts, the bad row named; again: alreadyImported', async () => {
    const file = join(dir, 'kazei.csv');
    writeFileSync(file, `宛名番号,賦課年度,課税区分\r\n${atenas[0]},2026,非課税\r\n${atenas[1]},2026,課税\r\n${atenas[2]},26,非課税\r\n`);
    const r = await runCli(['import', 'eligibility', file, ...T, '--kind', 'kazei', '--json', '--report', join(dir, 'rejects.csv')], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(out).sort()).toEqual(['accepted', 'alreadyImported', 'created', 'encoding', 'kind', 'rejected', 'rejects', 'resumedFromRow', 'rows', 'runId', 'unchanged', 'updated']);
    expect(out).toMatchObject({ accepted: 2, rejected: 1, created: 2, alreadyImported: false, kind: 'kazei', rejects: [{ rowNo: 3, field: '賦課年度', code: 'FORMAT' }] });
    expect(readFileSync(join(dir, 'rejects.csv'), 'utf8')).toContain('4,賦課年度,FORMAT');
    const again = await runCli(['import', 'eligibility', file, ...T, '--kind', 'kazei', '--json'], { env });
    expect(JSON.parse(again.stdout)).toMatchObject({ alreadyImported: true, created: 0, updated: 0 });
    const human = await runCli(['import', 'eligibility', file, ...T, '--kind', 'kazei'], { env });
    expect(human.stdout).toContain('取込済み');
    expect(findMyNumbers(r.stdout + r.stderr + human.stdout + human.stderr)).toEqual([]);
  });

  it('refuses an unknown --kind and a file of another format (nothing written)', async () => {
    const bad = await runCli(['import', 'eligibility', join(dir, 'kazei.csv'), ...T, '--kind', 'nenkin'], { env });
    expect(bad.code).not.toBe(0);
    const wrong = await runCli(['import', 'eligibility', join(dir, 'kazei.csv'), ...T, '--kind', 'kaigo', '--json'], { env });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('所得段階');
  });

  it('a run stopped part-way is resumed after its last committed batch, and nothing is written twice', async () => {
    const file = join(dir, 'seiho.csv');
    writeFileSync(file, `宛名番号,ケース番号,区分,開始日,終了日\r\n${atenas.map((a, i) => `${a},C-${i},受給,20260401,`).join('\r\n')}\r\n`);
    // The process "dies" right after the first batch committed.
    await expect(importEligibility(app.db, operatorOf(TOTTORI), { kind: 'seikatsuhogo', file, batchSize: 1, onProgress: (n) => { if (n === 1) throw new Error('crash'); } })).rejects.toThrow('crash');
    const r = await runCli(['import', 'eligibility', file, ...T, '--kind', 'seikatsuhogo', '--json'], { env });
    expect(JSON.parse(r.stdout)).toMatchObject({ resumedFromRow: 1, accepted: 3, created: 3, rejected: 0 });
    expect((await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.eligibility_welfare`.execute(app.db.system)).rows[0]!.n).toBe(3);
  });

  it('sets and lists copay rules from a JSON file; a rule with a category without amount is refused with the field named', async () => {
    const good = join(dir, 'rule.json');
    writeFileSync(good, JSON.stringify({ program: 'influenza-elderly', fiscalYear: 2026, rule: { amounts: { 一般: 2500, 生活保護: 0 }, defaultCategory: '一般', exemptions: [{ basis: 'seikatsuhogo', category: '生活保護' }], exemptQuestionnaire: true } }));
    const s = await runCli(['copay', 'rules', 'set', good, ...T, '--json'], { env });
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ program: 'influenza-elderly', fiscalYear: 2026, rule: { collection: 'clinic' } });
    const l = await runCli(['copay', 'rules', 'list', ...T], { env });
    expect(l.stdout).toContain('令和8年度');
    expect(l.stdout).toContain('生活保護→生活保護');
    const badFile = join(dir, 'bad.json');
    writeFileSync(badFile, JSON.stringify({ program: 'influenza-elderly', fiscalYear: 2026, rule: { amounts: { 一般: 2500 }, defaultCategory: '一般', exemptions: [{ basis: 'hikazei', category: '免除' }] } }));
    const b = await runCli(['copay', 'rules', 'set', badFile, ...T], { env });
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain('区分「免除」の金額がありません');
  });
});
