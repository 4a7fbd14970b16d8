// Issuing a SMART Health Card: FHIR Bundle → JWT claims → raw DEFLATE → JWS (ES256, zip DEF, kid).
//
// spec.smarthealth.cards: header {alg:"ES256", zip:"DEF", kid:<RFC 7638 thumbprint>}; payload minified
// and compressed with raw DEFLATE (no zlib/gzip header) before signing; claims iss (issuer URL), nbf
// (seconds), vc.type containing https://smarthealth.cards#health-card, vc.credentialSubject.fhirVersion
// and .fhirBundle.  Other type URIs (#immunization, #covid19) are deprecated since VCI 1.4.0 and Japan's
// own card carried only #health-card, so that is all we write (docs/decisions/0050).
import { deflateRawSync } from 'node:zlib';
import { CompactSign } from 'jose';
import { buildFhirBundle, parseCertificate, type Certificate, type CertificateInput, type FhirBundle } from './model.js';
import { ShcKeyStore, type ShcSigner } from './keys.js';
import { qrChunks, type QrChunk } from './qr.js';

export const SHC_HEALTH_CARD_TYPE = 'https://smarthealth.cards#health-card';
/** vc.type of the cards we issue. */
export const SHC_VC_TYPE: readonly string[] = [SHC_HEALTH_CARD_TYPE];
export const SHC_FHIR_VERSION = '4.0.1';
/** MIME type of a .smart-health-card file. */
export const SHC_FILE_MEDIA_TYPE = 'application/smart-health-card';

export interface ShcPayload {
  iss: string;
  nbf: number;
  exp?: number;
  vc: { type: string[]; credentialSubject: { fhirVersion: string; fhirBundle: FhirBundle } };
}

export interface IssuedHealthCard {
  /** The compact JWS — the card itself. */
  readonly jws: string;
  readonly kid: string;
  readonly payload: ShcPayload;
  /** The validated certificate content (for the ledger and the paper certificate). */
  readonly certificate: Certificate;
  /** QR texts: one, or several when the JWS exceeds 1195 characters (deprecated chunking). */
  readonly qr: QrChunk[];
}

/** The JWT claims of a card (before minification and compression). */
export function healthCardPayload(certificate: CertificateInput | Certificate, nbf: number): ShcPayload {
  const c = parseCertificate(certificate);
  return {
    iss: c.issuer.url,
    nbf,
    vc: { type: [...SHC_VC_TYPE], credentialSubject: { fhirVersion: SHC_FHIR_VERSION, fhirBundle: buildFhirBundle(c) } },
  };
}

/** Signs claims as a SMART Health Card JWS with the given key. */
export async function signHealthCard(payload: ShcPayload, signer: ShcSigner): Promise<string> {
  const compressed = deflateRawSync(Buffer.from(JSON.stringify(payload), 'utf8'));
  return new CompactSign(compressed).setProtectedHeader({ alg: 'ES256', zip: 'DEF', kid: signer.kid }).sign(signer.privateKey);
}

/**
 * Issues a card for a certificate, signed with the municipality's current key (created on first use when
 * `keys` is a key store).  `now` is the issuance instant that becomes `nbf`.
 */
export async function issueHealthCard(input: CertificateInput | Certificate, keys: ShcKeyStore | ShcSigner, opts: { now: Date }): Promise<IssuedHealthCard> {
  const certificate = parseCertificate(input);
  const signer = keys instanceof ShcKeyStore ? await keys.signer(certificate.issuer.municipalityCode) : keys;
  const nbf = Math.floor(opts.now.getTime() / 1000);
  const payload = healthCardPayload(certificate, nbf);
  const jws = await signHealthCard(payload, signer);
  return { jws, kid: signer.kid, payload, certificate, qr: qrChunks(jws) };
}

/** Contents of a .smart-health-card file. */
export function healthCardFile(...jws: string[]): { verifiableCredential: string[] } {
  return { verifiableCredential: jws };
}
