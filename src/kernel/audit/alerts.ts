// Tampering raises an alert without anyone running `mamori audit verify` (KRN-34, decision 0115).
//
// The maintenance job (app/jobs.ts: at start and hourly) calls verifyAndAlert for every tenant chain: the
// result is kept (kernel.audit_verifications) and a failure opens a persistent alert (kernel.audit_alerts)
// with an operation-log entry.  Administrators (account-admin) and auditors (audit-review) see open alerts
// as a banner on every staff page and on the audit viewer; only an auditor acknowledges one, with a reason
// (logged).  A failure that is still there the next hour does not open the alert again: the log is
// append-only, so a broken entry stays broken, and the acknowledgement says what was done about it.
import type { Generated, Kysely } from 'kysely';
import type { Database, MamoriDb } from '../db/index.js';
import type { AuditTrust } from './chain.js';
import { newMeta, runAs, systemActor, type Actor, type Work } from '../context/index.js';
import { authorize, can } from '../policy/index.js';
import { conflict, notFound, parseInput } from '../problems/index.js';
import { text } from '../fields/index.js';
import { appendEntry } from './entry.js';
import { verifyChains, type VerifyResult } from './verify.js';

export interface AuditVerificationTable {
  tenant_code: string;
  checked_at: Date;
  ok: boolean;
  verified: number | string;
  failure_kind: string | null;
  failure_seq: number | string | null;
  message: string | null;
}

export interface AuditAlertTable {
  tenant_code: string;
  id: Generated<string>;
  signature: string;
  kind: string;
  seq: number | string | null;
  message: string;
  raised_at: Date;
  last_seen_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  ack_reason: string | null;
}

declare module '../db/types.js' {
  interface Database {
    'kernel.audit_verifications': AuditVerificationTable;
    'kernel.audit_alerts': AuditAlertTable;
  }
}

export interface AuditAlert {
  readonly id: string;
  readonly tenant: string;
  readonly kind: string;
  readonly seq: number | null;
  /** What the verification found (Japanese, names the entry by seq and id; never personal data). */
  readonly message: string;
  readonly raisedAt: Date;
  readonly lastSeenAt: Date;
  readonly acknowledgedAt: Date | null;
  readonly acknowledgedBy: string | null;
  readonly ackReason: string | null;
}

export interface VerificationOutcome {
  readonly result: VerifyResult;
  /** The alert opened by this run (a failure not seen before), if any. */
  readonly raised: AuditAlert | null;
}

const toAlert = (r: Omit<AuditAlertTable, 'id'> & { id: string }): AuditAlert => ({
  id: r.id,
  tenant: r.tenant_code,
  kind: r.kind,
  seq: r.seq === null ? null : Number(r.seq),
  message: r.message,
  raisedAt: r.raised_at,
  lastSeenAt: r.last_seen_at,
  acknowledgedAt: r.acknowledged_at,
  acknowledgedBy: r.acknowledged_by,
  ackReason: r.ack_reason,
});

/**
 * Verifies every tenant's chain (or one), records each result and opens an alert for each failure not seen
 * before.  Runs as the system actor of the maintenance job.
 */
export async function verifyAndAlert(db: MamoriDb, verifier: AuditTrust, tenant?: string, now = db.config.clock.now()): Promise<VerificationOutcome[]> {
  const results = await verifyChains(db.system, verifier, tenant);
  const out: VerificationOutcome[] = [];
  for (const result of results) {
    const who = { tenant: result.tenant, actor: systemActor('audit-verify'), meta: newMeta('job:audit-verify') };
    const raised = await runAs(db, who, async (w) => {
      const f = result.failure;
      const row = { checked_at: now, ok: result.ok, verified: result.verified, failure_kind: f?.kind ?? null, failure_seq: f?.seq ?? null, message: f?.message ?? null };
      await w.tx
        .insertInto('kernel.audit_verifications')
        .values({ tenant_code: w.tenant, ...row })
        .onConflict((oc) => oc.column('tenant_code').doUpdateSet(row))
        .execute();
      if (!f) return null;
      const signature = `${f.kind}:${f.seq ?? '-'}`;
      const seen = await w.tx
        .updateTable('kernel.audit_alerts')
        .set({ last_seen_at: now })
        .where('tenant_code', '=', w.tenant)
        .where('signature', '=', signature)
        .executeTakeFirst();
      if (Number(seen.numUpdatedRows) > 0) return null;
      const a = await w.tx
        .insertInto('kernel.audit_alerts')
        .values({ tenant_code: w.tenant, signature, kind: f.kind, seq: f.seq, message: f.message, raised_at: now, last_seen_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
      await appendEntry(w.tx, w, { action: 'audit_alert', targetType: 'audit-alert', targetId: a.id, outcome: 'failure', detail: { kind: f.kind, seq: f.seq, verified: result.verified } });
      return toAlert(a);
    });
    out.push({ result, raised });
  }
  return out;
}

/**
 * Open (unacknowledged) alerts of a tenant, oldest first.  `db` is a tenant-confined transaction (w.tx) or
 * the system connection.  For the staff home work list, the banner and the audit viewer.
 */
export async function openAuditAlerts(db: Kysely<Database>, tenant: string): Promise<AuditAlert[]> {
  const rows = await db.selectFrom('kernel.audit_alerts').selectAll().where('tenant_code', '=', tenant).where('acknowledged_at', 'is', null).orderBy('raised_at').execute();
  return rows.map(toAlert);
}

/** Every alert of a tenant, newest first (the audit viewer's list, acknowledged ones included). */
export async function auditAlerts(db: Kysely<Database>, tenant: string, limit = 50): Promise<AuditAlert[]> {
  const rows = await db.selectFrom('kernel.audit_alerts').selectAll().where('tenant_code', '=', tenant).orderBy('raised_at', 'desc').limit(limit).execute();
  return rows.map(toAlert);
}

/** The last scheduled verification of a tenant, if any ran. */
export async function lastVerification(db: Kysely<Database>, tenant: string): Promise<AuditVerificationTable | undefined> {
  return db.selectFrom('kernel.audit_verifications').selectAll().where('tenant_code', '=', tenant).executeTakeFirst();
}

/** Who is shown the alerts: administrators (account-admin) and auditors (audit-review). */
export function maySeeAuditAlerts(actor: Actor): boolean {
  return can(actor, 'audit.review', 'audit-review') || can(actor, 'accounts.manage', 'account-admin');
}

/** An auditor acknowledges an alert with a reason (what was checked or done); logged. */
export async function acknowledgeAuditAlert(w: Work, id: string, reason: unknown): Promise<AuditAlert> {
  authorize(w.actor, 'audit.review', 'audit-review', { type: 'audit-alert', id });
  const why = parseInput(text(500), reason, 'reason');
  const r = await w.tx.selectFrom('kernel.audit_alerts').selectAll().where('tenant_code', '=', w.tenant).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!r) throw notFound('改ざん検知の警告');
  if (r.acknowledged_at) throw conflict('ALREADY_ACKNOWLEDGED', 'この警告は確認済みです。');
  const a = await w.tx
    .updateTable('kernel.audit_alerts')
    .set({ acknowledged_at: w.clock.now(), acknowledged_by: w.actor.login, ack_reason: why })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await appendEntry(w.tx, w, { action: 'audit_alert_ack', targetType: 'audit-alert', targetId: id, purpose: why, detail: { kind: r.kind, seq: r.seq === null ? null : Number(r.seq) } });
  return toAlert(a);
}
