// From the ledger to what a certificate certifies (decision 0073): the person as registered now, and the
// doses of the requested scope that are actually recorded — active (a deleted record is never certified),
// dated (接種日不明 cannot be certified by date: listed as excluded with the reason), not after the issue
// date — in date order, with the catalog's names, the clinic's name and, for COVID-19, the card's code.
import { createHash } from 'node:crypto';
import type { Work } from '../../kernel/context/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import { conflict } from '../../kernel/problems/index.js';
import { getPerson, type PersonRecord } from '../residents/index.js';
import { catalogFor, doseNumberOf, personTimeline, type RecordData, type VaccinationRecord } from '../records/index.js';
import type { Catalog } from '../schedule/index.js';
import type { CovidVaccine } from '../certificates/index.js';
import { shcModule } from './lazy.js';
import { isCovidKind, type CertificateContent, type CertificateKindCode, type CertifiedDose, type ExcludedRecord } from './model.js';

export const COVID_ANTIGEN = 'covid19';

/** The records a certificate of `kind` over `programs` may certify (before the date rules). */
function inScope(catalog: Catalog, kind: CertificateKindCode, programs: readonly string[], d: RecordData): boolean {
  if (isCovidKind(kind)) {
    const antigens = d.product ? (catalog.productByCode.get(d.product)?.antigens ?? []) : [];
    const programAntigens = d.program ? (catalog.programsByCode.get(d.program)?.at(-1)?.antigens ?? []) : [];
    return antigens.includes(COVID_ANTIGEN) || programAntigens.includes(COVID_ANTIGEN);
  }
  return programs.length === 0 || (d.program !== null && programs.includes(d.program));
}

function programName(catalog: Catalog, d: RecordData): string {
  const p = d.program ? catalog.programsByCode.get(d.program)?.at(-1)?.name : undefined;
  if (p) return p;
  const prod = d.product ? catalog.productByCode.get(d.product)?.name : undefined;
  return prod ?? d.vaccineName ?? d.program ?? d.product ?? '（種類不明）';
}

const norm = (s: string | null | undefined): string => (s ?? '').normalize('NFKC').replace(/\s+/g, '').toLowerCase();

/** Maker keywords → the maker's base CVX code (the code Japan's card used for that maker's vaccine). */
const MAKER_CVX: readonly (readonly [RegExp, string])[] = [
  [/ファイザー|pfizer|コミナティ|comirnaty|biontech/, '208'],
  [/モデルナ|moderna|スパイクバックス|spikevax/, '207'],
  [/アストラゼネカ|astrazeneca|バキスゼブリア|vaxzevria/, '210'],
  [/武田|takeda|ノババックス|novavax|ヌバキソビッド|nuvaxovid/, '211'],
  [/ヤンセン|janssen|ジェコビデン|jcovden/, '212'],
];

/** 「ファイザー株式会社」 → 「ファイザー」: the short maker name Japan's certificate printed as ワクチンの種類. */
const shortMaker = (m: string): string => m.replace(/^株式会社\s*|\s*株式会社$/g, '');

/**
 * The SMART Health Card coding and printed names of a COVID-19 dose (decisions 0073, 0095): the product named
 * exactly in the record → its CVX (the most specific, e.g. 218 for 5～11歳用); else the catalog product of the
 * record (コミナティ筋注 → 208, with its 販売名 and 製造販売業者); else the maker named in the record → the
 * maker's CVX; else the vial's GTIN; else CVX 213 (SARS-CoV-2 vaccine, formulation unspecified) — which is
 * also the code of a catalog product that has no CVX (ダイチロナ, コスタイベ) unless the vial's GTIN is known.
 */
export async function covidVaccineOf(d: RecordData, catalog?: Catalog): Promise<{ system: string; code: string; kind: string; productName: string; manufacturer: string | null }> {
  const { COVID19_VACCINES, VACCINE_CODE_SYSTEMS } = await shcModule();
  const name = norm(d.vaccineName);
  const exact: CovidVaccine | undefined = name ? COVID19_VACCINES.find((v) => norm(v.product) === name) : undefined;
  const prod = d.product ? catalog?.productByCode.get(d.product) : undefined;
  const maker = d.manufacturer ?? prod?.manufacturer ?? null;
  const named = prod?.manufacturer ? { productName: d.vaccineName ?? prod.name, manufacturer: maker } : null;
  if (!exact && prod?.cvx && named) {
    const known = COVID19_VACCINES.find((v) => v.cvx === prod.cvx);
    return { system: VACCINE_CODE_SYSTEMS.cvx, code: prod.cvx, kind: known?.kind ?? shortMaker(prod.manufacturer!), ...named };
  }
  const text = `${name} ${norm(maker)}`;
  const byMaker = exact ?? (named ? undefined : COVID19_VACCINES.find((v) => v.cvx === MAKER_CVX.find(([re]) => re.test(text))?.[1]));
  if (byMaker) return { system: VACCINE_CODE_SYSTEMS.cvx, code: byMaker.cvx, kind: byMaker.kind, productName: d.vaccineName ?? byMaker.product, manufacturer: maker ?? byMaker.manufacturer };
  const kind = maker ? shortMaker(maker) : null;
  if (d.gtin) return { system: VACCINE_CODE_SYSTEMS.gtin, code: d.gtin, kind: kind ?? '（メーカー不明）', productName: named?.productName ?? d.vaccineName ?? '新型コロナワクチン', manufacturer: maker };
  const unknown = COVID19_VACCINES.find((v) => v.cvx === '213')!;
  return { system: VACCINE_CODE_SYSTEMS.cvx, code: unknown.cvx, kind: kind ?? unknown.kind, productName: named?.productName ?? d.vaccineName ?? unknown.product, manufacturer: maker };
}

export interface Gathered {
  readonly person: PersonRecord;
  readonly doses: CertifiedDose[];
  readonly excluded: ExcludedRecord[];
  readonly catalogVersion: string;
}

/**
 * Reads the person and their records through the residents and records faces (both log the read) and
 * selects what a certificate would certify on `issueDate`.
 */
export async function gatherDoses(w: Work, vault: Vault, atenaNo: string, kind: CertificateKindCode, programs: readonly string[], issueDate: string): Promise<Gathered> {
  const person = await getPerson(w, vault, atenaNo, '証明書の交付');
  const timeline = await personTimeline(w, atenaNo, issueDate);
  const { catalog } = await catalogFor(w);
  const scoped = timeline.records.filter((r: VaccinationRecord) => r.status === 'active' && inScope(catalog, kind, programs, r.data));
  const excluded: ExcludedRecord[] = [];
  const dated: VaccinationRecord[] = [];
  for (const r of scoped) {
    const label = [programName(catalog, r.data), doseNumberOf(catalog, r.data).text].filter(Boolean).join(' ');
    if (r.data.dateUnknown || !r.data.vaccinatedOn) excluded.push({ id: r.id, version: r.version, reason: 'date-unknown', label });
    else if (r.data.vaccinatedOn > issueDate) excluded.push({ id: r.id, version: r.version, reason: 'after-issue-date', label });
    else dated.push(r);
  }
  dated.sort((a, b) => (a.data.vaccinatedOn! < b.data.vaccinatedOn! ? -1 : a.data.vaccinatedOn! > b.data.vaccinatedOn! ? 1 : a.id < b.id ? -1 : 1));
  const codes = [...new Set(dated.map((r) => r.data.institutionCode).filter((c): c is string => !!c))];
  const clinics = codes.length ? await w.tx.selectFrom('kernel.organisations').select(['code', 'name']).where('code', 'in', codes).execute() : [];
  const clinicName = new Map(clinics.map((c) => [c.code, c.name]));
  const covids = isCovidKind(kind) ? await Promise.all(dated.map((r) => covidVaccineOf(r.data, catalog))) : [];
  const doses = dated.map((r, i): CertifiedDose => {
    const d = r.data;
    const covid = covids[i];
    return {
      id: r.id,
      version: r.version,
      seq: i + 1,
      date: d.vaccinatedOn!,
      program: d.program,
      programName: programName(catalog, d),
      dose: d.dose,
      doseLabel: d.doseLabel,
      doseText: doseNumberOf(catalog, d).text,
      category: d.category,
      productCode: d.product,
      productName: covid?.productName ?? d.vaccineName ?? (d.product ? (catalog.productByCode.get(d.product)?.name ?? d.product) : '（不明）'),
      manufacturer: covid ? covid.manufacturer : (d.manufacturer ?? (d.product ? (catalog.productByCode.get(d.product)?.manufacturer ?? null) : null)),
      lot: d.lot,
      institution: d.institutionCode ? (clinicName.get(d.institutionCode) ?? d.institutionCode) : (d.institutionOther ?? (d.overseas ? '海外' : null)),
      ...(covid ? { covid: { system: covid.system, code: covid.code, kind: covid.kind } } : {}),
    };
  });
  return { person, doses, excluded, catalogVersion: timeline.catalogVersion };
}

/** 氏 and 名 from a registered name written "氏　名" (a one-part name has no 名). */
export function splitName(full: string): { family: string; given: string | null } {
  const parts = full.trim().split(/[\s\u3000]+/);
  if (parts.length < 2) return { family: full.trim(), given: null };
  return { family: parts[0]!, given: parts.slice(1).join(' ') };
}

/** The 首長 as the issuer signs: 鳥取市 → 鳥取市長, 〇〇町 → 〇〇町長, 江戸川区 → 江戸川区長. */
export function headOf(name: string): string {
  return /[市区町村]$/.test(name) ? `${name}長` : `${name}の長`;
}

/** Requires something to certify. */
export function requireDoses(g: Gathered, kind: CertificateKindCode): void {
  if (g.doses.length > 0) return;
  const why = g.excluded.length ? `（接種日不明等で証明できない記録が ${g.excluded.length} 件あります）` : '';
  throw conflict('NO_DOSES_TO_CERTIFY', `${isCovidKind(kind) ? '新型コロナワクチンの' : '申請された予防接種の'}接種記録で証明できるものがありません${why}。`);
}

/** Key-sorted JSON: the canonical form the content hash is computed over. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => x !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

/** SHA-256 of the canonical content (no 旅券番号 is ever in it, so the hash cannot be searched for one). */
export function contentHash(c: CertificateContent): Buffer {
  return createHash('sha256').update(canonicalJson(c), 'utf8').digest();
}
