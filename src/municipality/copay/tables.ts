// Kysely types of the co-payment and eligibility tables (municipality/migrations/0022_copay_eligibility.sql).
import type { Generated } from 'kysely';

type DateStr = string;

export interface EligibilityWelfareTable {
  tenant_code: string;
  atena_no: string;
  case_no: string;
  kind: 'receipt' | 'suspension';
  from_date: DateStr;
  until_date: DateStr | null;
  run_id: string;
  row_no: number;
  updated_at: Date;
}

export interface EligibilityTaxTable {
  tenant_code: string;
  atena_no: string;
  fiscal_year: number;
  exempt: boolean;
  run_id: string;
  row_no: number;
  updated_at: Date;
}

export interface EligibilityLtcTable {
  tenant_code: string;
  atena_no: string;
  fiscal_year: number;
  bracket: number;
  run_id: string;
  row_no: number;
  updated_at: Date;
}

export interface CopayRuleTable {
  tenant_code: string;
  program: string;
  fiscal_year: number;
  rule: unknown;
  updated_at: Date;
  updated_by: string;
}

export interface PersonContactTable {
  tenant_code: string;
  id: Generated<string>;
  atena_no: string;
  kind: 'phone' | 'mobile' | 'fax' | 'email';
  value: string;
  source: 'counter' | 'application' | 'phone' | 'clinic' | 'other';
  set_on: DateStr;
  consent: boolean;
  note: string | null;
  ended_on: DateStr | null;
  updated_at: Date;
  updated_by: string;
}

declare module '../../kernel/db/types.js' {
  interface Database {
    'municipality.eligibility_welfare': EligibilityWelfareTable;
    'municipality.eligibility_tax': EligibilityTaxTable;
    'municipality.eligibility_ltc': EligibilityLtcTable;
    'municipality.copay_rules': CopayRuleTable;
    'municipality.person_contacts': PersonContactTable;
  }
}
