// A world for the platform tests (issue 12), every organisation real and on its own loopback port: 鳥取市 with
// two families (a parent with an infant, and another infant with its parent), an extraction run for Hib with
// its 接種券, 鳥取市 as 国保 insurer known to 支払基金, a platform contract for 鳥取市, and synthetic My Number
// cards (real X.509 from the synthetic 公的個人認証サービス) for the parents and the children.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import { startOrganisations, type Organisations } from '../../src/app/index.js';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { addDaysIso, luhnCheckDigit } from '../../src/kernel/jp/index.js';
import { generateInitialPassword } from '../../src/kernel/access/index.js';
import { signChallenge, type CardFile } from '../../src/kernel/jpki/index.js';
import { startExtraction } from '../../src/municipality/extraction/index.js';
import { createBatchFromRun, saveNoticeSettings } from '../../src/municipality/notices/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { enrollInsured, issueCard, platformJobPrincipal, type PlatformDeps } from '../../src/municipality/platform/index.js';
import { addClinicAccount, addContract, addInstitution, addTenant as addPlatformTenant, PLATFORM_ROLE } from '../../src/platform/index.js';
import { buildWebServer } from '../../src/web/index.js';
import { clinicPages } from '../../src/web/clinic/index.js';
import { portalPages } from '../../src/web/portal/index.js';
import { registryPages } from '../../src/web/registry/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from './app.js';
import { TEST_TODAY } from './clock.js';
import { person, writeCsv } from './residents.js';

export const PIN = '1234';
const ymd = (iso: string) => iso.replaceAll('-', '');

/** Index of each person in the residents file (person(i) gives 住民票コード and My Number). */
export const WHO = { parent: 41, child: 42, otherParent: 43, otherChild: 44 } as const;
export type Who = keyof typeof WHO;
export const CHILD_BIRTH = addDaysIso(TEST_TODAY, -100);

export interface PlatformWorld {
  readonly app: TestApp;
  readonly orgs: Organisations;
  readonly nurse: Principal;
  readonly nursePassword: string;
  readonly nurseLogin: string;
  readonly platformDb: Kysely<UntypedDatabase>;
  readonly deps: PlatformDeps;
  readonly runId: string;
  readonly atena: Record<Who, string>;
  readonly cards: Record<Who, CardFile>;
  readonly url: { staff: string; portal: string; platform: string; registry: string };
  readonly dir: string;
  sign(card: CardFile, challenge: string): Promise<{ certPem: string; signature: string }>;
  close(): Promise<void>;
}

export async function platformWorld(): Promise<PlatformWorld> {
  const app = await testApp('server');
  const dir = mkdtempSync(join(tmpdir(), 'mamori-pworld-'));
  await addTenant(app, TOTTORI, '鳥取市');
  const n = await staff(app, TOTTORI, { login: 'nurse-p', role: 'nurse', duties: ['vaccination', 'addressee'] });
  const born = (iso: string) => ({ 生年月日: ymd(iso), 住民となった日: ymd(iso), 最新異動日: ymd(iso) });
  await importResidents(app, operatorOf(TOTTORI), {
    file: writeCsv(join(dir, 'r.csv'), 'full', [
      person(WHO.parent, { ...born('1992-06-01'), 氏名: '鳥取　太郎', 氏名カナ: 'トットリ　タロウ', 性別: '1', 世帯番号: '7001', 続柄: '世帯主' }),
      person(WHO.child, { ...born(CHILD_BIRTH), 氏名: '鳥取　はな', 氏名カナ: 'トットリ　ハナ', 性別: '2', 世帯番号: '7001', 続柄: '子', 世帯主氏名: '鳥取　太郎' }),
      person(WHO.otherParent, { ...born('1990-01-15'), 氏名: '因幡　次郎', 氏名カナ: 'イナバ　ジロウ', 性別: '1', 世帯番号: '7002', 続柄: '世帯主' }),
      person(WHO.otherChild, { ...born(addDaysIso(CHILD_BIRTH, -7)), 氏名: '因幡　さくら', 氏名カナ: 'イナバ　サクラ', 性別: '2', 世帯番号: '7002', 続柄: '子', 世帯主氏名: '因幡　次郎' }),
    ]),
    kind: 'full',
  });
  const atenaOf = async (i: number) =>
    (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons WHERE tenant_code = ${TOTTORI} AND juminhyo_code = ${person(i)['住民票コード']!}`.execute(app.db.system)).rows[0]!.atena_no;
  const atena = { parent: await atenaOf(WHO.parent), child: await atenaOf(WHO.child), otherParent: await atenaOf(WHO.otherParent), otherChild: await atenaOf(WHO.otherChild) };
  const runId = (await startExtraction(app.db, n.principal, { kind: 'targets', programs: ['hib'], asOf: TEST_TODAY })).run.id;
  await runAs(app.db, n.principal, (w) => saveNoticeSettings(w, { head: '鳥取市長', department: '保健所 健康・子育て推進課', postalCode: '680-8571', address: '鳥取県鳥取市幸町71番地', phone: '0857-00-0000' }));
  await runAs(app.db, n.principal, (w) => createBatchFromRun(w, { keys: app.tenantKeys }, { runId, docType: 'questionnaire' }));

  const orgs = await startOrganisations(app, {
    host: '127.0.0.1',
    port: 0,
    municipalityServer: (exchange) => buildWebServer(app, { secureCookies: false, loginRateLimitPerMinute: 1000, exchange }),
    portalPages: portalPages({ secureCookies: false }),
    clinicPages: clinicPages(),
    registryPages: registryPages({ secureCookies: false }),
  });
  const platformDb = await app.db.forRole(PLATFORM_ROLE);
  // The platform contract (運用保守 registers the tenant and which node speaks for it).
  await addPlatformTenant(platformDb, app.config.clock, { code: TOTTORI, name: '鳥取市', node: 'municipality' });
  const deps: PlatformDeps = { db: app.db, vault: app.vault };
  // 鳥取市 as 国保保険者 tells 支払基金 its insured persons (what PMH key issuance checks against).
  const job = platformJobPrincipal(TOTTORI);
  // The 国保 feed and the card window are jobs that hold the 個人番号閲覧可能フラグ for their purpose.
  const issuer: Principal = { ...job, actor: { ...job.actor, mynumberView: true } };
  const enrolled = await enrollInsured(deps, issuer, { node: orgs.municipal.node });
  if (enrolled.sent !== 4 || enrolled.withoutNumber !== 0) throw new Error(`国保 enrollment sent ${enrolled.sent}`);
  const cards = {} as Record<Who, CardFile>;
  for (const w of Object.keys(WHO) as Who[]) {
    cards[w] = (await issueCard({ db: app.db, vault: app.vault, clock: app.config.clock }, issuer, orgs.municipal.node, atena[w], PIN)).cardFile;
  }
  const url = (name: string) => orgs.nodes.find((x) => x.name === name)!.url;
  return {
    app,
    orgs,
    nurse: n.principal,
    nursePassword: n.password,
    nurseLogin: 'nurse-p',
    platformDb,
    deps,
    runId,
    atena,
    cards,
    url: { staff: url('municipality'), portal: url('mynaportal'), platform: url('platform'), registry: url('registry') },
    dir,
    sign: (card, challenge) => signChallenge(card, PIN, challenge),
    async close() {
      await orgs.close();
      await app.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------- the clinic side (issue 13 part C)

/** A valid 医療機関コード in 鳥取県 (31) from its first nine digits (the 検証番号 is computed). */
export function institutionCode(first9: string): string {
  return first9 + String(luhnCheckDigit(first9));
}

export interface ClinicFixture {
  readonly code: string;
  readonly name: string;
  readonly doctor: { readonly userId: string; readonly password: string };
  readonly reception: { readonly userId: string; readonly password: string };
  readonly admin: { readonly userId: string; readonly password: string };
}

/**
 * Adds a medical institution to the platform world with a doctor, a receptionist and an admin account, and
 * (unless `contract: false`) a contract with 鳥取市 from today.
 */
export async function addClinic(w: PlatformWorld, opts: { first9: string; name: string; contract?: boolean }): Promise<ClinicFixture> {
  const clock = w.app.config.clock;
  const code = institutionCode(opts.first9);
  await addInstitution(w.platformDb, clock, { code, name: opts.name });
  if (opts.contract !== false) await addContract(w.platformDb, clock, { institution: code, municipality: TOTTORI, from: clock.today() });
  const account = async (userId: string, name: string, role: 'doctor' | 'reception' | 'admin') => {
    const password = generateInitialPassword(16);
    await addClinicAccount(w.platformDb, clock, { institution: code, userId, name, role, password, createdBy: 'operator' });
    return { userId, password };
  };
  return {
    code,
    name: opts.name,
    doctor: await account('doctor1', '予防　医師', 'doctor'),
    reception: await account('reception1', '受付　花子', 'reception'),
    admin: await account('admin1', '管理　一郎', 'admin'),
  };
}

/** A clinic browser as far as the JSON API goes: the session cookie, the CSRF token, every answer kept. */
export class ClinicClient {
  private cookie: string | undefined;
  csrf: string | undefined;
  readonly bodies: string[] = [];
  constructor(private readonly base: string) {}

  async login(code: string, userId: string, password: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const r = await this.req('POST', '/clinic/v1/login', { institutionCode: code, userId, password }, { csrf: false });
    if (r.status === 200) this.csrf = (r.body as { csrf: string }).csrf;
    return r;
  }

  async req<T = Record<string, unknown>>(method: string, path: string, body?: unknown, opts: { csrf?: boolean; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T; headers: Headers }> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (this.cookie) headers['cookie'] = `mamori_clinic=${this.cookie}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.csrf !== false && this.csrf && method !== 'GET') headers['x-csrf-token'] = this.csrf;
    const res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    for (const c of res.headers.getSetCookie()) {
      const m = /^mamori_clinic=([^;]*)/.exec(c);
      if (m) this.cookie = m[1] || undefined;
    }
    const text = await res.text();
    this.bodies.push(text);
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, headers: res.headers };
  }
}
