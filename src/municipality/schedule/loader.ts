// Loading and validating catalogs.  The national catalog and a municipality's own programs (臨時, 特措法,
// 任意 — e.g. おたふくかぜ助成) use one format; loading checks the shape (zod) and the references between
// entries, and reports every problem in Japanese with the field's dotted path.
import { Problem, fieldErrorsFromZod, type FieldError } from '../../kernel/problems/index.js';
import { nationalCatalog } from './catalog-data.js';
import { catalogSchema, municipalConfigSchema, type Bound, type CatalogData, type MunicipalConfig, type Program } from './schema.js';

/** A validated catalog with lookup tables. */
export interface Catalog extends CatalogData {
  readonly productByCode: ReadonlyMap<string, CatalogData['products'][number]>;
  readonly conditionCodes: ReadonlySet<string>;
  /** Program entries by code, oldest first (several entries = rule versions by effective date). */
  readonly programsByCode: ReadonlyMap<string, readonly Program[]>;
  /** Program codes in catalog order. */
  readonly programCodes: readonly string[];
  /** Municipal configurations merged into this catalog. */
  readonly municipalVersions: readonly string[];
}

export class CatalogError extends Problem {
  constructor(errors: readonly FieldError[], what: string) {
    const first = errors[0];
    super(
      400,
      'CATALOG_INVALID',
      `${what}に誤りがあります`,
      first ? `${first.field}: ${first.message}${errors.length > 1 ? `（ほか${errors.length - 1}件）` : ''}` : undefined,
      errors,
    );
  }
}

function boundsUsingGestation(p: Program): boolean {
  const isG = (b: Bound | undefined): boolean => b?.kind === 'gestation';
  return p.windows.some((w) => isG(w.from) || isG(w.until));
}

/** Checks references inside a catalog: products, conditions, antigens, overlapping versions. */
function crossCheck(c: CatalogData, prefix: string, knownProducts: ReadonlyMap<string, { antigens: string[] }>, knownConditions: ReadonlySet<string>): FieldError[] {
  const errs: FieldError[] = [];
  const err = (field: string, code: string, message: string): void => {
    errs.push({ field: `${prefix}${field}`, code, message });
  };
  c.programs.forEach((p, i) => {
    const at = `programs.${i}`;
    if (p.effectiveUntil && p.effectiveUntil < p.effectiveFrom) err(`${at}.effectiveUntil`, 'RANGE', '終了日が開始日より前です');
    p.products.forEach((pp, j) => {
      const prod = knownProducts.get(pp.code);
      if (!prod) err(`${at}.products.${j}.code`, 'UNKNOWN_PRODUCT', `ワクチン「${pp.code}」が products に定義されていません`);
      else if (!prod.antigens.some((a) => p.antigens.includes(a))) err(`${at}.products.${j}.code`, 'ANTIGEN_MISMATCH', `ワクチン「${pp.code}」は事業の抗原（${p.antigens.join('、')}）を含みません`);
    });
    p.windows.forEach((w, j) => {
      for (const code of w.requiresCondition?.anyOf ?? []) {
        if (!knownConditions.has(code)) err(`${at}.windows.${j}.requiresCondition.anyOf`, 'UNKNOWN_CONDITION', `条件「${code}」が conditions に定義されていません`);
      }
      for (const code of w.products ?? []) {
        if (!p.products.some((pp) => pp.code === code)) err(`${at}.windows.${j}.products`, 'UNKNOWN_PRODUCT', `ワクチン「${code}」はこの事業の products にありません`);
      }
    });
    p.exclusions.forEach((x, j) => {
      if (x.condition && !knownConditions.has(x.condition)) err(`${at}.exclusions.${j}.condition`, 'UNKNOWN_CONDITION', `条件「${x.condition}」が conditions に定義されていません`);
      for (const code of x.priorProducts ?? []) if (!knownProducts.has(code)) err(`${at}.exclusions.${j}.priorProducts`, 'UNKNOWN_PRODUCT', `ワクチン「${code}」が products に定義されていません`);
      if (!x.condition && !x.priorProducts?.length) err(`${at}.exclusions.${j}`, 'EMPTY_EXCLUSION', 'condition か priorProducts のどちらかを指定してください');
    });
    p.series.forEach((s, j) => {
      for (const code of s.when.products ?? []) {
        if (!p.products.some((pp) => pp.code === code)) err(`${at}.series.${j}.when.products`, 'UNKNOWN_PRODUCT', `ワクチン「${code}」はこの事業の products にありません`);
      }
    });
    if (boundsUsingGestation(p) && !p.windows.every((w) => w.requiresCondition?.anyOf.includes('pregnancy'))) {
      err(`${at}.windows`, 'GESTATION_NEEDS_PREGNANCY', '妊娠週数（gestation）を使う接種期間には requiresCondition に pregnancy が必要です');
    }
  });
  // Several entries with one code are rule versions: their effective periods must not overlap.
  const byCode = new Map<string, Array<{ i: number; p: Program }>>();
  c.programs.forEach((p, i) => byCode.set(p.code, [...(byCode.get(p.code) ?? []), { i, p }]));
  for (const list of byCode.values()) {
    const sorted = [...list].sort((a, b) => (a.p.effectiveFrom < b.p.effectiveFrom ? -1 : 1));
    for (let k = 1; k < sorted.length; k++) {
      const prev = sorted[k - 1]!.p;
      const cur = sorted[k]!;
      if (!prev.effectiveUntil || prev.effectiveUntil >= cur.p.effectiveFrom) {
        err(`programs.${cur.i}.effectiveFrom`, 'OVERLAPPING_VERSION', `事業「${cur.p.code}」の版の有効期間が重なっています（前の版に effectiveUntil を指定してください）`);
      }
    }
  }
  return errs;
}

function index(data: CatalogData, municipalVersions: readonly string[]): Catalog {
  const programsByCode = new Map<string, Program[]>();
  const programCodes: string[] = [];
  for (const p of data.programs) {
    if (!programsByCode.has(p.code)) programCodes.push(p.code);
    programsByCode.set(p.code, [...(programsByCode.get(p.code) ?? []), p].sort((a, b) => (a.effectiveFrom < b.effectiveFrom ? -1 : 1)));
  }
  return {
    ...data,
    productByCode: new Map(data.products.map((p) => [p.code, p])),
    conditionCodes: new Set(data.conditions.map((c) => c.code)),
    programsByCode,
    programCodes,
    municipalVersions,
  };
}

/** Validates a whole catalog (the national one, or a replacement). Throws CatalogError naming each field. */
export function loadCatalog(raw: unknown): Catalog {
  const r = catalogSchema.safeParse(raw);
  if (!r.success) throw new CatalogError(fieldErrorsFromZod(r.error), '予防接種カタログ');
  const dupProducts = duplicates(r.data.products.map((p) => p.code));
  const errs = dupProducts.map((c) => ({ field: 'products', code: 'DUPLICATE', message: `ワクチン「${c}」が重複しています` }));
  errs.push(...crossCheck(r.data, '', new Map(r.data.products.map((p) => [p.code, p])), new Set(r.data.conditions.map((c) => c.code))));
  if (errs.length) throw new CatalogError(errs, '予防接種カタログ');
  return index(r.data, []);
}

function duplicates(xs: readonly string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const x of xs) (seen.has(x) ? dup : seen).add(x);
  return [...dup];
}

/** Validates a municipal configuration against a base catalog without merging it. */
export function validateMunicipalConfig(raw: unknown, base: Catalog = defaultCatalog()): MunicipalConfig {
  const r = municipalConfigSchema.safeParse(raw);
  if (!r.success) throw new CatalogError(fieldErrorsFromZod(r.error), '市区町村の予防接種設定');
  const cfg = r.data;
  const errs: FieldError[] = [];
  cfg.products.forEach((p, i) => {
    if (base.productByCode.has(p.code)) errs.push({ field: `products.${i}.code`, code: 'DUPLICATE', message: `ワクチン「${p.code}」は国のカタログに既にあります（別のコードを付けてください）` });
  });
  for (const c of duplicates(cfg.products.map((p) => p.code))) errs.push({ field: 'products', code: 'DUPLICATE', message: `ワクチン「${c}」が重複しています` });
  cfg.conditions.forEach((c, i) => {
    if (base.conditionCodes.has(c.code)) errs.push({ field: `conditions.${i}.code`, code: 'DUPLICATE', message: `条件「${c.code}」は国のカタログに既にあります` });
  });
  cfg.programs.forEach((p, i) => {
    if (base.programsByCode.has(p.code)) errs.push({ field: `programs.${i}.code`, code: 'DUPLICATE', message: `事業「${p.code}」は国のカタログに既にあります（市区町村の事業には別のコードを付けてください）` });
    if (p.category === 'A類定期' || p.category === 'B類定期') errs.push({ field: `programs.${i}.category`, code: 'CATEGORY', message: '市区町村の設定で追加できるのは 臨時・特措法・任意 の事業です' });
  });
  for (const [code, _season] of Object.entries(cfg.seasonOverrides)) {
    const entries = base.programsByCode.get(code);
    if (!entries) errs.push({ field: `seasonOverrides.${code}`, code: 'UNKNOWN_PROGRAM', message: `事業「${code}」がありません` });
    else if (!entries.some((p) => p.season)) errs.push({ field: `seasonOverrides.${code}`, code: 'NO_SEASON', message: `事業「${code}」には接種期間（season）がありません` });
  }
  const products = new Map<string, { antigens: string[] }>([...base.productByCode, ...cfg.products.map((p) => [p.code, p] as const)]);
  const conditions = new Set([...base.conditionCodes, ...cfg.conditions.map((c) => c.code)]);
  errs.push(...crossCheck({ version: cfg.version, effectiveFrom: '2000-01-01', products: cfg.products, programs: cfg.programs, crossIntervals: [], conditions: cfg.conditions }, '', products, conditions));
  if (errs.length) throw new CatalogError(errs, '市区町村の予防接種設定');
  return cfg;
}

/** The base catalog plus one or more municipal configurations (validated). */
export function withMunicipalConfig(base: Catalog, ...configs: unknown[]): Catalog {
  let cat = base;
  for (const raw of configs) {
    const cfg = validateMunicipalConfig(raw, cat);
    const programs = cat.programs.map((p) => {
      const o = cfg.seasonOverrides[p.code];
      return o && p.season ? { ...p, season: o } : p;
    });
    cat = index(
      {
        version: cat.version,
        effectiveFrom: cat.effectiveFrom,
        products: [...cat.products, ...cfg.products],
        programs: [...programs, ...cfg.programs],
        crossIntervals: cat.crossIntervals,
        conditions: [...cat.conditions, ...cfg.conditions],
      },
      [...cat.municipalVersions, `${cfg.municipality ?? '市区町村'} ${cfg.version}`],
    );
  }
  return cat;
}

let national: Catalog | undefined;

/** The built-in national catalog (validated once). */
export function defaultCatalog(): Catalog {
  national ??= loadCatalog(nationalCatalog);
  return national;
}
