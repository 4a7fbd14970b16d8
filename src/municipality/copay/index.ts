// Public face of municipality/copay: eligibility feeds (RES-21), contacts (RES-18), the co-payment engine with
// its tenant rules (VAX-29, VAX-30) and the fee-collection category (VAX-31).  Decisions 0157, 0158.
export { importEligibility, eligibilityImportTrouble, listEligibilityRuns, eligibilityRejectsCsv, validateWelfare, validateTax, validateLtc, FEED_KINDS, FEED_RUN_KINDS, FEED_LABELS, FEED_COLUMNS, type FeedKind, type EligibilityImportOptions } from './feeds.js';
export {
  CopayRule, CopayRuleInput, decideCopay, copayContext, loadRules, loadFacts, ruleFor, explainCopay, setCopayRule, listCopayRules, personEligibility, mayReadEligibility, ELIGIBILITY_DUTIES, NO_FACTS, OPTIONAL_PROGRAM,
  FEE_COLLECTIONS, FEE_COLLECTION_LABELS, EXEMPTION_BASES, EXEMPTION_BASIS_LABELS,
  type CopayDecision, type CopayReason, type CopayContext, type CopayRuleView, type FeeCollection, type ExemptionBasis, type PersonFacts, type WelfareFact, type TaxFact, type LtcFact,
} from './engine.js';
export { addContact, endContact, listContacts, checkPhone, ContactInput, CONTACT_KINDS, CONTACT_KIND_LABELS, CONTACT_SOURCES, CONTACT_SOURCE_LABELS, type ContactKind, type ContactSource, type ContactView, type PhoneCheck } from './contacts.js';
export type * from './tables.js';
export { RESIDENT_ELIGIBILITY_CLASS } from './retention.js';
