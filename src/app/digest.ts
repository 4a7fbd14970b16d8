// A content digest of the municipality's loaded data (issue 6: `synth city --into-db` prints it, the crash
// drills and the backup.restore bench compare it).  Per table: the row count and an order-independent
// 128-bit sum of the MD5 of each row's canonical text, then one SHA-256 over all tables.  Only what the
// imports decide is hashed — never generated ids (record UUIDs, run ids) or times — so that two databases
// loaded from the same files compare equal; a record's file is named by the file's SHA-256.  Values that
// depend on the tenant's keys (blind indexes, state hashes) are included only with `keyed` (databases
// sharing keys, e.g. copies of one template).
//
// Reads on the owner connection, like backup and `audit verify`; it returns counts and hashes only, never
// row content.  Decision 0082.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { MamoriDb } from '../kernel/db/index.js';

export interface DigestOptions {
  /** Only this tenant's rows (default: all tenants). */
  readonly tenant?: string;
  /** Include key-dependent values (blind indexes, state hashes). */
  readonly keyed?: boolean;
  /** Only these tables (default: all of DIGEST_TABLES). */
  readonly tables?: readonly string[];
}

export interface TableDigest {
  readonly table: string;
  readonly rows: number;
  readonly sha256: string;
}

export interface DatabaseDigest {
  readonly tables: readonly TableDigest[];
  /** SHA-256 over every table's name, count and sum. */
  readonly sha256: string;
}

/** The run that wrote a row, named by its file. */
const RUN_FILE = (col: string) => `(SELECT r.kind || ':' || r.file_sha256 FROM municipality.import_runs r WHERE r.tenant_code = t.tenant_code AND r.id = t.${col})`;

/** Table → canonical text of a row (alias t).  `keyed` expressions are appended only with the option. */
const TABLES: Readonly<Record<string, { expr: string; keyed?: string }>> = {
  'municipality.persons': {
    expr: `ROW(t.tenant_code, t.atena_no, t.juminhyo_code, t.integrated_no, t.category, t.status, t.name_kanji, t.name_kana, t.search_kana, t.birth_date, t.sex, t.state::text, t.version, t.effective_date, t.dv_support, t.district_code, t.household_no, ${RUN_FILE('last_run_id')})::text`,
    keyed: `encode(t.state_hash, 'hex')`,
  },
  'municipality.person_versions': {
    expr: `ROW(t.tenant_code, t.atena_no, t.version, t.effective_date, t.status, t.movement, t.movement_id, t.notified_on, t.source, ${RUN_FILE('import_run_id')}, t.row_no, t.state::text, t.changed::text)::text`,
  },
  'kernel.mynumber_vault': {
    expr: `ROW(t.tenant_code, t.subject_type, t.subject_id, t.key_version, t.index_version, t.suppressed_at IS NULL, t.ciphertext IS NULL)::text`,
    keyed: `encode(t.blind_index, 'hex')`,
  },
  'municipality.vaccination_records': {
    expr: `ROW(t.tenant_code, t.atena_no, t.program, t.dose, t.dose_label, t.category, t.vaccinated_on, t.date_unknown, t.product, t.data::text, t.warnings::text, t.override_reason, t.source, ${RUN_FILE('source_run_id')}, t.source_row, t.institution_code, t.claim_month, t.status, t.deleted_reason, t.version)::text`,
  },
  'municipality.vaccination_record_versions': {
    expr: `ROW(t.tenant_code, (SELECT ROW(${RUN_FILE('source_run_id').replace(/t\./g, 'v.')}, v.source_row, v.atena_no)::text FROM municipality.vaccination_records v WHERE v.tenant_code = t.tenant_code AND v.id = t.record_id), t.version, t.change, t.reason_kind, t.reason, t.snapshot::text)::text`,
  },
  'municipality.match_queue': {
    expr: `ROW(t.tenant_code, t.source, ${RUN_FILE('source_run_id')}, t.source_row, t.source_ref, t.query::text, t.payload::text, t.candidates::text, t.status, t.resolved_atena_no)::text`,
  },
  'municipality.import_runs': {
    expr: `ROW(t.tenant_code, t.kind, t.file_name, t.file_sha256, t.file_bytes, t.encoding, t.base_date, t.status, t.rows_done, t.accepted, t.rejected, t.created, t.updated, t.unchanged, t.queued)::text`,
  },
  'municipality.import_rejects': {
    expr: `ROW(t.tenant_code, ${RUN_FILE('run_id')}, t.row_no, t.seq, t.field, t.code, t.message)::text`,
  },
  // Every change of personal data is logged exactly once: the data-changing entries, without run ids and
  // without the random ids of vaccination records (their subject and row identify them).
  'kernel.audit_log': {
    expr: `ROW(t.tenant_code, t.actor_kind, t.action, t.target_type, CASE WHEN t.target_type = 'vaccination-record' THEN NULL ELSE t.target_id END, t.subject_ref, t.purpose, t.outcome, (coalesce(t.detail, '{}'::jsonb) - 'runId')::text)::text`,
  },
};

/** What is hashed of the operation log: entries that record a change of personal data. */
const AUDIT_FILTER = `t.action IN ('create', 'update', 'delete', 'mynumber_store', 'mynumber_suppress')`;

export const DIGEST_TABLES: readonly string[] = Object.keys(TABLES);

export async function databaseDigest(db: MamoriDb, opts: DigestOptions = {}): Promise<DatabaseDigest> {
  const out: TableDigest[] = [];
  for (const table of opts.tables ?? DIGEST_TABLES) {
    const spec = TABLES[table];
    if (!spec) throw new Error(`no digest for ${table}`);
    const expr = opts.keyed && spec.keyed ? `${spec.expr} || '|' || coalesce(${spec.keyed}, '')` : spec.expr;
    const where = [opts.tenant ? sql`t.tenant_code = ${opts.tenant}` : sql`true`, table === 'kernel.audit_log' ? sql.raw(AUDIT_FILTER) : sql`true`];
    // Two 64-bit halves of each row's MD5, summed as numeric (exact): equal multisets give equal sums.
    const r = await sql<{ n: number; a: string | null; b: string | null }>`
      SELECT count(*)::int AS n,
             sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric)::text AS a,
             sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric)::text AS b
      FROM (SELECT md5(${sql.raw(expr)}) AS h FROM ${sql.raw(table)} t WHERE ${where[0]} AND ${where[1]}) s`.execute(db.system);
    const row = r.rows[0]!;
    out.push({ table, rows: row.n, sha256: createHash('sha256').update(`${table}\n${row.n}\n${row.a ?? '0'}\n${row.b ?? '0'}`).digest('hex') });
  }
  return { tables: out, sha256: createHash('sha256').update(out.map((t) => `${t.table} ${t.rows} ${t.sha256}\n`).join('')).digest('hex') };
}
