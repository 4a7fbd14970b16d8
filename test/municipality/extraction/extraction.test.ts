// Extraction runs (issue 5 point 1; VAX-04, VAX-06): reproducible content hash (also across chunk sizes and
// a resumed run), exclusions by status as of the date, the 支援措置 flag, filters, the diff against the
// previous run after a 住基 movement file and a recorded dose, access, and the one log entry per run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { importResidents } from '../../../src/municipality/residents/index.js';
import { createRecord, personTimeline, setCondition } from '../../../src/municipality/records/index.js';
import { getExtractionRun, iterateRunMembers, listExtractionRuns, listRunDiff, listRunMembers, resumeExtraction, startExtraction, type RunMember } from '../../../src/municipality/extraction/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { movement, person, writeCsv } from '../../harness/residents.js';
import { buildTown, TOWN } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-extract-'));
const AS_OF = '2026-11-21';

describe('extraction runs', () => {
  let app: TestApp;
  let nurse: Principal;
  let id: Record<keyof typeof TOWN, string>;
  const members = async (runId: string, who = nurse): Promise<RunMember[]> => {
    const out: RunMember[] = [];
    await runAs(app.db, who, async (w) => {
      for await (const b of iterateRunMembers(w, runId, { batch: 3 })) out.push(...b);
    });
    return out;
  };
  const pairs = (ms: readonly RunMember[]) => ms.map((m) => `${m.atenaNo}:${m.program}`).sort();

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    id = await buildTown(app, operatorOf(TOTTORI), dir);
  });
  afterAll(async () => {
    await app.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('対象者抽出: residents as of the date only — moved out, deceased and 職権消除 are excluded and counted', async () => {
    const r = await startExtraction(app.db, nurse, { kind: 'targets', programs: ['hib', 'bcg'], asOf: AS_OF });
    expect(r.run).toMatchObject({ status: 'complete', kind: 'targets', programs: ['bcg', 'hib'], all: false });
    expect(r.run.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const ms = await members(r.run.id);
    expect(pairs(ms)).toEqual([`${id.A}:bcg`, `${id.A}:hib`, `${id.B}:bcg`, `${id.B}:hib`, `${id.G}:bcg`, `${id.G}:hib`].sort());
    expect(r.run.counts).toMatchObject({ persons: 8, evaluated: 5, members: 6, memberPersons: 3, protectedPersons: 1 });
    expect(r.run.counts.excluded).toMatchObject({ 'moved-out': 1, deceased: 1, removed: 1 });
    expect(r.run.counts.byProgram['hib']).toMatchObject({ members: 3, due: 3 });
    const hib = ms.find((m) => m.atenaNo === id.A && m.program === 'hib')!;
    expect(hib).toMatchObject({ dose: 1, status: 'due', protected: false, earliest: '2026-10-14', nameKanji: expect.any(String), birthDate: '2026-08-15' });
    expect(r.diff).toBeNull();
  });

  it('…but included when the as-of date is before the move, the death and the removal', async () => {
    const r = await startExtraction(app.db, nurse, { kind: 'targets', programs: ['hib'], asOf: '2026-09-30' });
    expect(pairs(await members(r.run.id))).toEqual([id.A, id.B, id.C, id.D, id.E, id.G].map((a) => `${a}:hib`).sort());
    expect(r.run.counts.excluded).toMatchObject({ 'moved-out': 0, deceased: 0, removed: 0 });
  });

  it('支援措置: the person stays a target, flagged so that nothing is mailed to them', async () => {
    const r = await startExtraction(app.db, nurse, { programs: ['hib'], asOf: AS_OF });
    const ms = await members(r.run.id);
    expect(ms.find((m) => m.atenaNo === id.B)).toMatchObject({ protected: true });
    expect(ms.filter((m) => m.protected).map((m) => m.atenaNo)).toEqual([id.B]);
    // Members carry no address of any kind.
    expect(Object.keys(ms[0]!).some((k) => /address|postal|mail/i.test(k))).toBe(false);
  });

  it('the same inputs and data give the same hash — whatever the chunk size; different inputs a different one', async () => {
    const a = await startExtraction(app.db, nurse, { kind: 'targets', all: true, asOf: AS_OF });
    const b = await startExtraction(app.db, nurse, { kind: 'targets', all: true, asOf: AS_OF, chunkSize: 2 });
    expect(a.run.id).not.toBe(b.run.id);
    expect(b.run.chunksDone).toBe(4);
    expect(b.run.contentHash).toBe(a.run.contentHash);
    expect(pairs(await members(b.run.id))).toEqual(pairs(await members(a.run.id)));
    expect(a.run.programs.length).toBeGreaterThan(10);
    // The elderly person (65 in FY2026) is a target of the B類 programs.
    expect((await members(a.run.id)).filter((m) => m.atenaNo === id.H).map((m) => m.program)).toEqual(expect.arrayContaining(['influenza-elderly', 'pneumococcal-elderly']));
    const c = await startExtraction(app.db, nurse, { kind: 'targets', all: true, asOf: '2026-11-20' });
    expect(c.run.contentHash).not.toBe(a.run.contentHash);
  });

  it('resumes an interrupted run after its cursor and ends with the same members and hash', async () => {
    const clean = await startExtraction(app.db, nurse, { kind: 'targets', all: true, asOf: AS_OF, chunkSize: 3 });
    const cut = await startExtraction(app.db, nurse, { kind: 'targets', all: true, asOf: AS_OF, chunkSize: 3 }, { stopAfterChunks: 2 });
    expect(cut.run).toMatchObject({ status: 'running', chunksDone: 2, contentHash: null });
    expect(cut.run.cursor).not.toBe('');
    const done = await resumeExtraction(app.db, nurse, cut.run.id, { rehashPage: 4 });
    expect(done.resumedAfter).toBe(cut.run.cursor);
    expect(done.run).toMatchObject({ status: 'complete', chunksDone: 3, resumed: 1, contentHash: clean.run.contentHash });
    expect(done.run.counts).toEqual(clean.run.counts);
    await expect(resumeExtraction(app.db, nurse, cut.run.id)).rejects.toMatchObject({ status: 409, code: 'RUN_COMPLETE' });
  });

  it('filters: birth-date range, district and fiscal year', async () => {
    const adults = await startExtraction(app.db, nurse, { programs: ['hib'], asOf: AS_OF, birthTo: '2000-01-01' });
    expect(adults.run.counts).toMatchObject({ persons: 2, members: 0 });
    const d2 = await startExtraction(app.db, nurse, { programs: ['hib'], asOf: AS_OF, districts: ['02'] });
    expect(pairs(await members(d2.run.id))).toEqual([`${id.G}:hib`]);
    expect(d2.run.counts.excluded.district).toBe(4);
    // MR 第1期 opens at 12 months (2027-08): not a target this fiscal year, a target for FY2027.
    const now = await startExtraction(app.db, nurse, { programs: ['mr-1'], asOf: AS_OF });
    expect(now.run.counts.members).toBe(0);
    expect(now.run.counts.byProgram['mr-1']).toMatchObject({ upcoming: 3 });
    const next = await startExtraction(app.db, nurse, { programs: ['mr-1'], asOf: AS_OF, fiscalYear: 2027 });
    expect(pairs(await members(next.run.id))).toEqual([id.A, id.B, id.G].map((a) => `${a}:mr-1`).sort());
    await expect(startExtraction(app.db, nurse, { programs: ['hib'], asOf: AS_OF, fiscalYear: 2025 })).rejects.toMatchObject({ status: 400, errors: [{ field: 'fiscalYear' }] });
    await expect(startExtraction(app.db, nurse, { programs: ['no-such'], asOf: AS_OF })).rejects.toMatchObject({ status: 400, errors: [{ field: 'programs' }] });
    await expect(startExtraction(app.db, nurse, { asOf: AS_OF })).rejects.toMatchObject({ status: 400, errors: [{ field: 'programs' }] });
  });

  it('未接種者抽出: due and past the standard period, or the window ends within the fiscal year', async () => {
    // The elderly person's 帯状疱疹 window ends with FY2026 (65歳となる年度): a 勧奨 target; 高齢者肺炎球菌
    // runs until the day before the 66th birthday (2027-04-30), after the fiscal year: not yet.
    const r = await startExtraction(app.db, nurse, { kind: 'unvaccinated', programs: ['zoster-elderly', 'pneumococcal-elderly', 'hib'], asOf: AS_OF });
    const ms = await members(r.run.id);
    expect(ms.filter((m) => m.program === 'zoster-elderly')).toMatchObject([{ atenaNo: id.H, status: 'due', latest: '2027-03-31' }]);
    expect(ms.filter((m) => m.program === 'pneumococcal-elderly')).toEqual([]);
    const next = await startExtraction(app.db, nurse, { kind: 'unvaccinated', programs: ['pneumococcal-elderly'], asOf: AS_OF, fiscalYear: 2027 });
    expect((await members(next.run.id)).map((m) => m.atenaNo)).toEqual([id.H]);
    // Babies 3 months old are due for Hib but within the standard period and the window runs for years.
    expect(ms.filter((m) => m.program === 'hib')).toEqual([]);
  });

  it('diff against the previous run after a 住基 movement file and a recorded dose: new and dropped persons', async () => {
    const params = { kind: 'targets', programs: ['hib', 'bcg'], asOf: AS_OF, districts: ['01', '02'] };
    const first = await startExtraction(app.db, nurse, params);
    expect(first.diff).toBeNull();
    const born = person(9, { 生年月日: '20260920', 住民となった日: '20260920', 最新異動日: '20260920', 地区コード: '02' });
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'town-nov.csv'), 'diff', [
        movement('Y-1', '02', '20260920', born),
        movement('Y-2', '11', '20261110', { ...TOWN.G, 転出先住所: '東京都千代田区千代田１番１号', 住民でなくなった日: '20261110', 消除事由: '転出' }),
      ]),
    });
    const newborn = (await app.db.system.selectFrom('municipality.persons').select('atena_no').where('juminhyo_code', '=', born['住民票コード']!).executeTakeFirstOrThrow()).atena_no;
    await runAs(app.db, nurse, (w) => createRecord(w, id.A, { product: 'bcg', vaccinatedOn: '2026-11-16' }, { source: 'staff' }));
    const second = await startExtraction(app.db, nurse, params);
    expect(second.run.previousRunId).toBe(first.run.id);
    expect(second.diff).toMatchObject({ previousRunId: first.run.id, added: 2, dropped: 3, addedPersons: 1, droppedPersons: 2, byProgram: { hib: { added: 1, dropped: 1 }, bcg: { added: 1, dropped: 2 } } });
    const added = await runAs(app.db, nurse, (w) => listRunDiff(w, second.run.id, 'added'));
    expect(pairs(added.members)).toEqual([`${newborn}:bcg`, `${newborn}:hib`]);
    const dropped = await runAs(app.db, nurse, (w) => listRunDiff(w, second.run.id, 'dropped'));
    expect(pairs(dropped.members)).toEqual([`${id.A}:bcg`, `${id.G}:bcg`, `${id.G}:hib`].sort());
    // A run with other parameters is not "the previous run".
    const other = await startExtraction(app.db, nurse, { ...params, districts: ['01'] });
    expect(other.run.previousRunId).toBeNull();
  });

  it('agrees with the person\'s timeline: the same engine inputs (doses, conditions) as one person at a time', async () => {
    await runAs(app.db, nurse, (w) => createRecord(w, id.A, { product: 'hib', vaccinatedOn: '2026-10-20' }, { source: 'staff' }));
    await runAs(app.db, nurse, (w) => setCondition(w, id.A, { code: 'had-varicella' }));
    const r = await startExtraction(app.db, nurse, { all: true, asOf: AS_OF });
    const t = await runAs(app.db, nurse, (w) => personTimeline(w, id.A, AS_OF));
    const mine = (await members(r.run.id)).filter((m) => m.atenaNo === id.A);
    expect(mine.map((m) => m.program)).toContain('hib');
    expect(mine.find((m) => m.program === 'hib')).toMatchObject({ dose: 2 });
    for (const m of mine) {
      const e = t.evaluation.results.find((x) => x.program === m.program)!;
      expect([m.status, m.dose, m.earliest, m.latest, m.standardFrom, m.standardUntil], m.program).toEqual([e.status, e.nextDose!.dose, e.nextDose!.earliest, e.nextDose!.latest, e.nextDose!.standardFrom, e.nextDose!.standardUntil]);
    }
    const dueOrUpcoming = t.evaluation.results.filter((x) => (x.status === 'due' || x.status === 'upcoming') && x.nextDose!.earliest <= '2027-03-31').map((x) => x.program);
    expect(mine.map((m) => m.program).sort()).toEqual(dueOrUpcoming.sort());
  });

  it('lists runs and pages members; each page and each run is one operation-log entry', async () => {
    const before = Number((await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE target_type = 'extraction-run'`.execute(app.db.system)).rows[0]!.n);
    const r = await startExtraction(app.db, nurse, { programs: ['hib'], asOf: AS_OF, chunkSize: 1 });
    const entries = (await sql<{ detail: Record<string, unknown>; actor_login: string; purpose: string }>`SELECT detail, actor_login, purpose FROM kernel.audit_log WHERE target_type = 'extraction-run' ORDER BY id DESC`.execute(app.db.system)).rows;
    expect(entries.length).toBe(before + 1);
    expect(entries[0]).toMatchObject({ actor_login: 'nurse', purpose: '対象者抽出（予診票・案内）', detail: { kind: 'targets', asOf: AS_OF, programs: ['hib'], members: r.run.counts.members, contentHash: r.run.contentHash } });
    const page = await runAs(app.db, nurse, (w) => listRunMembers(w, r.run.id, { limit: 2, offset: 1 }));
    expect(page.total).toBe(r.run.counts.members);
    expect(page.members).toHaveLength(2);
    const runs = await runAs(app.db, nurse, (w) => listExtractionRuns(w));
    expect(runs[0]!.id).toBe(r.run.id);
    expect(await runAs(app.db, nurse, (w) => getExtractionRun(w, r.run.id))).toEqual(r.run);
  });

  it('another duty may not run or read extractions (403, logged)', async () => {
    const addr = (await staff(app, TOTTORI, { login: 'addr', duties: ['addressee'] })).principal;
    await expect(startExtraction(app.db, addr, { programs: ['hib'], asOf: AS_OF })).rejects.toMatchObject({ status: 403 });
    const runs = await runAs(app.db, nurse, (w) => listExtractionRuns(w, { limit: 1 }));
    await expect(members(runs[0]!.id, addr)).rejects.toMatchObject({ status: 403 });
    const denied = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE actor_login = 'addr' AND action = 'access_denied'`.execute(app.db.system)).rows[0]!.n;
    expect(denied).toBeGreaterThanOrEqual(2);
  });
});
