// The registry in `mamori demo` (issue 15): 公金決済 knows the registry as a merchant that sends payers back to
// マイナポータル, and each 資格管理者 has a demo 審査責任者 holding every qualification of its jurisdiction, with
// a staff token written to a file (shown once, as `mamori registry staff token` does).  Idempotent.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Directory } from '../kernel/exchange/index.js';
import { applyForStaff, approveStaff, catalog, issueStaffToken, listStaff, REGISTRY_ROLE, syncAdministrators } from '../registry/index.js';
import { addPaymentMerchant } from './payment.js';
import { merchantOf, PAYMENT_ROLE } from '../peers/payment/index.js';
import type { App } from './index.js';

export interface DemoRegistry {
  readonly examiners: { readonly tenant: string; readonly name: string; readonly userId: string; readonly tokenFile: string }[];
}

export const DEMO_REGISTRY_MERCHANT = 'REG00001';

export async function prepareDemoRegistry(app: App, directory: Directory, dir: string): Promise<DemoRegistry> {
  const clock = app.config.clock;
  const paymentDb = await app.db.forRole(PAYMENT_ROLE);
  if (!(await merchantOf(paymentDb, 'registry'))) {
    await addPaymentMerchant(app, { node: 'registry', merchantCode: DEMO_REGISTRY_MERCHANT, name: '厚生労働省 国家資格登録', returnOrigins: [new URL(directory.entry('mynaportal').url).origin] });
  }
  const db = await app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(db, clock);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const examiners: DemoRegistry['examiners'][number][] = [];
  for (const admin of catalog().administrators) {
    const userId = 'demo-shinsa';
    const qualifications = catalog().qualifications.filter((q) => q.administrator === admin.code).map((q) => q.code);
    if (!(await listStaff(db, admin.code)).some((s) => s.userId === userId)) {
      await applyForStaff(db, clock, { tenant: admin.code, userId, name: '見本 審査責任者', affiliation: 'ministry', affiliationName: admin.name, role: 'supervisor', qualifications, reason: 'デモの審査', appliedBy: 'operator' });
      await approveStaff(db, clock, admin.code, userId, 'operator');
    }
    const t = await issueStaffToken(db, clock, admin.code, userId);
    const tokenFile = join(dir, `registry-${admin.code}.token`);
    writeFileSync(tokenFile, `${t.token}\n`, { mode: 0o600 });
    examiners.push({ tenant: admin.code, name: admin.name, userId, tokenFile });
  }
  return { examiners };
}
