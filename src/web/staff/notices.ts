// Notices and vouchers screens (issue 5 points 2 and 3): documents from an extraction run, the batch page
// (counts, PDF, 発送, the contractor's encrypted package), a person's print history with one-off documents,
// 再発行 (search by 接種券番号・整理番号 or 宛名番号 → identity check and reason → new PDF), 返送 by scanner with
// the follow-up list, wording templates with versions and preview, and the hand-over ledger (受渡管理簿).
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { principalOf, work } from '../../kernel/http/index.js';
import { runAs } from '../../kernel/context/index.js';
import { isProblem, type Problem } from '../../kernel/problems/index.js';
import { formatJst, formatWareki, addDaysIso } from '../../kernel/jp/index.js';
import { DOCUMENT_TYPE_LABELS, DOCUMENT_TYPES, formatVoucherNumber, placeholdersFor, type DocumentType } from '../../municipality/documents/index.js';
import { KIND_LABELS, listExtractionRuns } from '../../municipality/extraction/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import { getPerson } from '../../municipality/residents/index.js';
import {
  batchItems,
  closeHandover,
  confirmReceipt,
  createBatchFromRun,
  findItem,
  generatePackagePassword,
  getBatch,
  getHandover,
  getItem,
  getNoticeSettings,
  getMailingLeadDays,
  DEFAULT_MAILING_LEAD_DAYS,
  HANDOVER_STATUS_LABELS,
  IDENTITY_CHECKS,
  issueForPerson,
  listBatches,
  listFollowUps,
  listHandovers,
  listTemplateVersions,
  markDispatched,
  markReturned,
  mayNotices,
  MEDIA,
  PART_LABELS,
  personNoticeHistory,
  planBatchPdf,
  previewTemplate,
  reissue,
  renderItemPdf,
  requireNotices,
  resolveFollowUp,
  RETURN_METHODS,
  RETURN_REASONS,
  RUN_DOC_TYPES,
  saveNoticeSettings,
  saveTemplateVersion,
  skipLabel,
  writeBatchPdf,
  writeContractorPackage,
  type BatchPart,
  type ItemView,
  type NoticeDeps,
  type TemplateEdit,
} from '../../municipality/notices/index.js';
import { badge, button, checkbox, csrfField, dl, errorSummary, field, html, notice, page, section, select, table, textarea, when, type FormState, type SafeHtml, doneBy, queryEnum, queryInt, queryOf } from '../ui/index.js';
import { attempt, formState, needLogin, one, problemText, pageContext, sendPage, setFlash, personHeader, type Form } from './support.js';
import { addRunDetailSection } from './extractions.js';

const STATUS_TONE = { active: 'ok', void: 'muted' } as const;
const SHORT_LABELS: Readonly<Record<DocumentType, string>> = { questionnaire: '予診票（接種券）', guidance: '案内通知', reminder: '勧奨通知', request: '予防接種依頼書' };

function numberText(it: ItemView): string {
  return it.voucherNo ? formatVoucherNumber(it.voucherNo) : '—';
}

function itemStatus(it: ItemView): SafeHtml {
  return html`${it.status === 'void' ? badge(`無効（${it.voidReason ?? ''}）`, STATUS_TONE.void) : badge('有効', STATUS_TONE.active)}${it.returnedOn ? html` ${badge(`返送 ${it.returnedOn}（${it.returnReason ?? ''}）`, it.followUp === 'open' ? 'bad' : 'warn')}` : ''}`;
}

/** Paragraphs: separated by a blank line; a single line break inside a paragraph is kept. */
function paragraphs(v: string | undefined): string[] {
  return (v ?? '')
    .replace(/\r\n/g, '\n')
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+$/, '').replace(/^\n+/, ''))
    .filter((p) => p.trim() !== '');
}

function lines(v: string | undefined): string[] {
  return (v ?? '')
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function sendPdf(reply: FastifyReply, bytes: Uint8Array, fileName: string): FastifyReply {
  return reply.type('application/pdf').header('content-disposition', `attachment; filename="${fileName}"`).header('cache-control', 'no-store').send(Buffer.from(bytes));
}

/** A stream a domain writer fills with backpressure, sent as the response body. */
function streamSink(): { stream: PassThrough; sink: { write(c: Uint8Array): Promise<void> } } {
  const stream = new PassThrough();
  return {
    stream,
    sink: {
      write: (c) =>
        new Promise<void>((resolve, reject) => {
          if (stream.destroyed) return reject(new Error('client closed the download'));
          if (stream.write(c)) resolve();
          else stream.once('drain', resolve);
        }),
    },
  };
}

interface BatchJob {
  readonly tenant: string;
  status: 'running' | 'done' | 'failed';
  batchId?: string;
  created?: boolean;
  problem?: Problem | undefined;
}

const batchJobs = new Map<string, BatchJob>();

let runSectionAdded = false;

/** 「通知書を作成」 on a complete extraction run's page, with the batches already made from it. */
function addRunSection(): void {
  if (runSectionAdded) return;
  runSectionAdded = true;
  addRunDetailSection(async ({ app, req, run, csrf }) => {
    if (run.status !== 'complete' || !mayNotices({ actor: req.session!.actor }, 'personal.read')) return html``;
    const made = await work(app.db, req, (w) => listBatches(w, { runId: run.id }));
    const { catalog } = await work(app.db, req, (w) => catalogFor(w));
    const name = (c: string) => catalog.programsByCode.get(c)?.at(-1)?.name ?? c;
    const mayWrite = mayNotices({ actor: req.session!.actor }, 'personal.write');
    return section(
      '通知書を作成',
      html`${made.length ? table(['作成', '文書', '人数', '郵送', '窓口交付', ''], made.map((b) => [when(b.createdAt), b.docLabel, b.persons, b.mailed, b.counter, html`<a href="/notices/batches/${b.id}">開く</a>`])) : html`<p>この抽出からはまだ作成していません。</p>`}
${mayWrite
  ? html`<form method="post" action="/notices/batches" novalidate>${csrfField(csrf)}<input type="hidden" name="runId" value="${run.id}">
  ${select({ label: '文書', name: 'docType', options: RUN_DOC_TYPES.map((d) => [d, DOCUMENT_TYPE_LABELS[d]] as [string, string]), value: run.kind === 'unvaccinated' ? 'reminder' : 'questionnaire' })}
  ${select({ label: '予防接種', name: 'program', options: [['', 'すべて（抽出のとおり）'], ...run.programs.map((p) => [p, name(p)] as [string, string])] })}
  ${field({ label: '発行日', name: 'issueDate', type: 'date', value: app.config.clock.today() })}
  ${button('通知書を作成')}
</form>`
  : ''}`,
    );
  });
}

export function registerNoticePages(fastify: FastifyInstance, app: App): void {
  const deps: NoticeDeps = { keys: app.tenantKeys };
  addRunSection();
  const guard = (permission: 'personal.read' | 'personal.write' | 'personal.export') => [
    needLogin,
    async (req: FastifyRequest) => work(app.db, req, async (w) => requireNotices(w, permission)),
  ];
  const read = guard('personal.read');
  const write = guard('personal.write');
  const exportGuard = guard('personal.export');
  const may = (req: FastifyRequest, p: 'personal.write' | 'personal.export') => mayNotices({ actor: req.session!.actor }, p);

  // -------------------------------------------------------------- hub: batches and new batch from a run
  const hub = async (req: FastifyRequest, csrf: string, state?: FormState): Promise<SafeHtml> => {
    const q = req.query as Record<string, string | undefined>;
    const batches = await work(app.db, req, (w) => listBatches(w, { limit: 50 }));
    const runs = may(req, 'personal.write') ? await work(app.db, req, (w) => listExtractionRuns(w, { status: 'complete', limit: 20 })) : [];
    const { catalog } = await work(app.db, req, (w) => catalogFor(w));
    const settings = await work(app.db, req, (w) => getNoticeSettings(w));
    const programName = (c: string) => catalog.programsByCode.get(c)?.at(-1)?.name ?? c;
    return html`
<div class="actions">
  <a class="btn btn--secondary" href="/notices/reissue">再発行</a>
  <a class="btn btn--secondary" href="/notices/returns">返送の登録</a>
  <a class="btn btn--secondary" href="/notices/follow-ups">返送の対応待ち</a>
  <a class="btn btn--secondary" href="/notices/handovers">受渡管理簿</a>
  <a class="btn btn--secondary" href="/notices/templates">文面と差出人の管理</a>
</div>
${!settings ? notice(html`差出人（首長名・担当課・電話番号）が未設定です。<a href="/notices/templates">文面と差出人の管理</a>で設定してから作成してください。`, 'warning') : ''}
${may(req, 'personal.write')
  ? section(
      '抽出から通知書を作成',
      runs.length
        ? html`${errorSummary(state)}<form method="post" action="/notices/batches" novalidate>${csrfField(csrf)}
  ${select({ label: '抽出', name: 'runId', required: true, value: q['runId'] ?? '', options: runs.map((r) => [r.id, `${formatWareki(r.asOf)}現在 ${KIND_LABELS[r.kind]}（${r.programs.map(programName).join('・')}、${r.counts.memberPersons}人）`] as [string, string]) }, state)}
  ${select({ label: '文書', name: 'docType', required: true, options: RUN_DOC_TYPES.map((d) => [d, DOCUMENT_TYPE_LABELS[d]] as [string, string]) }, state)}
  ${select({ label: '予防接種', name: 'program', hint: '抽出の一部の予防接種だけを作成する場合に選びます。', options: [['', 'すべて（抽出のとおり）'], ...catalog.programCodes.map((c) => [c, programName(c)] as [string, string])] }, state)}
  ${field({ label: '発行日', name: 'issueDate', type: 'date', value: app.config.clock.today() }, state)}
  <p class="hint">接種券番号は年度ごとの連番で採番します。支援措置の対象者は郵送せず窓口交付になります。同じ抽出・文書・予防接種で作成済みの場合は、その記録を開きます。</p>
  ${button('通知書を作成する')}
</form>`
        : html`<p>完了した抽出がありません。<a href="/extractions">対象者の抽出</a>を先に行ってください。</p>`,
    )
  : ''}
${section(
  '作成した通知書',
  table(
    ['作成', '文書', '内容', '発行日', '人数', '郵送', '窓口交付', '発送日', '作成者'],
    batches.map((b) => [when(b.createdAt), b.docLabel, html`<a href="/notices/batches/${b.id}">${b.title}</a>`, b.issueDate, b.persons, b.mailed, b.counter, b.dispatchedOn ?? '—', doneBy(b.createdBy)]),
    { empty: 'まだ作成していません。' },
  ),
)}`;
  };

  fastify.get('/notices', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '通知書・接種券', await hub(req, ctx.csrf)));
  });

  // Creating a large batch takes a while (≈ 1 minute for 100,000 persons): the request waits a few seconds,
  // then the work goes on in the background and a page that refreshes itself shows when it is done.  The
  // creation is one transaction and idempotent, so asking again after a restart is safe.
  fastify.post('/notices/batches', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const who = principalOf(req);
    const job: BatchJob = { tenant: who.tenant, status: 'running' };
    const running = runAs(app.db, who, (w) =>
      createBatchFromRun(w, deps, { runId: one(b['runId']) ?? '', docType: (one(b['docType']) ?? '') as 'questionnaire', ...(one(b['program']) ? { program: one(b['program'])! } : {}), ...(one(b['issueDate']) ? { issueDate: one(b['issueDate'])! } : {}) }),
    ).then(
      (r) => Object.assign(job, { status: 'done', batchId: r.batchId, created: r.created }),
      (e: unknown) => {
        if (!isProblem(e)) req.log.error({ err: e }, 'notice batch failed');
        return Object.assign(job, { status: 'failed', problem: isProblem(e) ? e : undefined });
      },
    );
    await Promise.race([running, new Promise((r) => setTimeout(r, 3000))]);
    if (job.status === 'done') {
      setFlash(reply, job.created ? '通知書を作成しました。' : 'この抽出・文書の通知書は作成済みです（同じ番号のまま開きました）。');
      return reply.redirect(`/notices/batches/${job.batchId}`);
    }
    if (job.status === 'failed' && job.problem && job.problem.status < 500 && job.problem.status !== 403) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '通知書・接種券', await hub(req, ctx.csrf, formState(b, job.problem))), job.problem.status);
    }
    if (job.status === 'failed') throw job.problem ?? new Error('notice batch failed');
    const id = randomUUID();
    batchJobs.set(id, job);
    return reply.redirect(`/notices/jobs/${id}`);
  });

  fastify.get('/notices/jobs/:id', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const job = batchJobs.get((req.params as { id: string }).id);
    if (!job || job.tenant !== req.session!.tenant) return sendPage(reply, page(ctx, '見つかりません', html`<p>この作成処理は見つかりません（サーバーの再起動後は、もう一度「通知書を作成」してください。作成済みなら同じ記録を開きます）。</p>`), 404);
    if (job.status === 'done') return reply.redirect(`/notices/batches/${job.batchId}`);
    if (job.status === 'failed') return sendPage(reply, page(ctx, '作成できませんでした', html`${notice(job.problem ? `${job.problem.title}: ${job.problem.detail ?? ''}` : 'システムエラーが発生しました。', 'error')}<p>番号は採番していません（途中まで作成されることはありません）。<a href="/notices">通知書・接種券へ</a></p>`));
    reply.header('refresh', '2');
    return sendPage(reply, page(ctx, '作成中', html`<p>通知書を作成しています（10万人で1分ほどかかります）。この画面は自動で更新されます。</p>`));
  });

  // -------------------------------------------------------------- batch page
  const batchPage = async (req: FastifyRequest, csrf: string, state?: FormState, action?: string): Promise<SafeHtml> => {
    const id = (req.params as { id: string }).id;
    // Decision 0133: the position is a whole number (an item's 連番, int in the database) or a 400 naming it.
    const after = queryInt(queryOf(req), 'after', '表示の開始位置', { min: 0, max: 2_147_483_647 }) ?? 0;
    const b = await work(app.db, req, (w) => getBatch(w, id));
    const items = await work(app.db, req, (w) => batchItems(w, id, { after, limit: 100 }));
    const handovers = (await work(app.db, req, (w) => listHandovers(w))).filter((h) => h.batchId === id);
    const st = (a: string) => (action === a ? state : undefined);
    const skipped = Object.entries(b.skippedDetail).filter(([, n]) => n > 0);
    return html`
<p><a href="/notices">← 通知書・接種券</a></p>
${section(
  b.title,
  dl([
    ['文書', `${b.docLabel}（文面 第${b.templateVersion}版）`],
    ['発行日', `${formatWareki(b.issueDate)}（${b.issueDate}）`],
    ['人数', `${b.persons}人（郵送 ${b.mailed}人・窓口交付 ${b.counter}人）`],
    ['作成しなかった人', skipped.length ? skipped.map(([k, n]) => `${skipLabel(k)} ${n}人`).join('、') : 'なし'],
    ...(b.mailingLeadDays !== null ? ([['郵送日数', `${b.mailingLeadDays}日（接種できる期間が発行日から${b.mailingLeadDays}日以内に終わる方には郵送しません）`]] as [string, string][]) : []),
    ['発送日', b.dispatchedOn ? `${formatWareki(b.dispatchedOn)}` : '未登録'],
    ['作成', `${doneBy(b.createdBy)}（${formatJst(b.createdAt)}）`],
    ...(b.runId ? ([['抽出', html`<a href="/extractions/${b.runId}">抽出の詳細</a>`]] as [string, SafeHtml][]) : []),
  ]),
)}
${may(req, 'personal.export')
  ? section(
      'PDF（1回の作成で1つのPDF、1人1組のページ）',
      html`<div class="actions">${(['all', 'mail', 'counter'] as BatchPart[]).map((p) => html`<a class="btn btn--secondary" href="/notices/batches/${b.id}/pdf?part=${p}" download>PDF（${PART_LABELS[p]}）</a>`)}</div>
<p class="hint">再発行で無効になった通知書は含みません。印刷は操作ログに記録されます。</p>`,
    )
  : ''}
${may(req, 'personal.write') && b.mailed > 0
  ? section(
      '発送の登録',
      html`${errorSummary(st('dispatch'))}<form method="post" action="/notices/batches/${b.id}/dispatch" novalidate>${csrfField(csrf)}
  ${field({ label: '発送日', name: 'date', type: 'date', required: true, value: app.config.clock.today() }, st('dispatch'))}
  ${button('郵送分を発送済みにする', 'secondary')}</form>`,
    )
  : ''}
${may(req, 'personal.export') && req.session!.actor.kind === 'staff' && b.mailed > 0
  ? section(
      '印刷・封入封緘の委託先へ渡すデータ（暗号化ZIP）',
      html`<p>郵送分の封入・発送用一覧（CSV、個人番号・支援措置の対象者は含みません）と印刷用 PDF を、AES-256 で暗号化した ZIP にまとめます。パスワードは保存しません。控えて、ファイルとは別の方法で委託先に伝えてください。作成すると受渡管理簿に記録されます。</p>
${errorSummary(st('package'))}
<form method="post" action="/notices/batches/${b.id}/package" novalidate>${csrfField(csrf)}
  ${field({ label: '委託先（事業者名）', name: 'recipient', required: true }, st('package'))}
  ${field({ label: '委託先の受取担当者', name: 'recipientPerson' }, st('package'))}
  ${select({ label: '受け渡しの媒体', name: 'medium', required: true, options: MEDIA.map((m) => [m, m] as [string, string]) }, st('package'))}
  ${field({ label: 'パスワード（自動生成・変更可）', name: 'password', required: true, value: generatePackagePassword(), hint: '12文字以上、英大文字・英小文字・数字・記号のうち3種類以上。' }, st('package'))}
  ${field({ label: 'パスワードの伝え方', name: 'passwordDelivery', required: true, value: '別途電話で伝達', hint: '例：別途電話で伝達、別の日に書面で通知' }, st('package'))}
  ${field({ label: '利用期限', name: 'useUntil', type: 'date', required: true, value: addDaysIso(app.config.clock.today(), 30) }, st('package'))}
  ${select({ label: '返却・消去の方法', name: 'returnMethod', required: true, options: RETURN_METHODS.map((m) => [m, m] as [string, string]) }, st('package'))}
  ${select({ label: 'CSV の文字コード', name: 'encoding', options: [['utf8', 'UTF-8（BOM付き）'], ['sjis', 'Shift_JIS']] }, st('package'))}
  ${button('暗号化ZIPを作成してダウンロード')}
</form>`,
    )
  : ''}
${handovers.length
  ? section(
      'この通知書の受け渡し',
      table(['日時', '委託先', '人数', '状態', ''], handovers.map((h) => [when(h.handedAt), h.recipient, h.persons, HANDOVER_STATUS_LABELS[h.status], html`<a href="/notices/handovers/${h.id}">詳細</a>`])),
    )
  : ''}
${section(
  `通知書（${after + 1}件目から）`,
  html`${table(
    ['順', '氏名', '宛名番号', '予防接種・回', '接種券番号', '印刷区分', '状態', '発送日', ''],
    items.map((it) => [
      it.seq,
      it.document.person.name,
      html`<a href="/residents/${it.atenaNo}/notices">${it.atenaNo}</a>`,
      `${it.programName} ${it.doseLabel ?? ''}`,
      numberText(it),
      it.printClassLabel,
      itemStatus(it),
      it.dispatchedOn ?? '—',
      may(req, 'personal.export') && it.status === 'active' ? html`<a href="/notices/items/${it.id}/pdf" download>PDF</a>` : '',
    ]),
  )}
${items.length === 100 ? html`<p><a href="/notices/batches/${b.id}?after=${items[items.length - 1]!.seq}">次の100件</a></p>` : ''}`,
)}`;
  };

  fastify.get('/notices/batches/:id', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '通知書の作成記録', await batchPage(req, ctx.csrf)));
  });

  fastify.get('/notices/batches/:id/pdf', { preHandler: exportGuard }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const part: BatchPart = queryEnum(queryOf(req), 'part', '出力の範囲', ['all', 'mail', 'counter'] as const) ?? 'all';
    const who = principalOf(req);
    const plan = await work(app.db, req, (w) => planBatchPdf(w, id, part));
    const { stream, sink } = streamSink();
    void writeBatchPdf(app.db, who, id, part, sink, plan).then(
      () => stream.end(),
      (e: unknown) => {
        req.log.error({ err: e }, 'batch PDF failed');
        stream.destroy(e instanceof Error ? e : new Error('PDF failed'));
      },
    );
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="${plan.fileName}"`).header('cache-control', 'no-store').send(stream);
  });

  fastify.post('/notices/batches/:id/dispatch', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const id = (req.params as { id: string }).id;
    const r = await attempt(() => work(app.db, req, (w) => markDispatched(w, { batchId: id, date: one(b['date']) ?? '' })));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '通知書の作成記録', await batchPage(req, ctx.csrf, formState(b, r.problem), 'dispatch')), r.problem.status);
    }
    setFlash(reply, `${r.value}件を発送済みにしました。`);
    return reply.redirect(`/notices/batches/${id}`);
  });

  fastify.post('/notices/batches/:id/package', { preHandler: [...exportGuard, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const id = (req.params as { id: string }).id;
    const input = {
      recipient: one(b['recipient']) ?? '',
      recipientPerson: one(b['recipientPerson']) || undefined,
      medium: (one(b['medium']) ?? '') as (typeof MEDIA)[number],
      passwordDelivery: one(b['passwordDelivery']) ?? '',
      useUntil: one(b['useUntil']) ?? '',
      returnMethod: (one(b['returnMethod']) ?? '') as (typeof RETURN_METHODS)[number],
      password: one(b['password']) ?? '',
      encoding: one(b['encoding']) === 'sjis' ? ('sjis' as const) : ('utf8' as const),
    };
    const { stream, sink } = streamSink();
    // The first bytes arrive only after the checks and the ledger line: a refusal still renders as a page.
    let started = false;
    const firstChunk = new Promise<void>((resolve) => {
      const s0 = sink.write;
      sink.write = (c) => {
        if (!started) {
          started = true;
          resolve();
        }
        return s0(c);
      };
    });
    const done = writeContractorPackage(app.db, principalOf(req), id, input, sink).then(() => {
      stream.end();
    });
    const first = await Promise.race([firstChunk.then(() => 'started' as const), done.then(() => 'done' as const, (e: unknown) => e)]);
    if (first !== 'started' && first !== 'done') {
      const e = first;
      if (isProblem(e) && e.status < 500 && e.status !== 403) {
        const { password: _p, ...safe } = b;
        const ctx = await pageContext(app, req, reply);
        return sendPage(reply, page(ctx, '通知書の作成記録', await batchPage(req, ctx.csrf, formState(safe, e as Problem), 'package')), (e as Problem).status);
      }
      throw e;
    }
    done.catch((e: unknown) => {
      req.log.error({ err: e }, 'contractor package failed');
      stream.destroy(e instanceof Error ? e : new Error('package failed'));
    });
    const name = `mamori-${req.session!.tenant}-${id.slice(0, 8)}.zip`;
    return reply.type('application/zip').header('content-disposition', `attachment; filename="${name}"`).header('cache-control', 'no-store').send(stream);
  });

  fastify.get('/notices/items/:id/pdf', { preHandler: exportGuard }, async (req, reply) => {
    const r = await work(app.db, req, (w) => renderItemPdf(w, (req.params as { id: string }).id));
    return sendPdf(reply, r.pdf, r.fileName);
  });

  // -------------------------------------------------------------- a person's print history and one-off documents
  const personPage = async (req: FastifyRequest, csrf: string, state?: FormState): Promise<SafeHtml> => {
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const p = await work(app.db, req, (w) => getPerson(w, app.vault, atenaNo, '通知書の印刷履歴の表示'));
    const h = await work(app.db, req, (w) => personNoticeHistory(w, atenaNo));
    const { catalog } = await work(app.db, req, (w) => catalogFor(w));
    const s = p.state;
    const evBy = new Map<string, string[]>();
    for (const e of h.events) evBy.set(e.itemId, [...(evBy.get(e.itemId) ?? []), `${e.onDate ?? ''} ${e.label}${e.detail['reason'] ? `（${String(e.detail['reason'])}）` : ''}`]);
    return html`
${personHeader(atenaNo, s, 'notices')}
${s.dvSupport ? notice('この方は支援措置の対象です。通知書は郵送せず窓口で交付します。', 'warning') : ''}
${section(
  '印刷履歴（印刷日・印刷区分・発送日・返送・再発行）',
  table(
    ['印刷日', '文書・予防接種', '接種券番号・整理番号', '印刷区分', '発送', '状態・経過', ''],
    h.items.map((it) => [
      html`${it.printedOn}<br><small>${formatWareki(it.printedOn)}</small>`,
      html`${SHORT_LABELS[it.docType]}<br><small>${it.programName} ${it.doseLabel ?? ''}</small>`,
      html`${numberText(it)}<br><small>${it.referenceNo}</small>`,
      html`${it.printClassLabel}${it.reissueCount ? html`<br><small>${it.reissueCount}回目（${it.reissueReason ?? ''}・${it.identityCheck ?? ''}）</small>` : ''}`,
      it.dispatchedOn ?? (it.mail ? '未発送' : '窓口交付'),
      html`${itemStatus(it)}<br><small>${(evBy.get(it.id) ?? []).map((x) => html`${x}<br>`)}</small>`,
      it.status === 'active'
        ? html`${may(req, 'personal.export') ? html`<a href="/notices/items/${it.id}/pdf" download>PDF</a> ` : ''}${may(req, 'personal.write') ? html`<a href="/notices/items/${it.id}/reissue">再発行</a>` : ''}`
        : '',
    ]),
    { empty: 'この方に発行した通知書はありません。' },
  ),
)}
${may(req, 'personal.write')
  ? section(
      'この方に通知書を発行する（個別発行・予防接種依頼書）',
      html`${errorSummary(state)}<form method="post" action="/residents/${atenaNo}/notices" novalidate>${csrfField(csrf)}
  ${select({ label: '文書', name: 'docType', required: true, options: DOCUMENT_TYPES.map((d) => [d, DOCUMENT_TYPE_LABELS[d]] as [string, string]) }, state)}
  ${select({ label: '予防接種', name: 'program', required: true, options: catalog.programCodes.map((c) => [c, catalog.programsByCode.get(c)?.at(-1)?.name ?? c] as [string, string]) }, state)}
  <p class="hint">回数と対象期間は、接種記録から次の接種を判定して印刷します。</p>
  <fieldset class="field"><legend>予防接種依頼書の場合</legend>
  ${field({ label: '依頼先（例：大阪市長、〇〇クリニック院長）', name: 'destination' }, state)}
  ${field({ label: '依頼理由', name: 'reason' }, state)}
  ${field({ label: '滞在先住所', name: 'stayAddress' }, state)}
  ${field({ label: '滞在先電話番号', name: 'stayPhone' }, state)}
  ${field({ label: '文書番号', name: 'documentNumber' }, state)}
  </fieldset>
  ${button('発行する')}
</form>`,
    )
  : ''}`;
  };

  fastify.get('/residents/:atenaNo/notices', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '通知書・接種券の履歴', await personPage(req, ctx.csrf)));
  });

  fastify.post('/residents/:atenaNo/notices', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const docType = one(b['docType']) ?? '';
    const request = docType === 'request' ? { destination: one(b['destination']) ?? '', reason: one(b['reason']) ?? '', stayAddress: one(b['stayAddress']) ?? '', ...(one(b['stayPhone']) ? { stayPhone: one(b['stayPhone'])! } : {}), ...(one(b['documentNumber']) ? { documentNumber: one(b['documentNumber'])! } : {}) } : undefined;
    const r = await attempt(() => work(app.db, req, (w) => issueForPerson(w, deps, { atenaNo, docType: docType as 'questionnaire', program: one(b['program']) ?? '', ...(request ? { request } : {}) })));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      const fixed = formState(b, r.problem);
      const errors = fixed.errors?.map((e) => ({ ...e, field: e.field.replace(/^request\./, '') }));
      return sendPage(reply, page(ctx, '通知書・接種券の履歴', await personPage(req, ctx.csrf, { values: b, errors: errors ?? [] })), r.problem.status);
    }
    setFlash(reply, `${DOCUMENT_TYPE_LABELS[docType as DocumentType]}を発行しました${r.value.voucherNo ? `（接種券番号 ${formatVoucherNumber(r.value.voucherNo)}）` : ''}。`);
    return reply.redirect(`/residents/${atenaNo}/notices`);
  });

  // -------------------------------------------------------------- 再発行
  fastify.get('/notices/reissue', { preHandler: write }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const q = req.query as Record<string, string | undefined>;
    const number = q['number']?.trim() ?? '';
    const atena = q['atenaNo']?.normalize('NFKC').trim() ?? '';
    let found: ItemView[] = [];
    let problem: Problem | undefined;
    if (number) {
      const r = await attempt(() => work(app.db, req, (w) => findItem(w, deps, number)));
      if (r.ok) found = [r.value];
      else problem = r.problem;
    } else if (atena) {
      const r = await attempt(() => work(app.db, req, (w) => personNoticeHistory(w, atena)));
      if (r.ok) found = r.value.items.filter((i) => i.status === 'active');
      else problem = r.problem;
    }
    return sendPage(
      reply,
      page(
        ctx,
        '接種券・通知書の再発行',
        html`<p>本人確認のうえで再発行します。再発行すると新しい接種券番号になり、元の番号は無効になります。</p>
<form method="get" action="/notices/reissue" class="card filters">
  ${field({ label: '接種券番号または整理番号', name: 'number', value: number, hint: 'バーコードリーダーで読み取れます。ハイフンは省略できます。' })}
  ${field({ label: '宛名番号', name: 'atenaNo', value: atena, inputmode: 'numeric', maxlength: 10 })}
  ${button('検索', 'secondary')}
</form>
${problem ? notice(problemText(problem), 'error') : ''}
${number || atena
  ? table(
      ['氏名', '文書', '予防接種・回', '接種券番号', '印刷日', '状態', ''],
      found.map((it) => [it.document.person.name, it.docLabel, `${it.programName} ${it.doseLabel ?? ''}`, numberText(it), it.printedOn, itemStatus(it), it.status === 'active' ? html`<a class="btn btn--primary" href="/notices/items/${it.id}/reissue">再発行する</a>` : html`<a href="/residents/${it.atenaNo}/notices">履歴を見る</a>`]),
      { empty: '該当する有効な通知書はありません。' },
    )
  : ''}`,
      ),
    );
  });

  const reissueForm = async (req: FastifyRequest, csrf: string, state?: FormState): Promise<SafeHtml> => {
    const id = (req.params as { id: string }).id;
    const it = await work(app.db, req, (w) => getItem(w, id));
    return html`
<p><a href="/residents/${it.atenaNo}/notices">← 印刷履歴へ</a></p>
${dl([
  ['氏名', it.document.person.name],
  ['文書', it.docLabel],
  ['予防接種・回', `${it.programName} ${it.doseLabel ?? ''}`],
  ['接種券番号', numberText(it)],
  ['印刷日・区分', `${it.printedOn}（${it.printClassLabel}）`],
  ['これまでの再発行', `${it.reissueCount}回`],
])}
${it.status === 'void'
  ? notice('この通知書は既に無効です。新しい番号の通知書を再発行してください。', 'warning')
  : html`${errorSummary(state)}<form method="post" action="/notices/items/${it.id}/reissue" novalidate>${csrfField(csrf)}
  ${select({ label: '本人確認の方法', name: 'identityCheck', required: true, options: [['', '選んでください'], ...IDENTITY_CHECKS.map((c) => [c, c] as [string, string])] }, state)}
  ${field({ label: '再発行の理由', name: 'reason', required: true, hint: '例：紛失したため、汚損したため、転居により送付先が変わったため' }, state)}
  ${checkbox({ label: '郵送する（チェックしない場合は窓口で交付）', name: 'mail' }, state)}
  ${button('再発行する')}
</form>`}`;
  };

  fastify.get('/notices/items/:id/reissue', { preHandler: write }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '再発行', await reissueForm(req, ctx.csrf)));
  });

  fastify.post('/notices/items/:id/reissue', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const id = (req.params as { id: string }).id;
    const r = await attempt(() => work(app.db, req, (w) => reissue(w, deps, id, { reason: one(b['reason']) ?? '', identityCheck: (one(b['identityCheck']) ?? '') as (typeof IDENTITY_CHECKS)[number], mail: one(b['mail']) === 'on' })));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '再発行', await reissueForm(req, ctx.csrf, formState(b, r.problem))), r.problem.status);
    }
    const ctx = await pageContext(app, req, reply);
    const v = r.value;
    return sendPage(
      reply,
      page(
        ctx,
        '再発行しました',
        html`${notice(`再発行しました（${v.reissueCount}回目）。元の接種券番号${v.voided.voucherNo ? ` ${formatVoucherNumber(v.voided.voucherNo)}` : ''}は無効になりました。`, 'success')}
${dl([
  ['新しい接種券番号', v.voucherNo ? formatVoucherNumber(v.voucherNo) : '—'],
  ['整理番号', v.referenceNo],
])}
<div class="actions">${may(req, 'personal.export') ? html`<a class="btn btn--primary" href="/notices/items/${v.itemId}/pdf" download>再発行した通知書のPDF</a>` : ''}<a class="btn btn--secondary" href="/notices/reissue">続けて再発行</a></div>`,
      ),
    );
  });

  // -------------------------------------------------------------- 返送 and follow-up
  const returnsPage = (csrf: string, state?: FormState, result?: SafeHtml): SafeHtml => html`
<p>返送された封筒の窓に見える整理番号、または予診票の接種券番号を、1行に1件ずつ入力してください（バーコードリーダーで続けて読み取れます）。</p>
${result ?? ''}
${errorSummary(state)}
<form method="post" action="/notices/returns" novalidate>${csrfField(csrf)}
  ${textarea({ label: '接種券番号・整理番号', name: 'numbers', required: true, rows: 8 }, state)}
  ${field({ label: '返送日', name: 'date', type: 'date', required: true, value: app.config.clock.today() }, state)}
  ${select({ label: '返送の理由', name: 'reason', required: true, options: RETURN_REASONS.map((x) => [x, x] as [string, string]) }, state)}
  ${field({ label: '備考', name: 'note' }, state)}
  ${button('返送を登録する')}
</form>
<p><a href="/notices/follow-ups">返送の対応待ちの一覧</a></p>`;

  fastify.get('/notices/returns', { preHandler: write }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '返送の登録', returnsPage(ctx.csrf)));
  });

  fastify.post('/notices/returns', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const numbers = lines(one(b['numbers']));
    const r = await attempt(() => work(app.db, req, (w) => markReturned(w, deps, { numbers, date: one(b['date']) ?? '', reason: (one(b['reason']) ?? '') as (typeof RETURN_REASONS)[number], ...(one(b['note']) ? { note: one(b['note'])! } : {}) })));
    const ctx = await pageContext(app, req, reply);
    if (!r.ok) return sendPage(reply, page(ctx, '返送の登録', returnsPage(ctx.csrf, formState(b, r.problem))), r.problem.status);
    const v = r.value;
    const result = html`${notice(`${v.marked.length}件を返送として登録しました。${v.unknown.length ? `${v.unknown.length}件は該当する通知書がありません。` : ''}${v.already.length ? `${v.already.length}件は登録済みでした。` : ''}`, v.unknown.length ? 'warning' : 'success')}
${v.marked.length ? table(['氏名', '予防接種', ''], v.marked.map((m) => [m.name, m.programName, html`<a href="/residents/${m.atenaNo}/notices">履歴</a>`])) : ''}
${v.unknown.length ? html`<p>該当なし：${v.unknown.map((i) => `${i + 1}行目（${numbers[i] ?? ''}）`).join('、')}</p>` : ''}`;
    return sendPage(reply, page(ctx, '返送の登録', returnsPage(ctx.csrf, undefined, result)));
  });

  fastify.get('/notices/follow-ups', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const items = await work(app.db, req, (w) => listFollowUps(w));
    return sendPage(
      reply,
      page(
        ctx,
        '返送の対応待ち',
        html`<p>返送された通知書です。住所の確認、再送付、窓口交付などの対応を記録すると一覧から外れます。</p>
${table(
  ['返送日', '理由', '氏名', '宛名番号', '文書', '予防接種', '対応'],
  items.map((it) => [
    it.returnedOn,
    it.returnReason,
    it.document.person.name,
    html`<a href="/residents/${it.atenaNo}/notices">${it.atenaNo}</a>`,
    it.docLabel,
    it.programName,
    may(req, 'personal.write')
      ? html`<form method="post" action="/notices/items/${it.id}/follow-up" class="inline-form" novalidate>${csrfField(ctx.csrf)}<label>対応<input name="note" required placeholder="例：転居先を確認し再送付"></label>${button('記録', 'secondary')}</form>`
      : '',
  ]),
  { empty: '対応待ちはありません。' },
)}`,
      ),
    );
  });

  fastify.post('/notices/items/:id/follow-up', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const r = await attempt(() => work(app.db, req, (w) => resolveFollowUp(w, (req.params as { id: string }).id, { note: one(b['note']) ?? '' })));
    setFlash(reply, r.ok ? '対応を記録しました。' : `記録できませんでした: ${problemText(r.problem)}`);
    return reply.redirect('/notices/follow-ups');
  });

  // -------------------------------------------------------------- templates and the sender block
  fastify.get('/notices/templates', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const versions = await Promise.all(DOCUMENT_TYPES.map((d) => work(app.db, req, (w) => listTemplateVersions(w, d))));
    const settings = await work(app.db, req, (w) => getNoticeSettings(w));
    const lead = await work(app.db, req, (w) => getMailingLeadDays(w));
    return sendPage(reply, page(ctx, '文面と差出人の管理', templatesIndex(req, ctx.csrf, versions, settings, lead)));
  });

  const templatesIndex = (req: FastifyRequest, csrf: string, versions: Awaited<ReturnType<typeof listTemplateVersions>>[], settings: Awaited<ReturnType<typeof getNoticeSettings>>, lead: number, state?: FormState): SafeHtml => html`
${section(
  '文面（文書の種類ごと・版管理）',
  table(
    ['文書', '現在の版', '改訂内容', '作成者', '日時', ''],
    versions.map((vs) => {
      const v = vs[0]!;
      return [DOCUMENT_TYPE_LABELS[v.docType], `第${v.version}版${v.builtIn ? '（既定）' : ''}`, v.note ?? '', doneBy(v.createdBy), v.createdAt ? formatJst(v.createdAt) : '—', html`<a href="/notices/templates/${v.docType}">版の履歴・編集</a>`];
    }),
  ),
)}
${section(
  '差出人（すべての文書に印刷）',
  may(req, 'personal.write')
    ? html`${errorSummary(state)}<form method="post" action="/notices/settings" novalidate>${csrfField(csrf)}
  ${field({ label: '差出人（首長名）', name: 'head', required: true, value: settings?.head ?? '' }, state)}
  ${field({ label: '担当課', name: 'department', required: true, value: settings?.department ?? '' }, state)}
  ${field({ label: '郵便番号', name: 'postalCode', required: true, value: settings?.postalCode ?? '' }, state)}
  ${field({ label: '所在地', name: 'address', value: settings?.address ?? '' }, state)}
  ${field({ label: '電話番号', name: 'phone', required: true, value: settings?.phone ?? '' }, state)}
  ${field({ label: '問合せ先（省略時は担当課と電話番号）', name: 'contact', value: settings?.contact ?? '' }, state)}
  ${field({ label: '郵送日数（発行日から届くまでの日数。接種できる期間がそれより前に終わる方には郵送しません）', name: 'mailingLeadDays', type: 'number', required: true, value: String(lead) }, state)}
  ${button('保存する', 'secondary')}
</form>`
    : settings
      ? dl([['差出人', settings.head], ['担当課', settings.department], ['電話番号', settings.phone], ['郵送日数', `${lead}日`]])
      : html`<p>未設定です。</p>`,
)}`;

  fastify.post('/notices/settings', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const input = { head: one(b['head']) ?? '', department: one(b['department']) ?? '', postalCode: one(b['postalCode']) ?? '', address: one(b['address']) || undefined, phone: one(b['phone']) ?? '', contact: one(b['contact']) || undefined, mailingLeadDays: one(b['mailingLeadDays']) || undefined };
    const r = await attempt(() => work(app.db, req, (w) => saveNoticeSettings(w, input)));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      const versions = await Promise.all(DOCUMENT_TYPES.map((d) => work(app.db, req, (w) => listTemplateVersions(w, d))));
      return sendPage(reply, page(ctx, '文面と差出人の管理', templatesIndex(req, ctx.csrf, versions, null, Number(one(b['mailingLeadDays'])) || DEFAULT_MAILING_LEAD_DAYS, formState(b, r.problem))), r.problem.status);
    }
    setFlash(reply, '差出人を保存しました。');
    return reply.redirect('/notices/templates');
  });

  const editFromForm = (b: Form, docType: string): TemplateEdit => ({
    title: one(b['title']) ?? '',
    body: paragraphs(one(b['body'])),
    notes: lines(one(b['notes'])),
    ...(docType === 'questionnaire' ? { questions: lines(one(b['questions'])), consent: one(b['consent']) ?? '' } : {}),
    contact: (one(b['contact']) ?? '').replace(/\r\n/g, '\n').trim(),
    note: one(b['note']) ?? '',
    ...(one(b['baseVersion']) ? { baseVersion: Number(one(b['baseVersion'])) } : {}),
  });

  const templatePage = async (req: FastifyRequest, csrf: string, state?: FormState): Promise<SafeHtml> => {
    const docType = (req.params as { docType: string }).docType;
    const versions = await work(app.db, req, (w) => listTemplateVersions(w, docType));
    const cur = versions[0]!;
    const t = cur.template;
    const values = state?.values ?? {
      title: t.title,
      body: t.body.join('\n\n'),
      notes: t.notes.join('\n'),
      questions: (t.questions ?? []).join('\n'),
      consent: t.consent ?? '',
      contact: t.contact,
    };
    const st: FormState = { values, errors: state?.errors ?? [] };
    const allowed = placeholdersFor(docType as DocumentType);
    return html`
<p><a href="/notices/templates">← 文面と差出人の管理</a></p>
${section(
  '版の履歴',
  table(
    ['版', '改訂内容', '作成者', '日時', '印刷した通知書', ''],
    versions.map((v) => [`第${v.version}版${v.builtIn ? '（既定）' : ''}`, v.note ?? '', doneBy(v.createdBy), v.createdAt ? formatJst(v.createdAt) : '—', `${v.used}件`, html`<a href="/notices/templates/${v.docType}/${v.version}/preview" download>見本PDF</a>`]),
  ),
)}
${may(req, 'personal.write')
  ? section(
      `編集（保存すると第${cur.version + 1}版になります。使用済みの版は変わりません）`,
      html`${errorSummary(st)}<form method="post" action="/notices/templates/${docType}" novalidate>${csrfField(csrf)}
  <input type="hidden" name="baseVersion" value="${String(cur.version)}">
  ${field({ label: '表題', name: 'title', required: true }, st)}
  ${textarea({ label: '本文（段落の間は空行）', name: 'body', rows: 10 }, st)}
  ${textarea({ label: '注意事項（1行に1項目）', name: 'notes', rows: 5 }, st)}
  ${docType === 'questionnaire' ? html`${textarea({ label: '予診項目（1行に1問）', name: 'questions', rows: 12 }, st)}${textarea({ label: '同意欄（市区町村に提出されることの明示を含める）', name: 'consent', rows: 4 }, st)}` : ''}
  ${textarea({ label: '問合せ先', name: 'contact', rows: 2 }, st)}
  ${field({ label: '改訂内容（何を変えたか）', name: 'note', required: true }, st)}
  <div class="actions">${button('見本PDFを表示（保存しない）', 'secondary', 'action', 'preview')}${button('新しい版として保存', 'primary', 'action', 'save')}</div>
</form>
<p class="hint">使える差し込み項目：${allowed.map((p) => `{{${p.name}}}`).join('　')}（{{氏名}} など人ごとの項目は予診項目・同意欄には使えません）</p>`,
    )
  : ''}`;
  };

  fastify.get('/notices/templates/:docType', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const docType = (req.params as { docType: string }).docType;
    const label = DOCUMENT_TYPE_LABELS[docType as DocumentType] ?? docType;
    return sendPage(reply, page(ctx, `文面：${label}`, await templatePage(req, ctx.csrf)));
  });

  fastify.get('/notices/templates/:docType/:version/preview', { preHandler: read }, async (req, reply) => {
    const p = req.params as { docType: string; version: string };
    const pdf = await work(app.db, req, (w) => previewTemplate(w, p.docType, { version: Number(p.version) || 0 }));
    return sendPdf(reply, pdf, `preview-${p.docType}-v${Number(p.version) || 0}.pdf`);
  });

  fastify.post('/notices/templates/:docType', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const docType = (req.params as { docType: string }).docType;
    const edit = editFromForm(b, docType);
    const label = DOCUMENT_TYPE_LABELS[docType as DocumentType] ?? docType;
    if (one(b['action']) === 'preview') {
      const r = await attempt(() => work(app.db, req, (w) => previewTemplate(w, docType, { edit })));
      if (r.ok) return sendPdf(reply, r.value, `preview-${docType}.pdf`);
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, `文面：${label}`, await templatePage(req, ctx.csrf, formState(b, r.problem))), r.problem.status);
    }
    const r = await attempt(() => work(app.db, req, (w) => saveTemplateVersion(w, docType, edit)));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, `文面：${label}`, await templatePage(req, ctx.csrf, formState(b, r.problem))), r.problem.status);
    }
    setFlash(reply, `第${r.value.version}版として保存しました。`);
    return reply.redirect(`/notices/templates/${docType}`);
  });

  // -------------------------------------------------------------- 受渡管理簿
  fastify.get('/notices/handovers', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const rows = await work(app.db, req, (w) => listHandovers(w));
    return sendPage(
      reply,
      page(
        ctx,
        '受渡管理簿（委託先への受け渡し）',
        html`<p>印刷・封入封緘の委託先に渡したデータの記録です（誰が・いつ・何を・何件・誰に・媒体・利用期限・返却方法・受領・返却または消去の確認）。</p>
${table(
  ['受け渡し日時', '担当', '委託先', '内容', '人数', 'ページ', '媒体', '利用期限', '状態', ''],
  rows.map((h) => [when(h.handedAt), h.handedBy, h.recipient, h.batchTitle, h.persons, h.pages, h.medium, h.useUntil, badge(HANDOVER_STATUS_LABELS[h.status], h.status === 'closed' ? 'ok' : h.status === 'failed' ? 'muted' : 'warn'), html`<a href="/notices/handovers/${h.id}">詳細</a>`]),
  { empty: 'まだ受け渡しはありません。' },
)}`,
      ),
    );
  });

  const handoverPage = async (req: FastifyRequest, csrf: string, state?: FormState, action?: string): Promise<SafeHtml> => {
    const h = await work(app.db, req, (w) => getHandover(w, (req.params as { id: string }).id));
    const st = (a: string) => (action === a ? state : undefined);
    return html`
<p><a href="/notices/handovers">← 受渡管理簿</a></p>
${section(
  '受け渡しの内容',
  dl([
    ['状態', HANDOVER_STATUS_LABELS[h.status]],
    ['受け渡し', `${formatJst(h.handedAt)}　${h.handedBy}`],
    ['委託先', `${h.recipient}${h.recipientPerson ? `（${h.recipientPerson}）` : ''}`],
    ['内容', html`<a href="/notices/batches/${h.batchId}">${h.batchTitle}</a>`],
    ['ファイル', `${h.fileName}（${h.packageBytes ?? '—'} バイト）`],
    ['SHA-256', h.packageSha256 ?? '—'],
    ['件数', `${h.persons}人・${h.pages}ページ`],
    ['暗号化', String(h.contents['encryption'] ?? '')],
    ['媒体', h.medium],
    ['パスワードの伝え方', h.passwordDelivery],
    ['利用期限', h.useUntil],
    ['返却・消去の方法', h.returnMethod],
    ['受領確認', h.receivedOn ? `${h.receivedOn} ${h.receivedBy ?? ''} ${h.receivedNote ?? ''}` : '—'],
    ['返却・消去の確認', h.closedOn ? `${h.closedOn} ${h.closedHow === 'returned' ? '返却' : '消去'} ${h.closedNote ?? ''}` : '—'],
  ]),
)}
${may(req, 'personal.write') && h.status === 'delivered'
  ? section(
      '受領確認',
      html`${errorSummary(st('receipt'))}<form method="post" action="/notices/handovers/${h.id}/receipt" novalidate>${csrfField(csrf)}
  ${field({ label: '受領日', name: 'date', type: 'date', required: true, value: app.config.clock.today() }, st('receipt'))}
  ${field({ label: '受領者（委託先）', name: 'by', required: true }, st('receipt'))}
  ${field({ label: '備考', name: 'note' }, st('receipt'))}
  ${button('受領を確認した', 'secondary')}</form>`,
    )
  : ''}
${may(req, 'personal.write') && (h.status === 'received' || h.status === 'delivered')
  ? section(
      '返却・消去の確認',
      html`${errorSummary(st('close'))}<form method="post" action="/notices/handovers/${h.id}/close" novalidate>${csrfField(csrf)}
  ${field({ label: '確認日', name: 'date', type: 'date', required: true, value: app.config.clock.today() }, st('close'))}
  ${select({ label: '確認した内容', name: 'how', options: [['erased', 'データの消去（消去証明書）'], ['returned', '媒体の返却']] }, st('close'))}
  ${field({ label: '確認の記録（消去証明書の番号など）', name: 'note', required: true }, st('close'))}
  ${button('返却・消去を確認した', 'secondary')}</form>`,
    )
  : ''}`;
  };

  fastify.get('/notices/handovers/:id', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '受け渡しの記録', await handoverPage(req, ctx.csrf)));
  });

  fastify.post('/notices/handovers/:id/receipt', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const id = (req.params as { id: string }).id;
    const r = await attempt(() => work(app.db, req, (w) => confirmReceipt(w, id, { date: one(b['date']) ?? '', by: one(b['by']) ?? '', ...(one(b['note']) ? { note: one(b['note'])! } : {}) })));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '受け渡しの記録', await handoverPage(req, ctx.csrf, formState(b, r.problem), 'receipt')), r.problem.status);
    }
    setFlash(reply, '受領を記録しました。');
    return reply.redirect(`/notices/handovers/${id}`);
  });

  fastify.post('/notices/handovers/:id/close', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const id = (req.params as { id: string }).id;
    const r = await attempt(() => work(app.db, req, (w) => closeHandover(w, id, { date: one(b['date']) ?? '', how: one(b['how']) === 'returned' ? 'returned' : 'erased', note: one(b['note']) ?? '' })));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '受け渡しの記録', await handoverPage(req, ctx.csrf, formState(b, r.problem), 'close')), r.problem.status);
    }
    setFlash(reply, '返却・消去の確認を記録しました。');
    return reply.redirect(`/notices/handovers/${id}`);
  });
}
