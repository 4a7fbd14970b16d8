// Numeric QR encoding and size limits (spec.smarthealth.cards "Health Cards as QR Codes" and the spec's
// QR FAQ): shc:/ in byte mode + two digits per JWS character (ord − 45) in numeric mode; one QR up to a
// 1195-character JWS (Version 22, level L); longer JWS split into balanced chunks of ≤ 1191 characters.
import fc from 'fast-check';
import QRCode from 'qrcode';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  decodeNumeric,
  encodeNumeric,
  issueHealthCard,
  jwsFromQr,
  qrChunks,
  qrPng,
  qrSvg,
  qrVersion,
  sampleCertificateInput,
  ShcKeyStore,
  splitJws,
  verifyHealthCard,
  SHC_CHUNK_MAX,
  SHC_QR_MAX_VERSION,
  SHC_SINGLE_QR_MAX,
  type CertificateInput,
  type IssuedHealthCard,
} from '../../../src/municipality/certificates/index.js';
import { tempKeyDir } from './helpers.js';

const NOW = new Date('2026-11-21T01:00:00Z');
const JWS_ALPHABET = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'];
const jwsText = (min: number, max: number) => fc.array(fc.constantFrom(...JWS_ALPHABET), { minLength: min, maxLength: max }).map((a) => a.join(''));

/** A certificate whose JWS no longer fits one QR: many doses with long lot numbers and names. */
function oversized(): CertificateInput {
  const base = sampleCertificateInput({ kind: 'overseas' });
  const doses = Array.from({ length: 20 }, (_, i) => ({
    date: `2021-${String((i % 12) + 1).padStart(2, '0')}-${String(i + 1).padStart(2, '0')}`,
    vaccineCode: { code: i % 2 ? '207' : '208' },
    lotNumber: `LOT${(i * 7919).toString(36).toUpperCase()}X${i}Q${(i * 104729).toString(36).toUpperCase()}`.slice(0, 40),
    performer: `架空市立第${i + 1}診療所（予防接種担当 見本医院 分室${i}）`,
  }));
  return { ...base, doses };
}

describe('numeric QR encoding', () => {
  it('writes each JWS character as two digits of ord(c) − 45, as in the spec example', () => {
    expect(encodeNumeric('X')).toBe('43');
    expect(encodeNumeric('-')).toBe('00');
    expect(encodeNumeric('.')).toBe('01');
    expect(encodeNumeric('z')).toBe('77');
    expect(encodeNumeric('eyJ')).toBe('567629');
    expect(() => encodeNumeric('a b')).toThrow();
  });

  it('round-trips every JWS-alphabet string (property)', () => {
    fc.assert(
      fc.property(jwsText(1, 400), (s) => {
        const digits = encodeNumeric(s);
        expect(digits).toMatch(/^\d+$/);
        expect(digits.length).toBe(s.length * 2);
        expect(decodeNumeric(digits)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses digit pairs that are not JWS characters and odd lengths', () => {
    expect(() => decodeNumeric('99')).toThrow(/QR/);
    expect(() => decodeNumeric('123')).toThrow(/奇数/);
    expect(() => decodeNumeric('12a4')).toThrow();
  });

  it('splits only above 1195 characters, into balanced chunks of at most 1191 that rejoin (property)', () => {
    expect(splitJws('a'.repeat(SHC_SINGLE_QR_MAX))).toHaveLength(1);
    expect(splitJws('a'.repeat(SHC_SINGLE_QR_MAX + 1)).map((c) => c.length)).toEqual([598, 598]);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6000 }), (n) => {
        const s = 'x'.repeat(n);
        const parts = splitJws(s);
        expect(parts.join('')).toBe(s);
        if (n <= SHC_SINGLE_QR_MAX) expect(parts).toHaveLength(1);
        else {
          expect(parts.length).toBe(Math.ceil(n / SHC_CHUNK_MAX));
          for (const p of parts) expect(p.length).toBeLessThanOrEqual(SHC_CHUNK_MAX);
          const sizes = parts.map((p) => p.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(parts.length);
        }
      }),
    );
  });

  it('prefixes chunks with shc:/C/N/ and reassembles them in any order', () => {
    fc.assert(
      fc.property(jwsText(1196, 4000), fc.integer(), (s, seed) => {
        const chunks = qrChunks(s);
        expect(chunks.length).toBeGreaterThan(1);
        chunks.forEach((c, i) => expect(c.text.startsWith(`shc:/${i + 1}/${chunks.length}/`)).toBe(true));
        const texts = chunks.map((c) => c.text);
        const k = Math.abs(seed) % texts.length;
        expect(jwsFromQr([...texts.slice(k), ...texts.slice(0, k)])).toBe(s);
        expect(jwsFromQr([...texts].reverse())).toBe(s);
      }),
      { numRuns: 50 },
    );
    expect(qrChunks('abc')).toEqual([{ prefix: 'shc:/', digits: '525354', text: 'shc:/525354' }]);
  });

  it('reports missing, mixed or conflicting chunks', () => {
    const texts = qrChunks('q'.repeat(3000)).map((c) => c.text);
    expect(texts).toHaveLength(3);
    expect(() => jwsFromQr([texts[0]!, texts[2]!])).toThrow(/2 番目/);
    expect(() => jwsFromQr([...texts, 'shc:/1/2/5253'])).toThrow(/総数/);
    expect(() => jwsFromQr([...texts, texts[1]!.replace(/\d\d$/, '52')])).toThrow(/2種類/);
    expect(jwsFromQr([...texts, texts[1]!])).toBe('q'.repeat(3000));
    expect(() => jwsFromQr(['shc:/3/2/5253'])).toThrow();
  });
});

describe('QR size limits', () => {
  let store: ShcKeyStore;
  let card: IssuedHealthCard;
  let big: IssuedHealthCard;
  beforeAll(async () => {
    store = new ShcKeyStore(tempKeyDir());
    card = await issueHealthCard(sampleCertificateInput({ kind: 'overseas' }), store, { now: NOW });
    big = await issueHealthCard(oversized(), store, { now: NOW });
  });

  it('a 1195-character JWS fits one Version 22 QR at level L; the spec numbers follow from the QR capacity', () => {
    const max = qrChunks('A'.repeat(SHC_SINGLE_QR_MAX))[0]!;
    expect(qrVersion(max)).toBe(SHC_QR_MAX_VERSION);
    // (8048 − 76) × 3 / 20 = 1195.8 → 1195 for V22-L (spec QR FAQ); with the 'shc:/C/N/' prefix, 1191.
    expect(Math.floor(((8048 - 76) * 3) / 20)).toBe(SHC_SINGLE_QR_MAX);
    const chunk = qrChunks('A'.repeat(SHC_CHUNK_MAX * 2))[0]!;
    expect(chunk.text.startsWith('shc:/1/2/')).toBe(true);
    expect(qrVersion(chunk)).toBeLessThanOrEqual(SHC_QR_MAX_VERSION);
    // One more character in a single QR would not fit V22-L.
    expect(QRCode.create([{ data: Buffer.from('shc:/'), mode: 'byte' }, { data: encodeNumeric('A'.repeat(SHC_SINGLE_QR_MAX + 1)), mode: 'numeric' }], { errorCorrectionLevel: 'L' }).version).toBe(23);
  });

  it('a typical certificate is a single QR within the limit', () => {
    expect(card.jws.length).toBeLessThanOrEqual(SHC_SINGLE_QR_MAX);
    expect(card.qr).toHaveLength(1);
    expect(card.qr[0]!.text).toMatch(/^shc:\/\d+$/);
    expect(card.qr[0]!.text).toBe('shc:/' + encodeNumeric(card.jws));
    expect(qrVersion(card.qr[0]!)).toBeLessThanOrEqual(SHC_QR_MAX_VERSION);
  });

  it('an oversized certificate is chunked; every chunk fits, and the chunks verify in any order', async () => {
    expect(big.jws.length).toBeGreaterThan(SHC_SINGLE_QR_MAX);
    expect(big.qr.length).toBeGreaterThan(1);
    for (const q of big.qr) {
      expect(q.text).toMatch(/^shc:\/\d+\/\d+\/\d+$/);
      expect(decodeNumeric(q.digits).length).toBeLessThanOrEqual(SHC_CHUNK_MAX);
      expect(qrVersion(q)).toBeLessThanOrEqual(SHC_QR_MAX_VERSION);
    }
    const r = await verifyHealthCard([...big.qr].reverse().map((q) => q.text).join('\n'), { resolver: store.resolver(), now: NOW });
    expect(r.valid).toBe(true);
    if (r.valid) expect(r.card.doses).toHaveLength(20);
    const missing = await verifyHealthCard(big.qr.slice(1).map((q) => q.text).join('\n'), { resolver: store.resolver(), now: NOW });
    expect(missing.valid ? 'valid' : missing.error.code).toBe('SHC_CHUNKS_INCOMPLETE');
  });

  it('renders PNG and SVG with a byte segment for shc:/ and a numeric segment for the digits', async () => {
    const png = await qrPng(card.qr[0]!);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    const svg = await qrSvg(card.qr[0]!);
    expect(svg).toContain('<svg');
    const qr = QRCode.create([{ data: Buffer.from(card.qr[0]!.prefix), mode: 'byte' }, { data: card.qr[0]!.digits, mode: 'numeric' }], { errorCorrectionLevel: 'L' });
    expect(qr.segments.map((s) => s.mode.id)).toEqual(['Byte', 'Numeric']);
    expect(qr.errorCorrectionLevel.bit).toBe(QRCode.create('x', { errorCorrectionLevel: 'L' }).errorCorrectionLevel.bit);
    expect(qr.version).toBe(qrVersion(card.qr[0]!));
    // A single QR over the limit is refused rather than printed at a size verifiers may not scan.
    const tooBig = { prefix: 'shc:/', digits: encodeNumeric('A'.repeat(SHC_SINGLE_QR_MAX + 1)), text: '' };
    await expect(qrPng(tooBig)).rejects.toMatchObject({ code: 'SHC_QR_TOO_LARGE' });
  });
});
