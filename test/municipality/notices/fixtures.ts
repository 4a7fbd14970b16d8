// A small town for the notices tests: four babies due for Hib (one under 支援措置, one with a 送付先 and a
// householder), an adult, each with a distinct postal code so the print order (郵便番号順) is visible.
import { join } from 'node:path';
import type { Principal } from '../../../src/kernel/context/index.js';
import { importResidents } from '../../../src/municipality/residents/index.js';
import type { App } from '../../../src/app/index.js';
import { person, writeCsv, type Cells } from '../../harness/residents.js';

export const BIRTH = '20260815';
const baby = (i: number, over: Cells = {}): Cells => person(i, { 生年月日: BIRTH, 住民となった日: BIRTH, 最新異動日: BIRTH, 地区コード: '01', ...over });

export const TOWN = {
  A: baby(1, { 氏名: '鳥取　花子', 氏名カナ: 'トットリ　ハナコ', 郵便番号: '680-0011', 住所: '鳥取県鳥取市東町一丁目1番地', 世帯主氏名: '鳥取　太郎', 続柄: '子' }),
  B: baby(2, { 氏名: '髙橋　一郎', 氏名カナ: 'タカハシ　イチロウ', 郵便番号: '680-0022', 住所: '鳥取県鳥取市西町二丁目5番地', 支援措置: '1', 性別: '1' }),
  C: baby(3, { 氏名: '山﨑　美咲', 氏名カナ: 'ヤマサキ　ミサキ', 郵便番号: '680-0031', 住所: '鳥取県鳥取市本町三丁目3番地', 送付先氏名: '山﨑　健', 送付先郵便番号: '680-0001', 送付先住所: '鳥取県鳥取市栄町七番地', 送付先方書: 'コーポ栄101' }),
  D: baby(4, { 氏名: '佐藤　健太', 氏名カナ: 'サトウ　ケンタ', 郵便番号: '689-1101', 住所: '鳥取県鳥取市河原町渡一木4番地', 性別: '1' }),
  E: person(5, { 生年月日: '19900101', 性別: '1', 地区コード: '01', 郵便番号: '680-0845', 住所: '鳥取県鳥取市富安一丁目1番地' }),
} as const;

export type Town = Record<keyof typeof TOWN, string>;

/** Imports the town; returns 宛名番号 by letter. */
export async function buildTown(app: App, op: Principal, dir: string): Promise<Town> {
  await importResidents(app, op, { file: writeCsv(join(dir, 'town.csv'), 'full', Object.values(TOWN)), baseDate: '2026-09-01' });
  const rows = await app.db.system.selectFrom('municipality.persons').select(['atena_no', 'juminhyo_code']).execute();
  const out = {} as Town;
  for (const [k, v] of Object.entries(TOWN)) out[k as keyof typeof TOWN] = rows.find((r) => r.juminhyo_code === v['住民票コード'])!.atena_no;
  return out;
}

export const SETTINGS = { head: '鳥取市長', department: '保健所 健康・子育て推進課', postalCode: '680-8571', address: '鳥取県鳥取市幸町71番地', phone: '0857-00-0000' };
