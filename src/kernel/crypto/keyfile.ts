// A node's own 256-bit secret in a key file (mode 0600, base64, created on first use).  Used by the
// organisations' nodes for their column keys and blind-index keys (decisions 0138, 0143): each node's keys
// are its own, under <keyDir>/nodes/<node>/.
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

export function readKeyFile(path: string): Buffer {
  const k = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (k.length !== 32) throw new Error(`key file ${path} is not a 256-bit key`);
  return k;
}

export function ensureKeyFile(path: string): Buffer {
  if (existsSync(path)) return readKeyFile(path);
  createSecretFileOnce(path, randomBytes(32).toString('base64') + '\n');
  return readKeyFile(path);
}

/**
 * Writes a secret file (mode 0600) unless it exists.  link() fails when the file exists: two processes creating
 * it at once both end up with the first one's content.
 */
export function createSecretFileOnce(path: string, content: string): void {
  if (existsSync(path)) return;
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  try {
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** A node's own key folder, <keyDir>/nodes/<node> (mode 0700, created on first use). */
export function nodeKeyDir(keyDir: string, node: string): string {
  const dir = join(keyDir, 'nodes', node);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * The generations of a column key, `<stem>-NNNN.key` in `dir` (the first created when there is none): the
 * newest seals, every generation still opens what it sealed.
 */
export function versionedKeys(dir: string, stem: string): { readonly version: number; readonly keys: ReadonlyMap<number, Buffer> } {
  const keys = new Map<number, Buffer>();
  const re = new RegExp(`^${stem}-(\\d{4})\\.key$`);
  for (const f of readdirSync(dir)) {
    const m = re.exec(f);
    if (m) keys.set(Number(m[1]), readKeyFile(join(dir, f)));
  }
  if (keys.size === 0) keys.set(1, ensureKeyFile(join(dir, `${stem}-0001.key`)));
  return { version: Math.max(...keys.keys()), keys };
}
