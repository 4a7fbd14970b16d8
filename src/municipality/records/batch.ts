// Clinic monthly record batches (issue 4 point 5b; VAX-16, VAX-19, VAX-20, VAX-23): validated rows, persons
// found by 宛名番号 (checked against 生年月日・性別) or by 4情報, doubtful rows queued for staff, every dose
// checked by the engine with its 警告内容 kept.  Runs on the shared intake engine (idempotent, resumable).
import type { Work } from '../../kernel/context/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { randomUUID } from 'node:crypto';
import { appendEntriesStatements, type AuditEntry } from '../../kernel/audit/index.js';
import type { FieldError } from '../../kernel/problems/index.js';
import { firstSightings, insertStatement, StatementChain, type BatchOutcome, type BulkColumn, type IntakeSpec, type RowResult, type RunRef } from '../intake/index.js';
import { fetchMatchCandidates, matchFourInfo, normalizeKana, normalizeKanjiName, parseDate, requireResidentAccess } from '../residents/index.js';
import type { Catalog, HistoryItem } from '../schedule/index.js';
import { CATEGORIES, RecordInput, type Category, type RecordData } from './model.js';
import { assess, type EngineSubject } from './ledger.js';
import { catalogFor } from './catalog.js';
import { isValidGtin14 } from './gs1.js';

export const RECORD_COLUMNS = [
  '通番', '宛名番号', '接種券番号', '氏名', '氏名カナ', '生年月日', '性別', '住所', '接種日', '接種日不明', '予防接種', '回数', 'ワクチン', 'ワクチン名', 'メーカー',
  'ロット番号', 'GTIN', '有効期限', '接種量', '接種部位', '接種方法', '医療機関コード', '医師名', '実施場所', '実施区分', '自己負担区分', '請求年月', '特別の事情',
  '海外接種', '同時接種', '要注意接種', '備考',
] as const;

/** A dose as the file gives it: the category is null when the file leaves it to the program. */
export type BatchDose = Omit<RecordData, 'category'> & { category: Category | null };

export interface BatchRow {
  readonly seq: string;
  readonly atenaNo: string | null;
  readonly who: { nameKanji: string | null; nameKana: string | null; birthDate: string; sex: 'male' | 'female'; address: string | null };
  readonly data: BatchDose;
}

export function checkRecordHeader(header: readonly string[]): FieldError[] {
  const errors: FieldError[] = [];
  for (const c of RECORD_COLUMNS) if (!header.includes(c)) errors.push({ field: c, code: 'COLUMN_MISSING', message: `列「${c}」がありません` });
  for (const h of header) if (!(RECORD_COLUMNS as readonly string[]).includes(h)) errors.push({ field: h || '(空の列名)', code: 'COLUMN_UNKNOWN', message: `列「${h}」はこの様式にありません` });
  return errors;
}

const zenkaku = (s: string | undefined) => (s ?? '').normalize('NFKC').trim();

export function validateRecordRow(raw: Readonly<Record<string, string>>, today: string, catalog: Catalog): RowResult<BatchRow> {
  const errors: FieldError[] = [];
  const add = (field: string, code: string, message: string) => errors.push({ field, code, message });
  const seq = zenkaku(raw['通番']);
  if (!seq) add('通番', 'REQUIRED', '通番は必須です');
  else if (!/^[A-Za-z0-9_-]{1,40}$/.test(seq)) add('通番', 'FORMAT', '通番は英数字です');
  const atena = zenkaku(raw['宛名番号']);
  if (atena && !/^\d{10}$/.test(atena)) add('宛名番号', 'FORMAT', '宛名番号は10桁の数字です');
  const birth = raw['生年月日']?.trim() ? parseDate(raw['生年月日']) : null;
  if (!raw['生年月日']?.trim()) add('生年月日', 'REQUIRED', '生年月日は必須です');
  else if (!birth) add('生年月日', 'DATE_INVALID', '生年月日が正しい日付ではありません');
  const sexRaw = zenkaku(raw['性別']);
  const sex = sexRaw === '1' || sexRaw === '男' ? 'male' : sexRaw === '2' || sexRaw === '女' ? 'female' : null;
  if (!sex) add('性別', sexRaw ? 'CODE_UNKNOWN' : 'REQUIRED', '性別は1（男）または2（女）です');
  const unknownDate = zenkaku(raw['接種日不明']) === '1';
  const dateRaw = raw['接種日']?.trim() ?? '';
  const date = dateRaw ? parseDate(dateRaw) : null;
  if (dateRaw && !date) add('接種日', 'DATE_INVALID', '接種日が正しい日付ではありません');
  if (date && date > today) add('接種日', 'DATE_FUTURE', '接種日が未来の日付です');
  if (date && birth && date < birth) add('接種日', 'DATE_ORDER', '接種日が生年月日より前です');
  const product = zenkaku(raw['ワクチン']);
  if (!product) add('ワクチン', 'REQUIRED', 'ワクチンのコードは必須です');
  else if (!catalog.productByCode.has(product)) add('ワクチン', 'PRODUCT_UNKNOWN', 'カタログにないワクチンのコードです');
  const program = zenkaku(raw['予防接種']);
  if (program && !catalog.programsByCode.has(program)) add('予防接種', 'PROGRAM_UNKNOWN', 'カタログにない予防接種のコードです');
  const gtin = zenkaku(raw['GTIN']);
  if (gtin && !isValidGtin14(gtin)) add('GTIN', 'GTIN_CHECK_DIGIT', 'GTIN の桁数またはチェックデジットが正しくありません');
  const category = zenkaku(raw['実施区分']);
  if (category && !(CATEGORIES as readonly string[]).includes(category)) add('実施区分', 'CODE_UNKNOWN', `実施区分は${CATEGORIES.join('・')}のいずれかです`);
  const inst = zenkaku(raw['医療機関コード']);
  if (!inst) add('医療機関コード', 'REQUIRED', '医療機関コードは必須です');
  const claim = zenkaku(raw['請求年月']).replace(/^(\d{4})(\d{2})$/, '$1-$2');
  const expiryRaw = raw['有効期限']?.trim() ?? '';
  const expiry = expiryRaw ? parseDate(expiryRaw) : null;
  if (expiryRaw && !expiry) add('有効期限', 'DATE_INVALID', '有効期限が正しい日付ではありません');
  const flag = (c: string) => {
    const v = zenkaku(raw[c]);
    if (v && v !== '0' && v !== '1') add(c, 'CODE_UNKNOWN', `${c}は0または1です`);
    return v === '1';
  };
  const flags = { overseas: flag('海外接種'), simultaneous: flag('同時接種'), caution: flag('要注意接種') };
  if (errors.length) return { ok: false, errors };
  const parsed = RecordInput.safeParse({
    program: program || undefined, dose: zenkaku(raw['回数']) || undefined, category: category || undefined, vaccinatedOn: date, dateUnknown: unknownDate && !date,
    product, vaccineName: raw['ワクチン名'], manufacturer: raw['メーカー'], lot: zenkaku(raw['ロット番号']) || undefined, gtin: gtin || undefined, expiry, amount: raw['接種量'],
    site: raw['接種部位'], route: raw['接種方法']?.trim() || undefined, institutionCode: inst, doctorName: raw['医師名'], place: raw['実施場所'], copayCategory: raw['自己負担区分'],
    claimMonth: claim || undefined, specialCircumstances: raw['特別の事情'], voucherNo: zenkaku(raw['接種券番号']) || undefined, sourceRef: seq, remarks: raw['備考'], ...flags,
  });
  if (!parsed.success) {
    const names: Record<string, string> = { vaccinatedOn: '接種日', dose: '回数', lot: 'ロット番号', route: '接種方法', institutionCode: '医療機関コード', expiry: '有効期限', claimMonth: '請求年月' };
    return { ok: false, errors: parsed.error.issues.map((i) => ({ field: names[String(i.path[0])] ?? String(i.path[0] ?? ''), code: 'FORMAT', message: i.message })) };
  }
  return {
    ok: true,
    value: {
      seq,
      atenaNo: atena || null,
      who: { nameKanji: raw['氏名']?.trim() ? normalizeKanjiName(raw['氏名']) : null, nameKana: raw['氏名カナ']?.trim() ? normalizeKana(raw['氏名カナ']) : null, birthDate: birth!, sex: sex!, address: raw['住所']?.trim() || null },
      data: { ...parsed.data, category: category ? (category as Category) : null },
    },
  };
}

/**
 * 接種券番号 → the person (and program, dose) it was issued to.  The notices ledger owns the numbers; the
 * composition (web, CLI) hands its resolver in, so this room never reads the notices tables (decision 0068).
 */
export type VoucherResolver = (w: Work, voucherNos: readonly string[]) => Promise<ReadonlyMap<string, { atenaNo: string; program: string | null; dose: number | null; valid: boolean }>>;

/** Applies one batch of clinic rows (inside the intake engine's transaction). */
export async function applyRecordBatch(w: Work, run: RunRef, items: readonly { rowNo: number; row: BatchRow }[], resolveVoucher?: VoucherResolver): Promise<BatchOutcome> {
  const out: BatchOutcome = { created: 0, updated: 0, unchanged: 0, queued: 0, rejects: [] };
  const { catalog } = await catalogFor(w);
  const claim = await firstSightings(w, run.id, items.map((i) => `seq:${i.row.seq}`));
  // Rows without 宛名番号 but with a 接種券番号: the person the voucher was issued to (VAX-19).
  const byVoucher = resolveVoucher ? await resolveVoucher(w, [...new Set(items.filter((i) => !i.row.atenaNo && i.row.data.voucherNo).map((i) => i.row.data.voucherNo!))]) : new Map<string, { atenaNo: string; program: string | null; dose: number | null; valid: boolean }>();
  // Persons named by 宛名番号 or 接種券番号; for rows that need 4情報, the candidates decision 0035 asks for:
  // everyone of the row's birth date plus everyone of its 検索カナ (a namesake whose birth date is one digit
  // away must be seen, so that it blocks the automatic link — VAX-19, decision 0045).
  const atenas = [...new Set([...items.map((i) => i.row.atenaNo), ...[...byVoucher.values()].map((v) => v.atenaNo)].filter((a): a is string => !!a))];
  const fourInfo = items.filter((i) => !i.row.atenaNo && !(i.row.data.voucherNo && byVoucher.has(i.row.data.voucherNo))).map((i) => i.row.who);
  const named = atenas.length
    ? await w.tx.selectFrom('municipality.persons').select(['atena_no', 'birth_date', 'sex', 'state', 'status']).where('tenant_code', '=', w.tenant).where('atena_no', 'in', atenas).execute()
    : [];
  const candidates = fourInfo.length ? await fetchMatchCandidates(w, fourInfo) : null;
  const byAtena = new Map(named.map((p) => [p.atena_no, p]));
  for (const c of candidates?.rows ?? []) {
    if (!byAtena.has(c.atena_no)) byAtena.set(c.atena_no, { atena_no: c.atena_no, birth_date: c.state.birthDate, sex: c.state.sex, state: c.state, status: c.status });
  }
  // Histories of everyone the batch may touch, for the engine and for duplicate doses.
  // status <> 'deleted' (not = 'active'): the person index, never a partial one (see ledger.ts subjectsAndConfig).
  const ids = [...byAtena.keys()];
  const existing = ids.length
    ? await w.tx.selectFrom('municipality.vaccination_records').select(['atena_no', 'product', 'vaccinated_on', 'id', 'source']).where('tenant_code', '=', w.tenant).where('atena_no', 'in', ids).where('status', '<>', 'deleted').execute()
    : [];
  const conds = ids.length ? await w.tx.selectFrom('municipality.person_conditions').select(['atena_no', 'code', 'detail']).where('tenant_code', '=', w.tenant).where('atena_no', 'in', ids).execute() : [];
  const history = new Map<string, HistoryItem[]>();
  const seenDose = new Set<string>();
  // Doses the clinic registered on the platform (PMH-18): the same dose in the monthly file is a possible
  // duplicate across channels — queued for staff, never registered twice and never dropped silently.
  const onPlatform = new Map<string, string>();
  for (const r of existing) {
    if (r.vaccinated_on && r.product) history.set(r.atena_no, [...(history.get(r.atena_no) ?? []), { product: r.product, date: r.vaccinated_on, ref: r.id }]);
    const key = `${r.atena_no}|${r.product}|${r.vaccinated_on ?? '?'}`;
    if (r.source === 'platform') onPlatform.set(key, r.id);
    else seenDose.add(key);
  }
  const condsOf = (a: string) => conds.filter((c) => c.atena_no === a).map((c) => (Object.keys(c.detail).length ? { code: c.code, ...c.detail } : c.code));

  const inserts: Parameters<typeof insertRecords>[1] = [];
  const queue: { rowNo: number; row: BatchRow; reason: string; candidates: readonly unknown[] }[] = [];
  for (const { rowNo, row } of items) {
    if (!claim(`seq:${row.seq}`)) {
      out.rejects.push({ rowNo, errors: [{ field: '通番', code: 'DUPLICATE_IN_FILE', message: '同じ通番の行がファイル内で重複しています' }] });
      continue;
    }
    let atenaNo: string;
    const voucher = !row.atenaNo && row.data.voucherNo ? byVoucher.get(row.data.voucherNo) : undefined;
    if (voucher && !voucher.valid) {
      out.rejects.push({ rowNo, errors: [{ field: '接種券番号', code: 'VOUCHER_VOID', message: '再発行により無効になった接種券番号です（新しい接種券番号を確認してください）' }] });
      continue;
    }
    const namedAtena = row.atenaNo ?? voucher?.atenaNo ?? null;
    if (namedAtena) {
      const p = byAtena.get(namedAtena);
      if (!p) {
        out.rejects.push({ rowNo, errors: [{ field: '宛名番号', code: 'ATENA_UNKNOWN', message: '登録されていない宛名番号です' }] });
        continue;
      }
      if (p.birth_date !== row.who.birthDate || p.sex !== row.who.sex) {
        const by = row.atenaNo ? '宛名番号' : '接種券番号';
        queue.push({ rowNo, row, reason: `${by}の人と生年月日または性別が一致しません`, candidates: [{ atenaNo: p.atena_no, score: 0, reasons: [{ code: 'ATENA_4INFO_MISMATCH', message: `${by}の登録内容と生年月日・性別が一致しません` }] }] });
        continue;
      }
      atenaNo = p.atena_no;
    } else {
      const m = matchFourInfo({ ...(row.who.nameKanji ? { nameKanji: row.who.nameKanji } : {}), ...(row.who.nameKana ? { nameKana: row.who.nameKana } : {}), birthDate: row.who.birthDate, sex: row.who.sex, ...(row.who.address ? { address: row.who.address } : {}) }, candidates?.forQuery(row.who) ?? []);
      if (m.decision !== 'matched') {
        queue.push({ rowNo, row, reason: m.decision === 'none' ? '該当する住民が見つかりません' : '候補が複数あるか一致が不十分です', candidates: m.candidates });
        continue;
      }
      atenaNo = m.atenaNo!;
    }
    const doseKey = `${atenaNo}|${row.data.product}|${row.data.vaccinatedOn ?? '?'}`;
    const twin = onPlatform.get(doseKey);
    if (twin) {
      queue.push({ rowNo, row, reason: '同じ日に同じ接種の記録が予防接種プラットフォームから登録済みです（重複の可能性）', candidates: [{ atenaNo, score: 0, reasons: [{ code: 'POSSIBLE_DUPLICATE', message: '予防接種プラットフォームの記録と重複している可能性があります' }], recordId: twin }] });
      continue;
    }
    if (seenDose.has(doseKey)) {
      out.unchanged += 1; // the same dose was registered before (a resubmission)
      continue;
    }
    seenDose.add(doseKey);
    const p = byAtena.get(atenaNo)!;
    const subject: EngineSubject = { person: { birthDate: p.birth_date, sex: p.sex, conditions: condsOf(atenaNo) }, history: history.get(atenaNo) ?? [] };
    const { check, warnings } = assess(catalog, subject, { ...row.data, category: row.data.category ?? '任意' });
    const program = row.data.program ?? check?.program ?? null;
    const entries = program ? catalog.programsByCode.get(program) : undefined;
    const data: RecordData = { ...row.data, program, dose: row.data.dose ?? check?.dose ?? null, category: row.data.category ?? ((entries?.at(-1)?.category as Category | undefined) ?? '任意') };
    inserts.push({ rowNo, atenaNo, data, warnings });
    if (data.vaccinatedOn && data.product) history.set(atenaNo, [...(history.get(atenaNo) ?? []), { product: data.product, date: data.vaccinatedOn }]);
    out.created += 1;
  }
  await insertRecords(w, inserts, run.id);
  for (const q of queue) {
    await w.tx
      .insertInto('municipality.match_queue')
      .values({
        tenant_code: w.tenant, source: 'records-import', source_run_id: run.id, source_row: q.rowNo, source_ref: q.row.seq,
        query: jsonb({ nameKanji: q.row.who.nameKanji, nameKana: q.row.who.nameKana, birthDate: q.row.who.birthDate, sex: q.row.who.sex, address: q.row.who.address, atenaNo: q.row.atenaNo, reason: q.reason }),
        payload: jsonb({ data: q.row.data, seq: q.row.seq } as unknown as Record<string, unknown>), candidates: jsonb([...q.candidates]), status: 'open',
      })
      .onConflict((oc) => oc.doNothing())
      .execute();
    out.queued += 1;
  }
  return out;
}

const RECORD_BULK: readonly BulkColumn[] = [
  { name: 'tenant_code', type: 'text' }, { name: 'id', type: 'uuid' }, { name: 'atena_no', type: 'text' }, { name: 'program', type: 'text' }, { name: 'dose', type: 'int' },
  { name: 'dose_label', type: 'text' }, { name: 'category', type: 'text' }, { name: 'vaccinated_on', type: 'date' }, { name: 'date_unknown', type: 'bool' }, { name: 'product', type: 'text' },
  { name: 'data', type: 'jsonb' }, { name: 'warnings', type: 'jsonb' }, { name: 'override_reason', type: 'text' }, { name: 'source', type: 'text' }, { name: 'source_run_id', type: 'uuid' },
  { name: 'source_row', type: 'int' }, { name: 'institution_code', type: 'text' }, { name: 'claim_month', type: 'text' }, { name: 'status', type: 'text' }, { name: 'deleted_reason', type: 'text' },
  { name: 'version', type: 'int' },
];

const VERSION_BULK: readonly BulkColumn[] = [
  { name: 'tenant_code', type: 'text' }, { name: 'record_id', type: 'uuid' }, { name: 'version', type: 'int' }, { name: 'change', type: 'text' }, { name: 'reason_kind', type: 'text' },
  { name: 'reason', type: 'text' }, { name: 'snapshot', type: 'jsonb' }, { name: 'actor', type: 'text' }, { name: 'terminal', type: 'text' },
];

/**
 * The batch's doses, their first versions and their log entries: one statement per table with one array per
 * column (decision 0044), the record ids made here so that the three statements go to the database one after
 * another without waiting for each other's results (decision 0081).
 */
async function insertRecords(w: Work, rows: { rowNo: number; atenaNo: string; data: RecordData; warnings: { code: string; message: string; level: 'problem' | 'note' }[] }[], runId: string): Promise<void> {
  if (rows.length === 0) return;
  const ids = rows.map(() => randomUUID());
  const pick = <T>(f: (r: (typeof rows)[number]) => T): T[] => rows.map(f);
  const chain = new StatementChain(w);
  await chain.add(
    insertStatement('municipality.vaccination_records', RECORD_BULK, [
      { same: w.tenant }, ids, pick((r) => r.atenaNo), pick((r) => r.data.program), pick((r) => r.data.dose), pick((r) => r.data.doseLabel), pick((r) => r.data.category),
      pick((r) => r.data.vaccinatedOn), pick((r) => r.data.dateUnknown), pick((r) => r.data.product), pick((r) => JSON.stringify(r.data)), pick((r) => JSON.stringify(r.warnings)),
      { same: null }, { same: 'clinic-batch' }, { same: runId }, pick((r) => r.rowNo), pick((r) => r.data.institutionCode), pick((r) => r.data.claimMonth), { same: 'active' },
      { same: null }, { same: 1 },
    ]),
  );
  await chain.add(
    insertStatement('municipality.vaccination_record_versions', VERSION_BULK, [
      { same: w.tenant }, ids, { same: 1 }, { same: 'create' }, { same: '取込' }, { same: null }, pick((r) => JSON.stringify({ data: r.data, warnings: r.warnings })),
      { same: w.actor.login }, { same: w.meta.terminalId },
    ]),
  );
  const audit: AuditEntry[] = rows.map((r, i) => ({ action: 'create', targetType: 'vaccination-record', targetId: ids[i]!, subjectRef: `resident:${r.atenaNo}`, purpose: '医療機関の接種記録の取込', detail: { runId, rowNo: r.rowNo, program: r.data.program, warnings: r.warnings.map((v) => v.code) } }));
  await chain.add(...appendEntriesStatements(w, audit));
  await chain.done();
}

export function recordBatchSpec(catalog: Catalog, resolveVoucher?: VoucherResolver): IntakeSpec<BatchRow> {
  return {
    kind: 'records-clinic',
    label: '医療機関の接種記録ファイル',
    checkHeader: checkRecordHeader,
    validate: (raw, _rowNo, today) => validateRecordRow(raw, today, catalog),
    apply: (w, run, items) => applyRecordBatch(w, run, items, resolveVoucher),
    authorize: (w) => {
      if (w.actor.kind !== 'system') requireResidentAccess(w.actor, 'personal.write', ['vaccination']);
    },
  };
}
