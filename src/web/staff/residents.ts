// Resident screens (issue 3 point 7): search, detail with the history timeline, My Number inquiry (view flag,
// purpose, logged), 住基 file import with a downloadable report, 住登外者 registration and the review queue.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import {
  CATEGORY_LABELS,
  MOVEMENTS,
  STATUS_LABELS,
  canReadResidents,
  getPerson,
  importResidents,
  listImportRuns,
  listQueue,
  countQueue,
  countPersons,
  personHistory,
  registerNonResident,
  rejectsCsv,
  resolveQueueItem,
  revealMyNumber,
  searchPersons,
  type PersonState,
  PERSON_ITEM_GROUPS,
  DUTY_PERSON_ITEMS,
  RESIDENT_DUTIES,
} from '../../municipality/residents/index.js';
import { can, dutyLabel } from '../../kernel/access/index.js';
import { maskMyNumber } from '../../kernel/mynumber/index.js';
import { work } from '../../kernel/http/index.js';
import { isProblem } from '../../kernel/problems/index.js';
import { formatJst, formatWareki } from '../../kernel/jp/index.js';
import { badge, button, checkbox, csrfField, dl, errorSummary, field, html, notice, page, pageRequest, pager, within, section, select, table, textarea, when, type FormState, type SafeHtml, doneBy, queryDate, queryEnum, queryOf } from '../ui/index.js';
import { attempt, formState, problemText, needLogin, one, pageContext, sendPage, setFlash, personLinks, type Form } from './support.js';
import { registerUploadScreen } from './uploads.js';
import { sheetRow } from '../../municipality/intake/index.js';

const SEX = { male: '男', female: '女' } as const;

/** The search screen's page size and how far it pages (past that: narrow the conditions). */
const SEARCH_PAGE = 50;
const SEARCH_CAP = 1000;
/** The review queue shows each item with its candidates and a form: fewer to a page. */
const QUEUE_PAGE = 20;

/** Where a version of a person came from (person_versions.source). */
const SOURCE_LABELS: Record<string, string> = { 'import-full': '住基全件ファイル', 'import-diff': '住基異動ファイル', staff: '職員の登録', api: '外部システム（API）' };

/** Where a queued match came from (match_queue.source). */
const QUEUE_SOURCES: Record<string, string> = { 'residents-import': '住基ファイル', 'records-import': '医療機関の接種記録ファイル', 'platform-records': '予防接種プラットフォーム', staff: '職員の登録' };

/** A date as officials read it: 和暦 with the ISO date beside it (just the ISO date before 明治6年). */
function jpDate(iso: string | null): string | null {
  if (!iso) return null;
  try {
    return `${formatWareki(iso)}（${iso}）`;
  } catch {
    return iso;
  }
}

const FIELD_LABELS: Partial<Record<keyof PersonState | '個人番号', string>> = {
  nameKanji: '氏名', nameKana: '氏名カナ', birthDate: '生年月日', sex: '性別', postalCode: '郵便番号', address: '住所', katagaki: '方書',
  districtCode: '地区', householdNo: '世帯番号', relationship: '続柄', householderName: '世帯主', status: '状態', category: '区分',
  becameResidentOn: '住民となった日', ceasedOn: '住民でなくなった日', ceasedReason: '消除事由', latestMovement: '最新異動区分',
  latestMovementOn: '最新異動日', latestNotifiedOn: '最新届出日', previousAddress: '転入前住所', nextAddress: '転出先住所',
  plannedMoveOutOn: '転出予定日', dvSupport: '支援措置', viewingRestricted: '閲覧制限', mailingName: '送付先氏名', mailingAddress: '送付先住所',
  mailingPostalCode: '送付先郵便番号', mailingKatagaki: '送付先方書', realName: '外国人本名', aliasName: '通称', alphabetName: 'アルファベット氏名',
  nameUsage: '氏名利用区分', nationality: '国籍', residenceStatus: '在留資格', stayUntil: '在留期間満了日', residentKind: '住民種別', juminhyoCode: '住民票コード', note: '備考',
  個人番号: '個人番号',
};

/** （続柄、世帯主 氏名） with only the parts the file gave. */
function householdNote(s: PersonState): string {
  const parts = [s.relationship, s.householderName ? `世帯主 ${s.householderName}` : null].filter((x): x is string => !!x);
  return parts.length ? `（${parts.join('、')}）` : '';
}

function statusBadge(status: keyof typeof STATUS_LABELS): SafeHtml {
  return badge(STATUS_LABELS[status], status === 'resident' ? 'ok' : status === 'non-resident' ? 'info' : 'muted');
}

function protectionBanner(s: PersonState, hidden: boolean): SafeHtml {
  if (!s.dvSupport && !s.viewingRestricted) return html``;
  return notice(
    html`<strong>注意：</strong>${s.dvSupport ? html`この方は<strong>DV等支援措置</strong>の対象です${hidden ? '（住所は表示しません）' : ''}。住所を第三者に伝えず、通知等を登録住所へ送付しないでください。` : ''}${s.viewingRestricted ? html` 住基閲覧注意（閲覧制限）の対象です。` : ''}`,
    'warning',
  );
}

export function registerResidentPages(fastify: FastifyInstance, app: App): void {
  const readGuard = [needLogin, async (req: FastifyRequest) => {
    if (!canReadResidents(req.session!.actor)) await work(app.db, req, async (w) => searchPersons(w, {})); // raises a logged 403
  }];

  // -------------------------------------------------------------- search
  fastify.get('/residents', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const q = queryOf(req);
    const asked = !!(q['atenaNo'] || q['kana'] || q['birthDate']);
    // Decision 0133: an impossible 生年月日 (2026-02-30) is a 400 naming it, not a database error.
    const birthDate = queryDate(q, 'birthDate', '生年月日');
    const search = {
      atenaNo: q['atenaNo']?.normalize('NFKC').trim() || undefined,
      kana: q['kana']?.trim() || undefined,
      birthDate,
      includeFormer: queryEnum(q, 'former', '転出・死亡・消除した人も含める', ['on'] as const) === 'on',
    };
    const wanted = pageRequest(q, SEARCH_PAGE, SEARCH_CAP);
    const [results, total, at] = asked
      ? await work(app.db, req, async (w) => {
          const n = await countPersons(w, search, SEARCH_CAP);
          const r = within(wanted, n, SEARCH_CAP);
          return [await searchPersons(w, { ...search, limit: r.pageSize, offset: r.offset }), n, r] as const;
        })
      : [[], 0, wanted];
    const filters = { atenaNo: q['atenaNo'], kana: q['kana'], birthDate: q['birthDate'], former: q['former'] === 'on' ? 'on' : undefined };
    const atena = can(req.session!.actor, 'personal.write', 'addressee');
    return sendPage(
      reply,
      page(
        ctx,
        '住民・宛名の検索',
        html`
<form method="get" action="/residents" class="card filters">
  ${field({ label: '宛名番号', name: 'atenaNo', value: q['atenaNo'] ?? '', inputmode: 'numeric', maxlength: 10 })}
  ${field({ label: '氏名カナ（前方一致）', name: 'kana', value: q['kana'] ?? '', hint: 'ひらがな・半角カナでも検索できます' })}
  ${field({ label: '生年月日', name: 'birthDate', type: 'date', value: q['birthDate'] ?? '' })}
  ${checkbox({ label: '転出・死亡・消除した人も含める', name: 'former', checked: q['former'] === 'on' })}
  ${button('検索', 'secondary')}
</form>
${atena ? html`<div class="actions"><a class="btn btn--secondary" href="/residents/imports">住基ファイルの取込</a><a class="btn btn--secondary" href="/eligibility/imports">生活保護・課税・介護保険ファイルの取込</a><a class="btn btn--secondary" href="/residents/register">住登外者の登録</a><a class="btn btn--secondary" href="/residents/queue">照合の確認待ち</a></div>` : ''}
${asked && total ? pager({ total, request: at, shown: results.length, path: '/residents', filters, cap: SEARCH_CAP, order: '氏名カナ順' }) : ''}
${asked
  ? table(
      ['宛名番号', '氏名', '氏名カナ', '生年月日', '性別', '状態', '住所', ''],
      results.map((p) => [
        html`<a href="/residents/${p.atenaNo}">${p.atenaNo}</a>`,
        p.nameKanji,
        p.nameKana,
        jpDate(p.birthDate),
        SEX[p.sex],
        statusBadge(p.status),
        p.address,
        p.dvSupport ? badge('支援措置', 'bad') : '',
      ]),
      { caption: '検索結果（個人番号は一覧に表示しません）', empty: '該当する住民は見つかりませんでした。' },
    )
  : html`<p>宛名番号、氏名カナ、生年月日のいずれかで検索してください。</p>`}`,
      ),
    );
  });

  // -------------------------------------------------------------- detail + history
  const detail = async (req: FastifyRequest, csrf: string, extra: SafeHtml = html``, revealState?: FormState): Promise<SafeHtml> => {
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const p = await work(app.db, req, (w) => getPerson(w, app.vault, atenaNo, '住民詳細の表示'));
    const h = await work(app.db, req, (w) => personHistory(w, atenaNo));
    const s = p.state;
    const mayReveal = req.session!.actor.mynumberView;
    return html`
${protectionBanner(s, p.addressHidden)}
${p.withheld.length ? notice(html`あなたの所掌事務で使わない項目（${p.withheld.map((k) => PERSON_ITEM_GROUPS.find((g) => g.key === k)?.label ?? k).join('、')}）は表示していません。<a href="/residents/items">事務ごとの利用項目</a>`) : ''}
${extra}
${personLinks(p.atenaNo)}
<div class="grid">
${section(
  '基本情報',
  dl([
    ['宛名番号', p.atenaNo],
    ['団体内統合宛名番号', p.integratedNo],
    ['区分', CATEGORY_LABELS[s.category]],
    ['状態', statusBadge(s.status)],
    ['氏名', html`${s.nameKanji}${s.nameUsage === 'alias' && s.realName ? html`<br><small>本名 ${s.realName}</small>` : ''}`],
    ['氏名カナ', s.nameKana],
    ['生年月日', jpDate(s.birthDate)],
    ['性別', SEX[s.sex]],
    ['住所', html`${s.postalCode ? `〒${s.postalCode.slice(0, 3)}-${s.postalCode.slice(3)} ` : ''}${s.address}${s.katagaki ? ` ${s.katagaki}` : ''}`],
    ['世帯', s.householdNo ? `${s.householdNo}${householdNote(s)}` : null],
    ['送付先', s.mailingAddress ? `${s.mailingName ?? ''} ${s.mailingAddress}` : '（登録住所）'],
    ['住民となった日', jpDate(s.becameResidentOn)],
    ['転入前住所', s.previousAddress],
    ['住民でなくなった日', s.ceasedOn ? `${jpDate(s.ceasedOn)} ${s.ceasedReason ?? ''}` : null],
    ['転出予定', s.plannedMoveOutOn ? `${jpDate(s.plannedMoveOutOn)} → ${s.nextAddress ?? ''}` : null],
    ['転出先住所', !s.plannedMoveOutOn && s.status === 'moved-out' ? s.nextAddress : null],
    ...(s.residentKind === 'foreign' ? ([['国籍・在留資格', `${s.nationality ?? ''} ${s.residenceStatus ?? ''}（〜${s.stayUntil ?? ''}）`], ['アルファベット氏名', s.alphabetName]] as [string, string | null][]) : []),
    ['備考', s.note],
  ]),
)}
${section(
  '個人番号',
  html`<p>${p.hasMyNumber ? `登録あり（${maskMyNumber('')}）` : p.myNumberErased ? `消去済み（${formatJst(p.myNumberErased.at)}、理由：${p.myNumberErased.reason ?? '記載なし'}）` : '登録なし'}</p>
${p.hasMyNumber && mayReveal
  ? html`${errorSummary(revealState)}<form method="post" action="/residents/${p.atenaNo}/reveal" novalidate>${csrfField(csrf)}
      ${field({ label: '表示する目的', name: 'purpose', required: true, hint: '例：転出に伴う情報連携データの修正。表示は操作ログに記録されます。' }, revealState)}
      ${button('個人番号を表示する', 'secondary')}</form>`
  : p.hasMyNumber
    ? html`<p class="hint">個人番号の表示には個人番号閲覧可能フラグが必要です。</p>`
    : ''}`,
)}
</div>
${section(
  '異動・変更の履歴',
  table(
    ['適用日', '異動', '変更された項目', '出所', '記録', '実施者'],
    [...h].reverse().map((v) => [
      jpDate(v.effectiveDate),
      v.movement ? (MOVEMENTS as Record<string, string>)[v.movement] ?? v.movement : v.source === 'import-full' ? '全件取込' : '—',
      v.version === 1 ? '（新規登録）' : v.changed.map((c) => FIELD_LABELS[c as keyof typeof FIELD_LABELS] ?? c).join('、'),
      v.fileName ? `${v.fileName}${v.rowNo ? ` ${sheetRow(v.rowNo)}行目` : ''}` : (SOURCE_LABELS[v.source] ?? v.source),
      formatJst(v.recordedAt),
      doneBy(v.actor),
    ]),
  ),
)}`;
  };

  // KRN-10: the allow-list of items per 事務, as the system enforces it (policy, no personal data).
  fastify.get('/residents/items', { preHandler: needLogin }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(
      reply,
      page(
        ctx,
        '事務ごとの利用項目',
        html`<p>住民の情報は、事務ごとにあらかじめ定めた項目だけを表示・利用します。複数の事務を担当する職員には、その事務のいずれかで使う項目を表示します。○ の付いていない項目は、その事務の画面・出力・照会には出ません。</p>
${section(
  '情報項目と事務の対応',
  table(
    ['情報項目', ...RESIDENT_DUTIES.map((d) => dutyLabel(d))],
    PERSON_ITEM_GROUPS.map((g) => [g.always ? `${g.label}（すべての事務）` : g.label, ...RESIDENT_DUTIES.map((d) => (DUTY_PERSON_ITEMS[d].includes(g.key) ? '○' : '—'))]),
  ),
)}`,
      ),
    );
  });

  fastify.get('/residents/:atenaNo', { preHandler: readGuard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '住民の詳細', await detail(req, ctx.csrf)));
  });

  fastify.post('/residents/:atenaNo/reveal', { preHandler: [...readGuard, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const ctx = await pageContext(app, req, reply);
    try {
      const n = await work(app.db, req, (w) => revealMyNumber(w, app.vault, atenaNo, one(body['purpose']) ?? ''));
      const shown = notice(html`<p>個人番号（この画面でのみ表示。表示は操作ログに記録されました）</p><p class="secret">${n.slice(0, 4)} ${n.slice(4, 8)} ${n.slice(8)}</p>`, 'warning');
      return sendPage(reply, page(ctx, '住民の詳細', await detail(req, ctx.csrf, shown)));
    } catch (e) {
      if (isProblem(e) && e.status < 500) return sendPage(reply, page(ctx, '住民の詳細', await detail(req, ctx.csrf, html``, formState(body, e))), e.status);
      throw e;
    }
  });

  // -------------------------------------------------------------- import
  const atenaWrite = [needLogin, async (req: FastifyRequest) => {
    const { requireImport } = await import('../../municipality/residents/index.js');
    await work(app.db, req, async (w) => requireImport(w.actor));
  }];

  registerUploadScreen(fastify, app, {
    base: '/residents/imports',
    family: 'residents',
    title: '住基ファイルの取込',
    fileLabel: '住民全件ファイル・住民異動ファイル（CSV）',
    hint: '1行目が見出しの CSV（住基連携ファイルの様式）。UTF-8・Shift_JIS のどちらも読めます。同じファイルを再度取り込んでも変更は生じません。',
    extraFields: field({ label: '基準日（全件ファイル）', name: 'baseDate', type: 'date', value: app.config.clock.today(), hint: '最新異動日のない行を適用する日' }),
    guard: atenaWrite,
    kindLabel: (k) => (k === 'residents-full' ? '全件' : '異動'),
    queueHref: '/residents/queue',
    listRuns: (who, limit) => listImportRuns(app, who, limit),
    rejectsCsv: (who, runId) => rejectsCsv(app, who, runId),
    async run(who, file, fileName, f, onProgress) {
      const encoding = f['encoding'] === 'utf8' || f['encoding'] === 'sjis' ? f['encoding'] : 'auto';
      const baseDate = /^\d{4}-\d{2}-\d{2}$/.test(f['baseDate'] ?? '') ? f['baseDate'] : undefined;
      const r = await importResidents(app, who, { file, fileName, encoding, ...(baseDate ? { baseDate } : {}), onProgress });
      return { ...r, kindLabel: r.kind === 'full' ? '全件' : '異動' };
    },
  });

  // -------------------------------------------------------------- 住登外者 registration
  const registerForm = (csrf: string, state?: FormState, possible?: SafeHtml) => html`
${errorSummary(state)}
${possible ?? ''}
<form method="post" action="/residents/register" novalidate>${csrfField(csrf)}
  ${select({ label: '区分', name: 'category', options: [['non-registered', '住登外者（記録のある転出者等）'], ['unregistered-child', '戸籍・住民票に記載のない児童（本人・親権者の申出）'], ['out-of-area', '区外者（他団体からの依頼等）']] }, state)}
  ${field({ label: '氏名', name: 'nameKanji', required: true }, state)}
  ${field({ label: '氏名カナ', name: 'nameKana', required: true }, state)}
  ${field({ label: '生年月日', name: 'birthDate', type: 'date', required: true }, state)}
  ${select({ label: '性別', name: 'sex', options: [['female', '女'], ['male', '男']] }, state)}
  ${field({ label: '郵便番号', name: 'postalCode', inputmode: 'numeric' }, state)}
  ${field({ label: '住所', name: 'address', required: true }, state)}
  ${field({ label: '方書', name: 'katagaki' }, state)}
  ${field({ label: '保護者氏名（児童の場合）', name: 'guardianName' }, state)}
  ${textarea({ label: '登録の根拠・申出者', name: 'note', required: true }, state)}
  ${possible ? checkbox({ label: '上の候補とは別人であることを確認した', name: 'confirmNew' }, state) : ''}
  ${button('登録する')}
</form>`;

  fastify.get('/residents/register', { preHandler: atenaWrite }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '住登外者の登録', registerForm(ctx.csrf)));
  });

  fastify.post('/residents/register', { preHandler: [...atenaWrite, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const r = await attempt(() =>
      work(app.db, req, (w) =>
        registerNonResident(w, app.vault, {
          category: one(body['category']), nameKanji: one(body['nameKanji']) ?? '', nameKana: one(body['nameKana']) ?? '', birthDate: one(body['birthDate']) ?? '', sex: one(body['sex']),
          postalCode: one(body['postalCode']), address: one(body['address']) ?? '', katagaki: one(body['katagaki']), guardianName: one(body['guardianName']), note: one(body['note']) ?? '',
          confirmNew: one(body['confirmNew']) === 'on',
        }),
      ),
    );
    const ctx = await pageContext(app, req, reply);
    if (!r.ok) return sendPage(reply, page(ctx, '住登外者の登録', registerForm(ctx.csrf, formState(body, r.problem))), r.problem.status);
    if (!r.value.atenaNo) {
      const possible = notice(
        html`<p>同じ生年月日で似ている方が登録されています。別人であることを確認してから登録してください。</p>${table(['宛名番号', '一致度', '理由'], r.value.possibleMatches.map((c) => [html`<a href="/residents/${c.atenaNo}">${c.atenaNo}</a>`, c.score, c.reasons.map((x) => x.message).join('、')]))}`,
        'warning',
      );
      return sendPage(reply, page(ctx, '住登外者の登録', registerForm(ctx.csrf, { values: body }, possible)), 409);
    }
    setFlash(reply, `宛名番号 ${r.value.atenaNo} で登録しました。`);
    return reply.redirect(`/residents/${r.value.atenaNo}`);
  });

  // -------------------------------------------------------------- review queue
  fastify.get('/residents/queue', { preHandler: atenaWrite }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    const [items, total, at] = await work(app.db, req, async (w) => {
      const n = await countQueue(w, 'residents');
      const r = within(pageRequest(req.query as Record<string, unknown>, QUEUE_PAGE), n);
      return [await listQueue(w, { side: 'residents', limit: r.pageSize, offset: r.offset }), n, r] as const;
    });
    const paging = total ? pager({ total, request: at, shown: items.length, path: '/residents/queue', filters: {}, order: '登録の古い順' }) : html``;
    return sendPage(
      reply,
      page(
        ctx,
        '照合の確認待ち',
        html`<p>4情報の照合で一人に決められなかった記録です。自動では結び付けません。候補を確認して、結び付けるか、新しい人として登録するか、対象外にしてください。</p>
${items.length === 0 ? html`<p class="empty">確認待ちはありません。</p>` : ''}
${paging}
${items.map((it) =>
  section(
    `${String(it.query['nameKanji'] ?? '')}（${String(it.query['nameKana'] ?? '')}）${String(it.query['birthDate'] ?? '')} 生`,
    html`${dl([
      ['由来', `${QUEUE_SOURCES[it.source] ?? it.source}${it.sourceRow ? ` ${sheetRow(it.sourceRow)}行目` : ''}${it.sourceRef ? `（${it.sourceRef}）` : ''}`],
      ['住所', String(it.query['address'] ?? '')],
      ['登録日時', when(it.createdAt)],
    ])}
${table(
  ['候補（宛名番号）', '一致度', '理由'],
  it.candidates.map((c) => [html`<a href="/residents/${c.atenaNo}">${c.atenaNo}</a>`, c.score, c.reasons.map((x) => x.message).join('、')]),
)}
<form method="post" action="/residents/queue/${it.id}" novalidate>${csrfField(ctx.csrf)}
  ${select({ label: '処理', name: 'action', options: [...it.candidates.map((c) => [`link:${c.atenaNo}`, `宛名番号 ${c.atenaNo} の人と結び付ける`] as [string, string]), ['create', '新しい人として登録する'], ['dismiss', '対象外とする']] })}
  ${field({ label: '確認した内容（理由）', name: 'note', required: true })}
  ${button('確定する')}
</form>`,
  ),
)}`,
      ),
    );
  });

  fastify.post('/residents/queue/:id', { preHandler: [...atenaWrite, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const a = one(body['action']) ?? '';
    const input = a.startsWith('link:') ? { action: 'link', atenaNo: a.slice(5), note: one(body['note']) ?? '' } : { action: a, note: one(body['note']) ?? '' };
    const r = await attempt(() => work(app.db, req, (w) => resolveQueueItem(w, app.vault, (req.params as { id: string }).id, input)));
    if (!r.ok) {
      setFlash(reply, `確定できませんでした: ${problemText(r.problem, { note: '確認した内容（理由）', atenaNo: '処理', action: '処理' })}`);
      return reply.redirect('/residents/queue');
    }
    setFlash(reply, r.value.resolvedAtenaNo ? `宛名番号 ${r.value.resolvedAtenaNo} として確定しました。` : '対象外として確定しました。');
    return reply.redirect('/residents/queue');
  });
}

