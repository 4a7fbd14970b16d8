// Applying validated 住基 rows to the residents store, one batch per transaction (RES-01, RES-05..08, RES-22).
//
// A batch reads everything it needs in a handful of queries (persons by 住民票コード / 宛名番号, known movement
// ids, My Number holders through the vault's blind index, stored indexes, 4情報 candidates), decides every row
// in memory (later rows in the batch see earlier rows' effects), then writes with multi-row statements.  The
// caller commits the batch together with the run's progress, which makes a crash resumable without loss or
// duplication; the decisions themselves are idempotent (an unchanged state or an applied movement id is a
// no-op), which makes a re-import change nothing.
import type { Work } from '../../kernel/context/index.js';
import { jsonb } from '../../kernel/db/index.js';
import { appendEntries, type AuditEntry } from '../../kernel/audit/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import type { FieldError } from '../../kernel/problems/index.js';
import { MOVEMENTS, type MovementRow, type ResidentRow } from './format.js';
import { changedFields, stateFromMovement, stateFromRow, stateHash, type PersonState } from './state.js';
import { allocate } from './numbers.js';
import { firstSightings, type BatchOutcome, type RunRef } from '../intake/index.js';
import { matchFourInfo, searchKana, type MatchCandidate } from './matching.js';

export const SUBJECT = 'person';

export type BatchItem = { rowNo: number; kind: 'full'; row: ResidentRow } | { rowNo: number; kind: 'diff'; row: MovementRow };


interface Current {
  atenaNo: string;
  juminhyoCode: string | null;
  integratedNo: string | null;
  state: PersonState;
  version: number;
  effectiveDate: string;
  index: Buffer | null;
  isNew: boolean;
  /** Written by this batch. */
  touched: boolean;
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
        .select(['atena_no', 'juminhyo_code', 'integrated_no', 'state', 'version', 'effective_date'])
        .where('tenant_code', '=', w.tenant)
        .where((eb) => eb.or([...(codes.length ? [eb('juminhyo_code', 'in', codes)] : []), ...(atenas.length ? [eb('atena_no', 'in', atenas)] : [])]))
        .execute()
    : [];
  const byAtena = new Map<string, Current>();
  const byCode = new Map<string, string>();
  for (const r of existing) {
    byAtena.set(r.atena_no, { atenaNo: r.atena_no, juminhyoCode: r.juminhyo_code, integratedNo: r.integrated_no, state: r.state, version: r.version, effectiveDate: r.effective_date, index: null, isNew: false, touched: false });
    if (r.juminhyo_code) byCode.set(r.juminhyo_code, r.atena_no);
  }
  const stored = await vault.storedIndexes(w, SUBJECT, [...byAtena.keys()]);
  for (const [a, idx] of stored) byAtena.get(a)!.index = idx;

  // Keys read twice in one file are duplicates (across batches through import_seen, within the batch here).
  const keyOf = (it: BatchItem): string | null => (it.kind === 'full' ? it.row.juminhyoCode : it.row.movementId);
  const claim = opts.fromQueue ? () => true : await firstSightings(w, run.id, items.map(keyOf).filter((k): k is string => !!k));

  const movementIds = items.filter((i) => i.kind === 'diff').map((i) => (i.row as MovementRow).movementId);
  const knownMovements = new Map<string, string | null>();
  if (movementIds.length) {
    const rows = await w.tx.selectFrom('municipality.person_versions').select(['movement_id', 'import_run_id']).where('tenant_code', '=', w.tenant).where('movement_id', 'in', movementIds).execute();
    for (const r of rows) knownMovements.set(r.movement_id!, r.import_run_id);
  }

  const numbers = [...new Set(items.map((i) => person(i).myNumber).filter((n): n is string => !!n))];
  const holders = await vault.holders(w, SUBJECT, numbers);
  const indexes = new Map<string, Buffer>();
  for (const n of numbers) indexes.set(n, await vault.indexOf(w, n));

  // 住登外登録 rows without 住民票コード are matched on 4情報 against persons with the same birth date.
  const needMatch = opts.fromQueue ? [] : items.filter((i) => i.kind === 'diff' && i.row.movement === '30' && !i.row.person.juminhyoCode);
  const candidatesByBirth = new Map<string, MatchCandidate[]>();
  if (needMatch.length) {
    const births = [...new Set(needMatch.map((i) => person(i).birthDate))];
    const rows = await w.tx
      .selectFrom('municipality.persons')
      .select(['atena_no', 'juminhyo_code', 'integrated_no', 'state', 'status', 'version', 'effective_date'])
      .where('tenant_code', '=', w.tenant)
      .where('birth_date', 'in', births)
      .execute();
    const idx = await vault.storedIndexes(w, SUBJECT, rows.map((r) => r.atena_no).filter((a) => !byAtena.has(a)));
    for (const r of rows) {
      const list = candidatesByBirth.get(r.state.birthDate) ?? [];
      list.push({ atenaNo: r.atena_no, nameKanji: r.state.nameKanji, nameKana: r.state.nameKana, birthDate: r.state.birthDate, sex: r.state.sex, address: r.state.address, status: r.status, householdNo: r.state.householdNo });
      candidatesByBirth.set(r.state.birthDate, list);
      if (!byAtena.has(r.atena_no)) {
        byAtena.set(r.atena_no, { atenaNo: r.atena_no, juminhyoCode: r.juminhyo_code, integratedNo: r.integrated_no, state: r.state, version: r.version, effectiveDate: r.effective_date, index: idx.get(r.atena_no) ?? null, isNew: false, touched: false });
      }
    }
  }

  // Numbers for new persons and first-time My Numbers, allocated up front (unused ones are gaps).
  const freshAtenas = await allocate(w.tx, w.tenant, 'atena', items.filter((i) => !person(i).atenaNo && !(person(i).juminhyoCode && byCode.has(person(i).juminhyoCode!))).length);
  const freshIntegrated = await allocate(w.tx, w.tenant, 'integrated', items.filter((i) => !!person(i).myNumber).length);

  // ------------------------------------------------------------ decide each row
  const versions: Parameters<typeof insertVersions>[2] = [];
  const vaultWrites: { subject: { subjectType: string; subjectId: string }; myNumber: string }[] = [];
  const audit: AuditEntry[] = [];
  const queue: { rowNo: number; movement: MovementRow; candidates: readonly unknown[] }[] = [];
  const numberOwner = new Map<string, string>(); // numbers assigned within this batch

  for (const it of items) {
    const r = person(it);
    const fail = (errors: FieldError[]) => out.rejects.push({ rowNo: it.rowNo, errors });

    // Which person does the row speak of?
    let cur: Current | undefined;
    if (r.juminhyoCode && byCode.has(r.juminhyoCode)) cur = byAtena.get(byCode.get(r.juminhyoCode)!);
    // A 住登外 row naming its 宛名番号 (decided in the review queue) speaks of that person.
    if (!cur && !r.juminhyoCode && r.atenaNo && byAtena.has(r.atenaNo)) cur = byAtena.get(r.atenaNo);
    if (!cur && !opts.fromQueue && it.kind === 'diff' && it.row.movement === '30' && !r.juminhyoCode) {
      const m = matchFourInfo({ nameKanji: r.nameKanji, nameKana: r.nameKana, birthDate: r.birthDate, sex: r.sex, address: r.address }, candidatesByBirth.get(r.birthDate) ?? []);
      if (m.decision === 'ambiguous') {
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
    const key = opts.fromQueue ? null : keyOf(it);
    if (key && !claim(key)) {
      fail(it.kind === 'full' ? reject('住民票コード', 'DUPLICATE_IN_FILE', '同じ住民票コードの行がファイル内で重複しています') : reject('異動ID', 'DUPLICATE_IN_FILE', '同じ異動IDの行がファイル内で重複しています'));
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

    // My Number: one person per number.
    let index = cur?.index ?? null;
    let storeNumber = false;
    if (r.myNumber) {
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
    const prev = cur?.state ?? null;
    const next = it.kind === 'full' ? stateFromRow(r, prev) : stateFromMovement(it.row, prev);
    const hash = stateHash(next, index);
    const effective = it.kind === 'full' ? (r.latestMovementOn ?? run.baseDate) : it.row.movementOn;
    if (cur && !storeNumber && it.kind === 'full' && hash.equals(stateHash(cur.state, cur.index))) {
      out.unchanged += 1;
      continue;
    }

    const isNew = !cur;
    if (!cur) {
      const atenaNo = r.atenaNo ?? freshAtenas.shift()!;
      cur = { atenaNo, juminhyoCode: r.juminhyoCode, integratedNo: null, state: next, version: 0, effectiveDate: effective, index: null, isNew: true, touched: false };
      byAtena.set(atenaNo, cur);
    }
    if (r.juminhyoCode) byCode.set(r.juminhyoCode, cur.atenaNo);
    if (storeNumber) {
      vaultWrites.push({ subject: { subjectType: SUBJECT, subjectId: cur.atenaNo }, myNumber: r.myNumber! });
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
      cur.effectiveDate = effective;
      cur.index = index;
    }
    cur.juminhyoCode = r.juminhyoCode ?? cur.juminhyoCode;
    cur.touched = true;
    versions.push({
      atenaNo: cur.atenaNo,
      version: cur.version,
      effectiveDate: effective,
      state: next,
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
      detail: { runId: run.id, rowNo: it.rowNo, ...(it.kind === 'diff' ? { movement: it.row.movement } : {}), changed: changed.slice(0, 20) },
    });
  }

  // ------------------------------------------------------------ write
  const touched = [...byAtena.values()].filter((c) => c.touched);
  const added = touched.filter((c) => c.isNew);
  const old = touched.filter((c) => !c.isNew);
  for (let i = 0; i < added.length; i += 500) {
    await w.tx.insertInto('municipality.persons').values(added.slice(i, i + 500).map((c) => personRow(w.tenant, c, run.id))).execute();
  }
  for (const c of old) {
    const row = personRow(w.tenant, c, run.id);
    await w.tx
      .updateTable('municipality.persons')
      .set({ juminhyo_code: row.juminhyo_code, integrated_no: row.integrated_no, category: row.category, status: row.status, name_kanji: row.name_kanji, name_kana: row.name_kana, search_kana: row.search_kana, birth_date: row.birth_date, sex: row.sex, state: row.state, state_hash: row.state_hash, version: row.version, effective_date: row.effective_date, dv_support: row.dv_support, district_code: row.district_code, household_no: row.household_no, last_run_id: run.id })
      .where('tenant_code', '=', w.tenant)
      .where('atena_no', '=', c.atenaNo)
      .execute();
  }
  await insertVersions(w, run.id, versions);
  await vault.storeMany(w, vaultWrites);
  await appendEntries(w.tx, w, audit);
  if (queue.length) await enqueue(w, vault, run.id, queue);
  return out;
}

function personRow(tenant: string, c: Current, runId: string) {
  const s = c.state;
  return {
    tenant_code: tenant,
    atena_no: c.atenaNo,
    juminhyo_code: c.juminhyoCode,
    integrated_no: c.integratedNo,
    category: s.category,
    status: s.status,
    name_kanji: s.nameKanji,
    name_kana: s.nameKana,
    search_kana: searchKana(s.nameKana),
    birth_date: s.birthDate,
    sex: s.sex,
    state: jsonb(s),
    state_hash: stateHash(s, c.index),
    version: c.version,
    effective_date: c.effectiveDate,
    dv_support: s.dvSupport,
    district_code: s.districtCode,
    household_no: s.householdNo,
    last_run_id: runId,
  };
}

async function insertVersions(
  w: Work,
  runId: string,
  versions: { atenaNo: string; version: number; effectiveDate: string; state: PersonState; movement: string | null; movementId: string | null; notifiedOn: string | null; source: 'import-full' | 'import-diff'; rowNo: number; changed: string[] }[],
): Promise<void> {
  for (let i = 0; i < versions.length; i += 500) {
    await w.tx
      .insertInto('municipality.person_versions')
      .values(
        versions.slice(i, i + 500).map((v) => ({
          tenant_code: w.tenant,
          atena_no: v.atenaNo,
          version: v.version,
          effective_date: v.effectiveDate,
          status: v.state.status,
          movement: v.movement,
          movement_id: v.movementId,
          notified_on: v.notifiedOn,
          source: v.source,
          import_run_id: runId,
          row_no: v.rowNo,
          state: jsonb(v.state),
          changed: v.changed,
          actor: w.actor.login,
        })),
      )
      .execute();
  }
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
