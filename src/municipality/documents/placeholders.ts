// 差し込み項目: the `{{名前}}` placeholders a template may use, what each prints, and where it may appear.
// "run" placeholders have one value for a whole print run (the municipality, the issue date); "person"
// placeholders change per page.  Run-level text is drawn once per run into a shared form XObject.
import { fiscalYearOf, formatFiscalYearWareki, formatWareki, legalAge, legalMonthAge } from '../../kernel/jp/index.js';
import type { DocumentItem, DocumentType, RenderOptions } from './types.js';
import { formatVoucherNumber } from './voucher.js';

export interface PlaceholderDef {
  readonly name: string;
  readonly scope: 'run' | 'person';
  /** Document types that may use it (all when absent). */
  readonly docTypes?: readonly DocumentType[];
  readonly description: string;
  /** The item field it reads (for error messages), e.g. "person.kana". */
  readonly field?: string;
  /** A long but realistic value, used to check that an edited template still fits its page. */
  readonly sample: string;
  value(item: DocumentItem | undefined, o: RenderOptions): string | undefined;
}

const SEX: Record<string, string> = { male: '男', female: '女' };

function ageText(birth: string, on: string): string {
  if (on < birth) return '';
  const years = legalAge(birth, on);
  if (years >= 3) return `満${years}歳`;
  const months = legalMonthAge(birth, on);
  return `満${Math.floor(months / 12)}歳${months % 12}か月`;
}

const contactOf = (o: RenderOptions): string => o.municipality.contact ?? `${o.municipality.name} ${o.municipality.department}　電話 ${o.municipality.phone}`;

export const PLACEHOLDERS: readonly PlaceholderDef[] = [
  { name: '自治体名', scope: 'run', description: '市区町村名', sample: '東京都小笠原村役場', value: (_, o) => o.municipality.name },
  { name: '首長名', scope: 'run', description: '差出人（例: 鳥取市長）', sample: '小笠原村長　小笠原　太郎右衛門', value: (_, o) => o.municipality.head },
  { name: '担当課', scope: 'run', description: '担当部署', sample: '保健福祉部 健康・子育て推進課 予防接種係', value: (_, o) => o.municipality.department },
  { name: '問合せ先', scope: 'run', description: '問合せ先（担当課と電話番号）', sample: '小笠原村 保健福祉部 健康・子育て推進課 予防接種係　電話 04998-2-3111（内線1234）', value: (_, o) => contactOf(o) },
  { name: '発行日', scope: 'run', description: '発行日（和暦）', sample: '令和10年12月28日', value: (_, o) => formatWareki(o.issueDate) },
  { name: '年度', scope: 'run', description: '発行日の年度（和暦、例: 令和8年度）', sample: '令和10年度', value: (_, o) => formatFiscalYearWareki(fiscalYearOf(o.issueDate)) },
  { name: '氏名', scope: 'person', field: 'person.name', description: '接種を受ける方の氏名', sample: '長谷川　慎之介右衛門之丞', value: (i) => i?.person.name },
  { name: '氏名カナ', scope: 'person', field: 'person.kana', description: '氏名のフリガナ', sample: 'ハセガワ　シンノスケウエモンノジョウ', value: (i) => i?.person.kana },
  { name: '生年月日', scope: 'person', field: 'person.birthDate', description: '生年月日（和暦）', sample: '平成30年12月28日', value: (i) => (i ? formatWareki(i.person.birthDate) : undefined) },
  { name: '年齢', scope: 'person', field: 'person.birthDate', description: '発行日現在の満年齢（3歳未満は月齢つき）', sample: '満2歳11か月', value: (i, o) => (i ? ageText(i.person.birthDate, o.issueDate) : undefined) },
  { name: '性別', scope: 'person', field: 'person.sex', description: '性別（男・女）', sample: '女', value: (i) => (i?.person.sex ? SEX[i.person.sex] : undefined) },
  { name: '住所', scope: 'person', field: 'person.address', description: '接種を受ける方の住所', sample: '鳥取県鳥取市尚徳町百十六番地　市営尚徳町団地第三号棟一二三四号室', value: (i) => i?.person.address },
  { name: '宛名', scope: 'person', field: 'mailTo.name', description: '送付先の宛名（未設定なら氏名）', sample: '長谷川　慎之介右衛門之丞　保護者', value: (i) => i?.mailTo?.name ?? i?.person.name },
  { name: '保護者氏名', scope: 'person', field: 'guardianName', description: '保護者の氏名', sample: '長谷川　慎之介右衛門之丞', value: (i) => i?.guardianName },
  { name: '接種名', scope: 'person', field: 'program.name', description: '予防接種の名称', sample: '五種混合（ジフテリア・百日せき・破傷風・ポリオ・Hib）', value: (i) => i?.program.name },
  { name: '接種回', scope: 'person', field: 'program.dose', description: '期・回（例: 第2期、2回目）', sample: '第1期初回3回目', value: (i) => i?.program.dose },
  {
    name: '対象期間',
    scope: 'person',
    field: 'program.period',
    description: '接種できる期間（和暦、「〜から〜まで」）',
    sample: '令和10年12月28日から令和11年12月27日まで',
    value: (i) => (i?.program.period ? `${formatWareki(i.program.period.from)}から${formatWareki(i.program.period.until)}まで` : undefined),
  },
  { name: '接種期限', scope: 'person', field: 'program.period', description: '対象期間の終わりの日（和暦）', sample: '令和11年12月27日', value: (i) => (i?.program.period ? formatWareki(i.program.period.until) : undefined) },
  { name: '接種券番号', scope: 'person', field: 'voucherNumber', description: '接種券番号（区切りつき）', sample: '312011-26-000001234-0', value: (i) => (i?.voucherNumber ? formatVoucherNumber(i.voucherNumber) : undefined) },
  { name: '整理番号', scope: 'person', field: 'referenceNumber', description: '暗号化された整理番号', sample: 'ABCD-EFGH-JKLM-NPQR-STUV-WXYZ', value: (i) => i?.referenceNumber },
  { name: '依頼先', scope: 'person', field: 'request.destination', docTypes: ['request'], description: '依頼先（例: 大阪市長）', sample: '医療法人社団〇〇会　〇〇こどもクリニック院長', value: (i) => i?.request?.destination },
  { name: '依頼理由', scope: 'person', field: 'request.reason', docTypes: ['request'], description: '依頼の理由', sample: '里帰り出産のため母の実家に長期滞在しており、本市での接種が困難なため', value: (i) => i?.request?.reason },
  { name: '滞在先住所', scope: 'person', field: 'request.stayAddress', docTypes: ['request'], description: '滞在先の住所', sample: '大阪府大阪市北区中之島一丁目三番二十号　中之島グランドレジデンス二〇三一号室', value: (i) => i?.request?.stayAddress },
  { name: '滞在先電話番号', scope: 'person', field: 'request.stayPhone', docTypes: ['request'], description: '滞在先の電話番号', sample: '090-1234-5678', value: (i) => i?.request?.stayPhone },
  { name: '文書番号', scope: 'person', field: 'request.documentNumber', docTypes: ['request'], description: '依頼書の文書番号', sample: '鳥健第12345号', value: (i) => i?.request?.documentNumber },
];

export const PLACEHOLDER_BY_NAME: ReadonlyMap<string, PlaceholderDef> = new Map(PLACEHOLDERS.map((p) => [p.name, p]));

export function placeholdersFor(docType: DocumentType): PlaceholderDef[] {
  return PLACEHOLDERS.filter((p) => !p.docTypes || p.docTypes.includes(docType));
}

/** `{{名前}}` with optional half-width spaces inside the braces. */
export const PLACEHOLDER_RE = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/** A template text cut into literal and placeholder pieces, parsed once per run. */
export type Compiled = readonly (string | PlaceholderDef)[];

/** Cuts `text` into pieces; unknown names must have been rejected by the validator. */
export function compile(text: string): Compiled {
  const out: (string | PlaceholderDef)[] = [];
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER_RE)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const def = PLACEHOLDER_BY_NAME.get(m[1]!);
    if (!def) throw new RangeError(`未知の差し込み項目 {{${m[1]}}}`);
    out.push(def);
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

export const isRunLevel = (c: Compiled): boolean => c.every((p) => typeof p === 'string' || p.scope === 'run');

/** Raised by `fill` when an item lacks a value a placeholder needs. */
export class MissingValue extends Error {
  constructor(readonly def: PlaceholderDef) {
    super(`差し込み項目 {{${def.name}}} の値がありません`);
  }
}

/** The text with every placeholder replaced. */
export function fill(c: Compiled, item: DocumentItem | undefined, o: RenderOptions): string {
  if (c.length === 1 && typeof c[0] === 'string') return c[0];
  let s = '';
  for (const p of c) {
    if (typeof p === 'string') s += p;
    else {
      const v = p.value(item, o);
      if (v === undefined || v === '') throw new MissingValue(p);
      s += v;
    }
  }
  return s;
}

/** The text with every placeholder replaced by its long sample value (for fit checks). */
export function fillSample(c: Compiled): string {
  return c.map((p) => (typeof p === 'string' ? p : p.sample)).join('');
}
