// Background work of a running server: sealing the operation log into its hash chains (every second; the
// same run writes a signed checkpoint, also to the witness file, when the newest is a minute old by the
// kernel clock or 1,000 entries behind — KRN-34, decision 0120),
// and the maintenance at start and hourly — expiring accounts past their date (KRN-19), the retention run
// (KRN-37) and the verification of every tenant's operation-log chain, which opens an alert for
// administrators and auditors when it finds tampering (KRN-34, decision 0115).
import type { App } from './index.js';
import { sealPending, verifyAndAlert } from '../kernel/audit/index.js';
import { expireAccounts } from '../kernel/access/index.js';
import { newMeta, runAs, systemActor } from '../kernel/context/index.js';
import { listOrganisations } from '../kernel/tenancy/index.js';
import { logger } from '../kernel/log/index.js';

export async function runMaintenance(app: App, now = app.config.clock.now()): Promise<void> {
  const tenants = (await listOrganisations(app.db.system)).filter((o) => o.kind !== 'clinic').map((o) => o.code);
  for (const t of tenants) {
    const expired = await runAs(app.db, { tenant: t, actor: systemActor('maintenance'), meta: newMeta('job:maintenance') }, (w) => expireAccounts(w));
    const purged = await app.retention.runTenant(app.db, { system: app.db.system, auditKeys: app.auditKeys }, t, now);
    if (expired || purged.length) logger().info({ tenant: t, expired, retention: purged }, 'maintenance');
  }
  await sealPending(app.db.system, app.auditKeys);
  for (const v of await verifyAndAlert(app.db, app.auditKeys, undefined, now)) {
    if (!v.result.ok) logger().error({ tenant: v.result.tenant, failure: v.result.failure, newAlert: v.raised?.id ?? null }, 'operation log verification failed');
  }
}

export function startJobs(app: App, opts: { sealEveryMs?: number; maintenanceEveryMs?: number } = {}): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  let stopped = false;
  const guard = (what: string, fn: () => Promise<unknown>) => () => {
    if (stopped) return;
    running = running.then(fn).catch((e: unknown) => logger().error({ err: e }, `${what} failed`));
  };
  const seal = setInterval(guard('audit seal', () => sealPending(app.db.system, app.auditKeys)), opts.sealEveryMs ?? 1000);
  const maint = setInterval(guard('maintenance', () => runMaintenance(app)), opts.maintenanceEveryMs ?? 3600_000);
  guard('maintenance', () => runMaintenance(app))();
  return async () => {
    stopped = true;
    clearInterval(seal);
    clearInterval(maint);
    await running;
    await sealPending(app.db.system, app.auditKeys).catch(() => undefined);
  };
}
