// platform.register (issue 12): target registrations per second through the registration API — Bearer
// authentication, validation of every row, PMH key issuance through 支払基金 (insurerhub, signed and
// encrypted messages, blind-index lookups, mis-link check), sealing of My Number and basic information,
// linkage status, handling log and call log — for 100,000 targets in requests of 1,000.  Baseline, measured
// in the same run: a plain multi-row INSERT of the same rows (number and information in clear, the same
// vaccination and notice rows) into a scratch table, 1,000 per statement.
import { sql } from 'kysely';
import { type BenchCase, type BenchResult } from '../kernel/bench/index.js';
import { syntheticMyNumber } from '../kernel/mynumber/index.js';
import { addTenant, applyForUser, approveUser, issueToken, putSettings, PLATFORM_ROLE } from '../platform/index.js';
import type { AppBenchContext } from './bench.js';
import { startOrganisations } from './nodes.js';

const TENANT = '312011';
const CHUNK = 1000;

/** Items per second for `n` items done by `work` (wall time; the bench measures, domain logic never does). */
async function throughputOf(n: number, work: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await work();
  return n / ((performance.now() - t0) / 1000);
}

function row(i: number): Record<string, unknown> {
  return {
    modificationSeg: '1',
    municipalityIdentityKey: `B${String(i).padStart(9, '0')}`,
    myNumber: syntheticMyNumber('bench-platform', i),
    basicFiveInfo: { name: `基盤 太郎${i % 1000}`, nameKana: 'キバン タロウ', address: '鳥取県鳥取市尚徳町116番地', dateOfBirth: '2025-04-01', sex: i % 2 ? '1' : '2' },
    guardianName: '基盤 花子',
    targetCategory: '1',
    reductionCategory: '0',
    vaccinations: [{ programCode: 'hib', dose: 1, dueFrom: '2025-06-01', dueUntil: '2030-03-31' }],
    notices: [{ noticeId: `N${i}`, templateId: 'notice-default', programCode: 'hib', dose: 1, voucherNo: String(1_000_000_000 + i), issuedOn: '2025-05-20' }],
  };
}

export const platformRegisterCase: BenchCase<AppBenchContext> = {
  name: 'platform.register',
  description: 'プラットフォームへの対象者登録（API認証・検証・PMHキー採番・暗号化・連携状況・取扱いログ）',
  async run(ctx): Promise<BenchResult> {
    const app = await ctx.app();
    const total = ctx.quick ? 10_000 : 100_000;
    const orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0 });
    try {
      const pdb = await app.db.forRole(PLATFORM_ROLE);
      const clock = app.config.clock;
      await addTenant(pdb, clock, { code: TENANT, name: '鳥取市', node: 'municipality' });
      const admin = `bench-admin-${Date.now().toString(36)}`;
      const reg = `bench-reg-${Date.now().toString(36)}`;
      await applyForUser(pdb, clock, { tenant: TENANT, userId: admin, email: 'admin@bench.example.jp', name: 'ベンチ 管理', permissionId: 'admin', reason: 'bench', appliedBy: 'operator' });
      await approveUser(pdb, clock, TENANT, admin, 'operator').catch(() => approveUser(pdb, clock, TENANT, admin, admin));
      await applyForUser(pdb, clock, { tenant: TENANT, userId: reg, email: 'reg@bench.example.jp', name: 'ベンチ 連携', permissionId: 'register', reason: 'bench', appliedBy: admin });
      await approveUser(pdb, clock, TENANT, reg, admin);
      const { token } = await issueToken(pdb, clock, TENANT, reg);
      await putSettings(pdb, clock, TENANT, {
        vaccinations: [{ programCode: 'hib', name: 'ヒブ感染症', doses: 4 }],
        templates: [{ templateId: 'notice-default', kind: 'notice', title: '{programName}の予防接種のお知らせ', body: '{name}様' }],
      });
      // 支払基金 holds the insured persons (the municipality as 国保保険者 enrolls them; not measured).
      ctx.log(`  ${total.toLocaleString('ja-JP')} 人を医療保険者等向け中間サーバーに登録しています…`);
      for (let s = 0; s < total; s += 10_000) {
        const members = Array.from({ length: Math.min(10_000, total - s) }, (_, k) => {
          const r = row(s + k) as { myNumber: string; basicFiveInfo: Record<string, string> };
          return { myNumber: r.myNumber, ...r.basicFiveInfo };
        });
        await orgs.municipal.node.call('insurerhub', 'insured.enroll', { insurer: '01312011', members }, { personal: true, timeoutMs: 300_000 });
      }
      const url = orgs.nodes.find((n) => n.name === 'platform')!.url;
      let failed = 0;
      let registered = 0;
      const run = `R${Date.now().toString(36)}`;
      // A 健康管理システム sends several requests at once (the API allows it; rows of different requests are distinct).
      const concurrency = 4;
      const value = await throughputOf(total, async () => {
        let next = 0;
        const worker = async () => {
          for (;;) {
            const s = next;
            next += CHUNK;
            if (s >= total) return;
            const items = Array.from({ length: Math.min(CHUNK, total - s) }, (_, k) => row(s + k));
            const res = await fetch(`${url}/pmh/v1/targets`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-linkage-file-name': `${run}-${s / CHUNK}` },
              body: JSON.stringify(items),
            });
            const j = (await res.json()) as { registered?: number; updated?: number; unchanged?: number; failed?: number };
            if (!res.ok) throw new Error(`HTTP ${res.status}`);
            registered += (j.registered ?? 0) + (j.updated ?? 0) + (j.unchanged ?? 0);
            failed += j.failed ?? 0;
          }
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
      });
      // Baseline: the same rows, plain, in a scratch table on one connection.
      const baseline = await app.db.system.transaction().execute(async (tx) => {
        await sql`CREATE TEMP TABLE bench_plain_targets (identity_key text PRIMARY KEY, my_number text, info jsonb, guardian text, target_category text, reduction_category text, file_name text, at timestamptz) ON COMMIT DROP`.execute(tx);
        await sql`CREATE TEMP TABLE bench_plain_children (identity_key text, kind text, program_code text, dose int, due_from date, due_until date, voucher_no text, issued_on date) ON COMMIT DROP`.execute(tx);
        return throughputOf(total, async () => {
          for (let s = 0; s < total; s += CHUNK) {
            const items = Array.from({ length: Math.min(CHUNK, total - s) }, (_, k) => row(s + k)) as { municipalityIdentityKey: string; myNumber: string; basicFiveInfo: unknown; guardianName: string; targetCategory: string; reductionCategory: string; vaccinations: { programCode: string; dose: number; dueFrom: string; dueUntil: string }[]; notices: { programCode: string; dose: number; voucherNo: string; issuedOn: string }[] }[];
            const now = new Date();
            await tx.insertInto('bench_plain_targets' as never).values(items.map((r) => ({ identity_key: r.municipalityIdentityKey, my_number: r.myNumber, info: JSON.stringify(r.basicFiveInfo), guardian: r.guardianName, target_category: r.targetCategory, reduction_category: r.reductionCategory, file_name: 'plain', at: now })) as never).execute();
            await tx.insertInto('bench_plain_children' as never).values(items.flatMap((r) => [
              ...r.vaccinations.map((v) => ({ identity_key: r.municipalityIdentityKey, kind: 'v', program_code: v.programCode, dose: v.dose, due_from: v.dueFrom, due_until: v.dueUntil, voucher_no: null, issued_on: null })),
              ...r.notices.map((n) => ({ identity_key: r.municipalityIdentityKey, kind: 'n', program_code: n.programCode, dose: n.dose, due_from: null, due_until: null, voucher_no: n.voucherNo, issued_on: n.issuedOn })),
            ]) as never).execute();
          }
        });
      });
      const ratio = value / baseline;
      return {
        name: this.name,
        value,
        unit: 'targets/s',
        baseline,
        baselineUnit: 'plain INSERT rows/s',
        ratio,
        goal: '≥ 2,000/s and ≥ 20 % of the plain INSERT',
        pass: value >= 2000 && ratio >= 0.2 && failed === 0 && registered === total,
        notes: `${total.toLocaleString('en')} targets in requests of ${CHUNK}, ${concurrency} at a time; linked ${registered}, failed ${failed}; each request: Bearer check, validation, one pmhkey.issue message (signed, encrypted, logged at both ends), sealing, one transaction`,
      };
    } finally {
      await orgs.close();
    }
  },
};
