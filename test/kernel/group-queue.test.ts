// The kernel's group commit queue (decision 0130): items of one key wait while groups of that key are being
// written and are then written together; each item gets its own answer; a failed group fails only its items.
import { describe, expect, it } from 'vitest';
import { GroupQueue, type Settled } from '../../src/kernel/context/index.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('GroupQueue', () => {
  it('writes a lone item at once, and items arriving meanwhile as one group, in order', async () => {
    const groups: number[][] = [];
    const gates: ReturnType<typeof deferred<void>>[] = [];
    const q = new GroupQueue<number, number>({
      maxBatch: 10,
      maxInFlight: 1,
      run: async (_key, items) => {
        groups.push([...items]);
        const g = deferred<void>();
        gates.push(g);
        await g.promise;
        return items.map((i): Settled<number> => ({ ok: true, value: i * 2 }));
      },
    });
    const first = q.submit('a', 1);
    const rest = [2, 3, 4].map((i) => q.submit('a', i));
    expect(groups).toEqual([[1]]);
    gates[0]!.resolve();
    expect(await first).toBe(2);
    await Promise.resolve();
    expect(groups).toEqual([[1], [2, 3, 4]]);
    gates[1]!.resolve();
    expect(await Promise.all(rest)).toEqual([4, 6, 8]);
    expect(q.stats()).toEqual({ groups: 2, items: 4, largest: 3 });
  });

  it('keeps keys apart, honours maxBatch and maxInFlight', async () => {
    const running = new Map<string, number>();
    let most = 0;
    const sizes: number[] = [];
    const q = new GroupQueue<number, string>({
      maxBatch: 3,
      maxInFlight: 2,
      run: async (key, items) => {
        running.set(key, (running.get(key) ?? 0) + 1);
        most = Math.max(most, running.get(key)!);
        sizes.push(items.length);
        await new Promise((r) => setTimeout(r, 5));
        running.set(key, running.get(key)! - 1);
        return items.map((i): Settled<string> => ({ ok: true, value: `${key}${i}` }));
      },
    });
    const out = await Promise.all([...Array.from({ length: 20 }, (_, i) => q.submit('a', i)), ...Array.from({ length: 5 }, (_, i) => q.submit('b', i))]);
    expect(out.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, i) => `a${i}`));
    expect(out.slice(20)).toEqual(Array.from({ length: 5 }, (_, i) => `b${i}`));
    expect(Math.max(...sizes)).toBe(3);
    expect(most).toBe(2);
  });

  it('a refused item fails alone; a failed group fails all of its items and the queue goes on', async () => {
    let call = 0;
    const q = new GroupQueue<number, number>({
      maxBatch: 10,
      maxInFlight: 1,
      run: async (_key, items) => {
        call++;
        if (call === 2) throw new Error('database went away');
        return items.map((i): Settled<number> => (i < 0 ? { ok: false, error: new Error(`refused ${i}`) } : { ok: true, value: i }));
      },
    });
    const a = q.submit('k', 1);
    const b = [q.submit('k', 2), q.submit('k', 3)];
    await expect(a).resolves.toBe(1);
    await expect(b[0]).rejects.toThrow('database went away');
    await expect(b[1]).rejects.toThrow('database went away');
    const c = [q.submit('k', 4), q.submit('k', -5), q.submit('k', 6)];
    await expect(c[0]).resolves.toBe(4);
    await expect(c[1]).rejects.toThrow('refused -5');
    await expect(c[2]).resolves.toBe(6);
  });
});
