// FHIR R4 export of one person's vaccination history (issue 4 point 6): a Bundle of type `collection` holding
// the Patient, one Immunization per active record, the Organizations the records name by 医療機関コード and one
// ImmunizationRecommendation for the programs the engine says are due, upcoming or missed.
//
// Rules (docs/decisions/0057-fhir-export.md; field mapping in docs/formats/fhir-export.md):
// - The Patient is identified by the 宛名番号 only — never the My Number (which this module cannot even see),
//   the 住民票コード or the 団体内統合宛名番号.
// - The address goes out only when the viewer may see it, and never for a person under 支援措置.
// - Every id is derived from the data (record ids, or a name-based UUID), never random: the same ledger state
//   and the same as-of date give the same bytes.
// - JP Core conventions are followed where they fit (names, 医療機関コード identifier); profiles are not claimed
//   in meta.profile because the tests validate against the base R4 specification only.
import { createHash } from 'node:crypto';
import type { Work } from '../../kernel/context/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { getOrganisation } from '../../kernel/tenancy/index.js';

import { getPerson, requireResidentAccess, type PersonRecord } from '../residents/index.js';
import { evaluateWith, programVersionAt, type Catalog, type HistoryItem, type ProgramResult } from '../schedule/index.js';
import { catalogFor } from './catalog.js';
import { engineSubject, personTimeline, type EngineSubject, type Timeline, type VaccinationRecord } from './ledger.js';
import type { Category, RecordSource } from './model.js';

// ------------------------------------------------------------------ code systems and identifier systems

/** Mamori's own code systems (canonical URLs under the project's namespace, like its problem types). */
export const MAMORI_FHIR_BASE = 'https://mamori.example/fhir';
export const FHIR_SYSTEMS = {
  /** Catalog product codes (`hib`, `dpt-ipv-hib`, `mr` …). */
  vaccine: `${MAMORI_FHIR_BASE}/CodeSystem/vaccine`,
  /** Catalog program codes (`hib`, `dpt-ipv-1`, `mr-1` …). */
  program: `${MAMORI_FHIR_BASE}/CodeSystem/program`,
  /** 実施区分 (A類定期・B類定期・臨時・特措法・任意). */
  category: `${MAMORI_FHIR_BASE}/CodeSystem/category`,
  /** The engine's status for a program: upcoming | due | missed. */
  forecastStatus: `${MAMORI_FHIR_BASE}/CodeSystem/forecast-status`,
  /** The engine's reason codes. */
  reason: `${MAMORI_FHIR_BASE}/CodeSystem/schedule-reason`,
  /** Date criteria with no LOINC code (標準的な接種期間). */
  dateCriterion: `${MAMORI_FHIR_BASE}/CodeSystem/date-criterion`,
  atc: 'http://www.whocc.no/atc',
  gtin: 'https://www.gs1.org/gtin',
  loinc: 'http://loinc.org',
  ucum: 'http://unitsofmeasure.org',
  route: 'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration',
  recommendationStatus: 'http://terminology.hl7.org/CodeSystem/immunization-recommendation-status',
  origin: 'http://terminology.hl7.org/CodeSystem/immunization-origin',
  performerFunction: 'http://terminology.hl7.org/CodeSystem/v2-0443',
  /** JP Core: 医療機関コード（10桁） (JP_Organization identifier slice `medicalInstitutionCode`). */
  medicalInstitution: 'http://jpfhir.jp/fhir/core/IdSystem/insurance-medical-institution-no',
  /** RFC 3986 URIs as identifiers (the record's own urn:uuid). */
  uri: 'urn:ietf:rfc:3986',
} as const;

/** The 宛名番号 identifier system of one municipality (no national system exists; see decision 0057). */
export function atenaSystem(municipalityCode: string): string {
  return `urn:jp:lg:${municipalityCode}:atena`;
}

const NAME_REPRESENTATION = 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation';

/** WHO ATC codes for the national catalog's products (generic level: Mamori products are not brands). */
export const ATC_BY_PRODUCT: Readonly<Record<string, readonly [code: string, display: string]>> = {
  hib: ['J07AG01', 'haemophilus influenzae B, purified antigen conjugated'],
  pcv13: ['J07AL02', 'pneumococcus, purified polysaccharides antigen conjugated'],
  pcv15: ['J07AL02', 'pneumococcus, purified polysaccharides antigen conjugated'],
  pcv20: ['J07AL02', 'pneumococcus, purified polysaccharides antigen conjugated'],
  hepb: ['J07BC01', 'hepatitis B, purified antigen'],
  rota1: ['J07BH01', 'rota virus, live attenuated'],
  rota5: ['J07BH02', 'rota virus, pentavalent, live, reassorted'],
  'dpt-ipv-hib': ['J07CA06', 'diphtheria-haemophilus influenzae B-pertussis-poliomyelitis-tetanus'],
  'dpt-ipv': ['J07CA02', 'diphtheria-pertussis-poliomyelitis-tetanus'],
  dpt: ['J07AJ52', 'pertussis, purified antigen, combinations with toxoids'],
  ipv: ['J07BF03', 'poliomyelitis, trivalent, inactivated, whole virus'],
  dt: ['J07AM51', 'tetanus toxoid, combinations with diphtheria toxoid'],
  bcg: ['J07AN01', 'tuberculosis, live attenuated'],
  mr: ['J07BD53', 'measles, combinations with rubella, live attenuated'],
  measles: ['J07BD01', 'measles, live attenuated'],
  rubella: ['J07BJ01', 'rubella, live attenuated'],
  varicella: ['J07BK01', 'varicella, live attenuated'],
  je: ['J07BA02', 'encephalitis, Japanese, inactivated, whole virus'],
  hpv2: ['J07BM02', 'papillomavirus (human types 16, 18)'],
  hpv4: ['J07BM01', 'papillomavirus (human types 6, 11, 16, 18)'],
  hpv9: ['J07BM03', 'papillomavirus (human types 6, 11, 16, 18, 31, 33, 45, 52, 58)'],
  influenza: ['J07BB02', 'influenza, inactivated, split virus or surface antigen'],
  ppsv23: ['J07AL01', 'pneumococcus, purified polysaccharides antigen'],
  covid19: ['J07BN', 'Covid-19 vaccines'],
  // The branded COVID-19 products (decision 0095) keep the group code: the product itself is in the Mamori coding.
  ...Object.fromEntries(['comirnaty', 'spikevax', 'vaxzevria', 'nuvaxovid', 'daichirona', 'kostaive'].map((p) => [`covid19-${p}`, ['J07BN', 'Covid-19 vaccines'] as const])),
  // The live zoster product used in Japan is the Oka/Biken varicella vaccine itself (J07BK02 is another product).
  'zoster-live': ['J07BK01', 'varicella, live attenuated'],
  'zoster-recombinant': ['J07BK03', 'zoster, purified antigen'],
  rsv: ['J07BX05', 'respiratory syncytial virus vaccines'],
};

const ROUTES: Readonly<Record<string, readonly [code: string, display: string] | null>> = {
  皮下注射: ['SQ', 'Injection, subcutaneous'],
  筋肉内注射: ['IM', 'Injection, intramuscular'],
  皮内注射: ['IDINJ', 'Injection, intradermal'],
  経口: ['PO', 'Swallow, oral'],
  // No v3 code says "multipuncture percutaneous" (BCG) or "nasal spray" exactly: text only.
  経皮: null,
  鼻腔内: null,
};

const CATEGORY_CODES: Readonly<Record<Category, string>> = {
  A類定期: 'routine-a',
  B類定期: 'routine-b',
  臨時: 'extraordinary',
  特措法: 'special-measures',
  任意: 'voluntary',
};

const FORECAST: Readonly<Record<'upcoming' | 'due' | 'missed', { label: string; hl7: readonly [code: string, display: string] | null }>> = {
  upcoming: { label: '接種期間前', hl7: null },
  due: { label: '接種対象', hl7: ['due', 'Due'] },
  missed: { label: '接種期間経過（未完了）', hl7: ['overdue', 'Overdue'] },
};

const RECOMMENDED_STATUSES = new Set(['due', 'upcoming', 'missed']);

// ------------------------------------------------------------------ types

export interface FhirResource {
  readonly resourceType: string;
  readonly id: string;
  readonly [key: string]: unknown;
}

export interface FhirBundle {
  readonly resourceType: 'Bundle';
  readonly id: string;
  readonly type: 'collection';
  readonly entry: readonly { readonly fullUrl: string; readonly resource: FhirResource }[];
}

export interface FhirBundleOptions {
  /** 地方公共団体コード (6 digits) of the tenant: the namespace of the 宛名番号. */
  readonly municipalityCode: string;
  readonly municipalityName?: string | undefined;
  /** Names of institutions by 医療機関コード, when known. */
  readonly institutionNames?: ReadonlyMap<string, string> | undefined;
  /**
   * The person and dated history as the engine saw them (`engineSubject`), used to tell which programs a
   * combination dose counted toward.  Without it the history is taken from the timeline, without conditions.
   */
  readonly subject?: EngineSubject | undefined;
}

// ------------------------------------------------------------------ deterministic ids

const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

/** RFC 4122 version-5 (name-based, SHA-1) UUID. */
function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const h = createHash('sha1').update(ns).update(name, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

const MAMORI_NAMESPACE = uuidV5(MAMORI_FHIR_BASE, URL_NAMESPACE);
const nameId = (...parts: string[]): string => uuidV5(parts.join('|'), MAMORI_NAMESPACE);

// ------------------------------------------------------------------ helpers

const iso = (d: Date | string): string => new Date(d).toISOString();

/** 〒6808571 → 680-8571 (JP Core: three digits, hyphen, four digits). */
const postal = (s: string): string => (/^\d{7}$/.test(s) ? `${s.slice(0, 3)}-${s.slice(3)}` : s);

// FHIR strings are `[ \r\n\t\S]+`; JavaScript validators read \S as excluding every Unicode space, so a 全角スペース
// (U+3000) fails them.  JP Core joins name parts with a half-width space anyway: every other space becomes U+0020.
const OTHER_SPACES = /[\v\f\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]/g;
function normalizeSpaces<T>(x: T): T {
  if (typeof x === 'string') return x.replace(OTHER_SPACES, ' ') as T;
  if (Array.isArray(x)) return x.map((v: unknown) => normalizeSpaces(v)) as T;
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, normalizeSpaces(v)])) as T;
  return x;
}

function programName(catalog: Catalog, code: string, date?: string | null): string {
  const list = catalog.programsByCode.get(code);
  if (!list?.length) return code;
  return (date ? programVersionAt(catalog, code, date)?.name : undefined) ?? list[list.length - 1]!.name;
}

/** A name split on spaces (full- or half-width); JP Core joins the parts with one half-width space (SHALL). */
function humanName(representation: 'IDE' | 'SYL' | 'ABC', full: string): Record<string, unknown> | null {
  const parts = full.normalize('NFC').trim().split(/[\s\u3000]+/).filter(Boolean);
  if (!parts.length) return null;
  return {
    extension: [{ url: NAME_REPRESENTATION, valueCode: representation }],
    use: 'official',
    text: parts.join(' '),
    ...(parts.length > 1 ? { family: parts[0], given: parts.slice(1) } : {}),
  };
}

/** 接種量 as a UCUM quantity when it carries a millilitre unit; anything else stays text (in a note). */
function doseQuantity(amount: string | null): Record<string, unknown> | null {
  if (!amount) return null;
  const m = /^(\d+(?:\.\d+)?)\s*(ml|cc)$/i.exec(amount.normalize('NFKC').trim());
  if (!m) return null;
  const value = Number(m[1]);
  if (!Number.isFinite(value) || value <= 0) return null;
  return { value, unit: 'mL', system: FHIR_SYSTEMS.ucum, code: 'mL' };
}

function origin(source: RecordSource): Record<string, unknown> {
  switch (source) {
    case 'clinic-batch':
      return { primarySource: true };
    case 'counter':
    case 'other-municipality':
      return { primarySource: false, reportOrigin: { coding: [{ system: FHIR_SYSTEMS.origin, code: 'record', display: 'Written Record' }], text: source === 'counter' ? '本人・代理人の届出（母子健康手帳・接種済証等）' : '他団体の予防接種台帳' } };
    default:
      return {};
  }
}

/** For each dated dose of the engine's history: the programs it counted toward and as which dose (engine delta). */
function countedPrograms(catalog: Catalog, subject: EngineSubject): Map<string, { program: string; dose: number }[]> {
  const person = subject.person as Parameters<typeof evaluateWith>[1];
  const key = (h: HistoryItem): string => `${h.date}|${h.ref ?? ''}`;
  // Date, then record id: the same order whatever order the database returned same-day doses in.
  const history = [...subject.history].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const out = new Map<string, { program: string; dose: number }[]>();
  history.forEach((h, i) => {
    if (!h.ref || !catalog.productByCode.has(h.product)) return;
    const programs = catalog.programCodes.filter((code) => catalog.programsByCode.get(code)?.some((p) => p.products.some((x) => x.code === h.product)));
    if (!programs.length) return;
    const before = new Map(evaluateWith(catalog, person, history.slice(0, i), h.date, programs).results.map((r) => [r.program, r.dosesCounted]));
    const after = evaluateWith(catalog, person, history.slice(0, i + 1), h.date, programs).results;
    const counted = after.filter((r) => r.dosesCounted > (before.get(r.program) ?? 0)).map((r) => ({ program: r.program, dose: r.dosesCounted }));
    if (counted.length) out.set(String(h.ref), counted);
  });
  return out;
}

function subjectFromTimeline(timeline: Timeline, person: PersonRecord): EngineSubject {
  const history: HistoryItem[] = timeline.records
    .filter((r) => r.status === 'active' && r.data.vaccinatedOn && r.data.product)
    .map((r) => ({ product: r.data.product!, date: r.data.vaccinatedOn!, ref: r.id }) as HistoryItem);
  return { person: { birthDate: person.state.birthDate, sex: person.state.sex, conditions: [] }, history };
}

// ------------------------------------------------------------------ resources

function patientResource(id: string, person: PersonRecord, opts: FhirBundleOptions): FhirResource {
  const s = person.state;
  const names = [humanName('IDE', s.nameKanji), humanName('SYL', s.nameKana), s.alphabetName ? humanName('ABC', s.alphabetName) : null].filter((n) => n !== null);
  // The viewer's masked state carries a placeholder instead of the address; the export carries nothing, and never
  // the address of a person under 支援措置 whoever exports (a file leaves the screen; decision 0057).
  const showAddress = !person.addressHidden && !s.dvSupport && s.address.trim() !== '';
  const addressText = [s.address, s.katagaki].filter((x): x is string => !!x && x.trim() !== '').join(' ');
  return {
    resourceType: 'Patient',
    id,
    identifier: [
      {
        use: 'usual',
        type: { text: '宛名番号' },
        system: atenaSystem(opts.municipalityCode),
        value: person.atenaNo,
        ...(opts.municipalityName ? { assigner: { display: opts.municipalityName } } : {}),
      },
    ],
    ...(names.length ? { name: names } : {}),
    gender: s.sex,
    birthDate: s.birthDate,
    ...(s.status === 'deceased' ? (s.ceasedOn ? { deceasedDateTime: s.ceasedOn } : { deceasedBoolean: true }) : {}),
    ...(showAddress ? { address: [{ use: 'home', type: 'both', text: addressText, ...(s.postalCode ? { postalCode: postal(s.postalCode) } : {}), country: 'JP' }] } : {}),
  };
}

function organizationResource(id: string, code: string, name: string | undefined): FhirResource {
  return { resourceType: 'Organization', id, identifier: [{ system: FHIR_SYSTEMS.medicalInstitution, value: code }], ...(name ? { name } : {}) };
}

function immunizationResource(
  r: VaccinationRecord,
  catalog: Catalog,
  patientRef: string,
  orgRef: (code: string) => { reference: string; display?: string },
  counted: readonly { program: string; dose: number }[],
): FhirResource {
  const d = r.data;
  const product = d.product ? catalog.productByCode.get(d.product) : undefined;
  const atc = d.product ? ATC_BY_PRODUCT[d.product] : undefined;
  const maker = d.manufacturer ?? product?.manufacturer; // the catalog's 製造販売業者 when the record names none
  const coding = [
    ...(d.product ? [{ system: FHIR_SYSTEMS.vaccine, code: d.product, ...(product ? { display: product.name } : {}) }] : []),
    ...(atc ? [{ system: FHIR_SYSTEMS.atc, code: atc[0], display: atc[1] }] : []),
    ...(d.gtin ? [{ system: FHIR_SYSTEMS.gtin, code: d.gtin }] : []),
  ];
  const vaccineText = d.vaccineName ?? product?.name ?? d.product ?? (d.program ? `${programName(catalog, d.program, d.vaccinatedOn)}（ワクチン不明）` : 'ワクチン不明');
  const route = d.route ? ROUTES[d.route] : undefined;
  const quantity = doseQuantity(d.amount);

  const performer: Record<string, unknown>[] = [];
  if (d.institutionCode) performer.push({ actor: orgRef(d.institutionCode) });
  else if (d.institutionOther) performer.push({ actor: { display: d.institutionOther } });
  if (d.doctorName) performer.push({ function: { coding: [{ system: FHIR_SYSTEMS.performerFunction, code: 'AP', display: 'Administering Provider' }], text: '接種医' }, actor: { display: d.doctorName } });

  const notes: string[] = [];
  if (d.overseas) notes.push('海外で接種');
  if (d.amount && !quantity) notes.push(`接種量: ${d.amount}`);
  for (const w of r.warnings) notes.push(`${w.level === 'problem' ? '警告' : '注意'}（${w.code}）: ${w.message}`);

  const protocol: Record<string, unknown>[] = [];
  if (d.program) {
    protocol.push({
      series: programName(catalog, d.program, d.vaccinatedOn),
      ...(d.dose !== null ? { doseNumberPositiveInt: d.dose } : { doseNumberString: d.doseLabel ?? '不明' }),
    });
  }
  for (const c of counted) if (c.program !== d.program) protocol.push({ series: programName(catalog, c.program, d.vaccinatedOn), doseNumberPositiveInt: c.dose });

  return {
    resourceType: 'Immunization',
    id: r.id,
    meta: { versionId: String(r.version), lastUpdated: iso(r.updatedAt) },
    identifier: [{ system: FHIR_SYSTEMS.uri, value: `urn:uuid:${r.id}` }],
    status: 'completed',
    vaccineCode: { ...(coding.length ? { coding } : {}), text: vaccineText },
    patient: { reference: patientRef },
    ...(d.vaccinatedOn ? { occurrenceDateTime: d.time ? `${d.vaccinatedOn}T${d.time}:00+09:00` : d.vaccinatedOn } : { occurrenceString: '接種日不明' }),
    recorded: iso(r.createdAt),
    ...origin(r.source),
    ...(d.place ? { location: { display: d.place } } : {}),
    ...(maker ? { manufacturer: { display: maker } } : {}),
    ...(d.lot ? { lotNumber: d.lot } : {}),
    ...(d.expiry ? { expirationDate: d.expiry } : {}),
    ...(d.site ? { site: { text: d.site } } : {}),
    ...(d.route ? { route: { ...(route ? { coding: [{ system: FHIR_SYSTEMS.route, code: route[0], display: route[1] }] } : {}), text: d.route } } : {}),
    ...(quantity ? { doseQuantity: quantity } : {}),
    ...(performer.length ? { performer } : {}),
    ...(notes.length ? { note: notes.map((text) => ({ text })) } : {}),
    programEligibility: [{ coding: [{ system: FHIR_SYSTEMS.category, code: CATEGORY_CODES[d.category] ?? 'voluntary', display: d.category }], text: d.category }],
    ...(protocol.length ? { protocolApplied: protocol } : {}),
  };
}

function recommendationEntry(catalog: Catalog, p: ProgramResult, asOf: string): Record<string, unknown> {
  const status = p.status as 'upcoming' | 'due' | 'missed';
  const f = FORECAST[status];
  const n = p.nextDose;
  const when = n?.earliest && n.earliest > asOf ? n.earliest : asOf;
  const version = programVersionAt(catalog, p.program, when) ?? programVersionAt(catalog, p.program, asOf);
  const products = (version?.products ?? []).filter((x) => (!x.from || x.from <= when) && (!x.until || when <= x.until)).map((x) => x.code);
  const vaccineCode = products.map((code) => {
    const atc = ATC_BY_PRODUCT[code];
    const name = catalog.productByCode.get(code)?.name;
    return { coding: [{ system: FHIR_SYSTEMS.vaccine, code, ...(name ? { display: name } : {}) }, ...(atc ? [{ system: FHIR_SYSTEMS.atc, code: atc[0], display: atc[1] }] : [])], ...(name ? { text: name } : {}) };
  });
  const criteria: Record<string, unknown>[] = [];
  const crit = (codes: Record<string, unknown>[], text: string, value: string | null | undefined) => {
    if (value) criteria.push({ code: { coding: codes, text }, value });
  };
  if (n) {
    crit([{ system: FHIR_SYSTEMS.loinc, code: '30981-5', display: 'Earliest date to give' }], '接種できる最初の日', n.earliest);
    crit([{ system: FHIR_SYSTEMS.loinc, code: '59777-3', display: 'Latest date to give immunization' }], '接種できる最後の日', n.latest);
    crit([{ system: FHIR_SYSTEMS.dateCriterion, code: 'standard-from', display: '標準的な接種期間の開始日' }, { system: FHIR_SYSTEMS.loinc, code: '30980-7', display: 'Date vaccine due' }], '標準的な接種期間の開始日', n.standardFrom);
    crit([{ system: FHIR_SYSTEMS.dateCriterion, code: 'standard-until', display: '標準的な接種期間の終了日' }], '標準的な接種期間の終了日', n.standardUntil);
  }
  return {
    ...(vaccineCode.length ? { vaccineCode } : {}),
    targetDisease: { coding: [{ system: FHIR_SYSTEMS.program, code: p.program, display: p.name }], text: p.name },
    forecastStatus: {
      coding: [{ system: FHIR_SYSTEMS.forecastStatus, code: status, display: f.label }, ...(f.hl7 ? [{ system: FHIR_SYSTEMS.recommendationStatus, code: f.hl7[0], display: f.hl7[1] }] : [])],
      text: f.label,
    },
    ...(p.reasons.length ? { forecastReason: p.reasons.map((x) => ({ coding: [{ system: FHIR_SYSTEMS.reason, code: x.code }], text: x.message })) } : {}),
    ...(criteria.length ? { dateCriterion: criteria } : {}),
    series: p.name,
    ...(n ? { doseNumberPositiveInt: n.dose } : {}),
  };
}

// ------------------------------------------------------------------ the bundle

/**
 * Builds the Bundle from what the faces returned (pure: no I/O, no clock).  `person` must be the record as
 * the exporting viewer received it from `getPerson` (masked where the viewer may not see the address).
 */
export function fhirBundle(timeline: Timeline, person: PersonRecord, catalog: Catalog, opts: FhirBundleOptions): FhirBundle {
  const tenant = opts.municipalityCode;
  const patientId = nameId('Patient', tenant, person.atenaNo);
  const patientRef = `urn:uuid:${patientId}`;
  const active = timeline.records.filter((r) => r.status === 'active');
  const counted = countedPrograms(catalog, opts.subject ?? subjectFromTimeline(timeline, person));

  const orgs = new Map<string, string>();
  const orgRef = (code: string) => {
    let id = orgs.get(code);
    if (!id) {
      id = nameId('Organization', code);
      orgs.set(code, id);
    }
    const name = opts.institutionNames?.get(code);
    return { reference: `urn:uuid:${id}`, ...(name ? { display: name } : {}) };
  };
  const immunizations = active.map((r) => immunizationResource(r, catalog, patientRef, orgRef, counted.get(r.id) ?? []));
  const organizations = [...orgs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([code, id]) => organizationResource(id, code, opts.institutionNames?.get(code)));

  const due = timeline.evaluation.results.filter((p) => RECOMMENDED_STATUSES.has(p.status));
  const recommendation: FhirResource | null = due.length
    ? {
        resourceType: 'ImmunizationRecommendation',
        id: nameId('ImmunizationRecommendation', tenant, person.atenaNo, timeline.asOf),
        patient: { reference: patientRef },
        date: timeline.asOf,
        recommendation: due.map((p) => recommendationEntry(catalog, p, timeline.asOf)),
      }
    : null;

  const resources: FhirResource[] = normalizeSpaces([patientResource(patientId, person, opts), ...organizations, ...immunizations, ...(recommendation ? [recommendation] : [])]);
  const entry = resources.map((resource) => ({ fullUrl: `urn:uuid:${resource.id}`, resource }));
  // The Bundle's id names its content: identical input gives the identical id, any change another one.
  const id = uuidV5(JSON.stringify(entry), MAMORI_NAMESPACE);
  return { resourceType: 'Bundle', id, type: 'collection', entry };
}

/**
 * `fhirExport`: reads the person and the timeline through the faces as the acting staff member and returns the
 * Bundle; logs an 'export' entry for the resident.  Needs 個人情報のファイル出力 (`personal.export`) in 予防接種:
 * the operator (system actor) never reads personal data, so there is no command-line export (decision 0057).
 */
export async function fhirExport(w: Work, vault: Vault, atenaNo: string, asOf: string = w.clock.today()): Promise<FhirBundle> {
  requireResidentAccess(w.actor, 'personal.export', ['vaccination'], atenaNo);
  const person = await getPerson(w, vault, atenaNo, 'FHIR出力');
  const timeline = await personTimeline(w, atenaNo, asOf);
  const { catalog } = await catalogFor(w);
  const subject = await engineSubject(w, atenaNo);
  const codes = [...new Set(timeline.records.filter((r) => r.status === 'active' && r.data.institutionCode).map((r) => r.data.institutionCode!))];
  const institutionNames = new Map<string, string>();
  for (const code of codes) {
    const org = await getOrganisation(w.tx, code);
    if (org) institutionNames.set(code, org.name);
  }
  const municipality = await getOrganisation(w.tx, w.tenant);
  const bundle = fhirBundle(timeline, person, catalog, { municipalityCode: w.tenant, municipalityName: municipality?.name, institutionNames, subject });
  const count = (type: string) => bundle.entry.filter((e) => e.resource.resourceType === type).length;
  await appendEntry(w.tx, w, {
    action: 'export',
    targetType: 'vaccination-history',
    targetId: atenaNo,
    subjectRef: `resident:${atenaNo}`,
    purpose: 'FHIR出力',
    detail: { format: 'fhir-r4-bundle', asOf, immunizations: count('Immunization'), recommendations: count('ImmunizationRecommendation'), addressIncluded: bundle.entry.some((e) => e.resource.resourceType === 'Patient' && 'address' in e.resource) },
  });
  return bundle;
}
