// `mamori registry qualifications|form` as subprocesses (docs/formats/registry-cli.md; issue 15 Must have 9):
// the list prints exactly code, name and 資格管理者 tenant code for the ten qualifications; the printed form
// of every qualification validates against its schema once read back; an unknown code is bad input (exit 2).
import { describe, expect, it } from 'vitest';
import { catalog, parseApplication } from '../../src/registry/index.js';
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
});
