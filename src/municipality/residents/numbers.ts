// 宛名番号 (10 digits: 9-digit serial + Luhn check digit, serials from 900000001 so that they never collide with
// numbers a municipality's own 宛名 system supplies in 住基 files) for each new person, and the 団体内統合宛名番号
// (15 digits: 14-digit serial + Luhn check digit) given when a person's My Number first appears (RES-06, RES-07).
// Neither is 12 digits long, so neither can be mistaken for (or masked as) a My Number.  Serials are allocated
// in blocks from municipality.sequences inside the caller's transaction, so a rolled-back batch returns them.
import type { Kysely } from 'kysely';
import type { Database } from '../../kernel/db/index.js';
import { luhnCheckDigit } from '../../kernel/jp/index.js';

export type SequenceName = 'atena' | 'integrated';

const WIDTH: Record<SequenceName, number> = { atena: 9, integrated: 14 };
const FIRST: Record<SequenceName, number> = { atena: 900_000_001, integrated: 1 };

export function withCheckDigit(serial: number, width: number): string {
  const body = String(serial).padStart(width, '0');
  if (body.length !== width) throw new Error('numbering range exhausted');
  return body + String(luhnCheckDigit(body));
}

export function isValidAtenaNo(s: string): boolean {
  return /^\d{10}$/.test(s) && luhnCheckDigit(s.slice(0, 9)) === Number(s[9]);
}

/** Allocates `count` consecutive numbers of `name` for `tenant`. */
export async function allocate(tx: Kysely<Database>, tenant: string, name: SequenceName, count: number): Promise<string[]> {
  if (count <= 0) return [];
  const row = await tx
    .insertInto('municipality.sequences')
    .values({ tenant_code: tenant, name, next_value: FIRST[name] + count })
    .onConflict((oc) => oc.columns(['tenant_code', 'name']).doUpdateSet((eb) => ({ next_value: eb('municipality.sequences.next_value', '+', count) })))
    .returning('next_value')
    .executeTakeFirstOrThrow();
  const first = Number(row.next_value) - count;
  return Array.from({ length: count }, (_, i) => withCheckDigit(first + i, WIDTH[name]));
}
