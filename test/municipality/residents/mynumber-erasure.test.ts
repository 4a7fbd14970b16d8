// KRN-12 and KRN-37 for residents and records (decision 0116): seed 002 keeps the My Number of the health
// system 「20年以上」 and blanks it when erasing, so a 転出確定 / 死亡 / 職権消除 schedules the blanking through the
// retention class `resident-mynumber` (20 years from the 住民でなくなった日, with approval); a reveal afterwards
// says the number was erased, when and why; a re-import neither fails nor stores the number again.  Vaccination
// records of former residents go after 20 years (never below the legal 5), past versions of former residents
// after 150 years; nothing is erased before its period.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { getPerson, importResidents, revealMyNumber } from '../../../src/municipality/residents/index.js';
import { createRecord } from '../../../src/municipality/records/index.js';
import { addTenant, GOOD_PASSWORD, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { auditRows } from '../../harness/sql.js';
import { person, movement, writeCsv } from '../../harness/residents.js';
import { PageClient, startWeb } from '../../harness/web.js';

describe('erasure of former residents\' My Numbers and records (KRN-12, KRN-37)', () => {
  let app: TestApp;
  let op: Principal;
  let clerk: Principal; // 宛名管理, may see My Numbers
  let chief: Principal; // approves deletions in 宛名管理 and 予防接種
  let nurse: Principal;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-erasure-'));
  const f = (n: string) => join(dir, n);
  const atena = new Map<number, string>();
  const sys = () => ({ system: app.db.system, auditKeys: app.auditKeys });

  const vaultRow = (i: number) =>
    app.db.system.selectFrom('kernel.mynumber_vault').select(['ciphertext', 'blind_index', 'suppressed_at', 'suppressed_reason']).where('tenant_code', '=', TOTTORI).where('subject_type', '=', 'person').where('subject_id', '=', atena.get(i)!).executeTakeFirstOrThrow();
  const records = (i: number) => app.db.system.selectFrom('municipality.vaccination_records').select('id').where('tenant_code', '=', TOTTORI).where('atena_no', '=', atena.get(i)!).execute();
  const versions = (i: number) => app.db.system.selectFrom('municipality.person_versions').select('version').where('tenant_code', '=', TOTTORI).where('atena_no', '=', atena.get(i)!).execute();

  /** The retention run at `at`, every request it files approved by the chief, then run again. */
  async function retentionAt(at: string): Promise<Record<string, number>> {
    const now = new Date(at);
    const filed = await app.retention.runTenant(app.db, sys(), TOTTORI, now);
    for (const r of filed) if (r.requestId) await runAs(app.db, chief, (w) => app.retention.decide(w, r.requestId!, true, '保存期間の経過を確認した'));
    const done = await app.retention.runTenant(app.db, sys(), TOTTORI, now);
    const mine = ['resident-mynumber', 'vaccination-records', 'resident-history'];
    return Object.fromEntries(done.filter((d) => d.action === 'deleted' && mine.includes(d.dataClass)).map((d) => [d.dataClass, d.count]));
  }

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    op = operatorOf(TOTTORI);
    clerk = (await staff(app, TOTTORI, { login: 'er-clerk', duties: ['addressee'], mynumberView: true })).principal;
    chief = (await staff(app, TOTTORI, { login: 'er-chief', role: 'supervisor', duties: ['addressee', 'vaccination'] })).principal;
    nurse = (await staff(app, TOTTORI, { login: 'er-nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    await staff(app, TOTTORI, { login: 'er-admin', role: 'admin' });
    await importResidents(app, op, { file: writeCsv(f('full.csv'), 'full', [person(41), person(42), person(43)]), baseDate: '2026-04-01' });
    for (const i of [41, 42, 43]) {
      const p = await app.db.system.selectFrom('municipality.persons').select('atena_no').where('juminhyo_code', '=', person(i)['住民票コード']!).executeTakeFirstOrThrow();
      atena.set(i, p.atena_no);
      await runAs(app.db, nurse, (w) => createRecord(w, p.atena_no, { product: 'bcg', vaccinatedOn: '2026-03-10' }, { source: 'staff', acceptProblems: true }));
    }
    const moves = [
      movement('E-001', '11', '20260710', { ...person(41), 転出先住所: '大阪府大阪市北区梅田一丁目', 住民でなくなった日: '20260710', 消除事由: '転出' }),
      movement('E-002', '12', '20260801', { ...person(42), 住民でなくなった日: '20260801', 消除事由: '死亡' }),
    ];
    const r = await importResidents(app, op, { file: writeCsv(f('moves.csv'), 'diff', moves) });
    expect(r).toMatchObject({ rejected: 0, updated: 2 });
  });
  afterAll(async () => app.cleanup());

  it('the classes are registered with their defaults and shown on the retention screen; records cannot go below the legal 5 years', async () => {
    const pols = await runAs(app.db, op, (w) => app.retention.policies(w));
    const byName = new Map(pols.map((p) => [p.dataClass.name, p.policy]));
    expect(byName.get('resident-mynumber')).toEqual({ mode: 'years', period: 20, deletion: 'logical', requiresApproval: true });
    expect(byName.get('vaccination-records')).toEqual({ mode: 'years', period: 20, deletion: 'physical', requiresApproval: true });
    expect(byName.get('resident-history')).toEqual({ mode: 'years', period: 150, deletion: 'physical', requiresApproval: true });
    const admin = (await staff(app, TOTTORI, { login: 'er-admin2', role: 'admin' })).principal;
    await expect(runAs(app.db, admin, (w) => app.retention.setPolicy(w, 'vaccination-records', { mode: 'years', period: 4, deletion: 'physical', requiresApproval: true }))).rejects.toMatchObject({ status: 400 });

    const web = await startWeb(app);
    try {
      const c = new PageClient(web.url);
      await c.login(TOTTORI, 'er-admin', GOOD_PASSWORD);
      const page = await c.get('/admin/retention');
      expect(page.status).toBe(200);
      for (const label of ['住民でなくなった人の個人番号（転出・死亡・職権消除）', '予防接種記録（住民でなくなった人）', '住民でなくなった人の異動履歴（過去の版）']) expect(page.text).toContain(label);
    } finally {
      await web.close();
    }
  });

  it('nothing is erased before the period: today, and 20 years after the move-out less a few days', async () => {
    expect(await retentionAt(app.config.clock.now().toISOString())).toEqual({});
    expect(await retentionAt('2046-07-05T00:00:00Z')).toEqual({});
    for (const i of [41, 42, 43]) {
      expect((await vaultRow(i)).ciphertext).not.toBeNull();
      expect(await records(i)).toHaveLength(1);
    }
    const plain = await runAs(app.db, clerk, (w) => revealMyNumber(w, app.vault, atena.get(41)!, '転出者の照会'));
    expect(plain).toBe(person(41)['個人番号']);
  });

  it('20 years after the 転出確定 the number is blanked (after approval), logged under the resident; a reveal says when and why', async () => {
    expect(await retentionAt('2046-07-20T00:00:00Z')).toEqual({ 'resident-mynumber': 1, 'vaccination-records': 1 });
    const row = await vaultRow(41);
    expect(row).toMatchObject({ ciphertext: null, blind_index: null });
    expect(row.suppressed_reason).toContain('転出（2026-07-10）');
    expect((await vaultRow(42)).ciphertext).not.toBeNull(); // died on 08-01: not yet
    expect(await records(41)).toHaveLength(0);
    expect(await records(42)).toHaveLength(1);
    expect(await records(43)).toHaveLength(1); // a resident's records are never due

    const entries = await auditRows(app, TOTTORI, { action: 'mynumber_suppress' });
    expect(entries.map((e) => e.subject_ref)).toEqual([`resident:${atena.get(41)}`]);

    const refused = runAs(app.db, clerk, (w) => revealMyNumber(w, app.vault, atena.get(41)!, '転出者の照会'));
    await expect(refused).rejects.toMatchObject({ status: 410, code: 'MYNUMBER_ERASED' });
    await expect(refused).rejects.toThrow(/消去されたため表示できません（理由：転出（2026-07-10）から保存期間が経過したため消去）/);
    const failed = await auditRows(app, TOTTORI, { action: 'mynumber_reveal', outcome: 'failure' });
    expect(failed.at(-1)!.subject_ref).toBe(`resident:${atena.get(41)}`);

    // The person's detail (API and screen) says the number was erased, when and why.
    const p = await runAs(app.db, clerk, (w) => getPerson(w, app.vault, atena.get(41)!, '確認'));
    expect(p).toMatchObject({ hasMyNumber: false, myNumberErased: { reason: '転出（2026-07-10）から保存期間が経過したため消去' } });
    const web = await startWeb(app);
    try {
      const c = new PageClient(web.url);
      await c.login(TOTTORI, 'er-clerk', GOOD_PASSWORD);
      const page = await c.get(`/residents/${atena.get(41)}`);
      expect(page.text).toContain('消去済み（');
      expect(page.text).toContain('理由：転出（2026-07-10）から保存期間が経過したため消去');
    } finally {
      await web.close();
    }
  });

  it('the 死亡 follows when its own 20 years have passed', async () => {
    expect(await retentionAt('2046-08-05T00:00:00Z')).toEqual({ 'resident-mynumber': 1, 'vaccination-records': 1 });
    expect((await vaultRow(42)).ciphertext).toBeNull();
    expect((await vaultRow(42)).suppressed_reason).toContain('死亡（2026-08-01）');
    expect((await vaultRow(43)).ciphertext).not.toBeNull();
  });

  it('re-importing the old files neither fails nor stores the blanked numbers again', async () => {
    const full = await importResidents(app, op, { file: f('full.csv') });
    expect(full.rejected).toBe(0);
    const moves = await importResidents(app, op, { file: f('moves.csv') });
    expect(moves).toMatchObject({ rejected: 0, unchanged: 2 });
    for (const i of [41, 42]) expect((await vaultRow(i)).ciphertext).toBeNull();
    expect((await vaultRow(43)).ciphertext).not.toBeNull();
  });

  it('past versions of former residents go after 150 years; the current version stays', async () => {
    expect((await versions(41)).length).toBeGreaterThan(1);
    const resident = (await versions(43)).length;
    expect(await retentionAt('2176-08-05T00:00:00Z')).toMatchObject({ 'resident-history': expect.any(Number) });
    expect((await versions(41)).length).toBe(1);
    expect((await versions(42)).length).toBe(1);
    expect((await versions(43)).length).toBe(resident); // still a resident
  });
});
