// Retention of printed content (KRN-37, KRN-38, KRN-39; decision 0066): five years after printing (the period
// 001 and 002 keep paper 予診票), the printed snapshot of a document is erased — name, kana, birth date, sex,
// addresses, guardian, 依頼書 details.  The ledger row stays: numbers, program, dose, dates, 印刷区分, 発送,
// 返送, 再発行 and events, so the print history and the voucher resolver keep working.  Logical deletion with
// approval, like the certificates' content.
import { jstToday } from '../../kernel/jp/index.js';
import type { TenantDataClass } from '../../kernel/retention/index.js';
import { sql } from 'kysely';


export const NOTICE_CONTENT_CLASS: TenantDataClass = {
  name: 'notice-content',
  label: '通知書・接種券の印刷内容（氏名・住所等）',
  duty: 'vaccination',
  scope: 'tenant',
  defaultPolicy: { mode: 'years', period: 5, deletion: 'logical', requiresApproval: true },
  methods: ['logical'],
  async count(w, cutoff) {
    const r = await w.tx
      .selectFrom('municipality.notice_items')
      .select(({ fn }) => fn.countAll<number>().as('n'))
      .where('tenant_code', '=', w.tenant)
      .where('erased_at', 'is', null)
      .where('printed_on', '<', jstToday(cutoff))
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  },
  async purge(w, cutoff) {
    const rows = await sql<{ id: string }>`
      UPDATE municipality.notice_items
      SET document = jsonb_strip_nulls(jsonb_build_object('program', document->'program', 'voucherNumber', document->'voucherNumber', 'referenceNumber', document->'referenceNumber')),
          erased_at = now()
      WHERE tenant_code = ${w.tenant} AND erased_at IS NULL AND printed_on < ${jstToday(cutoff)}::date
      RETURNING id`.execute(w.tx);
    return { count: rows.rows.length, targetIds: rows.rows.map((r) => `notice-item:${r.id}`) };
  },
};
