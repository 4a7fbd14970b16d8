// The safeguard registers (decision 0126) on screen: an index with open counts, a list per register (total,
// pager, filters), a form for a new entry, an entry with its steps and versions (a correction is a new
// version), forms for the next steps, and the register as CSV.  The kernel decides who may read or write.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { work } from '../../kernel/http/index.js';
import {
  addStep, correctEntry, createEntry, defaultOf, getEntry, inquiriesOfIncident, listEntries, mayWrite, ppcReportDue, registerCounts, registerCsv, registerDef,
  MYNUMBER_WARNING, type EntryDetail, type FieldDef, type RegisterDef, type StepDef, type Values,
} from '../../kernel/registers/index.js';
import { notFound, type Problem } from '../../kernel/problems/index.js';
import { badge, button, csrfField, dl, errorSummary, field, html, notice, page, pageRequest, pager, section, select, table, textarea, when, within, type FormState, type SafeHtml, queryDate, queryEnum, queryOf } from '../ui/index.js';
import { attempt, formState, needLogin, one, pageContext, sendPage, setFlash, type Form } from './support.js';

const PAGE_SIZE = 20;

/** A refused save, shown again: a value refused as a possible My Number is not echoed back onto the page. */
function refusedState(body: Form, p: Problem): FormState {
  const st = formState(body, p);
  const drop = new Set(p.errors.filter((e) => e.code === 'MYNUMBER_IN_TEXT').map((e) => e.field));
  return { ...st, values: Object.fromEntries(Object.entries(st.values ?? {}).map(([k, v]) => [k, drop.has(k) ? '' : v])) };
}

function regOf(req: FastifyRequest): RegisterDef {
  const r = registerDef((req.params as { name: string }).name);
  if (!r) throw notFound('台帳');
  return r;
}

function numberOf(req: FastifyRequest): number {
  const n = Number((req.params as { number: string }).number);
  return Number.isInteger(n) && n > 0 ? n : 0;
}

/** One declared field as a form control. */
function control(f: FieldDef, state?: FormState): SafeHtml {
  if (f.type === 'select') {
    const opts: [string, string][] = [['', '選択してください'], ...(f.options ?? []).map((o) => [o, o] as [string, string])];
    return select({ label: f.label, name: f.name, options: opts, required: !!f.required, ...(f.hint ? { hint: f.hint } : {}) }, state);
  }
  if (f.type === 'textarea') return textarea({ label: f.label, name: f.name, required: !!f.required, rows: 4, ...(f.hint ? { hint: f.hint } : {}) }, state);
  return field(
    { label: f.label, name: f.name, type: f.type === 'date' ? 'date' : f.type === 'number' ? 'number' : 'text', required: !!f.required, ...(f.hint ? { hint: f.hint } : {}), ...(f.type === 'number' ? { inputmode: 'numeric' as const } : {}), maxlength: f.type === 'text' ? 200 : undefined },
    state,
  );
}

function statusBadge(e: { statusLabel: string; open: boolean; overdue: boolean }): SafeHtml {
  return html`${badge(e.statusLabel, e.open ? 'warn' : 'ok')}${e.overdue ? html` ${badge('期限超過', 'bad')}` : ''}`;
}

function fieldValue(f: FieldDef, v: string | undefined): string {
  if (v === undefined || v === '') return '—';
  return f.type === 'number' && f.name === 'fee' ? `${Number(v).toLocaleString('ja-JP')}円` : v;
}

export function registerRegisterPages(fastify: FastifyInstance, app: App): void {
  const render = async (req: FastifyRequest, reply: FastifyReply, title: string, body: (csrf: string) => Promise<SafeHtml>, status = 200) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, title, await body(ctx.csrf)), status);
  };

  // ------------------------------------------------------------ index
  fastify.get('/registers', { preHandler: needLogin }, async (req, reply) => {
    const counts = await work(app.db, req, (w) => registerCounts(w));
    return render(req, reply, '安全管理の台帳', async () =>
      counts.length
        ? html`<p>特定個人情報の安全管理のために備える台帳です。台帳を開くと、記録の一覧・登録・CSV出力ができます。</p>
${table(
  ['台帳', '記録の件数', '対応中', '内容'],
  counts.map((c) => [html`<a href="/registers/${c.register.name}">${c.register.label}</a>`, `${c.total.toLocaleString('ja-JP')}件`, c.register.statuses.some((s) => s.open) ? `${c.open.toLocaleString('ja-JP')}件` : '—', c.register.purpose]),
)}`
        : notice('参照できる台帳はありません。台帳は「安全管理措置（台帳）」などの所掌事務を持つ職員、システム管理者、監査担当が参照できます。'),
    );
  });

  // ------------------------------------------------------------ list
  fastify.get('/registers/:name', { preHandler: needLogin }, async (req, reply) => {
    const r = regOf(req);
    const q = queryOf(req);
    const dateLabel = r.fields.find((x) => x.name === r.dateField)?.label ?? '日付';
    // Decision 0133: a filter that is there but malformed is a 400 naming it, never a silently wider list.
    const filters = {
      status: queryEnum(q, 'status', '状態', ['open', ...r.statuses.map((s) => s.code)]),
      flagged: queryEnum(q, 'flagged', '漏えい等の可能性', ['1'] as const),
      from: queryDate(q, 'from', `${dateLabel}（から）`),
      until: queryDate(q, 'until', `${dateLabel}（まで）`),
    };
    const f = { status: filters.status, flagged: !!filters.flagged, from: filters.from, until: filters.until };
    const { total, rows, at } = await work(app.db, req, async (w) => {
      let at = pageRequest(q, PAGE_SIZE);
      let res = await listEntries(w, r.name, f, { offset: at.offset, limit: at.pageSize });
      const back = within(at, res.total);
      if (back.page !== at.page) {
        at = back;
        res = await listEntries(w, r.name, f, { offset: at.offset, limit: at.pageSize });
      }
      return { ...res, at };
    });
    const writable = mayWrite(req.session!.actor, r.name);
    const cols = r.fields.filter((x) => x.list);
    const statusOpts: [string, string][] = [['', 'すべて'], ...(r.statuses.some((s) => s.open) && r.statuses.length > 1 ? [['open', '対応中のもの'] as [string, string]] : []), ...r.statuses.map((s) => [s.code, s.label] as [string, string])];
    return render(req, reply, r.label, async () => html`<p>${r.purpose}</p>
<div class="actions">${writable ? html`<a class="btn btn--primary" href="/registers/${r.name}/new">新しく記録する</a>` : ''}<a class="btn btn--secondary" href="/registers/${r.name}/export.csv">CSVで出力</a><a class="btn btn--secondary" href="/registers">台帳の一覧へ</a></div>
<form method="get" action="/registers/${r.name}" class="card filters">
  ${r.statuses.length > 1 ? select({ label: '状態', name: 'status', options: statusOpts, value: filters.status ?? '' }) : ''}
  ${field({ label: `${dateLabel}（から）`, name: 'from', type: 'date', value: filters.from ?? '' })}
  ${field({ label: `${dateLabel}（まで）`, name: 'until', type: 'date', value: filters.until ?? '' })}
  ${r.name === 'inquiry' ? select({ label: '漏えい等の可能性', name: 'flagged', options: [['', 'すべて'], ['1', '「はい」のものだけ']], value: filters.flagged ?? '' }) : ''}
  ${button('絞り込む', 'secondary')}
</form>
${total ? pager({ total, request: at, shown: rows.length, path: `/registers/${r.name}`, filters, order: '新しい順' }) : ''}
${table(
  ['番号', ...cols.map((c) => c.label), ...(r.name === 'disclosure' ? ['決定期限'] : []), '状態'],
  rows.map((e) => [
    html`<a href="/registers/${r.name}/${e.number}">第${e.number}号</a>`,
    ...cols.map((c) => (c.type === 'textarea' ? (e.data[c.name] ?? '').slice(0, 40) + ((e.data[c.name] ?? '').length > 40 ? '…' : '') : fieldValue(c, e.data[c.name]))),
    ...(r.name === 'disclosure' ? [e.dueOn ?? '—'] : []),
    html`${statusBadge(e)}${e.flagged ? html` ${badge('漏えい等の可能性', 'bad')}` : ''}`,
  ]),
  { caption: `${r.label}（新しい順）`, empty: total === 0 && !filters.status && !filters.from && !filters.until && !filters.flagged ? 'まだ記録はありません。' : '条件に合う記録はありません。' },
)}`);
  });

  fastify.get('/registers/:name/export.csv', { preHandler: needLogin }, async (req, reply) => {
    const r = regOf(req);
    const csv = await work(app.db, req, (w) => registerCsv(w, r.name));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="register-${r.name}-${req.session!.tenant}-${app.config.clock.today()}.csv"`).send(csv);
  });

  // ------------------------------------------------------------ new entry and correction
  const entryForm = (r: RegisterDef, action: string, csrf: string, state: FormState, correction: boolean): SafeHtml => html`${errorSummary(state)}
${notice(MYNUMBER_WARNING, 'warning')}
<form method="post" action="${action}" class="card" novalidate>${csrfField(csrf)}
${r.fields.map((f) => control(f, state))}
${correction ? textarea({ label: '訂正の理由', name: 'reason', required: true, hint: '前の版は訂正の履歴として残ります' }, state) : ''}
${button(correction ? '訂正を記録する' : '記録する')}
</form>
<p><a href="/registers/${r.name}">← ${r.label}へ戻る</a></p>`;

  fastify.get('/registers/:name/new', { preHandler: needLogin }, async (req, reply) => {
    const r = regOf(req);
    const values = Object.fromEntries(r.fields.map((f) => [f.name, f.name === r.dateField ? app.config.clock.today() : defaultOf(r.name, f)]));
    return render(req, reply, `${r.label}：新しい記録`, async (csrf) => entryForm(r, `/registers/${r.name}/new`, csrf, { values }, false));
  });

  fastify.post('/registers/:name/new', { preHandler: [needLogin, fastify.csrfProtection] }, async (req, reply) => {
    const r = regOf(req);
    const body = (req.body ?? {}) as Form;
    const res = await attempt(() => work(app.db, req, (w) => createEntry(w, r.name, body)));
    if (!res.ok) return render(req, reply, `${r.label}：新しい記録`, async (csrf) => entryForm(r, `/registers/${r.name}/new`, csrf, refusedState(body, res.problem), false), res.problem.status);
    setFlash(reply, `${r.label}に第${res.value.number}号として記録しました。`);
    return reply.redirect(`/registers/${r.name}/${res.value.number}`);
  });

  fastify.get('/registers/:name/:number/edit', { preHandler: needLogin }, async (req, reply) => {
    const r = regOf(req);
    const e = await work(app.db, req, (w) => getEntry(w, r.name, numberOf(req)));
    return render(req, reply, `${r.label} 第${e.number}号の訂正`, async (csrf) => entryForm(r, `/registers/${r.name}/${e.number}/edit`, csrf, { values: { ...e.data } }, true));
  });

  fastify.post('/registers/:name/:number/edit', { preHandler: [needLogin, fastify.csrfProtection] }, async (req, reply) => {
    const r = regOf(req);
    const n = numberOf(req);
    const body = (req.body ?? {}) as Form;
    const res = await attempt(() => work(app.db, req, (w) => correctEntry(w, r.name, n, body, one(body['reason']) ?? '')));
    if (!res.ok) return render(req, reply, `${r.label} 第${n}号の訂正`, async (csrf) => entryForm(r, `/registers/${r.name}/${n}/edit`, csrf, refusedState(body, res.problem), true), res.problem.status);
    setFlash(reply, `第${n}号の訂正を記録しました（第${res.value.version}版）。`);
    return reply.redirect(`/registers/${r.name}/${n}`);
  });

  // ------------------------------------------------------------ detail and steps
  const detail = async (req: FastifyRequest, r: RegisterDef, csrf: string, failed?: { kind: string; state: FormState }): Promise<{ title: string; body: SafeHtml }> => {
    const n = numberOf(req);
    const { e, linked } = await work(app.db, req, async (w) => {
      const e = await getEntry(w, r.name, n);
      return { e, linked: r.name === 'incident' ? await inquiriesOfIncident(w, e.number) : [] };
    });
    const writable = mayWrite(req.session!.actor, r.name);
    const steps = r.steps.filter((s) => !s.from || s.from.includes(e.status));
    return { title: `${r.label} 第${e.number}号`, body: html`
${failed ? errorSummary(failed.state) : ''}
<div class="actions">${writable ? html`<a class="btn btn--secondary" href="/registers/${r.name}/${e.number}/edit">内容を訂正する</a>` : ''}<a class="btn btn--secondary" href="/registers/${r.name}">${r.label}へ戻る</a></div>
${section('記録の内容', html`${dl([
  ['状態', statusBadge(e)],
  ...r.fields.map((f) => [f.label, linkOf(f, e.data[f.name]) ?? fieldValue(f, e.data[f.name])] as [string, SafeHtml | string]),
  ...extraFacts(r, e, linked),
  ['登録', `${when(e.createdAt)}（${e.createdBy}）`],
  ['版', e.version > 1 ? `第${e.version}版（訂正あり）` : '第1版'],
])}`)}
${r.steps.length ? section('経過', html`${table(
  ['日付', '記録', '内容', '記録した職員'],
  e.steps.map((s) => {
    const def = r.steps.find((x) => x.kind === s.kind);
    return [s.on, s.label, html`${(def?.fields ?? []).filter((f) => s.data[f.name]).map((f) => html`<div><strong>${f.label}</strong>：${s.data[f.name]}</div>`)}`, `${s.recordedBy}（${when(s.recordedAt)}）`];
  }),
  { empty: 'まだ経過の記録はありません。' },
)}
${writable && steps.length ? html`<div class="step-forms"><h3>経過を記録する</h3>${steps.map((s) => stepForm(r, e, s, csrf, failed?.kind === s.kind ? failed.state : undefined))}</div>` : ''}`) : ''}
${section('訂正の履歴', e.versions.length > 1 ? table(
  ['版', '記録日時', '記録した職員', '訂正の理由', '変わった項目'],
  e.versions.map((v, i) => {
    const prev = e.versions[i + 1];
    const changed = prev ? r.fields.filter((f) => (prev.data[f.name] ?? '') !== (v.data[f.name] ?? '')).map((f) => html`<div><strong>${f.label}</strong>：${prev.data[f.name] || '（空欄）'} → ${v.data[f.name] || '（空欄）'}</div>`) : [];
    return [`第${v.version}版`, when(v.recordedAt), v.recordedBy, v.reason ?? '（最初の記録）', prev ? html`${changed}` : '—'];
  }),
) : html`<p>訂正はありません。訂正すると前の版もここに残ります。</p>`)}` };
  };

  const stepForm = (r: RegisterDef, e: EntryDetail, s: StepDef, csrf: string, state?: FormState): SafeHtml => html`<details class="step-form"${state ? html` open` : ''}><summary>${s.label}を記録する</summary>
<form method="post" action="/registers/${r.name}/${e.number}/steps/${s.kind}" novalidate>${csrfField(csrf)}
${control({ name: 'on', label: s.dateLabel, type: 'date', required: true }, state ?? { values: { on: app.config.clock.today() } })}
${s.fields.map((f) => control(f, state))}
${button(`${s.label}を記録`, 'secondary')}
</form></details>`;

  fastify.get('/registers/:name/:number', { preHandler: needLogin }, async (req, reply) => {
    const r = regOf(req);
    const ctx = await pageContext(app, req, reply);
    const d = await detail(req, r, ctx.csrf);
    return sendPage(reply, page(ctx, d.title, d.body));
  });

  fastify.post('/registers/:name/:number/steps/:kind', { preHandler: [needLogin, fastify.csrfProtection] }, async (req, reply) => {
    const r = regOf(req);
    const n = numberOf(req);
    const kind = (req.params as { kind: string }).kind;
    const body = (req.body ?? {}) as Form;
    const res = await attempt(() => work(app.db, req, (w) => addStep(w, r.name, n, kind, body)));
    if (!res.ok) {
      const ctx = await pageContext(app, req, reply);
      const d = await detail(req, r, ctx.csrf, { kind, state: refusedState(body, res.problem) });
      return sendPage(reply, page(ctx, d.title, d.body), res.problem.status);
    }
    setFlash(reply, `第${n}号に「${r.steps.find((s) => s.kind === kind)?.label ?? ''}」を記録しました。`);
    return reply.redirect(`/registers/${r.name}/${n}`);
  });
}

/** A field that names an entry of another register links to it. */
function linkOf(f: FieldDef, v: string | undefined): SafeHtml | undefined {
  if (!v) return undefined;
  if (f.name === 'incident') return html`<a href="/registers/incident/${v}">事故・漏えい等の記録 第${v}号</a>`;
  if (f.name === 'contract') return html`<a href="/registers/outsourcing/${v}">委託先の管理簿 第${v}号</a>`;
  return undefined;
}

function extraFacts(r: RegisterDef, e: EntryDetail, linked: readonly number[]): [string, SafeHtml | string][] {
  const d: Values = e.data;
  if (r.name === 'disclosure') {
    const extended = e.steps.some((s) => s.kind === 'extend');
    return [['決定期限', html`${e.dueOn ?? '—'}${extended ? '（延長後）' : '（受付日の翌日から14日以内）'}${e.overdue ? html` ${badge('期限超過', 'bad')}` : ''}`]];
  }
  if (r.name === 'incident' && d['discoveredOn']) {
    const due = ppcReportDue(d['discoveredOn'], d['unlawful'] === 'はい');
    const done = (k: string) => e.steps.find((s) => s.kind === k)?.on;
    return [
      ['委員会への速報の目安', done('ppcPreliminary') ? `報告済み（${done('ppcPreliminary')}）` : `${due.preliminary}ごろまで（発覚から速やかに、概ね3〜5日以内）`],
      ['委員会への確報の期限', done('ppcFinal') ? `報告済み（${done('ppcFinal')}）` : `${due.final}（発覚日から${d['unlawful'] === 'はい' ? '60' : '30'}日以内）`],
      ['関連する問合せ', linked.length ? html`${linked.map((n) => html`<a href="/registers/inquiry/${n}">問合せ受付簿 第${n}号</a> `)}` : 'なし'],
    ];
  }
  if (r.name === 'outsourcing') return [['従事者名簿', html`<a href="/admin/handlers">取扱者名簿・委託先</a>（委託先従事者のアカウントと、アクセスログの提出依頼。システム管理者が管理します）`]];
  if (r.name === 'inquiry' && e.flagged) return [['取扱い', html`${badge('漏えい等の可能性', 'bad')} システム管理者と監査担当のホームに表示されています。事故として扱うときは「事故・漏えい等の記録」に登録し、その番号を記入してください。`]];
  return [];
}
