// 医療機関用アプリ (decision 0153; docs/formats/clinic-app.md): the screens, drawn in the page from the JSON
// API /clinic/v1 (docs/formats/clinic-protocol.md section 2).  Plain DOM: every value goes in with
// textContent, never as HTML.  The card file is read and signed here by window.mamoriCard (card-login.js);
// the PIN is never sent.  Problems from the API are shown next to their fields (errors[].field) or above
// the form — their title, detail and messages, never their codes.
(function () {
  'use strict';
  var body = document.body;
  var BASE = body.dataset.base || '/clinic';
  var API = BASE + '/v1';
  var TODAY = body.dataset.today;
  var main = document.getElementById('main');
  var nav = document.getElementById('nav');
  var who = document.getElementById('who');
  var state = { me: null, csrf: null, products: null, registered: null, opened: null };

  var STATUS = { 'checked-in': '受付済', examined: '本人確認済（診察室）', 'not-vaccinable': '接種不可', vaccinated: '接種済', cancelled: '取消' };
  var STATUS_TONE = { 'checked-in': 'info', examined: 'warn', 'not-vaccinable': 'bad', vaccinated: 'ok', cancelled: 'muted' };
  var METHODS = [['card', 'マイナンバーカード'], ['insurance', '健康保険証'], ['qualification', '資格確認書'], ['boshi', '母子健康手帳'], ['license', '運転免許証'], ['other', 'その他']];
  var ROLE = { reception: '受付', doctor: '医師', admin: '管理者' };
  var SEX = { '1': '男', '2': '女', male: '男', female: '女' };
  var SITES = ['左上腕', '右上腕', '左大腿', '右大腿', '経口', 'その他'];
  var ROUTES = ['皮下注射', '筋肉内注射', '経口', '経皮', '皮内注射', '鼻腔内'];
  var IMPLEMENTATION = [['individual', '個別接種'], ['group', '集団接種']];
  var VACCINATION_CLASS = [['routine', '定期接種'], ['voluntary', '任意接種'], ['temporary', '臨時接種']];

  // ── DOM helpers ───────────────────────────────────────────────────────
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k)) continue;
        var v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else if (k === 'dataset') { for (var d in v) el.dataset[d] = v[d]; }
        else if (v === true) el.setAttribute(k, '');
        else el.setAttribute(k, String(v));
      }
    }
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el) {
    for (var i = 1; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      if (Array.isArray(c)) c.forEach(function (x) { append(el, x); });
      else el.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
  }
  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); }
  function badge(status) { return h('span', { class: 'badge badge--' + (STATUS_TONE[status] || 'muted') }, STATUS[status] || '—'); }

  // ── Dates (和暦 and 西暦; instants shown in JST) ───────────────────────
  var ERAS = [['令和', '2019-05-01'], ['平成', '1989-01-08'], ['昭和', '1926-12-25'], ['大正', '1912-07-30'], ['明治', '1868-01-25']];
  function parts(iso) { var m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(iso || '')); return m ? [+m[1], +m[2], +m[3]] : null; }
  function seireki(iso) { var p = parts(iso); return p ? p[0] + '年' + p[1] + '月' + p[2] + '日' : ''; }
  function wareki(iso) {
    var p = parts(iso);
    if (!p) return '';
    for (var i = 0; i < ERAS.length; i++) {
      if (iso.slice(0, 10) >= ERAS[i][1]) {
        var y = p[0] - +ERAS[i][1].slice(0, 4) + 1;
        return ERAS[i][0] + (y === 1 ? '元' : y) + '年' + p[1] + '月' + p[2] + '日';
      }
    }
    return seireki(iso);
  }
  function bothDates(iso) { return iso ? wareki(iso) + '（' + seireki(iso) + '）' : '—'; }
  /** 満年齢 and 月齢 on `on` (both dates 'YYYY-MM-DD'). */
  function age(birth, on) {
    var b = parts(birth), t = parts(on);
    if (!b || !t) return '';
    var months = (t[0] - b[0]) * 12 + (t[1] - b[1]) - (t[2] < b[2] ? 1 : 0);
    if (months < 0) return '';
    var years = Math.floor(months / 12);
    return years + '歳' + (months % 12) + 'か月（月齢' + months + '）';
  }
  function jstTime(instant) {
    var d = new Date(instant);
    if (isNaN(d.getTime())) return '';
    var j = new Date(d.getTime() + 9 * 3600000).toISOString();
    return wareki(j.slice(0, 10)) + ' ' + j.slice(11, 16);
  }
  function hm(instant) {
    var d = new Date(instant);
    return isNaN(d.getTime()) ? '' : new Date(d.getTime() + 9 * 3600000).toISOString().slice(11, 16);
  }
  function programName(v, code) {
    var d = (v.due || []).filter(function (x) { return x.programCode === code; })[0];
    var hx = (v.history || []).filter(function (x) { return x.programCode === code; })[0];
    return (d && d.name) || (hx && hx.programName) || code;
  }
  function methodLabel(m) { for (var i = 0; i < METHODS.length; i++) if (METHODS[i][0] === m) return METHODS[i][1]; return '—'; }
  function doseLabel(d) { return d === undefined || d === null || d === '' ? '' : /^\d+$/.test(String(d)) ? d + '回目' : String(d); }

  // ── API ───────────────────────────────────────────────────────────────
  function problemOf(status, data) {
    if (data && typeof data === 'object' && (data.title || data.detail)) return data;
    if (status === 0) return { title: '通信できませんでした', detail: 'ネットワークの接続を確認して、もう一度お試しください。' };
    return { title: 'エラーが発生しました', detail: '時間をおいてもう一度お試しください。' };
  }
  async function api(method, path, payload, headers) {
    var hs = { accept: 'application/json' };
    if (payload !== undefined) hs['content-type'] = 'application/json';
    if (method !== 'GET' && state.csrf) hs['x-csrf-token'] = state.csrf;
    if (headers) for (var k in headers) hs[k] = headers[k];
    var res;
    try {
      res = await fetch(API + path, { method: method, headers: hs, body: payload === undefined ? undefined : JSON.stringify(payload), credentials: 'same-origin' });
    } catch (e) {
      return { ok: false, status: 0, problem: problemOf(0, null) };
    }
    var data;
    try { data = await res.json(); } catch (e) { data = null; }
    if (res.ok) return { ok: true, status: res.status, data: data };
    if (res.status === 401 && path !== '/login') {
      state.me = null;
      state.csrf = null;
      window.sessionStorage.removeItem('clinic-csrf');
      go('/login?ended=1', true);
    }
    return { ok: false, status: res.status, problem: problemOf(res.status, data) };
  }

  // ── Errors next to the fields ─────────────────────────────────────────
  /** A field: label, hint, the error slot and the control; `names` are the API's field names it answers for. */
  function field(o, control) {
    var box = h(o.group ? 'fieldset' : 'div', { class: 'field' + (o.class ? ' ' + o.class : ''), dataset: { fields: (o.names || []).join(' ') } });
    var labelText = [o.label, o.required ? h('span', { class: 'req' }, '必須') : null];
    append(box, o.group ? h('legend', null, labelText) : h('label', { for: control.id }, labelText));
    if (o.hint) append(box, h('p', { class: 'hint', id: control.id ? control.id + '-hint' : null }, o.hint));
    append(box, h('p', { class: 'error-text', hidden: true, role: 'alert' }));
    append(box, control);
    return box;
  }
  function setFieldError(box, message) {
    var slot = box.querySelector('.error-text');
    box.classList.toggle('field--error', !!message);
    slot.textContent = message || '';
    slot.hidden = !message;
  }
  function clearErrors(form) {
    form.querySelectorAll('.field').forEach(function (b) { setFieldError(b, ''); });
    var m = form.querySelector('.form-message');
    if (m) { m.hidden = true; clear(m); }
  }
  function formMessage(form) {
    var m = form.querySelector('.form-message');
    if (!m) { m = h('div', { class: 'form-message notice notice--error', role: 'alert', tabindex: '-1', hidden: true }); form.insertBefore(m, form.firstChild); }
    return m;
  }
  /** The field answering for an API field name: the one naming it exactly, else one naming a parent of it. */
  function boxFor(form, name) {
    var boxes = Array.prototype.slice.call(form.querySelectorAll('.field[data-fields]'));
    var named = function (b) { return b.dataset.fields.split(' ').filter(Boolean); };
    var exact = boxes.filter(function (b) { return named(b).indexOf(name) >= 0; })[0];
    if (exact) return exact;
    return boxes.filter(function (b) { return named(b).some(function (n) { return name.indexOf(n + '.') === 0 || name.indexOf(n + '[') === 0; }); })[0] || null;
  }
  /** Shows a problem: each error next to its field; the title and the rest above the form. */
  function plain(text) { return String(text || '').replace(/（[\x20-\x7e]+）/g, '').replace(/\([A-Za-z][\w.:\s]*\)/g, ''); }
  function showProblem(form, p) {
    clearErrors(form);
    var rest = [];
    var first = null;
    (Array.isArray(p.errors) ? p.errors : []).forEach(function (e) {
      var box = e && e.field ? boxFor(form, String(e.field)) : null;
      var msg = e && e.message ? plain(e.message) : '入力内容を確認してください。';
      if (box) { setFieldError(box, msg); first = first || box; } else rest.push(msg);
    });
    var m = formMessage(form);
    clear(m);
    append(m, h('p', { class: 'form-message__title' }, plain(p.title) || 'エラーが発生しました'));
    if (p.detail) append(m, h('p', null, plain(p.detail)));
    if (rest.length) append(m, h('ul', null, rest.map(function (r) { return h('li', null, r); })));
    m.hidden = false;
    var focusEl = first ? first.querySelector('input, select, textarea') : null;
    if (focusEl && !focusEl.disabled) focusEl.focus(); else m.focus();
  }

  // ── Frame, navigation ─────────────────────────────────────────────────
  function go(path, replace) {
    var url = path.indexOf(BASE) === 0 ? path : BASE + path;
    if (replace) window.history.replaceState(null, '', url); else window.history.pushState(null, '', url);
    void render();
  }
  window.addEventListener('popstate', function () { void render(); });
  document.addEventListener('click', function (ev) {
    var a = ev.target && ev.target.closest ? ev.target.closest('a[data-nav]') : null;
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    ev.preventDefault();
    go(a.getAttribute('href'));
  });
  function link(path, text, cls) { return h('a', { href: BASE + path, dataset: { nav: '1' }, class: cls || null }, text); }
  function isDoctor() { return state.me && (state.me.user.role === 'doctor' || state.me.user.role === 'admin'); }

  function frame(title, current) {
    document.title = title + ' | 医療機関用アプリ';
    clear(who);
    clear(nav);
    if (state.me) {
      append(who, h('span', { class: 'who__inst' }, state.me.institution.name),
        h('span', { class: 'who__user' }, state.me.user.name + '（' + (ROLE[state.me.user.role] || '') + '）'),
        h('button', { type: 'button', class: 'btn btn--secondary', id: 'logout', onclick: logout }, 'ログアウト'));
      var items = [['/reception', '受付'], ['/visits', '本日の受付一覧']];
      append(nav, h('ul', null, items.map(function (it) {
        return h('li', null, h('a', { href: BASE + it[0], dataset: { nav: '1' }, 'aria-current': current === it[0] ? 'page' : null }, it[1]));
      })));
      nav.hidden = false;
    } else nav.hidden = true;
    clear(main);
    append(main, h('h1', null, title));
    window.scrollTo(0, 0);
    return main;
  }
  async function logout() {
    await api('POST', '/logout', {});
    state.me = null;
    state.csrf = null;
    window.sessionStorage.removeItem('clinic-csrf');
    go('/login', true);
  }

  async function session() {
    if (state.me) return state.me;
    var r = await fetch(API + '/me', { headers: { accept: 'application/json' }, credentials: 'same-origin' }).catch(function () { return null; });
    if (!r || !r.ok) return null;
    var me = await r.json();
    state.me = me;
    state.csrf = me.csrf || window.sessionStorage.getItem('clinic-csrf');
    return me;
  }

  async function render() {
    var path = window.location.pathname.slice(BASE.length) || '/';
    var q = new window.URLSearchParams(window.location.search);
    if (path === '/login') { if (await session()) return go('/reception', true); return loginScreen(q); }
    if (!(await session())) return go('/login', true);
    if (path === '/' || path === '/reception') return receptionScreen();
    if (path === '/visits') return visitsScreen(q);
    var m = /^\/visits\/([^/]+)(\/done)?$/.exec(path);
    if (m) return m[2] ? doneScreen(decodeURIComponent(m[1])) : examScreen(decodeURIComponent(m[1]));
    frame('ページが見つかりません');
    append(main, h('p', null, 'お探しの画面は見つかりませんでした。'), h('p', null, link('/reception', '受付へ戻る')));
  }

  // ── ログイン ──────────────────────────────────────────────────────────
  function loginScreen(q) {
    frame('ログイン');
    var code = h('input', { type: 'text', id: 'l-code', name: 'institutionCode', inputmode: 'numeric', maxlength: '10', autocomplete: 'organization', required: true });
    var user = h('input', { type: 'text', id: 'l-user', name: 'userId', autocomplete: 'username', autocapitalize: 'off', required: true });
    var pass = h('input', { type: 'password', id: 'l-pass', name: 'password', autocomplete: 'current-password', required: true });
    var button = h('button', { type: 'submit', class: 'btn btn--primary btn--large' }, 'ログインする');
    var form = h('form', { class: 'card narrow', id: 'login-form', novalidate: true },
      q.get('ended') ? h('p', { class: 'notice' }, 'ログインの有効期限が切れました。もう一度ログインしてください。') : null,
      field({ label: '医療機関コード', hint: '10桁の数字', required: true, names: ['institutionCode'] }, code),
      field({ label: '利用者ID', required: true, names: ['userId'] }, user),
      field({ label: 'パスワード', required: true, names: ['password'] }, pass),
      h('div', { class: 'actions' }, button));
    form.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      clearErrors(form);
      button.disabled = true;
      var r = await api('POST', '/login', { institutionCode: code.value.trim(), userId: user.value.trim(), password: pass.value });
      button.disabled = false;
      if (!r.ok) { pass.value = ''; return showProblem(form, r.problem); }
      state.me = r.data;
      state.csrf = r.data.csrf;
      window.sessionStorage.setItem('clinic-csrf', r.data.csrf);
      go('/reception', true);
    });
    append(main, form);
    code.focus();
  }

  // ── 受付 ─────────────────────────────────────────────────────────────
  function choice(name, options, checked, idPrefix) {
    return h('div', { class: 'tiles' }, options.map(function (o) {
      return h('label', { class: 'tile' }, h('input', { type: 'radio', name: name, value: o[0], id: idPrefix + o[0], checked: o[0] === checked }), h('span', null, o[1]));
    }));
  }
  function checkedValue(form, name) { var el = form.querySelector('input[name="' + name + '"]:checked'); return el ? el.value : ''; }
  /** The identity-check part of a form (PMH-14): the method tiles and the note for その他. */
  function identityFields(idPrefix, names) {
    var note = h('input', { type: 'text', id: idPrefix + 'note', name: 'note', maxlength: '200' });
    var tiles = choice('method', METHODS, null, idPrefix + 'm-');
    var noteBox = field({ label: '確認した書類など', required: true, names: [names + '.note', 'note'] }, note);
    noteBox.hidden = true;
    tiles.addEventListener('change', function () {
      var other = !!tiles.querySelector('input[value=other]:checked');
      noteBox.hidden = !other;
      if (other) note.focus();
    });
    return [field({ label: '本人確認の方法', group: true, required: true, names: [names + '.method', names, 'method'] }, tiles), noteBox];
  }
  function identityOf(form) {
    var method = checkedValue(form, 'method');
    var note = form.querySelector('input[name=note]').value.trim();
    return note && method === 'other' ? { method: method, note: note } : { method: method };
  }
  function checkIdentity(form, idc, names) {
    if (!idc.method) { setFieldError(boxFor(form, names + '.method'), '本人確認の方法を選んでください。'); return false; }
    if (idc.method === 'other' && !idc.note) { setFieldError(boxFor(form, names + '.note'), '「その他」のときは、確認した書類などを入力してください。'); return false; }
    return true;
  }

  function receptionScreen() {
    frame('受付', '/reception');
    var mode = 'card';
    var file = h('input', { type: 'file', id: 'r-card', name: 'card', accept: '.json,application/json', class: 'file-input' });
    var fileName = h('span', { class: 'file-name', id: 'r-card-name' }, '選ばれていません');
    file.addEventListener('change', function () { fileName.textContent = file.files && file.files[0] ? file.files[0].name : '選ばれていません'; });
    var filePicker = h('div', { class: 'file-picker' }, file, h('label', { for: 'r-card', class: 'btn btn--secondary' }, 'ファイルを選ぶ'), fileName);
    var pin = h('input', { type: 'password', id: 'r-pin', name: 'pin', inputmode: 'numeric', maxlength: '4', pattern: '[0-9]{4}', autocomplete: 'off', class: 'pin' });
    var qr = h('input', { type: 'text', id: 'r-qr', name: 'qr', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', class: 'scan' });
    var consent = h('input', { type: 'checkbox', id: 'r-consent', name: 'consent' });
    var cardPart = h('div', { class: 'mode-part', id: 'r-card-part' },
      field({ label: 'マイナンバーカードのファイル', hint: 'カードリーダーで読み取ったファイルを選んでください。', required: true, names: ['certPem', 'signature', 'card'] }, filePicker),
      field({ label: '暗証番号（数字4桁）', hint: 'ご本人（保護者）に入力していただいてください。3回続けて間違えるとカードがロックされます。', required: true, names: ['pin', 'challengeId'] }, pin),
      field({ label: '同意', required: true, names: ['consent'] }, h('label', { class: 'check check--large' }, consent, h('span', null, 'ご本人（保護者）が、予診票と接種記録をこの医療機関が利用することに同意しました'))));
    var qrPart = h('div', { class: 'mode-part', id: 'r-qr-part', hidden: true },
      field({ label: '予診票のQRコード', hint: 'QRコードを読み取るか、表示された文字を貼り付けてください。', required: true, names: ['qr'] }, qr));
    var button = h('button', { type: 'submit', class: 'btn btn--primary btn--large', id: 'r-submit' }, '受付する');
    var modeTabs = h('div', { class: 'segmented', role: 'radiogroup', 'aria-label': '受付の方法' },
      [['card', 'マイナンバーカードで受付'], ['qr', '予診票のQRコードで受付']].map(function (m) {
        return h('label', { class: 'segment' }, h('input', { type: 'radio', name: 'mode', value: m[0], id: 'r-mode-' + m[0], checked: m[0] === 'card' }), h('span', null, m[1]));
      }));
    var form = h('form', { class: 'card', id: 'reception-form', novalidate: true },
      modeTabs, cardPart, qrPart, h('div', { class: 'identity' }, identityFields('r-', 'identityCheck')), h('div', { class: 'actions' }, button));
    modeTabs.addEventListener('change', function () {
      mode = checkedValue(form, 'mode');
      cardPart.hidden = mode !== 'card';
      qrPart.hidden = mode !== 'qr';
      clearErrors(form);
      (mode === 'qr' ? qr : file).focus();
    });
    // A scanner types the QR text and Enter: that submits the form (the method must be chosen first).
    form.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      clearErrors(form);
      var idc = identityOf(form);
      var ok = true;
      var r;
      if (mode === 'qr') {
        if (!qr.value.trim()) { setFieldError(boxFor(form, 'qr'), 'QRコードを読み取ってください。'); ok = false; }
        if (!checkIdentity(form, idc, 'identityCheck') || !ok) return;
        button.disabled = true;
        r = await api('POST', '/reception/qr', { qr: qr.value.trim(), identityCheck: idc });
      } else {
        var f = file.files && file.files[0];
        if (!f) { setFieldError(boxFor(form, 'card'), 'カードのファイルを選んでください。'); ok = false; }
        if (!/^[0-9]{4}$/.test(pin.value)) { setFieldError(boxFor(form, 'pin'), '暗証番号は数字4桁で入力してください。'); ok = false; }
        if (!consent.checked) { setFieldError(boxFor(form, 'consent'), 'ご本人（保護者）の同意を確認して、チェックを入れてください。'); ok = false; }
        if (!checkIdentity(form, idc, 'identityCheck') || !ok) return;
        button.disabled = true;
        try {
          var c = await api('POST', '/reception/challenge', {});
          if (!c.ok) return showProblem(form, c.problem);
          var signed;
          try {
            if (!window.mamoriCard || typeof window.mamoriCard.sign !== 'function') throw new Error('カードを読み取る機能を読み込めませんでした。');
            signed = await window.mamoriCard.sign(await f.text(), pin.value, c.data.challenge);
          } catch (e) {
            pin.value = '';
            if (e && e.code === 'CARD_PIN_WRONG') { setFieldError(boxFor(form, 'pin'), '暗証番号が違います。もう一度入力していただいてください。'); pin.focus(); }
            else setFieldError(boxFor(form, 'card'), 'カードのファイルを読み取れませんでした。' + (e && e.message ? '（' + e.message + '）' : ''));
            return;
          }
          r = await api('POST', '/reception/card', { challengeId: c.data.challengeId, certPem: signed.certPem, signature: signed.signature, identityCheck: idc, consent: true });
        } finally {
          button.disabled = false;
        }
      }
      button.disabled = false;
      if (!r.ok) return showProblem(form, r.problem);
      state.opened = r.data.visits || [];
      pin.value = '';
      showOpened();
    });
    append(main, h('p', { class: 'lead' }, 'ご本人の確認をしてから、マイナンバーカードまたは予診票のQRコードで受付します。'), form);
  }

  function showOpened() {
    frame('受付しました', '/reception');
    var visits = state.opened || [];
    append(main, h('p', { class: 'notice notice--success', role: 'status' }, visits.length + '件の受付をしました。'));
    var list = h('ul', { class: 'visit-cards', id: 'opened' });
    visits.forEach(function (v) {
      var p = v.person || {};
      append(list, h('li', { class: 'card visit-card' },
        h('div', { class: 'visit-card__head' }, h('span', { class: 'person-name' }, p.name || ''), badge(v.status)),
        h('p', { class: 'kana' }, p.kana || ''),
        h('p', null, '生年月日：' + bothDates(p.birthDate) + '　' + age(p.birthDate, TODAY)),
        h('p', null, '接種予定：' + ((v.due || []).map(function (d) { return (d.name || d.programCode) + ' ' + doseLabel(d.dose); }).join('、') || 'なし')),
        h('div', { class: 'actions' }, isDoctor() ? link('/visits/' + encodeURIComponent(v.visitId), '診察へ進む', 'btn btn--primary btn--large') : null)));
    });
    append(main, list, h('div', { class: 'actions' }, link('/reception', '次の方を受付する', 'btn btn--secondary btn--large'), link('/visits', '本日の受付一覧', 'btn btn--secondary btn--large')));
  }

  // ── 本日の受付一覧 ─────────────────────────────────────────────────────
  async function visitsScreen(q) {
    var date = /^\d{4}-\d{2}-\d{2}$/.test(q.get('date') || '') ? q.get('date') : TODAY;
    var page = Math.max(1, parseInt(q.get('page') || '1', 10) || 1);
    frame(date === TODAY ? '本日の受付一覧' : '受付一覧', '/visits');
    var dateInput = h('input', { type: 'date', id: 'v-date', name: 'date', value: date, max: TODAY });
    var form = h('form', { class: 'filters-row', novalidate: true }, field({ label: '受付日', names: ['date'] }, dateInput), h('button', { type: 'submit', class: 'btn btn--secondary' }, '表示する'));
    form.addEventListener('submit', function (ev) { ev.preventDefault(); go('/visits?date=' + dateInput.value); });
    append(main, form);
    var r = await api('GET', '/visits?date=' + encodeURIComponent(date) + '&page=' + page);
    if (!r.ok) return showProblem(form, r.problem);
    var d = r.data;
    var from = d.total ? (d.page - 1) * d.pageSize + 1 : 0;
    var to = Math.min(d.total, d.page * d.pageSize);
    append(main, h('p', { class: 'pager__count', id: 'v-total' }, wareki(date) + '　全' + d.total + '件' + (d.total ? '（' + from + '〜' + to + '件目）' : '')));
    if (!d.items.length) { append(main, h('p', { class: 'empty' }, 'この日の受付はありません。')); return; }
    var rows = d.items.map(function (v) {
      var p = v.person || {};
      return h('tr', null,
        h('td', { class: 'nowrap' }, hm(v.checkedInAt || v.receivedAt || (v.receptionCheck && v.receptionCheck.at))),
        h('td', null, h('a', { href: BASE + '/visits/' + encodeURIComponent(v.visitId), dataset: { nav: '1' }, class: 'person-link' }, p.name || '—'), h('div', { class: 'kana' }, p.kana || '')),
        h('td', null, wareki(p.birthDate), h('div', { class: 'sub' }, age(p.birthDate, date))),
        h('td', null, v.receptionCheck ? (v.receptionCheck.via === 'qr' ? '予診票QR' : 'カード') + '・' + methodLabel(v.receptionCheck.method) : '—'),
        h('td', null, badge(v.status)));
    });
    append(main, h('div', { class: 'table-wrap' }, h('table', { id: 'visits' },
      h('thead', null, h('tr', null, ['受付時刻', '氏名', '生年月日・年齢', '受付の方法・本人確認', '状態'].map(function (t) { return h('th', { scope: 'col' }, t); }))),
      h('tbody', null, rows))));
    var pages = Math.max(1, Math.ceil(d.total / d.pageSize));
    if (pages > 1) {
      var at = function (n) { return '/visits?date=' + date + '&page=' + n; };
      append(main, h('nav', { class: 'pager', 'aria-label': 'ページ' }, h('ul', { class: 'pager__pages' },
        h('li', null, d.page > 1 ? link(at(d.page - 1), '‹ 前へ') : h('span', { class: 'pager__off' }, '‹ 前へ')),
        h('li', null, h('span', { class: 'pager__current', 'aria-current': 'page' }, d.page + ' / ' + pages)),
        h('li', null, d.page < pages ? link(at(d.page + 1), '次へ ›') : h('span', { class: 'pager__off' }, '次へ ›')))));
    }
  }

  // ── 診察 ─────────────────────────────────────────────────────────────
  /** The questionnaire's answers as [{label, value, attention}] whatever the exact nesting. */
  function answerItems(v) {
    var q = v.questionnaire;
    if (!q) return [];
    var list = Array.isArray(q) ? q : [q];
    var out = [];
    list.forEach(function (one) {
      var items = one.items || one.answers || [];
      if (!Array.isArray(items)) items = Object.keys(items).map(function (k) { return { itemId: k, label: k, value: items[k] }; });
      // Optional items left blank (the details of a 「いいえ」) are not shown.
      items.forEach(function (it) { var x = it.value !== undefined ? it.value : it.answer; if (x !== null && x !== undefined && x !== '') out.push(it); });
    });
    return out;
  }
  function answerText(v) {
    if (v === true) return 'はい';
    if (v === false) return 'いいえ';
    if (v === null || v === undefined || v === '') return '（回答なし）';
    return String(v);
  }
  /** The doctor's attention: what the API marks, else a yes, a fever (37.5℃ or more), a written remark. */
  function needsAttention(it) {
    if (typeof it.attention === 'boolean') return it.attention;
    var v = it.value !== undefined ? it.value : it.answer;
    if (v === true || v === 'はい') return true;
    if (it.itemId === 'temperature' || /体温/.test(it.label || '')) return Number(v) >= 37.5;
    return typeof v === 'string' && v.trim() !== '' && v !== 'いいえ' && v !== '該当しない';
  }

  async function examScreen(visitId) {
    frame('診察');
    var r = await api('GET', '/visits/' + encodeURIComponent(visitId));
    if (!r.ok) { var box = h('div'); append(main, box); return showProblem(box, r.problem); }
    drawExam(r.data);
  }

  function drawExam(v) {
    frame('診察');
    var p = v.person || {};
    var closed = v.status === 'cancelled';
    append(main, h('section', { class: 'card person', 'aria-label': '接種を受ける方' },
      h('div', { class: 'person__head' }, h('span', { class: 'person-name', id: 'x-name' }, p.name || ''), badge(v.status)),
      h('p', { class: 'kana' }, p.kana || ''),
      h('dl', { class: 'dl person__facts' },
        h('dt', null, '生年月日'), h('dd', { id: 'x-birth', class: 'nowrap' }, bothDates(p.birthDate)),
        h('dt', null, '年齢・月齢'), h('dd', { id: 'x-age' }, age(p.birthDate, TODAY)),
        h('dt', null, '性別'), h('dd', null, SEX[p.sex] || p.sex || '—'),
        h('dt', null, '住所地'), h('dd', null, (v.municipality && v.municipality.name) || '—'),
        h('dt', null, '予防接種対象者番号'), h('dd', null, v.targetId || '—'),
        h('dt', null, '受付時の本人確認'), h('dd', null, v.receptionCheck ? methodLabel(v.receptionCheck.method) + '（' + (v.receptionCheck.by || '') + '・' + jstTime(v.receptionCheck.at) + '）' : '—'))));

    var cols = h('div', { class: 'exam-cols' });
    append(main, cols);
    var left = h('div', { class: 'exam-col' });
    var right = h('div', { class: 'exam-col' });
    append(cols, left, right);

    // 接種予定
    append(left, h('section', { class: 'card' }, h('h2', null, '接種予定'),
      (v.due || []).length ? h('ul', { class: 'plain', id: 'x-due' }, v.due.map(function (d) {
        return h('li', null, h('strong', null, (d.name || d.programCode) + ' ' + doseLabel(d.dose)), h('span', { class: 'sub' }, '　' + (d.dueFrom ? wareki(d.dueFrom) : '') + '〜' + (d.dueUntil ? wareki(d.dueUntil) : '')));
      })) : h('p', { class: 'empty' }, '接種予定はありません。')));

    // 予診票
    var items = answerItems(v);
    var attention = items.filter(needsAttention).length;
    append(left, h('section', { class: 'card', id: 'x-questionnaire' }, h('h2', null, '予診票の回答'),
      items.length ? [
        attention ? h('p', { class: 'notice notice--warning', id: 'x-attention' }, '確認が必要な回答が' + attention + '件あります（色の付いた行）。') : h('p', { class: 'sub' }, '確認が必要な回答はありません。'),
        h('dl', { class: 'answers' }, items.map(function (it) {
          var att = needsAttention(it);
          return h('div', { class: 'answer' + (att ? ' answer--attention' : '') }, h('dt', null, it.label || it.itemId), h('dd', null, att ? h('strong', null, '要確認　') : null, answerText(it.value !== undefined ? it.value : it.answer)));
        }))] : h('p', { class: 'empty' }, '予診票の回答はありません（紙の予診票で確認してください）。')));

    // これまでの接種
    var hist = v.history || [];
    append(left, h('section', { class: 'card', id: 'x-history' }, h('h2', null, 'これまでの接種'),
      hist.length ? h('ul', { class: 'plain' }, hist.map(function (x) {
        return h('li', null, h('strong', null, (x.programName || x.programCode) + ' ' + doseLabel(x.dose)), h('span', { class: 'sub' }, '　' + wareki(x.date) + (x.vaccineName ? '　' + x.vaccineName : '') + (x.institutionName ? '　' + x.institutionName : '')));
      })) : h('p', { class: 'empty' }, '記録はありません。')));

    // 本人確認（診察室）
    var idSection = h('section', { class: 'card', id: 'x-identity' }, h('h2', null, '本人確認（診察室）'));
    append(right, idSection);
    if (v.examCheck) {
      append(idSection, h('p', { class: 'done-line', id: 'x-identity-done' }, '確認済み：' + methodLabel(v.examCheck.method) + '（' + (v.examCheck.by || '') + '・' + jstTime(v.examCheck.at) + '）'));
    } else if (!closed && v.status !== 'not-vaccinable') {
      var idForm = h('form', { novalidate: true }, identityFields('x-', 'identityCheck'), h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn--primary btn--large', id: 'x-identity-submit' }, '本人確認を記録する')));
      idForm.addEventListener('submit', async function (ev) {
        ev.preventDefault();
        clearErrors(idForm);
        var idc = identityOf(idForm);
        if (!checkIdentity(idForm, idc, 'identityCheck')) return;
        var res = await api('POST', '/visits/' + encodeURIComponent(v.visitId) + '/identity', idc);
        if (!res.ok) return showProblem(idForm, res.problem);
        await examScreen(v.visitId);
      });
      append(idSection, h('p', { class: 'sub' }, '診察室で、もう一度ご本人であることを確認してください。'), idForm);
    } else append(idSection, h('p', { class: 'empty' }, '診察室での本人確認は記録されていません。'));

    // 接種可否
    var decision = h('section', { class: 'card', id: 'x-decision' }, h('h2', null, '接種の可否'));
    append(right, decision);
    if (v.status === 'not-vaccinable') {
      var reason = v.decision && (v.decision.reason || v.decision.note);
      append(decision, h('p', { class: 'notice notice--error' }, '接種不可と判断されました。' + (reason ? '理由：' + reason : '')));
    } else if (v.status === 'vaccinated') {
      append(decision, h('p', null, '接種しました（下の「この受付で登録した接種」）。'));
    } else if (!closed) {
      var reasonInput = h('textarea', { id: 'x-reason', name: 'reason', rows: '2', maxlength: '400' });
      var decForm = h('form', { novalidate: true, hidden: true, id: 'x-decision-form' },
        field({ label: '接種不可の理由', required: true, names: ['reason'] }, reasonInput),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn--danger btn--large' }, '接種不可として記録する'),
          h('button', { type: 'button', class: 'btn btn--secondary btn--large', onclick: function () { decForm.hidden = true; openBtn.hidden = false; } }, 'やめる')));
      var openBtn = h('button', { type: 'button', class: 'btn btn--secondary btn--large', id: 'x-not-vaccinable', onclick: function () { decForm.hidden = false; openBtn.hidden = true; reasonInput.focus(); } }, '接種不可とする');
      decForm.addEventListener('submit', async function (ev) {
        ev.preventDefault();
        clearErrors(decForm);
        if (!reasonInput.value.trim()) return setFieldError(boxFor(decForm, 'reason'), '理由を入力してください。');
        var res = await api('POST', '/visits/' + encodeURIComponent(v.visitId) + '/decision', { vaccinable: false, reason: reasonInput.value.trim() });
        if (!res.ok) return showProblem(decForm, res.problem);
        await examScreen(v.visitId);
      });
      append(decision, h('p', { class: 'sub' }, '予診・問診の結果、接種できないときに記録します。接種するときは下の接種記録を入力してください。'), openBtn, decForm);
    } else append(decision, h('p', null, STATUS[v.status]));

    // 接種記録 (more than one on a visit: 同時接種)
    var done = v.doses || [];
    if (done.length) {
      append(main, h('section', { class: 'card', id: 'x-doses' }, h('h2', null, 'この受付で登録した接種'), h('ul', { class: 'plain' }, done.map(function (d) {
        return h('li', null, h('strong', null, programName(v, d.programCode) + ' ' + doseLabel(d.dose)), h('span', { class: 'sub' }, '　' + (d.vaccineName || '') + '　ロット ' + (d.lot || '') + '　' + (d.doctorName || '')));
      }))));
    }
    if (!closed && v.status !== 'not-vaccinable' && (v.due || []).length) append(main, doseForm(v));
    else if (v.status === 'vaccinated') append(main, h('p', { class: 'notice notice--success' }, 'この受付の予定の接種はすべて登録しました。'));

    // 受付の取消
    if (!closed && v.status !== 'vaccinated') {
      var cancelReason = h('input', { type: 'text', id: 'x-cancel-reason', name: 'reason', maxlength: '200' });
      var cancelForm = h('form', { class: 'card cancel', novalidate: true },
        h('h2', null, '受付の取消'),
        field({ label: '取消の理由', names: ['reason'] }, cancelReason),
        h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn--secondary' }, '受付を取り消す')));
      cancelForm.addEventListener('submit', async function (ev) {
        ev.preventDefault();
        clearErrors(cancelForm);
        if (!cancelReason.value.trim()) return setFieldError(boxFor(cancelForm, 'reason'), '取消の理由を入力してください。');
        var res = await api('POST', '/visits/' + encodeURIComponent(v.visitId) + '/cancel', { reason: cancelReason.value.trim() });
        if (!res.ok) return showProblem(cancelForm, res.problem);
        await examScreen(v.visitId);
      });
      append(main, cancelForm);
    }
    append(main, h('p', null, link('/visits', '‹ 本日の受付一覧へ戻る')));
  }

  // ── 接種記録の入力 (PMH-16) ────────────────────────────────────────────
  async function products() {
    if (state.products) return state.products;
    try { state.products = await (await fetch(BASE + '/assets/products.json', { credentials: 'same-origin' })).json(); } catch (e) { state.products = {}; }
    return state.products;
  }
  function options(list, value, empty) {
    return [empty ? h('option', { value: '' }, empty) : null].concat(list.map(function (o) {
      return h('option', { value: o[0], selected: o[0] === value }, o[1]);
    }));
  }
  function newKey() {
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    return Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
  }

  function doseForm(v) {
    var ready = !!v.examCheck;
    var due = v.due || [];
    var me = state.me;
    var el = {};
    function input(id, attrs) { el[id] = h('input', Object.assign({ id: 'd-' + id, name: id, type: 'text' }, attrs || {})); return el[id]; }
    function select(id, list, value, empty) { el[id] = h('select', { id: 'd-' + id, name: id }, options(list, value, empty)); return el[id]; }
    var dueOptions = due.map(function (d, i) { return [String(i), (d.name || d.programCode) + ' ' + doseLabel(d.dose)]; });
    var answerFor = function (d) { return (v.answers || []).filter(function (a) { return a.programCode === d.programCode && String(a.dose) === String(d.dose); })[0]; };

    var scan = h('input', { type: 'text', id: 'd-gs1', name: 'gs1', autocomplete: 'off', spellcheck: 'false', class: 'scan', placeholder: 'ここを押してからバーコードを読み取ります' });
    var gs1Status = h('p', { class: 'scan-status', id: 'd-gs1-status', role: 'status' });
    var warnBox = h('div', { class: 'check-result', id: 'd-warnings', 'aria-live': 'polite' });
    var override = h('textarea', { id: 'd-override', name: 'overrideReason', rows: '2', maxlength: '400' });
    var overrideBox = field({ label: '問題を確認したうえで接種する理由', required: true, hint: '医師の判断で接種するときに、その理由を入力してください。', names: ['overrideReason'] }, override);
    overrideBox.hidden = true;
    var submit = h('button', { type: 'submit', class: 'btn btn--primary btn--large', id: 'd-submit', disabled: true }, '登録する');
    var submitNote = h('p', { class: 'sub', id: 'd-submit-note' });
    var lastCheck = { problems: 0, expired: false };
    var key = newKey();

    var form = h('form', { class: 'card dose-form', id: 'dose-form', novalidate: true },
      h('h2', null, '接種記録の入力'),
      ready ? null : h('p', { class: 'notice notice--warning', id: 'd-not-ready' }, '診察室での本人確認を記録してから入力してください。'),
      h('div', { class: 'scan-row' }, field({ label: 'バーコード（GS1）の読み取り', hint: 'ワクチンの箱のバーコードを読み取ると、GTIN・ロット番号・有効期限が入ります。', names: ['scan'] }, scan), gs1Status),
      h('div', { class: 'form-grid' },
        field({ label: 'ワクチン（予防接種と回数）', required: true, names: ['programCode', 'dose', 'answerId'] }, select('due', dueOptions, dueOptions.length === 1 ? '0' : '', dueOptions.length === 1 ? null : '選んでください')),
        field({ label: '製剤', required: true, names: ['product'] }, select('product', [], '', '選んでください')),
        field({ label: 'ワクチン名（一般的名称・販売名）', required: true, names: ['vaccineName'], class: 'span-2' }, input('vaccineName', { maxlength: '200' })),
        field({ label: '接種日（受付の日）', required: true, names: ['vaccinatedOn'] }, input('vaccinatedOn', { type: 'date', value: v.visitDate || TODAY, min: v.visitDate || TODAY, max: v.visitDate || TODAY, readonly: true })),
        field({ label: '接種時刻', names: ['time'] }, input('time', { type: 'time' })),
        field({ label: 'ロット番号', required: true, names: ['lot'] }, input('lot', { maxlength: '20', autocapitalize: 'characters' })),
        field({ label: 'GTIN（14桁）', required: true, names: ['gtin'] }, input('gtin', { inputmode: 'numeric', maxlength: '14' })),
        field({ label: '有効期限', required: true, names: ['expiry'] }, input('expiry', { type: 'date' })),
        field({ label: 'メーカー（製造販売業者）', required: true, names: ['manufacturer'] }, input('manufacturer', { maxlength: '100' })),
        field({ label: '接種量', required: true, names: ['amount'] }, input('amount', { maxlength: '20', value: '0.5mL', placeholder: '例：0.5mL' })),
        field({ label: '接種部位', required: true, names: ['site'] }, select('site', SITES.map(function (s) { return [s, s]; }), '', '選んでください')),
        field({ label: '接種方法', required: true, names: ['route'] }, select('route', ROUTES.map(function (s) { return [s, s]; }), '', '選んでください')),
        field({ label: '医師名', required: true, names: ['doctorName'] }, input('doctorName', { maxlength: '100', value: me && me.user.role === 'doctor' ? me.user.name : '' })),
        field({ label: '実施場所', names: ['place'] }, input('place', { maxlength: '200', value: me ? me.institution.name : '' })),
        field({ label: '実施区分', group: true, required: true, names: ['implementationClass'] }, choice('implementationClass', IMPLEMENTATION, 'individual', 'd-impl-')),
        field({ label: '接種区分', group: true, required: true, names: ['vaccinationClass'], class: 'span-2' }, choice('vaccinationClass', VACCINATION_CLASS, 'routine', 'd-class-')),
        field({ label: '特別の事情', hint: '長期療養などで定期接種の期間を過ぎて接種するときの事情', names: ['specialCircumstances'], class: 'span-2' }, input('specialCircumstances', { maxlength: '400' }))),
      h('div', { class: 'checks-col' },
        field({ label: '同意', required: true, names: ['consent'] }, h('label', { class: 'check check--large' }, input('consent', { type: 'checkbox' }), h('span', null, '接種を受けることについて、ご本人（保護者）の同意を確認しました'))),
        field({ label: '要注意接種', names: ['caution'] }, h('label', { class: 'check check--large' }, input('caution', { type: 'checkbox' }), h('span', null, '要注意接種として記録する'))),
        field({ label: '海外接種', names: ['overseas'], hint: '海外で受けた接種は住所地の市区町村が登録します（この画面では登録できません）。' }, h('label', { class: 'check check--large' }, input('overseas', { type: 'checkbox', disabled: true }), h('span', null, '海外での接種')))),
      h('h3', null, '接種間隔などの確認'),
      warnBox, overrideBox,
      h('div', { class: 'actions' }, submit), submitNote);

    if (!ready) form.querySelectorAll('input, select, textarea, button').forEach(function (x) { x.disabled = true; });
    // A problem's reason, the GS1 field and the submit button are not part of the engine's input.

    function chosenDue() { var i = el.due.value; return i === '' ? null : due[+i]; }
    async function fillProducts() {
      var d = chosenDue();
      var all = await products();
      var list = d ? (d.products || all[d.programCode] || []) : [];
      var on = el.vaccinatedOn.value || TODAY;
      list = list.filter(function (x) { return (!x.from || x.from <= on) && (!x.until || x.until >= on); });
      var keep = el.product.value;
      clear(el.product);
      append(el.product, options(list.map(function (x) { return [x.code, x.name]; }), keep, list.length === 1 ? null : '選んでください'));
      if (list.length === 1 || keep) productChanged();
      el.product._list = list;
    }
    function productChanged() {
      var x = (el.product._list || []).filter(function (y) { return y.code === el.product.value; })[0];
      if (!x) return;
      if (!el.vaccineName.value) el.vaccineName.value = x.genericName && x.genericName !== x.name ? x.genericName + '（' + x.name + '）' : x.name;
      if (!el.manufacturer.value && x.manufacturer) el.manufacturer.value = x.manufacturer;
    }
    el.due.addEventListener('change', function () { void fillProducts().then(schedule); });
    el.product.addEventListener('change', function () { el.vaccineName.value = ''; el.manufacturer.value = ''; productChanged(); });
    void fillProducts();

    function dose() {
      var d = chosenDue() || {};
      var a = d.programCode ? answerFor(d) : null;
      var o = {
        targetId: v.targetId, visitId: v.visitId, programCode: d.programCode || '', dose: d.dose === undefined ? 0 : d.dose,
        product: el.product.value, vaccinatedOn: el.vaccinatedOn.value, consent: el.consent.checked, doctorName: el.doctorName.value.trim(),
        implementationClass: checkedValue(form, 'implementationClass'), vaccinationClass: checkedValue(form, 'vaccinationClass'),
        gtin: el.gtin.value.trim(), manufacturer: el.manufacturer.value.trim(), vaccineName: el.vaccineName.value.trim(), lot: el.lot.value.trim(),
        amount: el.amount.value.trim(), site: el.site.value, route: el.route.value, expiry: el.expiry.value,
        caution: el.caution.checked, overseas: el.overseas.checked,
      };
      if (a) o.answerId = a.answerId;
      if (el.time.value) o.time = el.time.value;
      if (el.place.value.trim()) o.place = el.place.value.trim();
      if (el.specialCircumstances.value.trim()) o.specialCircumstances = el.specialCircumstances.value.trim();
      if (lastCheck.problems && override.value.trim()) o.overrideReason = override.value.trim();
      return o;
    }
    function expired() { return !!(el.expiry.value && el.vaccinatedOn.value && el.expiry.value < el.vaccinatedOn.value); }
    function missing(o) {
      var need = ['programCode', 'product', 'vaccinatedOn', 'doctorName', 'gtin', 'manufacturer', 'vaccineName', 'lot', 'amount', 'site', 'route', 'expiry'];
      return need.filter(function (k) { return !o[k]; }).length + (o.consent ? 0 : 1);
    }
    function updateSubmit() {
      if (!ready) return;
      var o = dose();
      var why = '';
      if (expired()) why = '有効期限が切れたロットは登録できません。';
      else if (missing(o)) why = '必須の項目をすべて入力すると登録できます。';
      else if (lastCheck.problems && !override.value.trim()) why = '確認が必要な点があります。理由を入力すると登録できます。';
      submit.disabled = !!why;
      submitNote.textContent = why;
    }
    function showExpiry() {
      var box = boxFor(form, 'expiry');
      if (expired()) setFieldError(box, '有効期限（' + wareki(el.expiry.value) + '）が過ぎたロットです。このワクチンは使えません。');
      else if (box.classList.contains('field--error') && /有効期限/.test(box.querySelector('.error-text').textContent)) setFieldError(box, '');
    }
    function drawWarnings(ws, note) {
      clear(warnBox);
      if (note) { append(warnBox, h('p', { class: 'sub' }, note)); return; }
      if (!ws.length) { append(warnBox, h('p', { class: 'check-ok' }, '接種間隔などに問題は見つかりませんでした。')); return; }
      append(warnBox, h('ul', { class: 'warnings' }, ws.map(function (w) {
        var problem = w.level === 'problem';
        return h('li', { class: 'warning warning--' + (problem ? 'problem' : 'note') }, h('strong', null, problem ? '要確認' : 'お知らせ'), h('span', null, w.message || ''));
      })));
    }
    var timer = null;
    var seq = 0;
    function schedule() {
      showExpiry();
      updateSubmit();
      if (timer) clearTimeout(timer);
      timer = setTimeout(runCheck, 350);
    }
    async function runCheck() {
      var o = dose();
      delete o.overrideReason;
      if (!o.programCode || !o.product || !o.vaccinatedOn) { drawWarnings([], 'ワクチン・製剤・接種日を選ぶと、接種間隔などを確認します。'); return; }
      if (expired()) { drawWarnings([], '有効期限が切れたロットは使えません。別のロットを読み取ってください。'); return; }
      var mine = ++seq;
      var res = await api('POST', '/doses/check', o);
      if (mine !== seq) return;
      if (!res.ok) {
        lastCheck = { problems: 0 };
        if (res.status === 400 || res.status === 422) {
          var errs = res.problem.errors || [];
          var msgs = errs.filter(function (e) { return e && (e.field === 'expiry' || e.field === 'vaccinatedOn'); });
          if (msgs.length || !errs.length) drawWarnings([], plain(res.problem.title) + (res.problem.detail ? '　' + plain(res.problem.detail) : ''));
          else drawWarnings([], '必須の項目をすべて入力すると、接種間隔などを確認します。');
        } else drawWarnings([], plain(res.problem.title) + (res.problem.detail ? '　' + plain(res.problem.detail) : ''));
        updateSubmit();
        return;
      }
      var ws = res.data.warnings || [];
      lastCheck = { problems: ws.filter(function (w) { return w.level === 'problem'; }).length };
      overrideBox.hidden = !lastCheck.problems;
      drawWarnings(ws);
      updateSubmit();
    }
    form.addEventListener('input', function (ev) { if (ev.target !== scan && ev.target !== override) schedule(); else updateSubmit(); });
    form.addEventListener('change', function (ev) { if (ev.target !== scan && ev.target !== override) schedule(); });

    // The scanner types the GS1 text and Enter.
    scan.addEventListener('keydown', async function (ev) {
      if (ev.key !== 'Enter') return;
      ev.preventDefault();
      var text = scan.value;
      if (!text.trim()) return;
      var box = boxFor(form, 'scan');
      setFieldError(box, '');
      gs1Status.textContent = '読み取っています…';
      var res = await api('POST', '/gs1', { scan: text });
      if (!res.ok) {
        gs1Status.textContent = '';
        setFieldError(box, plain((res.problem.errors && res.problem.errors[0] && res.problem.errors[0].message) || res.problem.detail || res.problem.title));
        scan.select();
        return;
      }
      el.gtin.value = res.data.gtin || '';
      el.lot.value = res.data.lot || '';
      el.expiry.value = res.data.expiry || '';
      scan.value = '';
      gs1Status.textContent = '読み取りました：GTIN ' + el.gtin.value + '　ロット ' + el.lot.value + '　有効期限 ' + wareki(el.expiry.value) + (expired() ? '（期限切れ：このワクチンは使えません）' : '');
      gs1Status.classList.toggle('scan-status--bad', expired());
      schedule();
    });

    form.addEventListener('submit', async function (ev) {
      ev.preventDefault();
      if (document.activeElement === scan) return;
      clearErrors(form);
      if (expired()) { showExpiry(); return; }
      var o = dose();
      submit.disabled = true;
      var res = await api('POST', '/doses', o, { 'idempotency-key': key });
      if (!res.ok) {
        if (res.problem.warnings) { lastCheck = { problems: res.problem.warnings.filter(function (w) { return w.level === 'problem'; }).length }; overrideBox.hidden = !lastCheck.problems; drawWarnings(res.problem.warnings); }
        showProblem(form, res.problem);
        updateSubmit();
        return;
      }
      state.registered = { visitId: v.visitId, person: v.person, dose: o, due: chosenDue(), answer: res.data };
      go('/visits/' + encodeURIComponent(v.visitId) + '/done');
    });
    if (ready) { updateSubmit(); drawWarnings([], 'ワクチン・製剤・接種日を選ぶと、接種間隔などを確認します。'); }
    return form;
  }

  // ── 登録完了 ──────────────────────────────────────────────────────────
  async function doneScreen(visitId) {
    var reg = state.registered && state.registered.visitId === visitId ? state.registered : null;
    frame('接種を登録しました');
    if (!reg) {
      // After a reload: what the visit says about its doses.
      var r = await api('GET', '/visits/' + encodeURIComponent(visitId));
      if (!r.ok) { var box = h('div'); append(main, box); return showProblem(box, r.problem); }
      var last = (r.data.doses || [])[(r.data.doses || []).length - 1];
      reg = last ? { visitId: visitId, person: r.data.person, dose: last, due: null, answer: { recordId: last.recordId, warnings: last.warnings || [] } } : null;
      if (!reg) { append(main, h('p', null, 'この受付の接種記録はまだありません。'), h('p', null, link('/visits/' + encodeURIComponent(visitId), '診察へ戻る'))); return; }
    }
    var d = reg.dose;
    var p = reg.person || {};
    var rows = [
      ['記録番号', reg.answer.recordId], ['氏名', (p.name || '') + (p.kana ? '（' + p.kana + '）' : '')], ['生年月日', bothDates(p.birthDate)],
      ['ワクチン', reg.due ? (reg.due.name || reg.due.programCode) + ' ' + doseLabel(reg.due.dose) : d.programCode + ' ' + doseLabel(d.dose)],
      ['ワクチン名', d.vaccineName], ['メーカー', d.manufacturer], ['接種日', bothDates(d.vaccinatedOn) + (d.time ? ' ' + d.time : '')],
      ['ロット番号', d.lot], ['GTIN', d.gtin], ['有効期限', wareki(d.expiry)], ['接種量', d.amount], ['接種部位', d.site], ['接種方法', d.route],
      ['医師名', d.doctorName], ['実施場所', d.place || '—'],
      ['要注意接種', d.caution ? 'はい' : 'いいえ'], ['特別の事情', d.specialCircumstances || '—'], ['海外接種', d.overseas ? 'はい' : 'いいえ'],
    ];
    if (d.overrideReason) rows.push(['確認したうえで接種した理由', d.overrideReason]);
    append(main, h('p', { class: 'notice notice--success', role: 'status', id: 'done-message' }, '接種記録を登録しました。住所地の市区町村に届けられます。'),
      h('section', { class: 'card' }, h('dl', { class: 'dl', id: 'done-record' }, rows.map(function (r) { return [h('dt', null, r[0]), h('dd', null, r[1] === undefined || r[1] === null || r[1] === '' ? '—' : String(r[1]))]; }))),
      (reg.answer.warnings || []).length ? h('section', { class: 'card' }, h('h2', null, '登録時の確認事項'), h('ul', null, reg.answer.warnings.map(function (w) { return h('li', null, w.message || ''); }))) : null,
      h('div', { class: 'actions' }, link('/visits', '本日の受付一覧へ', 'btn btn--primary btn--large'), link('/reception', '次の方を受付する', 'btn btn--secondary btn--large')));
  }

  void render();
})();
