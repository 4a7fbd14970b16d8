// The schedule catalog a tenant works with: the national catalog plus its own latest configuration
// (臨時・特措法・任意 programs, season overrides), cached by (tenant, version).
import type { Work } from '../../kernel/context/index.js';
import { defaultCatalog, withMunicipalConfig, type Catalog } from '../schedule/index.js';

const cache = new Map<string, Catalog>();

export async function catalogFor(w: Work): Promise<{ catalog: Catalog; version: string }> {
  const row = await w.tx.selectFrom('municipality.schedule_configs').select(['version', 'config']).where('tenant_code', '=', w.tenant).orderBy('version', 'desc').limit(1).executeTakeFirst();
  if (!row) return { catalog: defaultCatalog(), version: defaultCatalog().version };
  const key = `${w.tenant}|${row.version}`;
  let cat = cache.get(key);
  if (!cat) {
    cat = withMunicipalConfig(defaultCatalog(), row.config);
    cache.set(key, cat);
  }
  return { catalog: cat, version: `${defaultCatalog().version}+${w.tenant}.${row.version}` };
}

/**
 * The same catalog when the caller already knows the tenant's latest configuration version (null: none):
 * no query unless that version is not cached yet.
 */
export async function catalogAtVersion(w: Work, configVersion: number | null): Promise<Catalog> {
  if (configVersion === null) return defaultCatalog();
  const cached = cache.get(`${w.tenant}|${configVersion}`);
  return cached ?? (await catalogFor(w)).catalog;
}
