// 健康被害救済 (VAX-34; decisions 0161, 0162): the case list with its totals and paging, the application form
// (the applicant's My Number typed once, with the ID check; never shown again, never put back into a refused
// form), and the case page with everything recorded, the timeline and the forms of the steps the case's status
// allows.  Only staff of the 健康被害救済 duty; changes need personal.write.  Dates in 和暦, amounts in 円.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { principalOf, work } from '../../kernel/http/index.js';
import type { MunicipalExchange } from '../../municipality/exchange/index.js';
import { can } from '../../kernel/access/index.js';
import { formatJst, formatWareki } from '../../kernel/jp/index.js';
import { invalidField, isProblem, type Problem } from '../../kernel/problems/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import {
  ACCOUNT_SOURCE_LABELS, addDocument, addInformation, BENEFIT_LABELS, CASE_STATUSES, CASE_STATUS_LABELS, closeCase, decideBenefit, DOCUMENT_HANDLING_LABELS,
  DOCUMENT_KINDS, getCase, ID_METHOD_LABELS, INFORMATION_ITEMS, linkRecords, listCases, LUMP_SUMS, markInformationObtained, NUMBER_CHECK_LABELS, ORDER_STATUS_LABELS,
  orderPayment, orderToPublicFundsAccount, inquireForCase, receiveApplication, recordCommittee, recordDecision, recordsOfPerson, RELATION_LABELS, RELIEF_DUTY, reportToState, STEP_ALLOWED, STEP_LABELS,
  type CaseStatus, type CaseView,
} from '../../municipality/relief/index.js';
import { ACCOUNT_TYPES } from '../../municipality/billing/index.js';
import { badge, button, checkbox, checkboxes, csrfField, dl, doneBy, field, html, notice, page, pageRequest, pager, queryEnum, queryOf, section, select, table, textarea, within, type FormState, type SafeHtml } from '../ui/index.js';
import { formState, many, needLogin, needPermission, one, pageContext, problemText, sendPage, setFlash, type Form } from './support.js';

const CASE_PAGE = 50;
const n = (v: number): string => v.toLocaleString('ja-JP');
const yen = (v: number): string => `${v.toLocaleString('ja-JP')}円`;
const wareki = (d: string | null | undefined): string => (d ? formatWareki(d) : '—');
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const label = <T extends string>(m: Readonly<Record<T, string>>, k: string): string => (m as Readonly<Record<string, string>>)[k] ?? '（不明）';
const caseNo = (no: number): string => `救済第${no}号`;
const entries = <T extends string>(m: Readonly<Record<T, string>>): [string, string][] => Object.entries(m) as [string, string][];

function statusBadge(s: CaseStatus): SafeHtml {
  return badge(CASE_STATUS_LABELS[s], s === 'approved' || s === 'paying' ? 'ok' : s === 'denied' ? 'bad' : s === 'closed' || s === 'withdrawn' ? 'muted' : 'warn');
}

const writable = (req: FastifyRequest): boolean => !!req.session && can(req.session.actor, 'personal.write', RELIEF_DUTY);

/** A POST on a case: run it, say what happened, back to the case page; a refusal is said there. */
type CaseAction = (req: FastifyRequest, b: Form, caseId: string) => Promise<string>;

export function registerReliefPages(fastify: FastifyInstance, app: App, exchange?: MunicipalExchange): void {
  const read = [needLogin, needPermission(app, 'personal.read', RELIEF_DUTY)];
  const write = [needLogin, needPermission(app, 'personal.write', RELIEF_DUTY)];

  // ------------------------------------------------------------ the list
  fastify.get('/relief', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const q = queryOf(req);
    const status = queryEnum(q, 'status', '状態', CASE_STATUSES);
    const rawAtena = q['atenaNo'];
    const atenaNo = rawAtena === undefined || rawAtena === '' ? undefined : rawAtena.normalize('NFKC').trim();
    if (atenaNo !== undefined && !/^\d{10}$/.test(atenaNo)) throw invalidField('atenaNo', 'INVALID_QUERY', '「宛名番号」の指定が正しくありません（10桁の数字）');
    let r = pageRequest(q, CASE_PAGE);
    let list = await work(app.db, req, (w) => listCases(w, { status, atenaNo, page: r.page, pageSize: CASE_PAGE }));
    const back = within(r, list.total);
    if (back.page !== r.page) {
      r = back;
      list = await work(app.db, req, (w) => listCases(w, { status, atenaNo, page: r.page, pageSize: CASE_PAGE }));
    }
    const all = Object.values(list.byStatus).reduce((s, x) => s + (x ?? 0), 0);
    return sendPage(
      reply,
      page(
        ctx,
        '健康被害救済の事案',
        html`<p>予防接種による健康被害の救済給付の申請を受け付け、調査委員会・国への進達・国の判定の記録を経て給付と支払指示までを管理します。給付の可否の最終決定は国が行います。</p>
<div class="actions">${writable(req) ? html`<a class="btn btn--primary" href="/relief/new">申請を受け付ける</a> ` : ''}<a class="btn btn--secondary" href="/relief/payments">給付の支払と振込ファイル</a></div>
${section(
  '被接種者で探す',
  html`<form method="get" action="/relief">
${field({ label: '被接種者の宛名番号', name: 'atenaNo', inputmode: 'numeric', maxlength: 10, value: atenaNo ?? '' })}
${status ? html`<input type="hidden" name="status" value="${status}">` : ''}
<div class="actions">${button('探す', 'secondary')}${atenaNo ? html` <a href="/relief${status ? `?status=${status}` : ''}">すべての被接種者</a>` : ''}</div></form>`,
)}
${section(
  atenaNo ? `宛名番号 ${atenaNo} の方の状態ごとの件数` : '状態ごとの件数',
  html`${table(
    ['状態', '件数', ''],
    CASE_STATUSES.map((s) => [CASE_STATUS_LABELS[s], `${n(list.byStatus[s] ?? 0)}件`, status === s ? '表示中' : html`<a href="/relief?status=${s}${atenaNo ? `&atenaNo=${atenaNo}` : ''}">この状態の事案</a>`]),
    { caption: `全${n(all)}件の内訳` },
  )}
${status ? html`<p><a href="/relief${atenaNo ? `?atenaNo=${atenaNo}` : ''}">すべての状態の事案を表示</a></p>` : ''}`,
)}
${section(
  status ? `「${CASE_STATUS_LABELS[status]}」の事案` : 'すべての事案',
  html`<p>決定した給付の合計 <strong>${yen(list.benefitAmount)}</strong>、支払指示の合計 ${yen(list.orderedAmount)}（うち支払済 ${yen(list.paidAmount)}）</p>
${list.total ? pager({ total: list.total, request: r, shown: list.rows.length, path: '/relief', filters: { status, atenaNo }, order: '受付の新しい順' }) : ''}
${table(
  ['受付番号', '被接種者', '状態', '申請日', '請求する給付', '決定した給付', '支払指示', ''],
  list.rows.map((c) => [
    caseNo(c.caseNo),
    html`${c.personName ?? '—'}<br><span class="hint">宛名番号 ${c.atenaNo}</span>`,
    statusBadge(c.status),
    wareki(c.appliedOn),
    c.claimedKinds.map((k) => label(BENEFIT_LABELS, k)).join('・'),
    yen(c.benefitAmount),
    yen(c.orderedAmount),
    html`<a href="/relief/${c.id}">事案を開く</a>`,
  ]),
  { caption: '健康被害救済の事案', empty: '該当する事案はありません。' },
)}`,
)}`,
      ),
    );
  });

  // ------------------------------------------------------------ the application
  const newPage = async (req: FastifyRequest, reply: FastifyReply, atenaNo: string | undefined, state?: FormState, status = 200) => {
    const ctx = await pageContext(app, req, reply);
    const records = atenaNo ? await work(app.db, req, async (w) => ({ rows: await recordsOfPerson(w, atenaNo), catalog: (await catalogFor(w)).catalog })) : null;
    const program = (code: string | null) => (code ? (records?.catalog.programsByCode.get(code)?.at(-1)?.name ?? '（登録されていない予防接種）') : '—');
    return sendPage(
      reply,
      page(
        ctx,
        '健康被害救済の申請を受け付ける',
        html`<p><a href="/relief">← 健康被害救済の事案</a></p>
<p>申請者から個人番号を直接取得します。番号法第16条に基づき、個人番号カード等で番号の確認と身元の確認を行ってから入力してください。入力した個人番号は画面に表示しません。</p>
${section(
  '被接種者を選ぶ',
  html`<form method="get" action="/relief/new">
${field({ label: '被接種者の宛名番号', name: 'atenaNo', required: true, inputmode: 'numeric', maxlength: 10, value: atenaNo ?? '', hint: '宛名番号で被接種者を選ぶと、原因とされる接種記録を選べます' })}
<div class="actions">${button('接種記録を表示', 'secondary')}</div></form>`,
)}
<form method="post" action="/relief">${csrfField(ctx.csrf)}
${section(
  '被接種者',
  html`${field({ label: '被接種者の宛名番号', name: 'atenaNo', required: true, inputmode: 'numeric', maxlength: 10, value: atenaNo ?? '' }, state)}
${records
  ? records.rows.length
    ? checkboxes({ legend: '健康被害の原因とされる予防接種', name: 'recordIds', options: records.rows.map((x) => [x.id, `${program(x.program)}${x.dose ? ` ${x.dose}回目` : ''}（${wareki(x.vaccinatedOn)}）`] as const) }, state)
    : notice('この方の接種記録はありません。記録を登録してから事案に紐付けてください。', 'warning')
  : ''}`,
)}
${section(
  '申請の内容',
  html`${field({ label: '申請日', name: 'appliedOn', type: 'date', required: true, value: app.config.clock.today() }, state)}
${checkboxes({ legend: '請求する給付', name: 'claimedKinds', options: entries(BENEFIT_LABELS) }, state)}
${textarea({ label: '健康被害の概要', name: 'summary', required: true, rows: 4 }, state)}`,
)}
${section(
  '申請者',
  html`${select({ label: '被接種者との関係', name: 'relation', options: entries(RELATION_LABELS), required: true }, state)}
${field({ label: '申請者の氏名', name: 'applicantName', required: true }, state)}
${field({ label: '申請者の氏名（カナ）', name: 'applicantKana', required: true }, state)}
${field({ label: '申請者の住所', name: 'applicantAddress', required: true }, state)}
${field({ label: '申請者の電話番号', name: 'applicantPhone' }, state)}`,
)}
${section(
  '個人番号と本人確認',
  html`${field({ label: '申請者の個人番号', name: 'myNumber', required: true, inputmode: 'numeric', maxlength: 14, autocomplete: 'off', hint: '12桁。申請者本人が被接種者のときは住民記録の個人番号と照合します' }, state)}
${select({ label: '本人確認の方法', name: 'idMethod', options: entries(ID_METHOD_LABELS), required: true }, state)}
${field({ label: '本人確認の補足（その他の書類のときは書類の名称）', name: 'idNote' }, state)}
<p class="hint">確認した職員と日時は自動で記録します。</p>`,
)}
<div class="actions">${button('申請を受け付ける')}</div></form>`,
      ),
      status,
    );
  };

  fastify.get('/relief/new', { preHandler: write }, async (req, reply) => {
    const v = queryOf(req)['atenaNo'];
    const atenaNo = v === undefined || v === '' ? undefined : v.normalize('NFKC').trim();
    if (atenaNo !== undefined && !/^\d{10}$/.test(atenaNo)) throw invalidField('atenaNo', 'INVALID_QUERY', '「宛名番号」の指定が正しくありません（10桁の数字）');
    return newPage(req, reply, atenaNo);
  });

  fastify.post('/relief', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    try {
      const r = await work(app.db, req, (w) =>
        receiveApplication(w, app.vault, {
          atenaNo: one(b['atenaNo']),
          appliedOn: one(b['appliedOn']),
          claimedKinds: many(b['claimedKinds']),
          summary: one(b['summary']),
          applicant: { relation: one(b['relation']), name: one(b['applicantName']), kana: one(b['applicantKana']), address: one(b['applicantAddress']), phone: one(b['applicantPhone']) },
          myNumber: one(b['myNumber']) ?? '',
          idCheck: { method: one(b['idMethod']), note: one(b['idNote']) },
          recordIds: many(b['recordIds']),
        }),
      );
      setFlash(reply, r.existing ? `同じ申請は${caseNo(r.caseNo)}として受付済みです。` : `${caseNo(r.caseNo)}として申請を受け付けました。`);
      return reply.redirect(`/relief/${r.id}`);
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      // The number is never put back into the page.
      const { myNumber: _m, ...rest } = b;
      const atena = one(b['atenaNo']);
      const st = formState(rest, e as Problem);
      const named = { ...st, errors: (st.errors ?? []).map((x) => ({ ...x, field: APPLICATION_FIELDS[x.field] ?? x.field })) };
      return newPage(req, reply, atena && /^\d{10}$/.test(atena) ? atena : undefined, named, 400);
    }
  });

  // ------------------------------------------------------------ the case
  fastify.get('/relief/:id', { preHandler: read }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const ctx = await pageContext(app, req, reply);
    const got = await work(app.db, req, async (w) => {
      const c = ID.test(id) ? await getCase(w, app.vault, id) : null;
      return c ? { c, catalog: (await catalogFor(w)).catalog } : null;
    });
    if (!got) {
      return sendPage(reply, page(ctx, '事案が見つかりません', html`${notice('指定された健康被害救済の事案はありません。', 'warning')}<p><a href="/relief">健康被害救済の事案へ</a></p>`), 404);
    }
    const { c, catalog } = got;
    const program = (code: string | null) => (code ? (catalog.programsByCode.get(code)?.at(-1)?.name ?? '（登録されていない予防接種）') : '—');
    const canWrite = writable(req);
    // The record's own page belongs to the 予防接種 duty: linked only for those who may open it.
    const seesRecords = !!req.session && can(req.session.actor, 'personal.read', 'vaccination');
    const may = (step: keyof typeof STEP_ALLOWED) => canWrite && STEP_ALLOWED[step].includes(c.status);
    const form = (action: string, title: string, body: SafeHtml, submit: string) =>
      section(title, html`<form method="post" action="/relief/${c.id}/${action}">${csrfField(ctx.csrf)}${body}<div class="actions">${button(submit)}</div></form>`);
    return sendPage(
      reply,
      page(
        ctx,
        `${caseNo(c.caseNo)}（${c.personName ?? '—'}）`,
        html`<p><a href="/relief">← 健康被害救済の事案</a></p>
<p>状態：${statusBadge(c.status)}</p>
${c.status === 'reported' ? notice('国の判定を待っています。給付の可否の最終決定は国が行います。判定の通知を受けたら記録してください。', 'info') : ''}
${section(
  '申請',
  dl([
    ['被接種者', html`<a href="/residents/${c.atenaNo}">${c.personName ?? '—'}${c.personKana ? `（${c.personKana}）` : ''}</a>${c.personBirthDate ? ` ${wareki(c.personBirthDate)}生` : ''}（宛名番号 ${c.atenaNo}）`],
    ['申請日', wareki(c.appliedOn)],
    ['請求する給付', c.claimedKinds.map((k) => label(BENEFIT_LABELS, k)).join('・')],
    ['健康被害の概要', c.summary],
    ['申請者', `${c.applicant.name}（${c.applicant.kana}）・${label(RELATION_LABELS, c.applicant.relation)}`],
    ['申請者の住所', c.applicant.address],
    ['申請者の電話番号', c.applicant.phone ?? '—'],
    ['個人番号', c.myNumberTaken ? `申請者から取得済み（${label(NUMBER_CHECK_LABELS, c.numberCheck)}）` : '取得していません'],
    ['本人確認', `${label(ID_METHOD_LABELS, c.idCheck.method)}${c.idCheck.note ? `（${c.idCheck.note}）` : ''}・確認者 ${doneBy(c.idCheck.by)}・${formatJst(c.idCheck.at)}`],
  ]),
)}
${section(
  `原因とされる接種記録（${n(c.records.length)}件）`,
  table(['予防接種', '回数', '接種日', '医療機関コード', ''], c.records.map((x) => [program(x.program), x.dose ? `${x.dose}回目` : '—', wareki(x.vaccinatedOn), x.institutionCode ?? '—', seesRecords ? html`<a href="/vaccinations/${x.id}">記録を見る</a>` : '']), { caption: '事案に紐付けた接種記録', empty: 'まだ紐付けていません。' }),
)}
${may('records') ? await recordsForm(app, req, c, ctx.csrf, program) : ''}
${section(
  `受け付けた書類（${n(c.documents.length)}件）`,
  table(['書類', '受付日', '保管', '文書番号・保管場所', '備考', '記録者'], c.documents.map((d) => [label(DOCUMENT_KINDS, d.kind), wareki(d.receivedOn), label(DOCUMENT_HANDLING_LABELS, d.handling), d.reference ?? '—', d.note ?? '—', doneBy(d.by)]), { caption: '受け付けた書類', empty: 'まだ書類を受け付けていません。' }),
)}
${may('document')
  ? form('documents', '書類を受け付ける', html`${select({ label: '書類の種類', name: 'kind', options: entries(DOCUMENT_KINDS), required: true })}
${field({ label: '受付日', name: 'receivedOn', type: 'date', required: true, value: app.config.clock.today() })}
${select({ label: '保管の方法', name: 'handling', options: entries(DOCUMENT_HANDLING_LABELS), required: true })}
${field({ label: '文書番号・保管場所', name: 'reference', hint: '文書番号等で参照するときは必須です' })}
${field({ label: '備考', name: 'note' })}`, '書類を記録する')
  : ''}
${section(
  `情報連携で入手する情報（${n(c.information.length)}件）`,
  table(
    ['情報', '提供元の団体コード', '状態', '照会の番号', '入手日', '備考', ''],
    c.information.map((i) => [
      label(INFORMATION_ITEMS, i.item), i.providerCode ?? '—', i.status === 'obtained' ? badge('入手済み', 'ok') : badge('入手予定', 'warn'), i.exchangeId ?? '—', wareki(i.obtainedOn), i.note ?? '—',
      i.status === 'planned' && may('information')
        ? html`<form method="post" action="/relief/${c.id}/information/${i.id}/obtained" class="inline">${csrfField(ctx.csrf)}<input type="hidden" name="obtainedOn" value="${app.config.clock.today()}"><button type="submit" class="btn btn--secondary">本日入手した</button></form>`
        : '',
    ]),
    { caption: '情報提供ネットワークシステムによる情報', empty: 'まだ記録していません。' },
  ),
)}
${may('information') && exchange
  ? form('inquiry', '予防接種歴を照会する（情報提供ネットワークシステム）', html`<p>被接種者の予防接種歴を、記録を持つ市区町村に健康被害救済の事務として照会し、結果をこの事案の情報として記録します（請求する給付に障害児養育年金・障害年金があるときは障害の給付の事務、それ以外は疾病の給付の事務）。照会は操作ログと被接種者の情報提供等記録に残ります。</p>
${field({ label: '照会先の団体コード', name: 'providerCode', required: true, inputmode: 'numeric', maxlength: 6, hint: '接種した当時に住んでいた市区町村の6桁の団体コード' })}`, '照会する')
  : ''}
${may('information')
  ? form('information', '入手する情報を記録する', html`<p>情報連携で入手した情報、または入手する予定の情報を記録します。照会した結果を使うときは、その照会の番号を入力してください。照会がまだのときは入手予定として記録します。</p>
${select({ label: '情報', name: 'item', options: entries(INFORMATION_ITEMS), required: true })}
${field({ label: '提供元の団体コード', name: 'providerCode', inputmode: 'numeric', maxlength: 6 })}
${field({ label: '照会の番号', name: 'exchangeId' })}
${field({ label: '入手日', name: 'obtainedOn', type: 'date', hint: '空欄のときは入手予定として記録します' })}
${field({ label: '備考', name: 'note' })}`, '情報を記録する')
  : ''}
${section(
  '予防接種健康被害調査委員会',
  table(['開催日', '出席した委員', '意見', '記録者'], c.committee.map((m) => [wareki(m.heldOn), m.members.join('、'), m.opinion, doneBy(m.by)]), { caption: '調査委員会の記録', empty: 'まだ開催していません。' }),
)}
${may('committee')
  ? form('committee', '調査委員会を記録する', html`${field({ label: '開催日', name: 'heldOn', type: 'date', required: true })}
${field({ label: '出席した委員', name: 'members', required: true, hint: '読点（、）で区切って入力します' })}
${textarea({ label: '委員会の意見', name: 'opinion', required: true, rows: 4 })}`, '委員会を記録する')
  : ''}
${section(
  '国への進達と国の判定',
  dl([
    ['進達', c.report ? `${wareki(c.report.reportedOn)}（${c.report.reference}）${c.report.note ? ` ${c.report.note}` : ''}` : '未進達'],
    ['国の判定', c.decision ? html`${c.decision.outcome === 'approved' ? badge('認定', 'ok') : badge('否認', 'bad')} ${wareki(c.decision.decidedOn)}（${c.decision.reference}）` : '未判定'],
    ['認定された給付', c.decision?.approvedKinds.length ? c.decision.approvedKinds.map((k) => label(BENEFIT_LABELS, k)).join('・') : '—'],
  ]),
)}
${may('report')
  ? form('report', '国へ進達する', html`${field({ label: '進達日', name: 'reportedOn', type: 'date', required: true, value: app.config.clock.today() })}
${field({ label: '進達の文書番号', name: 'reference', required: true })}
${field({ label: '備考', name: 'note', hint: '例：都道府県を経由' })}`, '進達を記録する')
  : ''}
${may('decision')
  ? form('decision', '国の判定を記録する', html`<p>国からの判定の通知のとおりに記録します。</p>
${select({ label: '国の判定', name: 'outcome', options: [['approved', '認定'], ['denied', '否認']], required: true })}
${field({ label: '判定日', name: 'decidedOn', type: 'date', required: true })}
${field({ label: '国の通知の文書番号', name: 'reference', required: true })}
${checkboxes({ legend: '認定された給付（認定のとき）', name: 'approvedKinds', options: entries(BENEFIT_LABELS), checked: c.claimedKinds })}`, '判定を記録する')
  : ''}
${section(
  `給付（${n(c.benefits.length)}件、合計 ${yen(c.benefits.reduce((s, x) => s + x.amount, 0))}）`,
  table(['給付', '支給期間', '支給額', '支払指示済', '支給決定日', '備考'], c.benefits.map((x) => [label(BENEFIT_LABELS, x.kind), x.periodFrom ? `${wareki(x.periodFrom)}〜${wareki(x.periodTo)}` : '—', yen(x.amount), yen(x.ordered), wareki(x.decidedOn), x.note ?? '—']), { caption: '決定した給付', empty: 'まだ決定していません。' }),
)}
${may('benefit')
  ? form('benefits', '給付を決定する', html`${select({ label: '給付', name: 'kind', options: (c.decision?.approvedKinds ?? []).map((k) => [k, label(BENEFIT_LABELS, k)] as const), required: true })}
${field({ label: '支給期間の始め', name: 'periodFrom', type: 'date', hint: `${LUMP_SUMS.map((k) => BENEFIT_LABELS[k]).join('・')}は空欄にします` })}
${field({ label: '支給期間の終わり', name: 'periodTo', type: 'date' })}
${field({ label: '支給額（円）', name: 'amount', required: true, inputmode: 'numeric' })}
${field({ label: '支給決定日', name: 'decidedOn', type: 'date', required: true, value: app.config.clock.today() })}
${field({ label: '備考', name: 'note' })}`, '給付を決定する')
  : ''}
${section(
  `支払指示（${n(c.orders.length)}件、合計 ${yen(c.orders.reduce((s, x) => s + x.amount, 0))}）`,
  table(['給付', '支払額', '支払予定日', '支払先', '金融機関・支店', '口座', '状態'], c.orders.map((o) => [label(BENEFIT_LABELS, o.benefitKind), yen(o.amount), wareki(o.payOn), label(ACCOUNT_SOURCE_LABELS, o.accountSource), `${o.bankCode}${o.bankKana ? `（${o.bankKana}）` : ''}・${o.branchCode}${o.branchKana ? `（${o.branchKana}）` : ''}`, `${ACCOUNT_TYPES[o.accountType] ?? '—'} ${o.accountNo} ${o.holderKana}`, label(ORDER_STATUS_LABELS, o.status)]), { caption: '給付の支払指示（総合振込で支払います）', empty: 'まだ支払指示はありません。' }),
)}
${may('order') && c.benefits.some((x) => x.ordered < x.amount)
  ? form('orders', '支払を指示する', html`${select({ label: '給付', name: 'benefitId', options: c.benefits.filter((x) => x.ordered < x.amount).map((x) => [x.id, `${label(BENEFIT_LABELS, x.kind)}（残り ${yen(x.amount - x.ordered)}）`] as const), required: true })}
${field({ label: '支払額（円）', name: 'amount', inputmode: 'numeric', hint: '空欄のときは残りの全額' })}
${field({ label: '支払予定日', name: 'payOn', type: 'date', required: true })}
${select({ label: '支払先の口座', name: 'accountSource', options: entries(ACCOUNT_SOURCE_LABELS), required: true })}
${field({ label: '口座を確認した日', name: 'accountConfirmedOn', type: 'date', required: true, value: app.config.clock.today() })}
${field({ label: '金融機関コード', name: 'bankCode', required: true, inputmode: 'numeric', maxlength: 4 })}
${field({ label: '金融機関名（カナ）', name: 'bankKana' })}
${field({ label: '支店コード', name: 'branchCode', required: true, inputmode: 'numeric', maxlength: 3 })}
${field({ label: '支店名（カナ）', name: 'branchKana' })}
${select({ label: '預金種目', name: 'accountType', options: Object.entries(ACCOUNT_TYPES), required: true, value: '1' })}
${field({ label: '口座番号', name: 'accountNo', required: true, inputmode: 'numeric', maxlength: 7 })}
${field({ label: '口座名義（カナ）', name: 'holderKana', required: true })}`, '支払を指示する')
  : ''}
${may('order') && c.applicant.relation === 'self' && c.benefits.some((x) => x.ordered < x.amount)
  ? form('orders-koukin', '公金受取口座に支払う', html`<p>本人がデジタル庁に登録した公金受取口座を情報提供ネットワークシステムで照会し、登録があればその口座への支払を指示します（口座の確認日は今日）。本人の同意を確認してから照会してください（確認したことを記録します）。</p>
${select({ label: '給付', name: 'benefitId', options: c.benefits.filter((x) => x.ordered < x.amount).map((x) => [x.id, `${label(BENEFIT_LABELS, x.kind)}（残り ${yen(x.amount - x.ordered)}）`] as const), required: true })}
${field({ label: '支払額（円）', name: 'amount', inputmode: 'numeric', hint: '空欄のときは残りの全額' })}
${field({ label: '支払予定日', name: 'payOn', type: 'date', required: true })}
${checkbox({ label: '本人から公金受取口座の利用について同意を得た', name: 'staffConfirmed' })}`, '公金受取口座を照会する')
  : ''}
${c.closedReason ? section('終結・取下げ', dl([['理由', c.closedReason]])) : ''}
${may('close') ? form('close', '事案を終結する', field({ label: '終結の理由', name: 'reason', required: true }), '終結する') : ''}
${may('withdraw') ? form('withdraw', '取下げを記録する', field({ label: '取下げの理由', name: 'reason', required: true }), '取下げを記録する') : ''}
${section(
  '経過',
  table(['日時', '手続', '状態', '担当'], c.timeline.map((t) => [formatJst(t.at), STEP_LABELS[t.step] ?? '（不明）', CASE_STATUS_LABELS[t.statusAfter] ?? '（不明）', doneBy(t.by)]), { caption: '事案の経過（古い順）', empty: '経過はありません。' }),
)}`,
      ),
    );
  });

  const action = (path: string, run: CaseAction) =>
    fastify.post(`/relief/:id/${path}`, { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
      const id = (req.params as { id: string }).id;
      if (!ID.test(id)) return reply.status(404).send();
      try {
        setFlash(reply, await run(req, (req.body ?? {}) as Form, id));
      } catch (e) {
        if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
        setFlash(reply, `記録できませんでした：${problemText(e, FIELD_LABELS)}`);
      }
      return reply.redirect(`/relief/${id}`);
    });
  const w = <T>(req: FastifyRequest, fn: Parameters<typeof work<T>>[2]) => work(app.db, req, fn);
  action('records', async (req, b, id) => `接種記録を${n((await w(req, (x) => linkRecords(x, id, { recordIds: many(b['recordIds']) }))).added)}件紐付けました。`);
  action('documents', async (req, b, id) => {
    const r = await w(req, (x) => addDocument(x, id, { kind: one(b['kind']), receivedOn: one(b['receivedOn']), handling: one(b['handling']), reference: one(b['reference']), note: one(b['note']) }));
    return r.existing ? 'この書類は既に記録されています。' : '書類の受付を記録しました。';
  });
  action('information', async (req, b, id) => {
    await w(req, (x) => addInformation(x, id, { item: one(b['item']), providerCode: one(b['providerCode']), exchangeId: one(b['exchangeId']), obtainedOn: one(b['obtainedOn']), note: one(b['note']) }));
    return one(b['obtainedOn']) ? '入手した情報を記録しました。' : '入手予定の情報を記録しました。';
  });
  fastify.post('/relief/:id/information/:infoId/obtained', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const { id, infoId } = req.params as { id: string; infoId: string };
    if (!ID.test(id)) return reply.status(404).send();
    const b = (req.body ?? {}) as Form;
    try {
      await w(req, (x) => markInformationObtained(x, id, infoId, { obtainedOn: one(b['obtainedOn']), exchangeId: one(b['exchangeId']) }));
      setFlash(reply, '情報を入手済みにしました。');
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      setFlash(reply, `記録できませんでした：${problemText(e, FIELD_LABELS)}`);
    }
    return reply.redirect(`/relief/${id}`);
  });
  action('committee', async (req, b, id) => {
    await w(req, (x) => recordCommittee(x, id, { heldOn: one(b['heldOn']), members: one(b['members']) ?? '', opinion: one(b['opinion']) }));
    return '調査委員会を記録しました。';
  });
  action('report', async (req, b, id) => {
    await w(req, (x) => reportToState(x, id, { reportedOn: one(b['reportedOn']), reference: one(b['reference']), note: one(b['note']) }));
    return '国への進達を記録しました。国の判定を待ちます。';
  });
  action('decision', async (req, b, id) => {
    const outcome = one(b['outcome']);
    await w(req, (x) => recordDecision(x, id, { outcome, decidedOn: one(b['decidedOn']), reference: one(b['reference']), approvedKinds: outcome === 'approved' ? many(b['approvedKinds']) : [] }));
    return `国の判定（${outcome === 'approved' ? '認定' : '否認'}）を記録しました。`;
  });
  action('benefits', async (req, b, id) => {
    await w(req, (x) => decideBenefit(x, id, { kind: one(b['kind']), periodFrom: one(b['periodFrom']), periodTo: one(b['periodTo']), amount: one(b['amount']), decidedOn: one(b['decidedOn']), note: one(b['note']) }));
    return '給付を決定しました。';
  });
  action('orders', async (req, b, id) => {
    const keys = ['benefitId', 'amount', 'payOn', 'accountSource', 'accountConfirmedOn', 'bankCode', 'bankKana', 'branchCode', 'branchKana', 'accountType', 'accountNo', 'holderKana'];
    const r = await w(req, (x) => orderPayment(x, id, Object.fromEntries(keys.map((k) => [k, one(b[k])]))));
    return `${yen(r.amount)}の支払を指示しました。`;
  });
  // Steps that ask another organisation through the exchange (decisions 0164, 0168): outside `w` — the inquiry
  // runs between transactions; a failure records nothing and says so.
  const exchangeAction = (path: string, nothing: string, refused: string, run: (x: MunicipalExchange, id: string, b: Form, req: FastifyRequest) => Promise<string>) =>
    fastify.post(`/relief/:id/${path}`, { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
      const id = (req.params as { id: string }).id;
      if (!ID.test(id)) return reply.status(404).send();
      const b = (req.body ?? {}) as Form;
      if (!exchange) setFlash(reply, `照会できませんでした：情報提供ネットワークシステムに接続していません。${nothing}`);
      else {
        try {
          setFlash(reply, await run(exchange, id, b, req));
        } catch (e) {
          if (!isProblem(e) || (e.status === 403 && e.code === 'FORBIDDEN')) throw e;
          setFlash(reply, e.status >= 500 ? `照会できませんでした：${e.detail ?? e.title}（${nothing}時間をおいて照会し直してください）` : `${refused}：${problemText(e, FIELD_LABELS)}`);
        }
      }
      return reply.redirect(`/relief/${id}`);
    });
  exchangeAction('inquiry', '何も記録していません。', '照会できませんでした', async (x, id, b, req) => {
    const r = await inquireForCase(app.db, principalOf(req), x, id, { providerCode: one(b['providerCode']) });
    const who = r.providerName ?? '照会先';
    return r.status === 'provided' ? `${who}から接種記録 ${n(r.records)}件の提供を受け、この事案の情報として記録しました。`
      : r.status === 'none' ? `${who}には該当する接種記録がありませんでした（照会の結果として記録しました）。`
      : `${who}の確認待ちです。入手予定として記録しました。提供されたら「本日入手した」を押してください（照会の番号 ${r.exchangeId}）。`;
  });
  exchangeAction('orders-koukin', '支払は指示していません。', '支払を指示できませんでした', async (x, id, b, req) => {
    const r = await orderToPublicFundsAccount(app.db, principalOf(req), x, id, { benefitId: one(b['benefitId']), amount: one(b['amount']), payOn: one(b['payOn']), staffConfirmed: one(b['staffConfirmed']) });
    return r.status === 'ordered' ? `公金受取口座の登録がありました。${yen(r.amount)}の支払を公金受取口座へ指示しました。` : '公金受取口座の登録はありませんでした。申請者が指定した口座で支払を指示してください。';
  });
  action('close', async (req, b, id) => {
    await w(req, (x) => closeCase(x, id, 'close', { reason: one(b['reason']) }));
    return '事案を終結しました。';
  });
  action('withdraw', async (req, b, id) => {
    await w(req, (x) => closeCase(x, id, 'withdraw', { reason: one(b['reason']) }));
    return '取下げを記録しました。';
  });
}

/** The application's input paths → the form's control names (so a refusal points at its control). */
const APPLICATION_FIELDS: Record<string, string> = {
  'applicant.relation': 'relation', 'applicant.name': 'applicantName', 'applicant.kana': 'applicantKana', 'applicant.address': 'applicantAddress', 'applicant.phone': 'applicantPhone',
  'idCheck.method': 'idMethod', 'idCheck.note': 'idNote',
};

const FIELD_LABELS: Record<string, string> = {
  recordIds: '接種記録', kind: '種類', receivedOn: '受付日', handling: '保管の方法', reference: '文書番号', note: '備考', item: '情報', providerCode: '提供元の団体コード',
  exchangeId: '照会の番号', obtainedOn: '入手日', heldOn: '開催日', members: '出席した委員', opinion: '委員会の意見', reportedOn: '進達日', outcome: '国の判定', decidedOn: '日付',
  approvedKinds: '認定された給付', periodFrom: '支給期間の始め', periodTo: '支給期間の終わり', amount: '金額', benefitId: '給付', payOn: '支払予定日', accountSource: '支払先の口座',
  accountConfirmedOn: '口座を確認した日', bankCode: '金融機関コード', bankKana: '金融機関名（カナ）', branchCode: '支店コード', branchKana: '支店名（カナ）', accountType: '預金種目',
  accountNo: '口座番号', holderKana: '口座名義（カナ）', reason: '理由', status: '状態',
};

/** Linking more of the person's records to a case (only before the committee). */
async function recordsForm(app: App, req: FastifyRequest, c: CaseView, csrf: string, program: (code: string | null) => string): Promise<SafeHtml> {
  const rows = await work(app.db, req, (w) => recordsOfPerson(w, c.atenaNo));
  const linked = new Set(c.records.map((r) => r.id));
  const free = rows.filter((r) => !linked.has(r.id));
  if (!free.length) return html``;
  return section(
    '接種記録を紐付ける',
    html`<form method="post" action="/relief/${c.id}/records">${csrfField(csrf)}
${checkboxes({ legend: '被接種者の接種記録', name: 'recordIds', options: free.map((x) => [x.id, `${program(x.program)}${x.dose ? ` ${x.dose}回目` : ''}（${wareki(x.vaccinatedOn)}）`] as const) })}
<div class="actions">${button('紐付ける')}</div></form>`,
  );
}
