// 証明書交付簿 (the certificate register, VAX-27): issued certificates per municipality with filters, and its
// CSV; and the retention of what the register holds beyond the facts of issue (decision 0072).
import { jstToday } from '../../kernel/jp/index.js';
import { z } from 'zod';
import { sql } from 'kysely';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { fields } from '../../kernel/access/index.js';
import { parseInput } from '../../kernel/problems/index.js';
import { csvDocument } from '../../kernel/csv/index.js';
import type { TenantDataClass } from '../../kernel/retention/index.js';
import { requireResidentAccess } from '../residents/index.js';
import { checkCertificateNumber, formatCertificateNumber } from './number.js';
import { AGENT_RELATION_LABELS, APPLICANT_LABELS, CERTIFICATE_KINDS, CHANNELS, CHANNEL_LABELS, KIND_SHORT, type AgentRelation, type ApplicantKind, type CertificateContent, type CertificateKindCode, type ChannelCode } from './model.js';

export const RegisterFilter = z
  .object({
    from: fields.plainDate.optional(),
    to: fields.plainDate.optional(),
    kind: z.enum(CERTIFICATE_KINDS).optional(),
    channel: z.enum(CHANNELS).optional(),
    status: z.enum(['issued', 'revoked']).optional(),
    /** A whole 証明書番号 (hyphens allowed). */
    number: fields.optionalText(30),
    limit: z.coerce.number().int().min(1).max(10_000).default(500),
  })
  .superRefine((f, ctx) => {
    if (f.from && f.to && f.from > f.to) ctx.addIssue({ code: 'custom', path: ['to'], message: '期間の終わりが始まりより前です', params: { code: 'RANGE' } });
    const n = f.number ? checkCertificateNumber(f.number) : undefined;
    if (n && !n.ok) ctx.addIssue({ code: 'custom', path: ['number'], message: n.reason, params: { code: 'CERTIFICATE_NUMBER_INVALID' } });
  });
export type RegisterFilterInput = z.input<typeof RegisterFilter>;

export interface RegisterRow {
  readonly id: string;
  readonly certificateNo: string;
  readonly issueDate: string;
  readonly kind: CertificateKindCode;
  readonly channel: ChannelCode;
  readonly receivedOn: string;
  readonly applicant: ApplicantKind;
  readonly agentRelation: AgentRelation | null;
  readonly atenaNo: string;
  /** 氏名 as certified (null once the content was erased by the retention run). */
  readonly name: string | null;
  readonly doseCount: number;
  readonly excludedCount: number;
  readonly previousNo: string | null;
  readonly status: 'issued' | 'revoked';
  readonly revokedReason: string | null;
  readonly issuedBy: string;
  readonly issuedAt: Date;
}

function describe(f: z.output<typeof RegisterFilter>): Record<string, unknown> {
  return Object.fromEntries(Object.entries({ from: f.from, to: f.to, kind: f.kind, channel: f.channel, status: f.status, number: !!f.number }).filter(([, v]) => v !== undefined && v !== false));
}

async function query(w: Work, f: z.output<typeof RegisterFilter>): Promise<RegisterRow[]> {
  let q = w.tx
    .selectFrom('municipality.certificates as c')
    .innerJoin('municipality.certificate_applications as a', (j) => j.onRef('a.tenant_code', '=', 'c.tenant_code').onRef('a.id', '=', 'c.application_id'))
    .leftJoin('municipality.certificates as p', (j) => j.onRef('p.tenant_code', '=', 'c.tenant_code').onRef('p.id', '=', 'c.previous_id'))
    .select([
      'c.id', 'c.certificate_no', 'c.issue_date', 'c.kind', 'a.channel', 'a.received_on', 'a.applicant', 'a.agent_relation', 'c.atena_no', 'c.content', 'c.dose_count', 'c.excluded',
      'p.certificate_no as previous_no', 'c.status', 'c.revoked_reason', 'c.created_by', 'c.created_at',
    ])
    .where('c.tenant_code', '=', w.tenant);
  if (f.from) q = q.where('c.issue_date', '>=', f.from);
  if (f.to) q = q.where('c.issue_date', '<=', f.to);
  if (f.kind) q = q.where('c.kind', '=', f.kind);
  if (f.channel) q = q.where('a.channel', '=', f.channel);
  if (f.status) q = q.where('c.status', '=', f.status);
  if (f.number) {
    const n = checkCertificateNumber(f.number);
    if (n.ok) q = q.where('c.certificate_no', '=', n.number);
  }
  const rows = await q.orderBy('c.issue_date', 'desc').orderBy('c.certificate_no', 'desc').limit(f.limit).execute();
  return rows.map((r) => ({
    id: r.id, certificateNo: r.certificate_no, issueDate: r.issue_date, kind: r.kind, channel: r.channel, receivedOn: r.received_on, applicant: r.applicant,
    agentRelation: (r.agent_relation as AgentRelation | null) ?? null, atenaNo: r.atena_no, name: (r.content as CertificateContent | null)?.person.name ?? null,
    doseCount: r.dose_count, excludedCount: (r.excluded as unknown[]).length, previousNo: r.previous_no ?? null, status: r.status, revokedReason: r.revoked_reason,
    issuedBy: r.created_by, issuedAt: r.created_at,
  }));
}

/** The register, newest first (at most `limit` rows).  'personal.read' in 予防接種; a `search` entry. */
export async function certificateRegister(w: Work, raw: unknown = {}): Promise<RegisterRow[]> {
  requireResidentAccess(w.actor, 'personal.read', ['vaccination']);
  const f = parseInput(RegisterFilter, raw);
  const rows = await query(w, f);
  await appendEntry(w.tx, w, { action: 'search', targetType: 'certificate-register', detail: { filters: describe(f), results: rows.length } });
  return rows;
}

const CSV_HEADER = ['証明書番号', '交付日', '種別', '受付方法', '受付日', '申請者', '代理人の資格', '宛名番号', '氏名', '記載した接種の件数', '記載しなかった記録の件数', '再交付元の証明書番号', '状態', '取消理由', '交付者', '交付日時'];


/**
 * The register as CSV (UTF-8 with BOM, CRLF; docs/formats/certificates.md).  No My Number, no passport item.
 * 'personal.export' in 予防接種; an `export` entry.
 */
export async function certificateRegisterCsv(w: Work, raw: unknown = {}): Promise<string> {
  requireResidentAccess(w.actor, 'personal.export', ['vaccination']);
  const f = parseInput(RegisterFilter, { limit: 10_000, ...(raw as Record<string, unknown>) });
  const rows = await query(w, f);
  await appendEntry(w.tx, w, { action: 'export', targetType: 'certificate-register', detail: { filters: describe(f), rows: rows.length, format: 'csv' } });
  const lines = rows.map((r) =>
    [
      formatCertificateNumber(r.certificateNo), r.issueDate, KIND_SHORT[r.kind], CHANNEL_LABELS[r.channel], r.receivedOn, APPLICANT_LABELS[r.applicant],
      r.agentRelation ? AGENT_RELATION_LABELS[r.agentRelation] : '', r.atenaNo, r.name ?? '（消去済み）', r.doseCount, r.excludedCount,
      r.previousNo ? formatCertificateNumber(r.previousNo) : '', r.status === 'revoked' ? '取消し' : '交付', r.revokedReason ?? '', r.issuedBy, r.issuedAt,
    ],
  );
  return csvDocument(CSV_HEADER, lines);
}

// ------------------------------------------------------------------ retention (decision 0072)

/**
 * 証明書交付簿の証明内容・旅券関係情報: five years after issue (or after receipt, for an application never
 * issued) the certified content, the stored card and the application's personal items (agent's name,
 * ローマ字氏名, 国籍, 旧姓・別名, sealed 旅券番号, note) are erased.  The register row stays: number, dates,
 * kind, channel, record references and hashes.  Logical deletion with approval (KRN-38, KRN-39).
 */
export const CERTIFICATE_CONTENT_CLASS: TenantDataClass = {
  name: 'certificate-content',
  label: '証明書の証明内容・旅券関係情報',
  duty: 'vaccination',
  scope: 'tenant',
  defaultPolicy: { mode: 'years', period: 5, deletion: 'logical', requiresApproval: true },
  methods: ['logical'],
  async count(w, cutoff) {
    const c = await w.tx.selectFrom('municipality.certificates').select(({ fn }) => fn.countAll<number>().as('n')).where('tenant_code', '=', w.tenant).where('erased_at', 'is', null).where('issue_date', '<', jstToday(cutoff)).executeTakeFirst();
    const a = await dueApplications(w, cutoff).select(({ fn }) => fn.countAll<number>().as('n')).executeTakeFirst();
    return Number(c?.n ?? 0) + Number(a?.n ?? 0);
  },
  async purge(w, cutoff) {
    const certs = await w.tx
      .updateTable('municipality.certificates')
      .set({ content: null, shc_jws: null, erased_at: w.clock.now() })
      .where('tenant_code', '=', w.tenant)
      .where('erased_at', 'is', null)
      .where('issue_date', '<', jstToday(cutoff))
      .returning('certificate_no')
      .execute();
    const due = await dueApplications(w, cutoff).select('a.id').execute();
    if (due.length) {
      await w.tx
        .updateTable('municipality.certificate_applications')
        .set({ agent_name: null, romaji_family: null, romaji_given: null, nationality: null, other_name: null, passport_no: null, note: null, erased_at: w.clock.now() })
        .where('tenant_code', '=', w.tenant)
        .where('id', 'in', due.map((d) => d.id))
        .execute();
    }
    return { count: certs.length + due.length, targetIds: [...certs.map((c) => `certificate:${c.certificate_no}`), ...due.map((d) => `certificate-application:${d.id}`)] };
  },
};

/** Applications not yet erased whose receipt, and whose certificate if any, is older than the cutoff. */
// Periods run on business dates (issue_date, received_on), which come from the kernel clock, not on the
// database's own row stamps (decision 0086).
function dueApplications(w: Work, cutoff: Date) {
  return w.tx
    .selectFrom('municipality.certificate_applications as a')
    .where('a.tenant_code', '=', w.tenant)
    .where('a.erased_at', 'is', null)
    .where('a.received_on', '<', jstToday(cutoff))
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('municipality.certificates as c').select(sql<number>`1`.as('one')).whereRef('c.tenant_code', '=', 'a.tenant_code').whereRef('c.application_id', '=', 'a.id').where('c.issue_date', '>=', jstToday(cutoff)))),
    );
}
