// Statistics screen (issue 5 point 5; VAX-28): 対象者数・接種者数・接種率 by program, dose and age band for a
// fiscal year, small cells shown as ＊ (decision 0076), and the same table as CSV for the MHLW/prefecture report.
// A report is a read of personal data in aggregate: it needs the vaccination duty and is logged.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { work } from '../../kernel/http/index.js';
import { isProblem } from '../../kernel/problems/index.js';
import { fiscalYearOf, formatFiscalYearWareki, formatWareki } from '../../kernel/jp/index.js';
import { requireResidentAccess } from '../../municipality/residents/index.js';
import { catalogFor } from '../../municipality/records/index.js';
import { computeStatistics, statisticsCsv, DEFAULT_THRESHOLD, SUPPRESSED_MARK, type StatisticsReport, type Cell } from '../../municipality/statistics/index.js';
import { button, checkboxes, errorSummary, field, html, notice, page, section, table, type FormState, type SafeHtml } from '../ui/index.js';
import { formState, many, needLogin, one, pageContext, sendPage, type Form } from './support.js';

function paramsOf(q: Form) {
  return {
    fiscalYear: one(q['fiscalYear']) ?? '',
    ...(one(q['asOf']) ? { asOf: one(q['asOf']) } : {}),
    ...(many(q['programs']).length ? { programs: many(q['programs']) } : {}),
    ...((one(q['districts']) ?? '').trim() ? { districts: (one(q['districts']) ?? '').split(/[,、\s]+/).map((s) => s.trim()).filter(Boolean) } : {}),
    ...(one(q['threshold']) ? { threshold: one(q['threshold']) } : {}),
  };
}

const num = (c: Cell): string => (c.suppressed ? SUPPRESSED_MARK : c.value.toLocaleString('ja-JP'));

function resultTable(r: StatisticsReport, query: string): SafeHtml {
  const rows = r.rows.map((x) => [
    x.ageBand === 'all' ? html`<strong>${x.programName}</strong>` : '',
    x.ageBand === 'all' ? `${x.dose}回目` : '',
    x.ageBand === 'all' ? html`<strong>全年齢</strong>` : x.ageBandLabel,
    num(x.targets),
    num(x.vaccinated),
    x.rate === null ? (x.targets.suppressed || x.vaccinated.suppressed ? SUPPRESSED_MARK : '—') : `${x.rate.toFixed(1)}%`,
  ]);
  return html`
${notice(html`${r.fiscalYear}年度（${formatFiscalYearWareki(r.fiscalYear)}）${r.period.from}〜${r.period.until}（${formatWareki(r.period.until)}現在）の住民 ${r.population.toLocaleString('ja-JP')} 人。${SUPPRESSED_MARK} は個人が特定されないよう秘匿した値です（${r.threshold}未満の値と、それを差し引きで求められないようにするための値。秘匿 ${r.suppressedCells} か所）。`)}
<p><a class="btn btn--secondary" href="/statistics.csv?${query}" download>CSV をダウンロード</a></p>
${table(['予防接種', '回数', '年齢区分', '対象者数', '接種者数', '接種率'], rows, { caption: `予防接種の実施状況（カタログ ${r.catalogVersion}）`, empty: '該当する対象者はいません。' })}
<p class="hint">対象者数: 期間中にその回の接種時期（接種できる期間）があった人と、期間中に接種した人。接種者数: 期間中にその回を接種した人（接種の規則で数えた回数）。年齢区分は年度末（3月31日）の年齢・月齢です。基準日に住民でない人（転出・死亡など）は含みません。</p>`;
}

export function registerStatisticsPages(fastify: FastifyInstance, app: App): void {
  const guard = [needLogin, async (req: FastifyRequest) => work(app.db, req, async (w) => requireResidentAccess(w.actor, 'personal.read', ['vaccination']))];

  fastify.get('/statistics', { preHandler: guard }, async (req, reply) => {
    const q = (req.query ?? {}) as Form;
    const ctx = await pageContext(app, req, reply);
    const { catalog } = await work(app.db, req, (w) => catalogFor(w));
    let state: FormState | undefined = { values: q, errors: [] };
    let result: SafeHtml = html``;
    let status = 200;
    if (one(q['fiscalYear'])) {
      try {
        const r = await work(app.db, req, (w) => computeStatistics(w, paramsOf(q)));
        const query = new URLSearchParams(Object.entries(q).flatMap(([k, v]) => (v === undefined ? [] : Array.isArray(v) ? v.map((x) => [k, x] as [string, string]) : [[k, v] as [string, string]]))).toString();
        result = section('集計結果', resultTable(r, query));
      } catch (e) {
        if (!isProblem(e) || e.status >= 500 || e.status === 403) throw e;
        state = formState(q, e);
        status = e.status;
      }
    }
    const fy = fiscalYearOf(app.config.clock.today());
    const programs = catalog.programCodes.map((c) => [c, catalog.programsByCode.get(c)!.at(-1)!.name] as [string, string]);
    const body = html`
${section(
  '集計の条件',
  html`${errorSummary(state)}
<form method="get" action="/statistics" novalidate>
  ${field({ label: '年度', name: 'fiscalYear', type: 'number', required: true, value: String(fy - 1), hint: `例：${fy - 1}（${formatFiscalYearWareki(fy - 1)}）。4月1日から翌年3月31日まで。` }, state)}
  ${field({ label: '基準日', name: 'asOf', type: 'date', hint: '空欄は年度末（年度の途中なら今日）。この日の住民を集計します。' }, state)}
  ${checkboxes({ legend: '予防接種の種類', name: 'programs', options: programs, hint: '選ばないときはすべての予防接種を集計します。' }, state)}
  ${field({ label: '地区コード', name: 'districts', hint: '複数はカンマ区切り（空欄はすべての地区）' }, state)}
  ${field({ label: '秘匿の基準', name: 'threshold', type: 'number', value: String(DEFAULT_THRESHOLD), hint: 'この数未満の値は ＊ で表示します（3以上）。' }, state)}
  ${button('集計する')}
</form>`,
)}
${result}`;
    return sendPage(reply, page(ctx, '予防接種の統計', body), status);
  });

  fastify.get('/statistics.csv', { preHandler: guard }, async (req, reply) => {
    const q = (req.query ?? {}) as Form;
    const r = await work(app.db, req, (w) => computeStatistics(w, paramsOf(q)));
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="vaccination-statistics-${r.fiscalYear}.csv"`)
      .header('cache-control', 'no-store')
      .send(statisticsCsv(r));
  });
}
