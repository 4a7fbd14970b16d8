// One organisation's end of the message layer: its keys, the directory, its message log, and the two
// halves every node uses — `call` (sign, encrypt when personal, send, verify the signed answer, log both
// messages) and `serve` (publish the JWKS; verify, refuse and log every incoming message before a
// service handler sees it; sign and log the answer).  Decision 0135.
import http from 'node:http';
import https from 'node:https';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../clock/index.js';
import { Problem, type FieldError } from '../problems/index.js';
import { logger } from '../log/index.js';
import type { Directory } from './directory.js';
import { bodyOf, claimedSender, digestOf, openEnvelope, sealEnvelope, type Envelope } from './envelope.js';
import type { NodeKeys } from './keys.js';
import type { MessageLog } from './log.js';

export const EXCHANGE_PATH = '/exchange/v1/';
export const JOSE_TYPE = 'application/jose';

/** A verified incoming message as a handler (or a caller reading an answer) sees it. */
export interface Incoming {
  readonly id: string;
  readonly sender: string;
  readonly envelope: Envelope;
  /** Body in clear, decrypted when it was encrypted to this node. */
  readonly body: unknown;
  readonly jws: string;
  readonly digest: string;
}

export interface Outgoing {
  readonly body?: unknown;
  /** Encrypt the body (to `encTo`, default the caller). */
  readonly personal?: boolean;
  readonly encTo?: string;
  /** With `personal`: a clear body beside the encrypted one (no personal data; what a relay records). */
  readonly clear?: unknown;
  readonly relayed?: readonly string[];
}

export interface ServiceDef {
  /** Japanese name of the service (for logs and screens). */
  readonly title: string;
  /** Which senders may call it (XCH-17); a sender outside is refused before the handler runs. */
  readonly from: (sender: string) => boolean;
  handle(msg: Incoming): Promise<Outgoing>;
}

export interface CallOptions {
  readonly personal?: boolean;
  readonly encTo?: string;
  readonly relayed?: readonly string[];
  /** Milliseconds before the call is abandoned (default 15 s). */
  readonly timeoutMs?: number;
}

export class ExchangeNode {
  constructor(
    readonly name: string,
    readonly keys: NodeKeys,
    readonly directory: Directory,
    readonly log: MessageLog,
    readonly clock: Clock,
  ) {
    if (keys.node !== name || log.node !== name) throw new Error('node keys and log must belong to the node');
  }

  /**
   * Sends a message and returns the verified answer.  A refusal by the receiver comes back as the
   * receiver's Problem (same status and code); an unreachable receiver as 503 EXCHANGE_UNREACHABLE.
   * Both the request and the answer are in this node's log either way.
   */
  async call(to: string, svc: string, body: unknown, opts: CallOptions = {}): Promise<Incoming> {
    const entry = this.directory.entry(to);
    const { jws, envelope } = await sealEnvelope(this.keys, this.directory, this.clock.now(), { to, svc, body, personal: opts.personal, encTo: opts.encTo, relayed: opts.relayed });
    const sent = await this.log.add({ direction: 'out', msgId: envelope.id, peer: to, service: svc, at: this.clock.now(), outcome: 'sent', digest: digestOf(jws) });
    const seq = sent!.seq;
    let res: { status: number; text: string };
    try {
      res = await postJose(`${entry.url}${EXCHANGE_PATH}${encodeURIComponent(svc)}`, jws, opts.timeoutMs ?? 15_000);
    } catch (e) {
      await this.log.settle(seq, 'failed', 'EXCHANGE_UNREACHABLE', null);
      throw new Problem(503, 'EXCHANGE_UNREACHABLE', '相手の組織に接続できません', `「${entry.title}」に接続できません。時間をおいてやり直してください（${(e as Error).name}）。`);
    }
    const text = res.text;
    if (res.status < 200 || res.status >= 300) {
      let p: { code?: string; title?: string; detail?: string; errors?: unknown } = {};
      try {
        p = JSON.parse(text) as typeof p;
      } catch {
        p = {};
      }
      const code = typeof p.code === 'string' ? p.code : `HTTP_${res.status}`;
      await this.log.settle(seq, res.status >= 500 ? 'failed' : 'refused', code, res.status);
      throw new Problem(res.status, code, p.title ?? '相手の組織が要求を受け付けませんでした', p.detail ?? `「${entry.title}」が HTTP ${res.status} を返しました。`, fieldErrorsOf(p.errors));
    }
    let answer: Incoming;
    try {
      answer = await this.verify(text, to);
      if (answer.envelope.re !== envelope.id) throw new Problem(502, 'EXCHANGE_WRONG_ANSWER', '応答が要求と対応していません', '応答メッセージの re が送ったメッセージIDと一致しません。');
    } catch (e) {
      const p = e instanceof Problem ? e : new Problem(502, 'EXCHANGE_BAD_ANSWER', '応答を検証できません', (e as Error).message);
      await this.log.settle(seq, 'failed', p.code, res.status);
      await this.log.add({ direction: 'in', msgId: claimedId(text), re: envelope.id, peer: to, service: svc, at: this.clock.now(), outcome: 'refused', code: p.code, status: res.status, digest: digestOf(text) });
      throw p;
    }
    await this.log.settleAndAdd(seq, 'ok', null, res.status, { direction: 'in', msgId: answer.id, re: envelope.id, peer: to, service: svc, at: this.clock.now(), outcome: 'ok', status: res.status, digest: answer.digest });
    return answer;
  }

  /** Verifies a signed message from `from` addressed to this node, and decrypts its body if it is for us. */
  async verify(jws: string, from?: string): Promise<Incoming> {
    const envelope = await openEnvelope(this.directory, jws, { aud: this.name, now: this.clock.now() });
    if (from && envelope.iss !== from) throw new Problem(502, 'EXCHANGE_WRONG_SENDER', '応答の送信元が違います', `「${this.directory.title(from)}」以外が署名した応答です。`);
    const body = envelope.enc && envelope.enc.to !== this.name ? undefined : await bodyOf(this.keys, envelope);
    return { id: envelope.id, sender: envelope.iss, envelope, body, jws, digest: digestOf(jws) };
  }

  /**
   * Verifies a message another organisation sent and a relay passed on unchanged (XCH-07): the original
   * sender's signature must hold; its body is decrypted when it was encrypted to this node.
   */
  async verifyRelayed(jws: string, expectSender?: string): Promise<Incoming> {
    const envelope = await openEnvelope(this.directory, jws, { now: this.clock.now(), ignoreTime: true });
    if (expectSender && envelope.iss !== expectSender) throw new Problem(502, 'EXCHANGE_WRONG_SENDER', '中継された応答の送信元が違います', `「${this.directory.title(expectSender)}」以外が署名した応答です。`);
    const body = envelope.enc && envelope.enc.to !== this.name ? undefined : await bodyOf(this.keys, envelope);
    return { id: envelope.id, sender: envelope.iss, envelope, body, jws, digest: digestOf(jws) };
  }

  /** Publishes the JWKS and the services of this node on a Fastify instance. */
  serve(fastify: FastifyInstance, services: Record<string, ServiceDef>): void {
    fastify.get('/.well-known/jwks.json', { schema: { hide: true } }, async (_req, reply) =>
      reply.header('cache-control', 'public, max-age=60').send(this.keys.jwks()),
    );
    fastify.addContentTypeParser(JOSE_TYPE, { parseAs: 'string', bodyLimit: 64 * 1024 * 1024 }, (_req, body, done) => done(null, body));
    fastify.post(`${EXCHANGE_PATH}:service`, { schema: { hide: true } }, async (req, reply) => {
      const svc = String((req.params as { service: string }).service);
      const raw = typeof req.body === 'string' ? req.body : '';
      const digest = digestOf(raw);
      const at = this.clock.now();
      const peerClaim = claimedSender(raw) ?? 'unknown';
      let seq: number | undefined;
      try {
        const def = Object.hasOwn(services, svc) ? services[svc] : undefined;
        const msg = await this.verifyIncoming(raw);
        if (!def) throw new Problem(404, 'EXCHANGE_NO_SERVICE', 'そのサービスはありません', `「${this.directory.title(this.name)}」にサービス ${svc} はありません。`);
        if (msg.envelope.svc !== svc) throw new Problem(400, 'EXCHANGE_MALFORMED', 'メッセージの形式が正しくありません', '封筒のサービス名と送り先のサービスが一致しません。');
        if (!def.from(msg.sender)) throw new Problem(403, 'EXCHANGE_NOT_ALLOWED', 'この組織からは利用できないサービスです', `「${this.directory.title(msg.sender)}」は「${def.title}」を利用できません。`);
        const logged = await this.log.add({ direction: 'in', msgId: msg.id, peer: msg.sender, service: svc, at, outcome: 'accepted', digest, guard: true });
        if (!logged) throw new Problem(409, 'EXCHANGE_REPLAY', '同じメッセージが再送されました', `メッセージID ${msg.id} は受信済みです（再送攻撃として拒否しました）。`);
        seq = logged.seq;
        const out = await def.handle(msg);
        const { jws, envelope } = await sealEnvelope(this.keys, this.directory, this.clock.now(), {
          to: msg.sender,
          svc,
          body: out.body,
          personal: out.personal,
          encTo: out.encTo,
          clear: out.clear,
          re: msg.id,
          relayed: out.relayed,
        });
        await this.log.settleAndAdd(seq, 'ok', null, 200, { direction: 'out', msgId: envelope.id, re: msg.id, peer: msg.sender, service: svc, at: this.clock.now(), outcome: 'ok', status: 200, digest: digestOf(jws) });
        return reply.type(JOSE_TYPE).send(jws);
      } catch (e) {
        const p = e instanceof Problem ? e : new Problem(500, 'EXCHANGE_ERROR', '処理中にエラーが発生しました', `問い合わせ番号: ${req.id}`);
        if (!(e instanceof Problem)) logger().error({ err: e, node: this.name, svc, reqId: req.id }, 'exchange handler failed');
        if (seq !== undefined) await this.log.settle(seq, p.status >= 500 ? 'failed' : 'refused', p.code, p.status);
        else await this.log.add({ direction: 'in', msgId: claimedId(raw), peer: peerClaim, service: svc, at, outcome: 'refused', code: p.code, status: p.status, digest });
        return reply.status(p.status).type('application/problem+json; charset=utf-8').send({ type: 'about:blank', status: p.status, code: p.code, title: p.title, detail: p.detail, ...(p.errors.length ? { errors: p.errors } : {}) });
      }
    });
  }

  private async verifyIncoming(raw: string): Promise<Incoming> {
    const envelope = await openEnvelope(this.directory, raw, { aud: this.name, now: this.clock.now() });
    const body = envelope.enc && envelope.enc.to !== this.name ? undefined : await bodyOf(this.keys, envelope);
    return { id: envelope.id, sender: envelope.iss, envelope, body, jws: raw, digest: digestOf(raw) };
  }
}

// One keep-alive agent per scheme for every message this process sends (Node's http client: lighter per
// request than fetch, which matters when one inquiry is six messages).
const agents = { http: new http.Agent({ keepAlive: true, maxSockets: 128 }), https: new https.Agent({ keepAlive: true, maxSockets: 128 }) };

/** POSTs a signed message; resolves with the status and the whole body, rejects on a network failure or timeout. */
function postJose(url: string, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  const buf = Buffer.from(body, 'utf8');
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      u,
      {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        headers: { 'content-type': JOSE_TYPE, accept: `${JOSE_TYPE}, application/problem+json`, 'content-length': buf.length },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('response aborted')));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })));
    req.on('error', reject);
    req.end(buf);
  });
}

/** The named fields of a receiver's refusal (each {field, code, message} of strings; anything else dropped). */
function fieldErrorsOf(raw: unknown): FieldError[] {
  if (!Array.isArray(raw)) return [];
  return raw
    .filter((e): e is FieldError => !!e && typeof e.field === 'string' && typeof e.code === 'string' && typeof e.message === 'string')
    .slice(0, 50)
    .map((e) => ({ field: e.field.slice(0, 200), code: e.code.slice(0, 64), message: e.message.slice(0, 500) }));
}

/** The message id a JWS claims, for logging a refused message (a digest prefix when none is readable). */
function claimedId(jws: string): string {
  try {
    const env = JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as { id?: unknown };
    if (typeof env.id === 'string' && env.id.length <= 64) return env.id;
  } catch {
    // fall through
  }
  return `unread-${digestOf(jws).slice(0, 16)}`;
}
