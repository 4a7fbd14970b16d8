// File intake screens shared by every batch file (住基 files, clinic record batches): an upload form with the
// run history, a background job page that refreshes until the report is ready, and the rejects CSV.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { App } from '../../app/index.js';
import type { Principal } from '../../kernel/context/index.js';
import type { IntakeReport } from '../../municipality/intake/index.js';
import { principalOf } from '../../kernel/http/index.js';
import { isProblem, type Problem } from '../../kernel/problems/index.js';
import { badge, button, dl, html, notice, page, section, select, table, when, type SafeHtml } from '../ui/index.js';
import { pageContext, sendPage, setFlash } from './support.js';

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
  readonly title: string;
  readonly fileLabel: string;
  readonly hint: SafeHtml | string;
  readonly extraFields?: SafeHtml;
  readonly guard: preHandlerHookHandler[];
  readonly kindLabel: (kind: string) => string;
  listRuns(who: Principal): Promise<RunRow[]>;
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

export function registerUploadScreen(fastify: FastifyInstance, app: App, s: UploadScreen): void {
  fastify.get(s.base, { preHandler: s.guard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const runs = await s.listRuns(principalOf(req));
    return sendPage(
      reply,
      page(
        ctx,
        s.title,
        html`
${section(
  'ファイルを選んで取り込む',
  html`<form method="post" action="${s.base}" enctype="multipart/form-data" novalidate>
  <input type="hidden" name="_csrf" value="${ctx.csrf}">
  <div class="field"><label for="f-file">${s.fileLabel}<span class="req">必須</span></label>
  <p class="hint">${s.hint}</p>
  <input id="f-file" type="file" name="file" accept=".csv,text/csv" required></div>
  ${select({ label: '文字コード', name: 'encoding', options: [['auto', '自動判定'], ['utf8', 'UTF-8'], ['sjis', 'Shift_JIS']] })}
  ${s.extraFields ?? ''}
  ${button('取り込む')}
</form>`,
)}
${section(
  '取込の記録',
  table(
    ['開始', 'ファイル', '様式', '状態', '受付', '新規', '更新', '変更なし', '確認待ち', '不備', '実施者', ''],
    runs.map((r) => [
      when(r.startedAt),
      r.fileName,
      s.kindLabel(r.kind),
      r.status === 'completed' ? badge('完了', 'ok') : badge(`中断（${r.rowsDone}行まで）`, 'warn'),
      r.accepted, r.created, r.updated, r.unchanged, r.queued, r.rejected,
      r.startedBy,
      r.rejected ? html`<a href="${s.base}/${r.id}/rejects.csv">不備一覧CSV</a>` : '',
    ]),
  ),
)}`,
      ),
    );
  });

  fastify.post(s.base, { preHandler: s.guard }, async (req, reply) => {
    const tmp = mkdtempSync(join(tmpdir(), 'mamori-upload-'));
    const path = join(tmp, 'upload.csv');
    const fieldsIn: Record<string, string> = {};
    let fileName = 'upload.csv';
    let gotFile = false;
    try {
      for await (const part of req.parts({ limits: { fileSize: 2 * 1024 ** 3, files: 1 } })) {
        if (part.type === 'file') {
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
    if (!gotFile) {
      rmSync(tmp, { recursive: true, force: true });
      setFlash(reply, 'ファイルを選んでください。');
      return reply.redirect(s.base);
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
      .catch((e: unknown) => {
        job.status = 'failed';
        if (isProblem(e)) job.problem = e;
        else req.log.error({ err: e }, 'import failed');
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
      return sendPage(reply, page(ctx, '取り込めませんでした', html`${notice(job.problem ? `${job.problem.title}: ${job.problem.detail ?? ''}` : 'システムエラーが発生しました。', 'error')}
${job.problem?.errors.length ? table(['列', '内容'], job.problem.errors.map((e) => [e.field, e.message])) : ''}
<p>ファイルは取り込んでいません（一部だけ書き込まれることはありません）。<a href="${s.base}">取込画面へ</a></p>`));
    }
    const r = job.report!;
    return sendPage(
      reply,
      page(
        ctx,
        '取込の結果',
        html`${notice(r.alreadyImported ? 'このファイルは取込済みです。変更はありません。' : r.resumedFromRow ? `中断していた取込を ${r.resumedFromRow} 行目の後から再開して完了しました。` : '取り込みました。', 'success')}
${dl([
  ['ファイル', `${r.fileName}（${r.kindLabel}、${r.encoding === 'sjis' ? 'Shift_JIS' : 'UTF-8'}、${r.rows}行）`],
  ['受付', r.accepted],
  ['新規', r.created],
  ['更新', r.updated],
  ['変更なし', r.unchanged],
  ['確認待ち（照合）', r.queued ? html`${r.queued}${s.queueHref ? html`（<a href="${s.queueHref}">確認待ちの一覧</a>）` : ''}` : 0],
  ['不備', r.rejected],
])}
${r.rejected ? html`<p><a class="btn btn--secondary" href="${s.base}/${r.runId}/rejects.csv">不備の一覧をダウンロード（CSV）</a></p>${table(['行', '列', '理由', 'コード'], r.rejects.map((x) => [x.rowNo, x.field, x.message, x.code]), { caption: r.rejected > r.rejects.length ? `先頭 ${r.rejects.length} 件` : undefined })}` : ''}
<p><a href="${s.base}">取込画面へ戻る</a></p>`,
      ),
    );
  });

  fastify.get(`${s.base}/:runId/rejects.csv`, { preHandler: s.guard }, async (req: FastifyRequest, reply) => {
    const csv = await s.rejectsCsv(principalOf(req), (req.params as { runId: string }).runId);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="rejects.csv"').send(csv);
  });
}
