// Certificate applications and issuance (VAX-27, VAX-35, VAX-42, KRN-15; decisions 0070–0073):
// receive an application at the counter or by post (who applied, how identity was checked, why, what to
// certify, the passport items for 海外用), preview what the ledger would certify, issue it (a 証明書番号, the
// PDF and, for COVID-19, a SMART Health Card signed with the municipality's key), output it again, reveal the
// sealed 旅券番号 with a purpose, cancel an application, revoke a certificate.  Every step is authorised here
// and written to the operation log; nothing personal goes into an entry's detail.
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import type { TenantKeyService } from '../../kernel/crypto/index.js';
import { ACTION_LABELS, appendEntry } from '../../kernel/audit/index.js';
import { jsonb, type Selectable } from '../../kernel/db/index.js';
import { fields } from '../../kernel/access/index.js';

import { Problem, conflict, invalidField, notFound, parseInput } from '../../kernel/problems/index.js';
import { getPerson, requireResidentAccess } from '../residents/index.js';
import { catalogFor } from '../records/index.js';
import type { CertificateInput, ShcKeyStore } from '../certificates/index.js';
import { shcModule } from './lazy.js';
import { contentHash, gatherDoses, headOf, requireDoses, splitName, type Gathered } from './content.js';
import { allocateCertificateNumber, checkCertificateNumber, formatCertificateNumber } from './number.js';
import { openPassportNumber, sealPassportNumber } from './passport.js';
import { renderCertificatePdf } from './pdf.js';
import {
  ApplicationInput,
  KIND_LABELS,
  isCovidKind,
  type ApplicantKind,
  type CertificateContent,
  type CertificateKindCode,
  type ChannelCode,
  type CertifiedDose,
  type ExcludedRecord,
  type RecordRef,
} from './model.js';
import type { CertificateApplicationTable, CertificateTable } from './tables.js';

// The operation log's vocabulary is open (kernel/audit): our two actions get Japanese labels.
ACTION_LABELS['certificate_issue'] ??= '証明書交付';
ACTION_LABELS['passport_reveal'] ??= '旅券番号表示';

/** What issuing needs besides the transaction: the vault (via the residents face), data keys, issuer keys, the public URL. */
export interface CertificationDeps {
  readonly vault: Vault;
  readonly tenantKeys: TenantKeyService;
  readonly shcKeys: ShcKeyStore;
  /** MAMORI_PUBLIC_URL: issuer URLs are <publicUrl>/issuers/<団体コード> (decision 0074). */
  readonly publicUrl: string | undefined;
}

const DUTY = ['vaccination'] as const;
const uuid = (id: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);

// ------------------------------------------------------------------ views

/** An application as lists show it: never a passport item. */
export interface ApplicationSummary {
  readonly id: string;
  readonly atenaNo: string;
  readonly kind: CertificateKindCode;
  readonly channel: ChannelCode;
  readonly receivedOn: string;
  readonly applicant: ApplicantKind;
  readonly reason: string;
  readonly status: 'received' | 'issued' | 'cancelled';
  readonly createdBy: string;
  readonly createdAt: Date;
}

/** One application in full, for its own page: the passport items except the number (only whether one is held). */
export interface ApplicationView extends ApplicationSummary {
  readonly agentName: string | null;
  readonly agentRelation: string | null;
  readonly identityDocument: string;
  readonly powerOfAttorney: boolean;
  readonly programs: readonly string[];
  readonly reissueOf: { readonly id: string; readonly certificateNo: string } | null;
  readonly passport: { readonly romajiFamily: string; readonly romajiGiven: string | null; readonly nationality: string; readonly otherName: string | null; readonly hasNumber: boolean } | null;
  readonly note: string | null;
  readonly cancelReason: string | null;
  readonly erased: boolean;
}

export interface CertificateSummary {
  readonly id: string;
  readonly certificateNo: string;
  readonly kind: CertificateKindCode;
  readonly issueDate: string;
  readonly applicationId: string;
  readonly atenaNo: string;
  readonly previousId: string | null;
  readonly doseCount: number;
  readonly excludedCount: number;
  readonly formats: readonly string[];
  readonly status: 'issued' | 'revoked';
  readonly revokedReason: string | null;
  readonly issuedBy: string;
  readonly issuedAt: Date;
  readonly issuedTerminal: string | null;
  readonly erased: boolean;
}

export interface CertificateView extends CertificateSummary {
  readonly records: readonly RecordRef[];
  readonly excluded: readonly ExcludedRecord[];
  readonly content: CertificateContent | null;
  readonly contentSha256: string;
  readonly shc: { readonly kid: string; readonly jwsSha256: string; readonly qrCount: number } | null;
  readonly previousNo: string | null;
}

type AppRow = Selectable<CertificateApplicationTable>;
type CertRow = Selectable<CertificateTable>;

function summaryOfApp(r: AppRow): ApplicationSummary {
  return { id: r.id, atenaNo: r.atena_no, kind: r.kind, channel: r.channel, receivedOn: r.received_on, applicant: r.applicant, reason: r.reason, status: r.status, createdBy: r.created_by, createdAt: r.created_at };
}

function summaryOfCert(r: CertRow): CertificateSummary {
  return {
    id: r.id, certificateNo: r.certificate_no, kind: r.kind, issueDate: r.issue_date, applicationId: r.application_id, atenaNo: r.atena_no, previousId: r.previous_id,
    doseCount: r.dose_count, excludedCount: (r.excluded as unknown as ExcludedRecord[]).length, formats: r.formats, status: r.status, revokedReason: r.revoked_reason,
    issuedBy: r.created_by, issuedAt: r.created_at, issuedTerminal: r.created_terminal, erased: r.erased_at !== null,
  };
}

async function loadApplication(w: Work, id: string, lock = false): Promise<AppRow> {
  if (!uuid(id)) throw notFound('証明書の申請');
  let q = w.tx.selectFrom('municipality.certificate_applications').selectAll().where('tenant_code', '=', w.tenant).where('id', '=', id);
  if (lock) q = q.forUpdate();
  const r = await q.executeTakeFirst();
  if (!r) throw notFound('証明書の申請');
  return r;
}

async function loadCertificate(w: Work, id: string): Promise<CertRow> {
  if (!uuid(id)) throw notFound('証明書');
  const r = await w.tx.selectFrom('municipality.certificates').selectAll().where('tenant_code', '=', w.tenant).where('id', '=', id).executeTakeFirst();
  if (!r) throw notFound('証明書');
  return r;
}

// ------------------------------------------------------------------ applications

/**
 * Receives an application (申請の受付) for a resident.  Needs 'personal.write' in 予防接種.  `opts.channel`
 * 'app': an electronic application accepted in 申請管理 (municipality/eapply, whose card signature was
 * verified there); staff input cannot choose that channel.
 */
export async function receiveApplication(w: Work, deps: CertificationDeps | Pick<CertificationDeps, 'vault' | 'tenantKeys'>, atenaNo: string, raw: unknown, opts: { channel?: 'app' } = {}): Promise<ApplicationView> {
  requireResidentAccess(w.actor, 'personal.write', DUTY, atenaNo);
  const parsed = parseInput(ApplicationInput, raw);
  const input = opts.channel ? { ...parsed, channel: opts.channel } : parsed;
  const today = w.clock.today();
  const receivedOn = input.receivedOn ?? today;
  if (receivedOn > today) throw invalidField('receivedOn', 'DATE_FUTURE', '受付日が未来の日付です');
  await getPerson(w, deps.vault, atenaNo, '証明書の申請受付'); // the person must exist here (the read is logged)
  const { catalog } = await catalogFor(w);
  input.programs.forEach((p, i) => {
    if (!catalog.programsByCode.has(p)) throw invalidField(`programs.${i}`, 'PROGRAM_UNKNOWN', 'カタログにない予防接種の種類です');
  });

  let reissue: CertRow | undefined;
  if (input.reissueOf) {
    const n = checkCertificateNumber(input.reissueOf);
    if (!n.ok) throw invalidField('reissueOf', 'CERTIFICATE_NUMBER_INVALID', n.reason);
    reissue = (await w.tx.selectFrom('municipality.certificates').selectAll().where('tenant_code', '=', w.tenant).where('certificate_no', '=', n.number).executeTakeFirst());
    if (!reissue || reissue.atena_no !== atenaNo) throw invalidField('reissueOf', 'CERTIFICATE_NOT_FOUND', 'この方に交付した証明書の番号ではありません');
    if (reissue.kind !== input.kind) throw invalidField('reissueOf', 'REISSUE_KIND_MISMATCH', `再交付する証明書の種類（${KIND_LABELS[reissue.kind]}）と申請の種類が異なります`);
  }

  const id = randomUUID();
  let passport: { romajiFamily: string; romajiGiven: string | null; nationality: string; otherName: string | null; sealed: Buffer } | null = null;
  if (input.kind === 'covid19-overseas') {
    if (input.passport) {
      const p = input.passport;
      passport = { romajiFamily: p.romajiFamily, romajiGiven: p.romajiGiven ?? null, nationality: p.nationality, otherName: p.otherName ?? null, sealed: await sealPassportNumber(deps.tenantKeys, w, id, p.passportNumber) };
    } else {
      // 再交付 without new passport items: those recorded with the replaced certificate (as 002 describes for kiosks).
      const prev = reissue ? await loadApplication(w, reissue.application_id) : undefined;
      if (!prev?.passport_no || !prev.romaji_family || !prev.nationality) throw invalidField('passport', 'OVERSEAS_ITEMS_REQUIRED', '前回の旅券関係情報が残っていません。ローマ字氏名・国籍・旅券番号を入力してください');
      const number = await openPassportNumber(deps.tenantKeys, w, prev.id, prev.passport_no);
      passport = { romajiFamily: prev.romaji_family, romajiGiven: prev.romaji_given, nationality: prev.nationality, otherName: prev.other_name, sealed: await sealPassportNumber(deps.tenantKeys, w, id, number) };
      await appendEntry(w.tx, w, { action: 'read', targetType: 'passport-items', targetId: prev.id, subjectRef: `resident:${atenaNo}`, purpose: '再交付の申請に前回の旅券関係情報を引用' });
    }
  }

  const reason = input.reasonDetail ? `${input.reason}：${input.reasonDetail}` : input.reason;
  const row = await w.tx
    .insertInto('municipality.certificate_applications')
    .values({
      tenant_code: w.tenant, id, atena_no: atenaNo, kind: input.kind, channel: input.channel, received_on: receivedOn, applicant: input.applicant,
      agent_name: input.applicant === 'agent' ? (input.agentName ?? null) : null, agent_relation: input.applicant === 'agent' ? (input.agentRelation ?? null) : null,
      identity_document: input.identityDocument, power_of_attorney: input.applicant === 'agent' && input.powerOfAttorney, reason, programs: input.programs,
      reissue_of: reissue?.id ?? null, romaji_family: passport?.romajiFamily ?? null, romaji_given: passport?.romajiGiven ?? null, nationality: passport?.nationality ?? null,
      other_name: passport?.otherName ?? null, passport_no: passport?.sealed ?? null, note: input.note ?? null, status: 'received', cancel_reason: null, erased_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEntry(w.tx, w, {
    action: 'create', targetType: 'certificate-application', targetId: id, subjectRef: `resident:${atenaNo}`,
    detail: { kind: input.kind, channel: input.channel, applicant: input.applicant, identityDocument: input.identityDocument, programs: input.programs.length, reissue: !!reissue, passportItems: !!passport },
  });
  return applicationView(row, reissue ? { id: reissue.id, certificateNo: reissue.certificate_no } : null);
}

function applicationView(r: AppRow, reissueOf: { id: string; certificateNo: string } | null): ApplicationView {
  return {
    ...summaryOfApp(r),
    agentName: r.agent_name, agentRelation: r.agent_relation, identityDocument: r.identity_document, powerOfAttorney: r.power_of_attorney, programs: r.programs, reissueOf,
    passport: r.kind === 'covid19-overseas' && r.romaji_family && r.nationality ? { romajiFamily: r.romaji_family, romajiGiven: r.romaji_given, nationality: r.nationality, otherName: r.other_name, hasNumber: r.passport_no !== null } : null,
    note: r.note, cancelReason: r.cancel_reason, erased: r.erased_at !== null,
  };
}

/** One application (its page).  'personal.read' in 予防接種; logged. */
export async function getApplication(w: Work, id: string): Promise<ApplicationView> {
  const r = await loadApplication(w, id);
  requireResidentAccess(w.actor, 'personal.read', DUTY, r.atena_no);
  let reissueOf: { id: string; certificateNo: string } | null = null;
  if (r.reissue_of) {
    const prev = await w.tx.selectFrom('municipality.certificates').select(['id', 'certificate_no']).where('tenant_code', '=', w.tenant).where('id', '=', r.reissue_of).executeTakeFirst();
    reissueOf = prev ? { id: prev.id, certificateNo: prev.certificate_no } : null;
  }
  await appendEntry(w.tx, w, { action: 'read', targetType: 'certificate-application', targetId: id, subjectRef: `resident:${r.atena_no}` });
  return applicationView(r, reissueOf);
}

const Reason = z.object({ reason: fields.text(200) });

/** 取下げ・却下: an open application is closed without a certificate.  'personal.write'; logged. */
export async function cancelApplication(w: Work, id: string, raw: unknown): Promise<ApplicationView> {
  const { reason } = parseInput(Reason, raw);
  const r = await loadApplication(w, id, true);
  requireResidentAccess(w.actor, 'personal.write', DUTY, r.atena_no);
  if (r.status !== 'received') throw conflict('APPLICATION_NOT_OPEN', r.status === 'issued' ? 'この申請は交付済みです。' : 'この申請は取り下げ済みです。');
  const row = await w.tx.updateTable('municipality.certificate_applications').set({ status: 'cancelled', cancel_reason: reason }).where('tenant_code', '=', w.tenant).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  await appendEntry(w.tx, w, { action: 'update', targetType: 'certificate-application', targetId: id, subjectRef: `resident:${r.atena_no}`, purpose: `取下げ: ${reason}` });
  return applicationView(row, null);
}

/**
 * Shows the sealed 旅券番号 of an application to a member of 予防接種 with a stated purpose (VAX-35);
 * every reveal is an operation-log entry with that purpose.
 */
export async function revealPassportNumber(w: Work, deps: CertificationDeps, applicationId: string, purpose: unknown): Promise<string> {
  const p = parseInput(z.object({ purpose: fields.text(200) }), { purpose });
  const r = await loadApplication(w, applicationId);
  requireResidentAccess(w.actor, 'personal.read', DUTY, r.atena_no);
  if (!r.passport_no) throw conflict('PASSPORT_NUMBER_NOT_HELD', r.erased_at ? '保存期間の経過により旅券番号は消去されています。' : 'この申請には旅券番号がありません。');
  const value = await openPassportNumber(deps.tenantKeys, w, r.id, r.passport_no);
  await appendEntry(w.tx, w, { action: 'passport_reveal', targetType: 'certificate-application', targetId: r.id, subjectRef: `resident:${r.atena_no}`, purpose: p.purpose });
  return value;
}

// ------------------------------------------------------------------ preview and issue

export interface Preview {
  readonly application: ApplicationView;
  readonly issueDate: string;
  readonly person: { readonly name: string; readonly kana: string; readonly birthDate: string; readonly address: string | null; readonly protected: boolean };
  readonly doses: readonly CertifiedDose[];
  readonly excluded: readonly ExcludedRecord[];
  /** Why issuing would fail now (no doses, no public URL for a card); empty when it can be issued. */
  readonly blockers: readonly string[];
}

async function issuerUrl(deps: CertificationDeps, tenant: string): Promise<string | { problem: string }> {
  if (!deps.publicUrl) return { problem: '公開URL（MAMORI_PUBLIC_URL）が設定されていないため、SMART Health Card の発行者URLを決められません。' };
  const { issuerUrlFor, issuerUrlProblem } = await shcModule();
  const url = issuerUrlFor(deps.publicUrl, tenant);
  const why = issuerUrlProblem(url);
  return why ? { problem: `公開URL（MAMORI_PUBLIC_URL）から作る発行者URLが使えません: ${why}` } : url;
}

/** What issuing the application today (or on `issueDate`) would certify; nothing is written but the log of reads. */
export async function previewApplication(w: Work, deps: CertificationDeps, id: string, issueDate = w.clock.today()): Promise<Preview> {
  const application = await getApplication(w, id);
  const g = await gatherDoses(w, deps.vault, application.atenaNo, application.kind, application.programs, issueDate);
  const blockers: string[] = [];
  if (application.status !== 'received') blockers.push(application.status === 'issued' ? 'この申請は交付済みです。' : 'この申請は取り下げ済みです。');
  if (g.doses.length === 0) blockers.push('証明できる接種記録がありません。');
  if (isCovidKind(application.kind)) {
    const u = await issuerUrl(deps, w.tenant);
    if (typeof u !== 'string') blockers.push(u.problem);
  }
  const s = g.person.state;
  return {
    application, issueDate,
    person: { name: s.nameKanji, kana: s.nameKana, birthDate: s.birthDate, address: s.dvSupport || isCovidKind(application.kind) ? null : s.address, protected: s.dvSupport },
    doses: g.doses, excluded: g.excluded, blockers,
  };
}

export interface IssueOptions {
  /** 発行日 (default: today in Japan). */
  readonly issueDate?: string;
}

export interface IssueResult {
  readonly certificate: CertificateView;
  readonly pdf: Uint8Array;
  /** COVID-19: the card (JWS), the .smart-health-card file and the QR text(s). */
  readonly card: { readonly jws: string; readonly file: string; readonly qr: readonly string[] } | null;
  /** e.g. a character of the name the font cannot print (〓 on paper). */
  readonly warnings: readonly string[];
}

function buildContent(w: Work, kind: CertificateKindCode, certificateNo: string, issueDate: string, g: Gathered, issuerName: string, programs: readonly string[], app: AppRow, reissueOf: string | null): CertificateContent {
  const s = g.person.state;
  const { family, given } = splitName(s.nameKanji);
  return {
    v: 1, kind, certificateNo, issueDate,
    issuer: { code: w.tenant, name: issuerName, head: headOf(issuerName) },
    person: { name: s.nameKanji, family, given, kana: s.nameKana, birthDate: s.birthDate, sex: s.sex, address: s.dvSupport || isCovidKind(kind) ? null : [s.address, s.katagaki].filter(Boolean).join(' ') },
    passport: kind === 'covid19-overseas' ? { romajiFamily: app.romaji_family!, romajiGiven: app.romaji_given, nationality: app.nationality!, otherName: app.other_name } : null,
    programs: [...programs], doses: g.doses, excluded: g.excluded, reissueOf,
  };
}

/** The card's input: what Japan's SHC carried (decision 0051), from the certified content. */
export function healthCardInput(c: CertificateContent, passportNumber: string | undefined, url: string): CertificateInput {
  const overseas = c.kind === 'covid19-overseas';
  return {
    kind: overseas ? 'overseas' : 'domestic',
    certificateId: formatCertificateNumber(c.certificateNo),
    issueDate: c.issueDate,
    issuer: { municipalityCode: c.issuer.code, name: c.issuer.name, url },
    person: {
      name: c.person.given ? { family: c.person.family, given: c.person.given } : { family: c.person.family },
      birthDate: c.person.birthDate,
      ...(overseas && c.passport
        ? { overseas: { romajiName: c.passport.romajiGiven ? { family: c.passport.romajiFamily, given: c.passport.romajiGiven } : { family: c.passport.romajiFamily }, nationality: c.passport.nationality, passportNumber: passportNumber ?? '' } }
        : {}),
    },
    doses: c.doses.map((d) => ({
      date: d.date,
      vaccineCode: { system: d.covid!.system, code: d.covid!.code },
      productName: d.productName.slice(0, 100),
      ...(d.manufacturer ? { manufacturer: d.manufacturer.slice(0, 100) } : {}),
      ...(d.lot ? { lotNumber: d.lot } : {}),
      country: 'JPN',
    })),
  };
}

const sha256 = (b: string | Uint8Array): Buffer => createHash('sha256').update(b).digest();

/**
 * Issues the certificate an application asks for (交付): allocates the 証明書番号, takes the person and the
 * certifiable doses from the ledger, renders the PDF (and signs the card for COVID-19), records the
 * certificate in the register with the record versions and hashes, closes the application and writes a
 * `certificate_issue` entry.  Needs 'personal.export' in 予防接種.  One certificate per application.
 */
export async function issueCertificate(w: Work, deps: CertificationDeps, applicationId: string, opts: IssueOptions = {}): Promise<IssueResult> {
  const app = await loadApplication(w, applicationId, true);
  requireResidentAccess(w.actor, 'personal.export', DUTY, app.atena_no);
  if (app.status !== 'received') throw conflict('APPLICATION_NOT_OPEN', app.status === 'issued' ? 'この申請は交付済みです（再交付は新しい申請で受け付けてください）。' : 'この申請は取り下げ済みです。');
  const issueDate = opts.issueDate ?? w.clock.today();
  if (issueDate < app.received_on) throw invalidField('issueDate', 'ISSUE_BEFORE_RECEIPT', '発行日が受付日より前です');
  if (issueDate > w.clock.today()) throw invalidField('issueDate', 'DATE_FUTURE', '発行日が未来の日付です');
  const covid = isCovidKind(app.kind);
  const url = covid ? await issuerUrl(deps, w.tenant) : '';
  if (typeof url !== 'string') throw new Problem(409, 'PUBLIC_URL_NOT_CONFIGURED', '接種証明書を発行できません', url.problem);

  const g = await gatherDoses(w, deps.vault, app.atena_no, app.kind, app.programs, issueDate);
  requireDoses(g, app.kind);
  const previous = app.reissue_of ? await w.tx.selectFrom('municipality.certificates').select(['id', 'certificate_no']).where('tenant_code', '=', w.tenant).where('id', '=', app.reissue_of).executeTakeFirst() : undefined;
  const org = await w.tx.selectFrom('kernel.organisations').select(['name']).where('code', '=', w.tenant).executeTakeFirstOrThrow();
  const passportNumber = app.kind === 'covid19-overseas' && app.passport_no ? await openPassportNumber(deps.tenantKeys, w, app.id, app.passport_no) : undefined;
  if (app.kind === 'covid19-overseas' && !passportNumber) throw conflict('PASSPORT_ITEMS_MISSING', '旅券関係情報が残っていないため海外用を発行できません。新しい申請で受け付けてください。');

  const certificateNo = await allocateCertificateNumber(w, app.kind, issueDate);
  const content = buildContent(w, app.kind, certificateNo, issueDate, g, org.name, app.programs, app, previous?.certificate_no ?? null);
  const shc = await shcModule();
  const card = covid ? await shc.issueHealthCard(healthCardInput(content, passportNumber, url), deps.shcKeys, { now: w.clock.now() }) : undefined;
  const missing = new Set<number>();
  const pdf = await renderCertificatePdf({ content, passportNumber, qr: card?.qr, verifyUrl: deps.publicUrl ? `${deps.publicUrl}/verify` : undefined, onMissing: (cp) => missing.add(cp) });

  const row = await w.tx
    .insertInto('municipality.certificates')
    .values({
      tenant_code: w.tenant, certificate_no: certificateNo, application_id: app.id, atena_no: app.atena_no, kind: app.kind, issue_date: issueDate, previous_id: previous?.id ?? null,
      records: jsonb(g.doses.map((d) => ({ id: d.id, version: d.version }))), excluded: jsonb(g.excluded), dose_count: g.doses.length, formats: covid ? ['pdf', 'shc'] : ['pdf'],
      content: jsonb(content), content_sha256: contentHash(content), shc_kid: card?.kid ?? null, shc_jws: card?.jws ?? null, shc_jws_sha256: card ? sha256(card.jws) : null,
      shc_qr_count: card?.qr.length ?? null, status: 'issued', revoked_at: null, revoked_reason: null, erased_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await w.tx.updateTable('municipality.certificate_applications').set({ status: 'issued' }).where('tenant_code', '=', w.tenant).where('id', '=', app.id).execute();
  await appendEntry(w.tx, w, {
    action: 'certificate_issue', targetType: 'certificate', targetId: certificateNo, subjectRef: `resident:${app.atena_no}`, purpose: app.reason,
    detail: { kind: app.kind, formats: row.formats, doses: g.doses.length, excluded: g.excluded.length, reissueOf: previous?.certificate_no ?? null, kid: card?.kid ?? null, catalog: g.catalogVersion },
  });
  const warnings = [...missing].map((cp) => `U+${cp.toString(16).toUpperCase().padStart(4, '0')} の文字は印字できないため〓で印字しました。手書きで補記するか、文字を確認してください。`);
  return {
    certificate: certificateView(row, previous?.certificate_no ?? null),
    pdf,
    card: card ? { jws: card.jws, file: JSON.stringify(shc.healthCardFile(card.jws)), qr: card.qr.map((q) => q.text) } : null,
    warnings,
  };
}

function certificateView(r: CertRow, previousNo: string | null): CertificateView {
  return {
    ...summaryOfCert(r),
    records: r.records as unknown as RecordRef[],
    excluded: r.excluded as unknown as ExcludedRecord[],
    content: r.content as unknown as CertificateContent | null,
    contentSha256: r.content_sha256.toString('hex'),
    shc: r.shc_kid && r.shc_jws_sha256 ? { kid: r.shc_kid, jwsSha256: r.shc_jws_sha256.toString('hex'), qrCount: r.shc_qr_count ?? 1 } : null,
    previousNo,
  };
}

/** One issued certificate with what it certified.  'personal.read' in 予防接種; logged. */
export async function getCertificate(w: Work, id: string): Promise<CertificateView> {
  const r = await loadCertificate(w, id);
  requireResidentAccess(w.actor, 'personal.read', DUTY, r.atena_no);
  const prev = r.previous_id ? await w.tx.selectFrom('municipality.certificates').select('certificate_no').where('tenant_code', '=', w.tenant).where('id', '=', r.previous_id).executeTakeFirst() : undefined;
  await appendEntry(w.tx, w, { action: 'read', targetType: 'certificate', targetId: r.certificate_no, subjectRef: `resident:${r.atena_no}` });
  return certificateView(r, prev?.certificate_no ?? null);
}

/** The certificate with this number (hyphens and full-width digits accepted), or null.  'personal.read'. */
export async function findCertificate(w: Work, number: string): Promise<CertificateSummary | null> {
  requireResidentAccess(w.actor, 'personal.read', DUTY);
  const n = checkCertificateNumber(number);
  if (!n.ok) throw invalidField('number', 'CERTIFICATE_NUMBER_INVALID', n.reason);
  const r = await w.tx.selectFrom('municipality.certificates').selectAll().where('tenant_code', '=', w.tenant).where('certificate_no', '=', n.number).executeTakeFirst();
  await appendEntry(w.tx, w, { action: 'search', targetType: 'certificate', targetId: n.number, ...(r ? { subjectRef: `resident:${r.atena_no}` } : {}), detail: { found: !!r } });
  return r ? summaryOfCert(r) : null;
}

export type OutputFormat = 'pdf' | 'shc' | 'qr';

export interface CertificateOutput {
  readonly body: Uint8Array | string;
  readonly mediaType: string;
  /** A file name without personal data: certificate-<証明書番号>.<ext>. */
  readonly fileName: string;
}

/**
 * The certificate again, exactly as issued: the PDF is re-rendered from the stored content and card (the
 * same bytes), the .smart-health-card file and the QR image(s) come from the stored JWS.  Refused for a
 * revoked or erased certificate.  'personal.export' in 予防接種; every output is an `export` entry.
 */
export async function certificateOutput(w: Work, deps: CertificationDeps, id: string, format: OutputFormat, qrIndex = 1): Promise<CertificateOutput> {
  const r = await loadCertificate(w, id);
  requireResidentAccess(w.actor, 'personal.export', DUTY, r.atena_no);
  if (r.status === 'revoked') throw conflict('CERTIFICATE_REVOKED', 'この証明書は取り消されています。');
  if (r.erased_at || !r.content) throw conflict('CERTIFICATE_ERASED', '保存期間の経過により証明内容は消去されています。');
  const base = `certificate-${r.certificate_no}`;
  const { healthCardFile, qrChunks, qrPng, SHC_FILE_MEDIA_TYPE } = await shcModule();
  let out: CertificateOutput;
  if (format === 'pdf') {
    const content = r.content as unknown as CertificateContent;
    let passportNumber: string | undefined;
    if (r.kind === 'covid19-overseas') {
      const app = await loadApplication(w, r.application_id);
      if (!app.passport_no) throw conflict('PASSPORT_ITEMS_MISSING', '旅券関係情報が残っていないため海外用を出力できません。');
      passportNumber = await openPassportNumber(deps.tenantKeys, w, app.id, app.passport_no);
    }
    const pdf = await renderCertificatePdf({ content, passportNumber, qr: r.shc_jws ? qrChunks(r.shc_jws) : undefined, verifyUrl: deps.publicUrl ? `${deps.publicUrl}/verify` : undefined });
    out = { body: pdf, mediaType: 'application/pdf', fileName: `${base}.pdf` };
  } else {
    if (!r.shc_jws) throw notFound('SMART Health Card');
    if (format === 'shc') out = { body: JSON.stringify(healthCardFile(r.shc_jws)), mediaType: SHC_FILE_MEDIA_TYPE, fileName: `${base}.smart-health-card` };
    else {
      const chunks = qrChunks(r.shc_jws);
      const chunk = chunks[qrIndex - 1];
      if (!chunk) throw notFound('二次元コード');
      out = { body: await qrPng(chunk, { scale: 6 }), mediaType: 'image/png', fileName: chunks.length > 1 ? `${base}-qr-${qrIndex}.png` : `${base}-qr.png` };
    }
  }
  await appendEntry(w.tx, w, { action: 'export', targetType: 'certificate', targetId: r.certificate_no, subjectRef: `resident:${r.atena_no}`, detail: { format, kind: r.kind } });
  return out;
}

/**
 * Marks an issued certificate revoked (e.g. issued to the wrong person) with a reason; it stays in the
 * register.  A card already handed out still verifies (no revocation list yet, decision 0070).  'personal.write'.
 */
export async function revokeCertificate(w: Work, id: string, raw: unknown): Promise<CertificateSummary> {
  const { reason } = parseInput(Reason, raw);
  const r = await loadCertificate(w, id);
  requireResidentAccess(w.actor, 'personal.write', DUTY, r.atena_no);
  if (r.status === 'revoked') throw conflict('CERTIFICATE_REVOKED', 'この証明書は既に取り消されています。');
  const row = await w.tx.updateTable('municipality.certificates').set({ status: 'revoked', revoked_at: w.clock.now(), revoked_reason: reason }).where('tenant_code', '=', w.tenant).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  await appendEntry(w.tx, w, { action: 'update', targetType: 'certificate', targetId: r.certificate_no, subjectRef: `resident:${r.atena_no}`, purpose: `取消し: ${reason}` });
  return summaryOfCert(row);
}

/** A person's applications and certificates (the resident's 証明書 page).  'personal.read'; logged. */
export async function personCertificates(w: Work, atenaNo: string): Promise<{ applications: ApplicationSummary[]; certificates: (CertificateSummary & { previousNo: string | null })[] }> {
  requireResidentAccess(w.actor, 'personal.read', DUTY, atenaNo);
  const apps = await w.tx.selectFrom('municipality.certificate_applications').selectAll().where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).orderBy('created_at', 'desc').execute();
  const certs = await w.tx.selectFrom('municipality.certificates').selectAll().where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).orderBy('created_at', 'desc').execute();
  const numbers = new Map(certs.map((c) => [c.id, c.certificate_no]));
  await appendEntry(w.tx, w, { action: 'read', targetType: 'certificate-register', targetId: atenaNo, subjectRef: `resident:${atenaNo}` });
  return {
    applications: apps.map((a) => summaryOfApp(a)),
    certificates: certs.map((c) => ({ ...summaryOfCert(c), previousNo: c.previous_id ? (numbers.get(c.previous_id) ?? null) : null })),
  };
}

// ------------------------------------------------------------------------------------------ waiting applications

/** Applications received and not yet issued or cancelled (the staff home's count).  A count only: not logged. */
export async function countWaitingApplications(w: Work): Promise<number> {
  requireResidentAccess(w.actor, 'personal.read', DUTY);
  const r = await w.tx
    .selectFrom('municipality.certificate_applications')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenant_code', '=', w.tenant)
    .where('status', '=', 'received')
    .where('erased_at', 'is', null)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The waiting applications, oldest received first (the 交付待ち screen).  'personal.read'; logged. */
export async function listWaitingApplications(w: Work, opts: { limit?: number; offset?: number } = {}): Promise<ApplicationSummary[]> {
  requireResidentAccess(w.actor, 'personal.read', DUTY);
  const rows = await w.tx
    .selectFrom('municipality.certificate_applications')
    .selectAll()
    .where('tenant_code', '=', w.tenant)
    .where('status', '=', 'received')
    .where('erased_at', 'is', null)
    .orderBy('received_on')
    .orderBy('created_at')
    .limit(Math.min(opts.limit ?? 50, 500))
    .offset(Math.max(opts.offset ?? 0, 0))
    .execute();
  await appendEntry(w.tx, w, { action: 'search', targetType: 'certificate-application', detail: { status: 'received', results: rows.length } });
  return rows.map((a) => summaryOfApp(a));
}
