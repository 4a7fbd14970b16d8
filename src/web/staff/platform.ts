// 予防接種プラットフォーム連携 (issue 12 point 3; decision 0147): the push batches with their totals, one
// batch's rows with their result, the persons whose push failed with a 再送 button, and the linkage status
// counts (PMH-21).  For staff of the 予防接種 duty; 再送 needs personal.write.  Never a My Number.
import type { FastifyInstance } from 'fastify';
import type { App } from '../../app/index.js';
import { principalOf, work } from '../../kernel/http/index.js';
import { can } from '../../kernel/access/index.js';
import { formatJst } from '../../kernel/jp/index.js';
import { isProblem } from '../../kernel/problems/index.js';
import type { MunicipalExchange } from '../../municipality/exchange/index.js';
import { listExtractionRuns } from '../../municipality/extraction/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import {
  batchRows, getPushBatch, linkageCounts, personLinkage, listFailedTargets, listPushBatches, listRecordPulls, pullRecords, pushRun, retryFailed, BATCH_KIND_LABELS, BATCH_STATUS_LABELS, LINKAGE_LABELS, ROW_STATUS_LABELS, type PushBatchView,
} from '../../municipality/platform/index.js';
import { badge, button, csrfField, dl, doneBy, html, select, notice, page, pageRequest, pager, queryEnum, queryOf, section, table, type SafeHtml } from '../ui/index.js';
import { needLogin, needPermission, one, pageContext, problemText, sendPage, setFlash, type Form } from './support.js';

const BATCH_PAGE = 50;
const ROW_PAGE = 100;
const FAILED_PAGE = 100;
const ROW_STATUSES = Object.keys(ROW_STATUS_LABELS);
const SEG_LABELS: Record<string, string> = { '1': '登録・更新', '2': '削除' };

const n = (v: number): string => v.toLocaleString('ja-JP');
const at = (d: Date | null): string => (d ? formatJst(d) : '—');

function statusBadge(s: string): SafeHtml {
  return badge(BATCH_STATUS_LABELS[s] ?? '不明', s === 'complete' ? 'ok' : s === 'failed' ? 'bad' : 'warn');
}

function tabs(here: string): SafeHtml {
  const items: [string, string][] = [
    ['/platform', '送信の記録'],
    ['/platform/failed', '送信に失敗した方'],
    ['/platform/records', '接種記録の取込'],
  ];
  return html`<nav class="actions" aria-label="予防接種プラットフォーム連携のメニュー">${items.map(([href, label]) =>
    href === here ? html`<span class="btn btn--primary" aria-current="page">${label}</span>` : html`<a class="btn btn--secondary" href="${href}">${label}</a>`,
  )}</nav>`;
}

function counts(b: PushBatchView): string {
  return `送信 ${n(b.sent)}件（新規 ${n(b.registered)}・更新 ${n(b.updated)}・削除 ${n(b.deleted)}・変更なし ${n(b.unchanged)}）`;
}

export function registerPlatformPages(fastify: FastifyInstance, app: App, exchange: MunicipalExchange | undefined): void {
  const read = [needLogin, needPermission(app, 'personal.read', 'vaccination')];
  const write = [needLogin, needPermission(app, 'personal.write', 'vaccination')];
  const TITLE = '予防接種プラットフォーム連携';

  // ------------------------------------------------------------ batches and totals
  fastify.get('/platform', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const r = pageRequest(queryOf(req), BATCH_PAGE);
    const writable = !!req.session && can(req.session.actor, 'personal.write', 'vaccination') && !!exchange;
    const { list, link, runs } = await work(app.db, req, async (w) => {
      const { catalog } = await catalogFor(w);
      const name = (code: string) => catalog.programsByCode.get(code)?.at(-1)?.name ?? '（不明な予防接種）';
      const runs = writable ? (await listExtractionRuns(w, { kind: 'targets', status: 'complete', limit: 20 })).map((x) => [x.id, `${formatJst(new Date(x.createdAt))} の抽出（基準日 ${x.asOf}・${x.all ? 'すべての予防接種' : x.programs.map(name).join('、')}・${n(x.counts.memberPersons)}人）`] as const) : [];
      return { list: await listPushBatches(w, { page: r.page, pageSize: BATCH_PAGE }), link: await linkageCounts(w), runs };
    });
    return sendPage(
      reply,
      page(
        ctx,
        TITLE,
        html`${tabs('/platform')}
<p>抽出した接種対象者を予診情報・予防接種記録管理／請求支払システム（予防接種プラットフォーム）に登録した記録です。個人番号は送信のときだけ読み出し、画面や記録には残しません。転出・死亡の方は自動で削除を送ります。</p>
${exchange ? '' : notice('この環境では予防接種プラットフォームに接続していません（mamori serve で起動すると接続します）。記録の確認だけができます。', 'warning')}
${link.error ? notice(html`送信に失敗した方が <strong>${n(link.error)}人</strong> います。<a href="/platform/failed">送信に失敗した方へ</a>`, 'warning') : ''}
${writable && runs.length
  ? section(
      '抽出結果を送信する',
      html`<form method="post" action="/platform/push">${csrfField(ctx.csrf)}
${select({ label: '送信する抽出', name: 'runId', options: runs, required: true, hint: '前回の送信から変わった方だけを送ります。' })}
<div class="actions">${button('予防接種プラットフォームに送信')}</div></form>`,
    )
  : ''}
${section(
  '連携の状況（人数）',
  table(
    ['状況', '人数'],
    (['linked', 'pending', 'error', 'deleted'] as const).map((k) => [k === 'error' && link.error ? badge(LINKAGE_LABELS[k]!, 'bad') : LINKAGE_LABELS[k]!, `${n(link[k])}人`]).concat([['合計', `${n(link.total)}人`]]),
    { caption: '予防接種プラットフォームとの連携状況' },
  ),
)}
${section(
  `送信の記録（全${n(list.total)}件）`,
  html`<p>これまでの合計：送信 ${n(list.totals.sent)}件、新規登録 ${n(list.totals.registered)}件、更新 ${n(list.totals.updated)}件、削除 ${n(list.totals.deleted)}件、変更なし ${n(list.totals.unchanged)}件、失敗 ${n(list.totals.failed)}件</p>
${list.total ? pager({ total: list.total, request: r, shown: list.batches.length, path: '/platform', filters: {}, order: '新しい順' }) : ''}
${table(
  ['開始日時', '種類', '連携ファイル名', '操作者', '状態', '件数', '失敗', ''],
  list.batches.map((b) => [at(b.startedAt), BATCH_KIND_LABELS[b.kind] ?? '—', b.fileName, doneBy(b.startedBy), statusBadge(b.status), counts(b), b.failed ? badge(`${n(b.failed)}件`, 'bad') : '0件', html`<a href="/platform/batches/${b.id}">詳細</a>`]),
  { caption: '送信の記録', empty: 'まだ送信していません。' },
)}`,
)}`,
      ),
    );
  });

  fastify.post('/platform/push', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    if (!exchange) {
      setFlash(reply, '予防接種プラットフォームに接続していないため送信できません。');
      return reply.redirect('/platform');
    }
    const runId = one(((req.body ?? {}) as Form)['runId']) ?? '';
    try {
      const r = await pushRun(app, principalOf(req), exchange, { runId });
      setFlash(
        reply,
        r.status === 'nothing'
          ? `送信する変更はありませんでした${r.failed ? `（個人番号がなく登録できない方 ${r.failed}人）` : ''}。`
          : r.status === 'failed'
            ? `送信できませんでした：${r.error ?? ''}（失敗した方は自動で再送します）`
            : `送信しました：送信 ${n(r.sent)}件（新規 ${n(r.registered)}・更新 ${n(r.updated)}・削除 ${n(r.deleted)}・変更なし ${n(r.unchanged)}）、失敗 ${n(r.failed)}件。`,
      );
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      setFlash(reply, `送信できませんでした：${problemText(e)}`);
    }
    return reply.redirect('/platform');
  });

  // ------------------------------------------------------------ one batch
  fastify.get('/platform/batches/:id', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const id = (req.params as { id: string }).id;
    const q = queryOf(req);
    const status = queryEnum(q, 'status', '結果', ROW_STATUSES);
    const r = pageRequest(q, ROW_PAGE);
    const { b, rows } = await work(app.db, req, async (w) => ({ b: await getPushBatch(w, id), rows: await batchRows(w, id, { page: r.page, pageSize: ROW_PAGE, status }) }));
    const filterLinks = html`<p class="actions">${[['', 'すべて'], ...ROW_STATUSES.map((s) => [s, ROW_STATUS_LABELS[s]!])].map(([v, l]) =>
      (status ?? '') === v ? html`<span class="btn btn--primary" aria-current="true">${l}</span>` : html`<a class="btn btn--secondary" href="/platform/batches/${b.id}${v ? `?status=${v}` : ''}">${l}</a>`,
    )}</p>`;
    return sendPage(
      reply,
      page(
        ctx,
        '送信の内容',
        html`${tabs('')}<p><a href="/platform">← 送信の記録へ</a></p>
${section(
  '送信の概要',
  dl([
    ['種類', BATCH_KIND_LABELS[b.kind] ?? '—'],
    ['連携ファイル名', b.fileName],
    ['開始', at(b.startedAt)],
    ['終了', at(b.finishedAt)],
    ['操作者', doneBy(b.startedBy)],
    ['状態', statusBadge(b.status)],
    ['件数', `${counts(b)}、失敗 ${n(b.failed)}件（対象 ${n(b.rows)}人）`],
    ['エラー', b.error ?? 'なし'],
  ]),
)}
${section(
  `対象者ごとの結果（${n(rows.total)}人）`,
  html`${filterLinks}
${rows.total ? pager({ total: rows.total, request: r, shown: rows.rows.length, path: `/platform/batches/${b.id}`, filters: { status }, order: '送信順' }) : ''}
${table(
  ['宛名番号', '氏名', '送信単位', '区分', '結果', '予防接種対象者番号', 'エラー'],
  rows.rows.map((x) => [html`<a href="/platform/persons/${x.atenaNo}">${x.atenaNo}</a>`, x.name ?? '—', `${x.chunk}`, SEG_LABELS[x.modificationSeg] ?? '—', x.status === 'failed' ? badge(ROW_STATUS_LABELS[x.status]!, 'bad') : (ROW_STATUS_LABELS[x.status] ?? '—'), x.targetId ?? '—', x.error ?? '']),
  { caption: '対象者ごとの結果', empty: '該当する方はいません。' },
)}`,
)}`,
      ),
    );
  });

  // ------------------------------------------------------------ one person's linkage status (PMH-21)
  fastify.get('/platform/persons/:atenaNo', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const l = /^\d{10}$/.test(atenaNo) ? await work(app.db, req, (w) => personLinkage(w, atenaNo)) : null;
    const CHANGE: Record<string, string> = { '11': '転出', '12': '死亡', '13': 'その他の消除' };
    return sendPage(
      reply,
      page(
        ctx,
        '予防接種プラットフォームとの連携状況',
        html`${tabs('')}<p><a href="/residents/${atenaNo}">← 住民の情報へ</a></p>
${section(
  `宛名番号 ${atenaNo}`,
  l
    ? dl([
        ['状況', l.status === 'error' ? badge(LINKAGE_LABELS[l.status]!, 'bad') : (LINKAGE_LABELS[l.status] ?? '—')],
        ['予防接種対象者番号', l.targetId ?? '—'],
        ['最後の連携ファイル名', l.fileName ?? '—'],
        ['最後の連携日時', at(l.at)],
        ['削除の理由', l.changeCategory ? (CHANGE[l.changeCategory] ?? '—') : '—'],
        ['エラー', l.error ?? 'なし'],
        ['試行回数', `${n(l.attempts)}回`],
        ['次の自動再送', l.nextRetryAt ? at(l.nextRetryAt) : '—'],
      ])
    : html`<p class="empty">この方はまだ予防接種プラットフォームに送信していません。</p>`,
)}`,
      ),
    );
  });

  // ------------------------------------------------------------ failed persons and 再送
  fastify.get('/platform/failed', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const r = pageRequest(queryOf(req), FAILED_PAGE);
    const list = await work(app.db, req, (w) => listFailedTargets(w, { page: r.page, pageSize: FAILED_PAGE }));
    const writable = !!req.session && can(req.session.actor, 'personal.write', 'vaccination') && !!exchange;
    const retryButton = (atena: string | null, label: string): SafeHtml =>
      html`<form method="post" action="/platform/failed/retry" class="inline">${csrfField(ctx.csrf)}${atena ? html`<input type="hidden" name="atena" value="${atena}">` : ''}<button type="submit" class="btn btn--secondary">${label}</button></form>`;
    return sendPage(
      reply,
      page(
        ctx,
        '送信に失敗した方',
        html`${tabs('/platform/failed')}
<p>予防接種プラットフォームに登録・削除できなかった方です。接続できなかった方は、時間をおいて自動で再送します（5分後から間隔を広げて最大1日ごと）。PMHキーとの紐付けができなかった方は、住民記録（氏名カナ・生年月日・性別・住所）を確認してから再送してください。</p>
${writable && list.total ? html`<div class="actions">${retryButton(null, '全員を今すぐ再送')}</div>` : ''}
${list.total ? pager({ total: list.total, request: r, shown: list.rows.length, path: '/platform/failed', filters: {}, order: '新しい順' }) : ''}
${table(
  ['宛名番号', '氏名', '送る内容', 'エラー', '試行回数', '最後の送信', '次の自動再送', ''],
  list.rows.map((f) => [
    html`<a href="/platform/persons/${f.atenaNo}">${f.atenaNo}</a>`,
    f.name ?? '—',
    f.pendingSeg ? (SEG_LABELS[f.pendingSeg] ?? '—') : '—',
    f.error ?? '—',
    `${n(f.attempts)}回`,
    at(f.at),
    f.nextRetryAt ? at(f.nextRetryAt) : '自動では再送しません',
    writable && f.pendingSeg ? retryButton(f.atenaNo, '再送') : '',
  ]),
  { caption: '送信に失敗した方', empty: '送信に失敗した方はいません。' },
)}`,
      ),
    );
  });

  fastify.post('/platform/failed/retry', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    if (!exchange) {
      setFlash(reply, '予防接種プラットフォームに接続していないため再送できません。');
      return reply.redirect('/platform/failed');
    }
    const atena = one(((req.body ?? {}) as Form)['atena']);
    if (atena !== undefined && !/^\d{10}$/.test(atena)) {
      setFlash(reply, '宛名番号の指定が正しくありません。');
      return reply.redirect('/platform/failed');
    }
    try {
      const r = await retryFailed(app, principalOf(req), exchange, { force: true, ...(atena ? { atenaNos: [atena] } : {}) });
      setFlash(reply, r.status === 'nothing' ? '再送する方はいませんでした。' : r.status === 'failed' ? `再送できませんでした：${r.error ?? ''}` : `再送しました：送信 ${r.sent}件、失敗 ${r.failed}件。`);
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      setFlash(reply, `再送できませんでした：${problemText(e)}`);
    }
    return reply.redirect('/platform/failed');
  });

  // ------------------------------------------------------------ records from clinics (PMH-18)
  const PULL_PAGE = 20;
  const PULL_STATUS: Record<string, string> = { running: '取込中', complete: '完了', failed: '中断' };
  fastify.get('/platform/records', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const r = pageRequest(queryOf(req), PULL_PAGE);
    const writable = !!req.session && can(req.session.actor, 'personal.write', 'vaccination') && !!exchange;
    const list = await work(app.db, req, (w) => listRecordPulls(w, { limit: PULL_PAGE, offset: (r.page - 1) * PULL_PAGE }));
    return sendPage(
      reply,
      page(
        ctx,
        TITLE,
        html`${tabs('/platform/records')}
<p>医療機関が予防接種プラットフォームに登録した接種記録を、予防接種台帳に取り込んだ記録です。対象者は市が登録した宛名番号で結び付けます（氏名・生年月日などで推測はしません）。医療機関の月次ファイルなど別の経路で同じ接種が登録済みのときは、<a href="/vaccinations/queue">確認待ちの接種記録</a>に回します。取り込んだ記録は請求・支払の対象になります。</p>
${exchange ? '' : notice('この環境では予防接種プラットフォームに接続していません（mamori serve で起動すると接続します）。記録の確認だけができます。', 'warning')}
${writable
  ? section('今すぐ取り込む', html`<form method="post" action="/platform/records/pull">${csrfField(ctx.csrf)}<p>前回の取込の続きから、新しく登録された記録だけを取り込みます（サーバーも定期的に自動で取り込みます）。</p><div class="actions">${button('接種記録を取り込む')}</div></form>`)
  : ''}
${section(
  `取込の記録（全${n(list.total)}件）`,
  html`${list.total ? pager({ total: list.total, request: r, shown: list.items.length, path: '/platform/records', filters: {}, order: '新しい順' }) : ''}
${table(
  ['開始日時', '操作者', '状態', '受信', '登録', '確認待ち', '取込済み'],
  list.items.map((x) => [at(x.startedAt), doneBy(x.startedBy), badge(PULL_STATUS[x.status] ?? '不明', x.status === 'complete' ? 'ok' : x.status === 'failed' ? 'bad' : 'warn'), `${n(x.fetched)}件`, `${n(x.created)}件`, x.queued ? badge(`${n(x.queued)}件`, 'warn') : '0件', `${n(x.unchanged)}件`]),
  { caption: '接種記録の取込の記録', empty: 'まだ取り込んでいません。' },
)}`,
)}`,
      ),
    );
  });

  fastify.post('/platform/records/pull', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    if (!exchange) {
      setFlash(reply, '予防接種プラットフォームに接続していないため取り込めません。');
      return reply.redirect('/platform/records');
    }
    try {
      const r = await pullRecords(app, principalOf(req), exchange);
      setFlash(
        reply,
        r.status === 'failed'
          ? `最後まで取り込めませんでした：${r.error ?? ''}（取り込んだ分は残り、次回は続きから取り込みます）`
          : `取り込みました：受信 ${n(r.fetched)}件（登録 ${n(r.created)}件、確認待ち ${n(r.queued)}件、取込済み ${n(r.unchanged)}件）。`,
      );
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      setFlash(reply, `取り込めませんでした：${problemText(e)}`);
    }
    return reply.redirect('/platform/records');
  });
}
