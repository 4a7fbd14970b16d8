// Opening Mamori for one CLI command, and the operator identity the command acts under.
import { openApp, readDirectoryFile, startOrganisations, MUNICIPALITY_NODE, type App, type Organisations } from '../app/index.js';
import { resolveConfig } from '../kernel/config/index.js';
import { cliOperator, newMeta, systemActor, type Principal } from '../kernel/context/index.js';
import { requireTenant } from '../kernel/access/index.js';
import { configureLogging } from '../kernel/log/index.js';

export async function withApp<T>(opts: { data?: string | undefined }, ...rest: [fn: (app: App) => Promise<T>] | [open: { migrate: boolean }, fn: (app: App) => Promise<T>]): Promise<T> {
  const [openOpts, fn] = rest.length === 1 ? [{ migrate: true }, rest[0]] : rest;
  const config = resolveConfig({ data: opts.data });
  configureLogging({ level: config.logLevel, file: config.logFile });
  const app = await openApp(config, openOpts);
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

/**
 * Mamori with its organisations hosted in this process on loopback ports (the embedded store is one process's),
 * reached over HTTP as the running system reaches them.  MAMORI_DIRECTORY names organisations running
 * elsewhere; when it names `external` (e.g. the platform), only the municipality node is started here.
 */
export async function withOrganisations<T>(opts: { data?: string | undefined }, fn: (app: App, orgs: Organisations) => Promise<T>, o: { external?: string } = {}): Promise<T> {
  return withApp(opts, async (app) => {
    const dirFile = process.env['MAMORI_DIRECTORY'];
    const entries = dirFile ? readDirectoryFile(dirFile) : [];
    const only = o.external && entries.some((e) => e.name === o.external) ? MUNICIPALITY_NODE : undefined;
    const orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0, directoryEntries: entries, ...(only ? { only } : {}) });
    try {
      return await fn(app, orgs);
    } finally {
      await orgs.close();
    }
  });
}

/** The operator at the command line, identified by the OS account that ran the command (KRN-31). */
export function operator(tenant: string, command: string): Principal {
  return { tenant, actor: systemActor(`cli:${cliOperator()}`), meta: newMeta(`cli:${command}`, { terminalId: `host:${process.env['HOSTNAME'] ?? 'local'}` }) };
}

export async function tenantArg(app: App, code: unknown): Promise<string> {
  const c = String(code ?? '').trim();
  await requireTenant(app.db, c);
  return c;
}
