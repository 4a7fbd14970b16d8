// 本人確認情報の異動照会 (QUA-15, XCH-23/25; decision 0176): a system that keeps a register of persons (the
// 国家資格 registry) asks, for a list of 住民票コード it holds, which of them changed in a period (照会対象
// 期間: the days the 全国サーバ received the change, JST) and gets, for each one that did, the current 本人確認
// 情報 (氏名・住所・生年月日・性別, 異動事由 and 異動日, status) with the names of the items that changed — never
// a My Number, never the persons who did not change.  A code the 全国サーバ does not know is answered as such.
// 消除者の要否: with `includeRemoved` false, persons now 消除 (死亡・転出) are left out.  Each code asked is
// one row of the 照会処理の記録 (the key as a keyed hash).  One message: at most 10,000 codes.
import { z } from 'zod';
import { sql, type Kysely } from 'kysely';
import { arrayLiteral, type UntypedDatabase } from '../../kernel/db/index.js';
import { addDays, isIsoDate } from '../../kernel/jp/index.js';
import { parseInput } from '../../kernel/problems/index.js';
import type { JlisSecrets } from './secrets.js';
import { logQueries, type IdentityStatus, type Match } from './store.js';

export const MAX_CHANGE_CODES = 10_000;

const isoDate = (label: string) => z.string({ message: `${label}を YYYY-MM-DD で指定してください` }).refine((s) => isIsoDate(s), { message: `${label}は YYYY-MM-DD 形式の実在する日付です` });

export const changesSchema = z
  .object({
    purpose: z.string({ message: '利用目的（purpose）を指定してください' }).trim().min(2, { message: '利用目的（purpose）を2文字以上で指定してください' }).max(200, { message: '利用目的は200文字以内です' }),
    from: isoDate('照会対象期間の開始日（from）'),
    until: isoDate('照会対象期間の終了日（until）'),
    includeRemoved: z.boolean({ message: '消除者の要否（includeRemoved）は true か false です' }).default(true),
    juminhyoCodes: z
      .array(z.string().regex(/^[0-9]{11}$/, { message: '住民票コードは11桁の数字です' }), { message: '住民票コードの一覧（juminhyoCodes）を指定してください' })
      .min(1, { message: '住民票コードを1件以上指定してください' })
      .max(MAX_CHANGE_CODES, { message: `1回に${MAX_CHANGE_CODES}件までです` })
      .refine((a) => new Set(a).size === a.length, { message: '同じ住民票コードが重複しています' }),
    caller: z.string().max(200).optional(),
  })
  .strict()
  .refine((q) => q.from <= q.until, { path: ['until'], message: '照会対象期間の終了日が開始日より前です' });
export type ChangesQuery = z.output<typeof changesSchema>;

/** One changed person: the current 本人確認情報 and what changed in the period. */
export interface ChangedIdentity extends Omit<Match, 'myNumber'> {
  /** Items that changed in the period: name, name_kana, birth_date, sex, address, status, last_movement, … ('my_number' never said). */
  readonly changed: readonly string[];
  /** When the 全国サーバ received the last change of the period. */
  readonly changedAt: string;
}

export interface ChangesAnswer {
  readonly asked: number;
  readonly changed: readonly ChangedIdentity[];
  /** Codes the 全国サーバ does not hold. */
  readonly unknown: readonly string[];
}

export function parseChangesQuery(body: unknown): ChangesQuery {
  return parseInput(changesSchema, body);
}

/** The period's bounds as instants: from 00:00 JST of `from` to 00:00 JST of the day after `until`. */
function bounds(q: ChangesQuery): [string, string] {
  return [`${q.from}T00:00:00+09:00`, `${addDays(q.until, 1)}T00:00:00+09:00`];
}

export async function identityChanges(db: Kysely<UntypedDatabase>, secrets: JlisSecrets, q: ChangesQuery, log: { caller: string; at: Date; msgId?: string }): Promise<ChangesAnswer> {
  const [from, until] = bounds(q);
  const codes = arrayLiteral(q.juminhyoCodes);
  const r = await sql<{ code: string; known: boolean; juminhyo_code: string | null; name: string; name_kana: string; birth_date: string; sex: 'male' | 'female'; address: string; status: IdentityStatus; last_movement: string | null; last_movement_date: string | null; changed: string[] | null; last_at: Date | null }>`
    WITH asked AS (SELECT unnest(${codes}::text[]) AS code),
    ch AS (
      SELECT h.juminhyo_code, array_agg(DISTINCT c) FILTER (WHERE c IS NOT NULL AND c <> 'my_number') AS changed, max(h.at) AS last_at
      FROM peers_jlis.identity_history h LEFT JOIN LATERAL unnest(h.changed) c ON true
      WHERE h.juminhyo_code = ANY(${codes}::text[]) AND h.at >= ${from}::timestamptz AND h.at < ${until}::timestamptz AND h.kind IN ('insert', 'update')
      GROUP BY h.juminhyo_code
    )
    SELECT a.code, i.juminhyo_code IS NOT NULL AS known, i.juminhyo_code, i.name, i.name_kana, to_char(i.birth_date, 'YYYY-MM-DD') AS birth_date, i.sex, i.address, i.status,
      i.last_movement, to_char(i.last_movement_date, 'YYYY-MM-DD') AS last_movement_date, ch.changed, ch.last_at
    FROM asked a LEFT JOIN peers_jlis.identities i ON i.juminhyo_code = a.code LEFT JOIN ch ON ch.juminhyo_code = a.code
    WHERE i.juminhyo_code IS NULL OR (ch.juminhyo_code IS NOT NULL ${q.includeRemoved ? sql`` : sql`AND i.status = 'resident'`})
    ORDER BY a.code`.execute(db);
  const changed: ChangedIdentity[] = [];
  const unknown: string[] = [];
  for (const x of r.rows) {
    if (!x.known) {
      unknown.push(x.code);
      continue;
    }
    changed.push({
      juminhyoCode: x.code, name: x.name, nameKana: x.name_kana, birthDate: x.birth_date, sex: x.sex, address: x.address, status: x.status,
      lastMovement: x.last_movement, lastMovementDate: x.last_movement_date, changed: [...(x.changed ?? [])].sort(), changedAt: (x.last_at as Date).toISOString(),
    });
  }
  const hits = new Set(changed.map((c) => c.juminhyoCode));
  await logQueries(db, log.at, q.juminhyoCodes.map((c) => ({
    caller: log.caller, callerDetail: q.caller ?? null, purpose: q.purpose, keyKind: 'juminhyoCode', keyHash: secrets.keyHash('juminhyoCode', c),
    resultCount: hits.has(c) ? 1 : 0, myNumberReturned: false, channel: 'changes', msgId: log.msgId ?? null,
  })));
  return { asked: q.juminhyoCodes.length, changed, unknown };
}
