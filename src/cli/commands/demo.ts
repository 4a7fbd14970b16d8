// `mamori demo`: two real-format municipalities, each with a small synthetic city loaded through the real
// imports (residents with vaccination histories, the clinics' monthly batches, an extraction run), demo
// staff accounts and printed credentials, then serve (issue 9 point 3; decisions 0087, 0119).
import { DEMO_PIN, prepareDemoPlatform, type DemoPlatform } from './demo-platform.js';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type MamoriConfig } from '../../kernel/config/index.js';
import { configureLogging } from '../../kernel/log/index.js';
import { openApp, prepareDemoRegistry, seedDemoKoseki, seedDemoKoukin, type App } from '../../app/index.js';
import { addOrganisation, getOrganisation } from '../../kernel/tenancy/index.js';
import { applyForAccount, approveAccount, bootstrapAdministrator, resetPassword } from '../../kernel/access/index.js';
import { runAs } from '../../kernel/context/index.js';
import { addDaysIso } from '../../kernel/jp/index.js';
import { loadCity, writeSyntheticCity } from '../../municipality/synth/index.js';
import { startExtraction } from '../../municipality/extraction/index.js';
import { operator } from '../context.js';
import { invalidField } from '../../kernel/problems/index.js';
import { print, warn } from '../io.js';
import { portOption, serveApp } from './serve.js';
import { demoDayOfWork } from './demo-work.js';
import { demoMoveChild } from './demo-move.js';

type O = Record<string, unknown> & { data?: string };

export const DEMO_ORGS = [
  {
    code: '312011', name: '鳥取市', kana: 'トットリシ', admin: 'admin', residents: 300,
    sender: { head: '鳥取市長', department: '保健所 健康・子育て推進課', postalCode: '680-8571', address: '鳥取県鳥取市幸町71番地', phone: '0857-00-0000' },
  },
  {
    code: '131237', name: '江戸川区', kana: 'エドガワク', admin: 'admin', residents: 300,
    sender: { head: '江戸川区長', department: '健康部 保健予防課', postalCode: '132-8501', address: '東京都江戸川区中央一丁目4番1号', phone: '03-0000-0000' },
  },
] as const;

/** The demo's staff besides the administrator: a 保健師 for the daily work, an auditor and a relief clerk. */
export const DEMO_STAFF = [
  { loginId: 'hokenshi', fullName: '保健 花子', role: 'nurse', duties: ['vaccination', 'addressee', 'statistics'], mynumberView: true },
  { loginId: 'kansa', fullName: '監査 一郎', role: 'auditor', duties: ['audit-review'], mynumberView: false },
  // 健康被害救済 is a duty of its own (VAX-34): the 予防接種 staff never see its cases or payments.
  { loginId: 'kyusai', fullName: '救済 三郎', role: 'clerk', duties: ['relief'], mynumberView: false },
] as const;

const STAFF_LABELS: Record<(typeof DEMO_STAFF)[number]['loginId'], string> = {
  hokenshi: '保健師（予防接種・宛名・統計）',
  kansa: '監査担当（操作ログ）',
  kyusai: '健康被害救済の担当',
};

/** Weeks of 住基 movements in the demo city; its snapshot is taken so that the last week ends before today. */
const DEMO_WEEKS = 8;
const DEMO_HISTORY_YEARS = 8;

export interface Credential {
  org: string;
  code: string;
  loginId: string;
  label: string;
  /** The initial password while it has not been changed; null once the user has set their own. */
  password: string | null;
}

/**
 * Initial passwords are kept in <data>/demo-credentials.json (owner-only) so that a restart prints the same
 * ones instead of resetting them; `--reset-passwords` issues new ones.  Demo only: a real deployment hands
 * initial passwords over once (decision 0087).
 */
class CredentialFile {
  private readonly path: string;
  private readonly data: Record<string, string>;
  constructor(dataDir: string) {
    this.path = join(dataDir, 'demo-credentials.json');
    this.data = existsSync(this.path) ? (JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>) : {};
  }
  get(code: string, login: string): string | undefined {
    return this.data[`${code}/${login}`];
  }
  set(code: string, login: string, password: string): void {
    this.data[`${code}/${login}`] = password;
    mkdirSync(join(this.path, '..'), { recursive: true });
    writeFileSync(this.path, JSON.stringify(this.data, null, 2), { mode: 0o600 });
    chmodSync(this.path, 0o600);
  }
}

async function accountState(app: App, code: string, login: string): Promise<{ id: string; mustChange: boolean; status: string } | undefined> {
  const r = await app.db.system.selectFrom('kernel.accounts').select(['id', 'must_change_password', 'status']).where('tenant_code', '=', code).where('login_id', '=', login).executeTakeFirst();
  return r ? { id: r.id, mustChange: r.must_change_password, status: r.status } : undefined;
}

/** Creates (or finds) the demo organisations and accounts; returns what to print. */
export async function prepareDemo(app: App, opts: { resetPasswords?: boolean } = {}): Promise<Credential[]> {
  const out: Credential[] = [];
  const file = new CredentialFile(app.config.dataDir);
  for (const d of DEMO_ORGS) {
    if (!(await getOrganisation(app.db.system, d.code))) await addOrganisation(app.db.system, app.tenantKeys, { code: d.code, name: d.name, nameKana: d.kana });
    const people = [{ loginId: d.admin, fullName: `${d.name} アカウント管理者`, label: 'アカウント管理者', staff: null }, ...DEMO_STAFF.map((s) => ({ loginId: s.loginId, fullName: s.fullName, label: STAFF_LABELS[s.loginId], staff: s }))];
    for (const p of people) {
      const existing = await accountState(app, d.code, p.loginId);
      let password: string | undefined;
      await runAs(app.db, operator(d.code, 'demo'), async (w) => {
        if (!existing) {
          if (!p.staff) password = (await bootstrapAdministrator(w, { loginId: p.loginId, fullName: p.fullName })).initialPassword;
          else {
            const a = await applyForAccount(w, { loginId: p.loginId, fullName: p.fullName, requestedRole: p.staff.role, requestedDuties: [...p.staff.duties], reason: 'デモ用アカウント' });
            password = (await approveAccount(w, a.id, { role: p.staff.role, duties: [...p.staff.duties], mynumberView: p.staff.mynumberView, expiresOn: addDaysIso(w.clock.today(), 365), reason: 'デモ用アカウント' })).initialPassword;
          }
        } else if (existing.status === 'active' && (opts.resetPasswords || (existing.mustChange && !file.get(d.code, p.loginId)))) {
          password = (await resetPassword(w, existing.id)).initialPassword;
        }
      });
      if (password) file.set(d.code, p.loginId, password);
      const now = await accountState(app, d.code, p.loginId);
      out.push({ org: d.name, code: d.code, loginId: p.loginId, label: p.label, password: now?.mustChange ? (file.get(d.code, p.loginId) ?? null) : null });
    }
  }
  return out;
}

/**
 * Loads a small synthetic city into each demo municipality that has no residents yet, through the real
 * imports (the same path as `mamori import city`), then runs one 対象者抽出 as of today; then puts a
 * morning's work on each desk (demo-work.ts).  Idempotent: a municipality that already has residents keeps
 * them, and each part of the morning's work is made once.
 */
export async function loadDemoData(app: App, opts: { residents?: number; say?: (m: string) => void } = {}): Promise<void> {
  const say = opts.say ?? warn;
  const today = app.config.clock.today();
  const start = addDaysIso(today, -(DEMO_WEEKS * 7 + 7));
  const historyFrom = `${Number(today.slice(0, 4)) - DEMO_HISTORY_YEARS}-04-01`;
  const dirs = new Map<string, string>();
  try {
    for (const d of DEMO_ORGS) {
      const has = await app.db.system.selectFrom('municipality.persons').select('atena_no').where('tenant_code', '=', d.code).limit(1).executeTakeFirst();
      if (has) continue;
      const residents = opts.residents ?? d.residents;
      say(`${d.name}: デモデータ（住民 ${residents} 人と ${historyFrom} 以降の接種記録）を作成しています。初回のみ 1〜2 分かかります…`);
      const dir = mkdtempSync(join(tmpdir(), 'mamori-demo-city-'));
      dirs.set(d.code, dir);
      writeSyntheticCity({ residents, seed: `demo-${d.code}`, tenant: d.code, start, weeks: DEMO_WEEKS, historyFrom, encoding: 'sjis', out: dir });
      await loadCity(app, operator(d.code, 'demo'), dir);
      await startExtraction(app.db, operator(d.code, 'demo'), { kind: 'targets', all: true, asOf: today });
    }
    // A child moves from the first municipality to the second (issue 11): the second can ask for its history.
    const [from, to] = DEMO_ORGS;
    const fromDir = dirs.get(from.code);
    if (fromDir) {
      const moved = await demoMoveChild(app, { code: from.code, dir: fromDir }, { code: to.code, address: '東京都江戸川区中央一丁目2番3号', postalCode: '1320021' });
      if (moved) say(`${from.name}から${to.name}に転入した子ども（${to.name}の宛名番号 ${moved}）を用意しました。`);
    }
  } finally {
    for (const dir of dirs.values()) rmSync(dir, { recursive: true, force: true });
  }
  // The morning's work on the desk (this month's clinic batch, 予診票 to send, an application): decision 0119.
  for (const d of DEMO_ORGS) await demoDayOfWork(app, d.code, 'hokenshi', d.sender);
}

/** The demo's configuration: a local https issuer address for COVID-19 certificates when none is set. */
export function demoConfig(base: MamoriConfig, port: number): MamoriConfig {
  return { ...base, demo: true, publicUrl: base.publicUrl ?? `https://localhost:${port}` };
}

function residentsOption(v: unknown): number {
  const s = String(v).trim();
  const n = Number(s);
  if (!/^\d+$/.test(s) || n < 10 || n > 100_000) throw invalidField('residents', 'RESIDENTS_RANGE', 'デモデータの住民数（--residents）は10〜100000の整数で指定してください');
  return n;
}

export async function demo(o: O): Promise<number> {
  const port = portOption(o);
  const config = demoConfig(resolveConfig({ data: o.data }), port);
  // The log goes to a file so that its lines do not mix into the banner (MAMORI_LOG_FILE overrides).
  const logFile = config.logFile ?? join(config.dataDir, 'logs', 'mamori.log');
  mkdirSync(join(logFile, '..'), { recursive: true });
  configureLogging({ level: config.logLevel, file: logFile, stderr: false });
  const app = await openApp(config);
  try {
    const creds = await prepareDemo(app, { resetPasswords: o['resetPasswords'] === true });
    if (o['dataLoad'] !== false) await loadDemoData(app, o['residents'] === undefined ? {} : { residents: residentsOption(o['residents']) });
    const show = (url: string) => {
      print('');
      print('守り Mamori デモ（合成データのみ。本物の個人情報を入力しないでください）');
      print(`URL: ${url}`);
      for (const d of DEMO_ORGS) {
        print(`${d.name}（団体コード ${d.code}）`);
        for (const c of creds.filter((x) => x.code === d.code)) {
          print(`  ${c.label.padEnd(16, '　')} ログインID: ${c.loginId.padEnd(9)} ${c.password ? `初期パスワード: ${c.password}（初回ログイン時に変更）` : 'パスワード: 変更済み（忘れたときは --reset-passwords）'}`);
        }
      }
      print(`接種証明書の検証ページ: ${url}verify（デモの発行者URL ${config.publicUrl}/issuers/<団体コード>）`);
      print(`ログ: ${logFile}`);
      print('停止するには Ctrl+C を押してください。');
    };
    if (o['serve'] === false) show('(サーバーは起動していません) ');
    // The demo serves http://localhost: its cookies cannot be Secure, and it says so at start.
    else {
      const showPlatform = (platform: DemoPlatform) => {
        print('');
        print('予防接種プラットフォーム（合成データ）:');
        for (const t of platform.tenants) print(`  ${t.name}: 登録 ${t.pushed} 人${t.failed ? `、登録できなかった方 ${t.failed} 人（個人番号なし等。/platform に一覧）` : ''}。連携APIのトークン: ${t.tokenFile}`);
        if (platform.cards.length) {
          print(`マイナポータル（住民向け）: 上の一覧の mynaportal のURLを開き、カードのファイルと暗証番号 ${DEMO_PIN} でログインします。`);
          for (const c of platform.cards) print(`  ${c.who}（${c.name}）のカード: ${c.file}`);
          print('  保護者でログインし、「お子さまを登録する」で子のカードを使うと、子のお知らせ・予診票・接種記録が見られます。');
        }
        if (platform.clinic) {
          print(`医療機関用アプリ: 上の一覧の platform のURLに /clinic を付けて開きます（${platform.clinic.name}、医療機関コード ${platform.clinic.code}）。`);
          for (const a of platform.clinic.accounts) print(`  ${a.role === 'doctor' ? '医師' : '受付'}: 利用者ID ${a.userId}  パスワード ${a.password}`);
          print('  受付で上のカードのファイルを読み取り、医師が予診票を確認して接種を登録します。登録した接種は /platform/records で台帳に取り込み、/billing で請求、/payments で支払います。');
        }
      };
      await serveApp(app, String(o['host'] ?? '127.0.0.1'), port, show, {
        insecureCookies: true,
        waitForExchange: true,
        afterStart: async (orgs) => {
          try {
            showPlatform(await prepareDemoPlatform(app, orgs, DEMO_ORGS, warn));
          } catch (e) {
            warn(`予防接種プラットフォームの準備に失敗しました: ${(e as Error).message}`);
          }
          // デジタル庁 公金受取口座登録システム (decision 0163): synthetic registrations for about two in three residents.
          if (orgs.directory.has('koukin')) {
            for (const d of DEMO_ORGS) {
              try {
                const k = await seedDemoKoukin(app, orgs.directory, d.code);
                print(`公金受取口座（合成データ）: ${d.name} 登録あり ${k.registered} 人、登録なし ${k.without} 人。償還払いの申請・住民の振込先口座の画面で「公金受取口座を照会する」を試せます。`);
              } catch (e) {
                warn(`公金受取口座のデモデータの準備に失敗しました（${d.name}）: ${(e as Error).message}`);
              }
            }
          }
          // 国家資格等情報連携・活用システム (issue 15): 公金決済 knows the registry as a merchant; a 審査責任者 per 資格管理者.
          if (orgs.directory.has('registry') && orgs.directory.has('payment') && orgs.directory.has('mynaportal')) {
            try {
              const r = await prepareDemoRegistry(app, orgs.directory, join(app.config.dataDir, 'demo-registry'));
              print('');
              print('国家資格の申請: マイナポータルの「国家資格の申請」から、カードのファイルと暗証番号で申請し、手数料を公金決済（模擬）で支払えます。');
              print('国家資格の審査: 上の一覧の registry のURLに /registry/login を付けて開き、資格管理者ごとの利用者トークンでログインします。');
              for (const e of r.examiners) print(`  ${e.name}（審査責任者 ${e.userId}）のトークン: ${e.tokenFile}`);
              // Issue 16: where the holder, a verifier and anyone searching go.
              print('デジタル資格証: 登録後、マイナポータルの「デジタル資格証」で受け取り、registry のURLに /verify を付けた確認ページで確かめられます。');
              if (orgs.directory.has('kensaku')) print(`資格確認検索（公開）: ${orgs.directory.entry('kensaku').url}/kensaku`);
            } catch (e) {
              warn(`国家資格のデモの準備に失敗しました: ${(e as Error).message}`);
            }
          }
          // 法務省 戸籍情報連携システム (decision 0184): synthetic 戸籍 for the residents, for the registry's 戸籍 checks.
          if (orgs.directory.has('koseki')) {
            for (const d of DEMO_ORGS) {
              try {
                const k = await seedDemoKoseki(app, orgs.directory, d.code);
                print(`戸籍（合成データ）: ${d.name} 住基と紐付く戸籍 ${k.linked} 人、紐付かない方（本籍を特定できない） ${k.unlinked} 人。`);
              } catch (e) {
                warn(`戸籍のデモデータの準備に失敗しました（${d.name}）: ${(e as Error).message}`);
              }
            }
          }
        },
      });
    }
  } finally {
    await app.close();
  }
  return 0;
}
