// exchange.inquiry (issue 11): sustained inquiries per second through the whole chain — the municipality
// node asks its 中間サーバー, which asks the 情報提供ネットワークシステム (permission check, 許可証, 符号
// translation, 情報提供等記録), which asks the provider's 中間サーバー (permit check, answer from 副本,
// encrypted to the asker), and back — every hop signed, verified and logged at both ends, personal bodies
// encrypted.  Baseline, measured in the same run: the same three nested HTTP round trips (three bare Fastify
// servers, each forwarding a JSON body to the next) with no work done.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import Fastify from 'fastify';
import { sql } from 'kysely';
import { throughput, type BenchCase, type BenchResult } from '../kernel/bench/index.js';
import { newMeta, runAs, systemActor, type Principal } from '../kernel/context/index.js';
import { syntheticMyNumber } from '../kernel/mynumber/index.js';
import { addOrganisation, getOrganisation } from '../kernel/tenancy/index.js';
import { FULL_COLUMNS, importResidents } from '../municipality/residents/index.js';
import { createRecords } from '../municipality/records/index.js';
import { registerCopies, VACCINATION_HISTORY_ITEM, VACCINATION_JIMU } from '../municipality/exchange/index.js';
import type { AppBenchContext } from './bench.js';
import { exchangeReady, startOrganisations } from './nodes.js';

const ASKER = '131237';
const PROVIDER = '312011';

function residentsCsv(n: number, city: string): string {
  const rows = Array.from({ length: n }, (_, i) => {
    const c: Record<string, string> = {
      住民票コード: String(20_000_000_000 + i),
      個人番号: syntheticMyNumber('bench-exchange', i),
      氏名: '交換　太郎',
      氏名カナ: 'コウカン　タロウ',
      生年月日: '20250401',
      性別: '1',
      住所: city,
      住民種別: '1',
      住民となった日: '20250401',
      最新異動区分: '02',
      最新異動日: '20250401',
      支援措置: '0',
      閲覧制限: '0',
    };
    return FULL_COLUMNS.map((k) => c[k] ?? '').join(',');
  });
  return [FULL_COLUMNS.join(','), ...rows].join('\r\n') + '\r\n';
}

// The baseline's HTTP client is the message layer's own: Node's http with one keep-alive agent.
const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
function postJson(url: string, body: string): Promise<string> {
  const buf = Buffer.from(body);
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': buf.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(buf);
  });
}

async function bareChain(): Promise<{ url: string; close(): Promise<void> }> {
  const servers: ReturnType<typeof Fastify>[] = [];
  let next = '';
  for (let i = 0; i < 3; i++) {
    const f = Fastify({ logger: false });
    const target = next;
    f.post('/x', async (req) => {
      if (!target) return { ok: true, echo: req.body };
      return JSON.parse(await postJson(target, JSON.stringify(req.body))) as unknown;
    });
    await f.listen({ host: '127.0.0.1', port: 0 });
    const a = f.server.address();
    next = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/x`;
    servers.push(f);
  }
  return { url: next, close: async () => { for (const s of servers) await s.close(); } };
}

export const exchangeInquiryCase: BenchCase<AppBenchContext> = {
  name: 'exchange.inquiry',
  description: '情報提供ネットワーク経由の照会（署名・検証・暗号化・許可・符号変換・副本からの応答・両端の記録）',
  async run(ctx): Promise<BenchResult> {
    const app = await ctx.app();
    const persons = ctx.quick ? 100 : 400;
    const seconds = ctx.quick ? 5 : 20;
    const concurrency = 16;
    for (const [code, name] of [[ASKER, '江戸川区'], [PROVIDER, '鳥取市']] as const) {
      if (!(await getOrganisation(app.db.system, code))) await addOrganisation(app.db.system, app.tenantKeys, { code, name });
    }
    const op = (t: string): Principal => ({ tenant: t, actor: systemActor('bench'), meta: newMeta('bench:exchange.inquiry') });
    const tmp = mkdtempSync(join(tmpdir(), 'mamori-xbench-'));
    try {
      const have = await sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.persons WHERE tenant_code = ${PROVIDER} AND juminhyo_code LIKE '2%'`.execute(app.db.system);
      if ((have.rows[0]?.n ?? 0) < persons) {
        ctx.log(`  ${persons} 人を両方の団体に登録し、提供側に接種記録を作っています…`);
        writeFileSync(join(tmp, 'p.csv'), residentsCsv(persons, '鳥取県鳥取市尚徳町116番地'));
        writeFileSync(join(tmp, 'a.csv'), residentsCsv(persons, '東京都江戸川区中央一丁目2番3号'));
        await importResidents(app, op(PROVIDER), { file: join(tmp, 'p.csv'), kind: 'full' });
        await importResidents(app, op(ASKER), { file: join(tmp, 'a.csv'), kind: 'full' });
        const atenas = (await sql<{ atena_no: string }>`SELECT atena_no FROM municipality.persons WHERE tenant_code = ${PROVIDER} AND juminhyo_code LIKE '2%' ORDER BY atena_no`.execute(app.db.system)).rows;
        const nurse: Principal = { tenant: PROVIDER, actor: { kind: 'staff', id: null, login: 'bench-nurse', role: 'nurse', duties: ['vaccination'], mynumberView: false }, meta: newMeta('bench') };
        await runAs(app.db, nurse, (w) =>
          createRecords(w, atenas.map((a) => ({ atenaNo: a.atena_no, raw: { product: 'hib', program: 'hib', dose: 1, vaccinatedOn: '2025-06-10', lot: 'BENCH1' }, opts: { source: 'staff' as const }, meta: w.meta }))),
        );
      }
      const orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0 });
      try {
        ctx.log('  住基ネットへの通知・符号の取得・副本の登録…');
        await exchangeReady(app, orgs, PROVIDER, op(PROVIDER));
        await exchangeReady(app, orgs, ASKER, op(ASKER));
        await registerCopies(app.db, op(PROVIDER), orgs.municipal);
        const askers = (await sql<{ integrated_no: string }>`SELECT integrated_no FROM municipality.persons WHERE tenant_code = ${ASKER} AND juminhyo_code LIKE '2%' AND integrated_no IS NOT NULL ORDER BY atena_no`.execute(app.db.system)).rows.map((r) => r.integrated_no);
        if (askers.length === 0) throw new Error('照会する住民がいません');
        const x = orgs.municipal;
        const chukan = x.chukanOf(ASKER);
        let i = 0;
        let provided = 0;
        let failed = 0;
        const value = await throughput(
          async () => {
            const integratedNo = askers[i++ % askers.length]!;
            try {
              const r = await x.node.call(chukan, 'inquire', { tenant: ASKER, integratedNo, jimu: VACCINATION_JIMU, item: VACCINATION_HISTORY_ITEM, provider: PROVIDER, operator: { login: 'bench', duty: VACCINATION_JIMU } }, { personal: true });
              if ((r.body as { status?: string }).status === 'provided') provided++;
            } catch {
              failed++;
            }
          },
          { seconds, concurrency },
        );
        const chain = await bareChain();
        let baseline: number;
        try {
          baseline = await throughput(
            async () => {
              JSON.parse(await postJson(chain.url, JSON.stringify({ tenant: ASKER, integratedNo: askers[0], item: VACCINATION_HISTORY_ITEM })));
            },
            { seconds, concurrency },
          );
        } finally {
          await chain.close();
        }
        const ratio = value / baseline;
        return {
          name: this.name,
          value,
          unit: 'inquiries/s',
          baseline,
          baselineUnit: 'bare 3-hop round trips/s',
          ratio,
          goal: '≥ 300/s and ≥ 20 % of the bare round trips',
          pass: value >= 300 && ratio >= 0.2 && failed === 0,
          notes: `concurrency ${concurrency}, ${seconds}s, ${askers.length} persons; answered with records ${provided}, failed ${failed}; 4 nodes, 3 hops (municipality → 中間サーバー → network → 中間サーバー), 6 signed messages and 12 log rows per inquiry`,
        };
      } finally {
        await orgs.close();
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  },
};
