// The demo's digital vaccination platform (issue 12): each demo municipality gets a platform contract, a
// platform administrator and a registration user with a Bearer token (written to <data>/platform/), tells
// 支払基金 its insured persons (国保), and pushes its latest extraction run; one family of 鳥取市 — a parent
// and an infant — gets synthetic My Number cards (PIN 1234) in <data>/cards/ to log in to マイナポータル.
// Idempotent: a second start sends only what changed and keeps the files it made.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { App, Organisations } from '../../app/index.js';
import type { Principal } from '../../kernel/context/index.js';
import { addDaysIso } from '../../kernel/jp/index.js';
import { enrollInsured, issueCard, platformJobPrincipal, pushRun } from '../../municipality/platform/index.js';
import { addTenant, applyForUser, approveUser, issueToken, listUsers, PLATFORM_ROLE } from '../../platform/index.js';

export const DEMO_PIN = '1234';

export interface DemoPlatform {
  readonly tenants: { code: string; name: string; pushed: number; failed: number; tokenFile: string }[];
  readonly cards: { who: string; name: string; file: string }[];
}

export async function prepareDemoPlatform(app: App, orgs: Organisations, orgsOfDemo: readonly { code: string; name: string }[], say: (m: string) => void): Promise<DemoPlatform> {
  const pdb = await app.db.forRole(PLATFORM_ROLE);
  const clock = app.config.clock;
  const dir = join(app.config.dataDir, 'platform');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out: DemoPlatform = { tenants: [], cards: [] };
  for (const d of orgsOfDemo) {
    await addTenant(pdb, clock, { code: d.code, name: d.name, node: 'municipality' });
    const users = await listUsers(pdb, d.code);
    if (!users.some((u) => u.userId === 'pmh-admin')) {
      await applyForUser(pdb, clock, { tenant: d.code, userId: 'pmh-admin', email: `pmh-admin@${d.code}.example.jp`, name: `${d.name} プラットフォーム管理者`, permissionId: 'admin', reason: 'デモの契約時の管理者', appliedBy: 'operator' });
      await approveUser(pdb, clock, d.code, 'pmh-admin', 'operator');
      await applyForUser(pdb, clock, { tenant: d.code, userId: 'pmh-link', email: `pmh-link@${d.code}.example.jp`, name: `${d.name} 健康管理システム連携`, permissionId: 'register', reason: '健康管理システムからの連携', appliedBy: 'pmh-admin' });
      await approveUser(pdb, clock, d.code, 'pmh-link', 'pmh-admin');
    }
    const tokenFile = join(dir, `${d.code}.token`);
    if (!existsSync(tokenFile)) writeFileSync(tokenFile, (await issueToken(pdb, clock, d.code, 'pmh-link')).token + '\n', { mode: 0o600 });
    const job = platformJobPrincipal(d.code);
    const holder: Principal = { ...job, actor: { ...job.actor, mynumberView: true } };
    const x = { node: orgs.municipal.node };
    await enrollInsured({ db: app.db, vault: app.vault }, holder, x);
    const run = await sql<{ id: string }>`
      SELECT id::text AS id FROM municipality.extraction_runs WHERE tenant_code = ${d.code} AND kind = 'targets' AND status = 'complete' ORDER BY created_at DESC LIMIT 1`.execute(app.db.system);
    let pushed = 0;
    let failed = 0;
    if (run.rows[0]) {
      const r = await pushRun({ db: app.db, vault: app.vault }, holder, x, { runId: run.rows[0].id });
      pushed = r.registered + r.updated + r.unchanged;
      failed = r.failed;
    }
    out.tenants.push({ code: d.code, name: d.name, pushed, failed, tokenFile });
  }
  // One family of the first municipality: an infant of the run and its 世帯主.
  const first = orgsOfDemo[0];
  if (first) {
    const cards = join(app.config.dataDir, 'cards');
    mkdirSync(cards, { recursive: true, mode: 0o700 });
    const family = await sql<{ child: string; child_name: string; parent: string; parent_name: string }>`
      SELECT c.atena_no AS child, c.state->>'nameKanji' AS child_name, p.atena_no AS parent, p.state->>'nameKanji' AS parent_name
      FROM municipality.persons c JOIN municipality.persons p
        ON p.tenant_code = c.tenant_code AND p.state->>'householdNo' = c.state->>'householdNo' AND p.state->>'relationship' = '世帯主' AND p.atena_no <> c.atena_no AND p.status = 'resident'
      WHERE c.tenant_code = ${first.code} AND c.status = 'resident' AND c.state->>'birthDate' > ${addDaysIso(clock.today(), -700)}
        AND EXISTS (SELECT 1 FROM municipality.platform_targets t WHERE t.tenant_code = c.tenant_code AND t.atena_no = c.atena_no)
      ORDER BY c.atena_no LIMIT 1`.execute(app.db.system);
    const f = family.rows[0];
    if (f) {
      const job = platformJobPrincipal(first.code);
      const window: Principal = { ...job, actor: { ...job.actor, mynumberView: true } };
      for (const [who, atena, name] of [['保護者', f.parent, f.parent_name], ['子', f.child, f.child_name]] as const) {
        const file = join(cards, `${first.code}-${atena}.json`);
        if (!existsSync(file)) {
          const c = await issueCard({ db: app.db, vault: app.vault, clock }, window, orgs.municipal.node, atena, DEMO_PIN);
          writeFileSync(file, JSON.stringify(c.cardFile, null, 2) + '\n', { mode: 0o600 });
        }
        out.cards.push({ who, name, file });
      }
    } else say('デモの家族（乳児と世帯主）が見つからないため、カードのファイルは作りませんでした。');
  }
  return out;
}
