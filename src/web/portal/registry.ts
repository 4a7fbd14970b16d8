// 国家資格の申請 in the resident portal (issue 15; decisions 0188–0190; routes: docs/formats/portal-routes.md):
// choose the qualification and procedure, fill in the form (each item labelled as on the paper form), attach
// files, and sign with the card file and PIN in the page (/assets/registry-apply.js: the 券面事項入力補助 and
// the 署名用 key are opened in the browser; the PIN is sent nowhere); the portal hands the signed document to
// the registry and keeps nothing of it.  「申請の状況」 lists the applicant's applications with their result
// notices, offers 補正 (signed again) after 補正依頼 and 取下げ while open.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { MynaPortal, PortalSession, RegistryApplication, RegistryFees } from '../../app/index.js';
import { Problem } from '../../kernel/problems/index.js';
import { catalog, CHANGE_REASONS, ERASURE_REASONS, PROCEDURE_LABELS, REISSUE_REASONS, type Procedure, type QualificationEntry } from '../../registry/index.js';
import { html, type SafeHtml } from '../ui/index.js';
import { registerRegistryNoticePages } from './registry-notices.js';

export interface RegistryPageHelpers {
  readonly send: (req: FastifyRequest, reply: FastifyReply, title: string, content: SafeHtml, back?: { href: string; label: string }) => FastifyReply;
  readonly need: (req: FastifyRequest, reply: FastifyReply) => PortalSession | null;
  readonly needJson: (req: FastifyRequest) => PortalSession;
  readonly csrfOf: (reply: FastifyReply) => string;
  readonly jpDate: (s: string | null | undefined) => string;
}

/** One item of the form as the page shows it; `name` is its path in the form JSON. */
interface Field {
  readonly name: string;
  readonly label: string;
  readonly type: 'text' | 'date' | 'month' | 'number' | 'select' | 'yesno' | 'email' | 'tel';
  readonly required?: boolean;
  readonly options?: readonly (readonly [string, string])[];
  readonly hint?: string;
}

interface Section {
  readonly heading: string;
  readonly fields: readonly Field[];
}

const PREFECTURES = ['北海道', '青森県', '岩手県', '宮城県', '秋田県', '山形県', '福島県', '茨城県', '栃木県', '群馬県', '埼玉県', '千葉県', '東京都', '神奈川県', '新潟県', '富山県', '石川県', '福井県', '山梨県', '長野県', '岐阜県', '静岡県', '愛知県', '三重県', '滋賀県', '京都府', '大阪府', '兵庫県', '奈良県', '和歌山県', '鳥取県', '島根県', '岡山県', '広島県', '山口県', '徳島県', '香川県', '愛媛県', '高知県', '福岡県', '佐賀県', '長崎県', '熊本県', '大分県', '宮崎県', '鹿児島県', '沖縄県'];
const PREF_OPTIONS = PREFECTURES.map((p, i) => [String(i + 1).padStart(2, '0'), p] as const);
const opts = (list: readonly string[]) => list.map((x) => [x, x] as const);

const nameFields = (prefix: string, label: string, kana: string, required = true): Field[] => [
  { name: `${prefix}.姓`, label: `${label}（氏）`, type: 'text', required },
  { name: `${prefix}.名`, label: `${label}（名）`, type: 'text', required },
  ...(kana ? [{ name: `${kana}.姓`, label: 'フリガナ（氏）', type: 'text', required, hint: '全角カタカナ' } as Field, { name: `${kana}.名`, label: 'フリガナ（名）', type: 'text', required, hint: '全角カタカナ' } as Field] : []),
];

const exam = (prefix: string, title: string): Section => ({
  heading: title,
  fields: [
    { name: `${prefix}.回数`, label: '試験の回（第何回）', type: 'number', required: true },
    { name: `${prefix}.受験番号`, label: '受験番号', type: 'text', required: true },
    { name: `${prefix}.合格年月日`, label: '合格年月日', type: 'date', required: true },
  ],
});

const contact: Field[] = [
  { name: '住所.郵便番号', label: '郵便番号', type: 'text', required: true, hint: '例: 680-0000' },
  { name: '住所.住所', label: '住所', type: 'text', required: true },
  { name: '電話番号', label: '電話番号', type: 'tel', required: true, hint: '例: 0857-00-0000' },
  { name: 'メールアドレス', label: 'メールアドレス', type: 'email' },
];

/** The sections of the form of a qualification and procedure, as on the paper form. */
export function formSections(q: QualificationEntry, procedure: Procedure): Section[] {
  if (procedure === 'new') {
    const s: Section[] = [
      {
        heading: '申請者',
        fields: [
          ...nameFields('氏名', '氏名', 'フリガナ'),
          { name: '旧姓', label: '旧姓（併記を希望する場合）', type: 'text' },
          { name: '生年月日', label: '生年月日', type: 'date', required: true },
          { name: '性別', label: '性別', type: 'select', required: true, options: [['1', '男'], ['2', '女']] },
          { name: '本籍.都道府県コード', label: '本籍（都道府県）', type: 'select', options: PREF_OPTIONS, hint: '日本の国籍を有しない方は国籍を入力してください' },
          { name: '本籍.国籍', label: '国籍（日本の国籍を有しない方）', type: 'text' },
          ...contact,
        ],
      },
    ];
    if (q.file === 'iseki' || q.file === 'kanrieiyoshi' || q.file === 'yakuzaishi') s.push(exam('国家試験', `${q.name}国家試験`));
    if (q.code === 'hokenshi' || q.code === 'josanshi') s.push(exam('看護師国家試験', '看護師国家試験'));
    if (q.file === 'kanrieiyoshi') {
      s.push({ heading: '栄養士免許', fields: [
        { name: '栄養士免許.都道府県コード', label: '免許を受けた都道府県', type: 'select', required: true, options: PREF_OPTIONS },
        { name: '栄養士免許.登録番号', label: '栄養士名簿の登録番号', type: 'text', required: true },
        { name: '栄養士免許.免許年月日', label: '免許年月日', type: 'date', required: true },
      ] });
    }
    if (q.file === 'yakuzaishi') s.push({ heading: '合格証書', fields: [{ name: '合格証書番号', label: '合格証書番号', type: 'text', required: true }] });
    if (q.file === 'kaigofukushishi') {
      s.push({ heading: '資格の取得', fields: [
        { name: '資格取得.区分', label: '資格取得の区分', type: 'select', required: true, options: opts(['試験', '養成施設']) },
        { name: '資格取得.合格証書番号', label: '合格証書番号（試験の場合）', type: 'text' },
        { name: '資格取得.合格年月', label: '合格年月（試験の場合）', type: 'month' },
        { name: '資格取得.養成施設コード', label: '養成施設コード（養成施設の場合）', type: 'text' },
        { name: '資格取得.卒業年月', label: '卒業年月（養成施設の場合）', type: 'month' },
        { name: 'アルファベット氏名', label: 'アルファベット氏名（希望する場合）', type: 'text', hint: '半角英大文字' },
        { name: '携帯電話', label: '携帯電話', type: 'tel' },
      ] });
    }
    s.push({ heading: '欠格事由', fields: [
      { name: '欠格事由.罰金以上の刑', label: '罰金以上の刑に処せられたことがありますか', type: 'yesno', required: true },
      { name: '欠格事由.業務に関する犯罪又は不正の行為', label: '業務に関し犯罪又は不正の行為を行ったことがありますか', type: 'yesno', required: true },
    ] });
    return s;
  }
  const who: Section = {
    heading: '登録されている方',
    fields: [{ name: '登録番号', label: '登録番号', type: 'text', required: true, hint: '免許証（登録証）に記載の番号' }, ...nameFields('氏名', '氏名', 'フリガナ'), { name: '生年月日', label: '生年月日', type: 'date', required: true }, ...contact],
  };
  if (procedure === 'reissue') return [who, { heading: '再交付', fields: [{ name: '再交付の理由', label: '再交付の理由', type: 'select', required: true, options: opts(REISSUE_REASONS) }, { name: '理由の詳細', label: '理由の詳細', type: 'text' }] }];
  if (procedure === 'erasure') return [who, { heading: '登録の抹消', fields: [{ name: '抹消の理由', label: '抹消の理由', type: 'select', required: true, options: opts(ERASURE_REASONS) }, { name: '理由の詳細', label: '理由の詳細', type: 'text' }] }];
  return [who, {
    heading: procedure === 'correction' ? '訂正する事項' : '書換えの事項',
    fields: [
      ...nameFields('訂正事項.氏名.旧', '変更前の氏名', ''), ...nameFields('訂正事項.氏名.新', '変更後の氏名', '訂正事項.氏名.新フリガナ', false),
      { name: '訂正事項.本籍.旧.都道府県コード', label: '変更前の本籍（都道府県）', type: 'select', options: PREF_OPTIONS },
      { name: '訂正事項.本籍.新.都道府県コード', label: '変更後の本籍（都道府県）', type: 'select', options: PREF_OPTIONS },
      { name: '事由', label: '事由', type: 'select', required: true, options: opts(CHANGE_REASONS) },
      { name: '事由の生じた年月日', label: '事由の生じた年月日', type: 'date', required: true },
    ].map((f) => ({ ...f, required: f.name.startsWith('訂正事項') ? false : f.required }) as Field),
  }];
}

const valueAt = (form: Record<string, unknown> | undefined, path: string): string => {
  let v: unknown = form;
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : typeof v === 'boolean' ? (v ? 'true' : 'false') : '';
};

function fieldHtml(f: Field, i: number, form?: Record<string, unknown>): SafeHtml {
  const id = `rf-${i}`;
  const v = valueAt(form, f.name);
  const req = f.required ? html`<span class="req">必須</span>` : '';
  const hint = f.hint ? html`<p class="hint">${f.hint}</p>` : '';
  if (f.type === 'yesno') {
    return html`<fieldset class="field" data-field="${f.name}"><legend>${f.label}${req}</legend><p class="error-text" hidden></p>
  <div class="options"><label><input type="radio" name="${f.name}" value="true" data-type="bool"${v === 'true' ? html` checked` : ''}> はい</label> <label><input type="radio" name="${f.name}" value="false" data-type="bool"${v === 'false' ? html` checked` : ''}> いいえ</label></div></fieldset>`;
  }
  if (f.type === 'select') {
    return html`<div class="field" data-field="${f.name}"><label for="${id}">${f.label}${req}</label>${hint}<p class="error-text" hidden></p>
  <select id="${id}" name="${f.name}" data-type="text" data-label="${f.label}"><option value="">選んでください</option>${(f.options ?? []).map(([val, label]) => html`<option value="${val}"${v === val ? html` selected` : ''}>${label}</option>`)}</select></div>`;
  }
  const type = f.type === 'number' || f.type === 'tel' ? 'text' : f.type;
  return html`<div class="field" data-field="${f.name}"><label for="${id}">${f.label}${req}</label>${hint}<p class="error-text" hidden></p>
  <input type="${type}" id="${id}" name="${f.name}" data-type="${f.type === 'number' ? 'number' : 'text'}" data-label="${f.label}" value="${v}"${f.type === 'number' ? html` inputmode="numeric"` : f.type === 'tel' ? html` inputmode="tel" autocomplete="tel"` : ''}></div>`;
}

const PROCEDURES = Object.keys(PROCEDURE_LABELS) as Procedure[];
const chooseQuery = z.object({ qualification: z.string().regex(/^[a-z]{2,30}$/).optional(), procedure: z.enum(PROCEDURES as [Procedure, ...Procedure[]]).optional() });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const notFound = () => new Problem(404, 'NOT_FOUND', '見つかりません');

export function registerRegistryPages(f: FastifyInstance, portal: MynaPortal, h: RegistryPageHelpers): void {
  const c = catalog();
  const back = { href: '/registry', label: '申請の状況へ戻る' };

  const applyForm = (reply: FastifyReply, q: QualificationEntry, procedure: Procedure, submit: string, form?: Record<string, unknown>, applicationId?: string): SafeHtml => {
    let i = 0;
    return html`
<form id="registry-form" class="card" data-csrf="${h.csrfOf(reply)}" data-submit="${submit}" data-qualification="${q.code}" data-procedure="${procedure}" data-application-id="${applicationId ?? ''}" novalidate>
  <p><strong>${q.name}</strong>（${q.registerName}）・${PROCEDURE_LABELS[procedure]}　提出先: ${c.administrator(q.administrator)?.name ?? ''}</p>
  <div id="registry-errors" class="error-summary" role="alert" tabindex="-1" hidden><h2>入力内容を確認してください</h2><ul></ul></div>
  ${formSections(q, procedure).map((s) => html`<fieldset class="section"><legend><h2>${s.heading}</h2></legend>${s.fields.map((fl) => fieldHtml(fl, i++, form))}</fieldset>`)}
  <fieldset class="section"><legend><h2>添付書類</h2></legend>
    <p class="hint">PDF または JPEG（1件10MBまで、合わせて20MBまで）。住民票の写しは不要です。</p>
    <div class="field"><label for="rf-files">添付するファイル</label><input type="file" id="rf-files" name="attachments" accept="application/pdf,image/jpeg" multiple></div>
  </fieldset>
  <fieldset class="section"><legend><h2>電子署名</h2></legend>
    <p>マイナンバーカードの署名用電子証明書で申請書に署名します。個人番号は、カードの券面事項入力補助の情報から読み取られ、入力の必要はありません。</p>
    <div class="field"><label for="f-card">マイナンバーカードのファイル</label><input type="file" id="f-card" name="card"></div>
    <div class="field"><label for="f-pin">暗証番号（数字4桁）</label><input type="password" id="f-pin" name="pin" inputmode="numeric" pattern="[0-9]{4}" maxlength="4" autocomplete="off"></div>
  </fieldset>
  <p id="card-message" class="message" role="alert" tabindex="-1" hidden></p>
  <button type="submit" class="btn btn--primary btn--block">署名して申請する</button>
</form>
<script src="/assets/card-login.js"></script>
<script src="/assets/registry-apply.js"></script>`;
  };

  // ── 申請の状況 ────────────────────────────────────────────────────────────
  f.get('/registry', async (req, reply) => {
    const s = h.need(req, reply);
    if (!s) return reply;
    const list = await portal.registryApplications(s);
    return h.send(req, reply, '国家資格の申請の状況', html`
<p><a class="btn btn--primary btn--block" href="/registry/new">国家資格の申請をする</a></p>
<p><a class="btn btn--secondary btn--block" href="/registry/notices">国家資格のお知らせ</a></p>
${list.length ? html`<section class="card">${list.map((a) => html`<div class="entry"><dl>
  <dt>資格</dt><dd><a href="/registry/applications/${a.applicationId}">${a.qualificationName}・${a.procedureLabel}</a></dd>
  <dt>申請日時</dt><dd>${h.jpDate(a.receivedAt)}</dd>
  <dt>状況</dt><dd class="status status--${a.status}">${a.statusLabel}</dd>
  ${a.notice ? html`<dt>お知らせ</dt><dd>${a.notice.text}</dd>` : ''}</dl></div>`)}</section>` : html`<p>申請はありません。</p>`}`, { href: '/home', label: 'ホームへ戻る' });
  });
  f.get('/registry/applications.json', async (req) => ({ applications: await portal.registryApplications(h.needJson(req)) }));
  registerRegistryNoticePages(f, portal, h); // お知らせ (QUA-26): registry-notices.ts

  // ── 国家資格の申請 ────────────────────────────────────────────────────────
  f.get('/registry/new', async (req, reply) => {
    const s = h.need(req, reply);
    if (!s) return reply;
    const parsed = chooseQuery.safeParse(req.query);
    const q = parsed.success && parsed.data.qualification ? c.qualification(parsed.data.qualification) : undefined;
    const procedure = parsed.success ? parsed.data.procedure : undefined;
    if (!q || !procedure) {
      return h.send(req, reply, '国家資格の申請', html`
<p>申請する資格と手続を選んでください。申請書の入力のあと、マイナンバーカードで電子署名して申請します。</p>
<form method="get" action="/registry/new" class="card">
  <div class="field"><label for="f-q">資格</label><select id="f-q" name="qualification">${c.qualifications.map((x) => html`<option value="${x.code}"${q?.code === x.code ? html` selected` : ''}>${x.name}（${x.registerName}）</option>`)}</select></div>
  <div class="field"><label for="f-p">手続</label><select id="f-p" name="procedure">${PROCEDURES.map((p) => html`<option value="${p}"${procedure === p ? html` selected` : ''}>${PROCEDURE_LABELS[p]}</option>`)}</select></div>
  <button type="submit" class="btn btn--primary btn--block">申請書を入力する</button>
</form>`, back);
    }
    return h.send(req, reply, `${q.name}の${PROCEDURE_LABELS[procedure]}の申請`, applyForm(reply, q, procedure, '/registry/applications'), { href: '/registry/new', label: '資格と手続の選択へ戻る' });
  });

  const big = { bodyLimit: 32 * 1024 * 1024 };
  f.post('/registry/applications', { preHandler: f.csrfProtection, ...big }, async (req) => {
    const a = await portal.registryApply(h.needJson(req), req.body as never);
    return { ...a, next: `/registry/applications/${a.applicationId}?submitted=1` };
  });

  const idOf = (req: FastifyRequest): string => {
    const id = (req.params as { id: string }).id;
    if (!UUID.test(id)) throw notFound();
    return id;
  };

  const noticeHtml = (a: RegistryApplication): SafeHtml => (a.notice ? html`<section class="card notice notice--${a.notice.kind}"><h2>${a.notice.title}</h2><p>${a.notice.text}</p>
  ${a.notice.registrationNo !== undefined ? html`<dl class="dl"><dt>登録番号</dt><dd>${String(a.notice.registrationNo)}</dd>${a.notice.registeredOn ? html`<dt>登録年月日</dt><dd>${h.jpDate(a.notice.registeredOn)}</dd>` : ''}</dl>` : ''}</section>` : html``);

  const yen = (n: number): string => `${n.toLocaleString('ja-JP')}円`;
  const feeHtml = (reply: FastifyReply, a: RegistryApplication, fees: RegistryFees | null, open: boolean): SafeHtml => {
    if (!fees) return html``;
    if (fees.due === 0) return html`<section class="card"><h2>手数料</h2><p>この手続に手数料はかかりません。</p></section>`;
    return html`<section class="card"><h2>手数料</h2>
  <table class="table"><tbody>${fees.lines.map((l) => html`<tr><th scope="row">${l.kind}</th><td class="num">${l.amount === null ? '金額を確認中です' : yen(l.amount)}</td></tr>`)}
  <tr><th scope="row">お支払い済み</th><td class="num">${yen(fees.paid)}</td></tr>
  ${fees.outstanding !== null ? html`<tr><th scope="row">未払い</th><td class="num">${yen(fees.outstanding)}</td></tr>` : ''}</tbody></table>
  ${fees.settled
    ? html`<p class="status status--approved">お支払いが確認できました。</p>`
    : open && fees.outstanding !== null && fees.outstanding > 0
      ? fees.payment
        ? html`<p>お支払いの準備ができました。公金決済サービスのページでお支払いください（${h.jpDate(fees.payment.expiresAt)}まで）。</p>
  <p><a class="btn btn--primary btn--block" href="${fees.payment.payUrl}">公金決済サービスでお支払いへ進む（${yen(fees.outstanding)}）</a></p>`
        : html`<p>手数料のお支払いが確認できるまで、登録は完了しません。</p>
  <form method="post" action="/registry/applications/${a.applicationId}/pay"><input type="hidden" name="_csrf" value="${h.csrfOf(reply)}">
  <button type="submit" class="btn btn--primary btn--block">手数料を支払う（${yen(fees.outstanding)}）</button></form>`
      : open && fees.due === null
        ? html`<p>手数料の金額を確認しています。確認が済むとお支払いができるようになります。</p>`
        : ''}</section>`;
  };

  f.post('/registry/applications/:id/pay', { preHandler: f.csrfProtection }, async (req, reply) => {
    const s = h.need(req, reply);
    if (!s) return reply;
    const id = idOf(req);
    const origin = `${req.protocol}://${req.host}`;
    // The payment is made (or the pending one reused) here; the page then links to 公金決済's payer page (a
    // form may post only to this site, so the applicant follows a link there).
    await portal.registryFees(s, id, { returnUrl: `${origin}/registry/applications/${id}?paid=1` });
    return reply.redirect(`/registry/applications/${id}`);
  });

  f.get('/registry/applications/:id', async (req, reply) => {
    const s = h.need(req, reply);
    if (!s) return reply;
    const a = await portal.registryApplication(s, idOf(req));
    const q = req.query as { submitted?: string; withdrawn?: string; paid?: string };
    const open = a.status === 'received' || a.status === 'returned';
    // 手数料 (QUA-19, QUA-20): what is due, what is paid, and the way to pay online while the application is open.
    const fees: RegistryFees | null = await portal.registryFees(s, a.applicationId).catch(() => null);
    return h.send(req, reply, `${a.qualificationName}・${a.procedureLabel}`, html`
${q.submitted === '1' ? html`<p class="notice notice--success" role="status">申請を受け付けました。審査の結果はこのページでお知らせします。</p>` : ''}
${q.withdrawn === '1' ? html`<p class="notice notice--success" role="status">申請を取り下げました。</p>` : ''}
${q.paid === '1' ? html`<p class="notice notice--success" role="status">お支払いの手続が終わりました。お支払いの確認まで少し時間がかかることがあります。</p>` : ''}
<div id="registry-fee">${feeHtml(reply, a, fees, open)}</div>
${noticeHtml(a)}
<section class="card"><dl class="dl">
  <dt>申請番号</dt><dd>${a.applicationId}</dd>
  <dt>提出先</dt><dd>${a.administratorName}</dd>
  <dt>申請日時</dt><dd>${h.jpDate(a.receivedAt)}</dd>
  <dt>状況</dt><dd class="status status--${a.status}">${a.statusLabel}</dd>
  ${a.decidedAt ? html`<dt>決定日時</dt><dd>${h.jpDate(a.decidedAt)}</dd>` : ''}</dl></section>
${a.status === 'returned' ? html`<p><a class="btn btn--primary btn--block" href="/registry/applications/${a.applicationId}/correct">申請を補正する</a></p>` : ''}
${open ? html`<form method="post" action="/registry/applications/${a.applicationId}/withdraw" class="card"><input type="hidden" name="_csrf" value="${h.csrfOf(reply)}">
  <p>この申請を取り下げることができます。取り下げた申請は元に戻せません。</p>
  <p><label class="check"><input type="checkbox" name="confirm" value="on" required> 取り下げることを確認しました</label></p>
  <button type="submit" class="btn btn--secondary btn--block">申請を取り下げる</button></form>` : ''}`, back);
  });
  f.get('/registry/applications/:id/status.json', async (req) => portal.registryApplication(h.needJson(req), idOf(req)));

  f.get('/registry/applications/:id/correct', async (req, reply) => {
    const s = h.need(req, reply);
    if (!s) return reply;
    const a = await portal.registryApplication(s, idOf(req));
    const q = c.qualification(a.qualification);
    if (!q || a.status !== 'returned') throw new Problem(409, 'APPLICATION_STATE', 'この申請は補正できません', `この申請は「${a.statusLabel}」です。`);
    return h.send(req, reply, `${a.qualificationName}の申請の補正`, html`${noticeHtml(a)}${applyForm(reply, q, a.procedure as Procedure, `/registry/applications/${a.applicationId}/resubmit`, a.form, a.applicationId)}`, { href: `/registry/applications/${a.applicationId}`, label: '申請へ戻る' });
  });
  f.post('/registry/applications/:id/resubmit', { preHandler: f.csrfProtection, ...big }, async (req) => {
    const a = await portal.registryResubmit(h.needJson(req), idOf(req), req.body as never);
    return { ...a, next: `/registry/applications/${a.applicationId}?submitted=1` };
  });

  f.post('/registry/applications/:id/withdraw', { preHandler: f.csrfProtection }, async (req, reply) => {
    const wantsJson = req.headers['content-type']?.startsWith('application/json') === true;
    const s = wantsJson ? h.needJson(req) : h.need(req, reply);
    if (!s) return reply;
    const id = idOf(req);
    if (!wantsJson && (req.body as { confirm?: string } | undefined)?.confirm !== 'on') return reply.redirect(`/registry/applications/${id}`);
    const a = await portal.registryWithdraw(s, id);
    return wantsJson ? a : reply.redirect(`/registry/applications/${id}?withdrawn=1`);
  });
}
