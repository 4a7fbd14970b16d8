// `mamori extract …` (docs/formats/extraction-cli.md): start an extraction run, resume an interrupted one,
// list runs, show a run (and its members by 宛名番号).  Results on stdout (human table or --json); progress
// and diagnostics on stderr, never personal data.
import { withApp, operator, tenantArg } from '../context.js';
import { print, printJson, table, warn } from '../io.js';
import type { App } from '../../app/index.js';
import { runAs } from '../../kernel/context/index.js';
import { invalidField, notFound } from '../../kernel/problems/index.js';
import {
  EXCLUSION_LABELS,
  KIND_LABELS,
  getExtractionRun,
  iterateRunMembers,
  listExtractionRuns,
  resumeExtraction,
  startExtraction,
  type ExtractionResult,
  type ExtractionRunView,
  type RunMember,
} from '../../municipality/extraction/index.js';

type O = Record<string, unknown> & { data?: string };

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);

/** The tenant of --tenant, or (for a run id) the tenant that owns the run. */
async function tenantFor(app: App, o: O, runId?: string): Promise<string> {
  if (o['tenant'] !== undefined || !runId) return tenantArg(app, o['tenant']);
  if (!/^[0-9a-f-]{36}$/i.test(runId)) throw invalidField('run', 'RUN_ID', '抽出IDは UUID です');
  const r = await app.db.system.selectFrom('municipality.extraction_runs').select('tenant_code').where('id', '=', runId).executeTakeFirst();
  if (!r) throw notFound('抽出');
  return r.tenant_code;
}

function summary(r: ExtractionRunView, extra: { resumedAfter?: string | null } = {}) {
  return {
    runId: r.id,
    status: r.status,
    kind: r.kind,
    asOf: r.asOf,
    programs: r.programs,
    all: r.all,
    filters: r.filters,
    catalogVersion: r.catalogVersion,
    counts: r.counts,
    contentHash: r.contentHash,
    diff: r.diff,
    chunksDone: r.chunksDone,
    resumed: r.resumed,
    ...(extra.resumedAfter !== undefined ? { resumedAfter: extra.resumedAfter } : {}),
    createdAt: r.createdAt,
    createdBy: r.createdBy,
    completedAt: r.completedAt,
    error: r.error,
  };
}

function printRun(r: ExtractionRunView): void {
  const f = r.filters;
  print(`抽出ID ${r.id}（${KIND_LABELS[r.kind]}、基準日 ${r.asOf}、状態 ${r.status === 'complete' ? '完了' : r.status === 'running' ? '実行中・中断' : '失敗'}）`);
  print(`予防接種: ${r.all ? 'すべて' : ''}${r.programs.join(', ')}`);
  const fs = [f.birthFrom || f.birthTo ? `生年月日 ${f.birthFrom ?? ''}〜${f.birthTo ?? ''}` : '', f.districts.length ? `地区 ${f.districts.join(',')}` : '', f.fiscalYear ? `${f.fiscalYear}年度` : ''].filter(Boolean);
  if (fs.length) print(`条件: ${fs.join('、')}`);
  print(`カタログ ${r.catalogVersion}`);
  const c = r.counts;
  print(`住民 ${c.persons} 人を確認、判定 ${c.evaluated} 人、対象 ${c.memberPersons} 人（${c.members} 件、うち支援措置 ${c.protectedPersons} 人）`);
  const ex = Object.entries(c.excluded).filter(([, n]) => n > 0);
  if (ex.length) print(`除外: ${ex.map(([k, n]) => `${EXCLUSION_LABELS[k as keyof typeof EXCLUSION_LABELS]} ${n}`).join('、')}`);
  print(
    table([
      ['予防接種', '対象', '標準期間超過', '接種時期', 'これから', '完了', '期間終了', '対象外', '年齢が期間外'],
      ...Object.entries(c.byProgram).map(([p, x]) => [p, x.members, x.late, x.due, x.upcoming, x.complete, x.missed, x.notEligible, x.outOfRange ?? 0]),
    ]),
  );
  if (r.contentHash) print(`内容ハッシュ（SHA-256） ${r.contentHash}`);
  if (r.diff) print(`前回（${r.diff.previousAsOf}、${r.diff.previousRunId}）との差: 新たに対象 ${r.diff.addedPersons} 人（${r.diff.added} 件）、対象外になった ${r.diff.droppedPersons} 人（${r.diff.dropped} 件）`);
  else if (r.status === 'complete') print('前回の同じ条件の抽出はありません（差分なし）。');
  if (r.status !== 'complete') print(`再開: mamori extract --resume ${r.id}${r.error ? `（${r.error}）` : ''}`);
}

function progress(o: O) {
  return o['json'] ? undefined : (p: { chunksDone: number; persons: number; personsEstimate: number }) => process.stderr.write(`\r${p.persons} 人を処理しました（${p.personsEstimate} 人中、${p.chunksDone} 区切り）`);
}

function report(o: O, r: ExtractionResult): number {
  if (!o['json']) process.stderr.write('\n');
  if (o['json']) printJson(summary(r.run, { resumedAfter: r.resumedAfter }));
  else {
    if (r.resumedAfter) print(`中断していた抽出を宛名番号 ${r.resumedAfter} の後から再開しました。`);
    printRun(r.run);
  }
  return r.run.status === 'complete' ? 0 : 1;
}

/** `mamori extract --tenant CODE (--program P …|--all) --as-of DATE …` and `mamori extract --resume RUN`. */
export async function run(o: O): Promise<number> {
  return withApp(o, async (app) => {
    if (o['resume']) {
      const runId = String(o['resume']);
      const tenant = await tenantFor(app, o, runId);
      const onProgress = progress(o);
      return report(o, await resumeExtraction(app.db, operator(tenant, 'extract --resume'), runId, onProgress ? { onProgress } : {}));
    }
    if (!o['asOf']) throw invalidField('as-of', 'REQUIRED', '基準日 --as-of YYYY-MM-DD を指定してください');
    const tenant = await tenantFor(app, o);
    const input = {
      kind: o['kind'] ?? 'targets',
      all: !!o['all'],
      programs: list(o['program']),
      asOf: String(o['asOf']),
      birthFrom: o['birthFrom'] ? String(o['birthFrom']) : null,
      birthTo: o['birthTo'] ? String(o['birthTo']) : null,
      districts: list(o['district']),
      fiscalYear: o['fiscalYear'] !== undefined ? String(o['fiscalYear']) : null,
      ...(o['chunk'] !== undefined ? { chunkSize: String(o['chunk']) } : {}),
    };
    if (input.all && input.programs.length) throw invalidField('program', 'CONFLICT', '--program と --all は同時に指定できません');
    const onProgress = progress(o);
    return report(o, await startExtraction(app.db, operator(tenant, 'extract'), input, onProgress ? { onProgress } : {}));
  });
}

/** `mamori extract list --tenant CODE [--json]` */
export async function listRuns(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantFor(app, o);
    const runs = await runAs(app.db, operator(tenant, 'extract list'), (w) => listExtractionRuns(w, { limit: o['limit'] ? Number(o['limit']) : 50 }));
    if (o['json']) printJson(runs.map((r) => summary(r)));
    else {
      print(
        table([
          ['抽出ID', '種類', '基準日', '状態', '予防接種', '対象（人）', '件数', '作成', '作成者'],
          ...runs.map((r) => [r.id, r.kind, r.asOf, r.status, r.all ? 'すべて' : r.programs.join(','), r.counts.memberPersons, r.counts.members, r.createdAt, r.createdBy]),
        ]),
      );
      if (!runs.length) warn('抽出はまだありません。');
    }
    return 0;
  });
}

const memberJson = (m: RunMember) => ({ atenaNo: m.atenaNo, program: m.program, dose: m.dose, status: m.status, late: m.late, earliest: m.earliest, latest: m.latest, standardFrom: m.standardFrom, standardUntil: m.standardUntil, protected: m.protected });

/** `mamori extract show RUN [--members] [--program P] [--json]`: members by 宛名番号 only (no names, no addresses). */
export async function show(o: O, args: string[]): Promise<number> {
  return withApp(o, async (app) => {
    const runId = args[0] ?? '';
    const tenant = await tenantFor(app, o, runId);
    const who = operator(tenant, 'extract show');
    const r = await runAs(app.db, who, (w) => getExtractionRun(w, runId));
    if (!o['members']) {
      if (o['json']) printJson(summary(r));
      else printRun(r);
      return 0;
    }
    const program = o['program'] ? String(o['program']) : undefined;
    const members: ReturnType<typeof memberJson>[] = [];
    await runAs(app.db, who, async (w) => {
      for await (const batch of iterateRunMembers(w, runId, { batch: 5000, ...(program ? { program } : {}) })) for (const m of batch) members.push(memberJson(m));
    });
    if (o['json']) printJson({ ...summary(r), members });
    else {
      printRun(r);
      print(
        table([
          ['宛名番号', '予防接種', '回', '状況', '接種できる期間', '標準的な期間', '送付'],
          ...members.map((m) => [m.atenaNo, m.program, m.dose, m.status + (m.late ? '（標準期間超過）' : ''), `${m.earliest ?? ''}〜${m.latest ?? ''}`, `${m.standardFrom ?? ''}〜${m.standardUntil ?? ''}`, m.protected ? '郵送不可（支援措置）' : '']),
        ]),
      );
    }
    return 0;
  });
}
