// 住基ネット checks of the register (issue 15 Must have 4 and 6; QUA-15, QUA-16, QUA-18, XCH-23/25; decisions
// 0180–0183).  The registry asks the 住基ネット 全国サーバ (node `jlis`) over the message layer as node `registry`:
//
//   checkJuki   on application (QUA-18, in place of the 住民票の写し): identity.query by the applicant's My
//               Number (sent, never received back); the 4情報 compared with the form, alive or 消除, or not
//               found — a result the examiner reads.  The 住民票コード answered is kept apart (juki_checks),
//               and linked to the registrant when the application is registered (trigger on entries).
//   runChecks   periodically (QUA-15, QUA-16): identity.changes for every registrant with a 住民票コード and an
//               entry in force, in messages of ≤ 10,000 codes; each chunk compared with the register and its
//               proposals written in one transaction with the run's cursor, so a failed run resumes after the
//               last chunk written and a repeated period adds nothing.
//   proposals   listed per tenant (totals, paging) and closed by staff: accepted → changeEntry / eraseEntry of
//               the register with the staff member as `by`; rejected with a reason.
//
// Legal basis: 住民基本台帳法 第30条の9 and 別表第一 (本人確認情報の提供: 医師法等による免許に関する事務 — the
// exact 項 of each qualification's law is 要確認, decision 0180).  The 住民票コード never leaves this module:
// no view, answer, log or screen of the registry shows it.
import { sql } from 'kysely';
import { z } from 'zod';
import type { Clock } from '../kernel/clock/index.js';
import { addDays, addressKey, isIsoDate, nameKey } from '../kernel/jp/index.js';
import { arrayLiteral } from '../kernel/db/index.js';
import { Problem, conflict, invalidField, notFound, parseInput } from '../kernel/problems/index.js';
import { catalog, type QualificationEntry } from './catalog.js';
import { changeEntry, eraseEntry, honsekiItemOf, personItemOf, type Items, type NameRecord, type RegisterDeps } from './register.js';
import { noticeOfChangeNeededRows } from './notices.js';
import { RegistrySecrets } from './secrets.js';
import { logAccess, visibleQualifications, type StaffSession } from './staff.js';
import { withTenant, type Db, type Tx } from './store.js';

/** The 住基ネット node and what the registry may ask it for (住基法 別表第一; 項 要確認, decision 0180). */
export const JUKI_NODE = 'jlis';
export const JUKI_PURPOSE = '医師法等による免許に関する事務（住民基本台帳法別表第一）';
/** At most this many 住民票コード per identity.changes message (the 全国サーバ's limit, decision 0176). */
export const JUKI_CHUNK = 10_000;
/** Messages in flight at once during a periodic run (a window: its answers are written in one transaction). */
export const JUKI_PARALLEL = 4;
/** The first periodic run of a tenant looks back this many days (the later ones start where the last ended). */
export const FIRST_RUN_DAYS = 30;

/** What the registry needs of its message-layer end (ExchangeNode.call). */
export interface JukiNode {
  call(to: string, service: string, body: unknown, opts?: { personal?: boolean; timeoutMs?: number }): Promise<{ body: unknown }>;
}

export interface JukiDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly node: JukiNode;
  /** When given, a check of a person already registered with this 資格管理者 links the code at once. */
  readonly secrets?: RegistrySecrets;
}

// ---- the 住基ネット's answers, validated (zod at the boundary) -------------------------------------------------

const status = z.enum(['resident', 'moved-out', 'deceased']);
const identity = z.object({
  juminhyoCode: z.string().regex(/^[0-9]{11}$/),
  name: z.string(),
  nameKana: z.string(),
  birthDate: z.string(),
  sex: z.enum(['male', 'female']),
  address: z.string(),
  status,
  lastMovement: z.string().nullable(),
  lastMovementDate: z.string().nullable(),
});
type Identity = z.output<typeof identity>;
const queryAnswer = z.object({ matches: z.array(identity.passthrough()) });
const changesAnswer = z.object({
  asked: z.number().int(),
  changed: z.array(identity.extend({ changed: z.array(z.string()), changedAt: z.string() })),
  unknown: z.array(z.string()),
});

function badAnswer(): Problem {
  return new Problem(502, 'JUKI_BAD_ANSWER', '住基ネットの応答を読めません', '住基ネット（全国サーバ）の応答の形式が正しくありません。時間をおいて再度実行してください。');
}

function unavailable(e: unknown, resumable: boolean): Problem {
  const p = e instanceof Problem ? e : undefined;
  return new Problem(502, 'JUKI_UNAVAILABLE', '住基ネットに照会できません', `住基ネット（全国サーバ）への照会に失敗しました${p ? `（${p.title}）` : ''}。${resumable ? '確認は途中まで記録しました。再度実行すると続きから確認します。' : '時間をおいて再度確認してください。'}`);
}

// ---- on application (QUA-18) -----------------------------------------------------------------------------

export const JUKI_OUTCOME_LABELS = {
  match: '住民票の記載と一致',
  mismatch: '住民票の記載と相違あり',
  deceased: '死亡により消除',
  removed: '転出等により消除',
  'not-found': '住基ネットに該当なし',
} as const;
export type JukiOutcome = keyof typeof JUKI_OUTCOME_LABELS;

export interface JukiItem {
  readonly item: '氏名' | '生年月日' | '性別' | '住所';
  /** As written in the application. */
  readonly form: string | null;
  /** As 住基ネット holds it (null when not found). */
  readonly juki: string | null;
  readonly same: boolean;
}

/** The examiner's result of a 住基 check: never the My Number, never the 住民票コード. */
export interface JukiCheck {
  readonly outcome: JukiOutcome;
  readonly label: string;
  readonly items: readonly JukiItem[];
  /** The items that differ, by name (empty for a match). */
  readonly differs: readonly string[];
  readonly alive: boolean | null;
  readonly lastMovement: { readonly code: string | null; readonly date: string | null } | null;
  readonly checkedAt: string;
}

const SEX = { '1': 'male', '2': 'female' } as const;
const SEX_LABEL = { male: '男', female: '女' } as const;

const formSchema = z.object({
  氏名: z.object({ 姓: z.string().trim().min(1).max(30), 名: z.string().trim().min(1).max(30) }),
  生年月日: z.string().refine(isIsoDate, { message: 'YYYY-MM-DD 形式の実在する日付です' }),
  性別: z.enum(['1', '2'], { message: '性別コード（1: 男、2: 女）です' }),
  住所: z.object({ 住所: z.string().trim().min(1).max(200) }).partial().optional(),
});

const appId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, { message: '申請ID（半角英数字）を指定してください' });
const by = z.string().trim().min(1, { message: '入力してください' }).max(60);

const checkInput = z
  .object({
    tenant: z.string().min(1).max(40),
    qualification: z.string().min(1).max(40),
    applicationId: appId.optional(),
    myNumber: z.string({ message: '個人番号を指定してください' }),
    form: z.unknown(),
    by: by.default('examination'),
  })
  .strict();

function qualificationOf(tenant: string, code: string, field = 'qualification'): QualificationEntry {
  const q = catalog().qualification(code);
  if (!q || q.administrator !== tenant) throw invalidField(field, 'QUALIFICATION_UNKNOWN', `資格コード「${code.slice(0, 40)}」はこの資格管理者の所掌ではありません`);
  return q;
}

function tenantOf(code: unknown): string {
  const t = String(code ?? '');
  if (!catalog().administrator(t)) throw invalidField('tenant', 'ADMINISTRATOR_UNKNOWN', `資格管理者「${t.slice(0, 40)}」はありません`);
  return t;
}

const fullName = (姓: string | null | undefined, 名: string | null | undefined): string => [姓, 名].filter((x) => x).join('　');

/** The 4情報 of the form compared with 住基's (the 全国サーバ's own keys: width, spacing and kana script ignored). */
function compare(form: z.output<typeof formSchema>, m: Identity | undefined): JukiItem[] {
  const formName = fullName(form.氏名.姓, form.氏名.名);
  const formAddress = form.住所?.住所 ?? null;
  const sex = SEX[form.性別];
  return [
    { item: '氏名', form: formName, juki: m?.name ?? null, same: !!m && nameKey(formName) === nameKey(m.name) },
    { item: '生年月日', form: form.生年月日, juki: m?.birthDate ?? null, same: !!m && form.生年月日 === m.birthDate },
    { item: '性別', form: SEX_LABEL[sex], juki: m ? SEX_LABEL[m.sex] : null, same: !!m && sex === m.sex },
    { item: '住所', form: formAddress, juki: m?.address ?? null, same: !!m && formAddress !== null && addressKey(formAddress) === addressKey(m.address) },
  ];
}

/**
 * The 住基 check of an application: asks 住基ネット by the applicant's My Number (the registry sends it; the
 * answer to the registry never carries one) and compares the 4情報 with the form.  With an applicationId the
 * result and the 住民票コード are kept (the code apart, never shown) and the registrant is linked to the code
 * when that application is registered; a person already registered with this 資格管理者 is linked at once.
 */
export async function checkJuki(deps: JukiDeps, raw: unknown): Promise<JukiCheck> {
  const input = parseInput(checkInput, raw);
  const tenant = tenantOf(input.tenant);
  const q = qualificationOf(tenant, input.qualification);
  const form = parseInput(formSchema, input.form, 'form');
  const myNumber = RegistrySecrets.check(input.myNumber);
  let answer;
  try {
    answer = await deps.node.call(JUKI_NODE, 'identity.query', { by: 'myNumber', myNumber, purpose: JUKI_PURPOSE, caller: tenant }, { personal: true });
  } catch (e) {
    throw unavailable(e, false);
  }
  const parsed = queryAnswer.safeParse(answer.body);
  if (!parsed.success) throw badAnswer();
  // A My Number is one person's: two matches would be the 全国サーバ's error, reported as not found.
  const m = parsed.data.matches.length === 1 ? parsed.data.matches[0] : undefined;
  const items = compare(form, m);
  const differs = items.filter((i) => !i.same).map((i) => i.item);
  const outcome: JukiOutcome = !m ? 'not-found' : m.status === 'deceased' ? 'deceased' : m.status === 'moved-out' ? 'removed' : differs.length ? 'mismatch' : 'match';
  const result: JukiCheck = {
    outcome, label: JUKI_OUTCOME_LABELS[outcome], items, differs: m ? differs : [], alive: m ? m.status !== 'deceased' : null,
    lastMovement: m ? { code: m.lastMovement, date: m.lastMovementDate } : null, checkedAt: deps.clock.now().toISOString(),
  };
  if (input.applicationId || (deps.secrets && m)) {
    await withTenant(deps.db, tenant, async (tx) => {
      if (input.applicationId) {
        await sql`INSERT INTO registry.juki_checks (tenant_code, qualification_code, application_id, outcome, result, juminhyo_code, checked_by, checked_at)
          VALUES (${tenant}, ${q.code}, ${input.applicationId}, ${outcome}, ${JSON.stringify(result)}::jsonb, ${m?.juminhyoCode ?? null}, ${input.by}, ${deps.clock.now()})
          ON CONFLICT (tenant_code, qualification_code, application_id) DO UPDATE SET outcome = excluded.outcome, result = excluded.result, juminhyo_code = excluded.juminhyo_code,
            checked_by = excluded.checked_by, checked_at = excluded.checked_at`.execute(tx);
      }
      if (deps.secrets && m) {
        const index = deps.secrets.blindIndex(tenant, myNumber);
        const known = await sql<{ pseudonym_id: string }>`SELECT DISTINCT e.pseudonym_id FROM registry.entry_mynumbers n JOIN registry.entries e USING (tenant_code, qualification_code, registration_no)
          WHERE n.blind_index = ${index}`.execute(tx);
        for (const r of known.rows) await rememberJuminhyoCode(tx, { tenant, pseudonymId: r.pseudonym_id, juminhyoCode: m.juminhyoCode, at: deps.clock.now() });
      }
    });
  }
  return result;
}

/** The last 住基 check of an application (for the examiner's screen), or undefined. */
export async function jukiCheckOf(db: Db, input: { tenant: string; qualification: string; applicationId: string }): Promise<JukiCheck | undefined> {
  const r = await withTenant(db, input.tenant, (tx) =>
    sql<{ result: JukiCheck }>`SELECT result FROM registry.juki_checks WHERE qualification_code = ${input.qualification} AND application_id = ${input.applicationId}`.execute(tx));
  return r.rows[0]?.result;
}

/**
 * Links a registrant (資格仮名ID) to a 住民票コード for the periodic checks — for a registration made outside
 * checkJuki's application flow (an initial migration, a 籍訂正 re-check).  Runs in the caller's transaction,
 * under the caller's tenant.
 */
export async function rememberJuminhyoCode(tx: Tx, input: { tenant: string; pseudonymId: string; juminhyoCode: string; at?: Date }): Promise<void> {
  if (!/^[0-9]{11}$/.test(input.juminhyoCode)) throw invalidField('juminhyoCode', 'INVALID_JUMINHYO_CODE', '住民票コードは11桁の数字です');
  await sql`INSERT INTO registry.registrant_juki (tenant_code, pseudonym_id, juminhyo_code, linked_at) VALUES (${input.tenant}, ${input.pseudonymId}, ${input.juminhyoCode}, ${input.at ?? new Date()})
    ON CONFLICT (tenant_code, pseudonym_id) DO UPDATE SET juminhyo_code = excluded.juminhyo_code, linked_at = excluded.linked_at`.execute(tx);
}

// ---- periodic checks (QUA-15, QUA-16) --------------------------------------------------------------------------

export const PROPOSAL_KIND_LABELS = {
  name: '氏名の変更', address: '住所の変更', 'birth-date': '生年月日の相違', sex: '性別の相違', death: '死亡（抹消の手続）', unknown: '住基ネットで確認できない', honseki: '本籍の変更', other: 'その他',
} as const;
export type ProposalKind = keyof typeof PROPOSAL_KIND_LABELS;
export const PROPOSAL_SOURCE_LABELS = { juki: '住基ネット', koseki: '戸籍' } as const;
export const PROPOSAL_STATUS_LABELS = { open: '未処理', accepted: '反映済み', rejected: '反映しない' } as const;

export interface CheckRun {
  readonly tenant: string;
  /** Null when there was nothing to do (the period already checked). */
  readonly runNo: number | null;
  readonly period: { readonly from: string; readonly until: string } | null;
  readonly resumed: boolean;
  readonly checked: number;
  readonly changed: number;
  readonly deaths: number;
  readonly unresolved: number;
  /** Proposals this run added (a repeated period adds none). */
  readonly proposals: number;
}

const runInput = z
  .object({
    tenant: z.string().min(1).max(40),
    from: z.string().refine(isIsoDate, { message: 'YYYY-MM-DD 形式の実在する日付です' }).optional(),
    until: z.string().refine(isIsoDate, { message: 'YYYY-MM-DD 形式の実在する日付です' }).optional(),
    firstRunDays: z.number().int().min(1).max(3660).optional(),
    chunkSize: z.number().int().min(1).max(JUKI_CHUNK).optional(),
    parallel: z.number().int().min(1).max(8).optional(),
  })
  .strict()
  .refine((r) => (r.from === undefined) === (r.until === undefined), { path: ['until'], message: '照会対象期間は開始日（from）と終了日（until）の両方を指定してください' })
  .refine((r) => !r.from || !r.until || r.from <= r.until, { path: ['until'], message: '照会対象期間の終了日が開始日より前です' });

interface RunRow {
  run_no: string;
  period_from: string;
  period_until: string;
  cursor: string | null;
}

interface Proposal {
  qualification: string;
  number: number;
  kind: ProposalKind;
  valueKey: string;
  current: Record<string, unknown>;
  proposed: Record<string, unknown>;
}

interface EntryOfCode {
  juminhyo_code: string;
  qualification_code: string;
  registration_no: string;
  items: Items;
  names: NameRecord[];
  deceased: boolean;
}

const SEX_CODE = { male: '1', female: '2' } as const;

/** What the register should learn of one changed person, entry by entry (only what differs from the register). */
function proposalsFor(c: Identity, entries: readonly EntryOfCode[]): Proposal[] {
  const out: Proposal[] = [];
  for (const e of entries) {
    const q = catalog().qualification(e.qualification_code)!;
    const base = { qualification: q.code, number: Number(e.registration_no) };
    if (c.status === 'deceased') {
      if (!e.deceased) out.push({ ...base, kind: 'death', valueKey: 'deceased', current: {}, proposed: { 死亡日: c.lastMovementDate, 異動事由コード: c.lastMovement } });
      continue;
    }
    if (c.status !== 'resident') continue; // 転出: the 転入 that follows says the new address
    const own = e.names.find((n) => n.kind === '氏名' && n.until === null);
    const registered = fullName(own?.姓, own?.名);
    if (nameKey(registered) !== nameKey(c.name)) {
      out.push({ ...base, kind: 'name', valueKey: nameKey(c.name), current: { 氏名: registered, フリガナ: own?.フリガナ ? fullName(own.フリガナ.姓, own.フリガナ.名) : null }, proposed: { 氏名: c.name, フリガナ: c.nameKana || null } });
    }
    const addr = personItemOf(q, '住所');
    const cur = addr ? e.items[addr] : undefined;
    if (addr && (typeof cur !== 'string' || addressKey(cur) !== addressKey(c.address))) {
      out.push({ ...base, kind: 'address', valueKey: addressKey(c.address), current: { 住所: cur ?? null }, proposed: { 住所: c.address, 異動事由コード: c.lastMovement, 異動日: c.lastMovementDate } });
    }
    const birth = personItemOf(q, '生年月日');
    if (birth && e.items[birth] !== c.birthDate) out.push({ ...base, kind: 'birth-date', valueKey: c.birthDate, current: { 生年月日: e.items[birth] ?? null }, proposed: { 生年月日: c.birthDate } });
    const sex = personItemOf(q, '性別');
    if (sex && e.items[sex] !== SEX_CODE[c.sex]) out.push({ ...base, kind: 'sex', valueKey: c.sex, current: { 性別: e.items[sex] ?? null }, proposed: { 性別: SEX_CODE[c.sex], 表示: SEX_LABEL[c.sex] } });
  }
  return out;
}

/** The run to continue or to start (null: the period is already checked). */
async function openRun(deps: JukiDeps, tenant: string, input: z.output<typeof runInput>): Promise<{ row: RunRow; resumed: boolean } | null> {
  return withTenant(deps.db, tenant, async (tx) => {
    const running = (await sql<RunRow>`SELECT run_no, to_char(period_from, 'YYYY-MM-DD') AS period_from, to_char(period_until, 'YYYY-MM-DD') AS period_until, cursor
      FROM registry.check_runs WHERE source = 'juki' AND status = 'running' FOR UPDATE`.execute(tx)).rows[0];
    if (running && (!input.from || (running.period_from === input.from && running.period_until === input.until))) return { row: running, resumed: true };
    if (running) await sql`UPDATE registry.check_runs SET status = 'abandoned', finished_at = ${deps.clock.now()} WHERE run_no = ${running.run_no}`.execute(tx);
    const today = deps.clock.today();
    let from = input.from;
    let until = input.until;
    if (!from || !until) {
      // From the last day the previous run covered (that day may have been only partly over) to today.
      const last = (await sql<{ d: string | null }>`SELECT to_char(max(period_until), 'YYYY-MM-DD') AS d FROM registry.check_runs WHERE source = 'juki' AND status = 'done'`.execute(tx)).rows[0]?.d;
      from = last ?? addDays(today, -(input.firstRunDays ?? FIRST_RUN_DAYS) + 1);
      until = today;
      if (from > until) return null;
    }
    if (until > today) throw invalidField('until', 'DATE_IN_FUTURE', '照会対象期間の終了日に将来の日付は指定できません');
    const no = await sql<{ n: string }>`SELECT coalesce(max(run_no), 0) + 1 AS n FROM registry.check_runs`.execute(tx);
    const row = await sql<RunRow>`INSERT INTO registry.check_runs (tenant_code, run_no, source, period_from, period_until, status, started_at)
      VALUES (${tenant}, ${Number(no.rows[0]!.n)}, 'juki', ${from}, ${until}, 'running', ${deps.clock.now()})
      RETURNING run_no, to_char(period_from, 'YYYY-MM-DD') AS period_from, to_char(period_until, 'YYYY-MM-DD') AS period_until, cursor`.execute(tx);
    return { row: row.rows[0]!, resumed: false };
  });
}

async function runCounts(db: Db, tenant: string, runNo: string): Promise<Omit<CheckRun, 'tenant' | 'runNo' | 'period' | 'resumed'>> {
  const r = await withTenant(db, tenant, (tx) => sql<{ checked: number; changed: number; deaths: number; unresolved: number; proposals: number }>`
    SELECT checked, changed, deaths, unresolved, proposals FROM registry.check_runs WHERE run_no = ${runNo}`.execute(tx));
  const x = r.rows[0]!;
  return { checked: x.checked, changed: x.changed, deaths: x.deaths, unresolved: x.unresolved, proposals: x.proposals };
}

/**
 * The periodic 住基 check of one 資格管理者 (QUA-15): every registrant with a 住民票コード and an entry in force is
 * asked for (identity.changes, ≤ 10,000 per message) for the period — by default from where the last run ended
 * to today; the first run looks back `firstRunDays` (30).  Differences from the register become proposals for
 * examination (QUA-16: a death proposes 抹消).  An unfinished run (a chunk failed) is continued after its last
 * written chunk; a repeated period adds no proposal.  Returns the run's counts.
 */
export async function runChecks(deps: JukiDeps, raw: unknown): Promise<CheckRun> {
  const input = parseInput(runInput, raw);
  const tenant = tenantOf(input.tenant);
  const opened = await openRun(deps, tenant, input).catch((e: unknown) => {
    // Two runs of one tenant started at once: the second finds the first's row (one running per tenant and source).
    if ((e as { code?: unknown } | null)?.code === '23505') throw conflict('CHECK_RUN_RUNNING', '同じ資格管理者の住基確認が実行中です。終わってから確認してください。');
    throw e;
  });
  if (!opened) return { tenant, runNo: null, period: null, resumed: false, checked: 0, changed: 0, deaths: 0, unresolved: 0, proposals: 0 };
  const run = opened.row;
  const size = input.chunkSize ?? JUKI_CHUNK;
  const parallel = input.parallel ?? JUKI_PARALLEL;
  const codesAfter = (after: string | null) => withTenant(deps.db, tenant, async (tx) => (await sql<{ juminhyo_code: string }>`
      SELECT DISTINCT l.juminhyo_code FROM registry.registrant_juki l
      WHERE l.tenant_code = ${tenant} AND l.juminhyo_code > ${after ?? ''}
        AND EXISTS (SELECT 1 FROM registry.entries e WHERE e.tenant_code = l.tenant_code AND e.pseudonym_id = l.pseudonym_id AND e.erased_on IS NULL)
      ORDER BY l.juminhyo_code LIMIT ${size * parallel}`.execute(tx)).rows.map((r) => r.juminhyo_code));
  const ask = async (c: string[]) => {
    const body = (await deps.node.call(JUKI_NODE, 'identity.changes', { purpose: JUKI_PURPOSE, from: run.period_from, until: run.period_until, includeRemoved: true, juminhyoCodes: c, caller: tenant }, { personal: true, timeoutMs: 300_000 })).body;
    const a = changesAnswer.safeParse(body);
    if (!a.success || a.data.asked !== c.length) throw badAnswer();
    return a.data;
  };
  // Windows of up to `parallel` messages in flight at once, each window's answers written in one transaction
  // (all or nothing) in order.  Pipelined: the next window's codes are read, and the previous window written,
  // while a window is in flight.  A promise is marked handled at once and awaited (rethrowing) in its turn.
  let cursor = run.cursor;
  let codes = await codesAfter(cursor);
  let writing: Promise<void> = Promise.resolve();
  while (codes.length > 0) {
    const chunks: string[][] = [];
    for (let k = 0; k < codes.length; k += size) chunks.push(codes.slice(k, k + size));
    const last = codes[codes.length - 1]!;
    const sending = Promise.all(chunks.map(ask));
    sending.catch(() => undefined);
    const reading = codesAfter(last);
    reading.catch(() => undefined);
    let answers: z.output<typeof changesAnswer>[];
    try {
      answers = await sending;
    } catch (e) {
      await writing;
      if (e instanceof Problem && e.code === 'JUKI_BAD_ANSWER') throw e;
      const p = unavailable(e, true);
      await withTenant(deps.db, tenant, (tx) => sql`UPDATE registry.check_runs SET last_error = ${(p.detail ?? p.title).slice(0, 500)} WHERE run_no = ${run.run_no}`.execute(tx));
      throw p;
    }
    await writing;
    const merged = { asked: codes.length, changed: answers.flatMap((a) => a.changed), unknown: answers.flatMap((a) => a.unknown) };
    const from = cursor;
    writing = withTenant(deps.db, tenant, (tx) => applyChunk(tx, deps.clock, tenant, run.run_no, from, last, chunks.length, merged));
    writing.catch(() => undefined);
    cursor = last;
    codes = await reading;
  }
  await writing;
  await withTenant(deps.db, tenant, (tx) => sql`UPDATE registry.check_runs SET status = 'done', finished_at = ${deps.clock.now()}, last_error = NULL WHERE run_no = ${run.run_no} AND status = 'running'`.execute(tx));
  return { tenant, runNo: Number(run.run_no), period: { from: run.period_from, until: run.period_until }, resumed: opened.resumed, ...(await runCounts(deps.db, tenant, run.run_no)) };
}

/** One window's answers written with the run's cursor, in one transaction (all or nothing). */
async function applyChunk(tx: Tx, clock: Clock, tenant: string, runNo: string, from: string | null, to: string, messages: number, a: z.output<typeof changesAnswer>): Promise<void> {
  const interesting = [...a.changed.map((c) => c.juminhyoCode), ...a.unknown];
  const byCode = new Map<string, EntryOfCode[]>();
  if (interesting.length) {
    const r = await sql<EntryOfCode>`SELECT l.juminhyo_code, e.qualification_code, e.registration_no, e.items, e.names, e.deceased
      FROM registry.registrant_juki l JOIN registry.entries e ON e.tenant_code = l.tenant_code AND e.pseudonym_id = l.pseudonym_id
      WHERE l.tenant_code = ${tenant} AND l.juminhyo_code = ANY(${arrayLiteral(interesting)}::text[]) AND e.erased_on IS NULL
      ORDER BY e.qualification_code, e.registration_no`.execute(tx);
    for (const e of r.rows) byCode.set(e.juminhyo_code, [...(byCode.get(e.juminhyo_code) ?? []), e]);
  }
  const proposals: Proposal[] = [];
  let changed = 0;
  let deaths = 0;
  for (const c of a.changed) {
    const ps = proposalsFor(c, byCode.get(c.juminhyoCode) ?? []);
    if (ps.some((p) => p.kind === 'death')) deaths++;
    else if (ps.length) changed++;
    proposals.push(...ps);
  }
  for (const code of a.unknown) {
    for (const e of byCode.get(code) ?? []) proposals.push({ qualification: e.qualification_code, number: Number(e.registration_no), kind: 'unknown', valueKey: '', current: {}, proposed: {} });
  }
  let added = 0;
  if (proposals.length) {
    const ins = await sql<{ id: string; qualification_code: string; registration_no: string; kind: string }>`INSERT INTO registry.check_proposals (tenant_code, qualification_code, registration_no, source, kind, value_key, current, proposed, run_no, found_at)
      SELECT ${tenant}, u.q, u.n, 'juki', u.k, u.v, u.c::jsonb, u.p::jsonb, ${runNo}, ${clock.now()}
      FROM unnest(${arrayLiteral(proposals.map((p) => p.qualification))}::text[], ${arrayLiteral(proposals.map((p) => p.number))}::bigint[], ${arrayLiteral(proposals.map((p) => p.kind))}::text[],
                  ${arrayLiteral(proposals.map((p) => p.valueKey))}::text[], ${arrayLiteral(proposals.map((p) => JSON.stringify(p.current)))}::text[], ${arrayLiteral(proposals.map((p) => JSON.stringify(p.proposed)))}::text[])
           AS u(q, n, k, v, c, p)
      ON CONFLICT (tenant_code, qualification_code, registration_no, source, kind, value_key) DO NOTHING RETURNING id, qualification_code, registration_no, kind`.execute(tx);
    added = ins.rows.length;
    // QUA-26: a new name or 本籍 found is for the person to apply for (籍訂正・書換え交付): told online.
    await noticeOfChangeNeededRows(tx, clock, ins.rows);
  }
  // The cursor moves only from where this chunk started: a concurrent run of the same tenant finds it moved and stops.
  const upd = await sql`UPDATE registry.check_runs SET cursor = ${to}, chunks = chunks + ${messages}, checked = checked + ${a.asked}, changed = changed + ${changed}, deaths = deaths + ${deaths},
      unresolved = unresolved + ${a.unknown.length}, proposals = proposals + ${added}, last_error = NULL
    WHERE run_no = ${runNo} AND status = 'running' AND cursor IS NOT DISTINCT FROM ${from}`.execute(tx);
  if (Number(upd.numAffectedRows ?? 0) !== 1) throw conflict('CHECK_RUN_MOVED', '同じ資格管理者の住基確認が並行して実行されています。終わってから確認してください。');
}

/** When the daily job should run again: no run of this tenant finished (or started) today. */
export async function checksDue(db: Db, clock: Clock, tenant: string): Promise<boolean> {
  const r = await withTenant(db, tenant, (tx) => sql<{ n: number }>`SELECT count(*)::int AS n FROM registry.check_runs
    WHERE source = 'juki' AND ((status = 'done' AND period_until >= ${clock.today()}::date) OR (status = 'running' AND last_error IS NULL AND started_at > ${new Date(clock.now().getTime() - 3600_000)}))`.execute(tx));
  return (r.rows[0]?.n ?? 0) === 0;
}

/**
 * The registry node's scheduled job: the periodic 住基 check of every 資格管理者 whose check is due (once a day;
 * an unfinished run is continued).  One tenant's failure does not stop the others; each is reported.
 */
export async function runDueChecks(deps: JukiDeps, log: (tenant: string, r: CheckRun | Error) => void = () => undefined): Promise<void> {
  for (const a of catalog().administrators) {
    try {
      if (!(await checksDue(deps.db, deps.clock, a.code))) continue;
      log(a.code, await runChecks(deps, { tenant: a.code }));
    } catch (e) {
      log(a.code, e as Error);
    }
  }
}

// ---- proposals for examination ------------------------------------------------------------------------------

export interface ProposalView {
  readonly id: number;
  readonly qualification: string;
  readonly qualificationName: string;
  readonly number: number;
  readonly source: keyof typeof PROPOSAL_SOURCE_LABELS;
  readonly sourceLabel: string;
  readonly kind: ProposalKind;
  readonly kindLabel: string;
  readonly current: Record<string, unknown>;
  readonly proposed: Record<string, unknown>;
  readonly foundAt: string;
  readonly status: keyof typeof PROPOSAL_STATUS_LABELS;
  readonly statusLabel: string;
  readonly closedBy: string | null;
  readonly closedAt: string | null;
  readonly reason: string | null;
}

export interface ProposalList {
  readonly total: number;
  readonly byKind: Partial<Record<ProposalKind, number>>;
  readonly byStatus: Partial<Record<keyof typeof PROPOSAL_STATUS_LABELS, number>>;
  readonly limit: number;
  readonly offset: number;
  readonly rows: readonly ProposalView[];
}

const listInput = z
  .object({
    tenant: z.string().min(1).max(40),
    qualifications: z.array(z.string().max(40)).max(20).optional(),
    status: z.enum(['open', 'accepted', 'rejected', 'all']).default('open'),
    kind: z.enum(Object.keys(PROPOSAL_KIND_LABELS) as [ProposalKind, ...ProposalKind[]]).optional(),
    source: z.enum(['juki', 'koseki']).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(50),
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
  })
  .strict();

function viewOf(r: Record<string, unknown>): ProposalView {
  const q = catalog().qualification(String(r['qualification_code']));
  const kind = r['kind'] as ProposalKind;
  const source = r['source'] as ProposalView['source'];
  const st = r['status'] as ProposalView['status'];
  return {
    id: Number(r['id']), qualification: String(r['qualification_code']), qualificationName: q?.name ?? String(r['qualification_code']), number: Number(r['registration_no']),
    source, sourceLabel: PROPOSAL_SOURCE_LABELS[source], kind, kindLabel: PROPOSAL_KIND_LABELS[kind], current: r['current'] as Record<string, unknown>, proposed: r['proposed'] as Record<string, unknown>,
    foundAt: new Date(r['found_at'] as Date).toISOString(), status: st, statusLabel: PROPOSAL_STATUS_LABELS[st], closedBy: (r['closed_by'] as string | null) ?? null,
    closedAt: r['closed_at'] ? new Date(r['closed_at'] as Date).toISOString() : null, reason: (r['close_reason'] as string | null) ?? null,
  };
}

/** A 資格管理者's proposals (open ones by default), oldest first, with totals by kind and status; paged. */
export async function listProposals(db: Db, raw: unknown): Promise<ProposalList> {
  const input = parseInput(listInput, raw);
  const tenant = tenantOf(input.tenant);
  const quals = input.qualifications ?? catalog().jurisdiction(tenant).map((q) => q.code);
  return withTenant(db, tenant, async (tx) => {
    const where = sql`qualification_code = ANY(${arrayLiteral(quals)}::text[]) ${input.source ? sql`AND source = ${input.source}` : sql``}`;
    const st = input.status === 'all' ? sql`` : sql`AND status = ${input.status}`;
    const kd = input.kind ? sql`AND kind = ${input.kind}` : sql``;
    const totals = await sql<{ kind: ProposalKind; status: ProposalView['status']; n: number }>`SELECT kind, status, count(*)::int AS n FROM registry.check_proposals WHERE ${where} GROUP BY kind, status`.execute(tx);
    const byKind: Partial<Record<ProposalKind, number>> = {};
    const byStatus: Partial<Record<ProposalView['status'], number>> = {};
    let total = 0;
    for (const t of totals.rows) {
      byStatus[t.status] = (byStatus[t.status] ?? 0) + t.n;
      if (input.status !== 'all' && t.status !== input.status) continue;
      byKind[t.kind] = (byKind[t.kind] ?? 0) + t.n;
      if (!input.kind || t.kind === input.kind) total += t.n;
    }
    const rows = await sql<Record<string, unknown>>`SELECT * FROM registry.check_proposals WHERE ${where} ${st} ${kd} ORDER BY found_at, id LIMIT ${input.limit} OFFSET ${input.offset}`.execute(tx);
    return { total, byKind, byStatus, limit: input.limit, offset: input.offset, rows: rows.rows.map(viewOf) };
  });
}

const nameInput = z.object({ 姓: z.string().trim().min(1).max(30), 名: z.string().trim().min(1).max(30), フリガナ: z.object({ 姓: z.string().trim().min(1).max(40), 名: z.string().trim().min(1).max(40) }).strict() }).strict();
const closeInput = z
  .object({
    tenant: z.string().min(1).max(40),
    id: z.coerce.number().int().min(1),
    decision: z.enum(['accept', 'reject'], { message: 'accept（反映する）または reject（反映しない）です' }),
    reason: z.string().trim().min(1).max(500).optional(),
    reasonCode: z.string().regex(/^[0-9A-Za-z-]{1,10}$/, { message: '理由コード（半角英数字10文字以内）を入力してください' }).optional(),
    /** A name change: the new 氏名 split into 姓 and 名 (when 住基's one string cannot be split at its space). */
    name: nameInput.optional(),
    keepOldNameAs: z.enum(['旧姓', '旧氏']).optional(),
    by,
  })
  .strict()
  .refine((c) => c.decision === 'accept' || c.reason !== undefined, { path: ['reason'], message: '反映しない理由を入力してください' });

/** Reason codes written to the register when a proposal is accepted (code master of §004: 要確認, decision 0182). */
export const PROPOSAL_REASON_CODES: Record<ProposalKind, string> = { name: 'JUKI-NAME', address: 'JUKI-ADDR', 'birth-date': 'JUKI-BIRTH', sex: 'JUKI-SEX', death: 'JUKI-DEATH', unknown: 'JUKI-UNK', honseki: 'KOSEKI-HON', other: 'CHECK' };

function splitName(name: string, kana: string | null): z.output<typeof nameInput> | undefined {
  const n = name.trim().split(/[\s\u3000]+/);
  const k = (kana ?? '').trim().split(/[\s\u3000]+/);
  if (n.length !== 2 || k.length !== 2 || !k[0] || !k[1]) return undefined;
  return { 姓: n[0]!, 名: n[1]!, フリガナ: { 姓: k[0], 名: k[1] } };
}

/**
 * Closes a proposal: `accept` makes the change through the register (changeEntry for name, address, 生年月日 and
 * 性別; eraseEntry with cause death for a death — the file's retention rule applies; for a code 住基 does not
 * know, the link is dropped until a new application check), with `by` as the changer; `reject` records the
 * reason.  The register's change is idempotent, so an accept repeated after a failure does not change twice.
 */
export async function closeProposal(deps: RegisterDeps, raw: unknown): Promise<ProposalView> {
  const input = parseInput(closeInput, raw);
  const tenant = tenantOf(input.tenant);
  const load = async (tx: Tx) => (await sql<Record<string, unknown>>`SELECT * FROM registry.check_proposals WHERE id = ${input.id}`.execute(tx)).rows[0];
  const row = await withTenant(deps.db, tenant, load);
  if (!row) throw notFound('確認結果');
  const p = viewOf(row);
  if (p.status !== 'open') {
    if ((p.status === 'accepted') === (input.decision === 'accept')) return p;
    throw conflict('PROPOSAL_CLOSED', `この確認結果は処理済みです（${p.statusLabel}）。`);
  }
  const q = catalog().qualification(p.qualification)!;
  const reasonCode = input.reasonCode ?? PROPOSAL_REASON_CODES[p.kind];
  const note = `${PROPOSAL_SOURCE_LABELS[p.source]}の確認による（${p.kindLabel}）`;
  if (input.decision === 'accept') {
    const str = (k: string): string => String(p.proposed[k] ?? '');
    switch (p.kind) {
      case 'name': {
        const name = input.name ?? splitName(str('氏名'), (p.proposed['フリガナ'] as string | null) ?? null);
        if (!name) throw invalidField('name', 'NAME_SPLIT_REQUIRED', '新しい氏名を姓・名（フリガナを含む）に分けて指定してください');
        await changeEntry(deps, { qualification: q.code, number: p.number, kind: 'correction', reasonCode, note, name, ...(input.keepOldNameAs ? { keepOldNameAs: input.keepOldNameAs } : {}), by: input.by });
        break;
      }
      case 'address':
      case 'birth-date':
      case 'sex': {
        const role = p.kind === 'address' ? '住所' : p.kind === 'birth-date' ? '生年月日' : '性別';
        const item = personItemOf(q, role);
        if (!item) throw conflict('ITEM_NOT_KEPT', `${q.registerName}には${role}の登録事項がありません。反映しない理由を入力して閉じてください。`);
        await changeEntry(deps, { qualification: q.code, number: p.number, kind: p.kind === 'address' ? 'change' : 'correction', reasonCode, note, items: { [item]: str(role) }, by: input.by });
        break;
      }
      case 'death': {
        const died = typeof p.proposed['死亡日'] === 'string' && isIsoDate(p.proposed['死亡日']) && p.proposed['死亡日'] <= deps.clock.today() ? (p.proposed['死亡日'] as string) : undefined;
        await eraseEntry(deps, { qualification: q.code, number: p.number, cause: 'death', ...(died ? { on: died } : {}), reasonCode, note, by: input.by });
        break;
      }
      case 'honseki': {
        // A 本籍 change reported by 戸籍 (periodic.ts): the register's 本籍 item takes the new 都道府県コード.
        const item = honsekiItemOf(q);
        if (!item) throw conflict('ITEM_NOT_KEPT', `${q.registerName}には本籍の登録事項がありません。反映しない理由を入力して閉じてください。`);
        await changeEntry(deps, { qualification: q.code, number: p.number, kind: 'correction', reasonCode, note, items: { [item]: str('to') }, by: input.by });
        break;
      }
      case 'unknown':
        await withTenant(deps.db, tenant, (tx) => sql`DELETE FROM registry.registrant_juki l USING registry.entries e
          WHERE e.tenant_code = l.tenant_code AND e.pseudonym_id = l.pseudonym_id AND e.qualification_code = ${q.code} AND e.registration_no = ${p.number}`.execute(tx));
        break;
      default:
        throw conflict('PROPOSAL_KIND', `この確認結果（${p.kindLabel}）はここでは反映できません。`);
    }
  }
  return withTenant(deps.db, tenant, async (tx) => {
    await sql`UPDATE registry.check_proposals SET status = ${input.decision === 'accept' ? 'accepted' : 'rejected'}, closed_by = ${input.by}, closed_at = ${deps.clock.now()}, close_reason = ${input.reason ?? null}
      WHERE id = ${input.id} AND status = 'open'`.execute(tx);
    return viewOf((await load(tx))!);
  });
}

// ---- for staff sessions ------------------------------------------------------------------------------------------

/** The proposals a staff member may see (their duties' qualifications); the listing is logged. */
export async function listProposalsForStaff(deps: { db: Db; clock: Clock }, session: StaffSession, raw: Record<string, unknown> = {}): Promise<ProposalList> {
  const quals = visibleQualifications(session).map((q) => q.code);
  const list = await listProposals(deps.db, { ...raw, tenant: session.staff.tenant, qualifications: quals });
  await logAccess(deps.db, deps.clock, session, { action: 'list', targetType: 'check-proposals', outcome: 'ok' });
  return list;
}

/** Closes a proposal as a staff member (審査担当・審査責任者 of its qualification); otherwise 404, logged. */
export async function closeProposalAsStaff(deps: RegisterDeps, session: StaffSession, raw: Record<string, unknown>): Promise<ProposalView> {
  const id = Number(raw['id']);
  const row = Number.isSafeInteger(id) && id > 0
    ? (await withTenant(deps.db, session.staff.tenant, (tx) => sql<{ qualification_code: string }>`SELECT qualification_code FROM registry.check_proposals WHERE id = ${id}`.execute(tx))).rows[0]
    : undefined;
  const allowed = row && session.staff.role !== 'viewer' && visibleQualifications(session).some((q) => q.code === row.qualification_code);
  if (!allowed) {
    await logAccess(deps.db, deps.clock, session, { action: 'read', targetType: 'check-proposal', targetId: String(raw['id'] ?? '').slice(0, 20), outcome: 'denied' });
    throw notFound('確認結果');
  }
  return closeProposal(deps, { ...raw, tenant: session.staff.tenant, by: session.staff.userId });
}
