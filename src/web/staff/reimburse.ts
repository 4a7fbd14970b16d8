// 償還払い and 任意接種の助成 (issue 14; VAX-33, RES-20; decisions 0159, 0160): the applications with their
// totals and paging, the counter entry (with the refund account), one application with the examination
// against the program and the ledger, approval (by another official than the examiner) and rejection; the
// subsidy programs; the persons' accounts.  Payment: /payments (the same batches and 総合振込 file as the
// institutions).  For staff of the 予防接種 duty; changes need personal.write.  Amounts in 円, dates in 和暦,
// never a My Number, never a code of the catalog (program names).  「公金受取口座を照会する」 (decisions 0163,
// 0164) on an application and on /person-accounts: the account the resident registered with デジタル庁,
// obtained through the 情報提供ネットワークシステム with the resident's consent.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { principalOf, work } from '../../kernel/http/index.js';
import { can } from '../../kernel/access/index.js';
import { formatJst, formatWareki } from '../../kernel/jp/index.js';
import { invalidField, isProblem, type Problem } from '../../kernel/problems/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import { ACCOUNT_TYPES } from '../../municipality/billing/index.js';
import {
  approveReimbursement, createReimbursementApplication, takeElectronicApplications, examineReimbursement, getReimbursement, getSubsidyProgram, listReimbursements, listSubsidyPrograms, personAccounts, rejectReimbursement,
  obtainPublicFundsAccount, setPersonAccount, setSubsidyProgram, ACCOUNT_PURPOSES, ACCOUNT_SOURCES, AMOUNT_KINDS, REIMBURSEMENT_CHANNELS, REIMBURSEMENT_STATUS, type ReimbursementStatus, type ReimbursementView,
} from '../../municipality/reimburse/index.js';
import { badge, button, checkbox, csrfField, subNav, dl, doneBy, field, html, notice, page, pageRequest, pager, queryOf, section, select, table, textarea, type FormState, type SafeHtml } from '../ui/index.js';
import type { MunicipalExchange } from '../../municipality/exchange/index.js';
import { formState, needLogin, needPermission, one, pageContext, sendPage, setFlash, type Form } from './support.js';

const LIST_PAGE = 50;
const yen = (v: number | null): string => (v === null ? '—' : `${v.toLocaleString('ja-JP')}円`);
const n = (v: number): string => v.toLocaleString('ja-JP');
const dateWareki = (d: string | null): string => (d ? formatWareki(d) : '—');
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const writable = (req: FastifyRequest): boolean => !!req.session && can(req.session.actor, 'personal.write', 'vaccination');

function statusBadge(s: ReimbursementStatus): SafeHtml {
  return badge(REIMBURSEMENT_STATUS[s], s === 'paid' || s === 'approved' ? 'ok' : s === 'rejected' ? 'bad' : s === 'examined' ? 'info' : 'warn');
}

function tabs(here: string): SafeHtml {
  const items: [string, string][] = [
    ['/reimbursements', '償還払いの申請'],
    ['/reimbursements/new', '窓口で受け付ける'],
    ['/subsidies', '助成制度'],
    ['/person-accounts', '住民の振込先口座'],
    ['/payments', '支払と振込ファイル'],
  ];
  return subNav('償還払いのメニュー', items, here);
}

const ACCOUNT_KEYS = ['bankCode', 'bankKana', 'branchCode', 'branchKana', 'accountType', 'accountNo', 'holderKana'] as const;
const accountTypes = Object.entries(ACCOUNT_TYPES).map(([k, v]) => [k, v] as const);

/** The account controls, named `<prefix>bankCode` … (the Problem's field names). */
function accountFields(prefix: string, state: FormState | undefined, required: boolean): SafeHtml {
  return html`${field({ label: '金融機関コード', name: `${prefix}bankCode`, required, inputmode: 'numeric', maxlength: 4, hint: '4桁' }, state)}
${field({ label: '金融機関名（カナ）', name: `${prefix}bankKana` }, state)}
${field({ label: '支店コード', name: `${prefix}branchCode`, required, inputmode: 'numeric', maxlength: 3, hint: '3桁' }, state)}
${field({ label: '支店名（カナ）', name: `${prefix}branchKana` }, state)}
${select({ label: '預金種目', name: `${prefix}accountType`, options: accountTypes, value: '1' }, state)}
${field({ label: '口座番号', name: `${prefix}accountNo`, required, inputmode: 'numeric', maxlength: 7, hint: '7桁（7桁未満は前に0を付けます）' }, state)}
${field({ label: '口座名義（カナ）', name: `${prefix}holderKana`, required, hint: '全角カナ・ひらがなでも入力できます（振込に使える半角カナに変換します）' }, state)}`;
}
const accountOf = (b: Form, prefix: string): Record<(typeof ACCOUNT_KEYS)[number], string | undefined> =>
  Object.fromEntries(ACCOUNT_KEYS.map((k) => [k, one(b[`${prefix}${k}`])])) as Record<(typeof ACCOUNT_KEYS)[number], string | undefined>;

function statusQuery(req: FastifyRequest): ReimbursementStatus | undefined {
  const v = queryOf(req)['status'];
  if (v === undefined || v === '') return undefined;
  if (!(v in REIMBURSEMENT_STATUS)) throw invalidField('status', 'INVALID_QUERY', '「状態」の指定が正しくありません');
  return v as ReimbursementStatus;
}

/** What staff read after 「公金受取口座を照会する」 (nothing is stored unless the first message). */
async function obtainMessage(app: App, req: FastifyRequest, exchange: MunicipalExchange | undefined, atenaNo: string, opts: { reimbursementId?: string; staffConfirmed?: boolean }): Promise<string> {
  if (!exchange) return '照会できませんでした：情報提供ネットワークシステムに接続していません。口座は登録していません。';
  try {
    const r = await obtainPublicFundsAccount(app.db, principalOf(req), exchange, atenaNo, opts);
    if (r.status === 'none') return '公金受取口座の登録はありませんでした。申請書の口座を登録してください。';
    const a = r.account;
    return `公金受取口座の登録がありました。${ACCOUNT_PURPOSES[a.purpose]}用の口座として登録しました（金融機関 ${a.bankCode}、支店 ${a.branchCode}、${ACCOUNT_TYPES[a.accountType] ?? ''} ${a.accountNo}、名義 ${a.holderKana}${r.registeredOn ? `、${formatWareki(r.changedOn ?? r.registeredOn)}${r.changedOn ? '変更' : '登録'}` : ''}）。`;
  } catch (e) {
    if (!isProblem(e) || (e.status === 403 && e.code === 'FORBIDDEN')) throw e;
    if (e.code === 'KOUKIN_ACCOUNT_UNUSABLE' || e.code === 'KOUKIN_CONSENT_REQUIRED' || e.code === 'NO_INTEGRATED_NO') return `${e.title}：${e.detail ?? ''}`;
    if (e.status === 404) return `照会できませんでした：${e.title}。`;
    return `照会できませんでした：${e.detail ?? e.title}（口座は登録していません。時間をおいて照会し直してください）`;
  }
}

export function registerReimbursePages(fastify: FastifyInstance, app: App, exchange?: MunicipalExchange): void {
  const read = [needLogin, needPermission(app, 'personal.read', 'vaccination')];
  const write = [needLogin, needPermission(app, 'personal.write', 'vaccination')];
  const programNames = async (req: FastifyRequest) =>
    work(app.db, req, async (w) => {
      const { catalog } = await catalogFor(w);
      return [...catalog.programsByCode.entries()].map(([code, v]) => [code, v.at(-1)?.name ?? '（名前のない予防接種）'] as const);
    });

  // ------------------------------------------------------------ applications
  fastify.get('/reimbursements', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const status = statusQuery(req);
    const r = pageRequest(queryOf(req), LIST_PAGE);
    const list = await work(app.db, req, (w) => listReimbursements(w, { status, page: r.page, pageSize: LIST_PAGE }));
    const filter = html`<form method="get" action="/reimbursements" class="inline">
${select({ label: '状態', name: 'status', options: [['', 'すべて'], ...Object.entries(REIMBURSEMENT_STATUS)], value: status ?? '' })}
<div class="actions">${button('絞り込む', 'secondary')}</div></form>`;
    return sendPage(
      reply,
      page(
        ctx,
        '償還払い（接種費用の助成）の申請',
        html`${tabs('/reimbursements')}
<p>住民が医療機関に支払った任意接種の費用を、助成制度に基づいて払い戻します。申請を審査（助成制度と接種記録の確認）し、審査した職員とは別の職員が承認すると、次の支払で住民の口座に振り込みます。</p>
${req.session && can(req.session.actor, 'personal.write', 'vaccination')
  ? html`<form method="post" action="/reimbursements/electronic">${csrfField(ctx.csrf)}<p>電子申請（申請管理で受理したもの）を償還払いの申請として取り込みます。</p><div class="actions">${button('受理した電子申請を取り込む', 'secondary')}</div></form>`
  : ''}
${filter}
${section(
  `申請（${status ? `${REIMBURSEMENT_STATUS[status]} ` : ''}全${n(list.total)}件）`,
  html`${dl([
    ['支払われた接種費用の合計', yen(list.totals.amountPaid)],
    ['助成決定額の合計', yen(list.totals.decidedAmount)],
    ['振込済みの合計', yen(list.totals.paidAmount)],
  ])}
${list.total ? pager({ total: list.total, request: r, shown: list.rows.length, path: '/reimbursements', filters: status ? { status } : {}, order: '申請番号の新しい順' }) : ''}
${table(
  ['申請番号', '受付日', '受付方法', '接種を受けた方', '助成制度', '接種日', '支払った額', '助成決定額', '状態', ''],
  list.rows.map((a) => [a.no, dateWareki(a.receivedOn), REIMBURSEMENT_CHANNELS[a.channel], a.name, a.subsidyName, dateWareki(a.vaccinatedOn), yen(a.amountPaid), a.eligible === false ? '助成対象外' : yen(a.decidedAmount), statusBadge(a.status), html`<a href="/reimbursements/${a.id}">詳細・審査</a>`]),
  { caption: '償還払いの申請', empty: '該当する申請はありません。' },
)}`,
)}`,
      ),
    );
  });

  const newPage = async (req: FastifyRequest, reply: FastifyReply, state?: FormState, status = 200) => {
    const ctx = await pageContext(app, req, reply);
    const programs = await work(app.db, req, (w) => listSubsidyPrograms(w));
    const today = app.config.clock.today();
    const current = programs.filter((p) => p.validUntil === null || p.validUntil >= today);
    return sendPage(
      reply,
      page(
        ctx,
        '償還払いの申請を受け付ける',
        html`${tabs('/reimbursements/new')}
${current.length === 0 ? notice('受け付けられる助成制度がありません。先に助成制度を登録してください。', 'warning') : ''}
<form method="post" action="/reimbursements">${csrfField(ctx.csrf)}
${section(
  '接種を受けた方と助成制度',
  html`${field({ label: '宛名番号（接種を受けた方）', name: 'atenaNo', required: true, inputmode: 'numeric', maxlength: 10, hint: '申請者が保護者の場合も、接種を受けた方の宛名番号を入力します' }, state)}
${select({ label: '助成制度', name: 'subsidyCode', options: current.map((p) => [p.code, p.name] as const), required: true }, state)}
${field({ label: '受付日', name: 'receivedOn', type: 'date', value: today, required: true }, state)}`,
)}
${section(
  '領収書',
  html`${field({ label: '医療機関名', name: 'receipt.clinicName', required: true }, state)}
${field({ label: '医療機関コード', name: 'receipt.institutionCode', inputmode: 'numeric', maxlength: 10, hint: 'わかる場合だけ（10桁）' }, state)}
${field({ label: '接種日', name: 'receipt.vaccinatedOn', type: 'date', required: true }, state)}
${field({ label: '支払った額（円）', name: 'receipt.amountPaid', required: true, inputmode: 'numeric' }, state)}`,
)}
${section(
  '振込先口座（申請者の口座）',
  html`<p>登録済みの口座に振り込む場合は空欄のままにします。入力すると、この方の還付・償還払い用の口座として登録します。</p>
${checkbox({ label: '公金受取口座を利用する（申請書で申請者が同意している）', name: 'koukinConsent' }, state)}
${accountFields('account.', state, false)}`,
)}
<div class="actions">${button('受け付ける')}</div></form>`,
      ),
      status,
    );
  };
  fastify.post('/reimbursements/electronic', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const r = await takeElectronicApplications(app.db, principalOf(req));
    setFlash(reply, `電子申請を取り込みました：${n(r.taken)}件${r.failed.length ? `。取り込めなかった申請 ${n(r.failed.length)}件（${r.failed.map((f) => `申請番号 ${f.applicationNo}：${f.reason}`).join('、')}）` : ''}`);
    return reply.redirect('/reimbursements');
  });
  fastify.get('/reimbursements/new', { preHandler: write }, async (req, reply) => newPage(req, reply));
  fastify.post('/reimbursements', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const account = accountOf(b, 'account.');
    const anyAccount = Object.entries(account).some(([k, v]) => k !== 'accountType' && v !== undefined && v.trim() !== '');
    try {
      const r = await work(app.db, req, (w) =>
        createReimbursementApplication(w, {
          atenaNo: one(b['atenaNo']), subsidyCode: one(b['subsidyCode']), channel: 'counter', receivedOn: one(b['receivedOn']),
          receipt: { clinicName: one(b['receipt.clinicName']), institutionCode: one(b['receipt.institutionCode']), vaccinatedOn: one(b['receipt.vaccinatedOn']), amountPaid: one(b['receipt.amountPaid']) },
          ...(anyAccount ? { account } : {}),
          koukinConsent: one(b['koukinConsent']) === 'on',
        }),
      );
      setFlash(reply, `申請を受け付けました（申請番号 ${r.no}）。`);
      return reply.redirect(`/reimbursements/${r.id}`);
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      return newPage(req, reply, formState(b, e as Problem), 400);
    }
  });

  const detailPage = async (req: FastifyRequest, reply: FastifyReply, id: string, state?: FormState, status = 200) => {
    const ctx = await pageContext(app, req, reply);
    const got = ID.test(id)
      ? await work(app.db, req, async (w) => {
          try {
            const a = await getReimbursement(w, id);
            return { a, program: await getSubsidyProgram(w, a.subsidyCode), accounts: await personAccounts(w, a.atenaNo) };
          } catch (e) {
            if (isProblem(e) && e.status === 404) return null;
            throw e;
          }
        })
      : null;
    if (!got) return sendPage(reply, page(ctx, '申請が見つかりません', html`${tabs('')}<p>指定された申請は存在しないか、参照する権限がありません。</p><p><a href="/reimbursements">← 申請の一覧へ</a></p>`), 404);
    const { a, program, accounts } = got;
    const me = principalOf(req).actor.login;
    const canWrite = writable(req);
    const refund = accounts.find((x) => x.purpose === 'refund');
    const decide = (x: ReimbursementView): SafeHtml => {
      if (!canWrite) return html``;
      const parts: SafeHtml[] = [];
      if (x.status === 'received' || x.status === 'examined') {
        parts.push(section(
          x.status === 'received' ? '審査する' : '審査し直す',
          html`<form method="post" action="/reimbursements/${x.id}/examine">${csrfField(ctx.csrf)}
${program?.conditions.length ? checkbox({ label: `助成の条件を書類で確認した（${program.conditions.join('、')}）`, name: 'conditionsConfirmed' }, state) : ''}
${field({ label: '備考', name: 'note' }, state)}
<div class="actions">${button('助成制度と接種記録で審査する')}</div></form>`,
        ));
      }
      if (x.status === 'examined' && x.eligible) {
        parts.push(x.examinedBy === me
          ? notice('審査した職員とは別の職員が承認します。', 'info')
          : html`<form method="post" action="/reimbursements/${x.id}/approve" class="inline">${csrfField(ctx.csrf)}<div class="actions">${button(`${yen(x.decidedAmount)}の助成を承認する`)}</div></form>`);
      }
      if (x.status === 'received' || x.status === 'examined') {
        parts.push(section('却下する', html`<form method="post" action="/reimbursements/${x.id}/reject">${csrfField(ctx.csrf)}
${textarea({ label: '却下の理由（申請者に伝えます）', name: 'reason', required: true, rows: 2 }, state)}
<div class="actions">${button('却下する', 'secondary')}</div></form>`));
      }
      return html`${parts}`;
    };
    return sendPage(
      reply,
      page(
        ctx,
        `償還払いの申請（申請番号 ${a.no}）`,
        html`${tabs('')}<p><a href="/reimbursements">← 申請の一覧へ</a></p>
${section(
  '申請',
  dl([
    ['状態', statusBadge(a.status)],
    ['接種を受けた方', html`${a.name}（宛名番号 <a href="/residents/${a.atenaNo}">${a.atenaNo}</a>）`],
    ['助成制度', a.subsidyName],
    ['受付', `${dateWareki(a.receivedOn)}（${REIMBURSEMENT_CHANNELS[a.channel]}、${doneBy(a.createdBy)}）`],
    ['医療機関', a.institutionCode ? `${a.clinicName}（${a.institutionCode}）` : a.clinicName],
    ['接種日', dateWareki(a.vaccinatedOn)],
    ['支払った額', yen(a.amountPaid)],
    ['助成の内容', program ? `${AMOUNT_KINDS[program.amountKind]} ${yen(program.amount)}${program.amountKind === 'up-to-cost' ? 'まで' : ''}（支払った額を超えません）` : '—'],
  ]),
)}
${section(
  '審査と承認',
  dl([
    ['審査の結果', a.eligible === null ? '未審査' : a.eligible ? '助成対象' : '助成対象外'],
    ['助成決定額', yen(a.decidedAmount)],
    ['理由', a.reason ? html`${a.reason.split('\n').map((l) => html`${l}<br>`)}` : '—'],
    ['接種記録', a.recordId ? html`<a href="/residents/${a.atenaNo}/vaccinations">台帳の記録を見る</a>` : '—'],
    ['審査', a.examinedBy ? `${doneBy(a.examinedBy)}（${a.examinedAt ? formatJst(a.examinedAt) : ''}）` : '—'],
    ['承認', a.approvedBy ? `${doneBy(a.approvedBy)}（${a.approvedAt ? formatJst(a.approvedAt) : ''}）` : '—'],
    ['支払', a.paymentBatchId ? html`<a href="/payments/${a.paymentBatchId}">支払と振込ファイル</a>` : '—'],
  ]),
)}
${section(
  '振込先口座',
  refund
    ? dl([
        ['金融機関', `${refund.bankCode}${refund.bankKana ? `（${refund.bankKana}）` : ''}`],
        ['支店', `${refund.branchCode}${refund.branchKana ? `（${refund.branchKana}）` : ''}`],
        ['口座', `${ACCOUNT_TYPES[refund.accountType] ?? '—'} ${refund.accountNo}`],
        ['口座名義', refund.holderKana],
        ['口座の出所', ACCOUNT_SOURCES[refund.source]],
      ])
    : notice(html`還付・償還払い用の口座が登録されていません。<a href="/person-accounts?atenaNo=${a.atenaNo}">口座を登録</a>するまで支払えません。`, 'warning'),
)}
${canWrite && a.status !== 'paid' && a.status !== 'rejected'
  ? section(
      '公金受取口座',
      html`<form method="post" action="/reimbursements/${a.id}/koukin">${csrfField(ctx.csrf)}
${a.koukinConsent
  ? html`<p>申請書で「公金受取口座を利用する」に同意があります。デジタル庁に登録された口座を情報提供ネットワークシステムで照会し、登録があれば振込先口座にします。</p>`
  : html`<p>申請書に公金受取口座の利用の同意はありません。本人の同意を確認した場合だけ照会できます（確認したことを記録します）。</p>
${checkbox({ label: '本人から公金受取口座の利用について同意を得た', name: 'staffConfirmed' }, state)}`}
<div class="actions">${button('公金受取口座を照会する', 'secondary')}</div></form>`,
    )
  : ''}
${decide(a)}`,
      ),
      status,
    );
  };
  fastify.get('/reimbursements/:id', { preHandler: read }, async (req, reply) => detailPage(req, reply, (req.params as { id: string }).id));
  fastify.post('/reimbursements/:id/koukin', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const b = (req.body ?? {}) as Form;
    const a = ID.test(id) ? await work(app.db, req, (w) => getReimbursement(w, id).catch((e: unknown) => (isProblem(e) && e.status === 404 ? null : Promise.reject(e)))) : null;
    if (!a) return detailPage(req, reply, id);
    setFlash(reply, await obtainMessage(app, req, exchange, a.atenaNo, { reimbursementId: a.id, staffConfirmed: one(b['staffConfirmed']) === 'on' }));
    return reply.redirect(`/reimbursements/${a.id}`);
  });
  for (const action of ['examine', 'approve', 'reject'] as const) {
    fastify.post(`/reimbursements/:id/${action}`, { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
      const id = (req.params as { id: string }).id;
      const b = (req.body ?? {}) as Form;
      try {
        const msg = await work(app.db, req, async (w) => {
          if (action === 'examine') {
            const r = await examineReimbursement(w, id, { conditionsConfirmed: one(b['conditionsConfirmed']), note: one(b['note']) });
            return r.eligible ? `審査しました：助成対象（${yen(r.decidedAmount)}）。` : `審査しました：助成対象外（${r.checks.filter((c) => !c.ok).map((c) => c.item).join('・')}）。`;
          }
          if (action === 'approve') return (await approveReimbursement(w, id), '承認しました。次の支払で振り込みます。');
          return (await rejectReimbursement(w, id, { reason: one(b['reason']) }), '却下しました。');
        });
        setFlash(reply, msg);
        return reply.redirect(`/reimbursements/${ID.test(id) ? id : ''}`);
      } catch (e) {
        if (!isProblem(e) || e.status >= 500) throw e;
        if (e.status === 400) return detailPage(req, reply, id, formState(b, e as Problem), 400);
        setFlash(reply, e.detail ?? e.title);
        return reply.redirect(ID.test(id) ? `/reimbursements/${id}` : '/reimbursements');
      }
    });
  }

  // ------------------------------------------------------------ subsidy programs
  const subsidiesPage = async (req: FastifyRequest, reply: FastifyReply, state?: FormState, status = 200) => {
    const ctx = await pageContext(app, req, reply);
    const [programs, names] = [await work(app.db, req, (w) => listSubsidyPrograms(w)), await programNames(req)];
    const nameOf = new Map(names);
    return sendPage(
      reply,
      page(
        ctx,
        '任意接種の助成制度',
        html`${tabs('/subsidies')}
<p>任意接種の費用を助成する制度です。対象（接種日の年齢・住所・条件）、予防接種、助成額（定額、または上限までの実費。支払った額を超えません）、対象となる接種日の期間を登録します。同じ識別名で登録すると内容を置き換えます。</p>
${writable(req)
  ? section(
      '助成制度を登録する',
      html`<form method="post" action="/subsidies">${csrfField(ctx.csrf)}
${field({ label: '識別名', name: 'code', required: true, hint: '英小文字・数字・ハイフン（例：mumps-2026）' }, state)}
${field({ label: '制度の名前', name: 'name', required: true }, state)}
${select({ label: '予防接種', name: 'program', options: names, required: true }, state)}
${field({ label: '対象年齢（下限、歳）', name: 'minAge', required: true, inputmode: 'numeric', value: '0' }, state)}
${field({ label: '対象年齢（上限、歳）', name: 'maxAge', inputmode: 'numeric', hint: '上限がなければ空欄' }, state)}
${checkbox({ label: '接種日に住民である方に限る', name: 'residentsOnly', checked: true }, state)}
${textarea({ label: '審査で確かめる条件', name: 'conditions', hint: '1行に1つ（例：妊娠を希望する女性であること）', rows: 3 }, state)}
${select({ label: '助成額の決め方', name: 'amountKind', options: Object.entries(AMOUNT_KINDS), required: true }, state)}
${field({ label: '助成額（円）', name: 'amount', required: true, inputmode: 'numeric', hint: '定額の額、または実費の上限' }, state)}
${field({ label: '対象の接種日（開始）', name: 'validFrom', type: 'date', required: true }, state)}
${field({ label: '対象の接種日（終了）', name: 'validUntil', type: 'date', hint: '終了日がなければ空欄' }, state)}
<div class="actions">${button('登録')}</div></form>`,
    )
  : ''}
${section(
  `登録されている助成制度（全${n(programs.length)}件）`,
  table(
    ['制度', '予防接種', '対象年齢', '住所', '条件', '助成額', '対象の接種日', '登録者'],
    programs.map((p) => [p.name, nameOf.get(p.program) ?? '（設定にない予防接種）', p.maxAge === null ? `${p.minAge}歳以上` : `${p.minAge}〜${p.maxAge}歳`, p.residentsOnly ? '住民に限る' : '問わない',
      p.conditions.join('、') || 'なし', `${AMOUNT_KINDS[p.amountKind]} ${yen(p.amount)}`, `${dateWareki(p.validFrom)}〜${p.validUntil ? dateWareki(p.validUntil) : ''}`, doneBy(p.updatedBy)]),
    { caption: '任意接種の助成制度', empty: 'まだ助成制度を登録していません。' },
  ),
)}`,
      ),
      status,
    );
  };
  fastify.get('/subsidies', { preHandler: read }, async (req, reply) => subsidiesPage(req, reply));
  fastify.post('/subsidies', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    try {
      const p = await work(app.db, req, (w) =>
        setSubsidyProgram(w, {
          code: one(b['code']), name: one(b['name']), program: one(b['program']), minAge: one(b['minAge']), maxAge: one(b['maxAge']), residentsOnly: one(b['residentsOnly']) ?? 'false',
          conditions: one(b['conditions']) ?? '', amountKind: one(b['amountKind']), amount: one(b['amount']), validFrom: one(b['validFrom']), validUntil: one(b['validUntil']),
        }),
      );
      setFlash(reply, `助成制度「${p.name}」を登録しました。`);
      return reply.redirect('/subsidies');
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      return subsidiesPage(req, reply, formState(b, e as Problem), 400);
    }
  });

  // ------------------------------------------------------------ persons' accounts
  const accountsPage = async (req: FastifyRequest, reply: FastifyReply, state?: FormState, status = 200) => {
    const ctx = await pageContext(app, req, reply);
    const raw = state?.values?.['atenaNo'] ?? queryOf(req)['atenaNo'];
    const atenaNo = typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined;
    if (atenaNo !== undefined && !/^\d{10}$/.test(atenaNo) && !state) throw invalidField('atenaNo', 'INVALID_QUERY', '「宛名番号」の指定が正しくありません（10桁の数字）');
    const accounts = atenaNo && /^\d{10}$/.test(atenaNo) ? await work(app.db, req, (w) => personAccounts(w, atenaNo)) : [];
    return sendPage(
      reply,
      page(
        ctx,
        '住民の振込先口座',
        html`${tabs('/person-accounts')}
<p>償還払い・給付の振込先として、住民ごとに用途別の口座を登録します。金融機関コード・支店コード・口座番号は数字、口座名義は振込に使える半角カナ・英大文字・数字に変換して登録します。</p>
<form method="get" action="/person-accounts" class="inline">${field({ label: '宛名番号', name: 'atenaNo', inputmode: 'numeric', maxlength: 10, value: atenaNo ?? '' })}<div class="actions">${button('表示', 'secondary')}</div></form>
${atenaNo
  ? section(
      `宛名番号 ${atenaNo} の口座`,
      table(
        ['用途', '出所', '金融機関', '支店', '口座', '口座名義', '更新者'],
        accounts.map((x) => [ACCOUNT_PURPOSES[x.purpose], ACCOUNT_SOURCES[x.source], x.bankKana ? `${x.bankCode}（${x.bankKana}）` : x.bankCode, x.branchKana ? `${x.branchCode}（${x.branchKana}）` : x.branchCode, `${ACCOUNT_TYPES[x.accountType] ?? '—'} ${x.accountNo}`, x.holderKana, doneBy(x.updatedBy)]),
        { caption: '振込先口座', empty: '口座は登録されていません。' },
      ),
    )
  : ''}
${writable(req)
  ? section(
      '公金受取口座を照会する',
      html`<p>本人がデジタル庁に登録した公金受取口座を、情報提供ネットワークシステムで照会します。本人の同意を確認してから照会してください（確認したことを記録します）。登録があれば、選んだ用途の口座として登録します。</p>
<form method="post" action="/person-accounts/koukin">${csrfField(ctx.csrf)}
${field({ label: '宛名番号', name: 'atenaNo', required: true, inputmode: 'numeric', maxlength: 10, value: atenaNo ?? '' }, state)}
${checkbox({ label: '本人から公金受取口座の利用について同意を得た', name: 'staffConfirmed' }, state)}
<div class="actions">${button('公金受取口座を照会する', 'secondary')}</div></form>`,
    )
  : ''}
${writable(req)
  ? section(
      '口座を登録する',
      html`<form method="post" action="/person-accounts">${csrfField(ctx.csrf)}
${field({ label: '宛名番号', name: 'atenaNo', required: true, inputmode: 'numeric', maxlength: 10, value: atenaNo ?? '' }, state)}
${select({ label: '用途', name: 'purpose', options: Object.entries(ACCOUNT_PURPOSES), required: true }, state)}
${accountFields('', state, true)}
<div class="actions">${button('登録')}</div></form>`,
    )
  : ''}`,
      ),
      status,
    );
  };
  fastify.get('/person-accounts', { preHandler: read }, async (req, reply) => accountsPage(req, reply));
  fastify.post('/person-accounts/koukin', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const atenaNo = (one(b['atenaNo']) ?? '').trim();
    if (!/^\d{10}$/.test(atenaNo)) return accountsPage(req, reply, formState(b, invalidField('atenaNo', 'FORMAT', '宛名番号は10桁の数字です')), 400);
    setFlash(reply, await obtainMessage(app, req, exchange, atenaNo, { staffConfirmed: one(b['staffConfirmed']) === 'on' }));
    return reply.redirect(`/person-accounts?atenaNo=${atenaNo}`);
  });
  fastify.post('/person-accounts', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    try {
      const a = await work(app.db, req, (w) => setPersonAccount(w, { atenaNo: one(b['atenaNo']), purpose: one(b['purpose']), source: 'application', ...accountOf(b, '') }));
      setFlash(reply, '口座を登録しました。');
      return reply.redirect(`/person-accounts?atenaNo=${a.atenaNo}`);
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
      return accountsPage(req, reply, formState(b, e as Problem), e.status === 404 ? 404 : 400);
    }
  });
}
