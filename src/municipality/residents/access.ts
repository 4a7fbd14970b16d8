// Who may do what with resident data (KRN-28): reading needs 'personal.read' in a duty that uses residents;
// intake and registration need 'personal.write' in 宛名管理 ('addressee'); the 住基 batch intake may also be run
// by the operator at the command line.  A refusal is logged (Problem.withAudit).
import type { Actor } from '../../kernel/context/index.js';
import { can, dutyLabel, type Permission } from '../../kernel/policy/index.js';
import { forbidden } from '../../kernel/problems/index.js';

export const RESIDENT_DUTIES = ['addressee', 'vaccination', 'relief', 'money', 'exchange'] as const;

export function canReadResidents(actor: Actor): boolean {
  return RESIDENT_DUTIES.some((d) => can(actor, 'personal.read', d));
}

export function requireResidentAccess(actor: Actor, permission: Permission, duties: readonly string[], target?: string): void {
  if (duties.some((d) => can(actor, permission, d))) return;
  throw forbidden(`この操作には所掌事務（${duties.map(dutyLabel).join('・')}）の権限が必要です。`).withAudit({
    action: 'access_denied',
    targetType: 'resident',
    targetId: target,
    outcome: 'denied',
    detail: { permission, duties },
  });
}

/** 住基 intake: a 宛名管理 clerk, or the operator's batch job. */
export function requireImport(actor: Actor): void {
  if (actor.kind === 'system') return;
  requireResidentAccess(actor, 'personal.write', ['addressee']);
}

/** RES-14 / issue 3 "Protection": only 宛名管理 sees the address of a person under 支援措置. */
export function maySeeProtectedAddress(actor: Actor): boolean {
  return can(actor, 'personal.read', 'addressee');
}

/** Import runs and their reports: 宛名管理 staff, or the operator. */
export function requireImportView(actor: Actor): void {
  if (actor.kind === 'system') return;
  requireResidentAccess(actor, 'personal.read', ['addressee']);
}
