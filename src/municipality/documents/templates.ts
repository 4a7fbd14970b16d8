// Document wording as versioned templates: the validator a municipality's edit goes through, and the
// default wording for each document type (written the way municipal notices are written).
import { z } from 'zod';
import { fieldErrorsFromZod, validationFailed, type FieldError } from '../../kernel/problems/index.js';
import { compileTemplate, PART_LABELS, regionFits, titleFits, type DocumentLayout, type TemplatePart } from './common.js';
import { Painter } from '../../kernel/pdf/index.js';
import { guidanceLayout, reminderLayout } from './notice.js';
import { PLACEHOLDER_BY_NAME, PLACEHOLDER_RE, placeholdersFor, fillSample, type Compiled } from './placeholders.js';
import { layoutQuestions, questionnaireLayout } from './questionnaire.js';
import { requestLayout } from './request.js';
import { DOCUMENT_TYPE_LABELS, DOCUMENT_TYPES, type DocumentTemplate, type DocumentType } from './types.js';

export const LAYOUTS: Readonly<Record<DocumentType, DocumentLayout>> = {
  questionnaire: questionnaireLayout,
  guidance: guidanceLayout,
  reminder: reminderLayout,
  request: requestLayout,
};

const line = (max: number) => z.string().min(1, { message: '空にはできません' }).max(max, { message: `${max}文字以内にしてください` });

const templateSchema = z.strictObject({
  docType: z.enum(DOCUMENT_TYPES, { message: `文書の種類は ${DOCUMENT_TYPES.join('・')} のいずれかです` }),
  version: z.number({ message: '版は数値で指定してください' }).int({ message: '版は整数です' }).min(1, { message: '版は1以上です' }),
  note: z.string().max(200, { message: '200文字以内にしてください' }).optional(),
  title: line(60),
  body: z.array(line(400)).max(12, { message: '本文は12段落までです' }),
  notes: z.array(line(200)).max(10, { message: '注意事項は10項目までです' }),
  questions: z.array(line(120)).max(16, { message: '予診項目は16問までです' }).optional(),
  consent: line(300).optional(),
  contact: line(120),
});

export type TemplateValidation = { ok: true; template: DocumentTemplate } | { ok: false; errors: FieldError[] };

/** Edit distance, for "did you mean" hints on mistyped placeholders. */
function distance(a: string, b: string): number {
  const A = [...a];
  const B = [...b];
  let prev = Array.from({ length: B.length + 1 }, (_, j) => j);
  for (let i = 1; i <= A.length; i++) {
    const cur = [i];
    for (let j = 1; j <= B.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (A[i - 1] === B[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[B.length]!;
}

/** Checks the placeholders of one text; pushes errors for `field`. */
function checkText(text: string, field: string, docType: DocumentType, runOnly: boolean, errors: FieldError[]): void {
  const allowed = placeholdersFor(docType).map((p) => p.name);
  if (/[｛｝]{2}/.test(text) || /｛\{|\{｛|｝\}|\}｝/.test(text)) {
    errors.push({ field, code: 'PLACEHOLDER_FULLWIDTH_BRACES', message: '差し込み項目は半角の波括弧で {{氏名}} のように囲んでください（全角の ｛｛ ｝｝ は使えません）' });
  }
  const rest = text.replace(PLACEHOLDER_RE, '');
  if (rest.includes('{{') || rest.includes('}}')) {
    errors.push({ field, code: 'PLACEHOLDER_UNBALANCED', message: '差し込み項目の括弧 {{ と }} が対応していません' });
  }
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    const name = m[1]!;
    const def = PLACEHOLDER_BY_NAME.get(name);
    if (!def) {
      const near = allowed.map((a) => [a, distance(a, name)] as const).sort((x, y) => x[1] - y[1])[0];
      const hint = near && near[1] <= Math.max(1, Math.floor(name.length / 2)) ? `{{${near[0]}}} の誤りではありませんか。` : '';
      errors.push({ field, code: 'PLACEHOLDER_UNKNOWN', message: `{{${name}}} は使用できない差し込み項目です。${hint}使用できる項目: ${allowed.join('、')}` });
    } else if (!allowed.includes(name)) {
      const where = (def.docTypes ?? []).map((d) => DOCUMENT_TYPE_LABELS[d]).join('・');
      errors.push({ field, code: 'PLACEHOLDER_NOT_FOR_TYPE', message: `{{${name}}} は${where}でのみ使用できます` });
    } else if (runOnly && def.scope === 'person') {
      errors.push({ field, code: 'PLACEHOLDER_PERSON_IN_FIXED_TEXT', message: `この欄は全員に同じ文面で印刷するため、個人ごとに変わる {{${name}}} は使用できません（使用できるのは ${placeholdersFor(docType).filter((p) => p.scope === 'run').map((p) => `{{${p.name}}}`).join('、')}）` });
    }
  }
}

/**
 * Validates a template — a default or a municipality's edit — as data from outside: shape, placeholders
 * (unknown, not for this document type, or per-person where the text must be the same for everyone),
 * parts that belong to one document type only, and whether every part still fits its box on the page
 * with long realistic values in its placeholders.  Messages are Japanese and name the field.
 */
export function validateTemplate(input: unknown): TemplateValidation {
  const parsed = templateSchema.safeParse(input);
  if (!parsed.success) return { ok: false, errors: fieldErrorsFromZod(parsed.error) };
  const t = parsed.data as DocumentTemplate;
  const errors: FieldError[] = [];
  const isQ = t.docType === 'questionnaire';
  if (isQ) {
    if (!t.questions || t.questions.length === 0) errors.push({ field: 'questions', code: 'REQUIRED', message: '予診票には予診項目（質問）が1問以上必要です' });
    if (t.consent === undefined) errors.push({ field: 'consent', code: 'REQUIRED', message: '予診票には同意欄の文言が必要です（予診票が市区町村に提出されることの明示を含めてください）' });
    else if (!t.consent.includes('提出')) {
      // VAX-11 / 001, 002: the form states that it is submitted to the municipality, and the person signs.
      errors.push({ field: 'consent', code: 'CONSENT_SUBMISSION_STATEMENT', message: '同意欄には、予診票が市区町村に提出されることの明示（「…に提出されることに同意します」など）が必要です' });
    }
  } else {
    if (t.questions !== undefined) errors.push({ field: 'questions', code: 'NOT_ALLOWED', message: `予診項目は予診票だけのものです（${DOCUMENT_TYPE_LABELS[t.docType]}には使えません）` });
    if (t.consent !== undefined) errors.push({ field: 'consent', code: 'NOT_ALLOWED', message: `同意欄は予診票だけのものです（${DOCUMENT_TYPE_LABELS[t.docType]}には使えません）` });
  }
  checkText(t.title, 'title', t.docType, false, errors);
  t.body.forEach((s, i) => checkText(s, `body.${i}`, t.docType, false, errors));
  t.notes.forEach((s, i) => checkText(s, `notes.${i}`, t.docType, false, errors));
  (t.questions ?? []).forEach((s, i) => checkText(s, `questions.${i}`, t.docType, true, errors));
  if (t.consent !== undefined) checkText(t.consent, 'consent', t.docType, true, errors);
  checkText(t.contact, 'contact', t.docType, false, errors);
  if (errors.length > 0) return { ok: false, errors };

  // Fit: every part with long sample values must fit its box at the smallest allowed size.
  const layout = LAYOUTS[t.docType];
  const c = compileTemplate(t);
  const p = Painter.measuring();
  const tooLong = (part: TemplatePart, detail = '') =>
    errors.push({ field: part, code: 'TEMPLATE_TOO_LONG', message: `${PART_LABELS[part]}が長すぎて${DOCUMENT_TYPE_LABELS[t.docType]}の枠に収まりません${detail}。文面を短くしてください` });
  if (!titleFits(p, layout.title, c.title)) tooLong('title');
  const parts: [Exclude<TemplatePart, 'title' | 'questions'>, readonly Compiled[]][] = [
    ['body', c.body],
    ['notes', c.notes],
    ['contact', [c.contact]],
    ['consent', c.consent ? [c.consent] : []],
  ];
  for (const [part, texts] of parts) {
    const region = layout.regions[part];
    if (region && !regionFits(p, region, texts)) tooLong(part, '（差し込み項目が長い場合を含む）');
  }
  if (isQ && !layoutQuestions(p, c.questions.map(fillSample))) tooLong('questions', `（${c.questions.length}問）`);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, template: t };
}

/** `validateTemplate` that throws a 400 Problem (VALIDATION_FAILED) naming every field. */
export function parseTemplate(input: unknown): DocumentTemplate {
  const r = validateTemplate(input);
  if (!r.ok) throw validationFailed(r.errors);
  return r.template;
}

// --------------------------------------------------------------------------------------- default wording

const QUESTIONS: readonly string[] = [
  '今日受ける予防接種について、{{自治体名}}から配られている説明書を読み、効果や副反応などについて理解しましたか。',
  '今日、体に具合の悪いところがありますか。（具合の悪い症状を医師に伝えてください）',
  '最近1か月以内に病気にかかりましたか。',
  '1か月以内に、家族や周囲の方で、麻しん、風しん、水痘、おたふくかぜなどにかかった方がいますか。',
  '1か月以内に予防接種を受けましたか。',
  '生まれてから今までに、先天性異常、心臓、腎臓、肝臓、脳神経、免疫不全症、その他の病気にかかり、医師の診察を受けていますか。',
  'その病気を診てもらっている医師に、今日の予防接種を受けてよいと言われましたか。',
  'ひきつけ（けいれん）を起こしたことがありますか。',
  '薬や食品で、皮膚に発しんやじんましんが出たり、体の具合が悪くなったことがありますか。',
  'これまでに予防接種を受けて、具合が悪くなったことがありますか。',
  '近親者に、先天性免疫不全と診断されている方はいますか。',
  '今日の予防接種について、質問がありますか。',
];

const GREETING = '　日頃から、予防接種事業にご理解とご協力をいただき、ありがとうございます。';

/** The default wording of each document type (version 1). */
export const DEFAULT_TEMPLATES: Readonly<Record<DocumentType, DocumentTemplate>> = {
  questionnaire: {
    docType: 'questionnaire',
    version: 1,
    title: '予防接種予診票（{{接種名}}）',
    body: [
      '太枠内は、接種を受ける方（お子さんの場合は保護者）が記入してください。',
      '接種の前に説明書をよくお読みください。この予診票は接種券を兼ねています。接種できる期間内に、接種を受ける医療機関へお持ちください。',
    ],
    questions: QUESTIONS,
    consent:
      '医師の診察・説明を受け、予防接種の効果や目的、重い副反応の可能性、予防接種健康被害救済制度などについて理解した上で、接種を希望しますか。この予診票は、予防接種の安全性の確保を目的としています。このことを理解の上、本予診票が{{自治体名}}に提出されることに同意します。',
    notes: ['記入は黒のボールペンでお願いします。紛失したときは再発行しますので、本人確認書類をお持ちのうえ担当課へお越しください。'],
    contact: '問合せ先　{{問合せ先}}',
  },
  guidance: {
    docType: 'guidance',
    version: 1,
    title: '予防接種のお知らせ',
    body: [
      GREETING,
      '　{{氏名}}さんは、下記の予防接種の対象となります。予防接種法に基づく定期の予防接種は、病気の発生やまん延を防ぎ、かかったときの重症化を防ぐための大切なものです。同封の予診票（接種券）と説明書をよくお読みのうえ、対象期間内に接種を受けてください。',
      '　接種を受けるときは、実施医療機関へ事前に予約し、予診票、母子健康手帳（お持ちの方）、本人確認書類をお持ちください。接種費用の自己負担については、同封の説明書をご覧ください。',
    ],
    notes: [
      '対象期間を過ぎると定期の予防接種として受けることができず、任意接種（全額自己負担）となります。',
      '体調がすぐれないときは無理をせず、体調のよいときに接種してください。',
      'すでに接種を済ませた方や転出された方に、行き違いでこの通知が届くことがあります。その場合はご容赦ください。',
      '予診票を紛失したときは、担当課へお問い合わせください。',
    ],
    contact: '{{問合せ先}}\n受付時間　平日 午前8時30分から午後5時15分まで（土曜・日曜・祝日・年末年始を除く）',
  },
  reminder: {
    docType: 'reminder',
    version: 1,
    title: '予防接種がお済みでない方へ（接種のおすすめ）',
    body: [
      GREETING,
      '　{{自治体名}}の記録では、{{発行日}}現在、{{氏名}}さんの{{接種名}}の予防接種がお済みでないようです。予防接種は、病気の発生やまん延を防ぎ、かかったときの重症化を防ぐための大切なものです。',
      '　対象期間は{{接種期限}}までです。期限を過ぎると定期の予防接種として受けることができなくなりますので、お早めに接種をご検討ください。',
      '　体調や持病などの理由で接種を控えている方、行き違いで接種がお済みの方は、ご容赦ください。',
    ],
    notes: [
      '他の市区町村や医療機関で接種した場合、記録が反映されていないことがあります。母子健康手帳などで接種日をご確認のうえ、担当課へご連絡ください。',
      '予診票がお手元にない場合は再発行しますので、担当課へお問い合わせください。',
    ],
    contact: '{{問合せ先}}\n受付時間　平日 午前8時30分から午後5時15分まで（土曜・日曜・祝日・年末年始を除く）',
  },
  request: {
    docType: 'request',
    version: 1,
    title: '定期の予防接種の実施について（依頼）',
    body: [
      '　平素より、{{自治体名}}の予防接種行政にご協力を賜り、厚くお礼申し上げます。',
      '　さて、下記の者は{{自治体名}}に住所を有する者ですが、{{依頼理由}}、貴職において定期の予防接種を受けることを希望しています。つきましては、予防接種法に基づく定期の予防接種として実施していただきますよう、お願いいたします。',
    ],
    notes: [
      '接種後は、予診票の写しを{{自治体名}}（下記の問合せ先）あてにご送付ください。',
      '接種に要した費用の取扱いについては、{{自治体名}}の定めるところによります。詳しくは問合せ先までお問い合わせください。',
      'この依頼書の有効期限は、接種期限の日までです。',
    ],
    contact: '{{問合せ先}}',
  },
};
