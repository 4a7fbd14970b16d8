// 申請管理 between real organisations (issue 14 point 5; XCH-26…XCH-30; decisions 0155, 0156): residents submit
// signed applications to サービス検索・電子申請機能 (`eapply`), the municipality collects them over the message
// layer, verifies each signature against the 公的個人認証 CA and card.status, identifies the applicant and the
// person vaccinated exactly, and staff take them through checked → under review → accepted / rejected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { canonicalDocumentText, certSerial, signChallenge, signDocument, verifyDocumentSignature, type CardFile } from '../../src/kernel/jpki/index.js';
import { EFORM_FORMAT } from '../../src/kernel/eforms/index.js';
import { EAPPLY_ROLE, purgeEapply, UNCOLLECTED_KEEP_DAYS } from '../../src/peers/eapply/index.js';
import { syncExchange } from '../../src/app/index.js';
import { exchangeNodeFor } from '../../src/kernel/exchange/index.js';
import { staff } from '../harness/app.js';
import { EAPPLICATION_CONTENT_CLASS, acceptEapplication, getEapplication, listEapplications, openHandovers, receiveApplications, rejectEapplication, startReview } from '../../src/municipality/eapply/index.js';
import { operatorOf, TOTTORI } from '../harness/app.js';
import { person } from '../harness/residents.js';
import { findMyNumbers } from '../harness/leaks.js';
import { runCli } from '../harness/cli.js';
import { PageClient, visibleText } from '../harness/web.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHILD_BIRTH, PIN, platformWorld, WHO, type PlatformWorld } from '../harness/platform.js';
import { setSubsidyProgram, takeElectronicApplications } from '../../src/municipality/reimburse/index.js';

describe('electronic applications (申請管理)', () => {
  let w: PlatformWorld;
  let eapplyUrl: string;
  let today: string;
  const op = (): Principal => operatorOf(TOTTORI);
  const receive = () => receiveApplications({ db: w.app.db, vault: w.app.vault, tenantKeys: w.app.tenantKeys }, op(), w.orgs.municipal.node);
  const deps = () => ({ vault: w.app.vault, tenantKeys: w.app.tenantKeys });
  const peerRows = async () => {
    const db = await w.app.db.forRole(EAPPLY_ROLE);
    return Number((await sql<{ n: string }>`SELECT count(*) AS n FROM peers_eapply.applications`.execute(db)).rows[0]!.n);
  };
  const rows = async () =>
    (await sql<{ id: string; application_no: string; kind: string; status: string; reject_code: string | null; form: unknown; sealed: boolean; subject_atena: string | null }>`
      SELECT id, application_no, kind, status, reject_code, reject_reason, form, sealed_document IS NOT NULL AS sealed, subject_atena FROM municipality.eapplications ORDER BY fetched_at, application_no`.execute(w.app.db.system)).rows;
  const ledgerCounts = async () => {
    const q = async (t: string) => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.raw(t)}`.execute(w.app.db.system)).rows[0]!.n);
    return { handovers: await q('municipality.eapplication_handovers'), certApps: await q('municipality.certificate_applications'), notices: await q('municipality.notice_items') };
  };

  const childForm = () => ({ subject: { name: '鳥取　はな', nameKana: 'トットリ　ハナ', birthDate: CHILD_BIRTH }, relation: 'parent', phone: '0857-00-1111', myNumber: person(WHO.child)['個人番号']! });
  const parentForm = () => ({ subject: { name: '鳥取　太郎', nameKana: 'トットリ　タロウ', birthDate: '1992-06-01' }, relation: 'self', phone: '0857-00-1111', myNumber: person(WHO.parent)['個人番号']! });
  const reimbursement = (over: Record<string, unknown> = {}) => ({
    ...childForm(), program: 'hib', dose: 1, vaccinatedOn: addDaysIso(today, -10), clinicName: '大阪こどもクリニック', receiptDate: addDaysIso(today, -10), amountPaid: 8800,
    bank: { bankCode: '0001', branchCode: '001', accountType: '1', accountNumber: '1234567', holderKana: 'トットリ　タロウ' }, ...over,
  });
  const doc = (kind: string, form: Record<string, unknown>, supersedes?: string) => ({ format: EFORM_FORMAT, tenant: TOTTORI, kind, form, ...(supersedes ? { supersedes } : {}) });

  async function post(body: unknown): Promise<{ status: number; body: Record<string, unknown>; text: string }> {
    const res = await fetch(`${eapplyUrl}/eapply/v1/applications`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown>, text };
  }
  async function submit(card: CardFile, d: Record<string, unknown>, tamper?: (signed: Record<string, unknown>) => Record<string, unknown>): Promise<string> {
    const s = await signDocument(card, PIN, d);
    const sent = tamper ? tamper(d) : d;
    const r = await post({ document: canonicalDocumentText(sent), signature: { certPem: s.certPem, value: s.signature } });
    expect(r.status, r.text).toBe(201);
    return r.body['applicationNo'] as string;
  }
  const idOf = async (applicationNo: string) => (await rows()).find((r) => r.application_no === applicationNo)!.id;

  beforeAll(async () => {
    w = await platformWorld();
    eapplyUrl = w.orgs.nodes.find((n) => n.name === 'eapply')!.url;
    today = w.app.config.clock.today();
  }, 180_000);
  afterAll(async () => w?.close());

  it('verifyDocumentSignature: the 4情報 of a good signature; tampering, another key, an auth certificate, a non-canonical text, expiry refused', async () => {
    const card = w.cards.parent;
    const d = doc('reimbursement', reimbursement());
    const s = await signDocument(card, PIN, d);
    const text = canonicalDocumentText(d);
    const now = w.app.config.clock.now();
    const ok = await verifyDocumentSignature({ text, certPem: s.certPem, caCertPem: card.caCert, signature: s.signature, now });
    expect(ok.holder).toMatchObject({ name: '鳥取　太郎', dateOfBirth: '1992-06-01' });
    expect(ok.serial).toBe(certSerial(card.signCert));
    const fail = (over: Partial<Parameters<typeof verifyDocumentSignature>[0]>) => verifyDocumentSignature({ text, certPem: s.certPem, caCertPem: card.caCert, signature: s.signature, now, ...over });
    await expect(fail({ text: text.replace('8800', '8801') })).rejects.toMatchObject({ code: 'CARD_BAD_SIGNATURE' });
    await expect(fail({ signature: (await signDocument(w.cards.otherParent, PIN, d)).signature })).rejects.toMatchObject({ code: 'CARD_BAD_SIGNATURE' });
    const auth = await signChallenge(card, PIN, Buffer.from(text).toString('base64url'));
    await expect(fail({ certPem: auth.certPem, signature: auth.signature })).rejects.toMatchObject({ code: 'CARD_NOT_SIGN' });
    await expect(fail({ text: JSON.stringify(d, null, 1) })).rejects.toMatchObject({ code: 'DOCUMENT_NOT_CANONICAL' });
    await expect(fail({ caCertPem: w.cards.parent.signCert })).rejects.toMatchObject({ code: 'CARD_UNTRUSTED' });
    await expect(fail({ now: new Date(now.getTime() + 6 * 366 * 86_400_000) })).rejects.toMatchObject({ status: 401 });
  });

  it('refuses at the portal a form with an item outside the standard form, or unsigned', async () => {
    const extra = await post({ document: canonicalDocumentText(doc('reimbursement', { ...reimbursement(), note: '自由記載' })), signature: { certPem: 'x', value: 'abc' } });
    expect(extra.status).toBe(400);
    expect(extra.text).toContain('document.form');
    const unsigned = await post({ document: canonicalDocumentText(doc('reimbursement', reimbursement())) });
    expect(unsigned.status).toBe(400);
    expect(unsigned.text).toContain('signature');
    expect(findMyNumbers(unsigned.text)).toEqual([]);
    const notCanonical = await post({ document: JSON.stringify(doc('reimbursement', reimbursement()), null, 1), signature: { certPem: 'x', value: 'abc' } });
    expect(notCanonical.status).toBe(400);
    expect(await peerRows()).toBe(0);
  });

  it('only the municipality\'s node may collect; staff without the 予防接種 duty are refused and logged', async () => {
    await submit(w.cards.parent, doc('reimbursement', reimbursement({ amountPaid: 4400 })));
    const portal = exchangeNodeFor({ name: 'mynaportal', schema: 'peers_mynaportal', db: await w.app.db.forRole('mamori_mynaportal'), keyDir: w.app.config.keyDir, directory: w.orgs.directory, clock: w.app.config.clock });
    await expect(portal.call('eapply', 'applications.fetch', { tenant: TOTTORI }, { personal: true })).rejects.toMatchObject({ status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
    await expect(portal.call('eapply', 'applications.ack', { tenant: TOTTORI, applicationNos: ['00000000-0000-4000-8000-000000000000'] })).rejects.toMatchObject({ status: 403 });
    expect(await peerRows()).toBe(1);
    const other = await staff(w.app, TOTTORI, { login: 'addr-only', role: 'clerk', duties: ['addressee'] });
    await expect(runAs(w.app.db, other.principal, (x) => listEapplications(x))).rejects.toMatchObject({ status: 403 });
    await expect(receiveApplications({ db: w.app.db, vault: w.app.vault, tenantKeys: w.app.tenantKeys }, other.principal, w.orgs.municipal.node)).rejects.toMatchObject({ status: 403 });
    const denied = await sql<{ n: string }>`SELECT count(*) AS n FROM kernel.audit_log WHERE action = 'access_denied' AND actor_login = 'addr-only'`.execute(w.app.db.system);
    expect(Number(denied.rows[0]!.n)).toBeGreaterThanOrEqual(2);
    expect(await peerRows()).toBe(1);
    // Collected by the municipality (for the counts of the next test to start clean).
    expect(await receive()).toMatchObject({ received: 1, verified: 1 });
    const id = (await rows()).at(-1)!.id;
    await runAs(w.app.db, w.nurse, (x) => rejectEapplication(x, id, { reason: 'テスト用の申請のため' }));
  });

  it('takes a valid signed application of each kind from receipt to accepted, and the portal deletes its copies', async () => {
    const before = await ledgerCounts();
    const nReq = await submit(w.cards.parent, doc('vaccination-request', { ...childForm(), program: 'hib', reason: '里帰り出産', destination: '大阪こどもクリニック', stayAddress: '大阪府大阪市北区梅田1-1-1', periodFrom: today, periodUntil: addDaysIso(today, 60) }));
    const nReissue = await submit(w.cards.parent, doc('certificate-reissue', { ...childForm(), programs: ['hib'], reason: '紛失' }));
    const nRefund = await submit(w.cards.parent, doc('reimbursement', reimbursement({ ...parentForm(), program: 'hib' })));
    expect(await peerRows()).toBe(3);

    expect(await receive()).toEqual({ received: 3, verified: 3, rejected: 0 });
    expect(await peerRows()).toBe(0);
    // A second run finds nothing (and stores nothing twice).
    expect(await receive()).toEqual({ received: 0, verified: 0, rejected: 0 });

    const stored = (await rows()).filter((r) => [nReq, nReissue, nRefund].includes(r.application_no));
    expect(stored.map((r) => r.status)).toEqual(['checked', 'checked', 'checked']);
    expect(stored.find((r) => r.application_no === nReq)!.subject_atena).toBe(w.atena.child);
    expect(stored.find((r) => r.application_no === nRefund)!.subject_atena).toBe(w.atena.parent);
    expect(stored.every((r) => r.sealed)).toBe(true);
    expect(findMyNumbers(JSON.stringify(stored))).toEqual([]);

    const list = await runAs(w.app.db, w.nurse, (x) => listEapplications(x, { status: 'checked', pageSize: 2 }));
    expect(list.total).toBe(3);
    expect(list.rows).toHaveLength(2);
    expect(list.totals.checked).toBe(3);

    for (const n of [nReq, nReissue, nRefund]) {
      const id = await idOf(n);
      await expect(runAs(w.app.db, w.nurse, (x) => acceptEapplication(x, deps(), id))).rejects.toMatchObject({ code: 'EAPPLICATION_STATUS' });
      await runAs(w.app.db, w.nurse, (x) => startReview(x, id));
      const v = await runAs(w.app.db, w.nurse, (x) => acceptEapplication(x, deps(), id, { note: '内容確認済み' }));
      expect(v.status).toBe('accepted');
      expect(v.erased).toBe(true);
      expect(v.events.map((e) => e.to)).toEqual(['checked', 'under_review', 'accepted']);
      expect(findMyNumbers(JSON.stringify(v))).toEqual([]);
    }
    const after = await ledgerCounts();
    expect(after.notices - before.notices).toBe(1);
    expect(after.certApps - before.certApps).toBe(1);
    expect(after.handovers - before.handovers).toBe(1);
    const cert = await sql<{ channel: string; atena_no: string; identity_document: string }>`SELECT channel, atena_no, identity_document FROM municipality.certificate_applications ORDER BY created_at DESC LIMIT 1`.execute(w.app.db.system);
    expect(cert.rows[0]).toEqual({ channel: 'app', atena_no: w.atena.child, identity_document: 'mynumber-card' });
    const h = await runAs(w.app.db, w.nurse, (x) => openHandovers(x, 'reimbursement'));
    expect(h).toHaveLength(1);
    expect(h[0]).toMatchObject({ subjectAtena: w.atena.parent, applicantAtena: w.atena.parent, payload: { amountPaid: 8800, bank: { bankCode: '0001', accountNumber: '1234567' } } });
    expect((await rows()).every((r) => !r.sealed)).toBe(true);

    // 償還払い takes the hand-over (issue 14: XCH-29 → VAX-33): an electronic application with its refund
    // account, the hand-over marked taken in the same transaction; a second run writes nothing.
    const h0 = h[0]!;
    const noProgram = await takeElectronicApplications(w.app.db, w.nurse);
    expect(noProgram.taken).toBe(0);
    expect(noProgram.failed).toHaveLength(1);
    expect(noProgram.failed[0]!.reason).toMatch(/助成制度/);
    await runAs(w.app.db, w.nurse, (x) => setSubsidyProgram(x, { code: 'hib-adult', name: 'ヒブ（任意接種）助成', program: 'hib', minAge: 0, amountKind: 'up-to-cost', amount: 5000, validFrom: addDaysIso(today, -365) }));
    expect(await takeElectronicApplications(w.app.db, op())).toEqual({ taken: 1, failed: [] }); // as the server's sync job does
    expect(await takeElectronicApplications(w.app.db, w.nurse)).toEqual({ taken: 0, failed: [] });
    const reimbursed = await sql<{ channel: string; external_ref: string; atena_no: string; amount_paid: number; status: string }>`
      SELECT channel, external_ref, atena_no, amount_paid, status FROM municipality.reimbursements`.execute(w.app.db.system);
    expect(reimbursed.rows).toEqual([{ channel: 'electronic', external_ref: h0.applicationId, atena_no: w.atena.parent, amount_paid: 8800, status: 'received' }]);
    expect(await runAs(w.app.db, w.nurse, (x) => openHandovers(x, 'reimbursement'))).toEqual([]);
  });

  it('a reimbursement form with 「公金受取口座を利用する」 and no account: taken with the consent recorded, no account written', async () => {
    const { bank: _bank, ...noBank } = reimbursement({ ...parentForm(), program: 'hib', amountPaid: 7700 });
    const n = await submit(w.cards.parent, doc('reimbursement', { ...noBank, useKoukin: true }));
    expect(await receive()).toMatchObject({ received: 1, verified: 1, rejected: 0 });
    const id = await idOf(n);
    await runAs(w.app.db, w.nurse, (x) => startReview(x, id));
    await runAs(w.app.db, w.nurse, (x) => acceptEapplication(x, deps(), id));
    const [h] = await runAs(w.app.db, w.nurse, (x) => openHandovers(x, 'reimbursement'));
    expect(h!.payload).toMatchObject({ useKoukin: true, bank: null, amountPaid: 7700 });
    const accounts = async () => Number((await sql<{ n: string }>`SELECT count(*) AS n FROM municipality.person_accounts`.execute(w.app.db.system)).rows[0]!.n);
    const before = await accounts();
    expect(await takeElectronicApplications(w.app.db, op())).toEqual({ taken: 1, failed: [] });
    const r = await sql<{ koukin_consent: boolean; amount_paid: number }>`SELECT koukin_consent, amount_paid FROM municipality.reimbursements WHERE external_ref = ${h!.applicationId}`.execute(w.app.db.system);
    expect(r.rows).toEqual([{ koukin_consent: true, amount_paid: 7700 }]);
    expect(await accounts()).toBe(before);
  });

  it('rejects a bad signature, a revoked certificate and content changed after signing — nothing enters', async () => {
    const before = await ledgerCounts();
    // Signed with another card's key, sent with this card's certificate.
    const other = await signDocument(w.cards.otherParent, PIN, doc('reimbursement', reimbursement()));
    const mine = await signDocument(w.cards.parent, PIN, doc('reimbursement', reimbursement()));
    const bad = await post({ document: canonicalDocumentText(doc('reimbursement', reimbursement())), signature: { certPem: mine.certPem, value: other.signature } });
    expect(bad.status).toBe(201);
    // Changed after signing: the amount raised.
    const nChanged = await submit(w.cards.parent, doc('reimbursement', reimbursement()), (d) => ({ ...d, form: { ...(d['form'] as object), amountPaid: 88000 } }));
    // Revoked: the other parent's 署名用 certificate revoked at the CA.
    await w.orgs.municipal.node.call('card', 'card.revoke', { serial: certSerial(w.cards.otherParent.signCert), reason: '紛失' });
    const nRevoked = await submit(w.cards.otherParent, doc('reimbursement', reimbursement({ subject: { name: '因幡　次郎', nameKana: 'イナバ　ジロウ', birthDate: '1990-01-15' }, relation: 'self', myNumber: person(WHO.otherParent)['個人番号']! })));

    expect(await receive()).toEqual({ received: 3, verified: 0, rejected: 3 });
    expect(await peerRows()).toBe(0);
    const stored = await rows();
    const code = (n: string) => stored.find((r) => r.application_no === n)!;
    expect(code(bad.body['applicationNo'] as string)).toMatchObject({ status: 'rejected', reject_code: 'CARD_BAD_SIGNATURE', form: null, sealed: false, subject_atena: null });
    expect(code(nChanged)).toMatchObject({ status: 'rejected', reject_code: 'CARD_BAD_SIGNATURE', form: null, sealed: false });
    expect(code(nRevoked)).toMatchObject({ status: 'rejected', reject_code: 'CARD_REVOKED', form: null, sealed: false });
    expect(await ledgerCounts()).toEqual(before);
    // A rejected application cannot be reviewed or accepted.
    await expect(runAs(w.app.db, w.nurse, (x) => startReview(x, code(nChanged).id))).rejects.toMatchObject({ code: 'EAPPLICATION_STATUS' });
    const v = await runAs(w.app.db, w.nurse, (x) => getEapplication(x, code(nRevoked).id));
    expect(v.rejectReason).toContain('失効');
    expect(findMyNumbers(JSON.stringify(v))).toEqual([]);
  });

  it('a resubmission supersedes the open earlier version, which can no longer be reviewed', async () => {
    const n1 = await submit(w.cards.parent, doc('reimbursement', reimbursement({ amountPaid: 7000 })));
    expect(await receive()).toMatchObject({ received: 1, verified: 1 });
    const id1 = await idOf(n1);
    await runAs(w.app.db, w.nurse, (x) => startReview(x, id1));
    const n2 = await submit(w.cards.parent, doc('reimbursement', reimbursement({ amountPaid: 7700 }), n1));
    expect(await receive()).toMatchObject({ received: 1, verified: 1 });
    const id2 = await idOf(n2);
    const old = await runAs(w.app.db, w.nurse, (x) => getEapplication(x, id1));
    expect(old).toMatchObject({ status: 'superseded', supersededBy: id2, erased: true });
    await expect(runAs(w.app.db, w.nurse, (x) => acceptEapplication(x, deps(), id1))).rejects.toMatchObject({ code: 'EAPPLICATION_SUPERSEDED' });
    await expect(runAs(w.app.db, w.nurse, (x) => rejectEapplication(x, id1, { reason: '重複' }))).rejects.toMatchObject({ code: 'EAPPLICATION_SUPERSEDED' });
    await runAs(w.app.db, w.nurse, (x) => startReview(x, id2));
    const r = await runAs(w.app.db, w.nurse, (x) => rejectEapplication(x, id2, { reason: '領収書の金額と一致しません' }));
    expect(r).toMatchObject({ status: 'rejected', supersedesId: id1, erased: true });
    // Superseding an accepted application is refused at receipt.
    const accepted = (await rows()).find((x) => x.status === 'accepted' && x.kind === 'reimbursement')!;
    const n3 = await submit(w.cards.parent, doc('reimbursement', reimbursement({ ...parentForm() }), accepted.application_no));
    expect(await receive()).toEqual({ received: 1, verified: 0, rejected: 1 });
    expect((await rows()).find((x) => x.application_no === n3)).toMatchObject({ status: 'rejected', reject_code: 'SUPERSEDES_DECIDED' });
  });

  it('mamori eapply receive --json prints exactly {received, verified, rejected}', async () => {
    const dirFile = join(w.dir, 'directory.json');
    writeFileSync(dirFile, JSON.stringify(w.orgs.nodes.filter((n) => n.name !== 'municipality').map((n) => ({ name: n.name, title: n.title, url: n.url }))));
    const env = { DATABASE_URL: w.app.databaseUrl!, MAMORI_DATA: w.app.config.dataDir, MAMORI_AUDIT_WITNESS: w.app.config.auditWitness, MAMORI_DIRECTORY: dirFile,
      // The child's clock where the world's is now (the card CA was made a few seconds after TEST_NOW).
      MAMORI_CLOCK: new Date(w.app.config.clock.now().getTime() + 60_000).toISOString() };
    await submit(w.cards.child, doc('certificate-reissue', { subject: { name: '鳥取　はな', nameKana: 'トットリ　ハナ', birthDate: CHILD_BIRTH }, relation: 'self', phone: '0857-00-1111', myNumber: person(WHO.child)['個人番号']!, programs: ['hib'], reason: '汚損・破損' }));
    const r = await runCli(['eapply', 'receive', '--tenant', TOTTORI, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout), JSON.stringify((await rows()).slice(-1))).toEqual({ received: 1, verified: 1, rejected: 0 });
    expect(findMyNumbers(r.stdout + r.stderr)).toEqual([]);
    expect(await peerRows()).toBe(0);
    const again = await runCli(['eapply', 'receive', '--tenant', TOTTORI], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('受信 0 件');
  }, 120_000);

  it('staff screens: receive, list with totals and paging, review and accept; no My Number on any page', async () => {
    const c = new PageClient(w.url.staff);
    await c.login(TOTTORI, w.nurseLogin, w.nursePassword);
    const pages: string[] = [];
    const n = await submit(w.cards.parent, doc('reimbursement', reimbursement({ amountPaid: 12345 })));
    const list0 = await c.get('/eapply');
    expect(list0.status).toBe(200);
    const got = await c.post('/eapply/receive', { _csrf: PageClient.csrf(list0.text) });
    expect(got.status).toBe(302);
    const list = await c.get('/eapply?status=checked');
    pages.push(list.text);
    expect(visibleText(list.text)).toContain('受信 1件（確認済 1件、却下 0件）');
    expect(visibleText(list.text)).toContain('確認済（審査待ち）');
    expect((await c.get('/eapply?status=nope')).status).toBe(400);
    const id = await idOf(n);
    const d1 = await c.get(`/eapply/${id}`);
    pages.push(d1.text);
    expect(visibleText(d1.text)).toContain('12,345円');
    expect(visibleText(d1.text)).toMatch(/Hib/);
    expect(visibleText(d1.text)).toContain('鳥取　太郎（宛名番号');
    expect(visibleText(d1.text)).not.toMatch(/\bhib\b|reimbursement|under_review/);
    expect(visibleText(d1.text)).toContain('記載あり（署名検証・本人特定に使用。表示しません）');
    expect((await c.post(`/eapply/${id}/review`, { _csrf: PageClient.csrf(d1.text) })).status).toBe(302);
    const d2 = await c.get(`/eapply/${id}`);
    expect(visibleText(d2.text)).toContain('審査中');
    expect((await c.post(`/eapply/${id}/accept`, { _csrf: PageClient.csrf(d2.text), note: '領収書確認' })).status).toBe(302);
    const d3 = await c.get(`/eapply/${id}`);
    pages.push(d3.text);
    expect(visibleText(d3.text)).toContain('償還払いの審査に引き継ぎました');
    expect(visibleText(d3.text)).toContain('処理の完了により消去済み');
    pages.push((await c.get('/eapply')).text);
    for (const p of pages) expect(findMyNumbers(p)).toEqual([]);
    for (const k of [WHO.parent, WHO.child, WHO.otherParent]) expect(pages.join('')).not.toContain(person(k)['個人番号']!);
  });

  it('a stored form changed after receipt does not match the sealed signed original: not accepted', async () => {
    const n = await submit(w.cards.parent, doc('reimbursement', reimbursement({ amountPaid: 6600 })));
    await receive();
    const id = await idOf(n);
    await runAs(w.app.db, w.nurse, (x) => startReview(x, id));
    await sql`UPDATE municipality.eapplications SET form = jsonb_set(form, '{amountPaid}', '66000') WHERE id = ${id}`.execute(w.app.db.system);
    const handovers = (await ledgerCounts()).handovers;
    await expect(runAs(w.app.db, w.nurse, (x) => acceptEapplication(x, deps(), id))).rejects.toMatchObject({ status: 409, code: 'EAPPLICATION_TAMPERED' });
    expect((await ledgerCounts()).handovers).toBe(handovers);
    await sql`UPDATE municipality.eapplications SET form = jsonb_set(form, '{amountPaid}', '6600') WHERE id = ${id}`.execute(w.app.db.system);
    expect((await runAs(w.app.db, w.nurse, (x) => acceptEapplication(x, deps(), id))).status).toBe('accepted');
  });

  it('two collections at once store each application once', async () => {
    const before = (await rows()).length;
    for (const amount of [1100, 2200, 3300]) await submit(w.cards.parent, doc('reimbursement', reimbursement({ amountPaid: amount })));
    const [a, b] = await Promise.all([receive(), receive()]);
    expect(a.received + b.received).toBe(3);
    expect((await rows()).length - before).toBe(3);
    expect(await peerRows()).toBe(0);
  });

  it('keeps My Numbers out of the operation log and the message logs', async () => {
    const audit = await sql<{ detail: unknown; purpose: string | null; target_id: string | null }>`SELECT detail, purpose, target_id FROM kernel.audit_log`.execute(w.app.db.system);
    expect(findMyNumbers(JSON.stringify(audit.rows))).toEqual([]);
    for (const [schema, role] of [['municipality', null], ['peers_eapply', EAPPLY_ROLE]] as const) {
      const db = role ? await w.app.db.forRole(role) : w.app.db.system;
      const m = await sql`SELECT * FROM ${sql.raw(schema)}.exchange_messages`.execute(db);
      expect(m.rows.length).toBeGreaterThan(0);
      expect(findMyNumbers(JSON.stringify(m.rows))).toEqual([]);
    }
    const ev = await sql`SELECT * FROM municipality.eapplication_events`.execute(w.app.db.system);
    expect(findMyNumbers(JSON.stringify(ev.rows))).toEqual([]);
  });

  it('the server\'s exchange sync collects the queued applications; the portal deletes what was never collected after its keeping period', async () => {
    const n = await submit(w.cards.parent, doc('reimbursement', reimbursement({ amountPaid: 5500 })));
    const log: string[] = [];
    await syncExchange(w.app, w.orgs, (m) => log.push(m));
    expect(log.filter((m) => m.includes('電子申請'))).toEqual([]);
    expect((await rows()).find((r) => r.application_no === n)).toMatchObject({ status: 'checked' });
    expect(await peerRows()).toBe(0);
    // An application its municipality never collects.
    await submit(w.cards.parent, doc('reimbursement', reimbursement({ amountPaid: 5600 })));
    const db = await w.app.db.forRole(EAPPLY_ROLE);
    const now = w.app.config.clock.now();
    expect(await purgeEapply(db, new Date(now.getTime() + (UNCOLLECTED_KEEP_DAYS - 1) * 86_400_000))).toBe(0);
    expect(await purgeEapply(db, new Date(now.getTime() + (UNCOLLECTED_KEEP_DAYS + 1) * 86_400_000))).toBe(1);
    expect(await peerRows()).toBe(0);
  }, 120_000);

  it('retention: five years after the decision the form and the hand-over\'s personal items are erased; the row stays', async () => {
    const decided = (await rows()).filter((r) => r.status === 'accepted' && r.form !== null);
    expect(decided.length).toBeGreaterThan(0);
    const soon = new Date(w.app.config.clock.now().getTime() + 86_400_000);
    const later = new Date(w.app.config.clock.now().getTime() + 6 * 366 * 86_400_000);
    expect(await runAs(w.app.db, op(), (x) => EAPPLICATION_CONTENT_CLASS.count(x, soon))).toBeGreaterThan(0);
    const open = (await rows()).filter((r) => r.status === 'checked' || r.status === 'under_review');
    const out = await runAs(w.app.db, op(), (x) => EAPPLICATION_CONTENT_CLASS.purge(x, later, 'logical'));
    expect(out.count).toBeGreaterThanOrEqual(decided.length);
    const after = await rows();
    for (const d of decided) expect(after.find((r) => r.id === d.id)).toMatchObject({ status: 'accepted', form: null });
    for (const o of open) expect(after.find((r) => r.id === o.id)!.form).not.toBeNull();
    const payloads = await sql<{ payload: Record<string, unknown> }>`SELECT payload FROM municipality.eapplication_handovers`.execute(w.app.db.system);
    for (const p of payloads.rows) expect(p.payload).not.toHaveProperty('bank');
    const v = await runAs(w.app.db, w.nurse, (x) => getEapplication(x, decided[0]!.id));
    expect(v).toMatchObject({ contentErased: true, form: null });
    expect(await runAs(w.app.db, op(), (x) => EAPPLICATION_CONTENT_CLASS.count(x, later))).toBe(0);
  });

  // Last: it stops the card CA.
  it('the card CA unreachable: nothing is stored or rejected, the application stays at the portal', async () => {
    const before = (await rows()).length;
    await submit(w.cards.parent, doc('reimbursement', reimbursement({ amountPaid: 9900 })));
    expect(await w.orgs.stop('card')).toBe(true);
    await expect(receive()).rejects.toMatchObject({ status: 503, code: 'CARD_CA_UNREACHABLE' });
    expect((await rows()).length).toBe(before);
    expect(await peerRows()).toBe(1);
  });
});
