// The public search of 資格確認検索システム (QUA-29; decision 0224): GET /kensaku/v1/search (JSON) and GET /kensaku
// (a Japanese page: choose the qualification, enter the 氏名, see how many are registered under that name with
// their 登録年 and 性別, twenty to a page).  Nothing but the three items is ever answered.  Public: no login, no
// cookies; the node server logs no query strings (the searched name is not logged).
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { UntypedDatabase } from '../../kernel/db/index.js';
import { warekiParts } from '../../kernel/jp/index.js';
import { isProblem, Problem } from '../../kernel/problems/index.js';
import { KENSAKU_QUALIFICATIONS, searchListings, type KensakuPage } from './store.js';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `body{font-family:"BIZ UDPGothic",sans-serif;margin:0;background:#f8f8fb;color:#1a1a1c;line-height:1.7}
header{background:#0031d8;color:#fff;padding:.8rem 2rem}header h1{font-size:1.3rem;margin:0}
main{max-width:48rem;margin:1.5rem auto;background:#fff;border:1px solid #d8d8db;border-radius:8px;padding:1.5rem 2rem}
.note{background:#fff8e6;border-left:4px solid #c77700;padding:.5rem .8rem;font-size:.9rem}
form{display:grid;grid-template-columns:8rem 1fr;gap:.6rem 1rem;align-items:center;margin:1rem 0}
select,input{font-size:1rem;padding:.4rem;border:1px solid #767676;border-radius:4px}
button{grid-column:2;justify-self:start;font-size:1rem;padding:.5rem 1.8rem;border-radius:6px;border:0;background:#0031d8;color:#fff;cursor:pointer}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #d8d8db;padding:.4rem .8rem;text-align:left}th{background:#f1f1f4}
.error{color:#b00020;font-weight:bold}.count{font-weight:bold}nav a{margin-right:1rem}`;

/** 令和8年（2026年）: the era of the year's last day (a year an era began in shows the new era). */
export function yearLabel(year: number): string {
  const p = warekiParts(`${year}-12-31`);
  return `${p.era}${p.year === 1 ? '元' : p.year}年（${year}年）`;
}

function render(q: string, name: string, result: KensakuPage | undefined, error: string | undefined): string {
  const options = Object.entries(KENSAKU_QUALIFICATIONS).map(([code, label]) => `<option value="${esc(code)}"${code === q ? ' selected' : ''}>${esc(label)}</option>`).join('');
  let body = '';
  if (error) body = `<p class="error" role="alert">${esc(error)}</p>`;
  else if (result) {
    const link = (p: number) => `/kensaku?${new URLSearchParams({ qualification: q, name, page: String(p) }).toString()}`;
    body = `<h2>検索結果</h2>
<p class="count">${esc(result.qualificationName)}として登録されている「${esc(name)}」さん: ${result.total}件${result.total ? `（${result.page} / ${result.pages} ページ）` : ''}</p>
${result.total === 0 ? '<p>該当する登録はありません。氏名の表記（旧字体・新字体など）をご確認ください。</p>' : `<table><thead><tr><th>氏名</th><th>性別</th><th>登録年</th></tr></thead><tbody>
${result.items.map((h) => `<tr><td>${esc(h.氏名)}</td><td>${esc(h.性別)}</td><td>${esc(Number.isInteger(h.登録年) ? yearLabel(h.登録年) : '')}</td></tr>`).join('\n')}
</tbody></table>`}
<nav>${result.page > 1 ? `<a href="${esc(link(result.page - 1))}">前のページ</a>` : ''}${result.page < result.pages ? `<a href="${esc(link(result.page + 1))}">次のページ</a>` : ''}</nav>`;
  }
  return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>資格確認検索 — 資格確認検索システム</title><style>${STYLE}</style></head>
<body><header><h1>資格確認検索（医師・歯科医師・看護師・薬剤師など）</h1></header><main>
<p class="note">医籍・薬剤師名簿などに登録されている方を、資格と氏名で確認できます。表示するのは氏名・性別・登録年だけです。これは模擬のシステムです。</p>
<form method="get" action="/kensaku">
<label for="q">資格</label><select id="q" name="qualification"><option value="">選んでください</option>${options}</select>
<label for="n">氏名（姓と名）</label><input id="n" name="name" value="${esc(name)}" maxlength="60" autocomplete="off" placeholder="例: 厚労　太郎">
<button type="submit">検索する</button>
</form>
${body}
</main></body></html>`;
}

/** Searches per client address and minute: a person looking someone up stays far below it; harvesting the list does not. */
export const KENSAKU_RATE_LIMIT = { max: 60, timeWindow: '1 minute' } as const;

export async function registerKensakuPages(fastify: FastifyInstance, db: Kysely<UntypedDatabase>): Promise<void> {
  await fastify.register(rateLimit, {
    global: false,
    errorResponseBuilder: () => new Problem(429, 'RATE_LIMITED', 'しばらくお待ちください', '短い時間に多くの検索がありました。1分ほど待ってからもう一度お試しください。'),
  });
  const limited = { config: { rateLimit: KENSAKU_RATE_LIMIT } };
  fastify.get('/kensaku/v1/search', limited, async (req, reply) => {
    const r = await searchListings(db, req.query as Record<string, unknown>);
    return reply.header('cache-control', 'no-store').send(r);
  });
  fastify.get('/kensaku', limited, async (req, reply) => {
    const query = req.query as Record<string, unknown>;
    const q = typeof query['qualification'] === 'string' ? query['qualification'] : '';
    const name = typeof query['name'] === 'string' ? query['name'].slice(0, 60) : '';
    let result: KensakuPage | undefined;
    let error: string | undefined;
    if (q || name) {
      try {
        result = await searchListings(db, query);
      } catch (e) {
        if (!isProblem(e)) throw e;
        error = e.errors[0]?.message ?? e.detail ?? e.title;
      }
    }
    return reply
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
      .header('referrer-policy', 'no-referrer')
      .type('text/html; charset=utf-8')
      .send(render(q, name, result, error));
  });
}
