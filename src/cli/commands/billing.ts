// `mamori billing …` and `mamori payments …` (docs/formats/billing-cli.md; docs/formats/clinic-protocol.md §5;
// VAX-32, PMH-18; decisions 0149, 0150): unit prices, payees and the 依頼人 account, the monthly close checked
// at 国保連, payment batches and the 全銀協 総合振込 file.  `billing close` hosts the municipality node in its
// own process (like `mamori platform push`); 国保連 is the one in MAMORI_DIRECTORY when that file names
// `kokuhoren`, otherwise the organisations this store hosts are started here too.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { App, Organisations } from '../../app/index.js';
import { runAs } from '../../kernel/context/index.js';
import { Problem } from '../../kernel/problems/index.js';
import {
  closeMonth, createPaymentBatch, listPayees, listPrices, paymentFile, setPayee, setPrice, setRequester, ACCOUNT_TYPES, KOKUHOREN_NODE,
} from '../../municipality/billing/index.js';
import { operator, tenantArg, withApp, withOrganisations } from '../context.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown> & { data?: string };

const yen = (n: number): string => `${n.toLocaleString('ja-JP')}円`;
const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
const list = (v: unknown): string[] => (str(v) ?? '').split(/[,、，]/).map((s) => s.trim()).filter(Boolean);

const withMunicipality = <T>(o: O, fn: (app: App, orgs: Organisations) => Promise<T>): Promise<T> => withOrganisations(o, fn, { external: KOKUHOREN_NODE });

/** `mamori billing close --tenant CODE --month YYYY-MM [--json]`. */
export async function close(o: O): Promise<number> {
  return withMunicipality(o, async (app, orgs) => {
    const tenant = await tenantArg(app, o['tenant']);
    const r = await closeMonth(app, operator(tenant, 'billing close'), orgs.municipal, String(o['month'] ?? ''));
    if (o['json']) printJson({ claims: r.claims, accepted: r.accepted, returned: r.returned, amount: r.amount });
    else if (r.claims === 0) print(`${String(o['month'])} 分に新しく請求する接種記録はありません。`);
    else print(`国保連で審査しました: 請求 ${r.claims} 件、受付 ${r.accepted} 件、返戻 ${r.returned} 件、受付金額 ${yen(r.amount)}`);
    return 0;
  });
}

/** `mamori billing prices set --tenant CODE --program P --from YYYY-MM-DD --unit-price N --copay N [--waive 生活保護,市町村民税非課税]`. */
export async function priceSet(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const p = await runAs(app.db, operator(tenant, 'billing prices set'), (w) =>
      setPrice(w, { program: str(o['program']), validFrom: str(o['from']), unitPrice: str(o['unitPrice']), copay: str(o['copay']) ?? '0', copayWaivedFor: list(o['waive']) }),
    );
    if (o['json']) printJson(p);
    else print(`単価を登録しました: ${p.program}（${p.validFrom} から）単価 ${yen(p.unitPrice)}、自己負担 ${yen(p.copay)}${p.copayWaivedFor.length ? `（${p.copayWaivedFor.join('・')}は免除）` : ''}`);
    return 0;
  });
}

export async function priceList(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const rows = await runAs(app.db, operator(tenant, 'billing prices list'), (w) => listPrices(w));
    if (o['json']) printJson(rows.map(({ program, validFrom, unitPrice, copay, copayWaivedFor }) => ({ program, validFrom, unitPrice, copay, copayWaivedFor })));
    else print(table([['予防接種', '適用開始日', '単価', '自己負担', '自己負担の免除'], ...rows.map((p) => [p.program, p.validFrom, yen(p.unitPrice), yen(p.copay), p.copayWaivedFor.join('・')])]));
    return 0;
  });
}

/** `mamori billing payee set --tenant CODE --institution CODE --name N --kana K --bank 0000 --branch 000 --account-type 1 --account 0000000 --holder KANA`. */
export async function payeeSet(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const p = await runAs(app.db, operator(tenant, 'billing payee set'), (w) =>
      setPayee(w, {
        institutionCode: str(o['institution']), name: str(o['name']), kana: str(o['kana']), bankCode: str(o['bank']), bankKana: str(o['bankKana']),
        branchCode: str(o['branch']), branchKana: str(o['branchKana']), accountType: str(o['accountType']), accountNo: str(o['account']), holderKana: str(o['holder']),
      }),
    );
    if (o['json']) printJson({ institutionCode: p.institutionCode, name: p.name, bankCode: p.bankCode, branchCode: p.branchCode, accountType: p.accountType, accountNo: p.accountNo, holderKana: p.holderKana });
    else print(`支払先口座を登録しました: ${p.name}（${p.institutionCode}）${p.bankCode}-${p.branchCode} ${ACCOUNT_TYPES[p.accountType]} ${p.accountNo} ${p.holderKana}`);
    return 0;
  });
}

export async function payeeList(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const r = await runAs(app.db, operator(tenant, 'billing payee list'), (w) => listPayees(w, { pageSize: 1000 }));
    if (o['json']) printJson(r.rows.map(({ institutionCode, name, bankCode, branchCode, accountType, accountNo, holderKana }) => ({ institutionCode, name, bankCode, branchCode, accountType, accountNo, holderKana })));
    else print(table([['医療機関コード', '医療機関名', '金融機関', '支店', '種目', '口座番号', '口座名義'], ...r.rows.map((p) => [p.institutionCode, p.name, p.bankCode, p.branchCode, ACCOUNT_TYPES[p.accountType] ?? '', p.accountNo, p.holderKana])]));
    return 0;
  });
}

/** `mamori billing requester set --tenant CODE --code 委託者コード --kana KANA --bank 0000 --branch 000 --account-type 1 --account 0000000`. */
export async function requesterSet(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const r = await runAs(app.db, operator(tenant, 'billing requester set'), (w) =>
      setRequester(w, {
        requesterCode: str(o['code']), requesterKana: str(o['kana']), bankCode: str(o['bank']), bankKana: str(o['bankKana']), branchCode: str(o['branch']), branchKana: str(o['branchKana']),
        accountType: str(o['accountType']), accountNo: str(o['account']),
      }),
    );
    if (o['json']) printJson(r);
    else print(`振込依頼人の口座を登録しました: ${r.requesterKana}（委託者コード ${r.requesterCode}）${r.bankCode}-${r.branchCode} ${ACCOUNT_TYPES[r.accountType]} ${r.accountNo}`);
    return 0;
  });
}

/** `mamori payments batch --tenant CODE --month YYYY-MM [--transfer-date YYYY-MM-DD] [--json]`. */
export async function batch(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const persons = o['reimbursements'] === true;
    const month = o['month'] === undefined ? null : String(o['month']);
    const r = await runAs(app.db, operator(tenant, 'payments batch'), (w) => createPaymentBatch(w, month, { transferDate: str(o['transferDate']), reimbursements: persons }));
    if (o['json']) printJson({ batch: r.batch, payments: r.payments, amount: r.amount });
    else print(`支払を作成しました: 支払番号 ${r.batch}、振込 ${r.payments} 件、合計 ${yen(r.amount)}`);
    return 0;
  });
}

/** `mamori payments file --tenant CODE --batch ID --out FILE`: nothing is written when a payee's data is wrong. */
export async function file(o: O): Promise<number> {
  const out = str(o['out']);
  if (!out) throw new Problem(400, 'OUT_REQUIRED', '出力先を指定してください', '--out に振込ファイルの出力先を指定してください。');
  return withApp(o, async (app) => {
    const tenant = await tenantArg(app, o['tenant']);
    const f = await runAs(app.db, operator(tenant, 'payments file'), (w) => paymentFile(w, String(o['batch'] ?? '')));
    // Written beside the target and renamed: a reader never sees half a file.
    const tmp = `${out}.part`;
    try {
      writeFileSync(tmp, f.content);
      renameSync(tmp, out);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    print(`総合振込ファイルを出力しました: ${out}（${f.content.length} バイト、${f.content.length / 122 - 3} 件）`);
    return 0;
  });
}
