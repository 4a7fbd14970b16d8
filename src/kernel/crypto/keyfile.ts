// A node's own 256-bit secret in a key file (mode 0600, base64, created on first use).  Used by the
// organisations' nodes for their column keys and blind-index keys (decisions 0138, 0143): each node's keys
// are its own, under <keyDir>/nodes/<node>/.
import { chmodSync, existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

export function readKeyFile(path: string): Buffer {
  const k = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (k.length !== 32) throw new Error(`key file ${path} is not a 256-bit key`);
  return k;
}

export function ensureKeyFile(path: string): Buffer {
  if (existsSync(path)) return readKeyFile(path);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  try {
    // link() fails when the key exists: two processes creating it at once both end up with the first one's key.
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    rmSync(tmp, { force: true });
  }
  return readKeyFile(path);
}
