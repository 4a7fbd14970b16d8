// The layout rules of ../shared/ARCHITECTURE.md, checked on every import in src/:
// - code outside a room imports only the room's index.ts (its public face);
// - dependencies point inward: kernel ← systems ← app ← web/cli; systems never import each other;
//   peers import only the kernel;
// - the schedule engine is pure: no I/O modules, no database, no clock.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './harness/paths.js';

const SRC = join(ROOT, 'src');

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

interface Edge {
  from: string;
  to: string;
  spec: string;
}

function edges(): Edge[] {
  const out: Edge[] = [];
  for (const file of walk(SRC)) {
    const text = readFileSync(file, 'utf8');
    const re = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
    for (const m of text.matchAll(re)) {
      const spec = m[1] ?? m[2]!;
      out.push({ from: relative(SRC, file), to: spec.startsWith('.') ? relative(SRC, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))) : spec, spec });
    }
  }
  return out;
}

const AREA_WITH_ROOMS = new Set(['kernel', 'municipality', 'platform', 'registry', 'peers', 'web']);

function roomOf(path: string): string {
  const parts = path.split('/');
  if (AREA_WITH_ROOMS.has(parts[0]!) && parts.length > 2) return `${parts[0]}/${parts[1]}`;
  return parts[0]!;
}

const area = (path: string) => path.split('/')[0]!;

const ALLOWED: Record<string, readonly string[]> = {
  kernel: ['kernel'],
  municipality: ['kernel', 'municipality'],
  platform: ['kernel', 'platform'],
  registry: ['kernel', 'registry'],
  peers: ['kernel', 'peers'],
  app: ['kernel', 'municipality', 'platform', 'registry', 'peers', 'app'],
  web: ['kernel', 'municipality', 'platform', 'registry', 'app', 'web'],
  cli: ['kernel', 'municipality', 'platform', 'registry', 'peers', 'app', 'web', 'cli'],
};

describe('architecture', () => {
  const all = edges();
  const internal = all.filter((e) => !e.to.startsWith('..') && !e.spec.match(/^[a-z@]/) && e.to.includes('/') === true);

  it('finds the code it checks', () => {
    expect(internal.length).toBeGreaterThan(100);
  });

  it('code outside a room imports only its public face (index.ts)', () => {
    const bad = internal.filter((e) => roomOf(e.from) !== roomOf(e.to) && !e.to.endsWith('/index.ts'));
    expect(bad.map((e) => `${e.from} → ${e.spec}`)).toEqual([]);
  });

  it('dependencies point inward and systems never import each other', () => {
    const bad = internal.filter((e) => !(ALLOWED[area(e.from)] ?? []).includes(area(e.to)));
    expect(bad.map((e) => `${e.from} → ${e.spec}`)).toEqual([]);
  });

  it('the schedule engine is pure (no I/O, no database, no clock)', () => {
    const engine = all.filter((e) => e.from.startsWith('municipality/schedule/'));
    const bad = engine.filter((e) => {
      if (e.spec.startsWith('.')) return !(e.to.startsWith('municipality/schedule/') || e.to === 'kernel/jp/index.ts' || e.to === 'kernel/problems/index.ts');
      return !['zod'].includes(e.spec);
    });
    expect(bad.map((e) => `${e.from} → ${e.spec}`)).toEqual([]);
    for (const file of walk(join(SRC, 'municipality', 'schedule'))) {
      const text = readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/new Date\(\s*\)|Date\.now\(|process\.|performance\.now/);
    }
  });
});
