// The `mamori certificate` contract (docs/formats/smart-health-card.md), run as a subprocess:
// sample writes the files outside tools verify against; verify exits 0 valid / 1 invalid / 2 usage.
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../harness/cli.js';
import { decodeJws, flipByte, nodeVerifyEs256 } from './helpers.js';

interface Jwks {
  keys: { kty: string; kid: string; crv: string; x: string; y: string; use: string; alg: string }[];
}

describe('mamori certificate sample / verify', () => {
  let work: string;
  let data: string;
  let out: string;
  let sample: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'mamori-shc-cli-'));
    data = join(work, 'data');
    out = join(work, 'out');
    sample = await runCli(['certificate', 'sample', '--out', out, '--data', data]);
  });

  it('sample writes the card, the QR text and image, and the public JWKS — without a database', () => {
    expect(sample.stderr).toBe('');
    expect(sample.code).toBe(0);
    for (const f of ['sample.smart-health-card', 'sample-qr.txt', 'issuer-jwks.json', 'sample-qr.png']) expect(statSync(join(out, f)).size).toBeGreaterThan(0);
    // Only the key directory was touched under --data: no embedded database was created.
    expect(() => statSync(join(data, 'pg'))).toThrow();
    expect(statSync(join(data, 'keys', 'shc', '312011.private.jwk.json')).mode & 0o777).toBe(0o600);
  });

  it('the files agree with each other and with the spec, checked with node:crypto alone', async () => {
    const file = JSON.parse(readFileSync(join(out, 'sample.smart-health-card'), 'utf8')) as { verifiableCredential: string[] };
    expect(Object.keys(file)).toEqual(['verifiableCredential']);
    expect(file.verifiableCredential).toHaveLength(1);
    const jws = file.verifiableCredential[0]!;
    const qr = readFileSync(join(out, 'sample-qr.txt'), 'utf8').trim();
    expect(qr).toBe('shc:/' + [...jws].map((c) => String(c.charCodeAt(0) - 45).padStart(2, '0')).join(''));
    const jwks = JSON.parse(readFileSync(join(out, 'issuer-jwks.json'), 'utf8')) as Jwks;
    expect(JSON.stringify(jwks)).not.toContain('"d"');
    const d = decodeJws(jws);
    const key = jwks.keys.find((k) => k.kid === d.header['kid'])!;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', use: 'sig', alg: 'ES256' });
    expect(await calculateJwkThumbprint({ kty: key.kty, crv: key.crv, x: key.x, y: key.y }, 'sha256')).toBe(key.kid);
    expect(nodeVerifyEs256(jws, key)).toBe(true);
    expect(d.payload).toMatchObject({ iss: 'https://mamori.example/issuers/312011', nbf: 1743465600, vc: { type: ['https://smarthealth.cards#health-card'] } });
  });

  it('sample content is deterministic apart from the signature', async () => {
    const again = join(work, 'again');
    const r = await runCli(['certificate', 'sample', '--out', again, '--data', data]);
    expect(r.code).toBe(0);
    const payloadOf = (dir: string): unknown => decodeJws((JSON.parse(readFileSync(join(dir, 'sample.smart-health-card'), 'utf8')) as { verifiableCredential: string[] }).verifiableCredential[0]!).payload;
    expect(payloadOf(again)).toEqual(payloadOf(out));
    expect(readFileSync(join(again, 'issuer-jwks.json'), 'utf8')).toBe(readFileSync(join(out, 'issuer-jwks.json'), 'utf8'));
  });

  it('verify accepts the QR text file, the .smart-health-card file and the QR text itself (exit 0)', async () => {
    const qr = readFileSync(join(out, 'sample-qr.txt'), 'utf8').trim();
    for (const input of [join(out, 'sample-qr.txt'), join(out, 'sample.smart-health-card'), qr]) {
      const r = await runCli(['certificate', 'verify', input, '--data', data]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('有効な SMART Health Card です');
      expect(r.stdout).toContain('氏名: 見本 花子');
      expect(r.stdout).toContain('生年月日: 1985-04-01');
      expect(r.stdout).toContain('1回目  2021-06-01  コミナティ筋注（12歳以上用） (CVX 208)  ロット SAMPLE01');
    }
  });

  it('verify trusts a foreign issuer only through --jwks, and prints JSON with --json', async () => {
    const elsewhere = join(work, 'no-keys');
    const without = await runCli(['certificate', 'verify', join(out, 'sample.smart-health-card'), '--data', elsewhere]);
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('SHC_ISSUER_UNKNOWN');
    const r = await runCli(['certificate', 'verify', join(out, 'sample.smart-health-card'), '--data', elsewhere, '--jwks', join(out, 'issuer-jwks.json'), '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { valid: boolean; cards: Record<string, unknown>[] };
    expect(j.valid).toBe(true);
    expect(j.cards[0]).toMatchObject({ valid: true, iss: 'https://mamori.example/issuers/312011', key: { kind: 'jwks', label: 'issuer-jwks.json' }, kind: 'domestic', person: { name: '見本 花子', birthDate: '1985-04-01' } });
    expect(j.cards[0]).not.toHaveProperty('jws');
  });

  it('verify exits 1 with the reason on stderr for a tampered card', async () => {
    const file = JSON.parse(readFileSync(join(out, 'sample.smart-health-card'), 'utf8')) as { verifiableCredential: string[] };
    const bad = join(work, 'tampered.smart-health-card');
    writeFileSync(bad, JSON.stringify({ verifiableCredential: [flipByte(file.verifiableCredential[0]!, 2, 5)] }));
    const r = await runCli(['certificate', 'verify', bad, '--data', data]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[SHC_SIGNATURE_INVALID]');
    expect(r.stderr).not.toContain('見本');
    const json = await runCli(['certificate', 'verify', bad, '--data', data, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ valid: false, cards: [{ valid: false, error: { code: 'SHC_SIGNATURE_INVALID' } }] });
    const garbage = await runCli(['certificate', 'verify', 'shc:/12345', '--data', data]);
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain('[SHC_QR_INVALID]');
  });

  it('verify exits 2 for malformed usage', async () => {
    expect((await runCli(['certificate', 'verify', '--data', data])).code).toBe(2);
    const missing = await runCli(['certificate', 'verify', join(work, 'no-such-file.txt'), '--data', data]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('INPUT_NOT_FOUND');
    const badJwks = await runCli(['certificate', 'verify', join(out, 'sample-qr.txt'), '--jwks', join(work, 'nope.json'), '--data', data]);
    expect(badJwks.code).toBe(2);
    expect((await runCli(['certificate', 'sample', '--data', data])).code).toBe(2);
    expect((await runCli(['certificate', 'sample', '--out', join(work, 'x'), '--tenant', '312012', '--data', data])).code).toBe(2);
  });

  it('overseas sample carries the ローマ字氏名; rotate-key keeps the old card verifiable', async () => {
    const dir = join(work, 'overseas');
    const r = await runCli(['certificate', 'sample', '--out', dir, '--kind', 'overseas', '--tenant', '131237', '--name', '江戸川区', '--data', data]);
    expect(r.code).toBe(0);
    const before = await runCli(['certificate', 'verify', join(dir, 'sample-qr.txt'), '--data', data]);
    expect(before.stdout).toContain('種別: 海外用');
    expect(before.stdout).toContain('ローマ字氏名: MIHON HANAKO');
    const rot = await runCli(['certificate', 'rotate-key', '--tenant', '131237', '--json', '--data', data]);
    expect(rot.code).toBe(0);
    const { kid, previousKid } = JSON.parse(rot.stdout) as { kid: string; previousKid: string };
    const jwks = JSON.parse((await runCli(['certificate', 'jwks', '--tenant', '131237', '--data', data])).stdout) as Jwks;
    expect(jwks.keys.map((k) => k.kid)).toEqual([previousKid, kid]);
    expect((await runCli(['certificate', 'verify', join(dir, 'sample.smart-health-card'), '--data', data])).code).toBe(0);
  });
});
