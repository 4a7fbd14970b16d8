// Public face of municipality/billing: 医療機関への接種委託料の請求と支払 (issue 13 part B; VAX-32, PMH-18;
// docs/formats/clinic-protocol.md §4–5, docs/formats/zengin-transfer.md; decisions 0149, 0150), and the
// payment of persons (償還払い, decision 0160) in the same batches and file.
export {
  closeMonth, approveClaim, holdClaim, getClaim, listClaims, listClaimMonths, listReturnedItems, KOKUHOREN_NODE, CLAIM_STATUS_LABELS,
  type BillingDeps, type BillingExchange, type CloseReport, type ClaimView, type MonthSummary, type ReturnedItemView,
} from './claims.js';
export {
  createPaymentBatch, paymentFile, listPaymentBatches, getPaymentBatch, defaultTransferDate, personCustomerCode, transferDateOf,
  createPersonBatch, listReliefBatches, getReliefBatch,
  type BatchOptions, type BatchReport, type BatchView, type PaymentView, type PersonPaymentView, type PersonTransferInput, type PersonTransferView,
} from './payments.js';
export { ACCOUNT_FIELDS, NO_BANK, NO_BANK_MESSAGE, holderKana, accountOfRow, type AccountColumns } from './bank.js';
export {
  setPrice, listPrices, setPayee, listPayees, setRequester, getRequester, parseMonth, requireBillingRead, requireBillingWrite, requireReliefPayments, BATCH_KINDS, type BatchKind,
  type AccountView, type PriceInput, type PriceView, type PayeeInput, type PayeeView, type RequesterInput, type RequesterView,
} from './setup.js';
export { zenginKana, isZenginText, zenginFile, ACCOUNT_TYPES, type ZenginRequester, type ZenginTransfer, type KanaResult } from './zengin.js';
