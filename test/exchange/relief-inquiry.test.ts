// 健康被害救済: the injured person's vaccination history obtained through the 情報提供ネットワークシステム
// under the relief 事務 (VAX-34 (2), XCH-08; decision 0168), every organisation real on its own loopback
// port.  The child moved from 鳥取市 to 江戸川区; 江戸川区's relief clerk asks 鳥取市 for the history under
// 疾病の給付 (or 障害の給付 when a pension is claimed), and the answer becomes the case's information step.
// The 予防接種 duty neither asks under the relief 事務 nor sees the relief inquiry; the inquiry is in the
// person's 情報提供等記録 with its 事務; no message log carries a My Number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { adoptInquiry, askVaccinationHistory, getInquiry, listInquiries, personDataUse } from '../../src/municipality/exchange/index.js';
import { getCase, inquireForCase, receiveApplication } from '../../src/municipality/relief/index.js';
import { messageLogOf } from '../../src/app/index.js';
import { EDOGAWA, GOOD_PASSWORD, staff, TOTTORI } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { mn } from '../harness/residents.js';
import { PageClient, visibleText } from '../harness/web.js';
import { CHILD, CHILD_DOSES, moveInWorld, type MoveInWorld } from '../harness/exchange.js';

let world: MoveInWorld;
let clerk: Principal;
let today: string;

const application = (claimedKinds: string[]) => ({
  atenaNo: world.movedAtena, appliedOn: today, claimedKinds, summary: '接種の翌日から高熱と痙攣があり入院した。',
  applicant: { relation: 'guardian', name: '江戸川　花子', kana: 'エドガワ　ハナコ', address: '東京都江戸川区中央一丁目4番1号' }, myNumber: mn(CHILD + 40), idCheck: { method: 'mynumber-card' },
});

beforeAll(async () => {
  world = await moveInWorld();
  clerk = (await staff(world.app, EDOGAWA, { login: 'kyusai', role: 'clerk', duties: ['relief'] })).principal;
  today = world.app.config.clock.today();
}, 180_000);

afterAll(async () => {
  await world?.close();
});

describe('健康被害救済: the vaccination history through the exchange under the relief 事務', () => {
  it('asks the former municipality under 疾病の給付 and records the answer on the case; the 予防接種 duty neither sees nor adopts it', async () => {
    const { app, orgs } = world;
    const c = await runAs(app.db, clerk, (w) => receiveApplication(w, app.vault, application(['medical-expenses'])));
    await expectProblem(inquireForCase(app.db, clerk, orgs.municipal, c.id, { providerCode: '12345' }), { status: 400, field: 'providerCode' });
    const r = await inquireForCase(app.db, clerk, orgs.municipal, c.id, { providerCode: TOTTORI });
    expect(r).toMatchObject({ status: 'provided', records: CHILD_DOSES.length, providerName: '鳥取市' });
    const view = (await runAs(app.db, clerk, (w) => getCase(w, app.vault, c.id)))!;
    expect(view.information).toEqual([expect.objectContaining({ item: 'vaccination-history', providerCode: TOTTORI, status: 'obtained', exchangeId: r.exchangeId, obtainedOn: today })]);
    const row = await sql<{ jimu: string; status: string }>`SELECT jimu, status FROM municipality.exchange_inquiries WHERE exchange_id = ${r.exchangeId}`.execute(app.db.system);
    expect(row.rows).toEqual([{ jimu: 'relief-illness', status: 'provided' }]);

    // The 予防接種 duty: not in its list, not readable, not adoptable; it cannot ask under the relief 事務.
    expect((await runAs(app.db, world.nurseEdogawa, (w) => listInquiries(w, world.movedAtena))).map((i) => i.exchangeId)).not.toContain(r.exchangeId);
    await expectProblem(runAs(app.db, world.nurseEdogawa, (w) => getInquiry(w, r.exchangeId)), { status: 403 });
    await expectProblem(runAs(app.db, world.nurseEdogawa, (w) => adoptInquiry(w, r.exchangeId)), { status: 404 });
    await expectProblem(askVaccinationHistory(app.db, world.nurseEdogawa, orgs.municipal, world.movedAtena, { provider: TOTTORI, jimu: 'relief-illness' }), { status: 403 });
    // … nor the relief clerk under the vaccination 事務.
    await expectProblem(askVaccinationHistory(app.db, clerk, orgs.municipal, world.movedAtena, { provider: TOTTORI }), { status: 403 });

    // The 情報提供等記録 names the relief 事務; no message log of the nodes carries a My Number.
    const use = await personDataUse(app.db, world.auditor, orgs.municipal, world.movedAtena);
    const mine = use.exchanges.filter((x) => x.exchangeId === r.exchangeId);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine[0]!.jimuName).toContain('予防接種法による給付');
    expect(mine[0]!.legalBasis).toMatch(/27の項/);
    for (const node of ['municipality', `chukan-${EDOGAWA}`, 'network', `chukan-${TOTTORI}`]) {
      expect(findMyNumbers(JSON.stringify((await (await messageLogOf(app, node)).list({ limit: 100_000 })).rows)), node).toEqual([]);
    }
  });

  it('a case claiming a 障害年金 asks under 障害の給付 (主務省令 29の項)', async () => {
    const { app, orgs } = world;
    const c = await runAs(app.db, clerk, (w) => receiveApplication(w, app.vault, { ...application(['disability-pension']), appliedOn: today }));
    const r = await inquireForCase(app.db, clerk, orgs.municipal, c.id, { providerCode: TOTTORI });
    const row = await sql<{ jimu: string; legal_basis: string }>`SELECT jimu, legal_basis FROM municipality.exchange_inquiries WHERE exchange_id = ${r.exchangeId}`.execute(app.db.system);
    expect(row.rows[0]).toMatchObject({ jimu: 'relief-disability' });
    expect(row.rows[0]!.legal_basis).toMatch(/29の項/);
  });

  it('the case page: 「予防接種歴を照会する」 records the answer and says what happened in Japanese', async () => {
    const { app } = world;
    const c = await runAs(app.db, clerk, (w) => receiveApplication(w, app.vault, { ...application(['medical-allowance']), summary: '接種後に発疹が出た。' }));
    const web = new PageClient(world.webUrl);
    await web.login(EDOGAWA, 'kyusai', GOOD_PASSWORD);
    const page = await web.get(`/relief/${c.id}`);
    expect(visibleText(page.text)).toContain('予防接種歴を照会する（情報提供ネットワークシステム）');
    const bad = await web.post(`/relief/${c.id}/inquiry`, { _csrf: PageClient.csrf(page.text), providerCode: 'abc' });
    expect(visibleText((await web.get(bad.location!)).text)).toContain('照会先の団体コード');
    const ok = await web.post(`/relief/${c.id}/inquiry`, { _csrf: PageClient.csrf(page.text), providerCode: TOTTORI });
    expect(ok.status).toBe(302);
    const after = visibleText((await web.get(ok.location!)).text);
    expect(after).toContain(`鳥取市から接種記録 ${CHILD_DOSES.length}件の提供を受け、この事案の情報として記録しました。`);
    expect(after).toContain('入手済み');
  });
});
