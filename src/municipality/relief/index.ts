// Public face of municipality/relief: 予防接種による健康被害の救済 (VAX-34; decisions 0161, 0162) — the case from
// the application (My Number taken directly from the applicant after an ID check) through the 調査委員会, the
// 進達 and the state's decision to the benefits and their payment orders.  Only the 健康被害救済 duty.
export {
  RELIEF_DUTY, RELIEF_PURPOSE, CASE_STATUSES, CASE_STATUS_LABELS, STEP_LABELS, STEP_ALLOWED, BENEFIT_KINDS, BENEFIT_LABELS, LUMP_SUMS, RELATIONS, RELATION_LABELS,
  ID_METHODS, ID_METHOD_LABELS, NUMBER_CHECK_LABELS, DOCUMENT_KINDS, DOCUMENT_HANDLING_LABELS, INFORMATION_ITEMS, ACCOUNT_SOURCE_LABELS, ORDER_STATUS_LABELS,
  requireReliefRead, requireReliefWrite, requireOrdersAccess,
  type CaseStatus, type Step, type BenefitKind, type DocumentKind, type InformationItem,
} from './model.js';
export {
  receiveApplication, linkRecords, addDocument, addInformation, markInformationObtained, recordCommittee, reportToState, recordDecision, decideBenefit, closeCase,
  ApplicationInput, type ReceiveResult,
} from './cases.js';
export { orderPayment, reliefPaymentOrders, markReliefOrders, dueReliefOrders, ordersOfBatch, type ReliefPaymentOrder } from './orders.js';
export { createReliefPaymentBatch, reliefCustomerCode } from './payments.js';
export { inquireForCase, type CaseInquiryResult } from './inquiry.js';
export { orderToPublicFundsAccount, type KoukinOrderResult } from './koukin.js';
export { listCases, getCase, recordsOfPerson, type CaseList, type CaseSummary, type CaseView } from './queries.js';
