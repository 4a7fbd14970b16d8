// The exchange CLI contract (docs/formats/exchange-cli.md), run as a subprocess the way external checks call
// it: the command hosts every organisation itself and talks to them over HTTP with signed messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../harness/cli.js';
import { EDOGAWA, TOTTORI } from '../harness/app.js';
import { mn } from '../harness/residents.js';
import { CHILD, moveInWorld, type MoveInWorld } from '../harness/exchange.js';

let world: MoveInWorld;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  world = await moveInWorld();
  // The world's own nodes stay up; the CLI opens the same store and keys and hosts its own.
  env = { DATABASE_URL: world.app.databaseUrl!, MAMORI_DATA: world.app.config.dataDir, MAMORI_AUDIT_WITNESS: world.app.config.auditWitness };
});

afterAll(async () => {
  await world?.close();
});

const json = <T>(s: string): T => JSON.parse(s) as T;

describe('mamori exchange', () => {
  it('copies: registers the 副本 and prints the counts; again, everything is unchanged', async () => {
    const r = await runCli(['exchange', 'copies', '--tenant', TOTTORI, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toEqual({ registered: 0, unchanged: 2, rejected: 0 });
  });

  it('inquire: asks the previous municipality through the network and prints the records', async () => {
    const r = await runCli(['exchange', 'inquire', '--tenant', EDOGAWA, '--atena', world.movedAtena, '--item', 'vaccination-history', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ exchangeId: string; provider: string; legalBasis: string; records: { program: string; dose: number; product: string; date: string }[] }>(r.stdout);
    expect(out.provider).toBe(TOTTORI);
    expect(out.exchangeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(out.legalBasis).toMatch(/番号法/);
    expect(out.records).toHaveLength(3);
    expect(out.records[0]).toMatchObject({ program: 'hib', dose: 1, product: 'hib' });
  });

  it('inquire: a refusal exits 3 with the problem', async () => {
    // 札幌市 (011002) has no 中間サーバー in this network: the network refuses, and says why.
    const r = await runCli(['exchange', 'inquire', '--tenant', EDOGAWA, '--atena', world.movedAtena, '--provider', '011002', '--json'], { env });
    expect(r.code, r.stderr).toBe(3);
    expect(json(r.stdout)).toMatchObject({ status: 404, code: 'PROVIDER_UNKNOWN', title: '情報提供者が見つかりません' });
    expect(r.stderr).toContain('照会できませんでした');
    // Asking oneself is refused too.
    const self = await runCli(['exchange', 'inquire', '--tenant', EDOGAWA, '--atena', world.movedAtena, '--provider', EDOGAWA, '--json'], { env });
    expect(self.code, self.stderr).toBe(3);
    expect(json(self.stdout)).toMatchObject({ code: 'SELF_INQUIRY' });
  });

  it('records: the 情報提供等記録 of the asking and the providing municipality', async () => {
    const asked = await runCli(['exchange', 'records', '--tenant', EDOGAWA, '--json'], { env });
    expect(asked.code, asked.stderr).toBe(0);
    const a = json<{ total: number; records: Record<string, unknown>[] }>(asked.stdout);
    expect(a.total).toBeGreaterThan(0);
    const provided = await runCli(['exchange', 'records', '--tenant', TOTTORI, '--person', world.formerAtena, '--json'], { env });
    expect(provided.code, provided.stderr).toBe(0);
    expect(json<{ total: number }>(provided.stdout).total).toBeGreaterThan(0);
  });

  it('messages: an organisation’s log, with digests and no bodies or My Numbers', async () => {
    const r = await runCli(['exchange', 'messages', '--org', 'network', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ org: string; total: number; messages: { service: string; direction: string; digest: string; outcome: string }[] }>(r.stdout);
    expect(out.org).toBe('network');
    const services = new Set(out.messages.map((m) => m.service));
    for (const s of ['code.issue', 'inquiry', 'provide']) expect(services).toContain(s);
    expect(out.messages.every((m) => /^[0-9a-f]{64}$/.test(m.digest))).toBe(true);
    expect(r.stdout).not.toContain(mn(CHILD));
    const bad = await runCli(['exchange', 'messages', '--org', 'nobody'], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('組織（ノード）の名前が正しくありません');
  });

  it('rotate-key: a new generation of an organisation\'s keys, and the exchange keeps working', async () => {
    const r = await runCli(['exchange', 'rotate-key', '--org', 'network', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ previousGeneration: number; generation: number; published: string[] }>(r.stdout);
    expect(out.generation).toBe(out.previousGeneration + 1);
    expect(out.published.filter((k) => k.startsWith(`network.sig.${out.generation}.`))).toHaveLength(1);
    const again = await runCli(['exchange', 'inquire', '--tenant', EDOGAWA, '--atena', world.movedAtena, '--json'], { env });
    expect(again.code, again.stderr).toBe(0);
    expect(json<{ records: unknown[] }>(again.stdout).records).toHaveLength(3);
  });
});
