// A small town for extraction tests: babies, an adult, an elderly person; a 支援措置 baby; a baby who moves
// out, one who dies, one removed ex officio (住基 movements dated in October 2026).
import { join } from 'node:path';
import type { Principal } from '../../../src/kernel/context/index.js';
import { importResidents } from '../../../src/municipality/residents/index.js';
import type { App } from '../../../src/app/index.js';
import { movement, person, writeCsv, type Cells } from '../../harness/residents.js';

export const BABY = '20260815';
const baby = (i: number, over: Cells = {}): Cells => person(i, { 生年月日: BABY, 住民となった日: BABY, 最新異動日: BABY, 地区コード: '01', ...over });

export const TOWN = {
  A: baby(1),
  B: baby(2, { 支援措置: '1' }),
  C: baby(3),
  D: baby(4),
  E: baby(5),
  F: person(6, { 生年月日: '19900101', 性別: '1', 地区コード: '01' }),
  G: baby(7, { 地区コード: '02' }),
  H: person(8, { 生年月日: '19610501', 地区コード: '01' }),
} as const;

/** Imports the town (full file as of 2026-04-01 and the October movements); returns 宛名番号 by letter. */
export async function buildTown(app: App, op: Principal, dir: string): Promise<Record<keyof typeof TOWN, string>> {
  await importResidents(app, op, { file: writeCsv(join(dir, 'town.csv'), 'full', Object.values(TOWN)), baseDate: '2026-04-01' });
  await importResidents(app, op, {
    file: writeCsv(join(dir, 'town-oct.csv'), 'diff', [
      movement('X-1', '11', '20261001', { ...TOWN.C, 転出先住所: '大阪府大阪市北区梅田一丁目', 住民でなくなった日: '20261001', 消除事由: '転出' }),
      movement('X-2', '12', '20261005', { ...TOWN.D, 住民でなくなった日: '20261005', 消除事由: '死亡' }),
      movement('X-3', '13', '20261010', { ...TOWN.E, 住民でなくなった日: '20261010', 消除事由: '職権消除' }),
    ]),
  });
  const rows = await app.db.system.selectFrom('municipality.persons').select(['atena_no', 'juminhyo_code']).execute();
  const out = {} as Record<keyof typeof TOWN, string>;
  for (const [k, v] of Object.entries(TOWN)) out[k as keyof typeof TOWN] = rows.find((r) => r.juminhyo_code === v['住民票コード'])!.atena_no;
  return out;
}
