// `mamori exchange …` (docs/formats/exchange-cli.md): 副本 registration, the move-in inquiry, the
// 情報提供等記録 and an organisation's message log.  The command hosts every organisation in its own
// process on loopback ports (the embedded store is one process's), and talks to them over HTTP exactly as
// the running system does.
import { messageLogOf, exchangeReady, nodeSpecs } from '../../app/index.js';
import { NodeKeys } from '../../kernel/exchange/index.js';
import { askCovidHistory, askVaccinationHistory, covidProvisionRecords, ID_DOCUMENTS, registerCopies, type MunicipalExchange } from '../../municipality/exchange/index.js';
import { isProblem, Problem } from '../../kernel/problems/index.js';
import { sql } from 'kysely';
import { operator, tenantArg, withApp, withOrganisations } from '../context.js';
import { print, printJson, table, warn } from '../io.js';

type O = Record<string, unknown> & { data?: string };

/** exit 3: the other side (or the permission list) refused; the problem goes to stderr, and to stdout with --json. */
function refusal(o: O, e: unknown): number {
  if (!isProblem(e)) throw e;
  if (o['json']) printJson({ type: 'about:blank', status: e.status, code: e.code, title: e.title, detail: e.detail });
  warn(`照会できませんでした [${e.code}] ${e.title}${e.detail ? `: ${e.detail}` : ''}`);
  return 3;
}

export async function copies(o: O): Promise<number> {
  return withOrganisations(o, async (app, orgs) => {
    const tenant = await tenantArg(app, o['tenant']);
    const who = operator(tenant, 'exchange copies');
    await exchangeReady(app, orgs, tenant, who);
    const r = await registerCopies(app.db, who, orgs.municipal);
    const out = { registered: r.registered, unchanged: r.unchanged, rejected: r.rejected };
    if (o['json']) printJson(out);
    else {
      print(`副本を登録しました: 新規・更新 ${r.registered} 件、変更なし ${r.unchanged} 件、登録できなかったもの ${r.rejected} 件`);
      for (const e of r.errors.slice(0, 20)) print(`  - ${e.integratedNo ? `統合宛名番号 ${e.integratedNo}: ` : ''}${e.reason}`);
    }
    return 0;
  });
}

export async function inquire(o: O): Promise<number> {
  const item = String(o['item'] ?? 'vaccination-history');
  if (item !== 'vaccination-history') throw new Problem(400, 'ITEM_UNKNOWN', '照会する情報が正しくありません', '--item には vaccination-history を指定してください。');
  const atena = String(o['atena'] ?? '');
  if (!/^\d{10}$/.test(atena)) throw new Problem(400, 'ATENA_INVALID', '宛名番号が正しくありません', '--atena には10桁の宛名番号を指定してください。');
  return withOrganisations(o, async (app, orgs) => {
    const tenant = await tenantArg(app, o['tenant']);
    const who = operator(tenant, 'exchange inquire');
    try {
      const v = await askVaccinationHistory(app.db, who, orgs.municipal, atena, { provider: typeof o['provider'] === 'string' ? o['provider'] : undefined });
      const out = { exchangeId: v.exchangeId, provider: v.provider, providerName: v.providerName, legalBasis: v.legalBasis, status: v.status, records: v.records };
      if (o['json']) printJson(out);
      else {
        print(`照会番号 ${v.exchangeId}  照会先 ${v.providerName ?? v.provider}（${v.provider}）  根拠 ${v.legalBasis ?? '—'}  結果 ${v.status}`);
        print(table([['予防接種', '回数', '接種日', 'ワクチン', 'ロット'], ...v.records.map((r) => [r.program, r.dose, r.date, r.product, r.lot])]));
      }
      return 0;
    } catch (e) {
      return refusal(o, e);
    }
  });
}

/**
 * `mamori exchange covid-inquire`: the legacy VRS inquiry for COVID-19 (XCH-20, decision 0140).  The consent
 * form number and the ID document are required (exit 2 without them, nothing sent); the My Number is read
 * from the municipality's own records for sending and never printed.
 */
export async function covidInquire(o: O): Promise<number> {
  const atena = String(o['atena'] ?? '');
  if (!/^\d{10}$/.test(atena)) throw new Problem(400, 'ATENA_INVALID', '宛名番号が正しくありません', '--atena には10桁の宛名番号を指定してください。');
  const formNo = typeof o['consentForm'] === 'string' ? o['consentForm'] : undefined;
  const idDocument = typeof o['idDocument'] === 'string' ? o['idDocument'] : undefined;
  if (!formNo?.trim()) throw new Problem(400, 'CONSENT_FORM_REQUIRED', '同意書の番号がありません', '--consent-form に新接種券発行申請書兼接種記録確認同意書の番号を指定してください。');
  if (!idDocument || !Object.hasOwn(ID_DOCUMENTS, idDocument)) {
    throw new Problem(400, 'ID_DOCUMENT_REQUIRED', '本人確認書類が正しくありません', `--id-document には ${Object.keys(ID_DOCUMENTS).join('、')} のいずれかを指定してください。`);
  }
  return withOrganisations(o, async (app, orgs) => {
    const tenant = await tenantArg(app, o['tenant']);
    const who = operator(tenant, 'exchange covid-inquire');
    try {
      const v = await askCovidHistory(app, who, orgs.municipal, atena, { provider: typeof o['provider'] === 'string' ? o['provider'] : undefined, consent: { formNo, idDocument } });
      const out = { exchangeId: v.exchangeId, provider: v.provider, providerName: v.providerName, via: 'vrs', consentFormNo: v.consentFormNo, idDocument: v.idDocument, status: v.status, records: v.records };
      if (o['json']) printJson(out);
      else {
        print(`照会番号 ${v.exchangeId}  照会先 ${v.providerName ?? v.provider}（${v.provider}）  経由 ワクチン接種記録システム（VRS）  同意書 ${v.consentFormNo}  本人確認 ${ID_DOCUMENTS[v.idDocument]}  結果 ${v.status}`);
        print(table([['予防接種', '回数', '接種日', 'ワクチン', 'ロット'], ...v.records.map((r) => [r.program, r.dose, r.date, r.product, r.lot])]));
      }
      return 0;
    } catch (e) {
      return refusal(o, e);
    }
  });
}

/** `mamori exchange covid-records`: the provisions VRS recorded for the municipality (XCH-22), asker or provider. */
export async function covidRecords(o: O): Promise<number> {
  return withOrganisations(o, async (app, orgs) => {
    const tenant = await tenantArg(app, o['tenant']);
    const list = await covidProvisionRecords(orgs.municipal, tenant);
    if (o['json']) printJson({ tenant, total: list.length, records: list });
    else {
      print(`ワクチン接種記録システム（VRS）の提供の記録（${list.length}件）`);
      print(table([['日時', '照会した団体', '提供した団体', '目的', '件数', '結果', 'コード'], ...list.map((r) => [r['requestedAt'], r['asker'], r['provider'], r['purposeName'] ?? r['purpose'], r['count'], r['outcome'], r['code']].map((v) => (v === undefined || v === null ? '' : String(v))))]));
    }
    return 0;
  });
}

export async function records(o: O): Promise<number> {
  return withOrganisations(o, async (app, orgs) => {
    const tenant = await tenantArg(app, o['tenant']);
    let integratedNo: string | undefined;
    if (o['person'] !== undefined) {
      const atena = String(o['person']);
      if (!/^\d{10}$/.test(atena)) throw new Problem(400, 'ATENA_INVALID', '宛名番号が正しくありません', '--person には10桁の宛名番号を指定してください。');
      const r = await sql<{ integrated_no: string | null }>`SELECT integrated_no FROM municipality.persons WHERE tenant_code = ${tenant} AND atena_no = ${atena}`.execute(app.db.system);
      if (!r.rows[0]) throw new Problem(404, 'NOT_FOUND', '住民が見つかりません', `宛名番号 ${atena} の住民はいません。`);
      integratedNo = r.rows[0].integrated_no ?? '';
    }
    const x: MunicipalExchange = orgs.municipal;
    const res = await x.node.call(x.chukanOf(tenant), 'records', { tenant, ...(integratedNo !== undefined ? { integratedNo } : {}) }, { personal: true });
    const list = ((res.body as { records?: Record<string, unknown>[] }).records ?? []);
    if (o['json']) printJson({ tenant, total: list.length, records: list });
    else {
      print(`情報提供等記録（${list.length}件）`);
      print(table([['日時', '種別', '照会者', '提供者', '事務', '情報', '根拠', '結果'], ...list.map((r) => [r['at'], r['kind'], r['requester'], r['provider'], r['jimu'], r['item'], r['legalBasis'], r['status']].map((v) => (v === undefined || v === null ? '' : String(v))))]));
    }
    return 0;
  });
}

export async function messages(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const org = String(o['org'] ?? '');
    const log = await messageLogOf(app, org);
    const limit = Math.min(Math.max(Number(o['limit'] ?? 1000) || 1000, 1), 100_000);
    const { total, rows } = await log.list({ limit });
    if (o['json']) printJson({ org, total, messages: rows });
    else {
      print(`${org} のメッセージ記録（${total}件${total > rows.length ? `、先頭 ${rows.length} 件を表示` : ''}）`);
      print(table([['#', '日時', '向き', '相手', 'サービス', '結果', 'コード', 'メッセージID', 'ダイジェスト'], ...rows.map((r) => [r.seq, r.at.toISOString(), r.direction === 'in' ? '受信' : '送信', r.peer, r.service, r.outcome, r.code ?? '', r.msgId, r.digest.slice(0, 16)])]));
    }
    return 0;
  });
}

/** A new generation of an organisation's keys (decision 0135); running nodes publish it at their next JWKS read. */
export async function rotateKey(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const org = String(o['org'] ?? '');
    const specs = await nodeSpecs(app);
    if (!specs.some((s) => s.name === org)) throw new Problem(400, 'NODE_UNKNOWN', '組織（ノード）の名前が正しくありません', `「${org}」はありません。次のいずれかを指定してください: ${specs.map((s) => s.name).join(', ')}`);
    const keys = NodeKeys.open(app.config.keyDir, org);
    const before = keys.generation;
    const generation = keys.rotate();
    const kids = keys.jwks().keys.map((k) => k.kid);
    if (o['json']) printJson({ org, previousGeneration: before, generation, published: kids });
    else print(`${org} の鍵を更新しました（世代 ${before} → ${generation}）。公開中の鍵: ${kids.join(', ')}`);
    return 0;
  });
}
