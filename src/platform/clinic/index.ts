// The clinic side of the platform (issue 13 part C; docs/formats/clinic-protocol.md §1–3; decisions 0151,
// 0152): institutions, contracts and accounts; login; reception by card or QR; visits; doses; records.fetch.
export { addInstitution, addContract, listContracts, addClinicAccount, listClinicAccounts, unlockClinicAccount, institutionCodeValid, institutionCodeProblem, contractedOn, CLINIC_ROLE_LABELS, CLINIC_PASSWORD_POLICY, MAX_LOGIN_FAILURES, type ClinicAccount, type ClinicRole, type Contract } from './institutions.js';
export { clinicContext, type ClinicContext, type ClinicUser, type ClinicRules, type ScheduleCheck } from './context.js';
export { clinicLogin, clinicLogout, clinicSession, SESSION_HOURS, SESSION_IDLE_MINUTES, type ClinicSession } from './session.js';
export { receptionChallenge, receptionByCard, receptionByQr, CHALLENGE_SECONDS } from './reception.js';
export { listVisits, visitDetail, examIdentity, decide, cancelVisit, IDENTITY_METHOD_LABELS, VISIT_STATUS_LABELS, VISITS_PAGE_SIZE, type Visit, type VisitDetail, type VisitSummary, type IdentityMethod, type VisitStatus } from './visits.js';
export { doseSchema, checkDose, registerDose, readGs1, ScheduleProblem, ROUTES, type Dose, type DoseWarning, type DoseAnswer } from './doses.js';
export { fetchRecords, type PlatformRecord } from './records.js';
export { registerClinicApi, CLINIC_API_BASE, CLINIC_COOKIE } from './api.js';
