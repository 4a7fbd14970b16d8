// Test doubles for the organisations around マイナポータル (the resident portal's tests): stand-in nodes
// `platform`, `insurerhub` and `card` built with exchangeNodeFor + createNodeServer, serving the services of
// docs/formats/platform-protocol.md with fixed data; a small test CA and test cards (`testCard()`); a test
// JPKI verifier and a test `window.mamoriCard` script.  Everything the lead swaps for the real nodes at merge
// (src/platform, src/peers/insurerhub, src/peers/card, src/kernel/jpki, src/web/assets/card-login.js) is here.
import { createHash, createPublicKey, generateKeyPairSync, randomBytes, sign as rsaSign, verify as rsaVerify, X509Certificate, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { Directory, createNodeServer, exchangeNodeFor, type ExchangeNode, type ServiceDef } from '../../src/kernel/exchange/index.js';
import { Problem } from '../../src/kernel/problems/index.js';
import type { SetClock } from '../../src/kernel/clock/index.js';
import { buildMynaportalNode, MYNAPORTAL_ROLE, MYNAPORTAL_SCHEMA, type MynaPortal } from '../../src/peers/mynaportal/index.js';
import type { VerifyCardInput, VerifiedCard } from '../../src/kernel/jpki/index.js';
import { registerPortalPages } from '../../src/web/portal/index.js';
import { testApp, type TestApp } from './app.js';
import { testClock } from './clock.js';

// ── A minimal DER writer for test certificates ────────────────────────────────────────────────────
const der = (tag: number, content: Buffer): Buffer => {
  const n = content.length;
  const len = n < 0x80 ? Buffer.from([n]) : n < 0x100 ? Buffer.from([0x81, n]) : Buffer.from([0x82, n >> 8, n & 0xff]);
  return Buffer.concat([Buffer.from([tag]), len, content]);
};
const seq = (...parts: Buffer[]) => der(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => der(0x31, Buffer.concat(parts));
const oid = (s: string): Buffer => {
  const [a, b, ...rest] = s.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const v of rest) {
    const bytes = [v & 0x7f];
    for (let x = v >> 7; x > 0; x >>= 7) bytes.unshift((x & 0x7f) | 0x80);
    out.push(...bytes);
  }
  return der(0x06, Buffer.from(out));
};
const utf8 = (s: string) => der(0x0c, Buffer.from(s, 'utf8'));
const utcTime = (d: Date) => der(0x17, Buffer.from(d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z', 'ascii'));
const integer = (b: Buffer) => der(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
const SHA256_RSA = seq(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
const name = (cn: string) => seq(set(seq(oid('2.5.4.6'), der(0x13, Buffer.from('JP')))), set(seq(oid('2.5.4.3'), utf8(cn))));

function certificate(o: { serialHex: string; issuer: string; subject: string; notBefore: Date; notAfter: Date; publicKey: KeyObject; signer: KeyObject; ca?: boolean }): string {
  const exts = o.ca ? [der(0xa3, seq(seq(oid('2.5.29.19'), Buffer.from([0x01, 0x01, 0xff]), der(0x04, seq(Buffer.from([0x01, 0x01, 0xff]))))))] : [];
  const tbs = seq(
    der(0xa0, integer(Buffer.from([2]))),
    integer(Buffer.from(o.serialHex, 'hex')),
    SHA256_RSA,
    name(o.issuer),
    seq(utcTime(o.notBefore), utcTime(o.notAfter)),
    name(o.subject),
    o.publicKey.export({ type: 'spki', format: 'der' }),
    ...exts,
  );
  const sig = rsaSign('sha256', tbs, o.signer);
  const cert = seq(tbs, SHA256_RSA, der(0x03, Buffer.concat([Buffer.from([0]), sig])));
  return `-----BEGIN CERTIFICATE-----\n${cert.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

// ── Test CA and cards ─────────────────────────────────────────────────────────────────────────────
export interface TestCard {
  /** The certificate serial (upper-case hex, as X509Certificate reports it). */
  readonly serial: string;
  readonly certPem: string;
  /** The card file the browser reads (JSON; the key inside, the PIN's hash). */
  readonly fileText: string;
  readonly pin: string;
  readonly privateKey: KeyObject;
}

export interface TestCa {
  readonly caCertPem: string;
  issue(holder: string, opts?: { pin?: string }): TestCard;
}

export function testCardAuthority(now: Date): TestCa {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const notBefore = new Date(now.getTime() - 86_400_000 * 30);
  const notAfter = new Date(now.getTime() + 86_400_000 * 365 * 5);
  const caCertPem = certificate({ serialHex: '01', issuer: 'Mamori Test JPKI CA', subject: 'Mamori Test JPKI CA', notBefore, notAfter, publicKey, signer: privateKey, ca: true });
  return {
    caCertPem,
    issue(holder, opts = {}) {
      const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
      const serialBytes = randomBytes(8);
      serialBytes[0] = (serialBytes[0]! & 0x7f) | 0x10;
      const certPem = certificate({ serialHex: serialBytes.toString('hex'), issuer: 'Mamori Test JPKI CA', subject: holder, notBefore, notAfter, publicKey: key.publicKey, signer: privateKey });
      const pin = opts.pin ?? '1234';
      const fileText = JSON.stringify({
        format: 'mamori-test-card/1',
        certPem,
        key: key.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
        pinSha256: createHash('sha256').update(pin).digest('hex'),
      });
      return { serial: new X509Certificate(certPem).serialNumber.toUpperCase(), certPem, fileText, pin, privateKey: key.privateKey };
    },
  };
}

/** A card's answer to a challenge, as window.mamoriCard.sign makes it (RSASSA-PKCS1-v1_5 SHA-256 over the challenge bytes). */
export function signChallenge(card: TestCard, challengeB64u: string): { certPem: string; signature: string } {
  return { certPem: card.certPem, signature: rsaSign('sha256', Buffer.from(challengeB64u, 'base64url'), card.privateKey).toString('base64url') };
}

/** The test stand-in for src/kernel/jpki verifyCardSignature (same input and answer). */
export function testVerifyCardSignature(input: VerifyCardInput): VerifiedCard {
  const cert = new X509Certificate(input.certPem);
  const ca = new X509Certificate(input.caCertPem);
  if (!cert.verify(ca.publicKey)) throw new Error('certificate not issued by the CA');
  if (new Date(cert.validTo) < input.now || new Date(cert.validFrom) > input.now) throw new Error('certificate not valid now');
  const challenge = typeof input.challenge === 'string' ? Buffer.from(input.challenge, 'base64url') : Buffer.from(input.challenge);
  const ok = rsaVerify('sha256', challenge, createPublicKey(cert.publicKey.export({ type: 'spki', format: 'pem' })), Buffer.from(input.signature, 'base64url'));
  if (!ok) throw new Error('bad signature');
  return { serial: cert.serialNumber.toUpperCase(), notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo), subject: cert.subject, issuer: cert.issuer };
}

/** The test stand-in for src/web/assets/card-login.js: window.mamoriCard.sign(fileText, pin, challengeB64u). */
export const TEST_CARD_SCRIPT = String.raw`window.mamoriCard = {
  sign: async function (fileText, pin, challengeB64u) {
    var card = JSON.parse(fileText);
    var hash = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(pin)));
    var hex = Array.from(hash).map(function (b) { return b.toString(16).padStart(2, '0'); }).join('');
    if (hex !== card.pinSha256) { var e = new Error('暗証番号が違います'); e.code = 'PIN_INCORRECT'; e.certPem = card.certPem; throw e; }
    var keyDer = Uint8Array.from(atob(card.key), function (c) { return c.charCodeAt(0); });
    var key = await crypto.subtle.importKey('pkcs8', keyDer, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    var b64 = challengeB64u.replace(/-/g, '+').replace(/_/g, '/');
    while (b64.length % 4) b64 += '=';
    var bytes = Uint8Array.from(atob(b64), function (c) { return c.charCodeAt(0); });
    var sig = new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', key, bytes));
    var s = btoa(String.fromCharCode.apply(null, Array.from(sig))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
    return { certPem: card.certPem, signature: s };
  }
};
`;

// ── The fixed world of the stand-ins ───────────────────────────────────────────────────────────────
export interface WorldPerson {
  readonly key: string;
  readonly pmhKey: string;
  readonly pseudonymId: string;
  readonly name: string;
  readonly nameKana: string;
  readonly dateOfBirth: string;
  readonly sex: string;
}

export const PEOPLE = {
  parent: { key: 'parent', pmhKey: 'PKAAAAAAAAAAAAAAAAAAAA', pseudonymId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', name: '山田 太郎', nameKana: 'ヤマダ タロウ', dateOfBirth: '1990-05-01', sex: '1' },
  child: { key: 'child', pmhKey: 'PKBBBBBBBBBBBBBBBBBBBB', pseudonymId: 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', name: '山田 花子', nameKana: 'ヤマダ ハナコ', dateOfBirth: '2025-04-01', sex: '2' },
  other: { key: 'other', pmhKey: 'PKCCCCCCCCCCCCCCCCCCCC', pseudonymId: 'cccccccccccccccccccccccccccccccc', name: '佐藤 一郎', nameKana: 'サトウ イチロウ', dateOfBirth: '2024-10-10', sex: '1' },
  revoked: { key: 'revoked', pmhKey: 'PKDDDDDDDDDDDDDDDDDDDD', pseudonymId: 'dddddddddddddddddddddddddddddddd', name: '鈴木 次郎', nameKana: 'スズキ ジロウ', dateOfBirth: '1985-01-01', sex: '1' },
} as const satisfies Record<string, WorldPerson>;
export type PersonKey = keyof typeof PEOPLE;

export const QUESTIONNAIRE = {
  title: 'ヒブワクチン 予診票',
  purpose: 'この予診票は、予防接種を安全に受けていただくために、医師が接種の前に健康状態を確認するためのものです。\n入力された内容は、接種を行う医療機関とお住まいの市区町村が予防接種の実施と記録のためにだけ利用します。',
  items: [
    { itemId: 'temperature', label: '今日の体温（℃）', type: 'number', required: true },
    { itemId: 'unwell', label: '今日、体に具合の悪いところがありますか', type: 'boolean', required: true },
    { itemId: 'reaction', label: '前回の予防接種のあとに、具合が悪くなったことはありますか', type: 'choice', options: ['ない', 'ある', '初めての接種'], required: true },
    { itemId: 'note', label: '医師に伝えたいこと', type: 'text', required: false, maxLength: 200 },
  ],
} as const;

export interface PlatformState {
  /** pmhPseudonym → pmhKey, as portal.link received them. */
  readonly links: Map<string, string>;
  readonly agencies: { agent: string; principal: string; consentText: string; consentedAt: string }[];
  readonly answers: { actor: string; subject: string; programCode: string; dose: number; consent: unknown; answers: Record<string, unknown> }[];
}

function platformServices(state: PlatformState): Record<string, ServiceDef> {
  const fromPortal = (s: string) => s === 'mynaportal';
  const personOf = (pseudonym: string) => {
    const key = state.links.get(pseudonym);
    return Object.values(PEOPLE).find((p) => p.pmhKey === key);
  };
  const nf = () => new Problem(404, 'NOT_FOUND', '見つかりません');
  const may = (actor: unknown, subject: unknown): WorldPerson => {
    if (typeof actor !== 'string' || typeof subject !== 'string') throw new Problem(400, 'INVALID_REQUEST', '要求が正しくありません');
    if (actor !== subject && !state.agencies.some((a) => a.agent === actor && a.principal === subject)) throw nf();
    const p = personOf(subject);
    if (!p) throw nf();
    return p;
  };
  const b = (body: unknown) => (body ?? {}) as Record<string, unknown>;
  const notices = (p: WorldPerson) =>
    p.key === 'child'
      ? [{ noticeId: 'n-hib-2', title: 'ヒブワクチン 予防接種のお知らせ', body: '{name}さんのヒブワクチン2回目の接種時期になりました。\n医療機関に予約のうえ、接種を受けてください。'.replace('{name}', p.name), programCode: 'hib', programName: 'ヒブ', dose: 2, voucherNo: '0000000012', issuedOn: '2026-10-01', dueUntil: '2030-03-31', municipalityName: '江戸川区' }]
      : p.key === 'other'
        ? [{ noticeId: 'n-other', title: 'BCG 予防接種のお知らせ', body: '佐藤 一郎さんへのお知らせです。', programCode: 'bcg', programName: 'BCG', dose: 1, voucherNo: '0000000099', issuedOn: '2026-10-01', dueUntil: '2027-03-31', municipalityName: '仙台市' }]
        : [];
  return {
    'portal.link': {
      title: 'PMH仮名識別子の紐付け', from: fromPortal,
      async handle(msg) {
        const { pmhPseudonym, pmhKey } = b(msg.body) as { pmhPseudonym: string; pmhKey: string };
        if (!Object.values(PEOPLE).some((p) => p.pmhKey === pmhKey)) throw new Problem(404, 'PMH_KEY_UNKNOWN', 'PMHキーが登録されていません');
        state.links.set(pmhPseudonym, pmhKey);
        return { body: { linked: true, persons: 1 } };
      },
    },
    'portal.agency': {
      title: '代理人の登録', from: fromPortal,
      async handle(msg) {
        const a = b(msg.body) as { agent: string; principal: string; consentText: string; consentedAt: string };
        state.agencies.push({ agent: a.agent, principal: a.principal, consentText: a.consentText, consentedAt: a.consentedAt });
        return { body: { recorded: true } };
      },
    },
    'portal.persons': {
      title: '閲覧できる人', from: fromPortal,
      async handle(msg) {
        const actor = String(b(msg.body)['actor']);
        const list: { subject: string; relation: string; p: WorldPerson }[] = [];
        const self = personOf(actor);
        if (self) list.push({ subject: actor, relation: 'self', p: self });
        for (const a of state.agencies.filter((x) => x.agent === actor)) {
          const p = personOf(a.principal);
          if (p && !list.some((l) => l.subject === a.principal)) list.push({ subject: a.principal, relation: 'agent', p });
        }
        return { body: { persons: list.map((l) => ({ subject: l.subject, relation: l.relation, name: l.p.name, nameKana: l.p.nameKana, dateOfBirth: l.p.dateOfBirth, sex: l.p.sex })) }, personal: true };
      },
    },
    'portal.notices': {
      title: 'お知らせ', from: fromPortal,
      async handle(msg) {
        const p = may(b(msg.body)['actor'], b(msg.body)['subject']);
        return { body: { notices: notices(p) }, personal: true };
      },
    },
    'portal.questionnaire': {
      title: '予診票', from: fromPortal,
      async handle(msg) {
        may(b(msg.body)['actor'], b(msg.body)['subject']);
        const { programCode, dose } = b(msg.body);
        if (programCode !== 'hib' || dose !== 2) throw nf();
        return { body: { ...QUESTIONNAIRE, items: [...QUESTIONNAIRE.items], targetId: 'T131237000000001', questionnaireId: 'q-hib-2' }, personal: true };
      },
    },
    'portal.answer': {
      title: '予診票の回答', from: fromPortal,
      async handle(msg) {
        const body = b(msg.body);
        may(body['actor'], body['subject']);
        const answerId = `ans-${state.answers.length + 1}`;
        state.answers.push({ actor: String(body['actor']), subject: String(body['subject']), programCode: String(body['programCode']), dose: Number(body['dose']), consent: body['consent'], answers: body['answers'] as Record<string, unknown> });
        return { body: { answerId, status: 'submitted', qr: `MAMORI-PMH1:131237:T131237000000001:${answerId}` }, personal: true };
      },
    },
    'portal.records': {
      title: '接種記録', from: fromPortal,
      async handle(msg) {
        const p = may(b(msg.body)['actor'], b(msg.body)['subject']);
        const records = p.key === 'child' ? [{ recordId: 'r-1', programCode: 'hib', programName: 'ヒブ', dose: 1, date: '2026-06-10', vaccineName: 'アクトヒブ', lotNumber: 'X1', institutionName: 'みなと小児科クリニック' }] : [];
        const due = p.key === 'child' ? [{ programCode: 'hib', programName: 'ヒブ', dose: 2, dueFrom: '2026-07-08', dueUntil: '2030-03-31' }] : [];
        const fhir = { resourceType: 'Bundle', type: 'collection', entry: records.map((r) => ({ resource: { resourceType: 'Immunization', status: 'completed', occurrenceDateTime: r.date, vaccineCode: { text: r.vaccineName }, protocolApplied: [{ doseNumberPositiveInt: r.dose }] } })) };
        return { body: { records, due, fhir }, personal: true };
      },
    },
    'portal.data-use': {
      title: 'わたしの情報を使った記録', from: fromPortal,
      async handle(msg) {
        const p = may(b(msg.body)['actor'], b(msg.body)['subject']);
        const n = p.key === 'child' ? 60 : 2;
        const entries = Array.from({ length: n }, (_, i) => ({
          at: new Date(Date.UTC(2026, 9, 1, 1, 0) + i * 3600_000 * 7).toISOString(),
          who: i % 2 ? '職員（健康推進課・保健師）' : '予防接種記録管理システム',
          organisation: i % 2 ? '江戸川区' : '予診情報・予防接種記録管理／請求支払システム',
          action: i % 2 ? '接種記録の閲覧' : '予診票の提供',
          purpose: '予防接種の実施（予防接種法）',
        }));
        return { body: { entries }, personal: true };
      },
    },
  };
}

// ── The whole world: app, stand-ins, the portal node with its pages ───────────────────────────────
export interface PortalWorld {
  readonly app: TestApp;
  readonly clock: SetClock;
  readonly url: string;
  readonly portal: MynaPortal;
  readonly ca: TestCa;
  readonly cards: Record<PersonKey, TestCard>;
  readonly platform: PlatformState;
  /** Revoked card serials (the card stand-in answers `revoked`). */
  readonly revoked: Set<string>;
  close(): Promise<void>;
}

/** A test card for one of the world's persons (the lead re-points this to src/peers/card at merge). */
export function testCard(ca: TestCa, who: PersonKey): TestCard {
  return ca.issue(PEOPLE[who].name);
}

export async function portalWorld(): Promise<PortalWorld> {
  const clock = testClock();
  const app = await testApp('server', { clock });
  const directory = new Directory([]);
  const keyDir = app.config.keyDir;
  const servers: FastifyInstance[] = [];
  const listen = async (name: string, title: string, f: FastifyInstance) => {
    await f.listen({ host: '127.0.0.1', port: 0 });
    servers.push(f);
    const url = `http://127.0.0.1:${(f.server.address() as AddressInfo).port}`;
    directory.set({ name, title, url });
    return url;
  };
  const nodeFor = async (name: string, schema: string, role: string): Promise<ExchangeNode> => exchangeNodeFor({ name, schema, db: await app.db.forRole(role), keyDir, directory, clock });

  const ca = testCardAuthority(clock.now());
  const cards = Object.fromEntries((Object.keys(PEOPLE) as PersonKey[]).map((k) => [k, testCard(ca, k)])) as Record<PersonKey, TestCard>;
  const revoked = new Set<string>([cards.revoked.serial]);
  const platform: PlatformState = { links: new Map(), agencies: [], answers: [] };

  // card (公的個人認証サービス): the CA certificate and card.status.
  const cardNode = await nodeFor('card', 'peers_card', 'mamori_card');
  const cardServer = await createNodeServer('card');
  cardServer.get('/card/v1/ca.pem', async (_req, reply) => reply.type('application/x-pem-file').send(ca.caCertPem));
  cardNode.serve(cardServer, {
    'card.status': {
      title: '電子証明書の失効確認', from: () => true,
      async handle(msg) {
        const serial = String((msg.body as { serial?: unknown })?.serial ?? '');
        const known = Object.values(cards).some((c) => c.serial === serial);
        return { body: { serial, status: !known ? 'unknown' : revoked.has(serial) ? 'revoked' : 'good', notAfter: '2031-11-21T00:00:00.000Z', ...(revoked.has(serial) ? { revokedAt: '2026-11-01T00:00:00.000Z', reason: 'keyCompromise' } : {}) } };
      },
    },
  });
  await listen('card', '公的個人認証サービス（J-LIS）', cardServer);

  // insurerhub (オンライン資格確認等システム): serial → 仮名識別子 (+ PMHキー).
  const hubNode = await nodeFor('insurerhub', 'peers_insurerhub', 'mamori_insurerhub');
  const hubServer = await createNodeServer('insurerhub');
  hubNode.serve(hubServer, {
    'portal.resolve': {
      title: '仮名識別子の取得', from: (s) => s === 'mynaportal',
      async handle(msg) {
        const serial = String((msg.body as { serial?: unknown })?.serial ?? '');
        const who = (Object.keys(cards) as PersonKey[]).find((k) => cards[k].serial === serial);
        if (!who) throw new Problem(404, 'CARD_NOT_LINKED', 'カードが紐付いていません');
        return { body: { pseudonymId: PEOPLE[who].pseudonymId, pmhKey: PEOPLE[who].pmhKey }, personal: true };
      },
    },
  });
  await listen('insurerhub', '医療保険者等向け中間サーバー・オンライン資格確認等システム（支払基金）', hubServer);

  // platform (予診情報・予防接種記録管理／請求支払システム).
  const platNode = await nodeFor('platform', 'platform', 'mamori_platform');
  const platServer = await createNodeServer('platform');
  platNode.serve(platServer, platformServices(platform));
  await listen('platform', '予診情報・予防接種記録管理／請求支払システム', platServer);

  // mynaportal: the node under test, with its pages.
  const db = await app.db.forRole(MYNAPORTAL_ROLE);
  const node = exchangeNodeFor({ name: 'mynaportal', schema: MYNAPORTAL_SCHEMA, db, keyDir, directory, clock });
  const built = await buildMynaportalNode({ name: 'mynaportal', db, node, clock, config: app.config }, { verifyCard: testVerifyCardSignature });
  await registerPortalPages(built.fastify, built.portal, { secureCookies: false, cardScript: TEST_CARD_SCRIPT });
  const url = await listen('mynaportal', 'マイナポータル', built.fastify);

  return {
    app, clock, url, portal: built.portal, ca, cards, platform, revoked,
    async close() {
      for (const s of servers.reverse()) await s.close().catch(() => undefined);
      await app.cleanup();
    },
  };
}
