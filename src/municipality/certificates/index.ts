// Public face of municipality/certificates: COVID-19 vaccination certificates as SMART Health Cards.
//
// - model:  certificate content (国内用/海外用) → minified FHIR R4 Bundle (Patient + Immunization)
// - keys:   per-municipality ES256 issuer keys under <keyDir>/shc, JWKS, rotation, key resolvers
// - issue:  JWS (ES256, zip DEF, kid = RFC 7638 thumbprint), .smart-health-card file
// - qr:     numeric QR text shc:/…, chunking, PNG/SVG at level L within Version 22
// - verify: QR text / file / JWS → checked content or a stable error code
// - routes: GET /issuers/:tenant/.well-known/jwks.json and the public /verify page
// See docs/formats/smart-health-card.md and docs/decisions/0050–0054.
export {
  certificateInputSchema,
  parseCertificate,
  buildFhirBundle,
  issuerUrlFor,
  issuerUrlProblem,
  vaccineLabel,
  covidVaccineByCvx,
  COVID19_VACCINES,
  VACCINE_CODE_SYSTEMS,
  MANUFACTURER_SYSTEMS,
  JAPAN_PERFORMER,
  type CertificateInput,
  type Certificate,
  type CertificateDose,
  type CertificateKind,
  type CovidVaccine,
  type FhirBundle,
  type FhirPatient,
  type FhirImmunization,
} from './model.js';
export {
  ShcKeyStore,
  localIssuerResolver,
  jwksResolver,
  combineResolvers,
  tenantFromIssuerUrl,
  jwkThumbprint,
  isShcPublicJwk,
  type ShcPublicJwk,
  type Jwks,
  type ShcSigner,
  type IssuerKeyResolver,
  type ResolvedKey,
} from './keys.js';
export {
  issueHealthCard,
  healthCardPayload,
  signHealthCard,
  healthCardFile,
  SHC_HEALTH_CARD_TYPE,
  SHC_VC_TYPE,
  SHC_FHIR_VERSION,
  SHC_FILE_MEDIA_TYPE,
  type ShcPayload,
  type IssuedHealthCard,
} from './issue.js';
export {
  encodeNumeric,
  decodeNumeric,
  splitJws,
  qrChunks,
  jwsFromQr,
  qrVersion,
  qrPng,
  qrSvg,
  qrMatrix,
  SHC_SINGLE_QR_MAX,
  SHC_CHUNK_MAX,
  SHC_QR_MAX_VERSION,
  SHC_QR_ERROR_CORRECTION,
  type QrChunk,
} from './qr.js';
export { verifyHealthCard, verifyHealthCards, verifyJws, jwsFromInput, type VerifyOptions, type VerifyResult, type VerifiedHealthCard, type VerifiedDose } from './verify.js';
export { ShcError, isShcError, SHC_ERRORS, type ShcErrorCode } from './errors.js';
export { sampleCertificateInput, SAMPLE_TENANT, SAMPLE_ISSUER_NAME, SAMPLE_BASE_URL, SAMPLE_ISSUED_AT, type SampleOptions } from './sample.js';
export { registerCertificateRoutes, type CertificateRouteDeps } from './routes.js';
