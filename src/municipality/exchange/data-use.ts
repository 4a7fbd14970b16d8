// "Who used my data" for one person (Estonia's Data Tracker; マイナポータル やりとり履歴): every inquiry and
// provision about them in the 情報提供等記録 (asked through this municipality's 中間サーバー, which asks
// the network with its own 符号), together with the staff reads and changes of the operation log.
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal } from '../../kernel/context/index.js';
import { accessHistory, appendEntry, type AccessRecord } from '../../kernel/audit/index.js';
import { notFound } from '../../kernel/problems/index.js';
import type { Kysely } from 'kysely';
import type { MunicipalExchange } from './inquiries.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';

export interface ExchangeRecordView {
  readonly exchangeId: string;
  readonly at: string;
  /** 照会者 / 提供者: 団体コード and name. */
  readonly requester: string;
  readonly requesterName: string | null;
  readonly provider: string;
  readonly providerName: string | null;
  readonly jimuName: string | null;
  readonly itemName: string | null;
  readonly legalBasis: string | null;
  readonly status: string;
}

export interface DataUse {
  readonly atenaNo: string;
  /** 情報提供等記録: every inquiry and provision about this person (all bodies). */
  readonly exchanges: ExchangeRecordView[];
  /** Staff and system access to the person's data in this municipality (operation log). */
  readonly accesses: AccessRecord[];
  /** Set when the 情報提供等記録 could not be fetched (network down): the staff reads still show. */
  readonly exchangesUnavailable: string | null;
}

function recordOf(r: Record<string, unknown>): ExchangeRecordView {
  const s = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : null);
  return {
    exchangeId: s('exchangeId') ?? '',
    at: s('at') ?? '',
    requester: s('requester') ?? '',
    requesterName: s('requesterName'),
    provider: s('provider') ?? '',
    providerName: s('providerName'),
    jimuName: s('jimuName'),
    itemName: s('itemName'),
    legalBasis: s('legalBasis'),
    status: s('status') ?? '',
  };
}

export async function personDataUse(db: MamoriDb, who: Principal, x: MunicipalExchange | undefined, atenaNo: string): Promise<DataUse> {
  // accessHistory enforces the duty (ログ監査, or the person themself through the portal).
  const { integratedNo, accesses } = await runAs(db, who, async (w) => {
    const p = await (w.tx as unknown as Kysely<UntypedDatabase>).selectFrom('municipality.persons').select(['integrated_no']).where('tenant_code', '=', w.tenant).where('atena_no', '=', atenaNo).executeTakeFirst();
    if (!p) throw notFound('住民');
    const accesses = await accessHistory(w, `resident:${atenaNo}`, { limit: 1000 });
    await appendEntry(w.tx, w, { action: 'read', targetType: 'data-use', targetId: atenaNo, subjectRef: `resident:${atenaNo}`, purpose: '情報の利用と提供の記録の確認' });
    return { integratedNo: p.integrated_no as string | null, accesses };
  });
  let exchanges: ExchangeRecordView[] = [];
  let unavailable: string | null = null;
  if (!x) unavailable = '情報提供ネットワークシステムに接続していません。';
  else if (integratedNo) {
    try {
      const res = await x.node.call(x.chukanOf(who.tenant), 'records.person', { tenant: who.tenant, integratedNo }, { personal: true });
      const list = (res.body as { records?: unknown[] }).records ?? [];
      exchanges = list.map((r) => recordOf((r ?? {}) as Record<string, unknown>));
    } catch (e) {
      unavailable = (e as Error).message;
    }
  }
  return { atenaNo, exchanges, accesses, exchangesUnavailable: unavailable };
}
