// The CLI contract that external checks depend on (docs/formats/schedule-cli.md): bin/mamori schedule
// evaluate|check as a subprocess, JSON on stdin and stdout, exit 0 / 2.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = `${ROOT}bin/mamori`;

function run(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env['DATABASE_URL'];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(stdin);
  });
}

const ISO = /^\d{4}-\d{2}-\d{2}$/;

describe('mamori schedule evaluate', () => {
  it('answers the issue example with the documented shape', async () => {
    const input = { asOf: '2026-11-21', person: { birthDate: '2025-09-10', sex: 'female', conditions: [] }, history: [{ product: 'dpt-ipv-hib', date: '2025-11-10' }], programs: ['hib', 'dpt-ipv-1'] };
    const r = await run(['schedule', 'evaluate'], JSON.stringify(input));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { asOf: string; results: Array<Record<string, unknown>> };
    expect(out.asOf).toBe('2026-11-21');
    expect(out.results.map((x) => x['program'])).toEqual(['hib', 'dpt-ipv-1']);
    for (const res of out.results) {
      expect(['upcoming', 'due', 'complete', 'missed', 'not-eligible']).toContain(res['status']);
      expect(res['dosesCounted']).toBe(1);
      const nd = res['nextDose'] as Record<string, unknown>;
      expect(nd['dose']).toBe(2);
      for (const k of ['earliest', 'latest', 'standardFrom', 'standardUntil']) expect(nd[k]).toMatch(ISO);
      const reasons = res['reasons'] as Array<Record<string, unknown>>;
      expect(reasons.length).toBeGreaterThan(0);
      for (const reason of reasons) {
        expect(reason['code']).toMatch(/^[A-Z_]+$/);
        expect(typeof reason['message']).toBe('string');
      }
    }
    expect(out.results[0]).toMatchObject({ program: 'hib', status: 'due', nextDose: { earliest: '2025-12-01' } });
  });
  it('defaults to every program in force and gives nextDose null when there is none', async () => {
    const r = await run(['schedule', 'evaluate', '--compact'], JSON.stringify({ asOf: '2026-11-21', person: { birthDate: '2024-05-31', sex: 'male' }, history: [{ product: 'bcg', date: '2024-11-01' }] }));
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const out = JSON.parse(r.stdout) as { results: Array<{ program: string; status: string; nextDose: unknown }> };
    expect(out.results.length).toBeGreaterThanOrEqual(17);
    expect(out.results.find((x) => x.program === 'bcg')).toMatchObject({ status: 'complete', nextDose: null });
    expect(out.results.find((x) => x.program === 'hpv')).toMatchObject({ status: 'not-eligible', nextDose: null });
  });
  it('reads a municipal configuration with --config', async () => {
    const r = await run(['schedule', 'evaluate', '--config', `${ROOT}docs/formats/examples/schedule-municipal-config.json`], JSON.stringify({ asOf: '2025-07-01', person: { birthDate: '2024-05-31', sex: 'male' }, programs: ['mumps-subsidy'] }));
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { results: Array<{ status: string }> }).results[0]!.status).toBe('due');
  });
});

describe('mamori schedule check', () => {
  it('refuses MR within 27 days of another injected live vaccine', async () => {
    const input = { person: { birthDate: '2024-12-01', sex: 'male', conditions: [] }, history: [{ product: 'varicella', date: '2025-12-20' }], proposed: { product: 'mr', date: '2026-01-05' } };
    const r = await run(['schedule', 'check'], JSON.stringify(input));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { allowed: boolean; program: string; dose: number; problems: Array<{ code: string; message: string }> };
    expect(out).toMatchObject({ allowed: false, program: 'mr-1', dose: 1 });
    expect(out.problems.map((p) => p.code)).toEqual(['LIVE_VACCINE_INTERVAL']);
    expect(out.problems[0]!.message).toContain('令和8年1月17日以降');
  });
  it('allows a correct dose', async () => {
    const r = await run(['schedule', 'check'], JSON.stringify({ person: { birthDate: '2024-12-01', sex: 'male' }, history: [], proposed: { product: 'mr', date: '2026-01-05' } }));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ allowed: true, program: 'mr-1', dose: 1, problems: [] });
  });
});

describe('malformed input → exit 2 with a message on stderr and nothing on stdout', () => {
  const cases: Array<[string, string[], string, RegExp]> = [
    ['not JSON', ['schedule', 'evaluate'], '{"asOf":', /JSONとして読めません/],
    ['empty input', ['schedule', 'check'], '', /入力が空です/],
    ['impossible date', ['schedule', 'evaluate'], JSON.stringify({ asOf: '2026-02-30', person: { birthDate: '2025-09-10', sex: 'female' } }), /asOf/],
    ['unknown product', ['schedule', 'check'], JSON.stringify({ person: { birthDate: '2025-09-10', sex: 'female' }, proposed: { product: 'pcv7', date: '2026-01-05' } }), /proposed\.product/],
    ['bad sex', ['schedule', 'evaluate'], JSON.stringify({ asOf: '2026-11-21', person: { birthDate: '2025-09-10', sex: 'F' } }), /person\.sex/],
    ['unknown program', ['schedule', 'evaluate'], JSON.stringify({ asOf: '2026-11-21', person: { birthDate: '2025-09-10', sex: 'female' }, programs: ['mumps'] }), /programs\.0/],
    ['missing proposed', ['schedule', 'check'], JSON.stringify({ person: { birthDate: '2025-09-10', sex: 'female' } }), /proposed/],
    ['array instead of object', ['schedule', 'evaluate'], '[]', /入力内容に誤りがあります/],
  ];
  for (const [name, args, stdin, pattern] of cases) {
    it(name, async () => {
      const r = await run(args, stdin);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(pattern);
    });
  }
  it('an unreadable --config file', async () => {
    const r = await run(['schedule', 'evaluate', '--config', '/nonexistent/config.json'], '{}');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('設定ファイルを読めません');
  });
});
