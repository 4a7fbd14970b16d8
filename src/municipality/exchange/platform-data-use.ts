// `datause.provide` (docs/formats/platform-protocol.md "municipality serves"): the platform asks, for the
// resident's portal page 「わたしの情報の利用状況」, who read or exchanged the person's data in this
// municipality — the entries of the staff page /residents/:atena/data-use (personDataUse), in Japanese,
// as {at, who, organisation, action, purpose}.  Served to the node `platform` only; the answer is
// encrypted to it.  The person is named by the 自治体業務ID (municipalityIdentityKey = 宛名番号).
import { sql } from 'kysely';
import type { MamoriDb } from '../../kernel/db/index.js';
import type { ExchangeNode, ServiceDef } from '../../kernel/exchange/index.js';
import { newMeta, systemActor, type Principal } from '../../kernel/context/index.js';
import { invalidField, notFound } from '../../kernel/problems/index.js';
import { personDataUse, type DataUse } from './data-use.js';
import { chukanNodeName } from './inquiries.js';

export const PLATFORM_DATAUSE_NODE = 'platform';

export interface DataUseEntry {
  readonly at: string;
  readonly who: string;
  readonly organisation: string;
  readonly action: string;
  readonly purpose: string;
}

const EXCHANGE_STATUS: Record<string, string> = { provided: '提供', none: '該当なし', pending: '提供待ち', refused: '提供しない', answered: '提供' };
const OUTCOME: Record<string, string> = { success: '', denied: '（拒否）', failure: '（失敗）' };

function whoOf(kind: string): string {
  return kind === 'system' ? 'システム（自動処理）' : kind === 'contractor' ? '委託事業者の担当者' : kind === 'resident' ? 'ご本人' : '市区町村の職員';
}

/** The entries of a person's data use, newest first, as the platform shows them to the resident. */
export function dataUseEntries(u: DataUse, tenant: string, tenantName: string): DataUseEntry[] {
  const out: (DataUseEntry & { t: number })[] = [];
  for (const a of u.accesses) {
    out.push({ t: a.at.getTime(), at: a.at.toISOString(), who: whoOf(a.actorKind), organisation: tenantName, action: `${a.actionLabel}${OUTCOME[a.outcome] ?? ''}`, purpose: a.purpose ?? '予防接種の事務' });
  }
  for (const e of u.exchanges) {
    const asked = e.requester === tenant;
    const other = asked ? (e.providerName ?? e.provider) : (e.requesterName ?? e.requester);
    const what = [e.jimuName, e.itemName].filter(Boolean).join('・') || '情報提供ネットワークシステムでのやりとり';
    out.push({
      t: Date.parse(e.at) || 0,
      at: e.at,
      who: '情報提供ネットワークシステム',
      organisation: asked ? `${tenantName}（照会先: ${other}）` : `${other}（照会元）`,
      action: `${asked ? '情報の照会' : '情報の提供'}${EXCHANGE_STATUS[e.status] ? `（${EXCHANGE_STATUS[e.status]}）` : ''}`,
      purpose: e.legalBasis ? `${what}（${e.legalBasis}）` : what,
    });
  }
  return out.sort((a, b) => b.t - a.t).map(({ t: _t, ...e }) => e);
}

function principalFor(tenant: string): Principal {
  // The system answers for the person's own view (the platform asks on the resident's behalf).
  return { tenant, actor: systemActor('platform-datause'), meta: newMeta('exchange:datause.provide') };
}

export function dataUseServices(deps: { db: MamoriDb }, node: ExchangeNode, opts: { platformNode?: string } = {}): Record<string, ServiceDef> {
  const platform = opts.platformNode ?? PLATFORM_DATAUSE_NODE;
  return {
    'datause.provide': {
      title: '情報の利用状況の提供（予防接種プラットフォーム）',
      from: (s) => s === platform,
      async handle(msg) {
        const b = (msg.body ?? {}) as Record<string, unknown>;
        const tenant = b['tenant'];
        const key = b['municipalityIdentityKey'];
        if (typeof tenant !== 'string' || !/^\d{6}$/.test(tenant)) throw invalidField('tenant', 'INVALID_TENANT', 'tenant は6桁の団体コードです');
        if (typeof key !== 'string' || !/^\d{10}$/.test(key)) throw invalidField('municipalityIdentityKey', 'INVALID_KEY', 'municipalityIdentityKey は10桁の宛名番号です');
        const org = await sql<{ name: string }>`SELECT name FROM kernel.organisations WHERE code = ${tenant} AND kind = 'municipality'`.execute(deps.db.system);
        if (!org.rows[0]) throw notFound('市区町村');
        const u = await personDataUse(deps.db, principalFor(tenant), { node, chukanOf: chukanNodeName }, key);
        return { body: { entries: dataUseEntries(u, tenant, org.rows[0].name) }, personal: true };
      },
    },
  };
}
