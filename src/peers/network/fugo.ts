// 情報提供用個人識別符号 (符号, XCH-18, decision 0137): the code a body uses for a person on the network.
// code = base64url(HMAC-SHA256(network secret, "<body>:<internal person id>")).  The secret never leaves
// the network node (<keyDir>/nodes/network/fugo-hmac.key, 0600, created on first use); without it a code
// cannot be linked to another body's code or to the person, so codes cannot be used for 名寄せ.
import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const FUGO_KEY_FILE = 'fugo-hmac.key';

/** Opens (creating on first use) the network's secret for 符号. */
export function openFugoKey(keyDir: string, node: string): Buffer {
  const dir = join(keyDir, 'nodes', node);
  const path = join(dir, FUGO_KEY_FILE);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, `${randomBytes(32).toString('base64url')}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    try {
      linkSync(tmp, path); // atomic, and never overwrites a key another process created first
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  const key = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url');
  if (key.length < 32) throw new Error(`${path}: the 符号 key is too short`);
  return key;
}

/** The 符号 of `personId` for body `body` (団体コード). */
export function fugoOf(key: Buffer, body: string, personId: string): string {
  return createHmac('sha256', key).update(`${body}:${personId}`).digest('base64url');
}

/**
 * National bodies connected to the network directly (not through a 中間サーバー; decision 0163): their body
 * code is their node name.  `provides`: the body answers inquiries (its node has `provide`); `requests`: the
 * body may ask (decision 0185).  デジタル庁's 公金受取口座登録システム provides 公金受取口座情報 (公金受取口座登録法);
 * 法務省's 戸籍情報連携システム provides 戸籍関係情報 (番号法第9条第3項・第45条の2; decision 0184); 厚生労働省's
 * 国家資格等情報連携・活用システム only asks (QUA-35: 「接続しない（提供）」).
 */
export const NATIONAL_BODIES: Readonly<Record<string, { readonly kind: 'ministry'; readonly provides: boolean; readonly requests: boolean }>> = {
  koukin: { kind: 'ministry', provides: true, requests: false },
  koseki: { kind: 'ministry', provides: true, requests: false },
  registry: { kind: 'ministry', provides: false, requests: true },
};

/** Whether a node may send inquiries: a 中間サーバー, or a national body that requests (decision 0185). */
export function mayRequest(node: string): boolean {
  if (/^chukan-\d{6}$/.test(node)) return true;
  return Object.hasOwn(NATIONAL_BODIES, node) && NATIONAL_BODIES[node]!.requests;
}

/** Whether a body answers inquiries: every municipality (through its 中間サーバー), and national bodies that provide. */
export function mayProvide(body: string): boolean {
  if (/^\d{6}$/.test(body)) return true;
  return Object.hasOwn(NATIONAL_BODIES, body) && NATIONAL_BODIES[body]!.provides;
}

/** The body of a node name: a 中間サーバー's 団体コード ('chukan-131237' → '131237') or a national body's code. */
export function bodyOfNode(node: string): string | undefined {
  const m = /^chukan-(\d{6})$/.exec(node);
  if (m) return m[1];
  return Object.hasOwn(NATIONAL_BODIES, node) ? node : undefined;
}

export const chukanNode = (body: string) => `chukan-${body}`;

/** The node that answers for a body: its 中間サーバー (municipality) or the national body's own node. */
export function nodeOfBody(body: string): string {
  return Object.hasOwn(NATIONAL_BODIES, body) ? body : chukanNode(body);
}

/** The kind of body (what the permission list matches): a 6-digit code is a municipality. */
export function kindOfBody(body: string): 'municipality' | 'ministry' | undefined {
  if (/^\d{6}$/.test(body)) return 'municipality';
  return Object.hasOwn(NATIONAL_BODIES, body) ? NATIONAL_BODIES[body]!.kind : undefined;
}
