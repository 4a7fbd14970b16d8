// Notices to applicants online (issue 16 Must have 5; QUA-26; decisions 0216, 0217), over HTTP with every
// organisation on its own port: a person applies through the portal for 医師 (医籍) and 薬剤師 (another
// 資格管理者); the first is returned for correction, the second approved (→ the approval and the 薬剤師免許証 to
// collect), then a 行政処分 is recorded → four notices, each written in its event's transaction.  The person
// reads them in the portal's 「お知らせ」 (list with totals, pages, 未読; opening one marks it read at the
// registry); another person sees none of them and gets 404 for each; the portal stores none of them (its schema
// holds no notice text or id) and logs each read; the registry's message log has `notices.mine` from the portal;
// no My Number anywhere.  The page is looked at in real Chromium.
import { sql, type Kysely } from 'kysely';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messageLogOf } from '../../src/app/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { formatWareki } from '../../src/kernel/jp/index.js';
import {
  applyForStaff, approveStaff, authenticateStaff, decideApplication, exampleForm, issueStaffToken, noticeOfChangeNeededRows, prepareApplication, recordCheck, REGISTRY_ROLE, RegistrySecrets, staffRecordDisposition,
  withRegistryTenant, type ExaminationDeps, type StaffSession,
} from '../../src/registry/index.js';
import { PortalApplicant } from '../../src/cli/commands/registry-apply.js';
import { launch } from '../harness/browser.js';
import { findMyNumbers } from '../harness/leaks.js';
import { readText } from '../municipality/documents/read-pdf.js';
import { PIN, platformWorld, WHO, type PlatformWorld } from '../harness/platform.js';
import { settleFeesByStamps } from '../harness/registry.js';
import { mn } from '../harness/residents.js';

let w: PlatformWorld;
let regDb: Kysely<UntypedDatabase>;
let deps: ExaminationDeps;
let parent: PortalApplicant;
let other: PortalApplicant;
const answers: string[] = [];
const tokens = new Map<string, string>();
let yakuNumber = 0;

interface Notice { noticeId: string; kind: string; kindLabel: string; title: string; body: string; qualificationName: string; registrationNo: number | null; createdAt: string; read: boolean }
interface NoticePage { total: number; unread: number; page: number; perPage: number; pages: number; notices: Notice[] }

const person = { 氏名: { 姓: '鳥取', 名: '太郎' }, フリガナ: { 姓: 'トットリ', 名: 'タロウ' }, 生年月日: '1992-06-01' };

async function staff(tenant: string, userId: string, qualifications: string[]): Promise<StaffSession> {
  const clock = w.app.config.clock;
  await applyForStaff(regDb, clock, { tenant, userId, name: `職員 ${userId}`, affiliation: 'ministry', affiliationName: '本省', role: 'supervisor', qualifications, reason: '登録事務', appliedBy: 'operator' });
  await approveStaff(regDb, clock, tenant, userId, 'operator');
  const token = (await issueStaffToken(regDb, clock, tenant, userId)).token;
  tokens.set(userId, token);
  return authenticateStaff(regDb, clock, `Bearer ${token}`);
}

async function applyOnline(qualification: string, form: Record<string, unknown>): Promise<string> {
  const prepared = await prepareApplication(w.cards.parent, PIN, { qualification, form });
  const a = (await parent.postJson('/registry/applications', prepared)) as { applicationId: string };
  return a.applicationId;
}

async function get(who: PortalApplicant, path: string): Promise<{ status: number; json: unknown; text: string }> {
  const r = await who.request('GET', path);
  answers.push(r.text);
  return r;
}

beforeAll(async () => {
  w = await platformWorld();
  regDb = await w.app.db.forRole(REGISTRY_ROLE);
  deps = { db: regDb, clock: w.app.config.clock, secrets: RegistrySecrets.open(w.app.config.keyDir) };
  parent = new PortalApplicant(w.url.portal);
  await parent.login(w.cards.parent, PIN);
  other = new PortalApplicant(w.url.portal);
  await other.login(w.cards.otherParent, PIN);
}, 300_000);

afterAll(async () => {
  await w?.close();
});

describe('notices to applicants online (QUA-26)', () => {
  let ids: string[] = [];

  it('a return for correction, an approval with its certificate and a 行政処分 each leave a notice for the applicant', async () => {
    const isei = await staff('mhlw-isei', 'notice-isei', ['ishi']);
    const iyaku = await staff('mhlw-iyaku', 'notice-iyaku', ['yakuzaishi']);
    const ishi = await applyOnline('ishi', { ...exampleForm('ishi'), ...person });
    await decideApplication(deps, isei, ishi, { action: 'return', reason: '写真が不鮮明です。撮り直した写真を添付してください。' });
    const yaku = await applyOnline('yakuzaishi', { ...exampleForm('yakuzaishi'), ...person });
    await withRegistryTenant(regDb, 'mhlw-iyaku', async (tx) => {
      for (const source of ['juki', 'koseki', 'passers'] as const) await recordCheck(tx, w.app.config.clock, yaku, { source, outcome: 'match', by: 'system' });
    });
    await settleFeesByStamps(regDb, w.app.config.clock, 'mhlw-iyaku', yaku);
    const approved = await decideApplication(deps, iyaku, yaku, { action: 'approve' });
    const number = approved.entry!.number;
    yakuNumber = number;
    const today = w.app.config.clock.today();
    await staffRecordDisposition(deps, iyaku, 'yakuzaishi', number, { kind: 'suspension', decidedOn: today, code: '01', from: today, until: today, issueNo: '薬発第1号' });

    const r = await get(parent, '/registry/notices.json');
    expect(r.status).toBe(200);
    const p = r.json as NoticePage;
    expect(p).toMatchObject({ total: 4, unread: 4, page: 1, pages: 1 });
    expect(p.notices.map((n) => n.kind).sort()).toEqual(['approved', 'certificate', 'disposition', 'returned']);
    const by = (k: string) => p.notices.find((n) => n.kind === k)!;
    expect(by('returned')).toMatchObject({ qualificationName: '医師', read: false });
    expect(by('returned').body).toContain('写真が不鮮明です。');
    expect(by('approved').body).toContain(`登録番号は第${number}号、登録年月日は${formatWareki(today)}`);
    expect(by('certificate')).toMatchObject({ title: '薬剤師免許証を交付しました（新規登録）', registrationNo: number });
    expect(by('disposition').title).toBe('薬剤師の行政処分（業務停止）が記録されました');
    ids = p.notices.map((n) => n.noticeId);
  });

  it('the list pages, opening a notice marks it read at the registry, and the page shows totals, 未読 and 和暦 dates', async () => {
    const p2 = (await get(parent, '/registry/notices.json?page=2')).json as NoticePage;
    expect(p2).toMatchObject({ total: 4, page: 2, notices: [] });
    expect((await get(parent, '/registry/notices.json?page=0')).status).toBe(400);
    const one = (await get(parent, `/registry/notices/${ids[0]}/notice.json`)).json as Notice;
    expect(one.read).toBe(true);
    expect(((await get(parent, '/registry/notices.json')).json as NoticePage).unread).toBe(3);
    // Opening it again changes nothing.
    await get(parent, `/registry/notices/${ids[0]}/notice.json`);
    expect(((await get(parent, '/registry/notices.json')).json as NoticePage).unread).toBe(3);
    const page = await get(parent, '/registry/notices');
    expect(page.status).toBe(200);
    expect(page.text).toContain('全 4 件（未読 3 件）');
    expect(page.text).toContain(formatWareki(w.app.config.clock.today()));
    expect(page.text.match(/>未読</g)).toHaveLength(3);
    const detail = await get(parent, `/registry/notices/${ids[1]}`);
    expect(detail.status).toBe(200);
    expect(detail.text).toContain('お知らせの日');
    expect(((await get(parent, '/registry/notices.json')).json as NoticePage).unread).toBe(2);
    const statusPage = await get(parent, '/registry');
    expect(statusPage.text).toContain('href="/registry/notices"');
  });

  it('another person sees none of them, and each of them is a 404 to them', async () => {
    const p = (await get(other, '/registry/notices.json')).json as NoticePage;
    expect(p).toMatchObject({ total: 0, unread: 0, notices: [] });
    for (const id of ids) {
      expect((await get(other, `/registry/notices/${id}/notice.json`)).status).toBe(404);
      expect((await get(other, `/registry/notices/${id}`)).status).toBe(404);
    }
    expect((await get(other, '/registry/notices/not-an-id')).status).toBe(404);
    // Still unread for the owner (the other person's tries marked nothing).
    expect(((await get(parent, '/registry/notices.json')).json as NoticePage).unread).toBe(2);
  });

  it('the portal keeps none of them and logs each read; the registry logs the portal\'s messages; no My Number', async () => {
    const tables = await sql<{ t: string }>`SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'peers_mynaportal' AND table_type = 'BASE TABLE'`.execute(w.app.db.system);
    let portal = '';
    for (const { t } of tables.rows) portal += (await sql<{ j: string }>`SELECT row_to_json(x)::text AS j FROM ${sql.table(`peers_mynaportal.${t}`)} x`.execute(w.app.db.system)).rows.map((x) => x.j).join('\n');
    for (const id of ids) expect(portal).not.toContain(id);
    for (const s of ['写真が不鮮明です', '薬剤師免許証を交付しました', '行政処分']) expect(portal).not.toContain(s);
    const logged = await sql<{ action: string; outcome: string; code: string | null }>`SELECT action, outcome, code FROM peers_mynaportal.access_log WHERE action IN ('registry.notices', 'registry.notice')`.execute(w.app.db.system);
    expect(logged.rows.some((r) => r.action === 'registry.notices' && r.outcome === 'ok')).toBe(true);
    expect(logged.rows.some((r) => r.action === 'registry.notice' && r.outcome === 'refused')).toBe(true);
    const log = await messageLogOf(w.app, 'registry');
    const seen = JSON.stringify((await log.list({ limit: 10_000 })).rows);
    expect(seen).toContain('notices.mine');
    expect(seen).toContain('notices.read');
    expect(findMyNumbers(answers.join('\n'))).toEqual([]);
    expect(answers.join('\n')).not.toContain(mn(WHO.parent));
  });

  it('the お知らせ page in Chromium: list, 未読 marks, a notice opened', async () => {
    const browser = await launch();
    try {
      const cardFile = join(w.dir, 'notices-card.json');
      writeFileSync(cardFile, JSON.stringify(w.cards.parent));
      const context = await browser.newContext({ locale: 'ja-JP', viewport: { width: 1000, height: 900 } });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${w.url.portal}/`);
      await page.setInputFiles('#f-card', cardFile);
      await page.fill('#f-pin', PIN);
      await page.click('button:has-text("ログインする")');
      await page.waitForURL(`${w.url.portal}/home`, { timeout: 20_000 });
      await page.goto(`${w.url.portal}/registry`);
      await page.click('a:has-text("国家資格のお知らせ")');
      await page.waitForURL(`${w.url.portal}/registry/notices`);
      expect(await page.textContent('main')).toContain('全 4 件（未読 2 件）');
      const shot = process.env['MAMORI_SCREENSHOT_DIR'];
      if (shot) await page.screenshot({ path: join(shot, 'portal-registry-notices.png'), fullPage: true });
      await page.click('.notice-item--unread a >> nth=0');
      await page.waitForURL(/\/registry\/notices\/[0-9a-f-]{36}$/);
      if (shot) await page.screenshot({ path: join(shot, 'portal-registry-notice.png'), fullPage: true });
      await page.goto(`${w.url.portal}/registry/notices`);
      expect(await page.textContent('main')).toContain('全 4 件（未読 1 件）');
      expect(errors).toEqual([]);

      // QUA-25 on the staff screens: 登録の表示 shows the 交付履歴 with its print link; the PDF is served by the
      // registry node to that 資格管理者's staff only (another 資格管理者's staff: 404).
      const reg = w.url.registry;
      const staffPage = await context.newPage();
      await staffPage.goto(`${reg}/registry/login`);
      await staffPage.fill('#f-token', tokens.get('notice-iyaku')!);
      await staffPage.click('button:has-text("ログインする")');
      await staffPage.waitForURL(`${reg}/registry/applications`);
      await staffPage.goto(`${reg}/registry/entries/yakuzaishi/${yakuNumber}`);
      const main = (await staffPage.textContent('main'))!;
      expect(main).toContain('交付履歴（免許証・登録証）');
      expect(main).toContain('薬剤師免許証');
      expect(main).toContain('有効');
      if (shot) await staffPage.screenshot({ path: join(shot, 'registry-entry-certificates.png'), fullPage: true });
      const href = (await staffPage.getAttribute('a:has-text("印刷する（PDF）")', 'href'))!;
      const pdf = await staffPage.request.get(`${reg}${href}`);
      expect(pdf.status()).toBe(200);
      expect(pdf.headers()['content-type']).toBe('application/pdf');
      const t = (await readText(new Uint8Array(await pdf.body()))).join('');
      expect(t).toContain('薬 剤 師 免 許 証');
      expect(t).toContain('鳥取 太郎');
      expect(t).not.toContain(mn(WHO.parent));
      expect(findMyNumbers(t)).toEqual([]);
      const otherStaff = await browser.newContext({ locale: 'ja-JP' });
      const op = await otherStaff.newPage();
      await op.goto(`${reg}/registry/login`);
      await op.fill('#f-token', tokens.get('notice-isei')!);
      await op.click('button:has-text("ログインする")');
      await op.waitForURL(`${reg}/registry/applications`);
      expect((await op.request.get(`${reg}${href}`)).status()).toBe(404);
      const denied = await withRegistryTenant(regDb, 'mhlw-isei', (tx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.access_log WHERE user_id = 'notice-isei' AND target_type = 'certificate' AND outcome = 'denied'`.execute(tx));
      expect(denied.rows[0]!.n).toBe(1);
    } finally {
      await browser.close();
    }
  }, 120_000);

  it('a new 氏名 found by a check asks the person to apply for 籍訂正・書換え交付; an address change sends nothing', async () => {
    // The rows a check run's INSERT … RETURNING gives (juki.ts, periodic.ts call this in the run's transaction).
    await withRegistryTenant(regDb, 'mhlw-iyaku', (tx) => noticeOfChangeNeededRows(tx, w.app.config.clock, [
      { qualification_code: 'yakuzaishi', registration_no: String(yakuNumber), kind: 'name' },
      { qualification_code: 'yakuzaishi', registration_no: String(yakuNumber), kind: 'address' },
    ]));
    const p = (await get(parent, '/registry/notices.json')).json as NoticePage;
    expect(p.total).toBe(5);
    const n = p.notices.filter((x) => x.kind === 'change-needed');
    expect(n).toHaveLength(1);
    expect(n[0]!.title).toBe('薬剤師の薬剤師名簿の訂正の申請をお願いします');
    expect(n[0]!.body).toContain('薬剤師免許証の書換え交付');
    expect(((await get(other, '/registry/notices.json')).json as NoticePage).total).toBe(0);
  });
});
