// A stand-in for the platform node (docs/formats/platform-protocol.md) for the municipality's tests: a real
// message-layer node named `platform` that serves just enough of `targets.register`, `settings.put` and
// `linkage.list` to record what it received and answer as the contract says.  It validates every Target
// against the contract itself (not with the municipality's schema) and keeps what did not validate in
// `invalid`.  The lead can swap in the real platform node (src/platform) later.
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { createNodeServer, exchangeNodeFor, type Directory, type ExchangeNode } from '../../src/kernel/exchange/index.js';
import { Problem } from '../../src/kernel/problems/index.js';
import type { Clock } from '../../src/kernel/clock/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';

export interface StandInTarget {
  readonly tenant: string;
  readonly key: string;
  targetId: string;
  hash: string;
  deleted: boolean;
  changeCategory: string | null;
  movementDate: string | null;
  fileName: string;
  at: string;
  linkage: { status: 'linked' | 'error' | 'pending'; error: string | null };
}

export interface PlatformStandIn {
  readonly node: ExchangeNode;
  readonly fastify: FastifyInstance;
  readonly url: string;
  /** Every Target received (valid ones), in order, with the call's idempotency key. */
  readonly received: { tenant: string; key: string | undefined; item: Record<string, unknown> }[];
  /** Targets that did not validate: field and message (the whole request was refused). */
  readonly invalid: { field: string; message: string }[];
  /** settings.put bodies received. */
  readonly settings: Record<string, unknown>[];
  /** What the platform holds, by `${tenant}|${municipalityIdentityKey}`. */
  readonly targets: Map<string, StandInTarget>;
  /** Keys whose PMH-key linkage fails (PMH-07/08): answered `failed` with linkage error, not stored. */
  readonly failKeys: Map<string, string>;
  /** Keys registered with their PMH-key linkage still pending (set `targets.get(…).linkage` later). */
  readonly pendingKeys: Set<string>;
  /** Calls answered from the idempotency store (a resumed push). */
  replays: number;
  /** Points the shared directory at a closed port (unreachable) or back. */
  setReachable(up: boolean): void;
  close(): Promise<void>;
}

const ISO = /^\d{4}-\d{2}-\d{2}$/;
const KEY = /^[0-9A-Za-z-]{1,20}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The contract's rules for one Target; returns the bad fields (`items.N.…`). */
export function checkTarget(t: unknown, n: number, programs: ReadonlySet<string>): { field: string; message: string }[] {
  const errs: { field: string; message: string }[] = [];
  const bad = (f: string, m: string) => errs.push({ field: `items.${n}.${f}`, message: m });
  if (!isObj(t)) return [{ field: `items.${n}`, message: 'not an object' }];
  if (typeof t['municipalityIdentityKey'] !== 'string' || !KEY.test(t['municipalityIdentityKey'])) bad('municipalityIdentityKey', '1–20 of [0-9A-Za-z-]');
  if (t['modificationSeg'] === '2') {
    if (!['11', '12', '13'].includes(String(t['changeCategory']))) bad('changeCategory', '11/12/13');
    if (t['movementDate'] !== null && (typeof t['movementDate'] !== 'string' || !ISO.test(t['movementDate']))) bad('movementDate', 'ISO date or null');
    return errs;
  }
  if (t['modificationSeg'] !== '1') return [...errs, { field: `items.${n}.modificationSeg`, message: '"1" or "2"' }];
  if (typeof t['myNumber'] !== 'string' || !/^\d{12}$/.test(t['myNumber'])) bad('myNumber', '12 digits');
  const b = t['basicFiveInfo'];
  if (!isObj(b)) bad('basicFiveInfo', 'required');
  else {
    if (typeof b['name'] !== 'string' || !b['name']) bad('basicFiveInfo.name', 'required');
    if (typeof b['nameKana'] !== 'string') bad('basicFiveInfo.nameKana', 'string');
    if (typeof b['address'] !== 'string' || !b['address']) bad('basicFiveInfo.address', 'required');
    if (typeof b['dateOfBirth'] !== 'string' || !ISO.test(b['dateOfBirth'])) bad('basicFiveInfo.dateOfBirth', 'ISO date');
    if (!['1', '2', '9'].includes(String(b['sex']))) bad('basicFiveInfo.sex', '1/2/9');
  }
  if (t['isDeleted'] !== false) bad('isDeleted', 'a "1" row may not be deleted');
  if (typeof t['isNotDisclosed'] !== 'boolean') bad('isNotDisclosed', 'boolean');
  if (!['1', '2', '3'].includes(String(t['targetCategory']))) bad('targetCategory', '1/2/3');
  if (!['0', '1', '2', '3'].includes(String(t['reductionCategory']))) bad('reductionCategory', '0–3');
  if (t['guardianName'] !== null && t['guardianName'] !== undefined && typeof t['guardianName'] !== 'string') bad('guardianName', 'string or null');
  for (const list of ['vaccinations', 'history', 'notices'] as const) {
    const a = t[list];
    if (!Array.isArray(a)) {
      bad(list, 'array');
      continue;
    }
    a.forEach((v: unknown, m: number) => {
      if (!isObj(v)) return bad(`${list}.${m}`, 'object');
      if (typeof v['programCode'] !== 'string' || !programs.has(v['programCode'])) bad(`${list}.${m}.programCode`, 'not registered in 予防接種設定');
      if (!Number.isInteger(v['dose']) || (v['dose'] as number) < 1) bad(`${list}.${m}.dose`, 'integer ≥ 1');
      const dates = list === 'vaccinations' ? ['dueFrom'] : list === 'history' ? ['date'] : ['issuedOn'];
      for (const d of dates) if (typeof v[d] !== 'string' || !ISO.test(v[d] as string)) bad(`${list}.${m}.${d}`, 'ISO date');
      if (list === 'notices' && (typeof v['voucherNo'] !== 'string' || !v['voucherNo'])) bad(`${list}.${m}.voucherNo`, 'required');
      if (list === 'history' && typeof v['recordId'] !== 'string') bad(`${list}.${m}.recordId`, 'required');
    });
  }
  return errs;
}

const digest = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');

export async function startPlatformStandIn(opts: { db: Kysely<UntypedDatabase>; keyDir: string; directory: Directory; clock: Clock; name?: string }): Promise<PlatformStandIn> {
  const name = opts.name ?? 'platform';
  const node = exchangeNodeFor({ name, schema: 'platform', db: opts.db, keyDir: opts.keyDir, directory: opts.directory, clock: opts.clock });
  const fastify = await createNodeServer(name);
  const programs = new Map<string, Set<string>>();
  const idem = new Map<string, { digest: string; answer: unknown }>();
  let serial = 0;
  const s: Omit<PlatformStandIn, 'url' | 'setReachable' | 'close'> = { node, fastify, received: [], invalid: [], settings: [], targets: new Map(), failKeys: new Map(), pendingKeys: new Set(), replays: 0 };
  const fromMunicipality = (sender: string) => sender === 'municipality';
  node.serve(fastify, {
    'settings.put': {
      title: '予防接種設定',
      from: fromMunicipality,
      async handle(msg) {
        const b = (msg.body ?? {}) as Obj;
        const tenant = String(b['tenant'] ?? '');
        const vs = Array.isArray(b['vaccinations']) ? (b['vaccinations'] as Obj[]) : [];
        const ts = Array.isArray(b['templates']) ? (b['templates'] as Obj[]) : [];
        s.settings.push(b);
        programs.set(tenant, new Set(vs.map((v) => String(v['programCode']))));
        return { body: { vaccinations: vs.length, templates: ts.length } };
      },
    },
    'targets.register': {
      title: '接種対象者の登録',
      from: fromMunicipality,
      async handle(msg) {
        const b = (msg.body ?? {}) as Obj;
        const tenant = String(b['tenant'] ?? '');
        const items = Array.isArray(b['items']) ? (b['items'] as unknown[]) : [];
        const key = typeof b['idempotencyKey'] === 'string' ? b['idempotencyKey'] : undefined;
        const fileName = typeof b['fileName'] === 'string' ? b['fileName'] : `api-${opts.clock.now().toISOString()}`;
        if (key) {
          const prev = idem.get(`${tenant}|${key}`);
          if (prev) {
            if (prev.digest !== digest(items)) throw new Problem(409, 'IDEMPOTENCY_CONFLICT', '同じ冪等キーで異なる内容が送られました');
            s.replays++;
            return { body: prev.answer, personal: true };
          }
        }
        if (items.length < 1 || items.length > 10_000) throw new Problem(400, 'VALIDATION_FAILED', '入力内容に誤りがあります', 'items: 1〜10,000件', [{ field: 'items', code: 'SIZE', message: '1〜10,000件' }]);
        const known = programs.get(tenant) ?? new Set<string>();
        const errs = items.flatMap((t, n) => checkTarget(t, n, known));
        if (errs.length) {
          s.invalid.push(...errs);
          throw new Problem(400, 'VALIDATION_FAILED', '入力内容に誤りがあります', `${errs.length}件の誤り`, errs.map((e) => ({ field: e.field, code: 'INVALID', message: e.message })));
        }
        const counts = { registered: 0, updated: 0, deleted: 0, unchanged: 0, failed: 0 };
        const results = (items as Obj[]).map((t, index) => {
          const k = String(t['municipalityIdentityKey']);
          s.received.push({ tenant, key, item: t });
          const id = `${tenant}|${k}`;
          const cur = s.targets.get(id);
          const at = opts.clock.now().toISOString();
          if (t['modificationSeg'] === '2') {
            if (!cur || cur.deleted) {
              counts.unchanged++;
              return { index, municipalityIdentityKey: k, targetId: cur?.targetId ?? null, status: 'unchanged', linkage: { status: cur?.linkage.status ?? 'error', error: null } };
            }
            Object.assign(cur, { deleted: true, changeCategory: String(t['changeCategory']), movementDate: (t['movementDate'] as string | null) ?? null, fileName, at });
            counts.deleted++;
            return { index, municipalityIdentityKey: k, targetId: cur.targetId, status: 'deleted', linkage: { status: cur.linkage.status, error: null } };
          }
          const fail = s.failKeys.get(k);
          if (fail) {
            counts.failed++;
            return { index, municipalityIdentityKey: k, targetId: cur?.targetId ?? null, status: 'failed', linkage: { status: 'error', error: fail } };
          }
          const h = digest(t);
          if (cur && !cur.deleted && cur.hash === h) {
            counts.unchanged++;
            return { index, municipalityIdentityKey: k, targetId: cur.targetId, status: 'unchanged', linkage: cur.linkage };
          }
          const targetId = cur?.targetId ?? `T${String(++serial).padStart(15, '0')}`;
          const status = cur && !cur.deleted ? 'updated' : 'registered';
          counts[status]++;
          const linkage = { status: s.pendingKeys.has(k) ? ('pending' as const) : ('linked' as const), error: null };
          s.targets.set(id, { tenant, key: k, targetId, hash: h, deleted: false, changeCategory: null, movementDate: null, fileName, at, linkage });
          return { index, municipalityIdentityKey: k, targetId, status, linkage };
        });
        const answer = { callId: `call-${digest([key, fileName, items.length]).slice(0, 12)}`, fileName, sent: items.length, ...counts, results };
        if (key) idem.set(`${tenant}|${key}`, { digest: digest(items), answer });
        return { body: answer, personal: true };
      },
    },
    'linkage.list': {
      title: '連携状況の一覧',
      from: fromMunicipality,
      async handle(msg) {
        const b = (msg.body ?? {}) as Obj;
        const tenant = String(b['tenant'] ?? '');
        const keys = Array.isArray(b['keys']) ? new Set((b['keys'] as unknown[]).map(String)) : null;
        const items = [...s.targets.values()]
          .filter((t) => t.tenant === tenant && (!keys || keys.has(t.key)) && (!b['status'] || t.linkage.status === b['status']))
          .map((t) => ({ municipalityIdentityKey: t.key, targetId: t.targetId, status: t.deleted ? 'deleted' : t.linkage.status, error: t.linkage.error, fileName: t.fileName, at: t.at, changeCategory: t.changeCategory, movementDate: t.movementDate }));
        return { body: { items }, personal: true };
      },
    },
  });
  await fastify.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(fastify.server.address() as AddressInfo).port}`;
  const entry = { name, title: '予診情報・予防接種記録管理／請求支払システム（テスト用の代役）', url };
  opts.directory.set(entry);
  return Object.assign(s, {
    url,
    setReachable(up: boolean) {
      opts.directory.set(up ? entry : { ...entry, url: 'http://127.0.0.1:9' });
    },
    async close() {
      await fastify.close();
    },
  });
}
