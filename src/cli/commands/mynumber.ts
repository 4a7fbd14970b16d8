// `mamori mynumber validate|generate` — no database needed.
import { checkMyNumber, syntheticMyNumbers } from '../../kernel/mynumber/index.js';
import { print, warn } from '../io.js';
import { invalidField } from '../../kernel/problems/index.js';

export async function validate(_o: Record<string, unknown>, args: string[]): Promise<number> {
  const r = checkMyNumber(args[0] ?? '');
  if (!r.ok) {
    warn(`無効な個人番号です [${r.code}]: ${r.message}`);
    return 1;
  }
  if (r.convertedFullWidth) warn('全角数字を半角に変換して検証しました。');
  print('有効な個人番号です（検査用数字一致）。');
  return 0;
}

export async function generate(o: Record<string, unknown>): Promise<number> {
  const count = Number(o['count']);
  if (!Number.isInteger(count) || count < 1 || count > 100_000_000) throw invalidField('count', 'COUNT_RANGE', '件数は1〜100000000の整数で指定してください');
  const seed = String(o['seed'] ?? 'mamori');
  const out: string[] = [];
  for (const n of syntheticMyNumbers(seed, count)) {
    out.push(n);
    if (out.length === 10000) {
      process.stdout.write(out.join('\n') + '\n');
      out.length = 0;
    }
  }
  if (out.length) process.stdout.write(out.join('\n') + '\n');
  return 0;
}
