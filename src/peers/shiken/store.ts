// The 登録情報連携システム's own records (decisions 0229–0231; docs/formats/registry-foundation.md).  What the
// foundation sends and accepts is limited to the items 3–80 of 別添2 of the 介護福祉士登録名簿ファイル and the
// 資格仮名ID; a paper application's My Number only until the registry gave its 資格仮名ID (QUA-30, QUA-31).
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Clock } from '../../kernel/clock/index.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';
import type { ExchangeNode } from '../../kernel/exchange/index.js';
import { isValidMyNumber } from '../../kernel/mynumber/index.js';
import { Problem } from '../../kernel/problems/index.js';

export const SHIKEN_SCHEMA = 'peers_shiken';
export const SHIKEN_ROLE = 'mamori_shiken';
export const SHIKEN_NODE = 'shiken';
export const REGISTRY_PEER = 'registry';

/** 別添2（介護福祉士登録名簿ファイル）の項目3〜80 (this system's copy of the agreed list; the registry checks its own against its catalog). */
export const SHIKEN_ITEMS = [
  '登録コード', '登録番号', '登録年月日（元号）', '登録年月日（年月日）', 'カナ氏名（姓）', 'カナ氏名（名）', '漢字氏名（姓）', '漢字氏名（名）', '旧姓', '旧姓（長名）',
  '通称', '通称（長名）', '通称（旧姓）', '通称（旧姓）（長名）', 'カナ氏名（長名）', '漢字氏名（長名）', 'アルファベット氏名', '本籍地コード', '現住所コード', '郵便番号',
  '固定電話', '携帯電話', '住所', 'メールアドレス', '生年月日（元号）', '生年月日（年月日）', '性別', 'ＥＰＡ', '留学', '期限付登録',
  '合格証書番号', '合格年月（元号）', '合格年月（年月）', '養成施設コード', '有効期限（元号）', '有効期限（年月日）', '有効期限解除日（元号）', '有効期限解除日（年月日）', '有効期限解除理由', '合計休業日数',
  '休業可能日数', '訂正日（元号）', '訂正日（年月日）', '再交付（元号）', '再交付（年月日）', '消除日（元号）', '消除日（年月日）', '消除理由', '消除取消日（元号）', '消除取消日（年月日）',
  '停止日（元号）', '停止日（年月日）', '停止理由', '停止解除日（元号）', '停止解除日（年月日）', '登録可能日（元号）', '登録可能日（年月日）', '指定研修課程修了', '指定研修課程修了（元号）', '指定研修課程修了（年月日）',
  '付記資格１', '付記資格年月日１（元号）', '付記資格年月日１（年月日）', '付記資格２', '付記資格年月日２（元号）', '付記資格年月日２（年月日）', '付記資格３', '付記資格年月日３（元号）', '付記資格年月日３（年月日）', '付記資格４',
  '付記資格年月日４（元号）', '付記資格年月日４（年月日）', '付記資格５', '付記資格年月日５（元号）', '付記資格年月日５（年月日）', '旧姓フラグ', '通称名フラグ', '旧姓通称名フラグ',
] as const;
const ITEM_SET: ReadonlySet<string> = new Set(SHIKEN_ITEMS);
export type ShikenItems = Record<string, string>;

export interface ShikenDeps {
  readonly db: Kysely<UntypedDatabase>;
  readonly node: ExchangeNode;
  readonly clock: Clock;
}

const refused = (detail: string) => new Problem(400, 'FOUNDATION_REFUSED', '定められた項目・形式と異なるため全体を受け付けませんでした', detail);
export const PAPER_DOCUMENTS = ['マイナンバーカード', '通知カード', '個人番号が記載された住民票の写し'] as const;

/** Items 3–80: only predefined names, non-empty strings ≤ 200 characters (empty or null: absent), in the list's order. */
export function checkShikenItems(raw: unknown, where: string): ShikenItems {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw refused(`${where}: 項目がありません。`);
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r)) if (!ITEM_SET.has(k)) throw refused(`${where}: あらかじめ定められた項目（別添2の項目3〜80）にない項目「${k.slice(0, 40)}」が含まれています。`);
  const out: ShikenItems = {};
  for (const k of SHIKEN_ITEMS) {
    const v = r[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string' || v.length > 200) throw refused(`${where}: 項目「${k}」の値は200文字以内の文字列です。`);
    out[k] = v;
  }
  return out;
}

export const digestOf = (v: unknown): string => createHash('sha256').update(JSON.stringify(v)).digest('hex');

/** Records a 試験合格者 to send (keyed by 合格証書番号; the same again changes nothing). */
export async function recordPasser(deps: ShikenDeps, raw: unknown): Promise<{ certificateNo: string; created: boolean }> {
  const items = checkShikenItems(raw, '合格者');
  const no = items['合格証書番号'];
  if (!no || !/^[0-9A-Z-]{1,16}$/.test(no)) throw refused('合格者: 合格証書番号（半角英数字16文字以内）がありません。');
  const r = await sql`INSERT INTO peers_shiken.passers (certificate_no, items, recorded_at) VALUES (${no}, ${JSON.stringify(items)}::jsonb, ${deps.clock.now()}) ON CONFLICT DO NOTHING`.execute(deps.db);
  return { certificateNo: no, created: Number(r.numAffectedRows ?? 0) > 0 };
}

export interface PaperInput {
  readonly ref: string;
  readonly myNumber: string;
  /** The check of the My Number (written on a separate sheet) against the ID documents, done at the foundation. */
  readonly numberCheck: { readonly document: string; readonly checkedBy: string; readonly checkedOn: string };
  readonly items: unknown;
}

/** Records a paper application with its My Number, only when the number check against the ID documents is recorded. */
export async function recordPaperApplication(deps: ShikenDeps, input: PaperInput): Promise<{ ref: string; created: boolean }> {
  if (!/^[0-9A-Za-z-]{1,32}$/.test(input.ref)) throw refused('受付番号（半角英数字32文字以内）が正しくありません。');
  if (!isValidMyNumber(input.myNumber)) throw refused('個人番号が正しくありません。');
  const c = input.numberCheck;
  if (!c || !PAPER_DOCUMENTS.includes(c.document as (typeof PAPER_DOCUMENTS)[number])) throw refused(`個人番号は ${PAPER_DOCUMENTS.join('・')} のいずれかと突合してください（番号確認の記録がありません）。`);
  if (!c.checkedBy?.trim() || !/^\d{4}-\d{2}-\d{2}$/.test(c.checkedOn ?? '') || c.checkedOn > deps.clock.today()) throw refused('番号確認の確認者・確認日が正しくありません。');
  const items = checkShikenItems(input.items, `受付番号 ${input.ref}`);
  return deps.db.transaction().execute(async (tx) => {
    const r = await sql`INSERT INTO peers_shiken.paper_applications (ref, items, number_checked_with, number_checked_by, number_checked_on, received_at)
              VALUES (${input.ref}, ${JSON.stringify(items)}::jsonb, ${c.document}, ${c.checkedBy.trim()}, ${c.checkedOn}, ${deps.clock.now()}) ON CONFLICT DO NOTHING`.execute(tx);
    const created = Number(r.numAffectedRows ?? 0) > 0;
    if (created) await sql`INSERT INTO peers_shiken.paper_mynumbers (ref, my_number) VALUES (${input.ref}, ${input.myNumber})`.execute(tx);
    return { ref: input.ref, created };
  });
}

/**
 * The registry's 資格仮名ID for paper applications: kept, and the My Number deleted in the same transaction
 * (QUA-31).  A link for an unknown 受付番号 or a different 資格仮名ID than already kept refuses the whole batch.
 */
export async function applyLinks(deps: ShikenDeps, links: readonly { ref: string; pseudonymId: string }[], via: 'api' | 'file'): Promise<number> {
  return deps.db.transaction().execute((tx) => applyLinksIn(tx, deps.clock, links, via));
}

export async function applyLinksIn(tx: Transaction<UntypedDatabase>, clock: Clock, links: readonly { ref: string; pseudonymId: string }[], via: 'api' | 'file'): Promise<number> {
  {
    let linked = 0;
    for (const l of links) {
      const r = await sql<{ pseudonym_id: string | null }>`SELECT pseudonym_id FROM peers_shiken.paper_applications WHERE ref = ${l.ref} FOR UPDATE`.execute(tx);
      const row = r.rows[0];
      if (!row) throw refused(`受付番号 ${l.ref} の申請はこのシステムにありません。`);
      if (row.pseudonym_id !== null) {
        if (row.pseudonym_id !== l.pseudonymId) throw refused(`受付番号 ${l.ref} には既に別の資格仮名IDが連携されています。`);
        continue;
      }
      await sql`DELETE FROM peers_shiken.paper_mynumbers WHERE ref = ${l.ref}`.execute(tx);
      await sql`UPDATE peers_shiken.paper_applications SET pseudonym_id = ${l.pseudonymId}, linked_at = ${clock.now()}, linked_via = ${via}, mynumber_deleted_at = ${clock.now()} WHERE ref = ${l.ref}`.execute(tx);
      linked += 1;
    }
    return linked;
  }
}

/** Stores the registry's online applications (資格仮名ID + items); the same content again changes nothing. */
export async function storeApplications(deps: ShikenDeps, rows: readonly { pseudonymId: string; items: ShikenItems }[], via: 'api' | 'file'): Promise<number> {
  return deps.db.transaction().execute((tx) => storeApplicationsIn(tx, deps.clock, rows, via));
}

export async function storeApplicationsIn(tx: Transaction<UntypedDatabase>, clock: Clock, rows: readonly { pseudonymId: string; items: ShikenItems }[], via: 'api' | 'file'): Promise<number> {
  {
    let stored = 0;
    for (const a of rows) {
      const digest = digestOf(a.items);
      const r = await sql`INSERT INTO peers_shiken.applications (pseudonym_id, items, digest, via, received_at, updated_at) VALUES (${a.pseudonymId}, ${JSON.stringify(a.items)}::jsonb, ${digest}, ${via}, ${clock.now()}, ${clock.now()})
        ON CONFLICT (pseudonym_id) DO UPDATE SET items = excluded.items, digest = excluded.digest, via = excluded.via, updated_at = excluded.updated_at WHERE peers_shiken.applications.digest <> excluded.digest`.execute(tx);
      stored += Number(r.numAffectedRows ?? 0);
    }
    return stored;
  }
}

/** A batch from the registry (message or file), applied in one transaction: the links, then the applications. */
export async function applyRegistryBatch(deps: ShikenDeps, batch: { online: { pseudonymId: string; items: ShikenItems }[]; links: { ref: string; pseudonymId: string }[] }, via: 'api' | 'file'): Promise<{ linked: number; stored: number }> {
  return deps.db.transaction().execute(async (tx) => ({ linked: await applyLinksIn(tx, deps.clock, batch.links, via), stored: await storeApplicationsIn(tx, deps.clock, batch.online, via) }));
}

export interface ShikenApplication { readonly pseudonymId: string; readonly items: ShikenItems; readonly via: string }
export async function listShikenApplications(db: ShikenDeps['db']): Promise<ShikenApplication[]> {
  const r = await sql<{ pseudonym_id: string; items: ShikenItems; via: string }>`SELECT pseudonym_id, items, via FROM peers_shiken.applications ORDER BY received_at, pseudonym_id`.execute(db);
  return r.rows.map((x) => ({ pseudonymId: x.pseudonym_id, items: x.items, via: x.via }));
}

export interface PaperState { readonly ref: string; readonly pseudonymId: string | null; readonly myNumberHeld: boolean; readonly numberCheckedWith: string }
export async function paperApplications(db: ShikenDeps['db']): Promise<PaperState[]> {
  const r = await sql<{ ref: string; pseudonym_id: string | null; held: boolean; number_checked_with: string }>`
    SELECT p.ref, p.pseudonym_id, (m.ref IS NOT NULL) AS held, p.number_checked_with FROM peers_shiken.paper_applications p LEFT JOIN peers_shiken.paper_mynumbers m USING (ref) ORDER BY p.ref`.execute(db);
  return r.rows.map((x) => ({ ref: x.ref, pseudonymId: x.pseudonym_id, myNumberHeld: x.held, numberCheckedWith: x.number_checked_with }));
}

/** What is still to go to the registry: passers not yet sent, paper applications not yet linked (with their My Number). */
export async function pendingForRegistry(db: ShikenDeps['db']): Promise<{ passers: { items: ShikenItems }[]; paper: { ref: string; myNumber: string; numberCheck: { document: string; checkedBy: string; checkedOn: string }; items: ShikenItems }[] }> {
  const p = await sql<{ items: ShikenItems }>`SELECT items FROM peers_shiken.passers WHERE sent_at IS NULL ORDER BY certificate_no`.execute(db);
  const a = await sql<{ ref: string; my_number: string; number_checked_with: string; number_checked_by: string; number_checked_on: string; items: ShikenItems }>`
    SELECT p.ref, m.my_number, p.number_checked_with, p.number_checked_by, to_char(p.number_checked_on, 'YYYY-MM-DD') AS number_checked_on, p.items
    FROM peers_shiken.paper_applications p JOIN peers_shiken.paper_mynumbers m USING (ref) WHERE p.pseudonym_id IS NULL ORDER BY p.ref`.execute(db);
  return {
    passers: p.rows.map((x) => ({ items: x.items })),
    paper: a.rows.map((x) => ({ ref: x.ref, myNumber: x.my_number, numberCheck: { document: x.number_checked_with, checkedBy: x.number_checked_by, checkedOn: x.number_checked_on }, items: x.items })),
  };
}

export async function markPassersSent(db: ShikenDeps['db'], certificateNos: readonly string[], at: Date): Promise<void> {
  if (certificateNos.length) await sql`UPDATE peers_shiken.passers SET sent_at = ${at} WHERE certificate_no = ANY(${[...certificateNos]}::text[]) AND sent_at IS NULL`.execute(db);
}

/**
 * Sends what the registry has not yet received by message (随時・API連携): the passers (`foundation.passers`),
 * then the paper applications (`foundation.paper`, personal); the 資格仮名ID of each answer is kept and its My
 * Number deleted.
 */
export async function sendToRegistry(deps: ShikenDeps, registry = REGISTRY_PEER): Promise<{ passers: number; linked: number }> {
  const { passers, paper } = await pendingForRegistry(deps.db);
  const batchId = `S${deps.clock.now().toISOString().replace(/[-:.TZ]/g, '')}`;
  if (passers.length) {
    await deps.node.call(registry, 'foundation.passers', { batchId, rows: passers.map((p) => ({ 項目: p.items })) }, { personal: true });
    await markPassersSent(deps.db, passers.map((p) => p.items['合格証書番号']!), deps.clock.now());
  }
  let linked = 0;
  if (paper.length) {
    const a = await deps.node.call(registry, 'foundation.paper', {
      batchId, rows: paper.map((p) => ({ 受付番号: p.ref, 個人番号: p.myNumber, 番号確認: { 書類: p.numberCheck.document, 確認者: p.numberCheck.checkedBy, 確認日: p.numberCheck.checkedOn }, 項目: p.items })),
    }, { personal: true });
    const results = (a.body as { results?: unknown } | undefined)?.results;
    if (!Array.isArray(results)) throw new Problem(502, 'REGISTRY_BAD_ANSWER', '国家資格等情報連携・活用システムの応答が正しくありません', '資格仮名IDの一覧がありません。');
    linked = await applyLinks(deps, results.map((r: { 受付番号?: unknown; 資格仮名ID?: unknown }) => {
      if (typeof r.受付番号 !== 'string' || typeof r.資格仮名ID !== 'string' || !/^Q[0-9A-F]{20}$/.test(r.資格仮名ID)) throw new Problem(502, 'REGISTRY_BAD_ANSWER', '国家資格等情報連携・活用システムの応答が正しくありません', '資格仮名IDの形式が正しくありません。');
      return { ref: r.受付番号, pseudonymId: r.資格仮名ID };
    }), 'api');
  }
  return { passers: passers.length, linked };
}
