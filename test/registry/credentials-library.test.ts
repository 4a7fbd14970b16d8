// Issue 16 "Done when": the sample credential and presentation verify with the `@sd-jwt/*` libraries and `jose`
// alone — no Mamori code in the verifier (`verifyWithLibraries` below imports nothing from src/) — including
// selective disclosure; and a credential issued by the registry flips to revoked on its 資格管理者's status list,
// fetched over HTTP from the registry node, once a 行政処分 (免許取消) is recorded through recordDisposition.
// (src/ is used only to set the scene: the registry node, a registered person, the issue and the 行政処分.)
import { digest } from '@sd-jwt/crypto-nodejs';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli.js';
import { startOrganisations, type Organisations } from '../../src/app/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { exampleForm, issueCredential, IssuerKeys, recordDisposition, registerEntry, REGISTRY_ROLE, RegistrySecrets, syncAdministrators } from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { TEST_NOW } from '../harness/clock.js';

// ---- the outside verifier: libraries only -----------------------------------------------------------------------

/** A verifier of ES256 compact JWS for the library, the key chosen by `kid` from a JWKS — with jose. */
function joseVerifier(jwks: { keys: JWK[] }) {
  return async (data: string, signature: string): Promise<boolean> => {
    const compact = `${data}.${signature}`;
    const { kid } = decodeProtectedHeader(compact);
    const jwk = jwks.keys.find((k) => k.kid === kid);
    if (!jwk) return false;
    try {
      await compactVerify(compact, await importJWK(jwk, 'ES256'), { algorithms: ['ES256'] });
      return true;
    } catch {
      return false;
    }
  };
}

/** Verifies with @sd-jwt/sd-jwt-vc; returns the disclosed claims and the status code read from the status list. */
async function verifyWithLibraries(text: string, jwks: { keys: JWK[] }, fetchList: (uri: string) => Promise<string>, now: number): Promise<{ claims: Record<string, unknown>; status: number }> {
  let status = -1;
  const vc = new SDJwtVcInstance({
    hasher: digest,
    verifier: joseVerifier(jwks),
    statusListFetcher: fetchList,
    statusValidator: async (s: number) => {
      status = s;
    },
  });
  const { payload } = await vc.verify(text.trim(), { currentDate: now, skewSeconds: 60 });
  return { claims: payload as Record<string, unknown>, status };
}

/** The library's own default: any status but 0 is refused. */
async function verifyStrict(text: string, jwks: { keys: JWK[] }, fetchList: (uri: string) => Promise<string>, now: number): Promise<void> {
  await new SDJwtVcInstance({ hasher: digest, verifier: joseVerifier(jwks), statusListFetcher: fetchList }).verify(text.trim(), { currentDate: now, skewSeconds: 60 });
}

// -------------------------------------------------------------------------------------------------------------------

let app: TestApp;
let orgs: Organisations;
let base = '';
let dir = '';

beforeAll(async () => {
  app = await testApp('server');
  orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0, only: 'registry' });
  base = orgs.nodes[0]!.url;
  dir = mkdtempSync(join(tmpdir(), 'mamori-credential-sample-'));
}, 120_000);

afterAll(async () => {
  await orgs?.close();
  await app?.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const nowSeconds = () => Math.floor(app.config.clock.now().getTime() / 1000);

describe('verification without Mamori', () => {
  it('the sample written by `mamori registry credential sample` verifies with the libraries alone, with selective disclosure', async () => {
    const r = await runCli(['registry', 'credential', 'sample', '--out', join(dir, 's'), '--data', join(dir, 'data')], { timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const file = (f: string) => readFileSync(join(dir, 's', f), 'utf8');
    const jwks = JSON.parse(file('jwks.json')) as { keys: JWK[] };
    const manifest = JSON.parse(file('manifest.json')) as { status: { uri: string; idx: number }; issuer: string };
    const fromFile = async (uri: string) => {
      expect(uri).toBe(manifest.status.uri);
      return file('status-list.jwt').trim();
    };
    // The CLI child runs on the suite's clock (TEST_NOW).
    const now = Math.floor(Date.parse(TEST_NOW) / 1000) + 60;
    const whole = await verifyWithLibraries(file('credential.txt'), jwks, fromFile, now);
    expect(whole.status).toBe(0);
    expect(whole.claims).toMatchObject({ iss: manifest.issuer, 資格名: '医師', 登録番号: 1, 氏名: expect.any(String), 生年月日: expect.any(String), 登録年月日: expect.any(String) });
    const shown = await verifyWithLibraries(file('presentation.txt'), jwks, fromFile, now);
    expect(shown.status).toBe(0);
    expect(shown.claims).toMatchObject({ 資格名: '医師', 登録番号: 1 });
    for (const hidden of ['氏名', '生年月日', '登録年月日']) expect(shown.claims).not.toHaveProperty(hidden);
    // The presentation's JWT is the credential's, with fewer disclosures.
    expect(file('presentation.txt').split('~')[0]).toBe(file('credential.txt').split('~')[0]);
    // The status list is what the library reads: 2 bits per credential, the sample's index valid.
    expect(getListFromStatusListJWT(file('status-list.jwt').trim()).getStatus(manifest.status.idx)).toBe(0);
    // And Mamori's own `verify` agrees.
    const v = await runCli(['registry', 'credential', 'verify', join(dir, 's', 'presentation.txt'), '--jwks', join(dir, 's', 'jwks.json'), '--status-list', join(dir, 's', 'status-list.jwt'), '--data', join(dir, 'data')], { timeoutMs: 120_000 });
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toContain('検証結果: 有効');
    expect(v.stdout).toContain('資格名: 医師');
    expect(v.stdout).toContain('登録番号: 1');
    expect(v.stdout).not.toContain('氏名');
  }, 240_000);

  it('a credential issued by the registry verifies with the libraries over HTTP, and reads revoked once a 免許取消 is recorded', async () => {
    const db = await app.db.forRole(REGISTRY_ROLE);
    const clock = app.config.clock;
    await syncAdministrators(db, clock);
    const e = await registerEntry({ db, clock, secrets: RegistrySecrets.open(app.config.keyDir) }, {
      applicationId: 'library-1', qualification: 'ishi', application: exampleForm('ishi'), myNumber: syntheticMyNumber('registry-credentials-library', 1), approvedBy: 'shinsa1',
    });
    const issued = await issueCredential({ db, clock, keys: IssuerKeys.open(app.config.keyDir), baseUrl: base }, { tenant: 'mhlw-isei', qualification: 'ishi', number: e.number });

    // From here on, only the libraries, jose and HTTP.
    const presentation = await new SDJwtVcInstance({ hasher: digest }).present(issued.credential, { 資格名: true, 登録番号: true });
    const iss = (JSON.parse(Buffer.from(presentation.split('.')[1]!, 'base64url').toString('utf8')) as { iss: string }).iss;
    const jwks = (await (await fetch(`${iss}/jwks.json`)).json()) as { keys: JWK[] };
    const overHttp = async (uri: string) => {
      const res = await fetch(uri, { headers: { accept: 'application/statuslist+jwt' } });
      expect(res.headers.get('content-type')).toContain('application/statuslist+jwt');
      return res.text();
    };
    const before = await verifyWithLibraries(presentation, jwks, overHttp, nowSeconds());
    expect(before.status).toBe(0);
    expect(before.claims).toMatchObject({ 資格名: '医師', 登録番号: e.number, 資格管理者: '厚生労働省医政局' });
    expect(before.claims).not.toHaveProperty('氏名');
    await verifyStrict(presentation, jwks, overHttp, nowSeconds());

    const today = clock.today();
    await recordDisposition({ db, clock }, { qualification: 'ishi', number: e.number, kind: 'revocation', decidedOn: today, code: 'R1', from: today, issueNo: '医政発-LIB-1', by: 'shinsa1' });

    const after = await verifyWithLibraries(presentation, jwks, overHttp, nowSeconds());
    expect(after.status).toBe(1);
    await expect(verifyStrict(presentation, jwks, overHttp, nowSeconds())).rejects.toThrow('Status is not valid');
  }, 120_000);
});
