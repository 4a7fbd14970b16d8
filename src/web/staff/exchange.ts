// The move-in inquiry screens (XCH-09, XCH-10, VAX-37): a moved-in resident's previous municipality, the
// inquiry through the 情報提供ネットワークシステム, its answer, and the adoption of the answered doses into
// the ledger (登録元 他団体); the legacy COVID-19 inquiry through VRS with its consent form and ID check
// (XCH-20, decision 0140); and a person's 情報の利用と提供の記録 (who asked about them, who read them).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { principalOf, work } from '../../kernel/http/index.js';
import { formatJst, formatWareki } from '../../kernel/jp/index.js';
import { isProblem, type Problem } from '../../kernel/problems/index.js';
import {
  adoptCovidInquiry,
  adoptInquiry,
  askCovidHistory,
  askVaccinationHistory,
  getCovidInquiry,
  getInquiry,
  ID_DOCUMENTS,
  listCovidInquiries,
  listInquiries,
  personDataUse,
  previousMunicipality,
  refreshInquiry,
  type CovidInquiryView,
  type ExchangedDose,
  type InquiryView,
  type MunicipalExchange,
} from '../../municipality/exchange/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import { getPerson, requireResidentAccess } from '../../municipality/residents/index.js';
import { badge, button, csrfField, dl, doneBy, errorSummary, field, html, notice, page, section, select, table, when, type FormState, type SafeHtml } from '../ui/index.js';
import { needLogin, pageContext, personHeader, problemText, sendPage, setFlash, type Form } from './support.js';
import { namesOf } from './vaccinations.js';

const STATUS: Record<InquiryView['status'], [string, 'ok' | 'warn' | 'muted']> = {
  provided: ['提供あり', 'ok'],
  pending: ['照会先で確認中', 'warn'],
  none: ['該当なし', 'muted'],
};

/** The VRS inquiry form's fields, and where the consent problems land on it. */
const COVID_FIELDS: Record<string, string> = { 'consent.formNo': 'consentFormNo', 'consent.idDocument': 'idDocument' };

function covidFormState(values: Record<string, unknown>, p: Problem): FormState {
  const errors = p.errors.length ? p.errors.map((e) => ({ ...e, field: COVID_FIELDS[e.field] ?? e.field })) : [{ field: '_form', code: p.code, message: p.detail ?? p.title }];
  return { values: { consentFormNo: values['consentFormNo'], idDocument: values['idDocument'] }, errors };
}

/** 情報提供等記録の結果, as residents and staff read it. */
const EXCHANGE_STATUS: Record<string, string> = { provided: '提供', pending: '提供先で確認中', none: '該当なし', refused: '照会拒否（法令で認められない照会）', failed: '通信の失敗', permitted: '照会許可' };

/** The doses another body provided, with a choice of which to adopt into the ledger (or who adopted them). */
function answeredDoses(v: { records: readonly ExchangedDose[]; adoptedAt: Date | null; adoptedBy: string | null; adoptedCount: number | null }, action: string, csrf: string, names: ReturnType<typeof namesOf>): SafeHtml {
  return section(
    `提供された接種記録（${v.records.length}件）`,
    html`<form method="post" action="${action}">${csrfField(csrf)}
${table(
  ['取込', '予防接種', '回数', '接種日', 'ワクチン', 'ロット番号'],
  v.records.map((d, i) => [
    v.adoptedAt ? '—' : html`<input type="checkbox" name="pick" value="${String(i)}" checked aria-label="${names.program(d.program)} ${d.dose ?? ''}回目を取り込む">`,
    names.program(d.program),
    d.dose ? `${d.dose}回目` : '—',
    d.date ? `${formatWareki(d.date)}（${d.date}）` : '不明',
    names.product(d.product),
    d.lot ?? '—',
  ]),
  { empty: '接種記録はありません。' },
)}
${v.adoptedAt
  ? notice(`${doneBy(v.adoptedBy)} が ${formatJst(v.adoptedAt)} に ${v.adoptedCount ?? 0}件を台帳に取り込みました。`, 'success')
  : html`<p class="hint">選んだ記録を予防接種台帳に登録します（登録元「他団体から」、備考に照会先）。台帳に同じ記録があるものは取り込みません。</p>${button('選んだ記録を台帳に取り込む')}`}
</form>`,
  );
}

export function registerExchangePages(fastify: FastifyInstance, app: App, exchange: MunicipalExchange | undefined): void {
  const readGuard = [needLogin, async (req: FastifyRequest) => work(app.db, req, async (w) => requireResidentAccess(w.actor, 'personal.read', ['vaccination']))];
  const writeGuard = [needLogin, async (req: FastifyRequest) => work(app.db, req, async (w) => requireResidentAccess(w.actor, 'personal.write', ['vaccination']))];
  const offline = html`${notice('この環境では情報提供ネットワークシステムに接続していません（mamori serve で起動すると接続します）。', 'warning')}`;

  const personPage = async (req: FastifyRequest, csrf: string, error?: string, covid?: FormState): Promise<SafeHtml> => {
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const person = await work(app.db, req, (w) => getPerson(w, app.vault, atenaNo, '他団体への接種歴の照会'));
    const prev = await work(app.db, req, (w) => previousMunicipality(w, atenaNo));
    const list = await work(app.db, req, (w) => listInquiries(w, atenaNo));
    const covidList = await work(app.db, req, (w) => listCovidInquiries(w, atenaNo));
    const s = person.state as { nameKanji: string; nameKana: string; birthDate: string; previousAddress?: string | null; lastMovement?: string | null };
    return html`
${personHeader(atenaNo, s, 'exchange')}
${error ? notice(error, 'error') : ''}
${!exchange ? offline : ''}
${section(
  '転入前の市区町村',
  html`${dl([
    ['転入前住所', s.previousAddress ?? '（記録なし）'],
    ['照会先', prev ? `${prev.name}（団体コード ${prev.code}）` : '転入前住所から特定できません'],
    ['照会する情報', '予防接種の実施に関する情報（予防接種歴）'],
  ])}
${prev && exchange
  ? html`<form method="post" action="/residents/${atenaNo}/exchange/inquire">${csrfField(csrf)}
<p class="hint">情報提供ネットワークシステムを通じて、${prev.name}に予防接種歴を照会します。照会した職員・日時・内容は記録され、本人はマイナポータルで確認できます。</p>
${button(`${prev.name}に接種歴を照会する`)}</form>`
  : ''}`,
)}
${section(
  `照会の履歴（${list.length}件）`,
  table(
    ['照会日時', '照会先', '結果', '接種記録', '台帳への取込', ''],
    list.map((v) => [
      formatJst(v.askedAt),
      v.providerName ?? v.provider,
      badge(STATUS[v.status][0], STATUS[v.status][1]),
      `${v.records.length}件`,
      v.adoptedAt ? `${v.adoptedCount ?? 0}件を取込済（${formatJst(v.adoptedAt)}）` : '未取込',
      html`<a href="/exchange/inquiries/${v.exchangeId}">結果を見る</a>`,
    ]),
    { empty: 'まだ照会していません。' },
  ),
)}
${section(
  '新型コロナワクチンの接種記録の照会（VRS・旧制度）',
  html`<p class="hint">ワクチン接種記録システム（VRS）を通じて、転入前の市区町村に新型コロナワクチンの接種記録を照会します。本人の同意書（新接種券発行申請書兼接種記録確認同意書）と本人確認書類を確認してから照会してください。個人番号は住民記録から読み取って暗号化して送り、画面には表示しません。</p>
${prev && exchange
  ? html`<form method="post" action="/residents/${atenaNo}/exchange/covid-inquire" novalidate>${csrfField(csrf)}
${errorSummary(covid)}
${field({ label: '同意書の番号', name: 'consentFormNo', required: true, maxlength: 40, hint: '新接種券発行申請書兼接種記録確認同意書に記載の番号' }, covid)}
${select({ label: '本人確認書類', name: 'idDocument', required: true, options: [['', '選んでください'], ...Object.entries(ID_DOCUMENTS)] }, covid)}
${button(`${prev.name}に新型コロナの接種記録を照会する`)}</form>`
  : html`<p>${exchange ? '転入前の市区町村を特定できないため照会できません。' : '接続していないため照会できません。'}</p>`}
${table(
  ['照会日時', '照会先', '同意書の番号', '本人確認書類', '結果', '接種記録', '台帳への取込', ''],
  covidList.map((v) => [
    formatJst(v.askedAt),
    v.providerName ?? v.provider,
    v.consentFormNo,
    ID_DOCUMENTS[v.idDocument] ?? 'その他',
    badge(STATUS[v.status][0], STATUS[v.status][1]),
    `${v.records.length}件`,
    v.adoptedAt ? `${v.adoptedCount ?? 0}件を取込済（${formatJst(v.adoptedAt)}）` : '未取込',
    html`<a href="/exchange/covid-inquiries/${v.exchangeId}">結果を見る</a>`,
  ]),
  { empty: 'まだ照会していません。' },
)}`,
)}`;
  };

  fastify.get('/residents/:atenaNo/exchange', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '他団体への接種歴の照会', await personPage(req, ctx.csrf)));
  });

  fastify.post('/residents/:atenaNo/exchange/inquire', { preHandler: [...readGuard, fastify.csrfProtection] }, async (req, reply) => {
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    if (!exchange) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '他団体への接種歴の照会', await personPage(req, ctx.csrf, '情報提供ネットワークシステムに接続していません。')), 503);
    }
    try {
      const v = await askVaccinationHistory(app.db, principalOf(req), exchange, atenaNo);
      setFlash(reply, v.status === 'provided' ? `${v.providerName ?? v.provider}から接種記録が${v.records.length}件提供されました。` : v.status === 'pending' ? '照会先で内容の確認中です。しばらくしてから結果を確認してください。' : '照会先に該当する接種記録はありませんでした。');
      return reply.redirect(`/exchange/inquiries/${v.exchangeId}`);
    } catch (e) {
      if (!isProblem(e) || e.status === 403 && e.code === 'FORBIDDEN') throw e;
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '他団体への接種歴の照会', await personPage(req, ctx.csrf, `照会できませんでした：${problemText(e)}`)), e.status >= 500 ? 503 : e.status);
    }
  });

  const inquiryPage = async (req: FastifyRequest, csrf: string): Promise<SafeHtml> => {
    const id = (req.params as { id: string }).id;
    const v = await work(app.db, req, (w) => getInquiry(w, id));
    const person = await work(app.db, req, (w) => getPerson(w, app.vault, v.atenaNo, '照会結果の表示'));
    const names = namesOf((await work(app.db, req, (w) => catalogFor(w))).catalog);
    const from = v.providerName ?? v.provider;
    return html`
${personHeader(v.atenaNo, person.state, 'exchange')}
${section(
  '照会の内容',
  dl([
    ['照会先', `${from}（団体コード ${v.provider}）`],
    ['照会した情報', '予防接種の実施に関する情報（予防接種歴）'],
    ['根拠法令', v.legalBasis ?? '—'],
    ['結果', badge(STATUS[v.status][0], STATUS[v.status][1])],
    ['照会した職員', doneBy(v.askedBy)],
    ['照会日時', formatJst(v.askedAt)],
    ['照会番号', v.exchangeId],
  ]),
)}
${v.status === 'pending'
  ? html`${notice('照会先で職員が内容を確認しています（自動応答しない項目）。確認が済むと結果を受け取れます。', 'warning')}
<form method="post" action="/exchange/inquiries/${v.exchangeId}/refresh">${csrfField(csrf)}${button('結果を確認する', 'secondary')}</form>`
  : ''}
${v.status === 'provided' ? answeredDoses(v, `/exchange/inquiries/${v.exchangeId}/adopt`, csrf, names) : ''}
<p><a href="/residents/${v.atenaNo}/vaccinations">予防接種の履歴へ</a></p>`;
  };

  fastify.get('/exchange/inquiries/:id', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '照会の結果', await inquiryPage(req, ctx.csrf)));
  });

  fastify.post('/exchange/inquiries/:id/refresh', { preHandler: [...readGuard, fastify.csrfProtection] }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    if (exchange) {
      const v = await refreshInquiry(app.db, principalOf(req), exchange, id);
      setFlash(reply, v.status === 'pending' ? '照会先でまだ確認中です。' : '結果を受け取りました。');
    }
    return reply.redirect(`/exchange/inquiries/${id}`);
  });

  fastify.post('/exchange/inquiries/:id/adopt', { preHandler: [...writeGuard, fastify.csrfProtection] }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const body = (req.body ?? {}) as Form;
    const picks = ([] as string[]).concat(body['pick'] ?? []).map(Number).filter((n) => Number.isInteger(n) && n >= 0 && n < 500);
    const v = await work(app.db, req, (w) => getInquiry(w, id));
    if (picks.length === 0) {
      setFlash(reply, '取り込む記録を選んでください。');
      return reply.redirect(`/exchange/inquiries/${id}`);
    }
    const r = await work(app.db, req, (w) => adoptInquiry(w, id, { only: picks }));
    setFlash(reply, `${r.adopted}件を予防接種台帳に取り込みました${r.skipped ? `（台帳に同じ記録がある${r.skipped}件は取り込みませんでした）` : ''}。`);
    return reply.redirect(`/residents/${v.atenaNo}/vaccinations`);
  });

  fastify.post('/residents/:atenaNo/exchange/covid-inquire', { preHandler: [...readGuard, fastify.csrfProtection] }, async (req, reply) => {
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const body = (req.body ?? {}) as Form;
    const one = (v: unknown) => (typeof v === 'string' ? v : undefined);
    if (!exchange) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '他団体への接種歴の照会', await personPage(req, ctx.csrf, 'ワクチン接種記録システム（VRS）に接続していません。')), 503);
    }
    try {
      const v = await askCovidHistory(app, principalOf(req), exchange, atenaNo, { consent: { formNo: one(body['consentFormNo']), idDocument: one(body['idDocument']) } });
      setFlash(reply, v.status === 'provided' ? `${v.providerName ?? v.provider}から新型コロナの接種記録が${v.records.length}件提供されました。` : '照会先に該当する新型コロナの接種記録はありませんでした。');
      return reply.redirect(`/exchange/covid-inquiries/${v.exchangeId}`);
    } catch (e) {
      if (!isProblem(e) || (e.status === 403 && e.code === 'FORBIDDEN')) throw e;
      const ctx = await pageContext(app, req, reply);
      const state = covidFormState(body, e);
      const error = e.errors.length ? undefined : `照会できませんでした：${problemText(e)}`;
      return sendPage(reply, page(ctx, '他団体への接種歴の照会', await personPage(req, ctx.csrf, error, state)), e.status >= 500 ? 503 : e.status);
    }
  });

  const covidPage = async (req: FastifyRequest, csrf: string): Promise<SafeHtml> => {
    const id = (req.params as { id: string }).id;
    const v: CovidInquiryView = await work(app.db, req, (w) => getCovidInquiry(w, id));
    const person = await work(app.db, req, (w) => getPerson(w, app.vault, v.atenaNo, '照会結果の表示'));
    const names = namesOf((await work(app.db, req, (w) => catalogFor(w))).catalog);
    const from = v.providerName ?? v.provider;
    return html`
${personHeader(v.atenaNo, person.state, 'exchange')}
${section(
  '照会の内容',
  dl([
    ['照会先', `${from}（団体コード ${v.provider}）`],
    ['経由', 'ワクチン接種記録システム（VRS）'],
    ['照会した情報', '新型コロナワクチンの接種記録'],
    ['同意書の番号', v.consentFormNo],
    ['本人確認書類', ID_DOCUMENTS[v.idDocument] ?? 'その他'],
    ['結果', badge(STATUS[v.status][0], STATUS[v.status][1])],
    ['照会・本人確認をした職員', doneBy(v.checkedBy)],
    ['照会日時', formatJst(v.askedAt)],
    ['照会番号', v.exchangeId],
  ]),
)}
${v.status === 'provided'
  ? answeredDoses(v, `/exchange/covid-inquiries/${v.exchangeId}/adopt`, csrf, names)
  : notice('照会先に該当する新型コロナの接種記録はありませんでした。照会先では個人番号は保管されていません。', 'info')}
<p><a href="/residents/${v.atenaNo}/exchange">← 他団体への接種歴の照会へ</a>　<a href="/residents/${v.atenaNo}/vaccinations">予防接種の履歴へ</a></p>`;
  };

  fastify.get('/exchange/covid-inquiries/:id', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '新型コロナの接種記録の照会結果', await covidPage(req, ctx.csrf)));
  });

  fastify.post('/exchange/covid-inquiries/:id/adopt', { preHandler: [...writeGuard, fastify.csrfProtection] }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const body = (req.body ?? {}) as Form;
    const picks = ([] as string[]).concat(body['pick'] ?? []).map(Number).filter((n) => Number.isInteger(n) && n >= 0 && n < 500);
    const v = await work(app.db, req, (w) => getCovidInquiry(w, id));
    if (picks.length === 0) {
      setFlash(reply, '取り込む記録を選んでください。');
      return reply.redirect(`/exchange/covid-inquiries/${id}`);
    }
    const r = await work(app.db, req, (w) => adoptCovidInquiry(w, id, { only: picks }));
    setFlash(reply, `${r.adopted}件を予防接種台帳に取り込みました${r.skipped ? `（台帳に同じ記録がある${r.skipped}件は取り込みませんでした）` : ''}。`);
    return reply.redirect(`/residents/${v.atenaNo}/vaccinations`);
  });

  // 情報の利用と提供の記録: the 情報提供等記録 about the person and the operation log's accesses (ログ監査).
  fastify.get('/residents/:atenaNo/data-use', { preHandler: needLogin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const u = await personDataUse(app.db, principalOf(req), exchange, atenaNo);
    return sendPage(
      reply,
      page(
        ctx,
        '情報の利用と提供の記録',
        html`<p><a href="/residents/${atenaNo}">← 住民の情報へ</a></p>
${u.exchangesUnavailable ? notice(`情報提供等記録を取得できませんでした：${u.exchangesUnavailable}`, 'warning') : ''}
${section(
  `情報提供ネットワークシステムでのやりとり（${u.exchanges.length}件）`,
  table(
    ['日時', '照会した機関', '提供した機関', '事務', '情報', '根拠法令', '結果'],
    u.exchanges.map((r) => [r.at ? when(new Date(r.at)) : '—', r.requesterName ?? r.requester, r.providerName ?? r.provider, r.jimuName ?? '—', r.itemName ?? '—', r.legalBasis ?? '—', EXCHANGE_STATUS[r.status] ?? r.status]),
    { empty: 'やりとりの記録はありません。' },
  ),
)}
${section(
  `職員・システムによる利用（${u.accesses.length}件）`,
  table(
    ['日時', '利用者', '操作', '目的', '結果'],
    u.accesses.map((a) => [when(a.at), doneBy(a.actorLogin), a.actionLabel, a.purpose ?? '—', a.outcome === 'success' ? '成功' : a.outcome === 'denied' ? '拒否' : '失敗']),
    { empty: '記録はありません。' },
  ),
)}`,
      ),
    );
  });
}
