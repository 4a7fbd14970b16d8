// The 記 tables of the 案内通知 / 勧奨通知 and the 依頼書: a long value (an address at the 80-character limit)
// wraps to two lines at a readable size instead of shrinking to one tiny line; nothing overlaps, no ruled
// line crosses a text (read back with pdf.js); a table cell's line never runs past the cell.
import { describe, expect, it } from 'vitest';
import { DEFAULT_TEMPLATES, MM, Painter, renderDocument, SAMPLE_MUNICIPALITY, wrap, type DocumentItem } from '../../../src/municipality/documents/index.js';
import { defaultCatalog } from '../../../src/municipality/schedule/index.js';
import { overlaps, readLayout, type PageLayout } from './read-pdf.js';

const ADDRESS = '鳥取県鳥取市河原町渡一木字大字長尾鼻百二十三番地の四十五　市営団地第三十四号棟五階五百六十七号室';

const item: DocumentItem = {
  person: { name: '長谷川　慎之介右衛門之丞', kana: 'ハセガワ　シンノスケウエモンノジョウ', birthDate: '2018-12-28', sex: 'male', postalCode: '680-0011', address: ADDRESS },
  program: { name: 'ジフテリア・百日せき・破傷風・急性灰白髄炎 第1期', dose: '第1期初回3回目', period: { from: '2028-12-28', until: '2029-12-27' } },
  request: { destination: '大阪市長', reason: '里帰り出産のため母の実家に長期滞在しており、本市での接種が困難なため', stayAddress: ADDRESS },
};

function clean(page: PageLayout): void {
  for (let a = 0; a < page.texts.length; a++) {
    for (let b = a + 1; b < page.texts.length; b++) expect(overlaps(page.texts[a]!, page.texts[b]!), `「${page.texts[a]!.str}」 overlaps 「${page.texts[b]!.str}」`).toBe(false);
  }
  const thin = page.paths.filter((p) => p.right - p.left < 0.5 || p.bottom - p.top < 0.5);
  for (const t of page.texts) for (const r of thin) expect(overlaps(t, r, 0.02), `a line crosses 「${t.str}」`).toBe(false);
}

describe('notice and request tables: long values wrap', () => {
  for (const docType of ['guidance', 'reminder', 'request'] as const) {
    it(`${docType}: the address row holds two lines at 8 pt or more`, async () => {
      const [page] = await readLayout(await renderDocument(docType, DEFAULT_TEMPLATES[docType], item, { municipality: SAMPLE_MUNICIPALITY, issueDate: '2028-12-01' }));
      const first = page!.texts.find((t) => t.str.startsWith('鳥取県鳥取市河原町') && t.size < 10.5 && !t.str.endsWith('号室'));
      expect(first, 'the address starts a wrapped line').toBeDefined();
      expect(first!.size).toBeGreaterThanOrEqual(8);
      // The pieces of the address (pdf.js splits at spaces): two line tops, the whole address in order.
      const pieces = page!.texts.filter((t) => t.size === first!.size && t.top >= first!.top - 0.1 && t.top < first!.bottom + 2 && t.left >= first!.left - 0.1).sort((a, b) => a.top - b.top || a.left - b.left);
      expect(new Set(pieces.map((t) => t.top.toFixed(1))).size).toBe(2);
      expect(pieces.map((t) => t.str).join('').replace(/\s/g, '')).toBe(ADDRESS.replace(/[\s　]/g, ''));
      clean(page!);
    });
  }
});

describe('wrap for table cells (hang: false)', () => {
  it('no line is wider than the cell, whatever falls at the edge; nothing is lost', () => {
    const face = Painter.measuring().regular;
    const names = [
      ...defaultCatalog().products.map((p) => p.name),
      ...defaultCatalog().programs.map((p) => p.name),
      'ファイザー社 コミナティ',
      'コミナティ筋注シリンジ12歳以上用（ファイザー株式会社）',
      '医療法人社団ひまわり会　鳥取ひまわりこどもクリニック附属第二診療所、ほか。',
    ];
    for (const name of names) {
      for (let mm = 8; mm <= 60; mm += 0.5) {
        const width = mm * MM;
        const lines = wrap(face, name, 9, width, { hang: false });
        for (const l of lines) expect(face.width(l, 9), `${name} at ${mm} mm: 「${l}」`).toBeLessThanOrEqual(width + 0.01);
        expect(lines.join('').replace(/[\s　]/g, '')).toBe(name.replace(/[\s　]/g, ''));
      }
    }
  });
});

describe('wrap for running text (ぶら下げ only for 句読点)', () => {
  const face = Painter.measuring().regular;
  const at = (s: string, chars: number): string[] => wrap(face, s, 10, face.width('あ', 10) * chars);

  it('、 and 。 at the margin hang; ー and small kana take the character before them down', () => {
    expect(at('あいうえお、かきくけこ', 5)).toEqual(['あいうえお、', 'かきくけこ']);
    expect(at('あいうえお。', 5)).toEqual(['あいうえお。']);
    expect(at('あいうえコーヒー', 5)).toEqual(['あいうえ', 'コーヒー']);
    expect(at('あいうえティ', 5)).toEqual(['あいうえ', 'ティ']);
    for (const lines of [at('あいうえコーヒー', 5), at('あいうえティ', 5)]) for (const l of lines) expect(face.width(l, 10)).toBeLessThanOrEqual(face.width('あ', 10) * 5 + 0.01);
  });
});
