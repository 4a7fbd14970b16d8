// Small UI kit for staff screens, styled with the デジタル庁デザインシステム tokens (mamori.css).
import type { FieldError } from '../../kernel/problems/index.js';
import { formatJst } from '../../kernel/jp/index.js';
import { html, join, type SafeHtml } from './html.js';

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

export function field(o: FieldOpts, state?: FormState): SafeHtml {
  const err = errorFor(state, o.name);
  const id = `f-${o.name}`;
  const value = o.type === 'password' ? '' : valueOf(state, o.name, o.value ?? '');
  return html`<div class="field${err ? ' field--error' : ''}">
  <label for="${id}">${o.label}${o.required ? html`<span class="req">必須</span>` : ''}</label>
  ${o.hint ? html`<p class="hint" id="${id}-hint">${o.hint}</p>` : ''}
  ${err ? html`<p class="error-text" id="${id}-error">${err}</p>` : ''}
  <input id="${id}" name="${o.name}" type="${o.type ?? 'text'}" value="${value}"${o.required ? html` required` : ''}${o.autocomplete ? html` autocomplete="${o.autocomplete}"` : ''}${o.inputmode ? html` inputmode="${o.inputmode}"` : ''}${o.maxlength ? html` maxlength="${o.maxlength}"` : ''}${err || o.hint ? html` aria-describedby="${[o.hint ? `${id}-hint` : '', err ? `${id}-error` : ''].filter(Boolean).join(' ')}"` : ''}${err ? html` aria-invalid="true"` : ''}>
</div>`;
}

export function textarea(o: { label: string; name: string; required?: boolean; hint?: string; rows?: number }, state?: FormState): SafeHtml {
  const err = errorFor(state, o.name);
  const id = `f-${o.name}`;
  return html`<div class="field${err ? ' field--error' : ''}">
  <label for="${id}">${o.label}${o.required ? html`<span class="req">必須</span>` : ''}</label>
  ${o.hint ? html`<p class="hint">${o.hint}</p>` : ''}
  ${err ? html`<p class="error-text">${err}</p>` : ''}
  <textarea id="${id}" name="${o.name}" rows="${o.rows ?? 3}"${o.required ? html` required` : ''}>${valueOf(state, o.name)}</textarea>
</div>`;
}

export function select(o: { label: string; name: string; options: readonly (readonly [string, string])[]; required?: boolean; hint?: string; value?: string }, state?: FormState): SafeHtml {
  const err = errorFor(state, o.name);
  const current = valueOf(state, o.name, o.value ?? '');
  const id = `f-${o.name}`;
  return html`<div class="field${err ? ' field--error' : ''}">
  <label for="${id}">${o.label}${o.required ? html`<span class="req">必須</span>` : ''}</label>
  ${o.hint ? html`<p class="hint">${o.hint}</p>` : ''}
  ${err ? html`<p class="error-text">${err}</p>` : ''}
  <select id="${id}" name="${o.name}">${o.options.map(([v, l]) => html`<option value="${v}"${v === current ? html` selected` : ''}>${l}</option>`)}</select>
</div>`;
}

export function checkboxes(o: { legend: string; name: string; options: readonly (readonly [string, string])[]; checked?: readonly string[]; hint?: string }, state?: FormState): SafeHtml {
  const err = errorFor(state, o.name);
  const raw = state?.values?.[o.name];
  const checked = new Set(raw === undefined ? (o.checked ?? []) : Array.isArray(raw) ? raw.map(String) : [String(raw)]);
  return html`<fieldset class="field${err ? ' field--error' : ''}">
  <legend>${o.legend}</legend>
  ${o.hint ? html`<p class="hint">${o.hint}</p>` : ''}
  ${err ? html`<p class="error-text">${err}</p>` : ''}
  <div class="checks">${o.options.map(([v, l]) => html`<label class="check"><input type="checkbox" name="${o.name}" value="${v}"${checked.has(v) ? html` checked` : ''}> ${l}</label>`)}</div>
</fieldset>`;
}

export function checkbox(o: { label: string; name: string; checked?: boolean; hint?: string }, state?: FormState): SafeHtml {
  const raw = state?.values?.[o.name];
  const on = raw === undefined ? !!o.checked : raw === 'on' || raw === 'true' || raw === true;
  return html`<div class="field"><label class="check"><input type="checkbox" name="${o.name}" value="on"${on ? html` checked` : ''}> ${o.label}</label>${o.hint ? html`<p class="hint">${o.hint}</p>` : ''}</div>`;
}

export function errorSummary(state?: FormState): SafeHtml {
  const errors = state?.errors ?? [];
  if (!errors.length) return html``;
  return html`<div class="error-summary" role="alert" tabindex="-1">
  <h2>入力内容を確認してください</h2>
  <ul>${errors.map((e) => html`<li><a href="#f-${e.field.split('.')[0]}">${e.message}</a></li>`)}</ul>
</div>`;
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

export function section(title: string, body: SafeHtml): SafeHtml {
  return html`<section class="card"><h2>${title}</h2>${body}</section>`;
}

export { join };
