// 申請管理 (issue 14 point 5; XCH-29, XCH-30; decision 0156): the electronic applications collected from
// サービス検索・電子申請機能 with totals per status and paging, one application with its items and history,
// and the staff actions 審査開始 → 受理 / 却下.  A superseded version is shown as such and offers no action.
// For staff of the 予防接種 duty (actions need personal.write).  Never a My Number: the stored form has none.
import type { FastifyInstance } from 'fastify';
import type { App } from '../../app/index.js';
import { principalOf, work } from '../../kernel/http/index.js';
import { can } from '../../kernel/access/index.js';
import { formatJst, formatWareki } from '../../kernel/jp/index.js';
import { isProblem } from '../../kernel/problems/index.js';
import type { MunicipalExchange } from '../../municipality/exchange/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import {
  acceptEapplication, getEapplication, listEapplications, receiveApplications, rejectEapplication, startReview,
  EAPPLICATION_KIND_LABELS, EAPPLICATION_STATUSES, EAPPLICATION_STATUS_LABELS, type EapplicationStatus, type EapplicationView,
} from '../../municipality/eapply/index.js';
import { badge, button, csrfField, dl, html, notice, page, pageRequest, pager, queryEnum, queryOf, section, table, textarea, type SafeHtml } from '../ui/index.js';
import { needLogin, needPermission, one, pageContext, problemText, sendPage, setFlash, type Form } from './support.js';

const PAGE = 50;
const KINDS = Object.keys(EAPPLICATION_KIND_LABELS);
const n = (v: number): string => v.toLocaleString('ja-JP');
const yen = (v: unknown): string => (typeof v === 'number' ? `${v.toLocaleString('ja-JP')}円` : '—');
const wareki = (v: unknown): string => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) ? formatWareki(v) : '—');
const TONES: Record<EapplicationStatus, 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = { checked: 'info', under_review: 'warn', accepted: 'ok', rejected: 'bad', superseded: 'muted' };
const RELATIONS: Record<string, string> = { self: '本人', parent: '保護者（親権者）', guardian: '後見人等' };
const ACCOUNT_TYPES: Record<string, string> = { '1': '普通', '2': '当座', '4': '貯蓄' };

function statusBadge(s: EapplicationStatus): SafeHtml {
  return badge(EAPPLICATION_STATUS_LABELS[s], TONES[s]);
}

/** The form's items in the words of the standard form (the stored form holds no My Number). */
function formItems(v: EapplicationView, programName: (code: unknown) => string): (readonly [string, string])[] {
  const f = (v.form ?? {}) as Record<string, unknown>;
  const s = (f['subject'] ?? {}) as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === 'string' && x ? x : '—');
  const items: (readonly [string, string])[] = [
    ['被接種者の氏名', str(s['name'])],
    ['被接種者の氏名（カナ）', str(s['nameKana'])],
    ['被接種者の生年月日', wareki(s['birthDate'])],
    ['申請者との関係', RELATIONS[String(f['relation'])] ?? '—'],
    ['申請者の電話番号', str(f['phone'])],
    ['個人番号', v.hadMyNumber ? '記載あり（署名検証・本人特定に使用。表示しません）' : '記載なし'],
  ];
  if (v.kind === 'vaccination-request') {
    items.push(['予防接種', programName(f['program'])], ['回数', f['dose'] ? `${String(f['dose'])}回目` : '—'], ['申請理由', str(f['reason'])], ['依頼先', str(f['destination'])],
      ['滞在先住所', str(f['stayAddress'])], ['滞在先電話番号', str(f['stayPhone'])], ['滞在期間', `${wareki(f['periodFrom'])} ～ ${wareki(f['periodUntil'])}`]);
  } else if (v.kind === 'certificate-reissue') {
    items.push(['予防接種', Array.isArray(f['programs']) ? (f['programs'] as unknown[]).map(programName).join('、') : '—'], ['再交付の理由', str(f['reason'])], ['前回の証明書番号', str(f['previousCertificateNo'])]);
  } else if (v.kind === 'reimbursement') {
    const b = (f['bank'] ?? {}) as Record<string, unknown>;
    items.push(['予防接種', programName(f['program'])], ['回数', f['dose'] ? `${String(f['dose'])}回目` : '—'], ['接種日', wareki(f['vaccinatedOn'])], ['接種を受けた医療機関', str(f['clinicName'])],
      ['領収日', wareki(f['receiptDate'])], ['支払った金額', yen(f['amountPaid'])],
      ['振込先', `金融機関コード ${str(b['bankCode'])}・支店コード ${str(b['branchCode'])}・${ACCOUNT_TYPES[String(b['accountType'])] ?? '—'}・口座番号 ${str(b['accountNumber'])}`], ['口座名義（カナ）', str(b['holderKana'])]);
  }
  return items;
}

const EFFECTS: Record<string, string> = { notice: '予防接種依頼書を発行しました（通知書の発行記録）', 'certificate-application': '予防接種済証の再交付申請として受け付けました（証明書の申請）', handover: '償還払いの審査に引き継ぎました' };

export function registerEapplyPages(fastify: FastifyInstance, app: App, exchange: MunicipalExchange | undefined): void {
  const read = [needLogin, needPermission(app, 'personal.read', 'vaccination')];
  const write = [needLogin, needPermission(app, 'personal.write', 'vaccination')];
  const TITLE = '電子申請（申請管理）';

  fastify.get('/eapply', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const q = queryOf(req);
    const status = queryEnum(q, 'status', '状態', EAPPLICATION_STATUSES);
    const kind = queryEnum(q, 'kind', '申請の種類', KINDS);
    const r = pageRequest(q, PAGE);
    const writable = !!req.session && can(req.session.actor, 'personal.write', 'vaccination') && !!exchange;
    const list = await work(app.db, req, (w) => listEapplications(w, { status, kind, page: r.page, pageSize: PAGE }));
    const filterLink = (s: EapplicationStatus | undefined, label: string) =>
      s === status ? html`<span class="btn btn--primary" aria-current="true">${label}</span>` : html`<a class="btn btn--secondary" href="/eapply${s ? `?status=${s}` : ''}">${label}</a>`;
    return sendPage(
      reply,
      page(
        ctx,
        TITLE,
        html`<p>サービス検索・電子申請機能（マイナポータル）から取り込んだ申請です。取込のときにマイナンバーカードの署名用電子証明書による署名を検証し（有効期間・失効・改ざん）、申請者を住民記録で特定しています。確認済の申請を審査し、受理または却下してください。</p>
${exchange ? '' : notice('この環境では電子申請の窓口に接続していません（mamori serve で起動すると接続します）。一覧と審査だけができます。', 'warning')}
${writable ? html`<form method="post" action="/eapply/receive">${csrfField(ctx.csrf)}<div class="actions">${button('電子申請を取り込む')}</div></form>` : ''}
${section(
  '状態ごとの件数',
  table(['状態', '件数'], EAPPLICATION_STATUSES.map((s) => [statusBadge(s), `${n(list.totals[s])}件`]), { caption: '電子申請の状態ごとの件数' }),
)}
${section(
  `申請の一覧（${n(list.total)}件）`,
  html`<p class="actions">${filterLink(undefined, 'すべて')}${EAPPLICATION_STATUSES.map((s) => filterLink(s, EAPPLICATION_STATUS_LABELS[s]))}</p>
${list.total ? pager({ total: list.total, request: r, shown: list.rows.length, path: '/eapply', filters: { status, kind }, order: '取込の新しい順' }) : ''}
${table(
  ['取込日時', '申請の種類', '状態', '被接種者（宛名番号）', '理由', ''],
  list.rows.map((a) => [formatJst(a.fetchedAt), EAPPLICATION_KIND_LABELS[a.kind], statusBadge(a.status), a.subjectAtena ? `${a.subjectName ?? ''}（${a.subjectAtena}）` : '特定できません', a.rejectReason ?? '', html`<a href="/eapply/${a.id}">詳細</a>`]),
  { caption: '電子申請の一覧', empty: '該当する申請はありません。' },
)}`,
)}`,
      ),
    );
  });

  fastify.post('/eapply/receive', { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
    if (!exchange) {
      setFlash(reply, '電子申請の窓口に接続していないため取り込めません。');
      return reply.redirect('/eapply');
    }
    try {
      const r = await receiveApplications({ db: app.db, vault: app.vault, tenantKeys: app.tenantKeys }, principalOf(req), exchange.node);
      setFlash(reply, `電子申請を取り込みました：受信 ${n(r.received)}件（確認済 ${n(r.verified)}件、却下 ${n(r.rejected)}件）。`);
    } catch (e) {
      if (!isProblem(e) || e.code === 'FORBIDDEN') throw e;
      setFlash(reply, `取り込めませんでした：${problemText(e)}`);
    }
    return reply.redirect('/eapply');
  });

  fastify.get('/eapply/:id', { preHandler: read }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const id = (req.params as { id: string }).id;
    const { v, names } = await work(app.db, req, async (w) => {
      const { catalog } = await catalogFor(w);
      return { v: await getEapplication(w, id), names: (code: unknown) => (typeof code === 'string' ? catalog.programsByCode.get(code)?.at(-1)?.name : undefined) ?? '（カタログにない予防接種）' };
    });
    const writable = !!req.session && can(req.session.actor, 'personal.write', 'vaccination');
    const act = (path: string, label: string, body: SafeHtml | string = '', kind: 'primary' | 'danger' = 'primary') =>
      html`<form method="post" action="/eapply/${v.id}/${path}">${csrfField(ctx.csrf)}${body}<div class="actions">${button(label, kind)}</div></form>`;
    const actions: SafeHtml[] = [];
    if (writable && v.status === 'checked') actions.push(act('review', '審査を開始する'));
    if (writable && v.status === 'under_review') actions.push(act('accept', '受理する', textarea({ label: '受理のメモ（任意）', name: 'note', rows: 2 })));
    if (writable && (v.status === 'checked' || v.status === 'under_review')) actions.push(html`<h3>却下する</h3>${act('reject', '却下する', textarea({ label: '却下の理由', name: 'reason', required: true, rows: 2 }), 'danger')}`);
    return sendPage(
      reply,
      page(
        ctx,
        `${EAPPLICATION_KIND_LABELS[v.kind]}`,
        html`<p><a href="/eapply">電子申請の一覧へ</a></p>
${v.status === 'superseded' ? notice(html`この申請は再申請により置き換えられています。${v.supersededBy ? html`<a href="/eapply/${v.supersededBy}">最新の申請</a>を審査してください。` : ''}`, 'warning') : ''}
${section(
  '申請の状況',
  dl([
    ['状態', statusBadge(v.status)],
    ['申請番号（電子申請）', v.applicationNo],
    ['申請日時', formatJst(v.submittedAt)],
    ['取込日時', formatJst(v.fetchedAt)],
    ['署名の検証', v.verified ? `検証済（署名用電子証明書のシリアル番号 ${v.certSerial ?? '—'}、有効期限 ${v.certNotAfter ? formatWareki(formatJst(v.certNotAfter).slice(0, 10)) : '—'}）` : '検証できませんでした'],
    ['申請者', v.applicantAtena ? `${v.applicantName ?? ''}（宛名番号 ${v.applicantAtena}）` : '特定できません'],
    ['被接種者', v.subjectAtena ? html`<a href="/residents/${v.subjectAtena}">${v.subjectName ?? ''}（宛名番号 ${v.subjectAtena}）</a>` : '特定できません'],
    ['却下の理由', v.rejectReason],
    ['再申請の元の申請', v.supersedesId ? html`<a href="/eapply/${v.supersedesId}">元の申請</a>` : '—'],
    ['処理結果', v.effect
      ? v.handoverRef && /^[0-9a-f-]{36}$/.test(v.handoverRef)
        ? html`${EFFECTS[String(v.effect['kind'])] ?? ''}（<a href="/reimbursements/${v.handoverRef}">償還払いの申請を開く</a>）`
        : v.effect['kind'] === 'handover' ? `${EFFECTS['handover']}（償還払いへの取込待ち）` : (EFFECTS[String(v.effect['kind'])] ?? '—')
      : '—'],
    ['申請データ（署名付き原本）', v.erased ? '処理の完了により消去済み' : '審査のため暗号化して保管中（処理の完了時に消去）'],
  ]),
)}
${v.form
  ? section('申請の内容（国の標準様式の項目）', dl(formItems(v, names)))
  : section('申請の内容', html`<p>${v.contentErased ? '保存期間が経過したため、申請の内容は消去しました。' : '署名の検証または申請者の特定ができなかったため、申請の内容は保存していません。'}</p>`)}
${actions.length ? section('審査', html`${actions}`) : ''}
${section(
  '状態の履歴',
  table(['日時', '操作者', '変更前', '変更後', 'メモ'], v.events.map((e) => [formatJst(e.at), e.actor.startsWith('system:') ? 'システム' : e.actor, e.from ? EAPPLICATION_STATUS_LABELS[e.from] : '—', EAPPLICATION_STATUS_LABELS[e.to], e.note ?? '']), { caption: '状態の履歴' }),
)}`,
      ),
    );
  });

  const action = (path: string, run: (id: string, body: Form) => (w: Parameters<Parameters<typeof work>[2]>[0]) => Promise<unknown>, done: string) =>
    fastify.post(`/eapply/:id/${path}`, { preHandler: [...write, fastify.csrfProtection] }, async (req, reply) => {
      const id = (req.params as { id: string }).id;
      try {
        await work(app.db, req, run(id, (req.body ?? {}) as Form));
        setFlash(reply, done);
      } catch (e) {
        if (!isProblem(e) || e.status >= 500 || e.code === 'FORBIDDEN') throw e;
        setFlash(reply, `処理できませんでした：${problemText(e)}`);
      }
      return reply.redirect(`/eapply/${encodeURIComponent(id)}`);
    });
  action('review', (id) => (w) => startReview(w, id), '審査を開始しました。');
  action('accept', (id, b) => (w) => acceptEapplication(w, { vault: app.vault, tenantKeys: app.tenantKeys }, id, { note: one(b['note']) ?? '' }), '受理しました。');
  action('reject', (id, b) => (w) => rejectEapplication(w, id, { reason: one(b['reason']) ?? '' }), '却下しました。');
}
