// Applying validated 住基 rows to the residents store, one batch per transaction (RES-01, RES-05..08, RES-22).
//
// A batch reads everything it needs in a handful of queries (persons by 住民票コード / 宛名番号, known movement
// ids, My Number holders through the vault's blind index, stored indexes, 4情報 candidates), decides every row
// in memory (later rows in the batch see earlier rows' effects), then writes with multi-row statements.  The
// caller commits the batch together with the run's progress, which makes a crash resumable without loss or
// duplication; the decisions themselves are idempotent (an unchanged state or an applied movement id is a
// no-op), which makes a re-import change nothing.
//
// Speed (decision 0044): each table is written with one statement per batch (one array parameter per column,
// intake/bulk.ts), each built while the database runs the one before; a state's canonical JSON is built once
// and serves as its comparison and hash input and as the stored jsonb of both the person and the version;
// the duplicate-key staging (import_seen) holds only keys whose row wrote nothing — a key the run wrote is
// found on the written row itself (persons.last_run_id, person_versions.import_run_id).
import type { Work } from '../../kernel/context/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { appendEntriesStatements, type AuditEntry } from '../../kernel/audit/index.js';
import { blindIndex, Vault } from '../../kernel/vault/index.js';
import type { FieldError } from '../../kernel/problems/index.js';
import { MOVEMENTS, type MovementRow, type ResidentRow } from './format.js';
import { canonicalState, changedFields, stateFromMovement, stateFromRow, stateHashOf, type PersonState } from './state.js';
import { allocate } from './numbers.js';
import { insertStatement, markSeen, seenKeys, StatementChain, textArrayLiteral, updateStatement, type BatchOutcome, type BulkColumn, type ColumnValues, type RunRef } from '../intake/index.js';
import { matchFourInfo, searchKana } from './matching.js';
import { fetchMatchCandidates } from './candidates.js';

export const SUBJECT = 'person';

export type BatchItem = { rowNo: number; kind: 'full'; row: ResidentRow } | { rowNo: number; kind: 'diff'; row: MovementRow };


interface Current {
  atenaNo: string;
  juminhyoCode: string | null;
  integratedNo: string | null;
  state: PersonState;
  /** canonicalState(state), once computed. */
  json: string | null;
  version: number;
  effectiveDate: string;
  index: Buffer | null;
  isNew: boolean;
  /** Written by this batch. */
  touched: boolean;
  /** The import run that last wrote the person (before this batch). */
  lastRunId: string | null;
}

const reject = (field: string, code: string, message: string): FieldError[] => [{ field, code, message }];

export interface ApplyOptions {
  /** A held row decided by staff (review queue): no duplicate-key staging and no 4情報 matching. */
  readonly fromQueue?: boolean;
}

export async function applyBatch(w: Work, vault: Vault, run: RunRef, items: readonly BatchItem[], opts: ApplyOptions = {}): Promise<BatchOutcome> {
  const out: BatchOutcome = { created: 0, updated: 0, unchanged: 0, queued: 0, rejects: [] };
  const person = (it: BatchItem): ResidentRow => (it.kind === 'full' ? it.row : it.row.person);

  // ------------------------------------------------------------ read what the batch needs
  const codes = [...new Set(items.map((i) => person(i).juminhyoCode).filter((c): c is string => !!c))];
  const atenas = [...new Set(items.map((i) => person(i).atenaNo).filter((c): c is string => !!c))];
  const existing = codes.length || atenas.length
    ? await w.tx
        .selectFrom('municipality.persons')
        .select(['atena_no', 'juminhyo_code', 'integrated_no', 'state', 'version', 'effective_date', 'last_run_id'])
        .where('tenant_code', '=', w.tenant)
        // "IS NOT NULL" lets the planner use the partial index persons_juminhyo: it cannot prove it from an IN
        // list of more than 100 values, and without it scans every person of the tenant (batch after batch).
        .where((eb) => eb.or([...(codes.length ? [eb.and([eb('juminhyo_code', 'is not', null), eb('juminhyo_code', 'in', codes)])] : []), ...(atenas.length ? [eb('atena_no', 'in', atenas)] : [])]))
        .execute()
    : [];
  const byAtena = new Map<string, Current>();
  const byCode = new Map<string, string>();
  for (const r of existing) {
    byAtena.set(r.atena_no, { atenaNo: r.atena_no, juminhyoCode: r.juminhyo_code, integratedNo: r.integrated_no, state: r.state, json: null, version: r.version, effectiveDate: r.effective_date, index: null, isNew: false, touched: false, lastRunId: r.last_run_id });
    if (r.juminhyo_code) byCode.set(r.juminhyo_code, r.atena_no);
  }
  const stored = await vault.storedIndexes(w, SUBJECT, [...byAtena.keys()]);
  for (const [a, idx] of stored) byAtena.get(a)!.index = idx;
  // KRN-12: numbers blanked after the retention period are not stored again by a re-import of an old file,
  // only when the person becomes a resident again.
  const erased = await vault.erasedSubjects(w, SUBJECT, [...byAtena.keys()]);

  const movementIds = items.filter((i) => i.kind === 'diff').map((i) => (i.row as MovementRow).movementId);
  const knownMovements = new Map<string, string | null>();
  if (movementIds.length) {
    const rows = await w.tx.selectFrom('municipality.person_versions').select(['movement_id', 'import_run_id']).where('tenant_code', '=', w.tenant).where('movement_id', 'is not', null).where('movement_id', 'in', movementIds).execute();
    for (const r of rows) knownMovements.set(r.movement_id!, r.import_run_id);
  }

  // Keys read twice in one file are duplicates: the 住民票コード of a full file, the 異動ID of a movement file.
  // A key met before in this run is on a row the run wrote (the person's last_run_id, the version's
  // import_run_id), or, when its row wrote nothing (unchanged, rejected, queued), in import_seen; within the
  // batch, in `met`.  Only the second kind is staged, so a first import stages nothing.
  const keyOf = (it: BatchItem): string | null => (it.kind === 'full' ? it.row.juminhyoCode : it.row.movementId);
  const staged = opts.fromQueue ? new Set<string>() : await seenKeys(w, run.id, items.map(keyOf).filter((k): k is string => !!k));
  const met = new Set<string>();
  const wroteKey = new Set<string>();
  const claim = (it: BatchItem, key: string): boolean => {
    if (met.has(key) || staged.has(key)) return false;
    if (it.kind === 'diff' ? knownMovements.get(key) === run.id : byCode.has(key) && byAtena.get(byCode.get(key)!)!.lastRunId === run.id) return false;
    met.add(key);
    return true;
  };

  const numbers = [...new Set(items.map((i) => person(i).myNumber).filter((n): n is string => !!n))];
  const indexes = new Map<string, Buffer>();
  if (numbers.length) {
    const keys = await vault.keysFor(w);
    for (const n of numbers) indexes.set(n, blindIndex(keys, n));
  }
  const holders = await vault.holders(w, SUBJECT, numbers, indexes);

  // 住登外登録 rows without 住民票コード are matched on 4情報 (candidates: same birth date or same 検索カナ).
  const needMatch = opts.fromQueue ? [] : items.filter((i) => i.kind === 'diff' && i.row.movement === '30' && !i.row.person.juminhyoCode);
  const candidates = needMatch.length ? await fetchMatchCandidates(w, needMatch.map((i) => person(i))) : null;
  if (candidates) {
    const fresh = candidates.rows.filter((r) => !byAtena.has(r.atena_no));
    const idx = await vault.storedIndexes(w, SUBJECT, fresh.map((r) => r.atena_no));
    for (const r of fresh) {
      byAtena.set(r.atena_no, { atenaNo: r.atena_no, juminhyoCode: r.juminhyo_code, integratedNo: r.integrated_no, state: r.state, json: null, version: r.version, effectiveDate: r.effective_date, index: idx.get(r.atena_no) ?? null, isNew: false, touched: false, lastRunId: r.last_run_id });
    }
  }

  // Numbers for new persons and first-time My Numbers, allocated up front (unused ones are gaps).
  const freshAtenas = await allocate(w.tx, w.tenant, 'atena', items.filter((i) => !person(i).atenaNo && !(person(i).juminhyoCode && byCode.has(person(i).juminhyoCode!))).length);
  const freshIntegrated = await allocate(w.tx, w.tenant, 'integrated', items.filter((i) => !!person(i).myNumber).length);

  // ------------------------------------------------------------ decide each row
  const versions: VersionRow[] = [];
  const vaultWrites: { subject: { subjectType: string; subjectId: string }; myNumber: string; blindIndex: Buffer }[] = [];
  const audit: AuditEntry[] = [];
  const queue: { rowNo: number; movement: MovementRow; candidates: readonly unknown[] }[] = [];
  const numberOwner = new Map<string, string>(); // numbers assigned within this batch
  const jsonOf = (c: Current): string => (c.json ??= canonicalState(c.state));
  const duplicate = (it: BatchItem): FieldError[] =>
    it.kind === 'full' ? reject('住民票コード', 'DUPLICATE_IN_FILE', '同じ住民票コードの行がファイル内で重複しています') : reject('異動ID', 'DUPLICATE_IN_FILE', '同じ異動IDの行がファイル内で重複しています');

  for (const it of items) {
    const r = person(it);
    const fail = (errors: FieldError[]) => out.rejects.push({ rowNo: it.rowNo, errors });
    const key = opts.fromQueue ? null : keyOf(it);

    // Which person does the row speak of?
    let cur: Current | undefined;
    if (r.juminhyoCode && byCode.has(r.juminhyoCode)) cur = byAtena.get(byCode.get(r.juminhyoCode)!);
    // A 住登外 row naming its 宛名番号 (decided in the review queue) speaks of that person.
    if (!cur && !r.juminhyoCode && r.atenaNo && byAtena.has(r.atenaNo)) cur = byAtena.get(r.atenaNo);
    if (!cur && !opts.fromQueue && it.kind === 'diff' && it.row.movement === '30' && !r.juminhyoCode) {
      const m = matchFourInfo({ nameKanji: r.nameKanji, nameKana: r.nameKana, birthDate: r.birthDate, sex: r.sex, address: r.address }, candidates?.forQuery(r) ?? []);
      if (m.decision === 'ambiguous') {
        if (key && !claim(it, key)) {
          fail(duplicate(it));
          continue;
        }
        queue.push({ rowNo: it.rowNo, movement: it.row, candidates: m.candidates });
        out.queued += 1;
        continue;
      }
      if (m.decision === 'matched') cur = byAtena.get(m.atenaNo!);
    }
    if (r.atenaNo) {
      if (cur && cur.atenaNo !== r.atenaNo) {
        fail(reject('宛名番号', 'ATENA_MISMATCH', '宛名番号が既存の登録と一致しません'));
        continue;
      }
      if (!cur) {
        // `existing` read every person named by a 宛名番号 of the batch: no query per row (files with
        // pre-assigned 宛名番号, e.g. the synthetic city, would otherwise pay one round trip per new person).
        const holder = byAtena.get(r.atenaNo);
        if (holder) {
          fail(reject('宛名番号', 'ATENA_MISMATCH', '宛名番号が別の人に登録されています'));
          continue;
        }
      }
    }

    // Duplicates within one file, and movements already applied.
    if (key && !claim(it, key)) {
      fail(duplicate(it));
      continue;
    }
    if (it.kind === 'diff' && knownMovements.has(it.row.movementId)) {
      out.unchanged += 1; // applied by an earlier file or run
      continue;
    }

    // Movement rules.
    if (it.kind === 'diff') {
      const mv = it.row.movement;
      const prevStatus = cur?.state.status;
      if ((mv === '01' || mv === '02' || mv === '03' || mv === '30') && prevStatus === 'resident') {
        fail(reject('異動区分', 'ALREADY_RESIDENT', `既に住民として登録されている人の${MOVEMENTS[mv]}です`));
        continue;
      }
      if (['10', '11', '12', '13', '20', '21', '22', '23'].includes(mv)) {
        if (!cur) {
          fail(reject('住民票コード', 'UNKNOWN_PERSON', `登録されていない人の${MOVEMENTS[mv]}です`));
          continue;
        }
        if (mv !== '23' && prevStatus !== 'resident') {
          fail(reject('異動区分', 'NOT_RESIDENT', `住民でない人の${MOVEMENTS[mv]}です`));
          continue;
        }
      }
    }

    const prev = cur?.state ?? null;
    const next = it.kind === 'full' ? stateFromRow(r, prev) : stateFromMovement(it.row, prev);

    // My Number: one person per number.
    let index = cur?.index ?? null;
    let storeNumber = false;
    const effective = it.kind === 'full' ? (r.latestMovementOn ?? run.baseDate) : it.row.movementOn;
    // The status the person has after this row (an older row is kept as a version but does not change it).
    const statusAfter = cur && effective < cur.effectiveDate ? cur.state.status : next.status;
    if (r.myNumber && !(cur && erased.has(cur.atenaNo) && statusAfter !== 'resident')) {
      const others = [...(holders.get(r.myNumber) ?? []), ...(numberOwner.has(r.myNumber) ? [numberOwner.get(r.myNumber)!] : [])].filter((a) => a !== cur?.atenaNo);
      if (others.length) {
        fail(reject('個人番号', 'DUPLICATE_PERSON', 'この個人番号は別の人に登録されています'));
        continue;
      }
      const idx = indexes.get(r.myNumber)!;
      if (!index || !index.equals(idx)) {
        storeNumber = true;
        index = idx;
      }
    }

    // The new state, and whether anything changed.
    const nextJson = canonicalState(next);
    // Unchanged: the same canonical state and the same number (what equal state hashes mean).
    if (cur && !storeNumber && it.kind === 'full' && nextJson === jsonOf(cur) && (index === cur.index || (!!index && !!cur.index && index.equals(cur.index)))) {
      out.unchanged += 1;
      continue;
    }

    const isNew = !cur;
    if (!cur) {
      const atenaNo = r.atenaNo ?? freshAtenas.shift()!;
      cur = { atenaNo, juminhyoCode: r.juminhyoCode, integratedNo: null, state: next, json: nextJson, version: 0, effectiveDate: effective, index: null, isNew: true, touched: false, lastRunId: null };
      byAtena.set(atenaNo, cur);
    }
    if (r.juminhyoCode) byCode.set(r.juminhyoCode, cur.atenaNo);
    if (storeNumber) {
      vaultWrites.push({ subject: { subjectType: SUBJECT, subjectId: cur.atenaNo }, myNumber: r.myNumber!, blindIndex: index! });
      numberOwner.set(r.myNumber!, cur.atenaNo);
      if (!cur.integratedNo) cur.integratedNo = freshIntegrated.shift()!; // RES-07: assigned when the number first appears
      audit.push({ action: 'mynumber_store', targetType: 'mynumber', targetId: `${SUBJECT}:${cur.atenaNo}`, subjectRef: `resident:${cur.atenaNo}`, purpose: '住民基本台帳の取込', detail: { runId: run.id, rowNo: it.rowNo } });
    }
    const changed = changedFields(prev, next);
    if (storeNumber && !isNew) changed.push('個人番号');
    const olderThanCurrent = !isNew && effective < cur.effectiveDate;
    cur.version += 1;
    if (!olderThanCurrent) {
      cur.state = next;
      cur.json = nextJson;
      cur.effectiveDate = effective;
      cur.index = index;
    }
    cur.juminhyoCode = r.juminhyoCode ?? cur.juminhyoCode;
    cur.touched = true;
    if (key) wroteKey.add(key);
    versions.push({
      atenaNo: cur.atenaNo,
      version: cur.version,
      effectiveDate: effective,
      status: next.status,
      json: nextJson,
      movement: it.kind === 'diff' ? it.row.movement : null,
      movementId: it.kind === 'diff' ? it.row.movementId : null,
      notifiedOn: it.kind === 'diff' ? it.row.notifiedOn : null,
      source: it.kind === 'full' ? 'import-full' : 'import-diff',
      rowNo: it.rowNo,
      changed,
    });
    if (isNew) out.created += 1;
    else out.updated += 1;
    audit.push({
      action: isNew ? 'create' : 'update',
      targetType: 'resident',
      targetId: cur.atenaNo,
      subjectRef: `resident:${cur.atenaNo}`,
      purpose: '住民基本台帳の取込',
      detail: { runId: run.id, rowNo: it.rowNo, ...(it.kind === 'diff' ? { movement: it.row.movement } : {}), ...(changed.length ? { changed: changed.slice(0, 20) } : {}) },
    });
  }

  // ------------------------------------------------------------ write
  // One statement per table, in foreign-key order; each is built while the database runs the one before.
  const chain = new StatementChain(w);
  const touched = [...byAtena.values()].filter((c) => c.touched);
  await chain.add(personsStatement(w, run.id, touched.filter((c) => c.isNew), 'insert', jsonOf));
  await chain.add(personsStatement(w, run.id, touched.filter((c) => !c.isNew), 'update', jsonOf));
  await chain.add(versionsStatement(w, run.id, versions));
  if (vaultWrites.length) await chain.add(...Vault.storeManyStatements(await vault.keysFor(w), vaultWrites));
  await chain.add(...appendEntriesStatements(w, audit));
  await chain.done();
  // Keys this batch met but whose rows wrote nothing: staged so that a later batch knows them.
  if (!opts.fromQueue) await markSeen(w, run.id, [...met].filter((k) => !wroteKey.has(k)));
  if (queue.length) await enqueue(w, vault, run.id, queue);
  return out;
}

const PERSON_COLUMNS: readonly BulkColumn[] = [
  { name: 'atena_no', type: 'text' },
  { name: 'tenant_code', type: 'text' },
  { name: 'juminhyo_code', type: 'text' },
  { name: 'integrated_no', type: 'text' },
  { name: 'category', type: 'text' },
  { name: 'status', type: 'text' },
  { name: 'name_kanji', type: 'text' },
  { name: 'name_kana', type: 'text' },
  { name: 'search_kana', type: 'text' },
  { name: 'birth_date', type: 'date' },
  { name: 'sex', type: 'text' },
  { name: 'state', type: 'jsonb' },
  { name: 'state_hash', type: 'text', expr: "decode($, 'hex')" },
  { name: 'version', type: 'int' },
  { name: 'effective_date', type: 'date' },
  { name: 'dv_support', type: 'bool' },
  { name: 'district_code', type: 'text' },
  { name: 'household_no', type: 'text' },
  { name: 'last_run_id', type: 'uuid' },
];

/** The persons the batch touched, as one INSERT (new) or one UPDATE (known) with a column array each. */
function personsStatement(w: Work, runId: string, list: readonly Current[], how: 'insert' | 'update', jsonOf: (c: Current) => string) {
  if (list.length === 0) return null;
  const cols: ColumnValues[] = PERSON_COLUMNS.map(() => new Array<unknown>(list.length));
  list.forEach((c, i) => {
    const s = c.state;
    const json = jsonOf(c);
    const v = [c.atenaNo, null, c.juminhyoCode, c.integratedNo, s.category, s.status, s.nameKanji, s.nameKana, searchKana(s.nameKana), s.birthDate, s.sex, json, stateHashOf(json, c.index).toString('hex'), c.version, c.effectiveDate, s.dvSupport, s.districtCode, s.householdNo, null];
    for (let k = 0; k < v.length; k++) (cols[k] as unknown[])[i] = v[k];
  });
  cols[1] = { same: w.tenant };
  cols[PERSON_COLUMNS.length - 1] = { same: runId };
  if (how === 'insert') return insertStatement('municipality.persons', PERSON_COLUMNS, cols);
  return updateStatement(w.tenant, 'municipality.persons', PERSON_COLUMNS.filter((c) => c.name !== 'tenant_code'), cols.filter((_, k) => PERSON_COLUMNS[k]!.name !== 'tenant_code'));
}

interface VersionRow {
  atenaNo: string;
  version: number;
  effectiveDate: string;
  status: PersonState['status'];
  /** The state's canonical JSON. */
  json: string;
  movement: string | null;
  movementId: string | null;
  notifiedOn: string | null;
  source: 'import-full' | 'import-diff';
  rowNo: number;
  changed: string[];
}

const VERSION_COLUMNS: readonly BulkColumn[] = [
  { name: 'tenant_code', type: 'text' },
  { name: 'atena_no', type: 'text' },
  { name: 'version', type: 'int' },
  { name: 'effective_date', type: 'date' },
  { name: 'status', type: 'text' },
  { name: 'movement', type: 'text' },
  { name: 'movement_id', type: 'text' },
  { name: 'notified_on', type: 'date' },
  { name: 'source', type: 'text' },
  { name: 'import_run_id', type: 'uuid' },
  { name: 'row_no', type: 'int' },
  { name: 'state', type: 'jsonb' },
  { name: 'changed', type: 'text', expr: '$::text[]' },
  { name: 'actor', type: 'text' },
];

function versionsStatement(w: Work, runId: string, versions: readonly VersionRow[]) {
  if (versions.length === 0) return null;
  const cols: ColumnValues[] = VERSION_COLUMNS.map(() => new Array<unknown>(versions.length));
  versions.forEach((x, i) => {
    const v = [null, x.atenaNo, x.version, x.effectiveDate, x.status, x.movement, x.movementId, x.notifiedOn, x.source, null, x.rowNo, x.json, textArrayLiteral(x.changed), null];
    for (let k = 0; k < v.length; k++) (cols[k] as unknown[])[i] = v[k];
  });
  cols[0] = { same: w.tenant };
  cols[9] = { same: runId };
  cols[13] = { same: w.actor.login };
  return insertStatement('municipality.person_versions', VERSION_COLUMNS, cols);
}

/** Doubtful 住登外 registrations go to the review queue; a My Number on such a row waits in the vault. */
async function enqueue(w: Work, vault: Vault, runId: string, items: { rowNo: number; movement: MovementRow; candidates: readonly unknown[] }[]): Promise<void> {
  for (const q of items) {
    const { myNumber, ...person } = q.movement.person;
    const row = await w.tx
      .insertInto('municipality.match_queue')
      .values({
        tenant_code: w.tenant,
        source: 'residents-import',
        source_run_id: runId,
        source_row: q.rowNo,
        source_ref: q.movement.movementId,
        query: jsonb({ nameKanji: person.nameKanji, nameKana: person.nameKana, birthDate: person.birthDate, sex: person.sex, address: person.address }),
        payload: jsonb({ ...q.movement, person: { ...person, myNumber: null } } as unknown as Record<string, unknown>),
        candidates: jsonb([...q.candidates]),
        status: 'open',
      })
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (row && myNumber) await vault.storeMany(w, [{ subject: { subjectType: 'queue', subjectId: row.id }, myNumber }]);
  }
}
