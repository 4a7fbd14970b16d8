// `mamori registry sync menkyo|kensaku [--tenant CODE] [--json]` (docs/formats/registry-cli.md「同期」; QUA-28,
// QUA-29; decisions 0221–0225): runs a sync now as the registry node (its role, keys and message log), through
// the running organisations (MAMORI_DIRECTORY) or the ones this command starts, and prints the counts.
import { invalidField } from '../../kernel/problems/index.js';
import { exchangeNodeFor } from '../../kernel/exchange/index.js';
import { REGISTRY_NODE, REGISTRY_ROLE, REGISTRY_SCHEMA, RegistrySecrets, runSync, SYNC_TARGETS, syncAdministrators, WITHHELD_LABELS, type SyncTarget } from '../../registry/index.js';
import { withOrganisations } from '../context.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown>;

export async function sync(o: O, args: readonly string[] = []): Promise<number> {
  const target = String(args[0] ?? '');
  if (!Object.hasOwn(SYNC_TARGETS, target)) throw invalidField('target', 'SYNC_TARGET_UNKNOWN', `同期先は ${Object.keys(SYNC_TARGETS).join(' または ')} です`);
  const t = target as SyncTarget;
  return withOrganisations(o as { data?: string }, async (app, orgs) => {
    const db = await app.db.forRole(REGISTRY_ROLE);
    await syncAdministrators(db, app.config.clock);
    const node = exchangeNodeFor({ name: REGISTRY_NODE, schema: REGISTRY_SCHEMA, db, keyDir: app.config.keyDir, directory: orgs.directory, clock: app.config.clock });
    const reports = await runSync({ db, clock: app.config.clock, node, secrets: RegistrySecrets.open(app.config.keyDir), keyDir: app.config.keyDir }, t, o['tenant'] === undefined ? {} : { tenant: String(o['tenant']) });
    if (o['json']) {
      printJson(reports);
      return 0;
    }
    print(`${SYNC_TARGETS[t].title}と同期しました。`);
    print(table([
      ['資格管理者', '送信', 'うち新規保存', 'うち受信済み', ...(t === 'kensaku' ? ['うち掲載終了'] : []), '保留', 'メッセージ'],
      ...reports.map((r) => [r.tenant, String(r.sent), String(r.stored), String(r.unchanged), ...(t === 'kensaku' ? [String(r.removed)] : []), String(Object.values(r.withheld).reduce((a, b) => a + b, 0)), String(r.messages)]),
    ]));
    for (const r of reports) {
      for (const [k, n] of Object.entries(r.withheld)) if (n) print(`保留（${r.tenant}）: ${WITHHELD_LABELS[k as keyof typeof WITHHELD_LABELS]} ${n} 件（解消後の同期で送ります）`);
    }
    return 0;
  });
}
