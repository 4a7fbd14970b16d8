// Login, logout, self-application for an account, password change, TOTP enrolment.
import type { FastifyInstance } from 'fastify';
import QRCode from 'qrcode';
import type { App } from '../../app/index.js';
import { applyForAccountSelf, beginTotpEnrollment, changePassword, confirmTotpEnrollment, login, logout, requireTenant, SESSION_COOKIE } from '../../kernel/access/index.js';
import { anonymousActor, runAs } from '../../kernel/context/index.js';
import { metaOf, sessionCookieOptions, work } from '../../kernel/http/index.js';
import { invalidField, isProblem } from '../../kernel/problems/index.js';
import { button, checkboxes, csrfField, errorSummary, field, html, notice, page, raw, select, textarea, type FormState } from '../ui/index.js';
import { attempt, formState, many, needLogin, one, pageContext, safeNext, sendPage, setFlash, type Form } from './support.js';
import { dutyOptions, roleOptions } from './labels.js';

export interface AuthOptions {
  readonly secureCookies: boolean;
  readonly loginRateLimit: { max: number; timeWindow: string };
}

export function registerAuthPages(fastify: FastifyInstance, app: App, opts: AuthOptions): void {
  const loginForm = (csrf: string, next: string, state?: FormState) => html`
<div class="narrow">
${errorSummary(state)}
<form method="post" action="/login" novalidate>
  ${csrfField(csrf)}
  <input type="hidden" name="next" value="${next}">
  ${field({ label: '団体コード', name: 'tenant', required: true, hint: '地方公共団体コード（6桁）', inputmode: 'numeric', autocomplete: 'organization', maxlength: 13 }, state)}
  ${field({ label: 'ログインID', name: 'loginId', required: true, autocomplete: 'username', maxlength: 64 }, state)}
  ${field({ label: 'パスワード', name: 'password', type: 'password', required: true, autocomplete: 'current-password' }, state)}
  ${field({ label: '確認コード（多要素認証を設定している場合）', name: 'totp', hint: '認証アプリに表示される6桁の数字', inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 }, state)}
  ${button('ログイン')}
</form>
<p>アカウントをお持ちでない方は <a href="/apply">アカウントの利用申請</a> を行ってください（アカウント管理者の承認が必要です）。</p>
<p class="hint">共用IDはありません。アカウントは職員一人ひとりに発行されます。</p>
</div>`;

  fastify.get('/login', async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    if (req.session) return reply.redirect('/');
    const next = safeNext((req.query as Record<string, unknown>)['next']);
    return sendPage(reply, page(ctx, 'ログイン', loginForm(ctx.csrf, next)));
  });

  fastify.post(
    '/login',
    { config: { rateLimit: opts.loginRateLimit }, preHandler: fastify.csrfProtection },
    async (req, reply) => {
      const body = (req.body ?? {}) as Form;
      const next = safeNext(one(body['next']));
      const r = await attempt(() => login(app.db, app.tenantKeys, { tenant: one(body['tenant']) ?? '', loginId: one(body['loginId']) ?? '', password: one(body['password']) ?? '', totp: one(body['totp']) }, metaOf(req)));
      if (r.ok && r.value.ok) {
        reply.setCookie(SESSION_COOKIE, r.value.cookie, sessionCookieOptions(opts.secureCookies));
        return reply.redirect(r.value.mustChangePassword ? '/password' : r.value.mustEnrollMfa ? '/mfa' : next);
      }
      const problem = r.ok ? (r.value.ok ? null : r.value.problem)! : r.problem;
      const ctx = await pageContext(app, req, reply);
      const state = formState(body, problem);
      return sendPage(reply, page(ctx, 'ログイン', loginForm(ctx.csrf, next, state)), problem.status);
    },
  );

  fastify.post('/logout', { preHandler: fastify.csrfProtection }, async (req, reply) => {
    if (req.session) await logout(app.db, req.session, metaOf(req));
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    setFlash(reply, 'ログアウトしました。');
    return reply.redirect('/login');
  });

  // ------------------------------------------------------------------ self-application (KRN-18)
  const applyForm = (csrf: string, state?: FormState) => html`
${errorSummary(state)}
<form method="post" action="/apply" novalidate>
  ${csrfField(csrf)}
  <section class="card"><h2>申請者</h2>
  ${field({ label: '団体コード', name: 'tenant', required: true, hint: '所属する地方公共団体のコード（6桁）', inputmode: 'numeric', maxlength: 13 }, state)}
  ${select({ label: '種別', name: 'kind', options: [['staff', '職員'], ['contractor', '委託先事業者の従事者']] }, state)}
  ${field({ label: '氏名', name: 'fullName', required: true, maxlength: 50 }, state)}
  ${field({ label: '氏名（カナ）', name: 'fullNameKana', hint: '全角カタカナ', maxlength: 50 }, state)}
  ${field({ label: '所属', name: 'department', hint: '例：健康福祉部 保健予防課', maxlength: 100 }, state)}
  ${field({ label: 'メールアドレス', name: 'email', type: 'email', maxlength: 254 }, state)}
  ${field({ label: '委託先事業者名', name: 'contractorCompany', hint: '委託先の従事者のみ', maxlength: 100 }, state)}
  ${field({ label: '契約終了日', name: 'contractEnd', type: 'date', hint: '委託先の従事者のみ。アカウントの有効期限はこの日を超えられません' }, state)}
  </section>
  <section class="card"><h2>希望する権限</h2>
  ${select({ label: '役割', name: 'requestedRole', options: roleOptions(), required: true, value: 'clerk' }, state)}
  ${checkboxes({ legend: '所掌事務', name: 'requestedDuties', options: dutyOptions(), hint: '担当する事務だけを選んでください（必要最小限の権限）' }, state)}
  ${textarea({ label: 'アクセスする必要性（申請理由）', name: 'reason', required: true, rows: 3 }, state)}
  </section>
  <section class="card"><h2>ログイン情報</h2>
  ${field({ label: '希望するログインID', name: 'loginId', required: true, hint: '英小文字・数字で始まる3〜32文字（英小文字・数字・. _ -）', maxlength: 32 }, state)}
  ${field({ label: 'パスワード', name: 'password', type: 'password', required: true, hint: '12文字以上、英小文字・英大文字・数字・記号のうち3種類以上', autocomplete: 'new-password' }, state)}
  ${field({ label: 'パスワード（確認）', name: 'passwordConfirm', type: 'password', required: true, autocomplete: 'new-password' }, state)}
  </section>
  ${button('申請する')}
</form>`;

  fastify.get('/apply', async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, 'アカウントの利用申請', applyForm(ctx.csrf)));
  });

  fastify.post('/apply', { config: { rateLimit: opts.loginRateLimit }, preHandler: fastify.csrfProtection }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const r = await attempt(async () => {
      const tenant = (one(body['tenant']) ?? '').trim();
      if (!tenant) throw invalidField('tenant', 'REQUIRED', '団体コードを入力してください');
      await requireTenant(app.db, tenant);
      if ((one(body['password']) ?? '') !== (one(body['passwordConfirm']) ?? '')) throw invalidField('passwordConfirm', 'PASSWORD_MISMATCH', '確認用のパスワードが一致しません');
      return runAs(app.db, { tenant, actor: anonymousActor, meta: metaOf(req) }, (w) =>
        applyForAccountSelf(w, {
          loginId: one(body['loginId']) ?? '',
          kind: one(body['kind']) ?? 'staff',
          fullName: one(body['fullName']) ?? '',
          fullNameKana: one(body['fullNameKana']),
          department: one(body['department']),
          email: one(body['email']),
          contractorCompany: one(body['contractorCompany']),
          contractEnd: one(body['contractEnd']) || undefined,
          requestedRole: one(body['requestedRole']) ?? '',
          requestedDuties: many(body['requestedDuties']),
          reason: one(body['reason']) ?? '',
          password: one(body['password']) ?? '',
        }),
      );
    });
    const ctx = await pageContext(app, req, reply);
    if (!r.ok) return sendPage(reply, page(ctx, 'アカウントの利用申請', applyForm(ctx.csrf, formState(body, r.problem))), r.problem.status);
    return sendPage(
      reply,
      page(ctx, '申請を受け付けました', html`${notice(html`ログインID <strong>${r.value.loginId}</strong>: ${r.value.message}`, 'success')}<p><a href="/login">ログイン画面へ</a></p>`),
    );
  });

  // ------------------------------------------------------------------ password change (KRN-22)
  const passwordForm = (csrf: string, forced: boolean, state?: FormState) => html`
<div class="narrow">
${forced ? notice('初期パスワードまたは有効期限を過ぎたパスワードです。新しいパスワードを設定してください。', 'warning') : ''}
${errorSummary(state)}
<form method="post" action="/password" novalidate>
  ${csrfField(csrf)}
  ${field({ label: '現在のパスワード', name: 'currentPassword', type: 'password', required: true, autocomplete: 'current-password' }, state)}
  ${field({ label: '新しいパスワード', name: 'newPassword', type: 'password', required: true, autocomplete: 'new-password', hint: '12文字以上、英小文字・英大文字・数字・記号のうち3種類以上。ログインIDや直近のパスワードは使えません' }, state)}
  ${field({ label: '新しいパスワード（確認）', name: 'newPasswordConfirm', type: 'password', required: true, autocomplete: 'new-password' }, state)}
  ${button('変更する')}
</form></div>`;

  fastify.get('/password', { preHandler: needLogin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, 'パスワードの変更', passwordForm(ctx.csrf, !!req.session?.mustChangePassword)));
  });

  fastify.post('/password', { preHandler: [needLogin, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const r = await attempt(async () => {
      if ((one(body['newPassword']) ?? '') !== (one(body['newPasswordConfirm']) ?? '')) throw invalidField('newPasswordConfirm', 'PASSWORD_MISMATCH', '確認用のパスワードが一致しません');
      await work(app.db, req, (w) => changePassword(w, { currentPassword: one(body['currentPassword']) ?? '', newPassword: one(body['newPassword']) ?? '' }));
    });
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, 'パスワードの変更', passwordForm(ctx.csrf, !!req.session?.mustChangePassword, formState(body, r.problem))), r.problem.status);
    }
    setFlash(reply, 'パスワードを変更しました。');
    return reply.redirect('/');
  });

  // ------------------------------------------------------------------ TOTP enrolment (KRN-23)
  fastify.get('/mfa', { preHandler: needLogin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const { secret, uri } = await work(app.db, req, (w) => beginTotpEnrollment(app.tenantKeys, w, `Mamori ${ctx.orgName ?? ''}`.trim()));
    const svg = await QRCode.toString(uri, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return sendPage(
      reply,
      page(
        ctx,
        '多要素認証（認証アプリ）の設定',
        html`<div class="narrow">
${req.session?.mustEnrollMfa ? notice('この団体では多要素認証が必須です。設定が終わるまで業務画面は使えません。', 'warning') : ''}
<ol>
<li>スマートフォンの認証アプリ（RFC 6238 対応）で次の QR コードを読み取るか、鍵を手入力してください。</li>
<li>アプリに表示された6桁の確認コードを入力してください。</li>
</ol>
<div class="qr" aria-hidden="true">${raw(svg) /* generated by the qrcode library from our own URI */}</div>
<p>鍵（手入力用）: <span class="secret">${secret}</span></p>
<form method="post" action="/mfa" novalidate>
  ${csrfField(ctx.csrf)}
  ${field({ label: '確認コード', name: 'totp', required: true, inputmode: 'numeric', autocomplete: 'one-time-code', maxlength: 6 })}
  ${button('設定を完了する')}
</form></div>`,
      ),
    );
  });

  fastify.post('/mfa', { preHandler: [needLogin, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    try {
      await work(app.db, req, (w) => confirmTotpEnrollment(app.tenantKeys, w, one(body['totp']) ?? ''));
    } catch (e) {
      if (isProblem(e) && e.status === 400) {
        setFlash(reply, `確認コードが正しくありません。新しい QR コードで設定し直してください。`);
        return reply.redirect('/mfa');
      }
      throw e;
    }
    setFlash(reply, '多要素認証を設定しました。次回から確認コードの入力が必要です。');
    return reply.redirect('/');
  });
}

