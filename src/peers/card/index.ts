// 公的個人認証サービス（J-LIS）node `card` (issue 12, decision 0144; contract: docs/formats/platform-protocol.md).
// A small synthetic CA for synthetic My Number cards:
// - its root key pair and self-signed certificate under <keyDir>/nodes/card/ca/ (made at first start);
// - `card.issue` (from the municipality): two RSA-2048 certificates over the public keys the card holder's
//   side generated — 利用者証明用 (no 4情報) and 署名用 (the 4情報 in a documented extension) — each valid
//   5 years from the kernel clock; then マイナ保険証の利用登録 at insurerhub (`card.link`), whose failure
//   does not stop the issuance (`linked:false`);
// - `card.status` (any node), `card.revoke` (the municipality);
// - unsigned public GETs like JPKI's CRL distribution point: /card/v1/ca.pem, /card/v1/crl, /card/v1/status/{serial}.
// The node keeps no My Number and no name: a row per certificate (serial, kind, card, tenant, validity,
// status) and the certificate's SHA-256.  The My Number is held in memory for the card.link call only.
import { createHash, randomUUID } from 'node:crypto';
import { webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { createNodeServer, type PeerContext, type PeerService, type ServiceDef } from '../../kernel/exchange/index.js';
import type { MigrationSource, UntypedDatabase } from '../../kernel/db/index.js';
import type { Clock } from '../../kernel/clock/index.js';
import { checkMyNumber } from '../../kernel/mynumber/index.js';
import { invalidField, isProblem, parseInput, Problem } from '../../kernel/problems/index.js';
import { logger } from '../../kernel/log/index.js';
import {
  AUTH_POLICY_OID, CERT_VALIDITY_YEARS, HOLDER_EXTENSION_OID, RSA_ALG, RSA_GEN, SIGN_POLICY_OID, encodeHolder, randomSerial, signKenmen, x509,
  type CardCryptoKey, type CardKeyPair, type CertKind, type Holder, type KenmenBlock,
} from '../../kernel/jpki/index.js';

export const CARD_SCHEMA = 'peers_card';
export const CARD_ROLE = 'mamori_card';
export const CARD_NODE = 'card';

export const cardMigrations: MigrationSource = {
  schema: CARD_SCHEMA,
  dir: fileURLToPath(new URL('./migrations/', import.meta.url)),
};

const subtle = webcrypto.subtle;
type Certificate = InstanceType<typeof x509.X509Certificate>;
/** CryptoKey as @peculiar/x509's declarations name it (they are written against the DOM's WebCrypto types). */
type X509Key = Parameters<typeof x509.X509CrlGenerator.create>[0]['signingKey'];

/** Subject of the synthetic CA (ASCII; the word "Synthetic" is part of it on purpose). */
export const CA_SUBJECT = 'C=JP, O=Mamori Synthetic JPKI, CN=Synthetic JPKI CA for My Number Cards';
/** The CA certificate is valid this many years from its creation. */
export const CA_VALIDITY_YEARS = 20;
/** A CRL is valid (nextUpdate) this long after it was made. */
const CRL_HOURS = 24;

export interface CardCa {
  readonly cert: Certificate;
  readonly pem: string;
  readonly key: CardCryptoKey;
}

function addYears(d: Date, years: number): Date {
  const out = new Date(d.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

/** Second precision (what a certificate holds), so that the stored row equals the certificate. */
function seconds(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

function writePrivate(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** Opens the CA of the node (creating its key pair and self-signed certificate on first use). */
export async function openCardCa(keyDir: string, node: string, clock: Clock): Promise<CardCa> {
  const dir = join(keyDir, 'nodes', node, 'ca');
  const keyFile = join(dir, 'ca-key.pem');
  const certFile = join(dir, 'ca.pem');
  if (existsSync(keyFile) && existsSync(certFile)) {
    const cert = new x509.X509Certificate(readFileSync(certFile, 'utf8'));
    const key = await subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(readFileSync(keyFile, 'utf8')), RSA_ALG, false, ['sign']);
    return { cert, pem: cert.toString('pem'), key };
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const keys = (await subtle.generateKey(RSA_GEN, true, ['sign', 'verify'])) as CardKeyPair;
  const now = seconds(clock.now());
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: CA_SUBJECT,
    notBefore: now,
    notAfter: addYears(now, CA_VALIDITY_YEARS),
    signingAlgorithm: RSA_ALG,
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey as unknown as Parameters<typeof x509.SubjectKeyIdentifierExtension.create>[0]),
    ],
  });
  const pem = cert.toString('pem');
  writePrivate(keyFile, x509.PemConverter.encode(await subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY'));
  writeFileSync(certFile, pem + '\n');
  const key = await subtle.importKey('pkcs8', await subtle.exportKey('pkcs8', keys.privateKey), RSA_ALG, false, ['sign']);
  return { cert, pem, key };
}

// ---------------------------------------------------------------- validation

const SERIAL = /^[0-9a-fA-F]{32}$/;
const serialSchema = z.string({ message: 'serial（電子証明書のシリアル番号、16バイトの16進）を指定してください' }).regex(SERIAL, { message: 'serial は32桁の16進数です' }).transform((s) => s.toLowerCase());

const issueSchema = z.object({
  tenant: z.string({ message: 'tenant は6桁の団体コードです' }).regex(/^[0-9]{6}$/, { message: 'tenant は6桁の団体コードです' }),
  holder: z.object(
    {
      name: z.string({ message: '氏名（holder.name）を指定してください' }).trim().min(1, { message: '氏名（holder.name）を指定してください' }).max(100),
      nameKana: z.string().trim().max(100).default(''),
      dateOfBirth: z.string({ message: '生年月日（holder.dateOfBirth）は YYYY-MM-DD です' }).regex(/^\d{4}-\d{2}-\d{2}$/, { message: '生年月日（holder.dateOfBirth）は YYYY-MM-DD です' }),
      sex: z.enum(['1', '2', '9'], { message: '性別（holder.sex）は 1（男）・2（女）・9（不明）のいずれかです' }),
      address: z.string({ message: '住所（holder.address）を指定してください' }).trim().min(1, { message: '住所（holder.address）を指定してください' }).max(200),
    },
    { message: '券面事項（holder）を指定してください' },
  ),
  myNumber: z.string({ message: '個人番号（myNumber）を指定してください' }),
  authSpki: z.string({ message: '利用者証明用の公開鍵（authSpki）を指定してください' }).max(4096),
  signSpki: z.string({ message: '署名用の公開鍵（signSpki）を指定してください' }).max(4096),
});

const revokeSchema = z.object({
  serial: serialSchema,
  reason: z.string({ message: '失効の理由（reason）を指定してください' }).trim().min(1, { message: '失効の理由（reason）を指定してください' }).max(200),
});

async function importSpki(field: 'authSpki' | 'signSpki', b64: string): Promise<CardCryptoKey> {
  const bad = () => invalidField(field, 'SPKI_INVALID', `${field} は RSA-2048（公開指数 65537）の公開鍵を DER SubjectPublicKeyInfo の base64 で指定してください`);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw bad();
  let key: CardCryptoKey;
  try {
    key = await subtle.importKey('spki', Buffer.from(b64, 'base64'), RSA_ALG, true, ['verify']);
  } catch {
    throw bad();
  }
  const alg = key.algorithm as { modulusLength?: number; publicExponent?: Uint8Array };
  if (alg.modulusLength !== 2048 || Buffer.from(alg.publicExponent ?? []).toString('hex') !== '010001') throw bad();
  return key;
}

// ---------------------------------------------------------------- the register of certificates

export interface CertificateStatus {
  readonly serial: string;
  readonly status: 'good' | 'revoked' | 'unknown';
  readonly revokedAt?: string;
  readonly reason?: string;
  readonly notAfter?: string;
}

interface CertRow {
  serial: string;
  kind: CertKind;
  not_after: Date | string;
  status: 'good' | 'revoked';
  revoked_at: Date | string | null;
  reason: string | null;
}

const iso = (d: Date | string) => new Date(d).toISOString();

/** The status of one certificate (`card.status`, GET /card/v1/status/{serial}). */
export async function certificateStatus(db: Kysely<UntypedDatabase>, serial: string): Promise<CertificateStatus> {
  const r = (await db.selectFrom(`${CARD_SCHEMA}.certificates`).select(['serial', 'kind', 'not_after', 'status', 'revoked_at', 'reason']).where('serial', '=', serial).executeTakeFirst()) as CertRow | undefined;
  if (!r) return { serial, status: 'unknown' };
  return {
    serial,
    status: r.status,
    ...(r.status === 'revoked' && r.revoked_at ? { revokedAt: iso(r.revoked_at), reason: r.reason ?? '' } : {}),
    notAfter: iso(r.not_after),
  };
}

export interface CardOptions {
  /** Node that hosts the municipalities (default 'municipality'). */
  readonly municipalityNode?: string;
  /** 支払基金's node, asked for マイナ保険証の利用登録 (default 'insurerhub'). */
  readonly insurerNode?: string;
}

export interface CardNode extends PeerService {
  readonly ca: CardCa;
}

interface IssueAnswer {
  authCert: string;
  signCert: string;
  caCert: string;
  authSerial: string;
  signSerial: string;
  notBefore: string;
  notAfter: string;
  linked: boolean;
  /** 券面事項入力補助 (decision 0188): the My Number and 4情報 signed by this CA, for the card file only. */
  kenmen: KenmenBlock;
}

export function cardServices(ctx: PeerContext, ca: CardCa, opts: CardOptions = {}): Record<string, ServiceDef> {
  const db = ctx.db;
  const municipality = opts.municipalityNode ?? 'municipality';
  const insurer = opts.insurerNode ?? 'insurerhub';

  async function certificate(kind: CertKind, publicKey: CardCryptoKey, notBefore: Date, notAfter: Date, holder: Holder | null): Promise<Certificate> {
    const extensions = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(kind === 'auth' ? x509.KeyUsageFlags.digitalSignature : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
      new x509.CertificatePolicyExtension([kind === 'auth' ? AUTH_POLICY_OID : SIGN_POLICY_OID]),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      await x509.SubjectKeyIdentifierExtension.create(publicKey as unknown as Parameters<typeof x509.SubjectKeyIdentifierExtension.create>[0]),
      ...(holder ? [new x509.Extension(HOLDER_EXTENSION_OID, false, encodeHolder(holder))] : []),
    ];
    return x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      // No 4情報 in the subject of either certificate: a random name (the 署名用 one carries them in its extension).
      subject: `C=JP, CN=${randomSerial()}`,
      issuer: ca.cert.subject,
      notBefore,
      notAfter,
      signingAlgorithm: RSA_ALG,
      publicKey: publicKey as unknown as Parameters<typeof x509.X509CertificateGenerator.create>[0]['publicKey'],
      signingKey: ca.key as unknown as X509Key,
      extensions,
    });
  }

  return {
    'card.issue': {
      title: '電子証明書の発行（公的個人認証サービス）',
      from: (s) => s === municipality,
      async handle(msg) {
        const q = parseInput(issueSchema, msg.body ?? {});
        const c = checkMyNumber(q.myNumber);
        if (!c.ok) throw invalidField('myNumber', c.code, c.message);
        const authKey = await importSpki('authSpki', q.authSpki);
        const signKey = await importSpki('signSpki', q.signSpki);
        if (q.authSpki === q.signSpki) throw new Problem(400, 'CARD_SAME_KEY', '利用者証明用と署名用に同じ鍵は使えません', 'authSpki と signSpki には別々に生成した鍵を指定してください。');
        const now = seconds(ctx.clock.now());
        const notAfter = addYears(now, CERT_VALIDITY_YEARS);
        const auth = await certificate('auth', authKey, now, notAfter, null);
        const sign = await certificate('sign', signKey, now, notAfter, q.holder);
        const cardId = randomUUID();
        const row = (cert: Certificate, kind: CertKind) => ({
          serial: cert.serialNumber.toLowerCase(),
          kind,
          card_id: cardId,
          tenant: q.tenant,
          not_before: cert.notBefore,
          not_after: cert.notAfter,
          status: 'good',
          issued_at: now,
          cert_sha256: createHash('sha256').update(new Uint8Array(cert.rawData)).digest('hex'),
          request_msg_id: msg.id,
        });
        await db.insertInto(`${CARD_SCHEMA}.certificates`).values([row(auth, 'auth'), row(sign, 'sign')]).execute();
        const authSerial = auth.serialNumber.toLowerCase();
        // マイナ保険証の利用登録 (synthetic): the 利用者証明用 serial and the number, to 支払基金 only.
        let linked = false;
        if (ctx.node.directory.has(insurer)) {
          try {
            const a = await ctx.node.call(insurer, 'card.link', { serial: authSerial, myNumber: c.value }, { personal: true, timeoutMs: 10_000 });
            linked = (a.body as { linked?: unknown } | undefined)?.linked === true;
          } catch (e) {
            if (!isProblem(e)) throw e;
            logger().warn({ node: ctx.name, peer: insurer, code: e.code, status: e.status }, 'card.link refused; the card is issued without the 健康保険証利用登録');
          }
          if (linked) await db.updateTable(`${CARD_SCHEMA}.certificates`).set({ linked: true }).where('serial', '=', authSerial).execute();
        }
        const signSerial = sign.serialNumber.toLowerCase();
        // 券面事項入力補助: written once, by the issuer, bound to this card's two certificates (decision 0188).
        // It goes back in this (encrypted) answer for the card file and is not kept here.
        const kenmen = await signKenmen(ca.key, {
          myNumber: c.value, name: q.holder.name, nameKana: q.holder.nameKana, dateOfBirth: q.holder.dateOfBirth, sex: q.holder.sex, address: q.holder.address,
          authSerial, signSerial, issuedAt: now.toISOString(),
        });
        const body: IssueAnswer = {
          authCert: auth.toString('pem'),
          signCert: sign.toString('pem'),
          caCert: ca.pem,
          authSerial,
          signSerial,
          notBefore: auth.notBefore.toISOString(),
          notAfter: auth.notAfter.toISOString(),
          linked,
          kenmen,
        };
        return { body, personal: true };
      },
    },

    'card.status': {
      title: '電子証明書の失効情報の確認',
      from: () => true,
      async handle(msg) {
        const q = parseInput(z.object({ serial: serialSchema }), msg.body ?? {});
        return { body: await certificateStatus(db, q.serial) };
      },
    },

    'card.revoke': {
      title: '電子証明書の失効',
      from: (s) => s === municipality,
      async handle(msg) {
        const q = parseInput(revokeSchema, msg.body ?? {});
        const now = ctx.clock.now();
        const done = await db
          .updateTable(`${CARD_SCHEMA}.certificates`)
          .set({ status: 'revoked', revoked_at: now, reason: q.reason })
          .where('serial', '=', q.serial)
          .where('status', '=', 'good')
          .returning(['revoked_at'])
          .executeTakeFirst();
        if (done) return { body: { revoked: true, serial: q.serial, revokedAt: iso(done.revoked_at as Date) } };
        const s = await certificateStatus(db, q.serial);
        if (s.status === 'unknown') throw new Problem(404, 'CARD_UNKNOWN', '電子証明書が見つかりません', `シリアル番号 ${q.serial} の電子証明書は発行されていません。`);
        return { body: { revoked: true, serial: q.serial, revokedAt: s.revokedAt } };
      },
    },
  };
}

/** The CRL of the CA: every revoked certificate not yet expired, signed by the CA; cached while nothing changes. */
function crlMaker(db: Kysely<UntypedDatabase>, ca: CardCa, clock: Clock): () => Promise<Uint8Array> {
  let cached: { key: string; madeAt: number; der: Uint8Array } | undefined;
  return async () => {
    const now = clock.now();
    const rows = (await db
      .selectFrom(`${CARD_SCHEMA}.certificates`)
      .select(['serial', 'revoked_at'])
      .where('status', '=', 'revoked')
      .where('not_after', '>', now)
      .orderBy('revoked_at')
      .orderBy('serial')
      .execute()) as { serial: string; revoked_at: Date | string }[];
    const key = rows.map((r) => `${r.serial}@${iso(r.revoked_at)}`).join(',');
    if (cached && cached.key === key && now.getTime() - cached.madeAt < 3600_000 && now.getTime() >= cached.madeAt) return cached.der;
    const thisUpdate = seconds(now);
    const crl = await x509.X509CrlGenerator.create({
      issuer: ca.cert.subject,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + CRL_HOURS * 3600_000),
      signingAlgorithm: RSA_ALG,
      signingKey: ca.key as unknown as X509Key,
      entries: rows.map((r) => ({ serialNumber: r.serial, revocationDate: new Date(r.revoked_at), reason: x509.X509CrlReason.unspecified })),
    });
    cached = { key, madeAt: now.getTime(), der: new Uint8Array(crl.rawData) };
    return cached.der;
  };
}

/** Builds the card node: its CA, the message services and the public GETs (not yet listening). */
export async function buildCardNode(ctx: PeerContext, opts: CardOptions = {}): Promise<CardNode> {
  const ca = await openCardCa(ctx.config.keyDir, ctx.name, ctx.clock);
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, cardServices(ctx, ca, opts));
  const crl = crlMaker(ctx.db, ca, ctx.clock);
  fastify.get('/card/v1/ca.pem', async (_req, reply) => reply.header('cache-control', 'public, max-age=3600').type('application/x-pem-file').send(ca.pem));
  fastify.get('/card/v1/crl', async (_req, reply) => reply.header('cache-control', 'public, max-age=60').type('application/pkix-crl').send(Buffer.from(await crl())));
  fastify.get('/card/v1/status/:serial', async (req, reply) => {
    const serial = String((req.params as { serial?: string }).serial ?? '');
    if (!SERIAL.test(serial)) throw invalidField('serial', 'SERIAL_INVALID', 'serial は32桁の16進数です');
    return reply.header('cache-control', 'no-store').send(await certificateStatus(ctx.db, serial.toLowerCase()));
  });
  return { fastify, ca };
}
