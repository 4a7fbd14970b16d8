// 情報連携による情報の入手 (VAX-34 (2), XCH-08; decision 0168): staff of the relief duty ask the municipality
// that holds the injured person's vaccination history, through this municipality's 中間サーバー and the
// 情報提供ネットワークシステム, under the relief 事務 the case claims — 疾病 (主務省令 27の項) or, when a
// 障害児養育年金・障害年金 is claimed, 障害 (29の項).  The answer becomes the case's information step in
// one transaction: obtained today (provided, or the provider has no record), or planned while the provider's
// staff still check it (then 「本日入手した」 with the inquiry's number).  The inquiry runs between
// transactions: when the network is down or refuses, nothing is recorded on the case (the refusal is logged).
import { sql } from 'kysely';
import { z } from 'zod';
import type { MamoriDb } from '../../kernel/db/index.js';
import { runAs, type Principal } from '../../kernel/context/index.js';
import { toHalfWidthDigits } from '../../kernel/jp/index.js';
import { notFound, parseInput } from '../../kernel/problems/index.js';
import { askVaccinationHistory, type InquiryJimu, type MunicipalExchange } from '../exchange/index.js';
import { addInformation } from './cases.js';
import { requireReliefWrite, requireStep, type CaseStatus } from './model.js';
import { UUID } from './input.js';

const InquiryInput = z.object({
  providerCode: z.preprocess((v) => (typeof v === 'string' ? toHalfWidthDigits(v.trim()) : v), z.string({ message: '照会先の団体コードを入力してください' }).regex(/^\d{6}$/, '照会先は6桁の団体コードです')),
});

const DISABILITY = new Set(['child-disability-pension', 'disability-pension']);

export interface CaseInquiryResult {
  readonly exchangeId: string;
  readonly status: 'provided' | 'pending' | 'none';
  readonly records: number;
  readonly providerName: string | null;
}

/** Asks for the injured person's vaccination history under the case's relief 事務 and records it on the case. */
export async function inquireForCase(db: MamoriDb, who: Principal, x: MunicipalExchange, caseId: string, raw: unknown): Promise<CaseInquiryResult> {
  const i = parseInput(InquiryInput, raw);
  const c = await runAs(db, who, async (w) => {
    requireReliefWrite(w, UUID.test(caseId) ? caseId : undefined);
    if (!UUID.test(caseId)) throw notFound('救済の事案');
    const r = await sql<{ atena_no: string; status: CaseStatus; claimed_kinds: string[] }>`
      SELECT atena_no, status, claimed_kinds FROM municipality.relief_cases WHERE tenant_code = ${w.tenant} AND id = ${caseId}::uuid`.execute(w.tx);
    if (!r.rows[0]) throw notFound('救済の事案');
    requireStep('information', r.rows[0].status);
    return r.rows[0];
  });
  const jimu: InquiryJimu = c.claimed_kinds.some((k) => DISABILITY.has(k)) ? 'relief-disability' : 'relief-illness';
  const v = await askVaccinationHistory(db, who, x, c.atena_no, { provider: i.providerCode, jimu });
  await runAs(db, who, (w) =>
    addInformation(w, caseId, v.status === 'pending'
      ? { item: 'vaccination-history', providerCode: i.providerCode, note: `照会中（照会の番号 ${v.exchangeId}、提供元の確認待ち）` }
      : { item: 'vaccination-history', exchangeId: v.exchangeId, obtainedOn: w.clock.today(), note: v.status === 'none' ? '提供元に該当する記録はありませんでした' : `接種記録 ${v.records.length}件の提供を受けました` }),
  );
  return { exchangeId: v.exchangeId, status: v.status, records: v.records.length, providerName: v.providerName };
}
