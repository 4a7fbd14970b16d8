// `mamori schedule config set|list|show --tenant CODE`: the municipality's own schedule configuration (臨時・特措法・
// 任意 programs, season changes) stored as versions in the database (decision 0029).  Unlike `schedule evaluate`,
// these commands open the database.
import { readFileSync } from 'node:fs';
import { withApp, operator, tenantArg } from '../context.js';
import { print, printJson, table } from '../io.js';
import { runAs } from '../../kernel/context/index.js';
import { invalidField, notFound } from '../../kernel/problems/index.js';
import { getScheduleConfig, listScheduleConfigs, saveScheduleConfig } from '../../municipality/records/index.js';

type O = Record<string, unknown> & { data?: string };

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw invalidField('file', 'CONFIG_UNREADABLE', `設定ファイルを読めません: ${file}`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, '')) as unknown;
  } catch (e) {
    throw invalidField('file', 'MALFORMED_JSON', `JSONとして読めません（${(e as Error).message}）`);
  }
}

export async function set(o: O, args: string[]): Promise<number> {
  const raw = readJson(args[0]!);
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const v = await runAs(app.db, operator(tenant, 'schedule config set'), (w) => saveScheduleConfig(w, raw, o['note'] ? String(o['note']) : undefined));
    if (o['json']) printJson(v);
    else print(`第${v.version}版として登録しました（事業 ${v.programs.length} 件: ${v.programs.map((p) => `${p.name}〔${p.category}〕`).join('、') || 'なし'}）。`);
    return 0;
  });
}

export async function list(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const vs = await runAs(app.db, operator(tenant, 'schedule config list'), (w) => listScheduleConfigs(w));
    if (o['json']) printJson(vs);
    else if (!vs.length) print('登録された設定はありません（国のカタログのみで判定しています）。');
    else print(table([['版', '登録日時', '登録者', '事業', 'メモ'], ...vs.map((v) => [v.version, v.createdAt.toISOString(), v.createdBy, v.programs.map((p) => p.code).join(' '), v.note ?? ''])]));
    return 0;
  });
}

export async function show(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const version = o['version'] !== undefined ? Number(o['version']) : undefined;
    if (version !== undefined && !Number.isInteger(version)) throw invalidField('version', 'NOT_A_NUMBER', '版は整数で指定してください');
    const c = await runAs(app.db, operator(tenant, 'schedule config show'), (w) => getScheduleConfig(w, version));
    if (!c) throw notFound('予防接種設定');
    process.stdout.write(JSON.stringify(c.config, null, 2) + '\n');
    return 0;
  });
}
