// Retention and deletion (KRN-35, KRN-37..39, KRN-05).
//
// Each data class declares a default policy; a tenant may override it (kernel.retention_policies).
// The scheduled run computes each class's cutoff and either deletes at once (policies without approval,
// e.g. the operation log after 3 years) or files a deletion request that an authorised person approves.
// Tenant data is purged inside the tenant's own RLS-confined transaction, so one tenant's run can never
// delete another's rows; every deletion writes a deletion record and an operation-log entry.
import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Database, MamoriDb, RetentionPolicyTable } from '../db/index.js';
import { runAs, systemActor, newMeta, type Principal, type Work } from '../context/index.js';
import type { AuditTrust } from '../audit/index.js';
import { appendEntry } from '../audit/index.js';
import { countPurgeableAudit, purgeAuditBefore } from '../audit/index.js';
import { authorize } from '../policy/index.js';
import { conflict, invalidField, notFound, parseInput } from '../problems/index.js';
import { text } from '../fields/index.js';

export type RetentionMode = RetentionPolicyTable['mode'];
export type DeletionMethod = 'logical' | 'physical';

export interface PolicyValue {
  readonly mode: RetentionMode;
  readonly period: number | null;
  readonly deletion: DeletionMethod;
  readonly requiresApproval: boolean;
}

export interface PurgeOutcome {
  readonly count: number;
  /** Internal keys (or a range description) of what was deleted; never personal values. */
  readonly targetIds: string[];
}

interface DataClassBase {
  readonly name: string;
  readonly label: string;
  /** Duty within which deletion requests of this class are approved. */
  readonly duty: string;
  readonly defaultPolicy: PolicyValue;
  readonly methods: readonly DeletionMethod[];
  /** Smallest period allowed, e.g. the legal minimum (in years). */
  readonly minimumYears?: number;
}

export interface TenantDataClass extends DataClassBase {
  readonly scope: 'tenant';
  count(w: Work, cutoff: Date): Promise<number>;
  purge(w: Work, cutoff: Date, method: DeletionMethod): Promise<PurgeOutcome>;
}

export interface SystemContext {
  readonly system: Kysely<Database>;
  readonly auditKeys: AuditTrust;
}

export interface SystemDataClass extends DataClassBase {
  readonly scope: 'system';
  count(ctx: SystemContext, tenant: string, cutoff: Date): Promise<number>;
  /** Runs its own transaction and calls `record` inside it so that the deletion record commits with the purge. */
  purge(ctx: SystemContext, tenant: string, cutoff: Date, record: (tx: Kysely<Database>, o: PurgeOutcome) => Promise<void>): Promise<PurgeOutcome>;
}

export type DataClass = TenantDataClass | SystemDataClass;

export const AUDIT_LOG_CLASS: SystemDataClass = {
  name: 'audit-log',
  label: '操作ログ',
  duty: 'account-admin',
  scope: 'system',
  defaultPolicy: { mode: 'years', period: 3, deletion: 'physical', requiresApproval: false },
  methods: ['physical'],
  count: (ctx, tenant, cutoff) => countPurgeableAudit(ctx.system, tenant, cutoff),
  async purge(ctx, tenant, cutoff, record) {
    let outcome: PurgeOutcome = { count: 0, targetIds: [] };
    await purgeAuditBefore(ctx.system, ctx.auditKeys, tenant, cutoff, async (tx, r) => {
      outcome = { count: r.deleted, targetIds: r.throughSeq ? [`seq<=${r.throughSeq}`] : [] };
      if (r.deleted > 0) await record(tx, outcome);
    });
    return outcome;
  },
};

export const SESSION_CLASS: TenantDataClass = {
  name: 'sessions',
  label: 'ログインセッション記録',
  duty: 'account-admin',
  scope: 'tenant',
  defaultPolicy: { mode: 'years', period: 1, deletion: 'physical', requiresApproval: false },
  methods: ['physical'],
  async count(w, cutoff) {
    const r = await w.tx
      .selectFrom('kernel.sessions')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .where('tenant_code', '=', w.tenant)
      .where('ended_at', '<', cutoff)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  },
  async purge(w, cutoff) {
    const rows = await w.tx.deleteFrom('kernel.sessions').where('tenant_code', '=', w.tenant).where('ended_at', '<', cutoff).returning('id').execute();
    return { count: rows.length, targetIds: rows.map((r) => r.id) };
  },
};

export class Retention {
  private readonly classes = new Map<string, DataClass>();

  constructor(classes: readonly DataClass[] = [AUDIT_LOG_CLASS, SESSION_CLASS]) {
    for (const c of classes) this.register(c);
  }

  register(c: DataClass): void {
    this.classes.set(c.name, c);
  }

  list(): DataClass[] {
    return [...this.classes.values()];
  }

  get(name: string): DataClass | undefined {
    return this.classes.get(name);
  }

  async policies(w: Work): Promise<{ dataClass: DataClass; policy: PolicyValue; overridden: boolean }[]> {
    const rows = await w.tx.selectFrom('kernel.retention_policies').selectAll().where('tenant_code', '=', w.tenant).execute();
    const byName = new Map(rows.map((r) => [r.data_class, r]));
    return this.list().map((c) => {
      const r = byName.get(c.name);
      return r
        ? { dataClass: c, policy: { mode: r.mode, period: r.period, deletion: r.deletion, requiresApproval: r.requires_approval }, overridden: true }
        : { dataClass: c, policy: c.defaultPolicy, overridden: false };
    });
  }

  async setPolicy(w: Work, dataClass: string, raw: unknown): Promise<PolicyValue> {
    authorize(w.actor, 'settings.manage', 'account-admin', { type: 'retention-policy', id: dataClass });
    const c = this.classes.get(dataClass);
    if (!c) throw invalidField('dataClass', 'DATA_CLASS_UNKNOWN', '不明なデータ区分です');
    const p = parseInput(PolicyInput, raw);
    if (!c.methods.includes(p.deletion)) throw invalidField('deletion', 'DELETION_METHOD', `「${c.label}」は${c.methods.map((m) => (m === 'logical' ? '論理削除' : '物理削除')).join('・')}のみ選択できます`);
    if (c.minimumYears && p.mode !== 'permanent' && p.mode !== 'while-registered') {
      const years = p.mode === 'years' ? p.period! : p.period! / 365;
      if (years < c.minimumYears) throw invalidField('period', 'PERIOD_TOO_SHORT', `「${c.label}」の保存期間は${c.minimumYears}年以上にしてください`);
    }
    const before = (await this.policies(w)).find((x) => x.dataClass.name === dataClass)?.policy;
    await w.tx
      .insertInto('kernel.retention_policies')
      .values({ tenant_code: w.tenant, data_class: dataClass, mode: p.mode, period: p.period, deletion: p.deletion, requires_approval: p.requiresApproval, updated_by: w.actor.login })
      .onConflict((oc) => oc.columns(['tenant_code', 'data_class']).doUpdateSet({ mode: p.mode, period: p.period, deletion: p.deletion, requires_approval: p.requiresApproval, updated_by: w.actor.login, updated_at: w.clock.now() }))
      .execute();
    await appendEntry(w.tx, w, { action: 'retention_change', targetType: 'retention-policy', targetId: dataClass, detail: { before, after: p } });
    return p;
  }

  /** Files or executes the purges that are due for one tenant.  Returns what happened per class. */
  async runTenant(db: MamoriDb, sys: SystemContext, tenant: string, now = db.config.clock.now()): Promise<RetentionRunItem[]> {
    const who: Principal = { tenant, actor: systemActor('retention'), meta: newMeta('job:retention') };
    const pols = await runAs(db, who, (w) => this.policies(w));
    const out: RetentionRunItem[] = [];
    for (const { dataClass: c, policy: p } of pols) {
      const cutoff = cutoffOf(p, now);
      if (!cutoff) continue;
      const reason = `保存期間（${describePolicy(p)}）の経過`;
      if (p.requiresApproval) {
        const open = await runAs(db, who, (w) =>
          w.tx.selectFrom('kernel.deletion_requests').select('id').where('tenant_code', '=', tenant).where('data_class', '=', c.name).where('status', 'in', ['pending', 'approved']).executeTakeFirst(),
        );
        if (open) continue;
        const n = c.scope === 'tenant' ? await runAs(db, who, (w) => c.count(w, cutoff)) : await c.count(sys, tenant, cutoff);
        if (n === 0) continue;
        const id = await runAs(db, who, async (w) => {
          const r = await w.tx.insertInto('kernel.deletion_requests').values({ tenant_code: tenant, data_class: c.name, cutoff, candidate_count: n, reason, status: 'pending', requested_by: w.actor.login }).returning('id').executeTakeFirstOrThrow();
          await appendEntry(w.tx, w, { action: 'deletion_request', targetType: 'deletion-request', targetId: r.id, detail: { dataClass: c.name, candidates: n } });
          return r.id;
        });
        out.push({ dataClass: c.name, action: 'requested', count: n, requestId: id });
      } else {
        const done = await this.execute(db, sys, tenant, c, cutoff, p.deletion, reason, null);
        if (done.count > 0) out.push({ dataClass: c.name, action: 'deleted', count: done.count, requestId: null });
      }
    }
    // Approved requests are executed with the cutoff they were approved for.
    const approved = await runAs(db, who, (w) => w.tx.selectFrom('kernel.deletion_requests').selectAll().where('tenant_code', '=', tenant).where('status', '=', 'approved').execute());
    for (const r of approved) {
      const c = this.classes.get(r.data_class);
      if (!c) continue;
      const p = pols.find((x) => x.dataClass.name === r.data_class)!.policy;
      const done = await this.execute(db, sys, tenant, c, new Date(r.cutoff as Date), p.deletion, r.reason, r.id);
      await runAs(db, who, (w) => w.tx.updateTable('kernel.deletion_requests').set({ status: 'executed', executed_at: w.clock.now(), deleted_count: done.count }).where('tenant_code', '=', tenant).where('id', '=', r.id).execute());
      out.push({ dataClass: c.name, action: 'deleted', count: done.count, requestId: r.id });
    }
    return out;
  }

  private async execute(db: MamoriDb, sys: SystemContext, tenant: string, c: DataClass, cutoff: Date, method: DeletionMethod, reason: string, requestId: string | null): Promise<PurgeOutcome> {
    const who: Principal = { tenant, actor: systemActor('retention'), meta: newMeta('job:retention') };
    const record = async (tx: Kysely<Database>, o: PurgeOutcome): Promise<void> => {
      await tx.insertInto('kernel.deletion_records').values({ tenant_code: tenant, data_class: c.name, method, deleted_count: o.count, target_ids: o.targetIds.slice(0, 10_000), reason, request_id: requestId, executed_by: who.actor.login }).execute();
      await appendEntry(tx, who, { action: 'purge', targetType: c.name, purpose: reason, detail: { count: o.count, method, cutoff: cutoff.toISOString(), requestId } });
    };
    if (c.scope === 'system') return c.purge(sys, tenant, cutoff, record);
    return runAs(db, who, async (w) => {
      const o = await c.purge(w, cutoff, method);
      if (o.count > 0) await record(w.tx, o);
      return o;
    });
  }

  async listRequests(w: Work): Promise<DeletionRequestView[]> {
    const rows = await w.tx.selectFrom('kernel.deletion_requests').selectAll().where('tenant_code', '=', w.tenant).orderBy('requested_at', 'desc').limit(200).execute();
    return rows.map((r) => ({ id: r.id, dataClass: r.data_class, label: this.classes.get(r.data_class)?.label ?? r.data_class, cutoff: new Date(r.cutoff as Date), candidates: r.candidate_count, reason: r.reason, status: r.status, requestedBy: r.requested_by, requestedAt: r.requested_at, decidedBy: r.decided_by, deletedCount: r.deleted_count }));
  }

  /** Approve or reject a pending deletion request (KRN-39). */
  async decide(w: Work, requestId: string, approve: boolean, note: unknown): Promise<void> {
    const r = await w.tx.selectFrom('kernel.deletion_requests').selectAll().where('tenant_code', '=', w.tenant).where('id', '=', requestId).forUpdate().executeTakeFirst();
    if (!r) throw notFound('削除申請');
    const c = this.classes.get(r.data_class);
    authorize(w.actor, 'deletion.approve', c?.duty ?? 'account-admin', { type: 'deletion-request', id: requestId });
    const reason = parseInput(text(500), note, 'reason');
    if (r.status !== 'pending') throw conflict('NOT_PENDING', 'この削除申請は処理済みです。');
    await w.tx.updateTable('kernel.deletion_requests').set({ status: approve ? 'approved' : 'rejected', decided_by: w.actor.login, decided_at: w.clock.now() }).where('tenant_code', '=', w.tenant).where('id', '=', requestId).execute();
    await appendEntry(w.tx, w, { action: 'deletion_decide', targetType: 'deletion-request', targetId: requestId, purpose: reason, detail: { approve, dataClass: r.data_class } });
  }

  async deletionRecords(w: Work, limit = 200) {
    return w.tx.selectFrom('kernel.deletion_records').selectAll().where('tenant_code', '=', w.tenant).orderBy('executed_at', 'desc').limit(limit).execute();
  }
}

export interface RetentionRunItem {
  readonly dataClass: string;
  readonly action: 'deleted' | 'requested';
  readonly count: number;
  readonly requestId: string | null;
}

export interface DeletionRequestView {
  id: string;
  dataClass: string;
  label: string;
  cutoff: Date;
  candidates: number;
  reason: string;
  status: string;
  requestedBy: string;
  requestedAt: Date;
  decidedBy: string | null;
  deletedCount: number | null;
}

const PolicyInput = z
  .object({
    mode: z.enum(['years', 'days', 'while-registered', 'permanent']),
    period: z.coerce.number().int().positive().max(1000).nullable().default(null),
    deletion: z.enum(['logical', 'physical']),
    requiresApproval: z.boolean().default(true),
  })
  .superRefine((v, ctx) => {
    if ((v.mode === 'years' || v.mode === 'days') !== (v.period !== null)) {
      ctx.addIssue({ code: 'custom', path: ['period'], message: '年数・日数指定のときだけ期間を入力してください', params: { code: 'PERIOD_MODE' } });
    }
  });

export function cutoffOf(p: PolicyValue, now: Date): Date | null {
  if (p.mode === 'years') {
    const d = new Date(now);
    d.setUTCFullYear(d.getUTCFullYear() - p.period!);
    return d;
  }
  if (p.mode === 'days') return new Date(now.getTime() - p.period! * 86400_000);
  return null; // permanent / while-registered: nothing expires by time
}

export function describePolicy(p: PolicyValue): string {
  switch (p.mode) {
    case 'years':
      return `${p.period}年`;
    case 'days':
      return `${p.period}日`;
    case 'while-registered':
      return '登録中は保存';
    case 'permanent':
      return '永年保存';
  }
}
