// Public face of municipality/eapply: 申請管理 — electronic applications from サービス検索・電子申請機能
// (XCH-26…XCH-30; decisions 0155, 0156; docs/formats/eapply-protocol.md).

export { receiveApplications, EAPPLY_NODE, RECEIVE_PURPOSE, FETCH_PAGE, type EapplyDeps, type ReceiveReport } from './receive.js';
export {
  listEapplications, getEapplication, startReview, acceptEapplication, rejectEapplication, openHandovers, takeHandover, listFilter,
  EAPPLICATION_STATUSES, EAPPLICATION_STATUS_LABELS, EAPPLICATION_KIND_LABELS,
  type EapplicationStatus, type EapplicationSummary, type EapplicationView, type EapplicationEvent, type EapplicationList, type Handover,
} from './review.js';
export { EAPPLICATION_CONTENT_CLASS } from './retention.js';
