// `mamori statistics --tenant CODE --fiscal-year YYYY [--as-of D] [--program P…] [--district D…] [--threshold N]
// [--csv FILE] [--json]`: 対象者数・接種者数・接種率 by program, dose and age band with small cells hidden (decision
// 0076).  The table or JSON on stdout; --csv writes the report file for MHLW/the prefecture.
import { writeFileSync } from 'node:fs';
import { withApp, operator, tenantArg } from '../context.js';
import { print, printJson, table } from '../io.js';
import { runAs } from '../../kernel/context/index.js';
import { computeStatistics, statisticsCsv, SUPPRESSED_MARK, type Cell } from '../../municipality/statistics/index.js';

type O = Record<string, unknown> & { data?: string };

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);
const cell = (c: Cell): number | string => (c.suppressed ? SUPPRESSED_MARK : c.value);

export async function run(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const who = operator(tenant, 'statistics');
    const r = await runAs(app.db, who, (w) =>
      computeStatistics(w, {
        fiscalYear: o['fiscalYear'],
        ...(o['asOf'] ? { asOf: String(o['asOf']) } : {}),
        ...(list(o['program']).length ? { programs: list(o['program']) } : {}),
        ...(list(o['district']).length ? { districts: list(o['district']) } : {}),
        ...(o['threshold'] !== undefined ? { threshold: o['threshold'] } : {}),
      }),
    );
    if (o['csv']) writeFileSync(String(o['csv']), statisticsCsv(r), { mode: 0o600 });
    if (o['json']) {
      printJson({ ...r, rows: r.rows.map((x) => ({ ...x, targets: cell(x.targets), vaccinated: cell(x.vaccinated) })) });
      return 0;
    }
    print(`${r.fiscalYear}年度 ${r.period.from}〜${r.period.until}、住民 ${r.population} 人、秘匿の基準 ${r.threshold}（${SUPPRESSED_MARK} は秘匿、${r.suppressedCells} か所）`);
    print(table([['予防接種', '回', '年齢区分', '対象者数', '接種者数', '接種率'], ...r.rows.map((x) => [x.programName, `${x.dose}回目`, x.ageBandLabel, String(cell(x.targets)), String(cell(x.vaccinated)), x.rate === null ? (x.targets.suppressed || x.vaccinated.suppressed ? SUPPRESSED_MARK : '—') : `${x.rate.toFixed(1)}%`])]));
    if (o['csv']) print(`CSV を ${String(o['csv'])} に保存しました。`);
    return 0;
  });
}
