// `mamori certificate verify|sample|jwks|rotate-key` — SMART Health Card certificates
// (docs/formats/smart-health-card.md).  No database: --data only locates the key directory.
// Exit codes: 0 valid / done, 1 a card failed verification (reason on stderr), 2 malformed usage.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { resolveConfig } from '../../kernel/config/index.js';
import { formatJst } from '../../kernel/jp/index.js';
import { invalidField } from '../../kernel/problems/index.js';
import {
  combineResolvers,
  healthCardFile,
  issueHealthCard,
  issuerUrlFor,
  jwksResolver,
  qrPng,
  qrSvg,
  qrVersion,
  sampleCertificateInput,
  SAMPLE_BASE_URL,
  SAMPLE_ISSUED_AT,
  SAMPLE_TENANT,
  ShcKeyStore,
  verifyHealthCards,
  type VerifyResult,
} from '../../municipality/certificates/index.js';
import { print, printJson, warn } from '../io.js';

type Opts = Record<string, unknown> & { data?: string };

function keyStore(opts: Opts): ShcKeyStore {
  return new ShcKeyStore(resolveConfig({ data: opts.data }).keyDir);
}

const looksLikeCard = (s: string): boolean => /^\s*(shc:\/|\{|[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\s*$)/i.test(s);

/** The argument is a file (QR text(s), .smart-health-card, JWS) or the QR text / JWS itself. */
function readInput(args: string[]): string {
  const a = args[0];
  if (!a) throw invalidField('FILE|QRTEXT', 'NO_INPUT', 'ファイルまたはQRの文字列（shc:/…）を指定してください');
  if (existsSync(a) && statSync(a).isFile()) return readFileSync(a, 'utf8');
  if (looksLikeCard(a)) return a;
  throw invalidField('FILE|QRTEXT', 'INPUT_NOT_FOUND', 'ファイルが見つからず、QRの文字列（shc:/…）や JWS でもありません');
}

function readJwks(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw invalidField('--jwks', 'JWKS_UNREADABLE', `JWKS ファイルを読めません: ${path}`);
  }
  try {
    const j = JSON.parse(text.replace(/^\uFEFF/, '')) as { keys?: unknown };
    if (!Array.isArray(j.keys)) throw new Error('keys');
    return j;
  } catch {
    throw invalidField('--jwks', 'JWKS_INVALID', 'JWKS（{"keys":[…]}）として読めません');
  }
}

function printCard(r: Extract<VerifyResult, { valid: true }>): void {
  const c = r.card;
  print('有効な SMART Health Card です（電子署名を確認しました）');
  print(`発行者: ${c.iss}`);
  print(`公開鍵: ${c.key.kind === 'local' ? `団体コード ${c.key.tenant} の発行者鍵` : `${c.key.label} の鍵`}（kid ${c.kid}）`);
  print(`発行日時: ${formatJst(new Date(c.nbf * 1000))}（日本時間、nbf ${c.nbf}）`);
  print(`種別: ${c.kind === 'overseas' ? '海外用' : '国内用'}`);
  print(`氏名: ${c.person.name}`);
  if (c.person.romajiName) print(`ローマ字氏名: ${c.person.romajiName}`);
  print(`生年月日: ${c.person.birthDate}`);
  print('接種記録:');
  c.doses.forEach((d, i) => print(`  ${i + 1}回目  ${d.date}  ${d.vaccine}${d.lotNumber ? `  ロット ${d.lotNumber}` : ''}${d.performer ? `  ${d.performer}` : ''}`));
  for (const w of c.warnings) print(`注意: ${w}`);
}

/** `mamori certificate verify FILE|QRTEXT [--jwks FILE] [--json]` */
export async function verify(opts: Opts, args: string[]): Promise<number> {
  const input = readInput(args);
  const jwksPath = opts['jwks'] as string | undefined;
  const trusted = jwksPath ? jwksResolver(readJwks(jwksPath), { label: basename(jwksPath) }) : undefined;
  const resolver = combineResolvers(keyStore(opts).resolver(), trusted);
  const results = await verifyHealthCards(input, { resolver, now: resolveConfig({ data: opts.data }).clock.now() });
  const valid = results.every((r) => r.valid);
  if (opts['json']) {
    printJson({
      valid,
      cards: results.map((r) => {
        if (!r.valid) return r;
        const { jws: _jws, ...card } = r.card;
        return { valid: true, ...card };
      }),
    });
  } else {
    results.forEach((r, i) => {
      if (results.length > 1) print(`--- カード ${i + 1}/${results.length}`);
      if (r.valid) printCard(r);
      else print('無効な SMART Health Card です');
    });
  }
  for (const r of results) if (!r.valid) warn(`無効: [${r.error.code}] ${r.error.title}: ${r.error.detail}`);
  return valid ? 0 : 1;
}

/** `mamori certificate sample --out DIR [--tenant CODE] [--kind domestic|overseas] [--issuer URL] [--name NAME]` */
export async function sample(opts: Opts): Promise<number> {
  const out = String(opts['out'] ?? '');
  if (!out) throw invalidField('--out', 'REQUIRED', '出力先のディレクトリを指定してください');
  const tenant = String(opts['tenant'] ?? SAMPLE_TENANT);
  const kind = (opts['kind'] as 'domestic' | 'overseas' | undefined) ?? 'domestic';
  const base = process.env['MAMORI_PUBLIC_URL']?.trim() || SAMPLE_BASE_URL;
  const input = sampleCertificateInput({
    tenant,
    kind,
    issuerUrl: (opts['issuer'] as string | undefined) ?? issuerUrlFor(base, tenant),
    ...(opts['name'] ? { issuerName: String(opts['name']) } : {}),
  });
  const store = keyStore(opts);
  const card = await issueHealthCard(input, store, { now: SAMPLE_ISSUED_AT });
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const write = (name: string, content: string | Buffer): void => {
    writeFileSync(join(out, name), content);
    files.push(join(out, name));
  };
  write('sample.smart-health-card', JSON.stringify(healthCardFile(card.jws), null, 2) + '\n');
  write('sample-qr.txt', card.qr.map((q) => q.text).join('\n') + '\n');
  write('issuer-jwks.json', JSON.stringify(store.publicJwks(tenant), null, 2) + '\n');
  const many = card.qr.length > 1;
  for (const [i, q] of card.qr.entries()) {
    write(many ? `sample-qr-${i + 1}.png` : 'sample-qr.png', await qrPng(q));
    write(many ? `sample-qr-${i + 1}.svg` : 'sample-qr.svg', await qrSvg(q));
  }
  if (opts['json']) {
    printJson({ files, iss: card.payload.iss, kid: card.kid, nbf: card.payload.nbf, jwsLength: card.jws.length, qr: card.qr.map((q) => ({ length: q.text.length, version: qrVersion(q) })) });
  } else {
    print(`見本の接種証明書（${kind === 'overseas' ? '海外用' : '国内用'}、合成データ）を書き出しました:`);
    for (const f of files) print(`  ${f}`);
    print(`発行者 (iss): ${card.payload.iss}`);
    print(`鍵ID (kid): ${card.kid}`);
    print(`JWS ${card.jws.length} 文字、QR ${card.qr.length} 枚（バージョン ${card.qr.map(qrVersion).join('・')}、誤り訂正レベル L）`);
  }
  return 0;
}

/** `mamori certificate jwks --tenant CODE`: the published key set (public keys only). */
export async function jwks(opts: Opts): Promise<number> {
  printJson(keyStore(opts).publicJwks(String(opts['tenant'] ?? '')));
  return 0;
}

/** `mamori certificate rotate-key --tenant CODE`: new signing key; the old public key stays published. */
export async function rotateKey(opts: Opts): Promise<number> {
  const r = await keyStore(opts).rotate(String(opts['tenant'] ?? ''));
  if (opts['json']) printJson(r);
  else {
    print(`新しい発行者鍵: ${r.kid}`);
    print(r.previousKid ? `旧鍵 ${r.previousKid} の秘密鍵は破棄し、公開鍵は発行済みの証明書の検証のため JWKS に残しました。` : '（旧鍵はありませんでした）');
  }
  return 0;
}
