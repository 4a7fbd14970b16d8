// Vaccination screens (issue 4 points 5a and 6): a resident's history by program with the engine's status and
// next dose, dose entry with the live engine check and GS1 vial scanning (a dose the rules forbid needs an
// override reason), record detail with its versions, corrections and deletion, the clinic batch upload and
// its review queue.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import {
  CATEGORIES,
  FIELD_LABELS,
  FEE_COLLECTIONS,
  FEE_COLLECTION_LABELS,
  REASON_KINDS,
  SOURCE_LABELS,
  catalogFor,
  correctRecord,
  doseNumberOf,
  createRecord,
  deleteRecord,
  getRecord,
  importRecords,
  listRecordImports,
  parseGs1,
  personTimeline,
  recordRejectsCsv,
  recordVersions,
  resolveRecordQueueItem,
  ScheduleProblems,
  type VaccinationRecord,
  type Warning,
} from '../../municipality/records/index.js';
import { countQueue, getPerson, listQueue, requireResidentAccess } from '../../municipality/residents/index.js';
import { resolveVouchers } from '../../municipality/notices/index.js';
import { work } from '../../kernel/http/index.js';
import { isProblem, invalidField } from '../../kernel/problems/index.js';
import { formatJst, formatWareki } from '../../kernel/jp/index.js';
import { badge, button, checkbox, csrfField, dl, errorSummary, field, html, notice, page, pageRequest, pager, within, section, select, table, textarea, when, type FormState, type SafeHtml, doneBy } from '../ui/index.js';
import { attempt, formState, needLogin, one, problemText, pageContext, sendPage, setFlash, personHeader, type Form } from './support.js';
import { registerUploadScreen } from './uploads.js';

const STATUS = {
  due: ['接種時期', 'warn'],
  upcoming: ['これから', 'info'],
  complete: ['完了', 'ok'],
  missed: ['期間終了（未完了）', 'bad'],
  'not-eligible': ['対象外', 'muted'],
} as const;

const ROUTES = ['皮下注射', '筋肉内注射', '経口', '経皮', '皮内注射', '鼻腔内'] as const;

function warningBadges(ws: readonly Warning[]): SafeHtml {
  return html`${ws.map((x) => html`${badge(x.level === 'problem' ? '警告' : '注意', x.level === 'problem' ? 'bad' : 'warn')} ${x.message}<br>`)}`;
}

const DOSE_FIELDS = ['product', 'vaccinatedOn', 'program', 'category', 'lot', 'expiry', 'gtin', 'institutionCode', 'doctorName', 'site', 'route', 'amount', 'copayCategory', 'feeCollection', 'feeAmount', 'remarks', 'dateUnknown'] as const;

/** Form values → record input (empty strings dropped); a scanned GS1 string fills GTIN, lot and expiry. */
function doseInput(b: Form): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of DOSE_FIELDS) {
    const v = one(b[k]);
    if (k === 'dateUnknown') out[k] = v === 'on';
    else if (v !== undefined && v !== '') out[k] = v;
  }
  const gs1 = one(b['gs1'])?.trim();
  if (gs1) {
    const g = parseGs1(gs1);
    if (!g.ok) throw invalidField('gs1', 'GS1_INVALID', g.message);
    if (g.value.gtin) out['gtin'] = g.value.gtin;
    if (g.value.lot) out['lot'] = g.value.lot;
    if (g.value.expiry) out['expiry'] = g.value.expiry;
  }
  return out;
}

/** How far ahead a resident's schedule view looks for programs not yet open (decision 0111). */
export const SCHEDULE_HORIZON_YEARS = 2;

/** The last day of the horizon from `asOf` (same month and day, years later; 29 Feb compares fine as text). */
export function horizonEnd(asOf: string, years = SCHEDULE_HORIZON_YEARS): string {
  return `${String(Number(asOf.slice(0, 4)) + years).padStart(4, '0')}${asOf.slice(4)}`;
}

/**
 * Programs shown in a resident's schedule view: anything with a dose given, due, missed or complete, and
 * programs that will open within the horizon.  Programs not open for the person (not-eligible, no dose) and
 * programs whose window opens later (a child's 高齢者肺炎球菌 at 65) are left out and only counted.
 */
export function scheduleRows<R extends { status: string; dosesCounted: number; nextDose: { earliest: string } | null }>(results: readonly R[], asOf: string): { shown: R[]; later: number } {
  const until = horizonEnd(asOf);
  const shown: R[] = [];
  let later = 0;
  for (const r of results) {
    if (r.dosesCounted > 0 || r.status === 'due' || r.status === 'missed' || r.status === 'complete') shown.push(r);
    else if (r.status === 'upcoming') {
      if (r.nextDose && r.nextDose.earliest > until) later += 1;
      else shown.push(r);
    }
  }
  return { shown, later };
}

type Names = { program: (c: string | null) => string; product: (c: string | null) => string };

export function namesOf(catalog: Awaited<ReturnType<typeof catalogFor>>['catalog']): Names {
  return {
    product: (c) => (c ? (catalog.productByCode.get(c)?.name ?? c) : '不明'),
    program: (c) => (c ? (catalog.programsByCode.get(c)?.at(-1)?.name ?? c) : '—'),
  };
}

/** A record field's value as staff read it: names for codes, あり/なし for flags, （なし） for empty. */
function fieldText(k: string, v: unknown, n: Names): string {
  if (v === null || v === undefined || v === '') return '（なし）';
  if (v === true) return 'あり';
  if (v === false) return 'なし';
  if (k === 'program') return n.program(String(v));
  if (k === 'product') return n.product(String(v));
  if ((k === 'copayAmount' || k === 'feeAmount') && typeof v === 'number') return `${v.toLocaleString('ja-JP')}円`;
  if (k === 'feeCollection') return FEE_COLLECTION_LABELS[v as keyof typeof FEE_COLLECTION_LABELS] ?? String(v);
  if (k === 'copayBasis' && Array.isArray(v)) return (v as { message: string; source: string }[]).map((r) => `${r.message}（${r.source}）`).join('／');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** What changed from one version's data to the next, field by field with Japanese labels. */
export function versionChanges(before: Record<string, unknown> | undefined, after: Record<string, unknown>, n: Names): { label: string; from: string; to: string }[] {
  if (!before) return [];
  const keys = [...Object.keys(FIELD_LABELS), ...Object.keys(after).filter((k) => !(k in FIELD_LABELS))];
  return keys
    .filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null))
    .map((k) => ({ label: FIELD_LABELS[k] ?? k, from: fieldText(k, before[k], n), to: fieldText(k, after[k], n) }));
}

export function registerVaccinationPages(fastify: FastifyInstance, app: App): void {
  const readGuard = [needLogin, async (req: FastifyRequest) => work(app.db, req, async (w) => requireResidentAccess(w.actor, 'personal.read', ['vaccination']))];
  const writeGuard = [needLogin, async (req: FastifyRequest) => work(app.db, req, async (w) => requireResidentAccess(w.actor, 'personal.write', ['vaccination']))];

  // -------------------------------------------------------------- timeline + entry
  const timelinePage = async (req: FastifyRequest, csrf: string, state?: FormState, warnings?: readonly Warning[]): Promise<SafeHtml> => {
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const person = await work(app.db, req, (w) => getPerson(w, app.vault, atenaNo, '予防接種履歴の表示'));
    const t = await work(app.db, req, (w) => personTimeline(w, atenaNo));
    const { catalog } = await work(app.db, req, (w) => catalogFor(w));
    const { product: productName, program: programName } = namesOf(catalog);
    // The product with its 製造販売業者: the record's own, else the catalog's (decision 0095).
    const productLabel = (d: VaccinationRecord['data']) => {
      const maker = d.manufacturer ?? (d.product ? catalog.productByCode.get(d.product)?.manufacturer : undefined);
      return `${productName(d.product)}${maker ? `（${maker}）` : ''}`;
    };
    const s = person.state;
    const { shown: relevant, later } = scheduleRows(t.evaluation.results, t.asOf);
    const mayWrite = (() => {
      try {
        requireResidentAccess(req.session!.actor, 'personal.write', ['vaccination']);
        return true;
      } catch {
        return false;
      }
    })();
    return html`
${personHeader(atenaNo, s, 'vaccinations')}
${section(
  `予防接種の状況（${formatWareki(t.asOf)}現在・カタログ ${t.catalogVersion}）`,
  table(
    ['予防接種', '区分', '状況', '接種済', '次回', '次回の期間', '標準的な期間', '理由'],
    relevant.map((r) => [
      r.name,
      r.category,
      badge(STATUS[r.status][0], STATUS[r.status][1]),
      `${r.dosesCounted}回`,
      r.nextDose ? `${r.nextDose.dose}回目` : '—',
      r.nextDose ? `${r.nextDose.earliest} 〜 ${r.nextDose.latest}` : '—',
      r.nextDose ? `${r.nextDose.standardFrom} 〜 ${r.nextDose.standardUntil}` : '—',
      html`<small>${r.reasons.slice(-2).map((x) => html`${x.message}<br>`)}</small>`,
    ]),
    { empty: '対象となる予防接種はありません。' },
  ),
)}
${later ? html`<p class="hint">このほか、${SCHEDULE_HORIZON_YEARS}年より先に対象となる予防接種が${later}件あります（時期が近づくと表示します）。</p>` : ''}
<div class="actions"><a class="btn btn--secondary" href="/api/v1/residents/${atenaNo}/fhir" download="immunizations-${atenaNo}.json">FHIR 形式で出力（JSON）</a></div>
${section(
  '接種記録',
  table(
    ['接種日', '予防接種・回', 'ワクチン', 'ロット', '医療機関', '警告内容', '登録元', '版', ''],
    t.records.map((r: VaccinationRecord) => [
      r.data.dateUnknown ? '不明' : r.data.vaccinatedOn,
      `${programName(r.data.program)} ${doseNumberOf(catalog, r.data).text}`,
      productLabel(r.data),
      r.data.lot,
      r.data.institutionCode ?? r.data.institutionOther,
      r.status === 'deleted' ? badge('削除済み', 'muted') : warningBadges(r.warnings),
      SOURCE_LABELS[r.source],
      r.version,
      html`<a href="/vaccinations/${r.id}">詳細・修正</a>`,
    ]),
    { empty: '接種記録はありません。' },
  ),
)}
${mayWrite
  ? section(
      '接種記録の登録',
      html`${errorSummary(state)}
${warnings?.length ? notice(html`<p><strong>接種の規則に合いません。</strong>内容を確認し、登録する場合は理由を入力してください。</p>${warningBadges(warnings)}`, 'warning') : ''}
<form method="post" action="/residents/${atenaNo}/vaccinations" novalidate data-check="/api/v1/residents/${atenaNo}/vaccinations/check">
  ${csrfField(csrf)}
  ${select({ label: 'ワクチン', name: 'product', required: true, options: [['', '選んでください'], ...catalog.products.map((p) => [p.code, p.name] as [string, string])] }, state)}
  ${field({ label: '接種日', name: 'vaccinatedOn', type: 'date', required: true }, state)}
  ${checkbox({ label: '接種日不明（母子健康手帳等に日付がない）', name: 'dateUnknown' }, state)}
  ${field({ label: 'バーコード（GS1）', name: 'gs1', hint: 'ワクチンのバーコードを読み取ると GTIN・ロット番号・有効期限を入力します。例: (01)04987123456784(17)271231(10)AB1234' }, state)}
  ${field({ label: 'ロット番号', name: 'lot' }, state)}
  ${field({ label: '有効期限', name: 'expiry', type: 'date' }, state)}
  ${field({ label: '医療機関コード', name: 'institutionCode', inputmode: 'numeric', maxlength: 10 }, state)}
  ${field({ label: '医師名', name: 'doctorName' }, state)}
  ${field({ label: '接種部位', name: 'site' }, state)}
  ${select({ label: '接種方法', name: 'route', options: [['', '—'], ...ROUTES.map((r) => [r, r] as [string, string])] }, state)}
  ${field({ label: '接種量', name: 'amount', hint: '例：0.5mL' }, state)}
  ${select({ label: '予防接種の種類', name: 'program', options: [['', '自動判定（ワクチンと接種歴から）'], ...catalog.programCodes.map((c) => [c, programName(c)] as [string, string])] }, state)}
  ${select({ label: '実施区分', name: 'category', options: [['', '自動（予防接種の種類から）'], ...CATEGORIES.map((c) => [c, c] as [string, string])] }, state)}
  ${field({ label: '自己負担区分', name: 'copayCategory', hint: '空欄なら、自己負担の規則と接種日の生活保護・課税・介護保険の情報から決めます。' }, state)}
  ${select({ label: '徴収区分', name: 'feeCollection', options: [['', '自動（自己負担の規則から）'], ...FEE_COLLECTIONS.map((c) => [c, FEE_COLLECTION_LABELS[c]] as [string, string])] }, state)}
  ${field({ label: '徴収額（円）', name: 'feeAmount', inputmode: 'numeric' }, state)}
  ${textarea({ label: '備考', name: 'remarks', rows: 2 }, state)}
  <div id="live-check" class="notice" hidden aria-live="polite"></div>
  ${warnings?.length ? textarea({ label: '規則に合わない接種を登録する理由', name: 'overrideReason', required: true, rows: 2, hint: '例：医療機関の誤接種（保護者に説明済み）。理由は記録と操作ログに残ります。' }, state) : ''}
  ${button(warnings?.length ? '理由を付けて登録する' : '登録する')}
</form>
<script src="/assets/vaccination-form.js" defer></script>`,
    )
  : ''}`;
  };

  fastify.get('/residents/:atenaNo/vaccinations', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '予防接種の履歴', await timelinePage(req, ctx.csrf)));
  });

  fastify.post('/residents/:atenaNo/vaccinations', { preHandler: [...writeGuard, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    try {
      const rec = await work(app.db, req, (w) => createRecord(w, atenaNo, doseInput(body), { source: 'staff', overrideReason: one(body['overrideReason']) }));
      const d = rec.data;
      const copay = d.copayCategory ? `自己負担区分「${d.copayCategory}」${d.copayAmount !== null ? `・${d.copayAmount.toLocaleString('ja-JP')}円` : ''}${d.feeCollection ? `・${FEE_COLLECTION_LABELS[d.feeCollection]}` : ''}` : '';
      setFlash(reply, `${rec.warnings.some((x) => x.level === 'problem') ? '理由を付けて接種記録を登録しました（警告内容を記録しました）。' : '接種記録を登録しました。'}${copay ? `${copay}。` : ''}`);
      return reply.redirect(`/residents/${atenaNo}/vaccinations`);
    } catch (e) {
      const ctx = await pageContext(app, req, reply);
      if (e instanceof ScheduleProblems) return sendPage(reply, page(ctx, '予防接種の履歴', await timelinePage(req, ctx.csrf, { values: body }, e.warnings)), 409);
      if (isProblem(e) && e.status < 500 && e.status !== 403) return sendPage(reply, page(ctx, '予防接種の履歴', await timelinePage(req, ctx.csrf, formState(body, e))), e.status);
      throw e;
    }
  });

  // -------------------------------------------------------------- record detail, versions, corrections
  const recordPage = async (req: FastifyRequest, csrf: string, state?: FormState, action?: string, warnings?: readonly Warning[]): Promise<SafeHtml> => {
    const id = (req.params as { id: string }).id;
    const r = await work(app.db, req, (w) => getRecord(w, id));
    const versions = await work(app.db, req, (w) => recordVersions(w, id));
    const person = await work(app.db, req, (w) => getPerson(w, app.vault, r.atenaNo, '接種記録の表示'));
    const names = namesOf((await work(app.db, req, (w) => catalogFor(w))).catalog);
    const st = (a: string) => (action === a ? state : undefined);
    const d = r.data;
    const fieldsShown = Object.entries(FIELD_LABELS).filter(([k]) => {
      const v = (d as Record<string, unknown>)[k];
      return v !== null && v !== undefined && v !== false && v !== '';
    });
    const p = person.state;
    return html`
<p><a href="/residents/${r.atenaNo}/vaccinations">← 予防接種の履歴へ</a></p>
<div class="card whose">${dl([
  ['氏名', html`<strong>${p.nameKanji}</strong>（${p.nameKana}）`],
  ['宛名番号', r.atenaNo],
  ['生年月日', `${formatWareki(p.birthDate)}（${p.birthDate}）`],
])}</div>
${r.status === 'deleted' ? notice(`この記録は削除されています（${r.deletedReason ?? ''}）。`, 'warning') : ''}
${section(
  '接種記録',
  html`${dl([...fieldsShown.map(([k, label]) => [label, fieldText(k, (d as Record<string, unknown>)[k], names)] as [string, string]), ['警告内容', r.warnings.length ? warningBadges(r.warnings) : 'なし'], ['規則外登録の理由', r.overrideReason], ['登録元', SOURCE_LABELS[r.source]], ['登録', `${doneBy(r.createdBy)}（${formatJst(r.createdAt)}、端末 ${r.createdTerminal ?? '—'}）`], ['最終更新', `${doneBy(r.updatedBy)}（${formatJst(r.updatedAt)}）`]])}`,
)}
${section(
  '版の履歴',
  table(
    ['版', '変更', '変更した内容', '理由区分', '理由', '実施者', '端末', '日時'],
    versions.map((v, i) => {
      const data = (v.snapshot['data'] ?? {}) as Record<string, unknown>;
      const before = (v.snapshot['before'] as Record<string, unknown> | undefined) ?? ((versions[i - 1]?.snapshot['data'] as Record<string, unknown> | undefined) ?? undefined);
      const changes = v.change === 'correct' ? versionChanges(before, data, names) : [];
      return [
        v.version,
        { create: '登録', correct: '修正', delete: '削除' }[v.change],
        v.change === 'create' ? '（新規登録）' : v.change === 'delete' ? '（記録を削除済みにした）' : changes.length ? html`<ul class="changes">${changes.map((c) => html`<li>${c.label}：${c.from} → ${c.to}</li>`)}</ul>` : '（内容の変更なし）',
        v.reasonKind,
        v.reason ?? (v.snapshot['overrideReason'] as string | null) ?? '',
        doneBy(v.actor),
        v.terminal,
        when(v.recordedAt),
      ];
    }),
  ),
)}
${r.status === 'active'
  ? html`${section(
      '修正（新しい版を作成）',
      html`${errorSummary(st('correct'))}
${warnings?.length ? notice(html`<p><strong>修正後の内容が接種の規則に合いません。</strong></p>${warningBadges(warnings)}`, 'warning') : ''}
<form method="post" action="/vaccinations/${r.id}/correct" novalidate>${csrfField(csrf)}
  ${field({ label: '接種日', name: 'vaccinatedOn', type: 'date', value: d.vaccinatedOn ?? '' }, st('correct'))}
  ${field({ label: 'ロット番号', name: 'lot', value: d.lot ?? '' }, st('correct'))}
  ${field({ label: '医療機関コード', name: 'institutionCode', value: d.institutionCode ?? '' }, st('correct'))}
  ${field({ label: '回数', name: 'dose', type: 'number', value: d.dose ? String(d.dose) : '' }, st('correct'))}
  ${field({ label: '自己負担区分（変える場合のみ）', name: 'copayCategory', hint: `現在：${d.copayCategory ?? 'なし'}。空欄なら、接種日や種類を直したときに規則から決め直します。` }, st('correct'))}
  ${select({ label: '徴収区分', name: 'feeCollection', options: [['', `変更しない（現在：${d.feeCollection ? FEE_COLLECTION_LABELS[d.feeCollection] : 'なし'}）`], ...FEE_COLLECTIONS.map((c) => [c, FEE_COLLECTION_LABELS[c]] as [string, string])] }, st('correct'))}
  ${field({ label: '徴収額（円・変える場合のみ）', name: 'feeAmount', inputmode: 'numeric', hint: `現在：${d.feeAmount !== null ? `${d.feeAmount.toLocaleString('ja-JP')}円` : 'なし'}` }, st('correct'))}
  ${select({ label: '理由区分', name: 'reasonKind', required: true, options: REASON_KINDS.map((k) => [k, k] as [string, string]) }, st('correct'))}
  ${field({ label: '修正の理由', name: 'reason', required: true }, st('correct'))}
  ${warnings?.length ? field({ label: '規則に合わない内容にする理由', name: 'overrideReason', required: true }, st('correct')) : ''}
  ${button('修正する')}
</form>`,
    )}
${section(
  '削除（記録は残り、削除済みになります）',
  html`${errorSummary(st('delete'))}<form method="post" action="/vaccinations/${r.id}/delete" novalidate>${csrfField(csrf)}
  ${select({ label: '理由区分', name: 'reasonKind', options: REASON_KINDS.map((k) => [k, k] as [string, string]) }, st('delete'))}
  ${field({ label: '削除の理由', name: 'reason', required: true }, st('delete'))}
  ${button('削除する', 'danger')}
</form>`,
)}`
  : ''}`;
  };

  fastify.get('/vaccinations/:id', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '接種記録', await recordPage(req, ctx.csrf)));
  });

  fastify.post('/vaccinations/:id/correct', { preHandler: [...writeGuard, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const id = (req.params as { id: string }).id;
    const changes: Record<string, unknown> = {};
    for (const k of ['vaccinatedOn', 'lot', 'institutionCode', 'dose']) {
      const v = one(body[k]);
      if (v !== undefined) changes[k] = v === '' ? null : v;
    }
    // 自己負担区分・徴収区分・徴収額: only when staff entered one (empty = keep, or decide again from the rule).
    for (const k of ['copayCategory', 'feeCollection', 'feeAmount']) {
      const v = one(body[k])?.trim();
      if (v) changes[k] = v;
    }
    try {
      await work(app.db, req, (w) => correctRecord(w, id, changes, { reasonKind: one(body['reasonKind']), reason: one(body['reason']) ?? '', overrideReason: one(body['overrideReason']) }));
      setFlash(reply, '接種記録を修正しました（新しい版を作成しました）。');
      return reply.redirect(`/vaccinations/${id}`);
    } catch (e) {
      const ctx = await pageContext(app, req, reply);
      if (e instanceof ScheduleProblems) return sendPage(reply, page(ctx, '接種記録', await recordPage(req, ctx.csrf, { values: body }, 'correct', e.warnings)), 409);
      if (isProblem(e) && e.status < 500 && e.status !== 403) return sendPage(reply, page(ctx, '接種記録', await recordPage(req, ctx.csrf, formState(body, e), 'correct')), e.status);
      throw e;
    }
  });

  fastify.post('/vaccinations/:id/delete', { preHandler: [...writeGuard, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const id = (req.params as { id: string }).id;
    const r = await attempt(() => work(app.db, req, (w) => deleteRecord(w, id, { reasonKind: one(body['reasonKind']), reason: one(body['reason']) ?? '' })));
    if (!r.ok) {
      const ctx = await pageContext(app, req, reply);
      return sendPage(reply, page(ctx, '接種記録', await recordPage(req, ctx.csrf, formState(body, r.problem), 'delete')), r.problem.status);
    }
    setFlash(reply, '接種記録を削除しました。');
    return reply.redirect(`/vaccinations/${id}`);
  });

  // -------------------------------------------------------------- clinic batches
  registerUploadScreen(fastify, app, {
    base: '/vaccinations/imports',
    family: 'records-clinic',
    title: '医療機関の接種記録ファイルの取込',
    fileLabel: '接種記録ファイル（CSV、1行1接種）',
    hint: '1行目が見出しの CSV（医療機関の接種記録ファイルの様式）。宛名番号、接種券番号または4情報で本人を特定します。一人に決められない行は確認待ちになり、自動では登録しません。',
    guard: writeGuard,
    kindLabel: () => '接種記録',
    queueHref: '/vaccinations/queue',
    listRuns: (who, limit) => listRecordImports(app.db, who, limit),
    rejectsCsv: (who, runId) => recordRejectsCsv(app.db, who, runId),
    async run(who, file, fileName, f, onProgress) {
      const encoding = f['encoding'] === 'utf8' || f['encoding'] === 'sjis' ? f['encoding'] : 'auto';
      const r = await importRecords(app.db, who, { file, fileName, encoding, onProgress, resolveVoucher: resolveVouchers });
      return { ...r, kindLabel: '接種記録' };
    },
  });

  fastify.get('/vaccinations/queue', { preHandler: writeGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const [items, total, at, names] = await work(app.db, req, async (w) => {
      const n = await countQueue(w, 'records');
      const r = within(pageRequest(req.query as Record<string, unknown>, 20), n);
      return [await listQueue(w, { side: 'records', limit: r.pageSize, offset: r.offset }), n, r, namesOf((await catalogFor(w)).catalog)] as const;
    });
    // VAX-21: the incoming dose itself beside its candidates; a possible duplicate defaults to 差し戻す.
    const doseOf = (it: (typeof items)[number]): Record<string, unknown> => ((it.payload?.['data'] as Record<string, unknown> | undefined) ?? {});
    const duplicate = (it: (typeof items)[number]) => it.candidates.some((c) => c.reasons.some((x) => x.code === 'POSSIBLE_DUPLICATE'));
    const FROM: Record<string, string> = { 'records-import': '医療機関の月次ファイル', 'platform-records': '予防接種プラットフォーム（医療機関の登録）' };
    return sendPage(
      reply,
      page(
        ctx,
        '接種記録の照合の確認待ち',
        html`<p>医療機関のファイルで本人を一人に決められなかった接種記録と、別の経路（医療機関の月次ファイルと予防接種プラットフォーム）から同じ接種が届いた可能性のある記録です。候補の接種歴を確認して、結び付けるか差し戻してください（自動では登録しません）。</p>
${items.length === 0 ? html`<p class="empty">確認待ちはありません。</p>` : ''}
${total ? pager({ total, request: at, shown: items.length, path: '/vaccinations/queue', filters: {}, order: '登録の古い順' }) : ''}
${items.map((it) =>
  section(
    `${String(it.query['nameKanji'] ?? '（氏名なし）')} ${String(it.query['birthDate'] ?? '')}生 — ${String(it.query['reason'] ?? '')}`,
    html`${dl([
      ['由来', `${FROM[it.source] ?? '医療機関'}${it.sourceRow ? `（${it.sourceRow}行目）` : ''}`],
      ['届いた接種', `${names.program(String(doseOf(it)['program'] ?? '') || null)}${doseOf(it)['dose'] ? ` ${String(doseOf(it)['dose'])}回目` : ''}（${names.product(String(doseOf(it)['product'] ?? '') || null)}）`],
      ['接種日', doseOf(it)['vaccinatedOn'] ? formatWareki(String(doseOf(it)['vaccinatedOn'])) : '不明'],
      ['医療機関コード', String(doseOf(it)['institutionCode'] ?? '（なし）')],
      ['ロット番号', String(doseOf(it)['lot'] ?? '（なし）')],
    ])}
${table(['候補（宛名番号）', '一致度', '理由', ''], it.candidates.map((c) => [c.atenaNo, c.score, c.reasons.map((x) => x.message).join('、'), html`<a href="/residents/${c.atenaNo}/vaccinations">接種歴を見る</a>`]))}
<form method="post" action="/vaccinations/queue/${it.id}" novalidate>${csrfField(ctx.csrf)}
  ${select({ label: '処理', name: 'action', options: [...(duplicate(it) ? [['dismiss', '差し戻す（重複のため登録しない）'] as [string, string]] : []), ...it.candidates.map((c) => [`link:${c.atenaNo}`, duplicate(it) ? `重複ではない：宛名番号 ${c.atenaNo} の人の記録として登録` : `宛名番号 ${c.atenaNo} の人の記録として登録`] as [string, string]), ...(duplicate(it) ? [] : [['dismiss', '差し戻す（登録しない）'] as [string, string]])] })}
  ${field({ label: '確認した内容（理由）', name: 'note', required: true })}
  ${button('確定する')}
</form>`,
  ),
)}`,
      ),
    );
  });

  fastify.post('/vaccinations/queue/:id', { preHandler: [...writeGuard, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const a = one(body['action']) ?? '';
    const input = a.startsWith('link:') ? { action: 'link', atenaNo: a.slice(5), note: one(body['note']) ?? '' } : { action: a, note: one(body['note']) ?? '' };
    const r = await attempt(() => work(app.db, req, (w) => resolveRecordQueueItem(w, (req.params as { id: string }).id, input)));
    setFlash(reply, r.ok ? (r.value.record ? '接種記録を登録しました。' : '差し戻しました。') : `確定できませんでした: ${problemText(r.problem, { note: '確認した内容（理由）', atenaNo: '処理', action: '処理' })}`);
    return reply.redirect('/vaccinations/queue');
  });
}
