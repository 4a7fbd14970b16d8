// The 国保連 node (国民健康保険団体連合会, 審査支払; synthetic) as the app runs it: every organisation started by
// startOrganisations on loopback, the municipality node calling claims.check over the real message layer
// (signed, encrypted, logged at both ends).  VAX-32, XCH-17; contract: docs/formats/clinic-protocol.md
// section 4 and docs/formats/kokuhoren-protocol.md; decision 0148.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import { startOrganisations, type Organisations } from '../../src/app/index.js';
import { exchangeNodeFor, type ExchangeNode } from '../../src/kernel/exchange/index.js';
import { addDaysIso, checkMedicalInstitutionCode, institutionCodeValid, luhnCheckDigit } from '../../src/kernel/jp/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { PLATFORM_ROLE, PLATFORM_SCHEMA } from '../../src/platform/index.js';
import {
  KOKUHOREN_ROLE, MAX_CLAIMS, MAX_ITEMS, RETENTION_YEARS, checkItem, kokuhorenHandlingLog, lastDayOfMonth, purgeKokuhoren, type ClaimAnswer, type ClaimItem,
} from '../../src/peers/kokuhoren/index.js';
import { testApp, TOTTORI, EDOGAWA, type TestApp } from '../harness/app.js';
import { testClock, TEST_TODAY } from '../harness/clock.js';
import { findMyNumbers } from '../harness/leaks.js';
import { problemOf } from '../harness/expect.js';

const withCheckDigit = (first9: string) => first9 + String(luhnCheckDigit(first9));
const CLINIC = '0110113719';
const DENTAL = withCheckDigit('133012345');
/** The claim month: the test day's month (the clock is fixed; any day of any year gives the same story). */
const MONTH = TEST_TODAY.slice(0, 7);
const IN_MONTH = `${MONTH}-03`;
const AFTER_MONTH = addDaysIso(lastDayOfMonth(MONTH), 1);

interface Item { itemId: string; programCode: string; dose: number; vaccinatedOn?: string | null; unitPrice: number; copay: number; amount: number }
const item = (itemId: string, over: Partial<Item> = {}): Item => ({ itemId, programCode: 'hib', dose: 1, vaccinatedOn: IN_MONTH, unitPrice: 8_000, copay: 0, amount: 8_000, ...over });
type Answer = { checkedAt: string; claims: ClaimAnswer[] };

describe('institutionCodeValid (医療機関コード, 検証番号)', () => {
  it('accepts the contract example and codes built with the Luhn digit', () => {
    expect(institutionCodeValid('0110113719')).toBe(true);
    expect(institutionCodeValid(DENTAL)).toBe(true);
    expect(institutionCodeValid(withCheckDigit('471012345'))).toBe(true);
  });

  it('refuses a wrong 検証番号, other lengths, widths, prefectures and 点数表番号', () => {
    for (let d = 0; d <= 9; d++) if (d !== 9) expect(institutionCodeValid(`011011371${d}`)).toBe(false);
    expect(institutionCodeValid('011011371')).toBe(false);
    expect(institutionCodeValid('01101137190')).toBe(false);
    expect(institutionCodeValid('０１１０１１３７１９')).toBe(false); // full width: not folded at a message boundary
    expect(institutionCodeValid(' 0110113719')).toBe(false);
    expect(institutionCodeValid(withCheckDigit('481012345'))).toBe(false); // 都道府県番号 48
    expect(institutionCodeValid(withCheckDigit('001012345'))).toBe(false); // 都道府県番号 00
    expect(institutionCodeValid(withCheckDigit('012012345'))).toBe(false); // 点数表番号 2
    expect(institutionCodeValid(110113719)).toBe(false);
    expect(institutionCodeValid(null)).toBe(false);
  });

  it('agrees with checkMedicalInstitutionCode on half-width input, and one 検証番号 in ten fits (one rule in the kernel)', () => {
    let valid = 0;
    for (let n = 0; n < 500; n++) {
      const first9 = String(n * 1_999_993 + 11_000_000).padStart(9, '0').slice(0, 9);
      const fits = Array.from({ length: 10 }, (_, d) => `${first9}${d}`).filter((code) => {
        expect(institutionCodeValid(code)).toBe(checkMedicalInstitutionCode(code).ok);
        return institutionCodeValid(code);
      });
      // A prefix with a good 都道府県番号 and 点数表番号 has exactly one 検証番号; any other prefix none.
      const prefixOk = Number(first9.slice(0, 2)) >= 1 && Number(first9.slice(0, 2)) <= 47 && ['1', '3', '4'].includes(first9[2]!);
      expect(fits).toEqual(prefixOk ? [withCheckDigit(first9)] : []);
      if (prefixOk) valid++;
    }
    expect(valid).toBeGreaterThan(10);
  });
});

describe('checkItem (the content rules, in order)', () => {
  const base: ClaimItem = { itemId: 'i', programCode: 'hib', dose: 1, vaccinatedOn: IN_MONTH, unitPrice: 8000, copay: 1000, amount: 7000 };
  it('passes a right item and gives the first code that applies', () => {
    expect(checkItem(MONTH, { institutionCode: CLINIC }, base)).toBeNull();
    expect(checkItem(MONTH, { institutionCode: CLINIC }, { ...base, vaccinatedOn: lastDayOfMonth(MONTH) })).toBeNull();
    expect(checkItem(MONTH, { institutionCode: '0110113718' }, { ...base, vaccinatedOn: null })?.code).toBe('INSTITUTION_CODE_INVALID');
    expect(checkItem(MONTH, { institutionCode: CLINIC }, { ...base, vaccinatedOn: null, unitPrice: 0 })?.code).toBe('DATE_MISSING');
    expect(checkItem(MONTH, { institutionCode: CLINIC }, { ...base, vaccinatedOn: AFTER_MONTH, unitPrice: 0 })?.code).toBe('DATE_AFTER_MONTH');
    expect(checkItem(MONTH, { institutionCode: CLINIC }, { ...base, unitPrice: 0, copay: 0, amount: 0 })?.code).toBe('PRICE_MISSING');
    expect(checkItem(MONTH, { institutionCode: CLINIC }, { ...base, copay: -1000, amount: 9000 })?.code).toBe('AMOUNT_MISMATCH');
    expect(checkItem(MONTH, { institutionCode: CLINIC }, { ...base, amount: 8000 })?.code).toBe('AMOUNT_MISMATCH');
  });
  it('knows the last day of every month, leap years included', () => {
    expect(lastDayOfMonth('2028-02')).toBe('2028-02-29');
    expect(lastDayOfMonth('2027-02')).toBe('2027-02-28');
    expect(lastDayOfMonth('2026-12')).toBe('2026-12-31');
    expect(lastDayOfMonth('2026-04')).toBe('2026-04-30');
  });
});

describe('kokuhoren node: claims.check from the municipality (予防接種費用の審査)', () => {
  let app: TestApp;
  const clock = testClock();
  let orgs: Organisations;
  let db: Kysely<UntypedDatabase>;
  let municipality: ExchangeNode;

  const check = async (body: unknown, from?: ExchangeNode): Promise<Answer> => {
    const a = await (from ?? municipality).call('kokuhoren', 'claims.check', body, { personal: true });
    // The answer is encrypted back to the caller.
    expect(a.envelope.enc?.to).toBe((from ?? municipality).name);
    return a.body as Answer;
  };
  const results = (a: Answer) => Object.fromEntries(a.claims.flatMap((c) => c.items.map((i) => [`${c.claimId}/${i.itemId}`, i.code ?? i.result])));
  const stored = async () =>
    (await sql<{ tenant: string; claim_id: string; item_id: string; result: string; code: string | null }>`
      SELECT tenant, claim_id, item_id, result, code FROM peers_kokuhoren.claim_items ORDER BY seq`.execute(db)).rows;

  beforeAll(async () => {
    app = await testApp('server', { clock });
    orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0 });
    municipality = orgs.municipal.node;
    db = await app.db.forRole(KOKUHOREN_ROLE);
  });

  afterAll(async () => {
    await orgs?.close();
    await app?.cleanup();
  });

  it('is one of the organisations, on its own port', () => {
    const n = orgs.nodes.find((x) => x.name === 'kokuhoren');
    expect(n?.kind).toBe('kokuhoren');
    expect(n?.title).toBe('国民健康保険団体連合会（審査支払）');
    expect(n?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('accepts right items and returns each wrong one with its code and a Japanese reason', async () => {
    const a = await check({
      tenant: TOTTORI,
      month: MONTH,
      claims: [
        {
          claimId: 'C-001',
          institutionCode: CLINIC,
          items: [
            item('R-1'),
            item('R-2', { copay: 2_000, amount: 6_000, dose: 2 }),
            item('R-3', { vaccinatedOn: null }),
            item('R-4', { vaccinatedOn: undefined }),
            item('R-5', { vaccinatedOn: '' }),
            item('R-6', { vaccinatedOn: AFTER_MONTH }),
            item('R-7', { amount: 7_999 }),
            item('R-8', { copay: -1, amount: 8_001 }),
            item('R-9', { unitPrice: 0, amount: 0 }),
            item('R-10', { vaccinatedOn: lastDayOfMonth(MONTH) }),
            item('R-11', { vaccinatedOn: '2020-01-15' }), // 遅れた請求: an earlier month is fine
          ],
        },
        { claimId: 'C-002', institutionCode: '0110113718', items: [item('R-20'), item('R-21')] },
        { claimId: 'C-003', institutionCode: DENTAL, items: [item('R-30', { programCode: 'hpv', unitPrice: 16_000, copay: 0, amount: 16_000 })] },
      ],
    });
    // The node's clock (fixed by the test, running from TEST_NOW).
    expect(Date.parse(a.checkedAt)).toBeGreaterThanOrEqual(Date.parse(`${TEST_TODAY}T00:00:00+09:00`));
    expect(Date.parse(a.checkedAt)).toBeLessThanOrEqual(clock.now().getTime());
    expect(results(a)).toEqual({
      'C-001/R-1': 'accepted',
      'C-001/R-2': 'accepted',
      'C-001/R-3': 'DATE_MISSING',
      'C-001/R-4': 'DATE_MISSING',
      'C-001/R-5': 'DATE_MISSING',
      'C-001/R-6': 'DATE_AFTER_MONTH',
      'C-001/R-7': 'AMOUNT_MISMATCH',
      'C-001/R-8': 'AMOUNT_MISMATCH',
      'C-001/R-9': 'PRICE_MISSING',
      'C-001/R-10': 'accepted',
      'C-001/R-11': 'accepted',
      'C-002/R-20': 'INSTITUTION_CODE_INVALID',
      'C-002/R-21': 'INSTITUTION_CODE_INVALID',
      'C-003/R-30': 'accepted',
    });
    for (const c of a.claims) {
      for (const i of c.items) {
        if (i.result === 'accepted') expect(i).toEqual({ itemId: i.itemId, result: 'accepted' });
        else expect(i.reason).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
      }
    }
    // Every checked item is stored, with its result.
    const rows = await stored();
    expect(rows).toHaveLength(14);
    expect(rows.filter((r) => r.result === 'accepted').map((r) => r.item_id)).toEqual(['R-1', 'R-2', 'R-10', 'R-11', 'R-30']);
    expect(rows.every((r) => r.tenant === TOTTORI)).toBe(true);
    const r7 = (await sql<{ institution_code: string; amount: string; month: string; checked_at: Date }>`
      SELECT institution_code, amount, month, checked_at FROM peers_kokuhoren.claim_items WHERE item_id = 'R-7'`.execute(db)).rows[0]!;
    expect({ ...r7, amount: Number(r7.amount), checked_at: new Date(r7.checked_at).toISOString() }).toEqual({ institution_code: CLINIC, amount: 7_999, month: MONTH, checked_at: a.checkedAt });
  });

  it('DUPLICATE_CLAIM: an item accepted in an earlier check, under another claim, or twice in one message', async () => {
    const a = await check({
      tenant: TOTTORI,
      month: MONTH,
      claims: [
        { claimId: 'C-101', institutionCode: CLINIC, items: [item('R-1'), item('R-40'), item('R-3', { vaccinatedOn: IN_MONTH })] },
        { claimId: 'C-102', institutionCode: CLINIC, items: [item('R-40'), item('R-41')] },
      ],
    });
    expect(results(a)).toEqual({
      'C-101/R-1': 'DUPLICATE_CLAIM', // accepted under C-001 before
      'C-101/R-40': 'accepted',
      'C-101/R-3': 'accepted', // returned before (DATE_MISSING), corrected: checked again
      'C-102/R-40': 'DUPLICATE_CLAIM', // accepted earlier in this message
      'C-102/R-41': 'accepted',
    });
    expect(a.claims[1]!.items[0]!.reason).toContain('重複');
    // The same itemId is another municipality's own business.
    const other = await check({ tenant: EDOGAWA, month: MONTH, claims: [{ claimId: 'C-001', institutionCode: CLINIC, items: [item('R-1')] }] });
    expect(results(other)).toEqual({ 'C-001/R-1': 'accepted' });
    // At most one acceptance per (tenant, item) in the store.
    const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM peers_kokuhoren.claim_items WHERE tenant = ${TOTTORI} AND item_id = 'R-1' AND result = 'accepted'`.execute(db);
    expect(n.rows[0]!.n).toBe(1);
  });

  it('answers a re-sent accepted claim from the stored acceptance (idempotent), but not a changed one', async () => {
    const before = (await stored()).length;
    const resend = await check({
      tenant: TOTTORI,
      month: MONTH,
      claims: [{ claimId: 'C-001', institutionCode: CLINIC, items: [item('R-1'), item('R-2', { copay: 2_000, amount: 6_000, dose: 2 }), item('R-7', { amount: 7_999 })] }],
    });
    // R-1 and R-2 were accepted under C-001 with this content: accepted again, not stored again.  R-7 was
    // returned (AMOUNT_MISMATCH) and is simply checked again.
    expect(results(resend)).toEqual({ 'C-001/R-1': 'accepted', 'C-001/R-2': 'accepted', 'C-001/R-7': 'AMOUNT_MISMATCH' });
    expect((await stored()).length).toBe(before + 1);
    // Same claim, same item, other content (the amount raised after acceptance): a second claim of the same dose.
    const changed = await check({ tenant: TOTTORI, month: MONTH, claims: [{ claimId: 'C-001', institutionCode: CLINIC, items: [item('R-1', { unitPrice: 9_000, amount: 9_000 })] }] });
    expect(results(changed)).toEqual({ 'C-001/R-1': 'DUPLICATE_CLAIM' });
    expect(changed.claims[0]!.items[0]!.reason).toContain('受付後');
    const log = await kokuhorenHandlingLog(db);
    const last = log.filter((r) => r.outcome === 'ok').at(-2)!;
    expect(last.counts).toEqual({ claims: 1, items: 3, accepted: 2, returned: 1, repeated: 2 });
  });

  it('accepts an item once when two checks race for it under different claims', async () => {
    const [x, y] = await Promise.all([
      check({ tenant: TOTTORI, month: MONTH, claims: [{ claimId: 'P-1', institutionCode: CLINIC, items: [item('RACE-1')] }] }),
      check({ tenant: TOTTORI, month: MONTH, claims: [{ claimId: 'P-2', institutionCode: CLINIC, items: [item('RACE-1')] }] }),
    ]);
    expect([...Object.values(results(x)), ...Object.values(results(y))].sort()).toEqual(['DUPLICATE_CLAIM', 'accepted']);
  });

  it(`checks a full message (${MAX_CLAIMS} claims, ${MAX_ITEMS} items) in one go`, async () => {
    const per = MAX_ITEMS / MAX_CLAIMS;
    const claims = Array.from({ length: MAX_CLAIMS }, (_, c) => ({
      claimId: `F-${c}`,
      institutionCode: withCheckDigit(`01101${String(c).padStart(4, '0')}`),
      items: Array.from({ length: per }, (_, i) => item(`F-${c}-${i}`, i === 0 ? { unitPrice: 0, amount: 0 } : {})),
    }));
    const a = await check({ tenant: EDOGAWA, month: MONTH, claims });
    const all = a.claims.flatMap((c) => c.items);
    expect(all).toHaveLength(MAX_ITEMS);
    expect(all.filter((i) => i.result === 'accepted')).toHaveLength(MAX_ITEMS - MAX_CLAIMS);
    expect(all.filter((i) => i.code === 'PRICE_MISSING')).toHaveLength(MAX_CLAIMS);
    const n = await sql<{ n: number }>`SELECT count(*)::int AS n FROM peers_kokuhoren.claim_items WHERE tenant = ${EDOGAWA} AND claim_id LIKE 'F-%'`.execute(db);
    expect(n.rows[0]!.n).toBe(MAX_ITEMS);
  });

  it('refuses any caller but the municipality (XCH-17), and stores nothing', async () => {
    const platform = exchangeNodeFor({ name: 'platform', schema: PLATFORM_SCHEMA, db: await app.db.forRole(PLATFORM_ROLE), keyDir: app.config.keyDir, directory: orgs.directory, clock });
    const before = (await stored()).length;
    const p = await problemOf(platform.call('kokuhoren', 'claims.check', { tenant: TOTTORI, month: MONTH, claims: [{ claimId: 'X-1', institutionCode: CLINIC, items: [item('X-1')] }] }, { personal: true }));
    expect(p.status).toBe(403);
    expect(p.code).toBe('EXCHANGE_NOT_ALLOWED');
    expect((await stored()).length).toBe(before);
  });

  it('refuses a malformed message whole: 400 with the field named, nothing stored, the refusal logged', async () => {
    const before = (await stored()).length;
    const good = { claimId: 'M-1', institutionCode: CLINIC, items: [item('M-1')] };
    const bodies: [unknown, string][] = [
      [{ tenant: TOTTORI, month: MONTH, claims: [good, { ...good, claimId: 'M-2', items: [{ ...item('M-2'), name: '山田 花子' }] }] }, 'claims.1.items.0'],
      [{ tenant: TOTTORI, month: MONTH, claims: [good], extra: 1 }, ''],
      [{ tenant: TOTTORI, month: '2026-13', claims: [good] }, 'month'],
      [{ tenant: '312012', month: MONTH, claims: [good] }, 'tenant'],
      [{ tenant: TOTTORI, month: MONTH, claims: [{ ...good, items: [item('M-1', { vaccinatedOn: '2026-02-30' })] }] }, 'claims.0.items.0.vaccinatedOn'],
      [{ tenant: TOTTORI, month: MONTH, claims: [{ ...good, items: [item('M-1', { amount: 1.5 })] }] }, 'claims.0.items.0.amount'],
      [{ tenant: TOTTORI, month: MONTH, claims: [{ ...good, items: [item('M-1'), item('M-1')] }] }, 'claims.0.items.1.itemId'],
      [{ tenant: TOTTORI, month: MONTH, claims: [good, good] }, 'claims.1.claimId'],
      [{ tenant: TOTTORI, month: MONTH, claims: [{ ...good, items: [item(syntheticMyNumber('kokuhoren-test', 1))] }] }, 'claims.0.items.0.itemId'],
      [{ tenant: TOTTORI, month: MONTH, claims: [] }, 'claims'],
      [{ tenant: TOTTORI, month: MONTH, claims: Array.from({ length: MAX_CLAIMS + 1 }, (_, i) => ({ ...good, claimId: `M-${i}` })) }, 'claims'],
      [{ tenant: TOTTORI, month: MONTH, claims: Array.from({ length: 3 }, (_, c) => ({ claimId: `B-${c}`, institutionCode: CLINIC, items: Array.from({ length: MAX_ITEMS / 2 }, (_, i) => item(`B-${c}-${i}`)) })) }, 'claims'],
    ];
    for (const [body, field] of bodies) {
      const p = await problemOf(municipality.call('kokuhoren', 'claims.check', body, { personal: true }));
      expect(p.status, JSON.stringify(field)).toBe(400);
      expect(p.code).toBe('VALIDATION_FAILED');
      expect(p.title).toBe('入力内容に誤りがあります');
      // The message layer carries the first field error in the detail (the field named, never the value).
      if (field) expect(p.detail, field).toMatch(new RegExp(`^${field.replace(/\./g, '\\.')}: `));
      // A refusal never repeats a value it was sent.
      expect(JSON.stringify(p)).not.toContain('山田');
      expect(findMyNumbers(JSON.stringify(p))).toEqual([]);
    }
    expect((await stored()).length).toBe(before);
    const refused = (await kokuhorenHandlingLog(db)).filter((r) => r.outcome === 'refused');
    expect(refused.length).toBe(bodies.length);
    expect(refused.every((r) => r.code === 'VALIDATION_FAILED' && r.caller === 'municipality' && r.counts.items === 0)).toBe(true);
  });

  it('logs every call at both ends, and no stored row holds a name or a My Number', async () => {
    const ours = await sql<{ direction: string; peer: string; outcome: string; n: number }>`
      SELECT direction, peer, outcome, count(*)::int AS n FROM peers_kokuhoren.exchange_messages WHERE service = 'claims.check' GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`.execute(app.db.system);
    const theirs = await sql<{ direction: string; outcome: string; n: number }>`
      SELECT direction, outcome, count(*)::int AS n FROM municipality.exchange_messages WHERE service = 'claims.check' AND peer = 'kokuhoren' GROUP BY 1, 2 ORDER BY 1, 2`.execute(app.db.system);
    const log = await kokuhorenHandlingLog(db);
    const okCalls = log.filter((r) => r.outcome === 'ok').length;
    expect(okCalls).toBe(8);
    // In at 国保連: the answered calls and the handler's refusals (the platform's call is refused before the handler).
    const inOk = ours.rows.find((r) => r.direction === 'in' && r.peer === 'municipality' && r.outcome === 'ok')?.n;
    expect(inOk).toBe(okCalls);
    expect(ours.rows.some((r) => r.direction === 'in' && r.peer === 'platform' && r.outcome === 'refused')).toBe(true);
    // Out at the municipality: one row per call it made, settled with the answer.
    expect(theirs.rows.find((r) => r.direction === 'out' && r.outcome === 'ok')?.n).toBe(okCalls);
    expect(theirs.rows.find((r) => r.direction === 'out' && r.outcome === 'refused')?.n).toBeGreaterThanOrEqual(12);

    // The tables hold ids, codes, dates and amounts: no name column, and no valid My Number in any row.
    const columns = (await sql<{ table_name: string; column_name: string }>`
      SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'peers_kokuhoren' ORDER BY 1, 2`.execute(app.db.system)).rows;
    expect(columns.some((c) => /name|kana|address|birth|my_?number/.test(c.column_name))).toBe(false);
    for (const table of ['claim_items', 'handling_log', 'exchange_messages']) {
      const rows = (await sql<{ t: string }>`SELECT t::text AS t FROM ${sql.table(`peers_kokuhoren.${table}`)} AS t`.execute(app.db.system)).rows;
      expect(rows.length, table).toBeGreaterThan(0);
      for (const r of rows) expect(findMyNumbers(r.t), table).toEqual([]);
    }
  });

  it(`deletes claim items and handling-log rows ${RETENTION_YEARS} years after their check (審査記録の保存)`, async () => {
    const items = (await stored()).length;
    const logRows = (await kokuhorenHandlingLog(db)).length;
    const now = clock.now();
    const justUnder = new Date(now);
    justUnder.setUTCFullYear(justUnder.getUTCFullYear() + RETENTION_YEARS);
    expect(await purgeKokuhoren(db, new Date(justUnder.getTime() - 60_000))).toEqual({ claimItems: 0, handlingLog: 0 });
    // A check made 5 years and a day later stays; everything older goes.
    clock.set(new Date(justUnder.getTime() + 86400_000));
    const later = await check({ tenant: TOTTORI, month: MONTH, claims: [{ claimId: 'C-900', institutionCode: CLINIC, items: [item('R-1')] }] });
    // R-1's acceptance is older than 5 years: the claim is time-barred, but the check only knows the rows it keeps.
    expect(results(later)).toEqual({ 'C-900/R-1': 'DUPLICATE_CLAIM' });
    expect(await purgeKokuhoren(db, clock.now())).toEqual({ claimItems: items, handlingLog: logRows });
    expect(await stored()).toEqual([{ tenant: TOTTORI, claim_id: 'C-900', item_id: 'R-1', result: 'returned', code: 'DUPLICATE_CLAIM' }]);
    expect(await kokuhorenHandlingLog(db)).toHaveLength(1);
  });
});
