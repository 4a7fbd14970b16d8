// The public side of the registry's credentials (issue 16; decisions 0201, 0203; docs/formats/registry-api.md
// 「資格証明書の発行者」): anyone, without logging in, reads a 資格管理者's issuer metadata, its JWKS and its
// status lists.  Nothing personal is served here: public keys and the 2-bit statuses of random indexes.
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Clock } from '../kernel/clock/index.js';
import { notFound } from '../kernel/problems/index.js';
import { catalog } from './catalog.js';
import { issuerPath, issuerUrl, publishStatusList, STATUS_LIST_TTL_SECONDS, type IssuerKeys } from './credentials.js';
import type { Db } from './store.js';

export interface CredentialRoutesDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly keys: IssuerKeys;
  /** The registry node's public URL, read when a request comes (the node knows it once listening). */
  readonly baseUrl: () => string;
}

const TENANT = /^[a-z][a-z0-9-]{1,39}$/;

function tenantOf(raw: unknown): string {
  const t = String(raw ?? '').slice(0, 40);
  if (!TENANT.test(t) || !catalog().administrator(t)) throw notFound('資格管理者');
  return t;
}

export function registerCredentialRoutes(fastify: FastifyInstance, deps: CredentialRoutesDeps): void {
  const metadata = async (tenant: string) => ({ issuer: issuerUrl(deps.baseUrl(), tenant), name: catalog().administrator(tenant)!.name, jwks: await deps.keys.jwks(tenant) });
  const cache = (reply: FastifyReply, seconds: number) => reply.header('cache-control', `public, max-age=${seconds}`);

  // SD-JWT VC issuer metadata (draft-ietf-oauth-sd-jwt-vc, JWT VC Issuer Metadata) and the same at the issuer URL.
  fastify.get('/.well-known/jwt-vc-issuer/registry/issuers/:tenant', async (req, reply) => {
    const m = await metadata(tenantOf((req.params as { tenant: string }).tenant));
    cache(reply, STATUS_LIST_TTL_SECONDS);
    return { issuer: m.issuer, jwks: m.jwks };
  });
  fastify.get(`${issuerPath(':tenant')}`, async (req, reply) => {
    cache(reply, STATUS_LIST_TTL_SECONDS);
    return metadata(tenantOf((req.params as { tenant: string }).tenant));
  });
  fastify.get(`${issuerPath(':tenant')}/jwks.json`, async (req, reply) => {
    const jwks = await deps.keys.jwks(tenantOf((req.params as { tenant: string }).tenant));
    cache(reply, STATUS_LIST_TTL_SECONDS);
    reply.type('application/jwk-set+json');
    return JSON.stringify(jwks);
  });
  fastify.get(`${issuerPath(':tenant')}/status-lists/:list`, async (req, reply) => {
    const p = req.params as { tenant: string; list: string };
    const tenant = tenantOf(p.tenant);
    const listNo = /^[1-9][0-9]{0,8}$/.test(String(p.list)) ? Number(p.list) : NaN;
    const jwt = await publishStatusList({ db: deps.db, clock: deps.clock, keys: deps.keys, baseUrl: deps.baseUrl() }, tenant, listNo);
    cache(reply, STATUS_LIST_TTL_SECONDS);
    reply.type('application/statuslist+jwt');
    return jwt;
  });
}
