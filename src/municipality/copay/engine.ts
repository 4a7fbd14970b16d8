// The co-payment engine (VAX-29, VAX-30, VAX-31; decision 0158): the tenant's rules as data — per program and
// fiscal year, the amount of each 自己負担区分, the situations that exempt (生活保護 on the vaccination date and
// not suspended, 市町村民税非課税 for that fiscal year, a 介護保険 所得段階) in the order they are tried, and how the
// amount is collected (徴収区分) — and the decision for one dose from the resident's situation on the
// vaccination date, explained like the schedule engine's decisions: every reason names the rule or the feed
// row (file and row) it comes from.  `decideCopay` is pure; `copayContext` loads what a group of doses needs
// in two queries.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { invalidField, parseInput } from '../../kernel/problems/index.js';
import { fiscalYearOf, formatFiscalYearWareki, formatWareki } from '../../kernel/jp/index.js';
import { can } from '../../kernel/policy/index.js';
import { requireResidentAccess } from '../residents/index.js';
import './tables.js';

export const FEE_COLLECTIONS = ['clinic', 'municipality', 'none'] as const;
export type FeeCollection = (typeof FEE_COLLECTIONS)[number];
export const FEE_COLLECTION_LABELS: Record<FeeCollection, string> = { clinic: '医療機関で徴収', municipality: '市区町村で徴収', none: '徴収なし' };

export const EXEMPTION_BASES = ['seikatsuhogo', 'hikazei', 'kaigo'] as const;
export type ExemptionBasis = (typeof EXEMPTION_BASES)[number];
export const EXEMPTION_BASIS_LABELS: Record<ExemptionBasis, string> = { seikatsuhogo: '生活保護', hikazei: '市町村民税非課税', kaigo: '介護保険の所得段階' };

/** The program key for every 任意接種 without a rule of its own. */
export const OPTIONAL_PROGRAM = '任意';

const categoryName = z.string().trim().min(1, '区分名を入力してください').max(40, '区分名は40文字以内です');
const yen = z.number().int('金額は円単位の整数です').min(0, '金額は0円以上です').max(1_000_000, '金額が大きすぎます');

/** One program's rule for one fiscal year (stored as copay_rules.rule). */
export const CopayRule = z
  .object({
    /** 自己負担区分 → amount in 円. */
    amounts: z.record(categoryName, yen).refine((m) => Object.keys(m).length >= 1 && Object.keys(m).length <= 20, { message: '区分は1〜20個です' }),
    /** The category when no exemption applies. */
    defaultCategory: categoryName,
    /** Tried in order; the first that applies decides. */
    exemptions: z
      .array(z.object({ basis: z.enum(EXEMPTION_BASES), brackets: z.array(z.number().int().min(1).max(30)).max(30).optional(), category: categoryName }))
      .max(10)
      .default([]),
    /** 徴収区分 of an amount above 0 (an amount of 0 is never collected). */
    collection: z.enum(FEE_COLLECTIONS).default('clinic'),
    /** Exempt residents receive a 予診票 marked 自己負担免除 for this program (VAX-30). */
    exemptQuestionnaire: z.boolean().default(false),
  })
  .superRefine((r, ctx) => {
    if (!(r.defaultCategory in r.amounts)) ctx.addIssue({ code: 'custom', path: ['defaultCategory'], message: `区分「${r.defaultCategory}」の金額がありません` });
    r.exemptions.forEach((e, i) => {
      if (!(e.category in r.amounts)) ctx.addIssue({ code: 'custom', path: ['exemptions', i, 'category'], message: `区分「${e.category}」の金額がありません` });
      if (e.basis === 'kaigo' && !e.brackets?.length) ctx.addIssue({ code: 'custom', path: ['exemptions', i, 'brackets'], message: '介護保険の所得段階による免除には対象の段階を指定してください' });
    });
  });
export type CopayRule = z.output<typeof CopayRule>;

export const CopayRuleInput = z.object({
  program: z.string().trim().min(1).max(60),
  fiscalYear: z.coerce.number().int().min(1989).max(2200),
  rule: CopayRule,
});

/** A reason of the decision: what it says, which rule or fact decided, and where that came from. */
export interface CopayReason {
  readonly code: string;
  readonly message: string;
  /** The rule: copay/<program>/<fiscal year>[/<basis>]. */
  readonly rule: string;
  /** The source: the tenant rule, or the feed file and row. */
  readonly source: string;
}

export interface CopayDecision {
  readonly program: string;
  readonly fiscalYear: number;
  readonly category: string;
  readonly amount: number;
  readonly exempt: boolean;
  readonly exemptBy: ExemptionBasis | null;
  readonly collection: FeeCollection;
  readonly exemptQuestionnaire: boolean;
  readonly reasons: readonly CopayReason[];
}

/** A fact from a feed with the file and row it was read from. */
interface Sourced {
  readonly file: string;
  readonly rowNo: number;
}
export interface WelfareFact extends Sourced {
  readonly caseNo: string;
  readonly kind: 'receipt' | 'suspension';
  readonly from: string;
  readonly until: string | null;
}
export interface TaxFact extends Sourced {
  readonly fiscalYear: number;
  readonly exempt: boolean;
}
export interface LtcFact extends Sourced {
  readonly fiscalYear: number;
  readonly bracket: number;
}
export interface PersonFacts {
  readonly welfare: readonly WelfareFact[];
  readonly tax: readonly TaxFact[];
  readonly ltc: readonly LtcFact[];
}
export const NO_FACTS: PersonFacts = { welfare: [], tax: [], ltc: [] };

const w = (d: string) => formatWareki(d);
/** The row as a spreadsheet shows it (header = row 1), as the import reports do. */
const src = (f: Sourced, label: string) => `${label}「${f.file}」${f.rowNo + 1}行目`;
const within = (d: string, from: string, until: string | null) => d >= from && (until === null || d <= until);
const span = (from: string, until: string | null) => `${w(from)}から${until ? `${w(until)}まで` : ''}`;

function welfareOn(facts: PersonFacts, date: string, ruleId: string): { applies: boolean; reasons: CopayReason[] } {
  const receipt = facts.welfare.filter((f) => f.kind === 'receipt' && within(date, f.from, f.until));
  if (!receipt.length) {
    const near = [...facts.welfare].filter((f) => f.kind === 'receipt').sort((a, b) => (a.from < b.from ? 1 : -1))[0];
    return {
      applies: false,
      reasons: [
        near
          ? { code: 'WELFARE_OUTSIDE_PERIOD', message: `接種日（${w(date)}）は生活保護の受給期間（${span(near.from, near.until)}）の外です`, rule: ruleId, source: src(near, '生活保護ファイル') }
          : { code: 'WELFARE_NONE', message: '生活保護の受給期間の記録がありません', rule: ruleId, source: '生活保護ファイル（この方の行なし）' },
      ],
    };
  }
  // Receiving under any case that is not suspended on the day counts; otherwise the suspension is the reason.
  const stopOf = (r: WelfareFact) => facts.welfare.find((f) => f.kind === 'suspension' && f.caseNo === r.caseNo && within(date, f.from, f.until));
  const r = receipt.find((x) => !stopOf(x));
  if (!r) {
    const stop = stopOf(receipt[0]!)!;
    return { applies: false, reasons: [{ code: 'WELFARE_SUSPENDED', message: `接種日（${w(date)}）は生活保護の停止期間（${span(stop.from, stop.until)}）中です`, rule: ruleId, source: src(stop, '生活保護ファイル') }] };
  }
  return { applies: true, reasons: [{ code: 'WELFARE_RECEIVING', message: `接種日（${w(date)}）に生活保護を受給しています（${span(r.from, r.until)}）`, rule: ruleId, source: src(r, '生活保護ファイル') }] };
}

function taxExemptIn(facts: PersonFacts, fy: number, ruleId: string): { applies: boolean; reasons: CopayReason[] } {
  const t = facts.tax.find((f) => f.fiscalYear === fy);
  if (!t) return { applies: false, reasons: [{ code: 'TAX_NONE', message: `${formatFiscalYearWareki(fy)}の市町村民税の課税区分の記録がありません`, rule: ruleId, source: '課税ファイル（この方のこの年度の行なし）' }] };
  return t.exempt
    ? { applies: true, reasons: [{ code: 'TAX_EXEMPT', message: `${formatFiscalYearWareki(fy)}の市町村民税が非課税です`, rule: ruleId, source: src(t, '課税ファイル') }] }
    : { applies: false, reasons: [{ code: 'TAX_LIABLE', message: `${formatFiscalYearWareki(fy)}の市町村民税は課税です`, rule: ruleId, source: src(t, '課税ファイル') }] };
}

function ltcIn(facts: PersonFacts, fy: number, brackets: readonly number[], ruleId: string): { applies: boolean; reasons: CopayReason[] } {
  const l = facts.ltc.find((f) => f.fiscalYear === fy);
  const list = `第${[...brackets].sort((a, b) => a - b).join('・')}段階`;
  if (!l) return { applies: false, reasons: [{ code: 'LTC_NONE', message: `${formatFiscalYearWareki(fy)}の介護保険料の所得段階の記録がありません`, rule: ruleId, source: '介護保険ファイル（この方のこの年度の行なし）' }] };
  const hit = brackets.includes(l.bracket);
  return { applies: hit, reasons: [{ code: hit ? 'LTC_BRACKET_EXEMPT' : 'LTC_BRACKET_OTHER', message: `${formatFiscalYearWareki(fy)}の介護保険料の所得段階は第${l.bracket}段階で、免除の対象（${list}）${hit ? 'です' : 'ではありません'}`, rule: ruleId, source: src(l, '介護保険ファイル') }] };
}

/**
 * The decision for a dose of `program` on `date` (a catalog program code or '任意'), under `rule` of the
 * fiscal year of `date`.  The exemptions are tried in the rule's order; the first that applies decides.
 */
export function decideCopay(program: string, rule: CopayRule, facts: PersonFacts, date: string): CopayDecision {
  const fy = fiscalYearOf(date);
  const ruleId = `copay/${program}/${fy}`;
  const ruleSource = `自己負担の規則（${formatFiscalYearWareki(fy)}・${program}）`;
  const reasons: CopayReason[] = [];
  let category = rule.defaultCategory;
  let exemptBy: ExemptionBasis | null = null;
  for (const e of rule.exemptions) {
    const r = e.basis === 'seikatsuhogo' ? welfareOn(facts, date, `${ruleId}/seikatsuhogo`) : e.basis === 'hikazei' ? taxExemptIn(facts, fy, `${ruleId}/hikazei`) : ltcIn(facts, fy, e.brackets ?? [], `${ruleId}/kaigo`);
    reasons.push(...r.reasons);
    if (r.applies) {
      category = e.category;
      exemptBy = e.basis;
      break;
    }
  }
  const amount = rule.amounts[category] ?? 0;
  const defaultAmount = rule.amounts[rule.defaultCategory] ?? 0;
  const exempt = exemptBy !== null && amount < defaultAmount;
  const collection: FeeCollection = amount > 0 ? rule.collection : 'none';
  reasons.push({
    code: exemptBy ? 'COPAY_EXEMPTION' : 'COPAY_STANDARD',
    message: `自己負担区分「${category}」、自己負担額 ${amount.toLocaleString('ja-JP')}円${exemptBy ? `（${EXEMPTION_BASIS_LABELS[exemptBy]}による）` : ''}、${FEE_COLLECTION_LABELS[collection]}`,
    rule: ruleId,
    source: ruleSource,
  });
  return { program, fiscalYear: fy, category, amount, exempt, exemptBy, collection, exemptQuestionnaire: rule.exemptQuestionnaire, reasons };
}

// ------------------------------------------------------------------ loading (the caller's transaction)

/** The tenant's rules for some fiscal years, by `program|fy`. */
export async function loadRules(w: Work, fiscalYears: readonly number[]): Promise<Map<string, CopayRule>> {
  const out = new Map<string, CopayRule>();
  if (!fiscalYears.length) return out;
  const rows = await w.tx.selectFrom('municipality.copay_rules').select(['program', 'fiscal_year', 'rule']).where('tenant_code', '=', w.tenant).where('fiscal_year', 'in', [...new Set(fiscalYears)]).execute();
  for (const r of rows) out.set(`${r.program}|${r.fiscal_year}`, CopayRule.parse(r.rule));
  return out;
}

/** The rule for a dose: the program's own, else the '任意' rule for a 任意接種. */
export function ruleFor(rules: ReadonlyMap<string, CopayRule>, program: string | null, category: string, date: string): { program: string; rule: CopayRule } | null {
  const fy = fiscalYearOf(date);
  const own = program ? rules.get(`${program}|${fy}`) : undefined;
  if (own && program) return { program, rule: own };
  const opt = category === '任意' ? rules.get(`${OPTIONAL_PROGRAM}|${fy}`) : undefined;
  return opt ? { program: OPTIONAL_PROGRAM, rule: opt } : null;
}

/** The feed facts of several persons (one query), with the file name and row of each. */
export async function loadFacts(w: Work, atenaNos: readonly string[]): Promise<Map<string, PersonFacts>> {
  const out = new Map<string, PersonFacts>();
  if (!atenaNos.length) return out;
  const r = await sql<{ atena_no: string; src: 'w' | 't' | 'l'; case_no: string | null; kind: 'receipt' | 'suspension' | null; from_date: string | null; until_date: string | null; fiscal_year: number | null; exempt: boolean | null; bracket: number | null; file: string; row_no: number }>`
    SELECT x.*, coalesce(ir.file_name, '') AS file FROM (
      SELECT atena_no, 'w' AS src, case_no, kind, to_char(from_date, 'YYYY-MM-DD') AS from_date, to_char(until_date, 'YYYY-MM-DD') AS until_date, NULL::int AS fiscal_year, NULL::boolean AS exempt, NULL::int AS bracket, run_id, row_no
        FROM municipality.eligibility_welfare WHERE tenant_code = ${w.tenant} AND atena_no = ANY(${atenaNos as string[]}::text[])
      UNION ALL
      SELECT atena_no, 't', NULL, NULL, NULL, NULL, fiscal_year, exempt, NULL, run_id, row_no
        FROM municipality.eligibility_tax WHERE tenant_code = ${w.tenant} AND atena_no = ANY(${atenaNos as string[]}::text[])
      UNION ALL
      SELECT atena_no, 'l', NULL, NULL, NULL, NULL, fiscal_year, NULL, bracket, run_id, row_no
        FROM municipality.eligibility_ltc WHERE tenant_code = ${w.tenant} AND atena_no = ANY(${atenaNos as string[]}::text[])
    ) x LEFT JOIN municipality.import_runs ir ON ir.tenant_code = ${w.tenant} AND ir.id = x.run_id
    ORDER BY x.atena_no, x.src, x.from_date, x.fiscal_year`.execute(w.tx);
  for (const row of r.rows) {
    let f = out.get(row.atena_no) as { welfare: WelfareFact[]; tax: TaxFact[]; ltc: LtcFact[] } | undefined;
    if (!f) out.set(row.atena_no, (f = { welfare: [], tax: [], ltc: [] }));
    const s = { file: row.file, rowNo: row.row_no };
    if (row.src === 'w') f.welfare.push({ ...s, caseNo: row.case_no!, kind: row.kind!, from: row.from_date!, until: row.until_date });
    else if (row.src === 't') f.tax.push({ ...s, fiscalYear: row.fiscal_year!, exempt: row.exempt! });
    else f.ltc.push({ ...s, fiscalYear: row.fiscal_year!, bracket: row.bracket! });
  }
  return out;
}

/** What deciding a group of doses needs: the rules of their fiscal years, and (only when a rule exists) the persons' facts. */
export interface CopayContext {
  decide(atenaNo: string, program: string | null, category: string, date: string | null): CopayDecision | null;
}

export async function copayContext(w: Work, doses: readonly { atenaNo: string; date: string | null }[]): Promise<CopayContext> {
  const dated = doses.filter((d): d is { atenaNo: string; date: string } => !!d.date);
  const rules = await loadRules(w, dated.map((d) => fiscalYearOf(d.date)));
  const facts = rules.size ? await loadFacts(w, [...new Set(dated.map((d) => d.atenaNo))]) : new Map<string, PersonFacts>();
  return {
    decide(atenaNo, program, category, date) {
      if (!date) return null;
      const r = ruleFor(rules, program, category, date);
      return r ? decideCopay(r.program, r.rule, facts.get(atenaNo) ?? NO_FACTS, date) : null;
    },
  };
}

// ------------------------------------------------------------------ rules as tenant data

/** The decision for one person, program and date (the entry screen and the 予診票); 予防接種 duty. */
export async function explainCopay(w: Work, atenaNo: string, program: string | null, category: string, date: string): Promise<CopayDecision | null> {
  requireResidentAccess(w.actor, 'personal.read', ['vaccination'], atenaNo);
  const ctx = await copayContext(w, [{ atenaNo, date }]);
  return ctx.decide(atenaNo, program, category, date);
}

export interface CopayRuleView {
  readonly program: string;
  readonly fiscalYear: number;
  readonly rule: CopayRule;
  readonly updatedAt: Date;
  readonly updatedBy: string;
}

/** Sets (or replaces) a program's rule for a fiscal year; 予防接種 duty with write permission (or the operator's CLI); logged. */
export async function setCopayRule(w: Work, raw: unknown): Promise<CopayRuleView> {
  if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.write', ['vaccination']);
  const p = parseInput(CopayRuleInput, raw);
  if (p.program !== OPTIONAL_PROGRAM && !/^[0-9A-Za-z._-]+$/.test(p.program)) throw invalidField('program', 'FORMAT', '予防接種の種類は種類のコード、または「任意」です');
  const now = w.clock.now();
  await w.tx
    .insertInto('municipality.copay_rules')
    .values({ tenant_code: w.tenant, program: p.program, fiscal_year: p.fiscalYear, rule: jsonb(p.rule), updated_at: now, updated_by: w.actor.login })
    .onConflict((oc) => oc.columns(['tenant_code', 'program', 'fiscal_year']).doUpdateSet({ rule: jsonb(p.rule), updated_at: now, updated_by: w.actor.login }))
    .execute();
  await appendEntry(w.tx, w, { action: 'settings_change', targetType: 'copay-rule', targetId: `${p.program}@${p.fiscalYear}`, detail: { amounts: p.rule.amounts, exemptions: p.rule.exemptions.map((e) => e.basis) } });
  return { program: p.program, fiscalYear: p.fiscalYear, rule: p.rule, updatedAt: now, updatedBy: w.actor.login };
}

export async function listCopayRules(w: Work): Promise<CopayRuleView[]> {
  if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
  const rows = await w.tx.selectFrom('municipality.copay_rules').selectAll().where('tenant_code', '=', w.tenant).orderBy('fiscal_year', 'desc').orderBy('program').execute();
  return rows.map((r) => ({ program: r.program, fiscalYear: r.fiscal_year, rule: CopayRule.parse(r.rule), updatedAt: r.updated_at, updatedBy: r.updated_by }));
}

/** Who may read a person's 生活保護・課税・介護 facts: the duties that decide with them (not relief or exchange). */
export const ELIGIBILITY_DUTIES = ['addressee', 'vaccination', 'money'] as const;

export function mayReadEligibility(actor: Work['actor']): boolean {
  return ELIGIBILITY_DUTIES.some((d) => can(actor, 'personal.read', d));
}

/**
 * A person's eligibility facts as the feeds gave them, each with its file and row (the person's page).
 * Staff of ELIGIBILITY_DUTIES; the reading is logged (it is personal data from other departments).
 */
export async function personEligibility(w: Work, atenaNo: string): Promise<PersonFacts> {
  requireResidentAccess(w.actor, 'personal.read', ELIGIBILITY_DUTIES, atenaNo);
  const f = (await loadFacts(w, [atenaNo])).get(atenaNo) ?? NO_FACTS;
  await appendEntry(w.tx, w, { action: 'read', targetType: 'resident-eligibility', targetId: atenaNo, subjectRef: `resident:${atenaNo}`, detail: { welfare: f.welfare.length, tax: f.tax.length, ltc: f.ltc.length } });
  return f;
}
