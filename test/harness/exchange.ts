// A world for the exchange tests (issue 11): two municipalities, a child with three Hib doses in 鳥取市 who
// moved to 江戸川区 (real 住基 movement files through the real imports), every organisation running on its
// own loopback port, 住基ネット told of both cities' residents, 符号 acquired, 鳥取市's 副本 registered.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { startOrganisations, exchangeReady, type Organisations } from '../../src/app/index.js';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { createRecord } from '../../src/municipality/records/index.js';
import { registerCopies, type CopyReport } from '../../src/municipality/exchange/index.js';
import { buildWebServer } from '../../src/web/index.js';
import { addTenant, EDOGAWA, operatorOf, staff, testApp, TOTTORI, type TestApp } from './app.js';
import { person, writeCsv } from './residents.js';
import { TEST_TODAY } from './clock.js';

export const CHILD = 7;
export const CHILD_BIRTH = addDaysIso(TEST_TODAY, -400); // about 13 months old
export const CHILD_DOSES = [
  { product: 'hib', program: 'hib', dose: 1, at: 70 },
  { product: 'hib', program: 'hib', dose: 2, at: 100 },
  { product: 'hib', program: 'hib', dose: 3, at: 130 },
] as const;

/**
 * With `moveInWorld({ covid: true })` (the VRS tests, decision 0140): an older resident who also moved from
 * 鳥取市 to 江戸川区, with COVID-19 doses (特例臨時接種 and 高齢者等) and one influenza dose in 鳥取市.  The
 * child stays as it is (three Hib doses, no COVID-19 dose: it was born after the 特例臨時接種 ended).
 */
export const ELDER = CHILD + 2;
export const ELDER_BIRTH = '1955-05-05';
export const ELDER_DOSES = [
  { product: 'covid19-comirnaty', program: 'covid19-special', dose: 1, date: '2021-06-10' },
  { product: 'covid19-comirnaty', program: 'covid19-special', dose: 2, date: '2021-07-01' },
  { product: 'covid19-spikevax', program: 'covid19-special', dose: 3, date: '2022-01-20' },
  { product: 'influenza', program: 'influenza-elderly', dose: 1, date: '2025-11-04' },
  { product: 'covid19-comirnaty', program: 'covid19-elderly', dose: 1, date: '2025-10-15' },
] as const;

export interface MoveInWorld {
  readonly app: TestApp;
  readonly orgs: Organisations;
  /** The staff web server's URL (the municipality node). */
  readonly webUrl: string;
  readonly nurseTottori: Principal;
  readonly nurseEdogawa: Principal;
  readonly clerkAddressee: Principal;
  readonly auditor: Principal;
  /** The child's 宛名番号 in 江戸川区 (after the move) and in 鳥取市. */
  readonly movedAtena: string;
  readonly formerAtena: string;
  /** With `covid`: the older resident's 宛名番号 in 江戸川区 and in 鳥取市. */
  readonly elderAtena?: string;
  readonly elderFormerAtena?: string;
  readonly firstCopies: CopyReport;
  close(): Promise<void>;
}

const ymd = (iso: string) => iso.replaceAll('-', '');

export async function moveInWorld(opts: { covid?: boolean } = {}): Promise<MoveInWorld> {
  const app = await testApp('server');
  const dir = mkdtempSync(join(tmpdir(), 'mamori-xworld-'));
  await addTenant(app, TOTTORI, '鳥取市');
  await addTenant(app, EDOGAWA, '江戸川区');
  const nurseTottori = (await staff(app, TOTTORI, { login: 'nurse-t', role: 'nurse', duties: ['vaccination', 'addressee'] })).principal;
  const nurseEdogawa = (await staff(app, EDOGAWA, { login: 'nurse-e', role: 'nurse', duties: ['vaccination', 'addressee'] })).principal;
  const clerkAddressee = (await staff(app, EDOGAWA, { login: 'clerk-e', role: 'clerk', duties: ['addressee'] })).principal;
  const auditor = (await staff(app, EDOGAWA, { login: 'audit-e', role: 'auditor', duties: ['audit-review'] })).principal;
  const born = { 生年月日: ymd(CHILD_BIRTH), 住民となった日: ymd(CHILD_BIRTH), 最新異動日: ymd(CHILD_BIRTH) };
  const elderBorn = { 生年月日: ymd(ELDER_BIRTH), 住民となった日: ymd(ELDER_BIRTH), 最新異動日: ymd(ELDER_BIRTH), 続柄: '世帯主', 性別: '1' };
  await importResidents(app, operatorOf(TOTTORI), {
    file: writeCsv(join(dir, 't.csv'), 'full', [person(CHILD, born), person(CHILD + 1, born), ...(opts.covid ? [person(ELDER, elderBorn)] : [])]),
    kind: 'full',
  });
  const atenaIn = async (tenant: string, i = CHILD) =>
    (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons WHERE tenant_code = ${tenant} AND juminhyo_code = ${person(i)['住民票コード']!}`.execute(app.db.system)).rows[0]!.atena_no;
  const formerAtena = await atenaIn(TOTTORI);
  for (const d of CHILD_DOSES) {
    await runAs(app.db, nurseTottori, (w) => createRecord(w, formerAtena, { product: d.product, program: d.program, dose: d.dose, vaccinatedOn: addDaysIso(CHILD_BIRTH, d.at), lot: `LOT${d.dose}` }, { source: 'staff' }));
  }
  const elderFormerAtena = opts.covid ? await atenaIn(TOTTORI, ELDER) : undefined;
  if (elderFormerAtena) {
    for (const d of ELDER_DOSES) {
      await runAs(app.db, nurseTottori, (w) => createRecord(w, elderFormerAtena, { product: d.product, program: d.program, dose: d.dose, vaccinatedOn: d.date, lot: `C${d.date.replaceAll('-', '')}` }, { source: 'staff' }));
    }
  }
  // The neighbour has a BCG dose from a 母子健康手帳 without its date: the 副本 carries it without a date.
  const neighbour = (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons WHERE tenant_code = ${TOTTORI} AND juminhyo_code = ${person(CHILD + 1)['住民票コード']!}`.execute(app.db.system)).rows[0]!.atena_no;
  await runAs(app.db, nurseTottori, (w) => createRecord(w, neighbour, { product: 'bcg', program: 'bcg', dateUnknown: true }, { source: 'counter' }));
  // It moves to 江戸川区: 転出確定 in 鳥取市, 転入 (with the 転入前住所) in 江戸川区.
  const moved = addDaysIso(TEST_TODAY, -10);
  const movers: [number, Record<string, string>, string][] = [[CHILD, born, '1'], ...(opts.covid ? [[ELDER, elderBorn, '2'] as [number, Record<string, string>, string]] : [])];
  await importResidents(app, operatorOf(TOTTORI), {
    file: writeCsv(join(dir, 'out.csv'), 'diff', movers.map(([i, b, n]) => ({ ...person(i, b), 異動ID: `M-OUT-${n}`, 異動区分: '11', 異動日: ymd(moved), 届出日: ymd(moved), 住民でなくなった日: ymd(moved), 消除事由: '転出', 転出先住所: '東京都江戸川区中央一丁目2番3号', 最新異動区分: '11', 最新異動日: ymd(moved) }))),
    kind: 'diff',
  });
  await importResidents(app, operatorOf(EDOGAWA), {
    file: writeCsv(join(dir, 'in.csv'), 'diff', movers.map(([i, b, n]) => ({ ...person(i, b), 異動ID: `M-IN-${n}`, 異動区分: '01', 異動日: ymd(moved), 届出日: ymd(moved), 住所: '東京都江戸川区中央一丁目2番3号', 郵便番号: '132-0021', 住民となった日: ymd(moved), 転入前住所: '鳥取県鳥取市尚徳町116番地', 最新異動区分: '01', 最新異動日: ymd(moved) }))),
    kind: 'diff',
  });
  const movedAtena = await atenaIn(EDOGAWA);
  const elderAtena = opts.covid ? await atenaIn(EDOGAWA, ELDER) : undefined;
  const orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0, municipalityServer: (exchange) => buildWebServer(app, { secureCookies: false, loginRateLimitPerMinute: 1000, exchange }) });
  for (const t of [TOTTORI, EDOGAWA]) await exchangeReady(app, orgs, t, operatorOf(t));
  const firstCopies = await registerCopies(app.db, operatorOf(TOTTORI), orgs.municipal);
  return {
    app,
    orgs,
    webUrl: orgs.nodes.find((n) => n.name === 'municipality')!.url,
    nurseTottori,
    nurseEdogawa,
    clerkAddressee,
    auditor,
    movedAtena,
    formerAtena,
    ...(elderAtena ? { elderAtena, elderFormerAtena } : {}),
    firstCopies,
    async close() {
      await orgs.close();
      await app.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
