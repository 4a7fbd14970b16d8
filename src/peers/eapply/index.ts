// サービス検索・電子申請機能 node `eapply` (synthetic; issue 14, decision 0155; contract: docs/formats/eapply-protocol.md).
// Residents submit applications (POST /eapply/v1/applications): a document holding one form of the national
// standard items (kernel/eforms, strict per kind) and a detached signature made with the card's 署名用 key
// over the document's canonical bytes.  The node queues them per municipality; the municipality's node
// collects them over the message layer (applications.fetch, signed and encrypted) and acknowledges them
// (applications.ack), whereupon the node deletes its copy (XCH-30).  The node checks the form's shape only;
// the signature is verified by the municipality on receipt (XCH-27), which is the party that relies on it.
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { z } from 'zod';
import { createNodeServer, everyInterval, type PeerContext, type PeerService, type ServiceDef } from '../../kernel/exchange/index.js';
import type { MigrationSource, UntypedDatabase } from '../../kernel/db/index.js';
import type { Kysely } from 'kysely';
import { canonicalDocumentText } from '../../kernel/jpki/index.js';
import { eformDocumentSchema } from '../../kernel/eforms/index.js';
import { parseInput, Problem } from '../../kernel/problems/index.js';

export const EAPPLY_SCHEMA = 'peers_eapply';
export const EAPPLY_ROLE = 'mamori_eapply';
export const EAPPLY_NODE = 'eapply';

export const eapplyMigrations: MigrationSource = {
  schema: EAPPLY_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

/** The nodes that may call each service (XCH-17): the municipality's own node only. */
export const EAPPLY_CALLERS = {
  'applications.fetch': 'municipality',
  'applications.ack': 'municipality',
} as const;

/** The most applications one fetch answers. */
export const MAX_FETCH = 200;
/** The largest submission (bytes of JSON). */
export const MAX_SUBMISSION = 128 * 1024;

const tenant = z.string({ message: '団体コード（tenant）を指定してください' }).regex(/^[0-9]{6}$/, { message: '団体コード（tenant）は6桁です' });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const submitSchema = z
  .object({
    /** The document's canonical JSON text, exactly as signed. */
    document: z.string({ message: '申請データ（document）を文字列で指定してください' }).min(2).max(60_000, { message: '申請データ（document）が大きすぎます' }),
    signature: z
      .object(
        {
          certPem: z.string({ message: '署名用電子証明書（signature.certPem）を指定してください' }).min(1).max(16_384),
          value: z.string({ message: '署名値（signature.value）を指定してください' }).regex(/^[A-Za-z0-9_-]+={0,2}$/, { message: '署名値（signature.value）は base64url です' }).max(2048),
        },
        { message: 'マイナンバーカードの署名用電子証明書による電子署名（signature）が必要です' },
      )
      .strict(),
  })
  .strict();

const fetchSchema = z.object({ tenant, limit: z.number().int().min(1).max(MAX_FETCH).optional() }).strict();
const ackSchema = z
  .object({
    tenant,
    applicationNos: z.array(z.string().regex(UUID, { message: '申請番号が正しくありません' })).min(1).max(MAX_FETCH),
  })
  .strict();

export interface QueuedApplication {
  readonly applicationNo: string;
  readonly kind: string;
  readonly document: string;
  readonly signature: { readonly certPem: string; readonly value: string };
  readonly receivedAt: string;
}

/** Takes one submission: shape only (the form's items, canonical text); queued for the municipality. */
export async function submitApplication(ctx: Pick<PeerContext, 'db' | 'clock'>, raw: unknown): Promise<{ applicationNo: string; receivedAt: string }> {
  const q = parseInput(submitSchema, raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(q.document);
  } catch {
    throw new Problem(400, 'DOCUMENT_INVALID', '申請データを読めません', '申請データ（document）は JSON の文字列です。');
  }
  if (canonicalDocumentText(parsed) !== q.document) throw new Problem(400, 'DOCUMENT_NOT_CANONICAL', '申請データの形式が正しくありません', '申請データ（document）は正規化された JSON（キーの順序を揃え、空白なし）で送ってください。');
  const doc = parseInput(eformDocumentSchema, parsed, 'document');
  const id = randomUUID();
  const now = ctx.clock.now();
  await sql`INSERT INTO peers_eapply.applications (id, tenant, kind, document, cert_pem, signature, received_at)
            VALUES (${id}, ${doc.tenant}, ${doc.kind}, ${q.document}, ${q.signature.certPem}, ${q.signature.value}, ${now})`.execute(ctx.db);
  return { applicationNo: id, receivedAt: now.toISOString() };
}

export function eapplyServices(ctx: PeerContext): Record<string, ServiceDef> {
  const db = ctx.db;
  return {
    'applications.fetch': {
      title: '電子申請データの取得（申請管理システム）',
      from: (s) => s === EAPPLY_CALLERS['applications.fetch'],
      async handle(msg) {
        const q = parseInput(fetchSchema, msg.body ?? {});
        const rows = await sql<{ id: string; kind: string; document: string; cert_pem: string; signature: string; received_at: Date; seq: string }>`
          UPDATE peers_eapply.applications a SET fetched_at = ${ctx.clock.now()}, fetch_count = a.fetch_count + 1
          FROM (SELECT id FROM peers_eapply.applications WHERE tenant = ${q.tenant} ORDER BY seq LIMIT ${q.limit ?? MAX_FETCH}) pick
          WHERE a.id = pick.id
          RETURNING a.id, a.kind, a.document, a.cert_pem, a.signature, a.received_at, a.seq`.execute(db);
        const applications: QueuedApplication[] = [...rows.rows].sort((a, b) => Number(a.seq) - Number(b.seq)).map((r) => ({ applicationNo: r.id, kind: r.kind, document: r.document, signature: { certPem: r.cert_pem, value: r.signature }, receivedAt: new Date(r.received_at).toISOString() }));
        const left = await sql<{ n: string }>`SELECT count(*) AS n FROM peers_eapply.applications WHERE tenant = ${q.tenant} AND fetched_at IS NULL`.execute(db);
        return { body: { applications, more: Number(left.rows[0]!.n) > 0 }, personal: true, clear: { count: applications.length } };
      },
    },
    'applications.ack': {
      title: '電子申請データの受領確認（取得済みデータの削除）',
      from: (s) => s === EAPPLY_CALLERS['applications.ack'],
      async handle(msg) {
        const q = parseInput(ackSchema, msg.body ?? {});
        const r = await sql`DELETE FROM peers_eapply.applications WHERE tenant = ${q.tenant} AND fetched_at IS NOT NULL AND id = ANY(${q.applicationNos}::uuid[])`.execute(db);
        return { body: { deleted: Number(r.numAffectedRows ?? 0) } };
      },
    },
  };
}

/**
 * The portal's own keeping period for an application its municipality never collected: deleted this many
 * days after submission (the applicant applies again).  Collected ones are deleted at once on ack.
 */
export const UNCOLLECTED_KEEP_DAYS = 90;
/** How often the node purges (and once at start). */
export const EAPPLY_PURGE_INTERVAL_MS = 24 * 3600_000;

/** Deletes applications submitted more than UNCOLLECTED_KEEP_DAYS before `now`; returns how many. */
export async function purgeEapply(db: Kysely<UntypedDatabase>, now: Date): Promise<number> {
  const before = new Date(now.getTime() - UNCOLLECTED_KEEP_DAYS * 86_400_000);
  const r = await sql`DELETE FROM peers_eapply.applications WHERE received_at < ${before}`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

export interface EapplyService extends PeerService {
  purge(): Promise<number>;
  close(): Promise<void>;
}

/** Builds the node: the message services and the residents' submission endpoint (not yet listening). */
export async function buildEapplyNode(ctx: PeerContext, opts: { purgeIntervalMs?: number } = {}): Promise<EapplyService> {
  const fastify = await createNodeServer(ctx.name, { bodyLimit: MAX_SUBMISSION });
  ctx.node.serve(fastify, eapplyServices(ctx));
  fastify.post('/eapply/v1/applications', async (req, reply) => reply.code(201).header('cache-control', 'no-store').send(await submitApplication(ctx, req.body)));
  const purge = () => purgeEapply(ctx.db, ctx.clock.now());
  const stop = await everyInterval(ctx.name, 'eapply retention purge', purge, opts.purgeIntervalMs ?? EAPPLY_PURGE_INTERVAL_MS, { runNow: true });
  return {
    fastify,
    purge,
    async close() {
      stop();
    },
  };
}
