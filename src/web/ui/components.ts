// Small UI kit for staff screens, styled with the デジタル庁デザインシステム tokens (mamori.css).
import type { FieldError } from '../../kernel/problems/index.js';
import { formatJst } from '../../kernel/jp/index.js';
import { html, join, raw, type SafeHtml } from './html.js';
import { queryPage } from './query.js';

export interface FormState {
  readonly values?: Record<string, unknown>;
  readonly errors?: readonly FieldError[];
}

function errorFor(state: FormState | undefined, name: string): string | undefined {
  return state?.errors?.find((e) => e.field === name || e.field.startsWith(`${name}.`))?.message;
}

function valueOf(state: FormState | undefined, name: string, fallback = ''): string {
  const v = state?.values?.[name];
  return v === undefined || v === null ? fallback : String(v);
}

/**
 * What every form control shares (decision 0107): the id the error summary links to, the label the summary
 * names the problem by (data-label; page() reads it back), the message beside the control and the
 * aria-describedby that ties hint and message to it.
 */
interface Control {
  readonly id: string;
  readonly err: string | undefined;
  /** Attributes for the control itself: id, data-label, aria-describedby, aria-invalid. */
  readonly attrs: SafeHtml;
  readonly hint: SafeHtml;
  readonly error: SafeHtml;
}

function control(label: string, name: string, hint: string | undefined, state: FormState | undefined): Control {
  const err = errorFor(state, name);
  const id = `f-${name}`;
  const described = [hint ? `${id}-hint` : '', err ? `${id}-error` : ''].filter(Boolean).join(' ');
  return {
    id,
    err,
    attrs: html`id="${id}" data-label="${label}"${described ? html` aria-describedby="${described}"` : ''}${err ? html` aria-invalid="true"` : ''}`,
    hint: hint ? html`<p class="hint" id="${id}-hint">${hint}</p>` : html``,
    error: err ? html`<p class="error-text" id="${id}-error"><span class="visually-hidden">エラー：</span>${err}</p>` : html``,
  };
}

export interface FieldOpts {
  readonly label: string;
  readonly name: string;
  readonly type?: 'text' | 'password' | 'date' | 'email' | 'number' | 'search';
  readonly required?: boolean;
  readonly hint?: string;
  readonly autocomplete?: string;
  readonly value?: string;
  readonly inputmode?: 'numeric' | 'text';
  readonly maxlength?: number;
}

const req = (required: boolean | undefined): SafeHtml => (required ? html`<span class="req">必須</span>` : html``);

export function field(o: FieldOpts, state?: FormState): SafeHtml {
  const c = control(o.label, o.name, o.hint, state);
  const value = o.type === 'password' ? '' : valueOf(state, o.name, o.value ?? '');
  return html`<div class="field${c.err ? ' field--error' : ''}">
  <label for="${c.id}">${o.label}${req(o.required)}</label>
  ${c.hint}
  ${c.error}
  <input ${c.attrs} name="${o.name}" type="${o.type ?? 'text'}" value="${value}"${o.required ? html` required` : ''}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${o.inputmode ? html` inputmode="${o.inputmode}"` : ''}${o.maxlength ? html` maxlength="${o.maxlength}"` : ''}>
</div>`;
}

export function textarea(o: { label: string; name: string; required?: boolean; hint?: string; rows?: number }, state?: FormState): SafeHtml {
  const c = control(o.label, o.name, o.hint, state);
  return html`<div class="field${c.err ? ' field--error' : ''}">
  <label for="${c.id}">${o.label}${req(o.required)}</label>
  ${c.hint}
  ${c.error}
  <textarea ${c.attrs} name="${o.name}" rows="${o.rows ?? 3}"${o.required ? html` required` : ''}>${valueOf(state, o.name)}</textarea>
</div>`;
}

export function select(o: { label: string; name: string; options: readonly (readonly [string, string])[]; required?: boolean; hint?: string; value?: string }, state?: FormState): SafeHtml {
  const c = control(o.label, o.name, o.hint, state);
  const current = valueOf(state, o.name, o.value ?? '');
  return html`<div class="field${c.err ? ' field--error' : ''}">
  <label for="${c.id}">${o.label}${req(o.required)}</label>
  ${c.hint}
  ${c.error}
  <select ${c.attrs} name="${o.name}">${o.options.map(([v, l]) => html`<option value="${v}"${v === current ? html` selected` : ''}>${l}</option>`)}</select>
</div>`;
}

export function checkboxes(o: { legend: string; name: string; options: readonly (readonly [string, string])[]; checked?: readonly string[]; hint?: string }, state?: FormState): SafeHtml {
  const c = control(o.legend, o.name, o.hint, state);
  const raw = state?.values?.[o.name];
  const checked = new Set(raw === undefined ? (o.checked ?? []) : Array.isArray(raw) ? raw.map(String) : [String(raw)]);
  // The fieldset carries the id (tabindex -1 so the summary's link can move focus to it).
  return html`<fieldset ${c.attrs} tabindex="-1" class="field${c.err ? ' field--error' : ''}">
  <legend>${o.legend}</legend>
  ${c.hint}
  ${c.error}
  <div class="checks">${o.options.map(([v, l]) => html`<label class="check"><input type="checkbox" name="${o.name}" value="${v}"${checked.has(v) ? html` checked` : ''}> ${l}</label>`)}</div>
</fieldset>`;
}

export function checkbox(o: { label: string; name: string; checked?: boolean; hint?: string }, state?: FormState): SafeHtml {
  const c = control(o.label, o.name, o.hint, state);
  const raw = state?.values?.[o.name];
  const on = raw === undefined ? !!o.checked : raw === 'on' || raw === 'true' || raw === true;
  return html`<div class="field${c.err ? ' field--error' : ''}">${c.error}<label class="check"><input ${c.attrs} type="checkbox" name="${o.name}" value="on"${on ? html` checked` : ''}> ${o.label}</label>${c.hint}</div>`;
}

export const SUMMARY_START = '<!--mamori:error-summary-->';
export const SUMMARY_END = '<!--/mamori:error-summary-->';

/** A placeholder page() replaces with the field's label ("ラベル: "), read from the control's data-label. */
export const labelSlot = (name: string): SafeHtml => raw(`<!--mamori:label:${name.replace(/[^A-Za-z0-9_.-]/g, '')}-->`);

/**
 * The problems of a refused save (decision 0107): one line per field, each a link to the field, named by the
 * field's label.  page() fills in the labels from the rendered controls and moves the box to the top of the
 * page (under the heading); a form that does not call this still gets the box, built by page() from the
 * messages beside its fields.
 */
export function errorSummary(state?: FormState): SafeHtml {
  const errors = state?.errors ?? [];
  if (!errors.length) return html``;
  const seen = new Set<string>();
  const items: SafeHtml[] = [];
  for (const e of errors) {
    const name = e.field.split('.')[0]!;
    const whole = name === '_form' || name === '(入力全体)';
    const key = whole ? `_form:${e.message}` : name; // one line per field: its first problem
    if (seen.has(key)) continue;
    seen.add(key);
    items.push(whole ? html`<li>${e.message}</li>` : html`<li><a href="#f-${name}">${labelSlot(name)}${e.message}</a></li>`);
  }
  return summaryBox(items);
}

export function summaryBox(items: readonly SafeHtml[]): SafeHtml {
  return html`${raw(SUMMARY_START)}<div class="error-summary" role="alert" tabindex="-1" autofocus aria-labelledby="error-summary-title">
  <h2 id="error-summary-title">入力内容を確認してください</h2>
  <ul>${items}</ul>
</div>${raw(SUMMARY_END)}`;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="_csrf" value="${token}">`;
}

export function button(label: string, kind: 'primary' | 'secondary' | 'danger' = 'primary', name?: string, value?: string): SafeHtml {
  return html`<button type="submit" class="btn btn--${kind}"${name ? html` name="${name}" value="${value ?? ''}"` : ''}>${label}</button>`;
}

export function postButton(action: string, label: string, csrf: string, kind: 'primary' | 'secondary' | 'danger' = 'secondary', extra: SafeHtml = html``): SafeHtml {
  return html`<form method="post" action="${action}" class="inline-form">${csrfField(csrf)}${extra}${button(label, kind)}</form>`;
}

export function table(headers: readonly string[], rows: readonly (readonly (SafeHtml | string | number | null | undefined)[])[], opts: { caption?: string; empty?: string } = {}): SafeHtml {
  if (rows.length === 0) return html`<p class="empty">${opts.empty ?? '該当するデータはありません。'}</p>`;
  return html`<div class="table-wrap"><table>
  ${opts.caption ? html`<caption>${opts.caption}</caption>` : ''}
  <thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead>
  <tbody>${rows.map((r) => html`<tr>${r.map((c) => html`<td>${c ?? ''}</td>`)}</tr>`)}</tbody>
</table></div>`;
}

export function badge(text: string, tone: 'ok' | 'warn' | 'bad' | 'info' | 'muted' = 'info'): SafeHtml {
  return html`<span class="badge badge--${tone}">${text}</span>`;
}

export function dl(items: readonly (readonly [string, SafeHtml | string | number | null | undefined])[]): SafeHtml {
  return html`<dl class="dl">${items.map(([k, v]) => html`<dt>${k}</dt><dd>${v ?? '—'}</dd>`)}</dl>`;
}

export function notice(text: SafeHtml | string, tone: 'info' | 'success' | 'warning' | 'error' = 'info'): SafeHtml {
  return html`<div class="notice notice--${tone}" role="${tone === 'error' ? 'alert' : 'status'}">${text}</div>`;
}

export function when(d: Date | null | undefined): string {
  return d ? formatJst(d) : '—';
}

const SYSTEM_WORK: Readonly<Record<string, string>> = {
  'audit-verify': '操作ログの定時検証', backup: 'バックアップ', restore: '復元', retention: '保存期間の処理', maintenance: '保守作業', session: 'ログイン管理', bench: '性能測定',
};

/**
 * Who did something, as staff read it: a staff member by login ID; the system's own work by what it was
 * ("system:cli:alice" → 「システム（コマンド操作：alice）」), never the internal stamp.
 */
export function doneBy(stamp: string | null | undefined): string {
  if (!stamp) return '—';
  if (stamp === 'anonymous') return '未ログイン';
  const m = /^system:(.*)$/.exec(stamp);
  if (!m) return stamp;
  const cli = /^cli:(.*)$/.exec(m[1]!);
  if (cli) return cli[1] && cli[1] !== 'unknown' && !SYSTEM_WORK[cli[1]] ? `システム（コマンド操作：${cli[1]}）` : 'システム（コマンド操作）';
  const work = SYSTEM_WORK[m[1]!];
  return work ? `システム（${work}）` : 'システム';
}

/** A row of links between the pages of one area, the current one marked (not a link). */
export function subNav(label: string, items: readonly (readonly [string, string])[], here: string): SafeHtml {
  return html`<nav class="actions" aria-label="${label}">${items.map(([href, text]) =>
    href === here ? html`<span class="btn btn--primary" aria-current="page">${text}</span>` : html`<a class="btn btn--secondary" href="${href}">${text}</a>`,
  )}</nav>`;
}

export function section(title: string, body: SafeHtml): SafeHtml {
  return html`<section class="card"><h2>${title}</h2>${body}</section>`;
}

export { join };

// ---------------------------------------------------------------------------------------------- paging

export interface PageRequest {
  /** 1-based page number. */
  readonly page: number;
  readonly pageSize: number;
  readonly offset: number;
}

/**
 * The page asked for in the query string (`page`, 1-based), never past `cap` rows.  A `page` that is not a
 * whole number ≥ 1 is a 400 naming 「ページ」 (decision 0133); one past the end is moved back by `within`.
 */
export function pageRequest(query: Readonly<Record<string, unknown>>, pageSize: number, cap = Number.POSITIVE_INFINITY): PageRequest {
  const last = Math.max(1, Math.ceil(cap / pageSize));
  const page = Math.min(queryPage(query), last);
  return { page, pageSize, offset: (page - 1) * pageSize };
}

/** The page asked for, moved back to the last page when the list has become shorter (count first, then fetch). */
export function within(r: PageRequest, total: number, cap = Number.POSITIVE_INFINITY): PageRequest {
  const last = Math.max(1, Math.ceil(Math.min(total, cap) / r.pageSize));
  return r.page <= last ? r : { ...r, page: last, offset: (last - 1) * r.pageSize };
}

/** A link to another page of the same list, keeping every filter (and dropping an empty one). */
export function pageHref(path: string, filters: Record<string, string | undefined>, page: number): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v !== undefined && v !== '' && k !== 'page') p.set(k, v);
  if (page > 1) p.set('page', String(page));
  const qs = p.toString();
  return qs ? `${path}?${qs}` : path;
}

export interface PagerOpts {
  /** Rows matching (when `cap` is given, counted only up to cap + 1). */
  readonly total: number;
  readonly request: PageRequest;
  /** Rows on this page. */
  readonly shown: number;
  readonly path: string;
  readonly filters: Record<string, string | undefined>;
  /** Only the first `cap` rows can be paged through; more than that and the pager says so. */
  readonly cap?: number | undefined;
  /** How the rows are ordered, said with the count (e.g. 新しい順). */
  readonly order?: string | undefined;
}

/**
 * 「全 N 件中 A–B 件を表示」, 前へ/次へ and page numbers (the first, the last and two either side of the
 * current one), every link keeping the list's filters (decision 0108).  A capped list says so.
 */
export function pager(o: PagerOpts): SafeHtml {
  const { page, pageSize, offset } = o.request;
  const capped = o.cap !== undefined && o.total > o.cap;
  const reachable = capped ? o.cap! : o.total;
  const pages = Math.max(1, Math.ceil(reachable / pageSize));
  const from = o.shown ? offset + 1 : 0;
  const to = offset + o.shown;
  const count = capped
    ? `${o.cap!.toLocaleString('ja-JP')} 件を超えています。上位 ${o.cap!.toLocaleString('ja-JP')} 件のうち ${from.toLocaleString('ja-JP')}–${to.toLocaleString('ja-JP')} 件を表示`
    : `全 ${o.total.toLocaleString('ja-JP')} 件中 ${from.toLocaleString('ja-JP')}–${to.toLocaleString('ja-JP')} 件を表示`;
  const href = (n: number) => pageHref(o.path, o.filters, n);
  const numbers: (number | null)[] = [];
  for (let n = 1; n <= pages; n++) {
    if (n === 1 || n === pages || Math.abs(n - page) <= 2) numbers.push(n);
    else if (numbers.at(-1) !== null) numbers.push(null);
  }
  return html`<nav class="pager" aria-label="ページ送り">
  <p class="pager__count" role="status">${count}${o.order ? `（${o.order}）` : ''}</p>
  ${capped ? html`<p class="pager__capped">上位 ${o.cap!.toLocaleString('ja-JP')} 件のみ表示しています。条件を絞り込んでください。</p>` : ''}
  ${pages > 1
    ? html`<ul class="pager__pages">
    <li>${page > 1 ? html`<a href="${href(page - 1)}" rel="prev">前へ</a>` : html`<span class="pager__off" aria-disabled="true">前へ</span>`}</li>
    ${numbers.map((n) => (n === null ? html`<li class="pager__gap" aria-hidden="true">…</li>` : n === page ? html`<li><span class="pager__current" aria-current="page">${n}</span></li>` : html`<li><a href="${href(n)}" aria-label="${n}ページ">${n}</a></li>`))}
    <li>${page < pages ? html`<a href="${href(page + 1)}" rel="next">次へ</a>` : html`<span class="pager__off" aria-disabled="true">次へ</span>`}</li>
  </ul>`
    : ''}
</nav>`;
}
