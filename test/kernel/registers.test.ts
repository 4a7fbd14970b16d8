// The safeguard registers (decision 0126): KRN-41 disposal, KRN-49 outsourcing, KRN-50 hand-over, KRN-51
// media, KRN-53 disclosure requests, KRN-54 inquiries, KRN-55 incidents — declared fields checked, the
// disclosure deadline computed from the receipt date, corrections kept as versions, steps appended, refusals
// logged, My Number-shaped text refused, the CSV neutralising formulas, every write and export logged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import {
  addStep, correctEntry, createEntry, disclosureDeadline, disclosureWork, escalations, getEntry, listEntries, overdueCount, ppcReportDue, registerCounts, registerCsv, registers, setRegisterDefault,
} from '../../src/kernel/registers/index.js';
import { addTenant, SENDAI, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { auditRows } from '../harness/sql.js';
import { expectProblem } from '../harness/expect.js';

const request = (o: Record<string, string> = {}) => ({
  kind: '開示', requester: '本人', requesterName: '鳥取　花子', idDocuments: '運転免許証', designatedForm: 'はい', receivedOn: '2026-11-20', fee: '0', content: '予防接種記録の開示', ...o,
});

describe('disclosure deadline (KRN-53, seed 001: 14 days from the day after receipt)', () => {
  it('is receipt + 14 calendar days: the day after receipt is day 1', () => {
    expect(disclosureDeadline('2026-04-01')).toBe('2026-04-15');
  });
  it('crosses month and year ends and leap days by the calendar', () => {
    expect(disclosureDeadline('2026-01-31')).toBe('2026-02-14');
    expect(disclosureDeadline('2028-02-20')).toBe('2028-03-05');
    expect(disclosureDeadline('2027-02-20')).toBe('2027-03-06');
    expect(disclosureDeadline('2026-12-25')).toBe('2027-01-08');
  });
  it('counts 年末年始 and weekends and does not move a deadline that falls on them', () => {
    // 2026-12-17 + 14 = 2026-12-31 (年末の閉庁日): stays; 2026-11-29 (Sun) + 14 = 2026-12-13 (Sun): stays.
    expect(disclosureDeadline('2026-12-17')).toBe('2026-12-31');
    expect(disclosureDeadline('2026-11-29')).toBe('2026-12-13');
  });
  it('gives the PPC report dates: 速報 about 5 days, 確報 30 days, 60 when an unlawful purpose is feared', () => {
    expect(ppcReportDue('2026-11-20', false)).toEqual({ preliminary: '2026-11-25', final: '2026-12-20' });
    expect(ppcReportDue('2026-11-20', true).final).toBe('2027-01-19');
  });
});

describe.each(['server', 'embedded'] as const)('safeguard registers (%s)', (mode) => {
  let app: TestApp;
  let keeper: Principal;
  let clerk: Principal;
  let admin: Principal;
  let auditor: Principal;
  let sendai: Principal;

  beforeAll(async () => {
    app = await testApp(mode);
    await addTenant(app, TOTTORI, '鳥取市');
    await addTenant(app, SENDAI, '仙台市');
    keeper = (await staff(app, TOTTORI, { login: 'rg-keeper', duties: ['safeguards'] })).principal;
    clerk = (await staff(app, TOTTORI, { login: 'rg-vax', duties: ['vaccination'] })).principal;
    admin = (await staff(app, TOTTORI, { login: 'rg-admin', role: 'admin' })).principal;
    auditor = (await staff(app, TOTTORI, { login: 'rg-kansa', role: 'auditor' })).principal;
    sendai = (await staff(app, SENDAI, { login: 'rg-sendai', duties: ['safeguards'] })).principal;
  });
  afterAll(async () => {
    await app?.cleanup();
  });

  it('declares the seven registers', () => {
    expect(registers().map((r) => r.requirement)).toEqual(['KRN-41', 'KRN-49', 'KRN-50', 'KRN-51', 'KRN-53', 'KRN-54', 'KRN-55']);
  });

  it('refuses missing required fields, unknown options and bad dates, naming each field', async () => {
    const p = await expectProblem(runAs(app.db, keeper, (w) => createEntry(w, 'disposal', { target: '書類', method: '消去ソフト', disposedOn: '2026-02-30' })), { status: 400 });
    const byField = new Map(p.errors.map((e) => [e.field, e.code]));
    expect(byField.get('target')).toBe('OPTION_UNKNOWN');
    expect(byField.get('item')).toBe('REQUIRED');
    expect(byField.get('disposedOn')).toBe('DATE_FORMAT');
    expect(byField.get('doneBy')).toBe('REQUIRED');
    expect(byField.get('witness')).toBe('REQUIRED');
    expect(byField.has('certificate')).toBe(false);
    await expectProblem(runAs(app.db, keeper, (w) => createEntry(w, 'disclosure', request({ requester: '任意代理人' }))), { field: 'principalName', code: 'INCONSISTENT' });
  });

  it('records a disposal with method, certificate, date, who and witness; logs it', async () => {
    const e = await runAs(app.db, keeper, (w) =>
      createEntry(w, 'disposal', { target: '電子記録媒体', item: 'USB-003', method: '物理破壊', certificate: 'C-2026-11', disposedOn: '2026-11-20', doneBy: '鳥取 太郎', witness: '因幡 次郎' }),
    );
    expect(e).toMatchObject({ number: 1, status: 'recorded', open: false, data: { method: '物理破壊', certificate: 'C-2026-11', witness: '因幡 次郎' } });
    expect((await auditRows(app, TOTTORI, { action: 'create', actor_login: 'rg-keeper' })).some((r) => r.target_type === 'register-disposal' && r.target_id === e.id)).toBe(true);
    // The administrator records disposals too (equipment is theirs).
    const a = await runAs(app.db, admin, (w) => createEntry(w, 'disposal', { target: '機器', item: 'PC-012', method: '消去ソフト', disposedOn: '2026-11-21', doneBy: '委託先', witness: '鳥取 太郎' }));
    expect(a.number).toBe(2);
  });

  it('refuses a My Number-shaped run of 12 digits in free text, however it is written', async () => {
    for (const summary of ['番号は123456789012です', '１２３４ ５６７８ ９０１２ について', '1234-5678-9012']) {
      const p = await expectProblem(runAs(app.db, clerk, (w) => createEntry(w, 'inquiry', { channel: '電話', receivedOn: '2026-11-21', summary, leak: 'いいえ', takenBy: '受付 一郎' })), { field: 'summary', code: 'MYNUMBER_IN_TEXT' });
      expect(p.errors[0]!.message).toContain('個人番号');
    }
    // 11 or 13 digits, a phone number: accepted.
    const ok = await runAs(app.db, clerk, (w) => createEntry(w, 'inquiry', { channel: '電話', receivedOn: '2026-11-21', summary: '折返し 0857-22-8111 まで', leak: 'いいえ', takenBy: '受付 一郎' }));
    expect(ok.flagged).toBe(false);
    await expectProblem(runAs(app.db, clerk, (w) => addStep(w, 'inquiry', ok.number, 'response', { on: '2026-11-21', content: '123456789012 を確認', actor: '受付 一郎' })), { field: 'content', code: 'MYNUMBER_IN_TEXT' });
  });

  it('computes the disclosure deadline from the receipt date, extends it with a reason, decides and notifies', async () => {
    const e = await runAs(app.db, keeper, (w) => createEntry(w, 'disclosure', request({ receivedOn: '2026-11-10' })));
    expect(e.dueOn).toBe('2026-11-24');
    expect(e.open).toBe(true);
    // A decision that does not fit the kind of request is refused.
    await expectProblem(runAs(app.db, keeper, (w) => addStep(w, 'disclosure', e.number, 'decide', { on: '2026-11-20', decision: '訂正する', actor: '課長' })), { field: 'decision' });
    // An extension needs a reason and a later deadline.
    await expectProblem(runAs(app.db, keeper, (w) => addStep(w, 'disclosure', e.number, 'extend', { on: '2026-11-20', newDeadline: '2026-11-24' })), { field: 'reason' });
    const p = await expectProblem(runAs(app.db, keeper, (w) => addStep(w, 'disclosure', e.number, 'extend', { on: '2026-11-20', reason: '文書の量が多い', newDeadline: '2026-11-23' })), { field: 'newDeadline' });
    expect(p.errors[0]!.message).toContain('2026-11-24');
    const x = await runAs(app.db, keeper, (w) => addStep(w, 'disclosure', e.number, 'extend', { on: '2026-11-20', reason: '文書の量が多い', newDeadline: '2026-12-24' }));
    expect(x).toMatchObject({ status: 'extended', dueOn: '2026-12-24' });
    // A correction of the receipt date keeps the extended deadline.
    const c = await runAs(app.db, keeper, (w) => correctEntry(w, 'disclosure', e.number, request({ receivedOn: '2026-11-11' }), '受付日の誤記'));
    expect(c.dueOn).toBe('2026-12-24');
    // Notice before the decision: refused (the workflow).
    await expectProblem(runAs(app.db, keeper, (w) => addStep(w, 'disclosure', e.number, 'notify', { on: '2026-11-21', method: '郵送', actor: '係員' })), { status: 409 });
    await runAs(app.db, keeper, (w) => addStep(w, 'disclosure', e.number, 'decide', { on: '2026-11-21', decision: '部分開示', actor: '課長' }));
    const done = await runAs(app.db, keeper, (w) => addStep(w, 'disclosure', e.number, 'notify', { on: '2026-11-21', method: '郵送', actor: '係員' }));
    expect(done).toMatchObject({ status: 'notified', open: false });
    // A step dated in the future is refused.
    const f = await runAs(app.db, keeper, (w) => createEntry(w, 'disclosure', request()));
    await expectProblem(runAs(app.db, keeper, (w) => addStep(w, 'disclosure', f.number, 'decide', { on: '2026-11-22', decision: '全部開示', actor: '課長' })), { field: 'on', code: 'DATE_IN_FUTURE' });
  });

  it('charges no fee by default (a municipality); a deployment sets its own default fee', async () => {
    const { fee: _fee, ...noFee } = request();
    expect((await runAs(app.db, keeper, (w) => createEntry(w, 'disclosure', noFee))).data['fee']).toBe('0');
    setRegisterDefault('disclosure', 'fee', '300');
    try {
      expect((await runAs(app.db, keeper, (w) => createEntry(w, 'disclosure', noFee))).data['fee']).toBe('300');
      expect((await runAs(app.db, keeper, (w) => createEntry(w, 'disclosure', { ...noFee, fee: '200' }))).data['fee']).toBe('200');
    } finally {
      setRegisterDefault('disclosure', 'fee', '0');
    }
  });

  it('counts overdue and soon-due requests for the home (kernel clock, not the machine date)', async () => {
    const before = await runAs(app.db, keeper, (w) => disclosureWork(w));
    await runAs(app.db, keeper, (w) => createEntry(w, 'disclosure', request({ receivedOn: '2026-11-01' }))); // due 11-15: overdue
    await runAs(app.db, keeper, (w) => createEntry(w, 'disclosure', request({ receivedOn: '2026-11-09' }))); // due 11-23: within 3 days
    await runAs(app.db, keeper, (w) => createEntry(w, 'disclosure', request({ receivedOn: '2026-11-21' }))); // due 12-05: neither
    const after = await runAs(app.db, keeper, (w) => disclosureWork(w));
    expect(after.overdue - before.overdue).toBe(1);
    expect(after.dueSoon - before.dueSoon).toBe(1);
  });

  it('keeps every version of a corrected entry and every step; the history is append-only', async () => {
    const e = await runAs(app.db, clerk, (w) => createEntry(w, 'inquiry', { channel: '窓口', receivedOn: '2026-11-21', summary: '通知書が他人宛てに届いた', leak: 'いいえ', takenBy: '受付 一郎' }));
    await expectProblem(runAs(app.db, clerk, (w) => correctEntry(w, 'inquiry', e.number, { channel: '窓口', receivedOn: '2026-11-21', summary: '通知書が他人宛てに届いた', leak: 'はい', takenBy: '受付 一郎' }, ' ')), { field: 'reason' });
    const c = await runAs(app.db, clerk, (w) => correctEntry(w, 'inquiry', e.number, { channel: '窓口', receivedOn: '2026-11-21', summary: '通知書が他人宛てに届いた', leak: 'はい', takenBy: '受付 一郎' }, '誤送付の可能性'));
    expect(c).toMatchObject({ version: 2, flagged: true });
    await runAs(app.db, clerk, (w) => addStep(w, 'inquiry', e.number, 'response', { on: '2026-11-21', content: '回収に伺う旨を連絡', actor: '受付 一郎' }));
    await runAs(app.db, clerk, (w) => addStep(w, 'inquiry', e.number, 'response', { on: '2026-11-21', content: '回収した', actor: '係長' }));
    const d = await runAs(app.db, clerk, (w) => getEntry(w, 'inquiry', e.number));
    expect(d.versions.map((v) => [v.version, v.data['leak'], v.reason])).toEqual([[2, 'はい', '誤送付の可能性'], [1, 'いいえ', null]]);
    expect(d.steps.map((s) => s.data['content'])).toEqual(['回収に伺う旨を連絡', '回収した']);
    expect((await auditRows(app, TOTTORI, { action: 'update', actor_login: 'rg-vax' })).filter((r) => r.target_type === 'register-inquiry')).toHaveLength(3);
    // The application role cannot rewrite or remove history.
    await expect(runAs(app.db, clerk, (w) => w.tx.updateTable('kernel.register_versions').set({ reason: 'x' }).where('entry_id', '=', e.id).execute())).rejects.toThrow();
    await expect(runAs(app.db, clerk, (w) => w.tx.deleteFrom('kernel.register_steps').where('entry_id', '=', e.id).execute())).rejects.toThrow();
  });

  it('escalates flagged inquiries and open incidents; an inquiry links to an existing incident only', async () => {
    const before = await runAs(app.db, auditor, (w) => escalations(w));
    await runAs(app.db, clerk, (w) => createEntry(w, 'inquiry', { channel: '電話', receivedOn: '2026-11-21', summary: '他人の接種券が入っていた', leak: 'はい', takenBy: '受付 一郎' }));
    await expectProblem(runAs(app.db, clerk, (w) => createEntry(w, 'inquiry', { channel: '電話', receivedOn: '2026-11-21', summary: '同上', leak: 'はい', incident: '99', takenBy: '受付 一郎' })), { field: 'incident', code: 'LINK_UNKNOWN' });
    const inc = await runAs(app.db, admin, (w) =>
      createEntry(w, 'incident', { title: '接種券の誤封入', discoveredOn: '2026-11-21', kind: '漏えい', cause: '誤送付・誤交付', unlawful: 'いいえ', summary: '封入誤り', reporter: '管理者' }),
    );
    const linked = await runAs(app.db, clerk, (w) => createEntry(w, 'inquiry', { channel: '電話', receivedOn: '2026-11-21', summary: '同上', leak: 'はい', incident: String(inc.number), takenBy: '受付 一郎' }));
    expect(linked.data['incident']).toBe(String(inc.number));
    const after = await runAs(app.db, auditor, (w) => escalations(w));
    expect(after.flaggedInquiries - before.flaggedInquiries).toBe(2);
    expect(after.openIncidents - before.openIncidents).toBe(1);
    // The leak-response steps, each with date and who; closing ends the work.
    for (const kind of ['containment', 'investigation', 'prevention', 'notifyPersons', 'publication', 'ppcPreliminary', 'ppcFinal']) {
      await runAs(app.db, admin, (w) => addStep(w, 'incident', inc.number, kind, { on: '2026-11-21', content: `${kind} の内容`, actor: '管理者' }));
    }
    await expectProblem(runAs(app.db, admin, (w) => addStep(w, 'incident', inc.number, 'impact', { on: '2026-11-21', content: '範囲', actor: '管理者', persons: '多数' })), { field: 'persons', code: 'NUMBER_FORMAT' });
    await runAs(app.db, admin, (w) => addStep(w, 'incident', inc.number, 'impact', { on: '2026-11-21', content: '範囲', actor: '管理者', persons: '2', items: '氏名、住所' }));
    const closed = await runAs(app.db, admin, (w) => addStep(w, 'incident', inc.number, 'close', { on: '2026-11-21', content: '対応終了', actor: '管理者' }));
    expect(closed.open).toBe(false);
    const d = await runAs(app.db, auditor, (w) => getEntry(w, 'incident', inc.number));
    expect(d.steps).toHaveLength(9);
    // The auditor reads but does not write.
    await expectProblem(runAs(app.db, auditor, (w) => createEntry(w, 'incident', {})), { status: 403 });
  });

  it('watches the 確報 deadline of an incident and the use deadline of a hand-over until they are met', async () => {
    const incident = { title: '媒体の紛失', discoveredOn: '2026-10-01', kind: '漏えい等のおそれ', cause: '紛失・盗難', unlawful: 'いいえ', summary: '媒体を紛失', reporter: '係長' };
    const before = await runAs(app.db, keeper, (w) => overdueCount(w, 'incident'));
    const inc = await runAs(app.db, keeper, (w) => createEntry(w, 'incident', incident));
    expect(inc).toMatchObject({ dueOn: '2026-10-31', overdue: true });
    // Unlawful purpose feared: 60 days.
    expect((await runAs(app.db, keeper, (w) => correctEntry(w, 'incident', inc.number, { unlawful: 'はい' }, '不正アクセスの疑い'))).dueOn).toBe('2026-11-30');
    await runAs(app.db, keeper, (w) => correctEntry(w, 'incident', inc.number, { unlawful: 'いいえ' }, '調査の結果'));
    expect(await runAs(app.db, keeper, (w) => overdueCount(w, 'incident'))).toBe(before + 1);
    const reported = await runAs(app.db, keeper, (w) => addStep(w, 'incident', inc.number, 'ppcFinal', { on: '2026-11-21', content: '確報を提出', actor: '係長' }));
    expect(reported).toMatchObject({ dueOn: null, overdue: false });
    // A later correction does not bring the deadline back.
    expect((await runAs(app.db, keeper, (w) => correctEntry(w, 'incident', inc.number, { summary: '媒体を紛失（庁舎内）' }, '場所の追記'))).dueOn).toBeNull();
    expect(await runAs(app.db, keeper, (w) => overdueCount(w, 'incident'))).toBe(before);

    const h = await runAs(app.db, keeper, (w) => createEntry(w, 'handover', { company: '株式会社入力', content: '接種記録の入力票', medium: '紙', items: '30', handedOn: '2026-10-01', useUntil: '2026-11-01', returnMethod: '返却', handedBy: '係員', receivedBy: '入力 花子' }));
    expect(h).toMatchObject({ dueOn: '2026-11-01', overdue: true });
    const n = await runAs(app.db, keeper, (w) => overdueCount(w, 'handover'));
    expect(n).toBeGreaterThanOrEqual(1);
    await runAs(app.db, keeper, (w) => addStep(w, 'handover', h.number, 'confirm', { on: '2026-11-21', how: '返却された', actor: '係員' }));
    expect(await runAs(app.db, keeper, (w) => overdueCount(w, 'handover'))).toBe(n - 1);
  });

  it('keeps media: no take-out of an unencrypted medium; each use approved, returned or destroyed', async () => {
    const plain = await runAs(app.db, keeper, (w) => createEntry(w, 'media', { mediaId: 'USB-009', kind: 'USBメモリ', encrypted: 'いいえ', keeper: '係長', registeredOn: '2026-11-01' }));
    await expectProblem(runAs(app.db, keeper, (w) => addStep(w, 'media', plain.number, 'takeout', { on: '2026-11-21', approvedBy: '課長', purpose: '受渡', terminal: 'PC-01', actor: '係員' })), { field: 'approvedBy' });
    const m = await runAs(app.db, keeper, (w) => createEntry(w, 'media', { mediaId: 'USB-010', kind: 'USBメモリ', encrypted: 'はい', keeper: '係長', registeredOn: '2026-11-01' }));
    expect((await runAs(app.db, keeper, (w) => addStep(w, 'media', m.number, 'takeout', { on: '2026-11-21', approvedBy: '課長', purpose: '印刷委託先への受渡', terminal: 'PC-01', actor: '係員' }))).status).toBe('out');
    await expectProblem(runAs(app.db, keeper, (w) => addStep(w, 'media', m.number, 'takeout', { on: '2026-11-21', approvedBy: '課長', purpose: '再', terminal: 'PC-01', actor: '係員' })), { status: 409 });
    expect((await runAs(app.db, keeper, (w) => addStep(w, 'media', m.number, 'return', { on: '2026-11-21', outcome: '破壊・廃棄した', actor: '係長' }))).status).toBe('disposed');
  });

  it('keeps the outsourcing ledger (re-subcontracting, yearly report, deletion report) and hand-overs linked to it', async () => {
    await expectProblem(runAs(app.db, keeper, (w) => createEntry(w, 'outsourcing', { company: '株式会社印刷', contractNo: 'K-1', periodFrom: '2026-04-01', periodTo: '2026-03-31', scope: '印刷' })), { field: 'periodTo' });
    const c = await runAs(app.db, admin, (w) => createEntry(w, 'outsourcing', { company: '株式会社印刷', contractNo: 'K-1', periodFrom: '2026-04-01', periodTo: '2027-03-31', scope: '予診票の印刷・封入封緘' }));
    await expectProblem(runAs(app.db, admin, (w) => addStep(w, 'outsourcing', c.number, 'resubcontract', { on: '2026-05-01', subcontractor: '封入株式会社', appliedOn: '2026-04-20', method: '口頭', approver: '課長', chart: '体制図 v2' })), { field: 'method' });
    await runAs(app.db, admin, (w) => addStep(w, 'outsourcing', c.number, 'resubcontract', { on: '2026-05-01', subcontractor: '封入株式会社', appliedOn: '2026-04-20', method: '電磁的方法', approver: '課長', chart: '体制図 v2' }));
    await runAs(app.db, admin, (w) => addStep(w, 'outsourcing', c.number, 'inspection', { on: '2026-11-01', fiscalYear: '令和8年度', result: '指摘なし', actor: '係長' }));
    await expectProblem(runAs(app.db, keeper, (w) => createEntry(w, 'handover', { company: '株式会社印刷', contract: '77', content: '予診票データ', medium: '紙', items: '1200', handedOn: '2026-11-21', useUntil: '2026-12-20', returnMethod: '返却', handedBy: '係員', receivedBy: '印刷 太郎' })), { field: 'contract' });
    const h = await runAs(app.db, keeper, (w) => createEntry(w, 'handover', { company: '株式会社印刷', contract: String(c.number), content: '予診票データ', medium: '暗号化した電子記録媒体', items: '1,200'.replace(',', ''), handedOn: '2026-11-21', useUntil: '2026-12-20', returnMethod: '消去（消去証明書の提出）', handedBy: '係員', receivedBy: '印刷 太郎' }));
    expect(h).toMatchObject({ status: 'out', open: true });
    expect((await runAs(app.db, keeper, (w) => addStep(w, 'handover', h.number, 'confirm', { on: '2026-11-21', how: '消去された（証明書あり）', certificate: 'E-1', actor: '係員' }))).open).toBe(false);
    expect((await runAs(app.db, admin, (w) => addStep(w, 'outsourcing', c.number, 'deletion', { on: '2026-11-21', certificate: 'D-1', actor: '係長' }))).status).toBe('ended');
  });

  it('refuses staff without the duty and logs access_denied; other tenants see nothing', async () => {
    await expectProblem(runAs(app.db, clerk, (w) => createEntry(w, 'disposal', {})), { status: 403 });
    await expectProblem(runAs(app.db, clerk, (w) => listEntries(w, 'incident', {}, { offset: 0, limit: 20 })), { status: 403 });
    await expectProblem(runAs(app.db, clerk, (w) => registerCsv(w, 'disclosure')), { status: 403 });
    const denied = (await auditRows(app, TOTTORI, { action: 'access_denied', actor_login: 'rg-vax' })).map((r) => r.target_type);
    expect(denied).toEqual(expect.arrayContaining(['register-disposal', 'register-incident', 'register-disclosure']));
    // The clerk keeps the inquiry log only.
    const counts = await runAs(app.db, clerk, (w) => registerCounts(w));
    expect(counts.map((c) => c.register.name)).toEqual(['inquiry']);
    const other = await runAs(app.db, sendai, (w) => listEntries(w, 'disposal', {}, { offset: 0, limit: 20 }));
    expect(other.total).toBe(0);
  });

  it('exports a register as CSV with every field, the steps, neutralised formulas; the export is logged', async () => {
    await runAs(app.db, keeper, (w) => createEntry(w, 'disposal', { target: '紙', item: '=HYPERLINK("x")', method: '溶解', disposedOn: '2026-11-21', doneBy: '@委託先', witness: ' -係長', note: '\u3000＋1, "引用"' }));
    const csv = await runAs(app.db, auditor, (w) => registerCsv(w, 'disposal'));
    const lines = csv.slice(1).split('\r\n');
    expect(lines[0]).toBe('番号,状態,対象の種類,対象（名称・管理番号）,方法,消去証明書番号,消去・廃棄日,実施者,立会者,備考,版,経過,登録者,登録日時');
    const last = lines.find((l) => l.includes('溶解'))!;
    expect(last).toContain(`"'=HYPERLINK(""x"")"`);
    expect(last).toContain(`'@委託先`);
    expect(last).toContain(`,'-係長,`); // trimmed on entry, then neutralised
    expect(last).toContain(`,"'＋1, ""引用""",`); // U+3000 trimmed on entry; the full-width ＋ neutralised; quoted per RFC 4180
    expect(csv.endsWith('\r\n')).toBe(true);
    expect((await auditRows(app, TOTTORI, { action: 'export', actor_login: 'rg-kansa' })).some((r) => r.target_type === 'register-disposal')).toBe(true);
    const inquiries = await runAs(app.db, auditor, (w) => registerCsv(w, 'inquiry'));
    expect(inquiries).toContain('2026-11-21 対応：対応の内容 回収に伺う旨を連絡／対応者 受付 一郎');
  });
});
