// 医療機関への接種委託料の請求と支払 (issue 13 part B; VAX-32, PMH-18; decisions 0149, 0150): the claim months
// with their totals, one month's claims per institution (受付・返戻 counts and amounts, 承認・保留), the returned
// items with 国保連's reasons, unit prices, payees and the 依頼人 account, payment batches and the 総合振込
// file.  For staff of the 予防接種 duty; changes need personal.write.  Amounts in 円 with separators; months
// and dates in 和暦.  Never a My Number, never a program code (program names from the catalog).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { principalOf, work } from '../../kernel/http/index.js';
import { can } from '../../kernel/access/index.js';
import { formatJst, formatWareki, warekiParts } from '../../kernel/jp/index.js';
import { invalidField, isProblem, type Problem } from '../../kernel/problems/index.js';
import type { MunicipalExchange } from '../../municipality/exchange/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import { listReimbursements } from '../../municipality/reimburse/index.js';
import {
  approveClaim, closeMonth, createPaymentBatch, defaultTransferDate, getPaymentBatch, getRequester, holdClaim, listClaimMonths, listClaims, listPayees, listPaymentBatches, listPrices,
  listReturnedItems, parseMonth, paymentFile, setPayee, setPrice, setRequester, ACCOUNT_TYPES, CLAIM_STATUS_LABELS, type ClaimView,
} from '../../municipality/billing/index.js';
import { badge, button, checkbox, csrfField, subNav, dl, doneBy, field, html, notice, page, pageRequest, pager, queryOf, section, select, table, type FormState, type SafeHtml } from '../ui/index.js';
import { formState, needLogin, needPermission, one, pageContext, problemText, sendPage, setFlash, type Form } from './support.js';

const CLAIM_PAGE = 50;
const RETURNED_MAX = 200;
const PAYEE_PAGE = 50;
const BATCH_PAGE = 30;

const n = (v: number): string => v.toLocaleString('ja-JP');
const yen = (v: number): string => `${v.toLocaleString('ja-JP')}円`;
/** 令和8年10月分. */
export function monthWareki(month: string): string {
  const p = warekiParts(`${month}-01`);
  return `${p.era}${p.year === 1 ? '元' : p.year}年${p.month}月`;
}
const dateWareki = (d: string | null): string => (d ? formatWareki(d) : '—');
/** A batch's claim month, or 償還払い for a batch of persons only. */
const batchMonth = (m: string | null): string => (m ? `${monthWareki(m)}分` : '—（償還払いのみ）');
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function claimBadge(s: string): SafeHtml {
  return badge(CLAIM_STATUS_LABELS[s] ?? '不明', s === 'paid' || s === 'approved' ? 'ok' : s === 'held' ? 'warn' : s === 'checking' ? 'warn' : 'info');
}

function tabs(here: string): SafeHtml {
  const items: [string, string][] = [
    ['/billing', '請求と審査'],
    ['/payments', '支払と振込ファイル'],
    ['/billing/prices', '単価'],
    ['/billing/payees', '支払先口座'],
  ];
  return subNav('請求・支払のメニュー', items, here);
}

function monthQuery(req: FastifyRequest): string | undefined {
  const v = queryOf(req)['month'];
  if (v === undefined || v === '') return undefined;
  try {
    return parseMonth(v);
  } catch {
    throw invalidField('month', 'INVALID_QUERY', '「請求年月」の指定が正しくありません（YYYY-MM 形式）');
  }
}

const accountTypes = Object.entries(ACCOUNT_TYPES).map(([k, v]) => [k, v] as const);
const ACCOUNT_KEYS = ['bankCode', 'bankKana', 'branchCode', 'branchKana', 'accountType', 'accountNo'] as const;
type Account = { readonly [K in (typeof ACCOUNT_KEYS)[number]]: string | null };

/** The bank account controls of the payee and 依頼人 forms (the current values when given). */
function accountFields(state: FormState | undefined, cur?: Account | null): SafeHtml {
  return html`${field({ label: '金融機関コード', name: 'bankCode', required: true, inputmode: 'numeric', maxlength: 4, value: cur?.bankCode ?? '' }, state)}
${field({ label: '金融機関名（カナ）', name: 'bankKana', value: cur?.bankKana ?? '' }, state)}
${field({ label: '支店コード', name: 'branchCode', required: true, inputmode: 'numeric', maxlength: 3, value: cur?.branchCode ?? '' }, state)}
${field({ label: '支店名（カナ）', name: 'branchKana', value: cur?.branchKana ?? '' }, state)}
${select({ label: '預金種目', name: 'accountType', options: accountTypes, required: true, value: cur?.accountType ?? '1' }, state)}
${field({ label: '口座番号', name: 'accountNo', required: true, inputmode: 'numeric', maxlength: 7, value: cur?.accountNo ?? '' }, state)}`;
}

const accountOf = (b: Form): Record<(typeof ACCOUNT_KEYS)[number], string | undefined> =>
  Object.fromEntries(ACCOUNT_KEYS.map((k) => [k, one(b[k])])) as Record<(typeof ACCOUNT_KEYS)[number], string | undefined>;

const writable = (req: FastifyRequest): boolean => !!req.session && can(req.session.actor, 'personal.write', 'vaccination');

export function registerBillingPages(fastify: FastifyInstance, app: App, exchange: MunicipalExchange | undefined): void {
  const read = [needLogin, needPermission(app, 'personal.read', 'vaccination')];
  const write = [needLogin, needPermission(app, 'personal.write', 'vaccination')];

  const programNamer = async (req: FastifyRequest) =>
    work(app.db, req, async (w) => {
      const { catalog } = await catalogFor(w);
      return { name: (code: string) => catalog.programsByCode.get(code)?.at(-1)?.name ?? '（登録されていない予防接種）', programs: [...catalog.programsByCode.entries()].map(([code, v]) => [code, v.at(-1)?.name ?? code] as const) };
    });

  // ------------------------------------------------------------ months, claims, returned items
  fastify.get('/billing', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const asked = monthQuery(req);
    const r = pageRequest(queryOf(req), CLAIM_PAGE);
    const { name } = await programNamer(req);
    const data = await work(app.db, req, async (w) => {
      const months = await listClaimMonths(w, { pageSize: 24 });
      const month = asked ?? months.rows[0]?.month;
      return {
        months,
        month,
        claims: month ? await listClaims(w, month, { page: r.page, pageSize: CLAIM_PAGE }) : null,
        returned: month ? await listReturnedItems(w, month, { pageSize: RETURNED_MAX }) : null,
      };
    });
    const canWrite = writable(req);
    const today = app.config.clock.today();
    const lastMonth = (() => {
      const [y, m] = today.split('-').map(Number) as [number, number];
      return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
    })();
    const decide = (c: ClaimView): SafeHtml =>
      canWrite && c.accepted > 0 && ['checked', 'held', 'approved'].includes(c.status)
        ? html`${c.status !== 'approved' ? html`<form method="post" action="/billing/claims/${c.id}/approve" class="inline">${csrfField(ctx.csrf)}<button type="submit" class="btn btn--secondary">承認</button></form>` : ''}
${c.status !== 'held' ? html`<form method="post" action="/billing/claims/${c.id}/hold" class="inline">${csrfField(ctx.csrf)}<input type="hidden" name="reason" value="画面から保留"><button type="submit" class="btn btn--secondary">保留</button></form>` : ''}`
        : html``;
    const m = data.month;
    return sendPage(
      reply,
      page(
        ctx,
        '医療機関への請求と審査',
        html`${tabs('/billing')}
<p>医療機関が実施した予防接種の委託料を、請求年月ごとに医療機関別にまとめて国保連の審査に送ります。支払済み・支払対象外の記録は請求しません。返戻された記録は、記録を訂正するか単価を登録すると次の締めで再び請求します。</p>
${exchange ? '' : notice('この環境では国保連に接続していません（mamori serve で起動すると接続します）。記録の確認だけができます。', 'warning')}
${canWrite && exchange
  ? section(
      '請求月を締めて審査に送る',
      html`<form method="post" action="/billing/close">${csrfField(ctx.csrf)}
${field({ label: '請求年月', name: 'month', value: m ?? lastMonth, required: true, hint: '例：2026-10（締めを繰り返しても同じ記録を二重に請求しません）', maxlength: 7 })}
<div class="actions">${button('締めて国保連に送る')}</div></form>`,
    )
  : ''}
${section(
  `請求月（全${n(data.months.total)}か月）`,
  table(
    ['請求年月', '請求', '受付', '返戻', '受付金額', '支払済み金額', '未払い（支払可能）', ''],
    data.months.rows.map((x) => [monthWareki(x.month) + '分', `${n(x.claims)}件`, `${n(x.accepted)}件`, x.returned ? badge(`${n(x.returned)}件`, 'warn') : '0件', yen(x.acceptedAmount), yen(x.paidAmount), yen(x.payableAmount), x.month === m ? '表示中' : html`<a href="/billing?month=${x.month}">表示</a>`]),
    { caption: '請求月ごとの合計（新しい順、直近24か月）', empty: 'まだ請求していません。' },
  ),
)}
${m && data.claims
  ? section(
      `${monthWareki(m)}分の請求（医療機関別、全${n(data.claims.total)}件）`,
      html`<p>合計：明細 ${n(data.claims.totals.items)}件、受付 ${n(data.claims.totals.accepted)}件、返戻 ${n(data.claims.totals.returned)}件、受付金額 <strong>${yen(data.claims.totals.acceptedAmount)}</strong></p>
${data.claims.total ? pager({ total: data.claims.total, request: r, shown: data.claims.rows.length, path: '/billing', filters: { month: m }, order: '医療機関コード順' }) : ''}
${table(
  ['医療機関', '状態', '明細', '受付', '返戻', '請求金額', '受付金額', '審査日時', ''],
  data.claims.rows.map((c) => [
    html`${c.institutionName ?? '（支払先未登録）'}<br><span class="hint">${c.institutionCode}</span>`,
    html`${claimBadge(c.status)}${c.holdReason && c.status === 'held' ? html`<br><span class="hint">${c.holdReason}</span>` : ''}`,
    `${n(c.items)}件`,
    `${n(c.accepted)}件`,
    c.returned ? badge(`${n(c.returned)}件`, 'warn') : '0件',
    yen(c.amount),
    yen(c.acceptedAmount),
    c.checkedAt ? formatJst(c.checkedAt) : '—',
    decide(c),
  ]),
  { caption: `${monthWareki(m)}分の請求`, empty: 'この月の請求はありません。' },
)}`,
    )
  : ''}
${m && data.returned
  ? section(
      `${monthWareki(m)}分の返戻（全${n(data.returned.total)}件）`,
      html`${data.returned.total > RETURNED_MAX ? notice(`先頭の${n(RETURNED_MAX)}件を表示しています。`, 'info') : ''}
${table(
  ['医療機関コード', '予防接種', '回数', '接種日', '請求金額', '返戻の理由', '再請求'],
  data.returned.rows.map((i) => [i.institutionCode, name(i.program), i.dose ? `${i.dose}回目` : '—', dateWareki(i.vaccinatedOn), yen(i.amount), i.reason ?? '—', i.reclaimed ? '再請求済み' : html`<a href="/vaccinations/${i.recordId}">記録を確認</a>`]),
  { caption: '返戻された明細', empty: '返戻はありません。' },
)}`,
    )
  : ''}`,
      ),
    );
  });

  fastify.post('/billing/close', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const month = one(((req.body ?? {}) as Form)['month']) ?? '';
    if (!exchange) {
      setFlash(reply, '国保連に接続していないため締めることができません。');
      return reply.redirect('/billing');
    }
    try {
      const r = await closeMonth(app, principalOf(req), exchange, month);
      setFlash(reply, r.claims === 0 ? '新しく請求する記録はありませんでした。' : `国保連で審査しました：請求 ${n(r.claims)}件、受付 ${n(r.accepted)}件、返戻 ${n(r.returned)}件、受付金額 ${yen(r.amount)}。`);
      return reply.redirect(`/billing?month=${encodeURIComponent(parseMonth(month))}`);
    } catch (e) {
      if (!isProblem(e) || e.code === 'FORBIDDEN' || (e.status >= 500 && e.status !== 502 && e.status !== 503 && e.status !== 504)) throw e;
      setFlash(reply, `締めることができませんでした：${problemText(e, { month: '請求年月' })}`);
      return reply.redirect('/billing');
    }
  });

  for (const action of ['approve', 'hold'] as const) {
    fastify.post(`/billing/claims/:id/${action}`, { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
      const id = (req.params as { id: string }).id;
      const reason = one(((req.body ?? {}) as Form)['reason']);
      try {
        const c = await work(app.db, req, (w) => (action === 'approve' ? approveClaim(w, id) : holdClaim(w, id, reason)));
        setFlash(reply, `${c.institutionName ?? c.institutionCode} の請求を${action === 'approve' ? '承認' : '保留'}しました。`);
        return reply.redirect(`/billing?month=${c.month}`);
      } catch (e) {
        if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
        setFlash(reply, problemText(e));
        return reply.redirect('/billing');
      }
    });
  }

  // ------------------------------------------------------------ prices
  const pricesPage = async (req: FastifyRequest, reply: FastifyReply, state?: FormState, status = 200) => {
    const ctx = await pageContext(app, req, reply);
    const { name, programs } = await programNamer(req);
    const prices = await work(app.db, req, (w) => listPrices(w));
    return sendPage(
      reply,
      page(
        ctx,
        '接種委託料の単価',
        html`${tabs('/billing/prices')}
<p>予防接種ごとの委託料の単価と自己負担額です。接種日に適用される単価（適用開始日が接種日以前で最も新しいもの）で請求します。自己負担を免除する減免区分の方は、自己負担額を0円として請求します。</p>
${writable(req)
  ? section(
      '単価を登録する',
      html`<form method="post" action="/billing/prices">${csrfField(ctx.csrf)}
${select({ label: '予防接種', name: 'program', options: programs, required: true }, state)}
${field({ label: '適用開始日', name: 'validFrom', type: 'date', required: true }, state)}
${field({ label: '単価（円）', name: 'unitPrice', required: true, inputmode: 'numeric' }, state)}
${field({ label: '自己負担額（円）', name: 'copay', inputmode: 'numeric', value: '0' }, state)}
${field({ label: '自己負担を免除する減免区分', name: 'copayWaivedFor', hint: '読点（、）で区切って入力します。例：生活保護、市町村民税非課税', value: '生活保護、市町村民税非課税' }, state)}
<div class="actions">${button('登録')}</div></form>`,
    )
  : ''}
${section(
  `登録されている単価（全${n(prices.length)}件）`,
  table(
    ['予防接種', '適用開始日', '単価', '自己負担額', '自己負担の免除', '登録者', '登録日時'],
    prices.map((p) => [name(p.program), dateWareki(p.validFrom), yen(p.unitPrice), yen(p.copay), p.copayWaivedFor.join('・') || 'なし', doneBy(p.updatedBy), formatJst(p.updatedAt)]),
    { caption: '接種委託料の単価（予防接種ごと、新しい順）', empty: 'まだ単価を登録していません。' },
  ),
)}`,
      ),
      status,
    );
  };
  fastify.get('/billing/prices', { preHandler: read }, async (req, reply) => pricesPage(req, reply));
  fastify.post('/billing/prices', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    try {
      await work(app.db, req, (w) =>
        setPrice(w, { program: one(b['program']), validFrom: one(b['validFrom']), unitPrice: one(b['unitPrice']), copay: one(b['copay']) || '0', copayWaivedFor: (one(b['copayWaivedFor']) ?? '').split(/[、,，]/).map((s) => s.trim()).filter(Boolean) }),
      );
      setFlash(reply, '単価を登録しました。');
      return reply.redirect('/billing/prices');
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      return pricesPage(req, reply, formState(b, e as Problem), 400);
    }
  });

  // ------------------------------------------------------------ payees and the 依頼人
  const payeesPage = async (req: FastifyRequest, reply: FastifyReply, state?: FormState, status = 200) => {
    const ctx = await pageContext(app, req, reply);
    const r = pageRequest(queryOf(req), PAYEE_PAGE);
    const { list, requester } = await work(app.db, req, async (w) => ({ list: await listPayees(w, { page: r.page, pageSize: PAYEE_PAGE }), requester: await getRequester(w) }));
    const canWrite = writable(req);
    return sendPage(
      reply,
      page(
        ctx,
        '医療機関の支払先口座',
        html`${tabs('/billing/payees')}
<p>委託料を振り込む医療機関の口座です。口座名義などのカナは、振込に使える文字（半角カナ・英大文字・数字）に変換して登録します。漢字など使えない文字があると登録できません。</p>
${section(
  '振込依頼人（市区町村の口座）',
  html`${requester
    ? dl([
        ['委託者コード', requester.requesterCode],
        ['依頼人名（カナ）', requester.requesterKana],
        ['金融機関', `${requester.bankCode}${requester.bankKana ? `（${requester.bankKana}）` : ''}`],
        ['支店', `${requester.branchCode}${requester.branchKana ? `（${requester.branchKana}）` : ''}`],
        ['口座', `${ACCOUNT_TYPES[requester.accountType] ?? '—'} ${requester.accountNo}`],
      ])
    : notice('振込依頼人の口座が登録されていません。登録するまで総合振込ファイルを作成できません。', 'warning')}
${canWrite ? html`<p><a href="/billing/requester">振込依頼人の口座を${requester ? '変更' : '登録'}する</a></p>` : ''}`,
)}
${canWrite
  ? section(
      '支払先口座を登録する',
      html`<form method="post" action="/billing/payees">${csrfField(ctx.csrf)}
${field({ label: '医療機関コード', name: 'institutionCode', required: true, inputmode: 'numeric', maxlength: 10, hint: '10桁（検証番号を含む）' }, state)}
${field({ label: '医療機関名', name: 'name', required: true }, state)}
${field({ label: '医療機関名（カナ）', name: 'kana', required: true }, state)}
${accountFields(state)}
${field({ label: '口座名義（カナ）', name: 'holderKana', required: true, hint: '全角カナでも入力できます（半角カナに変換します）' }, state)}
<div class="actions">${button('登録')}</div></form>`,
    )
  : ''}
${section(
  `登録されている支払先口座（全${n(list.total)}件）`,
  html`${list.total ? pager({ total: list.total, request: r, shown: list.rows.length, path: '/billing/payees', filters: {}, order: '医療機関コード順' }) : ''}
${table(
  ['医療機関コード', '医療機関名', '金融機関', '支店', '預金種目', '口座番号', '口座名義', '更新者'],
  list.rows.map((p) => [p.institutionCode, p.name, p.bankKana ? `${p.bankCode}（${p.bankKana}）` : p.bankCode, p.branchKana ? `${p.branchCode}（${p.branchKana}）` : p.branchCode, ACCOUNT_TYPES[p.accountType] ?? '—', p.accountNo, p.holderKana, doneBy(p.updatedBy)]),
  { caption: '医療機関の支払先口座', empty: 'まだ支払先口座を登録していません。' },
)}`,
)}`,
      ),
      status,
    );
  };
  fastify.get('/billing/payees', { preHandler: read }, async (req, reply) => payeesPage(req, reply));
  fastify.post('/billing/payees', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    try {
      const p = await work(app.db, req, (w) =>
        setPayee(w, {
          institutionCode: one(b['institutionCode']), name: one(b['name']), kana: one(b['kana']), ...accountOf(b), holderKana: one(b['holderKana']),
        }),
      );
      setFlash(reply, `${p.name} の支払先口座を登録しました。`);
      return reply.redirect('/billing/payees');
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      return payeesPage(req, reply, formState(b, e as Problem), 400);
    }
  });
  const requesterPage = async (req: FastifyRequest, reply: FastifyReply, state?: FormState, status = 200) => {
    const ctx = await pageContext(app, req, reply);
    const requester = await work(app.db, req, (w) => getRequester(w));
    return sendPage(
      reply,
      page(
        ctx,
        '振込依頼人（市区町村の口座）',
        html`${tabs('')}<p><a href="/billing/payees">← 支払先口座へ</a></p>
<p>総合振込ファイルの依頼人として、金融機関から通知された委託者コードと、委託料を支払う市区町村の口座を登録します。</p>
${writable(req)
  ? section(
      requester ? '振込依頼人の口座を変更する' : '振込依頼人の口座を登録する',
      html`<form method="post" action="/billing/requester">${csrfField(ctx.csrf)}
${field({ label: '委託者コード', name: 'requesterCode', required: true, inputmode: 'numeric', maxlength: 10, hint: '金融機関から通知された10桁の番号', value: requester?.requesterCode ?? '' }, state)}
${field({ label: '依頼人名（カナ）', name: 'requesterKana', required: true, value: requester?.requesterKana ?? '' }, state)}
${accountFields(state, requester)}
<div class="actions">${button('登録')}</div></form>`,
    )
  : notice('振込依頼人の口座を変更する権限がありません。', 'info')}`,
      ),
      status,
    );
  };
  fastify.get('/billing/requester', { preHandler: read }, async (req, reply) => requesterPage(req, reply));
  fastify.post('/billing/requester', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    try {
      await work(app.db, req, (w) =>
        setRequester(w, {
          requesterCode: one(b['requesterCode']), requesterKana: one(b['requesterKana']), ...accountOf(b),
        }),
      );
      setFlash(reply, '振込依頼人の口座を登録しました。');
      return reply.redirect('/billing/payees');
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      return requesterPage(req, reply, formState(b, e as Problem), 400);
    }
  });

  // ------------------------------------------------------------ payments
  fastify.get('/payments', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const r = pageRequest(queryOf(req), BATCH_PAGE);
    const { list, months, approved } = await work(app.db, req, async (w) => ({
      list: await listPaymentBatches(w, { page: r.page, pageSize: BATCH_PAGE }),
      months: await listClaimMonths(w, { pageSize: 24 }),
      approved: await listReimbursements(w, { status: 'approved', pageSize: 1 }),
    }));
    const payable = months.rows.filter((m) => m.payableAmount > 0);
    return sendPage(
      reply,
      page(
        ctx,
        '支払と振込ファイル（医療機関・償還払い）',
        html`${tabs('/payments')}
<p>国保連の審査で受け付けられた請求のうち、保留していないものを医療機関ごとにまとめて支払います。支払済み・支払対象外の記録は支払いません。承認済みの償還払いも同じ支払で住民の口座に振り込めます（同じ申請を二度支払うことはありません）。支払ごとに全銀協の総合振込ファイルを作成できます。</p>
${writable(req) && (payable.length || approved.total)
  ? section(
      '支払を作成する',
      html`<form method="post" action="/payments">${csrfField(ctx.csrf)}
${select({ label: '請求年月', name: 'month', options: [...(approved.total ? [['', '医療機関への支払なし'] as const] : []), ...payable.map((m) => [m.month, `${monthWareki(m.month)}分（支払う額 ${yen(m.payableAmount)}）`] as const)] })}
${approved.total ? checkbox({ label: `承認済みの償還払い ${n(approved.total)}件（${yen(approved.totals.decidedAmount)}）も支払う`, name: 'reimbursements', checked: true }) : ''}
${field({ label: '振込日', name: 'transferDate', type: 'date', value: defaultTransferDate(app.config.clock.today()), required: true })}
<div class="actions">${button('承認して支払を作成')}</div></form>`,
    )
  : ''}
${section(
  `支払の記録（全${n(list.total)}件、合計 ${yen(list.amount)}）`,
  html`${list.total ? pager({ total: list.total, request: r, shown: list.rows.length, path: '/payments', filters: {}, order: '新しい順' }) : ''}
${table(
  ['作成日時', '請求年月', '振込日', '振込件数', '金額', '作成者', ''],
  list.rows.map((b) => [formatJst(b.createdAt), batchMonth(b.month), dateWareki(b.transferDate), `${n(b.payments)}件`, yen(b.amount), doneBy(b.createdBy), html`<a href="/payments/${b.id}">詳細・振込ファイル</a>`]),
  { caption: '支払の記録', empty: 'まだ支払を作成していません。' },
)}`,
)}`,
      ),
    );
  });

  fastify.post('/payments', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    try {
      const persons = one(b['reimbursements']) === 'on';
      const month = one(b['month']) ?? '';
      const r = await work(app.db, req, (w) => createPaymentBatch(w, month === '' && persons ? null : month, { transferDate: one(b['transferDate']) || undefined, reimbursements: persons }));
      setFlash(reply, `支払を作成しました：振込 ${n(r.payments)}件、合計 ${yen(r.amount)}。`);
      return reply.redirect(`/payments/${r.batch}`);
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      setFlash(reply, `支払を作成できませんでした：${problemText(e, { month: '請求年月', transferDate: '振込日' })}`);
      return reply.redirect('/payments');
    }
  });

  fastify.get('/payments/:id', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const id = (req.params as { id: string }).id;
    const got = ID.test(id) ? await work(app.db, req, (w) => getPaymentBatch(w, id)) : null;
    if (!got) return sendPage(reply, page(ctx, '支払が見つかりません', html`${tabs('')}<p>指定された支払は存在しないか、参照する権限がありません。</p><p><a href="/payments">← 支払の記録へ</a></p>`), 404);
    const { batch, payments, persons } = got;
    return sendPage(
      reply,
      page(
        ctx,
        batch.month ? `${monthWareki(batch.month)}分の支払` : `償還払いの支払（振込日 ${dateWareki(batch.transferDate)}）`,
        html`${tabs('')}<p><a href="/payments">← 支払の記録へ</a></p>
${section(
  '支払の概要',
  dl([
    ['請求年月', batchMonth(batch.month)],
    ['振込日', dateWareki(batch.transferDate)],
    ['振込件数', `${n(batch.payments)}件（医療機関 ${n(payments.length)}件・償還払い ${n(persons.length)}件）`],
    ['合計金額', yen(batch.amount)],
    ['作成者', doneBy(batch.createdBy)],
    ['作成日時', formatJst(batch.createdAt)],
  ]),
)}
${writable(req) ? html`<p class="actions"><a class="btn btn--primary" href="/payments/${batch.id}/file" download>総合振込ファイルをダウンロード</a></p>` : ''}
${section(
  `医療機関ごとの支払（全${n(payments.length)}件）`,
  table(
    ['医療機関コード', '医療機関名', '明細', '金額', '振込日'],
    [...payments.map((p) => [p.institutionCode, p.name ?? '—', `${n(p.items)}件`, yen(p.amount), dateWareki(p.transferDate)]), ...(payments.length ? [['合計', '', `${n(payments.reduce((s, p) => s + p.items, 0))}件`, yen(batch.amount), '']] : [])],
    { caption: '医療機関ごとの支払', empty: '医療機関への支払はありません。' },
  ),
)}
${persons.length
  ? section(
      `償還払い（全${n(persons.length)}件）`,
      table(
        ['申請番号', '接種を受けた方', '振込先', '金額', '振込日'],
        [...persons.map((p) => [html`<a href="/reimbursements/${p.reimbursementId}">${p.no}</a>`, p.name, `金融機関 ${p.account.bankCode}・支店 ${p.account.branchCode}・${ACCOUNT_TYPES[p.account.accountType] ?? ''} ${p.account.accountNo}・${p.account.holderKana}`, yen(p.amount), dateWareki(p.transferDate)]),
          ['合計', '', '', yen(persons.reduce((s, p) => s + p.amount, 0)), '']],
        { caption: '償還払いの支払' },
      ),
    )
  : ''}`,
      ),
    );
  });

  fastify.get('/payments/:id/file', { preHandler: write }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    try {
      const f = await work(app.db, req, (w) => paymentFile(w, id));
      return reply.type('text/plain; charset=Shift_JIS').header('content-disposition', `attachment; filename="${f.fileName}"`).send(f.content);
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      const ctx = await pageContext(app, req, reply);
      return sendPage(
        reply,
        page(
          ctx,
          '総合振込ファイルを作成できません',
          html`${tabs('')}<p><a href="/payments/${ID.test(id) ? id : ''}">← 支払へ</a></p>
${notice(e.title, 'error')}
${e.errors.length ? html`<ul>${e.errors.map((x) => html`<li>${x.message}</li>`)}</ul>` : html`<p>${e.detail ?? ''}</p>`}
<p><a href="/billing/payees">支払先口座を直す</a></p>`,
        ),
        e.status === 404 ? 404 : 422,
      );
    }
  });
}
