// Page frame for staff screens: header (organisation, user, logout), navigation by duty, content.
import type { SessionInfo } from '../../kernel/access/index.js';
import { can, role } from '../../kernel/access/index.js';
import { canReadResidents } from '../../municipality/residents/index.js';
import { escapeHtml, html, raw, type SafeHtml } from './html.js';
import { csrfField, notice, summaryBox, SUMMARY_END, SUMMARY_START } from './components.js';
import { formatJst } from '../../kernel/jp/index.js';
import { mayRead, registers } from '../../kernel/registers/index.js';

export interface PageContext {
  readonly session: SessionInfo | null;
  readonly csrf: string;
  readonly orgName?: string | undefined;
  readonly flash?: string | undefined;
  readonly path: string;
  /** A demonstration deployment (config.demo): every page says so. */
  readonly demo?: boolean | undefined;
  /** Open operation-log tampering alerts (KRN-34), given only to administrators and auditors. */
  readonly auditAlerts?: readonly { readonly id: string; readonly message: string; readonly raisedAt: Date }[] | undefined;
}

interface NavItem {
  href: string;
  label: string;
  show: (s: SessionInfo) => boolean;
}

const NAV: readonly NavItem[] = [
  { href: '/', label: 'ホーム', show: () => true },
  { href: '/residents', label: '住民・宛名', show: (s) => canReadResidents(s.actor) },
  { href: '/vaccinations/imports', label: '接種記録の取込', show: (s) => can(s.actor, 'personal.write', 'vaccination') },
  { href: '/vaccinations/queue', label: '照合の確認待ち', show: (s) => can(s.actor, 'personal.write', 'vaccination') },
  { href: '/extractions', label: '対象者の抽出', show: (s) => can(s.actor, 'personal.read', 'vaccination') },
  { href: '/certificates', label: '証明書交付簿', show: (s) => can(s.actor, 'personal.read', 'vaccination') },
  { href: '/notices', label: '通知書・接種券', show: (s) => can(s.actor, 'personal.read', 'vaccination') },
  { href: '/statistics', label: '統計', show: (s) => can(s.actor, 'personal.read', 'vaccination') },
  { href: '/vaccinations/schedule-config', label: '予防接種の設定', show: (s) => can(s.actor, 'personal.read', 'vaccination') },
  { href: '/admin/accounts', label: 'アカウント管理', show: (s) => can(s.actor, 'accounts.manage', 'account-admin') },
  { href: '/admin/review', label: '棚卸し', show: (s) => can(s.actor, 'accounts.manage', 'account-admin') },
  { href: '/admin/handlers', label: '取扱者名簿・委託先', show: (s) => can(s.actor, 'accounts.manage', 'account-admin') },
  { href: '/admin/settings', label: 'セキュリティ設定', show: (s) => can(s.actor, 'settings.manage', 'account-admin') },
  { href: '/admin/retention', label: '保存期間・削除', show: (s) => can(s.actor, 'settings.manage', 'account-admin') || s.actor.role === 'supervisor' },
  { href: '/exchange', label: '情報連携', show: (s) => can(s.actor, 'personal.read', 'exchange') },
  { href: '/platform', label: '予防接種プラットフォーム連携', show: (s) => can(s.actor, 'personal.read', 'vaccination') },
  { href: '/billing', label: '医療機関への請求・支払', show: (s) => can(s.actor, 'personal.read', 'vaccination') },
  { href: '/reimbursements', label: '償還払い（接種費用の助成）', show: (s) => can(s.actor, 'personal.read', 'vaccination') },
  { href: '/copay-rules', label: '自己負担の規則', show: (s) => can(s.actor, 'personal.read', 'vaccination') },
  { href: '/relief', label: '健康被害救済', show: (s) => can(s.actor, 'personal.read', 'relief') },
  { href: '/eapply', label: '電子申請（申請管理）', show: (s) => can(s.actor, 'personal.read', 'vaccination') },
  { href: '/registers', label: '安全管理の台帳', show: (s) => registers().some((r) => mayRead(s.actor, r.name)) },
  { href: '/audit', label: '操作ログ', show: () => true },
  { href: '/account', label: '自分のアカウント', show: () => true },
];

/**
 * A refused save, once for every form (decision 0107): the error summaries the body carries are taken out
 * and put under the page heading as one box, each line named by the label of the control it links to (read
 * from the control's data-label); a body with messages beside its fields but no summary gets one built from
 * them.  Lines whose field is not on the page keep their message and lose the link.
 */
export function finishForms(body: string): { body: string; summary: string } {
  const labels = new Map<string, string>();
  for (const m of body.matchAll(/\bid="f-([^"]+)" data-label="([^"]*)"/g)) if (!labels.has(m[1]!)) labels.set(m[1]!, m[2]!);
  const items: string[] = [];
  let rest = body;
  for (;;) {
    const a = rest.indexOf(SUMMARY_START);
    if (a < 0) break;
    const b = rest.indexOf(SUMMARY_END, a);
    if (b < 0) break;
    const box = rest.slice(a, b);
    for (const li of box.matchAll(/<li>[\s\S]*?<\/li>/g)) if (!items.includes(li[0])) items.push(li[0]);
    rest = rest.slice(0, a) + rest.slice(b + SUMMARY_END.length);
  }
  if (!items.length) {
    for (const m of rest.matchAll(/<p class="error-text" id="f-([^"]+)-error">(?:<span class="visually-hidden">[^<]*<\/span>)?([\s\S]*?)<\/p>/g)) {
      items.push(`<li><a href="#f-${m[1]!}"><!--mamori:label:${m[1]!}-->${m[2]!}</a></li>`);
    }
  }
  if (!items.length) return { body: rest, summary: '' };
  const filled = items.map((li) =>
    li.replace(/<a href="#f-([^"]+)"><!--mamori:label:([^>]*?)-->([\s\S]*?)<\/a>/, (_all, id: string, name: string, msg: string) => {
      const label = labels.get(name) ?? labels.get(id);
      return label !== undefined ? `<a href="#f-${escapeHtml(id)}">${label}: ${msg}</a>` : msg;
    }),
  );
  return { body: rest, summary: summaryBox(filled.map(raw)).value.replace(SUMMARY_START, '').replace(SUMMARY_END, '') };
}

export function page(ctx: PageContext, title: string, content: SafeHtml): string {
  const s = ctx.session;
  const forms = finishForms(content.value);
  const body = raw(forms.body);
  const restricted = s && (s.mustChangePassword || s.mustEnrollMfa);
  return html`<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} | 守り Mamori</title>
<link rel="stylesheet" href="/assets/tokens.css">
<link rel="stylesheet" href="/assets/mamori.css">
</head>
<body>
<a class="skip" href="#main">本文へ移動</a>
<header class="header"><div class="header__inner">
  <a class="brand" href="/">守り Mamori<small>${ctx.orgName ?? '特定個人情報を扱う業務システム'}</small></a>
  ${s
    ? html`<div class="who"><span>${s.fullName}（${s.actor.login}・${role(s.actor.role)?.label ?? ''}）</span>
      <form method="post" action="/logout" class="inline-form">${csrfField(ctx.csrf)}<button type="submit" class="btn btn--secondary">ログアウト</button></form></div>`
    : ''}
</div></header>
${ctx.demo ? html`<div class="demo-banner" role="note"><strong>デモ環境</strong>　表示されている住民・接種記録はすべて合成データです。本物の個人情報を入力しないでください。</div>` : ''}
${s && !restricted
  ? html`<nav class="nav" aria-label="メインメニュー"><ul>${NAV.filter((n) => n.show(s)).map(
      (n) => html`<li><a href="${n.href}"${ctx.path === n.href || (n.href !== '/' && ctx.path.startsWith(n.href)) ? html` aria-current="page"` : ''}>${n.label}</a></li>`,
    )}</ul></nav>`
  : ''}
<main id="main">
${s && ctx.auditAlerts?.length
  ? html`<div class="notice notice--error audit-alert" role="alert"><strong>操作ログの改ざんを検知しました（${ctx.auditAlerts.length}件未確認）。</strong>
  <ul>${ctx.auditAlerts.map((a) => html`<li>${formatJst(a.raisedAt)} ${a.message}</li>`)}</ul>
  <a href="/audit#alerts">操作ログ画面で確認する</a></div>`
  : ''}
${ctx.flash ? notice(ctx.flash, 'success') : ''}
<h1>${title}</h1>
${raw(forms.summary)}
${body}
</main>
<footer class="footer">守り Mamori — 操作はすべて操作ログに記録されます。画面に表示された個人情報は業務以外に利用しないでください。</footer>
</body>
</html>`.value;
}
