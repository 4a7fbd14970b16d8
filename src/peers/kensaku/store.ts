// 資格確認検索システム's store (QUA-29; decisions 0224–0225): per registrant and qualification only 氏名, 登録年
// and 性別 under the registry's opaque 照合キー; a tombstone (掲載終了) ends the listing.  A sync message is
// checked whole against the predefined list before anything is written.  The public search answers only the
// three items, projected one by one from what is stored — never a row as it is.
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../kernel/clock/index.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';
import { Problem } from '../../kernel/problems/index.js';

export const KENSAKU_SCHEMA = 'peers_kensaku';
export const KENSAKU_ROLE = 'mamori_kensaku';
export const KENSAKU_NODE = 'kensaku';
export const KENSAKU_MAX_RECORDS = 1000;
export const KENSAKU_PER_PAGE = 20;

/** The qualifications this search lists (医籍等 and 薬剤師名簿), with the names shown to the public. */
export const KENSAKU_QUALIFICATIONS: Readonly<Record<string, string>> = {
  ishi: '医師', shikaishi: '歯科医師', kangoshi: '看護師', hokenshi: '保健師', josanshi: '助産師', rigakuryohoshi: '理学療法士', rinshokensagishi: '臨床検査技師', yakuzaishi: '薬剤師',
};

/** The predefined list (decision 0224): the message, a listed record, and the tombstone (decision 0225). */
export const KENSAKU_BODY_KEYS = ['qualification', 'records'] as const;
export const KENSAKU_RECORD_KEYS = ['key', 'version', '氏名', '登録年', '性別', '掲載終了'] as const;
export const SEX_LABELS = { '1': '男', '2': '女' } as const;

export interface KensakuDeps {
  readonly db: Kysely<UntypedDatabase>;
  readonly clock: Clock;
}

export type KensakuRecord =
  | { readonly key: string; readonly version: number; readonly 氏名: string; readonly 登録年: number; readonly 性別: '1' | '2' }
  | { readonly key: string; readonly version: number; readonly 掲載終了: true };

const refuse = (field: string, detail: string) =>
  new Problem(400, 'SYNC_ITEM_NOT_ALLOWED', '定められた項目以外を含む同期データは受け付けません', `${detail}。メッセージ全体を受け付けませんでした（何も保存していません）。`, [{ field, code: 'SYNC_ITEM_NOT_ALLOWED', message: detail }]);
const invalid = (field: string, detail: string) =>
  new Problem(400, 'SYNC_INVALID', '同期データの形式が正しくありません', `${detail}。メッセージ全体を受け付けませんでした（何も保存していません）。`, [{ field, code: 'SYNC_INVALID', message: detail }]);
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** 氏名 as searched: NFKC, without spaces. */
export const nameKey = (s: string): string => s.normalize('NFKC').replace(/[\s\u3000]+/g, '');

export function parseKensakuSync(body: unknown, thisYear: number): { qualification: string; records: KensakuRecord[] } {
  if (!isObj(body)) throw invalid('body', '本文がありません');
  for (const k of Object.keys(body)) if (!(KENSAKU_BODY_KEYS as readonly string[]).includes(k)) throw refuse(k.slice(0, 60), `項目「${k.slice(0, 60)}」は受信項目の一覧にありません`);
  const q = body['qualification'];
  if (typeof q !== 'string' || !Object.hasOwn(KENSAKU_QUALIFICATIONS, q)) throw refuse('qualification', `資格「${String(q).slice(0, 40)}」はこの検索の対象ではありません`);
  const raw = body['records'];
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > KENSAKU_MAX_RECORDS) throw invalid('records', `records は 1〜${KENSAKU_MAX_RECORDS} 件の配列です`);
  const seen = new Set<string>();
  const records = raw.map((r: unknown, i): KensakuRecord => {
    const at = `records.${i}`;
    if (!isObj(r)) throw invalid(at, '記録の形式が正しくありません');
    for (const k of Object.keys(r)) {
      if (!(KENSAKU_RECORD_KEYS as readonly string[]).includes(k)) throw refuse(`${at}.${k}`.slice(0, 200), `項目「${k.slice(0, 60)}」は受信項目（氏名・登録年・性別）にありません`);
    }
    const key = r['key'];
    const version = r['version'];
    if (typeof key !== 'string' || !/^K[0-9a-f]{32}$/.test(key)) throw invalid(`${at}.key`, '照合キーが正しくありません');
    if (seen.has(key)) throw invalid(`${at}.key`, '同じ照合キーが同じメッセージに二度あります');
    seen.add(key);
    if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) throw invalid(`${at}.version`, '版が正しくありません');
    if (r['掲載終了'] !== undefined) {
      if (r['掲載終了'] !== true || r['氏名'] !== undefined || r['登録年'] !== undefined || r['性別'] !== undefined) throw invalid(`${at}.掲載終了`, '掲載終了の記録には照合キーと版のほかに項目を付けません');
      return { key, version, 掲載終了: true };
    }
    const name = r['氏名'];
    const year = r['登録年'];
    const sex = r['性別'];
    if (typeof name !== 'string' || nameKey(name).length < 1 || name.length > 80) throw invalid(`${at}.氏名`, '氏名が正しくありません');
    if (typeof year !== 'number' || !Number.isInteger(year) || year < 1868 || year > thisYear) throw invalid(`${at}.登録年`, '登録年が正しくありません');
    if (sex !== '1' && sex !== '2') throw invalid(`${at}.性別`, '性別（1: 男、2: 女）が正しくありません');
    return { key, version, 氏名: name, 登録年: year, 性別: sex };
  });
  return { qualification: q, records };
}

export type KensakuResult = 'stored' | 'unchanged' | 'stale';

export async function storeKensakuSync(deps: KensakuDeps, msgId: string, m: { qualification: string; records: readonly KensakuRecord[] }): Promise<{ key: string; version: number; result: KensakuResult }[]> {
  return deps.db.transaction().execute(async (tx) => {
    const out: { key: string; version: number; result: KensakuResult }[] = [];
    for (const r of m.records) {
      const held = await sql<{ version: number }>`SELECT version FROM peers_kensaku.listings WHERE listing_key = ${r.key} FOR UPDATE`.execute(tx);
      const h = held.rows[0]?.version;
      const listed = !('掲載終了' in r);
      if (h !== undefined && h === r.version) { out.push({ key: r.key, version: r.version, result: 'unchanged' }); continue; }
      if (h !== undefined && h > r.version) { out.push({ key: r.key, version: r.version, result: 'stale' }); continue; }
      const items = listed ? { 氏名: r.氏名, 登録年: r.登録年, 性別: r.性別 } : {};
      await sql`INSERT INTO peers_kensaku.listings (listing_key, qualification_code, version, listed, items, name_key, registered_year, msg_id, received_at)
        VALUES (${r.key}, ${m.qualification}, ${r.version}, ${listed}, ${JSON.stringify(items)}::jsonb, ${listed ? nameKey(r.氏名) : null}, ${listed ? r.登録年 : null}, ${msgId}, ${deps.clock.now()})
        ON CONFLICT (listing_key) DO UPDATE SET qualification_code = excluded.qualification_code, version = excluded.version, listed = excluded.listed, items = excluded.items,
          name_key = excluded.name_key, registered_year = excluded.registered_year, msg_id = excluded.msg_id, received_at = excluded.received_at`.execute(tx);
      out.push({ key: r.key, version: r.version, result: 'stored' });
    }
    return out;
  });
}

/** One search hit: exactly the three items of QUA-29. */
export interface KensakuHit {
  readonly 氏名: string;
  readonly 登録年: number;
  readonly 性別: string;
}

export interface KensakuPage {
  readonly qualification: string;
  readonly qualificationName: string;
  readonly total: number;
  readonly page: number;
  readonly pages: number;
  readonly perPage: number;
  readonly items: readonly KensakuHit[];
}

const searchInvalid = (field: string, message: string) => new Problem(400, 'INVALID_REQUEST', '検索条件が正しくありません', message, [{ field, code: 'INVALID_REQUEST', message }]);

/** The public search: a qualification and the full 氏名 (spaces ignored); totals and pages. */
export async function searchListings(db: Kysely<UntypedDatabase>, raw: { qualification?: unknown; name?: unknown; page?: unknown }): Promise<KensakuPage> {
  const q = typeof raw.qualification === 'string' ? raw.qualification : '';
  if (!Object.hasOwn(KENSAKU_QUALIFICATIONS, q)) throw searchInvalid('qualification', '資格を選んでください');
  const name = typeof raw.name === 'string' ? nameKey(raw.name) : '';
  if (name.length < 2 || name.length > 60) throw searchInvalid('name', '氏名（姓と名）を2文字以上60文字以内で入力してください');
  const page = raw.page === undefined || raw.page === '' ? 1 : Number(raw.page);
  if (!Number.isInteger(page) || page < 1 || page > 10_000) throw searchInvalid('page', 'ページ番号が正しくありません');
  const total = (await sql<{ n: number }>`SELECT count(*)::int AS n FROM peers_kensaku.listings WHERE qualification_code = ${q} AND listed AND name_key = ${name}`.execute(db)).rows[0]?.n ?? 0;
  const r = await sql<{ items: Record<string, unknown> }>`SELECT items FROM peers_kensaku.listings WHERE qualification_code = ${q} AND listed AND name_key = ${name}
    ORDER BY registered_year, listing_key LIMIT ${KENSAKU_PER_PAGE} OFFSET ${(page - 1) * KENSAKU_PER_PAGE}`.execute(db);
  // Each hit is built item by item (QUA-29): whatever else a stored row holds never leaves the node.
  const items = r.rows.map((x): KensakuHit => ({
    氏名: String(x.items['氏名'] ?? ''),
    登録年: Number(x.items['登録年']),
    性別: SEX_LABELS[x.items['性別'] as keyof typeof SEX_LABELS] ?? '',
  }));
  return { qualification: q, qualificationName: KENSAKU_QUALIFICATIONS[q]!, total, page, pages: Math.max(1, Math.ceil(total / KENSAKU_PER_PAGE)), perPage: KENSAKU_PER_PAGE, items };
}
