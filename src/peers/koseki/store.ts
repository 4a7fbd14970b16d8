// The 戸籍情報連携システム's store (decision 0184): persons with their 戸籍の記載 (異動 after 異動, insert only),
// the 住民票コード of the 戸籍の附票 that links a person to 住基 (none: the 本籍 cannot be identified), this
// body's 符号 for each linked person (acquired from the 情報提供ネットワークシステム), and the record of every
// provision.  What it provides is the 戸籍関係情報 of seed 004 (本籍コード, 戸籍異動日, 戸籍異動事由区分, 出生地,
// 国籍取得日, 死亡日 …) with the 氏名 after each 異動 (the name history a register keeps).
import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { ExchangeNode } from '../../kernel/exchange/index.js';
import type { Clock } from '../../kernel/clock/index.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';
import { isIsoDate } from '../../kernel/jp/index.js';
import { parseInput, Problem } from '../../kernel/problems/index.js';
import { tryIssueOwnCode } from '../network/index.js';

export const KOSEKI_SCHEMA = 'peers_koseki';
export const KOSEKI_ROLE = 'mamori_koseki';
export const KOSEKI_NODE = 'koseki';
/** 提供の記録 are kept as long as the network keeps its 情報提供等記録 (7 years), then deleted. */
export const KOSEKI_PROVISION_YEARS = 7;

export interface KosekiDeps {
  readonly db: Kysely<UntypedDatabase>;
  readonly node: ExchangeNode;
  readonly clock: Clock;
  /** The 情報提供ネットワークシステム's node name (default 'network'). */
  readonly network?: string;
}

/** 戸籍異動事由 and their 区分 (synthetic codes; the real code table of the 戸籍関係情報 is not in the seeds). */
export const KOSEKI_REASONS = {
  birth: { code: '01', label: '出生' },
  marriage: { code: '02', label: '婚姻' },
  divorce: { code: '03', label: '離婚' },
  adoption: { code: '04', label: '養子縁組' },
  'adoption-dissolution': { code: '05', label: '離縁' },
  transfer: { code: '06', label: '転籍' },
  separation: { code: '07', label: '分籍' },
  'name-change': { code: '08', label: '氏の変更' },
  'nationality-gain': { code: '09', label: '国籍取得' },
  death: { code: '10', label: '死亡' },
  'death-cancel': { code: '11', label: '死亡の記載の消除' },
} as const;
export type KosekiReason = keyof typeof KOSEKI_REASONS;

const date = (label: string) =>
  z.string({ message: `${label}を指定してください` }).refine((s) => isIsoDate(s), { message: `${label}は YYYY-MM-DD の正しい日付です` });
const text = (label: string, max: number) => z.string({ message: `${label}を指定してください` }).trim().min(1, `${label}を指定してください`).max(max, `${label}は${max}文字以内です`);

export const KosekiEventInput = z
  .object({
    occurredOn: date('戸籍異動日'),
    reason: z.enum(Object.keys(KOSEKI_REASONS) as [KosekiReason, ...KosekiReason[]], { message: '戸籍異動事由が正しくありません' }),
    honsekiCode: z.string().regex(/^(0[1-9]|[1-3][0-9]|4[0-7])$/, '本籍コード（都道府県 01〜47）を指定してください'),
    honseki: text('本籍', 200),
    hittosha: text('筆頭者', 100),
    surname: text('氏', 50),
    givenName: text('名', 50),
    deathDate: date('死亡日').optional(),
    /** 死亡日の不詳・推定区分: 1 不詳, 2 推定. */
    deathUncertain: z.enum(['1', '2']).optional(),
  })
  .strict()
  .refine((e) => (e.reason === 'death') === (e.deathDate !== undefined), { message: '死亡の記載には死亡日が、それ以外には死亡日を指定しません', path: ['deathDate'] });
export type KosekiEventInput = z.input<typeof KosekiEventInput>;

export const KosekiPersonInput = z
  .object({
    /** The 住民票コード on the 戸籍の附票; absent: the link is not made (the 本籍 cannot be identified from 住基). */
    juminhyoCode: z.string().regex(/^\d{11}$/, '住民票コードは11桁の数字です').optional(),
    birthDate: date('生年月日'),
    sex: z.enum(['1', '2'], { message: '性別（1: 男、2: 女）を指定してください' }),
    birthPlace: text('出生地', 100).optional(),
    events: z.array(KosekiEventInput).min(1, '戸籍の記載を一つ以上指定してください').max(100),
  })
  .strict()
  .refine((p) => p.events[0]!.reason === 'birth' || p.events[0]!.reason === 'nationality-gain', { message: '最初の記載は出生または国籍取得です', path: ['events', 0, 'reason'] });
export type KosekiPersonInput = z.input<typeof KosekiPersonInput>;

/** One 異動 as provided. */
export interface KosekiChange {
  readonly 戸籍異動日: string;
  readonly 戸籍異動事由区分: string;
  readonly 戸籍異動事由: string;
  readonly 本籍コード: string;
  readonly 本籍: string;
  readonly 筆頭者: string;
  readonly 氏名: { readonly 氏: string; readonly 名: string };
  readonly 死亡日: string | null;
  /** The day the 異動 reached the 戸籍情報連携システム. */
  readonly 記録日: string;
}

/** 戸籍関係情報 of one person (seed 004 items, with the 氏名 after each 異動). */
export interface KosekiInfo {
  readonly 情報提供起点日: string;
  readonly 本籍コード: string;
  readonly 本籍: string;
  readonly 筆頭者: string;
  readonly 氏名: { readonly 氏: string; readonly 名: string };
  readonly 生年月日: string;
  readonly 性別: string;
  readonly 出生地: string | null;
  readonly 国籍取得日: string | null;
  readonly 死亡日: string | null;
  readonly 死亡日の不詳・推定区分: string | null;
  readonly '死亡の取消し・無効日': string | null;
  /** Every 異動, oldest first (a change query: only those recorded since the day asked). */
  readonly 異動: readonly KosekiChange[];
}

interface EventRow {
  person_id: string; seq: number; occurred_on: string; reason: KosekiReason; honseki_code: string; honseki: string; hittosha: string; surname: string; given_name: string;
  death_date: string | null; death_uncertain: string | null; recorded_on: string; birth_date: string; sex: string; birth_place: string | null; code: string;
}

const EVENT_COLS = sql`e.person_id, e.seq, to_char(e.occurred_on, 'YYYY-MM-DD') AS occurred_on, e.reason, e.honseki_code, e.honseki, e.hittosha, e.surname, e.given_name,
  to_char(e.death_date, 'YYYY-MM-DD') AS death_date, e.death_uncertain, to_char(e.recorded_on, 'YYYY-MM-DD') AS recorded_on,
  to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, p.sex, p.birth_place, p.code`;

const changeOf = (e: EventRow): KosekiChange => ({
  戸籍異動日: e.occurred_on, 戸籍異動事由区分: KOSEKI_REASONS[e.reason].code, 戸籍異動事由: KOSEKI_REASONS[e.reason].label, 本籍コード: e.honseki_code, 本籍: e.honseki,
  筆頭者: e.hittosha, 氏名: { 氏: e.surname, 名: e.given_name }, 死亡日: e.death_date, 記録日: e.recorded_on,
});

/** The 戸籍関係情報 from a person's events (oldest first); `since`: only the 異動 recorded from that day are listed. */
function infoOf(events: readonly EventRow[], since?: string): KosekiInfo {
  const last = events[events.length - 1]!;
  let death: EventRow | undefined;
  let cancelled: string | null = null;
  for (const e of events) {
    if (e.reason === 'death') { death = e; cancelled = null; }
    if (e.reason === 'death-cancel' && death) { death = undefined; cancelled = e.occurred_on; }
  }
  return {
    情報提供起点日: events[0]!.recorded_on,
    本籍コード: last.honseki_code,
    本籍: last.honseki,
    筆頭者: last.hittosha,
    氏名: { 氏: last.surname, 名: last.given_name },
    生年月日: last.birth_date,
    性別: last.sex,
    出生地: last.birth_place,
    国籍取得日: events.find((e) => e.reason === 'nationality-gain')?.occurred_on ?? null,
    死亡日: death?.death_date ?? null,
    死亡日の不詳・推定区分: death?.death_uncertain ?? null,
    '死亡の取消し・無効日': cancelled,
    異動: events.filter((e) => !since || e.recorded_on >= since).map(changeOf),
  };
}

async function insertEvents(db: Kysely<UntypedDatabase>, personId: string, from: number, events: readonly z.output<typeof KosekiEventInput>[], clock: Clock): Promise<void> {
  let seq = from;
  for (const e of events) {
    await sql`INSERT INTO peers_koseki.events (person_id, seq, occurred_on, reason, honseki_code, honseki, hittosha, surname, given_name, death_date, death_uncertain, recorded_on, recorded_at)
      VALUES (${personId}, ${seq++}, ${e.occurredOn}::date, ${e.reason}, ${e.honsekiCode}, ${e.honseki}, ${e.hittosha}, ${e.surname}, ${e.givenName},
        ${e.deathDate ?? null}::date, ${e.deathUncertain ?? null}, ${clock.today()}::date, ${clock.now()})`.execute(db);
  }
}

/**
 * Records a person's 戸籍 (the synthetic 戸籍副本), then — when the 附票 links a 住民票コード — acquires this
 * body's 符号 from the network.  A person already linked to the 住民票コード is left as it is (idempotent).
 */
export async function recordPerson(deps: KosekiDeps, raw: unknown): Promise<{ personId: string; created: boolean; code: 'acquired' | 'pending' | 'unlinked' }> {
  const p = parseInput(KosekiPersonInput, raw);
  const made = await deps.db.transaction().execute(async (tx) => {
    if (p.juminhyoCode) {
      const had = await sql<{ id: string; code: string | null }>`SELECT id, code FROM peers_koseki.persons WHERE juminhyo_code = ${p.juminhyoCode} FOR UPDATE`.execute(tx);
      if (had.rows[0]) return { personId: had.rows[0].id, created: false, hasCode: had.rows[0].code !== null };
    }
    const id = randomUUID();
    const now = deps.clock.now();
    await sql`INSERT INTO peers_koseki.persons (id, juminhyo_code, birth_date, sex, birth_place, created_at, updated_at)
              VALUES (${id}, ${p.juminhyoCode ?? null}, ${p.birthDate}::date, ${p.sex}, ${p.birthPlace ?? null}, ${now}, ${now})`.execute(tx);
    await insertEvents(tx, id, 1, p.events, deps.clock);
    return { personId: id, created: true, hasCode: false };
  });
  if (!p.juminhyoCode) return { personId: made.personId, created: made.created, code: 'unlinked' };
  const code = made.hasCode ? 'acquired' : (await acquireCode(deps, made.personId, p.juminhyoCode)) ? 'acquired' : 'pending';
  return { personId: made.personId, created: made.created, code };
}

/** A new 記載 (婚姻, 転籍, 死亡 …) in the 戸籍 of the person linked to `juminhyoCode`. */
export async function recordEvent(deps: KosekiDeps, juminhyoCode: string, raw: unknown): Promise<KosekiChange> {
  const e = parseInput(KosekiEventInput, raw);
  return deps.db.transaction().execute(async (tx) => {
    const r = await sql<{ id: string; last: number }>`
      SELECT p.id, coalesce(max(e.seq), 0)::int AS last FROM peers_koseki.persons p LEFT JOIN peers_koseki.events e ON e.person_id = p.id
      WHERE p.juminhyo_code = ${juminhyoCode} GROUP BY p.id`.execute(tx);
    const row = r.rows[0];
    if (!row) throw new Problem(404, 'KOSEKI_PERSON_UNKNOWN', '戸籍の記録が見つかりません', '指定された住民票コードに結び付く戸籍の記録はありません。');
    await sql`SELECT 1 FROM peers_koseki.persons WHERE id = ${row.id} FOR UPDATE`.execute(tx);
    await insertEvents(tx, row.id, row.last + 1, [e], deps.clock);
    await sql`UPDATE peers_koseki.persons SET updated_at = ${deps.clock.now()} WHERE id = ${row.id}`.execute(tx);
    const ev = await sql<EventRow>`SELECT ${EVENT_COLS} FROM peers_koseki.events e JOIN peers_koseki.persons p ON p.id = e.person_id WHERE e.person_id = ${row.id} AND e.seq = ${row.last + 1}`.execute(tx);
    return changeOf(ev.rows[0]!);
  });
}

/** Acquires this body's 符号 for one linked person; false (with the reason kept) when the network cannot give it now. */
async function acquireCode(deps: KosekiDeps, personId: string, juminhyoCode: string): Promise<boolean> {
  const r = await tryIssueOwnCode(deps.node, juminhyoCode, deps.network);
  await sql`UPDATE peers_koseki.persons SET code = coalesce(${r.code}, code), code_reason = ${r.reason} WHERE id = ${personId}`.execute(deps.db);
  return r.code !== null;
}

/** The job: acquires the 符号 of linked persons who have none yet (at start and every hour). */
export async function acquireMissingKosekiCodes(deps: KosekiDeps, limit = 1000): Promise<{ acquired: number; pending: number }> {
  const r = await sql<{ id: string; juminhyo_code: string }>`
    SELECT id, juminhyo_code FROM peers_koseki.persons WHERE code IS NULL AND juminhyo_code IS NOT NULL ORDER BY updated_at LIMIT ${limit}`.execute(deps.db);
  let acquired = 0;
  for (const p of r.rows) if (await acquireCode(deps, p.id, p.juminhyo_code)) acquired++;
  return { acquired, pending: r.rows.length - acquired };
}

async function eventsOfCodes(db: Kysely<UntypedDatabase>, codes: readonly string[]): Promise<Map<string, EventRow[]>> {
  const r = await sql<EventRow>`
    SELECT ${EVENT_COLS} FROM peers_koseki.persons p JOIN peers_koseki.events e ON e.person_id = p.id
    WHERE p.code = ANY(${[...codes]}::text[]) ORDER BY p.code, e.seq`.execute(db);
  const out = new Map<string, EventRow[]>();
  for (const e of r.rows) {
    const list = out.get(e.code) ?? [];
    list.push(e);
    out.set(e.code, list);
  }
  return out;
}

/** The 戸籍関係情報 of the person this body knows by `code`; undefined when it holds none. */
export async function kosekiInfoOfCode(db: Kysely<UntypedDatabase>, code: string): Promise<KosekiInfo | undefined> {
  const events = (await eventsOfCodes(db, [code])).get(code);
  return events ? infoOf(events) : undefined;
}

/**
 * For a periodic check: of the persons known by `codes`, those with 異動 recorded from `since` on (inclusive),
 * each with the current 戸籍関係情報 and those 異動.  A code this body does not know is absent from `known`.
 */
export async function kosekiChangesOfCodes(db: Kysely<UntypedDatabase>, codes: readonly string[], since: string): Promise<{ known: Set<string>; changed: Map<string, KosekiInfo> }> {
  const all = await eventsOfCodes(db, codes);
  const changed = new Map<string, KosekiInfo>();
  for (const [code, events] of all) if (events.some((e) => e.recorded_on >= since)) changed.set(code, infoOf(events, since));
  return { known: new Set(all.keys()), changed };
}

export interface KosekiProvision {
  readonly exchangeId: string;
  readonly permitId: string;
  readonly requester: string;
  readonly jimu: string;
  readonly item: string;
  readonly legalBasis: string;
  readonly status: 'provided' | 'none';
  readonly since: string | null;
  readonly at: Date;
}

export async function recordKosekiProvisions(db: Kysely<UntypedDatabase>, list: readonly KosekiProvision[]): Promise<void> {
  await db.transaction().execute(async (tx) => {
    for (const p of list) {
      await sql`
        INSERT INTO peers_koseki.provisions (exchange_id, permit_id, requester, jimu, item, legal_basis, status, since, at)
        VALUES (${p.exchangeId}, ${p.permitId}, ${p.requester}, ${p.jimu}, ${p.item}, ${p.legalBasis}, ${p.status}, ${p.since}::date, ${p.at})
        ON CONFLICT (exchange_id) DO NOTHING`.execute(tx);
    }
  });
}

export async function listKosekiProvisions(db: Kysely<UntypedDatabase>, limit = 1000): Promise<KosekiProvision[]> {
  const r = await sql<{ exchange_id: string; permit_id: string; requester: string; jimu: string; item: string; legal_basis: string; status: 'provided' | 'none'; since: string | null; at: Date }>`
    SELECT exchange_id, permit_id, requester, jimu, item, legal_basis, status, to_char(since, 'YYYY-MM-DD') AS since, at FROM peers_koseki.provisions ORDER BY at DESC, exchange_id LIMIT ${limit}`.execute(db);
  return r.rows.map((x) => ({ exchangeId: x.exchange_id, permitId: x.permit_id, requester: x.requester, jimu: x.jimu, item: x.item, legalBasis: x.legal_basis, status: x.status, since: x.since, at: x.at }));
}

/** Deletes provision records past their keeping period. */
export async function purgeKoseki(db: Kysely<UntypedDatabase>, now: Date, years = KOSEKI_PROVISION_YEARS): Promise<{ provisions: number }> {
  const cutoff = new Date(now);
  cutoff.setUTCFullYear(cutoff.getUTCFullYear() - years);
  const r = await sql`DELETE FROM peers_koseki.provisions WHERE at < ${cutoff}`.execute(db);
  return { provisions: Number(r.numAffectedRows ?? 0) };
}
