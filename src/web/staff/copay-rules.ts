// 自己負担の規則 (issue 14; VAX-29, VAX-30, VAX-31; decisions 0158, 0165): the tenant's co-payment rules as data,
// per program (or 任意) and fiscal year — the amount of each 自己負担区分, the exemptions in the order they are
// tried, the 徴収区分 and whether exempt residents' 予診票 say 自己負担免除 — and a form that adds or replaces
// one program's rule for one fiscal year.  The form's rows become the `{program, fiscalYear, rule}` of
// `mamori copay rules set` (docs/formats/copay-rules.md) and are validated by the same schema in
// `setCopayRule`, which also checks the permission (予防接種 duty, personal.write) and logs the change
// (設定変更・自己負担の規則).  Reading needs personal.read in 予防接種, as `listCopayRules`.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { work } from '../../kernel/http/index.js';
import { can } from '../../kernel/access/index.js';
import { fiscalYearOf, formatFiscalYearWareki, formatJst } from '../../kernel/jp/index.js';
import { invalidField, isProblem, validationFailed, type FieldError, type Problem } from '../../kernel/problems/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import {
  listCopayRules, setCopayRule, EXEMPTION_BASES, EXEMPTION_BASIS_LABELS, FEE_COLLECTION_LABELS, OPTIONAL_PROGRAM, type CopayRule, type CopayRuleView, type ExemptionBasis,
} from '../../municipality/copay/index.js';
import { button, checkbox, csrfField, doneBy, field, html, notice, page, queryInt, queryOf, section, select, table, type FormState } from '../ui/index.js';
import { formState, needLogin, needPermission, one, pageContext, sendPage, setFlash, type Form } from './support.js';

/** Rows the form offers: at least these, and a few more than an edited rule has (the schema's maxima). */
const AMOUNT_ROWS = 6;
const AMOUNT_MAX = 20;
const EXEMPTION_ROWS = 4;
const EXEMPTION_MAX = 10;
const PROGRAM_CODE = /^[0-9A-Za-z._-]{1,60}$/;

const yen = (v: number): string => `${v.toLocaleString('ja-JP')}円`;
/** 令和8年度（2026年度）. */
export const fiscalYearLabel = (fy: number): string => `${formatFiscalYearWareki(fy)}（${fy}年度）`;
const OPTIONAL_LABEL = '任意接種（個別の規則がないもの）';
const COLLECTIONS = (['clinic', 'municipality'] as const).map((c) => [c, FEE_COLLECTION_LABELS[c]] as const);

/** One exemption in words: 介護保険の所得段階（第1・2・3段階） → 介護低所得. */
function exemptionText(e: CopayRule['exemptions'][number]): string {
  return `${EXEMPTION_BASIS_LABELS[e.basis]}${e.brackets?.length ? `（第${e.brackets.join('・')}段階）` : ''} → ${e.category}`;
}

/**
 * The categories in the order officials read them: the default first, then the exemptions' in their order,
 * then the rest (the stored JSON does not keep the order they were entered in).
 */
function orderedAmounts(r: CopayRule): [string, number][] {
  const order = [r.defaultCategory, ...r.exemptions.map((e) => e.category), ...Object.keys(r.amounts).sort()];
  return [...new Set(order)].filter((k) => k in r.amounts).map((k) => [k, r.amounts[k]!]);
}

/** Full-width digits, commas and 円 allowed, as staff type amounts. */
function parseYen(raw: string): number | null {
  const v = raw.normalize('NFKC').replace(/[,，円\s]/g, '');
  return /^\d{1,9}$/.test(v) ? Number(v) : null;
}

interface Parsed {
  readonly input: { program: string; fiscalYear: string; rule: Record<string, unknown> };
  /** Where each amount category and each exemption came from in the form (to name the row of an error). */
  readonly amountRow: ReadonlyMap<string, number>;
  readonly exemptionRow: readonly number[];
}

/** The form's rows as the CLI's JSON; what is not a number or a row half filled is named here, the rest by the schema. */
function parseForm(b: Form): Parsed {
  const errors: FieldError[] = [];
  const val = (k: string) => (one(b[k]) ?? '').trim();
  const amounts: Record<string, number> = {};
  const amountRow = new Map<string, number>();
  for (let i = 0; i < AMOUNT_MAX; i++) {
    const category = val(`amounts.${i}.category`);
    const amount = val(`amounts.${i}.yen`);
    if (!category && !amount) continue;
    if (!category) {
      errors.push({ field: `amounts.${i}.category`, code: 'REQUIRED', message: '区分名を入力してください' });
      continue;
    }
    if (amountRow.has(category)) {
      errors.push({ field: `amounts.${i}.category`, code: 'DUPLICATE', message: `区分「${category}」が重複しています` });
      continue;
    }
    const n = amount ? parseYen(amount) : null;
    if (n === null) errors.push({ field: `amounts.${i}.yen`, code: amount ? 'FORMAT' : 'REQUIRED', message: amount ? '金額は円単位の数字で入力してください' : '金額を入力してください' });
    else amounts[category] = n;
    amountRow.set(category, i);
  }
  const exemptions: Record<string, unknown>[] = [];
  const exemptionRow: number[] = [];
  for (let i = 0; i < EXEMPTION_MAX; i++) {
    const basis = val(`exemptions.${i}.basis`);
    const brackets = val(`exemptions.${i}.brackets`);
    const category = val(`exemptions.${i}.category`);
    if (!basis) {
      if (brackets || category) errors.push({ field: `exemptions.${i}.basis`, code: 'REQUIRED', message: '免除の理由を選んでください' });
      continue;
    }
    if (!(EXEMPTION_BASES as readonly string[]).includes(basis)) {
      errors.push({ field: `exemptions.${i}.basis`, code: 'CODE_UNKNOWN', message: '免除の理由を一覧から選んでください' });
      continue;
    }
    const e: Record<string, unknown> = { basis, category };
    if (brackets) {
      const parts = brackets.normalize('NFKC').split(/[,、・\s]+/).filter(Boolean);
      if (parts.every((p) => /^\d{1,2}$/.test(p))) e['brackets'] = parts.map(Number);
      else errors.push({ field: `exemptions.${i}.brackets`, code: 'FORMAT', message: '所得段階は数字を読点（、）で区切って入力してください（例：1、2、3）' });
    }
    exemptions.push(e);
    exemptionRow.push(i);
  }
  if (errors.length) throw validationFailed(errors);
  return {
    input: {
      program: val('program'),
      fiscalYear: val('fiscalYear'),
      rule: { amounts, defaultCategory: val('defaultCategory'), exemptions, collection: val('collection') || 'clinic', exemptQuestionnaire: val('exemptQuestionnaire') === 'on' },
    },
    amountRow,
    exemptionRow,
  };
}

/** The schema's field paths (rule.amounts.一般, rule.exemptions.0.category …) as the form's control names. */
function formFields(p: Problem, parsed: Parsed): Problem {
  if (!p.errors.length) return p;
  const rename = (f: string, code: string): string => {
    const m = /^rule\.(amounts|exemptions|defaultCategory|collection|exemptQuestionnaire)(?:\.(.+))?$/.exec(f);
    if (!m) return f;
    if (m[1] === 'amounts') {
      const row = m[2] !== undefined ? parsed.amountRow.get(m[2]) : undefined;
      // A bad category name (the record's key) is the name's control; a bad amount is the amount's.
      return row === undefined ? 'amounts.0.category' : `amounts.${row}.${code === 'INVALID_KEY' ? 'category' : 'yen'}`;
    }
    if (m[1] === 'exemptions') {
      const [i, rest] = (m[2] ?? '').split('.');
      const row = parsed.exemptionRow[Number(i)];
      return row === undefined ? 'exemptions.0.basis' : `exemptions.${row}.${rest ?? 'basis'}`;
    }
    return m[1]!;
  };
  return validationFailed(p.errors.map((e) => ({ ...e, field: rename(e.field, e.code) })));
}

/** The form's values for a stored rule (to replace it), or empty rows. */
function valuesOf(r: CopayRuleView): Record<string, string> {
  const v: Record<string, string> = { program: r.program, fiscalYear: String(r.fiscalYear), defaultCategory: r.rule.defaultCategory, collection: r.rule.collection === 'municipality' ? 'municipality' : 'clinic' };
  if (r.rule.exemptQuestionnaire) v['exemptQuestionnaire'] = 'on';
  orderedAmounts(r.rule).forEach(([k, n], i) => {
    v[`amounts.${i}.category`] = k;
    v[`amounts.${i}.yen`] = String(n);
  });
  r.rule.exemptions.forEach((e, i) => {
    v[`exemptions.${i}.basis`] = e.basis;
    v[`exemptions.${i}.brackets`] = e.brackets?.join('、') ?? '';
    v[`exemptions.${i}.category`] = e.category;
  });
  return v;
}

export function registerCopayRulePages(fastify: FastifyInstance, app: App): void {
  const read = [needLogin, needPermission(app, 'personal.read', 'vaccination')];
  const write = [needLogin, needPermission(app, 'personal.write', 'vaccination')];

  const rulesPage = async (req: FastifyRequest, reply: FastifyReply, state?: FormState, status = 200) => {
    const ctx = await pageContext(app, req, reply);
    const q = queryOf(req);
    const askedProgram = q['program'] || undefined;
    if (askedProgram !== undefined && askedProgram !== OPTIONAL_PROGRAM && !PROGRAM_CODE.test(askedProgram)) throw invalidField('program', 'INVALID_QUERY', '「予防接種」の指定が正しくありません');
    const askedYear = queryInt(q, 'fiscalYear', '年度', { min: 1989, max: 2200 });
    const { rules, programs } = await work(app.db, req, async (w) => {
      const { catalog } = await catalogFor(w);
      return { rules: await listCopayRules(w), programs: [...catalog.programsByCode.entries()].map(([code, v]) => [code, v.at(-1)?.name ?? '（名前のない予防接種）'] as const) };
    });
    const nameOf = new Map<string, string>([...programs, [OPTIONAL_PROGRAM, OPTIONAL_LABEL]]);
    const programName = (code: string) => nameOf.get(code) ?? '（設定にない予防接種）';
    const thisYear = fiscalYearOf(app.config.clock.today());
    const editing = askedProgram && askedYear ? rules.find((r) => r.program === askedProgram && r.fiscalYear === askedYear) : undefined;
    const values: Record<string, unknown> = state?.values ?? (editing ? valuesOf(editing) : { fiscalYear: String(askedYear ?? thisYear), ...(askedProgram ? { program: askedProgram } : {}) });
    const filled = (prefix: string, max: number) => {
      let last = -1;
      for (let i = 0; i < max; i++) if (Object.keys(values).some((k) => k.startsWith(`${prefix}.${i}.`) && String(values[k] ?? '').trim() !== '')) last = i;
      return last + 1;
    };
    const amountRows = Math.min(AMOUNT_MAX, Math.max(AMOUNT_ROWS, filled('amounts', AMOUNT_MAX) + 2));
    const exemptionRows = Math.min(EXEMPTION_MAX, Math.max(EXEMPTION_ROWS, filled('exemptions', EXEMPTION_MAX) + 1));
    const years = new Set([thisYear - 1, thisYear, thisYear + 1, ...rules.map((r) => r.fiscalYear)]);
    const fy = Number(values['fiscalYear']);
    if (Number.isInteger(fy) && fy >= 1989 && fy <= 2200) years.add(fy);
    const form: FormState = { values, errors: state?.errors ?? [] };
    const writable = !!req.session && can(req.session.actor, 'personal.write', 'vaccination');
    const byYear = [...new Set(rules.map((r) => r.fiscalYear))];

    const ruleForm = html`<form method="post" action="/copay-rules">${csrfField(ctx.csrf)}
${select({ label: '予防接種', name: 'program', options: [[OPTIONAL_PROGRAM, OPTIONAL_LABEL], ...programs], required: true, hint: '「任意接種」の規則は、個別の規則がない任意接種すべてに使います' }, form)}
${select({ label: '年度', name: 'fiscalYear', options: [...years].sort((a, b) => b - a).map((y) => [String(y), fiscalYearLabel(y)] as const), required: true, hint: '接種日の年度の規則で決めます。同じ予防接種・年度の規則があれば置き換えます' }, form)}
<fieldset class="field"><legend>自己負担区分と金額</legend>
<p class="hint">区分名（例：一般、生活保護、非課税）と、その区分の自己負担額（円）。使わない行は空欄のままにします。</p>
${Array.from({ length: amountRows }, (_, i) => html`<div class="filters">${field({ label: `区分名（${i + 1}）`, name: `amounts.${i}.category`, maxlength: 40 }, form)}${field({ label: `金額（${i + 1}、円）`, name: `amounts.${i}.yen`, inputmode: 'numeric', maxlength: 12 }, form)}</div>`)}
</fieldset>
${field({ label: '免除に当たらない方の区分', name: 'defaultCategory', required: true, hint: '上の区分名のいずれか（例：一般）', maxlength: 40 }, form)}
<fieldset class="field"><legend>免除（上から順に確かめ、最初に当たったものに決めます）</legend>
<p class="hint">生活保護は接種日に受給中（停止中でない）、市町村民税非課税は接種日の年度、介護保険の所得段階はその年度の段階で確かめます。対象の所得段階は介護保険の所得段階のときだけ、数字を読点で区切って入力します（例：1、2、3）。</p>
${Array.from({ length: exemptionRows }, (_, i) => html`<div class="filters">${select({ label: `免除の理由（${i + 1}番目）`, name: `exemptions.${i}.basis`, options: [['', '（なし）'], ...EXEMPTION_BASES.map((b) => [b, EXEMPTION_BASIS_LABELS[b as ExemptionBasis]] as const)] }, form)}${field({ label: `対象の所得段階（${i + 1}番目）`, name: `exemptions.${i}.brackets`, maxlength: 60 }, form)}${field({ label: `区分（${i + 1}番目）`, name: `exemptions.${i}.category`, maxlength: 40 }, form)}</div>`)}
</fieldset>
${select({ label: '徴収区分（自己負担額が0円でないとき）', name: 'collection', options: COLLECTIONS, value: 'clinic' }, form)}
${checkbox({ label: '免除に当たる方の予診票に「自己負担免除」と記載する', name: 'exemptQuestionnaire' }, form)}
<div class="actions">${button('規則を登録する')}</div></form>`;

    return sendPage(
      reply,
      page(
        ctx,
        '予防接種の自己負担の規則',
        html`<p>予防接種の種類と年度ごとに、自己負担区分ごとの金額、免除に当たる場合（生活保護・市町村民税非課税・介護保険の所得段階）とその順番、徴収区分、予診票の「自己負担免除」の記載を決めます。接種記録を登録するとき、接種日の年度の規則と住民の情報から自己負担区分と金額を決めます。</p>
${rules.length === 0 ? notice('自己負担の規則はまだ登録されていません。規則がない予防接種・年度では、自己負担を自動では決めません。', 'info') : ''}
${byYear.map((y) =>
  section(
    `${fiscalYearLabel(y)}の規則`,
    table(
      ['予防接種', '区分と金額', '通常の区分', '免除（適用の順）', '徴収区分', '予診票', '更新'],
      rules.filter((r) => r.fiscalYear === y).map((r) => [
        html`${programName(r.program)}${writable ? html`<br><a href="/copay-rules?program=${encodeURIComponent(r.program)}&amp;fiscalYear=${r.fiscalYear}#rule-form">この規則を変更</a>` : ''}`,
        html`${orderedAmounts(r.rule).map(([k, v]) => html`${k} ${yen(v)}<br>`)}`,
        r.rule.defaultCategory,
        r.rule.exemptions.length ? html`<ol>${r.rule.exemptions.map((e) => html`<li>${exemptionText(e)}</li>`)}</ol>` : 'なし',
        FEE_COLLECTION_LABELS[r.rule.collection],
        r.rule.exemptQuestionnaire ? '免除の方は「自己負担免除」と記載' : '記載しない',
        html`${doneBy(r.updatedBy)}<br>${formatJst(r.updatedAt)}`,
      ]),
      { caption: `${formatFiscalYearWareki(y)}の自己負担の規則` },
    ),
  ),
)}
${writable
  ? html`<div id="rule-form">${section(editing ? `規則を変更する（${programName(editing.program)}・${fiscalYearLabel(editing.fiscalYear)}）` : '規則を登録する', ruleForm)}</div>`
  : notice('規則を登録・変更するには、予防接種の業務で更新の権限が必要です。', 'info')}`,
      ),
      status,
    );
  };

  fastify.get('/copay-rules', { preHandler: read }, async (req, reply) => rulesPage(req, reply));
  fastify.post('/copay-rules', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    try {
      const parsed = parseForm(b);
      try {
        const { r, name } = await work(app.db, req, async (w) => {
          const r = await setCopayRule(w, parsed.input);
          return { r, name: r.program === OPTIONAL_PROGRAM ? OPTIONAL_LABEL : ((await catalogFor(w)).catalog.programsByCode.get(r.program)?.at(-1)?.name ?? '設定にない予防接種') };
        });
        setFlash(reply, `${formatFiscalYearWareki(r.fiscalYear)}の「${name}」の自己負担の規則を登録しました。`);
        return reply.redirect('/copay-rules');
      } catch (e) {
        if (isProblem(e) && e.status === 400) throw formFields(e, parsed);
        throw e;
      }
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      return rulesPage(req, reply, formState(b, e as Problem), 400);
    }
  });
}
