// 免許登録管理システム's store (QUA-28; decisions 0221–0223): the copy of the 医籍等 and 薬剤師名簿 by version, as
// the registry synchronises it.  A sync message is checked whole against the predefined list of items
// (items.json: the §004 register items of each qualification, nothing else) before anything is written: one
// item outside the list refuses the whole message and nothing is stored.  The My Number is sealed with this
// node's own key (AES-256-GCM, bound to 資格・登録番号・版), never stored or logged in clear.
import { readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';
import type { Clock } from '../../kernel/clock/index.js';
import { nodeKeyDir, open, seal, versionedKeys } from '../../kernel/crypto/index.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';
import { isIsoDate } from '../../kernel/jp/index.js';
import { checkMyNumber } from '../../kernel/mynumber/index.js';
import { Problem } from '../../kernel/problems/index.js';

export const MENKYO_SCHEMA = 'peers_menkyo';
export const MENKYO_ROLE = 'mamori_menkyo';
export const MENKYO_NODE = 'menkyo';
/** Records one message may carry. */
export const MENKYO_MAX_RECORDS = 1000;

interface ItemList {
  readonly qualifications: Record<string, { readonly name: string; readonly register: string; readonly file: string; readonly items: readonly string[] }>;
}

let list: ItemList | undefined;
/** The predefined list of items this system accepts, per qualification (items.json). */
export function menkyoItemList(): ItemList {
  list ??= JSON.parse(readFileSync(new URL('./items.json', import.meta.url), 'utf8')) as ItemList;
  return list;
}

/** The keys a sync message, a record, an 抹消 and a 行政処分 may carry (decision 0223). */
export const MENKYO_BODY_KEYS = ['qualification', 'records'] as const;
export const MENKYO_RECORD_KEYS = ['registrationNo', 'version', 'registeredOn', 'pseudonymId', 'items', 'myNumber', 'erasure', 'deceased', 'dispositions'] as const;
export const MENKYO_ERASURE_KEYS = ['on', 'cause', 'reasonCode'] as const;
export const MENKYO_DISPOSITION_KEYS = ['kind', 'decidedOn', 'code', 'from', 'until', 'issueNo'] as const;

export class MenkyoSecrets {
  private constructor(readonly encVersion: number, private readonly enc: ReadonlyMap<number, Buffer>) {}

  static open(keyDir: string): MenkyoSecrets {
    const { version, keys } = versionedKeys(nodeKeyDir(keyDir, MENKYO_NODE), 'mynumber');
    return new MenkyoSecrets(version, keys);
  }

  private static aad(q: string, n: number, v: number, keyVersion: number): string {
    return `menkyo|mynumber|${q}|${n}|${v}|${keyVersion}`;
  }

  seal(q: string, n: number, v: number, myNumber: string): { ciphertext: Buffer; version: number } {
    return { ciphertext: seal(this.enc.get(this.encVersion)!, Buffer.from(myNumber, 'ascii'), MenkyoSecrets.aad(q, n, v, this.encVersion)), version: this.encVersion };
  }

  open(q: string, n: number, v: number, ciphertext: Buffer, keyVersion: number): string {
    const key = this.enc.get(keyVersion);
    if (!key) throw new Error(`menkyo: My Number key version ${keyVersion} missing`);
    return open(key, ciphertext, MenkyoSecrets.aad(q, n, v, keyVersion)).toString('ascii');
  }
}

export interface MenkyoDeps {
  readonly db: Kysely<UntypedDatabase>;
  readonly clock: Clock;
  readonly secrets: MenkyoSecrets;
}

export interface MenkyoRecord {
  readonly registrationNo: number;
  readonly version: number;
  readonly registeredOn: string;
  readonly pseudonymId: string;
  readonly items: Record<string, string | number | boolean | null>;
  readonly myNumber: string | null;
  readonly erasure: { on: string; cause: string; reasonCode: string | null } | null;
  readonly deceased: boolean;
  readonly dispositions: readonly Record<string, string | null>[];
}

const refuse = (field: string, detail: string) =>
  new Problem(400, 'SYNC_ITEM_NOT_ALLOWED', '定められた項目以外を含む同期データは受け付けません', `${detail}。メッセージ全体を受け付けませんでした（何も保存していません）。`, [{ field, code: 'SYNC_ITEM_NOT_ALLOWED', message: detail }]);
const invalid = (field: string, detail: string) =>
  new Problem(400, 'SYNC_INVALID', '同期データの形式が正しくありません', `${detail}。メッセージ全体を受け付けませんでした（何も保存していません）。`, [{ field, code: 'SYNC_INVALID', message: detail }]);
const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

function onlyKeys(v: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const k of Object.keys(v)) if (!allowed.includes(k)) throw refuse(`${where}${k}`.slice(0, 200), `項目「${k.slice(0, 60)}」は受信項目の一覧にありません（${where || '本文'}）`);
}

/** Checks a whole sync message against the predefined list; throws before anything is written. */
export function parseMenkyoSync(body: unknown): { qualification: string; records: MenkyoRecord[] } {
  if (!isObj(body)) throw invalid('body', '本文がありません');
  onlyKeys(body, MENKYO_BODY_KEYS, '');
  const q = body['qualification'];
  const def = typeof q === 'string' && Object.hasOwn(menkyoItemList().qualifications, q) ? menkyoItemList().qualifications[q]! : undefined;
  if (!def) throw refuse('qualification', `資格「${String(q).slice(0, 40)}」はこのシステムの受信対象ではありません`);
  const raw = body['records'];
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > MENKYO_MAX_RECORDS) throw invalid('records', `records は 1〜${MENKYO_MAX_RECORDS} 件の配列です`);
  const seen = new Set<number>();
  const records = raw.map((r: unknown, i): MenkyoRecord => {
    const at = `records.${i}.`;
    if (!isObj(r)) throw invalid(`records.${i}`, '記録の形式が正しくありません');
    onlyKeys(r, MENKYO_RECORD_KEYS, at);
    const n = r['registrationNo'];
    const v = r['version'];
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw invalid(`${at}registrationNo`, '登録番号が正しくありません');
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw invalid(`${at}version`, '版が正しくありません');
    if (seen.has(n)) throw invalid(`${at}registrationNo`, `登録番号 ${n} が同じメッセージに二度あります`);
    seen.add(n);
    if (typeof r['registeredOn'] !== 'string' || !isIsoDate(r['registeredOn'])) throw invalid(`${at}registeredOn`, '登録年月日が正しくありません');
    if (typeof r['pseudonymId'] !== 'string' || !/^Q[0-9A-F]{20}$/.test(r['pseudonymId'])) throw invalid(`${at}pseudonymId`, '資格仮名IDが正しくありません');
    const items = r['items'];
    if (!isObj(items)) throw invalid(`${at}items`, '登録事項がありません');
    for (const [k, x] of Object.entries(items)) {
      if (!def.items.includes(k)) throw refuse(`${at}items.${k}`.slice(0, 200), `項目「${k.slice(0, 60)}」は${def.register}の受信項目にありません`);
      if (!(x === null || typeof x === 'boolean' || typeof x === 'number' || (typeof x === 'string' && x.length <= 2000))) throw invalid(`${at}items.${k}`.slice(0, 200), `項目「${k.slice(0, 60)}」の値が正しくありません`);
    }
    const mn = r['myNumber'];
    let myNumber: string | null = null;
    if (mn !== null) {
      const c = typeof mn === 'string' ? checkMyNumber(mn) : undefined;
      if (!c?.ok) throw invalid(`${at}myNumber`, '個人番号の形式が正しくありません'); // never the value
      myNumber = c.value;
    }
    const e = r['erasure'];
    if (e !== null && !isObj(e)) throw invalid(`${at}erasure`, '抹消の形式が正しくありません');
    if (e) {
      onlyKeys(e, MENKYO_ERASURE_KEYS, `${at}erasure.`);
      if (typeof e['on'] !== 'string' || !isIsoDate(e['on']) || !['request', 'disposition', 'death'].includes(String(e['cause']))) throw invalid(`${at}erasure`, '抹消の年月日または事由が正しくありません');
    }
    if (typeof r['deceased'] !== 'boolean') throw invalid(`${at}deceased`, '死亡の区分が正しくありません');
    const ds = r['dispositions'];
    if (!Array.isArray(ds) || ds.length > 50) throw invalid(`${at}dispositions`, '行政処分の形式が正しくありません');
    ds.forEach((d: unknown, j) => {
      if (!isObj(d)) throw invalid(`${at}dispositions.${j}`, '行政処分の形式が正しくありません');
      onlyKeys(d, MENKYO_DISPOSITION_KEYS, `${at}dispositions.${j}.`);
      if (!['suspension', 'revocation'].includes(String(d['kind'])) || typeof d['decidedOn'] !== 'string' || !isIsoDate(d['decidedOn'])) throw invalid(`${at}dispositions.${j}`, '行政処分の種別または年月日が正しくありません');
    });
    return {
      registrationNo: n, version: v, registeredOn: r['registeredOn'], pseudonymId: r['pseudonymId'], items: items as MenkyoRecord['items'], myNumber,
      erasure: e ? { on: String(e['on']), cause: String(e['cause']), reasonCode: typeof e['reasonCode'] === 'string' ? e['reasonCode'] : null } : null,
      deceased: r['deceased'], dispositions: ds as MenkyoRecord['dispositions'],
    };
  });
  return { qualification: q as string, records };
}

export type MenkyoResult = 'stored' | 'unchanged' | 'stale';

/** Stores a checked message in one transaction; per record: stored, already held (unchanged) or older than held (stale). */
export async function storeMenkyoSync(deps: MenkyoDeps, msgId: string, m: { qualification: string; records: readonly MenkyoRecord[] }): Promise<{ registrationNo: number; version: number; result: MenkyoResult }[]> {
  return deps.db.transaction().execute(async (tx) => {
    const out: { registrationNo: number; version: number; result: MenkyoResult }[] = [];
    for (const r of m.records) {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`menkyo|${m.qualification}|${r.registrationNo}`}, 0))`.execute(tx);
      const held = await sql<{ v: number | null; same: boolean }>`SELECT max(version) AS v, bool_or(version = ${r.version}) AS same FROM peers_menkyo.register_versions
        WHERE qualification_code = ${m.qualification} AND registration_no = ${r.registrationNo}`.execute(tx);
      const h = held.rows[0];
      if (h?.same) { out.push({ registrationNo: r.registrationNo, version: r.version, result: 'unchanged' }); continue; }
      if (h?.v !== null && h?.v !== undefined && h.v > r.version) { out.push({ registrationNo: r.registrationNo, version: r.version, result: 'stale' }); continue; }
      const s = r.myNumber ? deps.secrets.seal(m.qualification, r.registrationNo, r.version, r.myNumber) : null;
      await sql`INSERT INTO peers_menkyo.register_versions (qualification_code, registration_no, version, pseudonym_id, items, erasure, deceased, dispositions, my_number_ct, my_number_key, msg_id, received_at)
        VALUES (${m.qualification}, ${r.registrationNo}, ${r.version}, ${r.pseudonymId}, ${JSON.stringify({ ...r.items })}::jsonb, ${r.erasure ? JSON.stringify(r.erasure) : null}::jsonb, ${r.deceased},
                ${JSON.stringify(r.dispositions)}::jsonb, ${s?.ciphertext ?? null}, ${s?.version ?? null}, ${msgId}, ${deps.clock.now()})`.execute(tx);
      out.push({ registrationNo: r.registrationNo, version: r.version, result: 'stored' });
    }
    return out;
  });
}

export interface MenkyoEntry {
  readonly qualification: string;
  readonly registrationNo: number;
  readonly version: number;
  readonly versions: readonly number[];
  readonly items: Record<string, unknown>;
  readonly erasure: unknown;
  readonly deceased: boolean;
  readonly dispositions: unknown;
  /** Whether a My Number is held for the newest version (never the number). */
  readonly myNumberHeld: boolean;
}

/** The newest version held of each entry of a qualification (for the operator and the tests; no My Number). */
export async function menkyoEntries(db: Kysely<UntypedDatabase>, qualification?: string): Promise<MenkyoEntry[]> {
  const r = await sql<Record<string, unknown>>`
    SELECT DISTINCT ON (qualification_code, registration_no) qualification_code, registration_no::text AS n, version, items, erasure, deceased, dispositions, (my_number_ct IS NOT NULL) AS held,
      (SELECT array_agg(v.version ORDER BY v.version) FROM peers_menkyo.register_versions v WHERE v.qualification_code = r.qualification_code AND v.registration_no = r.registration_no) AS versions
    FROM peers_menkyo.register_versions r WHERE ${qualification ?? null}::text IS NULL OR qualification_code = ${qualification ?? null}
    ORDER BY qualification_code, registration_no, version DESC`.execute(db);
  return r.rows.map((x) => ({
    qualification: String(x['qualification_code']), registrationNo: Number(x['n']), version: Number(x['version']), versions: (x['versions'] as number[]).map(Number),
    items: x['items'] as Record<string, unknown>, erasure: x['erasure'], deceased: x['deceased'] === true, dispositions: x['dispositions'], myNumberHeld: x['held'] === true,
  }));
}

/** The My Number held for an entry's newest version (the 免許登録管理システム's own use; tests prove it arrived). */
export async function menkyoMyNumber(deps: MenkyoDeps, qualification: string, registrationNo: number): Promise<string | null> {
  const r = await sql<{ version: number; ct: Buffer | null; k: number | null }>`SELECT version, my_number_ct AS ct, my_number_key AS k FROM peers_menkyo.register_versions
    WHERE qualification_code = ${qualification} AND registration_no = ${registrationNo} ORDER BY version DESC LIMIT 1`.execute(deps.db);
  const row = r.rows[0];
  if (!row?.ct || row.k === null) return null;
  return deps.secrets.open(qualification, registrationNo, Number(row.version), row.ct, row.k);
}
