// 戸籍 checks of the registry through the 情報提供ネットワークシステム (QUA-17, QUA-16, QUA-35; decisions 0185–0187).
// The registry is a requester on the network, never a provider: it asks 法務省's 戸籍情報連携システム (body
// `koseki`) for 戸籍関係情報 with its own 符号 for the person, under the 事務 「医師法等による免許に関する事務」.
//   checkKoseki    on an application: 本籍 and 氏名 against the form, the name history, a death; when the 本籍
//                  cannot be identified (no 戸籍関係情報 linked), the applicant is asked for a 戸籍 extract.
//   kosekiChanges  the periodic check: every registrant of a 資格管理者 whose 戸籍 changed since a day, as
//                  proposals (氏名, 本籍, 死亡) for examination.
// The 符号 is obtained once per person: 住基ネット gives the 住民票コード for the applicant's My Number, the
// network issues the registry's 符号 for it; the registry keeps it by the My Number's blind index.  No My
// Number travels to the network or to 法務省.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import type { ExchangeNode, Incoming } from '../kernel/exchange/index.js';
import { isIsoDate } from '../kernel/jp/index.js';
import { invalidField, notFound, parseInput, Problem } from '../kernel/problems/index.js';
import { catalog } from './catalog.js';
import { parseApplication } from './forms.js';
import { RegistrySecrets } from './secrets.js';
import { withTenant, type Db, type Tx } from './store.js';

/** The provider body, 事務 and item on the network's 照会許可用照合リスト (docs/formats/koseki-protocol.md). */
export const KOSEKI_PROVIDER = 'koseki';
export const KOSEKI_JIMU = 'qualification-licence';
export const KOSEKI_ITEM = 'koseki-info';
/** Persons per inquiry.batch message (the network's limit). */
export const KOSEKI_BATCH = 1000;

export interface KosekiCheckDeps {
  readonly db: Db;
  /** The registry's own exchange node (its keys and message log). */
  readonly node: ExchangeNode;
  readonly clock: Clock;
  readonly secrets: RegistrySecrets;
  readonly network?: string;
  readonly jlis?: string;
}

export interface KosekiName { readonly 姓: string; readonly 名: string }

/** One name in the 戸籍, from the day of the 異動 that gave it until the next. */
export interface KosekiNameHistory extends KosekiName {
  readonly from: string;
  readonly until: string | null;
  /** The 異動 that gave the name (出生, 婚姻, 離婚 …). */
  readonly reason: string;
}

export type KosekiOutcome = 'matches' | 'differs' | 'unidentified' | 'not-applicable';

export const KOSEKI_OUTCOME_LABELS: Readonly<Record<KosekiOutcome, string>> = {
  matches: '申請書と戸籍が一致',
  differs: '申請書と戸籍が相違',
  unidentified: '本籍を特定できない（戸籍謄本等の提出を求める）',
  'not-applicable': '戸籍のない方（日本の国籍を有しない方）',
};

export interface KosekiCheck {
  readonly outcome: KosekiOutcome;
  /** The applicant must send a 戸籍謄本・抄本 (the 本籍 could not be identified through the network). */
  readonly needsExtract: boolean;
  /** What staff read (Japanese). */
  readonly message: string;
  readonly exchangeId: string | null;
  readonly legalBasis: string | null;
  readonly honseki: { readonly form: string | null; readonly koseki: string | null; readonly kosekiText: string | null; readonly matches: boolean | null };
  readonly name: { readonly form: KosekiName; readonly koseki: KosekiName | null; readonly matches: boolean | null };
  /** For the register's name history: every 氏名 of the 戸籍, oldest first. */
  readonly nameHistory: readonly KosekiNameHistory[];
  /** A death in the 戸籍 (QUA-16: opens the 抹消 workflow). */
  readonly deceased: { readonly on: string; readonly uncertain: string | null } | null;
}

/** A proposed update from the periodic check (the contract with the periodic job's proposals table). */
export interface KosekiProposal {
  readonly source: 'koseki';
  readonly pseudonymId: string;
  readonly entry: { readonly qualification: string; readonly number: number };
  readonly kind: 'name' | 'honseki' | 'death';
  /** The day of the 異動 in the 戸籍 (for a death: the day of death). */
  readonly occurredOn: string;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly exchangeId: string;
}

export interface KosekiChangesReport {
  readonly checked: number;
  readonly changed: number;
  readonly deaths: number;
  /** Registrants who could not be asked (no 符号, 本籍 not identified, refused). */
  readonly unresolved: number;
  readonly proposals: readonly KosekiProposal[];
}

// ---- the answer of 法務省 (as the registry reads it; zod at the boundary) -------------------------------------

const nameSchema = z.object({ 氏: z.string(), 名: z.string() });
const changeSchema = z.object({
  戸籍異動日: z.string(), 戸籍異動事由区分: z.string(), 戸籍異動事由: z.string(), 本籍コード: z.string(), 本籍: z.string(), 筆頭者: z.string(), 氏名: nameSchema,
  死亡日: z.string().nullable(), 記録日: z.string(),
});
const infoSchema = z.object({
  情報提供起点日: z.string(), 本籍コード: z.string(), 本籍: z.string(), 筆頭者: z.string(), 氏名: nameSchema, 生年月日: z.string(), 性別: z.string(),
  出生地: z.string().nullable(), 国籍取得日: z.string().nullable(), 死亡日: z.string().nullable(), 死亡日の不詳・推定区分: z.string().nullable(),
  '死亡の取消し・無効日': z.string().nullable(), 異動: z.array(changeSchema),
});
type KosekiInfo = z.infer<typeof infoSchema>;

const badAnswer = (detail: string) => new Problem(502, 'KOSEKI_BAD_ANSWER', '戸籍情報連携システムの応答が正しくありません', detail);

/** Opens the provider's answer relayed by the network: signed by 法務省, encrypted to the registry, for this exchange. */
async function relayedBody(deps: KosekiCheckDeps, answer: Incoming, exchangeId: string): Promise<Record<string, unknown>> {
  const relayed = answer.envelope.relayed?.[0];
  if (!relayed) throw badAnswer('情報提供者の署名付き応答がありません。');
  const r = await deps.node.verifyRelayed(relayed, KOSEKI_PROVIDER);
  if (r.envelope.aud !== (deps.network ?? 'network')) throw badAnswer('中継された応答の宛先が情報提供ネットワークシステムではありません。');
  if (!r.envelope.enc || r.envelope.enc.to !== deps.node.name || !r.body || typeof r.body !== 'object') throw badAnswer('提供された情報がこの機関あてに暗号化されていません。');
  const b = r.body as Record<string, unknown>;
  if (b['exchangeId'] !== exchangeId || b['item'] !== KOSEKI_ITEM) throw badAnswer('中継された応答が照会と対応していません。');
  return b;
}

// ---- 符号 ------------------------------------------------------------------------------------------------------

type Who = { readonly myNumber: string } | { readonly pseudonymId: string };

/**
 * The registry's 符号 for a person (per 資格管理者, by the My Number's blind index): kept from an earlier
 * check, or obtained now — 住基ネット gives the 住民票コード for the My Number (unless the caller has it from its
 * 住基 check), the network issues the 符号 for it.  undefined: 住基ネット does not know the person.
 */
export async function kosekiCodeOf(deps: KosekiCheckDeps, tenant: string, who: Who, juminhyoCode?: string): Promise<string | undefined> {
  const found = await withTenant(deps.db, tenant, async (tx) => {
    if ('myNumber' in who) {
      const myNumber = RegistrySecrets.check(who.myNumber);
      return { index: deps.secrets.blindIndex(tenant, myNumber), myNumber, code: undefined as string | undefined };
    }
    const r = await sql<{ blind_index: Buffer; ciphertext: Buffer; key_version: number; qualification_code: string; registration_no: string; code: string | null }>`
      SELECT m.blind_index, m.ciphertext, m.key_version, m.qualification_code, m.registration_no, c.code
      FROM registry.entries e JOIN registry.entry_mynumbers m USING (tenant_code, qualification_code, registration_no)
      LEFT JOIN registry.network_codes c ON c.tenant_code = m.tenant_code AND c.blind_index = m.blind_index
      WHERE e.pseudonym_id = ${who.pseudonymId} ORDER BY m.registration_no LIMIT 1`.execute(tx);
    const row = r.rows[0];
    if (!row) throw notFound('登録');
    if (row.code) return { index: row.blind_index, myNumber: undefined, code: row.code };
    const myNumber = deps.secrets.openMyNumber({ tenant, qualification: row.qualification_code, number: Number(row.registration_no) }, row.ciphertext, row.key_version);
    return { index: row.blind_index, myNumber, code: undefined };
  });
  if (found.code) return found.code;
  const kept = await withTenant(deps.db, tenant, (tx) => sql<{ code: string }>`SELECT code FROM registry.network_codes WHERE blind_index = ${found.index}`.execute(tx));
  if (kept.rows[0]) return kept.rows[0].code;
  let jc = juminhyoCode;
  if (!jc) {
    const a = await deps.node.call(deps.jlis ?? 'jlis', 'identity.query', { by: 'myNumber', myNumber: found.myNumber, purpose: '国家資格の登録事務（戸籍関係情報の照会に用いる符号の取得）' }, { personal: true });
    const matches = (a.body as { matches?: unknown } | undefined)?.matches;
    const first = Array.isArray(matches) ? (matches[0] as { juminhyoCode?: unknown } | undefined) : undefined;
    if (!first) return undefined;
    if (typeof first.juminhyoCode !== 'string' || !/^\d{11}$/.test(first.juminhyoCode)) throw new Problem(502, 'JLIS_BAD_ANSWER', '住基ネットの応答が正しくありません', '住民票コードを受け取れませんでした。');
    jc = first.juminhyoCode;
  }
  const issued = await deps.node.call(deps.network ?? 'network', 'code.issue', { juminhyoCode: jc }, { personal: true });
  const code = (issued.body as { code?: unknown } | undefined)?.code;
  if (typeof code !== 'string' || !/^[A-Za-z0-9_-]{16,100}$/.test(code)) throw new Problem(502, 'NETWORK_BAD_ANSWER', '情報提供ネットワークシステムの応答が正しくありません', '符号の形式が正しくありません。');
  await withTenant(deps.db, tenant, (tx) =>
    sql`INSERT INTO registry.network_codes (tenant_code, blind_index, code, acquired_at) VALUES (${tenant}, ${found.index}, ${code}, ${deps.clock.now()}) ON CONFLICT DO NOTHING`.execute(tx));
  return code;
}

// ---- the check on an application ----------------------------------------------------------------------------

const checkInput = z
  .object({
    tenant: z.string({ message: '資格管理者を指定してください' }).regex(/^[a-z0-9-]{2,40}$/, '資格管理者のコードが正しくありません'),
    qualification: z.string({ message: '資格を指定してください' }).regex(/^[a-z0-9-]{2,40}$/, '資格コードが正しくありません'),
    myNumber: z.string().optional(),
    pseudonymId: z.string().regex(/^Q[0-9A-F]{20}$/, '資格仮名IDの形式が正しくありません').optional(),
    /** The 住民票コード from the caller's own 住基 check (saves one query). */
    juminhyoCode: z.string().regex(/^\d{11}$/, '住民票コードは11桁の数字です').optional(),
    form: z.unknown(),
    /** The application (or entry) the check is for, kept in the registry's record. */
    ref: z.string().max(80).optional(),
    /**
     * What the 戸籍 must show when it is not the form's own 氏名・本籍 (a 籍訂正・書換え: the new 氏名 and the new or
     * registered 本籍 都道府県コード; null 本籍 for a person without 戸籍).
     */
    expect: z.object({ 氏名: z.object({ 姓: z.string().min(1).max(30), 名: z.string().min(1).max(30) }).strict(), 本籍: z.string().regex(/^\d{2}$/).nullable() }).strict().optional(),
    by: z.string({ message: '照会した職員を指定してください' }).min(1).max(64),
  })
  .strict()
  .refine((x) => (x.myNumber === undefined) !== (x.pseudonymId === undefined), { message: '個人番号か資格仮名IDのどちらか一つを指定してください', path: ['myNumber'] });

const clean = (s: string) => s.replace(/[\s　]/g, '');
const sameName = (a: KosekiName, b: { 氏: string; 名: string }) => clean(a.姓) === clean(b.氏) && clean(a.名) === clean(b.名);

/** Every 氏名 of the 戸籍, oldest first, from the 異動 that gave it. */
export function nameHistoryOf(info: Pick<KosekiInfo, '異動'>): KosekiNameHistory[] {
  const out: KosekiNameHistory[] = [];
  for (const c of info.異動) {
    const last = out[out.length - 1];
    if (last && clean(last.姓) === clean(c.氏名.氏) && clean(last.名) === clean(c.氏名.名)) continue;
    if (last) out[out.length - 1] = { ...last, until: c.戸籍異動日 };
    out.push({ 姓: c.氏名.氏, 名: c.氏名.名, from: c.戸籍異動日, until: null, reason: c.戸籍異動事由 });
  }
  return out;
}

async function recordInquiry(deps: KosekiCheckDeps, tx: Tx | Db, r: { tenant: string; qualification: string | null; purpose: 'application' | 'periodic'; ref: string | null; exchangeId: string | null; legalBasis: string | null; outcome: string; detail: Record<string, unknown>; by: string }): Promise<void> {
  await sql`INSERT INTO registry.koseki_inquiries (id, tenant_code, qualification_code, purpose, ref, exchange_id, legal_basis, outcome, detail, by_user, at)
    VALUES (${randomUUID()}, ${r.tenant}, ${r.qualification}, ${r.purpose}, ${r.ref}, ${r.exchangeId}, ${r.legalBasis}, ${r.outcome}, ${JSON.stringify(r.detail)}::jsonb, ${r.by}, ${deps.clock.now()})`.execute(tx);
}

/**
 * The 戸籍 check of an application (QUA-17): asks 法務省 for the applicant's 戸籍関係情報 through the network and
 * compares its current 本籍 (都道府県) and 氏名 with the form.  No 戸籍関係情報 → `needsExtract`.  A refused or
 * failed inquiry is recorded and thrown (the network's Problem).
 */
export async function checkKoseki(deps: KosekiCheckDeps, raw: unknown): Promise<KosekiCheck> {
  const input = parseInput(checkInput, raw);
  const q = catalog().qualification(input.qualification);
  if (!q || q.administrator !== input.tenant) throw notFound('資格');
  const form = parseApplication(q.code, input.form);
  const formName = input.expect?.氏名 ?? (form['氏名'] as KosekiName);
  const honsekiForm = input.expect ? input.expect.本籍 : ((form['本籍'] as { 都道府県コード?: string } | undefined)?.都道府県コード ?? null);
  const base = { tenant: input.tenant, qualification: q.code, purpose: 'application' as const, ref: input.ref ?? null, by: input.by };
  const result = (r: Omit<KosekiCheck, 'name' | 'honseki'> & { honseki?: KosekiCheck['honseki']; kosekiName?: KosekiName | null; nameMatches?: boolean | null }): KosekiCheck => ({
    outcome: r.outcome, needsExtract: r.needsExtract, message: r.message, exchangeId: r.exchangeId, legalBasis: r.legalBasis,
    honseki: r.honseki ?? { form: honsekiForm, koseki: null, kosekiText: null, matches: null },
    name: { form: { 姓: formName.姓, 名: formName.名 }, koseki: r.kosekiName ?? null, matches: r.nameMatches ?? null },
    nameHistory: r.nameHistory, deceased: r.deceased,
  });
  const finish = async (c: KosekiCheck): Promise<KosekiCheck> => {
    await withTenant(deps.db, input.tenant, (tx) => recordInquiry(deps, tx, { ...base, exchangeId: c.exchangeId, legalBasis: c.legalBasis, outcome: c.outcome, detail: { needsExtract: c.needsExtract, deceased: c.deceased !== null } }));
    return c;
  };
  if (honsekiForm === null) {
    return finish(result({ outcome: 'not-applicable', needsExtract: false, message: '日本の国籍を有しない方のため、戸籍の確認は行いません（国籍を証する書類で確認してください）。', exchangeId: null, legalBasis: null, nameHistory: [], deceased: null }));
  }
  const who: Who = input.myNumber !== undefined ? { myNumber: input.myNumber } : { pseudonymId: input.pseudonymId! };
  const code = await kosekiCodeOf(deps, input.tenant, who, input.juminhyoCode);
  const extract = (message: string, exchangeId: string | null, legalBasis: string | null) =>
    finish(result({ outcome: 'unidentified', needsExtract: true, message, exchangeId, legalBasis, nameHistory: [], deceased: null }));
  if (!code) return extract('住基ネットで本人を確認できないため、戸籍関係情報を照会できません。申請者に戸籍謄本または抄本の提出を求めてください。', null, null);
  let answer: Incoming;
  try {
    answer = await deps.node.call(deps.network ?? 'network', 'inquiry', { inquiryId: randomUUID(), code, jimu: KOSEKI_JIMU, item: KOSEKI_ITEM, provider: KOSEKI_PROVIDER }, { personal: true });
  } catch (e) {
    const p = e instanceof Problem ? e : undefined;
    await withTenant(deps.db, input.tenant, (tx) => recordInquiry(deps, tx, { ...base, exchangeId: null, legalBasis: null, outcome: p && p.status < 500 ? 'refused' : 'failed', detail: { code: p?.code ?? 'ERROR' } }));
    throw e;
  }
  const a = (answer.body ?? {}) as Record<string, unknown>;
  const exchangeId = typeof a['exchangeId'] === 'string' ? a['exchangeId'] : null;
  const legalBasis = typeof a['legalBasis'] === 'string' ? a['legalBasis'] : null;
  if (!exchangeId) throw badAnswer('応答に情報連携IDがありません。');
  if (a['status'] === 'none') {
    return extract('戸籍関係情報が紐付いていないため、本籍を特定できません。申請者に戸籍謄本または抄本の提出を求めてください。', exchangeId, legalBasis);
  }
  if (a['status'] !== 'provided') throw badAnswer(`応答の状態（${String(a['status']).slice(0, 20)}）が正しくありません。`);
  const body = await relayedBody(deps, answer, exchangeId);
  const records = Array.isArray(body['records']) ? body['records'] : [];
  const parsed = infoSchema.safeParse(records[0]);
  if (!parsed.success) throw badAnswer('戸籍関係情報の形式が正しくありません。');
  const info = parsed.data;
  const honsekiMatches = info.本籍コード === honsekiForm;
  const nameMatches = sameName(formName, info.氏名);
  const deceased = info.死亡日 ? { on: info.死亡日, uncertain: info['死亡日の不詳・推定区分'] } : null;
  const outcome: KosekiOutcome = honsekiMatches && nameMatches ? 'matches' : 'differs';
  const diffs = [...(honsekiMatches ? [] : ['本籍']), ...(nameMatches ? [] : ['氏名'])];
  const message = [
    outcome === 'matches' ? '申請書の本籍・氏名は戸籍と一致します。' : `申請書の${diffs.join('・')}が戸籍と異なります。申請者に確認してください。`,
    ...(deceased ? [`戸籍に死亡の記載があります（死亡日 ${deceased.on}）。`] : []),
  ].join('');
  return finish(result({
    outcome, needsExtract: false, message, exchangeId, legalBasis, nameHistory: nameHistoryOf(info), deceased,
    honseki: { form: honsekiForm, koseki: info.本籍コード, kosekiText: info.本籍, matches: honsekiMatches },
    kosekiName: { 姓: info.氏名.氏, 名: info.氏名.名 }, nameMatches,
  }));
}

// ---- the periodic check ---------------------------------------------------------------------------------------

const changesInput = z
  .object({
    tenant: z.string().regex(/^[a-z0-9-]{2,40}$/, '資格管理者のコードが正しくありません'),
    since: z.string({ message: '照会対象期間の開始日を指定してください' }).refine((s) => isIsoDate(s), { message: '照会対象期間の開始日は YYYY-MM-DD です' }),
    by: z.string().min(1).max(64).default('periodic-check'),
  })
  .strict();

interface EntryRow {
  qualification_code: string;
  registration_no: string;
  pseudonym_id: string;
  items: Record<string, unknown>;
  names: { kind: string; 姓: string | null; 名: string | null; until: string | null }[];
  code: string | null;
}

/**
 * The periodic 戸籍 check of one 資格管理者 (QUA-17, QUA-16): every registrant not erased is asked by the
 * registry's 符号 (obtained now for those who have none), in messages of at most KOSEKI_BATCH persons, for
 * the 異動 recorded from `since` on; each change of 氏名 or 本籍 and each death becomes a proposal for
 * examination.  Nothing in the register is changed here.
 */
export async function kosekiChanges(deps: KosekiCheckDeps, raw: unknown): Promise<KosekiChangesReport> {
  const input = parseInput(changesInput, raw);
  if (!catalog().administrators.some((a) => a.code === input.tenant)) throw invalidField('tenant', 'TENANT_UNKNOWN', '資格管理者がありません');
  const rows = await withTenant(deps.db, input.tenant, (tx) =>
    sql<EntryRow>`
      SELECT e.qualification_code, e.registration_no, e.pseudonym_id, e.items, e.names, c.code
      FROM registry.entries e LEFT JOIN registry.entry_mynumbers m USING (tenant_code, qualification_code, registration_no)
      LEFT JOIN registry.network_codes c ON c.tenant_code = m.tenant_code AND c.blind_index = m.blind_index
      WHERE e.erased_on IS NULL ORDER BY e.qualification_code, e.registration_no`.execute(tx)).then((r) => r.rows);
  let unresolved = 0;
  const byCode = new Map<string, EntryRow[]>();
  const withoutCode = new Map<string, EntryRow[]>();
  for (const r of rows) {
    const to = r.code ? byCode : withoutCode;
    const key = r.code ?? r.pseudonym_id;
    to.set(key, [...(to.get(key) ?? []), r]);
  }
  for (const [pseudonymId, entries] of withoutCode) {
    let code: string | undefined;
    try {
      code = await kosekiCodeOf(deps, input.tenant, { pseudonymId });
    } catch (e) {
      // 住基ネット or the network could not give a 符号 now: this registrant is unresolved, the others are asked.
      if (!(e instanceof Problem)) throw e;
      code = undefined;
    }
    if (!code) unresolved += entries.length;
    else byCode.set(code, [...(byCode.get(code) ?? []), ...entries]);
  }
  const codes = [...byCode.keys()];
  const proposals: KosekiProposal[] = [];
  let changed = 0;
  let deaths = 0;
  for (let i = 0; i < codes.length; i += KOSEKI_BATCH) {
    const batch = codes.slice(i, i + KOSEKI_BATCH);
    const answer = await deps.node.call(deps.network ?? 'network', 'inquiry.batch', { inquiryId: randomUUID().slice(0, 36), codes: batch, jimu: KOSEKI_JIMU, item: KOSEKI_ITEM, provider: KOSEKI_PROVIDER, since: input.since }, { personal: true });
    const a = (answer.body ?? {}) as { exchangeId?: unknown; legalBasis?: unknown; results?: unknown };
    if (typeof a.exchangeId !== 'string' || !Array.isArray(a.results)) throw badAnswer('応答に情報連携IDまたは結果がありません。');
    const results = a.results as { code: string; exchangeId: string; status: string }[];
    const provided = results.some((r) => r.status === 'provided') ? await relayedBody(deps, answer, a.exchangeId) : undefined;
    const byExchange = new Map<string, { changed?: unknown; record?: unknown }>();
    for (const x of Array.isArray(provided?.['results']) ? (provided['results'] as { exchangeId: string; changed?: unknown; record?: unknown }[]) : []) byExchange.set(x.exchangeId, x);
    const notes: { code: string; exchangeId: string; outcome: string }[] = [];
    for (const r of results) {
      const entries = byCode.get(r.code);
      if (!entries) throw badAnswer('照会していない符号の結果が含まれています。');
      if (r.status !== 'provided') {
        unresolved += entries.length;
        notes.push({ code: r.code, exchangeId: r.exchangeId, outcome: r.status === 'none' ? 'none' : 'refused' });
        continue;
      }
      const got = byExchange.get(r.exchangeId);
      if (!got) throw badAnswer('提供された情報に照会した方の結果がありません。');
      if (!got.changed) {
        notes.push({ code: r.code, exchangeId: r.exchangeId, outcome: 'unchanged' });
        continue;
      }
      const parsed = infoSchema.safeParse(got.record);
      if (!parsed.success) throw badAnswer('戸籍関係情報の形式が正しくありません。');
      const found = proposalsOf(parsed.data, entries, r.exchangeId);
      if (found.length) changed++;
      if (found.some((p) => p.kind === 'death')) deaths++;
      proposals.push(...found);
      notes.push({ code: r.code, exchangeId: r.exchangeId, outcome: found.length ? 'changed' : 'unchanged' });
    }
    const legalBasis = typeof a.legalBasis === 'string' ? a.legalBasis : null;
    await withTenant(deps.db, input.tenant, async (tx) => {
      for (const n of notes) {
        const e = byCode.get(n.code)!;
        await recordInquiry(deps, tx, { tenant: input.tenant, qualification: null, purpose: 'periodic', ref: e.map((x) => x.pseudonym_id)[0]!, exchangeId: n.exchangeId, legalBasis, outcome: n.outcome, detail: { since: input.since }, by: input.by });
      }
    });
  }
  return { checked: rows.length, changed, deaths, unresolved, proposals };
}

const honsekiOf = (items: Record<string, unknown>): string | null => {
  const v = items['本籍地コード'] ?? items['本籍コード'];
  return typeof v === 'string' ? v : null;
};

/** What the register should consider after a change in the 戸籍 (one person, every entry of theirs). */
function proposalsOf(info: KosekiInfo, entries: readonly EntryRow[], exchangeId: string): KosekiProposal[] {
  const out: KosekiProposal[] = [];
  const last = info.異動[info.異動.length - 1];
  for (const e of entries) {
    const entry = { qualification: e.qualification_code, number: Number(e.registration_no) };
    const base = { source: 'koseki' as const, pseudonymId: e.pseudonym_id, entry, exchangeId };
    if (info.死亡日) out.push({ ...base, kind: 'death', occurredOn: info.死亡日, detail: { 死亡日: info.死亡日, 死亡日の不詳・推定区分: info['死亡日の不詳・推定区分'] } });
    const current = e.names.find((n) => n.kind === '氏名' && n.until === null);
    if (current && current.姓 !== null && current.名 !== null && !sameName({ 姓: current.姓, 名: current.名 }, info.氏名)) {
      const at = [...info.異動].reverse().find((c) => sameName({ 姓: c.氏名.氏, 名: c.氏名.名 }, info.氏名)) ?? last;
      out.push({ ...base, kind: 'name', occurredOn: at?.戸籍異動日 ?? info.情報提供起点日, detail: { from: { 姓: current.姓, 名: current.名 }, to: { 姓: info.氏名.氏, 名: info.氏名.名 }, 事由: at?.戸籍異動事由 ?? null } });
    }
    const h = honsekiOf(e.items);
    if (h !== null && !h.startsWith('国籍') && h !== info.本籍コード) {
      const at = [...info.異動].reverse().find((c) => c.本籍コード === info.本籍コード) ?? last;
      out.push({ ...base, kind: 'honseki', occurredOn: at?.戸籍異動日 ?? info.情報提供起点日, detail: { from: h, to: info.本籍コード, 本籍: info.本籍, 事由: at?.戸籍異動事由 ?? null } });
    }
  }
  return out;
}
