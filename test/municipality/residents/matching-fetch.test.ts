// How the residents store fetches 4情報 candidates (decision 0035 "what the caller passes", decision 0045):
// everyone born on the query's birth date plus everyone with the query's 検索カナ.  The second set lets a
// namesake whose birth date is one digit away block an automatic link — the query's date may be the typo —
// in the matching service and in 住登外 rows of movement files; registration shows only candidates worth
// reviewing.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { importResidents, listQueue, matchPerson, registerNonResident } from '../../../src/municipality/residents/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { dose, movement, person, writeCsv, writeRecordsCsv } from '../../harness/residents.js';
import { importRecords } from '../../../src/municipality/records/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-mf-'));

describe('4情報 candidates: same birth date or same 検索カナ', () => {
  let app: TestApp;
  let atena: Principal;
  const atenaOf = async (code: string) => (await app.db.system.selectFrom('municipality.persons').select('atena_no').where('juminhyo_code', '=', code).executeTakeFirstOrThrow()).atena_no;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    atena = (await staff(app, TOTTORI, { login: 'atena', duties: ['addressee'] })).principal;
    await importResidents(app, operatorOf(TOTTORI), {
      file: writeCsv(join(dir, 'pop.csv'), 'full', [
        // Two namesakes at one address whose birth dates are one digit apart.
        person(1, { 氏名: '森　一郎', 氏名カナ: 'モリ　イチロウ', 生年月日: '19800115', 性別: '1', 住所: '鳥取県鳥取市幸町71番地', 個人番号: '' }),
        person(2, { 氏名: '森　一郎', 氏名カナ: 'モリ　イチロウ', 生年月日: '19800116', 性別: '1', 住所: '鳥取県鳥取市幸町71番地', 個人番号: '' }),
        // Someone unrelated born on a day shared with the registration below.
        person(3, { 氏名: '川上　花', 氏名カナ: 'カワカミ　ハナ', 生年月日: '20230601', 性別: '2', 住所: '鳥取県鳥取市栄町1番地', 個人番号: '' }),
        // A clear 4情報 match with nobody near.
        person(4, { 氏名: '石田　実', 氏名カナ: 'イシダ　ミノル', 生年月日: '19700707', 性別: '1', 住所: '鳥取県鳥取市尚徳町116番地', 個人番号: '' }),
      ]),
    });
  });
  afterAll(async () => app.cleanup());

  it('the matching service does not link when a namesake one digit away exists (the query date may be the typo)', async () => {
    const q = { nameKanji: '森　一郎', nameKana: 'モリ　イチロウ', birthDate: '1980-01-15', sex: 'male' as const, address: '鳥取県鳥取市幸町71番地' };
    const r = await runAs(app.db, atena, (w) => matchPerson(w, q, 'テスト'));
    expect(r.decision).toBe('ambiguous');
    expect(r.candidates.map((c) => c.atenaNo).sort()).toEqual([await atenaOf(person(1)['住民票コード']!), await atenaOf(person(2)['住民票コード']!)].sort());
    expect(r.candidates[0]!.reasons.map((x) => x.code)).toContain('BLOCKED_BY_COMPETITOR');
    // With nobody near, an exact 4情報 still links.
    const ok = await runAs(app.db, atena, (w) => matchPerson(w, { nameKanji: '石田　実', nameKana: 'いしだ みのる', birthDate: '1970-07-07', sex: 'male', address: '鳥取市尚徳町１１６' }, 'テスト'));
    expect(ok).toMatchObject({ decision: 'matched', atenaNo: await atenaOf(person(4)['住民票コード']!) });
  });

  it('a 住登外 row of a movement file with such a namesake waits in the review queue instead of being linked', async () => {
    const row = movement('MF-1', '30', '20260501', { 住民票コード: '', 個人番号: '', 氏名: '森　一郎', 氏名カナ: 'モリ　イチロウ', 生年月日: '19800116', 性別: '1', 住所: '鳥取県鳥取市幸町71番地' });
    const r = await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'mv.csv'), 'diff', [row]) });
    expect(r).toMatchObject({ queued: 1, created: 0, updated: 0 });
    const queue = await runAs(app.db, atena, (w) => listQueue(w));
    expect(queue.find((q) => q.sourceRef === 'MF-1')?.candidates).toHaveLength(2);
  });

  it('a clinic batch row (VAX-19) with such a namesake waits in the records queue; a clear 4情報 row is registered', async () => {
    const file = writeRecordsCsv(join(dir, 'clinic.csv'), [
      dose('C1', { 氏名: '森　一郎', 氏名カナ: 'モリ　イチロウ', 生年月日: '19800115', 性別: '1', 住所: '鳥取県鳥取市幸町71番地', ワクチン: 'influenza', 接種日: '20251110' }),
      dose('C2', { 氏名: '石田　実', 氏名カナ: 'イシダ　ミノル', 生年月日: '19700707', 性別: '1', 住所: '鳥取県鳥取市尚徳町116番地', ワクチン: 'influenza', 接種日: '20251110' }),
    ]);
    const r = await importRecords(app.db, operatorOf(TOTTORI), { file });
    expect(r).toMatchObject({ rows: 2, created: 1, queued: 1, rejected: 0 });
    const queued = await app.db.system.selectFrom('municipality.match_queue').select(['source_row', 'candidates']).where('status', '=', 'open').where('source_run_id', '=', r.runId).execute();
    expect(queued.map((q) => q.source_row)).toEqual([1]);
    expect((queued[0]!.candidates as { atenaNo: string }[]).map((c) => c.atenaNo).sort()).toEqual([await atenaOf(person(1)['住民票コード']!), await atenaOf(person(2)['住民票コード']!)].sort());
    const linked = await app.db.system.selectFrom('municipality.vaccination_records').select('atena_no').where('source_row', '=', 2).executeTakeFirstOrThrow();
    expect(linked.atena_no).toBe(await atenaOf(person(4)['住民票コード']!));
  });

  it('registration asks for confirmation about similar persons only: not about a stranger born the same day, but about a namesake with another birth date', async () => {
    const child = { category: 'unregistered-child', nameKanji: '鈴木　結', nameKana: 'スズキ　ユイ', birthDate: '2023-06-01', sex: 'female', address: '鳥取県鳥取市栄町2番地', note: '母の申出' };
    const r1 = await runAs(app.db, atena, (w) => registerNonResident(w, app.vault, child));
    expect(r1.atenaNo).toMatch(/^9\d{9}$/); // 川上 花 (same day, other name) is not "similar"
    const typo = { category: 'non-registered', nameKanji: '石田　実', nameKana: 'イシダ　ミノル', birthDate: '1970-07-17', sex: 'male', address: '鳥取県鳥取市尚徳町116番地', note: '転出者の記録' };
    const r2 = await runAs(app.db, atena, (w) => registerNonResident(w, app.vault, typo));
    expect(r2.atenaNo).toBeNull();
    expect(r2.possibleMatches.map((c) => c.atenaNo)).toEqual([await atenaOf(person(4)['住民票コード']!)]);
  });
});

describe('the kana fetch on the synthetic perturbation population (decision 0045: before/after recall)', () => {
  it('changes no automatic link except by blocking one, and leaves recall and wrong links as they were', async () => {
    const { generatePopulation, pickPerturbations, perturb } = await import('./matching-population.js');
    const { matchFourInfo, searchKana } = await import('../../../src/municipality/residents/index.js');
    const { seededRng } = await import('../../../src/kernel/random/index.js');
    const pop = generatePopulation('matching-0045', 3000);
    const rng = seededRng('matching-0045/queries');
    const people = [...pop.residents.filter((p) => p.tags.length), ...Array.from({ length: 3000 }, () => rng.pick(pop.residents))];
    const prng = seededRng('matching-0045/perturb');
    const tally = { queries: 0, dobOnly: 0, withKana: 0, wrongDobOnly: 0, wrongWithKana: 0, onlyWithKana: 0 };
    for (const p of people) {
      const q = perturb(p, pickPerturbations(rng), prng);
      const sameDay = pop.byDob.get(q.birthDate) ?? [];
      const a = matchFourInfo(q, sameDay);
      const b = matchFourInfo(q, [...sameDay, ...(q.nameKana ? (pop.byKana.get(searchKana(q.nameKana)) ?? []) : [])]);
      tally.queries++;
      if (a.decision === 'matched') {
        if (a.atenaNo === p.atenaNo) tally.dobOnly++;
        else tally.wrongDobOnly++;
      }
      if (b.decision === 'matched') {
        if (b.atenaNo === p.atenaNo) tally.withKana++;
        else tally.wrongWithKana++;
      }
      if (b.decision === 'matched' && (a.decision !== 'matched' || a.atenaNo !== b.atenaNo)) tally.onlyWithKana++;
    }
    const pct = (n: number) => `${((100 * n) / tally.queries).toFixed(2)}%`;
    console.log(`kana fetch: ${tally.queries} queries; recall same-day only ${pct(tally.dobOnly)}, with the kana fetch ${pct(tally.withKana)}; wrong links ${tally.wrongDobOnly} / ${tally.wrongWithKana}`);
    expect(tally.onlyWithKana).toBe(0); // the extra candidates can only block (a strict candidate shares the birth date)
    expect(tally.wrongWithKana).toBe(0);
    expect(tally.wrongDobOnly).toBe(0);
    expect(tally.withKana).toBe(tally.dobOnly); // on this population nothing is blocked either
    expect(tally.withKana / tally.queries).toBeGreaterThan(0.6);
  });
});
