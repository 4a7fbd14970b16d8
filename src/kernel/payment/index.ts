// Public face of kernel/payment: 公金決済 between a merchant node and the payment node (decisions 0173–0175;
// docs/formats/payment-protocol.md) — the signed payment event both ends share, and the merchant's client.
export {
  PaymentEvent, PAYMENT_EVENT_TYPE, PAYMENT_NODE, MAX_PAYMENT_YEN, PAYMENT_EVENT_KINDS, PAYMENT_STATUSES, PAYMENT_STATUS_LABELS, signPaymentEvent, verifyPaymentEvent,
  type PaymentStatus,
} from './event.js';
export {
  CreatePaymentInput, RefundInput, TotalsInput, StatusInput, PayerPseudonym, CreatedPayment, PaymentState, RefundResult, Totals, CategoryTotals, ALREADY_RECEIVED,
  createPayment, paymentStatus, refundPayment, paymentTotals, acceptPaymentEvent, paymentNotifyService, syncPaymentEvents, memoryPaymentStore,
  type PaymentEventStore, type AcceptOptions, type PaymentClientOptions,
} from './client.js';
