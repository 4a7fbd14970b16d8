// 情報提供等記録 as CSV for the CLI (XCH-14 "exportable"): who asked whom for what, when, on which basis, and
// what became of it.  No 符号 and no person id: the export is for review, not for finding a person.
import { csvDocument } from '../../kernel/csv/index.js';
import { ITEM_NAMES, JIMU_NAMES } from './permissions.js';
import type { ExchangeRecord, RecordStatus } from './store.js';

export const STATUS_NAMES: Readonly<Record<RecordStatus, string>> = {
  permitted: '照会中',
  refused: '拒否',
  provided: '提供済み',
  pending: '回答待ち',
  none: '該当なし',
  failed: '失敗',
};

export function recordsCsv(records: readonly ExchangeRecord[]): string {
  return csvDocument(
    ['情報連携ID', '照会ID', '日時', '照会者（団体コード）', '提供者（団体コード）', '事務', '特定個人情報', '法令上の根拠', '許可証ID', '状態', '拒否・失敗の理由'],
    records.map((r) => [
      r.exchangeId, r.inquiryId, r.at.toISOString(), r.requesterBody, r.providerBody, JIMU_NAMES[r.jimu] ?? r.jimu, ITEM_NAMES[r.item] ?? r.item,
      r.legalBasis, r.permitId, STATUS_NAMES[r.status], r.refusalReason,
    ]),
  );
}
