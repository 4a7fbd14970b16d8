// Extraction screens (issue 5 point 1; VAX-04, VAX-06): a new run (kind, programs, as-of date, filters), the
// run list, and a run's detail — parameters, catalog version, counts by program and status, exclusions, the
// content hash, the difference from the previous run (new and dropped persons), the members page by page
// (氏名, 生年月日, 宛名番号, program, dose, window, 支援措置 marked; never a My Number, never an address),
// progress while it runs and a resume button for an interrupted or failed run.
//
// Documents built on a run (通知書・予診票, the documents room) add their section to the run page through
// `addRunDetailSection` — see the slot marked DOCUMENTS below.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import {
  EXCLUSION_LABELS,
  EXCLUSION_REASONS,
  KIND_LABELS,
  getExtractionRun,
  isRunActiveHere,
  listExtractionRuns,
  listRunDiff,
  listRunMembers,
  requireExtraction,
  resumeExtraction,
  startExtraction,
  type ExtractionRunView,
  type RunMember,
} from '../../municipality/extraction/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import { programVersionAt, type Catalog } from '../../municipality/schedule/index.js';
import { principalOf, work } from '../../kernel/http/index.js';
import { isProblem } from '../../kernel/problems/index.js';
import { formatWareki } from '../../kernel/jp/index.js';
import { badge, button, checkboxes, csrfField, dl, errorSummary, field, html, notice, page, postButton, section, select, table, when, type FormState, type SafeHtml, doneBy, queryEnum, queryOf, queryPage } from '../ui/index.js';
import { formState, many, needLogin, one, problemText, pageContext, sendPage, setFlash, type Form } from './support.js';

/** What a section added to the run page receives. */
export interface RunDetailContext {
  readonly app: App;
  readonly req: FastifyRequest;
  readonly run: ExtractionRunView;
  readonly csrf: string;
}

export type RunDetailSection = (ctx: RunDetailContext) => SafeHtml | Promise<SafeHtml>;

const runDetailSections: RunDetailSection[] = [];

/**
 * Adds a section to every run's detail page (e.g. the documents room's 「通知書を作成」 for a complete run).
 * Register it from the screen module's register function; sections render in registration order.
 */
export function addRunDetailSection(s: RunDetailSection): void {
  runDetailSections.push(s);
}

const STATUS = { complete: ['完了', 'ok'], running: ['実行中', 'info'], failed: ['失敗', 'bad'] } as const;
const PAGE = 100;

const dateJ = (d: string | null): string => (d ? `${d}（${formatWareki(d)}）` : '—');

function programName(catalog: Catalog, code: string): string {
  return catalog.programsByCode.get(code)?.at(-1)?.name ?? code;
}

function statusBadge(r: ExtractionRunView, activeHere: boolean): SafeHtml {
  if (r.status === 'running' && !activeHere) return badge('中断（再開できます）', 'warn');
  return badge(STATUS[r.status][0], STATUS[r.status][1]);
}

function memberTable(catalog: Catalog, ms: readonly RunMember[], opts: { empty: string; caption?: string | undefined }): SafeHtml {
  return table(
    ['氏名', '生年月日', '宛名番号', '予防接種', '回', '状況', '接種できる期間', '標準的な期間', '送付'],
    ms.map((m) => [
      html`${m.nameKanji}<br><small>${m.nameKana}</small>`,
      dateJ(m.birthDate),
      html`<a href="/residents/${m.atenaNo}/vaccinations">${m.atenaNo}</a>`,
      programName(catalog, m.program),
      m.dose ? `${m.dose}回目` : '—',
      html`${m.status === 'due' ? badge('接種時期', 'warn') : badge('これから', 'info')}${m.late ? html` ${badge('標準期間超過', 'bad')}` : ''}`,
      `${m.earliest ?? ''} 〜 ${m.latest ?? ''}`,
      `${m.standardFrom ?? ''} 〜 ${m.standardUntil ?? ''}`,
      m.protected ? badge('郵送不可（支援措置）', 'bad') : '郵送可',
    ]),
    { empty: opts.empty, caption: opts.caption },
  );
}

function pager(base: string, total: number, pageNo: number, extra = ''): SafeHtml {
  const pages = Math.max(1, Math.ceil(total / PAGE));
  if (pages <= 1) return html``;
  const link = (p: number, label: string) => html`<a href="${base}?page=${p}${extra}">${label}</a>`;
  return html`<p class="actions">${pageNo > 1 ? link(pageNo - 1, '← 前へ') : ''} <span>${pageNo} / ${pages} ページ（${total} 件）</span> ${pageNo < pages ? link(pageNo + 1, '次へ →') : ''}</p>`;
}

export function registerExtractionPages(fastify: FastifyInstance, app: App): void {
  const guard = [needLogin, async (req: FastifyRequest) => work(app.db, req, async (w) => requireExtraction(w.actor))];

  // -------------------------------------------------------------- list + new run
  const listPage = async (req: FastifyRequest, csrf: string, state?: FormState): Promise<SafeHtml> => {
    const { catalog } = await work(app.db, req, (w) => catalogFor(w));
    const runs = await work(app.db, req, (w) => listExtractionRuns(w, { limit: 50 }));
    const today = app.config.clock.today();
    const inForce = catalog.programCodes.filter((c) => programVersionAt(catalog, c, today) !== undefined);
    return html`
${section(
  '新しく抽出する',
  html`${errorSummary(state)}
<form method="post" action="/extractions" novalidate>${csrfField(csrf)}
  ${select({ label: '抽出の種類', name: 'kind', options: [['targets', `${KIND_LABELS.targets} — 接種時期の人と、年度内に接種時期になる人`], ['unvaccinated', `${KIND_LABELS.unvaccinated} — 接種時期のうち標準的な期間を過ぎた人・年度内に期間が終わる人`]] }, state)}
  ${field({ label: '基準日', name: 'asOf', type: 'date', required: true, value: today, hint: 'この日の住民基本台帳の記録と接種歴で判定します（転出・死亡・職権消除の人は除きます）。' }, state)}
  ${checkboxes({ legend: '予防接種の種類', name: 'programs', options: inForce.map((c) => [c, programName(catalog, c)] as [string, string]), hint: '1つ以上選ぶか、下の「すべて」を選んでください。' }, state)}
  ${checkboxes({ legend: 'すべての予防接種', name: 'all', options: [['on', '基準日に実施中のすべての予防接種']] }, state)}
  ${field({ label: '生年月日（から）', name: 'birthFrom', type: 'date' }, state)}
  ${field({ label: '生年月日（まで）', name: 'birthTo', type: 'date' }, state)}
  ${field({ label: '地区コード', name: 'districts', hint: '複数はカンマ区切り（空欄はすべての地区）' }, state)}
  ${field({ label: '年度', name: 'fiscalYear', type: 'number', hint: '次の接種の期間がこの年度にかかる人を抽出します（空欄は基準日の年度）。例：2027' }, state)}
  ${button('抽出する')}
</form>`,
)}
${section(
  '抽出の記録',
  table(
    ['作成', '種類', '基準日', '予防接種', '状態', '対象（人）', '件数', '前回との差', '作成者', ''],
    runs.map((r) => [
      when(new Date(r.createdAt)),
      KIND_LABELS[r.kind],
      dateJ(r.asOf),
      r.all ? 'すべて' : r.programs.map((p) => programName(catalog, p)).join('、'),
      statusBadge(r, isRunActiveHere(req.session!.tenant, r.id)),
      r.counts.memberPersons,
      r.counts.members,
      r.diff ? `+${r.diff.addedPersons}人 / −${r.diff.droppedPersons}人` : '—',
      doneBy(r.createdBy),
      html`<a href="/extractions/${r.id}">詳細</a>`,
    ]),
    { empty: 'まだ抽出していません。' },
  ),
)}`;
  };

  fastify.get('/extractions', { preHandler: guard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '対象者の抽出', await listPage(req, ctx.csrf)));
  });

  fastify.post('/extractions', { preHandler: [...guard, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const input = {
      kind: one(b['kind']) || 'targets',
      all: one(b['all']) === 'on',
      programs: one(b['all']) === 'on' ? [] : many(b['programs']),
      asOf: one(b['asOf']) ?? '',
      birthFrom: one(b['birthFrom']) || null,
      birthTo: one(b['birthTo']) || null,
      districts: (one(b['districts']) ?? '').split(/[,、\s]+/).map((s) => s.trim()).filter(Boolean),
      fiscalYear: one(b['fiscalYear']) || null,
    };
    try {
      const r = await startExtraction(app.db, principalOf(req), input, { background: true });
      setFlash(reply, '抽出を開始しました。');
      return reply.redirect(`/extractions/${r.run.id}`);
    } catch (e) {
      if (isProblem(e) && e.status < 500 && e.status !== 403) {
        const ctx = await pageContext(app, req, reply);
        return sendPage(reply, page(ctx, '対象者の抽出', await listPage(req, ctx.csrf, formState(b, e))), e.status);
      }
      throw e;
    }
  });

  // -------------------------------------------------------------- run detail
  fastify.get('/extractions/:id', { preHandler: guard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const id = (req.params as { id: string }).id;
    const q = queryOf(req);
    // Decision 0133: a malformed 差 or ページ is a 400 naming it (a page past the end shows the last page).
    const diffSide = queryEnum(q, 'diff', '前回との差', ['added', 'dropped'] as const) ?? 'added';
    const pageAsked = queryPage(q);
    // Whether this process works on the run is asked BEFORE the run is read: a run that finishes between the
    // two then reads as complete, never as a stale 'running' that is no longer active (shown as interrupted).
    const activeHere = isRunActiveHere(req.session!.tenant, id);
    const r = await work(app.db, req, (w) => getExtractionRun(w, id));
    const { catalog } = await work(app.db, req, (w) => catalogFor(w));
    const f = r.filters;
    const c = r.counts;
    const parts: SafeHtml[] = [];
    if (r.status === 'running' && activeHere) {
      reply.header('refresh', '2');
      const pct = r.personsEstimate ? Math.min(100, Math.floor((c.persons / r.personsEstimate) * 100)) : 0;
      parts.push(notice(html`抽出中です… ${c.persons} / ${r.personsEstimate} 人を処理しました（${pct}%）。この画面は自動で更新されます。<progress max="100" value="${pct}">${pct}%</progress>`, 'info'));
    } else if (r.status !== 'complete') {
      parts.push(
        notice(
          html`<p>${r.status === 'failed' ? `抽出が失敗しました（${r.error ?? ''}）。` : '抽出が中断しています（処理していたプロセスが終了しました）。'}宛名番号 ${r.cursor || '（先頭）'} まで処理済みです。再開すると続きから処理し、中断しなかった場合と同じ結果になります。</p>${postButton(`/extractions/${r.id}/resume`, '続きから再開する', ctx.csrf, 'primary')}`,
          'warning',
        ),
      );
    }
    parts.push(
      section(
        '抽出の条件',
        dl([
          ['状態', statusBadge(r, activeHere)],
          ['種類', KIND_LABELS[r.kind]],
          ['基準日', dateJ(r.asOf)],
          ['予防接種', r.all ? `すべて（${r.programs.length}種類）` : r.programs.map((p) => programName(catalog, p)).join('、')],
          ['生年月日', f.birthFrom || f.birthTo ? `${f.birthFrom ?? ''} 〜 ${f.birthTo ?? ''}` : '指定なし'],
          ['地区', f.districts.length ? f.districts.join('、') : 'すべて'],
          ['年度', f.fiscalYear ? `${f.fiscalYear}年度` : '基準日の年度'],
          ['カタログの版', r.catalogVersion],
          ['内容ハッシュ（SHA-256）', r.contentHash ? html`<code>${r.contentHash}</code>` : '（完了後に確定）'],
          ['作成', `${doneBy(r.createdBy)}（${when(new Date(r.createdAt))}）`],
          ['完了', r.completedAt ? when(new Date(r.completedAt)) : '—'],
          ['再開の回数', r.resumed],
        ]),
      ),
    );
    parts.push(
      section(
        '件数',
        html`${dl([
          ['住民基本台帳から確認した人', c.persons],
          ['判定した人（基準日の住民）', c.evaluated],
          ['対象者', `${c.memberPersons} 人（${c.members} 件）`],
          ['うち支援措置（郵送不可）', `${c.protectedPersons} 人`],
        ])}
${table(['除外の理由', '人数'], EXCLUSION_REASONS.map((k) => [EXCLUSION_LABELS[k], c.excluded[k]]), { caption: '除外した人' })}
${table(
  ['予防接種', '対象', '標準期間超過', '接種時期', 'これから', '完了', '期間終了（未完了）', '対象外', '年齢が期間外（判定省略）'],
  Object.entries(c.byProgram).map(([p, x]) => [programName(catalog, p), x.members, x.late, x.due, x.upcoming, x.complete, x.missed, x.notEligible, x.outOfRange ?? 0]),
  { caption: '予防接種ごと（判定した人の状況）' },
)}`,
      ),
    );
    if (r.status === 'complete') {
      if (r.diff) {
        const d = r.diff;
        const side = diffSide;
        const dp = await work(app.db, req, (w) => listRunDiff(w, r.id, side, { limit: 50 }));
        parts.push(
          section(
            `前回の抽出（基準日 ${d.previousAsOf}）との差`,
            html`${dl([
              ['新たに対象になった人', `${d.addedPersons} 人（${d.added} 件）`],
              ['対象でなくなった人', `${d.droppedPersons} 人（${d.dropped} 件）`],
              ['前回の抽出', html`<a href="/extractions/${d.previousRunId}">${d.previousRunId}</a>`],
            ])}
${table(['予防接種', '新たに対象', '対象外に'], Object.entries(d.byProgram).map(([p, x]) => [programName(catalog, p), x.added, x.dropped]), { empty: '差はありません。' })}
<p class="actions"><a href="/extractions/${r.id}?diff=added#diff"${side === 'added' ? html` aria-current="true"` : ''}>新たに対象になった人</a> <a href="/extractions/${r.id}?diff=dropped#diff"${side === 'dropped' ? html` aria-current="true"` : ''}>対象でなくなった人</a></p>
<div id="diff">${memberTable(catalog, dp.members, { empty: side === 'added' ? '新たに対象になった人はいません。' : '対象でなくなった人はいません。', caption: `${side === 'added' ? '新たに対象になった人' : '対象でなくなった人（前回の内容）'}${dp.total > dp.members.length ? `（先頭 ${dp.members.length} 件 / ${dp.total} 件）` : ''}` })}</div>`,
          ),
        );
      } else {
        parts.push(section('前回の抽出との差', html`<p>同じ種類・予防接種・条件の完了した抽出がないため、差はありません。</p>`));
      }
      // DOCUMENTS: sections added by other screens (e.g. 「通知書を作成」) go here, for complete runs.
      for (const s of runDetailSections) parts.push(await s({ app, req, run: r, csrf: ctx.csrf }));
      const program = queryEnum(q, 'program', '予防接種で絞り込む', r.programs);
      let pageNo = pageAsked;
      let mp = await work(app.db, req, (w) => listRunMembers(w, r.id, { program, offset: (pageNo - 1) * PAGE, limit: PAGE }));
      const last = Math.max(1, Math.ceil(mp.total / PAGE));
      if (pageNo > last) {
        pageNo = last;
        mp = await work(app.db, req, (w) => listRunMembers(w, r.id, { program, offset: (pageNo - 1) * PAGE, limit: PAGE }));
      }
      parts.push(
        section(
          '対象者',
          html`<form method="get" action="/extractions/${r.id}" class="inline-form">${select({ label: '予防接種で絞り込む', name: 'program', value: program ?? '', options: [['', 'すべて'], ...r.programs.map((p) => [p, programName(catalog, p)] as [string, string])] })}${button('表示', 'secondary')}</form>
<p class="hint">支援措置の対象の人には通知等を郵送しません（窓口での交付等）。この一覧に住所は表示しません。</p>
${memberTable(catalog, mp.members, { empty: '対象者はいません。' })}
${pager(`/extractions/${r.id}`, mp.total, pageNo, program ? `&program=${encodeURIComponent(program)}` : '')}`,
        ),
      );
    }
    parts.push(html`<p><a href="/extractions">← 抽出の記録へ</a></p>`);
    return sendPage(reply, page(ctx, `${KIND_LABELS[r.kind]}（${formatWareki(r.asOf)}）`, html`${parts}`));
  });

  fastify.post('/extractions/:id/resume', { preHandler: [...guard, fastify.csrfProtection] }, async (req, reply) => {
    const id = (req.params as { id: string }).id;
    try {
      await resumeExtraction(app.db, principalOf(req), id, { background: true });
      setFlash(reply, '抽出を再開しました。');
    } catch (e) {
      if (!isProblem(e) || e.status >= 500 || e.status === 403) throw e;
      setFlash(reply, `再開できませんでした: ${problemText(e)}`);
    }
    return reply.redirect(`/extractions/${id}`);
  });
}
