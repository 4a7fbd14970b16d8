// File intake screens shared by every batch file (住基 files, clinic record batches): an upload form with the
// run history, a background job page that refreshes until the report is ready, and the rejects CSV.
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { App } from '../../app/index.js';
import type { Principal } from '../../kernel/context/index.js';
import { listImportFailures, recordImportFailure, sheetRow, type IntakeReport } from '../../municipality/intake/index.js';
import { principalOf } from '../../kernel/http/index.js';
import { isProblem, type Problem } from '../../kernel/problems/index.js';
import { badge, button, dl, html, notice, page, section, select, table, when, type SafeHtml, doneBy, pager, pageRequest, within } from '../ui/index.js';
import { pageContext, sendPage } from './support.js';

/** What a finished intake reports (residents and records share it), with the label of its file kind. */
export type UploadReport = Omit<IntakeReport, 'kind'> & { readonly kindLabel: string };

export interface RunRow {
  readonly id: string;
  readonly kind: string;
  readonly fileName: string;
  readonly status: 'running' | 'completed';
  readonly rowsDone: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly queued: number;
  readonly startedBy: string;
  readonly startedAt: Date;
}

export interface UploadScreen {
  readonly base: string; // e.g. /residents/imports
  /** Failed imports of this screen are kept under this name (municipality.import_failures.family). */
  readonly family: string;
  readonly title: string;
  readonly fileLabel: string;
  readonly hint: SafeHtml | string;
  readonly extraFields?: SafeHtml;
  readonly guard: preHandlerHookHandler[];
  readonly kindLabel: (kind: string) => string;
  /** The newest `limit` runs. */
  listRuns(who: Principal, limit: number): Promise<RunRow[]>;
  run(who: Principal, file: string, fileName: string, fields: Readonly<Record<string, string>>, onProgress: (n: number) => void): Promise<UploadReport>;
  rejectsCsv(who: Principal, runId: string): Promise<string>;
  /** Where staff resolve queued rows. */
  readonly queueHref?: string;
}

interface Job {
  readonly tenant: string;
  status: 'running' | 'done' | 'failed';
  rowsDone: number;
  report?: UploadReport;
  problem?: Problem;
  readonly fileName: string;
}

const jobs = new Map<string, Job>();

/** Rows of 取込の記録 on one page, and how many of the newest can be paged through (two years of weekly files and more). */
const IMPORT_PAGE = 20;
const IMPORT_CAP = 200;

/** Why an import failed, for the job page and 取込の記録. */
function failureReason(p: Problem | undefined): string {
  if (!p) return 'システムエラーが発生しました。時間をおいてもう一度取り込み、続く場合はシステム管理者に連絡してください。';
  return `${p.title}：${p.detail ?? ''}`;
}

export function registerUploadScreen(fastify: FastifyInstance, app: App, s: UploadScreen): void {
  /** The upload form and 取込の記録 (runs and failed imports, newest first); `refusal` explains a refused submission. */
  const uploadPage = async (req: FastifyRequest, reply: FastifyReply, refusal?: string) => {
    const ctx = await pageContext(app, req, reply);
    const who = principalOf(req);
    // The newest IMPORT_CAP entries can be paged through; one more tells the pager there are older ones.
    const runs = await s.listRuns(who, IMPORT_CAP + 1);
    const failures = await listImportFailures(app.db, who, s.family, IMPORT_CAP + 1);
    const blank = ['', '', '', '', '', ''] as const;
    const history: { at: Date; cells: (SafeHtml | string | number)[] }[] = [
      ...runs.map((r) => ({
        at: r.startedAt,
        cells: [
          when(r.startedAt),
          r.fileName,
          s.kindLabel(r.kind),
          r.status === 'completed' ? (r.rejected ? badge('完了（誤りのある行あり）', 'warn') : badge('完了', 'ok')) : badge(`中断（${r.rowsDone}件目まで）`, 'warn'),
          r.accepted, r.created, r.updated, r.unchanged, r.queued, r.rejected,
          doneBy(r.startedBy),
          r.rejected ? html`<a href="${s.base}/${r.id}/rejects.csv">誤りの一覧CSV</a>` : '',
        ],
      })),
      ...failures.map((f) => ({
        at: f.failedAt,
        cells: [when(f.failedAt), f.fileName, '—', html`${badge('失敗', 'bad')}<br><small>${f.reason}</small>`, ...blank, doneBy(f.failedBy), ''],
      })),
    ]
      .sort((a, b) => b.at.getTime() - a.at.getTime())
      .slice(0, IMPORT_CAP + 1);
    // Years of weekly and monthly files: 取込の記録 pages like every other list, with its total.
    const at = within(pageRequest(req.query as Record<string, unknown>, IMPORT_PAGE, IMPORT_CAP), history.length, IMPORT_CAP);
    const shown = history.slice(at.offset, at.offset + at.pageSize);
    return sendPage(
      reply,
      page(
        ctx,
        s.title,
        html`
${refusal ? notice(refusal, 'error') : ''}
${section(
  'ファイルを選んで取り込む',
  html`<form method="post" action="${s.base}" enctype="multipart/form-data" novalidate>
  <input type="hidden" name="_csrf" value="${ctx.csrf}">
  <div class="field"><label for="f-file">${s.fileLabel}<span class="req">必須</span></label>
  <p class="hint">${s.hint}</p>
  <input id="f-file" type="file" name="file" accept=".csv,text/csv" required${refusal ? html` aria-invalid="true"` : ''}></div>
  ${select({ label: '文字コード', name: 'encoding', options: [['auto', '自動判定'], ['utf8', 'UTF-8'], ['sjis', 'Shift_JIS']] })}
  ${s.extraFields ?? ''}
  ${button('取り込む')}
</form>`,
)}
${section(
  '取込の記録',
  html`${history.length ? pager({ total: history.length, request: at, shown: shown.length, path: s.base, filters: {}, cap: IMPORT_CAP, order: '新しい順' }) : ''}${table(
    ['開始', 'ファイル', '様式', '状態', '受付', '新規', '更新', '変更なし', '確認待ち', '誤り', '実施者', ''],
    shown.map((h) => h.cells),
    { empty: 'まだ取り込んでいません。' },
  )}`,
)}`,
      ),
      refusal ? 400 : 200,
    );
  };

  fastify.get(s.base, { preHandler: s.guard }, async (req, reply) => uploadPage(req, reply));

  fastify.post(s.base, { preHandler: s.guard }, async (req, reply) => {
    const tmp = mkdtempSync(join(tmpdir(), 'mamori-upload-'));
    const path = join(tmp, 'upload.csv');
    const fieldsIn: Record<string, string> = {};
    let fileName = 'upload.csv';
    let gotFile = false;
    try {
      for await (const part of req.parts({ limits: { fileSize: 2 * 1024 ** 3, files: 1 } })) {
        if (part.type === 'file' && !part.filename) {
          for await (const _ of part.file) void _; // no file chosen: the browser sent an empty, nameless part
        } else if (part.type === 'file') {
          fileName = part.filename.replace(/[^\p{L}\p{N}._ -]/gu, '_').slice(0, 100) || 'upload.csv';
          await pipeline(part.file, createWriteStream(path, { mode: 0o600 }));
          gotFile = true;
        } else fieldsIn[part.fieldname] = String(part.value);
      }
      // The CSRF token travels as a field of the multipart body: check it with the plugin's own verifier.
      req.body = { _csrf: fieldsIn['_csrf'] ?? '' };
      await new Promise<void>((resolve, reject) => fastify.csrfProtection.call(fastify, req, reply, (err?: Error) => (err ? reject(err) : resolve())));
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    // An empty submission is refused here, before a job starts: no file chosen (browsers then send an empty
    // part without a name) or a file of 0 bytes.
    const size = gotFile ? statSync(path).size : 0;
    if (!gotFile || size === 0) {
      rmSync(tmp, { recursive: true, force: true });
      const named = gotFile && fileName !== 'upload.csv';
      return uploadPage(req, reply, named ? `${fileName} は空のファイル（0バイト）です。取り込むファイルを確認して、もう一度選んでください。` : 'ファイルが選ばれていません。取り込むファイルを選んでから「取り込む」を押してください。');
    }
    const id = randomUUID();
    const who = principalOf(req);
    const job: Job = { tenant: who.tenant, status: 'running', rowsDone: 0, fileName };
    jobs.set(id, job);
    void s
      .run(who, path, fileName, fieldsIn, (n) => (job.rowsDone = n))
      .then((r) => {
        job.report = r;
        job.status = 'done';
      })
      .catch(async (e: unknown) => {
        if (isProblem(e)) job.problem = e;
        else req.log.error({ err: e }, 'import failed');
        // 取込の記録 shows the failure with its reason (the job itself lives only in this process).
        await recordImportFailure(app.db, who, { family: s.family, fileName, reason: failureReason(job.problem) }).catch((err: unknown) => req.log.error({ err }, 'could not record the failed import'));
        job.status = 'failed';
      })
      .finally(() => rmSync(tmp, { recursive: true, force: true }));
    return reply.redirect(`${s.base}/jobs/${id}`);
  });

  fastify.get(`${s.base}/jobs/:id`, { preHandler: s.guard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const job = jobs.get((req.params as { id: string }).id);
    if (!job || job.tenant !== req.session!.tenant) return sendPage(reply, page(ctx, '見つかりません', html`<p>この取込は見つかりません（サーバーの再起動後は <a href="${s.base}">取込の記録</a> をご覧ください）。</p>`), 404);
    if (job.status === 'running') {
      reply.header('refresh', '2');
      return sendPage(reply, page(ctx, '取込中', html`<p>${job.fileName} を取り込んでいます… ${job.rowsDone} 行を処理しました。この画面は自動で更新されます。</p>`));
    }
    if (job.status === 'failed') {
      return sendPage(reply, page(ctx, '取り込めませんでした', html`${notice(failureReason(job.problem), 'error')}
${job.problem?.errors.length ? table(['列', '内容'], job.problem.errors.map((e) => [e.field, e.message])) : ''}
<p>${job.problem && job.problem.status < 500 ? 'ファイルは取り込んでいません（一部だけ書き込まれることはありません）。' : '途中まで取り込んだ行は保存されています。同じファイルをもう一度取り込むと、続きから再開します。'}この失敗は<a href="${s.base}">取込の記録</a>に残ります。</p>`));
    }
    const r = job.report!;
    return sendPage(
      reply,
      page(
        ctx,
        '取込の結果',
        html`${r.alreadyImported
  ? notice(`このファイルは取込済みです。変更はありません。${r.rejected ? `（前回の取込で ${r.rejected} 件の行に誤りがありました）` : ''}`, r.rejected ? 'warning' : 'info')
  : r.rejected
    ? notice(`取り込みましたが、${r.rejected} 件の行に誤りがあります。誤りのある行は取り込んでいません。下の一覧で確認し、直した行だけのファイルで取り込んでください。`, 'warning')
    : notice(r.resumedFromRow ? `中断していた取込を ${sheetRow(r.resumedFromRow)} 行目の後から再開して、取り込みました。` : '取り込みました。', 'success')}
${!r.alreadyImported && r.rejected && r.resumedFromRow ? html`<p>中断していた取込を ${sheetRow(r.resumedFromRow)} 行目の後から再開しました。</p>` : ''}
${dl([
  ['ファイル', `${r.fileName}（${r.kindLabel}、${r.encoding === 'sjis' ? 'Shift_JIS' : 'UTF-8'}、${r.rows}件）`],
  ['受付', r.accepted],
  ['新規', r.created],
  ['更新', r.updated],
  ['変更なし', r.unchanged],
  ['確認待ち（照合）', r.queued ? html`${r.queued}${s.queueHref ? html`（<a href="${s.queueHref}">確認待ちの一覧</a>）` : ''}` : 0],
  ['誤りのある行', r.rejected],
])}
${r.rejected ? html`<p><a class="btn btn--secondary" href="${s.base}/${r.runId}/rejects.csv">誤りのある行の一覧をダウンロード（CSV）</a></p>${table(['行（表計算ソフトの行番号）', '列', '理由'], r.rejects.map((x) => [`${sheetRow(x.rowNo)}行目`, x.field, x.message]), { caption: r.rejects.length < r.rejected ? `先頭 ${r.rejects.length} 件` : '見出しが1行目、最初のデータが2行目です' })}` : ''}
<p><a href="${s.base}">取込画面へ戻る</a></p>`,
      ),
    );
  });

  fastify.get(`${s.base}/:runId/rejects.csv`, { preHandler: s.guard }, async (req: FastifyRequest, reply) => {
    const csv = await s.rejectsCsv(principalOf(req), (req.params as { runId: string }).runId);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="rejects.csv"').send(csv);
  });
}
