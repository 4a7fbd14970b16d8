// SMART Health Card issuance and verification against spec.smarthealth.cards: JWS header (alg ES256,
// zip DEF, kid = RFC 7638 thumbprint), raw-DEFLATE payload, nbf, vc.type, the minified FHIR Bundle,
// verification with the published JWKS, and refusal after any tampering.  Synthetic people only.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync, inflateSync } from 'node:zlib';
import { calculateJwkThumbprint, CompactSign } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  buildFhirBundle,
  healthCardFile,
  healthCardPayload,
  issueHealthCard,
  jwksResolver,
  sampleCertificateInput,
  ShcKeyStore,
  signHealthCard,
  verifyHealthCard,
  verifyHealthCards,
  type CertificateInput,
  type IssuedHealthCard,
  type ShcPayload,
  type VerifyResult,
} from '../../../src/municipality/certificates/index.js';
import { isProblem } from '../../../src/kernel/problems/index.js';
import { decodeJws, flipByte, nodeVerifyEs256, tempKeyDir } from './helpers.js';

const TENANT = '312011';
const OTHER_TENANT = '131237';
const NOW = new Date('2026-11-21T01:00:00Z');

function expectInvalid(r: VerifyResult, code: string): void {
  expect(r.valid ? 'valid' : r.error.code).toBe(code);
}

function walk(v: unknown, visit: (key: string, value: unknown, parent: Record<string, unknown>) => void): void {
  if (Array.isArray(v)) v.forEach((x) => walk(x, visit));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      visit(k, x, v as Record<string, unknown>);
      walk(x, visit);
    }
  }
}

describe('issuing a SMART Health Card', () => {
  let store: ShcKeyStore;
  let card: IssuedHealthCard;
  let overseas: IssuedHealthCard;
  beforeAll(async () => {
    store = new ShcKeyStore(tempKeyDir());
    card = await issueHealthCard(sampleCertificateInput(), store, { now: NOW });
    overseas = await issueHealthCard(sampleCertificateInput({ kind: 'overseas' }), store, { now: NOW });
  });

  it('has the header the spec requires: alg ES256, zip DEF and kid, nothing else', () => {
    expect(decodeJws(card.jws).header).toEqual({ alg: 'ES256', zip: 'DEF', kid: card.kid });
  });

  it('uses as kid the RFC 7638 SHA-256 thumbprint of the published public key (computed independently)', async () => {
    const [jwk] = store.publicJwks(TENANT).keys;
    expect(jwk).toBeDefined();
    expect(card.kid).toBe(await calculateJwkThumbprint({ kty: jwk!.kty, crv: jwk!.crv, x: jwk!.x, y: jwk!.y }, 'sha256'));
    // RFC 7638 §3: SHA-256 over the required members in lexicographic order, no whitespace.
    const canonical = `{"crv":"${jwk!.crv}","kty":"${jwk!.kty}","x":"${jwk!.x}","y":"${jwk!.y}"}`;
    expect(card.kid).toBe(createHash('sha256').update(canonical).digest('base64url'));
    expect(jwk!.kid).toBe(card.kid);
  });

  it('compresses the minified payload with raw DEFLATE (no zlib header) before signing', () => {
    const d = decodeJws(card.jws);
    expect(() => inflateSync(d.rawPayload)).toThrow();
    const json = JSON.stringify(d.payload);
    expect(deflateRawSync(Buffer.from(json)).length).toBeGreaterThan(0);
    // Minified: the inflated text is exactly the compact serialization.
    expect(JSON.stringify(JSON.parse(json))).toBe(json);
  });

  it('carries iss, nbf in whole seconds and vc with the health-card type and FHIR 4.0.1', () => {
    const p = decodeJws(card.jws).payload as unknown as ShcPayload;
    expect(Object.keys(p)).toEqual(['iss', 'nbf', 'vc']);
    expect(p.iss).toBe('https://mamori.example/issuers/312011');
    expect(p.nbf).toBe(Math.floor(NOW.getTime() / 1000));
    expect(Number.isInteger(p.nbf)).toBe(true);
    expect(p.vc.type).toEqual(['https://smarthealth.cards#health-card']);
    expect(p.vc.credentialSubject.fhirVersion).toBe('4.0.1');
    expect(Object.keys(p.vc.credentialSubject)).toEqual(['fhirVersion', 'fhirBundle']);
  });

  it('builds a collection Bundle: Patient at resource:0, then one Immunization per dose referencing it', () => {
    const b = (decodeJws(card.jws).payload as unknown as ShcPayload).vc.credentialSubject.fhirBundle;
    expect(b.resourceType).toBe('Bundle');
    expect(b.type).toBe('collection');
    expect(b.entry.map((e) => e.fullUrl)).toEqual(['resource:0', 'resource:1', 'resource:2', 'resource:3']);
    expect(b.entry[0]!.resource).toEqual({ resourceType: 'Patient', name: [{ family: '見本', given: ['花子'] }], birthDate: '1985-04-01' });
    expect(b.entry.slice(1).map((e) => e.resource)).toEqual([
      { resourceType: 'Immunization', status: 'completed', vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '208' }] }, patient: { reference: 'resource:0' }, occurrenceDateTime: '2021-06-01', performer: [{ actor: { display: 'MHLW_Gov_of_JAPAN' } }], lotNumber: 'SAMPLE01' },
      { resourceType: 'Immunization', status: 'completed', vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '208' }] }, patient: { reference: 'resource:0' }, occurrenceDateTime: '2021-06-22', performer: [{ actor: { display: 'MHLW_Gov_of_JAPAN' } }], lotNumber: 'SAMPLE02' },
      { resourceType: 'Immunization', status: 'completed', vaccineCode: { coding: [{ system: 'http://hl7.org/fhir/sid/cvx', code: '207' }] }, patient: { reference: 'resource:0' }, occurrenceDateTime: '2022-01-20', performer: [{ actor: { display: 'MHLW_Gov_of_JAPAN' } }], lotNumber: 'SAMPLE03' },
    ]);
  });

  it('is minified per the spec: no id, meta, text, CodeableConcept.text or Coding.display anywhere', () => {
    for (const c of [card, overseas]) {
      const b = (decodeJws(c.jws).payload as unknown as ShcPayload).vc.credentialSubject.fhirBundle;
      walk(b, (k, v, parent) => {
        expect(['id', 'meta', 'text'], `no ${k}`).not.toContain(k);
        // The only display is the performer's Reference.display (actor), never a Coding.display.
        if (k === 'display') expect(Object.keys(parent)).toEqual(['display']);
        if (k === 'coding') for (const coding of v as Record<string, unknown>[]) expect(Object.keys(coding).sort()).toEqual(['code', 'system']);
      });
    }
  });

  it('overseas cards add the ローマ字氏名 as a second name but never the passport number or nationality', () => {
    const p = decodeJws(overseas.jws).payload as unknown as ShcPayload;
    expect(p.vc.credentialSubject.fhirBundle.entry[0]!.resource).toEqual({
      resourceType: 'Patient',
      name: [{ family: '見本', given: ['花子'] }, { family: 'MIHON', given: ['HANAKO'] }],
      birthDate: '1985-04-01',
    });
    const text = JSON.stringify(p);
    expect(text).not.toContain('XX0000000');
    expect(text).not.toContain('passport');
    expect(overseas.certificate.person.overseas).toEqual({ romajiName: { family: 'MIHON', given: 'HANAKO' }, nationality: 'JPN', passportNumber: 'XX0000000' });
  });

  it('orders doses by date, drops fields that are not certificate items (no My Number can slip in)', () => {
    const input = sampleCertificateInput() as CertificateInput & { person: Record<string, unknown> };
    const shuffled = { ...input, doses: [...input.doses].reverse(), person: { ...input.person, myNumber: '999900000019', address: '架空県架空市1-1' } };
    const b = buildFhirBundle(shuffled);
    expect(b.entry.slice(1).map((e) => (e.resource as { occurrenceDateTime: string }).occurrenceDateTime)).toEqual(['2021-06-01', '2021-06-22', '2022-01-20']);
    expect(JSON.stringify(b)).not.toMatch(/999900000019|myNumber|架空市/);
    expect(Object.keys(b.entry[0]!.resource)).toEqual(['resourceType', 'name', 'birthDate']);
  });

  it('uses a manufacturer identifier only with a non-CVX vaccine code', () => {
    const input = sampleCertificateInput();
    const b = buildFhirBundle({
      ...input,
      doses: [
        { date: '2021-06-01', vaccineCode: { code: '208' }, manufacturerId: { system: 'http://hl7.org/fhir/sid/mvx', value: 'PFR' } },
        { date: '2021-06-22', vaccineCode: { system: 'https://www.gs1.org/gtin', code: '04987000000000' }, manufacturerId: { system: 'https://www.gs1.org/gln', value: '4987000000000' } },
      ],
    });
    expect(b.entry[1]!.resource).not.toHaveProperty('manufacturer');
    expect(b.entry[2]!.resource).toMatchObject({ vaccineCode: { coding: [{ system: 'https://www.gs1.org/gtin', code: '04987000000000' }] }, manufacturer: { identifier: { system: 'https://www.gs1.org/gln', value: '4987000000000' } } });
  });

  it('refuses certificates that break the rules, naming the field', () => {
    const base = sampleCertificateInput();
    const cases: [CertificateInput, string][] = [
      [{ ...base, kind: 'overseas' }, 'person.overseas'],
      [{ ...base, issuer: { ...base.issuer, url: 'http://mamori.example/issuers/312011' } }, 'issuer.url'],
      [{ ...base, issuer: { ...base.issuer, url: 'https://mamori.example/issuers/312011/' } }, 'issuer.url'],
      [{ ...base, issuer: { ...base.issuer, municipalityCode: '312012' } }, 'issuer.municipalityCode'],
      [{ ...base, doses: [{ date: '1980-01-01', vaccineCode: { code: '208' } }] }, 'doses.0.date'],
      [{ ...base, doses: [] }, 'doses'],
      [{ ...base, person: { ...base.person, birthDate: '1985-02-30' } }, 'person.birthDate'],
    ];
    for (const [input, field] of cases) {
      let err: unknown;
      try {
        buildFhirBundle(input);
      } catch (e) {
        err = e;
      }
      expect(isProblem(err) && err.status === 400, field).toBe(true);
      if (isProblem(err)) expect(err.errors.map((e) => e.field)).toContain(field);
    }
  });
});

describe('verifying a SMART Health Card', () => {
  let store: ShcKeyStore;
  let card: IssuedHealthCard;
  beforeAll(async () => {
    store = new ShcKeyStore(tempKeyDir());
    card = await issueHealthCard(sampleCertificateInput({ kind: 'overseas' }), store, { now: NOW });
  });
  const published = (): ReturnType<typeof jwksResolver> => jwksResolver(JSON.parse(JSON.stringify(store.publicJwks(TENANT))), { label: 'jwks.json' });

  it('verifies with the published JWKS alone, and independently with node:crypto', async () => {
    const r = await verifyHealthCard(card.jws, { resolver: published(), now: NOW });
    expect(r.valid).toBe(true);
    if (!r.valid) return;
    expect(r.card.key).toEqual({ kind: 'jwks', label: 'jwks.json' });
    const jwk = store.publicJwks(TENANT).keys.find((k) => k.kid === card.kid)!;
    expect(nodeVerifyEs256(card.jws, jwk)).toBe(true);
  });

  it('round-trips the content from a QR text, a .smart-health-card file and a bare JWS', async () => {
    const expected = {
      kind: 'overseas',
      person: { name: '見本 花子', romajiName: 'MIHON HANAKO', birthDate: '1985-04-01' },
      doses: [
        { date: '2021-06-01', vaccineSystem: 'http://hl7.org/fhir/sid/cvx', vaccineCode: '208', vaccine: 'コミナティ筋注（12歳以上用） (CVX 208)', lotNumber: 'SAMPLE01', performer: 'MHLW_Gov_of_JAPAN' },
        { date: '2021-06-22', vaccineSystem: 'http://hl7.org/fhir/sid/cvx', vaccineCode: '208', vaccine: 'コミナティ筋注（12歳以上用） (CVX 208)', lotNumber: 'SAMPLE02', performer: 'MHLW_Gov_of_JAPAN' },
        { date: '2022-01-20', vaccineSystem: 'http://hl7.org/fhir/sid/cvx', vaccineCode: '207', vaccine: 'スパイクバックス筋注（COVID-19ワクチンモデルナ筋注） (CVX 207)', lotNumber: 'SAMPLE03', performer: 'MHLW_Gov_of_JAPAN' },
      ],
    };
    for (const input of [card.qr[0]!.text, JSON.stringify(healthCardFile(card.jws), null, 2), card.jws, `  ${card.qr[0]!.text}\n`]) {
      const r = await verifyHealthCard(input, { resolver: store.resolver(), now: NOW });
      expect(r.valid).toBe(true);
      if (!r.valid) continue;
      expect(r.card).toMatchObject({ ...expected, iss: 'https://mamori.example/issuers/312011', kid: card.kid, key: { kind: 'local', tenant: TENANT }, nbf: Math.floor(NOW.getTime() / 1000), types: ['https://smarthealth.cards#health-card'], fhirVersion: '4.0.1', warnings: [] });
    }
  });

  it('fails after tampering with any byte of the signature, the payload or the header', async () => {
    const d = decodeJws(card.jws);
    const opts = { resolver: published(), now: NOW };
    for (let i = 0; i < d.signature.length; i++) expect((await verifyHealthCard(flipByte(card.jws, 2, i), opts)).valid, `signature byte ${i}`).toBe(false);
    for (let i = 0; i < d.rawPayload.length; i++) expect((await verifyHealthCard(flipByte(card.jws, 1, i), opts)).valid, `payload byte ${i}`).toBe(false);
    const headerLength = Buffer.from(card.jws.split('.')[0]!, 'base64url').length;
    for (let i = 0; i < headerLength; i++) expect((await verifyHealthCard(flipByte(card.jws, 0, i), opts)).valid, `header byte ${i}`).toBe(false);
    expectInvalid(await verifyHealthCard(flipByte(card.jws, 2, 10), opts), 'SHC_SIGNATURE_INVALID');
    // A payload that still inflates and parses (another person's content) under this card's signature.
    const other = await issueHealthCard({ ...sampleCertificateInput({ kind: 'overseas' }), person: { ...sampleCertificateInput({ kind: 'overseas' }).person, birthDate: '1990-01-01' } }, store, { now: NOW });
    const [h, , sig] = card.jws.split('.');
    expectInvalid(await verifyHealthCard(`${h}.${other.jws.split('.')[1]}.${sig}`, opts), 'SHC_SIGNATURE_INVALID');
  });

  it('fails when any character of the QR digits or the JWS text changes', async () => {
    const opts = { resolver: published(), now: NOW };
    const qr = card.qr[0]!.text;
    for (const pos of [6, 100, 700, qr.length - 30, qr.length - 2]) {
      const digit = qr[pos]!;
      const changed = qr.slice(0, pos) + (digit === '0' ? '1' : '0') + qr.slice(pos + 1);
      expect((await verifyHealthCard(changed, opts)).valid, `QR position ${pos}`).toBe(false);
    }
    const last = card.jws.at(-1)!;
    expect((await verifyHealthCard(card.jws.slice(0, -1) + (last === 'A' ? 'B' : 'A'), opts)).valid).toBe(false);
  });

  it('fails with a key the card does not name, and with a forged signature under the real kid', async () => {
    const other = new ShcKeyStore(tempKeyDir());
    const foreign = await issueHealthCard(sampleCertificateInput({ kind: 'overseas' }), other, { now: NOW });
    expectInvalid(await verifyHealthCard(foreign.jws, { resolver: store.resolver(), now: NOW }), 'SHC_ISSUER_UNKNOWN');
    const forger = await other.signer(TENANT);
    const forged = await signHealthCard(card.payload, { ...forger, kid: card.kid });
    expectInvalid(await verifyHealthCard(forged, { resolver: published(), now: NOW }), 'SHC_SIGNATURE_INVALID');
    expectInvalid(await verifyHealthCard(card.jws, { resolver: jwksResolver(other.publicJwks(TENANT)), now: NOW }), 'SHC_ISSUER_UNKNOWN');
  });

  it("does not let one municipality's key vouch for another municipality's issuer URL", async () => {
    const payload = healthCardPayload({ ...sampleCertificateInput({ tenant: OTHER_TENANT }) }, Math.floor(NOW.getTime() / 1000));
    const jws = await signHealthCard(payload, await store.signer(TENANT));
    expectInvalid(await verifyHealthCard(jws, { resolver: store.resolver(), now: NOW }), 'SHC_ISSUER_UNKNOWN');
  });

  it('fails when nbf is in the future (beyond a minute of clock skew)', async () => {
    const later = await issueHealthCard(sampleCertificateInput(), store, { now: new Date(NOW.getTime() + 3600_000) });
    expectInvalid(await verifyHealthCard(later.jws, { resolver: store.resolver(), now: NOW }), 'SHC_NOT_YET_VALID');
    const skewed = await issueHealthCard(sampleCertificateInput(), store, { now: new Date(NOW.getTime() + 30_000) });
    expect((await verifyHealthCard(skewed.jws, { resolver: store.resolver(), now: NOW })).valid).toBe(true);
    expect((await verifyHealthCard(later.jws, { resolver: store.resolver(), now: new Date(NOW.getTime() + 3600_000) })).valid).toBe(true);
  });

  it('honours exp when present', async () => {
    const signer = await store.signer(TENANT);
    const nbf = Math.floor(NOW.getTime() / 1000) - 86400;
    const expired = await signHealthCard({ ...healthCardPayload(sampleCertificateInput(), nbf), exp: nbf + 3600 }, signer);
    expectInvalid(await verifyHealthCard(expired, { resolver: store.resolver(), now: NOW }), 'SHC_EXPIRED');
    const open = await signHealthCard({ ...healthCardPayload(sampleCertificateInput(), nbf), exp: nbf + 7 * 86400 }, signer);
    expect((await verifyHealthCard(open, { resolver: store.resolver(), now: NOW })).valid).toBe(true);
  });

  it('requires the health-card type and ignores types it does not know', async () => {
    const signer = await store.signer(TENANT);
    const p = healthCardPayload(sampleCertificateInput(), Math.floor(NOW.getTime() / 1000));
    const wrong = await signHealthCard({ ...p, vc: { ...p.vc, type: ['https://smarthealth.cards#covid19'] } }, signer);
    expectInvalid(await verifyHealthCard(wrong, { resolver: store.resolver(), now: NOW }), 'SHC_TYPE_INVALID');
    const extra = await signHealthCard({ ...p, vc: { ...p.vc, type: ['https://smarthealth.cards#health-card', 'https://smarthealth.cards#immunization', 'https://example.org#unknown'] } }, signer);
    expect((await verifyHealthCard(extra, { resolver: store.resolver(), now: NOW })).valid).toBe(true);
  });

  it('checks the header: ES256, zip DEF and a thumbprint-shaped kid', async () => {
    const signer = await store.signer(TENANT);
    const body = Buffer.from(JSON.stringify(card.payload));
    const noZip = await new CompactSign(body).setProtectedHeader({ alg: 'ES256', kid: signer.kid }).sign(signer.privateKey);
    expectInvalid(await verifyHealthCard(noZip, { resolver: store.resolver(), now: NOW }), 'SHC_HEADER_INVALID');
    const noKid = await new CompactSign(deflateRawSync(body)).setProtectedHeader({ alg: 'ES256', zip: 'DEF' }).sign(signer.privateKey);
    expectInvalid(await verifyHealthCard(noKid, { resolver: store.resolver(), now: NOW }), 'SHC_HEADER_INVALID');
    const es384 = `${Buffer.from(JSON.stringify({ alg: 'ES384', zip: 'DEF', kid: signer.kid })).toString('base64url')}.${card.jws.split('.')[1]}.${card.jws.split('.')[2]}`;
    expectInvalid(await verifyHealthCard(es384, { resolver: store.resolver(), now: NOW }), 'SHC_HEADER_INVALID');
  });

  it('checks the bundle: one Patient, Immunizations referencing it, status completed', async () => {
    const signer = await store.signer(TENANT);
    const p = healthCardPayload(sampleCertificateInput(), Math.floor(NOW.getTime() / 1000));
    const withBundle = async (mutate: (b: ShcPayload['vc']['credentialSubject']['fhirBundle']) => void): Promise<VerifyResult> => {
      const copy = JSON.parse(JSON.stringify(p)) as ShcPayload;
      mutate(copy.vc.credentialSubject.fhirBundle);
      return verifyHealthCard(await signHealthCard(copy, signer), { resolver: store.resolver(), now: NOW });
    };
    expectInvalid(await withBundle((b) => ((b.entry[2]!.resource as { patient: { reference: string } }).patient.reference = 'resource:9')), 'SHC_BUNDLE_INVALID');
    expectInvalid(await withBundle((b) => ((b.entry[1]!.resource as { status: string }).status = 'entered-in-error')), 'SHC_BUNDLE_INVALID');
    expectInvalid(await withBundle((b) => b.entry.shift()), 'SHC_BUNDLE_INVALID');
    expectInvalid(await withBundle((b) => b.entry.splice(1)), 'SHC_BUNDLE_INVALID');
    expectInvalid(await withBundle((b) => ((b as { resourceType: string }).resourceType = 'Parameters')), 'SHC_BUNDLE_INVALID');
    const loose = await withBundle((b) => {
      (b.entry[1]!.resource as unknown as { vaccineCode: { coding: Record<string, string>[] } }).vaccineCode.coding[0]!['display'] = 'COVID-19, mRNA';
      (b.entry[0]!.resource as unknown as Record<string, string>)['id'] = 'p1';
    });
    expect(loose.valid).toBe(true);
    if (loose.valid) expect(loose.card.warnings.length).toBe(2);
  });

  it('refuses malformed input with a stable code', async () => {
    const opts = { resolver: store.resolver(), now: NOW };
    expectInvalid(await verifyHealthCard('', opts), 'SHC_MALFORMED');
    expectInvalid(await verifyHealthCard('こんにちは', opts), 'SHC_MALFORMED');
    expectInvalid(await verifyHealthCard('{"foo":1}', opts), 'SHC_MALFORMED');
    expectInvalid(await verifyHealthCard('{not json', opts), 'SHC_MALFORMED');
    expectInvalid(await verifyHealthCard('shc:/123', opts), 'SHC_QR_INVALID');
    expectInvalid(await verifyHealthCard('shc:/9999', opts), 'SHC_QR_INVALID');
    expectInvalid(await verifyHealthCard('a.b.c', opts), 'SHC_MALFORMED'); // 'a' is not canonical base64url
    expectInvalid(await verifyHealthCard(`${Buffer.from('nope').toString('base64url')}.AAAA.AAAA`, opts), 'SHC_HEADER_INVALID');
    const two = await verifyHealthCards(JSON.stringify(healthCardFile(card.jws, card.jws)), opts);
    expect(two.map((r) => r.valid)).toEqual([true, true]);
    expectInvalid(await verifyHealthCard(JSON.stringify(healthCardFile(card.jws, card.jws)), opts), 'SHC_MALFORMED');
  });
});

describe('issuer keys', () => {
  it('creates the key on first signing: private JWK 0600 in a 0700 directory, public JWKS without d', async () => {
    const dir = tempKeyDir();
    const store = new ShcKeyStore(dir);
    expect(store.publicJwks(TENANT)).toEqual({ keys: [] });
    expect(existsSync(join(dir, 'shc'))).toBe(false);
    const signer = await store.signer(TENANT);
    const priv = join(dir, 'shc', `${TENANT}.private.jwk.json`);
    expect(statSync(priv).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'shc')).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(priv, 'utf8'))).toMatchObject({ kty: 'EC', crv: 'P-256', d: expect.any(String) });
    const jwks = store.publicJwks(TENANT);
    expect(jwks.keys).toEqual([{ kty: 'EC', kid: signer.kid, use: 'sig', alg: 'ES256', crv: 'P-256', x: expect.any(String), y: expect.any(String) }]);
    expect(readFileSync(join(dir, 'shc', `${TENANT}.jwks.json`), 'utf8')).not.toContain('"d"');
    expect((await store.signer(TENANT)).kid).toBe(signer.kid);
    expect(store.tenants()).toEqual([TENANT]);
  });

  it('rotation keeps older cards verifiable with the published JWKS and signs new ones with the new key', async () => {
    const store = new ShcKeyStore(tempKeyDir());
    const before = await issueHealthCard(sampleCertificateInput(), store, { now: NOW });
    const rotated = await store.rotate(TENANT);
    expect(rotated.previousKid).toBe(before.kid);
    expect(rotated.kid).not.toBe(before.kid);
    const after = await issueHealthCard(sampleCertificateInput(), store, { now: NOW });
    expect(after.kid).toBe(rotated.kid);
    expect(store.publicJwks(TENANT).keys.map((k) => k.kid)).toEqual([before.kid, rotated.kid]);
    const resolver = jwksResolver(store.publicJwks(TENANT));
    for (const c of [before, after]) expect((await verifyHealthCard(c.jws, { resolver, now: NOW })).valid).toBe(true);
    // The retired private key is gone: the key file now holds the new key only.
    expect(await store.currentKid(TENANT)).toBe(rotated.kid);
  });

  it('withdrawing a compromised key removes it from the JWKS, so its cards stop verifying', async () => {
    const store = new ShcKeyStore(tempKeyDir());
    const old = await issueHealthCard(sampleCertificateInput(), store, { now: NOW });
    await store.rotate(TENANT);
    const fresh = await issueHealthCard(sampleCertificateInput(), store, { now: NOW });
    expect(await store.withdraw(TENANT, old.kid)).toBe(true);
    expectInvalid(await verifyHealthCard(old.jws, { resolver: store.resolver(), now: NOW }), 'SHC_ISSUER_UNKNOWN');
    expect((await verifyHealthCard(fresh.jws, { resolver: store.resolver(), now: NOW })).valid).toBe(true);
    // Withdrawing the current key deletes it; the next card gets a new one.
    expect(await store.withdraw(TENANT, fresh.kid)).toBe(true);
    expect(await store.currentKid(TENANT)).toBeUndefined();
    const next = await issueHealthCard(sampleCertificateInput(), store, { now: NOW });
    expect([old.kid, fresh.kid]).not.toContain(next.kid);
  });

  it('refuses a tenant that is not a municipality code (no path games)', async () => {
    const store = new ShcKeyStore(tempKeyDir());
    await expect(store.signer('../etc')).rejects.toMatchObject({ code: 'INVALID_MUNICIPALITY_CODE' });
    expect(() => store.publicJwks('312012')).toThrow();
  });
});
