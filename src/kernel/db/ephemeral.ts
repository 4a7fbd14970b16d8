// A throwaway PostgreSQL server (initdb + pg_ctl on a free loopback port and a Unix socket) for tests,
// `mamori bench` and `mamori drill`.
// PostgreSQL refuses to run as root, so under root the server runs as the `postgres` OS user.
import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface EphemeralPostgres {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Admin URL for another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export function findPgBin(name: string): string {
  for (const p of (process.env['PATH'] ?? '').split(':')) {
    if (p && existsSync(join(p, name))) return join(p, name);
  }
  const base = '/usr/lib/postgresql';
  if (existsSync(base)) {
    const versions = readdirSync(base).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) if (existsSync(join(base, v, 'bin', name))) return join(base, v, 'bin', name);
  }
  throw new Error(`${name} が見つかりません。PostgreSQL のサーバー（Debian: apt-get install -y postgresql）を入れてください。`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

function asPgUser(bin: string, args: string[]): [string, string[]] {
  if (process.getuid?.() === 0) return ['runuser', ['-u', 'postgres', '--', bin, ...args]];
  return [bin, args];
}

export interface EphemeralOptions {
  /** fsync and synchronous commit (default true: real durability, as for benchmarks). */
  readonly durable?: boolean;
  readonly extraConfig?: readonly string[];
}

export async function startEphemeralPostgres(opts: EphemeralOptions = {}): Promise<EphemeralPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'mamori-pg-'));
  const data = join(dir, 'data');
  const root = process.getuid?.() === 0;
  if (root) {
    const pw = await run('id', ['-u', 'postgres']).catch(() => null);
    if (!pw) throw new Error('root で実行する場合は postgres ユーザーが必要です（apt-get install -y postgresql）。');
    const uid = Number(pw.stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    chownSync(dir, uid, gid);
  }
  const initdb = findPgBin('initdb');
  const pgctl = findPgBin('pg_ctl');
  const [c1, a1] = asPgUser(initdb, ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
  await run(c1, a1, { env: { ...process.env, LC_ALL: 'C' } });
  const port = await freePort();
  const durable = opts.durable !== false;
  const conf = [
    `port=${port}`,
    `listen_addresses='127.0.0.1'`,
    `unix_socket_directories='${dir}'`,
    'max_connections=200',
    'shared_buffers=256MB',
    `fsync=${durable ? 'on' : 'off'}`,
    `synchronous_commit=${durable ? 'on' : 'off'}`,
    `full_page_writes=${durable ? 'on' : 'off'}`,
    ...(opts.extraConfig ?? []),
  ];
  const [c2, a2] = asPgUser(pgctl, ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o', conf.map((c) => `-c ${c}`).join(' '), 'start']);
  await run(c2, a2);
  // Clients connect through the Unix socket in `dir` (the port names the socket file): on this kind of
  // machine a query round trip costs about a third less wall time and 40 % less client CPU than over
  // loopback TCP (decision 0085).  The server also listens on 127.0.0.1 for tools that need TCP.
  const urlFor = (db: string): string => `postgres://postgres@localhost:${port}/${db}?host=${encodeURIComponent(dir)}`;
  let stopped = false;
  return {
    url: urlFor('postgres'),
    port,
    dir,
    urlFor,
    async stop() {
      if (stopped) return;
      stopped = true;
      const [c3, a3] = asPgUser(pgctl, ['-D', data, '-m', 'immediate', '-w', 'stop']);
      await run(c3, a3).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
