// Live schedule check on the dose entry form (progressive enhancement: without script the server checks on
// submit).  Sends the chosen vaccine and date to the JSON API and shows what the engine says.
(function () {
  const form = document.querySelector('form[data-check]');
  const out = document.getElementById('live-check');
  if (!form || !out) return;
  const url = form.getAttribute('data-check');
  let timer = 0;
  async function check() {
    const product = form.elements.namedItem('product').value;
    const date = form.elements.namedItem('vaccinatedOn').value;
    if (!product || !date) {
      out.hidden = true;
      return;
    }
    const program = form.elements.namedItem('program').value;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        credentials: 'same-origin',
        body: JSON.stringify({ product, vaccinatedOn: date, ...(program ? { program } : {}) }),
      });
      const j = await res.json();
      out.hidden = false;
      out.textContent = '';
      if (!res.ok) {
        out.className = 'notice notice--error';
        out.textContent = j.detail || j.title || '確認できませんでした';
        return;
      }
      const problems = j.warnings.filter((w) => w.level === 'problem');
      out.className = 'notice ' + (problems.length ? 'notice--warning' : 'notice--success');
      const head = document.createElement('p');
      head.textContent = problems.length ? '接種の規則に合いません（登録には理由が必要です）:' : `規則に合っています（${j.program ?? '—'} ${j.dose ? j.dose + '回目' : ''}）`;
      out.appendChild(head);
      for (const w of j.warnings) {
        const p = document.createElement('p');
        p.textContent = (w.level === 'problem' ? '警告: ' : '注意: ') + w.message;
        out.appendChild(p);
      }
      // The co-payment decision (自己負担区分・金額・徴収区分) and what it rests on.
      if (j.copay) {
        const reasons = j.copay.reasons || [];
        const last = reasons[reasons.length - 1];
        const p = document.createElement('p');
        p.textContent = '自己負担: ' + (last ? last.message : j.copay.category);
        out.appendChild(p);
        for (const r of reasons.slice(0, -1)) {
          const q = document.createElement('p');
          q.className = 'hint';
          q.textContent = '根拠: ' + r.message + '（' + r.source + '）';
          out.appendChild(q);
        }
      }
    } catch {
      out.hidden = true;
    }
  }
  form.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
})();
