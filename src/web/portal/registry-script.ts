// The 国家資格の申請 page's script (served as /assets/registry-apply.js; the CSP allows no inline script).
// Reads the form into the JSON of the registry's form (each input's name is its path, e.g. 氏名.姓), opens
// the card's 券面事項入力補助 with the PIN (window.mamoriCard from /assets/card-login.js), builds the document
// of docs/formats/registry-protocol.md with the SHA-256 of each attachment, signs its canonical JSON with the
// 署名用 key and posts {document, certPem, signature, attachments}.  A refusal's items are shown next to
// their inputs, by their labels.
export const REGISTRY_APPLY_JS = String.raw`(function () {
  'use strict';
  var form = document.getElementById('registry-form');
  if (!form) return;
  var msg = document.getElementById('card-message');
  var summary = document.getElementById('registry-errors');
  var button = form.querySelector('button[type=submit]');
  function show(text) { msg.textContent = text; msg.hidden = !text; if (text) msg.focus(); }
  function canonical(v) {
    if (Array.isArray(v)) return v.map(canonical);
    if (v && typeof v === 'object') {
      var out = {};
      Object.keys(v).sort().forEach(function (k) { if (v[k] !== undefined) out[k] = canonical(v[k]); });
      return out;
    }
    return v;
  }
  function setPath(obj, path, value) {
    var keys = path.split('.');
    var o = obj;
    for (var i = 0; i < keys.length - 1; i++) { if (!o[keys[i]] || typeof o[keys[i]] !== 'object') o[keys[i]] = {}; o = o[keys[i]]; }
    o[keys[keys.length - 1]] = value;
  }
  function prune(o) {
    Object.keys(o).forEach(function (k) {
      if (o[k] && typeof o[k] === 'object') { prune(o[k]); if (Object.keys(o[k]).length === 0) delete o[k]; }
    });
    return o;
  }
  function readForm() {
    var out = {};
    form.querySelectorAll('[data-field] input, [data-field] select').forEach(function (el) {
      var type = el.dataset.type;
      if (el.type === 'radio') { if (el.checked) setPath(out, el.name, el.value === 'true'); return; }
      var v = String(el.value || '').trim();
      if (!v) return;
      setPath(out, el.name, type === 'number' ? Number(v.replace(/[０-９]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xfee0); })) : v);
    });
    prune(out);
    out.qualification = form.dataset.qualification;
    out.procedure = form.dataset.procedure;
    return out;
  }
  function hex(buf) { return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ('0' + b.toString(16)).slice(-2); }).join(''); }
  function b64(buf) { var bytes = new Uint8Array(buf); var bin = ''; for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]); return btoa(bin); }
  function clearErrors() {
    summary.hidden = true;
    summary.querySelector('ul').innerHTML = '';
    form.querySelectorAll('[data-field]').forEach(function (d) { d.classList.remove('field--error'); var p = d.querySelector('.error-text'); p.hidden = true; p.textContent = ''; });
  }
  function labelOf(field) {
    var d = form.querySelector('[data-field="' + (window.CSS && CSS.escape ? CSS.escape(field) : field) + '"]');
    if (!d) return null;
    var l = d.querySelector('label, legend');
    return { box: d, label: l ? l.textContent.replace('必須', '').trim() : field };
  }
  function showProblem(p) {
    var items = (p.errors || []).map(function (e) {
      var f = labelOf(e.field);
      if (f) { f.box.classList.add('field--error'); var t = f.box.querySelector('.error-text'); t.textContent = e.message; t.hidden = false; }
      return (f ? '「' + f.label + '」' : '') + e.message;
    });
    var ul = summary.querySelector('ul');
    ul.innerHTML = '';
    (items.length ? items : [(p.title || 'エラーが発生しました') + (p.detail ? '　' + p.detail : '')]).forEach(function (t) { var li = document.createElement('li'); li.textContent = t; ul.appendChild(li); });
    summary.hidden = false;
    summary.focus();
  }
  form.addEventListener('submit', async function (ev) {
    ev.preventDefault();
    show('');
    clearErrors();
    var card = form.querySelector('input[name=card]').files[0];
    var pinInput = form.querySelector('input[name=pin]');
    var pin = pinInput.value;
    if (!card) { show('マイナンバーカードのファイルを選んでください。'); return; }
    if (!/^[0-9]{4}$/.test(pin)) { show('暗証番号は数字4桁で入力してください。'); return; }
    button.disabled = true;
    try {
      var cardText = await card.text();
      var files = Array.prototype.slice.call(form.querySelector('input[name=attachments]').files || []);
      var metas = [], wire = [];
      for (var i = 0; i < files.length; i++) {
        var buf = await files[i].arrayBuffer();
        var type = files[i].type || (/\.pdf$/i.test(files[i].name) ? 'application/pdf' : 'image/jpeg');
        var label = files[i].name.slice(0, 100);
        metas.push({ label: label, mediaType: type, size: buf.byteLength, sha256: hex(await crypto.subtle.digest('SHA-256', buf)) });
        wire.push({ label: label, mediaType: type, content: b64(buf) });
      }
      var kenmen, signed, doc;
      try {
        kenmen = await window.mamoriCard.readKenmen(cardText, pin);
        doc = { format: 'mamori-registry-application/1', qualification: form.dataset.qualification, procedure: form.dataset.procedure, form: readForm(), kenmen: kenmen, attachments: metas };
        if (form.dataset.applicationId) doc.applicationId = form.dataset.applicationId;
        var text = JSON.stringify(canonical(doc));
        signed = await window.mamoriCard.signDocument(cardText, pin, text);
      } catch (e) {
        if (e && e.code === 'CARD_PIN_WRONG') pinInput.value = '';
        show(e && e.message ? e.message : 'カードのファイルを読み取れませんでした。');
        return;
      }
      var res = await fetch(form.dataset.submit, {
        method: 'POST', credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': form.dataset.csrf },
        body: JSON.stringify({ document: text, certPem: signed.certPem, signature: signed.signature, attachments: wire }),
      });
      var body = await res.json().catch(function () { return {}; });
      if (!res.ok) { showProblem(body); return; }
      window.location.assign(body.next || '/registry');
    } catch (e) {
      show('通信に失敗しました。時間をおいてもう一度お試しください。');
    } finally {
      button.disabled = false;
    }
  });
})();
`;
