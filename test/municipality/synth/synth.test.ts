// Synthetic residents (issue 3 point 6): `mamori synth residents` writes a deterministic 住基 snapshot and
// weekly movement files that pass the layout's own validator, hold together as households and as a
// sequence of movements, and look like Japan (age pyramid, names, foreign residents, addresses).
// Generated files hold synthetic My Numbers: nothing here prints their contents.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTestRangeMyNumber } from '../../../src/kernel/mynumber/index.js';
import { DIFF_COLUMNS, FULL_COLUMNS, isKatakanaName, normalizeKana } from '../../../src/municipality/residents/format.js';
import {
  AGE_BANDS,
  GIVEN_TABLE,
  MOVEMENT_HEADER,
  NATIONALITIES,
  OTHER_PLACES,
  PERSON_HEADER,
  SURNAME_TABLE,
  TENANTS,
  diffFileName,
  resolveOptions,
  SyntheticResidents,
  writeSyntheticResidents,
  type WriteResidentsSummary,
} from '../../../src/municipality/synth/index.js';
import { BUILDING_CORES, BUILDING_SUFFIXES, COMMON_TOWNS, DORM_NAMES, FACILITY_NAMES } from '../../../src/municipality/synth/data/places.js';
import { ALIAS_SURNAMES } from '../../../src/municipality/synth/factory.js';
import { halfWidthKana, kanjiNumber } from '../../../src/municipality/synth/text.js';
import { runCli } from '../../harness/cli.js';
import { checkFiles, readCsv, type CheckResult } from './check.js';

const tmp = mkdtempSync(join(tmpdir(), 'mamori-synth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

function checkRun(s: WriteResidentsSummary, encoding: 'utf8' | 'sjis'): CheckResult {
  const [full, ...diffs] = s.files;
  return checkFiles(
    readCsv(full!.path, encoding),
    full!.fileDate,
    diffs.map((f) => ({ file: readCsv(f.path, encoding), date: f.fileDate })),
  );
}

const age = (birth: string, on: string): number => {
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [y, m, d] = on.split('-').map(Number) as [number, number, number];
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
};

describe('data tables', () => {
  const cp932 = (s: string): boolean => iconv.decode(iconv.encode(s, 'cp932'), 'cp932') === s;

  it('every name, reading, place and building string round-trips through CP932', () => {
    const strings = [
      ...SURNAME_TABLE.flatMap((s) => [s.kanji, s.kana]),
      ...GIVEN_TABLE.flatMap((g) => [g.kanji, g.kana]),
      ...ALIAS_SURNAMES.flatMap((a) => [a.kanji, a.kana]),
      ...NATIONALITIES.flatMap((n) => [n.name, n.country, ...[...n.families, ...n.male, ...n.female].flatMap((x) => [x.alpha, x.kana, x.kanji ?? ''])]),
      ...Object.values(TENANTS).flatMap((t) => [t.prefecture, t.city, t.publicHousing, ...t.towns.map((x) => x.name), ...Object.values(t.districts)]),
      ...OTHER_PLACES.map((o) => o.name),
      ...COMMON_TOWNS,
      ...BUILDING_CORES,
      ...BUILDING_SUFFIXES,
      ...FACILITY_NAMES,
      ...DORM_NAMES,
      '丁目番地号室棟第－ー・　ＡＢＣ０１２３４５６７８９〇一二三四五六七八九十百千成年後見人法律事務所司法書士事務所住宅',
    ];
    const bad = strings.filter((s) => !cp932(s));
    expect(bad).toEqual([]);
  });

  it('readings are katakana as the layout requires, and 半角カナ readings normalise back', () => {
    const readings = [...SURNAME_TABLE.map((s) => s.kana), ...GIVEN_TABLE.map((g) => g.kana), ...ALIAS_SURNAMES.map((a) => a.kana), ...NATIONALITIES.flatMap((n) => [...n.families, ...n.male, ...n.female].map((x) => x.kana))];
    expect(readings.filter((k) => !isKatakanaName(k))).toEqual([]);
    expect(readings.filter((k) => normalizeKana(halfWidthKana(k)) !== k)).toEqual([]);
    expect(normalizeKana(halfWidthKana('ヴァン　パク'))).toBe('ヴァン　パク');
  });

  it('has about 300 surnames with 異体字 forms, and about 200 given names per sex across cohorts', () => {
    const bases = new Set(SURNAME_TABLE.map((s) => s.base));
    expect(bases.size).toBeGreaterThanOrEqual(290);
    const variants = SURNAME_TABLE.filter((s, i) => s.base !== i).map((s) => s.kanji);
    for (const v of ['髙橋', '山﨑', '齋藤', '渡邊', '渡邉', '澤田']) expect(variants).toContain(v);
    expect(GIVEN_TABLE.filter((g) => g.sex === 1).length).toBeGreaterThanOrEqual(180);
    expect(GIVEN_TABLE.filter((g) => g.sex === 2).length).toBeGreaterThanOrEqual(180);
    expect(Object.values(TENANTS).find((t) => t.code === '312011')!.towns.length).toBeGreaterThanOrEqual(60);
  });

  it('the header rows are the layouts of format.ts', () => {
    expect([...PERSON_HEADER]).toEqual([...FULL_COLUMNS]);
    expect([...MOVEMENT_HEADER]).toEqual([...DIFF_COLUMNS]);
  });

  it('writes numbers in kanji the way addresses do', () => {
    expect([1, 10, 15, 20, 101, 512, 1203].map(kanjiNumber)).toEqual(['一', '十', '十五', '二十', '百一', '五百十二', '千二百三']);
  });
});

describe('a synthetic municipality of 20,000 residents with 8 weeks of movements', () => {
  let s: WriteResidentsSummary;
  let c: CheckResult;
  beforeAll(() => {
    s = writeSyntheticResidents({ count: 20_000, seed: 'test-moderate', out: join(tmp, 'moderate', 'residents.csv'), diffs: 8 });
    c = checkRun(s, 'utf8');
  }, 60_000);

  it('names the files predictably, one per week, each dated the last day of its week', () => {
    expect(s.files.map((f) => f.path)).toEqual([join(tmp, 'moderate', 'residents.csv'), ...[1, 2, 3, 4, 5, 6, 7, 8].map((k) => join(tmp, 'moderate', `residents.diff-0${k}.csv`))]);
    expect(s.files.map((f) => f.fileDate)).toEqual(['2026-04-01', '2026-04-08', '2026-04-15', '2026-04-22', '2026-04-29', '2026-05-06', '2026-05-13', '2026-05-20', '2026-05-27']);
    expect(diffFileName('out/jumin.CSV', 12)).toBe('out/jumin.diff-12.csv');
    expect(diffFileName('out/jumin', 3)).toBe('out/jumin.diff-03.csv');
    for (const f of s.files) expect(existsSync(`${f.path}.partial`)).toBe(false);
    const head = readFileSync(s.files[0]!.path).subarray(0, 3);
    expect([...head]).toEqual([0xef, 0xbb, 0xbf]); // UTF-8 with BOM
    expect(readFileSync(s.files[1]!.path, 'utf8').split('\r\n').length).toBe(s.files[1]!.rows + 2); // CRLF, header, final newline
  });

  it('every row passes the layout validator (validatePerson / validateMovement, checkHeader) and the household, date and movement rules', () => {
    expect(c.problems).toEqual([]);
    expect(c.snapshot.length).toBe(20_000);
  });

  it('has an age pyramid like Japan (人口推計, by five-year band)', () => {
    const total = AGE_BANDS.reduce((n, [, m, f]) => n + m + f, 0);
    const share = (lo: number, hi: number): number => AGE_BANDS.filter(([from]) => from >= lo && from <= hi).reduce((n, [, m, f]) => n + m + f, 0) / total;
    const ages = c.snapshot.map((p) => age(p.birthDate, '2026-04-01'));
    const got = (lo: number, hi: number): number => ages.filter((a) => a >= lo && a <= hi).length / ages.length;
    expect(Math.abs(got(65, 200) - share(65, 100))).toBeLessThan(0.005);
    expect(Math.abs(got(0, 14) - share(0, 10))).toBeLessThan(0.005);
    for (const [from] of AGE_BANDS) expect(Math.abs(got(from, from === 100 ? 200 : from + 4) - share(from, from))).toBeLessThan(0.003);
    // More women than men among the old, as in the source.
    const old = c.snapshot.filter((p) => age(p.birthDate, '2026-04-01') >= 85);
    expect(old.filter((p) => p.sex === 'female').length / old.length).toBeGreaterThan(0.6);
  });

  it('has about 3% foreign residents, with 国籍, names, 在留資格 and 通称', () => {
    const foreign = c.snapshot.filter((p) => p.residentKind === 'foreign');
    expect(foreign.length / c.snapshot.length).toBeGreaterThan(0.025);
    expect(foreign.length / c.snapshot.length).toBeLessThan(0.036);
    const nations = new Set(foreign.map((p) => p.nationality));
    for (const n of ['中国', 'ベトナム', '韓国', 'フィリピン', 'ネパール', 'ブラジル']) expect(nations).toContain(n);
    expect(foreign.filter((p) => p.nameUsage === 'alias').length).toBeGreaterThan(0);
    expect(foreign.filter((p) => p.residenceStatus === '特別永住者').length).toBeGreaterThan(0);
    expect(foreign.every((p) => p.alphabetName && /^[A-Z -]+$/.test(p.alphabetName))).toBe(true);
  });

  it('gives valid test-range My Numbers to most people, never twice', () => {
    const numbers = [...c.snapshot, ...c.movements.flat().map((m) => m.person)].map((p) => p.myNumber).filter((n): n is string => n !== null);
    expect(numbers.every(isTestRangeMyNumber)).toBe(true);
    const own = c.snapshot.filter((p) => p.myNumber).length / c.snapshot.length;
    expect(own).toBeGreaterThan(0.95);
    expect(own).toBeLessThan(1);
    // One number per person: the same number only ever belongs to one 住民票コード.
    const owner = new Map<string, string | null>();
    for (const p of [...c.snapshot, ...c.movements.flat().map((m) => m.person)]) {
      if (!p.myNumber) continue;
      const prev = owner.get(p.myNumber);
      if (prev !== undefined) expect(prev).toBe(p.juminhyoCode);
      owner.set(p.myNumber, p.juminhyoCode);
    }
  });

  it('writes names and addresses in the mixed notations real ledgers hold', () => {
    const people = c.snapshot;
    expect(people.filter((p) => /[髙﨑齋齊邊邉澤濱櫻廣]/.test(p.nameKanji)).length).toBeGreaterThan(50);
    expect(people.filter((p) => !/[\u3000]/.test(p.nameKanji)).length).toBeGreaterThan(100); // no space or a half-width one (folded to 全角 by the validator)
    const addresses = people.map((p) => p.address);
    expect(addresses.some((a) => /[０-９]+番地/.test(a))).toBe(true);
    expect(addresses.some((a) => /\d+-\d+-\d+$/.test(a))).toBe(true);
    expect(addresses.some((a) => /[一二三四五六七八九]丁目[一二三四五六七八九十]+番/.test(a))).toBe(true);
    expect(addresses.some((a) => /番地の[０-９]+$/.test(a))).toBe(true);
    expect(addresses.some((a) => a.startsWith('鳥取市'))).toBe(true);
    expect(addresses.every((a) => a.startsWith('鳥取県鳥取市') || a.startsWith('鳥取市'))).toBe(true);
    expect(people.some((p) => p.katagaki && /号室$/.test(p.katagaki))).toBe(true);
    expect(people.some((p) => p.postalCode === null)).toBe(true);
    expect(new Set(people.map((p) => p.districtCode)).size).toBeGreaterThan(10);
  });

  it('has a few 支援措置, 閲覧制限 and 送付先', () => {
    const dv = c.snapshot.filter((p) => p.dvSupport).length;
    expect(dv).toBeGreaterThan(3);
    expect(dv).toBeLessThan(100);
    expect(c.snapshot.filter((p) => p.viewingRestricted).length).toBeGreaterThanOrEqual(dv);
    expect(c.snapshot.filter((p) => p.mailingAddress).length).toBeGreaterThan(50);
    expect(c.snapshot.filter((p) => p.dvSupport && p.mailingAddress).length).toBe(0);
  });

  it('moves people at plausible weekly volumes, with every movement type', () => {
    const codes = new Set(c.movements.flat().map((m) => m.movement));
    for (const code of ['01', '02', '03', '10', '11', '12', '13', '20', '21', '22', '23', '30']) expect(codes).toContain(code);
    const per = (code: string): number => c.movements.flat().filter((m) => m.movement === code).length / 8;
    // 20,000 people: about 5 deaths, 2 births and 15 people moving out a week (12.9 and 5.6 per 1,000 a year, ~4%).
    expect(per('12')).toBeGreaterThan(2);
    expect(per('12')).toBeLessThan(10);
    expect(per('02')).toBeGreaterThan(0.5);
    expect(per('02')).toBeLessThan(6);
    expect(per('10')).toBeGreaterThan(6);
    expect(per('10')).toBeLessThan(40);
    expect(per('01')).toBeGreaterThan(6);
    expect(per('01')).toBeLessThan(40);
    // Births go to households with a mother of a fitting age.
    for (const b of c.movements.flat().filter((m) => m.movement === '02')) expect(['子', '孫']).toContain(b.person.relationship);
    // Deaths are mostly of the old.
    const deaths = c.movements.flat().filter((m) => m.movement === '12');
    expect(deaths.filter((d) => age(d.person.birthDate, d.movementOn) >= 65).length / deaths.length).toBeGreaterThan(0.7);
  });
});

describe('determinism and encodings', () => {
  const run = (dir: string, seed: string, encoding: 'utf8' | 'sjis' = 'utf8') => writeSyntheticResidents({ count: 3000, seed, out: join(tmp, dir, 'r.csv'), diffs: 3, encoding });

  it('the same arguments give byte-identical files; another seed gives others', () => {
    const a = run('det-a', 'same');
    const b = run('det-b', 'same');
    expect(a.files.map((f) => sha(f.path))).toEqual(b.files.map((f) => sha(f.path)));
    expect(a.files.map((f) => f.sha256)).toEqual(a.files.map((f) => sha(f.path)));
    expect(a.contentHash).toBe(b.contentHash);
    const other = run('det-c', 'other');
    expect(other.contentHash).not.toBe(a.contentHash);
    expect(sha(other.files[0]!.path)).not.toBe(sha(a.files[0]!.path));
  });

  it('Shift_JIS (CP932) holds exactly the UTF-8 text, 異体字 included, and every row validates', () => {
    const u = run('enc-u', 'enc');
    const j = run('enc-j', 'enc', 'sjis');
    expect(checkRun(j, 'sjis').problems).toEqual([]);
    for (let i = 0; i < u.files.length; i++) {
      const utf8 = readFileSync(u.files[i]!.path, 'utf8').replace(/^\uFEFF/, '');
      const raw = readFileSync(j.files[i]!.path);
      expect(raw[0]).not.toBe(0xef); // no BOM
      expect(iconv.decode(raw, 'cp932')).toBe(utf8);
    }
    expect(readFileSync(u.files[0]!.path, 'utf8')).toMatch(/[髙﨑]/);
  });

  it('pre-assigns 宛名番号 on request (default: empty, Mamori assigns)', () => {
    const plain = checkRun(run('atena-0', 'atena'), 'utf8');
    expect(plain.snapshot.every((p) => p.atenaNo === null)).toBe(true);
    const s = writeSyntheticResidents({ count: 3000, seed: 'atena', out: join(tmp, 'atena-1', 'r.csv'), diffs: 3, atena: true });
    const c = checkRun(s, 'utf8');
    expect(c.problems).toEqual([]);
    const numbers = [...c.snapshot.map((p) => p.atenaNo), ...c.movements.flat().map((m) => m.person.atenaNo)];
    expect(numbers.every((n) => n !== null && /^\d{10}$/.test(n))).toBe(true);
    expect(new Set(c.snapshot.map((p) => p.atenaNo)).size).toBe(c.snapshot.length);
    // Apart from the 宛名番号, the files are those of the plain run.
    const digest = (rows: unknown[]): string => createHash('sha256').update(JSON.stringify(rows)).digest('hex');
    expect(digest(c.snapshot.map((p) => ({ ...p, atenaNo: null })))).toBe(digest(plain.snapshot));
  });

  it('exposes the identifiers of each person to later generators, matching the files', () => {
    const s = run('person-a', 'person');
    const c = checkRun(s, 'utf8');
    const gen = new SyntheticResidents({ count: 3000, seed: 'person' });
    for (const _ of gen.snapshot()) void _;
    for (let k = 0; k < 3; k++) gen.nextWeek();
    const people = Array.from({ length: gen.size }, (_, i) => gen.person(i));
    const fromFiles = new Map([...c.snapshot, ...c.movements.flat().map((m) => m.person)].filter((p) => p.juminhyoCode).map((p) => [p.juminhyoCode!, p]));
    const byCode = new Map(people.filter((p) => p.juminhyoCode).map((p) => [p.juminhyoCode!, p]));
    expect(byCode.size).toBe(fromFiles.size);
    for (const [code, row] of fromFiles) {
      const p = byCode.get(code)!;
      expect(p.birthDate).toBe(row.birthDate);
      expect(p.myNumber === row.myNumber).toBe(true);
    }
    expect(people.filter((p) => p.status === 'resident').length).toBe(s.final.residents);
    expect(() => gen.person(gen.size)).toThrow(RangeError);
  });

  it('writes addresses of the other supported municipalities (江戸川区, 仙台市)', () => {
    for (const [tenant, prefix] of [['131237', '江戸川区'], ['041009', '仙台市']] as const) {
      const s = writeSyntheticResidents({ count: 800, seed: 'tenant', out: join(tmp, `t-${tenant}`, 'r.csv'), diffs: 2, tenant });
      const c = checkRun(s, 'utf8');
      expect(c.problems).toEqual([]);
      expect(c.snapshot.every((p) => p.address.includes(prefix))).toBe(true);
      expect(c.snapshot.every((p) => p.districtCode! in TENANTS[tenant]!.districts)).toBe(true);
    }
  });
});

describe('mamori synth residents (CLI)', () => {
  it('writes the files and prints what it wrote; the same arguments print the same content hash', async () => {
    const args = (dir: string) => ['synth', 'residents', '--count', '1500', '--seed', 'cli', '--out', join(tmp, dir, 'jumin.csv'), '--diffs', '2', '--encoding', 'sjis', '--json'];
    // The summary carries SHA-256 digests, which can look like number runs: kept out of the CLI log.
    const a = await runCli(args('cli-a'), { withholdStdout: true });
    expect(a.code).toBe(0);
    expect(a.stderr).toBe('');
    const sa = JSON.parse(a.stdout) as WriteResidentsSummary & { encoding: string };
    expect(sa.encoding).toBe('sjis');
    expect(sa.files.map((f) => f.path)).toEqual(['jumin.csv', 'jumin.diff-01.csv', 'jumin.diff-02.csv'].map((f) => join(tmp, 'cli-a', f)));
    expect(sa.files.map((f) => f.sha256)).toEqual(sa.files.map((f) => sha(f.path)));
    expect(sa.snapshot.residents).toBe(1500);
    const b = await runCli(args('cli-b'), { withholdStdout: true });
    expect((JSON.parse(b.stdout) as WriteResidentsSummary).contentHash).toBe(sa.contentHash);
    const human = await runCli(['synth', 'residents', '--count', '200', '--seed', 'cli', '--out', join(tmp, 'cli-c', 'r.csv')], { withholdStdout: true });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('合成住民 200人');
    expect(human.stdout).toContain('内容ハッシュ');
  });

  it('refuses bad options with exit 2 and names the option', async () => {
    const base = ['synth', 'residents', '--out', join(tmp, 'bad', 'r.csv')];
    const cases: [string[], string][] = [
      [['--count', 'ten'], 'count'],
      [['--count', '10', '--tenant', '131016'], 'TENANT_UNSUPPORTED'],
      [['--count', '10', '--encoding', 'latin1'], 'encoding'],
    ];
    for (const [extra, field] of cases) {
      const r = await runCli([...base, ...extra]);
      expect(r.code, extra.join(' ')).toBe(2);
      expect(r.stderr, extra.join(' ')).toContain(field);
      expect(r.stdout).toBe('');
    }
    expect(existsSync(join(tmp, 'bad', 'r.csv'))).toBe(false);
    // The same checks in-process (the CLI maps a Problem with status 400 to exit 2).
    const bad: [Parameters<typeof resolveOptions>[0], string][] = [
      [{ count: 0, seed: 's' }, 'count'],
      [{ count: 10, seed: '' }, 'seed'],
      [{ count: 10, seed: 's', tenant: '312012' }, 'tenant'],
      [{ count: 10, seed: 's', start: '2026-02-30' }, 'start'],
    ];
    for (const [o, field] of bad) expect(() => resolveOptions(o), field).toThrow(expect.objectContaining({ status: 400, errors: [expect.objectContaining({ field })] }));
    expect(() => writeSyntheticResidents({ count: 10, seed: 's', out: join(tmp, 'bad', 'r.csv'), diffs: 100 })).toThrow(RangeError);
  });
});
