// Issue 13 part C over real HTTP between real organisations: 鳥取市 pushes its Hib targets; a clinic with a
// contract with 鳥取市 logs in, receives the child by the My Number card (challenge → signature → CA →
// card.status → 支払基金 reception.resolve → PMH key → target), the doctor reads the 予診票 answered on
// マイナポータル, checks identity in the examination room, scans the vial (GS1) and registers the dose; the
// record reaches 鳥取市 by records.fetch and マイナポータル's records.  Then each attack, one per test.
// PMH-13…PMH-17, PMH-22.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { exchangeNodeFor, type ExchangeNode } from '../../src/kernel/exchange/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { gtinCheckDigit } from '../../src/municipality/records/gs1.js';
import { pushRun, QUESTIONNAIRE_ITEMS } from '../../src/municipality/platform/index.js';
import { withPlatformTenant } from '../../src/platform/index.js';
import { TOTTORI } from '../harness/app.js';
import { TEST_TODAY } from '../harness/clock.js';
import { findMyNumbers } from '../harness/leaks.js';
import { addClinic, ClinicClient, platformWorld, WHO, type ClinicFixture, type PlatformWorld } from '../harness/platform.js';
import { mn } from '../harness/residents.js';
import { runCli } from '../harness/cli.js';
import { institutionCode } from '../harness/platform.js';

const GTIN = (() => {
  const base = '0498712345678';
  return base + String(gtinCheckDigit(base));
})();
const EXPIRY = addDaysIso(TEST_TODAY, 200);
const yymmdd = (iso: string) => iso.slice(2).replaceAll('-', '');

interface VisitView {
  visitId: string;
  targetId: string;
  status: string;
  person: { name: string };
  examCheck: unknown;
  questionnaire?: { answerId: string; items: { itemId: string; label: string; value: unknown }[] }[] | null;
}

describe('the clinic side of the platform (issue 13 part C)', () => {
  let w: PlatformWorld;
  let clinic: ClinicFixture;
  let stranger: ClinicFixture;
  let reception: ClinicClient;
  let doctor: ClinicClient;
  const clients: ClinicClient[] = [];
  let portal: ExchangeNode;
  let childTarget = '';
  let otherChildTarget = '';
  let answerId = '';
  let visitId = '';
  let recordId = '';

  const client = () => {
    const c = new ClinicClient(w.url.platform);
    clients.push(c);
    return c;
  };

  const dose = (over: Record<string, unknown> = {}) => ({
    targetId: childTarget, visitId, programCode: 'hib', dose: 1, product: 'hib', vaccinatedOn: w.app.config.clock.today(), time: '10:30', consent: true,
    doctorName: '予防　医師', implementationClass: 'individual', vaccinationClass: 'routine', gtin: GTIN, manufacturer: 'サノフィ株式会社', vaccineName: 'アクトヒブ',
    lot: 'HB123', amount: '0.5mL', site: '左上腕', route: '皮下注射', expiry: EXPIRY, caution: false, overseas: false, ...over,
  });

  const counts = async () =>
    withPlatformTenant(w.platformDb, TOTTORI, async (tx) => ({
      doses: Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM platform.institution_doses`.execute(tx)).rows[0]!.n),
      records: Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM platform.target_records WHERE source = 'institution'`.execute(tx)).rows[0]!.n),
    }));

  const cardReception = async (c: ClinicClient, who: 'child' | 'otherChild' = 'child') => {
    const ch = await c.req<{ challengeId: string; challenge: string }>('POST', '/clinic/v1/reception/challenge', {});
    expect(ch.status).toBe(200);
    const proof = await w.sign(w.cards[who], ch.body.challenge);
    return c.req<{ visits: VisitView[] }>('POST', '/clinic/v1/reception/card', { challengeId: ch.body.challengeId, ...proof, identityCheck: { method: 'card' }, consent: true });
  };

  beforeAll(async () => {
    w = await platformWorld();
    const pushed = await pushRun(w.deps, w.nurse, { node: w.orgs.municipal.node }, { runId: w.runId });
    expect(pushed.failed).toBe(0);
    const ids = await withPlatformTenant(w.platformDb, TOTTORI, (tx) => sql<{ identity_key: string; target_id: string; pmh_key: string }>`SELECT identity_key, target_id, pmh_key FROM platform.targets`.execute(tx));
    const byKey = new Map(ids.rows.map((r) => [r.identity_key, r]));
    childTarget = byKey.get(w.atena.child)!.target_id;
    otherChildTarget = byKey.get(w.atena.otherChild)!.target_id;
    clinic = await addClinic(w, { first9: '311010001', name: 'とっとり小児科クリニック' });
    stranger = await addClinic(w, { first9: '311020002', name: '県外こどもクリニック', contract: false });
    // The child's 予診票, answered on マイナポータル (the platform's own portal services, called as マイナポータル).
    portal = exchangeNodeFor({ name: 'mynaportal', schema: 'peers_mynaportal', db: await w.app.db.forRole('mamori_mynaportal'), keyDir: w.app.config.keyDir, directory: w.orgs.directory, clock: w.app.config.clock });
    const pp = `PP${'CHILDPSEUDONYMABCDEFGHIJK'.padEnd(26, 'A')}`;
    await portal.call('platform', 'portal.link', { pmhPseudonym: pp, pmhKey: byKey.get(w.atena.child)!.pmh_key }, { personal: true });
    const answers: Record<string, unknown> = {};
    for (const it of QUESTIONNAIRE_ITEMS) if (it.required) answers[it.itemId] = it.type === 'number' ? 36.6 : it.type === 'boolean' ? false : (it.options?.[0] ?? 'なし');
    const a = await portal.call('platform', 'portal.answer', { actor: pp, subject: pp, programCode: 'hib', dose: 1, consent: { by: 'self', at: w.app.config.clock.now().toISOString(), text: '同意します' }, answers }, { personal: true });
    answerId = (a.body as { answerId: string }).answerId;
    reception = client();
    doctor = client();
  }, 300_000);

  afterAll(async () => {
    await w?.close();
  });

  it('a 医療機関コード with a wrong 検証番号 is refused, naming the field', async () => {
    const { addInstitution, institutionCodeValid } = await import('../../src/platform/index.js');
    expect(institutionCodeValid('0110113719')).toBe(true);
    expect(institutionCodeValid('0110113718')).toBe(false);
    await expect(addInstitution(w.platformDb, w.app.config.clock, { code: '0110113718', name: 'x' })).rejects.toMatchObject({ status: 400, code: 'INSTITUTION_CODE_INVALID', errors: [{ field: 'code' }] });
  });

  it('staff log in with their own accounts; five wrong passwords lock the account', async () => {
    expect((await reception.login(clinic.code, clinic.reception.userId, clinic.reception.password)).status).toBe(200);
    const me = await doctor.login(clinic.code, clinic.doctor.userId, clinic.doctor.password);
    expect(me.body).toMatchObject({ user: { userId: 'doctor1', role: 'doctor' }, institution: { code: clinic.code, name: 'とっとり小児科クリニック' } });
    expect((await doctor.req('GET', '/clinic/v1/me')).status).toBe(200);
    const guess = client();
    for (let i = 0; i < 4; i++) expect((await guess.login(clinic.code, clinic.admin.userId, 'Wrong-password-1')).status).toBe(401);
    expect((await guess.login(clinic.code, clinic.admin.userId, 'Wrong-password-1')).body).toMatchObject({ code: 'ACCOUNT_LOCKED' });
    expect((await guess.login(clinic.code, clinic.admin.userId, clinic.admin.password)).status).toBe(403);
    expect((await client().req('GET', '/clinic/v1/visits')).status).toBe(401);
  });

  it('the reception reads the child\'s card: the platform finds the target by PMH key and opens today\'s visit (PMH-13/14)', async () => {
    const r = await cardReception(reception);
    expect(r.status).toBe(200);
    expect(r.body.visits).toHaveLength(1);
    const v = r.body.visits[0]!;
    expect(v).toMatchObject({ targetId: childTarget, status: 'checked-in', person: { name: '鳥取　はな' }, municipality: { code: TOTTORI, name: '鳥取市' }, receptionCheck: { method: 'card', by: 'reception1' }, examCheck: null });
    visitId = v.visitId;
    // 支払基金 logged the resolve it answered.
    const hub = await sql<{ n: string }>`SELECT count(*)::text AS n FROM peers_insurerhub.handling_log WHERE service = 'reception.resolve' AND outcome = 'ok'`.execute(w.app.db.system);
    expect(Number(hub.rows[0]!.n)).toBe(1);
    // The same card again today: the same visit, not a second one.
    const again = await cardReception(reception);
    expect(again.body.visits[0]!.visitId).toBe(visitId);
    const list = await reception.req<{ total: number; items: { visitId: string }[] }>('GET', '/clinic/v1/visits');
    expect(list.body.total).toBe(1);
    expect(list.body.items.map((i) => i.visitId)).toEqual([visitId]);
  });

  it('the QR of the 予診票 checks in only with an answer of that very target', async () => {
    const wrong = await reception.req('POST', '/clinic/v1/reception/qr', { qr: `MAMORI-PMH1:${TOTTORI}:${otherChildTarget}:${answerId}`, identityCheck: { method: 'insurance' } });
    expect(wrong.status).toBe(404);
    const ok = await reception.req<{ visits: VisitView[] }>('POST', '/clinic/v1/reception/qr', { qr: `MAMORI-PMH1:${TOTTORI}:${childTarget}:${answerId}`, identityCheck: { method: 'boshi' } });
    expect(ok.status).toBe(200);
    expect(ok.body.visits[0]!.visitId).toBe(visitId);
  });

  it('the receptionist cannot do the doctor\'s part (wrong role)', async () => {
    const before = await counts();
    expect((await reception.req('POST', `/clinic/v1/visits/${visitId}/identity`, { method: 'card' })).body).toMatchObject({ status: 403, code: 'FORBIDDEN_ROLE' });
    expect((await reception.req('POST', '/clinic/v1/doses', dose())).body).toMatchObject({ status: 403, code: 'FORBIDDEN_ROLE' });
    // The receptionist sees the visit but not the questionnaire (health information).
    const v = await reception.req<VisitView>('GET', `/clinic/v1/visits/${visitId}`);
    expect(v.status).toBe(200);
    expect(v.body.questionnaire).toBeNull();
    expect(await counts()).toEqual(before);
  });

  it('the doctor reads the 予診票 with the template\'s item labels; a dose before the examination-room check is refused', async () => {
    const v = await doctor.req<VisitView>('GET', `/clinic/v1/visits/${visitId}`);
    expect(v.status).toBe(200);
    const q = v.body.questionnaire!.find((x) => x.answerId === answerId)!;
    expect(q.items.find((i) => i.itemId === 'temperature')).toEqual({ itemId: 'temperature', label: '今日の体温（℃）', value: 36.6 });
    const refused = await doctor.req('POST', '/clinic/v1/doses', dose());
    expect(refused.body).toMatchObject({ status: 409, code: 'IDENTITY_CHECK_REQUIRED' });
    const checked = await doctor.req<VisitView>('POST', `/clinic/v1/visits/${visitId}/identity`, { method: 'card' });
    expect(checked.body).toMatchObject({ status: 'examined', examCheck: { method: 'card', by: 'doctor1' } });
  });

  it('a POST without the CSRF token is refused and writes nothing', async () => {
    const before = await counts();
    const r = await doctor.req('POST', '/clinic/v1/doses', dose(), { csrf: false });
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'CSRF_INVALID' });
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(await counts()).toEqual(before);
  });

  it('an expired lot is refused (422) and nothing is written', async () => {
    const before = await counts();
    const r = await doctor.req('POST', '/clinic/v1/doses', dose({ expiry: addDaysIso(w.app.config.clock.today(), -1) }));
    expect(r.body).toMatchObject({ status: 422, code: 'LOT_EXPIRED' });
    expect(await counts()).toEqual(before);
  });

  it('a target the reception did not check in cannot get a dose (403), even with a real visit id', async () => {
    const before = await counts();
    const r = await doctor.req('POST', '/clinic/v1/doses', dose({ targetId: otherChildTarget }));
    expect(r.body).toMatchObject({ status: 403, code: 'NOT_CHECKED_IN' });
    expect(await counts()).toEqual(before);
    const logged = await sql<{ action: string; code: string }>`SELECT action, code FROM platform.clinic_log WHERE institution_code = ${clinic.code} AND target_id = ${otherChildTarget}`.execute(w.app.db.system);
    expect(logged.rows).toEqual([{ action: 'dose', code: 'NOT_CHECKED_IN' }]);
  });

  it('the vial is scanned (GS1), the live check passes, and the dose is registered once (Idempotency-Key)', async () => {
    const scan = await doctor.req('POST', '/clinic/v1/gs1', { scan: `(01)${GTIN}(17)${yymmdd(EXPIRY)}(10)HB123` });
    expect(scan.body).toEqual({ gtin: GTIN, lot: 'HB123', expiry: EXPIRY });
    const check = await doctor.req<{ programCode: string; dose: number; warnings: { level: string }[] }>('POST', '/clinic/v1/doses/check', dose());
    expect(check.status).toBe(200);
    expect(check.body).toMatchObject({ programCode: 'hib', dose: 1 });
    expect(check.body.warnings.filter((x) => x.level === 'problem')).toEqual([]);
    const headers = { 'idempotency-key': 'dose-child-1' };
    const r = await doctor.req<{ recordId: string; targetId: string }>('POST', '/clinic/v1/doses', dose({ answerId }), { headers });
    expect(r.status).toBe(201);
    expect(r.body.targetId).toBe(childTarget);
    recordId = r.body.recordId;
    const again = await doctor.req<{ recordId: string }>('POST', '/clinic/v1/doses', dose({ answerId }), { headers });
    expect(again.status).toBe(201);
    expect(again.body.recordId).toBe(recordId);
    expect((await counts()).doses).toBe(1);
    const state = await withPlatformTenant(w.platformDb, TOTTORI, async (tx) => ({
      answer: (await sql<{ status: string }>`SELECT status FROM platform.answers WHERE answer_id = ${answerId}`.execute(tx)).rows[0]!.status,
      visit: (await sql<{ status: string }>`SELECT status FROM platform.visits WHERE visit_id = ${visitId}`.execute(tx)).rows[0]!.status,
      log: (await sql<{ actor_kind: string }>`SELECT actor_kind FROM platform.handling_log WHERE action = 'clinic.dose' AND target_id = ${childTarget}`.execute(tx)).rows,
    }));
    expect(state).toEqual({ answer: 'used', visit: 'vaccinated', log: [{ actor_kind: 'institution' }] });
  });

  it('a second Hib dose the same day breaks the interval: refused without a reason, registered with one', async () => {
    const second = dose({ dose: 2 });
    const check = await doctor.req<{ warnings: { level: string; code: string }[] }>('POST', '/clinic/v1/doses/check', second);
    expect(check.body.warnings.some((x) => x.level === 'problem')).toBe(true);
    const before = await counts();
    const refused = await doctor.req<{ code: string; warnings: { level: string }[] }>('POST', '/clinic/v1/doses', second);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('SCHEDULE_PROBLEMS');
    expect(refused.body.warnings.some((x) => x.level === 'problem')).toBe(true);
    expect(await counts()).toEqual(before);
    const ok = await doctor.req<{ recordId: string; warnings: { level: string }[] }>('POST', '/clinic/v1/doses', { ...second, overrideReason: '保護者の強い希望（医師が必要と判断）' });
    expect(ok.status).toBe(201);
    expect(ok.body.warnings.some((x) => x.level === 'problem')).toBe(true);
    const kept = await withPlatformTenant(w.platformDb, TOTTORI, (tx) => sql<{ override_reason: string }>`SELECT override_reason FROM platform.institution_doses WHERE record_id = ${ok.body.recordId}`.execute(tx));
    expect(kept.rows[0]!.override_reason).toBe('保護者の強い希望（医師が必要と判断）');
  });

  it('a clinic without a contract with 鳥取市 cannot open its resident: 403, logged, nothing opened', async () => {
    const other = client();
    expect((await other.login(stranger.code, stranger.reception.userId, stranger.reception.password)).status).toBe(200);
    const r = await cardReception(other);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'NO_CONTRACT', title: 'この方のお住まいの市区町村とは契約がありません' });
    expect(JSON.stringify(r.body)).not.toContain('鳥取　はな');
    const qr = await other.req('POST', '/clinic/v1/reception/qr', { qr: `MAMORI-PMH1:${TOTTORI}:${childTarget}:${answerId}`, identityCheck: { method: 'insurance' } });
    expect(qr.body).toMatchObject({ status: 403, code: 'NO_CONTRACT' });
    const visits = await sql<{ n: string }>`SELECT count(*)::text AS n FROM platform.visits WHERE institution_code = ${stranger.code}`.execute(w.app.db.system);
    expect(visits.rows[0]!.n).toBe('0');
    const log = await sql<{ code: string; target_id: string }>`SELECT code, target_id FROM platform.clinic_log WHERE institution_code = ${stranger.code} AND outcome = 'refused'`.execute(w.app.db.system);
    expect(log.rows).toEqual(expect.arrayContaining([{ code: 'NO_CONTRACT', target_id: childTarget }]));
    const handled = await withPlatformTenant(w.platformDb, TOTTORI, (tx) => sql<{ n: string }>`SELECT count(*)::text AS n FROM platform.handling_log WHERE action = 'clinic.refused' AND target_id = ${childTarget}`.execute(tx));
    expect(Number(handled.rows[0]!.n)).toBe(2);
    // Its doctor cannot register for the child either, nor read the other clinic's visit (the same 404 as none).
    const doc = client();
    await doc.login(stranger.code, stranger.doctor.userId, stranger.doctor.password);
    expect((await doc.req('POST', '/clinic/v1/doses', dose())).body).toMatchObject({ status: 403, code: 'NOT_CHECKED_IN' });
    expect((await doc.req('GET', `/clinic/v1/visits/${visitId}`)).status).toBe(404);
    expect((await doc.req<{ total: number }>('GET', '/clinic/v1/visits')).body.total).toBe(0);
    // Logged out, the session is gone at once.
    expect((await doc.req('POST', '/clinic/v1/logout', {})).status).toBe(200);
    expect((await doc.req('GET', '/clinic/v1/me')).status).toBe(401);
  });

  it('鳥取市 fetches the records by seq (records.fetch); マイナポータル shows the dose', async () => {
    const node = w.orgs.municipal.node;
    const a = await node.call('platform', 'records.fetch', { tenant: TOTTORI, after: 0, limit: 1 });
    const first = a.body as { records: { seq: number; recordId: string; identityKey: string; institutionCode: string; lot: string; overrideReason: string | null }[]; next: number };
    expect(first.records).toHaveLength(1);
    expect(first.records[0]).toMatchObject({ recordId, identityKey: w.atena.child, institutionCode: clinic.code, lot: 'HB123', overrideReason: null });
    expect(first.next).toBe(first.records[0]!.seq);
    const rest = (await node.call('platform', 'records.fetch', { tenant: TOTTORI, after: first.next })).body as { records: { overrideReason: string | null }[]; next: number };
    expect(rest.records).toHaveLength(1);
    expect(rest.records[0]!.overrideReason).toContain('保護者');
    const none = (await node.call('platform', 'records.fetch', { tenant: TOTTORI, after: rest.next })).body as { records: unknown[]; next: number };
    expect(none).toEqual({ records: [], next: rest.next });
    // 支払基金 gives PMH keys of cards to the platform only.
    await expect(portal.call('insurerhub', 'reception.resolve', { serial: '01' })).rejects.toMatchObject({ status: 403 });
    // Another node may not fetch 鳥取市's records.
    await expect(portal.call('platform', 'records.fetch', { tenant: TOTTORI, after: 0 })).rejects.toMatchObject({ status: 403 });
    const pp = `PP${'CHILDPSEUDONYMABCDEFGHIJK'.padEnd(26, 'A')}`;
    const recs = (await portal.call('platform', 'portal.records', { actor: pp, subject: pp })).body as { records: { recordId: string; institutionName: string | null }[] };
    expect(recs.records).toEqual(expect.arrayContaining([expect.objectContaining({ recordId: `${TOTTORI}.${recordId}`, institutionName: 'とっとり小児科クリニック' })]));
    // "Who used my data" shows what the clinic did (PMH-22), including the refused attempt of the other clinic.
    const use = JSON.stringify((await portal.call('platform', 'portal.data-use', { actor: pp, subject: pp })).body);
    for (const action of ['医療機関での受付', '医療機関での予診票の確認', '医療機関の診察室での本人確認', '医療機関での接種記録の登録', '医療機関での受付（契約がないため拒否）']) expect(use).toContain(action);
  });

  it('the decision 接種不可 stops a dose; a cancelled visit is no check-in', async () => {
    const r = await cardReception(reception, 'otherChild');
    expect(r.status).toBe(200);
    const v = r.body.visits[0]!;
    await doctor.req('POST', `/clinic/v1/visits/${v.visitId}/identity`, { method: 'other', note: '母子健康手帳と保険証' });
    const decided = await doctor.req<VisitView>('POST', `/clinic/v1/visits/${v.visitId}/decision`, { vaccinable: false, reason: '37.8℃の発熱' });
    expect(decided.body.status).toBe('not-vaccinable');
    const refused = await doctor.req('POST', '/clinic/v1/doses', dose({ targetId: otherChildTarget, visitId: v.visitId }));
    expect(refused.body).toMatchObject({ status: 409, code: 'NOT_VACCINABLE' });
    expect((await reception.req<VisitView>('POST', `/clinic/v1/visits/${v.visitId}/cancel`, { reason: '本日は帰宅' })).body.status).toBe('cancelled');
    expect((await doctor.req('POST', '/clinic/v1/doses', dose({ targetId: otherChildTarget, visitId: v.visitId }))).body).toMatchObject({ status: 403, code: 'NOT_CHECKED_IN' });
  });

  it('the operator sets up an institution with the CLI: a wrong 検証番号 exits 2; the account it prints can log in', async () => {
    const env = { DATABASE_URL: w.app.databaseUrl!, MAMORI_DATA: w.app.config.dataDir, MAMORI_AUDIT_WITNESS: w.app.config.auditWitness };
    const code = institutionCode('313010003');
    const wrong = code.slice(0, 9) + String((Number(code[9]) + 1) % 10);
    const bad = await runCli(['platform', 'clinic', 'add', '--code', wrong, '--name', '因幡歯科', '--json'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).toContain('検証番号');
    const add = await runCli(['platform', 'clinic', 'add', '--code', code, '--name', '因幡歯科', '--json'], { env });
    expect(add.code, add.stderr).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({ code, kind: 'institution', name: '因幡歯科' });
    const contract = await runCli(['platform', 'clinic', 'contract', '--institution', code, '--municipality', TOTTORI, '--json'], { env });
    expect(contract.code, contract.stderr).toBe(0);
    const acc = await runCli(['platform', 'clinic', 'account', '--institution', code, '--user', 'dentist1', '--name', '因幡　歯科医', '--role', 'doctor', '--json'], { env });
    expect(acc.code, acc.stderr).toBe(0);
    const { initialPassword } = JSON.parse(acc.stdout) as { initialPassword: string };
    const self = await runCli(['platform', 'clinic', 'account', '--institution', code, '--user', 'boss', '--name', '自分', '--role', 'admin', '--by', 'boss'], { env });
    expect(self.code).not.toBe(0);
    const list = await runCli(['platform', 'clinic', 'list', '--institution', code, '--json'], { env });
    expect(JSON.parse(list.stdout)).toMatchObject({ accounts: [{ userId: 'dentist1', role: 'doctor' }], contracts: [{ municipalityCode: TOTTORI }] });
    const c = client();
    expect((await c.login(code, 'dentist1', initialPassword)).status).toBe(200);
  });

  it('a session idle for 30 minutes ends; the reception challenge is one use only', async () => {
    const ch = await reception.req<{ challengeId: string; challenge: string }>('POST', '/clinic/v1/reception/challenge', {});
    const proof = await w.sign(w.cards.child, ch.body.challenge);
    const body = { challengeId: ch.body.challengeId, ...proof, identityCheck: { method: 'card' }, consent: true };
    expect((await reception.req('POST', '/clinic/v1/reception/card', body)).status).toBe(200);
    expect((await reception.req('POST', '/clinic/v1/reception/card', body)).body).toMatchObject({ status: 401, code: 'CHALLENGE_INVALID' });
    const clock = w.app.config.clock as unknown as { advance(ms: number): void };
    clock.advance(31 * 60_000);
    expect((await doctor.req('GET', '/clinic/v1/me')).body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('no answer of the clinic API carries a My Number', () => {
    const all = clients.flatMap((c) => c.bodies);
    expect(all.length).toBeGreaterThan(20);
    expect(all.join('\n')).toContain('鳥取　はな');
    const numbers = [mn(WHO.parent), mn(WHO.child), mn(WHO.otherParent), mn(WHO.otherChild)];
    for (const text of all) {
      expect(findMyNumbers(text)).toEqual([]);
      for (const n of numbers) expect(text).not.toContain(n);
    }
  });
});
