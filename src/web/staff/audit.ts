// Operation-log viewer (KRN-33): search and export for the audit-review duty; everyone else sees
// their own operations only.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { can } from '../../kernel/access/index.js';
import { ACTION_LABELS, TARGET_LABELS, accessHistory, acknowledgeAuditAlert, auditAlerts, countAudit, exportAuditCsv, lastVerification, maySeeAuditAlerts, sealPending, searchAudit, verifyTenantChain, type AuditSearch } from '../../kernel/audit/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { work } from '../../kernel/http/index.js';
import type { Work } from '../../kernel/context/index.js';
import { canReadResidents } from '../../municipality/residents/index.js';
import { addDaysIso } from '../../kernel/jp/index.js';
import { badge, button, csrfField, field, html, notice, page, pageRequest, pager, within, section, select, table, when, type SafeHtml, doneBy, queryDate, queryEnum, queryOf } from '../ui/index.js';
import { attempt, needLogin, needPermission, one, pageContext, sendPage, setFlash, type Form } from './support.js';

/**
 * The 本人 field as staff type it: a plain 宛名番号 (full-width digits too; shorter numbers are zero-padded to
 * ten digits), 宛名番号 with its prefix, a login ID of a staff account (in `accounts`) or a reference key.
 */
export function subjectRefOf(input: string | undefined, accountIdByLogin: ReadonlyMap<string, string> = new Map()): string | undefined {
  const s = input?.normalize('NFKC').trim().replace(/^宛名番号\s*/, '');
  if (!s) return undefined;
  if (/^\d{1,10}$/.test(s)) return `resident:${s.padStart(10, '0')}`;
  const account = accountIdByLogin.get(s);
  if (account) return `account:${account}`;
  return s;
}

function filtersFrom(req: FastifyRequest): { search: AuditSearch; raw: Record<string, string> } {
  const q = queryOf(req);
  const raw: Record<string, string> = {};
  for (const k of ['actor', 'action', 'targetType', 'subject', 'outcome', 'from', 'to']) if (q[k]) raw[k] = String(q[k]).slice(0, 100);
  // Decision 0133: a date or result that is there but malformed is a 400 naming it, not a silently wider search.
  const from = queryDate(q, 'from', '期間（開始日）');
  const to = queryDate(q, 'to', '期間（終了日）');
  const outcome = queryEnum(q, 'outcome', '結果', ['success', 'failure', 'denied'] as const);
  return {
    raw,
    search: {
      actorLogin: raw['actor'],
      action: raw['action'],
      targetType: raw['targetType'],
      subjectRef: subjectRefOf(raw['subject']),
      outcome,
      from: from ? new Date(`${from}T00:00:00+09:00`) : undefined,
      to: to ? new Date(`${addDaysIso(to, 1)}T00:00:00+09:00`) : undefined,
      limit: AUDIT_PAGE,
    },
  };
}

/** The viewer pages through the newest AUDIT_CAP matching entries; past that, narrow the conditions (or export CSV). */
const AUDIT_PAGE = 100;
const AUDIT_CAP = 10_000;
const ACTOR_KINDS: Record<string, string> = { staff: '職員', contractor: '委託事業者', system: 'システム', anonymous: '未ログイン', resident: '住民', clinic: '医療機関' };

const OUTCOME = { success: ['成功', 'ok'], failure: ['失敗', 'warn'], denied: ['拒否', 'bad'] } as const;

interface AccountName {
  readonly login: string;
  readonly name: string;
}

/**
 * Whose data the entry touched (KRN-31), for the auditor: a resident as 宛名番号 linking to that person's access
 * history within the audit duty (never the resident page, which needs the 宛名 duty), a staff account by its
 * login ID and name linking to the entries about that account; anything else as plain text.
 */
function subjectCell(ref: string | null, accounts: ReadonlyMap<string, AccountName>, auditor: boolean, readsResidents: boolean): SafeHtml | string {
  if (!ref) return '';
  const r = /^resident:(\d{10})$/.exec(ref);
  if (r) {
    // Someone reviewing their own operations goes back to the person only if their duties let them.
    if (auditor) return html`<a href="/audit/people/${r[1]!}">宛名番号 ${r[1]!}</a>`;
    return readsResidents ? html`<a href="/residents/${r[1]!}">宛名番号 ${r[1]!}</a>` : `宛名番号 ${r[1]!}`;
  }
  const a = /^account:(.+)$/.exec(ref);
  if (a) {
    const acc = accounts.get(a[1]!);
    const label = acc ? `職員 ${acc.name}（${acc.login}）` : '職員（削除済みのアカウント）';
    return auditor && acc ? html`<a href="/audit?subject=${encodeURIComponent(acc.login)}">${label}</a>` : label;
  }
  return ref.replace(/^[a-z_-]+:/, '');
}

function targetCell(type: string | null, id: string | null, accounts: ReadonlyMap<string, AccountName>): SafeHtml | string {
  if (!type) return '';
  const label = TARGET_LABELS[type] ?? type;
  if (!id) return label;
  const acc = type === 'account' ? accounts.get(id) : undefined;
  const person = /^(?:person:|resident:)?(\d{10})$/.exec(id);
  return html`${label}<br><small>${acc ? acc.login : person ? `宛名番号 ${person[1]!}` : id}</small>`;
}

/** Account ids mentioned by the entries → login ID and name (this tenant's accounts only). */
async function accountNames(w: Work, ids: readonly string[]): Promise<Map<string, AccountName>> {
  const uuid = [...new Set(ids)].filter((x) => /^[0-9a-f-]{36}$/.test(x));
  if (!uuid.length) return new Map();
  const rows = await w.tx.selectFrom('kernel.accounts').select(['id', 'login_id', 'full_name']).where('tenant_code', '=', w.tenant).where('id', 'in', uuid).execute();
  return new Map(rows.map((r) => [r.id, { login: r.login_id, name: r.full_name }]));
}

async function accountIdByLogin(w: Work, login: string | undefined): Promise<Map<string, string>> {
  const s = login?.normalize('NFKC').trim();
  if (!s || /^\d+$/.test(s) || s.includes(':')) return new Map();
  const row = await w.tx.selectFrom('kernel.accounts').select(['id']).where('tenant_code', '=', w.tenant).where('login_id', '=', s).executeTakeFirst();
  return row ? new Map([[s, row.id]]) : new Map();
}

export function registerAuditPages(fastify: FastifyInstance, app: App): void {
  fastify.get('/audit', { preHandler: needLogin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const s = req.session!;
    const auditor = can(s.actor, 'audit.review', 'audit-review');
    const { search, raw } = filtersFrom(req);
    if (!auditor) search.actorLogin = s.actor.login; // everyone may review their own operations
    const [rows, total, at, accounts] = await work(app.db, req, async (w) => {
      if (auditor && raw['subject']) search.subjectRef = subjectRefOf(raw['subject'], await accountIdByLogin(w, raw['subject']));
      const n = await countAudit(w, search, AUDIT_CAP);
      const r = within(pageRequest(req.query as Record<string, unknown>, AUDIT_PAGE, AUDIT_CAP), n, AUDIT_CAP);
      const found = await searchAudit(w, { ...search, offset: r.offset });
      const ids = found.flatMap((x) => [x.subject_ref?.startsWith('account:') ? x.subject_ref.slice(8) : '', x.target_type === 'account' ? (x.target_id ?? '') : '']);
      return [found, n, r, await accountNames(w, ids)] as const;
    });
    const alertsBlock = maySeeAuditAlerts(s.actor) ? await alertsSection(req, ctx.csrf, auditor) : '';
    const qs = new URLSearchParams(raw);
    const paging = pager({ total, request: at, shown: rows.length, path: '/audit', filters: raw, cap: AUDIT_CAP, order: '新しい順' });
    return sendPage(
      reply,
      page(
        ctx,
        auditor ? '操作ログ' : '自分の操作履歴',
        html`
${auditor ? '' : notice('あなた自身の操作の記録です。団体全体の操作ログは監査担当（ログ監査の所掌事務）が確認します。')}
${alertsBlock}
<form method="get" action="/audit" class="card filters">
  ${auditor ? field({ label: '操作者（ログインID）', name: 'actor', value: raw['actor'] ?? '' }) : ''}
  ${select({ label: '操作', name: 'action', options: [['', 'すべて'], ...Object.entries(ACTION_LABELS)], value: raw['action'] ?? '' })}
  ${select({ label: '対象の種類', name: 'targetType', options: [['', 'すべて'], ...Object.entries(TARGET_LABELS)], value: raw['targetType'] ?? '' })}
  ${auditor ? field({ label: '本人（宛名番号・ログインID）', name: 'subject', value: raw['subject'] ?? '', hint: '例：9000000019' }) : ''}
  ${select({ label: '結果', name: 'outcome', options: [['', 'すべて'], ['success', '成功'], ['failure', '失敗'], ['denied', '拒否']], value: raw['outcome'] ?? '' })}
  ${field({ label: '期間（開始日）', name: 'from', type: 'date', value: raw['from'] ?? '' })}
  ${field({ label: '期間（終了日）', name: 'to', type: 'date', value: raw['to'] ?? '' })}
  ${button('検索', 'secondary')}
</form>
${auditor ? html`<div class="actions"><a class="btn btn--secondary" href="/audit.csv?${qs.toString()}">この条件でCSV出力</a><form method="post" action="/audit/verify" class="inline-form">${csrfField(ctx.csrf)}${button('改ざん検証を実行', 'secondary')}</form></div>` : ''}
${paging}
${table(
  ['日時', '操作者', '操作', '対象', '本人', '目的', '結果', '端末・接続元', 'リクエストID'],
  rows.map((r) => [
    when(r.occurred_at),
    r.actor_kind === 'system' ? doneBy(r.actor_login) : html`${r.actor_login}<br><small>${ACTOR_KINDS[r.actor_kind] ?? r.actor_kind}</small>`,
    ACTION_LABELS[r.action] ?? r.action,
    targetCell(r.target_type, r.target_id, accounts),
    subjectCell(r.subject_ref, accounts, auditor, canReadResidents(s.actor)),
    r.purpose,
    badge(OUTCOME[r.outcome][0], OUTCOME[r.outcome][1]),
    html`${r.terminal_id ?? ''}<br><small>${r.client_address ?? ''}</small>`,
    html`<small>${r.request_id ?? ''}</small>`,
  ]),
  { caption: '操作ログ（新しい順）' },
)}
${rows.length > 20 ? paging : ''}`,
      ),
    );
  });

  const auditor = [needLogin, needPermission(app, 'audit.review', 'audit-review')];

  /** KRN-34: the scheduled verification's last result and the tampering alerts; auditors acknowledge them. */
  const alertsSection = async (req: FastifyRequest, csrf: string, mayAcknowledge: boolean, failed?: string): Promise<SafeHtml> => {
    const tenant = req.session!.tenant;
    const [alerts, last] = await work(app.db, req, async (w) => [await auditAlerts(w.tx, tenant), await lastVerification(w.tx, tenant)] as const);
    return html`<section class="card" id="alerts"><h2>改ざん検知（定期検証）</h2>
${last ? html`<p>最終検証: ${when(last.checked_at)} — ${last.ok ? `正常（${Number(last.verified)}件）` : `不正を検出: ${last.message ?? ''}`}</p>` : html`<p>定期検証はまだ実行されていません。</p>`}
${failed ? notice(failed, 'error') : ''}
${alerts.length
  ? table(
      ['検知日時', '内容', '最終検知', '確認'],
      alerts.map((a) => [
        when(a.raisedAt),
        a.message,
        when(a.lastSeenAt),
        a.acknowledgedAt
          ? html`${when(a.acknowledgedAt)} ${a.acknowledgedBy ?? ''}<br><small>${a.ackReason ?? ''}</small>`
          : mayAcknowledge
            ? html`<form method="post" action="/audit/alerts/${a.id}/ack" class="inline-form">${csrfField(csrf)}${field({ label: '確認内容（理由）', name: 'reason', value: '' })}${button('確認済みにする', 'secondary')}</form>`
            : badge('未確認', 'bad'),
      ]),
      { caption: '警告（新しい順）' },
    )
  : html`<p>警告はありません。</p>`}
</section>`;
  };

  fastify.post('/audit/alerts/:id/ack', { preHandler: [needLogin, fastify.csrfProtection] }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    const body = req.body as Form;
    const r = await attempt(() => work(app.db, req, (w) => acknowledgeAuditAlert(w, id, one(body['reason']) ?? '')));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '操作ログ', await alertsSection(req, ctx.csrf, can(req.session!.actor, 'audit.review', 'audit-review'), r.problem.errors[0]?.message ?? r.problem.detail ?? r.problem.title)), r.problem.status);
    }
    setFlash(reply, '改ざん検知の警告を確認済みにしました。');
    return reply.redirect('/audit#alerts');
  });

  // "この方の記録を誰がいつ見たか": a resident's access history within the audit duty (the 本人 link of the log).
  fastify.get('/audit/people/:atenaNo', { preHandler: auditor }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const atenaNo = (req.params as { atenaNo: string }).atenaNo.normalize('NFKC');
    if (!/^\d{10}$/.test(atenaNo)) return sendPage(reply, page(ctx, '見つかりません', html`<p>宛名番号は10桁の数字です。<a href="/audit">操作ログへ</a></p>`), 404);
    const rows = await work(app.db, req, (w) => accessHistory(w, `resident:${atenaNo}`, { limit: 1000 }));
    return sendPage(
      reply,
      page(
        ctx,
        `この方の記録を誰がいつ見たか（宛名番号 ${atenaNo}）`,
        html`<p>宛名番号 ${atenaNo} の方のデータに関する操作の記録です（新しい順）。氏名・住所等は、宛名の所掌事務のある職員が住民の画面で確認します。</p>
<p><a href="/residents/${atenaNo}/data-use">情報提供ネットワークシステムでのやりとり（情報提供等記録）と合わせて見る</a></p>
<div class="actions"><a class="btn btn--secondary" href="/audit?subject=${atenaNo}">操作ログで詳しく見る</a><a class="btn btn--secondary" href="/audit.csv?subject=${atenaNo}">CSV出力</a></div>
${table(
  ['日時', '職員（ログインID）', '操作', '対象', '目的', '結果'],
  rows.map((r) => [when(r.at), doneBy(r.actorLogin), r.actionLabel, r.targetType ? (TARGET_LABELS[r.targetType] ?? r.targetType) : '', r.purpose, badge(OUTCOME[r.outcome as keyof typeof OUTCOME]?.[0] ?? r.outcome, OUTCOME[r.outcome as keyof typeof OUTCOME]?.[1] ?? 'muted')]),
  { caption: `${rows.length}件${rows.length === 1000 ? '（新しい順に1000件まで）' : ''}`, empty: 'この方のデータに関する記録はありません。' },
)}`,
      ),
    );
  });

  fastify.get('/audit.csv', { preHandler: auditor }, async (req, reply) => {
    const { search } = filtersFrom(req);
    const subject = (req.query as Record<string, string | undefined>)['subject'];
    const csv = await work(app.db, req, async (w) => exportAuditCsv(w, { ...search, subjectRef: subjectRefOf(subject, await accountIdByLogin(w, subject)), limit: 1_000_000, beforeId: undefined }));
    return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="audit-${req.session!.tenant}.csv"`).send(csv);
  });

  fastify.post('/audit/verify', { preHandler: [needLogin, fastify.csrfProtection, needPermission(app, 'audit.review', 'audit-review')] }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const tenant = req.session!.tenant;
    await sealPending(app.db.system, app.auditKeys, tenant);
    const r = await verifyTenantChain(app.db.system, app.auditKeys, tenant);
    await work(app.db, req, (w) => appendEntry(w.tx, w, { action: 'read', targetType: 'audit-chain', detail: { ok: r.ok, verified: r.verified } }));
    return sendPage(
      reply,
      page(
        ctx,
        '操作ログの改ざん検証',
        section(
          '結果',
          r.ok
            ? notice(`正常です。${r.verified}件のエントリ（seq ${r.firstSeq ?? '-'}〜${r.lastSeq ?? '-'}）のハッシュ連鎖と署名付きチェックポイント${r.checkpoints}件を検証しました。`, 'success')
            : notice(`不正を検出しました: ${r.failure!.message}`, 'error'),
        ),
      ),
    );
  });
}
