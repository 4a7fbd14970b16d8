// Wording templates: the defaults are valid; a municipality's edit is checked for its placeholders, its
// parts and whether it still fits the page, with Japanese messages that name the field.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isProblem } from '../../../src/kernel/problems/index.js';
import { DEFAULT_TEMPLATES, DOCUMENT_TYPES, parseTemplate, placeholdersFor, validateTemplate, type DocumentTemplate } from '../../../src/municipality/documents/index.js';

function errorsOf(t: unknown) {
  const r = validateTemplate(t);
  if (r.ok) throw new Error('expected the template to be refused');
  return r.errors;
}

const notice = DEFAULT_TEMPLATES.guidance;

describe('document templates', () => {
  it.each(DOCUMENT_TYPES)('the default %s wording is valid, version 1, and written in Japanese', (docType) => {
    const t = DEFAULT_TEMPLATES[docType];
    expect(validateTemplate(t)).toEqual({ ok: true, template: t });
    expect(t.version).toBe(1);
    expect(t.docType).toBe(docType);
    expect(t.title).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
  });

  it('the 予診票 states that it goes to the municipality and carries the standard questions (VAX-11)', () => {
    const q = DEFAULT_TEMPLATES.questionnaire;
    expect(q.consent).toContain('本予診票が{{自治体名}}に提出されることに同意します');
    expect(q.questions!.length).toBeGreaterThanOrEqual(10);
    expect(q.questions!.join('')).toContain('ひきつけ（けいれん）');
  });

  it('an unknown placeholder is an error that names the field, suggests the near name and lists the allowed ones', () => {
    const errors = errorsOf({ ...notice, body: [notice.body[0], '　{{氏命}}さんは対象です。'] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ field: 'body.1', code: 'PLACEHOLDER_UNKNOWN' });
    expect(errors[0]!.message).toContain('{{氏命}} は使用できない差し込み項目です。');
    expect(errors[0]!.message).toContain('{{氏名}} の誤りではありませんか。');
    expect(errors[0]!.message).toContain('使用できる項目: 自治体名、首長名');
    // Far from every name: no suggestion.
    expect(errorsOf({ ...notice, title: '{{ワクチンロット}}のお知らせ' })[0]!.message).not.toContain('誤りではありませんか');
  });

  it('full-width braces and unbalanced braces are errors', () => {
    expect(errorsOf({ ...notice, title: '｛｛氏名｝｝様へのお知らせ' })).toEqual([
      expect.objectContaining({ field: 'title', code: 'PLACEHOLDER_FULLWIDTH_BRACES', message: expect.stringContaining('半角') }),
    ]);
    expect(errorsOf({ ...notice, notes: ['{{氏名 さんへ'] })).toEqual([expect.objectContaining({ field: 'notes.0', code: 'PLACEHOLDER_UNBALANCED', message: '差し込み項目の括弧 {{ と }} が対応していません' })]);
    expect(errorsOf({ ...notice, contact: '問合せ先 }}' })).toEqual([expect.objectContaining({ field: 'contact', code: 'PLACEHOLDER_UNBALANCED' })]);
  });

  it('placeholders of the 依頼書 are refused on other documents', () => {
    expect(errorsOf({ ...notice, body: ['{{依頼先}}あて'] })).toEqual([
      expect.objectContaining({ field: 'body.0', code: 'PLACEHOLDER_NOT_FOR_TYPE', message: '{{依頼先}} は予防接種依頼書でのみ使用できます' }),
    ]);
    expect(placeholdersFor('request').map((p) => p.name)).toContain('依頼先');
    expect(placeholdersFor('guidance').map((p) => p.name)).not.toContain('依頼先');
  });

  it('the questions and the consent are the same for everyone: per-person placeholders are refused there', () => {
    const q = DEFAULT_TEMPLATES.questionnaire;
    const errors = errorsOf({ ...q, questions: [...q.questions!, '{{氏名}}さんは今日元気ですか。'], consent: `${q.consent!}（{{生年月日}}）` });
    expect(errors.map((e) => [e.field, e.code])).toEqual([
      [`questions.${q.questions!.length}`, 'PLACEHOLDER_PERSON_IN_FIXED_TEXT'],
      ['consent', 'PLACEHOLDER_PERSON_IN_FIXED_TEXT'],
    ]);
    expect(errors[0]!.message).toContain('個人ごとに変わる {{氏名}} は使用できません');
    // Run-level placeholders are fine there.
    expect(validateTemplate({ ...q, questions: ['{{自治体名}}の説明書を読みましたか。'] }).ok).toBe(true);
  });

  it('the consent must state that the form is submitted to the municipality (VAX-11)', () => {
    expect(errorsOf({ ...DEFAULT_TEMPLATES.questionnaire, consent: '接種を希望しますか。' })).toEqual([
      expect.objectContaining({ field: 'consent', code: 'CONSENT_SUBMISSION_STATEMENT', message: expect.stringContaining('提出されることの明示') }),
    ]);
  });

  it('the example in docs/formats/document-templates.md is valid', () => {
    const md = readFileSync(new URL('../../../docs/formats/document-templates.md', import.meta.url), 'utf8');
    const json = /```json\n([\s\S]*?)```/.exec(md)![1]!;
    expect(validateTemplate(JSON.parse(json))).toMatchObject({ ok: true, template: { docType: 'guidance', version: 2 } });
  });

  it('questions and consent belong to the 予診票 only; the 予診票 needs both', () => {
    expect(errorsOf({ ...notice, questions: ['体調はよいですか。'], consent: '同意します' }).map((e) => [e.field, e.code])).toEqual([
      ['questions', 'NOT_ALLOWED'],
      ['consent', 'NOT_ALLOWED'],
    ]);
    const { questions: _q, consent: _c, ...bare } = DEFAULT_TEMPLATES.questionnaire;
    expect(errorsOf(bare).map((e) => [e.field, e.code])).toEqual([
      ['questions', 'REQUIRED'],
      ['consent', 'REQUIRED'],
    ]);
  });

  it('wording that no longer fits its box on the page is refused, counting long placeholder values', () => {
    const long = '　予防接種は、病気の発生やまん延を防ぎ、かかったときの重症化を防ぐための大切なものです。'.repeat(8);
    expect(errorsOf({ ...notice, body: [long, long, long] })).toEqual([
      expect.objectContaining({ field: 'body', code: 'TEMPLATE_TOO_LONG', message: expect.stringContaining('本文が長すぎて予防接種のお知らせ（案内通知）の枠に収まりません') }),
    ]);
    // 16 two-line questions do not fit the 予診票's table.
    const q = DEFAULT_TEMPLATES.questionnaire;
    expect(errorsOf({ ...q, questions: Array.from({ length: 16 }, () => q.questions![5]!) })).toEqual([expect.objectContaining({ field: 'questions', code: 'TEMPLATE_TOO_LONG' })]);
    // A title that fits with a short program name but not with the longest one.
    expect(errorsOf({ ...notice, title: '{{接種名}}{{接種名}}の予防接種についてのお知らせ' })).toEqual([expect.objectContaining({ field: 'title', code: 'TEMPLATE_TOO_LONG' })]);
  });

  it('the shape is checked: version, strict fields, lengths', () => {
    const errors = errorsOf({ ...notice, version: 0, extra: 1, title: '' });
    expect(errors.map((e) => e.field).sort()).toEqual(['(入力全体)', 'title', 'version']);
    expect(errors.find((e) => e.field === 'version')!.message).toBe('版は1以上です');
    expect(errorsOf({ ...notice, docType: 'flyer' })[0]).toMatchObject({ field: 'docType', message: expect.stringContaining('questionnaire・guidance・reminder・request') });
  });

  it('an edited version is just a new value: version 2 with changed wording validates', () => {
    const v2: DocumentTemplate = { ...notice, version: 2, note: '問合せ時間を変更', contact: '{{問合せ先}}\n受付時間　平日 午前9時から午後5時まで' };
    expect(validateTemplate(v2)).toEqual({ ok: true, template: v2 });
  });

  it('parseTemplate throws a 400 Problem listing every field', () => {
    try {
      parseTemplate({ ...notice, title: '{{宛先}}様', notes: ['{{発行月}}'] });
      expect.unreachable();
    } catch (e) {
      expect(isProblem(e)).toBe(true);
      if (!isProblem(e)) return;
      expect(e.status).toBe(400);
      expect(e.code).toBe('VALIDATION_FAILED');
      expect(e.errors.map((x) => x.field)).toEqual(['title', 'notes.0']);
      expect(e.errors[0]!.message).toContain('{{宛名}} の誤りではありませんか');
    }
  });
});
