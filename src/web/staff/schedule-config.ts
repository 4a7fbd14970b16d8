// The municipality's schedule configuration (issue 4 point 1, decision 0029): the 臨時・特措法・任意 programs and
// season changes it adds to the national catalog, as versions.  Staff of the vaccination duty see them; a
// supervisor (所属長・責任者) uploads a new version, validated exactly as the engine will use it.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { App } from '../../app/index.js';
import { principalOf, work } from '../../kernel/http/index.js';
import { runAs } from '../../kernel/context/index.js';
import { invalidField, isProblem } from '../../kernel/problems/index.js';
import { requireResidentAccess } from '../../municipality/residents/index.js';
import { getScheduleConfig, listScheduleConfigs, saveScheduleConfig } from '../../municipality/records/index.js';
import { button, csrfField, errorSummary, html, notice, page, section, table, textarea, field, when, type FormState, doneBy } from '../ui/index.js';
import { formState, needLogin, one, pageContext, sendPage, setFlash, type Form } from './support.js';

export function registerScheduleConfigPages(fastify: FastifyInstance, app: App): void {
  const guard = [needLogin, async (req: FastifyRequest) => work(app.db, req, async (w) => requireResidentAccess(w.actor, 'personal.read', ['vaccination']))];

  const render = async (req: FastifyRequest, csrf: string, state?: FormState) => {
    const { versions, current } = await work(app.db, req, async (w) => ({ versions: await listScheduleConfigs(w), current: await getScheduleConfig(w) }));
    const mayChange = req.session!.actor.role === 'supervisor';
    const latest = versions[0];
    return html`
${section(
  '現在の設定',
  latest
    ? html`<p>第${latest.version}版（${when(latest.createdAt)}、${doneBy(latest.createdBy)}）${latest.note ? `：${latest.note}` : ''}</p>
${table(['コード', '事業', '区分'], latest.programs.map((p) => [p.code, p.name, p.category]), { empty: '追加した事業はありません。' })}
${latest.seasonOverrides.length ? html`<p>接種期間を変更した事業: ${latest.seasonOverrides.join('、')}</p>` : ''}`
    : notice('この団体の設定はまだありません。国のカタログ（定期接種）だけで判定しています。'),
)}
${section(
  '版の履歴',
  table(['版', '登録日時', '登録者', '事業', 'メモ'], versions.map((v) => [v.version, when(v.createdAt), doneBy(v.createdBy), v.programs.map((p) => p.name).join('、') || '—', v.note ?? '']), { empty: '登録された版はありません。' }),
)}
${mayChange
  ? section(
      '新しい版を登録する',
      html`${errorSummary(state)}
<p class="hint">形式は docs/formats/schedule-cli.md の「municipal configuration」です。登録前に、判定に使うのと同じ規則で検査します。登録すると、これ以降の接種記録の確認・抽出・統計はこの版で判定します（過去の版は残ります）。</p>
<form method="post" action="/vaccinations/schedule-config" novalidate>${csrfField(csrf)}
  ${textarea({ label: '設定（JSON）', name: 'config', required: true, rows: 18 }, state ?? { values: { config: current ? JSON.stringify(current.config, null, 2) : '' }, errors: [] })}
  ${field({ label: '改訂内容のメモ', name: 'note', hint: '例：おたふくかぜワクチン任意接種助成の開始' }, state)}
  ${button('検査して登録する')}
</form>`,
    )
  : html`<p class="hint">設定の変更は予防接種事務の所属長・責任者が行います。</p>`}`;
  };

  fastify.get('/vaccinations/schedule-config', { preHandler: guard }, async (req, reply) => {
    const ctx = await pageContext(app, req, reply);
    return sendPage(reply, page(ctx, '予防接種の設定（団体独自の事業）', await render(req, ctx.csrf)));
  });

  fastify.post('/vaccinations/schedule-config', { preHandler: [...guard, fastify.csrfProtection] }, async (req, reply) => {
    const b = (req.body ?? {}) as Form;
    const text = one(b['config']) ?? '';
    try {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch (e) {
        throw invalidField('config', 'MALFORMED_JSON', `JSONとして読めません（${(e as Error).message}）`);
      }
      const v = await runAs(app.db, principalOf(req), (w) => saveScheduleConfig(w, raw, one(b['note'])));
      setFlash(reply, `第${v.version}版として登録しました。`);
      return reply.redirect('/vaccinations/schedule-config');
    } catch (e) {
      if (isProblem(e) && e.status < 500 && e.status !== 403) {
        const ctx = await pageContext(app, req, reply);
        return sendPage(reply, page(ctx, '予防接種の設定（団体独自の事業）', await render(req, ctx.csrf, formState(b, e))), e.status);
      }
      throw e;
    }
  });
}
