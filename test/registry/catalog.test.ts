// The qualification catalog as data (issue 15 Must have 2; QUA-01, QUA-11…14; decision 0170): exactly the ten
// qualifications in the four files of seed 004, each with its legal basis, division, register items, fee table
// with sources, and the retention rule of its file; a broken catalog is refused with the file and item named.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCatalog, catalog, CATALOG_FILES } from '../../src/registry/index.js';
import { ROOT } from '../harness/paths.js';

const rawFiles = (): Record<string, unknown> =>
  Object.fromEntries(CATALOG_FILES.map((f) => [f, JSON.parse(readFileSync(`${ROOT}/src/registry/catalog/${f}.json`, 'utf8'))]));

describe('the qualification catalog', () => {
  const c = catalog();

  it('has exactly the ten qualifications in four files, each under its 資格管理者', () => {
    expect(c.files.map((f) => f.name)).toEqual(['医籍等ファイル', '管理栄養士名簿ファイル', '薬剤師名簿ファイル', '介護福祉士登録名簿ファイル']);
    expect(c.qualifications.map((q) => q.name).sort()).toEqual(['介護福祉士', '保健師', '助産師', '医師', '歯科医師', '理学療法士', '看護師', '管理栄養士', '臨床検査技師', '薬剤師'].sort());
    const byFile = Object.fromEntries(c.files.map((f) => [f.file, f.qualifications.map((q) => q.name)]));
    expect(byFile).toEqual({
      iseki: ['医師', '歯科医師', '看護師', '保健師', '助産師', '理学療法士', '臨床検査技師'],
      kanrieiyoshi: ['管理栄養士'],
      yakuzaishi: ['薬剤師'],
      kaigofukushishi: ['介護福祉士'],
    });
    // Division names as seed 004 writes them.
    expect(c.administrators.map((a) => [a.code, a.name])).toEqual([
      ['mhlw-isei', '厚生労働省医政局'],
      ['mhlw-kenko', '厚生労働省健康局'],
      ['mhlw-iyaku', '厚生労働省医薬・生活衛生局'],
      ['mhlw-shaen', '厚生労働省社会・援護局'],
    ]);
    expect(c.administrator('mhlw-shaen')!.divisions).toContain('公益財団法人社会福祉振興・試験センター');
    expect(c.administrator('mhlw-kenko')!.affiliations).toEqual(['ministry', 'prefecture', 'health-centre']); // QUA-33
    expect(c.qualification('yakuzaishi')!.division).toBe('医薬・生活衛生局総務課');
    expect(c.qualification('kanrieiyoshi')!.division).toBe('健康局健康課');
  });

  it('gives each qualification the law of its register and the 番号法 item of seed 004', () => {
    const law = Object.fromEntries(c.qualifications.map((q) => [q.code, q.legalBasis.register.law]));
    expect(law).toEqual({
      ishi: '医師法', shikaishi: '歯科医師法', kangoshi: '保健師助産師看護師法', hokenshi: '保健師助産師看護師法', josanshi: '保健師助産師看護師法',
      rigakuryohoshi: '理学療法士及び作業療法士法', rinshokensagishi: '臨床検査技師等に関する法律', kanrieiyoshi: '栄養士法', yakuzaishi: '薬剤師法', kaigofukushishi: '社会福祉士及び介護福祉士法',
    });
    expect(c.qualification('ishi')!.legalBasis.register).toMatchObject({ lawNumber: '昭和23年法律第201号', status: 'verified' });
    expect(c.qualification('ishi')!.legalBasis.myNumber.article).toBe('第9条第1項 別表第1 項番15');
    expect(c.qualification('kaigofukushishi')!.legalBasis.myNumber.jukiArticle).toBe('住民基本台帳法 第30条の9 別表第1 項番71の7');
  });

  it('lists the register items of seed 004 §004', () => {
    const ishi = c.qualification('ishi')!.registerItems;
    expect(ishi.slice(0, 4)).toEqual(['資格仮名ID', 'マイナポータル仮名ID', '個人番号', '機関別符号']);
    expect(ishi).toHaveLength(4 + 57 + 34); // identifiers, 籍 core (items 3–59), 医師 extras (60–93)
    expect(ishi).toContain('地域枠等（選抜方式）');
    expect(c.qualification('rigakuryohoshi')!.registerItems).toHaveLength(4 + 57); // core only
    expect(c.qualification('kangoshi')!.registerItems).toContain('住所');
    expect(c.qualification('rigakuryohoshi')!.registerItems).not.toContain('住所');
    expect(c.qualification('kaigofukushishi')!.registerItems).toHaveLength(4 + 78); // items 3–80
    expect(c.qualification('kaigofukushishi')!.registerItems).toEqual(expect.arrayContaining(['付記資格５', '旧姓通称名フラグ', '期限付登録']));
    // 管理栄養士: only the 機関別符号 in the identifiers (its 個人番号 sits in the 住基 block).
    expect(c.qualification('kanrieiyoshi')!.registerItems).not.toContain('個人番号');
    // 薬剤師: 消除 instead of まっ消, 名簿訂正 instead of 籍訂正.
    const yaku = c.qualification('yakuzaishi')!.registerItems;
    expect(yaku).toContain('消除年月日');
    expect(yaku).not.toContain('まっ消年月日');
    expect(yaku).toContain('名簿訂正年月日');
    expect(yaku).toContain('行政処分：行政処分コード');
  });

  it('has a fee table with a source for every amount, and says 要確認 where an amount is not verified', () => {
    for (const q of c.qualifications) {
      expect(q.fees.filter((f) => f.procedure === 'new').length, q.code).toBeGreaterThan(0);
      for (const f of q.fees) {
        expect(f.source.length, `${q.code} ${f.procedure}`).toBeGreaterThan(5);
        if (f.amount === null) expect(f.status).toBe('要確認');
      }
    }
    const tax = (code: string) => c.qualification(code)!.fees.find((f) => f.procedure === 'new' && f.kind === '登録免許税')!;
    expect(tax('ishi')).toMatchObject({ amount: 60000, status: 'verified' });
    expect(tax('shikaishi')).toMatchObject({ amount: 60000, status: 'verified' });
    expect(tax('yakuzaishi')).toMatchObject({ amount: 30000, status: 'verified' });
    expect(tax('kangoshi')).toMatchObject({ amount: 9000, status: 'verified' });
    expect(tax('kanrieiyoshi')).toMatchObject({ amount: 9000, status: '要確認' });
    expect(c.qualification('kaigofukushishi')!.fees.filter((f) => f.procedure === 'new').map((f) => [f.kind, f.amount])).toEqual([['登録免許税', 9000], ['登録手数料', 3320]]);
    expect(c.qualification('ishi')!.fees.find((f) => f.procedure === 'reissue')!.status).toBe('要確認');
  });

  it('carries the retention rule of each file (QUA-11…14)', () => {
    const r = (code: string) => c.qualification(code)!.retention;
    // QUA-13: 医籍 (the whole 医籍等 file) permanent, never fully erased; QUA-11: 抹消 logical.
    for (const code of ['ishi', 'shikaishi', 'kangoshi', 'hokenshi', 'josanshi', 'rigakuryohoshi', 'rinshokensagishi']) {
      expect(r(code)).toMatchObject({ registerKept: 'permanent', neverFullyErased: true, entryErasure: 'logical', myNumberOnLoss: { living: 'keep', deceased: 'keep' } });
    }
    // QUA-11: 介護福祉士 抹消 logical.
    expect(r('kaigofukushishi')).toMatchObject({ registerKept: 'managed', neverFullyErased: false, entryErasure: 'logical', requirements: ['QUA-11'] });
    // QUA-12: 薬剤師 deletes a living person's My Number after loss of the licence, keeps the deceased's.
    expect(r('yakuzaishi').myNumberOnLoss).toEqual({ living: 'delete', deceased: 'keep' });
    // QUA-14: 管理栄養士 keeps it.
    expect(r('kanrieiyoshi')).toMatchObject({ myNumberOnLoss: { living: 'keep', deceased: 'keep' }, requirements: ['QUA-14'] });
    // Only 薬剤師 ever deletes a My Number.
    expect(c.qualifications.filter((q) => q.retention.myNumberOnLoss.living === 'delete').map((q) => q.code)).toEqual(['yakuzaishi']);
  });

  it('refuses a broken catalog, naming the file and the item', () => {
    const raw = rawFiles();
    const yaku = structuredClone(raw['yakuzaishi']) as { qualifications: { fees: { amount: number | null; status: string }[] }[] };
    yaku.qualifications[0]!.fees[0]!.amount = null;
    yaku.qualifications[0]!.fees[0]!.status = 'verified';
    expect(() => buildCatalog({ ...raw, yakuzaishi: yaku })).toThrow(/yakuzaishi\.json: qualifications\.0\.fees\.0\.amount/);

    const iseki = structuredClone(raw['iseki']) as { retention: { myNumberOnLoss: { living: string } } };
    iseki.retention.myNumberOnLoss.living = 'delete'; // a permanent register may not lose the My Number
    expect(() => buildCatalog({ ...raw, iseki })).toThrow(/iseki\.json: retention/);

    const kaigo = structuredClone(raw['kaigofukushishi']) as { retention: { entryErasure: string } };
    kaigo.retention.entryErasure = 'physical';
    expect(() => buildCatalog({ ...raw, kaigofukushishi: kaigo })).toThrow(/kaigofukushishi\.json: retention\.entryErasure/);

    const dup = structuredClone(raw['kanrieiyoshi']) as { qualifications: { code: string }[] };
    dup.qualifications[0]!.code = 'ishi';
    expect(() => buildCatalog({ ...raw, kanrieiyoshi: dup })).toThrow(/資格コードが重複/);
    expect(() => buildCatalog({ ...raw, iseki: undefined })).toThrow(/iseki\.json/);
  });
});
