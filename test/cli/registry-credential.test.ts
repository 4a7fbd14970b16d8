// `mamori registry credential sample|verify` as subprocesses (issue 16 Must have 3; docs/formats/registry-cli.md
// 「資格証明書」): the sample's files and manifest; verify reports a tampered presentation precisely (text and
// JSON, exit 1), refuses unreadable or non-JWKS input (exit 2), and never needs a database.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli.js';
import { findMyNumbers } from '../harness/leaks.js';

let dir = '';
const s = (f: string) => join(dir, 's', f);
const data = () => ['--data', join(dir, 'data')];
const verify = (file: string, ...more: string[]) => runCli(['registry', 'credential', 'verify', file, '--jwks', s('jwks.json'), '--status-list', s('status-list.jwt'), ...more, ...data()], { timeoutMs: 120_000 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mamori-credential-cli-'));
  const r = await runCli(['registry', 'credential', 'sample', '--out', join(dir, 's'), '--qualification', 'kaigofukushishi', '--json', ...data()], { timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mamori registry credential', () => {
  it('sample: the documented files, a manifest naming the sample issuer, no My Number', () => {
    const manifest = JSON.parse(readFileSync(s('manifest.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest).toMatchObject({
      issuer: 'https://sample.mamori.invalid/registry/issuers/mhlw-shaen', vct: 'urn:mamori:registry:credential:kaigofukushishi',
      files: { credential: 'credential.txt', presentation: 'presentation.txt', jwks: 'jwks.json', statusList: 'status-list.jwt' }, disclosedInPresentation: ['資格名', '登録番号'],
    });
    const all = ['credential.txt', 'presentation.txt', 'jwks.json', 'status-list.jwt', 'manifest.json'].map((f) => readFileSync(s(f), 'utf8')).join('\n');
    expect(findMyNumbers(all)).toEqual([]);
    expect(JSON.parse(readFileSync(s('jwks.json'), 'utf8')).keys[0]).not.toHaveProperty('d');
  });

  it('verify: the presentation is valid and shows only its two claims; the credential shows all five', async () => {
    const p = await verify(s('presentation.txt'));
    expect(p.code, p.stderr).toBe(0);
    expect(p.stdout).toContain('検証結果: 有効');
    expect(p.stdout).toContain('資格名: 介護福祉士');
    expect(p.stdout).not.toContain('生年月日');
    const c = await verify(s('credential.txt'), '--json');
    expect(c.code).toBe(0);
    expect(Object.keys((JSON.parse(c.stdout) as { claims: object }).claims)).toEqual(['資格名', '登録番号', '登録年月日', '氏名', '生年月日']);
  });

  it('verify: a rewritten claim → 無効 with the claim named, exit 1 (text and JSON)', async () => {
    const parts = readFileSync(s('presentation.txt'), 'utf8').trim().split('~');
    const i = parts.findIndex((d, k) => k > 0 && d && (JSON.parse(Buffer.from(d, 'base64url').toString('utf8')) as unknown[])[1] === '資格名');
    const v = JSON.parse(Buffer.from(parts[i]!, 'base64url').toString('utf8')) as unknown[];
    parts[i] = Buffer.from(JSON.stringify([v[0], v[1], '医師'])).toString('base64url');
    writeFileSync(join(dir, 'tampered.txt'), parts.join('~'));
    const t = await verify(join(dir, 'tampered.txt'));
    expect(t.code).toBe(1);
    expect(t.stdout).toContain('検証結果: 無効');
    expect(t.stdout).toContain('「資格名」は、この資格証明書に含まれていません');
    const j = await verify(join(dir, 'tampered.txt'), '--json');
    expect(JSON.parse(j.stdout)).toMatchObject({ result: 'invalid', reason: 'disclosure-not-in-credential' });
  });

  it('verify: an unreadable file or a JWKS that is not one → exit 2, named', async () => {
    const missing = await verify(join(dir, 'nosuch.txt'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('FILE_UNREADABLE');
    writeFileSync(join(dir, 'bad.json'), '{"keys": "none"}');
    const bad = await runCli(['registry', 'credential', 'verify', s('presentation.txt'), '--jwks', join(dir, 'bad.json'), ...data()], { timeoutMs: 120_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('keys');
  });
});
