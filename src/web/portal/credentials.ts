// デジタル資格証 in the resident portal (issue 16 Must have 1 and 2; QUA-23, QUA-24; decisions 0206–0208;
// routes: docs/formats/portal-routes.md).  After card login the holder reads what is agreed to, ticks 同意 and
// signs a request with the card file and PIN in the page (/assets/registry-credentials.js: the 券面事項入力補助
// is opened in the browser and goes, inside the signed request, to the registry which finds the holder's
// entries itself).  The credentials come back to the page and are shown as wallet-style cards; the portal keeps
// none of them.  In the page the holder chooses the items to disclose: the presentation (the credential with only
// those disclosures) is made in the browser, shown as a QR code of the registry's verifier page and offered for
// download, and a one-time confirmation link for an employer can be made from the same choice (signed again with
// the card).  「確認の記録」 lists the holder's links and every opening.
import type { FastifyInstance } from 'fastify';
import QRCode from 'qrcode';
import { z } from 'zod';
import type { MynaPortal } from '../../app/index.js';
import { formatJst, formatWareki } from '../../kernel/jp/index.js';
import { parseInput } from '../../kernel/problems/index.js';
import { CONFIRMATION_CONSENT_TEXT, CONFIRMATION_MAX_DAYS, CREDENTIAL_CONSENT_TEXT, HOLDER_REQUEST_FORMAT } from '../../registry/index.js';
import { html } from '../ui/index.js';
import type { RegistryPageHelpers } from './registry.js';

/** An instant as people read it: 和暦 date and JST time (令和8年11月21日 10:00). */
const jpWhen = (iso: string): string => {
  const j = formatJst(new Date(iso));
  return `${formatWareki(j.slice(0, 10))} ${j.slice(11, 16)}`;
};

const CLAIMS = ['資格名', '登録番号', '登録年月日', '氏名', '生年月日'] as const;
const qrInput = z.object({ text: z.string().min(1).max(4000, { message: '提示データが大きすぎます' }) }).strict();

export function registerCredentialPages(f: FastifyInstance, portal: MynaPortal, h: RegistryPageHelpers): void {
  const home = { href: '/home', label: 'ホームへ戻る' };

  f.get('/registry/credentials', async (req, reply) => {
    const s = h.need(req, reply);
    if (!s) return reply;
    return h.send(req, reply, 'デジタル資格証', html`
<section class="card" id="wallet-consent">
  <p>お持ちの国家資格のデジタル資格証を受け取ります。スマートフォンやパソコンに保存し、勤務先などに資格を示すときに、示す項目を選んで提示できます。</p>
  <h2>同意の内容</h2>
  <p class="consent-text">${CREDENTIAL_CONSENT_TEXT}</p>
  <form id="wallet-form" data-csrf="${h.csrfOf(reply)}" data-format="${HOLDER_REQUEST_FORMAT}" data-consent="${CREDENTIAL_CONSENT_TEXT}" data-confirm-consent="${CONFIRMATION_CONSENT_TEXT}" novalidate>
    <p><label class="check"><input type="checkbox" id="f-consent" name="consent" value="on"> 上記の内容に同意します</label></p>
    <div class="field"><label for="f-card">マイナンバーカードのファイル</label><input type="file" id="f-card" name="card"></div>
    <div class="field"><label for="f-pin">暗証番号（署名用・数字4桁）</label><input type="password" id="f-pin" name="pin" inputmode="numeric" pattern="[0-9]{4}" maxlength="4" autocomplete="off"></div>
    <p id="card-message" class="message" role="alert" tabindex="-1" hidden></p>
    <button type="submit" class="btn btn--primary btn--block">同意してデジタル資格証を受け取る</button>
  </form>
</section>
<div id="wallet" aria-live="polite"></div>
<template id="wallet-card">
  <section class="card wallet-card">
    <div class="wallet-card__face">
      <p class="wallet-card__issuer" data-k="issuerName"></p>
      <p class="wallet-card__title" data-k="qualificationName"></p>
      <dl class="dl">
        <dt>登録番号</dt><dd data-k="number"></dd>
        <dt>登録年月日</dt><dd data-k="registeredOnLabel"></dd>
        <dt>氏名</dt><dd data-k="name"></dd>
        <dt>有効期限</dt><dd data-k="expiresLabel"></dd>
      </dl>
    </div>
    <fieldset class="section"><legend><h3>提示する項目</h3></legend>
      <div class="options">${CLAIMS.map((c) => html`<label class="check"><input type="checkbox" name="claim" value="${c}"${c === '資格名' || c === '登録番号' ? html` checked` : ''}> ${c}</label> `)}</div>
    </fieldset>
    <div class="qr" role="img" aria-label="提示用のQRコード"></div>
    <p class="hint">このQRコードを相手に読み取ってもらうと、選んだ項目だけが資格の確認ページに表示されます。</p>
    <p><a class="btn btn--secondary" data-download="credential" download>資格証をダウンロード</a> <a class="btn btn--secondary" data-download="presentation" download>提示データをダウンロード</a> <a class="btn btn--secondary" data-k="verifyLink" target="_blank" rel="noopener">確認ページで見る</a></p>
    <details class="confirm-link"><summary>勤務先などへの確認用リンクを作る</summary>
      <p class="hint">選んだ項目と資格の現在の状態を、1回だけ見られるリンクを作ります（最長${String(CONFIRMATION_MAX_DAYS)}日）。作成にはもう一度カードで署名します。</p>
      <p class="consent-text">${CONFIRMATION_CONSENT_TEXT}</p>
      <div class="field"><label>提供先（勤務先の名前など）<input type="text" name="recipient" maxlength="100"></label></div>
      <div class="field"><label>有効期限<select name="days">${Array.from({ length: CONFIRMATION_MAX_DAYS }, (_, i) => i + 1).map((d) => html`<option value="${String(d)}"${d === CONFIRMATION_MAX_DAYS ? html` selected` : ''}>${String(d)}日</option>`)}</select></label></div>
      <p><label class="check"><input type="checkbox" name="confirm-consent" value="on"> 上記の内容に同意します</label></p>
      <button type="button" class="btn btn--primary" data-action="confirm">同意して確認用リンクを作る</button>
      <p class="message" data-k="confirmMessage" role="status" hidden></p>
    </details>
  </section>
</template>
<p><a href="/registry/confirmations">確認の記録を見る</a></p>
<script src="/assets/card-login.js"></script>
<script src="/assets/registry-credentials.js"></script>`, home);
  });

  f.post('/registry/credentials', { preHandler: f.csrfProtection }, async (req) => {
    const r = await portal.registryCredentials(h.needJson(req), req.body as never);
    return {
      verifyUrl: portal.registryVerifyUrl(),
      credentials: r.credentials.map((c) => ({ ...c, registeredOnLabel: formatWareki(c.registeredOn), expiresLabel: `${jpWhen(c.expiresAt)}まで` })),
      notIssued: r.notIssued,
    };
  });

  f.get('/registry/credentials/clock.json', async (req) => {
    h.needJson(req);
    return { now: portal.clock.now().toISOString() };
  });

  f.post('/registry/credentials/qr', { preHandler: f.csrfProtection }, async (req) => {
    h.needJson(req);
    const { text } = parseInput(qrInput, req.body);
    return { svg: await QRCode.toString(text, { type: 'svg', margin: 4, errorCorrectionLevel: 'L' }) };
  });

  f.post('/registry/confirmations', { preHandler: f.csrfProtection }, async (req) => {
    const c = await portal.registryConfirmationCreate(h.needJson(req), req.body as never);
    return { url: c.url, expiresLabel: `${jpWhen(c.expiresAt)}まで`, claims: c.claims, qualificationName: c.qualificationName, number: c.number };
  });

  f.get('/registry/confirmations', async (req, reply) => {
    const s = h.need(req, reply);
    if (!s) return reply;
    const links = await portal.registryConfirmations(s);
    return h.send(req, reply, '確認の記録', html`
<p>勤務先などのために作った確認用リンクと、それが開かれた記録です（全${String(links.length)}件）。</p>
${links.length ? links.map((l) => html`<section class="card"><h2>${l.qualificationName}（登録番号 ${String(l.number)}）</h2>
<dl class="dl"><dt>提供先</dt><dd>${l.recipient}</dd><dt>提供する項目</dt><dd>${l.claims.join('、')}</dd>
<dt>作成日時</dt><dd>${jpWhen(l.createdAt)}</dd><dt>有効期限</dt><dd>${jpWhen(l.expiresAt)}</dd>
<dt>状態</dt><dd>${l.openedAt ? `開かれました（${jpWhen(l.openedAt)}）` : '未使用'}</dd></dl>
<table class="table"><thead><tr><th scope="col">日時</th><th scope="col">記録</th></tr></thead><tbody>${l.events.map((e) => html`<tr><td>${jpWhen(e.at)}</td><td>${e.label}</td></tr>`)}</tbody></table></section>`) : html`<p>確認用リンクはまだありません。</p>`}
<p><a href="/registry/credentials">デジタル資格証へ戻る</a></p>`, home);
  });
}
