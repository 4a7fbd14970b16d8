// `mamori registry credential sample|verify` (issue 16 Must have 3; decisions 0201–0204; docs/formats/
// registry-cli.md 「資格証明書」): a self-consistent sample that outside tools can verify, and the verification of
// a credential or presentation — signature, disclosures, status — printing the disclosed claims.  Neither
// touches the database.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { resolveConfig } from '../../kernel/config/index.js';
import { invalidField, parseInput } from '../../kernel/problems/index.js';
import { buildCredentialSample, catalog, exampleForm, verifyPresentation, type Verification } from '../../registry/index.js';
import { print, printJson } from '../io.js';

type O = Record<string, unknown>;

export async function sample(o: O): Promise<number> {
  const code = String(o['qualification'] ?? 'ishi');
  if (!catalog().qualification(code)) throw invalidField('qualification', 'QUALIFICATION_UNKNOWN', `資格コード「${code.slice(0, 40)}」はありません（mamori registry qualifications で一覧を確認してください）`);
  const out = resolve(String(o['out']));
  const clock = resolveConfig({ data: o['data'] as string | undefined }).clock;
  const s = await buildCredentialSample({ qualification: code, clock, form: exampleForm(code) as Record<string, unknown> });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'credential.txt'), s.credential + '\n');
  writeFileSync(join(out, 'presentation.txt'), s.presentation + '\n');
  writeFileSync(join(out, 'jwks.json'), JSON.stringify(s.jwks, null, 2) + '\n');
  writeFileSync(join(out, 'status-list.jwt'), s.statusList + '\n');
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(s.manifest, null, 2) + '\n');
  if (o['json']) printJson({ out, ...s.manifest });
  else {
    print(`資格証明書の見本を ${out} に書き出しました（発行者は見本用の架空のもので、資格管理者の鍵では署名していません）。`);
    print('  credential.txt    資格証明書（SD-JWT VC、すべての項目の開示を含む）');
    print('  presentation.txt  提示（資格名と登録番号だけを開示）');
    print('  jwks.json         発行者の公開鍵（JWKS）');
    print('  status-list.jwt   ステータスリスト（statuslist+jwt）');
    print('  manifest.json     発行者・種類・ステータスの参照先などの説明');
  }
  return 0;
}

const jwksFile = z.object({ keys: z.array(z.object({ kty: z.string(), kid: z.string().optional() }).passthrough()).min(1).max(50) }).strict();

function readText(path: string, field: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw invalidField(field, 'FILE_UNREADABLE', `ファイル「${path.slice(0, 200)}」を読めません`);
  }
}

async function fetchText(url: string, accept: string): Promise<string> {
  const res = await fetch(url, { headers: { accept }, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

/** The issuer URL of a credential, read before verifying it (only to find its published JWKS). */
function issuerOf(text: string): string {
  try {
    const p = JSON.parse(Buffer.from(text.trim().split('~')[0]!.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown };
    const u = new URL(String(p.iss));
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('scheme');
    return u.toString().replace(/\/+$/, '');
  } catch {
    throw invalidField('file', 'CREDENTIAL_MALFORMED', '資格証明書の形式ではありません（発行者が読めません）');
  }
}

const jst = (iso: string): string => {
  const d = new Date(new Date(iso).getTime() + 9 * 3_600_000).toISOString();
  return `${d.slice(0, 10)} ${d.slice(11, 16)}（日本時間）`;
};

export async function verify(o: O, args: readonly string[] = []): Promise<number> {
  const text = readText(String(args[0] ?? ''), 'file');
  const jwks = o['jwks']
    ? parseInput(jwksFile, (() => { try { return JSON.parse(readText(String(o['jwks']), 'jwks')) as unknown; } catch (e) { if (e instanceof SyntaxError) throw invalidField('jwks', 'JWKS_INVALID', 'JWKS のファイルが JSON ではありません'); throw e; } })())
    : await (async () => {
        const iss = issuerOf(text);
        try {
          return parseInput(jwksFile, JSON.parse(await fetchText(`${iss}/jwks.json`, 'application/jwk-set+json')) as unknown);
        } catch (e) {
          throw invalidField('jwks', 'JWKS_UNAVAILABLE', `発行者の公開鍵（${iss}/jwks.json）を取得できません（--jwks でファイルを指定できます）: ${(e as Error).message.slice(0, 100)}`);
        }
      })();
  const listFile = o['statusList'] ? readText(String(o['statusList']), 'status-list') : undefined;
  const clock = resolveConfig({ data: o['data'] as string | undefined }).clock;
  const v: Verification = await verifyPresentation(text, {
    jwks: jwks as Parameters<typeof verifyPresentation>[1]['jwks'],
    fetchStatusList: async (uri) => listFile ?? fetchText(uri, 'application/statuslist+jwt'),
    now: clock.now(),
  });
  if (o['json']) printJson(v);
  else if (v.result === 'invalid') {
    print(`検証結果: ${v.label}`);
    print(`理由: ${v.detail}`);
    if (v.issuer) print(`発行者（記載）: ${v.issuer}`);
  } else {
    print(`検証結果: ${v.label}`);
    print(`発行者: ${v.issuerName ? `${v.issuerName}（${v.issuer}）` : v.issuer}`);
    print(`発行日時: ${jst(v.issuedAt)}`);
    if (v.expiresAt) print(`有効期限: ${jst(v.expiresAt)}`);
    print('開示された項目:');
    const entries = Object.entries(v.claims);
    if (entries.length === 0) print('  （なし）');
    for (const [k, x] of entries) print(`  ${k}: ${x}`);
  }
  return v.result === 'valid' ? 0 : 1;
}
