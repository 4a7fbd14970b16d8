// `mamori synth residents --count N --seed S --out FILE [--encoding sjis] [--diffs WEEKS] [--tenant CODE]
// [--start YYYY-MM-DD] [--atena] [--json]` — synthetic 住基 files (docs/decisions/0030-synthetic-residents.md).
// No database.  Prints what was written (paths, row counts, SHA-256) and never the files' contents: they
// hold synthetic My Numbers.
import { invalidField } from '../../kernel/problems/index.js';
import { DEFAULT_START, MAX_DIFF_WEEKS, MOVEMENT_NAMES, writeSyntheticResidents, type SynthEncoding } from '../../municipality/synth/index.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown>;

function integer(v: unknown, field: string, min: number, max: number, message: string): number {
  const s = String(v ?? '').trim();
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw invalidField(field, `${field.toUpperCase()}_RANGE`, message);
  return n;
}

export async function residents(o: O): Promise<number> {
  const count = integer(o['count'], 'count', 1, 10_000_000, '件数（--count）は1〜10000000の整数で指定してください');
  const diffs = o['diffs'] === undefined ? 0 : integer(o['diffs'], 'diffs', 0, MAX_DIFF_WEEKS, `週数（--diffs）は0〜${MAX_DIFF_WEEKS}の整数で指定してください`);
  const out = String(o['out'] ?? '');
  if (!out) throw invalidField('out', 'REQUIRED', '出力ファイル（--out）を指定してください');
  const encoding: SynthEncoding = o['encoding'] === 'sjis' ? 'sjis' : 'utf8';
  const started = performance.now();
  const s = writeSyntheticResidents({
    count,
    seed: String(o['seed'] ?? 'mamori'),
    out,
    encoding,
    diffs,
    ...(o['tenant'] ? { tenant: String(o['tenant']) } : {}),
    start: String(o['start'] ?? DEFAULT_START),
    atena: Boolean(o['atena']),
  });
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  if (o['json']) {
    printJson({ ...s, encoding, seconds });
    return 0;
  }
  print(`合成住民 ${s.snapshot.residents}人・${s.snapshot.households}世帯（外国人住民 ${s.snapshot.foreign}人、65歳以上 ${s.snapshot.aged65}人）`);
  print(
    table([
      ['ファイル', '種別', '日付', '行数', 'バイト', 'SHA-256'],
      ...s.files.map((f) => [f.path, f.kind === 'full' ? '全件' : `異動 第${f.week}週`, f.fileDate, f.rows, f.bytes, f.sha256]),
    ]),
  );
  if (diffs > 0) {
    const moves = Object.entries(s.movements)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([code, n]) => `${code} ${MOVEMENT_NAMES[code] ?? ''} ${n}`);
    print(`異動 ${moves.join('、')}`);
  }
  print(`内容ハッシュ ${s.contentHash}`);
  print(`${encoding === 'sjis' ? 'Shift_JIS (CP932)' : 'UTF-8 (BOM付き)'}・CRLF、${seconds}秒`);
  return 0;
}

/** `mamori synth jlis --count N [--seed S] [--tenant CODE] [--start DATE]`: 住基ネット fed for scale tests. */
export async function jlis(o: O): Promise<number> {
  const count = integer(o['count'], 'count', 1, 10_000_000, '件数（--count）は1〜10000000の整数で指定してください');
  const { withApp } = await import('../context.js');
  const { feedJlisFromSynth } = await import('../../app/index.js');
  return withApp(o as { data?: string }, async (app) => {
    const started = performance.now();
    const r = await feedJlisFromSynth(app, { count, seed: String(o['seed'] ?? 'mamori'), tenant: String(o['tenant'] ?? '312011'), start: String(o['start'] ?? DEFAULT_START) });
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    if (o['json']) printJson({ loaded: r.loaded, seconds });
    else print(`住基ネットに本人確認情報を ${r.loaded} 人分登録しました（${seconds} 秒）`);
    return 0;
  });
}
