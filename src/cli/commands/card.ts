// `mamori card issue|revoke` (docs/formats/platform-cli.md, "mamori card"; decision 0144): a synthetic My
// Number card for a resident — two key pairs generated here, the certificates issued by the synthetic
// 公的個人認証サービス (`card` node, asked by the municipality node over the message layer), the private keys
// written into a card file encrypted under the 4-digit PIN.  The private keys leave this process only
// encrypted into that file; the My Number is read through the vault for the issuance message and never
// printed.  Like `mamori exchange`, the command hosts every organisation in its own process on loopback
// ports (or uses the running ones named in MAMORI_DIRECTORY).
//
// Only type imports at the top: `src/cli/main.ts` loads this module to register the commands, and the
// implementations load the application lazily (quick commands stay quick).
import type { Command } from 'commander';
import type { App, Organisations } from '../../app/index.js';
import type { Principal } from '../../kernel/context/index.js';

type O = Record<string, unknown> & { data?: string };
type Action = (opts: O, args: string[]) => Promise<number | void>;
type Leaf = (parent: Command, name: string, description: string) => Command;
type Run = (load: () => Promise<Action>) => (...a: unknown[]) => Promise<void>;

/** The purpose written with the My Number's use and the resident's read (operation log). */
export const CARD_ISSUE_PURPOSE = 'マイナンバーカードの電子証明書の発行（公的個人認証サービス・合成）';
const CARD_NODE = 'card';

/** Registers `mamori card …` (one line in main.ts). */
export function registerCardCommands(program: Command, leaf: Leaf, run: Run): void {
  const card = program.command('card').description('マイナンバーカード（合成）の電子証明書（公的個人認証サービス・合成）');
  leaf(card, 'issue', '住民のマイナンバーカード（合成）を発行し、カードのファイルを書き出す（鍵はこの場で生成し、暗証番号で暗号化）')
    .requiredOption('--tenant <code>', '団体コード')
    .requiredOption('--atena <atena>', '住民の宛名番号（10桁）')
    .requiredOption('--pin <pin>', '利用者証明用の暗証番号（4桁の数字）')
    .requiredOption('--out <file>', 'カードのファイル（JSON、mamori-card/1）の書き出し先')
    .option('--json', 'JSONで出力（{"file","authSerial","signSerial","notAfter","linked"}）')
    .action(run(async () => issue));
  leaf(card, 'revoke', '電子証明書を失効させる（市区町村から公的個人認証サービスへ）')
    .requiredOption('--serial <serial>', '電子証明書のシリアル番号（32桁の16進数）')
    .requiredOption('--reason <text>', '失効の理由')
    .option('--json', 'JSONで出力（{"serial","revoked","revokedAt"}）')
    .action(run(async () => revoke));
}

async function withOrganisations<T>(o: O, fn: (app: App, orgs: Organisations) => Promise<T>): Promise<T> {
  // Loaded when the command runs (main.ts registers this module at every start).
  return (await import('../context.js')).withOrganisations(o, fn);
}

/** exit 3: the 公的個人認証サービス refused; the problem goes to stderr, and to stdout with --json (as `mamori exchange`). */
async function refused(o: O, e: unknown): Promise<number> {
  const { isProblem } = await import('../../kernel/problems/index.js');
  const { printJson, warn } = await import('../io.js');
  if (!isProblem(e)) throw e;
  if (o['json']) printJson({ type: 'about:blank', status: e.status, code: e.code, title: e.title, detail: e.detail });
  warn(`公的個人認証サービスが受け付けませんでした [${e.code}] ${e.title}${e.detail ? `: ${e.detail}` : ''}`);
  return 3;
}

export async function issue(o: O): Promise<number> {
  const { Problem, isProblem } = await import('../../kernel/problems/index.js');
  const jpki = await import('../../kernel/jpki/index.js');
  const pin = jpki.checkPin(String(o['pin'] ?? ''));
  const atena = String(o['atena'] ?? '');
  if (!/^\d{10}$/.test(atena)) throw new Problem(400, 'ATENA_INVALID', '宛名番号が正しくありません', '--atena には10桁の宛名番号を指定してください。');
  const { existsSync, writeFileSync, renameSync } = await import('node:fs');
  const { resolve } = await import('node:path');
  const file = resolve(String(o['out'] ?? ''));
  if (existsSync(file)) throw new Problem(400, 'CARD_FILE_EXISTS', '書き出し先のファイルがすでにあります', `${file} は上書きしません。別のファイル名を指定してください。`);
  const { newMeta, systemActor, cliOperator } = await import('../../kernel/context/index.js');
  const { issueCard } = await import('../../municipality/platform/index.js');
  const { tenantArg } = await import('../context.js');
  const { print, printJson } = await import('../io.js');

  return withOrganisations(o, async (app, orgs) => {
    const tenant = await tenantArg(app, o['tenant']);
    // The operator at the command line issues the card for the municipality; reading the number to send it
    // to the CA (番号法: 公的個人認証法の事務) is the reason this principal may use the vault.
    const who: Principal = {
      tenant,
      actor: { ...systemActor(`card-issue:${cliOperator()}`), mynumberView: true },
      meta: newMeta('cli:card issue', { terminalId: `host:${process.env['HOSTNAME'] ?? 'local'}` }),
    };
    let a;
    try {
      a = await issueCard({ db: app.db, vault: app.vault, clock: app.config.clock }, who, orgs.municipal.node, atena, pin);
    } catch (e) {
      // Our own checks (no such resident, not a resident, no number) are errors; the CA's refusals exit 3.
      if (isProblem(e) && !['NOT_FOUND', 'CARD_NOT_RESIDENT', 'NO_MYNUMBER', 'CARD_PIN_INVALID'].includes(e.code)) return refused(o, e);
      throw e;
    }
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, JSON.stringify(a.cardFile, null, 2) + '\n', { mode: 0o600 });
    renameSync(tmp, file);
    const out = { file, authSerial: a.authSerial, signSerial: a.signSerial, notAfter: a.notAfter, linked: a.linked };
    if (o['json']) printJson(out);
    else {
      print(`カードのファイルを書き出しました: ${file}`);
      print(`  利用者証明用電子証明書 シリアル番号 ${a.authSerial}`);
      print(`  署名用電子証明書       シリアル番号 ${a.signSerial}`);
      print(`  有効期間 ${a.notBefore} から ${a.notAfter} まで`);
      print(`  健康保険証の利用登録: ${a.linked ? '済み' : 'できませんでした（支払基金に登録されていないか、接続できません）'}`);
    }
    return 0;
  });
}

export async function revoke(o: O): Promise<number> {
  const { Problem } = await import('../../kernel/problems/index.js');
  const serial = String(o['serial'] ?? '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(serial)) throw new Problem(400, 'SERIAL_INVALID', 'シリアル番号が正しくありません', '--serial には32桁の16進数を指定してください。');
  const reason = String(o['reason'] ?? '').trim();
  if (!reason) throw new Problem(400, 'REASON_REQUIRED', '失効の理由がありません', '--reason に失効の理由を指定してください。');
  const { print, printJson } = await import('../io.js');
  return withOrganisations(o, async (_app, orgs) => {
    let res: Awaited<ReturnType<typeof orgs.municipal.node.call>>;
    try {
      res = await orgs.municipal.node.call(CARD_NODE, 'card.revoke', { serial, reason });
    } catch (e) {
      return refused(o, e);
    }
    const b = res.body as { revoked: boolean; revokedAt?: string };
    const out = { serial, revoked: b.revoked, revokedAt: b.revokedAt ?? null };
    if (o['json']) printJson(out);
    else print(`電子証明書 ${serial} を失効させました（${out.revokedAt ?? ''}）`);
    return 0;
  });
}
