// The デジタル資格証 page's script (served as /assets/registry-credentials.js; the CSP allows no inline script;
// issue 16, decision 0206).  With 同意 ticked it opens the card's 券面事項入力補助 with the PIN
// (window.mamoriCard from /assets/card-login.js), signs the holder request (docs/formats/verify.md) with the
// 署名用 key and posts it; the credentials that come back are shown as cards (kept only in this page).  The
// presentation is made here: the credential's issuer-signed part with only the disclosures of the chosen items
// (SD-JWT: `<jwt>~<disclosure>~…~`), shown as a QR code of the verifier page's URL (the presentation in the
// fragment, never sent to a server by opening it) and offered for download.  A confirmation link for an
// employer is a second signed request with the chosen items.
export const REGISTRY_CREDENTIALS_JS = String.raw`(function () {
  'use strict';
  var form = document.getElementById('wallet-form');
  if (!form) return;
  var msg = document.getElementById('card-message');
  var wallet = document.getElementById('wallet');
  var tpl = document.getElementById('wallet-card');
  var verifyUrl = '';
  function show(text) { msg.textContent = text; msg.hidden = !text; if (text) msg.focus(); }
  function canonical(v) {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') { var out = {}; Object.keys(v).sort().forEach(function (k) { if (v[k] !== undefined) out[k] = canonical(v[k]); }); return out; }
    return v;
  }
  function post(url, body) {
    return fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': form.dataset.csrf }, body: JSON.stringify(body) })
      .then(function (res) { return res.json().catch(function () { return {}; }).then(function (b) { return { ok: res.ok, body: b }; }); });
  }
  function problemText(p) { return (p.title || 'エラーが発生しました') + (p.detail ? '　' + p.detail : ''); }
  async function signedRequest(purpose, consent, extra) {
    var card = form.querySelector('input[name=card]').files[0];
    var pin = form.querySelector('input[name=pin]').value;
    if (!card) throw new Error('マイナンバーカードのファイルを選んでください。');
    if (!/^[0-9]{4}$/.test(pin)) throw new Error('暗証番号は数字4桁で入力してください。');
    var cardText = await card.text();
    var kenmen = await window.mamoriCard.readKenmen(cardText, pin);
    // The request's time is the portal's (the registry checks it against its own clock, not the device's).
    var now = await fetch('/registry/credentials/clock.json', { credentials: 'same-origin' }).then(function (r) { return r.json(); });
    var doc = { format: form.dataset.format, purpose: purpose, consent: consent, requestedAt: now.now, kenmen: kenmen };
    if (extra) doc.confirmation = extra;
    var text = JSON.stringify(canonical(doc));
    var signed = await window.mamoriCard.signDocument(cardText, pin, text);
    return { document: text, certPem: signed.certPem, signature: signed.signature };
  }
  function b64uText(s) {
    var b = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    var bytes = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) bytes[i] = b.charCodeAt(i);
    return new TextDecoder().decode(bytes);
  }
  function presentation(credential, names) {
    var parts = credential.split('~');
    var jwt = parts[0];
    var chosen = parts.slice(1).filter(function (d) {
      if (!d) return false;
      try { var a = JSON.parse(b64uText(d)); return names.indexOf(a[1]) >= 0; } catch (e) { return false; }
    });
    return jwt + '~' + chosen.map(function (d) { return d + '~'; }).join('');
  }
  function download(a, name, text) {
    if (a.href && a.href.indexOf('blob:') === 0) URL.revokeObjectURL(a.href);
    a.href = URL.createObjectURL(new Blob([text], { type: 'application/dc+sd-jwt' }));
    a.setAttribute('download', name);
  }
  function render(c) {
    var node = tpl.content.firstElementChild.cloneNode(true);
    node.dataset.qualification = c.qualification;
    node.dataset.number = String(c.number);
    node.querySelectorAll('[data-k]').forEach(function (el) { var v = c[el.dataset.k]; if (v !== undefined) el.textContent = String(v); });
    var qr = node.querySelector('.qr');
    var link = node.querySelector('[data-k=verifyLink]');
    link.textContent = '確認ページで見る';
    function names() { return Array.prototype.map.call(node.querySelectorAll('input[name=claim]:checked'), function (x) { return x.value; }); }
    async function refresh() {
      var vp = presentation(c.credential, names());
      var url = verifyUrl + '#vp=' + vp;
      link.href = url;
      download(node.querySelector('[data-download=credential]'), '資格証-' + c.number + '.txt', c.credential);
      download(node.querySelector('[data-download=presentation]'), '提示データ-' + c.number + '.txt', vp);
      var r = await post('/registry/credentials/qr', { text: url });
      if (r.ok) { qr.innerHTML = r.body.svg; qr.dataset.presentation = vp; }
    }
    node.querySelectorAll('input[name=claim]').forEach(function (x) { x.addEventListener('change', refresh); });
    var cmsg = node.querySelector('[data-k=confirmMessage]');
    node.querySelector('[data-action=confirm]').addEventListener('click', async function (ev) {
      var btn = ev.target;
      cmsg.hidden = true;
      cmsg.className = 'message';
      if (!node.querySelector('input[name=confirm-consent]').checked) { cmsg.textContent = '同意の内容を確認し、チェックを入れてください。'; cmsg.hidden = false; return; }
      var chosen = names();
      if (!chosen.length) { cmsg.textContent = '提示する項目を1つ以上選んでください。'; cmsg.hidden = false; return; }
      btn.disabled = true;
      try {
        var body = await signedRequest('confirmation', form.dataset.confirmConsent, { qualification: c.qualification, number: c.number, claims: chosen, days: Number(node.querySelector('select[name=days]').value), recipient: node.querySelector('input[name=recipient]').value.trim() });
        var r = await post('/registry/confirmations', body);
        if (!r.ok) { cmsg.textContent = problemText(r.body); cmsg.hidden = false; return; }
        cmsg.textContent = '';
        cmsg.className = 'notice notice--success';
        var p1 = document.createElement('span'); p1.textContent = '確認用リンクを作りました（' + r.body.expiresLabel + '、1回限り）: ';
        var a = document.createElement('a'); a.href = r.body.url; a.textContent = r.body.url; a.className = 'confirm-url';
        cmsg.appendChild(p1); cmsg.appendChild(a); cmsg.hidden = false;
      } catch (e) {
        cmsg.textContent = e && e.message ? e.message : 'カードのファイルを読み取れませんでした。'; cmsg.hidden = false;
      } finally { btn.disabled = false; }
    });
    wallet.appendChild(node);
    return refresh();
  }
  form.addEventListener('submit', async function (ev) {
    ev.preventDefault();
    show('');
    if (!form.querySelector('#f-consent').checked) { show('同意の内容を確認し、「上記の内容に同意します」にチェックを入れてください。'); return; }
    var button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      var body;
      try { body = await signedRequest('credentials', form.dataset.consent); } catch (e) {
        if (e && e.code === 'CARD_PIN_WRONG') form.querySelector('input[name=pin]').value = '';
        show(e && e.message ? e.message : 'カードのファイルを読み取れませんでした。'); return;
      }
      var r = await post('/registry/credentials', body);
      if (!r.ok) { show(problemText(r.body)); return; }
      verifyUrl = r.body.verifyUrl;
      wallet.innerHTML = '';
      if (!r.body.credentials.length) {
        var p = document.createElement('p'); p.className = 'card'; p.textContent = '発行できる資格が見つかりませんでした。';
        wallet.appendChild(p);
      }
      (r.body.notIssued || []).forEach(function (n) { var p = document.createElement('p'); p.className = 'notice notice--warning'; p.textContent = n.qualificationName + '（登録番号 ' + n.number + '）: ' + n.reason; wallet.appendChild(p); });
      for (var i = 0; i < r.body.credentials.length; i++) await render(r.body.credentials[i]);
      document.getElementById('wallet-consent').querySelector('button[type=submit]').textContent = 'もう一度受け取る';
    } catch (e) {
      show('通信に失敗しました。時間をおいてもう一度お試しください。');
    } finally { button.disabled = false; }
  });
})();
`;
