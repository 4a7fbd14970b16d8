// Certificate screens (issue 5 point 4; VAX-27, VAX-35, VAX-42, KRN-15): a resident's 証明書の交付 page
// (application form with the applicant, the identity check and, for 海外用, the passport items; the
// person's applications and certificates), the application page (preview of the doses the ledger would
// certify, issue, 取下げ, 旅券番号の表示 with a purpose), the certificate page (downloads: PDF,
// .smart-health-card, QR; 取消し) and the 証明書交付簿 with filters and CSV.  Server-rendered, CSRF tokens on
// every form, no inline script.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import {
  AGENT_RELATIONS,
  AGENT_RELATION_LABELS,
  ACCEPTED_CHANNELS,
  APPLICANT_LABELS,
  CERTIFICATE_KINDS,
  CHANNELS,
  CHANNEL_LABELS,
  EXCLUSION_LABELS,
  IDENTITY_DOCUMENTS,
  IDENTITY_DOCUMENT_LABELS,
  KIND_LABELS,
  KIND_SHORT,
  REASONS,
  cancelApplication,
  certificateOutput,
  certificateRegister,
  certificateRegisterCsv,
  formatCertificateNumber,
  getCertificate,
  isCovidKind,
  issueCertificate,
  personCertificates,
  countWaitingApplications,
  listWaitingApplications,
  previewApplication,
  printedDose,
  receiveApplication,
  revealPassportNumber,
  revokeCertificate,
  type CertificationDeps,
  type CertifiedDose,
  type OutputFormat,
} from '../../municipality/certification/index.js';
import { catalogFor, personTimeline } from '../../municipality/records/index.js';
import { ShcKeyStore } from '../../municipality/certificates/index.js';
import { getPerson, requireResidentAccess } from '../../municipality/residents/index.js';
import { can } from '../../kernel/access/index.js';
import { work } from '../../kernel/http/index.js';
import { isProblem, type FieldError, type Problem } from '../../kernel/problems/index.js';
import { formatWareki } from '../../kernel/jp/index.js';
import { badge, button, checkbox, checkboxes, csrfField, dl, errorSummary, field, html, join, notice, page, pageRequest, pager, within, section, select, table, textarea, when, type FormState, type SafeHtml, doneBy, queryEnum, queryOf } from '../ui/index.js';
import { attempt, many, needLogin, one, pageContext, sendPage, setFlash, personHeader, type Form } from './support.js';

const STATUS_APP = { received: ['受付済み（未交付）', 'warn'], issued: ['交付済み', 'ok'], cancelled: ['取下げ', 'muted'] } as const;
const STATUS_CERT = { issued: ['交付', 'ok'], revoked: ['取消し', 'bad'] } as const;
const SEX = { male: '男', female: '女' } as const;

/** Long hex or base64url values with break opportunities every 16 characters (no inline styles under the CSP). */
const breakable = (s: string): SafeHtml => join((s.match(/.{1,16}/g) ?? []).map((p) => html`${p}`), '<wbr>');

const opts = <T extends string>(codes: readonly T[], labels: Readonly<Record<T, string>>): [string, string][] => codes.map((c) => [c, labels[c]]);

/** Form values → application input; the passport items only for 海外用 and only when something was entered. */
function applicationInput(b: Form): Record<string, unknown> {
  const s = (k: string) => one(b[k])?.trim() ?? '';
  const kind = s('kind');
  const passport = { romajiFamily: s('romajiFamily'), romajiGiven: s('romajiGiven'), nationality: s('nationality'), passportNumber: s('passportNumber'), otherName: s('otherName') };
  const anyPassport = Object.values(passport).some((v) => v !== '');
  return {
    kind, channel: s('channel') || undefined, receivedOn: s('receivedOn') || undefined, applicant: s('applicant') || undefined, agentName: s('agentName'), agentRelation: s('agentRelation'),
    identityDocument: s('identityDocument'), powerOfAttorney: s('powerOfAttorney') === 'on', reason: s('reason'), reasonDetail: s('reasonDetail'),
    programs: kind === 'completion' || kind === 'history' ? many(b['programs']) : [], reissueOf: s('reissueOf'), note: s('note'),
    ...(kind === 'covid19-overseas' && anyPassport ? { passport } : {}),
  };
}

/** Problem → form state with the form's flat field names; the 旅券番号 is never echoed back. */
function appFormState(values: Form, p: Problem): FormState {
  const flat = (f: string): string => (/^programs(\.|$)/.test(f) ? 'programs' : f.startsWith('passport.') ? f.slice('passport.'.length) : f === 'passport' ? 'romajiFamily' : f);
  const errors: FieldError[] = (p.errors.length ? p.errors : [{ field: '_form', code: p.code, message: p.detail ?? p.title }]).map((e) => ({ ...e, field: flat(e.field) }));
  const { _csrf, passportNumber: _pn, ...safe } = values;
  return { values: safe, errors };
}

function doseRows(doses: readonly CertifiedDose[], covid: boolean): (string | SafeHtml)[][] {
  return doses.map((d) =>
    covid
      ? [printedDose(d), `${formatWareki(d.date)}（${d.date}）`, d.productName, d.manufacturer ?? d.covid?.kind ?? '', d.lot ?? '', d.covid ? `${d.covid.system.endsWith('cvx') ? 'CVX' : 'GTIN'} ${d.covid.code}` : '']
      : [d.programName, printedDose(d), formatWareki(d.date), d.productName, d.lot ?? '', d.institution ?? ''],
  );
}
const DOSE_HEADERS = ['予防接種の種類', '回数', '接種年月日', 'ワクチン', 'ロット番号', '接種医療機関'];
const COVID_HEADERS = ['接種回', '接種年月日', 'ワクチン名', '製造販売業者', 'ロット番号', '証明書のコード'];

export function registerCertificatePages(fastify: FastifyInstance, app: App): void {
  const deps: CertificationDeps = { vault: app.vault, tenantKeys: app.tenantKeys, shcKeys: new ShcKeyStore(app.config.keyDir), publicUrl: app.config.publicUrl };
  const guard = (permission: 'personal.read' | 'personal.write' | 'personal.export') => [needLogin, async (req: FastifyRequest) => work(app.db, req, async (w) => requireResidentAccess(w.actor, permission, ['vaccination']))];
  const readGuard = guard('personal.read');
  const writeGuard = guard('personal.write');
  const exportGuard = guard('personal.export');
  const may = (req: FastifyRequest, permission: 'personal.write' | 'personal.export') => can(req.session!.actor, permission, 'vaccination');

  // -------------------------------------------------------------- the resident's 証明書の交付 page
  const personPage = async (req: FastifyRequest, csrf: string, state?: FormState): Promise<SafeHtml> => {
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const person = await work(app.db, req, (w) => getPerson(w, app.vault, atenaNo, '証明書の交付'));
    const mine = await work(app.db, req, (w) => personCertificates(w, atenaNo));
    const s = person.state;
    let programOptions: [string, string][] = [];
    if (may(req, 'personal.write')) {
      const t = await work(app.db, req, (w) => personTimeline(w, atenaNo));
      const { catalog } = await work(app.db, req, (w) => catalogFor(w));
      const codes = [...new Set(t.records.filter((r) => r.status === 'active' && r.data.program).map((r) => r.data.program!))];
      programOptions = codes.map((c) => [c, catalog.programsByCode.get(c)?.at(-1)?.name ?? c]);
    }
    const v = (k: string, d = '') => String(state?.values?.[k] ?? d);
    return html`
${personHeader(atenaNo, s, 'certificates')}
${s.dvSupport ? notice(html`<strong>注意：</strong>この方は<strong>DV等支援措置</strong>の対象です。証明書に住所は記載しません。郵送の申請は送付先を慎重に確認してください。`, 'warning') : ''}
${may(req, 'personal.write')
  ? section(
      '証明書の交付申請の受付',
      html`${errorSummary(state)}
<form method="post" action="/residents/${atenaNo}/certificates" novalidate>${csrfField(csrf)}
  ${select({ label: '証明書の種類', name: 'kind', required: true, options: [['', '選んでください'], ...opts(CERTIFICATE_KINDS, KIND_LABELS)] }, state)}
  ${select({ label: '受付方法', name: 'channel', options: opts(ACCEPTED_CHANNELS, CHANNEL_LABELS) }, state)}
  ${field({ label: '受付日', name: 'receivedOn', type: 'date', value: v('receivedOn', app.config.clock.today()) }, state)}
  ${select({ label: '申請者', name: 'applicant', options: [['self', '本人'], ['agent', '代理人']] }, state)}
  <fieldset class="field"><legend>代理人の場合</legend>
    ${field({ label: '代理人の氏名', name: 'agentName', maxlength: 50 }, state)}
    ${select({ label: '代理人の資格', name: 'agentRelation', options: [['', '—'], ...opts(AGENT_RELATIONS, AGENT_RELATION_LABELS)] }, state)}
    ${checkbox({ label: '委任状を確認した（任意代理人は必須）', name: 'powerOfAttorney' }, state)}
  </fieldset>
  ${select({ label: '確認した本人確認書類', name: 'identityDocument', required: true, hint: '代理人の申請では代理人の本人確認書類', options: [['', '選んでください'], ...opts(IDENTITY_DOCUMENTS, IDENTITY_DOCUMENT_LABELS)] }, state)}
  ${select({ label: '申請理由', name: 'reason', required: true, options: [['', '選んでください'], ...REASONS.map((r) => [r, r] as [string, string])] }, state)}
  ${field({ label: '申請理由の補足', name: 'reasonDetail', maxlength: 100 }, state)}
  ${programOptions.length
    ? checkboxes({ legend: '証明する予防接種の種類（予防接種済証は必須。接種記録の証明で選ばなければすべて）', name: 'programs', options: programOptions }, state)
    : html`<p class="hint">この方には予防接種の種類が記録された接種記録がありません。</p>`}
  <fieldset class="field"><legend>海外用（新型コロナワクチン接種証明書）のみ：旅券の記載のとおり</legend>
    ${field({ label: 'ローマ字氏名（姓）', name: 'romajiFamily', maxlength: 39, hint: '例：MIHON' }, state)}
    ${field({ label: 'ローマ字氏名（名）', name: 'romajiGiven', maxlength: 39 }, state)}
    ${field({ label: '国籍・地域（ISO 3166-1 の英字3文字）', name: 'nationality', maxlength: 3, value: v('nationality', s.residentKind === 'japanese' ? 'JPN' : '') }, state)}
    ${field({ label: '旅券番号', name: 'passportNumber', maxlength: 20, autocomplete: 'off', hint: '暗号化して保存し、一覧や操作ログには表示しません。再交付で前回の旅券情報を使う場合は空欄のまま。' }, state)}
    ${field({ label: '旧姓・別姓・別名（旅券に記載がある場合）', name: 'otherName', maxlength: 60 }, state)}
  </fieldset>
  ${select({ label: '再交付の場合：前回の証明書', name: 'reissueOf', options: [['', '（再交付ではない）'], ...mine.certificates.map((c) => [c.certificateNo, `${formatCertificateNumber(c.certificateNo)}（${KIND_SHORT[c.kind]}、${c.issueDate}）`] as [string, string])] }, state)}
  ${textarea({ label: '備考', name: 'note', rows: 2 }, state)}
  ${button('申請を受け付ける')}
</form>`,
    )
  : ''}
${section(
  '申請',
  table(
    ['受付日', '種類', '受付方法', '申請者', '申請理由', '状態', ''],
    mine.applications.map((a) => [a.receivedOn, KIND_SHORT[a.kind], CHANNEL_LABELS[a.channel], APPLICANT_LABELS[a.applicant], a.reason, badge(STATUS_APP[a.status][0], STATUS_APP[a.status][1]), html`<a href="/certificates/applications/${a.id}">${a.status === 'received' ? '内容の確認・交付' : '詳細'}</a>`]),
    { empty: '申請はありません。' },
  ),
)}
${section(
  '交付した証明書',
  table(
    ['証明書番号', '種類', '交付日', '記載した接種', '再交付元', '状態'],
    mine.certificates.map((c) => [html`<a href="/certificates/${c.id}">${formatCertificateNumber(c.certificateNo)}</a>`, KIND_SHORT[c.kind], formatWareki(c.issueDate), `${c.doseCount}件`, c.previousNo ? formatCertificateNumber(c.previousNo) : '', badge(STATUS_CERT[c.status][0], STATUS_CERT[c.status][1])]),
    { empty: '交付した証明書はありません。' },
  ),
)}`;
  };

  fastify.get('/residents/:atenaNo/certificates', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '証明書の交付', await personPage(req, ctx.csrf)));
  });

  fastify.post('/residents/:atenaNo/certificates', { preHandler: [...writeGuard, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const r = await attempt(() => work(app.db, req, (w) => receiveApplication(w, deps, atenaNo, applicationInput(body))));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '証明書の交付', await personPage(req, ctx.csrf, appFormState(body, r.problem))), r.problem.status);
    }
    setFlash(reply, '申請を受け付けました。記載する接種記録を確認して交付してください。');
    return reply.redirect(`/certificates/applications/${r.value.id}`);
  });

  // -------------------------------------------------------------- the application: preview, issue, cancel, passport
  const applicationPage = async (req: FastifyRequest, csrf: string, extra: SafeHtml = html``, state?: FormState): Promise<SafeHtml> => {
    const id = (req.params as { id: string }).id;
    const pv = await work(app.db, req, (w) => previewApplication(w, deps, id));
    const a = pv.application;
    const covid = isCovidKind(a.kind);
    const issued = a.status === 'issued' ? (await work(app.db, req, (w) => personCertificates(w, a.atenaNo))).certificates.find((c) => c.applicationId === a.id) : undefined;
    return html`
<p><a href="/residents/${a.atenaNo}/certificates">← ${pv.person.name}（宛名番号 ${a.atenaNo}）の証明書</a></p>
${extra}
${issued ? notice(html`交付済みです：<a href="/certificates/${issued.id}">証明書番号 ${formatCertificateNumber(issued.certificateNo)}</a>`, 'success') : ''}
<div class="grid">
${section(
  '申請の内容',
  dl([
    ['種類', KIND_LABELS[a.kind]],
    ['状態', badge(STATUS_APP[a.status][0], STATUS_APP[a.status][1])],
    ['受付日・受付方法', `${formatWareki(a.receivedOn)}（${CHANNEL_LABELS[a.channel]}）`],
    ['申請者', a.applicant === 'agent' ? `代理人：${a.agentName ?? '（消去済み）'}（${a.agentRelation ? (AGENT_RELATION_LABELS as Record<string, string>)[a.agentRelation] ?? a.agentRelation : ''}${a.powerOfAttorney ? '、委任状確認済み' : ''}）` : '本人'],
    ['本人確認書類', (IDENTITY_DOCUMENT_LABELS as Record<string, string>)[a.identityDocument] ?? a.identityDocument],
    ['申請理由', a.reason],
    ['再交付', a.reissueOf ? `証明書番号 ${formatCertificateNumber(a.reissueOf.certificateNo)} の再交付` : null],
    ['受付者', `${doneBy(a.createdBy)}（${when(a.createdAt)}）`],
    ['備考', a.note],
    ...(a.cancelReason ? ([['取下げの理由', a.cancelReason]] as [string, string][]) : []),
  ]),
)}
${section(
  '証明書に記載する本人',
  dl([
    ['氏名', `${pv.person.name}（${pv.person.kana}）`],
    ['生年月日', `${formatWareki(pv.person.birthDate)}（${pv.person.birthDate}）`],
    ['住所', covid ? '（記載しません）' : pv.person.protected ? '（支援措置の対象のため記載しません）' : pv.person.address],
    ...(a.passport
      ? ([
          ['ローマ字氏名', [a.passport.romajiFamily, a.passport.romajiGiven].filter(Boolean).join(' ')],
          ['国籍・地域', a.passport.nationality],
          ['旧姓・別名', a.passport.otherName],
          ['旅券番号', a.passport.hasNumber ? '登録あり（暗号化して保存。表示には目的の入力が必要）' : '（消去済み）'],
        ] as [string, string | null][])
      : []),
  ]),
)}
</div>
${section(
  `記載する接種記録（${formatWareki(pv.issueDate)}に交付した場合）`,
  html`${table(covid ? COVID_HEADERS : DOSE_HEADERS, doseRows(pv.doses, covid), { empty: '証明できる接種記録がありません。' })}
${pv.excluded.length ? notice(html`<p>次の記録は証明書に記載しません。</p><ul>${pv.excluded.map((e) => html`<li>${e.label}：${EXCLUSION_LABELS[e.reason]}</li>`)}</ul>`, 'warning') : ''}
<p class="hint">削除された記録は記載しません。接種日不明の記録は日付を証明できないため記載しません。</p>`,
)}
${a.status === 'received'
  ? html`${pv.blockers.length ? notice(html`<ul>${pv.blockers.map((b) => html`<li>${b}</li>`)}</ul>`, 'error') : ''}
${may(req, 'personal.export') && pv.blockers.length === 0
  ? section('交付', html`<form method="post" action="/certificates/applications/${a.id}/issue" novalidate>${csrfField(csrf)}<p>証明書番号を採番し、${covid ? 'PDF（二次元コード付き）と SMART Health Card を' : 'PDF を'}作成します。交付は交付簿と操作ログに記録されます。</p>${button('交付する')}</form>`)
  : ''}
${may(req, 'personal.write')
  ? section('申請の取下げ', html`${errorSummary(state)}<form method="post" action="/certificates/applications/${a.id}/cancel" novalidate>${csrfField(csrf)}${field({ label: '取下げの理由', name: 'reason', required: true }, state)}${button('取り下げる', 'danger')}</form>`)
  : ''}`
  : ''}
${a.passport?.hasNumber
  ? section(
      '旅券番号の表示',
      html`<form method="post" action="/certificates/applications/${a.id}/passport" novalidate>${csrfField(csrf)}${field({ label: '表示する目的', name: 'purpose', required: true, hint: '例：旅券の記載との照合。表示は操作ログに記録されます。' }, state)}${button('旅券番号を表示する', 'secondary')}</form>`,
    )
  : ''}`;
  };

  fastify.get('/certificates/applications/:id', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '証明書の申請', await applicationPage(req, ctx.csrf)));
  });

  const rerender = async (req: FastifyRequest, reply: FastifyReply, p: Problem, values: Form): Promise<FastifyReply> => {
    const ctx = await pageContext(app, req, reply);
    const { _csrf, ...safe } = values;
    const errors = p.errors.length ? [...p.errors] : [{ field: '_form', code: p.code, message: p.detail ?? p.title }];
    return sendPage(reply, page(ctx, '証明書の申請', await applicationPage(req, ctx.csrf, p.errors.length ? html`` : notice(p.detail ?? p.title, 'error'), { values: safe, errors })), p.status);
  };

  fastify.post('/certificates/applications/:id/issue', { preHandler: [...exportGuard, fastify.csrfProtection] }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const r = await attempt(() => work(app.db, req, (w) => issueCertificate(w, deps, id)));
    if (!r.ok) return rerender(req, reply, r.problem, {});
    setFlash(reply, `証明書番号 ${formatCertificateNumber(r.value.certificate.certificateNo)} で交付しました。${r.value.warnings.join(' ')}`);
    return reply.redirect(`/certificates/${r.value.certificate.id}`);
  });

  fastify.post('/certificates/applications/:id/cancel', { preHandler: [...writeGuard, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const id = (req.params as { id: string }).id;
    const r = await attempt(() => work(app.db, req, (w) => cancelApplication(w, id, { reason: one(body['reason']) ?? '' })));
    if (!r.ok) return rerender(req, reply, r.problem, body);
    setFlash(reply, '申請を取り下げました。');
    return reply.redirect(`/certificates/applications/${id}`);
  });

  fastify.post('/certificates/applications/:id/passport', { preHandler: [...readGuard, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const id = (req.params as { id: string }).id;
    const r = await attempt(() => work(app.db, req, (w) => revealPassportNumber(w, deps, id, one(body['purpose']) ?? '')));
    if (!r.ok) return rerender(req, reply, r.problem, body);
    const ctx = await pageContext(app, req, reply);
    const shown = notice(html`<p>旅券番号（この画面でのみ表示。表示は操作ログに記録されました）</p><p class="secret">${r.value}</p>`, 'warning');
    return sendPage(reply, page(ctx, '証明書の申請', await applicationPage(req, ctx.csrf, shown)));
  });

  // -------------------------------------------------------------- an issued certificate
  const certificatePage = async (req: FastifyRequest, csrf: string, state?: FormState): Promise<SafeHtml> => {
    const id = (req.params as { id: string }).id;
    const c = await work(app.db, req, (w) => getCertificate(w, id));
    const covid = isCovidKind(c.kind);
    const content = c.content;
    const downloadable = c.status === 'issued' && !c.erased && may(req, 'personal.export');
    return html`
<p><a href="/residents/${c.atenaNo}/certificates">← ${content?.person.name ?? `宛名番号 ${c.atenaNo}`} の証明書</a></p>
${c.status === 'revoked' ? notice(`この証明書は取り消されています（${c.revokedReason ?? ''}）。`, 'warning') : ''}
${c.erased ? notice('保存期間の経過により証明内容は消去されています（交付の事実は交付簿に残っています）。', 'info') : ''}
${downloadable
  ? section(
      '出力',
      html`<div class="actions">
  <a class="btn btn--primary" href="/certificates/${c.id}/certificate.pdf">証明書（PDF）</a>
  ${covid ? html`<a class="btn btn--secondary" href="/certificates/${c.id}/card.smart-health-card">SMART Health Card ファイル</a>` : ''}
  ${covid ? Array.from({ length: c.shc?.qrCount ?? 1 }, (_, i) => html`<a class="btn btn--secondary" href="/certificates/${c.id}/qr/${i + 1}">二次元コード（PNG${(c.shc?.qrCount ?? 1) > 1 ? ` ${i + 1}枚目` : ''}）</a>`) : ''}
</div><p class="hint">出力はすべて操作ログに記録されます。紛失による再発行は、新しい申請（再交付）で受け付けてください。</p>`,
    )
  : ''}
<div class="grid">
${section(
  '交付簿の記録',
  dl([
    ['証明書番号', formatCertificateNumber(c.certificateNo)],
    ['種類', KIND_LABELS[c.kind]],
    ['交付日', `${formatWareki(c.issueDate)}（${c.issueDate}）`],
    ['状態', badge(STATUS_CERT[c.status][0], STATUS_CERT[c.status][1])],
    ['交付者', `${doneBy(c.issuedBy)}（${when(c.issuedAt)}、端末 ${c.issuedTerminal ?? '—'}）`],
    ['再交付元', c.previousNo ? formatCertificateNumber(c.previousNo) : null],
    ['記載した接種', `${c.doseCount}件（記録の版を含めて交付簿に記録）`],
    ['記載しなかった記録', c.excluded.length ? c.excluded.map((e) => `${e.label}（${EXCLUSION_LABELS[e.reason]}）`).join('、') : 'なし'],
    ['証明内容のハッシュ（SHA-256）', html`<code>${breakable(c.contentSha256)}</code>`],
    ...(c.shc ? ([['SMART Health Card', html`鍵ID（kid） <code>${breakable(c.shc.kid)}</code><br>JWS のハッシュ <code>${breakable(c.shc.jwsSha256)}</code><br>二次元コード ${c.shc.qrCount}枚`]] as [string, SafeHtml][]) : []),
  ]),
)}
${content
  ? section(
      '証明した本人',
      dl([
        ['氏名', `${content.person.name}（${content.person.kana}）`],
        ['生年月日', formatWareki(content.person.birthDate)],
        ['性別', SEX[content.person.sex]],
        ['住所', content.person.address ?? '（記載なし）'],
        ...(content.passport ? ([['ローマ字氏名', [content.passport.romajiFamily, content.passport.romajiGiven].filter(Boolean).join(' ')], ['国籍・地域', content.passport.nationality]] as [string, string][]) : []),
      ]),
    )
  : ''}
</div>
${content ? section('記載した接種記録', table(covid ? COVID_HEADERS : DOSE_HEADERS, doseRows(content.doses, covid))) : ''}
${c.status === 'issued' && may(req, 'personal.write')
  ? section(
      '取消し（誤って交付した場合）',
      html`${errorSummary(state)}<form method="post" action="/certificates/${c.id}/revoke" novalidate>${csrfField(csrf)}
  ${covid ? html`<p class="hint">交付済みの SMART Health Card は取消し後も署名の検証に通ります（失効リストは未対応）。回収してください。</p>` : ''}
  ${field({ label: '取消しの理由', name: 'reason', required: true }, state)}${button('取り消す', 'danger')}</form>`,
    )
  : ''}`;
  };

  fastify.get('/certificates/:id', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '証明書', await certificatePage(req, ctx.csrf)));
  });

  fastify.post('/certificates/:id/revoke', { preHandler: [...writeGuard, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const id = (req.params as { id: string }).id;
    const r = await attempt(() => work(app.db, req, (w) => revokeCertificate(w, id, { reason: one(body['reason']) ?? '' })));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      const { _csrf, ...safe } = body;
      return sendPage(reply, page(ctx, '証明書', await certificatePage(req, ctx.csrf, { values: safe, errors: r.problem.errors.length ? [...r.problem.errors] : [{ field: '_form', code: r.problem.code, message: r.problem.detail ?? r.problem.title }] })), r.problem.status);
    }
    setFlash(reply, '証明書を取り消しました。');
    return reply.redirect(`/certificates/${id}`);
  });

  const download = (format: OutputFormat, disposition: 'attachment' | 'inline') => async (req: FastifyRequest, reply: FastifyReply) => {
    const p = req.params as { id: string; n?: string };
    const out = await work(app.db, req, (w) => certificateOutput(w, deps, p.id, format, p.n ? Number(p.n) : 1));
    return reply
      .type(out.mediaType)
      .header('content-disposition', `${disposition}; filename="${out.fileName}"`)
      .send(typeof out.body === 'string' ? out.body : Buffer.from(out.body));
  };
  fastify.get('/certificates/:id/certificate.pdf', { preHandler: exportGuard }, download('pdf', 'attachment'));
  fastify.get('/certificates/:id/card.smart-health-card', { preHandler: exportGuard }, download('shc', 'attachment'));
  fastify.get('/certificates/:id/qr/:n', { preHandler: exportGuard }, download('qr', 'inline'));

  // -------------------------------------------------------------- 交付待ちの申請 (the staff home links here)
  fastify.get('/certificates/applications', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const [apps, total, at] = await work(app.db, req, async (w) => {
      const n = await countWaitingApplications(w);
      const r = within(pageRequest(req.query as Record<string, unknown>, 50), n);
      return [await listWaitingApplications(w, { limit: r.pageSize, offset: r.offset }), n, r] as const;
    });
    return sendPage(
      reply,
      page(
        ctx,
        '交付待ちの証明書の申請',
        html`<p>受け付けて、まだ交付も取下げもしていない申請です。申請を開いて内容を確認し、交付してください。</p>
${total ? pager({ total, request: at, shown: apps.length, path: '/certificates/applications', filters: {}, order: '受付日の古い順' }) : ''}
${table(
  ['受付日', '種類', '受付方法', '申請者', '宛名番号', '申請理由', ''],
  apps.map((a) => [a.receivedOn, KIND_SHORT[a.kind], CHANNEL_LABELS[a.channel], APPLICANT_LABELS[a.applicant], html`<a href="/residents/${a.atenaNo}/certificates">${a.atenaNo}</a>`, a.reason, html`<a href="/certificates/applications/${a.id}">内容の確認・交付</a>`]),
  { empty: '交付待ちの申請はありません。' },
)}`,
      ),
    );
  });

  // -------------------------------------------------------------- 証明書交付簿
  // Decision 0133: an unknown 種類・受付方法・状態 is refused naming the field in Japanese (the register's own
  // check would list the internal codes); dates and numbers are checked by the register.
  const filterOf = (q: Readonly<Record<string, string | undefined>>) => {
    queryEnum(q, 'kind', '種類', CERTIFICATE_KINDS);
    queryEnum(q, 'channel', '受付方法', CHANNELS);
    queryEnum(q, 'status', '状態', ['issued', 'revoked'] as const);
    return Object.fromEntries(Object.entries({ from: q['from'], to: q['to'], kind: q['kind'], channel: q['channel'], status: q['status'], number: q['number'] }).filter(([, v]) => v !== undefined && v !== ''));
  };

  fastify.get('/certificates', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const q = queryOf(req);
    let filter: Record<string, string | undefined> = {};
    let rows: Awaited<ReturnType<typeof certificateRegister>> = [];
    let state: FormState | undefined;
    try {
      filter = filterOf(q);
      rows = await work(app.db, req, (w) => certificateRegister(w, filter));
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.status === 403) throw e;
      state = { values: Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as Record<string, string>, errors: e.errors.length ? [...e.errors] : [{ field: '_form', code: e.code, message: e.detail ?? e.title }] };
    }
    const csvHref = `/certificates/register.csv?${new URLSearchParams(filter as Record<string, string>).toString()}`;
    return sendPage(
      reply,
      page(
        ctx,
        '証明書交付簿',
        html`${errorSummary(state)}
<form method="get" action="/certificates" class="card filters">
  ${field({ label: '交付日（から）', name: 'from', type: 'date', value: q['from'] ?? '' }, state)}
  ${field({ label: '交付日（まで）', name: 'to', type: 'date', value: q['to'] ?? '' }, state)}
  ${select({ label: '種類', name: 'kind', value: q['kind'] ?? '', options: [['', 'すべて'], ...opts(CERTIFICATE_KINDS, KIND_SHORT)] })}
  ${select({ label: '受付方法', name: 'channel', value: q['channel'] ?? '', options: [['', 'すべて'], ...opts(CHANNELS, CHANNEL_LABELS)] })}
  ${select({ label: '状態', name: 'status', value: q['status'] ?? '', options: [['', 'すべて'], ['issued', '交付'], ['revoked', '取消し']] })}
  ${field({ label: '証明書番号', name: 'number', value: q['number'] ?? '', inputmode: 'numeric' }, state)}
  ${button('絞り込む', 'secondary')}
</form>
${may(req, 'personal.export') && !state ? html`<div class="actions"><a class="btn btn--secondary" href="${csvHref}">CSV で出力</a></div>` : ''}
${table(
  ['証明書番号', '交付日', '種類', '受付方法', '受付日', '申請者', '宛名番号', '氏名', '記載した接種', '再交付元', '状態', '交付者'],
  rows.map((r) => [
    html`<a href="/certificates/${r.id}">${formatCertificateNumber(r.certificateNo)}</a>`,
    r.issueDate,
    KIND_SHORT[r.kind],
    CHANNEL_LABELS[r.channel],
    r.receivedOn,
    r.agentRelation ? `代理人（${AGENT_RELATION_LABELS[r.agentRelation]}）` : APPLICANT_LABELS[r.applicant],
    html`<a href="/residents/${r.atenaNo}/certificates">${r.atenaNo}</a>`,
    r.name ?? '（消去済み）',
    `${r.doseCount}件${r.excludedCount ? `（除外${r.excludedCount}件）` : ''}`,
    r.previousNo ? formatCertificateNumber(r.previousNo) : '',
    badge(STATUS_CERT[r.status][0], STATUS_CERT[r.status][1]),
    doneBy(r.issuedBy),
  ]),
  { caption: `${rows.length}件（新しい順。個人番号・旅券番号は表示しません）`, empty: '該当する証明書はありません。' },
)}`,
      ),
      // Decision 0133: the filter form shows what is wrong, with 400 (not a 200 that looks like an empty register).
      state ? 400 : 200,
    );
  });

  fastify.get('/certificates/register.csv', { preHandler: exportGuard }, async (req, reply) => {
    const csv = await work(app.db, req, (w) => certificateRegisterCsv(w, filterOf(queryOf(req))));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="certificate-register-${req.session!.tenant}-${app.config.clock.today()}.csv"`).send(csv);
  });
}
