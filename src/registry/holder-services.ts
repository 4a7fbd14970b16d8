// The services マイナポータル calls for a credential holder (issue 16; QUA-23, QUA-24; decision 0206;
// docs/formats/verify.md): signed, verified, encrypted and logged by the exchange layer; only the portal node
// may call them.  The answers carry the holder's credentials (personal): encrypted to the portal, kept nowhere.
import type { ServiceDef } from '../kernel/exchange/index.js';
import { confirmationLog, createConfirmation, issueHolderCredentials, type HolderDeps } from './holder.js';

export function holderServices(deps: HolderDeps, portalNode = 'mynaportal'): Record<string, ServiceDef> {
  const fromPortal = (s: string) => s === portalNode;
  return {
    'credentials.issue': { title: 'デジタル資格証の発行', from: fromPortal, handle: async (msg) => ({ body: await issueHolderCredentials(deps, msg.body), personal: true }) },
    'credentials.confirmations.create': { title: '資格の確認用リンクの作成', from: fromPortal, handle: async (msg) => ({ body: await createConfirmation(deps, msg.body), personal: true }) },
    'credentials.confirmations.log': { title: '資格の確認の記録', from: fromPortal, handle: async (msg) => ({ body: await confirmationLog(deps, msg.body), personal: true }) },
  };
}
