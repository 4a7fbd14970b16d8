// The qualification catalog (QUA-01; decision 0170): the ten qualifications in the four 特定個人情報ファイル of
// seed 004, as data (src/registry/catalog/*.json), validated with zod when loaded.  Each qualification has its
// legal basis (the register's article, and the 番号法/住基法 items the seed gives), its administering division,
// its register items (§004 record items), its fee table (each amount with its source; what could not be
// verified says 要確認) and, per file, the retention rule (QUA-11…14).  A broken file stops the node at start.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Problem, fieldErrorsFromZod } from '../kernel/problems/index.js';

export const CATALOG_FILES = ['iseki', 'kanrieiyoshi', 'yakuzaishi', 'kaigofukushishi'] as const;
export type FileCode = (typeof CATALOG_FILES)[number];

/** Where a value comes from: seed 004 itself, checked against a public source, or still to be confirmed. */
const Status = z.enum(['seed', 'verified', '要確認']);
const source = z.string().trim().min(5).max(1000);

const code = z.string().regex(/^[a-z][a-z0-9-]{1,39}$/);
const itemName = z.string().trim().min(1).max(120);
const itemList = z.array(itemName).refine((a) => new Set(a).size === a.length, { message: '記録項目が重複しています' });

export const AFFILIATION_LABELS = { ministry: '厚生労働省', prefecture: '都道府県', 'health-centre': '保健所', 'designated-body': '指定登録機関' } as const;
export type Affiliation = keyof typeof AFFILIATION_LABELS;

export const PROCEDURE_LABELS = { new: '新規登録', correction: '籍（名簿）訂正', rewrite: '免許証（登録証）書換え交付', reissue: '再交付', erasure: '登録抹消' } as const;
export type Procedure = keyof typeof PROCEDURE_LABELS;

const Fee = z
  .object({
    procedure: z.enum(Object.keys(PROCEDURE_LABELS) as [Procedure, ...Procedure[]]),
    kind: z.enum(['登録免許税', '登録手数料', '手数料', 'なし']),
    /** Yen; null only when the amount is not known (status 要確認). */
    amount: z.number().int().min(0).max(1_000_000).nullable(),
    status: Status.exclude(['seed']),
    source,
  })
  .strict()
  .refine((f) => f.amount !== null || f.status === '要確認', { message: '金額が不明な手数料は「要確認」にしてください', path: ['amount'] });

const Qualification = z
  .object({
    code,
    name: z.string().trim().min(1).max(40),
    registerName: z.string().trim().min(1).max(40),
    division: z.string().trim().min(1).max(80),
    divisionStatus: Status,
    legalBasis: z
      .object({
        register: z.object({ law: z.string().min(1).max(80), lawNumber: z.string().regex(/^(昭和|平成|令和)\d+年法律第\d+号$/), article: z.string().min(2).max(200), status: Status, source }).strict(),
        myNumber: z.object({ law: z.string().min(1).max(120), article: z.string().min(2).max(100), jukiArticle: z.string().min(2).max(100), status: Status, source }).strict(),
      })
      .strict(),
    registerExtras: itemList,
    fees: z.array(Fee).min(1),
  })
  .strict()
  .refine((q) => q.fees.some((f) => f.procedure === 'new'), { message: '新規登録の手数料（登録免許税）がありません', path: ['fees'] });

const Retention = z
  .object({
    /** permanent: 永年保存 (医籍等, QUA-13); managed: kept under the normal controls while needed. */
    registerKept: z.enum(['permanent', 'managed']),
    /** True when nothing of a registrant is ever erased from the system (QUA-13). */
    neverFullyErased: z.boolean(),
    /** 抹消 of an entry: recorded, the data kept (QUA-11). */
    entryErasure: z.literal('logical'),
    /** What happens to the My Number when the qualification is lost: 薬剤師 deletes a living person's (QUA-12). */
    myNumberOnLoss: z.object({ living: z.enum(['keep', 'delete']), deceased: z.literal('keep') }).strict(),
    requirements: z.array(z.string().regex(/^QUA-\d{2}$/)).min(1),
    source,
  })
  .strict()
  .refine((r) => !r.neverFullyErased || (r.registerKept === 'permanent' && r.myNumberOnLoss.living === 'keep'), { message: '永年保存のファイルは個人番号も消去できません' });

const Administrator = z
  .object({
    code,
    name: z.string().trim().min(1).max(80),
    divisions: z.array(z.string().trim().min(1).max(80)).min(1),
    affiliations: z.array(z.enum(Object.keys(AFFILIATION_LABELS) as [Affiliation, ...Affiliation[]])).min(1),
    source,
  })
  .strict();

const CatalogFile = z
  .object({
    file: z.enum(CATALOG_FILES),
    name: z.string().trim().min(1).max(60),
    system: z.string().trim().min(1).max(80),
    administrator: Administrator,
    commonItems: itemList,
    myNumberNote: z.string().max(500).optional(),
    retention: Retention,
    registerCore: itemList.refine((a) => a.length > 0),
    qualifications: z.array(Qualification).min(1),
  })
  .strict()
  .superRefine((f, ctx) => {
    f.qualifications.forEach((q, i) => {
      const dup = q.registerExtras.filter((x) => f.registerCore.includes(x) || f.commonItems.includes(x));
      if (dup.length) ctx.addIssue({ code: 'custom', path: ['qualifications', i, 'registerExtras'], message: `共通の記録項目と重複しています: ${dup.join('、')}` });
    });
  });

export type CatalogFileData = z.output<typeof CatalogFile>;
export type AdministratorData = z.output<typeof Administrator>;
export type Retention = z.output<typeof Retention>;
export type Fee = z.output<typeof Fee>;

/** One qualification with what it inherits from its file. */
export interface QualificationEntry {
  readonly code: string;
  readonly name: string;
  readonly registerName: string;
  readonly file: FileCode;
  readonly fileName: string;
  readonly administrator: string;
  readonly division: string;
  readonly divisionStatus: z.output<typeof Status>;
  readonly legalBasis: z.output<typeof Qualification>['legalBasis'];
  /** The register's items: the file's identifiers, its register core, then this qualification's own items. */
  readonly registerItems: readonly string[];
  readonly fees: readonly Fee[];
  readonly retention: Retention;
}

export interface Catalog {
  readonly files: readonly CatalogFileData[];
  readonly administrators: readonly AdministratorData[];
  readonly qualifications: readonly QualificationEntry[];
  qualification(code: string): QualificationEntry | undefined;
  administrator(code: string): AdministratorData | undefined;
  /** The qualifications an administrator administers. */
  jurisdiction(administrator: string): QualificationEntry[];
}

/** Validates the raw files and builds the catalog; throws a Problem naming the file and the item. */
export function buildCatalog(raw: Record<string, unknown>): Catalog {
  const files: CatalogFileData[] = [];
  for (const name of CATALOG_FILES) {
    const r = CatalogFile.safeParse(raw[name]);
    if (!r.success) throw new Problem(500, 'CATALOG_INVALID', '資格カタログの形式が正しくありません', `${name}.json: ${fieldErrorsFromZod(r.error).map((e) => `${e.field}: ${e.message}`).join('; ')}`);
    if (r.data.file !== name) throw new Problem(500, 'CATALOG_INVALID', '資格カタログの形式が正しくありません', `${name}.json: file が ${r.data.file} です`);
    files.push(r.data);
  }
  const qualifications: QualificationEntry[] = files.flatMap((f) =>
    f.qualifications.map((q) => ({
      code: q.code,
      name: q.name,
      registerName: q.registerName,
      file: f.file,
      fileName: f.name,
      administrator: f.administrator.code,
      division: q.division,
      divisionStatus: q.divisionStatus,
      legalBasis: q.legalBasis,
      registerItems: [...f.commonItems, ...f.registerCore, ...q.registerExtras],
      fees: q.fees,
      retention: f.retention,
    })),
  );
  const codes = qualifications.map((q) => q.code);
  if (new Set(codes).size !== codes.length) throw new Problem(500, 'CATALOG_INVALID', '資格カタログの形式が正しくありません', '資格コードが重複しています');
  const administrators = [...new Map(files.map((f) => [f.administrator.code, f.administrator])).values()];
  const byCode = new Map(qualifications.map((q) => [q.code, q]));
  return {
    files,
    administrators,
    qualifications,
    qualification: (c) => byCode.get(c),
    administrator: (c) => administrators.find((a) => a.code === c),
    jurisdiction: (a) => qualifications.filter((q) => q.administrator === a),
  };
}

let loaded: Catalog | undefined;

/** The catalog shipped with Mamori (read and validated once). */
export function catalog(): Catalog {
  if (!loaded) {
    const raw: Record<string, unknown> = {};
    for (const name of CATALOG_FILES) raw[name] = JSON.parse(readFileSync(new URL(`./catalog/${name}.json`, import.meta.url), 'utf8'));
    loaded = buildCatalog(raw);
  }
  return loaded;
}

/** The qualification or a 404 naming the code (never the internal structure). */
export function qualificationOf(code: string): QualificationEntry {
  const q = catalog().qualification(code);
  if (!q) {
    throw new Problem(404, 'QUALIFICATION_UNKNOWN', '資格が見つかりません', `資格コード「${code}」はありません。mamori registry qualifications で一覧を確認してください。`, [
      { field: 'qualification', code: 'QUALIFICATION_UNKNOWN', message: '登録されていない資格コードです' },
    ]);
  }
  return q;
}
