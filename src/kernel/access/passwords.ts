// Password policy and hashing (KRN-22).  argon2id with the OWASP-recommended minimum parameters
// (m = 19 MiB, t = 2, p = 1); policy values come from kernel.tenant_settings
// (docs/decisions/0005-password-defaults.md).
import { hash, verify } from '@node-rs/argon2';
import { randomInt } from 'node:crypto';

export interface PasswordPolicy {
  readonly minLength: number;
  readonly minClasses: number;
  readonly history: number;
  readonly maxAgeDays: number;
}

const ARGON2 = { algorithm: 2 /* Argon2id */, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(pw: string): Promise<string> {
  return hash(pw, ARGON2);
}

export async function verifyPassword(stored: string | null, pw: string): Promise<boolean> {
  if (!stored) {
    // Burn comparable time so that "no such user" is not faster than "wrong password".
    await hash(pw, ARGON2);
    return false;
  }
  try {
    return await verify(stored, pw);
  } catch {
    return false;
  }
}

/** Japanese reasons the password breaks the policy; empty when acceptable. */
export function passwordProblems(pw: string, policy: PasswordPolicy, loginId: string): string[] {
  const out: string[] = [];
  if ([...pw].length < policy.minLength) out.push(`${policy.minLength}文字以上にしてください`);
  if (pw.length > 128) out.push('128文字以内にしてください');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(pw)) out.push('制御文字は使用できません');
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((re) => re.test(pw)).length;
  if (classes < policy.minClasses) out.push(`英小文字・英大文字・数字・記号のうち${policy.minClasses}種類以上を含めてください`);
  if (loginId && pw.toLowerCase().includes(loginId.toLowerCase())) out.push('ログインIDを含めないでください');
  if (/(.)\1{3,}/.test(pw)) out.push('同じ文字を4回以上続けないでください');
  return out;
}

/** A random initial password that satisfies any policy up to 16 characters and 4 classes. */
export function generateInitialPassword(length = 16): string {
  const sets = ['abcdefghijkmnopqrstuvwxyz', 'ABCDEFGHJKLMNPQRSTUVWXYZ', '23456789', '!#$%&*+-=?@'];
  const all = sets.join('');
  const chars = sets.map((s) => s[randomInt(s.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  const pw = chars.join('');
  return /(.)\1{3,}/.test(pw) ? generateInitialPassword(length) : pw;
}
