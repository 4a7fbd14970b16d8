// Who may run and read extractions (decision 0060): the 予防接種 duty with personal.read — an extraction
// reads every resident's data, and its members are personal data.  The command-line operator may run one
// as a batch job (like the 住基 and clinic intakes) and read its members by 宛名番号; it is logged like
// any actor.  A refusal is logged (Problem.withAudit).
import type { Actor } from '../../kernel/context/index.js';
import { can } from '../../kernel/policy/index.js';
import { requireResidentAccess } from '../residents/index.js';

export function requireExtraction(actor: Actor, target?: string): void {
  if (actor.kind === 'system') return;
  requireResidentAccess(actor, 'personal.read', ['vaccination'], target);
}

export function canExtract(actor: Actor): boolean {
  return actor.kind === 'system' || can(actor, 'personal.read', 'vaccination');
}
