// The legacy VRS path for COVID-19 (XCH-20…22, VAX-39; decision 0140), both ends of it in the municipality
// system:
//
// - asking (XCH-20): staff with the vaccination duty record the consent form (新接種券発行申請書兼接種記録
//   確認同意書) and the ID check (番号法16条), the person's My Number is read from this municipality's own
//   住基 (the vault) for sending only, and asker + provider + My Number go to VRS, encrypted, for the
//   purpose 'move-in-inquiry'.  VRS relays the previous municipality's signed answer: only that person's
//   COVID-19 records, encrypted to this node.  The answer is stored (never the My Number) and adopted into
//   the ledger by staff, as the 情報提供ネットワーク inquiry's is.
// - providing (XCH-21): the service `covid.provide`, called by VRS only, for the purpose
//   'move-out-provision' only.  The My Number is matched with the vault's blind index in the provider's
//   tenant; nothing matches → {status:'none'} and nothing is stored (not the number, not a trace of it);
//   a match → that person's COVID-19 records, encrypted to the asking municipality's node, and an entry in
//   the provider's operation log naming the person (never the number).
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { MamoriDb, UntypedDatabase } from '../../kernel/db/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import type { ExchangeNode, Incoming, ServiceDef } from '../../kernel/exchange/index.js';
import { newMeta, runAs, systemActor, type Principal, type Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { checkMyNumber } from '../../kernel/mynumber/index.js';
import { invalidField, isProblem, notFound, Problem } from '../../kernel/problems/index.js';
import { PERSON_SUBJECT } from '../residents/index.js';
import { dataUseServices } from './platform-data-use.js';
import { adoptAnswer, answeredFields, dosesOf, previousMunicipality, requireInquiryDuty, type AdoptResult, type ExchangedDose, type MunicipalExchange } from './inquiries.js';

export const VRS_NODE = 'vrs';
/** Purpose of the My Number read for sending (operation log). */
export const COVID_SEND_PURPOSE = '転入者の接種記録照会（VRS）のための個人番号の送信';
/** Purpose of the blind-index match at the provider (operation log). */
export const COVID_PROVIDE_PURPOSE = '転出者の接種記録提供（VRS）';
const INQUIRY_PURPOSE = '転入者の接種記録照会（新型コロナ・VRS）';

/** 本人確認書類 accepted at the counter, as screens name them. */
export const ID_DOCUMENTS = {
  'mynumber-card': 'マイナンバーカード',
  'driving-licence': '運転免許証',
  other: 'その他',
} as const;
export type IdDocument = keyof typeof ID_DOCUMENTS;

export interface CovidConsent {
  /** Number of the 新接種券発行申請書兼接種記録確認同意書. */
  readonly formNo?: unknown;
  readonly idDocument?: unknown;
}

export interface CovidDeps {
  readonly db: MamoriDb;
  readonly vault: Vault;
}

export interface CovidInquiryView {
  readonly exchangeId: string;
  readonly atenaNo: string;
  readonly provider: string;
  readonly providerName: string | null;
  readonly consentFormNo: string;
  readonly idDocument: IdDocument;
  readonly checkedBy: string;
  readonly status: 'provided' | 'none';
  readonly records: ExchangedDose[];
  readonly askedAt: Date;
  readonly adoptedBy: string | null;
  readonly adoptedAt: Date | null;
  readonly adoptedCount: number | null;
}

const any = (w: Work) => w.tx as unknown as Kysely<UntypedDatabase>;

/** XCH-20 (1): the consent form number and the ID document are required before anything is sent. */
export function parseConsent(c: CovidConsent | undefined): { formNo: string; idDocument: IdDocument } {
  const formNo = typeof c?.formNo === 'string' ? c.formNo.normalize('NFKC').trim() : '';
  if (!formNo) throw invalidField('consent.formNo', 'CONSENT_FORM_REQUIRED', '同意書（新接種券発行申請書兼接種記録確認同意書）の番号を入力してください');
  if (formNo.length > 40 || /\p{Cc}/u.test(formNo)) throw invalidField('consent.formNo', 'CONSENT_FORM_INVALID', '同意書の番号は40文字以内で入力してください');
  const idDocument = c?.idDocument;
  if (typeof idDocument !== 'string' || !Object.hasOwn(ID_DOCUMENTS, idDocument)) {
    throw invalidField('consent.idDocument', 'ID_DOCUMENT_REQUIRED', '本人確認書類（マイナンバーカード・運転免許証・その他）を選んでください');
  }
  return { formNo, idDocument: idDocument as IdDocument };
}

/**
 * The principal that reads the person's My Number for sending when the staff member does not hold the My
 * Number view flag: the system sends the number as the law allows (番号法19条), the staff member never
 * sees it — the same internal read path the 市町村CS notification uses (cs.ts).  Its login names the staff
 * member, so the operation log shows on whose inquiry the number was read.
 */
function sendPrincipal(who: Principal): Principal {
  return { tenant: who.tenant, actor: { ...systemActor(`vrs-send:${who.actor.login}`), mynumberView: true }, meta: newMeta('exchange:covid-inquiry', { requestId: who.meta.requestId, terminalId: who.meta.terminalId, clientAddress: who.meta.clientAddress }) };
}

interface VrsAnswer {
  exchangeId?: unknown;
  status?: unknown;
  count?: unknown;
  provider?: unknown;
  asker?: unknown;
}

interface ProviderBody {
  exchangeId?: unknown;
  status?: unknown;
  provider?: unknown;
  asker?: unknown;
  count?: unknown;
  records?: unknown;
}

const mismatch = (why: string) => new Problem(502, 'RELAYED_MISMATCH', '転入前の市区町村の応答を確認できません', why);

/** Verifies the provider's signed answer VRS relayed, and returns its records (decrypted for this node). */
async function providerAnswer(node: ExchangeNode, res: Incoming, expect: { exchangeId: string; status: 'provided' | 'none'; provider: string; asker: string; count: number }): Promise<ExchangedDose[]> {
  const jws = res.envelope.relayed?.[0];
  if (!jws) throw mismatch('VRS の応答に転入前の市区町村の署名付き応答がありません。');
  const inner = await node.verifyRelayed(jws, node.name);
  if (inner.envelope.aud !== VRS_NODE || inner.envelope.svc !== 'covid.provide') throw mismatch('中継された応答の宛先またはサービスが違います。');
  const b = (inner.body ?? {}) as ProviderBody;
  if (b.exchangeId !== expect.exchangeId || b.status !== expect.status) throw mismatch('中継された応答の照会番号または結果が VRS の応答と一致しません。');
  if (expect.status === 'none') {
    if (inner.envelope.enc) throw mismatch('該当なしの応答に暗号化された本文があります。');
    return [];
  }
  if (inner.envelope.enc?.to !== node.name) throw mismatch('提供された記録がこの組織あてに暗号化されていません。');
  if (b.provider !== expect.provider || b.asker !== expect.asker) throw mismatch('提供した団体または照会した団体が一致しません。');
  const records = dosesOf(b.records);
  if (records.length !== expect.count) throw mismatch('提供された記録の件数が VRS の記録と一致しません。');
  // Only COVID-19 records may come this way (VAX-39: the purpose is the move-in inquiry of COVID-19).
  if (records.some((r) => !r.program?.startsWith('covid'))) throw mismatch('新型コロナ以外の接種記録が含まれています。');
  return records;
}

/**
 * XCH-20: asks the previous municipality (or `provider`), through VRS, for a moved-in person's COVID-19
 * records.  Consent and ID check are required; the My Number is read from this municipality's vault for
 * sending only.  Returns the stored inquiry; a refusal (VRS, the provider, the duty) is thrown with nothing
 * stored but an operation-log entry.
 */
export async function askCovidHistory(
  deps: CovidDeps,
  who: Principal,
  x: MunicipalExchange,
  atenaNo: string,
  opts: { provider?: string; consent?: CovidConsent },
): Promise<CovidInquiryView> {
  const { db, vault } = deps;
  const prev = await runAs(db, who, async (w) => {
    requireInquiryDuty(w, atenaNo);
    if (!/^\d{10}$/.test(atenaNo)) throw notFound('住民');
    const p = await any(w).selectFrom('municipality.persons').select(['atena_no']).where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).executeTakeFirst();
    if (!p) throw notFound('住民');
    return previousMunicipality(w, atenaNo);
  });
  const consent = parseConsent(opts.consent);
  const provider = opts.provider ?? prev?.code;
  if (!provider) {
    throw new Problem(409, 'PREVIOUS_MUNICIPALITY_UNKNOWN', '転入前の市区町村が分かりません', '転入前住所から照会先の市区町村を特定できません。照会先の団体コードを指定してください。');
  }
  if (!/^\d{6}$/.test(provider)) throw new Problem(400, 'PROVIDER_INVALID', '照会先の団体コードが正しくありません', '照会先は6桁の地方公共団体コードで指定してください。');
  // XCH-20 (2): the number confirmed against 住基 — this municipality's own record of the person.
  const subject = { subjectType: PERSON_SUBJECT, subjectId: atenaNo };
  const reveal = (w: Work) => vault.reveal(w, subject, COVID_SEND_PURPOSE, { subjectRef: `resident:${atenaNo}` });
  const held = await runAs(db, who, (w) => vault.has(w, subject));
  if (!held) throw new Problem(409, 'NO_MYNUMBER', '個人番号が登録されていません', 'この方の個人番号が住民記録にないため、VRS で照会できません。');
  const myNumber = who.actor.mynumberView ? await runAs(db, who, reveal) : await runAs(db, sendPrincipal(who), reveal);
  const fail = async (e: unknown) => {
    if (!isProblem(e)) return;
    await runAs(db, who, (w) =>
      appendEntry(w.tx, w, {
        action: 'exchange_inquiry',
        targetType: 'covid-inquiry',
        subjectRef: `resident:${atenaNo}`,
        purpose: INQUIRY_PURPOSE,
        outcome: e.status === 403 ? 'denied' : 'failure',
        detail: { provider, via: VRS_NODE, consentFormNo: consent.formNo, idDocument: consent.idDocument, code: e.code },
      }),
    );
  };
  let res: Incoming;
  let answer: VrsAnswer;
  let records: ExchangedDose[];
  try {
    res = await x.node.call(
      VRS_NODE,
      'covid.inquiry',
      { asker: who.tenant, provider, purpose: 'move-in-inquiry', myNumber, consent: { formNo: consent.formNo, idDocument: consent.idDocument, checkedBy: who.actor.login } },
      { personal: true },
    );
    answer = (res.body ?? {}) as VrsAnswer;
    if (typeof answer.exchangeId !== 'string' || answer.exchangeId.length > 64 || (answer.status !== 'provided' && answer.status !== 'none') || typeof answer.count !== 'number' || answer.provider !== provider || answer.asker !== who.tenant) {
      throw new Problem(502, 'EXCHANGE_BAD_ANSWER', 'VRS の応答を読めません', '照会の応答の形式が正しくありません。');
    }
    records = await providerAnswer(x.node, res, { exchangeId: answer.exchangeId, status: answer.status, provider, asker: who.tenant, count: answer.count });
  } catch (e) {
    await fail(e);
    throw e;
  }
  const exchangeId = answer.exchangeId as string;
  const status = answer.status as 'provided' | 'none';
  return runAs(db, who, async (w) => {
    const org = await sql<{ name: string }>`SELECT name FROM kernel.organisations WHERE code = ${provider}`.execute(w.tx);
    await any(w)
      .insertInto('municipality.covid_inquiries')
      .values({
        tenant_code: w.tenant,
        exchange_id: exchangeId,
        atena_no: atenaNo,
        provider_code: provider,
        provider_name: org.rows[0]?.name ?? null,
        consent_form_no: consent.formNo,
        id_document: consent.idDocument,
        checked_by: w.actor.login,
        status,
        records: JSON.stringify(records),
        asked_at: w.clock.now(),
      })
      .execute();
    await appendEntry(w.tx, w, {
      action: 'exchange_inquiry',
      targetType: 'covid-inquiry',
      targetId: exchangeId,
      subjectRef: `resident:${atenaNo}`,
      purpose: INQUIRY_PURPOSE,
      detail: { provider, via: VRS_NODE, consentFormNo: consent.formNo, idDocument: consent.idDocument, status, records: records.length },
    });
    return getIn(w, exchangeId);
  });
}

function view(r: Record<string, unknown>): CovidInquiryView {
  return {
    ...answeredFields(r),
    consentFormNo: String(r['consent_form_no']),
    idDocument: r['id_document'] as IdDocument,
    checkedBy: String(r['checked_by']),
    status: r['status'] as CovidInquiryView['status'],
  };
}

async function getIn(w: Work, exchangeId: string): Promise<CovidInquiryView> {
  const r = await any(w).selectFrom('municipality.covid_inquiries').selectAll().where('tenant_code', '=', w.tenant).where('exchange_id', '=', exchangeId).executeTakeFirst();
  if (!r) throw notFound('照会');
  return view(r);
}

export async function getCovidInquiry(w: Work, exchangeId: string): Promise<CovidInquiryView> {
  const v = await getIn(w, exchangeId);
  requireInquiryDuty(w, v.atenaNo);
  await appendEntry(w.tx, w, { action: 'read', targetType: 'covid-inquiry', targetId: exchangeId, subjectRef: `resident:${v.atenaNo}` });
  return v;
}

export async function listCovidInquiries(w: Work, atenaNo: string): Promise<CovidInquiryView[]> {
  requireInquiryDuty(w, atenaNo);
  const rows = await any(w).selectFrom('municipality.covid_inquiries').selectAll().where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).orderBy('asked_at', 'desc').limit(100).execute();
  return rows.map(view);
}

/** Adopts the answered COVID-19 doses into the ledger (source 他団体, sourceRef = exchange id), once. */
export async function adoptCovidInquiry(w: Work, exchangeId: string, opts: { only?: readonly number[] } = {}): Promise<AdoptResult> {
  return adoptAnswer(w, await getIn(w, exchangeId), { table: 'municipality.covid_inquiries', targetType: 'covid-inquiry', via: 'ワクチン接種記録システム（VRS）' }, opts);
}

/** XCH-22: the provisions VRS recorded for this municipality (as asker or provider). */
export async function covidProvisionRecords(x: MunicipalExchange, tenant: string): Promise<Record<string, unknown>[]> {
  const res = await x.node.call(VRS_NODE, 'records', { tenant }, {});
  return ((res.body as { records?: Record<string, unknown>[] } | undefined)?.records ?? []);
}

// ------------------------------------------------------------------ providing side (XCH-21)

function providePrincipal(tenant: string): Principal {
  // The provision is the system's automatic answer to VRS; it reads no number in clear (blind index only).
  return { tenant, actor: systemActor('vrs-provide'), meta: newMeta('exchange:covid.provide') };
}

/** The services other organisations call on the municipality node (today: VRS's covid.provide). */
export function municipalityServices(deps: CovidDeps, opts: { vrsNode?: string; self?: string } = {}): Record<string, ServiceDef> {
  const vrs = opts.vrsNode ?? VRS_NODE;
  return {
    'covid.provide': {
      title: '転出者の接種記録提供（新型コロナ・VRS）',
      from: (s) => s === vrs,
      async handle(msg) {
        const b = (msg.body ?? {}) as Record<string, unknown>;
        // VAX-39: this path provides for one purpose only.
        if (b['purpose'] !== 'move-out-provision') {
          throw new Problem(403, 'PURPOSE_NOT_ALLOWED', '新型コロナの事務で個人番号を利用できない目的です', '転出者の接種記録提供（move-out-provision）の場合に限り提供します。個人番号を利用できるのは、転入者の接種記録照会・転出者の接種記録提供・接種証明書の交付の3つの場面に限られます。');
        }
        const exchangeId = b['exchangeId'];
        if (typeof exchangeId !== 'string' || !exchangeId || exchangeId.length > 64) throw invalidField('exchangeId', 'INVALID_EXCHANGE_ID', '照会番号（exchangeId）を指定してください');
        const provider = b['provider'];
        const asker = b['asker'];
        if (typeof provider !== 'string' || !/^\d{6}$/.test(provider)) throw invalidField('provider', 'INVALID_PROVIDER', 'provider は6桁の団体コードです');
        if (typeof asker !== 'string' || !/^\d{6}$/.test(asker)) throw invalidField('asker', 'INVALID_ASKER', 'asker は6桁の団体コードです');
        const c = checkMyNumber(typeof b['myNumber'] === 'string' ? b['myNumber'] : '');
        if (!c.ok) throw invalidField('myNumber', c.code, c.message);
        const known = await sql<{ code: string }>`SELECT code FROM kernel.organisations WHERE code = ${provider} AND kind = 'municipality'`.execute(deps.db.system);
        if (!known.rows[0]) throw new Problem(404, 'PROVIDER_UNKNOWN', '提供する市区町村がありません', `団体コード ${provider} の市区町村はこのシステムにありません。`);
        const found = await runAs(deps.db, providePrincipal(provider), async (w) => {
          // XCH-21: the number the asking municipality confirmed, matched locally by blind index only.
          const ids = await deps.vault.lookup(w, PERSON_SUBJECT, c.value, COVID_PROVIDE_PURPOSE);
          if (ids.length === 0) return null;
          if (ids.length > 1) throw new Problem(409, 'MYNUMBER_AMBIGUOUS', '個人番号に複数の住民が該当します', '提供元の住民記録を確認してください。');
          const atenaNo = ids[0]!;
          const rows = await any(w)
            .selectFrom('municipality.vaccination_records')
            .select(['data'])
            .where('tenant_code', '=', w.tenant)
            .where('atena_no', '=', atenaNo)
            .where('status', '<>', 'deleted')
            .where(sql<boolean>`data->>'program' LIKE 'covid%'`)
            .orderBy('vaccinated_on')
            .execute();
          const records = rows.map((r) => {
            const d = r.data as Record<string, unknown>;
            return { program: (d['program'] as string) ?? null, dose: (d['dose'] as number | null) ?? null, date: (d['vaccinatedOn'] as string | null) ?? null, product: (d['product'] as string | null) ?? null, lot: (d['lot'] as string | null) ?? null };
          });
          await appendEntry(w.tx, w, {
            action: 'exchange_provide',
            targetType: 'covid-inquiry',
            targetId: exchangeId,
            subjectRef: `resident:${atenaNo}`,
            purpose: COVID_PROVIDE_PURPOSE,
            detail: { asker, via: vrs, records: records.length },
          });
          return { records };
        });
        if (!found || found.records.length === 0) {
          // Nothing to provide: a clear answer, nothing kept (XCH-21).
          return { body: { exchangeId, status: 'none', count: 0 } };
        }
        const count = found.records.length;
        return {
          // VRS reads and records only this; the records are for the asking municipality's node alone.
          clear: { exchangeId, status: 'provided', count },
          body: { exchangeId, status: 'provided', provider, asker, count, records: found.records },
          personal: true,
          encTo: opts.self ?? msg.envelope.aud,
        };
      },
    },
  };
}

/** Publishes the municipality node's JWKS and its services on a Fastify instance (staff server or bare node). */
export function registerMunicipalityServices(fastify: FastifyInstance, deps: CovidDeps, node: ExchangeNode): void {
  // …and the platform's datause.provide (platform-data-use.ts).
  node.serve(fastify, { ...municipalityServices(deps, { self: node.name }), ...dataUseServices(deps, node) });
}
