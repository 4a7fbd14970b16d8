// Paper certificates (issue 16 Must have 4; QUA-25; decisions 0214, 0215), on real PostgreSQL as the registry's
// own role: the 免許証 is issued in the transaction that approves a 新規登録, and again on an approved 再交付 and
// 書換え交付 — each voiding the previous one with the day and the reason; 籍訂正 issues none; no certificate row is
// ever deleted (the role cannot); the PDF is rendered from the recorded data (the same bytes every time), carries
// the right title per qualification (医師免許証, 介護福祉士登録証), 和暦 dates, the issuer line, the serial and
// never a My Number; staff of another 資格管理者 get a 404, logged as denied; every print is logged.
import { sql, type Kysely } from 'kysely';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { formatWareki } from '../../src/kernel/jp/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import {
  accessLog, applyForStaff, approveStaff, authenticateStaff, certificateAsOperator, certificateForStaff, certificatesOf, decideApplication, exampleForm, insertApplication,
  issueStaffToken, recordCheck, renderCertificatePdf, REGISTRY_ROLE, RegistrySecrets, syncAdministrators, withRegistryTenant, type ApplicationView, type ExaminationDeps, type StaffSession,
} from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { runCli } from '../harness/cli.js';
import { findMyNumbers } from '../harness/leaks.js';
import { settleFeesByStamps } from '../harness/registry.js';
import { listFonts, readText } from '../municipality/documents/read-pdf.js';

let app: TestApp;
let db: Kysely<UntypedDatabase>;
let deps: ExaminationDeps;
let secrets: RegistrySecrets;
const numbers: string[] = [];
let seq = 0;
/** Set MAMORI_CERTIFICATE_PDF_DIR to keep the rendered PDFs (to look at them with pdftoppm). */
const keep = process.env['MAMORI_CERTIFICATE_PDF_DIR'];
const save = (name: string, pdf: Uint8Array) => {
  if (!keep) return;
  mkdirSync(keep, { recursive: true });
  writeFileSync(join(keep, name), pdf);
};

beforeAll(async () => {
  app = await testApp('server');
  db = await app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(db, app.config.clock);
  secrets = RegistrySecrets.open(app.config.keyDir);
  deps = { db, clock: app.config.clock, secrets };
}, 120_000);

afterAll(async () => {
  await app?.cleanup();
});

async function staff(tenant: string, userId: string, qualifications: string[]): Promise<StaffSession> {
  const clock = app.config.clock;
  await applyForStaff(db, clock, { tenant, userId, name: `職員 ${userId}`, affiliation: 'ministry', affiliationName: '本省', role: 'supervisor', qualifications, reason: '登録事務', appliedBy: 'operator' });
  await approveStaff(db, clock, tenant, userId, 'operator');
  const t = await issueStaffToken(db, clock, tenant, userId);
  return authenticateStaff(db, clock, `Bearer ${t.token}`);
}

async function apply(tenant: string, qualification: string, over: { form?: Record<string, unknown>; procedure?: ApplicationView['procedure']; registrationNo?: number } = {}): Promise<ApplicationView> {
  const mn = syntheticMyNumber('registry-certificates', seq++);
  numbers.push(mn);
  return withRegistryTenant(db, tenant, (tx) =>
    insertApplication(tx, { clock: app.config.clock, secrets }, tenant, {
      qualification, procedure: over.procedure ?? 'new', channel: 'paper', form: over.form ?? exampleForm(qualification), myNumber: mn,
      registrationNo: over.registrationNo ?? null, identityProof: { documents: ['マイナンバーカード'], checkedBy: 'madoguchi' }, receivedBy: 'madoguchi',
    }),
  );
}

async function pass(tenant: string, a: ApplicationView): Promise<void> {
  await withRegistryTenant(db, tenant, async (tx) => {
    await recordCheck(tx, app.config.clock, a.id, { source: 'juki', outcome: 'match', by: 'system' });
    if (a.procedure === 'new' || a.procedure === 'rewrite' || a.procedure === 'correction') await recordCheck(tx, app.config.clock, a.id, { source: 'koseki', outcome: 'match', by: 'system' });
    if (a.procedure === 'new' && (a.form['国家試験'] || a.form['看護師国家試験'])) await recordCheck(tx, app.config.clock, a.id, { source: 'passers', outcome: 'match', by: 'system' });
  });
  await settleFeesByStamps(db, app.config.clock, tenant, a.id);
}

/** The certificate as staff print it (the record, then the PDF rendered from it). */
async function certificatePdfForStaff(...a: Parameters<typeof certificateForStaff>) {
  const r = await certificateForStaff(...a);
  return { ...r, pdf: await renderCertificatePdf(r.printed, r.certificate) };
}
async function certificatePdfAsOperator(...a: Parameters<typeof certificateAsOperator>) {
  const r = await certificateAsOperator(...a);
  return { ...r, pdf: await renderCertificatePdf(r.printed, r.certificate) };
}

const text = async (pdf: Uint8Array): Promise<string> => (await readText(pdf)).join('\n');
const who = (number: number) => ({ qualification: 'ishi', 登録番号: String(number), 氏名: { 姓: '見本', 名: '太郎' }, フリガナ: { 姓: 'ミホン', 名: 'タロウ' }, 生年月日: '2000-04-01', 住所: { 郵便番号: '680-0000', 住所: '鳥取県鳥取市見本町1番地' }, 電話番号: '0857-00-0000' });

describe('paper certificates (QUA-25)', () => {
  let chief: StaffSession;
  let number = 0;

  it('a 医師免許証 is issued with the approval of a 新規登録: serial, kind, reason, 交付日 from the clock', async () => {
    chief = await staff('mhlw-isei', 'cert-chief', ['ishi', 'kangoshi']);
    const a = await apply('mhlw-isei', 'ishi');
    await pass('mhlw-isei', a);
    const r = await decideApplication(deps, chief, a.id, { action: 'approve' });
    number = r.entry!.number;
    const list = await withRegistryTenant(db, 'mhlw-isei', (tx) => certificatesOf(tx, 'ishi', number));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: '免許証', title: '医師免許証', reason: 'new', reasonLabel: '新規登録', issuedOn: app.config.clock.today(), issuedBy: 'cert-chief', applicationId: a.id, valid: true, statusLabel: '有効', voidOn: null });
  });

  it('renders the PDF from the recorded data: Japanese text extractable, 和暦, issuer, serial; the font embedded; the same bytes again; no My Number', async () => {
    const c = await certificatePdfForStaff(deps, chief, 'ishi', number, (await withRegistryTenant(db, 'mhlw-isei', (tx) => certificatesOf(tx, 'ishi', number)))[0]!.serialNo);
    save('ishi-new.pdf', c.pdf);
    const t = await text(c.pdf);
    for (const s of ['医 師 免 許 証', '医籍登録番号', `第${number}号`, '登録年月日', formatWareki(app.config.clock.today()), '見本 太郎', '生年月日', formatWareki('2000-04-01'), '医師法（昭和23年法律第201号）により医師の免許を与える。', '厚生労働大臣', `交付番号 第${c.certificate.serialNo}号`, '交付年月日']) {
      expect(t).toContain(s);
    }
    expect(t).not.toContain('〓');
    expect(findMyNumbers(t)).toEqual([]);
    for (const n of numbers) expect(t).not.toContain(n);
    expect(Buffer.from(c.pdf).toString('latin1')).not.toContain(numbers[0]!);
    const fonts = listFonts(c.pdf);
    expect(fonts.length).toBeGreaterThan(0);
    expect(fonts.every((f) => f.embedded && f.unicode)).toBe(true);
    const again = await certificatePdfForStaff(deps, chief, 'ishi', number, c.certificate.serialNo);
    expect(Buffer.from(again.pdf).equals(Buffer.from(c.pdf))).toBe(true);
    const log = (await accessLog(db, 'mhlw-isei', 1000)).filter((x) => x.userId === 'cert-chief' && x.targetType === 'certificate');
    expect(log.filter((x) => x.outcome === 'ok' && x.targetId === `ishi:${number}:${c.certificate.serialNo}`)).toHaveLength(2);
  });

  it('an approved 再交付 issues a new one and voids the previous with the day and the reason; 籍訂正 issues none; 書換え交付 voids again', async () => {
    const re = await apply('mhlw-isei', 'ishi', { procedure: 'reissue', registrationNo: number, form: { ...who(number), procedure: 'reissue', 再交付の理由: '亡失' } });
    await pass('mhlw-isei', re);
    await decideApplication(deps, chief, re.id, { action: 'approve' });
    let list = await withRegistryTenant(db, 'mhlw-isei', (tx) => certificatesOf(tx, 'ishi', number));
    expect(list).toHaveLength(2);
    expect(list[0]).toMatchObject({ valid: false, statusLabel: '無効', voidOn: app.config.clock.today(), voidReason: '再交付により無効（亡失）', voidBySerial: list[1]!.serialNo });
    expect(list[1]).toMatchObject({ valid: true, reason: 'reissue', reasonLabel: '再交付', applicationId: re.id });
    expect(list[1]!.serialNo).toBe(list[0]!.serialNo + 1);

    const corr = await apply('mhlw-isei', 'ishi', { procedure: 'correction', registrationNo: number, form: { ...who(number), procedure: 'correction', 訂正事項: { 氏名: { 旧: { 姓: '見本', 名: '太郎' }, 新: { 姓: '新名', 名: '太郎' }, 新フリガナ: { 姓: 'シンメイ', 名: 'タロウ' } } }, 事由: '婚姻', 事由の生じた年月日: '2026-10-01' } });
    await pass('mhlw-isei', corr);
    await decideApplication(deps, chief, corr.id, { action: 'approve' });
    expect(await withRegistryTenant(db, 'mhlw-isei', (tx) => certificatesOf(tx, 'ishi', number))).toHaveLength(2);

    const rw = await apply('mhlw-isei', 'ishi', { procedure: 'rewrite', registrationNo: number, form: { ...who(number), 氏名: { 姓: '新名', 名: '太郎' }, フリガナ: { 姓: 'シンメイ', 名: 'タロウ' }, procedure: 'rewrite', 訂正事項: { 氏名: { 旧: { 姓: '見本', 名: '太郎' }, 新: { 姓: '新名', 名: '太郎' }, 新フリガナ: { 姓: 'シンメイ', 名: 'タロウ' } } }, 事由: '婚姻', 事由の生じた年月日: '2026-10-01' } });
    await pass('mhlw-isei', rw);
    await decideApplication(deps, chief, rw.id, { action: 'approve' });
    list = await withRegistryTenant(db, 'mhlw-isei', (tx) => certificatesOf(tx, 'ishi', number));
    expect(list.map((c) => [c.reason, c.valid])).toEqual([['new', false], ['reissue', false], ['rewrite', true]]);
    expect(list[1]!.voidReason).toBe('書換え交付により無効（婚姻）');
    // The new certificate prints the new name; the void one still prints what it printed, marked 無効.
    const now = await certificatePdfAsOperator({ db, clock: app.config.clock }, { tenant: 'mhlw-isei', qualification: 'ishi', number });
    expect(now.certificate.serialNo).toBe(list[2]!.serialNo);
    const t = await text(now.pdf);
    expect(t).toContain('新名 太郎');
    expect(t).toContain('（書換え交付）');
    save('ishi-rewrite.pdf', now.pdf);
    const old = await certificatePdfAsOperator({ db, clock: app.config.clock }, { tenant: 'mhlw-isei', qualification: 'ishi', number, serial: list[0]!.serialNo });
    const ot = await text(old.pdf);
    expect(ot).toContain('見本 太郎');
    expect(ot).toContain('無 効');
    expect(ot).toContain('再交付により無効（亡失）');
    save('ishi-void.pdf', old.pdf);
  });

  it('a certificate is never deleted: the registry role cannot, and a void one stays on record', async () => {
    const before = (await withRegistryTenant(db, 'mhlw-isei', (tx) => certificatesOf(tx, 'ishi', number))).length;
    await expect(withRegistryTenant(db, 'mhlw-isei', (tx) => sql`DELETE FROM registry.certificates WHERE qualification_code = 'ishi'`.execute(tx))).rejects.toThrow(/permission denied/);
    expect(await withRegistryTenant(db, 'mhlw-isei', (tx) => certificatesOf(tx, 'ishi', number))).toHaveLength(before);
  });

  it('介護福祉士 gets a 登録証 with the 指定登録機関 line', async () => {
    const kaigo = await staff('mhlw-shaen', 'cert-kaigo', ['kaigofukushishi']);
    const a = await apply('mhlw-shaen', 'kaigofukushishi');
    await pass('mhlw-shaen', a);
    const r = await decideApplication(deps, kaigo, a.id, { action: 'approve' });
    const c = await certificatePdfAsOperator({ db, clock: app.config.clock }, { tenant: 'mhlw-shaen', qualification: 'kaigofukushishi', number: r.entry!.number });
    save('kaigo-new.pdf', c.pdf);
    expect(c.certificate).toMatchObject({ kind: '登録証', title: '介護福祉士登録証', reason: 'new', valid: true });
    const t = await text(c.pdf);
    expect(t).toContain('介 護 福 祉 士 登 録 証');
    expect(t).toContain('介護福祉士登録簿に登録されたことを証する。');
    expect(t).toContain('厚生労働大臣指定登録機関');
    expect(t).not.toContain('本籍');
    expect(findMyNumbers(t)).toEqual([]);
  });

  it('another 資格管理者\'s staff, an unknown serial or number get the same 404, logged as denied', async () => {
    const other = await staff('mhlw-iyaku', 'cert-other', ['yakuzaishi']);
    const serial = (await withRegistryTenant(db, 'mhlw-isei', (tx) => certificatesOf(tx, 'ishi', number)))[0]!.serialNo;
    await expectProblem(certificatePdfForStaff(deps, other, 'ishi', number, serial), { status: 404 });
    await expectProblem(certificatePdfForStaff(deps, chief, 'ishi', number, 999_999), { status: 404 });
    await expectProblem(certificatePdfForStaff(deps, chief, 'ishi', 'x', serial), { status: 404 });
    await expectProblem(certificatePdfAsOperator({ db, clock: app.config.clock }, { tenant: 'mhlw-iyaku', qualification: 'ishi', number }), { status: 404 });
    const denied = (await accessLog(db, 'mhlw-iyaku', 1000)).filter((x) => x.userId === 'cert-other' && x.targetType === 'certificate' && x.outcome === 'denied');
    expect(denied).toHaveLength(1);
  });

  it('`mamori registry certificate` writes the valid one (or a given serial) as PDF; an unknown tenant or number is refused in Japanese', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-cert-cli-'));
    try {
      const env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness, MAMORI_CLOCK: `fixed:${app.config.clock.now().toISOString()}` };
      const cli = (...args: string[]) => runCli(['registry', 'certificate', ...args], { env, timeoutMs: 180_000 });
      const file = join(dir, 'menkyo.pdf');
      const r = await cli('--tenant', 'mhlw-isei', '--qualification', 'ishi', '--number', String(number), '--out', file, '--json');
      expect(r.code, r.stderr).toBe(0);
      const list = await withRegistryTenant(db, 'mhlw-isei', (tx) => certificatesOf(tx, 'ishi', number));
      const out = JSON.parse(r.stdout) as Record<string, unknown>;
      expect(out).toMatchObject({ file, serialNo: list.at(-1)!.serialNo, title: '医師免許証', valid: true });
      const pdf = readFileSync(file);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(await text(pdf)).toContain('医 師 免 許 証');
      const old = await cli('--tenant', 'mhlw-isei', '--qualification', 'ishi', '--number', String(number), '--serial', String(list[0]!.serialNo), '--out', join(dir, 'old.pdf'));
      expect(old.code, old.stderr).toBe(0);
      expect(old.stdout).toContain('無効');
      const bad = await cli('--tenant', 'nowhere', '--number', '1', '--out', join(dir, 'x.pdf'));
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toContain('資格管理者「nowhere」はありません');
      const none = await cli('--tenant', 'mhlw-isei', '--qualification', 'ishi', '--number', '999999', '--out', join(dir, 'y.pdf'));
      expect(none.code).not.toBe(0);
      expect(findMyNumbers(r.stdout + r.stderr + old.stdout + bad.stderr + none.stderr)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
