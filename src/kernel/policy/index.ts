// Authorisation = role × duty (所掌事務) × tenant, plus the separate My Number view flag (KRN-28, KRN-29).
//
// The access-rights table (アクセス権限の管理表, KRN-18) is this data: each role grants permissions, each
// permission is exercised within a duty.  Tenancy is enforced underneath by RLS.  Later systems register
// their own duties (e.g. one per qualification in the registry) with `registerDuty`.
import type { Actor } from '../context/index.js';
import { forbidden } from '../problems/index.js';

export interface DutyDef {
  readonly code: string;
  readonly label: string;
  /** Privileged duties may only be held by the matching privileged role (KRN-24). */
  readonly privileged?: 'admin' | 'auditor';
  /** The organisation (node) whose staff hold this duty, e.g. 'registry'; absent: the municipality system's. */
  readonly organisation?: string;
}

const duties = new Map<string, DutyDef>();

export function registerDuty(d: DutyDef): void {
  duties.set(d.code, d);
}

for (const d of [
  { code: 'vaccination', label: '予防接種' },
  { code: 'relief', label: '健康被害救済' },
  { code: 'addressee', label: '宛名管理' },
  { code: 'exchange', label: '情報連携' },
  { code: 'money', label: '費用・支払' },
  { code: 'statistics', label: '統計' },
  // The safeguard registers (decision 0126): disclosure requests, incidents, disposal, media, outsourcing.
  { code: 'safeguards', label: '安全管理措置（台帳）' },
  { code: 'audit-review', label: 'ログ監査', privileged: 'auditor' },
  { code: 'account-admin', label: 'アカウント管理', privileged: 'admin' },
] as const) registerDuty(d);

/** The duties of one organisation's staff (default: the municipality system's, which its account screens offer). */
export function allDuties(organisation?: string): DutyDef[] {
  return [...duties.values()].filter((d) => d.organisation === organisation);
}

/** Whether `code` is a duty of that organisation's staff (default: the municipality system's). */
export function isDuty(code: string, organisation?: string): boolean {
  const d = duties.get(code);
  return !!d && d.organisation === organisation;
}

export function dutyLabel(code: string): string {
  return duties.get(code)?.label ?? code;
}

export type Permission =
  | 'personal.read'
  | 'personal.write'
  | 'personal.delete'
  | 'personal.export'
  | 'clinical.judge'
  | 'deletion.approve'
  | 'accounts.manage'
  | 'settings.manage'
  | 'audit.review';

export const PERMISSION_LABELS: Record<Permission, string> = {
  'personal.read': '個人情報の参照',
  'personal.write': '個人情報の登録・更新',
  'personal.delete': '個人情報の削除申請',
  'personal.export': '個人情報のファイル出力',
  'clinical.judge': '接種可否等の専門的判断',
  'deletion.approve': '削除の承認',
  'accounts.manage': 'アカウントの申請承認・権限付与・失効',
  'settings.manage': 'セキュリティ設定・保存期間の設定',
  'audit.review': '操作ログの検索・出力',
};

export interface RoleDef {
  readonly code: string;
  readonly label: string;
  readonly permissions: readonly Permission[];
  /** admin/auditor roles are privileged and hold only their own duty (KRN-24). */
  readonly privileged?: 'admin' | 'auditor';
}

export const ROLES: readonly RoleDef[] = [
  { code: 'viewer', label: '閲覧者', permissions: ['personal.read'] },
  { code: 'clerk', label: '事務職員', permissions: ['personal.read', 'personal.write', 'personal.export'] },
  { code: 'nurse', label: '保健師', permissions: ['personal.read', 'personal.write', 'personal.export', 'clinical.judge'] },
  {
    code: 'supervisor',
    label: '所属長・責任者',
    permissions: ['personal.read', 'personal.write', 'personal.export', 'personal.delete', 'deletion.approve'],
  },
  { code: 'auditor', label: '監査担当', permissions: ['audit.review'], privileged: 'auditor' },
  { code: 'admin', label: 'システム管理者（特権）', permissions: ['accounts.manage', 'settings.manage', 'deletion.approve'], privileged: 'admin' },
];

export function role(code: string | null): RoleDef | undefined {
  return ROLES.find((r) => r.code === code);
}

/** Checks that a role/duty combination respects privilege separation.  Returns a Japanese reason or null. */
export function roleDutyConflict(roleCode: string, dutyCodes: readonly string[]): string | null {
  const r = role(roleCode);
  if (!r) return `不明な役割です: ${roleCode}`;
  for (const d of dutyCodes) {
    const def = duties.get(d);
    if (!def) return `不明な所掌事務です: ${d}`;
    if ((def.privileged ?? null) !== (r.privileged ?? null)) {
      return r.privileged
        ? `特権の役割「${r.label}」には所掌事務「${def.label}」を付与できません（特権アカウントは業務と分離します）`
        : `所掌事務「${def.label}」は特権の役割にのみ付与できます`;
    }
  }
  if (r.privileged && dutyCodes.length === 0) return `役割「${r.label}」には対応する所掌事務が必要です`;
  return null;
}

/**
 * The operator at the server's command line (system actor) may administer accounts, settings, retention
 * and the log, but never reads personal data or My Numbers through that role.
 */
const SYSTEM_PERMISSIONS: readonly Permission[] = ['accounts.manage', 'settings.manage', 'audit.review', 'deletion.approve'];

export function can(actor: Actor, permission: Permission, duty: string): boolean {
  if (actor.kind === 'system') return SYSTEM_PERMISSIONS.includes(permission);
  if (actor.kind !== 'staff' && actor.kind !== 'contractor') return false;
  const r = role(actor.role);
  return !!r && r.permissions.includes(permission) && actor.duties.includes(duty);
}

/** Throws 403 (and logs the refusal) unless the actor may exercise `permission` within `duty`. */
export function authorize(actor: Actor, permission: Permission, duty: string, target?: { type: string; id?: string }): void {
  if (!can(actor, permission, duty)) {
    throw forbidden(`この操作には「${dutyLabel(duty)}」の所掌事務と「${PERMISSION_LABELS[permission]}」の権限が必要です。`).withAudit({
      action: 'access_denied',
      targetType: target?.type,
      targetId: target?.id,
      outcome: 'denied',
      detail: { permission, duty },
    });
  }
}

/** The access-rights table as rows: role → permission → duties the permission is exercised in. */
export function accessRightsTable(): { role: string; roleLabel: string; permission: Permission; permissionLabel: string }[] {
  return ROLES.flatMap((r) => r.permissions.map((p) => ({ role: r.code, roleLabel: r.label, permission: p, permissionLabel: PERMISSION_LABELS[p] })));
}
