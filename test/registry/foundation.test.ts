// The 介護福祉士 linkage with (公財)社会福祉振興・試験センター's 登録情報連携システム (node `shiken`), over HTTP with
// every node running (issue 16 Must have 6; QUA-30, QUA-31, QUA-32, QUA-40):
// - outbound by message: an online 介護福祉士 application (made through the portal with the card) reaches the
//   foundation as 資格仮名ID + items 3–80 only — no My Number, no マイナポータル仮名ID; sent once; a message with
//   an item outside the list is refused whole by the foundation;
// - inbound by message: 試験合格者 and a paper application with My Number (its check against the ID documents
//   recorded at the foundation) → the registry queues it and answers its 資格仮名ID, the foundation keeps only the
//   資格仮名ID (its tables scanned: no My Number); a batch with an item outside the list is refused whole; the
//   same batch again changes nothing; the registration of that application keeps the 資格仮名ID;
// - media: the foundation's encrypted file imported (ledger received → registered → discarded, content gone),
//   the same file again changes nothing, wrong password / altered / unencrypted / wrong layout refused with
//   nothing written; the registry's file for the foundation (no My Number column) read by the foundation.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SetClock } from '../../src/kernel/clock/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { exchangeNodeFor, MessageLog } from '../../src/kernel/exchange/index.js';
import {
  paperApplications, readOutboundMedia, recordPaperApplication, recordPasser, sendToRegistry, SHIKEN_ROLE, SHIKEN_SCHEMA, writeInboundMedia, listShikenApplications, type ShikenDeps,
} from '../../src/peers/shiken/index.js';
import {
  applyForStaff, approveStaff, issueStaffToken, exampleForm, exportMedia, foundationApplicationId, getApplication, importMedia, listMedia, openZip, prepareApplication, registerEntry, RegistrySecrets, REGISTRY_NODE, REGISTRY_ROLE, REGISTRY_SCHEMA,
  sealZip, sendToFoundation, syncAdministrators, withRegistryTenant, OUTBOUND_COLUMNS, KAIGO_ITEMS, type FoundationDeps,
} from '../../src/registry/index.js';
import type { ExchangeNode } from '../../src/kernel/exchange/index.js';
import { PortalApplicant } from '../../src/cli/commands/registry-apply.js';
import { runCli } from '../harness/cli.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';
import { PIN, platformWorld, WHO, type PlatformWorld } from '../harness/platform.js';
import { mn, person } from '../harness/residents.js';

const TENANT = 'mhlw-shaen';
const PASSWORD = 'kaigo-media-2026-Secret!';
const PAPER_NUMBER = mn(WHO.otherParent);
const FILE_NUMBER = mn(WHO.otherChild);
const ONLINE_NUMBER = mn(WHO.parent);

let w: PlatformWorld;
let clock: SetClock;
let regDb: Kysely<UntypedDatabase>;
let reg: FoundationDeps & { node: ExchangeNode };
let shiken: ShikenDeps;

/** Items 3–80 of a paper application as the foundation keys them in. */
function paperItems(over: Record<string, string> = {}): Record<string, string> {
  return {
    'カナ氏名（姓）': 'イナバ', 'カナ氏名（名）': 'ジロウ', '漢字氏名（姓）': '因幡', '漢字氏名（名）': '次郎', '生年月日（年月日）': '1990-01-15', 性別: '1', 本籍地コード: '31',
    郵便番号: '680-0001', 住所: '鳥取県鳥取市見本町2番地', 固定電話: '0857-22-2222', 合格証書番号: 'K-8000001', '合格年月（年月）': '2026-03', ...over,
  };
}

/** Every row of every table of the foundation's schema, as text (what "its tables scanned" means). */
async function shikenTables(): Promise<string> {
  const tables = await sql<{ table_name: string }>`SELECT table_name FROM information_schema.tables WHERE table_schema = ${SHIKEN_SCHEMA} ORDER BY table_name`.execute(w.app.db.system);
  let out = '';
  for (const t of tables.rows) {
    const r = await sql<{ j: string }>`SELECT row_to_json(x)::text AS j FROM ${sql.table(`${SHIKEN_SCHEMA}.${t.table_name}`)} x`.execute(w.app.db.system);
    out += r.rows.map((x) => `${x.j}\n`).join('');
  }
  return out;
}

const count = async (table: string, where = sql`true`): Promise<number> =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE ${where}`.execute(w.app.db.system)).rows[0]!.n);

beforeAll(async () => {
  w = await platformWorld();
  clock = w.app.config.clock as SetClock;
  regDb = await w.app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(regDb, clock);
  const keyDir = w.app.config.keyDir;
  reg = { db: regDb, clock, secrets: RegistrySecrets.open(keyDir), node: exchangeNodeFor({ name: REGISTRY_NODE, schema: REGISTRY_SCHEMA, db: regDb, keyDir, directory: w.orgs.directory, clock }) };
  const sdb = await w.app.db.forRole(SHIKEN_ROLE);
  shiken = { db: sdb, clock, node: exchangeNodeFor({ name: 'shiken', schema: SHIKEN_SCHEMA, db: sdb, keyDir, directory: w.orgs.directory, clock }) };
  // An online 介護福祉士 application through the portal's HTTP routes, with the card.
  const applicant = new PortalApplicant(w.url.portal);
  await applicant.login(w.cards.parent, PIN);
  const form = {
    ...exampleForm('kaigofukushishi'), 氏名: { 姓: '鳥取', 名: '太郎' }, フリガナ: { 姓: 'トットリ', 名: 'タロウ' }, 生年月日: '1992-06-01', 性別: '1', 本籍: { 都道府県コード: '31' },
    住所: { 郵便番号: '680-8571', 住所: person(WHO.parent)['住所']! }, 電話番号: '0857-22-1111', 資格取得: { 区分: '試験', 合格証書番号: 'K-7000001', 合格年月: '2026-03' },
  };
  const prepared = await prepareApplication(w.cards.parent, PIN, { qualification: 'kaigofukushishi', form });
  const r = await applicant.request('POST', '/registry/applications', prepared);
  expect(r.status, r.text).toBeLessThan(300);
}, 300_000);

afterAll(async () => {
  await w?.close();
});

describe('outbound (registry → foundation) by message, QUA-30', () => {
  it('hands the online application over as 資格仮名ID + items 3–80, without SPI, once', async () => {
    const sent = await sendToFoundation(reg);
    expect(sent).toMatchObject({ online: 1, links: 0 });
    const apps = await listShikenApplications(shiken.db);
    expect(apps).toHaveLength(1);
    expect(apps[0]!.pseudonymId).toMatch(/^Q[0-9A-F]{20}$/);
    expect(apps[0]!.items).toMatchObject({ '漢字氏名（姓）': '鳥取', 'カナ氏名（名）': 'タロウ', '生年月日（年月日）': '1992-06-01', 合格証書番号: 'K-7000001' });
    expect(Object.keys(apps[0]!.items).every((k) => (KAIGO_ITEMS as readonly string[]).includes(k))).toBe(true);
    const tables = await shikenTables();
    expect(findMyNumbers(tables)).toEqual([]);
    expect(tables).not.toContain(ONLINE_NUMBER);
    expect(tables).not.toMatch(/MR[A-Z2-7]{26}/); // no マイナポータル仮名ID
    // Logged at both ends.
    const out = await new MessageLog(regDb, REGISTRY_SCHEMA, REGISTRY_NODE).list({ limit: 1000 });
    expect(out.rows.some((m) => m.service === 'registry.applications' && m.direction === 'out' && m.outcome === 'ok')).toBe(true);
    const inn = await new MessageLog(shiken.db, SHIKEN_SCHEMA, 'shiken').list({ limit: 1000 });
    expect(inn.rows.some((m) => m.service === 'registry.applications' && m.direction === 'in')).toBe(true);
    // Nothing new: nothing sent again.
    expect(await sendToFoundation(reg)).toMatchObject({ batchId: null, online: 0 });
    // The same rows again (a re-sent batch) change nothing at the foundation.
    const again = await reg.node.call('shiken', 'registry.applications', { batchId: 'again-1', rows: [{ 区分: 'online', 資格仮名ID: apps[0]!.pseudonymId, 項目: apps[0]!.items }] }, { personal: true });
    expect(again.body).toMatchObject({ stored: 0, linked: 0 });
  });

  it('the foundation refuses a message with anything outside the predefined items, whole, storing nothing', async () => {
    const before = await shikenTables();
    const good = { 区分: 'online', 資格仮名ID: 'Q0123456789ABCDEF0123', 項目: { '漢字氏名（姓）': '見本' } };
    await expectProblem(reg.node.call('shiken', 'registry.applications', { batchId: 'bad-1', rows: [good, { 区分: 'online', 資格仮名ID: 'Q0123456789ABCDEF0124', 項目: { '漢字氏名（姓）': '見本', 個人番号: ONLINE_NUMBER } }] }, { personal: true }), { status: 400, code: 'FOUNDATION_REFUSED' });
    await expectProblem(reg.node.call('shiken', 'registry.applications', { batchId: 'bad-2', rows: [{ ...good, マイナポータル仮名ID: 'MRAAAAAAAAAAAAAAAAAAAAAAAAAA' }] }, { personal: true }), { status: 400, code: 'FOUNDATION_REFUSED' });
    expect((await shikenTables()).replace(/\{"seq"[^\n]*\n?/g, '')).toBe(before.replace(/\{"seq"[^\n]*\n?/g, '')); // the data tables unchanged (the message log grew)
    expect((await listShikenApplications(shiken.db)).map((a) => a.pseudonymId)).not.toContain('Q0123456789ABCDEF0123');
  });
});

describe('inbound (foundation → registry) by message, QUA-30 and QUA-31', () => {
  let pseudonym = '';

  it('sends 試験合格者 (items 3–80); the same batch again adds nothing', async () => {
    await recordPasser(shiken, paperItems({ 合格証書番号: 'K-9000001', '漢字氏名（姓）': '合格' }));
    const r = await sendToRegistry(shiken);
    expect(r.passers).toBe(1);
    expect(await count('registry.foundation_passers', sql`certificate_no = 'K-9000001'`)).toBe(1);
    const again = await shiken.node.call('registry', 'foundation.passers', { batchId: 'p-again', rows: [{ 項目: paperItems({ 合格証書番号: 'K-9000001', '漢字氏名（姓）': '合格' }) }] }, { personal: true });
    expect(again.body).toMatchObject({ received: 1, added: 0 });
  });

  it('a paper application with My Number is queued, answered with its 資格仮名ID, and the foundation keeps only that', async () => {
    await expectProblem(recordPaperApplication(shiken, { ref: 'P-0001', myNumber: PAPER_NUMBER, numberCheck: { document: '運転免許証', checkedBy: '試験 花子', checkedOn: clock.today() }, items: paperItems() }), { status: 400, code: 'FOUNDATION_REFUSED' });
    await recordPaperApplication(shiken, { ref: 'P-0001', myNumber: PAPER_NUMBER, numberCheck: { document: '通知カード', checkedBy: '試験 花子', checkedOn: clock.today() }, items: paperItems() });
    expect(await shikenTables()).toContain(PAPER_NUMBER); // held until linkage
    const r = await sendToRegistry(shiken);
    expect(r.linked).toBe(1);
    const [p] = await paperApplications(shiken.db);
    expect(p).toMatchObject({ ref: 'P-0001', myNumberHeld: false, numberCheckedWith: '通知カード' });
    pseudonym = p!.pseudonymId!;
    expect(pseudonym).toMatch(/^Q[0-9A-F]{20}$/);
    // QUA-31: nothing of the My Number left in any of the foundation's tables.
    const tables = await shikenTables();
    expect(tables).not.toContain(PAPER_NUMBER);
    expect(findMyNumbers(tables)).toEqual([]);
    // The registry queued it as a paper application received from the foundation, with the number check.
    const a = await withRegistryTenant(regDb, TENANT, (tx) => getApplication(tx, foundationApplicationId('P-0001')));
    expect(a).toMatchObject({ channel: 'paper', status: 'received', receivedBy: 'shiken', qualification: 'kaigofukushishi' });
    expect(a!.identityProof).toMatchObject({ numberCheckedWith: '通知カード', checkedBy: '試験 花子' });
    // The same batch again: the same 資格仮名ID, no second application.
    const again = await shiken.node.call('registry', 'foundation.paper', {
      batchId: 'again-p', rows: [{ 受付番号: 'P-0001', 個人番号: PAPER_NUMBER, 番号確認: { 書類: '通知カード', 確認者: '試験 花子', 確認日: clock.today() }, 項目: paperItems() }],
    }, { personal: true });
    expect(again.body).toMatchObject({ results: [{ 受付番号: 'P-0001', 資格仮名ID: pseudonym }] });
    expect(await count('registry.applications', sql`received_by = 'shiken'`)).toBe(1);
  });

  it('refuses a batch with an item outside the list whole (paper and passers), nothing stored', async () => {
    const apps = await count('registry.applications');
    const passers = await count('registry.foundation_passers');
    const row = (ref: string, items: Record<string, string>) => ({ 受付番号: ref, 個人番号: FILE_NUMBER, 番号確認: { 書類: '通知カード', 確認者: '試験 花子', 確認日: clock.today() }, 項目: items });
    await expectProblem(shiken.node.call('registry', 'foundation.paper', { batchId: 'bad-p', rows: [row('P-0100', paperItems()), row('P-0101', { ...paperItems(), 受験番号: '123' })] }, { personal: true }), { status: 400, code: 'FOUNDATION_REFUSED' });
    await expectProblem(shiken.node.call('registry', 'foundation.paper', { batchId: 'bad-q', rows: [{ ...row('P-0102', paperItems()), マイナポータル仮名ID: 'x' }] }, { personal: true }), { status: 400, code: 'FOUNDATION_REFUSED' });
    await expectProblem(shiken.node.call('registry', 'foundation.passers', { batchId: 'bad-r', rows: [{ 項目: paperItems({ 合格証書番号: 'K-9000002' }) }, { 項目: { ...paperItems({ 合格証書番号: 'K-9000003' }), 個人番号: FILE_NUMBER } }] }, { personal: true }), { status: 400, code: 'FOUNDATION_REFUSED' });
    expect(await count('registry.applications')).toBe(apps);
    expect(await count('registry.foundation_passers')).toBe(passers);
  });

  it('the registration of that application keeps the 資格仮名ID given to the foundation', async () => {
    const a = await withRegistryTenant(regDb, TENANT, (tx) => getApplication(tx, foundationApplicationId('P-0001')));
    const e = await registerEntry({ db: regDb, clock, secrets: reg.secrets }, { applicationId: a!.id, qualification: 'kaigofukushishi', application: a!.form, myNumber: PAPER_NUMBER, approvedBy: 'test-chief' });
    expect(e.pseudonymId).toBe(pseudonym);
  });
});

describe('media transfers (QUA-32, QUA-40)', () => {
  let file: Buffer;

  it('the foundation\'s encrypted file is imported: received → registered → discarded, content gone; again: nothing changes', async () => {
    await recordPasser(shiken, paperItems({ 合格証書番号: 'K-9100001', '漢字氏名（姓）': '媒体' }));
    await recordPaperApplication(shiken, { ref: 'P-0200', myNumber: FILE_NUMBER, numberCheck: { document: 'マイナンバーカード', checkedBy: '試験 次郎', checkedOn: clock.today() }, items: paperItems({ 'カナ氏名（名）': 'サクラ', '漢字氏名（名）': 'さくら', 性別: '2', 合格証書番号: 'K-8000002' }) });
    const made = await writeInboundMedia(shiken, PASSWORD);
    expect(made).toMatchObject({ passers: 1, paper: 1 });
    file = made.bytes;
    const r = await importMedia(reg, { bytes: file, fileName: 'kaigo-inbound-20260401.zip', password: PASSWORD, by: '媒体 担当' });
    expect(r.repeated).toBe(false);
    expect(r.passers).toEqual({ received: 1, added: 1 });
    expect(r.links).toHaveLength(1);
    expect(r.entry).toMatchObject({ direction: 'in', status: 'discarded', contentKept: false, rows: 2, receivedBy: '媒体 担当', discardedBy: 'system:registration-complete' });
    expect(r.entry.registeredAt).not.toBeNull();
    expect(r.entry.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await count('registry.media_ledger', sql`content IS NOT NULL`)).toBe(0);
    const again = await importMedia(reg, { bytes: file, fileName: 'copy.zip', password: PASSWORD, by: '媒体 担当' });
    expect(again.repeated).toBe(true);
    expect(await count('registry.media_ledger')).toBe(1);
  });

  it('wrong password, altered file, unencrypted file and wrong layout are refused with nothing written', async () => {
    const ledger = await count('registry.media_ledger');
    const apps = await count('registry.applications');
    await expectProblem(importMedia(reg, { bytes: file, fileName: 'x.zip', password: 'wrong-password-123', by: '媒体 担当' }), { status: 400, code: 'MEDIA_PASSWORD' });
    const altered = Buffer.from(file);
    altered[Math.floor(altered.length / 3)]! ^= 0xff;
    const e = await expectProblem(importMedia(reg, { bytes: altered, fileName: 'x.zip', password: PASSWORD, by: '媒体 担当' }), { status: 400 });
    expect(['MEDIA_DAMAGED', 'MEDIA_PASSWORD', 'MEDIA_LAYOUT']).toContain(e.code);
    const zip = await import('@zip.js/zip.js');
    const plainWriter = new zip.ZipWriter(new zip.Uint8ArrayWriter());
    await plainWriter.add('kaigo-inbound-v1.csv', new zip.TextReader('区分\r\n'));
    await expectProblem(importMedia(reg, { bytes: Buffer.from(await plainWriter.close()), fileName: 'x.zip', password: PASSWORD, by: '媒体 担当' }), { status: 400, code: 'MEDIA_NOT_ENCRYPTED' });
    const extra = await sealZip('kaigo-inbound-v1.csv', Buffer.from(`\uFEFF区分,受付番号,個人番号,番号確認書類,番号確認者,番号確認日,${KAIGO_ITEMS.join(',')},受験番号\r\n`, 'utf8'), PASSWORD);
    await expectProblem(importMedia(reg, { bytes: extra, fileName: 'x.zip', password: PASSWORD, by: '媒体 担当' }), { status: 400, code: 'MEDIA_LAYOUT' });
    const otherName = await sealZip('other.csv', Buffer.from('a\r\n', 'utf8'), PASSWORD);
    await expectProblem(importMedia(reg, { bytes: otherName, fileName: 'x.zip', password: PASSWORD, by: '媒体 担当' }), { status: 400, code: 'MEDIA_LAYOUT' });
    expect(await count('registry.media_ledger')).toBe(ledger);
    expect(await count('registry.applications')).toBe(apps);
  });

  it('the registry\'s file for the foundation has no My Number; the foundation reads it and deletes the number', async () => {
    expect((await paperApplications(shiken.db)).find((p) => p.ref === 'P-0200')).toMatchObject({ myNumberHeld: true, pseudonymId: null });
    const out = await exportMedia(reg, { password: PASSWORD, by: '媒体 担当' });
    expect(out.links).toBe(1);
    expect(out.entry).toMatchObject({ direction: 'out', status: 'written', contentKept: false });
    const { name, content } = await openZip(out.bytes, PASSWORD);
    expect(name).toBe('kaigo-outbound-v1.csv');
    const text = content.toString('utf8');
    expect(text.split('\r\n')[0]).toBe(`\uFEFF${OUTBOUND_COLUMNS.join(',')}`);
    expect(OUTBOUND_COLUMNS as readonly string[]).not.toContain('個人番号');
    expect(findMyNumbers(text)).toEqual([]);
    const read = await readOutboundMedia(shiken, out.bytes, PASSWORD);
    expect(read.linked).toBe(1);
    expect((await paperApplications(shiken.db)).find((p) => p.ref === 'P-0200')).toMatchObject({ myNumberHeld: false });
    const tables = await shikenTables();
    expect(tables).not.toContain(FILE_NUMBER);
    expect(findMyNumbers(tables)).toEqual([]);
    // The same file again changes nothing.
    expect(await readOutboundMedia(shiken, out.bytes, PASSWORD)).toMatchObject({ linked: 0, stored: 0 });
    const page = await listMedia(reg);
    expect(page.total).toBe(2);
    expect(page.entries.map((e) => e.status).sort()).toEqual(['discarded', 'written']);
  });
});

describe('CLI: mamori registry media import|export|list (docs/formats/registry-foundation.md)', () => {
  it('imports the foundation\'s file, refuses a wrong password in Japanese, writes the file for the foundation, lists the ledger', async () => {
    const env = { DATABASE_URL: w.app.databaseUrl!, MAMORI_DATA: w.app.config.dataDir, MAMORI_AUDIT_WITNESS: w.app.config.auditWitness, MAMORI_MEDIA_PASSWORD: PASSWORD };
    await recordPasser(shiken, paperItems({ 合格証書番号: 'K-9200001', '漢字氏名（姓）': '端末' }));
    const inbound = join(w.dir, 'kaigo-inbound-cli.zip');
    writeFileSync(inbound, (await writeInboundMedia(shiken, PASSWORD)).bytes);
    const bad = await runCli(['registry', 'media', 'import', '--file', inbound, '--by', '媒体 担当'], { env: { ...env, MAMORI_MEDIA_PASSWORD: 'not-the-password-1' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('パスワードが違います');
    const ok = await runCli(['registry', 'media', 'import', '--file', inbound, '--by', '媒体 担当'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('媒体を取り込みました');
    expect(ok.stdout).toContain('廃棄済み');
    const outFile = join(w.dir, 'kaigo-outbound-cli.zip');
    const ex = await runCli(['registry', 'media', 'export', '--out', outFile, '--by', '媒体 担当'], { env });
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toContain('センター向けの媒体を作成しました');
    const { content } = await openZip(readFileSync(outFile), PASSWORD);
    expect(findMyNumbers(content.toString('utf8'))).toEqual([]);
    const list = await runCli(['registry', 'media', 'list'], { env });
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('媒体管理簿: 全4件');
    expect(list.stdout).toContain('廃棄済み');
    for (const r of [bad, ok, ex, list]) expect(findMyNumbers(r.stdout + r.stderr)).toEqual([]);
  }, 120_000);
});

describe('staff screen: 媒体管理簿 (real Chromium)', () => {
  it('a 介護福祉士 examiner sees the ledger with totals and states; a 医師 examiner gets 404', async () => {
    const { launch } = await import('../harness/browser.js');
    for (const [tenant, user, q] of [[TENANT, 'kaigo-media-chief', 'kaigofukushishi'], ['mhlw-isei', 'isei-media-chief', 'ishi']] as const) {
      await applyForStaff(regDb, clock, { tenant, userId: user, name: '媒体 確認', affiliation: 'ministry', affiliationName: '本省', role: 'supervisor', qualifications: [q], reason: '媒体の確認', appliedBy: 'operator' });
      await approveStaff(regDb, clock, tenant, user, 'operator');
    }
    const browser = await launch();
    try {
      const texts: string[] = [];
      for (const [tenant, user] of [[TENANT, 'kaigo-media-chief'], ['mhlw-isei', 'isei-media-chief']] as const) {
        const token = (await issueStaffToken(regDb, clock, tenant, user)).token;
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        await page.goto(`${w.url.registry}/registry/login`);
        await page.fill('#f-token', token);
        await page.click('button:has-text("ログインする")');
        await page.waitForURL(`${w.url.registry}/registry/applications`);
        const res = await page.goto(`${w.url.registry}/registry/media`);
        texts.push(await page.content());
        if (tenant === TENANT) {
          expect(res?.status()).toBe(200);
          const main = (await page.textContent('main')) ?? '';
          expect(main).toContain('全 4 件中 1–4 件を表示');
          expect(main).toContain('廃棄済み');
          expect(main).toContain('作成済み');
          expect(main).toContain('登録完了により自動');
          expect(await page.textContent('nav')).toContain('媒体管理簿');
          if (process.env['REGISTRY_SHOTS']) await page.screenshot({ path: `${process.env['REGISTRY_SHOTS']}/media-ledger.png`, fullPage: true });
        } else {
          expect(res?.status()).toBe(404);
          expect(await page.textContent('nav')).not.toContain('媒体管理簿');
        }
        await context.close();
      }
      for (const t of texts) expect(findMyNumbers(t)).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
