// `mamori card issue|revoke` (docs/formats/platform-cli.md, "mamori card") as a subprocess, the way operators
// call it: the command reads the resident, generates the keys, hosts the organisations and asks the
// synthetic 公的個人認証サービス over HTTP; the card file it writes opens with the PIN and logs in.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { importResidents } from '../../src/municipality/residents/index.js';
import { openCardFile, readHolder, signChallenge, verifyCardSignature } from '../../src/kernel/jpki/index.js';
import { addTenant, operatorOf, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { runCli } from '../harness/cli.js';
import { mn, person, writeCsv } from '../harness/residents.js';
import { TEST_NOW } from '../harness/clock.js';
import { findMyNumbers } from '../harness/leaks.js';

const I = 3;
let app: TestApp;
let env: NodeJS.ProcessEnv;
let dir: string;
let atena: string;

beforeAll(async () => {
  app = await testApp('server');
  dir = mkdtempSync(join(tmpdir(), 'mamori-card-cli-'));
  await addTenant(app, TOTTORI, '鳥取市');
  await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'r.csv'), 'full', [person(I, { 生年月日: '19900401', 性別: '2' })]), kind: 'full' });
  atena = (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons WHERE tenant_code = ${TOTTORI} AND juminhyo_code = ${person(I)['住民票コード']!}`.execute(app.db.system)).rows[0]!.atena_no;
  env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness };
});

afterAll(async () => {
  await app?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const json = <T>(s: string): T => JSON.parse(s) as T;

describe('mamori card', () => {
  let out: { file: string; authSerial: string; signSerial: string; notAfter: string; linked: boolean };

  it('issue: writes the card file and prints its serials and validity, never the My Number', async () => {
    const file = join(dir, 'card.json');
    const r = await runCli(['card', 'issue', '--tenant', TOTTORI, '--atena', atena, '--pin', '1234', '--out', file, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    out = json(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['authSerial', 'file', 'linked', 'notAfter', 'signSerial']);
    expect(out.file).toBe(file);
    expect(out.authSerial).toMatch(/^[0-9a-f]{32}$/);
    expect(out.signSerial).toMatch(/^[0-9a-f]{32}$/);
    expect(typeof out.linked).toBe('boolean');
    expect(new Date(out.notAfter).getUTCFullYear()).toBe(new Date(TEST_NOW).getUTCFullYear() + 5);
    for (const text of [r.stdout, r.stderr, readFileSync(file, 'utf8')]) {
      expect(text).not.toContain(mn(I));
      expect(findMyNumbers(text)).toEqual([]);
    }
    // The file opens with the PIN, logs in (an hour later: the child's clock runs on from TEST_NOW), and its 署名用 certificate carries the resident's 4情報.
    const text = readFileSync(file, 'utf8');
    const card = await openCardFile(text, '1234');
    expect(card.authSerial).toBe(out.authSerial);
    expect(readHolder(card.signCert)).toMatchObject({ name: person(I)['氏名'], dateOfBirth: '1990-04-01', sex: '2' });
    const s = await signChallenge(text, '1234', 'bG9naW4tY2hhbGxlbmdl');
    const v = await verifyCardSignature({ certPem: s.certPem, caCertPem: card.caCert, challenge: 'bG9naW4tY2hhbGxlbmdl', signature: s.signature, now: new Date(new Date(TEST_NOW).getTime() + 3600_000) });
    expect(v.serial).toBe(out.authSerial);
    // The human form names the file and the serials.
    const human = await runCli(['card', 'issue', '--tenant', TOTTORI, '--atena', atena, '--pin', '5678', '--out', join(dir, 'card2.json')], { env });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(join(dir, 'card2.json'));
    expect(human.stdout).toMatch(/利用者証明用電子証明書 シリアル番号 [0-9a-f]{32}/);
    expect(human.stdout).not.toContain(mn(I));
  });

  it('issue: refuses a PIN that is not 4 digits, an unknown resident, and an existing file (nothing written)', async () => {
    const file = join(dir, 'bad.json');
    for (const pin of ['12345', '12a4', '']) {
      const r = await runCli(['card', 'issue', '--tenant', TOTTORI, '--atena', atena, '--pin', pin, '--out', file], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('暗証番号は4桁の数字です');
    }
    const nobody = await runCli(['card', 'issue', '--tenant', TOTTORI, '--atena', '9999999999', '--pin', '1234', '--out', file], { env });
    expect(nobody.code).not.toBe(0);
    expect(nobody.stderr).toContain('見つかりません');
    expect(existsSync(file)).toBe(false);
    const exists = await runCli(['card', 'issue', '--tenant', TOTTORI, '--atena', atena, '--pin', '1234', '--out', out.file], { env });
    expect(exists.code).toBe(2);
    expect(exists.stderr).toContain('すでにあります');
  });

  it('revoke: the certificate is revoked at the CA', async () => {
    const r = await runCli(['card', 'revoke', '--serial', out.authSerial, '--reason', '紛失', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ serial: out.authSerial, revoked: true });
    const row = (await sql<{ status: string; reason: string }>`SELECT status, reason FROM peers_card.certificates WHERE serial = ${out.authSerial}`.execute(app.db.system)).rows[0];
    expect(row).toEqual({ status: 'revoked', reason: '紛失' });
    const bad = await runCli(['card', 'revoke', '--serial', 'xyz', '--reason', '紛失'], { env });
    expect(bad.code).toBe(2);
    // The CA refuses a serial it never issued: exit 3, the problem on stdout with --json.
    const unknown = await runCli(['card', 'revoke', '--serial', 'ab'.repeat(16), '--reason', '紛失', '--json'], { env });
    expect(unknown.code, unknown.stderr).toBe(3);
    expect(json(unknown.stdout)).toMatchObject({ status: 404, code: 'CARD_UNKNOWN' });
  });
});
