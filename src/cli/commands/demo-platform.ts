// The demo's digital vaccination platform (issue 12): each demo municipality gets a platform contract, a
// platform administrator and a registration user with a Bearer token (written to <data>/platform/), tells
// 支払基金 its insured persons (国保), and pushes its latest extraction run; one family of 鳥取市 — a parent
// and an infant — gets synthetic My Number cards (PIN 1234) in <data>/cards/ to log in to マイナポータル.
// The clinic side (issue 13): a clinic with a contract with every demo municipality, a receptionist and a
// doctor (passwords in <data>/platform/clinic-<code>.json), and each municipality's billing data (unit prices
// per program, the clinic's bank account, the municipality's own) so that records can be claimed and paid.
// Idempotent: a second start sends only what changed and keeps the files it made.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { App, Organisations } from '../../app/index.js';
import { newMeta, runAs, systemActor, type Principal } from '../../kernel/context/index.js';
import { generateInitialPassword } from '../../kernel/access/index.js';
import { addDaysIso, luhnCheckDigit } from '../../kernel/jp/index.js';
import { enrollInsured, issueCard, platformJobPrincipal, pushRun } from '../../municipality/platform/index.js';
import { listPayees, listPrices, setPayee, setPrice, setRequester } from '../../municipality/billing/index.js';
import { defaultCatalog } from '../../municipality/schedule/index.js';
import { addClinicAccount, addContract, addInstitution, addTenant, applyForUser, approveUser, issueToken, listClinicAccounts, listUsers, PLATFORM_ROLE } from '../../platform/index.js';

export const DEMO_PIN = '1234';

export interface DemoClinic {
  readonly code: string;
  readonly name: string;
  readonly accounts: { role: string; userId: string; password: string }[];
}

export interface DemoPlatform {
  readonly tenants: { code: string; name: string; pushed: number; failed: number; tokenFile: string }[];
  readonly cards: { who: string; name: string; file: string }[];
  readonly clinic: DemoClinic | null;
}

/** The demo clinic: 鳥取県 (31), 医科 (1), 郡市区 01, 医療機関番号 0001, with its 検証番号. */
const CLINIC_FIRST9 = '311010001';
const CLINIC_NAME = 'とっとり小児科クリニック';
/** Representative 委託料 per program (円, 税込); other routine programs 8,000円.  B類: 自己負担 with 減免. */
const DEMO_PRICES: Readonly<Record<string, number>> = { hib: 9_130, pcv: 11_660, bcg: 8_050, mr: 11_220, hepb: 6_270, 'dpt-ipv': 11_440, 'dpt-ipv-hib': 14_850, je: 8_140, hpv: 17_160, varicella: 9_130, rota: 13_200, 'influenza-elderly': 4_950 };

async function prepareDemoClinic(app: App, orgsOfDemo: readonly { code: string; name: string; kana?: string }[], dir: string): Promise<DemoClinic> {
  const pdb = await app.db.forRole(PLATFORM_ROLE);
  const clock = app.config.clock;
  const code = CLINIC_FIRST9 + String(luhnCheckDigit(CLINIC_FIRST9));
  await addInstitution(pdb, clock, { code, name: CLINIC_NAME });
  for (const d of orgsOfDemo) await addContract(pdb, clock, { institution: code, municipality: d.code, from: '2024-04-01' });
  // Passwords are kept (hashed) by the platform only: the demo writes what it made to a file of its own.
  const file = join(dir, `clinic-${code}.json`);
  const known = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoClinic['accounts']) : [];
  const have = new Set((await listClinicAccounts(pdb, code)).map((a) => a.userId));
  const accounts: DemoClinic['accounts'] = [];
  for (const [role, userId, name] of [['reception', 'uketsuke', '受付　花子'], ['doctor', 'ishi', '小児　太郎']] as const) {
    const kept = known.find((k) => k.userId === userId);
    if (have.has(userId) && kept) {
      accounts.push(kept);
      continue;
    }
    if (have.has(userId)) continue; // made by an earlier demo whose file is gone: its password is unknown here
    const password = generateInitialPassword(16);
    await addClinicAccount(pdb, clock, { institution: code, userId, name, role, password, createdBy: 'operator' });
    accounts.push({ role, userId, password });
  }
  writeFileSync(file, JSON.stringify(accounts, null, 2) + '\n', { mode: 0o600 });
  // Each municipality's billing data: prices (once), the clinic's account and its own (依頼人).
  const catalog = defaultCatalog();
  for (const [i, d] of orgsOfDemo.entries()) {
    const who: Principal = { tenant: d.code, actor: systemActor('demo'), meta: newMeta('demo') };
    await runAs(app.db, who, async (w) => {
      if (!(await listPrices(w)).length) {
        for (const [program, versions] of catalog.programsByCode) {
          const category = versions.at(-1)?.category;
          if (category !== 'A類定期' && category !== 'B類定期') continue;
          const b = category === 'B類定期';
          await setPrice(w, { program, validFrom: '2024-04-01', unitPrice: DEMO_PRICES[program] ?? 8_000, copay: b ? 1_500 : 0, copayWaivedFor: b ? ['生活保護', '市町村民税非課税'] : [] });
        }
      }
      if (!(await listPayees(w, { pageSize: 1000 })).rows.some((p) => p.institutionCode === code)) {
        await setPayee(w, { institutionCode: code, name: CLINIC_NAME, kana: 'トットリショウニカクリニック', bankCode: '0166', branchCode: '201', accountType: '1', accountNo: '1234567', holderKana: 'イ）トットリショウニカクリニック' });
      }
      await setRequester(w, { requesterCode: `${d.code}0001`.slice(0, 10), requesterKana: d.kana ?? 'シチョウソン', bankCode: '0166', branchCode: '001', accountType: '1', accountNo: String(7_000_001 + i) });
    });
  }
  return { code, name: CLINIC_NAME, accounts };
}

export async function prepareDemoPlatform(app: App, orgs: Organisations, orgsOfDemo: readonly { code: string; name: string; kana?: string }[], say: (m: string) => void): Promise<DemoPlatform> {
  const pdb = await app.db.forRole(PLATFORM_ROLE);
  const clock = app.config.clock;
  const dir = join(app.config.dataDir, 'platform');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out: DemoPlatform = { tenants: [], cards: [], clinic: null };
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
  return { ...out, clinic: await prepareDemoClinic(app, orgsOfDemo, dir) };
}
