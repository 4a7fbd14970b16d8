// ワクチン接種記録システム（VRS, operated by デジタル庁）node `vrs`, decision 0140: the legacy path of the
// COVID-19 move-in inquiry (XCH-20…22, VAX-39).  The asking municipality sends the previous municipality's
// code and the person's My Number (番号法19条, the only path the law allows here), encrypted to VRS; VRS
// asks the previous municipality (`covid.provide`), which matches the number locally and answers with only
// that person's COVID-19 records, encrypted to the asking municipality; VRS relays that signed answer
// unchanged and records the provision.  VRS stores no vaccination record and no My Number: the number is
// held only in memory for the length of the call, and never logged.  Contract:
// docs/formats/exchange-protocol.md, "vrs".
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { createNodeServer, type PeerContext, type PeerService, type ServiceDef } from '../../kernel/exchange/index.js';
import type { MigrationSource, UntypedDatabase } from '../../kernel/db/index.js';
import { checkMyNumber } from '../../kernel/mynumber/index.js';
import { invalidField, isProblem, parseInput, Problem } from '../../kernel/problems/index.js';

export const VRS_SCHEMA = 'peers_vrs';
export const VRS_ROLE = 'mamori_vrs';
export const VRS_NODE = 'vrs';

export const vrsMigrations: MigrationSource = {
  schema: VRS_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

/**
 * VAX-39: the only purposes for which My Number may be used in COVID-19 work (000/001/002:
 * 「以下の３つの場面に限定」).  Any other purpose is refused, whatever the service.
 */
export const COVID_PURPOSES = {
  'move-in-inquiry': '転入者の接種記録照会',
  'move-out-provision': '転出者の接種記録提供',
  certificate: '接種証明書の交付',
} as const;
export type CovidPurpose = keyof typeof COVID_PURPOSES;

const PURPOSE_LIST = Object.entries(COVID_PURPOSES)
  .map(([k, v]) => `${v}（${k}）`)
  .join('、');

export function isCovidPurpose(p: unknown): p is CovidPurpose {
  return typeof p === 'string' && Object.hasOwn(COVID_PURPOSES, p);
}

function purposeNotAllowed(purpose: unknown, service: string, only: CovidPurpose): Problem {
  const allowed = isCovidPurpose(purpose);
  return new Problem(
    403,
    'PURPOSE_NOT_ALLOWED',
    '新型コロナの事務で個人番号を利用できない目的です',
    allowed
      ? `「${service}」は${COVID_PURPOSES[only]}（${only}）のためだけに利用できます。`
      : `個人番号を利用できるのは次の3つの場面に限られます: ${PURPOSE_LIST}。`,
  );
}

const code6 = (field: string) => z.string({ message: `${field} は6桁の団体コードです` }).regex(/^[0-9]{6}$/, { message: `${field} は6桁の団体コードです` });

const inquirySchema = z.object({
  asker: code6('asker'),
  provider: code6('provider'),
  myNumber: z.string({ message: '個人番号（myNumber）を指定してください' }),
  consent: z.object(
    {
      formNo: z.string({ message: '同意書の番号（consent.formNo）を指定してください' }).trim().min(1, { message: '同意書の番号（consent.formNo）を指定してください' }).max(40),
      idDocument: z.string({ message: '本人確認書類（consent.idDocument）を指定してください' }).trim().min(1, { message: '本人確認書類（consent.idDocument）を指定してください' }).max(40),
      checkedBy: z.string({ message: '確認した職員（consent.checkedBy）を指定してください' }).trim().min(1, { message: '確認した職員（consent.checkedBy）を指定してください' }).max(200),
    },
    { message: '同意書と本人確認の記録（consent）を指定してください' },
  ),
});

export interface ProvisionRow {
  readonly exchangeId: string;
  readonly asker: string;
  readonly provider: string;
  readonly purpose: string;
  readonly purposeName: string | null;
  readonly requestedAt: string;
  readonly answeredAt: string | null;
  readonly count: number;
  readonly outcome: 'provided' | 'none' | 'refused' | 'failed';
  readonly code: string | null;
  readonly consentFormNo: string | null;
  readonly idDocument: string | null;
  readonly checkedBy: string | null;
}

interface ProvisionInput {
  exchangeId: string;
  asker: string;
  provider: string;
  purpose: string;
  requestedAt: Date;
  answeredAt: Date | null;
  count: number;
  outcome: ProvisionRow['outcome'];
  code: string | null;
  consent: { formNo: string; idDocument: string; checkedBy: string } | null;
  requestMsgId: string;
  answerMsgId: string | null;
}

async function recordProvision(db: Kysely<UntypedDatabase>, p: ProvisionInput): Promise<void> {
  await db
    .insertInto(`${VRS_SCHEMA}.provisions`)
    .values({
      exchange_id: p.exchangeId,
      asker: p.asker,
      provider: p.provider,
      purpose: p.purpose.slice(0, 100),
      requested_at: p.requestedAt,
      answered_at: p.answeredAt,
      record_count: p.count,
      outcome: p.outcome,
      code: p.code,
      consent_form_no: p.consent?.formNo ?? null,
      id_document: p.consent?.idDocument ?? null,
      checked_by: p.consent?.checkedBy ?? null,
      request_msg_id: p.requestMsgId,
      answer_msg_id: p.answerMsgId,
    })
    .execute();
}

/** The provisions a municipality took part in, as asker or provider (XCH-22), oldest first. */
export async function provisionsOf(db: Kysely<UntypedDatabase>, tenant: string, limit = 10_000): Promise<ProvisionRow[]> {
  const rows = await db
    .selectFrom(`${VRS_SCHEMA}.provisions`)
    .selectAll()
    .where((eb) => eb.or([eb('asker', '=', tenant), eb('provider', '=', tenant)]))
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    exchangeId: r.exchange_id,
    asker: r.asker,
    provider: r.provider,
    purpose: r.purpose,
    purposeName: isCovidPurpose(r.purpose) ? COVID_PURPOSES[r.purpose] : null,
    requestedAt: new Date(r.requested_at).toISOString(),
    answeredAt: r.answered_at ? new Date(r.answered_at).toISOString() : null,
    count: Number(r.record_count),
    outcome: r.outcome,
    code: r.code ?? null,
    consentFormNo: r.consent_form_no ?? null,
    idDocument: r.id_document ?? null,
    checkedBy: r.checked_by ?? null,
  }));
}

/** The clear part of the provider's answer (what VRS may read and record). */
interface ProviderClear {
  exchangeId?: unknown;
  status?: unknown;
  count?: unknown;
}

export interface VrsOptions {
  /** Node that hosts the municipalities (default 'municipality'). */
  readonly municipalityNode?: string;
}

export function vrsServices(ctx: PeerContext, opts: VrsOptions = {}): Record<string, ServiceDef> {
  const db: Kysely<UntypedDatabase> = ctx.db;
  const municipality = opts.municipalityNode ?? 'municipality';

  return {
    'covid.inquiry': {
      title: '転入者の接種記録照会（新型コロナ・VRS）',
      from: (s) => s === municipality,
      async handle(msg) {
        const requestedAt = ctx.clock.now();
        const raw = (msg.body ?? {}) as Record<string, unknown>;
        const purpose = raw['purpose'];
        // VAX-39 before anything else: a purpose outside the three is refused, and the refusal recorded.
        if (purpose !== 'move-in-inquiry') {
          const asker = typeof raw['asker'] === 'string' && /^[0-9]{6}$/.test(raw['asker']) ? raw['asker'] : null;
          const provider = typeof raw['provider'] === 'string' && /^[0-9]{6}$/.test(raw['provider']) ? raw['provider'] : null;
          if (asker && provider) {
            await recordProvision(db, {
              exchangeId: randomUUID(), asker, provider, purpose: typeof purpose === 'string' ? purpose : String(purpose ?? ''), requestedAt, answeredAt: requestedAt,
              count: 0, outcome: 'refused', code: 'PURPOSE_NOT_ALLOWED', consent: null, requestMsgId: msg.id, answerMsgId: null,
            });
          }
          throw purposeNotAllowed(purpose, '転入者の接種記録照会', 'move-in-inquiry');
        }
        const q = parseInput(inquirySchema, raw);
        const c = checkMyNumber(q.myNumber);
        // The message names the field, never the value.
        if (!c.ok) throw invalidField('myNumber', c.code, c.message);
        if (q.asker === q.provider) {
          throw new Problem(400, 'SAME_MUNICIPALITY', '照会先が照会元と同じです', '転入前の市区町村（provider）には、照会する市区町村（asker）と異なる団体を指定してください。');
        }
        const exchangeId = randomUUID();
        const base = { exchangeId, asker: q.asker, provider: q.provider, purpose: 'move-in-inquiry', requestedAt, consent: q.consent, requestMsgId: msg.id };
        let answer;
        try {
          answer = await ctx.node.call(
            municipality,
            'covid.provide',
            { exchangeId, provider: q.provider, asker: q.asker, purpose: 'move-out-provision', myNumber: c.value },
            { personal: true },
          );
        } catch (e) {
          if (isProblem(e)) await recordProvision(db, { ...base, answeredAt: ctx.clock.now(), count: 0, outcome: 'failed', code: e.code, answerMsgId: null });
          throw e;
        }
        const clear = ((answer.envelope.enc ? answer.envelope.body : answer.body) ?? {}) as ProviderClear;
        const status = clear.status;
        const count = clear.count;
        const consistent =
          clear.exchangeId === exchangeId &&
          typeof count === 'number' && Number.isInteger(count) && count >= 0 &&
          ((status === 'provided' && !!answer.envelope.enc && answer.envelope.enc.to === municipality && count > 0) || (status === 'none' && !answer.envelope.enc && count === 0));
        if (!consistent) {
          await recordProvision(db, { ...base, answeredAt: ctx.clock.now(), count: 0, outcome: 'failed', code: 'PROVIDER_BAD_ANSWER', answerMsgId: answer.id });
          throw new Problem(502, 'PROVIDER_BAD_ANSWER', '転入前の市区町村の応答を読めません', '提供の応答の形式が正しくありません（照会番号・結果・件数）。');
        }
        await recordProvision(db, { ...base, answeredAt: ctx.clock.now(), count: count as number, outcome: status as 'provided' | 'none', code: null, answerMsgId: answer.id });
        return { body: { exchangeId, asker: q.asker, provider: q.provider, status, count }, relayed: [answer.jws] };
      },
    },

    records: {
      title: '他市区町村への提供の記録（VRS）',
      from: (s) => s === municipality,
      async handle(msg) {
        const tenant = (msg.body as { tenant?: unknown } | null)?.tenant;
        if (typeof tenant !== 'string' || !/^[0-9]{6}$/.test(tenant)) throw invalidField('tenant', 'INVALID_TENANT', 'tenant は6桁の団体コードです');
        return { body: { tenant, records: await provisionsOf(db, tenant) }, personal: true };
      },
    },
  };
}

/** Builds the VRS node: its Fastify instance with the JWKS and its services (not yet listening). */
export async function buildVrsNode(ctx: PeerContext, opts: VrsOptions = {}): Promise<PeerService> {
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, vrsServices(ctx, opts));
  return { fastify };
}
