// The synthetic 公的個人認証サービス (`card` node, decision 0144) over real HTTP with real message-layer nodes:
// the municipality asks for a card, a stand-in for 支払基金 (insurerhub) answers card.link; the kernel's
// verification (kernel/jpki) checks what a マイナポータル would check at card login; the browser asset
// (src/web/assets/card-login.js) runs on Node's WebCrypto against the same file.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { Directory, createNodeServer, exchangeNodeFor, type ExchangeNode } from '../../src/kernel/exchange/index.js';
import { Problem } from '../../src/kernel/problems/index.js';
import { untyped, type UntypedDatabase } from '../../src/kernel/db/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import {
  CARD_FORMAT, cardFileFromKeys, certKind, decodeHolder, encodeHolder, generateCardKeys, openCardFile, parseCertificate, readHolder, signChallenge, spkiBase64, verifyCardSignature, x509,
  type CardFile, type Holder,
} from '../../src/kernel/jpki/index.js';
import { buildCardNode, openCardCa, CARD_ROLE, CARD_SCHEMA, type CardNode } from '../../src/peers/card/index.js';
import { INSURERHUB_ROLE, INSURERHUB_SCHEMA } from '../../src/peers/insurerhub/index.js';
import { testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { testClock } from '../harness/clock.js';
import { ROOT } from '../harness/paths.js';
import { findMyNumbers } from '../harness/leaks.js';

const MY_NUMBER = syntheticMyNumber('card-test', 1);
const HOLDER: Holder = { name: '鳥取　花子', nameKana: 'トットリ　ハナコ', dateOfBirth: '1990-04-01', sex: '2', address: '鳥取県鳥取市尚徳町116番地' };
const PIN = '1234';

interface IssueAnswer {
  authCert: string;
  signCert: string;
  caCert: string;
  authSerial: string;
  signSerial: string;
  notAfter: string;
  linked: boolean;
}

async function refusal(p: Promise<unknown>): Promise<Problem> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Problem) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('card node (公的個人認証サービス, synthetic)', () => {
  let app: TestApp;
  const clock = testClock();
  const directory = new Directory([]);
  const servers: FastifyInstance[] = [];
  let cardDb: Kysely<UntypedDatabase>;
  let card: CardNode;
  let municipality: ExchangeNode;
  let insurer: ExchangeNode;
  let cardUrl: string;
  let insurerMode: 'ok' | 'refuse' = 'ok';
  const linkCalls: { serial: string; myNumber: string }[] = [];
  let issued: IssueAnswer;
  let keys: Awaited<ReturnType<typeof generateCardKeys>>;
  let file: CardFile;
  let otherDir: string;

  async function listen(name: string, title: string, f: FastifyInstance): Promise<string> {
    await f.listen({ host: '127.0.0.1', port: 0 });
    servers.push(f);
    const url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    directory.set({ name, title, url });
    return url;
  }

  async function issueFor(k: Awaited<ReturnType<typeof generateCardKeys>>, over: Record<string, unknown> = {}): Promise<IssueAnswer> {
    const res = await municipality.call(
      'card',
      'card.issue',
      { tenant: TOTTORI, holder: HOLDER, myNumber: MY_NUMBER, authSpki: await spkiBase64(k.auth.publicKey), signSpki: await spkiBase64(k.sign.publicKey), ...over },
      { personal: true },
    );
    return res.body as IssueAnswer;
  }

  beforeAll(async () => {
    app = await testApp('server', { clock });
    const keyDir = app.config.keyDir;
    cardDb = await app.db.forRole(CARD_ROLE);
    const cardNode = exchangeNodeFor({ name: 'card', schema: CARD_SCHEMA, db: cardDb, keyDir, directory, clock });
    card = await buildCardNode({ name: 'card', db: cardDb, node: cardNode, clock, config: app.config });
    cardUrl = await listen('card', '公的個人認証サービス（J-LIS）', card.fastify);

    municipality = exchangeNodeFor({ name: 'municipality', schema: 'municipality', db: untyped(app.db.app), keyDir, directory, clock });
    const mf = await createNodeServer('municipality');
    municipality.serve(mf, {});
    await listen('municipality', '予防接種事務システム（市区町村）', mf);

    const insurerDb = await app.db.forRole(INSURERHUB_ROLE);
    insurer = exchangeNodeFor({ name: 'insurerhub', schema: INSURERHUB_SCHEMA, db: insurerDb, keyDir, directory, clock });
    const inf = await createNodeServer('insurerhub');
    insurer.serve(inf, {
      'card.link': {
        title: '健康保険証利用登録（テスト用）',
        from: (s) => s === 'card',
        async handle(msg) {
          linkCalls.push(msg.body as { serial: string; myNumber: string });
          if (insurerMode === 'refuse') throw new Problem(404, 'NOT_ENROLLED', '加入者が見つかりません');
          return { body: { linked: true } };
        },
      },
    });
    await listen('insurerhub', '支払基金', inf);

    keys = await generateCardKeys();
    issued = await issueFor(keys);
    file = await cardFileFromKeys({ label: 'テスト', authCert: issued.authCert, signCert: issued.signCert, caCert: issued.caCert, authKey: keys.auth.privateKey, signKey: keys.sign.privateKey, pin: PIN });
    otherDir = mkdtempSync(join(tmpdir(), 'mamori-otherca-'));
  }, 120_000);

  afterAll(async () => {
    for (const s of servers.reverse()) await s.close();
    await app?.cleanup();
    if (otherDir) rmSync(otherDir, { recursive: true, force: true });
  });

  it('issues two RSA-2048 certificates over the given keys, 5 years, and links the card at 支払基金', async () => {
    expect(issued.linked).toBe(true);
    expect(linkCalls).toEqual([{ serial: issued.authSerial, myNumber: MY_NUMBER }]);
    const auth = parseCertificate(issued.authCert);
    const sign = parseCertificate(issued.signCert);
    const ca = parseCertificate(issued.caCert);
    expect(issued.caCert).toBe(card.ca.pem);
    expect(auth.serialNumber.toLowerCase()).toBe(issued.authSerial);
    expect(issued.authSerial).toMatch(/^[0-9a-f]{32}$/);
    expect(issued.signSerial).toMatch(/^[0-9a-f]{32}$/);
    expect(certKind(auth)).toBe('auth');
    expect(certKind(sign)).toBe('sign');
    expect(auth.issuer).toBe(ca.subject);
    expect(await auth.verify({ publicKey: ca.publicKey, signatureOnly: true })).toBe(true);
    expect(await sign.verify({ publicKey: ca.publicKey, signatureOnly: true })).toBe(true);
    expect(Buffer.from(new Uint8Array(auth.publicKey.rawData)).toString('base64')).toBe(await spkiBase64(keys.auth.publicKey));
    expect(auth.signatureAlgorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5' });
    const years = (auth.notAfter.getTime() - auth.notBefore.getTime()) / (365.25 * 86400_000);
    expect(years).toBeGreaterThan(4.99);
    expect(years).toBeLessThan(5.01);
    expect(Math.abs(auth.notBefore.getTime() - clock.now().getTime())).toBeLessThan(60_000);
    // The 4情報 are in the 署名用 certificate only; neither subject names the holder.
    expect(readHolder(issued.signCert)).toEqual(HOLDER);
    expect(readHolder(issued.authCert)).toBeNull();
    expect(auth.subject).not.toContain('鳥取');
    expect(sign.subject).not.toContain('鳥取');
  });

  it('keeps no My Number and no name: one row per certificate, the certificate only as its hash', async () => {
    const rows = (await sql<Record<string, unknown>>`SELECT * FROM peers_card.certificates`.execute(app.db.system)).rows;
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r['kind']).sort()).toEqual(['auth', 'sign']);
    expect(rows.find((r) => r['kind'] === 'auth')!['linked']).toBe(true);
    const text = JSON.stringify(rows);
    expect(text).not.toContain(MY_NUMBER);
    expect(text).not.toContain('鳥取');
    expect(text).not.toMatch(/MII/);
    const logged = JSON.stringify((await sql`SELECT * FROM peers_card.exchange_messages`.execute(app.db.system)).rows);
    expect(logged).not.toContain(MY_NUMBER);
  });

  it('a card login verifies: the 利用者証明用 key signs the challenge, the kernel checks chain, validity, kind and signature', async () => {
    const challenge = Buffer.from(webcrypto.getRandomValues(new Uint8Array(32))).toString('base64url');
    const s = await signChallenge(JSON.stringify(file), PIN, challenge);
    expect(s.certPem).toBe(issued.authCert);
    const v = await verifyCardSignature({ certPem: s.certPem, caCertPem: issued.caCert, challenge, signature: s.signature, now: clock.now() });
    expect(v.serial).toBe(issued.authSerial);
    expect(v.notAfter.toISOString()).toBe(issued.notAfter);
    // The same challenge as bytes.
    await verifyCardSignature({ certPem: s.certPem, caCertPem: issued.caCert, challenge: new Uint8Array(Buffer.from(challenge, 'base64url')), signature: s.signature, now: clock.now() });
  });

  it('refuses a tampered signature, another challenge, a 署名用 certificate, an expired certificate and another CA', async () => {
    const challenge = 'Y2hhbGxlbmdlLTE';
    const s = await signChallenge(file, PIN, challenge);
    const sig = Buffer.from(s.signature, 'base64url');
    sig[10] = sig[10]! ^ 0x01;
    const base = { certPem: s.certPem, caCertPem: issued.caCert, challenge, signature: s.signature, now: clock.now() };
    const tampered = await refusal(verifyCardSignature({ ...base, signature: sig.toString('base64url') }));
    expect(tampered).toMatchObject({ status: 401, code: 'CARD_BAD_SIGNATURE', title: '署名を検証できません' });
    expect(await refusal(verifyCardSignature({ ...base, challenge: 'b3RoZXI' }))).toMatchObject({ code: 'CARD_BAD_SIGNATURE' });

    // The 署名用 key and certificate are not for login.
    const opened = await openCardFile(file, PIN);
    const bySign = Buffer.from(await webcrypto.subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, opened.signKey, Buffer.from(challenge, 'base64url'))).toString('base64url');
    expect(await refusal(verifyCardSignature({ ...base, certPem: issued.signCert, signature: bySign }))).toMatchObject({ code: 'CARD_NOT_AUTH', title: '利用者証明用電子証明書ではありません' });

    // The clock moves past the 5 years.
    const later = new Date(parseCertificate(issued.authCert).notAfter.getTime() + 86400_000);
    const expired = await refusal(verifyCardSignature({ ...base, now: later }));
    expect(expired).toMatchObject({ status: 401, code: 'CARD_EXPIRED' });
    expect(expired.title).toContain('有効期限が切れています');
    clock.set(later);
    try {
      expect(await refusal(verifyCardSignature({ ...base, now: clock.now() }))).toMatchObject({ code: 'CARD_EXPIRED' });
    } finally {
      clock.set(new Date(parseCertificate(issued.authCert).notBefore.getTime() + 3600_000));
    }

    // Another CA with the very same name: its certificate does not vouch for this card, nor the reverse.
    const other = await openCardCa(otherDir, 'card', clock);
    expect(other.cert.subject).toBe(card.ca.cert.subject);
    const untrusted = await refusal(verifyCardSignature({ ...base, caCertPem: other.pem }));
    expect(untrusted).toMatchObject({ status: 401, code: 'CARD_UNTRUSTED', title: '公的個人認証サービスが発行した電子証明書ではありません' });
    // A certificate the other CA made for the same key, with the same profile.
    const forged = await x509.X509CertificateGenerator.create({
      serialNumber: '01'.repeat(16), subject: 'C=JP, CN=forged', issuer: other.cert.subject, notBefore: clock.now(), notAfter: new Date(clock.now().getTime() + 86400_000),
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, publicKey: parseCertificate(issued.authCert).publicKey, signingKey: other.key as never,
      extensions: [parseCertificate(issued.authCert).getExtension('2.5.29.32')!],
    });
    expect(await refusal(verifyCardSignature({ ...base, certPem: forged.toString('pem') }))).toMatchObject({ code: 'CARD_UNTRUSTED' });
    expect(await refusal(verifyCardSignature({ ...base, certPem: 'not a certificate' }))).toMatchObject({ status: 400, code: 'CARD_CERT_MALFORMED' });
  });

  it('the card file: PIN-encrypted PKCS#8, no My Number; a wrong PIN says 暗証番号が違います', async () => {
    const text = JSON.stringify(file);
    expect(file.format).toBe(CARD_FORMAT);
    expect(file.authKey).toMatchObject({ alg: 'PBKDF2-SHA256/A256GCM', iterations: 100_000 });
    expect(text).not.toContain(MY_NUMBER);
    expect(findMyNumbers(text)).toEqual([]);
    const opened = await openCardFile(text, PIN);
    expect(opened.authSerial).toBe(issued.authSerial);
    expect(opened.signSerial).toBe(issued.signSerial);
    const wrong = await refusal(openCardFile(text, '9999'));
    expect(wrong).toMatchObject({ code: 'CARD_PIN_WRONG', title: '暗証番号が違います' });
    expect(await refusal(signChallenge(text, '0000', 'YWJj'))).toMatchObject({ code: 'CARD_PIN_WRONG' });
    expect(await refusal(openCardFile(text, '12345'))).toMatchObject({ status: 400, code: 'CARD_PIN_INVALID' });
    expect(await refusal(openCardFile('{"format":"x"}', PIN))).toMatchObject({ status: 400, code: 'CARD_FILE_MALFORMED' });
  });

  it('the browser asset card-login.js signs with WebCrypto (here Node’s) what the kernel verifies', async () => {
    const src = readFileSync(join(ROOT, 'src/web/assets/card-login.js'), 'utf8');
    const win: Record<string, unknown> = { crypto: webcrypto, atob, btoa, TextEncoder };
    new Function('window', src)(win);
    const api = win['mamoriCard'] as { sign(fileText: string, pin: string, challengeB64u: string): Promise<{ certPem: string; signature: string }> };
    const challenge = Buffer.from(webcrypto.getRandomValues(new Uint8Array(32))).toString('base64url');
    const s = await api.sign(JSON.stringify(file), PIN, challenge);
    expect(s.certPem).toBe(issued.authCert);
    const v = await verifyCardSignature({ certPem: s.certPem, caCertPem: issued.caCert, challenge, signature: s.signature, now: clock.now() });
    expect(v.serial).toBe(issued.authSerial);
    await expect(api.sign(JSON.stringify(file), '4321', challenge)).rejects.toThrow('暗証番号が違います');
    await expect(api.sign('{}', PIN, challenge)).rejects.toThrow('カードのファイルを読めません');
  });

  it('revocation: card.status and GET status say revoked, the CRL (signed by the CA) lists the serial', async () => {
    const k = await generateCardKeys();
    const other = await issueFor(k);
    const before = await municipality.call('card', 'card.status', { serial: other.authSerial });
    expect(before.body).toEqual({ serial: other.authSerial, status: 'good', notAfter: other.notAfter });
    const r = await municipality.call('card', 'card.revoke', { serial: other.authSerial, reason: '紛失' });
    expect(r.body).toMatchObject({ revoked: true, serial: other.authSerial });
    // Any node may ask the status (here 支払基金).
    const st = await insurer.call('card', 'card.status', { serial: other.authSerial.toUpperCase() });
    expect(st.body).toMatchObject({ serial: other.authSerial, status: 'revoked', reason: '紛失', notAfter: other.notAfter });
    expect(typeof (st.body as { revokedAt: string }).revokedAt).toBe('string');
    const again = await municipality.call('card', 'card.revoke', { serial: other.authSerial, reason: '二度目' });
    expect(again.body).toMatchObject({ revoked: true, revokedAt: (st.body as { revokedAt: string }).revokedAt });

    const http = await (await fetch(`${cardUrl}/card/v1/status/${other.authSerial}`)).json();
    expect(http).toMatchObject({ serial: other.authSerial, status: 'revoked', reason: '紛失' });
    expect(await (await fetch(`${cardUrl}/card/v1/status/${'0'.repeat(32)}`)).json()).toEqual({ serial: '0'.repeat(32), status: 'unknown' });
    expect((await fetch(`${cardUrl}/card/v1/status/nope`)).status).toBe(400);
    expect((await municipality.call('card', 'card.status', { serial: issued.authSerial })).body).toMatchObject({ status: 'good' });

    const pem = await (await fetch(`${cardUrl}/card/v1/ca.pem`)).text();
    expect(pem.trim()).toBe(issued.caCert.trim());
    const res = await fetch(`${cardUrl}/card/v1/crl`);
    expect(res.headers.get('content-type')).toContain('application/pkix-crl');
    const crl = new x509.X509Crl(new Uint8Array(await res.arrayBuffer()));
    expect(crl.issuer).toBe(card.ca.cert.subject);
    expect(await crl.verify({ publicKey: card.ca.cert.publicKey })).toBe(true);
    expect(crl.entries.map((e) => e.serialNumber.toLowerCase())).toEqual([other.authSerial]);
    expect(crl.findRevoked(other.authSerial)).not.toBeNull();
    expect(crl.findRevoked(issued.authSerial)).toBeNull();

    const unknown = await refusal(municipality.call('card', 'card.revoke', { serial: 'ab'.repeat(16), reason: 'x' }));
    expect(unknown).toMatchObject({ status: 404, code: 'CARD_UNKNOWN' });
    // Only the municipality revokes and issues.
    expect(await refusal(insurer.call('card', 'card.revoke', { serial: issued.authSerial, reason: 'x' }))).toMatchObject({ code: 'EXCHANGE_NOT_ALLOWED' });
    expect(await refusal(insurer.call('card', 'card.issue', {}, { personal: true }))).toMatchObject({ code: 'EXCHANGE_NOT_ALLOWED' });
  });

  it('a refusal at 支払基金, or no 支払基金 in the directory, still issues the card (linked:false)', async () => {
    insurerMode = 'refuse';
    try {
      const a = await issueFor(await generateCardKeys());
      expect(a.linked).toBe(false);
      expect(parseCertificate(a.authCert).serialNumber.toLowerCase()).toBe(a.authSerial);
    } finally {
      insurerMode = 'ok';
    }
    const local = new Directory(directory.list().filter((e) => e.name !== 'insurerhub'));
    const cardNode = exchangeNodeFor({ name: 'card', schema: CARD_SCHEMA, db: cardDb, keyDir: app.config.keyDir, directory: local, clock });
    const lone = await buildCardNode({ name: 'card', db: cardDb, node: cardNode, clock, config: app.config });
    expect(lone.ca.pem).toBe(card.ca.pem); // the CA is kept under <keyDir>/nodes/card/ca/ and found again
    await lone.fastify.listen({ host: '127.0.0.1', port: 0 });
    servers.push(lone.fastify);
    const calls = linkCalls.length;
    const m2 = exchangeNodeFor({ name: 'municipality', schema: 'municipality', db: untyped(app.db.app), keyDir: app.config.keyDir, directory: new Directory([...directory.list().filter((e) => e.name !== 'card'), { name: 'card', title: 'card', url: `http://127.0.0.1:${(lone.fastify.server.address() as AddressInfo).port}` }]), clock });
    const k = await generateCardKeys();
    const res = await m2.call('card', 'card.issue', { tenant: TOTTORI, holder: HOLDER, myNumber: MY_NUMBER, authSpki: await spkiBase64(k.auth.publicKey), signSpki: await spkiBase64(k.sign.publicKey) }, { personal: true });
    expect((res.body as IssueAnswer).linked).toBe(false);
    expect(linkCalls.length).toBe(calls);
  });

  it('the 4情報 extension round-trips long UTF-8 values (DER long-form lengths)', () => {
    const long: Holder = { ...HOLDER, name: '髙'.repeat(100), address: '鳥取県鳥取市尚徳町116番地'.repeat(13).slice(0, 200) };
    const der = encodeHolder(long);
    expect(der.length).toBeGreaterThan(256);
    expect(decodeHolder(der)).toEqual(long);
    expect(() => decodeHolder(der.subarray(0, der.length - 1))).toThrow();
  });

  it('refuses malformed requests naming the field, never the number', async () => {
    const k = await generateCardKeys();
    const badNumber = await refusal(issueFor(k, { myNumber: '123456789012' }));
    expect(badNumber.status).toBe(400);
    expect(badNumber.detail).toContain('myNumber');
    expect(badNumber.detail).not.toContain('123456789012');
    expect(await refusal(issueFor(k, { authSpki: 'AAAA' }))).toMatchObject({ status: 400 });
    const same = await spkiBase64(k.auth.publicKey);
    expect(await refusal(issueFor(k, { signSpki: same }))).toMatchObject({ code: 'CARD_SAME_KEY' });
    const ec = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    expect(await refusal(issueFor(k, { authSpki: await spkiBase64(ec.publicKey) }))).toMatchObject({ status: 400 });
    expect(await refusal(issueFor(k, { holder: { ...HOLDER, sex: 'female' } }))).toMatchObject({ status: 400 });
  });
});
