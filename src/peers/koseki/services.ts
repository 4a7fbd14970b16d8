// The 戸籍情報連携システム's services on the message layer (docs/formats/koseki-protocol.md):
//   provide          network → koseki: one inquiry the network has permitted (情報提供許可証) for this body's
//                    符号 of a person; answered with the 戸籍関係情報 encrypted to the requester, or 'none'.
//   provide.changes  network → koseki: a periodic check — the persons of one batch permit (its `subjects`
//                    digest binds the {exchangeId, 符号} pairs) whose 戸籍 changed from `since` on; a clear
//                    status per exchange for the network's records, the changes encrypted to the requester.
// The permit is verified against the network's published keys and the 事務 and item must be on the
// 照会許可用照合リスト with a national body as provider.  Every provision is recorded (7 years).
import { Problem } from '../../kernel/problems/index.js';
import type { Outgoing, PeerContext, ServiceDef } from '../../kernel/exchange/index.js';
import { permissionCheck, subjectsDigest, verifyPermit, KOSEKI_INFO_ITEM, MAX_BATCH_CODES, type Permit } from '../network/index.js';
import { kosekiChangesOfCodes, kosekiInfoOfCode, recordKosekiProvisions } from './store.js';

const CODE_RE = /^[A-Za-z0-9_-]{16,100}$/;
const invalid = (detail: string) => new Problem(400, 'INVALID_REQUEST', '要求の内容が正しくありません', detail);

export function kosekiServices(ctx: PeerContext, opts: { network?: string } = {}): Record<string, ServiceDef> {
  const network = opts.network ?? 'network';
  const permitted = permissionCheck(ctx.node, network, 'ministry');

  /** The permit of a request, checked: the network's, for this node, matching the request, on the list. */
  async function checkedPermit(b: Record<string, unknown>, batch: boolean): Promise<Permit> {
    if (typeof b['permit'] !== 'string') throw new Problem(403, 'PERMIT_INVALID', '情報提供許可証を確認できません', '情報提供許可証がありません。');
    const permit = await verifyPermit(ctx.node.directory, b['permit'], { now: ctx.clock.now(), provider: ctx.name, network });
    if (b['requester'] !== permit.requester || b['item'] !== permit.item || (batch ? b['since'] !== permit.since || !permit.subjects : permit.subjects !== undefined)) {
      throw new Problem(403, 'PERMIT_MISMATCH', '許可証と要求が一致しません', '要求の照会者、項目または照会対象が情報提供許可証の内容と一致しません。');
    }
    if (permit.item !== KOSEKI_INFO_ITEM || !(await permitted(permit.jimu, permit.item))) {
      throw new Problem(403, 'NOT_PERMITTED', '照会許可用照合リストにない提供です', `事務「${permit.jimu}」による「${permit.item}」の提供は照会許可用照合リストにありません。`);
    }
    return permit;
  }

  const provision = (permit: Permit, exchangeId: string, status: 'provided' | 'none') => ({
    exchangeId, permitId: permit.permitId, requester: permit.requester, jimu: permit.jimu, item: permit.item, legalBasis: permit.legalBasis, status, since: permit.since ?? null, at: ctx.clock.now(),
  });

  return {
    provide: {
      title: '戸籍関係情報の提供',
      from: (s) => s === network,
      async handle(msg): Promise<Outgoing> {
        const b = (msg.body ?? {}) as Record<string, unknown>;
        const permit = await checkedPermit(b, false);
        const code = b['code'];
        if (typeof code !== 'string' || !CODE_RE.test(code)) throw invalid('符号（code）の形式が正しくありません。');
        const info = await kosekiInfoOfCode(ctx.db, code);
        await recordKosekiProvisions(ctx.db, [provision(permit, permit.exchangeId, info ? 'provided' : 'none')]);
        if (!info) return { body: { status: 'none', exchangeId: permit.exchangeId } };
        return {
          personal: true,
          encTo: permit.requester,
          clear: { status: 'provided', exchangeId: permit.exchangeId },
          body: { status: 'provided', exchangeId: permit.exchangeId, permitId: permit.permitId, item: permit.item, records: [info] },
        };
      },
    },

    'provide.changes': {
      title: '戸籍関係情報の異動の提供（定期照会）',
      from: (s) => s === network,
      async handle(msg): Promise<Outgoing> {
        const b = (msg.body ?? {}) as Record<string, unknown>;
        const permit = await checkedPermit(b, true);
        const raw = b['subjects'];
        if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_BATCH_CODES) throw invalid(`照会対象（subjects）は 1〜${MAX_BATCH_CODES} 件の配列です。`);
        const subjects = raw.map((s: { exchangeId?: unknown; code?: unknown }, i) => {
          if (typeof s?.exchangeId !== 'string' || !/^[0-9a-f-]{36}$/i.test(s.exchangeId) || typeof s.code !== 'string' || !CODE_RE.test(s.code)) {
            throw invalid(`照会対象（subjects.${i}）の形式が正しくありません。`);
          }
          return { exchangeId: s.exchangeId, code: s.code };
        });
        if (subjectsDigest(subjects) !== permit.subjects) {
          throw new Problem(403, 'PERMIT_MISMATCH', '許可証と要求が一致しません', '照会対象の方が情報提供許可証の内容と一致しません。');
        }
        const { known, changed } = await kosekiChangesOfCodes(ctx.db, subjects.map((s) => s.code), permit.since!);
        const statuses: Record<string, 'provided' | 'none'> = {};
        const results = subjects.map((s) => {
          const st = known.has(s.code) ? 'provided' : 'none';
          statuses[s.exchangeId] = st;
          const info = changed.get(s.code);
          return { exchangeId: s.exchangeId, status: st, changed: info !== undefined, ...(info ? { record: info } : {}) };
        });
        await recordKosekiProvisions(ctx.db, subjects.map((s) => provision(permit, s.exchangeId, statuses[s.exchangeId]!)));
        return {
          personal: true,
          encTo: permit.requester,
          clear: { status: 'provided', exchangeId: permit.exchangeId, statuses },
          body: { status: 'provided', exchangeId: permit.exchangeId, permitId: permit.permitId, item: permit.item, since: permit.since, results },
        };
      },
    },
  };
}
