// KRN-10: each 事務 reads only the resident items on its allow-list (decision 0128).  A 住民票コード and a 在留資格
// are in the register; the 予防接種 clerk's read leaves them empty and says so in the log, the 宛名管理 clerk sees
// them, the 情報連携 clerk sees the 住民票コード but not the household, and a clerk with two duties sees the union.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { getPerson, importResidents, personAsOf, PERSON_ITEM_GROUPS, DUTY_PERSON_ITEMS } from '../../../src/municipality/residents/index.js';
import { addTenant, GOOD_PASSWORD, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { person, writeCsv } from '../../harness/residents.js';
import { startWeb, PageClient, visibleText, type TestWeb } from '../../harness/web.js';

describe('per-duty allow-list of resident items (KRN-10)', () => {
  let app: TestApp;
  let atena: string;
  const who: Record<string, Principal> = {};
  const dir = mkdtempSync(join(tmpdir(), 'mamori-items-'));

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    const row = person(1, { 住民種別: '2', 氏名: 'SMITH JOHN', 氏名カナ: 'スミス　ジョン', 外国人本名: 'SMITH JOHN', アルファベット氏名: 'SMITH JOHN', 氏名利用区分: '1', 国籍: 'アメリカ合衆国', 在留資格: '永住者', 転入前住所: '東京都千代田区千代田1番1号', 世帯主氏名: 'SMITH JOHN', 続柄: '世帯主' });
    const r = await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'full.csv'), 'full', [row]) });
    expect(r.rejected).toBe(0);
    atena = (await app.db.system.selectFrom('municipality.persons').select('atena_no').executeTakeFirstOrThrow()).atena_no;
    for (const [login, duties] of [['i-atena', ['addressee']], ['i-vax', ['vaccination']], ['i-xch', ['exchange']], ['i-both', ['vaccination', 'exchange']]] as const) {
      who[login] = (await staff(app, TOTTORI, { login, role: 'clerk', duties: [...duties] })).principal;
    }
  });
  afterAll(async () => {
    await app.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const read = (login: string) => runAs(app.db, who[login]!, (w) => getPerson(w, app.vault, atena, 'テスト'));

  it('no field is in two item groups, and every duty keeps the groups that identify a person', () => {
    const fields = PERSON_ITEM_GROUPS.flatMap((g) => g.fields);
    expect(new Set(fields).size).toBe(fields.length);
    for (const list of Object.values(DUTY_PERSON_ITEMS)) for (const g of PERSON_ITEM_GROUPS.filter((x) => x.always)) expect(list).toContain(g.key);
  });

  it('宛名管理 sees every item, and every field of a stored person belongs to an item group', async () => {
    const p = await read('i-atena');
    expect(p.withheld).toEqual([]);
    expect(Object.keys(p.state).sort()).toEqual(PERSON_ITEM_GROUPS.flatMap((g) => g.fields as readonly string[]).sort());
    expect(p.state.juminhyoCode).toBe('10000000001');
    expect(p.state.residenceStatus).toBe('永住者');
    expect(p.state.previousAddress).toContain('千代田');
  });

  it('予防接種 reads names, household and former address, but not the 住民票コード nor the 在留資格; the log says what was withheld', async () => {
    const p = await read('i-vax');
    expect(p.state.nameKanji).toContain('SMITH');
    expect(p.state.alphabetName).toBe('SMITH JOHN');
    expect(p.state.householdNo).toBe('5001');
    expect(p.state.previousAddress).toContain('千代田');
    expect(p.state.juminhyoCode).toBeNull();
    expect(p.state.nationality).toBeNull();
    expect(p.state.residenceStatus).toBeNull();
    expect(p.withheld).toEqual(['residence-status', 'juminhyo-code']);
    const entry = await app.db.system.selectFrom('kernel.audit_log').select(['detail']).where('actor_login', '=', 'i-vax').where('action', '=', 'read').where('target_type', '=', 'resident').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(entry.detail).toMatchObject({ withheld: ['residence-status', 'juminhyo-code'] });
    // The same limits on a past version.
    const past = await runAs(app.db, who['i-vax']!, (w) => personAsOf(w, atena, '2099-01-01'));
    expect(past?.juminhyoCode).toBeNull();
    expect(past?.nameKanji).toContain('SMITH');
  });

  it('情報連携 reads the 住民票コード but not the household; two duties read the union', async () => {
    const x = await read('i-xch');
    expect(x.state.juminhyoCode).toBe('10000000001');
    expect(x.state.householdNo).toBeNull();
    expect(x.state.mailingAddress).toBeNull();
    const both = await read('i-both');
    expect(both.state.juminhyoCode).toBe('10000000001');
    expect(both.state.householdNo).toBe('5001');
    expect(both.withheld).toEqual(['residence-status']);
  });

  describe('screens', () => {
    let web: TestWeb;
    beforeAll(async () => {
      web = await startWeb(app);
    });
    afterAll(async () => {
      await web.close();
    });

    it('the resident page says which items were left out and links to the table of items per 事務', async () => {
      const c = new PageClient(web.url);
      await c.login(TOTTORI, 'i-vax', GOOD_PASSWORD);
      const detail = visibleText((await c.get(`/residents/${atena}`)).text);
      expect(detail).toContain('あなたの所掌事務で使わない項目（国籍・在留資格・在留期間、住民票コード）は表示していません。');
      expect(detail).not.toContain('永住者');
      const items = await c.get('/residents/items');
      expect(items.status).toBe(200);
      const text = visibleText(items.text);
      expect(text).toContain('事務ごとの利用項目');
      expect(text).toMatch(/住民票コード\s+○\s+—\s+—\s+—\s+○/);
    });
  });
});
