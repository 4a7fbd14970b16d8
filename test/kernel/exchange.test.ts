// The message layer between organisations (decision 0135, XCH-07, XCH-16, XCH-17): every message signed
// and verified before anyone acts on it; unsigned, tampered, replayed, expired, unknown-sender and
// wrong-audience messages refused and logged at the receiver; personal bodies readable only by their
// addressee; key rotation; both ends' logs agree on every message.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createNodeServer, Directory, ExchangeNode, MessageLog, NodeKeys, sealEnvelope, bodyOf, openEnvelope } from '../../src/kernel/exchange/index.js';
import type { Problem } from '../../src/kernel/problems/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { untyped } from '../../src/kernel/db/index.js';
import { testClock } from '../harness/clock.js';

let app: TestApp;
let keyDir: string;
const clock = testClock();
const directory = new Directory([]);
const servers: FastifyInstance[] = [];
let alice: ExchangeNode; // a sender
let bob: ExchangeNode; // a receiver with two services
let eve: ExchangeNode; // known to nobody

function node(name: string): ExchangeNode {
  return new ExchangeNode(name, NodeKeys.open(keyDir, name), directory, new MessageLog(untyped(app.db.system), 'municipality', name), clock);
}

async function listen(n: ExchangeNode, services: Parameters<ExchangeNode['serve']>[1]): Promise<string> {
  const f = await createNodeServer(n.name);
  n.serve(f, services);
  await f.listen({ host: '127.0.0.1', port: 0 });
  servers.push(f);
  const a = f.server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

beforeAll(async () => {
  app = await testApp('server', { clock });
  keyDir = mkdtempSync(join(tmpdir(), 'mamori-xkeys-'));
  alice = node('alice');
  bob = node('bob');
  eve = node('eve');
  directory.set({ name: 'alice', title: 'アリス市', url: await listen(alice, {}) });
  const bobUrl = await listen(bob, {
    echo: { title: '折り返し', from: (s) => s === 'alice', handle: async (m) => ({ body: { got: m.body } }) },
    secret: { title: '個人情報', from: () => true, handle: async (m) => ({ body: { name: `${(m.body as { name: string }).name}様` }, personal: true }) },
  });
  directory.set({ name: 'bob', title: 'ボブ町', url: bobUrl });
});

afterAll(async () => {
  for (const s of servers) await s.close();
  await app?.cleanup();
  rmSync(keyDir, { recursive: true, force: true });
});

async function post(raw: string, svc = 'echo'): Promise<{ status: number; code: string | undefined }> {
  const res = await fetch(`${directory.entry('bob').url}/exchange/v1/${svc}`, { method: 'POST', headers: { 'content-type': 'application/jose' }, body: raw });
  const j = (await res.json().catch(() => ({}))) as { code?: string };
  return { status: res.status, code: j.code };
}

async function bobLog() {
  return (await bob.log.list({ limit: 1000 })).rows;
}

describe('message layer', () => {
  it('signs, verifies and logs both ends with the same digests', async () => {
    const answer = await alice.call('bob', 'echo', { hello: 'こんにちは' });
    expect(answer.sender).toBe('bob');
    expect(answer.body).toEqual({ got: { hello: 'こんにちは' } });
    const mine = (await alice.log.list({ msgId: answer.envelope.re! })).rows;
    const theirs = (await bob.log.list({ msgId: answer.envelope.re! })).rows;
    expect(mine.map((r) => [r.direction, r.outcome])).toEqual([['out', 'ok'], ['in', 'ok']]);
    expect(theirs.map((r) => [r.direction, r.outcome])).toEqual([['in', 'ok'], ['out', 'ok']]);
    // The request alice sent is the request bob received; bob's answer is the answer alice received.
    expect(mine[0]!.digest).toBe(theirs[0]!.digest);
    expect(mine[1]!.digest).toBe(theirs[1]!.digest);
  });

  it('refuses and logs an unsigned, tampered, replayed, expired, unknown-sender or wrong-audience message', async () => {
    const before = (await bobLog()).length;
    expect(await post('{"hello":1}')).toEqual({ status: 401, code: 'EXCHANGE_UNSIGNED' });

    const good = await sealEnvelope(alice.keys, directory, clock.now(), { to: 'bob', svc: 'echo', body: { n: 1 } });
    const [h, , s] = good.jws.split('.');
    const tamperedPayload = Buffer.from(JSON.stringify({ ...good.envelope, body: { n: 2 } })).toString('base64url');
    expect(await post(`${h}.${tamperedPayload}.${s}`)).toEqual({ status: 401, code: 'EXCHANGE_BAD_SIGNATURE' });

    expect((await post(good.jws)).status).toBe(200);
    expect(await post(good.jws)).toEqual({ status: 409, code: 'EXCHANGE_REPLAY' });

    const old = await sealEnvelope(alice.keys, directory, new Date(clock.now().getTime() - 10 * 60_000), { to: 'bob', svc: 'echo', body: {} });
    expect(await post(old.jws)).toEqual({ status: 401, code: 'EXCHANGE_EXPIRED' });

    const stranger = await sealEnvelope(eve.keys, directory, clock.now(), { to: 'bob', svc: 'echo', body: {} });
    expect(await post(stranger.jws)).toEqual({ status: 403, code: 'EXCHANGE_UNKNOWN_SENDER' });

    // alice signs with a key that is not the one she publishes: a forged message in her name.
    const forger = NodeKeys.open(mkdtempSync(join(tmpdir(), 'mamori-forger-')), 'alice');
    const forged = await sealEnvelope(forger, directory, clock.now(), { to: 'bob', svc: 'echo', body: {} });
    expect(await post(forged.jws)).toEqual({ status: 401, code: 'EXCHANGE_BAD_SIGNATURE' });

    const elsewhere = await sealEnvelope(alice.keys, directory, clock.now(), { to: 'alice', svc: 'echo', body: {} });
    expect(await post(elsewhere.jws)).toEqual({ status: 403, code: 'EXCHANGE_WRONG_AUDIENCE' });

    const log = (await bobLog()).slice(before);
    expect(log.filter((r) => r.outcome === 'refused').map((r) => r.code)).toEqual([
      'EXCHANGE_UNSIGNED',
      'EXCHANGE_BAD_SIGNATURE',
      'EXCHANGE_REPLAY',
      'EXCHANGE_EXPIRED',
      'EXCHANGE_UNKNOWN_SENDER',
      'EXCHANGE_BAD_SIGNATURE',
      'EXCHANGE_WRONG_AUDIENCE',
    ]);
  });

  it('refuses a service to a sender it is not for, and an unknown service', async () => {
    directory.set({ name: 'carol', title: 'キャロル村', url: 'http://127.0.0.1:9' });
    const carol = node('carol');
    // carol publishes no JWKS at that address, so bob cannot verify her: refused before any service runs.
    await expect(carol.call('bob', 'echo', {})).rejects.toMatchObject({ status: 401, code: 'EXCHANGE_BAD_SIGNATURE' });
    await expect(alice.call('bob', 'nothing', {})).rejects.toMatchObject({ status: 404, code: 'EXCHANGE_NO_SERVICE' });
    const carolLog = (await carol.log.list()).rows;
    expect(carolLog.map((r) => [r.outcome, r.code])).toEqual([['refused', 'EXCHANGE_BAD_SIGNATURE']]);
  });

  it('refuses a sender the service is not for', async () => {
    const dave = node('dave');
    directory.set({ name: 'dave', title: 'デイブ市', url: await listen(dave, {}) });
    await expect(dave.call('bob', 'echo', {})).rejects.toMatchObject({ status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
  });

  it('encrypts a personal body to its reader only', async () => {
    const answer = await alice.call('bob', 'secret', { name: '山田花子' }, { personal: true });
    expect(answer.body).toEqual({ name: '山田花子様' });
    // Neither the request nor the answer carries the name in clear.
    expect(Buffer.from(answer.jws.split('.')[1]!, 'base64url').toString('utf8')).not.toContain('山田');
    expect(answer.envelope.enc?.to).toBe('alice');
    await expect(bodyOf(bob.keys, answer.envelope)).rejects.toMatchObject({ code: 'EXCHANGE_NOT_FOR_ME' });
  });

  it('a rotated key keeps verifying the previous generation and publishes the new one', async () => {
    const before = await sealEnvelope(alice.keys, directory, clock.now(), { to: 'bob', svc: 'echo', body: { r: 1 } });
    const gen = alice.keys.rotate();
    expect(alice.keys.jwks().keys.map((k) => k.kid!.split('.')[2])).toEqual([String(gen), String(gen), String(gen - 1), String(gen - 1)]);
    expect((await post(before.jws)).status).toBe(200); // previous generation still accepted
    const after = await alice.call('bob', 'echo', { r: 2 }); // new kid: bob refetches alice's JWKS
    expect(after.body).toEqual({ got: { r: 2 } });
    alice.keys.rotate();
    alice.keys.rotate();
    // A message signed two generations ago is no longer trusted once the JWKS stops publishing its key.
    const stale = await openEnvelope(new Directory([directory.entry('alice')]), before.jws, { aud: 'bob', now: clock.now() }).catch((e: Problem) => e);
    expect(stale).toMatchObject({ code: 'EXCHANGE_BAD_SIGNATURE' });
  });

  it('an unreachable receiver fails clearly and the sender logs it', async () => {
    directory.set({ name: 'gone', title: '停止中の組織', url: 'http://127.0.0.1:9' });
    const err = await alice.call('gone', 'echo', {}).catch((e: Problem) => e);
    expect(err).toMatchObject({ status: 503, code: 'EXCHANGE_UNREACHABLE' });
    const last = (await alice.log.list({ limit: 1000 })).rows.at(-1)!;
    expect([last.peer, last.outcome, last.code]).toEqual(['gone', 'failed', 'EXCHANGE_UNREACHABLE']);
  });
});

describe('JWE with a cached key agreement (jwe.ts)', () => {
  it('is a standard JWE: jose reads ours, and we read jose\'s; tampering fails; a new ephemeral key after its lifetime', async () => {
    const { encryptJwe, decryptJwe, EPK_LIFETIME_MS } = await import('../../src/kernel/exchange/jwe.js');
    const { compactDecrypt, CompactEncrypt, importJWK } = await import('jose');
    const reader = NodeKeys.open(keyDir, 'reader');
    const k = reader.jwks().keys.find((x) => x.use === 'enc')!;
    const priv = reader.decryptionKey(k.kid)!;
    const t0 = clock.now().getTime();
    const a = encryptJwe(Buffer.from('{"name":"山田"}'), { kid: k.kid!, jwk: k }, t0);
    const b = encryptJwe(Buffer.from('{"name":"山田"}'), { kid: k.kid!, jwk: k }, t0 + 1000);
    expect(new TextDecoder().decode((await compactDecrypt(a, priv.privateKey)).plaintext)).toBe('{"name":"山田"}');
    expect(a.split('.')[0]).toBe(b.split('.')[0]); // same epk within its lifetime …
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]); // … but a fresh content key per message
    const later = encryptJwe(Buffer.from('x'), { kid: k.kid!, jwk: k }, t0 + EPK_LIFETIME_MS + 1);
    expect(later.split('.')[0]).not.toBe(a.split('.')[0]);
    const theirs = await new CompactEncrypt(Buffer.from('{"ok":true}')).setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: k.kid }).encrypt(await importJWK(k, 'ECDH-ES+A256KW'));
    expect(decryptJwe(theirs, priv.privateKey, priv.kid).toString('utf8')).toBe('{"ok":true}');
    const parts = a.split('.');
    parts[3] = Buffer.from('tampered!').toString('base64url');
    expect(() => decryptJwe(parts.join('.'), priv.privateKey, priv.kid)).toThrow();
  });
});
