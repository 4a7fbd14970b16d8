// The registry's staff screens (issue 15 Must have 4 and 5; decision 0195; docs/formats/registry-cli.md
// 「審査の画面」), served by the registry node under /registry: a 資格管理者's staff member logs in with their
// staff token, sees the 審査待ち一覧 of their qualifications (totals, pages), opens an application (form items
// under their Japanese names, attachments, checks, what approval still needs, history) and approves, returns it
// for correction or rejects it; reads an entry of the register (items, names, 行政処分, history) and records a
// 行政処分 or an 抹消.  Every screen calls the same functions as the staff API (src/registry/examination.ts),
// so the permission checks and the access log are the same; nothing shows a My Number or an internal code.
//
// Login: the token (`reg_…`, issued by `mamori registry staff token`) is checked and kept in an HttpOnly,
// SameSite=Strict cookie limited to /registry; each request checks it again (a deleted staff member or a revoked
// token is out at once).  Forms carry a CSRF token; strict CSP; no page is cached.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import { formatJst } from '../../kernel/jp/index.js';
import { Problem, isProblem, type FieldError } from '../../kernel/problems/index.js';
import {
  APPLICATION_STATUS_LABELS, attachmentContent, authenticateStaff, catalog, decideApplication, examinationQueue, applicationDetail, recordKosekiExtract, runChecksAsStaff,
  certificateForStaff, certificatesOf, renderCertificatePdf, showEntry, staffMediaLedger, seesMediaLedger, staffEraseEntry, staffRecordDisposition, STAFF_ROLE_LABELS, visibleQualifications, withRegistryTenant, authorizeStaff,
  type ApplicationDetail, type EntryView, type ExaminationDeps, type StaffSession,
} from '../../registry/index.js';

import { registerVerifyPages } from '../verify/index.js';
import { badge, csrfField, csrfPerReply, dl, html, notice, pageProblem, pager, raw, section, serveUiAssets, STRICT_HELMET, table, type SafeHtml } from '../ui/index.js';

export const REGISTRY_PAGES = '/registry';
const COOKIE = 'mamori_registry';

export interface RegistryPageOptions {
  /** Secure cookies (default: on, unless MAMORI_INSECURE_COOKIES=1 as for the other pages). */
  readonly secureCookies?: boolean;
  readonly demo?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    registryStaff: StaffSession | null;
  }
}

const PREFECTURES = ['北海道', '青森県', '岩手県', '宮城県', '秋田県', '山形県', '福島県', '茨城県', '栃木県', '群馬県', '埼玉県', '千葉県', '東京都', '神奈川県', '新潟県', '富山県', '石川県', '福井県', '山梨県', '長野県', '岐阜県', '静岡県', '愛知県', '三重県', '滋賀県', '京都府', '大阪府', '兵庫県', '奈良県', '和歌山県', '鳥取県', '島根県', '岡山県', '広島県', '山口県', '徳島県', '香川県', '愛媛県', '高知県', '福岡県', '佐賀県', '長崎県', '熊本県', '大分県', '宮崎県', '鹿児島県', '沖縄県'];
const prefecture = (code: unknown): string => (typeof code === 'string' && /^\d{2}$/.test(code) ? PREFECTURES[Number(code) - 1] ?? '' : '');

const jpDate = (iso: string | null | undefined): string => {
  if (!iso) return '—';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${Number(m[1])}年${Number(m[2])}月${Number(m[3])}日` : iso;
};
const jpTime = (iso: string | null | undefined): string => (iso ? formatJst(new Date(iso)) : '—');

/** A form value as staff read it: dates in Japanese, yes/no, sex and prefecture by name. */
function shown(key: string, v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? 'はい' : 'いいえ';
  if (key.startsWith('性別')) return v === '1' ? '男' : v === '2' ? '女' : String(v);
  if (key === '罰金刑区分') return v === '1' ? 'あり' : v === '0' ? 'なし' : String(v);
  if (key.endsWith('都道府県コード') || key === '本籍地コード' || key === '本籍コード') return prefecture(v) || String(v);
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return jpDate(v);
  if (typeof v === 'string' && /^\d{4}-\d{2}$/.test(v)) return `${Number(v.slice(0, 4))}年${Number(v.slice(5))}月`;
  return String(v);
}

/** Register items in the order of the file's layout (§004). */
const itemRank = (qualification: string, item: string): number => {
  const list = catalog().qualification(qualification)?.registerItems ?? [];
  const i = list.indexOf(item);
  return i < 0 ? list.length : i;
};

const HIDDEN_KEYS = new Set(['formVersion', 'qualification', 'procedure']);
const KEY_LABELS: Record<string, string> = { 回数: '試験の回', 都道府県コード: '都道府県', 旧: '変更前', 新: '変更後', 新フリガナ: '変更後のフリガナ' };

/** The order the paper forms give the items in (the database keeps the form's keys in its own order). */
const FORM_ORDER = [
  '登録番号', '氏名', 'フリガナ', '旧姓', '通称', 'アルファベット氏名', '生年月日', '性別', '本籍', '住所', '電話番号', '携帯電話', 'メールアドレス', '国家試験', '看護師国家試験', '合格証書番号',
  '栄養士免許', '資格取得', '欠格事由', '訂正事項', '事由', '事由の生じた年月日', '再交付の理由', '抹消の理由', '理由の詳細',
  '姓', '名', '旧', '新', '新フリガナ', '郵便番号', '都道府県コード', '国籍', '回数', '受験番号', '合格年月日', '区分', '合格年月', '養成施設コード', '卒業年月', '免許年月日', '罰金以上の刑', '業務に関する犯罪又は不正の行為',
];
const rank = (k: string): number => (FORM_ORDER.includes(k) ? FORM_ORDER.indexOf(k) : FORM_ORDER.length);

/** The form as rows of (Japanese item name, value): nested items joined with 「・」, in the paper form's order. */
function formRows(form: Record<string, unknown>, prefix = ''): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(form).sort(([a], [b]) => rank(a) - rank(b))) {
    if (!prefix && HIDDEN_KEYS.has(k)) continue;
    const own = KEY_LABELS[k] ?? k;
    const label = prefix ? (prefix === own ? own : `${prefix}・${own}`) : own;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      // 氏名・フリガナ in one line.
      if (Object.keys(o).length === 2 && '姓' in o && '名' in o) out.push([label, `${String(o['姓'])}　${String(o['名'])}`]);
      else out.push(...formRows(o, label));
    } else out.push([label, shown(k, v)]);
  }
  return out;
}

const STATUS_TONE: Record<string, 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = { received: 'info', returned: 'warn', approved: 'ok', rejected: 'bad', withdrawn: 'muted' };
const OUTCOME_TONE: Record<string, 'ok' | 'warn' | 'bad' | 'info' | 'muted'> = { match: 'ok', 'extract-received': 'ok', mismatch: 'bad', 'not-found': 'bad', deceased: 'bad', removed: 'bad', error: 'bad', 'not-run': 'muted', 'not-applicable': 'muted', 'extract-requested': 'warn' };
const EVENT_LABELS: Record<string, string> = { received: '受付', checked: '照会の結果', returned: '補正依頼', resubmitted: '再提出', approved: '承認', rejected: '却下', withdrawn: '取下げ', fee_settled: '手数料の納付確認',
  fees_opened: '手数料の確定', fee_payment_created: '手数料の支払手続', fee_paid: '手数料の納付', fee_amount_confirmed: '手数料の金額確認', fee_refund_due: '手数料の返還（要手続）',
  fee_refunded: '手数料の返還', attachments_added: '添付書類の追加', cancelled: '支払手続の取消',
};
const SOURCE_WORDS: Record<string, string> = { juki: '住基ネット', koseki: '戸籍', passers: '合格者名簿' };

interface Frame {
  readonly title: string;
  readonly session: StaffSession | null;
  readonly csrf: string;
  readonly demo?: boolean | undefined;
  readonly flash?: string | undefined;
  readonly errors?: readonly FieldError[] | undefined;
}

function frame(f: Frame, content: SafeHtml): string {
  const s = f.session;
  const admin = s ? catalog().administrator(s.staff.tenant) : undefined;
  return html`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${f.title} | 国家資格等情報連携・活用システム</title>
<link rel="stylesheet" href="/assets/tokens.css">
<link rel="stylesheet" href="/assets/mamori.css">
</head>
<body>
<a class="skip" href="#main">本文へ移動</a>
<header class="header"><div class="header__inner">
  <a class="brand" href="${REGISTRY_PAGES}/applications">国家資格等情報連携・活用システム<small>${admin ? admin.name : '資格管理者の職員用'}</small></a>
  ${s ? html`<div class="who"><span>${s.staff.name}（${s.staff.userId}・${STAFF_ROLE_LABELS[s.staff.role]}）</span>
    <form method="post" action="${REGISTRY_PAGES}/logout" class="inline-form">${csrfField(f.csrf)}<button type="submit" class="btn btn--secondary">ログアウト</button></form></div>` : ''}
</div></header>
${f.demo ? html`<div class="demo-banner" role="note"><strong>デモ環境</strong>　表示されている申請・登録はすべて合成データです。</div>` : ''}
${s ? html`<nav class="nav" aria-label="メインメニュー"><ul>
  <li><a href="${REGISTRY_PAGES}/applications">審査待ち一覧</a></li>
  <li><a href="${REGISTRY_PAGES}/entries">登録の表示</a></li>
  ${seesMediaLedger(s) ? html`<li><a href="${REGISTRY_PAGES}/media">媒体管理簿</a></li>` : ''}
</ul></nav>` : ''}
<main id="main">
<h1>${f.title}</h1>
${f.flash ? notice(f.flash, 'success') : ''}
${f.errors?.length ? html`<div class="error-summary" role="alert" tabindex="-1"><h2>入力内容を確認してください</h2><ul>${f.errors.map((e) => html`<li>${e.message}</li>`)}</ul></div>` : ''}
${content}
</main>
</body>
</html>`.value;
}

const FLASH: Record<string, string> = {
  approved: '承認しました。名簿に登録しました。', returned: '補正を依頼しました。', rejected: '却下しました。', checks: '照会を実行し、結果を記録しました。',
  extract: '戸籍謄本等の状況を記録しました。', disposition: '行政処分を記録しました。', erased: '抹消を記録しました。',
};

export async function registerRegistryPages(fastify: FastifyInstance, deps: ExaminationDeps, opts: RegistryPageOptions = {}): Promise<void> {
  const secure = opts.secureCookies ?? process.env['MAMORI_INSECURE_COOKIES'] !== '1';
  await fastify.register(async (f) => {
    await f.register(helmet, STRICT_HELMET);
    await f.register(cookie);
    await f.register(formbody, { bodyLimit: 64 * 1024 });
    await f.register(csrf, { cookieOpts: { path: REGISTRY_PAGES, sameSite: 'strict', httpOnly: true, secure, signed: false } });
    f.decorateRequest('registryStaff', null);

    f.addHook('onRequest', async (req, reply) => {
      reply.header('cache-control', 'no-store');
      if (req.url.startsWith('/assets/')) return;
      const token = req.cookies[COOKIE];
      if (!token) return;
      try {
        req.registryStaff = await authenticateStaff(deps.db, deps.clock, `Bearer ${token}`);
      } catch {
        reply.clearCookie(COOKIE, { path: REGISTRY_PAGES });
      }
    });

    const csrfOf = csrfPerReply();
    const send = (req: FastifyRequest, reply: FastifyReply, title: string, content: SafeHtml, extra: Partial<Frame> = {}) =>
      reply.type('text/html; charset=utf-8').send(frame({ title, session: req.registryStaff, csrf: csrfOf(reply), demo: opts.demo, ...extra }, content));

    f.setErrorHandler(async (error, req, reply) => {
      const p = pageProblem(error, req.id);
      if (p.status >= 500) req.log.error({ err: error, reqId: req.id }, 'registry page failed');
      reply.status(p.status);
      const title = p.status === 404 ? 'ページが見つかりません' : p.title;
      const detail = p.status === 404 ? 'お探しのページは見つからないか、参照する権限がありません。' : p.detail ?? '';
      return send(req, reply, title, html`<p>${detail}</p>${p.errors.length ? html`<ul>${p.errors.map((x) => html`<li>${x.message}</li>`)}</ul>` : ''}<p><a href="${REGISTRY_PAGES}/applications">審査待ち一覧へ</a></p>`);
    });

    serveUiAssets(f);

    /** The page's staff member, or a redirect to the login page. */
    const need = (req: FastifyRequest, reply: FastifyReply): StaffSession | null => {
      if (req.registryStaff) return req.registryStaff;
      void reply.redirect(`${REGISTRY_PAGES}/login`);
      return null;
    };
    const body = (req: FastifyRequest): Record<string, string> => {
      const b = (req.body ?? {}) as Record<string, unknown>;
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries(b)) if (typeof v === 'string' && k !== '_csrf') out[k] = v;
      return out;
    };
    const flashOf = (req: FastifyRequest): string | undefined => {
      const d = (req.query as Record<string, unknown>)['done'];
      return typeof d === 'string' ? FLASH[d] : undefined;
    };

    // ── ログイン ────────────────────────────────────────────────────────────
    const loginForm = (reply: FastifyReply, error?: string) => html`
<section class="card">
<p>資格管理者の職員用の画面です。発行された利用者トークン（reg_ で始まる文字列）でログインしてください。</p>
${error ? notice(error, 'error') : ''}
<form method="post" action="${REGISTRY_PAGES}/login" novalidate>${csrfField(csrfOf(reply))}
  <div class="field"><label for="f-token">利用者トークン</label>
  <input type="password" id="f-token" name="token" autocomplete="off" required></div>
  <button type="submit" class="btn btn--primary">ログインする</button>
</form></section>`;
    f.get(REGISTRY_PAGES, async (_req, reply) => reply.redirect(`${REGISTRY_PAGES}/applications`));
    f.get(`${REGISTRY_PAGES}/login`, async (req, reply) => (req.registryStaff ? reply.redirect(`${REGISTRY_PAGES}/applications`) : send(req, reply, 'ログイン', loginForm(reply))));
    f.post(`${REGISTRY_PAGES}/login`, { preHandler: f.csrfProtection }, async (req, reply) => {
      const token = body(req)['token']?.trim() ?? '';
      try {
        await authenticateStaff(deps.db, deps.clock, `Bearer ${token}`);
      } catch {
        reply.status(401);
        return send(req, reply, 'ログイン', loginForm(reply, '利用者トークンが正しくないか、利用できない状態です。'));
      }
      reply.setCookie(COOKIE, token, { path: REGISTRY_PAGES, httpOnly: true, sameSite: 'strict', secure });
      return reply.redirect(`${REGISTRY_PAGES}/applications`, 303);
    });
    f.post(`${REGISTRY_PAGES}/logout`, { preHandler: f.csrfProtection }, async (_req, reply) => {
      reply.clearCookie(COOKIE, { path: REGISTRY_PAGES });
      return reply.redirect(`${REGISTRY_PAGES}/login`, 303);
    });

    // ── 審査待ち一覧 ──────────────────────────────────────────────────────────
    f.get(`${REGISTRY_PAGES}/applications`, async (req, reply) => {
      const s = need(req, reply);
      if (!s) return;
      const q = req.query as Record<string, string | undefined>;
      const status = q['status'] === undefined ? 'received' : q['status'] === '' ? undefined : q['status'];
      const filters = { status: q['status'], qualification: q['qualification'] || undefined };
      const page = await examinationQueue(deps.db, deps.clock, s, { ...(status ? { status } : {}), ...(filters.qualification ? { qualification: filters.qualification } : {}), page: q['page'] ?? '1', perPage: '20' }, req.id);
      const mine = visibleQualifications(s);
      return send(req, reply, '審査待ち一覧', html`
<form method="get" action="${REGISTRY_PAGES}/applications" class="card filters">
  <div class="field"><label for="f-status">状態</label><select id="f-status" name="status">
    ${(['received', 'returned', 'approved', 'rejected', 'withdrawn'] as const).map((k) => html`<option value="${k}"${status === k ? raw(' selected') : ''}>${APPLICATION_STATUS_LABELS[k]}</option>`)}
    <option value=""${status === undefined ? raw(' selected') : ''}>すべて</option></select></div>
  <div class="field"><label for="f-qualification">資格</label><select id="f-qualification" name="qualification">
    <option value="">所掌するすべての資格</option>
    ${mine.map((x) => html`<option value="${x.code}"${filters.qualification === x.code ? raw(' selected') : ''}>${x.name}</option>`)}</select></div>
  <button type="submit" class="btn btn--secondary">絞り込む</button>
</form>
${pager({ total: page.total, request: { page: page.page, pageSize: page.perPage, offset: (page.page - 1) * page.perPage }, shown: page.items.length, path: `${REGISTRY_PAGES}/applications`, filters, order: '受付の古い順' })}
${table(['受付日時', '資格', '手続', '申請者', '受付の方法', '状態', ''], page.items.map((a) => [
  jpTime(a.receivedAt), a.qualificationName, a.procedureLabel, a.applicantName, a.channelLabel, badge(a.statusLabel, STATUS_TONE[a.status]),
  html`<a href="${REGISTRY_PAGES}/applications/${a.id}">詳細</a>`,
]), { caption: '申請', empty: '該当する申請はありません。' })}`);
    });

    // ── 媒体管理簿（介護福祉士・登録情報連携システムとの媒体; QUA-40, decision 0232） ─────────────────────────────
    f.get(`${REGISTRY_PAGES}/media`, async (req, reply) => {
      const s = need(req, reply);
      if (!s) return;
      const n = Number((req.query as Record<string, string | undefined>)['page'] ?? '1');
      const page = await staffMediaLedger(deps, s, Number.isInteger(n) && n >= 1 ? n : 1, req.id);
      const tone = { received: 'warn', registered: 'info', discarded: 'muted', written: 'ok' } as const;
      return send(req, reply, '媒体管理簿', html`
<p>（公財）社会福祉振興・試験センターの登録情報連携システムと受け渡した媒体（パスワード付きの暗号化ファイル）の記録です。受領した媒体の内容は、名簿への登録が完了した時点で廃棄し、記録だけを残します。</p>
${pager({ total: page.total, request: { page: page.page, pageSize: page.pageSize, offset: (page.page - 1) * page.pageSize }, shown: page.entries.length, path: `${REGISTRY_PAGES}/media`, filters: {}, order: '新しい順' })}
${table(['受領・作成日時', '受け渡し', 'ファイル名', '件数', '状態', '担当', '登録完了', '廃棄', '内容', 'SHA-256（先頭）'], page.entries.map((e) => [
  jpTime(e.receivedAt), e.directionLabel, e.fileName, `${e.rows}件`, badge(e.statusLabel, tone[e.status]), e.receivedBy === 'system:registration-complete' ? '自動' : e.receivedBy,
  e.direction === 'in' ? jpTime(e.registeredAt) : '—', e.discardedAt ? `${jpTime(e.discardedAt)}（${e.discardedBy === 'system:registration-complete' ? '登録完了により自動' : e.discardedBy ?? ''}）` : '—',
  e.contentKept ? '保管中（施錠）' : 'なし', e.sha256.slice(0, 16),
]), { caption: '媒体', empty: '記録された媒体はありません。' })}`);
    });

    /** What was typed into a refused form, shown again in that form only. */
    type Typed = { readonly form: string; readonly values: Record<string, string> };
    const typed = (t: Typed | undefined, form: string, name: string, fallback = ''): string => (t?.form === form ? t.values[name] ?? '' : fallback);

    // ── 申請の詳細 ─────────────────────────────────────────────────────────────
    const detailPage = (req: FastifyRequest, reply: FastifyReply, d: ApplicationDetail, extra: Partial<Frame> = {}, t?: Typed) => {
      const a = d.application;
      const s = req.registryStaff!;
      const base = `${REGISTRY_PAGES}/applications/${a.id}`;
      const c = csrfOf(reply);
      const open = a.status === 'received';
      const decide = s.staff.role === 'supervisor';
      return send(req, reply, `申請の詳細（${a.qualificationName}・${a.procedureLabel}）`, html`
${section('申請の概要', dl([
  ['状態', badge(a.statusLabel, STATUS_TONE[a.status])], ['資格', a.qualificationName], ['手続', a.procedureLabel], ['受付の方法', a.channelLabel],
  ['受付日時', jpTime(a.receivedAt)], ['受付者', a.receivedBy === 'mynaportal' ? 'マイナポータル' : a.receivedBy],
  ['登録番号', a.registrationNo === null ? '—' : String(a.registrationNo)],
  ...(a.decidedAt ? ([['決定日時', jpTime(a.decidedAt)], ['決定者', a.decidedBy ?? '—']] as [string, string][]) : []),
  ...(a.decisionReason ? ([['理由', a.decisionReason]] as [string, string][]) : []),
]))}
${section('申請書の内容', dl(formRows(a.form)))}
${section('添付書類', table(['書類', '形式', '大きさ', ''], a.attachments.map((x) => [x.label, x.mediaType === 'application/pdf' ? 'PDF' : 'JPEG', `${Math.ceil(x.size / 1024).toLocaleString('ja-JP')} KB`, html`<a href="${base}/attachments/${x.seq}">開く</a>`]), { empty: '添付書類はありません。' }))}
${section('照会の結果', html`
${table(['照会先', '結果', '相違点', '記録者', '日時'], d.checks.map((x) => [
  x.sourceLabel, badge(x.outcomeLabel, OUTCOME_TONE[x.outcome]),
  x.differences.length ? html`<ul>${x.differences.map((y) => html`<li>${y.item}：申請「${y.applied}」／照会先「${y.listed}」</li>`)}</ul>` : typeof x.detail['note'] === 'string' ? String(x.detail['note']) : '—',
  x.by, jpTime(x.at),
]), { empty: '照会はまだ行っていません。' })}
${open ? html`<div class="actions">
  <form method="post" action="${base}/checks" class="inline-form">${csrfField(c)}<button type="submit" class="btn btn--secondary">照会を実行する</button></form>
  <form method="post" action="${base}/koseki" class="inline-form">${csrfField(c)}<input type="hidden" name="state" value="requested"><button type="submit" class="btn btn--secondary">戸籍謄本等の提出を依頼した</button></form>
  <form method="post" action="${base}/koseki" class="inline-form">${csrfField(c)}<input type="hidden" name="state" value="received"><button type="submit" class="btn btn--secondary">戸籍謄本等を受領し確認した</button></form>
</div>` : ''}`)}
${section('承認の条件', html`<ul class="requirements">${d.requirements.map((r) => html`<li>${r.met ? badge('済', 'ok') : badge('未了', 'warn')} ${r.label}（${r.detail}）</li>`)}</ul>`)}
${open ? section('審査の決定', html`
  ${decide ? html`<form method="post" action="${base}/decision" class="card">${csrfField(c)}<input type="hidden" name="action" value="approve">
    <div class="field"><label for="f-approve-reason">承認の記事（任意）</label><input type="text" id="f-approve-reason" name="reason" maxlength="1000"></div>
    ${d.approvable ? '' : html`<p class="hint">承認の条件がすべて満たされるまで承認できません。</p>`}
    <button type="submit" class="btn btn--primary"${d.approvable ? '' : raw(' disabled')}>承認する</button></form>` : html`<p class="hint">承認と却下は審査責任者が行います。</p>`}
  <form method="post" action="${base}/decision" class="card">${csrfField(c)}<input type="hidden" name="action" value="return">
    <div class="field"><label for="f-return-reason">補正を依頼する理由<span class="req">必須</span></label><textarea id="f-return-reason" name="reason" rows="3" maxlength="1000" required>${typed(t, 'return', 'reason')}</textarea></div>
    <button type="submit" class="btn btn--secondary">補正を依頼する</button></form>
  ${decide ? html`<form method="post" action="${base}/decision" class="card">${csrfField(c)}<input type="hidden" name="action" value="reject">
    <div class="field"><label for="f-reject-reason">却下の理由<span class="req">必須</span></label><textarea id="f-reject-reason" name="reason" rows="3" maxlength="1000" required>${typed(t, 'reject', 'reason')}</textarea></div>
    <button type="submit" class="btn btn--danger">却下する</button></form>` : ''}`) : ''}
${a.status === 'approved' && a.registrationNo !== null ? html`<p><a class="btn btn--secondary" href="${REGISTRY_PAGES}/entries/${a.qualification}/${a.registrationNo}">登録を表示する</a></p>` : ''}
${section('経過', table(['日時', '内容', '担当', '詳細'], a.events.map((e) => [
  jpTime(e.at), EVENT_LABELS[e.kind] ?? '記録', e.actor === 'mynaportal' ? 'マイナポータル' : e.actor === 'registry' ? 'システム' : e.actor === 'payment' ? '公金決済' : e.actor === 'applicant' ? '申請者' : e.actor,
  e.kind === 'checked' ? `${SOURCE_WORDS[String(e.detail['source'])] ?? ''}：${d.checks.find((x) => x.source === e.detail['source'] && x.outcome === e.detail['outcome'])?.outcomeLabel ?? ''}` : typeof e.detail['reason'] === 'string' ? e.detail['reason'] : '',
])))}
<p><a href="${REGISTRY_PAGES}/applications">審査待ち一覧へ戻る</a></p>`, extra);
    };

    const appId = (req: FastifyRequest) => String((req.params as { id: string }).id).slice(0, 40);
    f.get(`${REGISTRY_PAGES}/applications/:id`, async (req, reply) => {
      const s = need(req, reply);
      if (!s) return;
      return detailPage(req, reply, await applicationDetail(deps.db, deps.clock, s, appId(req), req.id), { flash: flashOf(req) });
    });
    f.get(`${REGISTRY_PAGES}/applications/:id/attachments/:seq`, async (req, reply) => {
      const s = need(req, reply);
      if (!s) return;
      const d = await applicationDetail(deps.db, deps.clock, s, appId(req), req.id);
      const seq = Number((req.params as { seq: string }).seq);
      const file = Number.isInteger(seq) && seq >= 1 ? await withRegistryTenant(deps.db, s.staff.tenant, (tx) => attachmentContent(tx, d.application.id, seq)) : undefined;
      if (!file) throw new Problem(404, 'NOT_FOUND', '見つかりません', '指定された添付書類はありません。');
      return reply.type(file.mediaType).header('content-disposition', `inline; filename="attachment-${seq}.${file.mediaType === 'application/pdf' ? 'pdf' : 'jpg'}"`).header('x-content-type-options', 'nosniff').send(file.content);
    });
    /** Runs a POST; on a refusal shows the detail page again with the messages (status kept). */
    const act = (path: string, fn: (s: StaffSession, id: string, b: Record<string, string>, req: FastifyRequest) => Promise<string>) =>
      f.post(path, { preHandler: f.csrfProtection }, async (req, reply) => {
        const s = need(req, reply);
        if (!s) return;
        const id = appId(req);
        try {
          const done = await fn(s, id, body(req), req);
          return reply.redirect(`${REGISTRY_PAGES}/applications/${id}?done=${done}`, 303);
        } catch (e) {
          if (!isProblem(e) || e.status === 404 || e.status === 403) throw e;
          reply.status(e.status);
          const b = body(req);
          return detailPage(req, reply, await applicationDetail(deps.db, deps.clock, s, id, req.id), { errors: e.errors.length ? e.errors : [{ field: '', code: e.code, message: e.detail ?? e.title }] }, { form: b['action'] ?? '', values: b });
        }
      });
    act(`${REGISTRY_PAGES}/applications/:id/checks`, async (s, id, _b, req) => {
      await runChecksAsStaff(deps, s, id, req.id);
      return 'checks';
    });
    act(`${REGISTRY_PAGES}/applications/:id/koseki`, async (s, id, b, req) => {
      await recordKosekiExtract(deps, s, id, { state: b['state'] }, req.id);
      return 'extract';
    });
    act(`${REGISTRY_PAGES}/applications/:id/decision`, async (s, id, b, req) => {
      const action = b['action'];
      const reason = b['reason']?.trim();
      await decideApplication(deps, s, id, { action, ...(reason ? { reason } : {}) }, req.id);
      return action === 'approve' ? 'approved' : action === 'return' ? 'returned' : 'rejected';
    });

    // ── 登録の表示 ─────────────────────────────────────────────────────────────
    f.get(`${REGISTRY_PAGES}/entries`, async (req, reply) => {
      const s = need(req, reply);
      if (!s) return;
      const q = req.query as Record<string, string | undefined>;
      if (q['qualification'] && q['number']) {
        if (!/^[1-9][0-9]{0,11}$/.test(q['number'])) throw new Problem(400, 'VALIDATION_FAILED', '入力内容に誤りがあります', '登録番号: 数字で入力してください', [{ field: 'number', code: 'VALIDATION_FAILED', message: '登録番号: 数字で入力してください' }]);
        return reply.redirect(`${REGISTRY_PAGES}/entries/${encodeURIComponent(q['qualification'].slice(0, 40))}/${q['number']}`);
      }
      return send(req, reply, '登録の表示', html`
<form method="get" action="${REGISTRY_PAGES}/entries" class="card">
  <div class="field"><label for="f-qualification">資格</label><select id="f-qualification" name="qualification">${visibleQualifications(s).map((x) => html`<option value="${x.code}">${x.name}</option>`)}</select></div>
  <div class="field"><label for="f-number">登録番号</label><input type="text" id="f-number" name="number" inputmode="numeric" required></div>
  <button type="submit" class="btn btn--primary">表示する</button>
</form>`);
    });

    const entryPage = async (req: FastifyRequest, reply: FastifyReply, e: EntryView, extra: Partial<Frame> = {}, t?: Typed) => {
      const s = req.registryStaff!;
      // 交付履歴 (QUA-25): every 免許証・登録証 issued, valid or void, each printable.
      const certificates = await withRegistryTenant(deps.db, s.staff.tenant, (tx) => certificatesOf(tx, e.qualification, e.number));
      const base = `${REGISTRY_PAGES}/entries/${e.qualification}/${e.number}`;
      const c = csrfOf(reply);
      const decide = s.staff.role === 'supervisor' && e.erasure === null;
      const today = deps.clock.today();
      return send(req, reply, `登録の表示（${e.qualificationName}・登録番号 ${e.number}）`, html`
${section('登録', dl([
  ['状態', badge(e.status.label, e.status.code === 'active' ? 'ok' : 'bad')], ...(e.status.until ? ([['業務停止の終わり', jpDate(e.status.until)]] as [string, string][]) : []),
  ['登録番号', String(e.number)], ['登録年月日', jpDate(e.registeredOn)], ['版', String(e.version)],
  ['個人番号', e.myNumber.held ? '保有（表示しません）' : `削除済み（${jpDate(e.myNumber.deletedOn)}）`],
  ...(e.erasure ? ([['抹消', `${e.erasure.label}（${jpDate(e.erasure.on)}）${e.erasure.note ? `：${e.erasure.note}` : ''}`]] as [string, string][]) : []),
]))}
${section('登録事項', dl(Object.entries(e.items).filter(([, v]) => v !== null).sort(([a], [b]) => itemRank(e.qualification, a) - itemRank(e.qualification, b)).map(([k, v]) => [k, shown(k, v)] as [string, string])))}
${section('氏名', table(['種類', '氏名', 'フリガナ', '期間'], e.names.map((n) => [
  n.kind + (n.通称として使用 ? '（通称として使用）' : ''), n.表記 ?? [n.姓, n.名].filter(Boolean).join('　'), n.フリガナ ? `${n.フリガナ.姓}　${n.フリガナ.名}` : '—', `${jpDate(n.from)} 〜 ${n.until ? jpDate(n.until) : '現在'}`,
])))}
${section('行政処分', table(['処分', '処分年月日', '期間', '発簡番号', '記事'], e.dispositions.map((d) => [d.label, jpDate(d.decidedOn), `${jpDate(d.from)} 〜 ${d.until ? jpDate(d.until) : ''}`, d.issueNo, d.note ?? '—']), { empty: '行政処分の記録はありません。' }))}
${section('交付履歴（免許証・登録証）', table(['交付番号', '種類', '交付の事由', '交付年月日', '状態', '印刷'], certificates.map((c) => [
  `第${c.serialNo}号`, c.title, c.reasonLabel, jpDate(c.issuedOn),
  c.valid ? badge('有効', 'ok') : html`${badge('無効', 'bad')} ${jpDate(c.voidOn)}：${c.voidReason ?? ''}`,
  html`<a href="${base}/certificates/${c.serialNo}" target="_blank" rel="noopener">印刷する（PDF）</a>`,
]), { empty: '交付した免許証・登録証はありません。' }))}
${section('変更の履歴', table(['版', '内容', '変更した事項', '記事', '担当', '日時'], (e.history ?? []).map((v) => [String(v.version), v.label, v.changedItems.join('、'), v.note ?? '—', v.by, jpTime(v.at)])))}
${decide ? section('行政処分を記録する', html`<form method="post" action="${base}/dispositions">${csrfField(c)}
  <div class="field"><label for="f-kind">処分</label><select id="f-kind" name="kind"><option value="suspension">業務停止</option><option value="revocation"${typed(t, 'dispositions', 'kind') === 'revocation' ? raw(' selected') : ''}>免許取消</option></select></div>
  <div class="field"><label for="f-decidedOn">処分年月日</label><input type="date" id="f-decidedOn" name="decidedOn" value="${typed(t, 'dispositions', 'decidedOn', today)}" required></div>
  <div class="field"><label for="f-from">期間の始まり</label><input type="date" id="f-from" name="from" value="${typed(t, 'dispositions', 'from')}" required></div>
  <div class="field"><label for="f-until">期間の終わり（業務停止のとき）</label><input type="date" id="f-until" name="until" value="${typed(t, 'dispositions', 'until')}"></div>
  <div class="field"><label for="f-code">処分コード</label><input type="text" id="f-code" name="code" maxlength="10" value="${typed(t, 'dispositions', 'code')}" required></div>
  <div class="field"><label for="f-issueNo">発簡番号</label><input type="text" id="f-issueNo" name="issueNo" maxlength="40" value="${typed(t, 'dispositions', 'issueNo')}" required></div>
  <div class="field"><label for="f-note">記事</label><input type="text" id="f-note" name="note" maxlength="500" value="${typed(t, 'dispositions', 'note')}"></div>
  <button type="submit" class="btn btn--primary">行政処分を記録する</button></form>`) : ''}
${decide ? section('抹消を記録する', html`<form method="post" action="${base}/erasure">${csrfField(c)}
  <div class="field"><label for="f-cause">抹消の原因</label><select id="f-cause" name="cause"><option value="death">死亡</option><option value="disposition"${typed(t, 'erasure', 'cause') === 'disposition' ? raw(' selected') : ''}>行政処分（免許取消）</option></select></div>
  <div class="field"><label for="f-on">抹消年月日</label><input type="date" id="f-on" name="on" value="${typed(t, 'erasure', 'on', today)}" required></div>
  <div class="field"><label for="f-reasonCode">理由コード</label><input type="text" id="f-reasonCode" name="reasonCode" maxlength="10" value="${typed(t, 'erasure', 'reasonCode')}" required></div>
  <div class="field"><label for="f-enote">記事</label><input type="text" id="f-enote" name="note" maxlength="500" value="${typed(t, 'erasure', 'note')}"></div>
  <p class="hint">申請による抹消は、抹消の申請を承認して行います。</p>
  <button type="submit" class="btn btn--danger">抹消を記録する</button></form>`) : ''}
<p><a href="${REGISTRY_PAGES}/entries">別の登録を表示する</a></p>`, extra);
    };
    const entryParams = (req: FastifyRequest) => req.params as { code: string; number: string };
    f.get(`${REGISTRY_PAGES}/entries/:code/:number`, async (req, reply) => {
      const s = need(req, reply);
      if (!s) return;
      const p = entryParams(req);
      return entryPage(req, reply, await showEntry(deps, s, p.code, p.number, req.id), { flash: flashOf(req) });
    });
    // The PDF of one certificate (QUA-25): only for the qualifications of the staff member's duties, logged.
    f.get(`${REGISTRY_PAGES}/entries/:code/:number/certificates/:serial`, async (req, reply) => {
      const s = need(req, reply);
      if (!s) return;
      const p = req.params as { code: string; number: string; serial: string };
      const c = await certificateForStaff(deps, s, p.code, p.number, p.serial, req.id);
      const pdf = await renderCertificatePdf(c.printed, c.certificate);
      return reply.type('application/pdf').header('content-disposition', `inline; filename="${c.filename}"`).send(Buffer.from(pdf));
    });
    const entryAct = (suffix: string, fn: (s: StaffSession, code: string, number: string, b: Record<string, string>, req: FastifyRequest) => Promise<string>) =>
      f.post(`${REGISTRY_PAGES}/entries/:code/:number/${suffix}`, { preHandler: f.csrfProtection }, async (req, reply) => {
        const s = need(req, reply);
        if (!s) return;
        const p = entryParams(req);
        const b = Object.fromEntries(Object.entries(body(req)).filter(([, v]) => v.trim() !== ''));
        try {
          const done = await fn(s, p.code, p.number, b, req);
          return reply.redirect(`${REGISTRY_PAGES}/entries/${encodeURIComponent(p.code.slice(0, 40))}/${encodeURIComponent(p.number.slice(0, 20))}?done=${done}`, 303);
        } catch (e) {
          if (!isProblem(e) || e.status === 404 || e.status === 403) throw e;
          await authorizeStaff(deps.db, deps.clock, s, p.code, 'read', { type: 'entry', id: `${p.code}:${p.number}` }, req.id);
          reply.status(e.status);
          const errors = e.errors.length ? e.errors.map((x) => ({ ...x, message: `${FIELD_LABELS[x.field] ?? x.field}: ${x.message}` })) : [{ field: '', code: e.code, message: e.detail ?? e.title }];
          return entryPage(req, reply, await showEntry(deps, s, p.code, p.number, req.id), { errors }, { form: suffix, values: b });
        }
      });
    entryAct('dispositions', async (s, code, number, b, req) => {
      await staffRecordDisposition(deps, s, code, number, b, req.id);
      return 'disposition';
    });
    entryAct('erasure', async (s, code, number, b, req) => {
      await staffEraseEntry(deps, s, code, number, b, req.id);
      return 'erased';
    });
  });
}

const FIELD_LABELS: Record<string, string> = { kind: '処分', decidedOn: '処分年月日', from: '期間の始まり', until: '期間の終わり', code: '処分コード', issueNo: '発簡番号', note: '記事', cause: '抹消の原因', on: '抹消年月日', reasonCode: '理由コード' };

/** The `registryPages` option of `startOrganisations` (src/app/nodes.ts). */
export function registryPages(opts: RegistryPageOptions = {}): (fastify: FastifyInstance, deps: ExaminationDeps) => Promise<void> {
  return async (fastify, deps) => {
    await registerRegistryPages(fastify, deps, opts);
    // The public verifier and employer confirmation pages (issue 16; src/web/verify), on the same node.
    if (deps.credentials) await registerVerifyPages(fastify, deps);
  };
}

