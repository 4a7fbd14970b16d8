// `mamori synth city --residents N --seed S [--tenant CODE] (--out DIR | --into-db)` and
// `mamori import city DIR --tenant CODE [--only residents|records]` (issue 6 point 1; docs/formats/synth-city.md,
// decision 0080).  The files hold synthetic My Numbers and names: only paths, counts and hashes are printed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { App } from '../../app/index.js';
import { databaseDigest } from '../../app/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { invalidField } from '../../kernel/problems/index.js';
import { addOrganisation } from '../../kernel/tenancy/index.js';
import { TENANTS, loadCity, readCityManifest, writeSyntheticCity, type CityFile, type CityFileReport, type CityLoadSummary, type CityManifest, type CityPart } from '../../municipality/synth/index.js';
import { operator, tenantArg, withApp } from '../context.js';
import { print, printJson, table, warn } from '../io.js';

type O = Record<string, unknown> & { data?: string };

function integer(v: unknown, field: string, min: number, max: number, message: string): number {
  const s = String(v ?? '').trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalidField(field, `${field.toUpperCase()}_RANGE`, message);
  return n;
}

function batchOption(o: O): number | undefined {
  return o['batch'] === undefined ? undefined : integer(o['batch'], 'batch', 1, 5000, '1トランザクションの行数（--batch）は1〜5000の整数で指定してください');
}

function partOption(o: O): CityPart | undefined {
  if (o['only'] === undefined) return undefined;
  if (o['only'] !== 'residents' && o['only'] !== 'records') throw invalidField('only', 'ONLY_UNKNOWN', '--only は residents または records です');
  return o['only'];
}

function printManifest(m: CityManifest, dir: string | null, seconds: number): void {
  const c = m.counts;
  print(`合成都市 団体 ${m.options.tenant}・シード ${m.options.seed}：住民 ${c.residents}人・${c.households}世帯（${m.options.start}）、${m.options.weeks}週後 ${c.finalResidents}人（${m.end}）`);
  print(`接種記録 ${c.doses}回（${c.vaccinatedPersons}人、${m.options.historyFrom}から）、医療機関 ${c.clinics}、月次ファイル ${c.recordFiles}件 ${c.recordRows}行`);
  print(`  4情報の行 ${c.fourInfoRows}、接種日不明 ${c.dateUnknownRows}、再提出 ${c.resubmissions}、未報告（期間末） ${c.notYetReported}、不備の行 ${Object.values(c.badRows).reduce((a, b) => a + b, 0)}`);
  const bytes = m.files.reduce((s, f) => s + f.bytes, 0);
  print(`ファイル ${m.files.length}件 ${bytes} バイト${dir ? `（${dir}）` : ''}、${seconds}秒`);
  print(`内容ハッシュ ${m.contentHash}`);
}

const TOTAL_LABELS = (t: CityLoadSummary['residents']): string =>
  `${t.files}ファイル ${t.rows}行: 受付 ${t.accepted}（新規 ${t.created}、更新 ${t.updated}、変更なし ${t.unchanged}、確認待ち ${t.queued}）、不備 ${t.rejected}${t.alreadyImported ? `、取込済み ${t.alreadyImported}ファイル` : ''}${t.resumed ? `、再開 ${t.resumed}ファイル` : ''}`;

function progress(o: O): { onFile?: (f: CityFile, r: CityFileReport, i: number, n: number) => void } {
  if (o['json']) return {};
  // A line that rewrites itself on a terminal; otherwise a line every 50 files (and the last).
  if (process.stderr.isTTY) return { onFile: (f, r, i, n) => process.stderr.write(`\r[${i}/${n}] ${f.path} ${r.rows} 行${r.alreadyImported ? '（取込済み）' : ''}\x1b[K`) };
  return { onFile: (f, _r, i, n) => (i % 50 === 0 || i === n ? warn(`[${i}/${n}] ${f.path} まで取り込みました`) : undefined) };
}

/** The tenant of the city, created when it does not exist yet (with the synthetic municipality's name). */
async function ensureTenant(app: App, code: string): Promise<void> {
  const name = TENANTS[code]?.city ?? code;
  const exists = await app.db.system.selectFrom('kernel.organisations').select('code').where('code', '=', code).executeTakeFirst();
  if (exists) return;
  const org = await addOrganisation(app.db.system, app.tenantKeys, { code, name, kind: 'municipality' });
  const p = operator(org.code, 'synth city');
  await app.db.system.transaction().execute((tx) => appendEntry(tx, p, { action: 'org_add', targetType: 'organisation', targetId: org.code, detail: { name: org.name, kind: org.kind } }));
}

async function load(app: App, o: O, dir: string, tenant: string, command: string): Promise<{ summary: CityLoadSummary; digest: Awaited<ReturnType<typeof databaseDigest>> }> {
  const only = partOption(o);
  const batchSize = batchOption(o);
  const summary = await loadCity(app, operator(tenant, command), dir, { ...(only ? { only } : {}), ...(batchSize ? { batchSize } : {}), ...progress(o) });
  if (!o['json'] && process.stderr.isTTY) process.stderr.write('\n');
  const digest = await databaseDigest(app.db, { tenant });
  return { summary, digest };
}

function printLoad(summary: CityLoadSummary, digest: Awaited<ReturnType<typeof databaseDigest>>): void {
  print(`住基 ${TOTAL_LABELS(summary.residents)}（${summary.seconds.residents}秒）`);
  print(`接種記録 ${TOTAL_LABELS(summary.records)}（${summary.seconds.records}秒）`);
  print(table([['テーブル', '行数', 'SHA-256'], ...digest.tables.map((t) => [t.table, t.rows, t.sha256])]));
  print(`データベースの内容ハッシュ ${digest.sha256}`);
}

/** `mamori synth city --residents N --seed S [--tenant CODE] [--start D] [--weeks W] [--history-from D] [--encoding E] (--out DIR | --into-db)` */
export async function synthCity(o: O): Promise<number> {
  const residents = integer(o['residents'], 'residents', 1, 10_000_000, '人数（--residents）は1〜10000000の整数で指定してください');
  const weeks = o['weeks'] === undefined ? undefined : integer(o['weeks'], 'weeks', 0, 52, '週数（--weeks）は0〜52の整数で指定してください');
  const out = o['out'] ? resolve(String(o['out'])) : null;
  if (!out && !o['intoDb']) throw invalidField('out', 'REQUIRED', '出力先ディレクトリ（--out DIR）またはデータベースへの取込（--into-db）を指定してください');
  const dir = out ?? mkdtempSync(join(tmpdir(), 'mamori-city-'));
  try {
    const started = performance.now();
    const m = writeSyntheticCity({
      residents,
      seed: String(o['seed'] ?? 'mamori'),
      ...(o['tenant'] ? { tenant: String(o['tenant']) } : {}),
      ...(o['start'] ? { start: String(o['start']) } : {}),
      ...(weeks !== undefined ? { weeks } : {}),
      ...(o['historyFrom'] ? { historyFrom: String(o['historyFrom']) } : {}),
      ...(o['encoding'] ? { encoding: o['encoding'] === 'utf8' ? 'utf8' : 'sjis' } : {}),
      out: dir,
      ...(o['json'] ? {} : { onProgress: (s: string) => warn(s) }),
    });
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    if (!o['intoDb']) {
      if (o['json']) printJson({ dir, seconds, ...m, files: m.files.map(({ path, kind, rows, bytes, sha256 }) => ({ path, kind, rows, bytes, sha256 })) });
      else printManifest(m, dir, seconds);
      return 0;
    }
    return await withApp(o, async (app) => {
      await ensureTenant(app, m.options.tenant);
      const { summary, digest } = await load(app, o, dir, m.options.tenant, 'synth city');
      if (o['json']) printJson({ contentHash: m.contentHash, counts: m.counts, generateSeconds: seconds, load: summary, database: digest });
      else {
        printManifest(m, out, seconds);
        printLoad(summary, digest);
      }
      return 0;
    });
  } finally {
    if (!out) rmSync(dir, { recursive: true, force: true });
  }
}

/** `mamori import city DIR --tenant CODE [--only residents|records] [--batch N] [--json]` */
export async function importCity(o: O, args: string[]): Promise<number> {
  const dir = resolve(args[0] ?? '');
  const m = readCityManifest(dir);
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant'] ?? m.options.tenant);
    const { summary, digest } = await load(app, o, dir, tenant, 'import city');
    if (o['json']) printJson({ contentHash: m.contentHash, load: summary, database: digest });
    else {
      print(`合成都市 ${dir}（内容ハッシュ ${m.contentHash}）`);
      printLoad(summary, digest);
    }
    return 0;
  });
}
