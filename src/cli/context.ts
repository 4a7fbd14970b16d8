// Opening Mamori for one CLI command, and the operator identity the command acts under.
import { openApp, type App } from '../app/index.js';
import { resolveConfig } from '../kernel/config/index.js';
import { cliOperator, newMeta, systemActor, type Principal } from '../kernel/context/index.js';
import { requireTenant } from '../kernel/access/index.js';
import { configureLogging } from '../kernel/log/index.js';

export async function withApp<T>(opts: { data?: string | undefined }, fn: (app: App) => Promise<T>): Promise<T> {
  const config = resolveConfig({ data: opts.data });
  configureLogging({ level: config.logLevel, file: config.logFile });
  const app = await openApp(config);
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
