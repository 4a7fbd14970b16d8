// Reads generated 住基 files back and checks them the way the importer and a careful reviewer would:
// the layout's own validator (format.ts) on every row, then the household, date and movement rules the
// generator promises.  Returns problems as short strings that never quote a My Number.
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { checkHeader, validateMovement, validatePerson, type MovementRow, type ResidentRow } from '../../../src/municipality/residents/format.js';

export interface ParsedFile {
  readonly header: string[];
  readonly records: Record<string, string>[];
}

export function readCsv(path: string, encoding: 'utf8' | 'sjis'): ParsedFile {
  const buf = readFileSync(path);
  const text = encoding === 'utf8' ? buf.toString('utf8').replace(/^\uFEFF/, '') : iconv.decode(buf, 'cp932');
  const rows = parse(text, { relax_column_count: false }) as string[][];
  const header = rows[0]!;
  const records = rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? ''])));
  return { header, records };
}

export interface Person {
  code: string;
  row: ResidentRow;
}

export interface CheckResult {
  readonly problems: string[];
  readonly snapshot: ResidentRow[];
  readonly movements: MovementRow[][];
}

const age = (birth: string, on: string): number => {
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = on.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
};

const surname = (name: string): string => name.split(/[\u3000 ]/)[0]!;

/** Checks a snapshot and its diff files (in week order).  `dates` are the files' dates (YYYY-MM-DD). */
export function checkFiles(full: ParsedFile, fullDate: string, diffs: readonly { file: ParsedFile; date: string }[]): CheckResult {
  const problems: string[] = [];
  const say = (s: string): void => {
    if (problems.length < 200) problems.push(s);
  };
  for (const e of checkHeader('full', full.header)) say(`full header: ${e.code} ${e.field}`);
  const snapshot: ResidentRow[] = [];
  full.records.forEach((r, i) => {
    const v = validatePerson(r, fullDate);
    if (!v.ok) say(`full row ${i + 2}: ${v.errors.map((e) => `${e.field}:${e.code}`).join(' ')}`);
    else snapshot.push(v.value);
  });
  checkSnapshot(snapshot, fullDate, say);

  // Movements, applied in order to the state the snapshot describes.
  const state = new Map<string, { status: 'resident' | 'leaving' | 'gone'; latestOn: string | null; row: ResidentRow }>();
  for (const p of snapshot) state.set(p.juminhyoCode!, { status: p.latestMovement === '10' ? 'leaving' : 'resident', latestOn: p.latestMovementOn, row: p });
  const ids = new Set<string>();
  const movements: MovementRow[][] = [];
  for (const { file, date } of diffs) {
    for (const e of checkHeader('diff', file.header)) say(`diff ${date} header: ${e.code} ${e.field}`);
    const week: MovementRow[] = [];
    file.records.forEach((r, i) => {
      const v = validateMovement(r, date);
      if (!v.ok) {
        say(`diff ${date} row ${i + 2}: ${v.errors.map((e) => `${e.field}:${e.code}`).join(' ')}`);
        return;
      }
      const m = v.value;
      week.push(m);
      const where = `diff ${date} row ${i + 2} (${m.movement})`;
      if (ids.has(m.movementId)) say(`${where}: 異動ID repeated`);
      ids.add(m.movementId);
      const p = m.person;
      if (p.latestMovement !== m.movement) say(`${where}: 最新異動区分 is not the movement`);
      if (m.movement !== '10' && m.movementOn > date) say(`${where}: 異動日 after the file date`);
      if (m.notifiedOn && m.notifiedOn > date) say(`${where}: 届出日 after the file date`);
      if (m.movement === '30') {
        if (p.becameResidentOn) say(`${where}: 住登外者 with 住民となった日`);
        if (p.juminhyoCode && state.get(p.juminhyoCode)?.status === 'resident') say(`${where}: 住登外登録 of a resident`);
        return;
      }
      const code = p.juminhyoCode!;
      const before = state.get(code);
      if (m.movement === '01' || m.movement === '02' || m.movement === '03') {
        if (before && before.status !== 'gone') say(`${where}: new resident already resident`);
        if (p.becameResidentOn !== m.movementOn) say(`${where}: 住民となった日 is not the 異動日`);
        if (m.movement === '02' && p.birthDate !== m.movementOn) say(`${where}: birth 異動日 is not the birth date`);
        state.set(code, { status: 'resident', latestOn: m.movementOn, row: p });
        return;
      }
      if (!before) {
        say(`${where}: unknown person`);
        return;
      }
      if (before.status === 'gone') say(`${where}: movement of someone gone`);
      if (m.movement === '11') {
        if (before.status !== 'leaving') say(`${where}: 転出確定 without 転出予定`);
        if (before.latestOn !== m.movementOn) say(`${where}: 転出確定 on another day than planned`);
      } else if (before.status === 'leaving') say(`${where}: movement of someone leaving`);
      if (m.movement !== '11' && before.latestOn && m.movementOn < before.latestOn) say(`${where}: 異動日 before the previous movement`);
      if (p.birthDate !== before.row.birthDate) say(`${where}: birth date changed`);
      if (m.movement !== '21' && p.nameKana !== before.row.nameKana && p.residentKind === 'japanese') say(`${where}: name changed without 氏名変更`);
      if (m.movement === '21' && p.nameKanji === before.row.nameKanji) say(`${where}: 氏名変更 without a new name`);
      if (m.movement === '20' && p.address === before.row.address && p.katagaki === before.row.katagaki) say(`${where}: 転居 to the same address`);
      let status: 'resident' | 'leaving' | 'gone' = 'resident';
      if (m.movement === '10') {
        status = 'leaving';
        if (!p.nextAddress) say(`${where}: 転出予定 without 転出先住所`);
      }
      if (m.movement === '11' || m.movement === '12' || m.movement === '13') {
        status = 'gone';
        const reason = { '11': ['転出', '国外転出'], '12': ['死亡'], '13': ['職権消除'] }[m.movement];
        if (p.ceasedOn !== m.movementOn || !reason.includes(p.ceasedReason ?? '')) say(`${where}: 住民でなくなった日/消除事由 do not match`);
      } else if (p.ceasedOn) say(`${where}: 住民でなくなった日 on a resident`);
      state.set(code, { status, latestOn: m.movementOn, row: p });
    });
    movements.push(week);
  }
  return { problems, snapshot, movements };
}

function checkSnapshot(rows: readonly ResidentRow[], date: string, say: (s: string) => void): void {
  const codes = new Set<string>();
  const numbers = new Set<string>();
  const households = new Map<string, ResidentRow[]>();
  for (const p of rows) {
    if (!p.juminhyoCode) say('snapshot: resident without 住民票コード');
    else if (codes.has(p.juminhyoCode)) say('snapshot: 住民票コード repeated');
    else codes.add(p.juminhyoCode);
    if (p.myNumber) {
      if (numbers.has(p.myNumber)) say('snapshot: My Number repeated');
      numbers.add(p.myNumber);
    }
    if (p.ceasedOn) say('snapshot: a former resident in the snapshot');
    if (!p.becameResidentOn || !p.latestMovementOn) say('snapshot: 住民となった日 or 最新異動日 missing');
    else if (p.latestMovementOn < p.becameResidentOn) say('snapshot: 最新異動日 before 住民となった日');
    if (p.latestNotifiedOn && p.latestNotifiedOn > date) say('snapshot: 最新届出日 after the snapshot');
    if (p.latestMovement !== '10' && p.latestMovementOn && p.latestMovementOn > date) say('snapshot: 最新異動日 after the snapshot');
    if (p.residentKind === 'foreign') {
      if (!p.alphabetName || !p.realName || !p.residenceStatus) say('snapshot: foreign resident without names or status');
      const permanent = p.residenceStatus === '永住者' || p.residenceStatus === '特別永住者';
      if (permanent !== (p.stayUntil === null)) say(`snapshot: 在留期間満了日 does not fit ${p.residenceStatus}`);
      if (p.stayUntil && p.stayUntil <= date) say('snapshot: 在留期間 already expired');
      if (p.becameResidentOn && p.becameResidentOn < '2012-07-09') say('snapshot: foreign resident before 2012-07-09');
      if (p.nameUsage === 'alias' && !p.aliasName) say('snapshot: 通称 used but missing');
    }
    const list = households.get(p.householdNo ?? '');
    if (list) list.push(p);
    else households.set(p.householdNo ?? '', [p]);
  }
  for (const [no, members] of households) {
    const heads = members.filter((m) => m.relationship === '世帯主');
    if (heads.length !== 1) {
      say(`household ${no}: ${heads.length} 世帯主`);
      continue;
    }
    const head = heads[0]!;
    for (const m of members) {
      if (m.address !== head.address || m.katagaki !== head.katagaki || m.postalCode !== head.postalCode) say(`household ${no}: members at different addresses`);
      if (m.householderName !== head.nameKanji) say(`household ${no}: 世帯主氏名 is not the 世帯主's name`);
    }
    const parents = members.filter((m) => m.relationship === '世帯主' || m.relationship === '妻' || m.relationship === '夫');
    const spouse = members.find((m) => m.relationship === '妻' || m.relationship === '夫');
    if (spouse && Math.abs(age(head.birthDate, date) - age(spouse.birthDate, date)) > 16) say(`household ${no}: spouses ${Math.abs(age(head.birthDate, date) - age(spouse.birthDate, date))} years apart`);
    if (spouse && spouse.sex === head.sex) say(`household ${no}: spouses of the same sex`);
    if (spouse && head.residentKind === 'japanese' && spouse.residentKind === 'japanese' && surname(head.nameKana) !== surname(spouse.nameKana)) say(`household ${no}: spouses with different surnames`);
    for (const c of members.filter((m) => m.relationship === '子')) {
      // A child is born to a parent (世帯主 or spouse) 16–50 years older.
      if (!parents.some((p) => p !== c && age(p.birthDate, c.birthDate) >= 16 && age(p.birthDate, c.birthDate) <= 50)) say(`household ${no}: a 子 with no parent of a fitting age`);
      if (c.residentKind === 'japanese' && !parents.some((p) => p.residentKind === 'japanese' && surname(p.nameKana) === surname(c.nameKana)) && parents.some((p) => p.residentKind === 'japanese'))
        say(`household ${no}: a 子 with a surname of no parent`);
    }
    const kids = members.filter((m) => m.relationship === '子').map((m) => m.birthDate).sort();
    for (let i = 1; i < kids.length; i++) {
      const gap = (Date.parse(kids[i]!) - Date.parse(kids[i - 1]!)) / 86_400_000;
      if (gap > 0 && gap < 280) say(`household ${no}: siblings born ${gap} days apart`);
    }
    for (const m of members) {
      if (m.relationship === '父' || m.relationship === '母') {
        if (age(m.birthDate, head.birthDate) < 16) say(`household ${no}: a ${m.relationship} younger than 16 years older than the 世帯主`);
      }
    }
  }
}
