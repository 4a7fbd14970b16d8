// The 公金受取口座登録システム's service on the message layer (docs/formats/koukin-protocol.md):
//   provide  network → koukin: one inquiry the network has permitted (情報提供許可証, signed by the network),
//            for this body's 符号 of a person; answered with the registered account encrypted to the
//            requesting 中間サーバー (the network relays it without reading it), or status 'none'.
// The permit is verified against the network's published keys, and the 事務 and item must be on the
// 照会許可用照合リスト for a national body as provider.  Every provision is recorded (7 years).
import { Problem } from '../../kernel/problems/index.js';
import type { Outgoing, PeerContext, ServiceDef } from '../../kernel/exchange/index.js';
import { permissionCheck, verifyPermit, PUBLIC_FUNDS_ACCOUNT_ITEM } from '../network/index.js';
import { accountOfCode, recordProvision } from './store.js';


export function koukinServices(ctx: PeerContext, opts: { network?: string } = {}): Record<string, ServiceDef> {
  const network = opts.network ?? 'network';
  const permitted = permissionCheck(ctx.node, network, 'ministry');

  return {
    provide: {
      title: '公金受取口座情報の提供',
      from: (s) => s === network,
      async handle(msg): Promise<Outgoing> {
        const b = (msg.body ?? {}) as Record<string, unknown>;
        if (typeof b['permit'] !== 'string') throw new Problem(403, 'PERMIT_INVALID', '情報提供許可証を確認できません', '情報提供許可証がありません。');
        const permit = await verifyPermit(ctx.node.directory, b['permit'], { now: ctx.clock.now(), provider: ctx.name, network });
        if (b['requester'] !== permit.requester || b['item'] !== permit.item || !/^chukan-\d{6}$/.test(permit.requester)) {
          throw new Problem(403, 'PERMIT_MISMATCH', '許可証と要求が一致しません', '要求の照会者または項目が情報提供許可証の内容と一致しません。');
        }
        if (permit.item !== PUBLIC_FUNDS_ACCOUNT_ITEM || !(await permitted(permit.jimu, permit.item))) {
          throw new Problem(403, 'NOT_PERMITTED', '照会許可用照合リストにない提供です', `事務「${permit.jimu}」による「${permit.item}」の提供は照会許可用照合リストにありません。`);
        }
        const code = b['code'];
        if (typeof code !== 'string' || !/^[A-Za-z0-9_-]{16,100}$/.test(code)) throw new Problem(400, 'INVALID_REQUEST', '要求の内容が正しくありません', '符号（code）の形式が正しくありません。');
        const account = await accountOfCode(ctx.db, code);
        const status = account ? 'provided' : 'none';
        await recordProvision(ctx.db, { exchangeId: permit.exchangeId, permitId: permit.permitId, requester: permit.requester, jimu: permit.jimu, item: permit.item, legalBasis: permit.legalBasis, status, at: ctx.clock.now() });
        if (!account) return { body: { status: 'none', exchangeId: permit.exchangeId } };
        return {
          personal: true,
          encTo: permit.requester,
          body: { status: 'provided', exchangeId: permit.exchangeId, permitId: permit.permitId, item: permit.item, records: [account] },
        };
      },
    },
  };
}
