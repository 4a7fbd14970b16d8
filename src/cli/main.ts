// `mamori` command line.  Definitions live here; each action loads its implementation lazily so that
// quick commands (mynumber validate, schedule evaluate) start fast.
import { Command, CommanderError, Option } from 'commander';
import { CliExit, reportError } from './io.js';
import { redactMyNumbers } from '../kernel/log/index.js';
import { registerCardCommands } from './commands/card.js';
import { registerRegistryApplyCommand } from './commands/registry-apply.js';
import { registerRegistryCertificateCommand } from './commands/registry-certificate.js';

type Opts = Record<string, unknown> & { data?: string };
type Action = (opts: Opts, args: string[]) => Promise<number | void>;

function run(load: () => Promise<Action>): (...a: unknown[]) => Promise<void> {
  return async (...a: unknown[]) => {
    const cmd = a[a.length - 1] as Command;
    const opts = cmd.optsWithGlobals<Opts>();
    const args = a.slice(0, -2).filter((x): x is string => typeof x === 'string');
    const action = await load();
    const code = await action(opts, args);
    if (typeof code === 'number' && code !== 0) throw new CliExit(code);
  };
}

const dataOption = (): Option => new Option('--data <dir>', '組込みデータベースと鍵の置き場所（既定 ./data、DATABASE_URL があればサーバー）');

function leaf(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).addOption(dataOption());
}

export function buildProgram(): Command {
  const program = new Command('mamori')
    .description('守り Mamori — 予防接種事務・予防接種プラットフォーム・国家資格の特定個人情報を守るシステム')
    .addOption(dataOption())
    .showHelpAfterError()
    // commander's own messages echo arguments ("unknown option '…'"): redacted like every diagnostic.
    .configureOutput({ writeErr: (str) => process.stderr.write(redactMyNumbers(str)) })
    .exitOverride();

  // ---------------------------------------------------------------- organisations
  const org = program.command('org').description('団体（地方公共団体・国の機関・医療機関）');
  leaf(org, 'add', '団体を登録する（地方公共団体コード・法人番号・医療機関コードは検査数字を検証）')
    .requiredOption('--code <code>', '地方公共団体コード（6桁）/ 法人番号（13桁）/ 医療機関コード（10桁）')
    .requiredOption('--name <name>', '名称')
    .addOption(new Option('--kind <kind>', '種別').choices(['municipality', 'national', 'clinic']).default('municipality'))
    .option('--kana <kana>', '名称カナ')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/org.js')).add));
  leaf(org, 'list', '団体の一覧').option('--json', 'JSONで出力').action(run(async () => (await import('./commands/org.js')).list));
  leaf(org, 'attach', '医療機関（または委託先）を団体に所属させる')
    .requiredOption('--tenant <code>', '団体コード')
    .requiredOption('--member <code>', '医療機関コード（10桁）等')
    .addOption(new Option('--relation <relation>', '関係').choices(['clinic', 'contractor']).default('clinic'))
    .action(run(async () => (await import('./commands/org.js')).attach));
  leaf(org, 'members', '団体に所属する医療機関等の一覧').requiredOption('--tenant <code>', '団体コード').option('--json', 'JSONで出力').action(run(async () => (await import('./commands/org.js')).members));

  // ---------------------------------------------------------------- database
  const db = program.command('db').description('データベース');
  leaf(db, 'migrate', '未適用のマイグレーションを適用する').action(run(async () => (await import('./commands/db.js')).migrateCmd));
  leaf(db, 'status', '適用済みのマイグレーションを表示する').action(run(async () => (await import('./commands/db.js')).status));

  // ---------------------------------------------------------------- My Number
  const mn = program.command('mynumber').description('個人番号（マイナンバー）');
  leaf(mn, 'validate', '個人番号を検証する（有効なら終了コード0、無効なら1で理由を標準エラーに出力）')
    .argument('<digits>', '12桁の個人番号（全角数字は半角に変換して検証）')
    .action(run(async () => (await import('./commands/mynumber.js')).validate));
  leaf(mn, 'generate', 'テスト範囲（先頭999）の合成個人番号を出力する')
    .requiredOption('--count <n>', '件数')
    .option('--seed <seed>', 'シード（同じシードなら同じ番号列）', 'mamori')
    .action(run(async () => (await import('./commands/mynumber.js')).generate));

  // ---------------------------------------------------------------- schedule (pure engine, no database)
  const sched = program.command('schedule').description('予防接種スケジュールの判定（データベース不要。JSONを標準入力から読み、標準出力に書く）');
  const schedLeaf = (name: string, description: string): Command =>
    sched
      .command(name)
      .description(description)
      .option('--config <files...>', '市区町村の予防接種設定（臨時・特措法・任意の事業、接種期間の変更）のJSONファイル')
      .option('--compact', 'JSONを1行で出力する');
  schedLeaf('evaluate', '事業ごとの状態・接種済み回数・次の接種と理由を判定する（入力: {asOf, person, history, programs?}）')
    .action(run(async () => (await import('./commands/schedule.js')).evaluateCmd));
  schedLeaf('check', '予定の接種が定期接種として認められるか確認する（入力: {person, history, proposed}）')
    .action(run(async () => (await import('./commands/schedule.js')).checkCmd));
  schedLeaf('catalog', '使用中のカタログ（事業・ワクチン・条件と出典）をJSONで出力する')
    .action(run(async () => (await import('./commands/schedule.js')).catalogCmd));
  // The municipality's stored configuration (uses the database, unlike the commands above; decision 0029).
  const schedConfig = sched.command('config').description('団体の予防接種設定（臨時・特措法・任意の事業）をデータベースに登録・表示する');
  leaf(schedConfig, 'set', '設定ファイル（JSON）を検証して新しい版として登録する')
    .argument('<file>', '設定ファイル（docs/formats/schedule-cli.md の形式）')
    .requiredOption('--tenant <code>', '団体コード')
    .option('--note <text>', '改訂内容のメモ')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/schedule-config.js')).set));
  leaf(schedConfig, 'list', '登録済みの版の一覧').requiredOption('--tenant <code>', '団体コード').option('--json', 'JSONで出力').action(run(async () => (await import('./commands/schedule-config.js')).list));
  leaf(schedConfig, 'show', '登録済みの設定（JSON）を出力する')
    .requiredOption('--tenant <code>', '団体コード')
    .option('--version <n>', '版（既定: 最新）')
    .action(run(async () => (await import('./commands/schedule-config.js')).show));

  // ---------------------------------------------------------------- certificates (SMART Health Card, no database)
  const cert = program.command('certificate').description('接種証明書（SMART Health Card）。データベース不要（--data は鍵の置き場所のみ）');
  leaf(cert, 'verify', 'SMART Health Card を検証して内容を表示する（有効なら0、無効なら1で理由を標準エラーに、使い方の誤りは2）')
    .argument('<input>', 'ファイル（.smart-health-card・QRの文字列・JWS）またはQRの文字列（shc:/…）。分割QRは1行に1枚')
    .option('--jwks <file>', '信頼する発行者の公開鍵集合（jwks.json）。自団体の鍵は鍵ディレクトリから読む')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/certificate.js')).verify));
  leaf(cert, 'sample', '合成データの見本証明書を書き出す（sample.smart-health-card, sample-qr.txt, sample-qr.png, issuer-jwks.json）')
    .requiredOption('--out <dir>', '出力先ディレクトリ')
    .option('--tenant <code>', '発行する団体コード（既定 312011）')
    .addOption(new Option('--kind <kind>', '国内用・海外用').choices(['domestic', 'overseas']).default('domestic'))
    .option('--issuer <url>', '発行者URL（既定 $MAMORI_PUBLIC_URL/issuers/<団体コード>）')
    .option('--name <name>', '発行者（市区町村）名')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/certificate.js')).sample));
  leaf(cert, 'jwks', '団体の発行者公開鍵集合（JWKS）を出力する').requiredOption('--tenant <code>', '団体コード').action(run(async () => (await import('./commands/certificate.js')).jwks));
  leaf(cert, 'rotate-key', '団体の発行者鍵を更新する（旧鍵の公開鍵は JWKS に残す）')
    .requiredOption('--tenant <code>', '団体コード')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/certificate.js')).rotateKey));

  // ---------------------------------------------------------------- copay
  const copay = program.command('copay').description('予防接種の自己負担（区分・金額・免除）');
  const copayRules = copay.command('rules').description('自己負担の規則（予防接種の種類・年度ごと）');
  leaf(copayRules, 'set', '規則を登録する（JSON ファイル: {program, fiscalYear, rule}。docs/formats/copay-rules.md）')
    .argument('<file>', '規則の JSON ファイル')
    .requiredOption('--tenant <code>', '団体コード')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/copay.js')).rulesSet));
  leaf(copayRules, 'list', '登録済みの規則の一覧').requiredOption('--tenant <code>', '団体コード').option('--json', 'JSONで出力').action(run(async () => (await import('./commands/copay.js')).rulesList));

  // ---------------------------------------------------------------- import
  const imp = program.command('import').description('ファイルの取込');
  leaf(imp, 'residents', '住民基本台帳の全件ファイル・異動ファイルを取り込む（UTF-8／Shift_JIS、再実行・中断後の再開に対応）')
    .argument('<file>', 'CSV ファイル（docs/formats/residents-csv.md）')
    .requiredOption('--tenant <code>', '団体コード')
    .addOption(new Option('--encoding <enc>', '文字コード').choices(['auto', 'utf8', 'sjis']).default('auto'))
    .addOption(new Option('--kind <kind>', '様式（既定: ヘッダーから判定）').choices(['auto', 'full', 'diff']).default('auto'))
    .option('--base-date <date>', '全件ファイルの基準日 YYYY-MM-DD（最新異動日のない行の適用日。既定: 今日）')
    .option('--batch <n>', '1トランザクションの行数（既定 1000）')
    .option('--report <file>', '不備の一覧を CSV で出力する')
    .option('--json', '件数を JSON で出力 {accepted, rejected, created, updated, unchanged, …}')
    .action(run(async () => (await import('./commands/import.js')).residents));

  leaf(imp, 'records', '医療機関の接種記録ファイル（月次）を取り込む（照合できない行は確認待ちへ、再実行・再開に対応）')
    .argument('<file>', 'CSV ファイル（docs/formats/clinic-records-csv.md）')
    .requiredOption('--tenant <code>', '団体コード')
    .addOption(new Option('--encoding <enc>', '文字コード').choices(['auto', 'utf8', 'sjis']).default('auto'))
    .option('--batch <n>', '1トランザクションの行数（既定 1000）')
    .option('--report <file>', '不備の一覧を CSV で出力する')
    .option('--json', '件数を JSON で出力 {accepted, rejected, created, updated, unchanged, queued, …}')
    .action(run(async () => (await import('./commands/import.js')).records));

  leaf(imp, 'eligibility', '他部署の資格情報ファイル（生活保護・課税・介護保険）を取り込む（再実行・中断後の再開に対応）')
    .argument('<file>', 'CSV ファイル（docs/formats/eligibility-csv.md）')
    .requiredOption('--tenant <code>', '団体コード')
    .addOption(new Option('--kind <kind>', 'ファイルの種類').choices(['seikatsuhogo', 'kazei', 'kaigo']).makeOptionMandatory())
    .addOption(new Option('--encoding <enc>', '文字コード').choices(['auto', 'utf8', 'sjis']).default('auto'))
    .option('--batch <n>', '1トランザクションの行数（既定 1000）')
    .option('--report <file>', '不備の一覧を CSV で出力する')
    .option('--json', '件数を JSON で出力 {accepted, rejected, created, updated, unchanged, …}')
    .action(run(async () => (await import('./commands/copay.js')).importEligibilityCmd));

  leaf(imp, 'city', '合成都市のファイル一式（住基の全件・異動、医療機関の月次ファイル）を目録の順に取り込む（取込済みは飛ばし、中断したファイルは再開）')
    .argument('<dir>', 'mamori synth city --out で作成したディレクトリ（docs/formats/synth-city.md）')
    .option('--tenant <code>', '団体コード（既定: 目録の団体）')
    .addOption(new Option('--only <part>', '住基ファイルだけ、または接種記録ファイルだけ').choices(['residents', 'records']))
    .option('--batch <n>', '1トランザクションの行数（既定 1000）')
    .option('--json', '件数とデータベースの内容ハッシュを JSON で出力')
    .action(run(async () => (await import('./commands/city.js')).importCity));

  // ---------------------------------------------------------------- extraction (docs/formats/extraction-cli.md)
  const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
  const extract = program
    .command('extract')
    .description('予防接種の対象者・未接種者を抽出する（基準日時点の住民、中断後は --resume で再開）')
    .addOption(dataOption())
    .option('--tenant <code>', '団体コード（--resume と show では省略可）')
    .option('--program <code>', '予防接種の種類（繰り返し指定可）', collect)
    .option('--all', '基準日に実施中のすべての予防接種')
    .option('--as-of <date>', '基準日 YYYY-MM-DD')
    .addOption(new Option('--kind <kind>', '抽出の種類（targets: 対象者抽出、unvaccinated: 未接種者抽出）').choices(['targets', 'unvaccinated']).default('targets'))
    .option('--birth-from <date>', '生年月日の範囲（から）')
    .option('--birth-to <date>', '生年月日の範囲（まで）')
    .option('--district <code>', '地区コード（繰り返し指定可）', collect)
    .option('--fiscal-year <yyyy>', '次の接種の期間がかかる年度（既定: 基準日の年度）')
    .option('--chunk <n>', '1トランザクションで処理する人数（既定 5000）')
    .option('--resume <run>', '中断・失敗した抽出を再開する')
    .option('--json', '抽出ID・件数・ハッシュ・前回との差を JSON で出力')
    .action(run(async () => (await import('./commands/extract.js')).run));
  leaf(extract, 'list', '抽出の一覧').option('--tenant <code>', '団体コード').option('--limit <n>', '件数（既定 50）').option('--json', 'JSONで出力').action(run(async () => (await import('./commands/extract.js')).listRuns));
  leaf(extract, 'show', '抽出の内容（件数・ハッシュ・前回との差、--members で宛名番号ごとの一覧）')
    .argument('<run>', '抽出ID')
    .option('--tenant <code>', '団体コード（省略時は抽出IDから）')
    .option('--members', '対象者の一覧（宛名番号・予防接種・回・期間・郵送可否。氏名・住所は出力しない）')
    .option('--program <code>', '一覧を1つの予防接種に絞る')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/extract.js')).show));

  // ---------------------------------------------------------------- statistics (decisions 0075, 0076)
  program
    .command('statistics')
    .description('予防接種の統計（予防接種・回数・年齢区分ごとの対象者数・接種者数・接種率、少数は秘匿）')
    .addOption(dataOption())
    .option('--tenant <code>', '団体コード')
    .requiredOption('--fiscal-year <yyyy>', '年度（例 2025 = 令和7年度）')
    .option('--as-of <date>', '基準日 YYYY-MM-DD（既定: 年度末、年度の途中なら今日）')
    .option('--program <code>', '予防接種の種類（繰り返し指定可、既定: すべて）', collect)
    .option('--district <code>', '地区コード（繰り返し指定可）', collect)
    .option('--threshold <n>', '秘匿の基準（この数未満を秘匿、既定 10、3以上）')
    .option('--csv <file>', '報告用の CSV を書き出す（UTF-8 BOM 付き）')
    .option('--json', 'JSONで出力（秘匿した値は "＊"）')
    .action(run(async () => (await import('./commands/statistics.js')).run));

  // ---------------------------------------------------------------- keys
  const keys = program.command('keys').description('鍵管理');
  leaf(keys, 'rotate', 'マスター鍵を更新し、全団体のデータ鍵を再ラップする（--data-keys でデータ鍵も更新し再暗号化）')
    .option('--data-keys', 'データ鍵（個人番号暗号化鍵）も新しい版にして全件を再暗号化する')
    .option('--tenant <code>', '--data-keys の対象団体（省略時は全団体）')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/keys.js')).rotate));
  leaf(keys, 'status', '鍵の状態').option('--json', 'JSONで出力').action(run(async () => (await import('./commands/keys.js')).status));

  // ---------------------------------------------------------------- accounts
  const acc = program.command('account').description('職員アカウント');
  leaf(acc, 'bootstrap-admin', '団体の初期アカウント管理者を作成する（初期パスワードを表示）')
    .requiredOption('--tenant <code>', '団体コード')
    .requiredOption('--login <id>', 'ログインID')
    .requiredOption('--name <name>', '氏名')
    .option('--expires <date>', '有効期限 YYYY-MM-DD（既定 1年後）')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/account.js')).bootstrapAdmin));
  leaf(acc, 'list', 'アカウントの一覧').requiredOption('--tenant <code>', '団体コード').option('--json', 'JSONで出力').action(run(async () => (await import('./commands/account.js')).list));
  leaf(acc, 'export', 'アクセス権限の管理表（CSV）を出力する')
    .requiredOption('--tenant <code>', '団体コード')
    .option('--out <file>', '出力ファイル（省略時は標準出力）')
    .action(run(async () => (await import('./commands/account.js')).exportTable));
  leaf(acc, 'review', 'アカウント棚卸し（未使用・期限間近・特権・個人番号閲覧可）')
    .requiredOption('--tenant <code>', '団体コード')
    .option('--inactive-days <n>', '未使用とみなす日数')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/account.js')).review));
  leaf(acc, 'expire', '有効期限を過ぎたアカウントを期限切れにしてセッションを終了する')
    .option('--tenant <code>', '団体コード（省略時は全団体）')
    .action(run(async () => (await import('./commands/account.js')).expire));

  // ---------------------------------------------------------------- audit
  // ---------------------------------------------------------------- billing and payments (decisions 0149, 0150; docs/formats/billing-cli.md)
  const bl = program.command('billing').description('医療機関への接種委託料の請求（単価・支払先・月の締めと国保連の審査）');
  const bm = async () => await import('./commands/billing.js');
  leaf(bl, 'close', '請求月を締めて国保連の審査に送る（医療機関ごとに1件の請求。繰り返しても重複しない）').requiredOption('--tenant <code>', '団体コード').requiredOption('--month <YYYY-MM>', '請求年月').option('--json', 'JSONで出力（{"claims","accepted","returned","amount"}）').action(run(async () => (await bm()).close));
  const blp = bl.command('prices').description('接種委託料の単価');
  leaf(blp, 'set', '単価を登録する（予防接種と適用開始日ごと）').requiredOption('--tenant <code>', '団体コード').requiredOption('--program <code>', '予防接種のコード').requiredOption('--from <YYYY-MM-DD>', '適用開始日').requiredOption('--unit-price <円>', '単価（円）').option('--copay <円>', '自己負担額（円、既定 0）').option('--waive <区分>', '自己負担を免除する減免区分（カンマ区切り、例 生活保護,市町村民税非課税）').option('--json', 'JSONで出力').action(run(async () => (await bm()).priceSet));
  leaf(blp, 'list', '単価の一覧').requiredOption('--tenant <code>', '団体コード').option('--json', 'JSONで出力').action(run(async () => (await bm()).priceList));
  const blq = bl.command('payee').description('医療機関の支払先口座');
  leaf(blq, 'set', '支払先口座を登録する').requiredOption('--tenant <code>', '団体コード').requiredOption('--institution <code>', '医療機関コード（10桁）').requiredOption('--name <name>', '医療機関名').requiredOption('--kana <kana>', '医療機関名（カナ）').requiredOption('--bank <code>', '金融機関コード（4桁）').option('--bank-kana <kana>', '金融機関名（カナ）').requiredOption('--branch <code>', '支店コード（3桁）').option('--branch-kana <kana>', '支店名（カナ）').requiredOption('--account-type <type>', '預金種目（1 普通・2 当座・4 貯蓄）').requiredOption('--account <no>', '口座番号（7桁）').requiredOption('--holder <kana>', '口座名義（カナ）').option('--json', 'JSONで出力').action(run(async () => (await bm()).payeeSet));
  leaf(blq, 'list', '支払先口座の一覧').requiredOption('--tenant <code>', '団体コード').option('--json', 'JSONで出力').action(run(async () => (await bm()).payeeList));
  const blr = bl.command('requester').description('振込依頼人（市区町村）の口座');
  leaf(blr, 'set', '振込依頼人の委託者コードと口座を登録する').requiredOption('--tenant <code>', '団体コード').requiredOption('--code <code>', '委託者コード（10桁）').requiredOption('--kana <kana>', '依頼人名（カナ）').requiredOption('--bank <code>', '金融機関コード（4桁）').option('--bank-kana <kana>', '金融機関名（カナ）').requiredOption('--branch <code>', '支店コード（3桁）').option('--branch-kana <kana>', '支店名（カナ）').requiredOption('--account-type <type>', '預金種目（1 普通・2 当座・4 貯蓄）').requiredOption('--account <no>', '口座番号（7桁）').option('--json', 'JSONで出力').action(run(async () => (await bm()).requesterSet));
  const pay = program.command('payments').description('医療機関・償還払いの支払（支払の作成と総合振込ファイル）');
  leaf(pay, 'batch', '請求月の承認済み・審査済みの請求（保留を除く）を医療機関ごとに、--reimbursements で承認済みの償還払いを申請ごとに支払う').requiredOption('--tenant <code>', '団体コード').option('--month <YYYY-MM>', '請求年月（--reimbursements だけなら省略可）').option('--reimbursements', '承認済みで未払いの償還払いも支払う').option('--transfer-date <YYYY-MM-DD>', '振込日（既定 7日後の平日）').option('--json', 'JSONで出力（{"batch","payments","amount"}）').action(run(async () => (await bm()).batch));
  leaf(pay, 'file', '支払の全銀協 総合振込ファイル（Shift_JIS）を出力する').requiredOption('--tenant <code>', '団体コード').requiredOption('--batch <id>', '支払番号').requiredOption('--out <file>', '出力先のファイル').action(run(async () => (await bm()).file));
  // ---------------------------------------------------------------- platform (decision 0147; docs/formats/platform-cli.md)
  const pf = program.command('platform').description('予防接種プラットフォーム連携（接種対象者の登録と連携状況）');
  leaf(pf, 'push', '抽出結果の対象者を予防接種プラットフォームに登録する（変更のあった方だけ。送信に失敗したら終了コード3）').requiredOption('--tenant <code>', '団体コード').requiredOption('--run <id>', '抽出の番号').option('--all', '変更のない方も送る').option('--json', 'JSONで出力（{"sent","registered","updated","deleted","failed"}）').action(run(async () => (await import('./commands/platform.js')).push));
  leaf(pf, 'records', '医療機関が予防接種プラットフォームに登録した接種記録を台帳に取り込む（前回の続きから。取込に失敗したら終了コード3）').requiredOption('--tenant <code>', '団体コード').option('--json', 'JSONで出力（{"fetched","created","queued","unchanged"}）').action(run(async () => (await import('./commands/platform.js')).records));
  leaf(pf, 'status', '予防接種プラットフォームとの連携状況と失敗した方の一覧').requiredOption('--tenant <code>', '団体コード').option('--json', 'JSONで出力').action(run(async () => (await import('./commands/platform.js')).status));
  // The platform operator's commands (運用保守; decision 0143): contracts, users (PMH-20), tokens, logs, erasure.
  const pa = async () => await import('./commands/platform-admin.js');
  const pft = pf.command('tenant').description('契約団体（プラットフォームの利用団体）');
  leaf(pft, 'add', '契約団体を登録する').requiredOption('--code <code>', '団体コード').requiredOption('--name <name>', '名称').option('--node <node>', '連携する組織（ノード）名（既定 municipality）').option('--json', 'JSONで出力').action(run(async () => (await pa()).tenantAdd));
  leaf(pft, 'list', '契約団体の一覧').option('--json', 'JSONで出力').action(run(async () => (await pa()).tenantList));
  const pfu = pf.command('user').description('プラットフォームの利用者（機関ユーザー）');
  leaf(pfu, 'apply', '利用者登録を申請する').requiredOption('--tenant <code>', '団体コード').requiredOption('--user <id>', '機関ユーザーID').requiredOption('--email <mail>', 'メールアドレス').requiredOption('--name <name>', '氏名').requiredOption('--permission <p>', '権限（admin / register / view）').requiredOption('--reason <text>', '申請理由').option('--mynumber-view', '個人番号閲覧可能').option('--by <id>', '申請者（既定 operator）').option('--json', 'JSONで出力').action(run(async () => (await pa()).userApply));
  leaf(pfu, 'approve', '申請を承認する（申請者以外の管理者）').requiredOption('--tenant <code>', '団体コード').requiredOption('--user <id>', '機関ユーザーID').requiredOption('--by <id>', '承認する管理者（最初の管理者は operator）').option('--json', 'JSONで出力').action(run(async () => (await pa()).userApprove));
  leaf(pfu, 'delete', '利用者に削除フラグを設定する').requiredOption('--tenant <code>', '団体コード').requiredOption('--user <id>', '機関ユーザーID').action(run(async () => (await pa()).userDelete));
  leaf(pfu, 'list', '利用者の一覧').requiredOption('--tenant <code>', '団体コード').option('--json', 'JSONで出力').action(run(async () => (await pa()).userList));
  leaf(pf, 'token', '健康管理システムの連携用トークンを発行する（連携登録の権限を持つ利用者に）').requiredOption('--tenant <code>', '団体コード').requiredOption('--user <id>', '機関ユーザーID').option('--out <file>', 'トークンをファイルに書き出す（画面に出さない）').option('--json', 'JSONで出力').action(run(async () => (await pa()).token));
  leaf(pf, 'logs', '特定個人情報の取扱いログ（CSV）').requiredOption('--tenant <code>', '団体コード').option('--from <date>', 'この日時以降').option('--to <date>', 'この日時より前').option('--json', 'JSONで出力').action(run(async () => (await pa()).logs));
  leaf(pf, 'erase', '契約終了: 団体の全データを消去して報告する').requiredOption('--tenant <code>', '団体コード').requiredOption('--confirm <code>', '確認のため団体コードをもう一度').option('--by <who>', '実施者').option('--json', 'JSONで出力').action(run(async () => (await pa()).erase));
  // Medical institutions on the platform (issue 13 part C; docs/formats/platform-cli.md "mamori platform clinic").
  const pfc = pf.command('clinic').description('医療機関（医療機関コード・委託契約・職員のアカウント）');
  leaf(pfc, 'add', '医療機関を登録する（医療機関コード10桁、検証番号を確認）').requiredOption('--code <code>', '医療機関コード').requiredOption('--name <name>', '名称').option('--json', 'JSONで出力').action(run(async () => (await pa()).clinicAdd));
  leaf(pfc, 'contract', '医療機関と市区町村の委託契約を登録する').requiredOption('--institution <code>', '医療機関コード').requiredOption('--municipality <code>', '団体コード').option('--from <date>', '開始日（既定は今日）').option('--until <date>', '終了日').option('--json', 'JSONで出力').action(run(async () => (await pa()).clinicContract));
  leaf(pfc, 'account', '医療機関の職員のアカウントを作成する（初期パスワードを一度だけ表示）').requiredOption('--institution <code>', '医療機関コード').requiredOption('--user <id>', 'ユーザーID').requiredOption('--name <name>', '氏名').requiredOption('--role <role>', '役割（reception / doctor / admin）').option('--out <file>', '初期パスワードをファイルに書き出す（画面に出さない）').option('--by <id>', '作成者（既定 operator）').option('--json', 'JSONで出力').action(run(async () => (await pa()).clinicAccount));
  leaf(pfc, 'list', '医療機関のアカウントと委託契約の一覧').requiredOption('--institution <code>', '医療機関コード').option('--json', 'JSONで出力').action(run(async () => (await pa()).clinicList));
  leaf(pfc, 'unlock', 'ロックされたアカウントを解除する').requiredOption('--institution <code>', '医療機関コード').requiredOption('--user <id>', 'ユーザーID').action(run(async () => (await pa()).clinicUnlock));
  // ---------------------------------------------------------------- exchange (decision 0134; docs/formats/exchange-cli.md)
  const xch = program.command('exchange').description('情報連携（中間サーバー・情報提供ネットワークシステム・住基ネット）');
  leaf(xch, 'copies', '予防接種台帳の副本を中間サーバーに登録する（住基ネットへの通知と符号の取得を済ませてから）')
    .requiredOption('--tenant <code>', '団体コード')
    .option('--json', 'JSONで出力（{"registered","unchanged","rejected"}）')
    .action(run(async () => (await import('./commands/exchange.js')).copies));
  leaf(xch, 'inquire', '他の市区町村に予防接種歴を照会する（情報提供ネットワークシステム経由。拒否されたら終了コード3）')
    .requiredOption('--tenant <code>', '照会する団体の団体コード')
    .requiredOption('--atena <atena>', '照会する住民の宛名番号（10桁）')
    .option('--item <item>', '照会する情報', 'vaccination-history')
    .option('--provider <code>', '照会先の団体コード（省略時は転入前住所から）')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/exchange.js')).inquire));
  leaf(xch, 'covid-inquire', '転入前の市区町村に新型コロナワクチンの接種記録を照会する（VRS・旧制度。同意書と本人確認が必須。拒否されたら終了コード3）')
    .requiredOption('--tenant <code>', '照会する団体の団体コード')
    .requiredOption('--atena <atena>', '照会する住民の宛名番号（10桁）')
    .requiredOption('--consent-form <no>', '新接種券発行申請書兼接種記録確認同意書の番号')
    .requiredOption('--id-document <kind>', '本人確認書類: mynumber-card（マイナンバーカード）, driving-licence（運転免許証）, other（その他）')
    .option('--provider <code>', '照会先の団体コード（省略時は転入前住所から）')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/exchange.js')).covidInquire));
  leaf(xch, 'covid-records', 'ワクチン接種記録システム（VRS）が記録した提供の記録（照会と提供の両方）を表示する')
    .requiredOption('--tenant <code>', '団体コード')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/exchange.js')).covidRecords));
  leaf(xch, 'records', '情報提供等記録（照会と提供の両方）を表示する')
    .requiredOption('--tenant <code>', '団体コード')
    .option('--person <atena>', 'この住民（宛名番号）の記録だけ')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/exchange.js')).records));
  leaf(xch, 'rotate-key', '組織（ノード）の署名鍵と暗号化鍵を更新する（旧世代の公開鍵は JWKS に残り、その前の世代は信頼されなくなる）')
    .requiredOption('--org <name>', 'municipality, network, jlis, chukan-<団体コード>')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/exchange.js')).rotateKey));
  leaf(xch, 'messages', '組織（ノード）のメッセージ記録を表示する（ID・サービス・結果・ダイジェスト。本文は記録しません）')
    .requiredOption('--org <name>', 'municipality, network, jlis, chukan-<団体コード>, vrs')
    .option('--limit <n>', '表示する件数（既定 1000）')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/exchange.js')).messages));

  // 申請管理 (issue 14 point 5; decisions 0155, 0156; docs/formats/eapply-protocol.md).
  const ea = program.command('eapply').description('電子申請（サービス検索・電子申請機能からの申請の取込）');
  leaf(ea, 'receive', '電子申請を取り込む（署名検証・失効確認・申請者の特定。公的個人認証サービスに接続できなければ終了コード3）').requiredOption('--tenant <code>', '団体コード').option('--json', 'JSONで出力（{"received","verified","rejected"}）').action(run(async () => (await import('./commands/eapply.js')).receive));

  // 公金決済 (decision 0173; docs/formats/payment-protocol.md).
  const pmt = program.command('payment').description('公金決済（手数料のオンライン決済サービス）');
  leaf(pmt, 'merchant', '組織（ノード）を公金決済の加盟店として登録する（再実行で名称・戻り先を変更）')
    .requiredOption('--node <name>', '加盟店の組織（ノード）名')
    .requiredOption('--code <code>', '加盟店コード（英大文字・数字4〜16文字）')
    .requiredOption('--name <name>', '支払者に表示する加盟店の名称')
    .option('--return-origin <url...>', '支払後の戻り先として認めるオリジン（既定: 接続先一覧のその組織のURL）')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/payment.js')).merchant));
  // 国家資格等情報連携・活用システム (issue 15; decisions 0169–0171; docs/formats/registry-cli.md).
  const rg = program.command('registry').description('国家資格（資格カタログと申請様式）');
  leaf(rg, 'qualifications', '資格の一覧（資格コード・名称・資格管理者）').option('--json', 'JSONで出力（[{"code","name","administrator"}]）').action(run(async () => (await import('./commands/registry.js')).qualifications));
  leaf(rg, 'form', '申請様式（記入例のJSON）を表示する').requiredOption('--qualification <code>', '資格コード（mamori registry qualifications で確認）').option('--procedure <kind>', '手続: new（既定）, correction, rewrite, reissue, erasure').action(run(async () => (await import('./commands/registry.js')).form));
  registerRegistryApplyCommand(rg, leaf, run); // mamori registry apply (decisions 0188–0190)
  registerRegistryCertificateCommand(rg, leaf, run); // mamori registry certificate (QUA-25, decision 0215)
  leaf(rg, 'show', '名簿の登録（登録事項・氏名の履歴・行政処分・変更履歴）を表示する（参照は記録されます。個人番号は表示しません）')
    .requiredOption('--tenant <code>', '資格管理者コード（mhlw-isei など）').option('--qualification <code>', '資格コード（資格管理者が複数の資格を所掌するときは必須）')
    .requiredOption('--number <no>', '登録番号').option('--json', 'JSONで出力（docs/formats/registry-cli.md）')
    .action(run(async () => (await import('./commands/registry.js')).show));
  leaf(rg, 'fees', '手数料等の収支（期間・資格・手数料の種類・納付方法ごとの収入と返金）')
    .requiredOption('--tenant <code>', '資格管理者コード（mhlw-isei など）').requiredOption('--from <date>', '開始日 YYYY-MM-DD（日本時間）').requiredOption('--until <date>', '終了日 YYYY-MM-DD（この日を含む）')
    .option('--qualification <code>', '資格コードで絞り込む').option('--kind <kind>', '手数料の種類（登録免許税・登録手数料・手数料）で絞り込む')
    .addOption(new Option('--channel <channel>', '納付方法（online オンライン決済, stamp 収入印紙・領収証書）').choices(['online', 'stamp'])).option('--json', 'JSONで出力（docs/formats/registry-cli.md）')
    .action(run(async () => (await import('./commands/registry-fees.js')).fees));
  leaf(rg, 'examine', '申請を審査する（承認・補正依頼・却下）。承認すると名簿に登録し、登録番号を表示する')
    .requiredOption('--tenant <code>', '資格管理者コード（mhlw-isei など）').requiredOption('--application <id>', '申請ID')
    .option('--examiner <userId>', '審査する職員の利用者ID（この資格管理者の有効な職員。承認・却下は資格を所掌する審査責任者。省略時はその資格の審査責任者が一人ならその職員）')
    .option('--approve', '承認する').option('--return <reason>', '補正を依頼する（理由）').option('--reject <reason>', '却下する（理由）').option('--reason <text>', '承認の記事（任意）')
    .option('--json', 'JSONで出力（docs/formats/registry-cli.md）')
    .action(run(async () => (await import('./commands/registry.js')).examine));
  leaf(rg, 'passers', '合格者名簿（CSV、UTF-8 または Shift_JIS）を取り込む。全件か0件、同じファイルの再取込は変更なし')
    .requiredOption('--tenant <code>', '資格管理者コード').requiredOption('--qualification <code>', '資格コード').requiredOption('--import <file>', '合格者名簿のCSVファイル（docs/formats/registry-cli.md）')
    .option('--by <id>', '取り込む者（既定 operator）').option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/registry.js')).passers));
  // 介護福祉士 foundation (登録情報連携システム): encrypted media and the ledger, the on-demand send (decisions 0229–0232).
  const rmd = rg.command('media').description('登録情報連携システム（社会福祉振興・試験センター）との媒体（暗号化ファイル）と媒体管理簿');
  const rmc = async () => await import('./commands/registry-media.js');
  leaf(rmd, 'import', 'センターの媒体（パスワード付き暗号化ZIP）を取り込む。登録後に内容を廃棄し、媒体管理簿に記録する').requiredOption('--file <path>', '媒体のファイル').requiredOption('--by <name>', '作業した職員')
    .option('--password-file <path>', 'パスワードのファイル（既定は環境変数 MAMORI_MEDIA_PASSWORD）').option('--json', 'JSONで出力').action(run(async () => (await rmc()).mediaImport));
  leaf(rmd, 'export', 'センター向けの媒体（オンライン申請と資格仮名ID通知、個人番号なし）を作成する').requiredOption('--out <path>', '書き出すファイル').requiredOption('--by <name>', '作業した職員')
    .option('--password-file <path>', 'パスワードのファイル（既定は環境変数 MAMORI_MEDIA_PASSWORD）').option('--json', 'JSONで出力').action(run(async () => (await rmc()).mediaExport));
  leaf(rmd, 'list', '媒体管理簿（受領・登録・廃棄の記録）').option('--page <n>', 'ページ').option('--json', 'JSONで出力').action(run(async () => (await rmc()).mediaList));
  leaf(rg.command('foundation').description('登録情報連携システム（社会福祉振興・試験センター）との連携'), 'send', 'まだ送っていないオンライン申請と資格仮名IDを登録情報連携システムへ送る（API連携）')
    .option('--json', 'JSONで出力').action(run(async () => (await rmc()).foundationSend));
  const rs = rg.command('staff').description('資格管理者の利用者（申請・承認・一覧・削除・トークン）');
  const rgc = async () => await import('./commands/registry.js');
  leaf(rs, 'apply', '利用者登録を申請する（同じ資格管理者の審査責任者の承認で有効。最初の審査責任者は運用者が承認）')
    .requiredOption('--tenant <code>', '資格管理者コード（mhlw-isei など）').requiredOption('--user <id>', '利用者ID').requiredOption('--name <name>', '氏名')
    .addOption(new Option('--affiliation <kind>', '所属の種別').choices(['ministry', 'prefecture', 'health-centre', 'designated-body']).makeOptionMandatory())
    .requiredOption('--affiliation-name <name>', '所属名（例: 鳥取県倉吉保健所）')
    .addOption(new Option('--role <role>', '役割（viewer 閲覧者, clerk 審査担当, supervisor 審査責任者）').choices(['viewer', 'clerk', 'supervisor']).makeOptionMandatory())
    .requiredOption('--qualifications <codes>', '所掌する資格コード（カンマ区切り）').requiredOption('--reason <text>', '申請理由').option('--by <id>', '申請者（既定 operator）').option('--json', 'JSONで出力')
    .action(run(async () => (await rgc()).staffApply));
  leaf(rs, 'approve', '利用者登録を承認する').requiredOption('--tenant <code>', '資格管理者コード').requiredOption('--user <id>', '利用者ID').option('--by <id>', '承認する審査責任者の利用者ID（最初の審査責任者は operator）').option('--json', 'JSONで出力').action(run(async () => (await rgc()).staffApprove));
  leaf(rs, 'list', '利用者の一覧').requiredOption('--tenant <code>', '資格管理者コード').option('--json', 'JSONで出力').action(run(async () => (await rgc()).staffList));
  leaf(rs, 'delete', '利用者を削除する（発行済みのトークンも無効）').requiredOption('--tenant <code>', '資格管理者コード').requiredOption('--user <id>', '利用者ID').action(run(async () => (await rgc()).staffDelete));
  leaf(rs, 'token', '利用者に API トークンを発行する（表示はこの一度だけ）').requiredOption('--tenant <code>', '資格管理者コード').requiredOption('--user <id>', '利用者ID').option('--json', 'JSONで出力（{"token","tokenId"}）').action(run(async () => (await rgc()).staffToken));

  // 住基ネット checks of the register (decisions 0180–0183; docs/formats/registry-cli.md「住基ネットの確認」).
  leaf(rg, 'checks', '登録者の住基ネット定期確認を実行する（氏名・住所の変更、死亡などを審査への提案として記録）')
    .requiredOption('--tenant <code>', '資格管理者コード（mhlw-isei など）').option('--from <date>', '照会対象期間の開始日（YYYY-MM-DD。--until と共に指定。既定: 前回の終了日から）')
    .option('--until <date>', '照会対象期間の終了日（YYYY-MM-DD。既定: 今日）').option('--json', 'JSONで出力（{"checked","changed","deaths","unresolved"}）')
    .action(run(async () => (await rgc()).checks));
  leaf(rg, 'proposals', '住基ネット・戸籍の確認による審査への提案の一覧（件数の内訳とページ送り）')
    .requiredOption('--tenant <code>', '資格管理者コード').addOption(new Option('--status <status>', '状態（既定 open）').choices(['open', 'accepted', 'rejected', 'all']))
    .option('--kind <kind>', '種類（name, address, birth-date, sex, death, unknown）').option('--limit <n>', '件数（既定 50）').option('--offset <n>', '先頭から飛ばす件数').option('--json', 'JSONで出力')
    .action(run(async () => (await rgc()).proposals));
  leaf(rg, 'proposal', '審査への提案を処理する（--accept で登録簿に反映、--reject 理由 で反映しない）')
    .requiredOption('--tenant <code>', '資格管理者コード').requiredOption('--id <n>', '提案の番号（mamori registry proposals で確認）')
    .option('--accept', '登録簿に反映する（死亡は抹消）').option('--reject <reason>', '反映しない理由').option('--keep-old-name-as <kind>', '氏名の変更で旧氏名を旧姓・旧氏として残す（旧姓 または 旧氏）')
    .option('--by <id>', '処理する職員の利用者ID（既定 operator）').option('--json', 'JSONで出力')
    .action(run(async () => (await rgc()).proposal));
  // 免許登録管理システム・資格確認検索システムとの同期 (issue 16; QUA-28, QUA-29; docs/formats/registry-cli.md「同期」).
  leaf(rg, 'sync', '免許登録管理システム（menkyo）または資格確認検索システム（kensaku）と今すぐ同期し、件数を表示する')
    .argument('<target>', '同期先: menkyo（免許登録管理システム）または kensaku（資格確認検索システム）')
    .option('--tenant <code>', '資格管理者コード（mhlw-isei または mhlw-iyaku。既定: 両方）').option('--json', 'JSONで出力（docs/formats/registry-cli.md）')
    .action(run(async () => (await import('./commands/registry-sync.js')).sync));
  // 資格証明書 (issue 16; decisions 0201–0204; docs/formats/registry-cli.md 「資格証明書」).
  const rcr = rg.command('credential').description('資格証明書（SD-JWT VC）の見本と検証');
  const rcc = async () => await import('./commands/registry-credential.js');
  leaf(rcr, 'sample', '資格証明書の見本（証明書・提示・公開鍵・ステータスリスト）を書き出す').requiredOption('--out <dir>', '書き出すディレクトリ').option('--qualification <code>', '資格コード（既定 ishi）').option('--json', 'JSONで出力').action(run(async () => (await rcc()).sample));
  leaf(rcr, 'verify', '資格証明書または提示を検証し、開示された項目を表示する（署名・開示・失効）').argument('<file>', '資格証明書または提示のファイル')
    .option('--jwks <file>', '発行者の公開鍵（JWKS）のファイル（既定: 発行者のURLから取得）').option('--status-list <file>', 'ステータスリストのファイル（既定: 証明書の参照先から取得）').option('--json', 'JSONで出力')
    .action(run(async () => (await rcc()).verify));

  registerCardCommands(program, leaf, run); // mamori card issue|revoke (docs/formats/platform-cli.md)

  const audit = program.command('audit').description('操作ログ');
  leaf(audit, 'verify', '操作ログのハッシュ連鎖を検証する（改ざん・削除・並べ替えがあれば最初の不正エントリを示して終了コード1）')
    .option('--tenant <code>', '団体コード（省略時は全団体）')
    .option('--no-seal', '未封印のエントリを封印せずに検証する')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/audit.js')).verify));
  leaf(audit, 'seal', '未封印のエントリを連鎖に封印する').action(run(async () => (await import('./commands/audit.js')).seal));
  leaf(audit, 'export', '操作ログをCSVで出力する')
    .requiredOption('--tenant <code>', '団体コード')
    .option('--from <date>', '開始日 YYYY-MM-DD')
    .option('--to <date>', '終了日 YYYY-MM-DD（この日を含む）')
    .option('--out <file>', '出力ファイル（省略時は標準出力）')
    .action(run(async () => (await import('./commands/audit.js')).exportCsv));

  // ---------------------------------------------------------------- retention
  const ret = program.command('retention').description('保存期間と削除');
  leaf(ret, 'run', '保存期間を過ぎたデータを削除する（承認が必要な区分は削除申請を作成）')
    .option('--tenant <code>', '団体コード（省略時は全団体）')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/retention.js')).runCmd));
  leaf(ret, 'policies', '保存期間の設定を表示する').requiredOption('--tenant <code>', '団体コード').option('--json', 'JSONで出力').action(run(async () => (await import('./commands/retention.js')).policies));

  // ---------------------------------------------------------------- backup
  leaf(program, 'backup', '暗号化バックアップを作成する')
    .requiredOption('--out <file>', '出力ファイル')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/backup.js')).backupCmd));
  leaf(program, 'restore', 'バックアップから復元する')
    .argument('<file>', 'バックアップファイル')
    .option('--force', '既存のデータを消去して上書きする')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/backup.js')).restoreCmd));

  // ---------------------------------------------------------------- server
  leaf(program, 'serve', 'Webサーバーを起動する')
    .option('--port <n>', 'ポート番号（既定: 環境変数 PORT、なければ 8080）')
    .option('--host <host>', '待受アドレス', '127.0.0.1')
    .option('--insecure-cookies', 'Cookie を Secure なしで送る（http の開発・デモ専用。環境変数 MAMORI_INSECURE_COOKIES=1 と同じ）')
    .option('--only <node>', 'この組織（ノード）だけを起動する: municipality, network, jlis, chukan-<団体コード>, vrs, platform, insurerhub, card, mynaportal, kokuhoren, eapply, koukin, payment, registry, koseki, menkyo, kensaku, shiken（他の組織の接続先は環境変数 MAMORI_DIRECTORY のファイル）')
    .action(run(async () => (await import('./commands/serve.js')).serve));
  leaf(program, 'demo', 'デモ用の団体2つ（合成の住民・接種記録・抽出つき）と職員を作成して起動する（URLと初期パスワードを表示）')
    .option('--port <n>', 'ポート番号（既定: 環境変数 PORT、なければ 8080）')
    .option('--host <host>', '待受アドレス', '127.0.0.1')
    .option('--reset-passwords', 'デモ職員の初期パスワードを発行し直す')
    .option('--residents <n>', 'デモデータの住民数（団体ごと、既定 300）')
    .option('--no-data-load', 'デモデータ（合成の住民と接種記録）を読み込まない')
    .option('--no-serve', '作成だけしてサーバーは起動しない')
    .action(run(async () => (await import('./commands/demo.js')).demo));

  // ---------------------------------------------------------------- synthetic data (no database)
  const synth = program.command('synth').description('合成データ（テスト・デモ・ベンチマーク用。データベース不要）');
  synth
    .command('residents')
    .description('合成住民の住基ファイル（全件と週ごとの異動）を書き出す。同じ引数なら同じバイト列（docs/decisions/0030-synthetic-residents.md）')
    .requiredOption('--count <n>', '人数')
    .requiredOption('--out <file>', '全件ファイルの出力先（異動ファイルは <名前>.diff-01.csv …）')
    .option('--seed <seed>', 'シード（同じシードなら同じ内容）', 'mamori')
    .addOption(new Option('--encoding <enc>', '文字コード（utf8 は BOM 付き）').choices(['utf8', 'sjis']).default('utf8'))
    .option('--diffs <weeks>', '基準日の後の週ごとの異動ファイルの数', '0')
    .option('--tenant <code>', '団体コード（住所の市区町村。312011 鳥取市・131237 江戸川区・041009 仙台市）', '312011')
    .option('--start <date>', '基準日 YYYY-MM-DD（全件ファイルの日付）', '2026-04-01')
    .option('--atena', '宛名番号を付番済みで出力する（既定は空欄: Mamori が付番）')
    .option('--json', '書き出したファイルと件数を JSON で出力')
    .action(run(async () => (await import('./commands/synth.js')).residents));
  synth
    .command('city')
    .description('合成都市（住基の全件・週ごとの異動、接種歴を医療機関の月次ファイルで）を書き出す、またはデータベースに取り込む。同じ引数なら同じ内容ハッシュ（docs/formats/synth-city.md）')
    .addOption(dataOption())
    .requiredOption('--residents <n>', '人数')
    .option('--seed <seed>', 'シード（同じシードなら同じ内容）', 'mamori')
    .option('--tenant <code>', '団体コード（041009 仙台市・312011 鳥取市・131237 江戸川区）', '041009')
    .option('--start <date>', '基準日 YYYY-MM-DD（住基全件ファイルの日付）', '2026-04-01')
    .option('--weeks <n>', '基準日の後の週ごとの異動ファイルの数', '12')
    .option('--history-from <date>', '接種記録の開始日 YYYY-MM-DD', '2011-04-01')
    .addOption(new Option('--encoding <enc>', '住基ファイルの文字コード（sjis: CP932、utf8: BOM 付き）').choices(['sjis', 'utf8']).default('sjis'))
    .option('--out <dir>', '出力先ディレクトリ（目録 manifest.json と各ファイル）')
    .option('--into-db', '実際の取込処理でデータベースに取り込む（--out がなければ一時ディレクトリを使う）')
    .option('--batch <n>', '取込の1トランザクションの行数（既定 1000）')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/city.js')).synthCity));

  synth
    .command('jlis')
    .description('合成住民（synth residents と同じ人々）を住基ネット（全国サーバ）の本人確認情報として一括登録する（規模の試験用）')
    .addOption(dataOption())
    .requiredOption('--count <n>', '人数')
    .option('--seed <seed>', 'シード（synth residents / city と同じなら同じ人々）', 'mamori')
    .option('--tenant <code>', '団体コード（住所の市区町村）', '312011')
    .option('--start <date>', '基準日 YYYY-MM-DD', '2026-04-01')
    .option('--json', 'JSONで出力')
    .action(run(async () => (await import('./commands/synth.js')).jlis));

  // ---------------------------------------------------------------- bench
  leaf(program, 'bench', 'ベンチマークを実行する（各ケースはこの機械の基準値と同じ実行内で比較）')
    .option('--quick', '短時間版')
    .option('--json <file>', '結果をJSONで保存する')
    .option('--case <names...>', '実行するケース名（省略時は全ケース）')
    .action(run(async () => (await import('./commands/bench.js')).bench));

  // ---------------------------------------------------------------- fuzzing the file parsers (issue 10 point 8)
  program
    .command('fuzz')
    .description('取込ファイルの解析を生成した入力で検査する（異常終了・途中書込みがないこと。一部は専用の一時データベースへ実際に取り込む）')
    .option('--inputs <n>', '解析ごとの入力数（既定 10000）')
    .option('--seed <n>', 'シード（同じシードと番号で同じ入力を再現）')
    .option('--target <names...>', `対象の解析（${'residents-full residents-diff records-clinic'}）`)
    .option('--db-inputs <n>', 'そのうち実際に取り込む数（既定 1000）')
    .option('--json [file]', '結果を JSON で出力（ファイル名を付けるとそこへ保存）')
    .action(run(async () => (await import('./commands/fuzz.js')).fuzz));

  // ---------------------------------------------------------------- crash drills (decision 0083)
  program
    .command('drill')
    .description('障害訓練: 住基の取込・接種記録の取込・対象者抽出を無作為な時点で強制終了（SIGKILL）し、再実行で完了させて中断なしの実行と行数・内容ハッシュを比べる（専用の PostgreSQL を起動）')
    .option('--points <n>', '処理ごとの強制終了の回数（既定 20）')
    .option('--chains <n>', '処理ごとの連鎖の数（それぞれ複製したデータベースから始める。既定 2）')
    .option('--residents <n>', '合成都市の人数（既定 100000）')
    .option('--seed <seed>', 'シード（都市と強制終了の時点）', 'drill')
    .option('--history-from <date>', '接種記録の開始日 YYYY-MM-DD（既定 2011-04-01）')
    .option('--weeks <n>', '住基の異動の週数（既定 12）')
    .option('--only <operations...>', '一部の処理だけ（residents records extraction）')
    .option('--batch <n>', '取込の1トランザクションの行数')
    .option('--chunk <n>', '抽出の1区切りの人数')
    .option('--json [file]', '結果を JSON で出力（ファイル名を付けるとそこへ保存）')
    .action(run(async () => (await import('./commands/drill.js')).drill));

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  let code = 0;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      code = e.exitCode === 0 ? 0 : 2;
    } else {
      code = reportError(e);
    }
  }
  process.exitCode = code;
}
