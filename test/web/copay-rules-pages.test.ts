// 自己負担の規則 screen (issue 14; VAX-29…VAX-31; decision 0165): the rules per program and fiscal year in
// Japanese (和暦 and 西暦 fiscal year, amounts in 円, exemptions in order, 徴収区分, the 予診票 flag); the form
// adds a rule and replaces it (the same schema and the same audit entry as `mamori copay rules set`), names
// each wrong field and writes nothing then; a user without write permission cannot change a rule and a user
// of another duty cannot see them.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs } from '../../src/kernel/context/index.js';
import { listCopayRules, setCopayRule } from '../../src/municipality/copay/index.js';
import { addTenant, GOOD_PASSWORD, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { PageClient, startWeb, visibleText, type TestWeb } from '../harness/web.js';

const EMPTY_ROWS = (): Record<string, string> => {
  const v: Record<string, string> = {};
  for (let i = 0; i < 6; i++) Object.assign(v, { [`amounts.${i}.category`]: '', [`amounts.${i}.yen`]: '' });
  for (let i = 0; i < 4; i++) Object.assign(v, { [`exemptions.${i}.basis`]: '', [`exemptions.${i}.brackets`]: '', [`exemptions.${i}.category`]: '' });
  return v;
};

describe('自己負担の規則 pages', () => {
  let app: TestApp;
  let web: TestWeb;
  const rows = async () => (await sql<{ program: string; fiscal_year: number; rule: unknown; updated_by: string }>`SELECT program, fiscal_year, rule, updated_by FROM municipality.copay_rules ORDER BY fiscal_year, program`.execute(app.db.system)).rows;

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    await staff(app, TOTTORI, { login: 'kakari', duties: ['vaccination'] });
    await staff(app, TOTTORI, { login: 'etsuran', role: 'viewer', duties: ['vaccination'] });
    await staff(app, TOTTORI, { login: 'atena', duties: ['addressee'] });
    // One rule set by the CLI's path (the operator), as `mamori copay rules set` does.
    await runAs(app.db, operatorOf(TOTTORI), (w) => setCopayRule(w, { program: '任意', fiscalYear: 2025, rule: { amounts: { 一般: 3000, 免除: 0 }, defaultCategory: '一般', exemptions: [{ basis: 'seikatsuhogo', category: '免除' }], exemptQuestionnaire: true } }));
    web = await startWeb(app);
  }, 120_000);
  afterAll(async () => {
    await web?.close();
    await app?.cleanup();
  });

  it('lists the rules in Japanese, adds one through the form and replaces it; audited like the CLI', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'kakari', GOOD_PASSWORD);
    const home = await c.get('/');
    expect(home.text).toContain('href="/copay-rules"');
    const p = await c.get('/copay-rules');
    expect(p.status).toBe(200);
    const text = visibleText(p.text);
    for (const s of ['令和7年度（2025年度）の規則', '任意接種（個別の規則がないもの）', '一般 3,000円', '生活保護 → 免除', '医療機関で徴収', '免除の方は「自己負担免除」と記載']) expect(text).toContain(s);
    expect(text).not.toMatch(/seikatsuhogo|clinic\b|任意@/);
    // 年度 offered around today's fiscal year (the clock's: 令和8年度).
    expect(p.text).toMatch(/<option value="2026" selected>令和8年度（2026年度）<\/option>/);

    const add = await c.post('/copay-rules', {
      ...EMPTY_ROWS(), _csrf: PageClient.csrf(p.text), program: 'influenza-elderly', fiscalYear: '2026',
      'amounts.0.category': '一般', 'amounts.0.yen': '２，５００円', 'amounts.1.category': '生活保護', 'amounts.1.yen': '0', 'amounts.2.category': '非課税', 'amounts.2.yen': '0', 'amounts.3.category': '介護低所得', 'amounts.3.yen': '1000',
      defaultCategory: '一般',
      'exemptions.0.basis': 'seikatsuhogo', 'exemptions.0.category': '生活保護',
      'exemptions.1.basis': 'hikazei', 'exemptions.1.category': '非課税',
      'exemptions.2.basis': 'kaigo', 'exemptions.2.brackets': '1、2、３', 'exemptions.2.category': '介護低所得',
      collection: 'municipality', exemptQuestionnaire: 'on',
    });
    expect(add.status, visibleText(add.text)).toBe(302);
    // Exactly the JSON the CLI would have stored.
    const stored = await runAs(app.db, operatorOf(TOTTORI), (w) => listCopayRules(w));
    expect(stored.find((r) => r.program === 'influenza-elderly')).toMatchObject({
      fiscalYear: 2026,
      updatedBy: 'kakari',
      rule: {
        amounts: { 一般: 2500, 生活保護: 0, 非課税: 0, 介護低所得: 1000 }, defaultCategory: '一般', collection: 'municipality', exemptQuestionnaire: true,
        exemptions: [{ basis: 'seikatsuhogo', category: '生活保護' }, { basis: 'hikazei', category: '非課税' }, { basis: 'kaigo', brackets: [1, 2, 3], category: '介護低所得' }],
      },
    });
    const audit = await sql<{ action: string; target_type: string; target_id: string; actor_login: string }>`
      SELECT action, target_type, target_id, actor_login FROM kernel.audit_log WHERE target_type = 'copay-rule' ORDER BY seq`.execute(app.db.system);
    expect(audit.rows.map((r) => [r.action, r.target_id, r.actor_login])).toEqual([['settings_change', '任意@2025', expect.any(String)], ['settings_change', 'influenza-elderly@2026', 'kakari']]);

    const after = await c.get('/copay-rules');
    const t2 = visibleText(after.text);
    expect(add.location).toBe('/copay-rules');
    expect(t2).toContain('令和8年度の「インフルエンザ');
    expect(t2).toContain('令和8年度（2026年度）の規則');
    expect(t2).toContain('一般 2,500円 生活保護 0円 非課税 0円 介護低所得 1,000円'); // the default first, then in the exemptions' order
    expect(after.text).toMatch(/<ol><li>生活保護 → 生活保護<\/li><li>市町村民税非課税 → 非課税<\/li><li>介護保険の所得段階（第1・2・3段階） → 介護低所得<\/li><\/ol>/);
    expect(t2).toContain('介護保険の所得段階（第1・2・3段階） → 介護低所得');
    expect(t2).toContain('市区町村で徴収');
    expect(t2.indexOf('令和8年度（2026年度）の規則')).toBeLessThan(t2.indexOf('令和7年度（2025年度）の規則')); // newest year first

    // Replace: the edit link fills the form with the stored rule; saving a changed amount replaces the rule.
    const edit = await c.get('/copay-rules?program=influenza-elderly&fiscalYear=2026');
    expect(edit.status).toBe(200);
    expect(edit.text).toContain('規則を変更する（');
    expect(edit.text).toMatch(/name="amounts\.0\.yen" type="text" value="2500"/);
    expect(edit.text).toMatch(/name="exemptions\.2\.brackets" type="text" value="1、2、3"/);
    const form: Record<string, string> = { ...EMPTY_ROWS() };
    for (const m of edit.text.matchAll(/<input [^>]*name="([^"]+)" type="text" value="([^"]*)"/g)) form[m[1]!] = m[2]!;
    for (const m of edit.text.matchAll(/<select [^>]*name="([^"]+)">[\s\S]*?<\/select>/g)) form[m[1]!] = /<option value="([^"]*)" selected>/.exec(m[0])?.[1] ?? '';
    const replaced = await c.post('/copay-rules', { ...form, _csrf: PageClient.csrf(edit.text), 'amounts.0.yen': '2800', exemptQuestionnaire: 'on' });
    expect(replaced.status, visibleText(replaced.text)).toBe(302);
    const now = (await rows()).filter((r) => r.program === 'influenza-elderly');
    expect(now).toHaveLength(1);
    expect(now[0]!.rule).toMatchObject({ amounts: { 一般: 2800 }, collection: 'municipality', exemptions: [{ basis: 'seikatsuhogo' }, { basis: 'hikazei' }, { basis: 'kaigo', brackets: [1, 2, 3] }] });
  });

  it('a wrong form is refused with each field named, the form kept, and nothing written', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'kakari', GOOD_PASSWORD);
    const p = await c.get('/copay-rules');
    const before = await rows();
    // Not a number, a row half filled, brackets that are not numbers: named before the schema runs.
    const typed = await c.post('/copay-rules', {
      ...EMPTY_ROWS(), _csrf: PageClient.csrf(p.text), program: 'hib', fiscalYear: '2026',
      'amounts.0.category': '一般', 'amounts.0.yen': '二千円', 'amounts.1.yen': '500', defaultCategory: '一般',
      'exemptions.0.basis': 'kaigo', 'exemptions.0.brackets': '第一段階', 'exemptions.0.category': '一般',
    });
    expect(typed.status).toBe(400);
    const tt = visibleText(typed.text);
    expect(tt).toContain('金額（1、円）: 金額は円単位の数字で入力してください');
    expect(tt).toContain('区分名（2）: 区分名を入力してください');
    expect(tt).toContain('対象の所得段階（1番目）: 所得段階は数字を読点（、）で区切って入力してください');
    expect(typed.text).toMatch(/name="amounts\.0\.yen" type="text" value="二千円"/); // kept as typed
    // Well typed but against the schema: the default and an exemption without an amount, 介護 without brackets, too large.
    const schema = await c.post('/copay-rules', {
      ...EMPTY_ROWS(), _csrf: PageClient.csrf(typed.text), program: 'hib', fiscalYear: '2026',
      'amounts.0.category': '一般', 'amounts.0.yen': '2000000', 'amounts.1.category': '免除', 'amounts.1.yen': '0', defaultCategory: '通常',
      'exemptions.0.basis': 'hikazei', 'exemptions.0.category': '非課税', 'exemptions.1.basis': 'kaigo', 'exemptions.1.category': '免除',
    });
    expect(schema.status).toBe(400);
    const st = visibleText(schema.text);
    // Each message named by its control's label (the schema's paths renamed to the form's rows).
    for (const m of [
      '金額（1、円）: 金額が大きすぎます',
      '免除に当たらない方の区分: 区分「通常」の金額がありません',
      '区分（1番目）: 区分「非課税」の金額がありません',
      '対象の所得段階（2番目）: 介護保険の所得段階による免除には対象の段階を指定してください',
    ]) expect(st).toContain(m);
    expect(schema.text).toMatch(/id="f-defaultCategory"[^>]*aria-invalid="true"/);
    // No category at all.
    const none = await c.post('/copay-rules', { ...EMPTY_ROWS(), _csrf: PageClient.csrf(schema.text), program: 'hib', fiscalYear: '2026', defaultCategory: '一般' });
    expect(none.status).toBe(400);
    expect(visibleText(none.text)).toContain('区分名（1）: 区分は1〜20個です');
    expect(await rows()).toEqual(before);
  });

  it('refused: a viewer cannot change a rule (the page offers no form), another duty cannot see them; both logged', async () => {
    const viewer = new PageClient(web.url);
    await viewer.login(TOTTORI, 'etsuran', GOOD_PASSWORD);
    const p = await viewer.get('/copay-rules');
    expect(p.status).toBe(200);
    expect(p.text).not.toContain('規則を登録する</button>');
    expect(visibleText(p.text)).toContain('規則を登録・変更するには');
    const before = await rows();
    const post = await viewer.post('/copay-rules', { ...EMPTY_ROWS(), _csrf: PageClient.csrf(p.text), program: 'hib', fiscalYear: '2026', 'amounts.0.category': '一般', 'amounts.0.yen': '0', defaultCategory: '一般' });
    expect(post.status).toBe(403);
    expect(await rows()).toEqual(before);
    const other = new PageClient(web.url);
    await other.login(TOTTORI, 'atena', GOOD_PASSWORD);
    expect((await other.get('/copay-rules')).status).toBe(403);
    expect((await other.get('/')).text).not.toContain('href="/copay-rules"');
    const denied = await sql<{ actor_login: string }>`SELECT actor_login FROM kernel.audit_log WHERE action = 'access_denied' AND actor_login IN ('etsuran', 'atena') ORDER BY seq`.execute(app.db.system);
    expect(denied.rows.map((r) => r.actor_login)).toEqual(['etsuran', 'atena']);
  });
});
