// `mamori registry qualifications|form` as subprocesses (docs/formats/registry-cli.md; issue 15 Must have 9):
// the list prints exactly code, name and 資格管理者 tenant code for the ten qualifications; the printed form
// of every qualification validates against its schema once read back; an unknown code is bad input (exit 2).
// `staff apply|approve|list|token|delete`: a 資格管理者's first supervisor approved by the operator, the others by
// that supervisor, never by themselves; duties outside the jurisdiction refused with the field named.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import { catalog, changeEntry, exampleForm, parseApplication, recordDisposition, registerEntry, REGISTRY_ROLE, RegistrySecrets, syncAdministrators } from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { settleFeesByStamps } from '../harness/registry.js';
import { findMyNumbers } from '../harness/leaks.js';
import { runCli } from '../harness/cli.js';

describe('mamori registry', () => {
  it('qualifications --json lists each qualification with its 資格管理者', async () => {
    const r = await runCli(['registry', 'qualifications', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Record<string, string>[];
    expect(rows).toHaveLength(10);
    for (const row of rows) expect(Object.keys(row)).toEqual(['code', 'name', 'administrator']);
    expect(rows.find((x) => x.code === 'yakuzaishi')).toEqual({ code: 'yakuzaishi', name: '薬剤師', administrator: 'mhlw-iyaku' });
    expect(rows.find((x) => x.code === 'kaigofukushishi')).toEqual({ code: 'kaigofukushishi', name: '介護福祉士', administrator: 'mhlw-shaen' });
    const text = await runCli(['registry', 'qualifications']);
    expect(text.stdout).toContain('厚生労働省健康局');
    expect(text.stdout).toContain('管理栄養士名簿ファイル');
  });

  it('form prints a complete example that validates against the qualification\'s form', async () => {
    for (const q of catalog().qualifications) {
      const r = await runCli(['registry', 'form', '--qualification', q.code]);
      expect(r.code, q.code).toBe(0);
      expect(parseApplication(q.code, JSON.parse(r.stdout))).toMatchObject({ qualification: q.code });
    }
  });

  it('form refuses an unknown qualification code, naming the option', async () => {
    const r = await runCli(['registry', 'form', '--qualification', 'nosuch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('qualification: 資格コード「nosuch」はありません');
    expect(r.stdout).toBe('');
  });

  describe('staff', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mamori-registry-cli-'));
    const data = ['--data', join(dir, 'data')];
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const cli = (...args: string[]) => runCli(['registry', 'staff', ...args, ...data], { timeoutMs: 120_000 });

    it('applies, approves by another supervisor, lists, issues a token and deletes', async () => {
      const chief = ['--tenant', 'mhlw-kenko', '--user', 'chief1', '--name', '健康 一郎', '--affiliation', 'ministry', '--affiliation-name', '健康課', '--role', 'supervisor', '--qualifications', 'kanrieiyoshi', '--reason', '審査責任者'];
      expect((await cli('apply', ...chief)).code).toBe(0);
      expect((await cli('approve', '--tenant', 'mhlw-kenko', '--user', 'chief1')).code).toBe(0); // the operator approves the first supervisor
      const hc = ['--tenant', 'mhlw-kenko', '--user', 'hc1', '--name', '保健 花子', '--affiliation', 'health-centre', '--affiliation-name', '倉吉保健所', '--role', 'clerk', '--reason', '担当', '--by', 'chief1'];
      const outside = await cli('apply', ...hc, '--qualifications', 'kanrieiyoshi,ishi');
      expect(outside.code).toBe(2);
      expect(outside.stderr).toContain('qualifications: 厚生労働省健康局の所掌ではない資格です: ishi');
      expect((await cli('apply', ...hc, '--qualifications', 'kanrieiyoshi')).code).toBe(0);
      const self = await cli('approve', '--tenant', 'mhlw-kenko', '--user', 'hc1', '--by', 'hc1');
      expect(self.code).toBe(1);
      expect(self.stderr).toContain('自分の申請は承認できません');
      expect((await cli('approve', '--tenant', 'mhlw-kenko', '--user', 'hc1', '--by', 'operator')).code).toBe(1); // a supervisor exists now
      expect((await cli('approve', '--tenant', 'mhlw-kenko', '--user', 'hc1', '--by', 'chief1')).code).toBe(0);
      const listed = JSON.parse((await cli('list', '--tenant', 'mhlw-kenko', '--json')).stdout) as { userId: string; status: string; affiliation: string; approvedBy: string }[];
      expect(listed.map((x) => [x.userId, x.status, x.affiliation, x.approvedBy])).toEqual([['chief1', 'active', 'ministry', 'operator'], ['hc1', 'active', 'health-centre', 'chief1']]);
      expect(JSON.parse((await cli('list', '--tenant', 'mhlw-iyaku', '--json')).stdout)).toEqual([]);
      const token = JSON.parse((await cli('token', '--tenant', 'mhlw-kenko', '--user', 'hc1', '--json')).stdout) as { token: string };
      expect(token.token).toMatch(/^reg_[a-f0-9]{16}\./);
      expect((await cli('delete', '--tenant', 'mhlw-kenko', '--user', 'hc1')).code).toBe(0);
      expect((await cli('token', '--tenant', 'mhlw-kenko', '--user', 'hc1')).code).toBe(1);
    }, 600_000);
  });

  describe('show', () => {
    let app: TestApp;
    let env: NodeJS.ProcessEnv;
    const mn = syntheticMyNumber('registry-cli-show', 1);
    beforeAll(async () => {
      app = await testApp('server');
      env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness };
      const db = await app.db.forRole(REGISTRY_ROLE);
      await syncAdministrators(db, app.config.clock);
      const deps = { db, clock: app.config.clock, secrets: RegistrySecrets.open(app.config.keyDir) };
      await registerEntry(deps, { applicationId: 'cli-1', qualification: 'yakuzaishi', application: exampleForm('yakuzaishi'), myNumber: mn, approvedBy: 'shinsa1' });
      await changeEntry(deps, { qualification: 'yakuzaishi', number: 1, kind: 'correction', reasonCode: '01', note: '婚姻', name: { 姓: '新姓', 名: '太郎', フリガナ: { 姓: 'シンセイ', 名: 'タロウ' } }, keepOldNameAs: '旧姓', by: 'shinsa1' });
      await recordDisposition(deps, { qualification: 'yakuzaishi', number: 1, kind: 'suspension', decidedOn: app.config.clock.today(), code: 'S1', from: app.config.clock.today(), until: '2099-12-31', issueNo: '薬生発第1号', by: 'shinsa1' });
    }, 120_000);
    afterAll(async () => {
      await app?.cleanup();
    });
    const show = (...args: string[]) => runCli(['registry', 'show', ...args], { env, timeoutMs: 120_000 });

    it('prints an entry with its history as JSON and as text, never the My Number, and logs the read', async () => {
      const j = await show('--tenant', 'mhlw-iyaku', '--number', '1', '--json');
      expect(j.code, j.stderr).toBe(0);
      const e = JSON.parse(j.stdout) as { number: number; status: { code: string }; history: { kind: string }[]; flags: Record<string, boolean>; myNumber: { held: boolean } };
      expect(e).toMatchObject({ number: 1, status: { code: 'suspended' }, flags: { 旧姓フラグ: true }, myNumber: { held: true } });
      expect(e.history.map((v) => v.kind)).toEqual(['register', 'correction', 'disposition']);
      const t = await show('--tenant', 'mhlw-iyaku', '--number', '1');
      expect(t.code, t.stderr).toBe(0);
      expect(t.stdout).toContain('業務停止中');
      expect(t.stdout).toContain('籍訂正');
      for (const r of [j, t]) {
        expect(findMyNumbers(r.stdout + r.stderr)).toEqual([]);
        expect(r.stdout + r.stderr).not.toContain(mn);
      }
      const db = await app.db.forRole(REGISTRY_ROLE);
      const { accessLog } = await import('../../src/registry/index.js');
      expect((await accessLog(db, 'mhlw-iyaku')).map((r) => [r.userId, r.targetId, r.outcome])).toEqual([['operator', 'yakuzaishi:1', 'ok'], ['operator', 'yakuzaishi:1', 'ok']]);
    });

    it('asks for the qualification of a 資格管理者 with several, refuses another administrator\'s, and answers 404 for an unknown number', async () => {
      const several = await show('--tenant', 'mhlw-isei', '--number', '1');
      expect(several.code).toBe(2);
      expect(several.stderr).toContain('qualification:');
      const other = await show('--tenant', 'mhlw-iyaku', '--qualification', 'ishi', '--number', '1');
      expect(other.code).toBe(2);
      const none = await show('--tenant', 'mhlw-iyaku', '--number', '99');
      expect(none.code).toBe(1);
      expect(none.stderr).toContain('見つかりません');
      const bad = await show('--tenant', 'mhlw-iyaku', '--number', 'x');
      expect(bad.code).toBe(2);
    });
  });
});

describe('mamori registry examine and passers', () => {
  let app: TestApp;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const ids: string[] = [];
  const mn = [syntheticMyNumber('registry-cli-examine', 1), syntheticMyNumber('registry-cli-examine', 2)];
  beforeAll(async () => {
    app = await testApp('server');
    env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness };
    dir = mkdtempSync(join(tmpdir(), 'mamori-registry-passers-'));
    const db = await app.db.forRole(REGISTRY_ROLE);
    const clock = app.config.clock;
    await syncAdministrators(db, clock);
    const secrets = RegistrySecrets.open(app.config.keyDir);
    const { applyForStaff, approveStaff, insertApplication, recordCheck, withRegistryTenant } = await import('../../src/registry/index.js');
    await applyForStaff(db, clock, { tenant: 'mhlw-iyaku', userId: 'chief', name: '薬務 一郎', affiliation: 'ministry', affiliationName: '医薬局総務課', role: 'supervisor', qualifications: ['yakuzaishi'], reason: '審査', appliedBy: 'operator' });
    await approveStaff(db, clock, 'mhlw-iyaku', 'chief', 'operator');
    await applyForStaff(db, clock, { tenant: 'mhlw-iyaku', userId: 'clerk', name: '薬務 二郎', affiliation: 'ministry', affiliationName: '医薬局総務課', role: 'clerk', qualifications: ['yakuzaishi'], reason: '審査', appliedBy: 'chief' });
    await approveStaff(db, clock, 'mhlw-iyaku', 'clerk', 'chief');
    for (const n of mn) {
      const a = await withRegistryTenant(db, 'mhlw-iyaku', async (tx) => {
        const x = await insertApplication(tx, { clock, secrets }, 'mhlw-iyaku', { qualification: 'yakuzaishi', procedure: 'new', channel: 'paper', form: exampleForm('yakuzaishi'), myNumber: n, identityProof: { documents: ['マイナンバーカード'], checkedBy: 'madoguchi' }, receivedBy: 'madoguchi' });
        await recordCheck(tx, clock, x.id, { source: 'juki', outcome: 'match', by: 'system' });
        await recordCheck(tx, clock, x.id, { source: 'koseki', outcome: 'match', by: 'system' });
        await recordCheck(tx, clock, x.id, { source: 'passers', outcome: 'match', by: 'system' });
        return x;
      });
      await settleFeesByStamps(db, clock, 'mhlw-iyaku', a.id);
      ids.push(a.id);
    }
  }, 120_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await app?.cleanup();
  });
  const cli = (...args: string[]) => runCli(['registry', ...args], { env, timeoutMs: 120_000 });

  it('imports a Shift_JIS list, refuses a bad one naming the line, and says so for the same file again', async () => {
    const iconv = (await import('iconv-lite')).default;
    const { writeFileSync } = await import('node:fs');
    const header = '試験回数,受験番号,氏名（姓）,氏名（名）,フリガナ（姓）,フリガナ（名）,生年月日,合格年月日,合格証書番号';
    const good = join(dir, 'good.csv');
    writeFileSync(good, iconv.encode(`${header}\r\n111,012345,見本,太郎,ミホン,タロウ,2000-04-01,2026-03-16,Y-0123456\r\n`, 'cp932'));
    const r = await cli('passers', '--tenant', 'mhlw-iyaku', '--qualification', 'yakuzaishi', '--import', good);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1件（新規 1件、文字コード Shift_JIS）');
    const again = await cli('passers', '--tenant', 'mhlw-iyaku', '--qualification', 'yakuzaishi', '--import', good, '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ repeated: true, rows: 1, added: 0 });
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, `${header}\n111,012346,見本,次郎,ミホン,ジロウ,2000-04-01,2026-03-16,\n111,01234x,見本,三郎,ミホン,サブロウ,2000-04-01,2026-03-16,\n`);
    const refused = await cli('passers', '--tenant', 'mhlw-iyaku', '--qualification', 'yakuzaishi', '--import', bad);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('3行目「受験番号」');
    const other = await cli('passers', '--tenant', 'mhlw-iyaku', '--qualification', 'ishi', '--import', good);
    expect(other.code).toBe(2);
  });

  it('examine: the examiner must hold the duty as 審査責任者 to approve (the sole one by default); approval prints the 登録番号; return as JSON', async () => {
    const byClerk = await cli('examine', '--tenant', 'mhlw-iyaku', '--application', ids[0]!, '--examiner', 'clerk', '--approve');
    expect(byClerk.code).toBe(1);
    expect(byClerk.stderr).toContain('権限がありません');
    const nobody = await cli('examine', '--tenant', 'mhlw-iyaku', '--application', ids[0]!, '--examiner', 'nobody', '--approve');
    expect(nobody.code).toBe(2);
    const both = await cli('examine', '--tenant', 'mhlw-iyaku', '--application', ids[0]!, '--examiner', 'chief', '--approve', '--reject', 'x');
    expect(both.code).toBe(2);
    // Without --examiner: the one 審査責任者 holding 薬剤師 (chief) decides.
    const ok = await cli('examine', '--tenant', 'mhlw-iyaku', '--application', ids[0]!, '--approve');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('登録番号 1');
    const ret = await cli('examine', '--tenant', 'mhlw-iyaku', '--application', ids[1]!, '--examiner', 'clerk', '--return', '受験番号を確認してください', '--json');
    expect(ret.code, ret.stderr).toBe(0);
    expect(JSON.parse(ret.stdout)).toMatchObject({ status: 'returned', decidedBy: null, reason: '受験番号を確認してください' });
    const otherTenant = await cli('examine', '--tenant', 'mhlw-isei', '--application', ids[1]!, '--examiner', 'chief', '--approve');
    expect(otherTenant.code).toBe(2);
    for (const r of [byClerk, ok, ret]) expect(findMyNumbers(r.stdout + r.stderr)).toEqual([]);
  });
});
