// What the clinic side needs once per node (never per request): the platform's deps, the schedule catalog,
// the 公的個人認証 CA certificate (fetched from the card node, cached for an hour), and the two logs every
// clinic action writes — the institution's own access log and the municipality's handling log (PMH-22).
import { sql } from 'kysely';
import { Problem } from '../../kernel/problems/index.js';
import { caCertSource } from '../../kernel/jpki/index.js';
import { INSURERHUB_NODE, type PlatformDb as Db, type PlatformDeps } from '../index.js';

export const CARD_NODE = 'card';

export interface ClinicUser {
  readonly institutionCode: string;
  readonly institutionName: string;
  readonly userId: string;
  readonly name: string;
  readonly role: 'reception' | 'doctor' | 'admin';
}

/** What the schedule engine said about a proposed dose (municipality/schedule CheckResult, structurally). */
export interface ScheduleCheck {
  readonly program: string | null;
  readonly dose: number | null;
  readonly problems: readonly { readonly code: string; readonly message: string }[];
  readonly notes: readonly { readonly code: string; readonly message: string }[];
}

/**
 * The vaccination rules the clinic side applies, given by the app (systems never import each other): the
 * schedule engine's live check on its catalog (municipality/schedule, pure) and the GS1 reading of a vial
 * (municipality/records).  src/app/clinic-rules.ts makes them.
 */
export interface ClinicRules {
  hasProduct(code: string): boolean;
  hasProgram(code: string): boolean;
  /** The first vaccine of a program (for a history row that does not say which vaccine it was). */
  firstProduct(program: string): string | undefined;
  check(person: { birthDate: string; sex: 'male' | 'female' }, history: readonly { product: string; date: string; ref?: string }[], proposed: { product: string; date: string; program?: string | undefined }): ScheduleCheck;
  parseGs1(scan: string): { ok: true; value: { gtin: string | null; lot: string | null; expiry: string | null } } | { ok: false; message: string };
}

const missingRules = (): Problem => new Problem(503, 'SCHEDULE_UNAVAILABLE', 'スケジュールの確認ができません', 'このサーバーには予防接種のスケジュールの規則が設定されていません。管理者に連絡してください。');

/** Stands in when the node was built without rules: every use is a clear 503, nothing is guessed. */
const NO_RULES: ClinicRules = {
  hasProduct: () => { throw missingRules(); },
  hasProgram: () => { throw missingRules(); },
  firstProduct: () => { throw missingRules(); },
  check: () => { throw missingRules(); },
  parseGs1: () => { throw missingRules(); },
};

export interface ClinicContext extends PlatformDeps {
  readonly rules: ClinicRules;
  readonly cardNode: string;
  readonly insurerhubNode: string;
  caCert(): Promise<string>;
}

export function clinicContext(deps: PlatformDeps, opts: { rules?: ClinicRules | undefined; cardNode?: string; insurerhubNode?: string } = {}): ClinicContext {
  const cardNode = opts.cardNode ?? CARD_NODE;
  const caCert = caCertSource(() => `${deps.node.directory.entry(cardNode).url}/card/v1/ca.pem`, () => deps.clock.now());
  return {
    ...deps,
    rules: opts.rules ?? NO_RULES,
    cardNode,
    insurerhubNode: opts.insurerhubNode ?? INSURERHUB_NODE,
    caCert,
  };
}

/** Who acted, as the handling log names an institution's staff: `<医療機関コード>:<userId>（<名称>）`. */
export const actorOf = (u: ClinicUser): string => `${u.institutionCode}:${u.userId}（${u.institutionName}）`;

/** The institution's own access log (logins, refusals); target ids only, never resident data. */
export async function clinicLog(
  db: Db,
  at: Date,
  e: { institution: string; userId: string | null; action: string; outcome: 'ok' | 'refused'; code?: string | null; tenant?: string | null; targetId?: string | null },
): Promise<void> {
  await sql`INSERT INTO platform.clinic_log (at, institution_code, user_id, action, outcome, code, tenant_code, target_id)
            VALUES (${at}, ${e.institution}, ${e.userId}, ${e.action}, ${e.outcome}, ${e.code ?? null}, ${e.tenant ?? null}, ${e.targetId ?? null})`.execute(db);
}

/** PMH-22: one handling-log row of the municipality (tenant) for what an institution did with its target. */
export async function handled(tx: Db, at: Date, tenant: string, u: ClinicUser, action: string, targetId: string, purpose: string): Promise<void> {
  await sql`INSERT INTO platform.handling_log (tenant_code, at, actor_kind, actor, action, target_id, purpose)
            VALUES (${tenant}, ${at}, 'institution', ${actorOf(u)}, ${action}, ${targetId}, ${purpose})`.execute(tx);
}

/**
 * A transaction acting for an institution: its visits and doses are visible (RLS on
 * mamori.platform_institution); a municipality's targets only after asTenant, or from the start when
 * `visitId` names one of the institution's visits (its municipality).  BEGIN and the settings go in one
 * round trip: the codes are checked against their exact formats (digits / [0-9A-Z]) before they are put in
 * the statement, so nothing else can reach it.
 */
export async function withInstitution<T>(db: Db, institution: string, opts: { visitId?: string }, fn: (tx: Db) => Promise<T>): Promise<T> {
  if (!/^[0-9]{10}$/.test(institution)) throw new Error('withInstitution: not an institution code');
  const visit = opts.visitId;
  if (visit !== undefined && !/^V[0-9A-Z]{20}$/.test(visit)) throw new Error('withInstitution: not a visit id');
  // With a visit: the transaction acts for that visit's municipality too (looked up as the institution).
  const tenant = visit
    ? `; SELECT set_config('mamori.platform_tenant', COALESCE((SELECT tenant_code FROM platform.visits WHERE visit_id = '${visit}' AND institution_code = '${institution}'), ''), true)`
    : '';
  return db.connection().execute(async (conn) => {
    await sql.raw(`BEGIN; SELECT set_config('mamori.platform_institution', '${institution}', true)${tenant}`).execute(conn);
    try {
      const out = await fn(conn);
      await sql`COMMIT`.execute(conn);
      return out;
    } catch (e) {
      await sql`ROLLBACK`.execute(conn).catch(() => undefined);
      throw e;
    }
  });
}

/** Switches the transaction's tenant (RLS) to `tenant`. */
export async function asTenant(tx: Db, tenant: string): Promise<void> {
  await sql`SELECT set_config('mamori.platform_tenant', ${tenant}, true)`.execute(tx);
}
