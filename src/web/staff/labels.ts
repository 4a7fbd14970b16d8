// Japanese labels used across staff screens.
import { allDuties, ROLES } from '../../kernel/access/index.js';

export const roleOptions = (includePrivileged = true): [string, string][] =>
  ROLES.filter((r) => includePrivileged || !r.privileged).map((r) => [r.code, r.label]);

export const dutyOptions = (): [string, string][] => allDuties().map((d) => [d.code, d.label]);

export const STATUS_TONE = { applied: 'info', active: 'ok', suspended: 'warn', revoked: 'bad', rejected: 'muted', expired: 'bad' } as const;

export const EVENT_LABELS: Record<string, string> = {
  applied: '申請',
  approved: '承認（アカウント発行）',
  rejected: '却下',
  grants_changed: '権限変更',
  suspended: '利用停止',
  reinstated: '利用再開',
  revoked: '失効',
  expired: '期限切れ',
  unlocked: 'ロック解除',
  password_reset: 'パスワード再発行',
  password_changed: 'パスワード変更',
};
