// A resident's contacts and eligibility facts (RES-18, RES-21; decision 0157): /residents/:atenaNo/contacts
// lists the contacts (kind, number or address, source, set date, consent, end) with a form to add one and a
// button to end one, and the 生活保護 periods, 課税区分 and 介護保険 所得段階 the feeds gave, each with its file
// and row.  Reading needs a duty that uses residents; writing contacts 宛名管理 or 予防接種.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { work } from '../../kernel/http/index.js';
import { formatFiscalYearWareki, formatWareki } from '../../kernel/jp/index.js';
import { invalidField, isProblem } from '../../kernel/problems/index.js';
import { getPerson, requireImport, requireResidentAccess, RESIDENT_DUTIES } from '../../municipality/residents/index.js';
import { registerUploadScreen } from './uploads.js';
import { addContact, eligibilityRejectsCsv, endContact, importEligibility, listContacts, listEligibilityRuns, mayReadEligibility, personEligibility, CONTACT_KIND_LABELS, CONTACT_KINDS, CONTACT_SOURCE_LABELS, CONTACT_SOURCES, FEED_KINDS, FEED_LABELS, FEED_RUN_KINDS, type FeedKind, type PersonFacts } from '../../municipality/copay/index.js';
import { badge, button, csrfField, errorSummary, field, html, page, section, select, table, type FormState, type SafeHtml } from '../ui/index.js';
import { formState, needLogin, one, pageContext, personHeader, sendPage, setFlash, type Form } from './support.js';

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ATENA = /^\d{10}$/;
const day = (d: string | null): string => (d ? formatWareki(d) : '—');
const src = (f: { file: string; rowNo: number }): string => `${f.file} ${f.rowNo + 1}行目`;

/** The feed facts with their file and row (shown to the duties that decide with them). */
function eligibilitySections(facts: PersonFacts): SafeHtml {
  return html`${section(
  '生活保護',
  table(
    ['ケース番号', '区分', '開始日', '終了日', '取込元'],
    facts.welfare.map((f) => [f.caseNo, f.kind === 'receipt' ? '受給' : '停止', day(f.from), f.until ? day(f.until) : '継続中', src(f)]),
    { empty: '生活保護の情報はありません。' },
  ),
)}
${section(
  '市町村民税の課税区分・介護保険の所得段階',
  table(
    ['年度', '内容', '取込元'],
    [
      ...facts.tax.map((f) => [formatFiscalYearWareki(f.fiscalYear), `市町村民税 ${f.exempt ? '非課税' : '課税'}`, src(f)] as const),
      ...facts.ltc.map((f) => [formatFiscalYearWareki(f.fiscalYear), `介護保険料 第${f.bracket}段階`, src(f)] as const),
    ],
    { empty: '課税・介護保険の情報はありません。' },
  ),
)}`;
}

export function registerContactPages(fastify: FastifyInstance, app: App): void {
  // The feeds' upload screen: the 住基 files' screen with the kind of file chosen (same guarantees, same report).
  const importGuard = [needLogin, async (req: FastifyRequest) => work(app.db, req, async (w) => requireImport(w.actor))];
  const kindOfRun = (k: string): string => FEED_KINDS.find((f) => FEED_RUN_KINDS[f] === k) ?? '';
  registerUploadScreen(fastify, app, {
    base: '/eligibility/imports',
    family: 'eligibility',
    title: '生活保護・課税・介護保険ファイルの取込',
    fileLabel: '他部署の資格情報ファイル（CSV）',
    hint: '1行目が見出しの CSV。UTF-8・Shift_JIS のどちらも読めます。同じファイルを再度取り込んでも変更は生じません。住基ファイルを先に取り込んでください。',
    extraFields: select({ label: 'ファイルの種類', name: 'feedKind', required: true, options: FEED_KINDS.map((k) => [k, FEED_LABELS[k]] as [string, string]) }),
    guard: importGuard,
    kindLabel: (k) => FEED_LABELS[kindOfRun(k) as FeedKind] ?? '—',
    listRuns: (who, limit) => listEligibilityRuns(app.db, who, limit),
    rejectsCsv: (who, runId) => eligibilityRejectsCsv(app.db, who, runId),
    async run(who, file, fileName, f, onProgress) {
      const kind = FEED_KINDS.find((k) => k === f['feedKind']);
      if (!kind) throw invalidField('feedKind', 'REQUIRED', 'ファイルの種類を選んでください');
      const encoding = f['encoding'] === 'utf8' || f['encoding'] === 'sjis' ? f['encoding'] : 'auto';
      const r = await importEligibility(app.db, who, { file, fileName, kind, encoding, onProgress });
      return { ...r, kindLabel: FEED_LABELS[kind] };
    },
  });

  const readGuard = [needLogin, async (req: FastifyRequest) => work(app.db, req, async (w) => requireResidentAccess(w.actor, 'personal.read', RESIDENT_DUTIES))];
  const writeGuard = [needLogin, async (req: FastifyRequest) => work(app.db, req, async (w) => requireResidentAccess(w.actor, 'personal.write', ['addressee', 'vaccination']))];

  const contactsPage = async (req: FastifyRequest, csrf: string, state?: FormState): Promise<SafeHtml> => {
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    const person = await work(app.db, req, (w) => getPerson(w, app.vault, atenaNo, '連絡先・資格情報の表示'));
    const contacts = await work(app.db, req, (w) => listContacts(w, atenaNo));
    const facts = await work(app.db, req, async (w) => (mayReadEligibility(w.actor) ? personEligibility(w, atenaNo) : null));
    const mayWrite = await work(app.db, req, async (w) => {
      try {
        requireResidentAccess(w.actor, 'personal.write', ['addressee', 'vaccination']);
        return true;
      } catch {
        return false;
      }
    });
    return html`
${personHeader(atenaNo, person.state, 'contacts')}
${section(
  '連絡先',
  table(
    ['種類', '連絡先', '入手元', '設定日', '連絡の同意', '状態', ''],
    contacts.map((c) => [
      CONTACT_KIND_LABELS[c.kind],
      c.value,
      CONTACT_SOURCE_LABELS[c.source],
      day(c.setOn),
      c.consent ? badge('同意あり', 'ok') : badge('同意なし', 'warn'),
      c.endedOn ? `${day(c.endedOn)}まで` : '使用中',
      mayWrite && !c.endedOn
        ? html`<form method="post" action="/residents/${atenaNo}/contacts/${c.id}/end" class="inline">${csrfField(csrf)}<input type="hidden" name="endedOn" value="${app.config.clock.today()}">${button('使用終了にする', 'secondary')}</form>`
        : '',
    ]),
    { empty: '連絡先は登録されていません。' },
  ),
)}
${mayWrite
  ? section(
      '連絡先の登録',
      html`${errorSummary(state)}
<form method="post" action="/residents/${atenaNo}/contacts" novalidate>${csrfField(csrf)}
  ${select({ label: '種類', name: 'kind', required: true, options: CONTACT_KINDS.map((k) => [k, CONTACT_KIND_LABELS[k]] as [string, string]) }, state)}
  ${field({ label: '電話番号・メールアドレス', name: 'value', required: true, hint: '例：0857-20-3000、090-1234-5678。全角でも入力できます。' }, state)}
  ${select({ label: '入手元', name: 'source', required: true, options: CONTACT_SOURCES.map((k) => [k, CONTACT_SOURCE_LABELS[k]] as [string, string]) }, state)}
  ${field({ label: '設定日', name: 'setOn', type: 'date', required: true, value: app.config.clock.today() }, state)}
  ${select({ label: '連絡の同意', name: 'consent', required: true, options: [['yes', '本人が同意している'], ['no', '同意していない（記録のみ）']] }, state)}
  ${field({ label: 'メモ', name: 'note' }, state)}
  ${button('登録する')}
</form>`,
    )
  : ''}
${facts ? eligibilitySections(facts) : ''}`;
  };

  fastify.get('/residents/:atenaNo/contacts', { preHandler: readGuard }, async (req, reply) => {
    if (!ATENA.test((req.params as { atenaNo: string }).atenaNo)) return reply.callNotFound();
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '連絡先・生活保護等の情報', await contactsPage(req, ctx.csrf)));
  });

  fastify.post('/residents/:atenaNo/contacts', { preHandler: [...writeGuard, fastify.csrfProtection] }, async (req, reply) => {
    const body = (req.body ?? {}) as Form;
    const atenaNo = (req.params as { atenaNo: string }).atenaNo;
    try {
      const consent = one(body['consent']);
      await work(app.db, req, (w) => addContact(w, atenaNo, { kind: one(body['kind']), value: one(body['value']) ?? '', source: one(body['source']), setOn: one(body['setOn']) ?? '', consent: consent === 'yes' ? true : consent === 'no' ? false : undefined, note: one(body['note']) }));
      setFlash(reply, '連絡先を登録しました。');
      return reply.redirect(`/residents/${atenaNo}/contacts`);
    } catch (e) {
      if (isProblem(e) && e.status < 500 && e.status !== 403) {
        const ctx = await pageContext(app, req, reply);
        return sendPage(reply, page(ctx, '連絡先・生活保護等の情報', await contactsPage(req, ctx.csrf, formState(body, e))), e.status);
      }
      throw e;
    }
  });

  fastify.post('/residents/:atenaNo/contacts/:id/end', { preHandler: [...writeGuard, fastify.csrfProtection] }, async (req, reply) => {
    const { atenaNo, id } = req.params as { atenaNo: string; id: string };
    if (!ID.test(id)) return reply.callNotFound();
    const body = (req.body ?? {}) as Form;
    await work(app.db, req, (w) => endContact(w, id, { endedOn: one(body['endedOn']) ?? '' }));
    setFlash(reply, '連絡先を使用終了にしました。');
    return reply.redirect(`/residents/${atenaNo}/contacts`);
  });
}
