// `mamori payment merchant --node NAME --code CODE --name 名称 [--return-origin URL]… [--json]`
// (docs/formats/payment-protocol.md; decision 0173): registers an organisation of the directory (by node
// name) as a merchant of the 公金決済 node — what the payment service's operator does when an organisation
// signs up.  Run again to change its name or return origins.
import { addPaymentMerchant } from '../../app/index.js';
import { withApp } from '../context.js';
import { print, printJson } from '../io.js';

type O = Record<string, unknown> & { data?: string };

export async function merchant(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const origins = o['returnOrigin'];
    const m = await addPaymentMerchant(app, {
      node: String(o['node'] ?? ''),
      merchantCode: String(o['code'] ?? ''),
      name: String(o['name'] ?? ''),
      ...(Array.isArray(origins) && origins.length ? { returnOrigins: origins.map(String) } : {}),
    });
    if (o['json']) printJson(m);
    else print(`公金決済の加盟店「${m.name}」（組織 ${m.node}、加盟店コード ${m.merchantCode}）を登録しました。`);
    return 0;
  });
}
