// The 登録情報連携システム's service on the message layer (docs/formats/registry-foundation.md):
//   registry.applications  registry → shiken: online applications of 介護福祉士 (区分 online: 資格仮名ID + 項目,
//                          items 3–80 only) and the 資格仮名ID of paper applications sent from here (区分 link:
//                          受付番号 + 資格仮名ID; the My Number is deleted).  Any other key or item refuses the
//                          whole message and nothing is stored (QUA-30); the same batch again changes nothing.
import { Problem } from '../../kernel/problems/index.js';
import type { Outgoing, ServiceDef } from '../../kernel/exchange/index.js';
import { applyRegistryBatch, checkShikenItems, REGISTRY_PEER, type ShikenDeps, type ShikenItems } from './store.js';

const refused = (detail: string) => new Problem(400, 'FOUNDATION_REFUSED', '定められた項目・形式と異なるため全体を受け付けませんでした', detail);
const PSEUDONYM = /^Q[0-9A-F]{20}$/;

/** The rows of an outbound batch (message or file), checked whole. */
export function parseRegistryRows(rows: unknown): { online: { pseudonymId: string; items: ShikenItems }[]; links: { ref: string; pseudonymId: string }[] } {
  if (!Array.isArray(rows) || rows.length > 5000) throw refused('rows は 5000 件以内の配列です。');
  const online: { pseudonymId: string; items: ShikenItems }[] = [];
  const links: { ref: string; pseudonymId: string }[] = [];
  rows.forEach((raw: unknown, i) => {
    const w = `${i + 1}件目`;
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw refused(`${w}: 行の形式が正しくありません。`);
    const r = raw as Record<string, unknown>;
    const allowed = r['区分'] === 'online' ? ['区分', '資格仮名ID', '項目'] : r['区分'] === 'link' ? ['区分', '資格仮名ID', '受付番号'] : null;
    if (!allowed) throw refused(`${w}: 区分は online か link です。`);
    for (const k of Object.keys(r)) if (!allowed.includes(k)) throw refused(`${w}: 定められていない項目「${k.slice(0, 40)}」が含まれています。`);
    if (typeof r['資格仮名ID'] !== 'string' || !PSEUDONYM.test(r['資格仮名ID'])) throw refused(`${w}: 資格仮名IDの形式が正しくありません。`);
    if (r['区分'] === 'online') online.push({ pseudonymId: r['資格仮名ID'], items: checkShikenItems(r['項目'], w) });
    else {
      if (typeof r['受付番号'] !== 'string' || !/^[0-9A-Za-z-]{1,32}$/.test(r['受付番号'])) throw refused(`${w}: 受付番号が正しくありません。`);
      links.push({ ref: r['受付番号'], pseudonymId: r['資格仮名ID'] });
    }
  });
  return { online, links };
}

export function shikenServices(deps: ShikenDeps, opts: { registry?: string } = {}): Record<string, ServiceDef> {
  const registry = opts.registry ?? REGISTRY_PEER;
  return {
    'registry.applications': {
      title: '介護福祉士のオンライン申請・資格仮名IDの受付',
      from: (s) => s === registry,
      async handle(msg): Promise<Outgoing> {
        const b = (msg.body ?? {}) as Record<string, unknown>;
        for (const k of Object.keys(b)) if (k !== 'batchId' && k !== 'rows') throw refused(`定められていない項目「${k.slice(0, 40)}」が含まれています。`);
        if (typeof b['batchId'] !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(b['batchId'])) throw refused('batchId が正しくありません。');
        const batch = parseRegistryRows(b['rows']);
        // One transaction: an unknown 受付番号 refuses the whole batch and nothing is stored.
        const r = await applyRegistryBatch(deps, batch, 'api');
        return { body: { batchId: b['batchId'], received: batch.online.length + batch.links.length, ...r } };
      },
    },
  };
}
