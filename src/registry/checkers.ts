// The 住基 and 戸籍 checks of an application as examination runs them (issue 15 Must have 4; QUA-15, QUA-17,
// QUA-18): examination's `runApplicationChecks` calls these with the application and its sealed My Number;
// each asks the other organisation (住基ネット by the My Number; 法務省 through the 情報提供ネットワーク by the
// registry's own 符号) and answers the outcome examination records.  For a 籍訂正・書換え the expected 氏名 and
// 本籍 are the new ones (or the registered 本籍 when it does not change), and 性別 comes from the entry.
import { sql } from 'kysely';
import type { Clock } from '../kernel/clock/index.js';
import type { ExchangeNode } from '../kernel/exchange/index.js';
import type { ApplicationView } from './applications.js';
import { catalog } from './catalog.js';
import type { ApplicationChecker } from './examination.js';
import { checkJuki } from './juki.js';
import { checkKoseki } from './koseki.js';
import { honsekiItemOf, personItemOf } from './register.js';
import type { RegistrySecrets } from './secrets.js';
import { withTenant, type Db } from './store.js';

export interface CheckerDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly node: ExchangeNode;
  readonly secrets: RegistrySecrets;
}

type Name = { 姓: string; 名: string };
const BY = 'examination';

/** The registered items of the entry an application concerns (empty for a 新規登録). */
async function entryItems(deps: CheckerDeps, a: ApplicationView): Promise<Record<string, unknown>> {
  if (a.registrationNo === null || a.procedure === 'new') return {};
  const r = await withTenant(deps.db, a.tenant, (tx) =>
    sql<{ items: Record<string, unknown> }>`SELECT items FROM registry.entries WHERE qualification_code = ${a.qualification} AND registration_no = ${a.registrationNo}`.execute(tx));
  return r.rows[0]?.items ?? {};
}

/** 氏名 and 本籍 the person has after the change the application asks for. */
function expected(a: ApplicationView, items: Record<string, unknown>): { name: Name; honseki: string | null } {
  const f = a.form as { 氏名: Name; 本籍?: { 都道府県コード?: string }; 訂正事項?: { 氏名?: { 新: Name }; 本籍?: { 新: { 都道府県コード?: string } } } };
  if (a.procedure === 'new') return { name: f.氏名, honseki: f.本籍?.都道府県コード ?? null };
  const q = catalog().qualification(a.qualification)!;
  const item = honsekiItemOf(q);
  const registered = item && typeof items[item] === 'string' ? (items[item] as string) : null;
  const newHonseki = f.訂正事項?.本籍?.新;
  return { name: f.訂正事項?.氏名?.新 ?? f.氏名, honseki: newHonseki ? (newHonseki.都道府県コード ?? null) : registered };
}

export function applicationCheckers(deps: CheckerDeps): { juki: ApplicationChecker; koseki: ApplicationChecker } {
  return {
    async juki(a, ctx) {
      const items = await entryItems(deps, a);
      const q = catalog().qualification(a.qualification)!;
      const sexItem = personItemOf(q, '性別');
      const e = expected(a, items);
      const f = a.form as { 生年月日: string; 性別?: string; 住所?: { 住所?: string } };
      const sex = f.性別 ?? (sexItem ? String(items[sexItem] ?? '') : '');
      const form = { 氏名: e.name, 生年月日: f.生年月日, 性別: sex, ...(f.住所 ? { 住所: { 住所: f.住所.住所 } } : {}) };
      const r = await checkJuki({ db: deps.db, clock: deps.clock, node: deps.node, secrets: deps.secrets }, {
        tenant: a.tenant, qualification: a.qualification, applicationId: a.id, myNumber: await ctx.myNumber(), form, by: BY,
      });
      return {
        outcome: r.outcome,
        differences: r.items.filter((i) => !i.same && r.outcome !== 'not-found').map((i) => ({ item: i.item, applied: i.form ?? '', listed: i.juki ?? '' })),
        detail: { label: r.label, alive: r.alive },
      };
    },
    async koseki(a, ctx) {
      if (a.procedure === 'reissue' || a.procedure === 'erasure') return { outcome: 'not-applicable', detail: { note: 'この手続では戸籍を照会しません' } };
      const e = expected(a, await entryItems(deps, a));
      const r = await checkKoseki({ db: deps.db, clock: deps.clock, node: deps.node, secrets: deps.secrets }, {
        tenant: a.tenant, qualification: a.qualification, myNumber: await ctx.myNumber(), form: a.form, ref: a.id, by: BY,
        ...(a.procedure === 'new' ? {} : { expect: { 氏名: e.name, 本籍: e.honseki } }),
      });
      const outcome = r.outcome === 'matches' ? 'match' : r.outcome === 'differs' ? 'mismatch' : r.outcome === 'unidentified' ? 'extract-requested' : 'not-applicable';
      return {
        outcome: r.deceased ? 'deceased' : outcome,
        differences: [
          ...(r.honseki.matches === false ? [{ item: '本籍', applied: r.honseki.form ?? '', listed: r.honseki.kosekiText ?? r.honseki.koseki ?? '' }] : []),
          ...(r.name.matches === false ? [{ item: '氏名', applied: `${r.name.form.姓}　${r.name.form.名}`, listed: r.name.koseki ? `${r.name.koseki.姓}　${r.name.koseki.名}` : '' }] : []),
        ],
        detail: { message: r.message, needsExtract: r.needsExtract, exchangeId: r.exchangeId, nameHistory: r.nameHistory.length },
      };
    },
  };
}
