// 接種できる期間 and the post (decision 0102): a run member whose window ends before the document can arrive
// (issue date + the municipality's 郵送日数, default 14) is not sent one, and the batch says why; a 予診票
// needs a window at all.  Every date here is explicit — nothing depends on today.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { addDays } from '../../../src/kernel/jp/index.js';
import { batchItems, createBatchFromRun, DEFAULT_MAILING_LEAD_DAYS, getBatch, getMailingLeadDays, issueForPerson, saveNoticeSettings, skipLabel, windowSkip, type NoticeDeps, type RunMember, type RunSource } from '../../../src/municipality/notices/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { expectProblem } from '../../harness/expect.js';
import { buildTown, SETTINGS, type Town } from './fixtures.js';

const ISSUE = '2026-12-01';

describe('windowSkip: the rule (decision 0102)', () => {
  const window = (until: string) => ({ from: '2026-04-01', until });

  it('mailed: a window ending on issue + lead − 1 is skipped, on issue + lead it is sent', () => {
    for (const lead of [0, 1, 7, 14, 30]) {
      expect(windowSkip('questionnaire', window(addDays(ISSUE, lead - 1)), ISSUE, lead, true), `lead ${lead}`).toBe('window-ends-before-arrival');
      expect(windowSkip('questionnaire', window(addDays(ISSUE, lead)), ISSUE, lead, true), `lead ${lead}`).toBeNull();
    }
    expect(addDays(ISSUE, DEFAULT_MAILING_LEAD_DAYS)).toBe('2026-12-15');
  });

  it('the same for every document a run makes; across a month and a year end', () => {
    for (const doc of ['questionnaire', 'guidance', 'reminder'] as const) {
      expect(windowSkip(doc, window('2027-01-03'), '2026-12-21', 14, true)).toBe('window-ends-before-arrival');
      expect(windowSkip(doc, window('2027-01-04'), '2026-12-21', 14, true)).toBeNull();
    }
  });

  it('窓口交付 (not posted): skipped only when the window has ended before the issue date', () => {
    expect(windowSkip('questionnaire', window(addDays(ISSUE, -1)), ISSUE, 14, false)).toBe('window-ends-before-arrival');
    expect(windowSkip('questionnaire', window(ISSUE), ISSUE, 14, false)).toBeNull();
  });

  it('no window: a 予診票 cannot be made (it must state the period); a notice can', () => {
    expect(windowSkip('questionnaire', null, ISSUE, 14, true)).toBe('no-window');
    expect(windowSkip('guidance', null, ISSUE, 14, true)).toBeNull();
    expect(skipLabel('window-ends-before-arrival')).toBe('接種できる期間が届く前に終わる');
    expect(skipLabel('no-window')).toBe('接種できる期間なし');
  });
});

describe('a batch from a run skips members whose window ends before the post arrives', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-window-'));
  let app: TestApp;
  let nurse: Principal;
  let deps: NoticeDeps;
  let town: Town;

  /** A completed run with these members (the extraction room's reading replaced). */
  const source = (members: readonly RunMember[]): { runs: RunSource; runId: string } => {
    const runId = randomUUID();
    return {
      runId,
      runs: {
        getExtractionRun: async () => ({ id: runId, status: 'complete', asOf: ISSUE }),
        async *iterateRunMembers() {
          yield members;
        },
      },
    };
  };
  const member = (atenaNo: string, until: string | null, protectedFlag = false): RunMember => ({ atenaNo, program: 'hib', dose: 1, earliest: until ? '2026-10-14' : null, latest: until, protected: protectedFlag });

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    deps = { keys: app.tenantKeys };
    town = await buildTown(app, operatorOf(TOTTORI), dir);
    await runAs(app.db, nurse, (w) => saveNoticeSettings(w, SETTINGS));
  });
  afterAll(async () => {
    await app.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('default 14 days: ends on issue+13 → skipped, on issue+14 → sent; no window → no 予診票; 窓口交付 is not held to the post', async () => {
    expect(await runAs(app.db, nurse, (w) => getMailingLeadDays(w))).toBe(14);
    const s = source([
      member(town.A, '2026-12-14'), // mailed, ends on issue + 13
      member(town.C, '2026-12-15'), // mailed, ends on issue + 14
      member(town.D, null), // no window
      member(town.B, ISSUE, true), // 支援措置: 窓口交付, ends on the issue date
    ]);
    const r = await runAs(app.db, nurse, (w) => createBatchFromRun(w, { ...deps, runs: s.runs }, { runId: s.runId, docType: 'questionnaire', issueDate: ISSUE }));
    const b = await runAs(app.db, nurse, (w) => getBatch(w, r.batchId));
    expect(b).toMatchObject({ issueDate: ISSUE, persons: 2, mailed: 1, counter: 1, skipped: 2, mailingLeadDays: 14, skippedDetail: { 'window-ends-before-arrival': 1, 'no-window': 1 } });
    const items = await runAs(app.db, nurse, (w) => batchItems(w, r.batchId));
    expect(items.map((i) => i.atenaNo).sort()).toEqual([town.B, town.C].sort());
    const c = items.find((i) => i.atenaNo === town.C)!;
    expect(c.document.program.period).toEqual({ from: '2026-10-14', until: '2026-12-15' });
    // What the batch page prints for the skipped.
    expect(Object.entries(b.skippedDetail).map(([k, n]) => `${skipLabel(k)} ${n}人`).sort()).toEqual(['接種できる期間が届く前に終わる 1人', '接種できる期間なし 1人']);
  });

  it('the municipality sets its own 郵送日数 (7): issue+6 → skipped, issue+7 → sent; a notice without a window is still sent', async () => {
    await runAs(app.db, nurse, (w) => saveNoticeSettings(w, { ...SETTINGS, mailingLeadDays: 7 }));
    expect(await runAs(app.db, nurse, (w) => getMailingLeadDays(w))).toBe(7);
    const s = source([member(town.A, '2026-12-07'), member(town.C, '2026-12-08'), member(town.D, null)]);
    const r = await runAs(app.db, nurse, (w) => createBatchFromRun(w, { ...deps, runs: s.runs }, { runId: s.runId, docType: 'guidance', issueDate: ISSUE }));
    const b = await runAs(app.db, nurse, (w) => getBatch(w, r.batchId));
    expect(b).toMatchObject({ persons: 2, skipped: 1, mailingLeadDays: 7, skippedDetail: { 'window-ends-before-arrival': 1 } });
    // Saving the sender block without the field keeps the value.
    await runAs(app.db, nurse, (w) => saveNoticeSettings(w, SETTINGS));
    expect(await runAs(app.db, nurse, (w) => getMailingLeadDays(w))).toBe(7);
    await expectProblem(runAs(app.db, nurse, (w) => saveNoticeSettings(w, { ...SETTINGS, mailingLeadDays: 91 })), { status: 400, field: 'mailingLeadDays' });
  });

  it('a one-off 予診票 for someone with no window for the program is refused with the reason', async () => {
    await expectProblem(runAs(app.db, nurse, (w) => issueForPerson(w, deps, { atenaNo: town.E, docType: 'questionnaire', program: 'hib', issueDate: ISSUE })), { status: 400, code: 'NO_WINDOW', field: 'period' });
  });
});
