// The login page's script (served as /assets/portal-login.js; the CSP allows no inline script).  Used by the
// login form and the 代理人の登録 form: fetch a challenge, let the card (window.mamoriCard from
// /assets/card-login.js) sign it with the PIN, post {challengeId, certPem, signature}.
export const PORTAL_LOGIN_JS = String.raw`(function () {
  'use strict';
  var form = document.getElementById('card-form');
  if (!form) return;
  var msg = document.getElementById('card-message');
  var button = form.querySelector('button[type=submit]');
  function show(text) { msg.textContent = text; msg.hidden = !text; if (text) msg.focus(); }
  async function problem(res) {
    try { var p = await res.json(); return (p.title || 'エラーが発生しました') + (p.detail ? '　' + p.detail : ''); }
    catch (e) { return 'エラーが発生しました（' + res.status + '）。'; }
  }
  function certOf(text) {
    var t = String(text).replace(/\\n/g, '\n');
    var m = t.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/);
    return m ? m[0] : null;
  }
  form.addEventListener('submit', async function (ev) {
    ev.preventDefault();
    show('');
    var fileInput = form.querySelector('input[type=file]');
    var pinInput = form.querySelector('input[name=pin]');
    var consent = form.querySelector('input[name=consent]');
    var file = fileInput.files && fileInput.files[0];
    var pin = pinInput.value;
    if (!file) { show('カードのファイルを選んでください。'); return; }
    if (!/^[0-9]{4}$/.test(pin)) { show('暗証番号は数字4桁で入力してください。'); return; }
    if (consent && !consent.checked) { show('同意の内容を確認して、チェックを入れてください。'); return; }
    var headers = { 'content-type': 'application/json', 'x-csrf-token': form.dataset.csrf };
    button.disabled = true;
    try {
      var c = await fetch(form.dataset.challenge, { method: 'POST', headers: headers, body: '{}', credentials: 'same-origin' });
      if (!c.ok) { show(await problem(c)); return; }
      var ch = await c.json();
      var text = await file.text();
      var signed;
      try {
        if (!window.mamoriCard || typeof window.mamoriCard.sign !== 'function') throw new Error('カードを読み取る機能を読み込めませんでした。');
        signed = await window.mamoriCard.sign(text, pin, ch.challenge);
      } catch (e) {
        var pinError = e && (e.code === 'PIN_INCORRECT' || e.code === 'BAD_PIN' || /PIN|暗証番号/.test(String(e.message)));
        var cert = (e && e.certPem) || certOf(text);
        if (pinError) pinInput.value = '';
        if (pinError && cert && form.dataset.pinFailed) {
          var r = await fetch(form.dataset.pinFailed, { method: 'POST', headers: headers, body: JSON.stringify({ challengeId: ch.challengeId, certPem: cert }), credentials: 'same-origin' });
          if (r.ok) {
            var left = await r.json();
            show(left.locked ? '暗証番号を3回続けて間違えたため、このカードはロックされました。お住まいの市区町村の窓口でロックの解除を受けてください。' : '暗証番号が違います。あと' + left.remaining + '回間違えると、このカードはロックされます。');
          } else show(await problem(r));
        } else show(pinError ? '暗証番号が違います。' : 'カードのファイルを読み取れませんでした。' + (e && e.message ? '（' + e.message + '）' : ''));
        return;
      }
      var body = { challengeId: ch.challengeId, certPem: signed.certPem, signature: signed.signature };
      if (consent) body.consent = true;
      var res = await fetch(form.dataset.submit, { method: 'POST', headers: headers, body: JSON.stringify(body), credentials: 'same-origin' });
      if (!res.ok) { show(await problem(res)); return; }
      var done = await res.json();
      window.location.assign(done.next || '/home');
    } catch (e) {
      show('通信に失敗しました。時間をおいてもう一度お試しください。');
    } finally {
      button.disabled = false;
    }
  });
})();
`;

/** Served as /assets/card-login.js until the card branch's asset is present: says the card reader is missing. */
export const CARD_LOGIN_MISSING_JS = `window.mamoriCard = { sign: function () { return Promise.reject(new Error('カードを読み取る機能がこのサーバーにありません。')); } };\n`;
