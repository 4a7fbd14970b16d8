// The 情報連携 screens (the municipality's 中間サーバー端末), for staff of the 情報連携 duty: the overview
// (符号の取得状況 XCH-01, the last 副本 batches XCH-05, provisions waiting), the 副本 and their batch record with
// a CSV export for reconciliation with the 原本 (XCH-05, XCH-06), the provisions held by the 自動応答不可フラグ
// with the content check and the 上長承認 by a different user (XCH-12, XCH-13), the flag and retention
// settings (XCH-14, XCH-15), and the 情報提供等記録 with its review and export (XCH-14).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { principalOf, work } from '../../kernel/http/index.js';
import { can } from '../../kernel/access/index.js';
import { formatJst, formatWareki } from '../../kernel/jp/index.js';
import { isProblem, type Problem } from '../../kernel/problems/index.js';
import {
  approveProvision, checkProvision, copiesCsv, correctionOf, exchangeOverview, exchangeSettings, itemLabel, jimuLabel, listBatches, listCopies, listPending, listRecords, mayApproveProvision, recordsCsv,
  reviewRecords, setAutoAnswerDisabled, setRetention, CODE_STATUS_LABELS, ITEM_LABELS, RETENTION_RANGES, type CopyBatch, type MunicipalExchange, type RecordKind, type RetentionInput,
} from '../../municipality/exchange/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import {
  badge, button, csrfField, dl, doneBy, errorSummary, field, html, notice, page, pageRequest, pager, queryEnum, queryOf, section, select, table, type FormState, type SafeHtml,
} from '../ui/index.js';
import { formState, needLogin, needPermission, one, pageContext, problemText, sendPage, setFlash, type Form } from './support.js';
import { namesOf } from './vaccinations.js';

const COPIES_PAGE = 50;
const RECORDS_PAGE = 50;
const RECORD_KINDS = ['inquiry', 'provision', 'approval'] as const satisfies readonly RecordKind[];
const RECORD_KIND_OPTIONS: [string, string][] = [['', 'すべて'], ['inquiry', '照会'], ['provision', '提供'], ['approval', '上長承認']];

const at = (iso: string | null | undefined): string => (iso ? formatJst(new Date(iso)) : '—');
const n = (v: number): string => v.toLocaleString('ja-JP');

/** The sub-navigation of the 情報連携 screens. */
function tabs(here: string): SafeHtml {
  const items: [string, string][] = [
    ['/exchange', '概要'],
    ['/exchange/copies', '副本の内容'],
    ['/exchange/batches', '副本登録の記録'],
    ['/exchange/pending', '自動応答不可の提供'],
    ['/exchange/records', '情報提供等記録'],
    ['/exchange/settings', '設定'],
  ];
  return html`<nav class="actions" aria-label="情報連携のメニュー">${items.map(([href, label]) =>
    href === here ? html`<span class="btn btn--primary" aria-current="page">${label}</span>` : html`<a class="btn btn--secondary" href="${href}">${label}</a>`,
  )}</nav>`;
}

function batchTable(batches: readonly CopyBatch[], empty: string): SafeHtml {
  return table(
    ['登録日時', '処理', '項目', '操作者', '受付', '登録', '変更なし', '不備'],
    batches.map((b) => [at(b.at), b.process, itemLabel(b.item), doneBy(b.operator), `${n(b.received)}件`, `${n(b.registered)}件`, `${n(b.unchanged)}件`, b.rejected ? badge(`${n(b.rejected)}件`, 'bad') : '0件']),
    { empty },
  );
}

export function registerExchangeAdminPages(fastify: FastifyInstance, app: App, exchange: MunicipalExchange | undefined): void {
  const read = [needLogin, needPermission(app, 'personal.read', 'exchange')];
  const write = [needLogin, needPermission(app, 'personal.write', 'exchange')];
  const exportGuard = [needLogin, needPermission(app, 'personal.export', 'exchange')];
  const approve = [needLogin, needPermission(app, 'deletion.approve', 'exchange')];
  const offline = notice('この環境では中間サーバーに接続していません（mamori serve で起動すると接続します）。情報連携の状況は表示できません。', 'warning');

  const mayExport = (req: FastifyRequest): boolean => !!req.session && can(req.session.actor, 'personal.export', 'exchange');

  const render = async (req: FastifyRequest, reply: FastifyReply, title: string, here: string, body: (x: MunicipalExchange, csrf: string) => Promise<SafeHtml>, status = 200) => {
    const ctx = await pageContext(app, req, reply);
    let content = offline;
    if (exchange) {
      try {
        content = await body(exchange, ctx.csrf);
      } catch (e) {
        // The 中間サーバー down or unreachable: the page says so (503), in words, instead of a bare error page.
        if (!isProblem(e) || e.status < 500) throw e;
        content = notice(`中間サーバーから応答を得られませんでした：${problemText(e)} しばらくしてからもう一度開いてください。`, 'error');
        status = 503;
      }
    }
    // Not connected is this deployment's state, not a failed request: the page says so.
    return sendPage(reply, page(ctx, title, html`${tabs(here)}${content}`), status);
  };

  // ------------------------------------------------------------ overview
  fastify.get('/exchange', { preHandler: read }, async (req, reply) =>
    render(req, reply, '情報連携', '/exchange', async (x) => {
      const o = await exchangeOverview(app.db, principalOf(req), x);
      const acquired = o.codes.find((c) => c.status === 'acquired')?.count ?? 0;
      return html`<p>この団体の中間サーバーの状況です。符号の取得、副本の登録、他団体からの照会への提供、情報提供等記録を確認します。</p>
${o.pending ? notice(html`自動応答不可の提供が <strong>${n(o.pending)}件</strong> 確認・承認を待っています。<a href="/exchange/pending">自動応答不可の提供へ</a>`, 'warning') : ''}
${o.reviewDue ? notice(html`情報提供等記録の定期点検の時期です（前回：${at(o.lastReviewedAt)}）。<a href="/exchange/records">情報提供等記録へ</a>`, 'warning') : ''}
${section(
  '符号の取得状況',
  html`<p>団体内統合宛名番号のある方 ${n(o.persons)}人のうち、${n(acquired)}人の符号（情報提供用個人識別符号）を取得済みです。</p>
${table(
  ['状況', '人数'],
  o.codes.map((c) => [c.status === 'failed' && c.count ? badge(CODE_STATUS_LABELS[c.status]!, 'bad') : CODE_STATUS_LABELS[c.status]!, `${n(c.count)}人`]),
  { caption: '符号の取得状況（人数）' },
)}
${o.failures.length ? table(['取得できなかった理由', '人数'], o.failures.map((f) => [f.reason, `${n(f.count)}人`]), { caption: '取得できなかった理由' }) : ''}`,
)}
${section(
  '副本の登録',
  html`<p>中間サーバーに登録されている副本：${n(o.copies)}人分（予防接種履歴）。<a href="/exchange/copies">副本の内容を見る</a>・<a href="/exchange/batches">登録の記録をすべて見る</a></p>
${batchTable(o.batches, 'まだ副本を登録していません。')}`,
)}
${section(
  '確認・承認待ちの提供',
  html`<p>${o.pending ? `${n(o.pending)}件の提供が、職員による内容の確認と上長承認を待っています。` : '確認・承認を待っている提供はありません。'}</p><p><a href="/exchange/pending">自動応答不可の提供へ</a></p>`,
)}`;
    }),
  );

  // ------------------------------------------------------------ 副本 (XCH-06)
  fastify.get('/exchange/copies', { preHandler: read }, async (req, reply) => {
    const q = queryOf(req);
    const r = pageRequest(q, COPIES_PAGE);
    return render(req, reply, '副本の内容', '/exchange/copies', async (x) => {
      const list = await listCopies(app.db, principalOf(req), x, { page: r.page, pageSize: COPIES_PAGE });
      const shown = { page: list.page, pageSize: COPIES_PAGE, offset: (list.page - 1) * COPIES_PAGE };
      return html`<p>中間サーバーの情報提供用データベースにある副本（予防接種履歴）です。副本には氏名・住所・個人番号は含まれず、本人は団体内統合宛名番号で表します。原本（予防接種台帳）との照合にはCSVを出力してください。</p>
${mayExport(req) ? html`<div class="actions"><a class="btn btn--secondary" href="/exchange/copies.csv">副本をCSVで出力（原本との照合用）</a></div>` : ''}
${list.total ? pager({ total: list.total, request: shown, shown: list.rows.length, path: '/exchange/copies', filters: {}, order: '統合宛名番号順' }) : ''}
${table(
  ['団体内統合宛名番号', '特定個人情報の項目', '接種記録', '登録日時', '登録の記録'],
  list.rows.map((c) => [c.integratedNo, itemLabel(c.item), `${n(c.doses)}件`, at(c.registeredAt), html`<span title="${c.batchId}">${c.batchId.slice(0, 8)}</span>`]),
  { caption: `副本（全${n(list.total)}人分）`, empty: 'まだ副本は登録されていません。' },
)}`;
    });
  });

  fastify.get('/exchange/copies.csv', { preHandler: exportGuard }, async (req, reply) => {
    if (!exchange) return render(req, reply, '副本の内容', '/exchange/copies', async () => html``);
    const { csv } = await copiesCsv(app.db, principalOf(req), exchange, (iso) => formatJst(new Date(iso)));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="exchange-copies-${req.session!.tenant}-${app.config.clock.today()}.csv"`).send(csv);
  });

  fastify.get('/exchange/batches', { preHandler: read }, async (req, reply) =>
    render(req, reply, '副本登録の記録', '/exchange/batches', async (x) => {
      const batches = await listBatches(app.db, principalOf(req), x);
      // XCH-06: the rejected rows of each batch, grouped by reason, with the predefined correction procedure.
      const faults = new Map<string, { label: string; steps: readonly string[]; rows: number; batches: Set<string>; last: string }>();
      for (const b of batches) {
        for (const e of b.errors ?? []) {
          const c = correctionOf(e.reason);
          const f = faults.get(c.code) ?? { label: c.label, steps: c.steps, rows: 0, batches: new Set<string>(), last: b.at };
          f.rows++;
          f.batches.add(b.batchId);
          if (b.at > f.last) f.last = b.at;
          faults.set(c.code, f);
        }
      }
      return html`<p>中間サーバーへの副本の一括登録の記録です（いつ、どの処理が、どの特定個人情報を、誰の操作で登録したか）。新しい順に最大1,000件を表示します。</p>
${faults.size
  ? section(
      '不備のあった行と修正の手順',
      html`<p>次の行は中間サーバーに登録されませんでした。不備の種類ごとに、定めた手順で原本を確認・訂正してから登録し直してください。</p>
${[...faults.values()].map((f) => html`<h3>${f.label}（${n(f.rows)}行・${n(f.batches.size)}回の登録、最後は${at(f.last)}）</h3><ol>${f.steps.map((s) => html`<li>${s}</li>`)}</ol>`)}`,
    )
  : ''}
${batchTable(batches, 'まだ副本を登録していません。')}`;
    }),
  );

  // ------------------------------------------------------------ 自動応答不可の提供 (XCH-12, XCH-13)
  const pendingPage = async (req: FastifyRequest, x: MunicipalExchange, csrf: string, error?: string): Promise<SafeHtml> => {
    const who = principalOf(req);
    const list = await listPending(app.db, who, x);
    const names = namesOf((await work(app.db, req, (w) => catalogFor(w))).catalog);
    const approver = mayApproveProvision(who.actor);
    const writer = can(who.actor, 'personal.write', 'exchange');
    const me = who.actor.login;
    return html`${error ? notice(error, 'error') : ''}
<p>自動応答不可フラグを設定した項目への照会は、職員が提供する内容を確認し（1. 内容を確認した）、確認した職員とは別の上長が承認して（2. 上長承認）はじめて照会元に提供されます。承認した内容は、照会元が結果を確認したときに届きます。</p>
${list.length === 0
  ? notice('確認・承認を待っている提供はありません。', 'info')
  : list.map((p) =>
      section(
        `${p.requesterName}からの照会`,
        html`${dl([
          ['照会元', p.requesterName],
          ['事務', jimuLabel(p.jimu)],
          ['特定個人情報の項目', itemLabel(p.item)],
          ['根拠法令', p.legalBasis],
          ['本人', p.atenaNo ? `宛名番号 ${p.atenaNo}（統合宛名番号 ${p.integratedNo ?? '—'}）` : `統合宛名番号 ${p.integratedNo ?? '—'}`],
          ['照会を受けた日時', at(p.requestedAt)],
          ['連携番号', p.exchangeId],
          ['状況', p.checkedBy && !p.checkStale ? badge(`内容確認済み（${p.checkedBy}・${p.checkedAt ? formatJst(p.checkedAt) : ''}）・上長承認待ち`, 'warn') : badge('内容の確認待ち', 'warn')],
        ])}
${p.checkStale ? notice('内容を確認した後に副本が更新されました。もう一度内容を確認してください。', 'warning') : ''}
${table(
  ['予防接種', '回数', '接種日', 'ワクチン', 'ロット番号'],
  p.records.map((d) => [names.program(d.program), d.dose ? `${d.dose}回目` : '—', d.date ? `${formatWareki(d.date)}（${d.date}）` : '不明', names.product(d.product), d.lot ?? '—']),
  { caption: '提供する内容（副本）', empty: '提供する接種記録はありません。' },
)}
<div class="actions">
${writer ? html`<form method="post" action="/exchange/pending/${p.exchangeId}/check" class="inline-form">${csrfField(csrf)}<input type="hidden" name="digest" value="${p.digest ?? ''}">${button(p.checkedBy && !p.checkStale ? '内容を確認した（確認し直す）' : '1. 内容を確認した', p.checkedBy && !p.checkStale ? 'secondary' : 'primary')}</form>` : ''}
${approver && p.checkedBy && !p.checkStale
  ? p.checkedBy === me
    ? html`<p class="hint">内容を確認したのはあなたです。上長承認は確認した職員とは別の職員が行います。</p>`
    : html`<form method="post" action="/exchange/pending/${p.exchangeId}/approve" class="inline-form">${csrfField(csrf)}${button('2. 上長承認（提供する）')}</form>`
  : ''}
${!approver ? html`<p class="hint">上長承認は所属長・責任者（承認の権限を持つ職員）が行います。</p>` : ''}
${approver && (!p.checkedBy || p.checkStale) ? html`<p class="hint">職員が内容を確認した後に、別の職員（上長）が承認できます。</p>` : ''}
</div>`,
      ),
    )}`;
  };

  fastify.get('/exchange/pending', { preHandler: read }, async (req, reply) => render(req, reply, '自動応答不可の提供', '/exchange/pending', (x, csrf) => pendingPage(req, x, csrf)));

  const pendingAction = async (req: FastifyRequest, reply: FastifyReply, fn: (x: MunicipalExchange, id: string) => Promise<string>) => {
    const id = (req.params as { id: string }).id;
    if (!exchange) return render(req, reply, '自動応答不可の提供', '/exchange/pending', async () => html``);
    try {
      setFlash(reply, await fn(exchange, id));
      return reply.redirect('/exchange/pending');
    } catch (e) {
      if (!isProblem(e) || e.code === 'FORBIDDEN' || e.status >= 500) throw e;
      const msg = `${e.title}：${problemText(e)}`;
      return render(req, reply, '自動応答不可の提供', '/exchange/pending', (x, csrf) => pendingPage(req, x, csrf, msg), e.status);
    }
  };

  fastify.post('/exchange/pending/:id/check', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) =>
    pendingAction(req, reply, async (x, id) => {
      const digest = one(((req.body ?? {}) as Form)['digest']);
      await checkProvision(app.db, principalOf(req), x, id, { digest: digest ?? undefined });
      return '提供する内容を確認したことを記録しました。確認した職員とは別の上長が承認すると提供されます。';
    }),
  );

  fastify.post('/exchange/pending/:id/approve', { preHandler: [...approve, fastify.csrfProtection] }, async (req, reply) =>
    pendingAction(req, reply, async (x, id) => {
      await approveProvision(app.db, principalOf(req), x, id);
      return '上長承認を記録しました。照会元が結果を確認すると提供されます。';
    }),
  );

  // ------------------------------------------------------------ settings (XCH-12, XCH-14, XCH-15)
  const settingsPage = async (req: FastifyRequest, x: MunicipalExchange, csrf: string, state?: FormState): Promise<SafeHtml> => {
    const s = await exchangeSettings(app.db, principalOf(req), x);
    const writable = mayWriteExchange(req);
    return html`<p>中間サーバーの自動応答不可フラグと、照会結果・情報提供等記録の保存期間、記録の点検の間隔を設定します。変更は操作ログに記録されます。</p>
${section(
      '自動応答不可フラグ',
      html`<p>フラグを設定した項目は、他団体から照会があっても自動では提供せず、職員の内容確認と上長承認の後に提供します。</p>
${table(
  ['特定個人情報の項目', '自動応答', '最終変更', ''],
  s.items.map((i) => [
    ITEM_LABELS[i.item] ?? i.item,
    i.autoAnswerDisabled ? badge('自動応答しない（確認・承認の後に提供）', 'warn') : badge('自動応答する', 'ok'),
    i.updatedAt ? `${at(i.updatedAt)}（${i.updatedBy ?? ''}）` : '—',
    writable
      ? html`<form method="post" action="/exchange/settings/items" class="inline-form">${csrfField(csrf)}<input type="hidden" name="item" value="${i.item}"><input type="hidden" name="autoAnswerDisabled" value="${i.autoAnswerDisabled ? 'false' : 'true'}">${button(i.autoAnswerDisabled ? '自動応答に戻す' : '自動応答不可にする', 'secondary')}</form>`
      : '',
  ]),
)}`,
    )}
${section(
  '保存期間と点検',
  html`${dl([
    ['照会結果の保存', `${s.resultRetentionDays}日（過ぎた照会結果は中間サーバーから自動で削除します）`],
    ['情報提供等記録の保存', `${s.recordRetentionYears}年`],
    ['情報提供等記録の点検の間隔', `${s.reviewIntervalDays}日（前回の点検：${at(s.lastReviewedAt)}${s.lastReviewedBy ? `・${s.lastReviewedBy}` : ''}）`],
  ])}
${writable
  ? html`${errorSummary(state)}<form method="post" action="/exchange/settings/retention" class="card" novalidate>${csrfField(csrf)}
${(Object.entries(RETENTION_RANGES) as [keyof RetentionInput, readonly [number, number, string]][]).map(([k, [lo, hi, label]]) =>
  field({ label, name: k, type: 'number', inputmode: 'numeric', required: true, value: String(s[k]), hint: `${lo}〜${hi}` }, state),
)}
${button('保存期間を変更する')}</form>`
  : ''}`,
)}`;
  };

  const mayWriteExchange = (req: FastifyRequest): boolean => !!req.session && can(req.session.actor, 'personal.write', 'exchange');

  fastify.get('/exchange/settings', { preHandler: read }, async (req, reply) => render(req, reply, '情報連携の設定', '/exchange/settings', (x, csrf) => settingsPage(req, x, csrf)));

  fastify.post('/exchange/settings/items', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    if (!exchange) return render(req, reply, '情報連携の設定', '/exchange/settings', async () => html``);
    const body = (req.body ?? {}) as Form;
    const item = one(body['item']) ?? '';
    const v = one(body['autoAnswerDisabled']);
    if (v !== 'true' && v !== 'false') {
      setFlash(reply, '自動応答の設定の指定が正しくありません。');
      return reply.redirect('/exchange/settings');
    }
    try {
      await setAutoAnswerDisabled(app.db, principalOf(req), exchange, item, v === 'true');
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      setFlash(reply, `設定できませんでした：${problemText(e)}`);
      return reply.redirect('/exchange/settings');
    }
    setFlash(reply, `「${ITEM_LABELS[item] ?? item}」を${v === 'true' ? '自動応答不可（確認・承認の後に提供）' : '自動応答する'}に設定しました。`);
    return reply.redirect('/exchange/settings');
  });

  fastify.post('/exchange/settings/retention', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    if (!exchange) return render(req, reply, '情報連携の設定', '/exchange/settings', async () => html``);
    const body = (req.body ?? {}) as Form;
    const num = (k: string) => {
      const s = (one(body[k]) ?? '').normalize('NFKC').trim();
      return /^\d{1,6}$/.test(s) ? Number(s) : NaN;
    };
    const input: RetentionInput = { resultRetentionDays: num('resultRetentionDays'), recordRetentionYears: num('recordRetentionYears'), reviewIntervalDays: num('reviewIntervalDays') };
    try {
      await setRetention(app.db, principalOf(req), exchange, input);
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      const p = e as Problem;
      return render(req, reply, '情報連携の設定', '/exchange/settings', (x, csrf) => settingsPage(req, x, csrf, formState(body, p)), 400);
    }
    setFlash(reply, '保存期間と点検の間隔を変更しました。');
    return reply.redirect('/exchange/settings');
  });

  // ------------------------------------------------------------ 情報提供等記録 (XCH-14)
  fastify.get('/exchange/records', { preHandler: read }, async (req, reply) => {
    const q = queryOf(req);
    const kind = queryEnum(q, 'kind', '種別', RECORD_KINDS);
    const r = pageRequest(q, RECORDS_PAGE);
    return render(req, reply, '情報提供等記録', '/exchange/records', async (x, csrf) => {
      const list = await listRecords(app.db, principalOf(req), x, { page: r.page, pageSize: RECORDS_PAGE, kind });
      const shown = { page: list.page, pageSize: RECORDS_PAGE, offset: (list.page - 1) * RECORDS_PAGE };
      return html`<p>この団体の中間サーバーが記録した情報照会・情報提供の記録です（保存期間 ${list.recordRetentionYears}年）。</p>
${section(
  '定期点検',
  html`${list.reviewDue ? notice(`点検の時期です（点検の間隔 ${list.reviewIntervalDays}日）。記録を確認し、不審な照会・提供がないか点検してください。`, 'warning') : ''}
${dl([
  ['前回の点検', list.lastReviewedAt ? `${at(list.lastReviewedAt)}（${list.lastReviewedBy ?? ''}）` : 'まだ点検していません'],
  ['点検の間隔', `${list.reviewIntervalDays}日`],
])}
${mayWriteExchange(req) ? html`<form method="post" action="/exchange/records/review">${csrfField(csrf)}<p class="hint">現在までの記録を点検したことを記録します（点検した職員と日時が残ります）。</p>${button('現在までの記録を点検した', 'secondary')}</form>` : ''}`,
)}
<form method="get" action="/exchange/records" class="card filters">
  ${select({ label: '種別', name: 'kind', options: RECORD_KIND_OPTIONS, value: kind ?? '' })}
  ${button('絞り込む', 'secondary')}
</form>
${mayExport(req) ? html`<div class="actions"><a class="btn btn--secondary" href="/exchange/records.csv${kind ? `?kind=${kind}` : ''}">CSVで出力</a></div>` : ''}
${list.total ? pager({ total: list.total, request: shown, shown: list.rows.length, path: '/exchange/records', filters: { kind }, order: '新しい順' }) : ''}
${table(
  ['日時', '種別', '相手先', '事務', '情報', '根拠法令', '結果', '職員'],
  list.rows.map((x) => [at(x.at), x.kindLabel, x.counterpartName, x.jimuLabel, x.itemLabel, x.legalBasis ?? '—', x.statusLabel, x.operator ? x.operator.split('/').map(doneBy).join('／') : x.kind === 'provision' ? '（自動応答）' : '—']),
  { caption: '情報提供等記録（新しい順）', empty: kind ? '条件に合う記録はありません。' : 'まだ記録はありません。' },
)}`;
    });
  });

  fastify.get('/exchange/records.csv', { preHandler: exportGuard }, async (req, reply) => {
    const kind = queryEnum(queryOf(req), 'kind', '種別', RECORD_KINDS);
    if (!exchange) return render(req, reply, '情報提供等記録', '/exchange/records', async () => html``);
    const { csv } = await recordsCsv(app.db, principalOf(req), exchange, (iso) => formatJst(new Date(iso)), kind);
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="exchange-records-${req.session!.tenant}-${app.config.clock.today()}.csv"`).send(csv);
  });

  fastify.post('/exchange/records/review', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    if (!exchange) return render(req, reply, '情報提供等記録', '/exchange/records', async () => html``);
    const r = await reviewRecords(app.db, principalOf(req), exchange);
    setFlash(reply, `${formatJst(new Date(r.reviewedAt))}までの情報提供等記録を点検したことを記録しました。`);
    return reply.redirect('/exchange/records');
  });
}
