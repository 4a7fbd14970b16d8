// Applications in (issue 15 Must have 3; QUA-02…06, QUA-18, XCH-27; decisions 0188–0191), against the real
// organisations of test/harness/platform.ts (card CA, マイナポータル with its pages, the registry node):
// - the synthetic card's 券面事項入力補助: the My Number and 4情報 signed by the issuer, opened with the PIN,
//   any change detected; an older card without it still reads;
// - an application signed with the card through the portal over HTTP (as `mamori registry apply` does):
//   stored under a マイナポータル仮名ID (stable, per system, not the PMH仮名識別子), the My Number from the
//   券面事項入力補助 sealed, and nothing of it left at the portal;
// - the bad input and attacks: a bad signature, data altered after signing, a revoked certificate, a forged
//   券面事項入力補助, someone else's card, malformed and missing items named, an attachment of the wrong type
//   or altered — each refused with a Japanese Problem naming the item, nothing stored anywhere;
// - the applicant's applications and result notices, someone else's → 404, resubmission after 補正依頼,
//   取下げ (event `withdrawn`);
// - the paper channel entered by staff with the identity proof recorded.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { issueCard, platformJobPrincipal } from '../../src/municipality/platform/index.js';
import type { Principal } from '../../src/kernel/context/index.js';
import {
  canonicalDocumentText, certSerial, openKenmen, parseCardFile, readHolder, signDocument, verifyDocumentSignature, verifyKenmen, type CardFile,
} from '../../src/kernel/jpki/index.js';
import type { Problem } from '../../src/kernel/problems/index.js';
import {
  applyForStaff, approveStaff, exampleForm, issueStaffToken, myApplication, prepareApplication, registerEntry, REGISTRY_ROLE, RegistrySecrets, transitionApplication, withRegistryTenant,
  applicationMyNumber, applicationSignedDocument,
} from '../../src/registry/index.js';
import { PortalApplicant } from '../../src/cli/commands/registry-apply.js';
import { TOTTORI } from '../harness/app.js';
import { PIN, platformWorld, WHO, type PlatformWorld } from '../harness/platform.js';
import { mn } from '../harness/residents.js';
import { findMyNumbers } from '../harness/leaks.js';
import { problemOf } from '../harness/expect.js';

const PDF = Buffer.from('%PDF-1.4\n% synthetic 医師免許申請 添付\n');
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
/** A value only this file's forms carry (to find them in any table). */
const MARK = 'Q7X-4411';

let w: PlatformWorld;
let regDb: Kysely<UntypedDatabase>;
let secrets: RegistrySecrets;
let issuer: Principal;
let parent: PortalApplicant;
let other: PortalApplicant;

function ishiForm(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...exampleForm('ishi'), 氏名: { 姓: '鳥取', 名: '太郎' }, フリガナ: { 姓: 'トットリ', 名: 'タロウ' }, 生年月日: '1992-06-01', 国家試験: { 回数: 120, 受験番号: MARK, 合格年月日: '2026-03-16' }, ...over };
}

/** Rows of the applications store (every tenant), counted as the owner. */
async function storeCounts(): Promise<string> {
  const r = await sql<{ a: string; e: string; t: string; m: string }>`SELECT (SELECT count(*) FROM registry.applications) AS a, (SELECT count(*) FROM registry.application_events) AS e,
    (SELECT count(*) FROM registry.application_attachments) AS t, (SELECT count(*) FROM registry.application_mynumbers) AS m`.execute(w.app.db.system);
  return JSON.stringify(r.rows[0]);
}

/** Every row of every table of a schema, as text (read as the owner). */
async function schemaText(schema: string): Promise<string> {
  const tables = await sql<{ t: string }>`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ${schema} AND table_type = 'BASE TABLE'`.execute(w.app.db.system);
  let out = '';
  for (const { t } of tables.rows) {
    const r = await sql<{ j: string }>`SELECT row_to_json(x)::text AS j FROM ${sql.table(`${schema}.${t}`)} x`.execute(w.app.db.system);
    out += r.rows.map((x) => x.j).join('\n');
  }
  return out;
}

/** Expects a refusal that names `field` and leaves the store as it was. */
async function refusedNaming(call: () => Promise<unknown>, status: number, code: string, field: string): Promise<Problem> {
  const before = await storeCounts();
  const e = await problemOf(call());
  expect(e.status).toBe(status);
  expect([e.code, ...e.errors.map((f) => f.code)]).toContain(code);
  expect(e.errors.map((f) => f.field)).toContain(field);
  expect(e.title).toMatch(/[ぁ-んァ-ヶ一-龠]/);
  expect(await storeCounts()).toBe(before);
  return e;
}

async function pseudonymOf(card: CardFile): Promise<{ pp: string; mr: string | undefined }> {
  const r = await sql<{ pmh_pseudonym: string; pseudonym: string | null }>`
    SELECT p.pmh_pseudonym, sp.pseudonym FROM peers_mynaportal.card_serials s JOIN peers_mynaportal.pseudonyms p USING (pseudonym_id)
    LEFT JOIN peers_mynaportal.system_pseudonyms sp ON sp.pmh_pseudonym = p.pmh_pseudonym AND sp.system = 'registry'
    WHERE s.serial = ${certSerial(card.authCert)}`.execute(w.app.db.system);
  return { pp: r.rows[0]!.pmh_pseudonym, mr: r.rows[0]!.pseudonym ?? undefined };
}

beforeAll(async () => {
  w = await platformWorld();
  regDb = await w.app.db.forRole(REGISTRY_ROLE);
  secrets = RegistrySecrets.open(w.app.config.keyDir);
  const job = platformJobPrincipal(TOTTORI);
  issuer = { ...job, actor: { ...job.actor, mynumberView: true } };
  parent = new PortalApplicant(w.url.portal);
  await parent.login(w.cards.parent, PIN);
  other = new PortalApplicant(w.url.portal);
  await other.login(w.cards.otherParent, PIN);
}, 300_000);

afterAll(async () => {
  await w?.close();
});

describe('券面事項入力補助 on the synthetic card', () => {
  it('holds the My Number and 4情報 signed by the issuer, opened with the PIN; a change is detected; an older card still reads', async () => {
    const card = w.cards.parent;
    expect(card.kenmen).toBeDefined();
    expect(JSON.stringify(card)).not.toContain(mn(WHO.parent));
    const block = await openKenmen(card, PIN);
    const k = await verifyKenmen(block, card.caCert);
    expect(k.myNumber).toBe(mn(WHO.parent));
    const holder = readHolder(card.signCert)!;
    expect({ name: k.name, dateOfBirth: k.dateOfBirth, sex: k.sex, address: k.address }).toEqual({ name: holder.name, dateOfBirth: holder.dateOfBirth, sex: holder.sex, address: holder.address });
    expect(k.signSerial).toBe(certSerial(card.signCert));
    expect(k.authSerial).toBe(certSerial(card.authCert));
    // Any change of the number (or of anything else) breaks the issuer's signature.
    const forged = { ...block, text: block.text.replace(mn(WHO.parent), mn(WHO.otherParent)) };
    expect((await problemOf(verifyKenmen(forged, card.caCert))).code).toBe('KENMEN_INVALID');
    expect((await problemOf(openKenmen(card, '9999'))).code).toBe('CARD_PIN_WRONG');
    // A card file written before the block: still a valid card, but it cannot apply.
    const { kenmen: _k, ...older } = card;
    expect(parseCardFile(JSON.stringify(older)).format).toBe('mamori-card/1');
    expect((await problemOf(openKenmen(older as CardFile, PIN))).code).toBe('KENMEN_ABSENT');
  });
});

describe('online application through マイナポータル', () => {
  let firstId = '';

  it('is verified and stored under a マイナポータル仮名ID, with the My Number of the 券面事項入力補助; the portal keeps nothing', async () => {
    const prepared = await prepareApplication(w.cards.parent, PIN, { qualification: 'ishi', form: ishiForm(), attachments: [{ label: '診断書.pdf', mediaType: 'application/pdf', content: PDF }, { label: '写真.jpg', mediaType: 'image/jpeg', content: JPEG }] });
    const a = (await parent.postJson('/registry/applications', prepared)) as { applicationId: string; status: string; statusLabel: string; next: string };
    expect(a).toMatchObject({ status: 'received', statusLabel: '審査待ち', next: `/registry/applications/${a.applicationId}?submitted=1` });
    firstId = a.applicationId;
    // The same signed document again (a retry): the same application, stored once.
    const again = (await parent.postJson('/registry/applications', prepared)) as { applicationId: string };
    expect(again.applicationId).toBe(firstId);
    const rows = await sql<{ id: string; tenant_code: string; channel: string; portal_pseudonym: string; signed_text: string; received_by: string }>`
      SELECT id, tenant_code, channel, portal_pseudonym, signed_text, received_by FROM registry.applications WHERE id = ${firstId}`.execute(w.app.db.system);
    expect(rows.rows).toHaveLength(1);
    const row = rows.rows[0]!;
    expect(row).toMatchObject({ tenant_code: 'mhlw-isei', channel: 'online', received_by: 'mynaportal' });
    // The signed document is evidence: kept sealed (its 券面事項入力補助 holds the number), verifiable again.
    expect(row.signed_text).toMatch(/^sealed:\d+:/);
    const evidence = (await withRegistryTenant(regDb, 'mhlw-isei', (tx) => applicationSignedDocument(tx, secrets, firstId)))!;
    expect(evidence).toEqual({ text: prepared.document, certPem: prepared.certPem, signature: prepared.signature });
    expect((await verifyDocumentSignature({ ...evidence, caCertPem: w.cards.parent.caCert, now: w.app.config.clock.now() })).serial).toBe(certSerial(w.cards.parent.signCert));
    const ids = await pseudonymOf(w.cards.parent);
    expect(row.portal_pseudonym).toBe(ids.mr);
    expect(row.portal_pseudonym).toMatch(/^MR[A-Z2-7]{26}$/);
    expect(row.portal_pseudonym).not.toBe(ids.pp);
    expect(row.portal_pseudonym).not.toContain(mn(WHO.parent));
    // The registry never sees the PMH仮名識別子; the My Number is sealed (the one of the card), in clear nowhere.
    const registry = await schemaText('registry');
    expect(registry).not.toContain(ids.pp);
    expect(await withRegistryTenant(regDb, 'mhlw-isei', (tx) => applicationMyNumber(tx, secrets, firstId))).toBe(mn(WHO.parent));
    expect(findMyNumbers(registry)).toEqual([]);
    const att = await sql<{ seq: number; media_type: string; size: number }>`SELECT seq, media_type, size FROM registry.application_attachments WHERE application_id = ${firstId} ORDER BY seq`.execute(w.app.db.system);
    expect(att.rows).toEqual([{ seq: 1, media_type: 'application/pdf', size: PDF.length }, { seq: 2, media_type: 'image/jpeg', size: JPEG.length }]);
    // QUA-04: nothing of the application at the portal — no form value, no number, no signature, no attachment.
    const portal = await schemaText('peers_mynaportal');
    for (const s of [MARK, mn(WHO.parent), prepared.signature, prepared.signature.slice(0, 40), PDF.toString('base64'), firstId]) expect(portal).not.toContain(s);
    expect(findMyNumbers(portal)).toEqual([]);
    const logged = await sql<{ action: string; outcome: string }>`SELECT action, outcome FROM peers_mynaportal.access_log WHERE actor = ${ids.pp} AND action = 'registry.apply'`.execute(w.app.db.system);
    expect(logged.rows.length).toBeGreaterThanOrEqual(1);
    expect(logged.rows.every((r) => r.outcome === 'ok')).toBe(true);
  });

  it('keeps one マイナポータル仮名ID per person for the registry (stable across logins, another person another)', async () => {
    const again = new PortalApplicant(w.url.portal);
    await again.login(w.cards.parent, PIN);
    await again.getJson('/registry/applications.json');
    const n = await sql<{ n: string }>`SELECT count(*)::text AS n FROM peers_mynaportal.system_pseudonyms WHERE pmh_pseudonym = ${(await pseudonymOf(w.cards.parent)).pp}`.execute(w.app.db.system);
    expect(n.rows[0]!.n).toBe('1');
    await other.getJson('/registry/applications.json');
    const a = await pseudonymOf(w.cards.parent);
    const b = await pseudonymOf(w.cards.otherParent);
    expect(b.mr).toMatch(/^MR/);
    expect(b.mr).not.toBe(a.mr);
  });

  it('refuses a signature that does not verify (nothing stored)', async () => {
    const good = await prepareApplication(w.cards.parent, PIN, { qualification: 'ishi', form: ishiForm() });
    const otherDoc = await prepareApplication(w.cards.parent, PIN, { qualification: 'ishi', form: ishiForm({ 電話番号: '0857-11-2222' }) });
    await refusedNaming(() => parent.postJson('/registry/applications', { ...good, signature: otherDoc.signature }), 401, 'CARD_BAD_SIGNATURE', 'signature');
    await refusedNaming(() => parent.postJson('/registry/applications', { ...good, signature: 'AAAA' }), 401, 'CARD_BAD_SIGNATURE', 'signature');
  });

  it('refuses a document altered after signing, and an attachment altered after signing (nothing stored)', async () => {
    const good = await prepareApplication(w.cards.parent, PIN, { qualification: 'ishi', form: ishiForm(), attachments: [{ label: '診断書.pdf', mediaType: 'application/pdf', content: PDF }] });
    const altered = canonicalDocumentText({ ...JSON.parse(good.document), form: ishiForm({ 生年月日: '1990-01-01' }) });
    await refusedNaming(() => parent.postJson('/registry/applications', { ...good, document: altered }), 401, 'CARD_BAD_SIGNATURE', 'signature');
    const swapped = { ...good, attachments: [{ ...good.attachments[0]!, content: Buffer.from('%PDF-1.4\n% another file\n').toString('base64') }] };
    await refusedNaming(() => parent.postJson('/registry/applications', swapped), 400, 'ATTACHMENT_ALTERED', 'attachments[0].content');
  });

  it('refuses a revoked 署名用電子証明書 (nothing stored)', async () => {
    const card = (await issueCard({ db: w.app.db, vault: w.app.vault, clock: w.app.config.clock }, issuer, w.orgs.municipal.node, w.atena.otherParent, PIN)).cardFile;
    await w.orgs.municipal.node.call('card', 'card.revoke', { serial: certSerial(card.signCert), reason: '署名用電子証明書の失効（住所の変更）' });
    const c = new PortalApplicant(w.url.portal);
    await c.login(card, PIN);
    const p = await prepareApplication(card, PIN, { qualification: 'ishi', form: ishiForm({ 氏名: { 姓: '因幡', 名: '次郎' } }) });
    const e = await refusedNaming(() => c.postJson('/registry/applications', p), 403, 'CARD_REVOKED', 'certPem');
    expect(e.title).toBe('署名用電子証明書は失効しています');
  });

  it('refuses a forged 券面事項入力補助 and a document signed with someone else\'s card (nothing stored)', async () => {
    const k = await openKenmen(w.cards.parent, PIN);
    const forgedKenmen = { ...k, text: k.text.replace(mn(WHO.parent), mn(WHO.otherParent)) };
    const doc = { ...JSON.parse((await prepareApplication(w.cards.parent, PIN, { qualification: 'ishi', form: ishiForm() })).document), kenmen: forgedKenmen };
    const signed = await signDocument(w.cards.parent, PIN, doc);
    await refusedNaming(() => parent.postJson('/registry/applications', { document: canonicalDocumentText(doc), ...signed, attachments: [] }), 400, 'KENMEN_INVALID', 'document.kenmen');
    // Logged in as the parent, signed with the other parent's card: the portal refuses before the registry.
    const theirs = await prepareApplication(w.cards.otherParent, PIN, { qualification: 'ishi', form: ishiForm() });
    await refusedNaming(() => parent.postJson('/registry/applications', theirs), 403, 'SIGNER_NOT_LOGGED_IN', 'document.kenmen');
  });

  it('names each missing or malformed item of the form, and an attachment of the wrong type (nothing stored)', async () => {
    const { 国家試験: _x, ...noExam } = ishiForm();
    const p1 = await prepareApplication(w.cards.parent, PIN, { qualification: 'ishi', form: { ...noExam, 生年月日: '1992-02-30', 電話番号: 'でんわ' } });
    const e = await refusedNaming(() => parent.postJson('/registry/applications', p1), 400, 'INVALID_TYPE', '国家試験');
    expect(e.errors.map((f) => f.field)).toEqual(expect.arrayContaining(['生年月日', '電話番号']));
    expect(e.errors.find((f) => f.field === '生年月日')!.message).toBe('存在しない日付です');
    expect(e.errors.find((f) => f.field === '国家試験')!.message).toBe('入力してください');
    const p2 = await prepareApplication(w.cards.parent, PIN, { qualification: 'ishi', form: ishiForm(), attachments: [{ label: '写真.jpg', mediaType: 'image/jpeg', content: PDF }] });
    await refusedNaming(() => parent.postJson('/registry/applications', p2), 400, 'ATTACHMENT_TYPE_MISMATCH', 'attachments[0].content');
    const p3 = await prepareApplication(w.cards.parent, PIN, { qualification: 'ishi', form: ishiForm(), attachments: [{ label: '写真.png', mediaType: 'image/png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47]) }] });
    await refusedNaming(() => parent.postJson('/registry/applications', p3), 400, 'INVALID_VALUE', 'attachments[0].mediaType');
    // Another procedure: 再交付 without the 登録番号 it concerns.
    const { 登録番号: _n, ...noNumber } = exampleForm('ishi', 'reissue');
    const p4 = await prepareApplication(w.cards.parent, PIN, { qualification: 'ishi', procedure: 'reissue', form: noNumber });
    await refusedNaming(() => parent.postJson('/registry/applications', p4), 400, 'INVALID_TYPE', '登録番号');
  });

  it('takes 籍訂正 (name, 本籍), 書換え交付, 再交付 and 抹消 with the 登録番号 they concern', async () => {
    for (const procedure of ['correction', 'rewrite', 'reissue', 'erasure'] as const) {
      const form: Record<string, unknown> = { ...exampleForm('yakuzaishi', procedure), 登録番号: '4321' };
      if (procedure === 'correction') form['訂正事項'] = { 本籍: { 旧: { 都道府県コード: '31' }, 新: { 都道府県コード: '13' } } };
      const p = await prepareApplication(w.cards.parent, PIN, { qualification: 'yakuzaishi', procedure, form });
      const a = (await parent.postJson('/registry/applications', p)) as { applicationId: string; procedureLabel: string };
      const row = await sql<{ procedure: string; registration_no: string; tenant_code: string }>`SELECT procedure, registration_no::text, tenant_code FROM registry.applications WHERE id = ${a.applicationId}`.execute(w.app.db.system);
      expect(row.rows[0]).toEqual({ procedure, registration_no: '4321', tenant_code: 'mhlw-iyaku' });
    }
  });

  it('offers each procedure\'s form with its items labelled as on the paper form', async () => {
    const choose = await parent.request('GET', '/registry/new');
    expect(choose.status).toBe(200);
    for (const t of ['医師（医籍）', '薬剤師（薬剤師名簿）', '介護福祉士', '籍（名簿）訂正', '再交付', '登録抹消']) expect(choose.text).toContain(t);
    const correction = await parent.request('GET', '/registry/new?qualification=yakuzaishi&procedure=correction');
    for (const t of ['登録番号', '変更前の氏名（氏）', '変更後の氏名（氏）', '変更後の本籍（都道府県）', '事由の生じた年月日']) expect(correction.text).toContain(t);
    const kaigo = await parent.request('GET', '/registry/new?qualification=kaigofukushishi&procedure=new');
    for (const t of ['資格取得の区分', '合格証書番号（試験の場合）', 'アルファベット氏名', '罰金以上の刑に処せられたことがありますか']) expect(kaigo.text).toContain(t);
    expect(kaigo.text).not.toContain('個人番号を入力');
  });

  it('shows the applicant their own applications with the result notices; someone else\'s is a 404', async () => {
    const mine = (await parent.getJson('/registry/applications.json')) as { applications: { applicationId: string; status: string; qualificationName: string }[] };
    expect(mine.applications.map((a) => a.applicationId)).toContain(firstId);
    const theirs = (await other.getJson('/registry/applications.json')) as { applications: unknown[] };
    expect(theirs.applications).toEqual([]);
    const r = await other.request('GET', `/registry/applications/${firstId}/status.json`);
    expect(r.status).toBe(404);
    expect(r.text).not.toContain(MARK);
    const page = await other.request('GET', `/registry/applications/${firstId}`);
    expect(page.status).toBe(404);
    // The registry itself answers 404 for another pseudonym.
    const mr = (await pseudonymOf(w.cards.otherParent)).mr!;
    expect((await problemOf(myApplication({ db: regDb }, { pseudonym: mr, applicationId: firstId }))).status).toBe(404);
  });

  it('returns for correction, takes the corrected form signed again, and shows the approval with 登録番号 and 登録年月日', async () => {
    const clock = w.app.config.clock;
    await withRegistryTenant(regDb, 'mhlw-isei', (tx) => transitionApplication(tx, clock, firstId, { from: ['received'], to: 'returned', by: 'shinsa1', reason: '国家試験の受験番号を確認してください' }));
    let a = (await parent.getJson(`/registry/applications/${firstId}/status.json`)) as { status: string; notice: { kind: string; reason: string; text: string } };
    expect(a.status).toBe('returned');
    expect(a.notice).toMatchObject({ kind: 'returned', reason: '国家試験の受験番号を確認してください' });
    // The page offers the correction: the form again, filled with what was sent, and the reason shown.
    const correctPage = await parent.request('GET', `/registry/applications/${firstId}/correct`);
    expect(correctPage.status).toBe(200);
    expect(correctPage.text).toContain('国家試験の受験番号を確認してください');
    expect(correctPage.text).toMatch(new RegExp(`name="国家試験.受験番号"[^>]*value="${MARK}"`));
    expect(correctPage.text).toContain(`data-application-id="${firstId}"`);
    const corrected = ishiForm({ 国家試験: { 回数: 120, 受験番号: '012345', 合格年月日: '2026-03-16' } });
    // Without the application's id in the signed document, the resubmission is refused.
    const unbound = await prepareApplication(w.cards.parent, PIN, { qualification: 'ishi', form: corrected });
    await refusedNaming(() => parent.postJson(`/registry/applications/${firstId}/resubmit`, unbound), 400, 'APPLICATION_ID_MISMATCH', 'document.applicationId');
    // Someone else cannot correct it.
    const theirs = await prepareApplication(w.cards.otherParent, PIN, { qualification: 'ishi', form: corrected, applicationId: firstId });
    expect((await other.request('POST', `/registry/applications/${firstId}/resubmit`, theirs)).status).toBe(404);
    const p = await prepareApplication(w.cards.parent, PIN, { qualification: 'ishi', form: corrected, applicationId: firstId, attachments: [{ label: '受験票.pdf', mediaType: 'application/pdf', content: PDF }] });
    const r = (await parent.postJson(`/registry/applications/${firstId}/resubmit`, p)) as { status: string };
    expect(r.status).toBe('received');
    const stored = await withRegistryTenant(regDb, 'mhlw-isei', (tx) => sql<{ form: { 国家試験: { 受験番号: string } }; revision: number; signed_text: string }>`SELECT form, revision, signed_text FROM registry.applications WHERE id = ${firstId}`.execute(tx));
    expect(stored.rows[0]!.form.国家試験.受験番号).toBe('012345');
    expect((await withRegistryTenant(regDb, 'mhlw-isei', (tx) => applicationSignedDocument(tx, secrets, firstId)))!.text).toBe(p.document);
    // Once received again, a second resubmission is refused.
    expect((await problemOf(parent.postJson(`/registry/applications/${firstId}/resubmit`, p))).code).toBe('APPLICATION_STATE');
    // Approval (the examination's part, done here directly): the register entry and the notice.
    const entry = await withRegistryTenant(regDb, 'mhlw-isei', async (tx) => {
      const form = (await sql<{ form: Record<string, unknown> }>`SELECT form FROM registry.applications WHERE id = ${firstId}`.execute(tx)).rows[0]!.form;
      return { form, myNumber: await applicationMyNumber(tx, secrets, firstId) };
    });
    const e = await registerEntry({ db: regDb, clock, secrets }, { applicationId: firstId, qualification: 'ishi', application: entry.form, myNumber: entry.myNumber, approvedBy: 'shinsa2' });
    await withRegistryTenant(regDb, 'mhlw-isei', (tx) => transitionApplication(tx, clock, firstId, { from: ['received'], to: 'approved', by: 'shinsa2', registrationNo: e.number }));
    a = (await parent.getJson(`/registry/applications/${firstId}/status.json`)) as never;
    const approved = a as unknown as { status: string; notice: { kind: string; registrationNo: number; registeredOn: string; text: string } };
    expect(approved.status).toBe('approved');
    expect(approved.notice).toMatchObject({ kind: 'approved', registrationNo: e.number, registeredOn: e.registeredOn });
    expect(approved.notice.text).toContain(`登録番号は ${e.number}`);
    const events = await sql<{ kind: string }>`SELECT kind FROM registry.application_events WHERE application_id = ${firstId} ORDER BY seq`.execute(w.app.db.system);
    expect(events.rows.map((x) => x.kind)).toEqual(['received', 'fees_opened', 'returned', 'resubmitted', 'attachments_added', 'approved']);
    // Decided: no withdrawal any more.
    expect((await parent.request('POST', `/registry/applications/${firstId}/withdraw`, {})).status).toBe(409);
  });

  it('lets the applicant withdraw an open application (event withdrawn), and nobody else', async () => {
    const p = await prepareApplication(w.cards.parent, PIN, { qualification: 'kangoshi', form: { ...exampleForm('kangoshi'), 氏名: { 姓: '鳥取', 名: '太郎' } } });
    const a = (await parent.postJson('/registry/applications', p)) as { applicationId: string };
    expect((await other.request('POST', `/registry/applications/${a.applicationId}/withdraw`, {})).status).toBe(404);
    const r = (await parent.postJson(`/registry/applications/${a.applicationId}/withdraw`, {})) as { status: string; statusLabel: string };
    expect(r).toMatchObject({ status: 'withdrawn', statusLabel: '取下げ' });
    const ev = await sql<{ kind: string; actor: string }>`SELECT kind, actor FROM registry.application_events WHERE application_id = ${a.applicationId} ORDER BY seq`.execute(w.app.db.system);
    expect(ev.rows).toEqual([{ kind: 'received', actor: 'mynaportal' }, { kind: 'fees_opened', actor: 'registry' }, { kind: 'withdrawn', actor: 'applicant' }]);
    const shown = (await parent.getJson(`/registry/applications/${a.applicationId}/status.json`)) as { notice: { kind: string } };
    expect(shown.notice.kind).toBe('withdrawn');
    // A rejection shows its reason.
    const p2 = await prepareApplication(w.cards.parent, PIN, { qualification: 'hokenshi', form: { ...exampleForm('hokenshi'), 氏名: { 姓: '鳥取', 名: '太郎' } } });
    const b = (await parent.postJson('/registry/applications', p2)) as { applicationId: string };
    await withRegistryTenant(regDb, 'mhlw-isei', (tx) => transitionApplication(tx, w.app.config.clock, b.applicationId, { from: ['received'], to: 'rejected', by: 'shinsa1', reason: '看護師国家試験の合格が確認できません' }));
    const rejected = (await parent.getJson(`/registry/applications/${b.applicationId}/status.json`)) as { statusLabel: string; notice: { kind: string; reason: string; text: string } };
    expect(rejected).toMatchObject({ statusLabel: '却下', notice: { kind: 'rejected', reason: '看護師国家試験の合格が確認できません' } });
    const page = await parent.request('GET', `/registry/applications/${b.applicationId}`);
    expect(page.text).toContain('申請は却下されました');
    expect(page.text).not.toContain('申請を取り下げる');
  });
});

describe('paper channel (staff)', () => {
  let registryUrl = '';
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    registryUrl = w.orgs.nodes.find((n) => n.name === 'registry')!.url;
    const clock = w.app.config.clock;
    await applyForStaff(regDb, clock, { tenant: 'mhlw-isei', userId: 'chief-isei', name: '審査 責任者', affiliation: 'ministry', affiliationName: '医政局医事課', role: 'supervisor', qualifications: ['ishi'], reason: '審査責任者', appliedBy: 'operator' });
    await approveStaff(regDb, clock, 'mhlw-isei', 'chief-isei', 'operator');
    for (const [user, role] of [['madoguchi1', 'clerk'], ['etsuran1', 'viewer']] as const) {
      await applyForStaff(regDb, clock, { tenant: 'mhlw-isei', userId: user, name: `職員 ${user}`, affiliation: 'ministry', affiliationName: '医政局医事課', role, qualifications: ['ishi'], reason: '登録事務', appliedBy: 'chief-isei' });
      await approveStaff(regDb, clock, 'mhlw-isei', user, 'chief-isei');
      tokens[user] = (await issueStaffToken(regDb, clock, 'mhlw-isei', user)).token;
    }
  });

  const post = (user: string, body: unknown) =>
    fetch(`${registryUrl}/registry/v1/applications/paper`, { method: 'POST', headers: { authorization: `Bearer ${tokens[user]}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const proof = { documents: ['運転免許証'], numberCheckedWith: '通知カード', checkedBy: '窓口 一郎', channel: '窓口' };

  it('enters a paper application with the identity proof the official saw, recorded in its history', async () => {
    const today = w.app.config.clock.today();
    const res = await post('madoguchi1', { qualification: 'ishi', form: ishiForm({ 氏名: { 姓: '窓口', 名: '花子' } }), myNumber: mn(WHO.otherChild), identityProof: { ...proof, checkedOn: today }, attachments: [{ label: '診断書', mediaType: 'application/pdf', content: PDF.toString('base64') }] });
    expect(res.status).toBe(201);
    const a = (await res.json()) as { applicationId: string; identityProof: Record<string, unknown>; events: { kind: string; detail: Record<string, unknown>; actor: string }[]; receivedBy: string };
    expect(a.receivedBy).toBe('madoguchi1');
    expect(a.identityProof).toMatchObject({ documents: ['運転免許証'], numberCheckedWith: '通知カード', checkedBy: '窓口 一郎', checkedOn: today, channel: '窓口', enteredBy: 'madoguchi1' });
    expect(a.events).toEqual([expect.objectContaining({ kind: 'received', actor: 'madoguchi1', detail: expect.objectContaining({ channel: 'paper', identityProof: expect.objectContaining({ documents: ['運転免許証'] }) }) }), expect.objectContaining({ kind: 'fees_opened' })]);
    expect(JSON.stringify(a)).not.toContain(mn(WHO.otherChild));
    expect(await withRegistryTenant(regDb, 'mhlw-isei', (tx) => applicationMyNumber(tx, secrets, a.applicationId))).toBe(mn(WHO.otherChild));
  });

  it('refuses a viewer, another 資格管理者\'s qualification (404), a bad My Number and a missing identity proof — nothing stored', async () => {
    const today = w.app.config.clock.today();
    const body = { qualification: 'ishi', form: ishiForm(), myNumber: mn(WHO.otherChild), identityProof: { ...proof, checkedOn: today } };
    const before = await storeCounts();
    expect((await post('etsuran1', body)).status).toBe(403);
    expect((await post('madoguchi1', { ...body, qualification: 'yakuzaishi', form: exampleForm('yakuzaishi') })).status).toBe(404);
    const bad = await post('madoguchi1', { ...body, myNumber: '123456789012' });
    expect(bad.status).toBe(400);
    const badText = await bad.text();
    expect(badText).toContain('個人番号');
    expect(badText).not.toContain('123456789012');
    const missing = await post('madoguchi1', { ...body, identityProof: { documents: [], checkedOn: today } });
    expect(missing.status).toBe(400);
    const fields = ((await missing.json()) as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['identityProof.documents', 'identityProof.checkedBy', 'identityProof.numberCheckedWith', 'identityProof.channel']));
    expect(await storeCounts()).toBe(before);
  });
});
