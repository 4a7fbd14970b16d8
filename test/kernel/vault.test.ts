// The My Number vault (issue 2 "My Number"): envelope encryption with per-tenant data keys (KRN-02),
// a store apart from business tables with exact lookup by blind index (KRN-09), reveal only with the My
// Number view flag and a purpose (KRN-29, KRN-07), every store/lookup/reveal in the operation log
// (KRN-31), tenant separation (KRN-01, KRN-04), suppression on deletion (KRN-12), and key rotation
// without data loss (`mamori keys rotate`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { runAs, type Principal } from '../../src/kernel/context/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { Vault, rewrapAllKeys, rotateDataKey } from '../../src/kernel/vault/index.js';
import { LocalKeyring, TenantKeyService } from '../../src/kernel/crypto/index.js';
import { openApp } from '../../src/app/index.js';
import { addTenant, freshConfig, staff, testApp, TOTTORI, SENDAI, type Mode, type TestApp } from '../harness/app.js';
import { auditRows, countRows } from '../harness/sql.js';
import { expectProblem } from '../harness/expect.js';
import { runCli } from '../harness/cli.js';
import { findMyNumbers } from '../harness/leaks.js';

const SEED = 'vault-test';
const num = (i: number): string => syntheticMyNumber(SEED, i);
const person = (id: string) => ({ subjectType: 'person', subjectId: id });

describe.each<Mode>(['server', 'embedded'])('vault (%s)', (mode) => {
  let app: TestApp;
  let viewer: Principal; // TOTTORI clerk with the My Number view flag
  let clerk: Principal; // TOTTORI clerk without it
  let sendaiViewer: Principal;

  beforeAll(async () => {
    app = await testApp(mode);
    await addTenant(app, TOTTORI, '鳥取市');
    await addTenant(app, SENDAI, '仙台市');
    viewer = (await staff(app, TOTTORI, { login: 'tt-viewer', mynumberView: true })).principal;
    clerk = (await staff(app, TOTTORI, { login: 'tt-clerk' })).principal;
    sendaiViewer = (await staff(app, SENDAI, { login: 'sd-viewer', mynumberView: true })).principal;
  });
  afterAll(async () => app.cleanup());

  it('store → lookup by blind index → reveal round trip, each logged with actor and purpose (KRN-09, KRN-29, KRN-31)', async () => {
    const n = num(1);
    await runAs(app.db, viewer, (w) => app.vault.store(w, person('p-1'), n, { purpose: '予診票の登録' }));
    const found = await runAs(app.db, viewer, (w) => app.vault.lookup(w, 'person', n, '本人確認'));
    expect(found).toEqual(['p-1']);
    expect(await runAs(app.db, viewer, (w) => app.vault.has(w, person('p-1')))).toBe(true);
    const shown = await runAs(app.db, viewer, (w) => app.vault.reveal(w, person('p-1'), '個人番号照会画面での確認'));
    expect(shown).toBe(n);
    // Lookup is exact and scoped to the subject type.
    expect(await runAs(app.db, viewer, (w) => app.vault.lookup(w, 'person', num(2), '本人確認'))).toEqual([]);
    expect(await runAs(app.db, viewer, (w) => app.vault.lookup(w, 'addressee', n, '本人確認'))).toEqual([]);

    const log = await auditRows(app, TOTTORI, { actor_login: 'tt-viewer' });
    const store = log.find((r) => r.action === 'mynumber_store' && r.subject_ref === 'person:p-1');
    expect(store).toMatchObject({ outcome: 'success', purpose: '予診票の登録', target_type: 'mynumber', actor_kind: 'staff', terminal_id: 'test-terminal', client_address: '127.0.0.1' });
    const lookups = log.filter((r) => r.action === 'mynumber_lookup');
    expect(lookups.length).toBeGreaterThanOrEqual(3);
    expect(lookups.every((r) => r.purpose === '本人確認' && r.outcome === 'success')).toBe(true);
    expect(lookups[0]!.detail).toMatchObject({ subjectType: 'person', matches: 1 });
    const reveal = log.find((r) => r.action === 'mynumber_reveal');
    expect(reveal).toMatchObject({ outcome: 'success', purpose: '個人番号照会画面での確認', subject_ref: 'person:p-1', target_id: 'person:p-1' });
    expect(reveal!.request_id).toBeTruthy();
    // No log row carries the number itself.
    for (const r of log) expect(JSON.stringify(r)).not.toContain(n);
  });

  it('reveal without the My Number view flag is denied, and the denial is logged (KRN-29, KRN-31)', async () => {
    await runAs(app.db, viewer, (w) => app.vault.store(w, person('p-2'), num(3)));
    await expectProblem(
      runAs(app.db, clerk, (w) => app.vault.reveal(w, person('p-2'), '窓口での確認')),
      { status: 403, code: 'FORBIDDEN' },
    );
    const denied = await auditRows(app, TOTTORI, { actor_login: 'tt-clerk', action: 'mynumber_reveal' });
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ outcome: 'denied', subject_ref: 'person:p-2', purpose: '窓口での確認', actor_kind: 'staff', terminal_id: 'test-terminal' });
    expect(denied[0]!.actor_id).toBe(clerk.actor.id);
  });

  it('reveal and lookup require a purpose, naming the field "purpose"', async () => {
    await runAs(app.db, viewer, (w) => app.vault.store(w, person('p-3'), num(4)));
    const before = await countRows(app.db.system, 'kernel.audit_log', TOTTORI);
    for (const purpose of ['', ' ', '　', 'x', 'y'.repeat(201)]) {
      await expectProblem(runAs(app.db, viewer, (w) => app.vault.reveal(w, person('p-3'), purpose)), { status: 400, field: 'purpose', code: 'PURPOSE_REQUIRED' });
      await expectProblem(runAs(app.db, viewer, (w) => app.vault.lookup(w, 'person', num(4), purpose)), { status: 400, field: 'purpose' });
    }
    expect(await countRows(app.db.system, 'kernel.audit_log', TOTTORI)).toBe(before); // nothing revealed, nothing logged as success
  });

  it('an invalid number is refused naming the field, without repeating it, and nothing is written', async () => {
    const n = num(5);
    const bad = n.slice(0, 11) + String((Number(n[11]) + 1) % 10);
    const vaultBefore = await countRows(app.db.system, 'kernel.mynumber_vault');
    const auditBefore = await countRows(app.db.system, 'kernel.audit_log');
    for (const input of [bad, n.slice(0, 11), `${n.slice(0, 4)}-${n.slice(4, 8)}-${n.slice(8)}`, '']) {
      const e = await expectProblem(runAs(app.db, viewer, (w) => app.vault.store(w, person('p-bad'), input)), { status: 400, field: 'myNumber' });
      expect(JSON.stringify(e.toJSON())).not.toMatch(/[0-9]{8,}/);
    }
    await expectProblem(runAs(app.db, viewer, (w) => app.vault.lookup(w, 'person', bad, '検索')), { status: 400, field: 'myNumber' });
    expect(await countRows(app.db.system, 'kernel.mynumber_vault')).toBe(vaultBefore);
    expect(await countRows(app.db.system, 'kernel.audit_log')).toBe(auditBefore);
  });

  it('the database holds only ciphertext and an HMAC: the number appears nowhere in the row (KRN-02)', async () => {
    const n = num(6);
    await runAs(app.db, viewer, (w) => app.vault.store(w, person('p-6'), n));
    const row = await app.db.system.selectFrom('kernel.mynumber_vault').selectAll().where('tenant_code', '=', TOTTORI).where('subject_id', '=', 'p-6').executeTakeFirstOrThrow();
    expect(row.ciphertext).toBeInstanceOf(Buffer);
    expect(row.ciphertext!.includes(Buffer.from(n, 'ascii'))).toBe(false);
    expect(row.ciphertext!.includes(Buffer.from(n.slice(3), 'ascii'))).toBe(false);
    expect(row.blind_index!.length).toBe(32);
    const asJson = await sql<{ j: string }>`SELECT row_to_json(v)::text AS j FROM kernel.mynumber_vault v`.execute(app.db.system);
    for (const r of asJson.rows) expect(r.j).not.toContain(n);
    // Two stores of the same number give different ciphertexts (random IV) but the same blind index.
    await runAs(app.db, viewer, (w) => app.vault.store(w, person('p-6b'), n));
    const twin = await app.db.system.selectFrom('kernel.mynumber_vault').selectAll().where('tenant_code', '=', TOTTORI).where('subject_id', '=', 'p-6b').executeTakeFirstOrThrow();
    expect(twin.ciphertext!.equals(row.ciphertext!)).toBe(false);
    expect(twin.blind_index!.equals(row.blind_index!)).toBe(true);
    expect((await runAs(app.db, viewer, (w) => app.vault.lookup(w, 'person', n, '重複確認'))).sort()).toEqual(['p-6', 'p-6b']);
  });

  it('a ciphertext copied to another row does not open (AAD binds tenant, subject and key version)', async () => {
    const nx = num(7);
    const ny = num(8);
    await runAs(app.db, viewer, (w) => app.vault.store(w, person('p-x'), nx));
    await runAs(app.db, viewer, (w) => app.vault.store(w, person('p-y'), ny));
    await runAs(app.db, sendaiViewer, (w) => app.vault.store(w, person('p-x'), num(9)));
    const x = await app.db.system.selectFrom('kernel.mynumber_vault').select(['ciphertext', 'blind_index']).where('tenant_code', '=', TOTTORI).where('subject_id', '=', 'p-x').executeTakeFirstOrThrow();
    const y = await app.db.system.selectFrom('kernel.mynumber_vault').select(['ciphertext']).where('tenant_code', '=', TOTTORI).where('subject_id', '=', 'p-y').executeTakeFirstOrThrow();
    const z = await app.db.system.selectFrom('kernel.mynumber_vault').select(['ciphertext']).where('tenant_code', '=', SENDAI).where('subject_id', '=', 'p-x').executeTakeFirstOrThrow();
    // A rogue copy inside the tenant, and into the same subject id of another tenant.
    await app.db.system.updateTable('kernel.mynumber_vault').set({ ciphertext: x.ciphertext }).where('tenant_code', '=', TOTTORI).where('subject_id', '=', 'p-y').execute();
    await app.db.system.updateTable('kernel.mynumber_vault').set({ ciphertext: x.ciphertext }).where('tenant_code', '=', SENDAI).where('subject_id', '=', 'p-x').execute();
    await expect(runAs(app.db, viewer, (w) => app.vault.reveal(w, person('p-y'), '確認'))).rejects.toMatchObject({ status: 500, code: 'MYNUMBER_DECRYPT_FAILED' });
    await expect(runAs(app.db, sendaiViewer, (w) => app.vault.reveal(w, person('p-x'), '確認'))).rejects.toMatchObject({ status: 500, code: 'MYNUMBER_DECRYPT_FAILED' });
    // The failed reveal is in the operation log (written after the rollback).
    const failed = (await auditRows(app, TOTTORI, { actor_login: 'tt-viewer' })).filter((r) => r.action === 'mynumber_reveal' && r.outcome === 'failure');
    expect(failed.map((r) => r.subject_ref)).toContain('person:p-y');
    // The original still opens.
    expect(await runAs(app.db, viewer, (w) => app.vault.reveal(w, person('p-x'), '確認'))).toBe(nx);
    // Put the rows back, so that the key rotation below works on intact data.
    await app.db.system.updateTable('kernel.mynumber_vault').set({ ciphertext: y.ciphertext }).where('tenant_code', '=', TOTTORI).where('subject_id', '=', 'p-y').execute();
    await app.db.system.updateTable('kernel.mynumber_vault').set({ ciphertext: z.ciphertext }).where('tenant_code', '=', SENDAI).where('subject_id', '=', 'p-x').execute();
    expect(await runAs(app.db, viewer, (w) => app.vault.reveal(w, person('p-y'), '確認'))).toBe(ny);
  });

  it('another tenant cannot read, find or reveal the vault row (KRN-01, KRN-04)', async () => {
    const n = num(10);
    await runAs(app.db, viewer, (w) => app.vault.store(w, person('p-10'), n));
    await expectProblem(runAs(app.db, sendaiViewer, (w) => app.vault.reveal(w, person('p-10'), '確認')), { status: 404, code: 'NOT_FOUND' });
    expect(await runAs(app.db, sendaiViewer, (w) => app.vault.lookup(w, 'person', n, '確認'))).toEqual([]);
    expect(await runAs(app.db, sendaiViewer, (w) => app.vault.has(w, person('p-10')))).toBe(false);
    // Even without any tenant filter, RLS shows the other tenant nothing.
    const seen = await runAs(app.db, sendaiViewer, (w) => sql<{ tenant_code: string }>`SELECT tenant_code FROM kernel.mynumber_vault`.execute(w.tx));
    expect(seen.rows.every((r) => r.tenant_code === SENDAI)).toBe(true);
    const keys = await runAs(app.db, sendaiViewer, (w) => sql<{ tenant_code: string }>`SELECT tenant_code FROM kernel.tenant_keys`.execute(w.tx));
    expect(keys.rows.every((r) => r.tenant_code === SENDAI)).toBe(true);
  });

  it('suppress erases the ciphertext and index; the number then shows as absent and a reveal says it was erased, when and why (KRN-12)', async () => {
    const n = num(11);
    await runAs(app.db, viewer, (w) => app.vault.store(w, person('p-11'), n));
    expect(await runAs(app.db, viewer, (w) => app.vault.suppress(w, person('p-11'), '死亡による削除'))).toBe(true);
    const row = await app.db.system.selectFrom('kernel.mynumber_vault').selectAll().where('tenant_code', '=', TOTTORI).where('subject_id', '=', 'p-11').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ ciphertext: null, blind_index: null, key_version: null, index_version: null, suppressed_reason: '死亡による削除' });
    expect(row.suppressed_at).toBeInstanceOf(Date);
    const erased = await expectProblem(runAs(app.db, viewer, (w) => app.vault.reveal(w, person('p-11'), '確認')), { status: 410, code: 'MYNUMBER_ERASED' });
    expect(erased.detail).toMatch(/に消去されたため表示できません（理由：死亡による削除）/);
    expect(await runAs(app.db, viewer, (w) => app.vault.lookup(w, 'person', n, '確認'))).toEqual([]);
    expect(await runAs(app.db, viewer, (w) => app.vault.has(w, person('p-11')))).toBe(false);
    expect(await runAs(app.db, viewer, (w) => app.vault.suppress(w, person('p-11'), '再実行'))).toBe(false);
    const log = await auditRows(app, TOTTORI, { action: 'mynumber_suppress', subject_ref: 'person:p-11' });
    expect(log).toHaveLength(1);
    expect(log[0]!.purpose).toBe('死亡による削除');
  });

  it('master key rotation re-wraps every data key and data key rotation re-encrypts every number, with no data loss', async () => {
    const N = 500;
    const subjects = Array.from({ length: N }, (_, i) => person(`bulk-${i}`));
    const numbers = subjects.map((_, i) => num(1000 + i));
    await runAs(app.db, viewer, async (w) => {
      for (let i = 0; i < N; i++) await app.vault.store(w, subjects[i]!, numbers[i]!, { audit: false });
    });
    const oldKek = app.keyring.currentId();
    const before = await app.db.system.selectFrom('kernel.mynumber_vault').select(['subject_id', 'ciphertext']).where('tenant_code', '=', TOTTORI).where('subject_id', 'like', 'bulk-%').execute();

    // 1. Master key: a new key, every tenant data key re-wrapped under it.
    const newKek = app.keyring.rotate();
    expect(newKek).not.toBe(oldKek);
    const rw = await rewrapAllKeys(app.db.system, app.keyring);
    expect(rw).toMatchObject({ kekId: newKek, rewrapped: 6, verified: 6 }); // 2 tenants × 3 purposes
    const kekIds = await app.db.system.selectFrom('kernel.tenant_keys').select('kek_id').distinct().execute();
    expect(kekIds.map((r) => r.kek_id)).toEqual([newKek]);
    expect(await rewrapAllKeys(app.db.system, app.keyring)).toMatchObject({ rewrapped: 0, verified: 6 }); // idempotent

    // Reopen from disk as a new process would, and also with the old master key file removed: the data
    // keys now depend on the new master key alone.
    const reopened = new Vault(new TenantKeyService(LocalKeyring.open(app.config.keyDir)));
    const strippedDir = join(app.tmp, 'keys-without-old-master');
    cpSync(app.config.keyDir, strippedDir, { recursive: true });
    rmSync(join(strippedDir, 'master', `${oldKek}.key`));
    expect(readdirSync(join(strippedDir, 'master')).filter((f) => f.endsWith('.key'))).toEqual([`${newKek}.key`]);
    const stripped = new Vault(new TenantKeyService(LocalKeyring.open(strippedDir)));
    for (const v of [reopened, stripped]) {
      const got = await runAs(app.db, viewer, async (w) => {
        const out: string[] = [];
        for (const s of subjects) out.push(await v.reveal(w, s, '鍵更新後の確認'));
        return out;
      });
      expect(got).toEqual(numbers);
    }

    // 2. Data key: version 2 for TOTTORI, every number re-encrypted, version 1 retired.
    const keyring = LocalKeyring.open(app.config.keyDir);
    const rot = await rotateDataKey(app.db.system, keyring, TOTTORI, 128);
    const live = Number(
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.mynumber_vault WHERE tenant_code = ${TOTTORI} AND ciphertext IS NOT NULL`.execute(app.db.system)).rows[0]!.n,
    );
    expect(live).toBeGreaterThan(N);
    expect(rot).toEqual({ tenant: TOTTORI, newVersion: 2, reencrypted: live });
    const versions = await app.db.system.selectFrom('kernel.tenant_keys').select(['version', 'retired_at']).where('tenant_code', '=', TOTTORI).where('purpose', '=', 'mynumber').orderBy('version').execute();
    expect(versions.map((v) => [v.version, v.retired_at !== null])).toEqual([[1, true], [2, false]]);
    const used = await app.db.system.selectFrom('kernel.mynumber_vault').select('key_version').distinct().where('tenant_code', '=', TOTTORI).where('ciphertext', 'is not', null).execute();
    expect(used.map((r) => r.key_version)).toEqual([2]);
    const after = await app.db.system.selectFrom('kernel.mynumber_vault').select(['subject_id', 'ciphertext']).where('tenant_code', '=', TOTTORI).where('subject_id', 'like', 'bulk-%').execute();
    const beforeBy = new Map(before.map((r) => [r.subject_id, r.ciphertext!]));
    expect(after.every((r) => !r.ciphertext!.equals(beforeBy.get(r.subject_id)!))).toBe(true);
    // SENDAI is untouched.
    const sendaiKeys = await app.db.system.selectFrom('kernel.tenant_keys').select(['version', 'retired_at']).where('tenant_code', '=', SENDAI).where('purpose', '=', 'mynumber').execute();
    expect(sendaiKeys).toEqual([{ version: 1, retired_at: null }]);

    app.tenantKeys.forget();
    const fresh = new Vault(new TenantKeyService(keyring));
    const check = await runAs(app.db, viewer, async (w) => {
      const revealed: string[] = [];
      for (const s of subjects) revealed.push(await fresh.reveal(w, s, 'データ鍵更新後の確認'));
      const hits = [await fresh.lookup(w, 'person', numbers[0]!, '検索'), await fresh.lookup(w, 'person', numbers[N - 1]!, '検索')];
      await fresh.store(w, person('after-rotation'), num(5000));
      return { revealed, hits };
    });
    expect(check.revealed).toEqual(numbers);
    expect(check.hits).toEqual([['bulk-0'], [`bulk-${N - 1}`]]);
    const newRow = await app.db.system.selectFrom('kernel.mynumber_vault').select('key_version').where('tenant_code', '=', TOTTORI).where('subject_id', '=', 'after-rotation').executeTakeFirstOrThrow();
    expect(newRow.key_version).toBe(2);
    // A second rotation goes on to version 3 and still loses nothing.
    const rot3 = await rotateDataKey(app.db.system, keyring, TOTTORI);
    expect(rot3.newVersion).toBe(3);
    const again = await runAs(app.db, viewer, (w) => new Vault(new TenantKeyService(keyring)).reveal(w, subjects[17]!, '確認'));
    expect(again).toBe(numbers[17]);
  });
});

describe('CLI: mamori keys rotate on an embedded data dir', () => {
  let cfg: Awaited<ReturnType<typeof freshConfig>>;
  const numbers = Array.from({ length: 20 }, (_, i) => num(9000 + i));

  beforeAll(async () => {
    cfg = await freshConfig('embedded');
    const app = await openApp(cfg.config);
    try {
      await addTenant(app, TOTTORI, '鳥取市');
      const v = await staff(app, TOTTORI, { login: 'cli-viewer', mynumberView: true });
      await runAs(app.db, v.principal, async (w) => {
        for (let i = 0; i < numbers.length; i++) await app.vault.store(w, person(`c-${i}`), numbers[i]!);
      });
    } finally {
      await app.close();
    }
  });
  afterAll(async () => cfg.drop());

  it('rotates the master key and the data keys, and every number still reveals', async () => {
    const keyDir = cfg.config.keyDir;
    const currentBefore = readFileSync(join(keyDir, 'master', 'CURRENT'), 'utf8').trim();
    const r = await runCli(['keys', 'rotate', '--data-keys', '--json', '--data', cfg.config.dataDir]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { previousMasterKey: string; masterKey: string; rewrapped: number; verified: number; dataKeys: { tenant: string; newVersion: number; reencrypted: number }[] };
    expect(out.previousMasterKey).toBe(currentBefore);
    expect(out.masterKey).not.toBe(currentBefore);
    expect(out.rewrapped).toBe(3);
    expect(out.dataKeys).toEqual([{ tenant: TOTTORI, newVersion: 2, reencrypted: numbers.length }]);
    expect(readFileSync(join(keyDir, 'master', 'CURRENT'), 'utf8').trim()).toBe(out.masterKey);
    expect(findMyNumbers(r.stdout + r.stderr)).toEqual([]);

    const app = await openApp(cfg.config);
    try {
      const kek = await app.db.system.selectFrom('kernel.tenant_keys').select('kek_id').distinct().execute();
      expect(kek.map((k) => k.kek_id)).toEqual([out.masterKey]);
      const v = await staff(app, TOTTORI, { login: 'cli-viewer-2', mynumberView: true });
      const got = await runAs(app.db, v.principal, async (w) => {
        const list: string[] = [];
        for (let i = 0; i < numbers.length; i++) list.push(await app.vault.reveal(w, person(`c-${i}`), '鍵更新後の確認'));
        return list;
      });
      expect(got).toEqual(numbers);
      const logged = await auditRows(app, TOTTORI, { action: 'key_rotate' });
      expect(logged).toHaveLength(1);
      expect(logged[0]!.actor_login).toMatch(/^system:cli:/);
      expect(logged[0]!.program).toBe('cli:keys rotate');
    } finally {
      await app.close();
    }
  });
});
