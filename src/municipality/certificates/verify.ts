// Verifying a SMART Health Card from a QR text (shc:/…, also chunked), a .smart-health-card file or a raw
// JWS: header (alg ES256, zip DEF, kid), raw-inflate the payload, find the issuer's key by iss + kid,
// check the ES256 signature, nbf (not in the future) and exp, vc.type and the FHIR Bundle, then return the
// content (names, birth date, doses).  Failures carry a stable code (errors.ts) and Japanese text that
// never repeats the card's contents.
import { inflateRawSync } from 'node:zlib';
import { compactVerify, importJWK } from 'jose';
import { ShcError, isShcError, type ShcErrorCode } from './errors.js';
import { jwkThumbprint, type IssuerKeyResolver, type ResolvedKey } from './keys.js';
import { SHC_HEALTH_CARD_TYPE } from './issue.js';
import { issuerUrlProblem, vaccineLabel } from './model.js';
import { jwsFromQr } from './qr.js';

/** Largest inflated payload we accept (a QR card is ~1–3 kB; this bounds a hostile deflate stream). */
const MAX_PAYLOAD_BYTES = 256 * 1024;
const JWS_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface VerifyOptions {
  /** Where issuer keys come from: our key store, a caller-supplied JWKS, or both (combineResolvers). */
  readonly resolver: IssuerKeyResolver;
  /** The verification instant (default: now). */
  readonly now: Date;
  /** Allowed clock skew for nbf/exp in seconds (default 60). */
  readonly clockToleranceSec?: number;
}

export interface VerifiedDose {
  readonly date: string;
  readonly vaccineSystem: string;
  readonly vaccineCode: string;
  /** e.g. "コミナティ筋注（12歳以上用） (CVX 208)" */
  readonly vaccine: string;
  readonly lotNumber?: string;
  readonly performer?: string;
}

export interface VerifiedHealthCard {
  readonly jws: string;
  readonly iss: string;
  readonly kid: string;
  readonly key: ResolvedKey['source'];
  readonly nbf: number;
  readonly exp?: number;
  readonly types: string[];
  readonly fhirVersion: string;
  /** 'overseas' when the Patient carries a second (ローマ字) name. */
  readonly kind: 'domestic' | 'overseas';
  readonly person: { readonly name: string; readonly romajiName?: string; readonly birthDate: string };
  readonly doses: VerifiedDose[];
  /** Deviations from the spec's minification rules that do not invalidate the card. */
  readonly warnings: string[];
}

export type VerifyResult = { readonly valid: true; readonly card: VerifiedHealthCard } | { readonly valid: false; readonly error: { readonly code: ShcErrorCode; readonly title: string; readonly detail: string } };

/**
 * The JWS strings in a verifier's input: QR text(s) (`shc:/…`, chunks separated by whitespace, any
 * order), a .smart-health-card file's JSON, or a bare compact JWS.
 */
export function jwsFromInput(input: string | readonly string[]): string[] {
  const text = (typeof input === 'string' ? input : input.join('\n')).replace(/^\uFEFF/, '').trim();
  if (!text) throw new ShcError('SHC_MALFORMED', '入力が空です。');
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ShcError('SHC_MALFORMED', '.smart-health-card ファイルが JSON として読めません。');
    }
    const vcs = (parsed as { verifiableCredential?: unknown }).verifiableCredential;
    if (!Array.isArray(vcs) || vcs.length === 0 || !vcs.every((v) => typeof v === 'string')) {
      throw new ShcError('SHC_MALFORMED', '.smart-health-card ファイルに verifiableCredential（JWS の配列）がありません。');
    }
    return vcs as string[];
  }
  if (/^shc:\//i.test(text)) return [jwsFromQr(text.split(/\s+/).filter(Boolean))];
  if (JWS_RE.test(text)) return [text];
  throw new ShcError('SHC_MALFORMED', 'QRの文字列（shc:/…）、.smart-health-card ファイル、JWS のいずれでもありません。');
}

function b64url(segment: string, what: string): Buffer {
  const buf = Buffer.from(segment, 'base64url');
  // Reject non-canonical encodings, so that one card has exactly one textual form.
  if (buf.toString('base64url') !== segment) throw new ShcError('SHC_MALFORMED', `JWS の${what}が正しい base64url ではありません。`);
  return buf;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function humanName(n: unknown): string | undefined {
  const o = obj(n);
  if (!o) return undefined;
  const given = Array.isArray(o['given']) ? (o['given'] as unknown[]).filter((g): g is string => typeof g === 'string') : [];
  const family = typeof o['family'] === 'string' ? o['family'] : undefined;
  const parts = [family, ...given].filter((p): p is string => !!p);
  if (parts.length) return parts.join(' ');
  return typeof o['text'] === 'string' ? o['text'] : undefined;
}

/** Collects minification deviations: ids, meta (beyond security), text, Coding.display. */
function minificationWarnings(bundle: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, path: string, isResource: boolean): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${path}[${i}]`, false));
    const o = obj(v);
    if (!o) return;
    if (isResource) {
      if ('id' in o) out.add(`${path}.id がある（QR用のカードには含めない）`);
      const meta = obj(o['meta']);
      if (meta && Object.keys(meta).some((k) => k !== 'security')) out.add(`${path}.meta に security 以外の要素がある`);
      if ('text' in o) out.add(`${path}.text（ナラティブ）がある`);
    } else {
      if ('coding' in o && 'text' in o) out.add(`${path}.text（CodeableConcept.text）がある`);
      if ('system' in o && 'code' in o && 'display' in o) out.add(`${path}.display（Coding.display）がある`);
    }
    for (const [k, x] of Object.entries(o)) walk(x, `${path}.${k}`, k === 'resource');
  };
  for (const [k, x] of Object.entries(bundle)) walk(x, `Bundle.${k}`, false);
  return [...out];
}

function readBundle(bundle: unknown, warnings: string[]): Pick<VerifiedHealthCard, 'kind' | 'person' | 'doses'> {
  const b = obj(bundle);
  if (!b || b['resourceType'] !== 'Bundle') throw new ShcError('SHC_BUNDLE_INVALID', 'fhirBundle が FHIR の Bundle ではありません。');
  if (b['type'] !== 'collection') warnings.push(`Bundle.type が collection ではありません（${String(b['type'])}）`);
  if ('id' in b || 'meta' in b) warnings.push('Bundle に id または meta がある（QR用のカードには含めない）');
  const entries = Array.isArray(b['entry']) ? (b['entry'] as unknown[]).map(obj) : [];
  if (entries.length === 0 || entries.some((e) => !e || !obj(e['resource']))) throw new ShcError('SHC_BUNDLE_INVALID', 'Bundle.entry がないか、resource のない entry があります。');
  entries.forEach((e, i) => {
    if (typeof e!['fullUrl'] !== 'string' || !/^resource:\d+$/.test(e!['fullUrl'])) warnings.push(`Bundle.entry[${i}].fullUrl が resource:N の形ではありません`);
  });
  warnings.push(...minificationWarnings(b));
  const patients = entries.filter((e) => obj(e!['resource'])!['resourceType'] === 'Patient');
  if (patients.length !== 1) throw new ShcError('SHC_BUNDLE_INVALID', `Patient がちょうど1件必要です（${patients.length}件）。`);
  const patientEntry = patients[0]!;
  const patient = obj(patientEntry['resource'])!;
  const patientRef = typeof patientEntry['fullUrl'] === 'string' ? patientEntry['fullUrl'] : undefined;
  const names = (Array.isArray(patient['name']) ? (patient['name'] as unknown[]) : []).map(humanName).filter((n): n is string => !!n);
  if (names.length === 0) throw new ShcError('SHC_BUNDLE_INVALID', 'Patient.name がありません。');
  const birthDate = patient['birthDate'];
  if (typeof birthDate !== 'string' || !/^\d{4}(-\d{2}(-\d{2})?)?$/.test(birthDate)) throw new ShcError('SHC_BUNDLE_INVALID', 'Patient.birthDate がないか、日付の形ではありません。');
  const immunizations = entries.map((e) => obj(e!['resource'])!).filter((r) => r['resourceType'] === 'Immunization');
  if (immunizations.length === 0) throw new ShcError('SHC_BUNDLE_INVALID', 'Immunization が1件もありません。');
  const doses = immunizations.map((imm, i): VerifiedDose => {
    const where = `Immunization ${i + 1}件目`;
    const ref = obj(imm['patient'])?.['reference'];
    if (!patientRef || ref !== patientRef) throw new ShcError('SHC_BUNDLE_INVALID', `${where}の patient.reference が Patient（${patientRef ?? 'fullUrl なし'}）を指していません。`);
    if (imm['status'] !== 'completed') throw new ShcError('SHC_BUNDLE_INVALID', `${where}の status が completed ではありません。`);
    const codings = obj(imm['vaccineCode'])?.['coding'];
    const coding = Array.isArray(codings) ? obj(codings[0]) : undefined;
    const system = coding?.['system'];
    const code = coding?.['code'];
    if (typeof system !== 'string' || typeof code !== 'string') throw new ShcError('SHC_BUNDLE_INVALID', `${where}の vaccineCode.coding に system と code がありません。`);
    const date = imm['occurrenceDateTime'];
    if (typeof date !== 'string' || !/^\d{4}(-\d{2}(-\d{2})?)?/.test(date)) throw new ShcError('SHC_BUNDLE_INVALID', `${where}の occurrenceDateTime がありません。`);
    const performers = Array.isArray(imm['performer']) ? (imm['performer'] as unknown[]) : [];
    const performer = obj(obj(performers[0])?.['actor'])?.['display'];
    const lot = imm['lotNumber'];
    return {
      date: date.slice(0, 10),
      vaccineSystem: system,
      vaccineCode: code,
      vaccine: vaccineLabel(system, code),
      ...(typeof lot === 'string' ? { lotNumber: lot } : {}),
      ...(typeof performer === 'string' ? { performer } : {}),
    };
  });
  doses.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  const kind = names.length >= 2 ? 'overseas' : 'domestic';
  return { kind, person: { name: names[0]!, ...(names[1] ? { romajiName: names[1] } : {}), birthDate }, doses };
}

/** Verifies one compact JWS; throws ShcError on the first failed check. */
async function verifyJwsOrThrow(jws: string, opts: VerifyOptions): Promise<VerifiedHealthCard> {
  if (!JWS_RE.test(jws)) throw new ShcError('SHC_MALFORMED', 'JWS（ヘッダー.ペイロード.署名）の形ではありません。');
  const [h, p, s] = jws.split('.') as [string, string, string];
  let header: Record<string, unknown> | undefined;
  try {
    header = obj(JSON.parse(b64url(h, 'ヘッダー').toString('utf8')));
  } catch (e) {
    if (isShcError(e)) throw e;
  }
  if (!header) throw new ShcError('SHC_HEADER_INVALID', 'JWS ヘッダーが JSON オブジェクトとして読めません。');
  if (header['alg'] !== 'ES256') throw new ShcError('SHC_HEADER_INVALID', `署名方式（alg）は ES256 である必要があります（${String(header['alg'])}）。`);
  if (header['zip'] !== 'DEF') throw new ShcError('SHC_HEADER_INVALID', 'zip ヘッダーは DEF（raw DEFLATE で圧縮）である必要があります。');
  const kid = header['kid'];
  if (typeof kid !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(kid)) throw new ShcError('SHC_HEADER_INVALID', '鍵ID（kid）がないか、SHA-256 の JWK thumbprint（base64url 43文字）ではありません。');
  if ('crit' in header || 'b64' in header) throw new ShcError('SHC_HEADER_INVALID', 'crit・b64 ヘッダーは使えません。');
  b64url(s, '署名');

  let claims: Record<string, unknown> | undefined;
  try {
    const inflated = inflateRawSync(b64url(p, 'ペイロード'), { maxOutputLength: MAX_PAYLOAD_BYTES });
    claims = obj(JSON.parse(inflated.toString('utf8')));
  } catch (e) {
    if (isShcError(e)) throw e;
  }
  if (!claims) throw new ShcError('SHC_PAYLOAD_INVALID', 'ペイロードを raw DEFLATE で展開して JSON として読めません。');
  const iss = claims['iss'];
  if (typeof iss !== 'string' || !iss) throw new ShcError('SHC_PAYLOAD_INVALID', '発行者（iss）がありません。');

  const key = await opts.resolver.resolve(iss, kid);
  if (!key) throw new ShcError('SHC_ISSUER_UNKNOWN', `この発行者（iss）の鍵ID ${kid} の公開鍵を持っていません。信頼する発行者の JWKS を指定してください。`);
  if ((await jwkThumbprint(key.jwk)) !== kid) throw new ShcError('SHC_HEADER_INVALID', '公開鍵の kid が RFC 7638 の JWK thumbprint と一致しません。');
  try {
    await compactVerify(jws, await importJWK({ kty: 'EC', crv: 'P-256', x: key.jwk.x, y: key.jwk.y }, 'ES256'), { algorithms: ['ES256'] });
  } catch {
    throw new ShcError('SHC_SIGNATURE_INVALID', '発行者の公開鍵で電子署名を検証できません。内容が改ざんされているか、別の鍵で署名されています。');
  }

  // Signature holds: the claims are the issuer's.  Now the time window, the type and the content.
  const now = Math.floor(opts.now.getTime() / 1000);
  const skew = opts.clockToleranceSec ?? 60;
  const nbf = claims['nbf'];
  if (typeof nbf !== 'number' || !Number.isFinite(nbf)) throw new ShcError('SHC_PAYLOAD_INVALID', '発行日時（nbf）がありません。');
  if (nbf > now + skew) throw new ShcError('SHC_NOT_YET_VALID', '発行日時（nbf）が現在より後です。端末の時計を確認してください。');
  const exp = claims['exp'];
  if (exp !== undefined && (typeof exp !== 'number' || exp < now - skew)) throw new ShcError('SHC_EXPIRED', '有効期限（exp）が過ぎています。');
  const vc = obj(claims['vc']);
  const types = Array.isArray(vc?.['type']) ? (vc!['type'] as unknown[]).filter((t): t is string => typeof t === 'string') : [];
  if (!types.includes(SHC_HEALTH_CARD_TYPE)) throw new ShcError('SHC_TYPE_INVALID', `vc.type に ${SHC_HEALTH_CARD_TYPE} がありません。`);
  const subject = obj(vc!['credentialSubject']);
  const fhirVersion = subject?.['fhirVersion'];
  if (typeof fhirVersion !== 'string' || !/^4\.0\.\d+$/.test(fhirVersion)) throw new ShcError('SHC_BUNDLE_INVALID', `credentialSubject.fhirVersion が FHIR R4（4.0.x）ではありません。`);
  const warnings: string[] = [];
  const issProblem = issuerUrlProblem(iss);
  if (issProblem) warnings.push(`iss: ${issProblem}`);
  const content = readBundle(subject!['fhirBundle'], warnings);
  return { jws, iss, kid, key: key.source, nbf, ...(typeof exp === 'number' ? { exp } : {}), types, fhirVersion, ...content, warnings };
}

function failed(e: unknown): VerifyResult {
  if (isShcError(e)) return { valid: false, error: { code: e.code, title: e.title, detail: e.detail ?? '' } };
  throw e;
}

/** Verifies one compact JWS. */
export async function verifyJws(jws: string, opts: VerifyOptions): Promise<VerifyResult> {
  try {
    return { valid: true, card: await verifyJwsOrThrow(jws, opts) };
  } catch (e) {
    return failed(e);
  }
}

/** Verifies every card in the input (QR text(s), .smart-health-card JSON or a JWS): one result each. */
export async function verifyHealthCards(input: string | readonly string[], opts: VerifyOptions): Promise<VerifyResult[]> {
  let list: string[];
  try {
    list = jwsFromInput(input);
  } catch (e) {
    return [failed(e)];
  }
  return Promise.all(list.map((jws) => verifyJws(jws, opts)));
}

/** Verifies input holding exactly one card (a scanned QR, a one-card file, a JWS). */
export async function verifyHealthCard(input: string | readonly string[], opts: VerifyOptions): Promise<VerifyResult> {
  const results = await verifyHealthCards(input, opts);
  if (results.length !== 1) return { valid: false, error: { code: 'SHC_MALFORMED', title: 'SMART Health Card として読めません', detail: `カードが ${results.length} 枚含まれています。1枚ずつ検証してください。` } };
  return results[0]!;
}
