// Digital qualification certificates (issue 16 Must have 1 and 3, "Bad input and attacks"; QUA-23, QUA-24;
// decisions 0201–0204), on real PostgreSQL with the registry node over HTTP: an SD-JWT VC for an active entry,
// signed by its 資格管理者's key (published JWKS, rotation keeps old credentials verifiable), claims selectively
// disclosable, never a My Number nor the 資格仮名ID; its status on the 資格管理者's status list follows 行政処分
// and 抹消 recorded in the register (a suspension reads as suspended during its period only); each attack on a
// presentation reported precisely.
import { SignJWT, importJWK, type JWK } from 'jose';
import { sql, type Kysely } from 'kysely';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrganisations, type Organisations } from '../../src/app/index.js';
import type { SetClock } from '../../src/kernel/clock/index.js';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import {
  credentialsOf, eraseEntry, exampleForm, issueCredential, IssuerKeys, presentCredential, recordDisposition, registerEntry, REGISTRY_ROLE, RegistrySecrets, syncAdministrators, verifyPresentation,
  withRegistryTenant, type CredentialDeps, type EntryView, type RegisterDeps, type Verification,
} from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';

let app: TestApp;
let orgs: Organisations;
let db: Kysely<UntypedDatabase>;
let deps: RegisterDeps;
let cdeps: CredentialDeps;
let base = '';
const numbers: string[] = [];
let seq = 0;
let appNo = 0;

async function register(qualification: string): Promise<EntryView> {
  const mn = syntheticMyNumber('registry-credentials', seq++);
  numbers.push(mn);
  return registerEntry(deps, { applicationId: `cred-${++appNo}`, qualification, application: exampleForm(qualification), myNumber: mn, approvedBy: 'shinsa1' });
}

const jwksOf = async (tenant: string) => (await (await fetch(`${base}/registry/issuers/${tenant}/jwks.json`)).json()) as { keys: JWK[] };
const fetchList = async (uri: string) => {
  const r = await fetch(uri);
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return r.text();
};
const verify = async (text: string, tenant = 'mhlw-isei', now?: Date): Promise<Verification> => verifyPresentation(text, { jwks: await jwksOf(tenant), fetchStatusList: fetchList, now: now ?? app.config.clock.now() });

/** Replaces the JWT payload of a presentation (keeping the signature): the attacker's edit. */
function withPayload(text: string, edit: (p: Record<string, unknown>) => void): string {
  const [jwt, ...rest] = text.split('~');
  const [h, p, s] = jwt!.split('.');
  const payload = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as Record<string, unknown>;
  edit(payload);
  return [`${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`, ...rest].join('~');
}

const decodeDisclosure = (d: string): unknown[] => JSON.parse(Buffer.from(d, 'base64url').toString('utf8')) as unknown[];
const encodeDisclosure = (v: unknown[]): string => Buffer.from(JSON.stringify(v)).toString('base64url');

beforeAll(async () => {
  app = await testApp('server');
  orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0, only: 'registry' });
  base = orgs.nodes[0]!.url;
  db = await app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(db, app.config.clock);
  deps = { db, clock: app.config.clock, secrets: RegistrySecrets.open(app.config.keyDir) };
  cdeps = { db, clock: app.config.clock, keys: IssuerKeys.open(app.config.keyDir), baseUrl: base };
}, 120_000);

afterAll(async () => {
  await orgs?.close();
  await app?.cleanup();
});

describe('issuing', () => {
  it('issues an SD-JWT VC for an active entry: claims selectively disclosable, the issuer always, no My Number, no 資格仮名ID; recorded', async () => {
    const e = await register('ishi');
    const c = await issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'ishi', number: e.number });
    expect(c.issuer).toBe(`${base}/registry/issuers/mhlw-isei`);
    expect(c.vct).toBe('urn:mamori:registry:credential:ishi');
    expect(c.status.uri).toBe(`${base}/registry/issuers/mhlw-isei/status-lists/${c.status.listNo}`);
    const [jwt, ...disclosures] = c.credential.split('~');
    const payload = JSON.parse(Buffer.from(jwt!.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(payload).toMatchObject({ iss: c.issuer, vct: c.vct, 資格管理者: '厚生労働省医政局', status: { status_list: { idx: c.status.idx, uri: c.status.uri } } });
    expect(payload['exp'] as number - (payload['iat'] as number)).toBe(365 * 86_400);
    for (const k of ['資格名', '登録番号', '登録年月日', '氏名', '生年月日']) expect(payload).not.toHaveProperty(k);
    const names = disclosures.filter(Boolean).map((d) => decodeDisclosure(d)[1]);
    expect(names.sort()).toEqual(['氏名', '生年月日', '登録年月日', '登録番号', '資格名'].sort());
    const values = Object.fromEntries(disclosures.filter(Boolean).map((d) => decodeDisclosure(d).slice(1) as [string, unknown]));
    expect(values).toEqual({ 資格名: '医師', 登録番号: e.number, 登録年月日: e.registeredOn, 氏名: expect.stringMatching(/\S　\S/), 生年月日: e.items['生年月日'] });
    // Never a My Number, never the 資格仮名ID (decision 0202), in the credential or its decoded disclosures.
    const decoded = c.credential + JSON.stringify(payload) + JSON.stringify(values);
    expect(findMyNumbers(decoded)).toEqual([]);
    for (const n of numbers) expect(decoded).not.toContain(n);
    expect(decoded).not.toContain(e.pseudonymId);
    expect(await credentialsOf(db, 'mhlw-isei', 'ishi', e.number)).toEqual([expect.objectContaining({ credentialId: c.credentialId, status: 'valid', listNo: c.status.listNo, idx: c.status.idx, keyId: c.keyId })]);
    const row = (await withRegistryTenant(db, 'mhlw-isei', (tx) => sql`SELECT row_to_json(c)::text AS j FROM registry.credentials c WHERE credential_id = ${c.credentialId}`.execute(tx))).rows[0] as { j: string };
    expect(row.j).not.toContain(values['氏名'] as string);
  });

  it('a presentation discloses only the chosen claims and verifies valid with the issuer', async () => {
    const e = await register('ishi');
    const c = await issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'ishi', number: e.number });
    const p = await presentCredential(c.credential, ['資格名', '登録番号']);
    const v = await verify(p);
    expect(v).toMatchObject({ result: 'valid', label: '有効', issuer: c.issuer, issuerName: '厚生労働省医政局', claims: { 資格名: '医師', 登録番号: e.number } });
    if (v.result === 'invalid') throw new Error('unreachable');
    expect(Object.keys(v.claims).sort()).toEqual(['登録番号', '資格名'].sort());
    const whole = await verify(c.credential);
    expect(whole, JSON.stringify(whole)).toMatchObject({ result: 'valid', claims: { 資格名: '医師', 登録番号: e.number, 登録年月日: e.registeredOn } });
  });

  it('refuses an entry that is not active, an unknown number and another administrator\'s qualification', async () => {
    const e = await register('ishi');
    await recordDisposition(deps, { qualification: 'ishi', number: e.number, kind: 'revocation', decidedOn: app.config.clock.today(), code: 'R1', from: app.config.clock.today(), issueNo: `医政発-${e.number}`, by: 'shinsa1' });
    await expectProblem(issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'ishi', number: e.number }), { status: 409, code: 'CREDENTIAL_NOT_ACTIVE' });
    await expectProblem(issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'ishi', number: 999_999 }), { status: 404 });
    await expectProblem(issueCredential(cdeps, { tenant: 'mhlw-iyaku', qualification: 'ishi', number: 1 }), { status: 404 });
    await expectProblem(issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'ishi', number: 1, holderKey: { kty: 'EC', crv: 'P-256', x: 'a'.repeat(43), y: 'b'.repeat(43), d: 'c'.repeat(43) } }), { status: 400 });
  });

  it('takes 氏名 and 生年月日 from each file\'s own items (管理栄養士, 介護福祉士)', async () => {
    for (const [qualification, tenant] of [['kanrieiyoshi', 'mhlw-kenko'], ['kaigofukushishi', 'mhlw-shaen']] as const) {
      const e = await register(qualification);
      const c = await issueCredential(cdeps, { tenant, qualification, number: e.number });
      const v = await verify(c.credential, tenant);
      expect(v, JSON.stringify(v)).toMatchObject({ result: 'valid', claims: { 資格名: e.qualificationName, 登録番号: e.number, 登録年月日: e.registeredOn, 氏名: expect.stringMatching(/\S　\S/), 生年月日: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/) } });
    }
  });

  it('concurrent issues get distinct status indexes, each recorded', async () => {
    const e = await register('josanshi');
    const many = await Promise.all(Array.from({ length: 8 }, () => issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'josanshi', number: e.number })));
    expect(new Set(many.map((c) => `${c.status.listNo}:${c.status.idx}`)).size).toBe(8);
    expect((await credentialsOf(db, 'mhlw-isei', 'josanshi', e.number)).map((c) => c.credentialId).sort()).toEqual(many.map((c) => c.credentialId).sort());
  });

  it('binds the credential to a holder key when given (cnf)', async () => {
    const e = await register('kangoshi');
    const holder = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }) as JWK;
    const c = await issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'kangoshi', number: e.number, holderKey: holder });
    const payload = JSON.parse(Buffer.from(c.credential.split('.')[1]!, 'base64url').toString('utf8')) as { cnf: { jwk: JWK } };
    expect(payload.cnf.jwk).toEqual({ kty: 'EC', crv: 'P-256', x: holder.x, y: holder.y });
  });
});

describe('keys and the public endpoints', () => {
  it('publishes the JWKS and the status list without login; a rotated key keeps old credentials verifiable', async () => {
    const meta = (await (await fetch(`${base}/.well-known/jwt-vc-issuer/registry/issuers/mhlw-iyaku`)).json()) as { issuer: string; jwks: { keys: JWK[] } };
    expect(meta.issuer).toBe(`${base}/registry/issuers/mhlw-iyaku`);
    expect(meta.jwks.keys.every((k) => k.d === undefined && k.kty === 'EC' && k.crv === 'P-256')).toBe(true);
    const e = await register('yakuzaishi');
    const old = await issueCredential(cdeps, { tenant: 'mhlw-iyaku', qualification: 'yakuzaishi', number: e.number });
    const res = await fetch(old.status.uri);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/statuslist+jwt');
    const rotated = await cdeps.keys.rotate('mhlw-iyaku');
    expect(rotated.kid).not.toBe(old.keyId);
    const jwks = await jwksOf('mhlw-iyaku');
    expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([old.keyId, rotated.kid]));
    const fresh = await issueCredential(cdeps, { tenant: 'mhlw-iyaku', qualification: 'yakuzaishi', number: e.number });
    expect(fresh.keyId).toBe(rotated.kid);
    expect((await verify(old.credential, 'mhlw-iyaku')).result).toBe('valid');
    expect((await verify(fresh.credential, 'mhlw-iyaku')).result).toBe('valid');
    expect((await fetch(`${base}/registry/issuers/nosuch/jwks.json`)).status).toBe(404);
    expect((await fetch(`${base}/registry/issuers/mhlw-iyaku/status-lists/999`)).status).toBe(404);
    expect((await fetch(`${base}/registry/issuers/mhlw-iyaku/status-lists/abc`)).status).toBe(404);
  });
});

describe('status follows the register', () => {
  it('免許取消 → revoked at once', async () => {
    const e = await register('ishi');
    const c = await issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'ishi', number: e.number });
    const p = await presentCredential(c.credential, ['資格名', '登録番号']);
    expect((await verify(p)).result).toBe('valid');
    const today = app.config.clock.today();
    await recordDisposition(deps, { qualification: 'ishi', number: e.number, kind: 'revocation', decidedOn: today, code: 'R1', from: today, issueNo: `医政発-R-${e.number}`, by: 'shinsa1' });
    expect(await verify(p)).toMatchObject({ result: 'revoked', label: '失効（免許取消・抹消）', issuer: c.issuer, claims: { 資格名: '医師' } });
  });

  it('業務停止 → suspended during its period, valid again after it (no job needed), and a later 抹消 → revoked', async () => {
    const clock = app.config.clock as SetClock;
    const start = clock.now();
    try {
      const e = await register('yakuzaishi');
      const c = await issueCredential(cdeps, { tenant: 'mhlw-iyaku', qualification: 'yakuzaishi', number: e.number });
      const today = clock.today();
      // Decided today, starting tomorrow for a week.
      await recordDisposition(deps, { qualification: 'yakuzaishi', number: e.number, kind: 'suspension', decidedOn: today, code: 'S1', from: addDaysIso(today, 1), until: addDaysIso(today, 7), issueNo: `薬生発-S-${e.number}`, by: 'shinsa1' });
      expect((await verify(c.credential, 'mhlw-iyaku')).result).toBe('valid');
      clock.set(`${addDaysIso(today, 1)}T10:00:00+09:00`);
      expect((await verify(c.credential, 'mhlw-iyaku')).result).toBe('suspended');
      clock.set(`${addDaysIso(today, 7)}T23:00:00+09:00`);
      expect((await verify(c.credential, 'mhlw-iyaku')).result).toBe('suspended');
      clock.set(`${addDaysIso(today, 8)}T09:00:00+09:00`);
      expect((await verify(c.credential, 'mhlw-iyaku')).result).toBe('valid');
      await eraseEntry(deps, { qualification: 'yakuzaishi', number: e.number, cause: 'request', reasonCode: 'E1', by: 'shinsa1' });
      expect((await verify(c.credential, 'mhlw-iyaku')).result).toBe('revoked');
      expect((await credentialsOf(db, 'mhlw-iyaku', 'yakuzaishi', e.number))[0]!.status).toBe('revoked');
    } finally {
      clock.set(start);
    }
  });

  it('recording the same 行政処分 again changes nothing; other entries keep their status', async () => {
    const a = await register('ishi');
    const b = await register('ishi');
    const ca = await issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'ishi', number: a.number });
    const cb = await issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'ishi', number: b.number });
    const today = app.config.clock.today();
    const d = { qualification: 'ishi', number: a.number, kind: 'revocation', decidedOn: today, code: 'R1', from: today, issueNo: `医政発-X-${a.number}`, by: 'shinsa1' };
    await recordDisposition(deps, d);
    await recordDisposition(deps, d);
    expect((await verify(ca.credential)).result).toBe('revoked');
    expect((await verify(cb.credential)).result).toBe('valid');
  });
});

describe('attacks on a presentation, each reported precisely', () => {
  let cred = '';
  let pres = '';
  beforeAll(async () => {
    const e = await register('hokenshi');
    cred = (await issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'hokenshi', number: e.number })).credential;
    pres = await presentCredential(cred, ['資格名', '登録番号']);
  });

  it('an altered claim: a disclosure rewritten → disclosure-not-in-credential naming it', async () => {
    const parts = pres.split('~');
    const i = parts.findIndex((d, k) => k > 0 && d && decodeDisclosure(d)[1] === '資格名');
    const v = decodeDisclosure(parts[i]!);
    parts[i] = encodeDisclosure([v[0], v[1], '医師']);
    expect(await verify(parts.join('~'))).toMatchObject({ result: 'invalid', reason: 'disclosure-not-in-credential', detail: expect.stringContaining('「資格名」') });
  });

  it('an altered claim: the signed part rewritten (issuer, expiry) → signature-invalid', async () => {
    expect(await verify(withPayload(pres, (p) => { p['exp'] = (p['exp'] as number) + 10 * 365 * 86_400; }))).toMatchObject({ result: 'invalid', reason: 'signature-invalid' });
    expect(await verify(withPayload(pres, (p) => { p['資格管理者'] = '別の官庁'; }))).toMatchObject({ result: 'invalid', reason: 'signature-invalid' });
  });

  it('a disclosure not in the credential: one added, or taken from another person\'s credential → disclosure-not-in-credential', async () => {
    const added = `${pres}${encodeDisclosure(['c2FsdHNhbHRzYWx0', '生年月日', '1990-01-01'])}~`;
    expect(await verify(added)).toMatchObject({ result: 'invalid', reason: 'disclosure-not-in-credential', detail: expect.stringContaining('「生年月日」') });
    const other = await register('hokenshi');
    const otherCred = (await issueCredential(cdeps, { tenant: 'mhlw-isei', qualification: 'hokenshi', number: other.number })).credential;
    const nameOfOther = otherCred.split('~').find((d, k) => k > 0 && d && decodeDisclosure(d)[1] === '氏名')!;
    expect(await verify(`${pres}${nameOfOther}~`)).toMatchObject({ result: 'invalid', reason: 'disclosure-not-in-credential', detail: expect.stringContaining('「氏名」') });
    const dup = pres.split('~').filter(Boolean);
    expect(await verify(`${[...dup, dup[1]!].join('~')}~`)).toMatchObject({ result: 'invalid', reason: 'disclosure-duplicated' });
  });

  it('a wrong issuer key: signed by another key (own key id, or the issuer\'s key id) → issuer-key-unknown / signature-invalid', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const payload = JSON.parse(Buffer.from(pres.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const header = JSON.parse(Buffer.from(pres.split('.')[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const key = await importJWK(privateKey.export({ format: 'jwk' }) as JWK, 'ES256');
    const rest = pres.split('~').slice(1).join('~');
    const forgedOwn = await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'dc+sd-jwt', kid: 'attacker' }).sign(key);
    expect(await verify(`${forgedOwn}~${rest}`)).toMatchObject({ result: 'invalid', reason: 'issuer-key-unknown' });
    const forgedKid = await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'dc+sd-jwt', kid: header['kid'] as string }).sign(key);
    expect(await verify(`${forgedKid}~${rest}`)).toMatchObject({ result: 'invalid', reason: 'signature-invalid' });
    // Another 資格管理者's genuine JWKS does not verify this one.
    expect(await verify(pres, 'mhlw-kenko')).toMatchObject({ result: 'invalid', reason: 'issuer-key-unknown' });
  });

  it('an expired credential → expired; a revoked one → revoked (above); garbage → malformed; a forged status list → status-list-invalid', async () => {
    const later = new Date(app.config.clock.now().getTime() + 366 * 86_400_000);
    expect(await verify(pres, 'mhlw-isei', later)).toMatchObject({ result: 'invalid', reason: 'expired' });
    expect(await verify('not a credential')).toMatchObject({ result: 'invalid', reason: 'malformed' });
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forgedList = await new SignJWT({ sub: 'x', status_list: { bits: 2, lst: 'eNrt' } }).setProtectedHeader({ alg: 'ES256', typ: 'statuslist+jwt', kid: 'attacker' }).sign(await importJWK(privateKey.export({ format: 'jwk' }) as JWK, 'ES256'));
    expect(await verifyPresentation(pres, { jwks: await jwksOf('mhlw-isei'), fetchStatusList: async () => forgedList, now: app.config.clock.now() })).toMatchObject({ result: 'invalid', reason: 'status-list-invalid' });
    expect(await verifyPresentation(pres, { jwks: await jwksOf('mhlw-isei'), fetchStatusList: async () => { throw new Error('offline'); }, now: app.config.clock.now() })).toMatchObject({ result: 'invalid', reason: 'status-unavailable' });
  });
});
