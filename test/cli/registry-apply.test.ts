// `mamori registry apply` as a subprocess (docs/formats/registry-cli.md; issue 15 Must have 9): the applicant's
// card file and PIN, the form printed by `mamori registry form`, attachments; through マイナポータル over HTTP —
// the running portal named in MAMORI_DIRECTORY, or every organisation started by the command itself — to the
// registry.  Prints {"applicationId","status"}; a refusal exits 3 with the Problem naming the item; bad
// options exit 2; never a My Number on stdout or stderr.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { exampleForm } from '../../src/registry/index.js';
import { runCli } from '../harness/cli.js';
import { findMyNumbers } from '../harness/leaks.js';
import { PIN, platformWorld, type PlatformWorld } from '../harness/platform.js';

let w: PlatformWorld;
let env: NodeJS.ProcessEnv;
let card = '';
let formFile = '';
let pdf = '';

beforeAll(async () => {
  w = await platformWorld();
  card = join(w.dir, 'card.json');
  writeFileSync(card, JSON.stringify(w.cards.parent));
  formFile = join(w.dir, 'form.json');
  writeFileSync(formFile, JSON.stringify({ ...exampleForm('yakuzaishi'), 氏名: { 姓: '鳥取', 名: '太郎' } }));
  pdf = join(w.dir, 'shindansho.pdf');
  writeFileSync(pdf, '%PDF-1.4\n% synthetic\n');
  const directory = join(w.dir, 'directory.json');
  writeFileSync(directory, JSON.stringify(w.orgs.nodes.map((n) => ({ name: n.name, title: n.title, url: n.url }))));
  env = { DATABASE_URL: w.app.databaseUrl!, MAMORI_DATA: w.app.config.dataDir, MAMORI_AUDIT_WITNESS: w.app.config.auditWitness, MAMORI_DIRECTORY: directory };
}, 300_000);

afterAll(async () => {
  await w?.close();
});

describe('mamori registry apply', () => {
  it('applies through the running portal and prints {"applicationId","status"}', async () => {
    const r = await runCli(['registry', 'apply', '--qualification', 'yakuzaishi', '--card', card, '--pin', PIN, '--form', formFile, '--attach', pdf, '--json'], { env, timeoutMs: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { applicationId: string; status: string };
    expect(Object.keys(out)).toEqual(['applicationId', 'status']);
    expect(out.status).toBe('received');
    const row = await sql<{ tenant_code: string; channel: string; n: string }>`
      SELECT a.tenant_code, a.channel, (SELECT count(*)::text FROM registry.application_attachments t WHERE t.application_id = a.id) AS n FROM registry.applications a WHERE a.id = ${out.applicationId}`.execute(w.app.db.system);
    expect(row.rows).toEqual([{ tenant_code: 'mhlw-iyaku', channel: 'online', n: '1' }]);
    expect(findMyNumbers(r.stdout + r.stderr)).toEqual([]);
  });

  it('exits 3 with the item named when the registry refuses, and 2 for bad options', async () => {
    const bad = join(w.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...exampleForm('yakuzaishi'), 合格証書番号: 'あいう' }));
    const r = await runCli(['registry', 'apply', '--qualification', 'yakuzaishi', '--card', card, '--pin', PIN, '--form', bad, '--json'], { env, timeoutMs: 120_000 });
    expect(r.code).toBe(3);
    const p = JSON.parse(r.stdout) as { status: number; errors: { field: string; message: string }[] };
    expect(p.status).toBe(400);
    expect(p.errors).toEqual([expect.objectContaining({ field: '合格証書番号', message: '合格証書番号は半角英数字で入力してください' })]);
    expect(r.stderr).toContain('合格証書番号: 合格証書番号は半角英数字で入力してください');
    const pin = await runCli(['registry', 'apply', '--qualification', 'yakuzaishi', '--card', card, '--pin', '12', '--form', formFile], { env });
    expect(pin.code).toBe(2);
    expect(pin.stderr).toContain('暗証番号');
    const proc = await runCli(['registry', 'apply', '--qualification', 'yakuzaishi', '--card', card, '--pin', PIN, '--form', formFile, '--procedure', 'renew'], { env });
    expect(proc.code).toBe(2);
    expect(proc.stderr).toContain('procedure');
    expect(findMyNumbers(r.stdout + r.stderr + pin.stderr + proc.stderr)).toEqual([]);
  });

  it('starts the organisations itself when no portal is running', async () => {
    // The command's own organisations run on the world's clock (the card was issued a moment after TEST_NOW).
    const { MAMORI_DIRECTORY: _d, ...rest } = env;
    const alone = { ...rest, MAMORI_CLOCK: w.app.config.clock.now().toISOString() };
    const reissue = join(w.dir, 'reissue.json');
    writeFileSync(reissue, JSON.stringify(exampleForm('kangoshi', 'reissue')));
    const r = await runCli(['registry', 'apply', '--qualification', 'kangoshi', '--procedure', 'reissue', '--card', card, '--pin', PIN, '--form', reissue], { env: alone, unsetEnv: ['MAMORI_DIRECTORY'], timeoutMs: 180_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^申請を受け付けました: 看護師・再交付（申請番号 [0-9a-f-]{36}、審査待ち）/);
  });
});
