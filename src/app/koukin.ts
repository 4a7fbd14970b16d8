// The 公金受取口座登録システム seen from this store (decision 0163): its deps as its own organisation (its role,
// its keys, its message log) for registering accounts — what マイナポータル's registration does for a real
// resident — and the demo's synthetic registrations: about two in three residents of a demo city with a
// 住民票コード have registered an account (synthetic bank, branch and number; the name from the resident's
// カナ), the others have not.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { addDaysIso } from '../kernel/jp/index.js';
import { exchangeNodeFor, type Directory } from '../kernel/exchange/index.js';
import { KOUKIN_NODE, KOUKIN_ROLE, KOUKIN_SCHEMA, registerAccount, type KoukinDeps } from '../peers/koukin/index.js';
import type { App } from './index.js';

/** The 公金受取口座登録システム's own deps (role, keys, message log) on this store. */
export async function koukinDeps(app: App, directory: Directory): Promise<KoukinDeps> {
  const db = await app.db.forRole(KOUKIN_ROLE);
  const clock = app.config.clock;
  return { db, clock, node: exchangeNodeFor({ name: KOUKIN_NODE, schema: KOUKIN_SCHEMA, db, keyDir: app.config.keyDir, directory, clock }) };
}

const BANKS = [
  { bankCode: '0001', bankName: 'みずほ銀行', branchCode: '001' },
  { bankCode: '0005', bankName: '三菱ＵＦＪ銀行', branchCode: '001' },
  { bankCode: '0009', bankName: '三井住友銀行', branchCode: '001' },
  { bankCode: '9900', bankName: 'ゆうちょ銀行', branchCode: '018' },
] as const;

/**
 * Registers synthetic 公金受取口座 for the residents of `tenant` (the demo): deterministic by 住民票コード, so
 * running it again changes nothing.  Returns how many residents have one.
 */
export async function seedDemoKoukin(app: App, directory: Directory, tenant: string): Promise<{ registered: number; without: number }> {
  const deps = await koukinDeps(app, directory);
  const persons = await sql<{ juminhyo_code: string; name_kana: string }>`
    SELECT juminhyo_code, name_kana FROM municipality.persons WHERE tenant_code = ${tenant} AND juminhyo_code IS NOT NULL AND status = 'resident' ORDER BY atena_no`.execute(app.db.system);
  const had = new Set((await sql<{ juminhyo_code: string }>`SELECT juminhyo_code FROM peers_koukin.accounts`.execute(deps.db)).rows.map((r) => r.juminhyo_code));
  let registered = 0;
  let without = 0;
  const today = app.config.clock.today();
  const todo: Parameters<typeof registerAccount>[1][] = [];
  for (const p of persons.rows) {
    const h = createHash('sha256').update(`koukin:${p.juminhyo_code}`).digest();
    if (h[0]! % 3 === 0) {
      without++;
      continue;
    }
    registered++;
    if (had.has(p.juminhyo_code)) continue; // registered by an earlier run: left as it is
    const bank = BANKS[h[1]! % BANKS.length]!;
    todo.push({
      juminhyoCode: p.juminhyo_code, ...bank, accountType: '1', accountNo: String(h.readUInt32BE(2) % 10_000_000).padStart(7, '0'),
      holderKana: p.name_kana, registeredOn: addDaysIso(today, -(h.readUInt16BE(6) % 1000)),
    });
  }
  // A few registrations at a time (each asks the network for this body's 符号).
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(4, todo.length) }, async () => {
    while (next < todo.length) await registerAccount(deps, todo[next++]!);
  }));
  return { registered, without };
}
