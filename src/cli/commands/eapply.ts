// `mamori eapply receive --tenant CODE [--json]` (docs/formats/eapply-protocol.md; decision 0156): 申請管理's
// collection of the tenant's electronic applications from サービス検索・電子申請機能 — each signature verified
// against the 公的個人認証 CA and card.status, the applicant identified, the result stored and acknowledged
// (the portal then deletes its copy).  Like `mamori platform`, the command hosts the municipality node in
// its own process; the portal is the one in MAMORI_DIRECTORY when that file names `eapply`, otherwise the
// organisations this store hosts are started here too.  Exit 3 when the CA could not be reached (what was
// stored stays; the rest is taken by the next run).
import { EAPPLY_NODE, receiveApplications } from '../../municipality/eapply/index.js';
import { isProblem } from '../../kernel/problems/index.js';
import { operator, tenantArg, withOrganisations } from '../context.js';
import { print, printJson, warn } from '../io.js';

type O = Record<string, unknown> & { data?: string };

export async function receive(o: O): Promise<number> {
  return withOrganisations(
    o,
    async (app, orgs) => {
      const tenant = await tenantArg(app, o['tenant']);
      const who = operator(tenant, 'eapply receive');
      try {
        const r = await receiveApplications({ db: app.db, vault: app.vault, tenantKeys: app.tenantKeys }, who, orgs.municipal.node);
        if (o['json']) printJson({ received: r.received, verified: r.verified, rejected: r.rejected });
        else print(`電子申請を取り込みました: 受信 ${r.received} 件（署名検証・申請者の特定済み ${r.verified} 件、却下 ${r.rejected} 件）`);
        return 0;
      } catch (e) {
        if (isProblem(e) && e.code === 'CARD_CA_UNREACHABLE') {
          warn(`${e.title}: ${e.detail ?? ''}`);
          return 3;
        }
        throw e;
      }
    },
    { external: EAPPLY_NODE },
  );
}
