// PDF rendering: the text layer holds the expected Japanese strings (read back with pdf.js), 和暦 dates,
// one page set per person, the Japanese font embedded as a subset, deterministic bytes, and the refusals
// (My Number, missing values, foreign vouchers) naming the field and never the value.
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isProblem, type Problem } from '../../../src/kernel/problems/index.js';
import { syntheticMyNumber } from '../../../src/kernel/mynumber/index.js';
import {
  DEFAULT_TEMPLATES,
  DOCUMENT_TYPES,
  formatVoucherNumber,
  GETA,
  makeVoucherNumber,
  pagesPerPerson,
  renderDocument,
  renderDocuments,
  SAMPLE_MUNICIPALITY,
  syntheticDocumentItems,
  type DocumentItem,
  type DocumentType,
  type MissingGlyphWarning,
  type RenderOptions,
} from '../../../src/municipality/documents/index.js';
import { listFonts, norm, readText } from './read-pdf.js';

const options: RenderOptions = { municipality: SAMPLE_MUNICIPALITY, issueDate: '2026-11-21' };

const REQUEST = { destination: '大阪市長', reason: '里帰り出産のため', stayAddress: '大阪府大阪市北区中之島一丁目3番20号', stayPhone: '06-0000-0000', documentNumber: '鳥健第1234号' };

function itemsFor(docType: DocumentType, n: number, seed = 'render'): DocumentItem[] {
  const items = syntheticDocumentItems(n, { seed });
  return docType === 'request' ? items.map((i) => ({ ...i, request: REQUEST })) : items;
}

async function problemOf(p: Promise<unknown>): Promise<Problem> {
  try {
    await p;
  } catch (e) {
    if (isProblem(e)) return e;
    throw e;
  }
  throw new Error('expected a Problem');
}

/** A fixed person whose strings the tests look for. */
const hanako: DocumentItem = {
  person: { name: '鳥取　花子', kana: 'トットリ　ハナコ', birthDate: '2020-07-04', sex: 'female', postalCode: '680-0011', address: '鳥取県鳥取市東町一丁目220番地' },
  mailTo: { postalCode: '680-0011', address: '鳥取県鳥取市東町一丁目220番地', addressLine2: 'ひまわり荘201号室', name: '鳥取　一郎' },
  guardianName: '鳥取　一郎',
  program: { name: '麻しん風しん混合（MR）', dose: '第2期', period: { from: '2026-04-01', until: '2027-03-31' } },
  voucherNumber: makeVoucherNumber({ orgCode: '312011', fiscalYear: 2026, serial: 4321 }),
  referenceNumber: 'K7QF-2MZD-9XWA-PLTR',
};

describe('documents: text layer', () => {
  it('予診票（接種券）: title, voucher number, 整理番号, person items in 和暦, questions, consent, contact', async () => {
    const [page] = await readText(await renderDocument('questionnaire', DEFAULT_TEMPLATES.questionnaire, hanako, options));
    for (const s of [
      '予防接種予診票（麻しん風しん混合（MR））',
      '接種券',
      '鳥取市（団体コード 312011）',
      '接種券番号',
      formatVoucherNumber(hanako.voucherNumber!),
      '312011-26-000004321-',
      '整理番号　K7QF-2MZD-9XWA-PLTR',
      '鳥取県鳥取市東町一丁目220番地',
      'トットリ　ハナコ',
      '鳥取　花子',
      '令和2年7月4日生',
      '（満6歳）',
      '鳥取　一郎',
      '接種できる期間',
      '令和8年4月1日から令和9年3月31日まで',
      'ひきつけ（けいれん）を起こしたことがありますか。',
      'はい・いいえ',
      '医師の署名又は記名押印',
      '本人（保護者）自署',
      '接種年月日　　令和',
      '問合せ先　鳥取市 保健所 健康・子育て推進課　電話 0857-00-0000',
      '予防接種予診票　文面 第1版',
    ]) {
      expect(page, s).toContain(norm(s));
    }
    // The consent (drawn once per run into the shared form) wraps; its pieces are there.
    expect(page).toContain('本予診票が鳥取市に提出されることに同意します。');
  });

  it('案内通知: window-envelope address block, date and sender, body with the name, the 記 table', async () => {
    const [page] = await readText(await renderDocument('guidance', DEFAULT_TEMPLATES.guidance, hanako, options));
    for (const s of [
      '〒680-0011',
      '鳥取県鳥取市東町一丁目220番地',
      'ひまわり荘201号室',
      '鳥取　一郎　様',
      '令和8年11月21日',
      '鳥取市長',
      '予防接種のお知らせ',
      '鳥取　花子さんは、下記の予防接種の対象となります。',
      '記',
      '鳥取　花子（トットリ　ハナコ）',
      '令和2年7月4日（女）',
      '麻しん風しん混合（MR）　第2期',
      '令和8年4月1日から令和9年3月31日まで',
      '【問合せ先】',
      '受付時間　平日 午前8時30分から午後5時15分まで',
    ]) {
      expect(page, s).toContain(norm(s));
    }
  });

  it('勧奨通知: the unvaccinated program, the deadline in 和暦', async () => {
    const [page] = await readText(await renderDocument('reminder', DEFAULT_TEMPLATES.reminder, hanako, options));
    expect(page).toContain('予防接種がお済みでない方へ（接種のおすすめ）');
    expect(page).toContain(norm('鳥取市の記録では、令和8年11月21日現在、鳥取　花子さんの麻しん風しん混合（MR）の予防接種がお済みでないようです。'));
    expect(page).toContain('対象期間は令和9年3月31日までです。');
  });

  it('予防接種依頼書: document number, addressee, sender, reason, stay address', async () => {
    const [page] = await readText(await renderDocument('request', DEFAULT_TEMPLATES.request, { ...hanako, request: REQUEST }, options));
    for (const s of ['鳥健第1234号', '大阪市長　様', '鳥取市長', '（公印省略）', '定期の予防接種の実施について（依頼）', '里帰り出産のため、貴職において', '大阪府大阪市北区中之島一丁目3番20号', '06-0000-0000', '被接種者の氏名', '接種期限', '令和9年3月31日']) {
      expect(page, s).toContain(norm(s));
    }
  });

  it('和暦 across eras: 平成 birth dates, 令和元年, and the 年度 placeholder', async () => {
    const elder: DocumentItem = { ...hanako, person: { ...hanako.person, birthDate: '2019-05-01' }, program: { ...hanako.program, period: { from: '2019-05-01', until: '2020-03-31' } } };
    const tpl = { ...DEFAULT_TEMPLATES.guidance, title: '{{年度}} 予防接種のお知らせ' };
    const [page] = await readText(await renderDocument('guidance', tpl, elder, { ...options, issueDate: '2019-12-02' }));
    expect(page).toContain(norm('令和元年度 予防接種のお知らせ'));
    expect(page).toContain('令和元年12月2日');
    expect(page).toContain('令和元年5月1日から令和2年3月31日まで');
    const heisei: DocumentItem = { ...hanako, person: { ...hanako.person, birthDate: '2014-06-15' } };
    const [p2] = await readText(await renderDocument('questionnaire', DEFAULT_TEMPLATES.questionnaire, heisei, options));
    expect(p2).toContain('平成26年6月15日生');
    expect(p2).toContain('（満12歳）');
  });
});

describe('documents: one page set per person', () => {
  it.each(DOCUMENT_TYPES)('%s: page count = persons × pages per person, each page carries its own person', async (docType) => {
    const items = itemsFor(docType, 7);
    const pdf = await renderDocuments(docType, DEFAULT_TEMPLATES[docType], items, options);
    const pages = await readText(pdf);
    expect(pages).toHaveLength(items.length * pagesPerPerson(docType));
    items.forEach((it, i) => {
      const page = pages[i * pagesPerPerson(docType)]!;
      expect(page).toContain(norm(it.person.name));
      for (const other of items) if (other.person.name !== it.person.name) expect(page).not.toContain(norm(other.person.name));
      if (docType === 'questionnaire') expect(page).toContain(formatVoucherNumber(it.voucherNumber!));
    });
  });

  it('a run of 300 予診票 is one PDF of 300 pages with one font subset per weight, reused by every page', async () => {
    const items = itemsFor('questionnaire', 300);
    const pdf = await renderDocuments('questionnaire', DEFAULT_TEMPLATES.questionnaire, items, options);
    const pages = await readText(pdf);
    expect(pages).toHaveLength(300);
    expect(pages[299]).toContain(norm(items[299]!.person.name));
    const fonts = listFonts(pdf);
    expect(fonts).toHaveLength(2);
    for (const f of fonts) {
      expect(f.name).toMatch(/^[A-Z]{6}\+BIZUDPGothic-(Regular|Bold)$/);
      expect(f).toMatchObject({ type: 'CID TrueType', embedded: true, subset: true, unicode: true });
    }
    // Subset and shared: far below the 4.5 MB font files and 300 separate copies.
    expect(pdf.length).toBeLessThan(1_000_000);
  });
});

describe('documents: properties of the output', () => {
  it('is deterministic: the same inputs give the same bytes', async () => {
    const items = itemsFor('guidance', 5);
    const a = await renderDocuments('guidance', DEFAULT_TEMPLATES.guidance, items, options);
    const b = await renderDocuments('guidance', DEFAULT_TEMPLATES.guidance, items, options);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    const c = await renderDocuments('guidance', DEFAULT_TEMPLATES.guidance, items, { ...options, issueDate: '2026-11-22' });
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('the ToUnicode map names the characters actually drawn, the ideographic space included', async () => {
    const pdf = Buffer.from(await renderDocument('guidance', DEFAULT_TEMPLATES.guidance, hanako, options));
    const maps: string[] = [];
    for (const m of pdf.toString('latin1').matchAll(/stream\r?\n([\s\S]*?)\r?\nendstream/g)) {
      try {
        const text = inflateSync(Buffer.from(m[1]!, 'latin1')).toString('latin1');
        if (text.includes('beginbfchar')) maps.push(text);
      } catch {
        // not a deflated stream
      }
    }
    expect(maps).toHaveLength(2); // regular and bold
    const targets = maps.join('\n').match(/<[0-9a-f]{4}> <([0-9a-f]{4,8})>/g)!.map((l) => String.fromCodePoint(parseInt(l.slice(8, 12), 16)));
    for (const ch of ['\u3000', '鳥', '取', '〒', '様', '記']) expect(targets).toContain(ch);
  });

  it('prints 〓 for a character the font lacks and reports its code point, not the text', async () => {
    const warnings: MissingGlyphWarning[] = [];
    const odd: DocumentItem = { ...hanako, person: { ...hanako.person, name: '鳥取　\u{20BB7}子' } }; // 𠮷 (つちよし)
    const pdf = await renderDocuments('guidance', DEFAULT_TEMPLATES.guidance, [hanako, odd], { ...options, onWarning: (w) => warnings.push(w) });
    const pages = await readText(pdf);
    expect(pages[1]).toContain(norm(`鳥取　${GETA}子`));
    expect(warnings.length).toBeGreaterThan(0);
    expect(warnings.every((w) => w.kind === 'missing-glyph' && w.item === 1 && w.codePoint === 'U+20BB7')).toBe(true);
  });

  it('keeps long values inside their boxes by shrinking them (no error)', async () => {
    const long: DocumentItem = { ...hanako, person: { ...hanako.person, address: '鳥取県鳥取市河原町渡一木字大字長尾鼻百二十三番地の四十五　鳥取市営河原団地第三十四号棟五階五百六十七号室' } };
    const [page] = await readText(await renderDocument('questionnaire', DEFAULT_TEMPLATES.questionnaire, long, options));
    expect(page).toContain(norm('五百六十七号室'));
  });
});

describe('documents: refusals', () => {
  it('never prints a My Number: a 12-digit valid My Number anywhere in an item refuses the run, naming the field only', async () => {
    const mn = syntheticMyNumber('documents', 1);
    const bad: DocumentItem = { ...hanako, person: { ...hanako.person, address: `鳥取市東町 ${mn.slice(0, 4)} ${mn.slice(4, 8)} ${mn.slice(8)}` } };
    const p = await problemOf(renderDocuments('guidance', DEFAULT_TEMPLATES.guidance, [hanako, bad], options));
    expect(p.status).toBe(400);
    expect(p.errors).toEqual([expect.objectContaining({ field: 'items.1.person.address', code: 'MYNUMBER_ON_DOCUMENT' })]);
    expect(JSON.stringify(p.toJSON())).not.toContain(mn.slice(4, 8));
    // A phone number or a voucher number is not mistaken for one.
    await expect(renderDocument('guidance', DEFAULT_TEMPLATES.guidance, { ...hanako, person: { ...hanako.person, address: '鳥取市東町 0857-22-8111' } }, options)).resolves.toBeInstanceOf(Uint8Array);
  });

  it('refuses items that lack what the document needs, naming each field', async () => {
    const { voucherNumber: _v, ...noVoucher } = hanako;
    const p = await problemOf(renderDocuments('questionnaire', DEFAULT_TEMPLATES.questionnaire, [hanako, noVoucher, { ...hanako, person: { ...hanako.person, birthDate: '2020-02-30' } }], options));
    expect(p.errors.map((e) => [e.field, e.code])).toEqual([
      ['items.1.voucherNumber', 'REQUIRED'],
      ['items.2.person.birthDate', 'CUSTOM'.replace('CUSTOM', p.errors[1]!.code)],
    ]);
    const q = await problemOf(renderDocument('request', DEFAULT_TEMPLATES.request, hanako, options));
    expect(q.errors).toEqual([expect.objectContaining({ field: 'items.0.request', code: 'REQUIRED' })]);
    const { mailTo: _m, ...noMail } = hanako;
    const r = await problemOf(renderDocument('reminder', DEFAULT_TEMPLATES.reminder, { ...noMail, person: { ...noMail.person, postalCode: undefined } }, options));
    expect(r.errors).toEqual([expect.objectContaining({ field: 'items.0.mailTo', code: 'REQUIRED' })]);
    await expect(problemOf(renderDocuments('guidance', DEFAULT_TEMPLATES.guidance, [], options))).resolves.toMatchObject({ errors: [expect.objectContaining({ field: 'items' })] });
  });

  it('refuses a placeholder whose value the item lacks', async () => {
    const { period: _p, ...noPeriod } = hanako.program;
    const p = await problemOf(renderDocument('reminder', DEFAULT_TEMPLATES.reminder, { ...hanako, program: noPeriod }, options));
    expect(p.errors).toEqual([expect.objectContaining({ field: 'items.0.program.period', code: 'VALUE_MISSING', message: '文面の差し込み項目 {{接種期限}} の値がありません' })]);
  });

  it('refuses another municipality’s voucher number, an invalid template and a template of another type', async () => {
    const foreign = { ...hanako, voucherNumber: makeVoucherNumber({ orgCode: '131237', fiscalYear: 2026, serial: 1 }) };
    const p = await problemOf(renderDocument('questionnaire', DEFAULT_TEMPLATES.questionnaire, foreign, options));
    expect(p.errors).toEqual([expect.objectContaining({ field: 'items.0.voucherNumber', code: 'VOUCHER_OTHER_MUNICIPALITY' })]);
    const t = await problemOf(renderDocument('guidance', { ...DEFAULT_TEMPLATES.guidance, title: '{{氏名様}}' }, hanako, options));
    expect(t.errors[0]).toMatchObject({ field: 'template.title', code: 'PLACEHOLDER_UNKNOWN' });
    const m = await problemOf(renderDocument('guidance', DEFAULT_TEMPLATES.reminder, hanako, options));
    expect(m.code).toBe('TEMPLATE_TYPE_MISMATCH');
    const o = await problemOf(renderDocument('guidance', DEFAULT_TEMPLATES.guidance, hanako, { ...options, municipality: { ...SAMPLE_MUNICIPALITY, code: '312012' } }));
    expect(o.errors[0]).toMatchObject({ field: 'options.municipality.code' });
  });
});
