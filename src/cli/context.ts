// Opening Mamori for one CLI command, and the operator identity the command acts under.
import { openApp, type App } from '../app/index.js';
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

/** The operator at the command line, identified by the OS account that ran the command (KRN-31). */
export function operator(tenant: string, command: string): Principal {
  return { tenant, actor: systemActor(`cli:${cliOperator()}`), meta: newMeta(`cli:${command}`, { terminalId: `host:${process.env['HOSTNAME'] ?? 'local'}` }) };
}

export async function tenantArg(app: App, code: unknown): Promise<string> {
  const c = String(code ?? '').trim();
  await requireTenant(app.db, c);
  return c;
}
