// The demo's "day of work" (issue 9 point 3; decision 0119): what a municipality has on its desk on a
// normal morning, made through the same functions staff use, so that the 保健師's home shows real work
// items at once — a clinic batch of this month that has rows to review and rows the import refused, the
// 予診票 for the extraction run not yet sent, and a certificate application waiting to be issued.
// Each step checks whether it has already been done, so a restart adds nothing twice.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import type { App } from '../../app/index.js';
import { actorOf } from '../../kernel/access/index.js';
import { newMeta, runAs, type Principal } from '../../kernel/context/index.js';
import { addDaysIso } from '../../kernel/jp/index.js';
import { importRecords, RECORD_COLUMNS } from '../../municipality/records/index.js';
import { createBatchFromRun, getNoticeSettings, saveNoticeSettings } from '../../municipality/notices/index.js';
import { receiveApplication } from '../../municipality/certification/index.js';
import { ShcKeyStore } from '../../municipality/certificates/index.js';
import { operator } from '../context.js';
import { listCopayRules, setCopayRule } from '../../municipality/copay/index.js';

/** The sender block printed on the demo's notices (fictitious telephone numbers). */
export interface DemoSender {
  readonly head: string;
  readonly department: string;
  readonly postalCode: string;
  readonly address: string;
  readonly phone: string;
}

/** The file name of the demo's clinic batch for a month (also how a restart knows it was imported). */
export const demoClinicFileName = (month: string): string => `医療機関接種記録_${month.replace('-', '')}_デモ.csv`;

type Row = Partial<Record<(typeof RECORD_COLUMNS)[number], string>>;

const compact = (iso: string) => iso.replace(/-/g, '');

/** The demo 保健師 as a principal (the work is hers, as it would be on a real morning). */
async function nursePrincipal(app: App, tenant: string, loginId: string): Promise<Principal> {
  const a = await app.db.system.selectFrom('kernel.accounts').selectAll().where('tenant_code', '=', tenant).where('login_id', '=', loginId).executeTakeFirstOrThrow();
  return { tenant, actor: actorOf(a), meta: newMeta('cli:demo', { terminalId: `host:${process.env['HOSTNAME'] ?? 'local'}` }) };
}

/**
 * This month's batch from the contractor that keys the 予診票: doses of the last days for a few residents,
 * and three rows as real files have them — a 生年月日 miswritten at the clinic and a person given by 4情報
 * whom the register does not know (both go to 照合の確認待ち; nothing is guessed), and a 接種日 that is
 * not a date (refused, listed with its row number).
 */
async function clinicBatch(app: App, tenant: string): Promise<void> {
  const today = app.config.clock.today();
  const month = today.slice(0, 7);
  const fileName = demoClinicFileName(month);
  const done = await app.db.system.selectFrom('municipality.import_runs').select('id').where('tenant_code', '=', tenant).where('file_name', '=', fileName).executeTakeFirst();
  if (done) return;
  const clinic = await app.db.system
    .selectFrom('municipality.vaccination_records')
    .select((eb) => ['institution_code', eb.fn.countAll<string>().as('n')])
    .where('tenant_code', '=', tenant)
    .where('institution_code', 'is not', null)
    .groupBy('institution_code')
    .orderBy('n', 'desc')
    .orderBy('institution_code')
    .limit(1)
    .executeTakeFirst();
  if (!clinic?.institution_code) return;
  const elderly = await app.db.system
    .selectFrom('municipality.persons')
    .select(['atena_no', 'name_kanji', 'name_kana', 'birth_date', 'sex'])
    .where('tenant_code', '=', tenant)
    .where('status', '=', 'resident')
    .where('birth_date', '<=', addDaysIso(today, -65 * 366))
    .orderBy('atena_no')
    .limit(6)
    .execute();
  if (elderly.length < 2) return;
  const sex = (s: 'male' | 'female') => (s === 'male' ? '1' : '2');
  const day = (i: number) => compact(addDaysIso(today, -1 - (i % 5)));
  const common: Row = { 医療機関コード: clinic.institution_code, 医師名: '内科\u3000一郎', 実施場所: '医療機関', 請求年月: month, ワクチン: 'influenza', 接種量: '0.5', 接種方法: '皮下注射' };
  const rows: Row[] = elderly.slice(0, -1).map((p, i) => ({ ...common, 通番: String(i + 1), 宛名番号: p.atena_no, 氏名: p.name_kanji, 氏名カナ: p.name_kana, 生年月日: compact(p.birth_date), 性別: sex(p.sex), 接種日: day(i) }));
  const last = elderly[elderly.length - 1]!;
  const wrongBirth = addDaysIso(last.birth_date, 31);
  rows.push({ ...common, 通番: String(rows.length + 1), 宛名番号: last.atena_no, 氏名: last.name_kanji, 氏名カナ: last.name_kana, 生年月日: compact(wrongBirth), 性別: sex(last.sex), 接種日: day(1) });
  rows.push({ ...common, 通番: String(rows.length + 1), 氏名: '転入\u3000未登録', 氏名カナ: 'テンニュウ ミトウロク', 生年月日: compact(elderly[0]!.birth_date), 性別: '1', 住所: '（記載なし）', 接種日: day(2) });
  rows.push({ ...common, 通番: String(rows.length + 1), 宛名番号: elderly[0]!.atena_no, 氏名: elderly[0]!.name_kanji, 生年月日: compact(elderly[0]!.birth_date), 性別: sex(elderly[0]!.sex), 接種日: `${today.slice(0, 4)}0230`, ワクチン: 'ppsv23' });
  const cell = (v: string | undefined) => (v && /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : (v ?? ''));
  const text = [RECORD_COLUMNS.join(','), ...rows.map((r) => RECORD_COLUMNS.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
  const dir = mkdtempSync(join(tmpdir(), 'mamori-demo-clinic-'));
  try {
    const file = join(dir, fileName);
    writeFileSync(file, iconv.encode(text, 'cp932'));
    await importRecords(app.db, operator(tenant, 'demo'), { file, fileName });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The 予診票 for the newest completed extraction run, made but not yet marked as sent (発送待ち). */
async function questionnaires(app: App, who: Principal, sender: DemoSender): Promise<void> {
  const run = await app.db.system
    .selectFrom('municipality.extraction_runs')
    .select('id')
    .where('tenant_code', '=', who.tenant)
    .where('status', '=', 'complete')
    .orderBy('completed_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!run) return;
  await runAs(app.db, who, async (w) => {
    if (!(await getNoticeSettings(w))) await saveNoticeSettings(w, sender);
    await createBatchFromRun(w, { keys: app.tenantKeys }, { runId: run.id, docType: 'questionnaire' });
  });
}

/** One application for a 接種記録の証明 received at the counter today, for a child with doses. */
async function certificateApplication(app: App, who: Principal): Promise<void> {
  const any = await app.db.system.selectFrom('municipality.certificate_applications').select('id').where('tenant_code', '=', who.tenant).limit(1).executeTakeFirst();
  if (any) return;
  const today = app.config.clock.today();
  const child = await app.db.system
    .selectFrom('municipality.persons as p')
    .innerJoin('municipality.vaccination_records as r', (j) => j.onRef('r.tenant_code', '=', 'p.tenant_code').onRef('r.atena_no', '=', 'p.atena_no'))
    .select('p.atena_no')
    .where('p.tenant_code', '=', who.tenant)
    .where('p.status', '=', 'resident')
    .where('r.status', '=', 'active')
    .where('p.birth_date', '>=', addDaysIso(today, -7 * 366))
    .groupBy('p.atena_no')
    .orderBy('p.atena_no')
    .limit(1)
    .executeTakeFirst();
  if (!child) return;
  const deps = { vault: app.vault, tenantKeys: app.tenantKeys, shcKeys: new ShcKeyStore(app.config.keyDir), publicUrl: app.config.publicUrl };
  await runAs(app.db, who, (w) => receiveApplication(w, deps, child.atena_no, { kind: 'history', identityDocument: 'mynumber-card', reason: '入学・就学', applicant: 'self', channel: 'counter' }));
}

/**
 * The co-payment rule of 高齢者インフルエンザ for this fiscal year and the next (VAX-29; amounts are the
 * demo's, the seeds give none): 生活保護 and 市町村民税非課税 exempt with an exempt 予診票, the clinic collects.
 * Set before the clinic batch, so its doses are decided by it.
 */
async function copayRules(app: App, who: Principal): Promise<void> {
  const today = app.config.clock.today();
  const fy = Number(today.slice(0, 4)) - (today.slice(5) < '04-01' ? 1 : 0);
  await runAs(app.db, who, async (w) => {
    const have = new Set((await listCopayRules(w)).map((r) => `${r.program}/${r.fiscalYear}`));
    for (const fiscalYear of [fy, fy + 1]) {
      if (have.has(`influenza-elderly/${fiscalYear}`)) continue;
      await setCopayRule(w, {
        program: 'influenza-elderly',
        fiscalYear,
        rule: {
          amounts: { 一般: 1500, 生活保護: 0, 非課税: 0 },
          defaultCategory: '一般',
          exemptions: [{ basis: 'seikatsuhogo', category: '生活保護' }, { basis: 'hikazei', category: '非課税' }],
          collection: 'clinic',
          exemptQuestionnaire: true,
        },
      });
    }
  });
}

/** The morning's work of one demo municipality (each part idempotent). */
export async function demoDayOfWork(app: App, tenant: string, nurseLogin: string, sender: DemoSender): Promise<void> {
  await copayRules(app, operator(tenant, 'demo'));
  await clinicBatch(app, tenant);
  const nurse = await nursePrincipal(app, tenant, nurseLogin);
  await questionnaires(app, nurse, sender);
  await certificateApplication(app, nurse);
}
