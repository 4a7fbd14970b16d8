// Public face of municipality/reimburse: 任意接種の助成 and 償還払い (VAX-33), the bank accounts of persons
// (RES-20); decisions 0159, 0160; payment through billing's payment batches and 総合振込 file.
export { setPersonAccount, personAccounts, BankAccountInput, PersonAccountInput, ACCOUNT_PURPOSES, ACCOUNT_SOURCES, type PersonAccountView, type AccountPurpose, type AccountSource } from './accounts.js';
export { setSubsidyProgram, listSubsidyPrograms, getSubsidyProgram, subsidyAmount, SubsidyProgramInput, AMOUNT_KINDS, type SubsidyProgramView } from './programs.js';
export {
  createReimbursementApplication, listReimbursements, getReimbursement, examineReimbursement, approveReimbursement, rejectReimbursement, ReimbursementInput,
  REIMBURSEMENT_STATUS, REIMBURSEMENT_CHANNELS, type ReimbursementView, type ReimbursementList, type ReimbursementStatus, type CreatedApplication, type ExaminationResult, type ExaminationCheck, type ListQuery,
} from './applications.js';
export { takeElectronicApplications, type TakeReport } from './electronic.js';
export { askPublicFundsAccount, obtainPublicFundsAccount, KOUKIN_JIMU, KOUKIN_PROVIDER, PUBLIC_FUNDS_ACCOUNT, type AskOptions, type AskResult, type ObtainOptions, type ObtainResult, type KoukinDuty, type PublicFundsAccount } from './koukin.js';
