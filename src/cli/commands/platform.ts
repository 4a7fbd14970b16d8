// `mamori platform …` (docs/formats/platform-cli.md "## mamori platform"): the municipality's push of an
// extraction run to the digital vaccination platform (issue 12 point 3; decision 0147), and the linkage
// status.  Like `mamori exchange`, the command hosts the municipality node in its own process on a
// loopback port; the platform is the one in MAMORI_DIRECTORY when that file names `platform`, otherwise
// the organisations this store hosts are started here too.
import type { App } from '../../app/index.js';
import type { Organisations } from '../../app/index.js';
import { linkageCounts, listFailedTargets, pullRecords, pushRun, LINKAGE_LABELS, PLATFORM_NODE } from '../../municipality/platform/index.js';
import { runAs } from '../../kernel/context/index.js';
import { formatJst } from '../../kernel/jp/index.js';
import { Problem } from '../../kernel/problems/index.js';
import { operator, tenantArg, withApp, withOrganisations } from '../context.js';
import { print, printJson, table, warn } from '../io.js';

type O = Record<string, unknown> & { data?: string };

const withMunicipality = <T>(o: O, fn: (app: App, orgs: Organisations) => Promise<T>): Promise<T> => withOrganisations(o, fn, { external: PLATFORM_NODE });

/** `mamori platform push --tenant CODE --run RUN [--all] [--json]`: exit 3 when the batch failed (the platform unreachable). */
export async function push(o: O): Promise<number> {
  const runId = String(o['run'] ?? '');
  if (!/^[0-9a-f-]{36}$/i.test(runId)) throw new Problem(400, 'RUN_INVALID', '抽出の番号が正しくありません', '--run には抽出の番号（mamori extract list で表示される ID）を指定してください。');
  return withMunicipality(o, async (app, orgs) => {
    const tenant = await tenantArg(app, o['tenant']);
    const who = operator(tenant, 'platform push');
    const r = await pushRun(app, who, orgs.municipal, { runId, all: !!o['all'] });
    if (o['json']) printJson({ sent: r.sent, registered: r.registered, updated: r.updated, deleted: r.deleted, failed: r.failed });
    else if (r.status === 'nothing') print(`予防接種プラットフォームに送る変更はありません${r.failed ? `（個人番号がなく登録できない方 ${r.failed} 人）` : ''}。`);
    else print(`予防接種プラットフォームに送信しました: 送信 ${r.sent} 件（新規登録 ${r.registered} 件、更新 ${r.updated} 件、削除 ${r.deleted} 件、変更なし ${r.unchanged} 件）、失敗 ${r.failed} 件`);
    if (r.status === 'failed') {
      warn(`予防接種プラットフォームへの送信に失敗しました: ${r.error ?? ''}（失敗した方は自動で再送します）`);
      return 3;
    }
    return 0;
  });
}

/** `mamori platform status --tenant CODE [--json]`: linkage status counts and the failed rows. */
export async function status(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const who = operator(tenant, 'platform status');
    const { counts, failed } = await runAs(app.db, who, async (w) => ({ counts: await linkageCounts(w), failed: await listFailedTargets(w, { pageSize: 500 }) }));
    const rows = failed.rows.map((f) => ({ atenaNo: f.atenaNo, error: f.error, attempts: f.attempts, nextRetryAt: f.nextRetryAt ? f.nextRetryAt.toISOString() : null }));
    if (o['json']) printJson({ tenant, ...counts, failed: rows });
    else {
      print(`予防接種プラットフォームとの連携状況（団体 ${tenant}）: ${(['linked', 'pending', 'error', 'deleted'] as const).map((k) => `${LINKAGE_LABELS[k]} ${counts[k]} 人`).join('、')}（計 ${counts.total} 人）`);
      if (rows.length) {
        print(`失敗した方（${failed.total} 人）`);
        print(table([['宛名番号', 'エラー', '試行回数', '次の再送'], ...failed.rows.map((f) => [f.atenaNo, f.error ?? '', f.attempts, f.nextRetryAt ? formatJst(f.nextRetryAt) : '再送しません'])]));
      }
    }
    return 0;
  });
}

/**
 * `mamori platform records --tenant CODE [--json]`: the download of PMH-18 — every record clinics registered
 * on the platform since the last pull, into the ledger (the server also does it in its background sync).
 * Prints `{"fetched","created","queued","unchanged"}` with --json; exit 3 when the platform could not be read
 * (what was written stays; the next run continues from there).
 */
export async function records(o: O): Promise<number> {
  return withMunicipality(o, async (app, orgs) => {
    const tenant = await tenantArg(app, o['tenant']);
    const who = operator(tenant, 'platform records');
    const r = await pullRecords(app, who, orgs.municipal);
    if (o['json']) printJson({ fetched: r.fetched, created: r.created, queued: r.queued, unchanged: r.unchanged });
    else print(`予防接種プラットフォームから接種記録を取り込みました: 受信 ${r.fetched} 件（登録 ${r.created} 件、確認待ち ${r.queued} 件、取込済み ${r.unchanged} 件）`);
    if (r.status === 'failed') {
      warn(`予防接種プラットフォームからの取込を最後まで行えませんでした: ${r.error ?? ''}（次の実行で続きから取り込みます）`);
      return 3;
    }
    return 0;
  });
}
