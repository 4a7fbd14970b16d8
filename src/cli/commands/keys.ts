// `mamori keys rotate|status`
import { withApp, operator } from '../context.js';
import { rewrapAllKeys, rotateDataKey, type DataKeyRotation } from '../../kernel/vault/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { listOrganisations } from '../../kernel/tenancy/index.js';
import { print, printJson, table } from '../io.js';

type O = Record<string, unknown> & { data?: string };

export async function rotate(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const before = app.keyring.currentId();
    // File keyring: a new master key.  Environment keyring: the operator already put the new key in
    // MAMORI_MASTER_KEY and the old one in MAMORI_MASTER_KEY_PREVIOUS.
    const kekId = app.keyring.envManaged ? before : app.keyring.rotate();
    const rewrap = await rewrapAllKeys(app.db.system, app.keyring);
    const tenants = (await listOrganisations(app.db.system)).filter((x) => x.kind !== 'clinic').map((x) => x.code);
    const dataKeys: DataKeyRotation[] = [];
    if (o['dataKeys']) {
      for (const t of o['tenant'] ? [String(o['tenant'])] : tenants) dataKeys.push(await rotateDataKey(app.db.system, app.keyring, t));
      app.tenantKeys.forget();
    }
    await app.db.system.transaction().execute(async (tx) => {
      for (const t of tenants) {
        await appendEntry(tx, operator(t, 'keys rotate'), { action: 'key_rotate', targetType: 'keys', detail: { masterKey: kekId, rewrapped: rewrap.rewrapped, dataKeys: dataKeys.filter((d) => d.tenant === t) } });
      }
    });
    const result = { previousMasterKey: before, masterKey: kekId, rewrapped: rewrap.rewrapped, verified: rewrap.verified, dataKeys };
    if (o['json']) printJson(result);
    else {
      print(`マスター鍵: ${before} → ${kekId}`);
      print(`データ鍵の再ラップ: ${rewrap.rewrapped} 件（全 ${rewrap.verified} 件を復号確認済み）`);
      for (const d of dataKeys) print(`団体 ${d.tenant}: 個人番号暗号化鍵を版 ${d.newVersion} に更新し ${d.reencrypted} 件を再暗号化`);
      print('旧マスター鍵は古いバックアップの復元に必要なため鍵ディレクトリに残しています。');
    }
    return 0;
  });
}

export async function status(o: O): Promise<number> {
  return withApp(o, async (app) => {
    const rows = await app.db.system.selectFrom('kernel.tenant_keys').select(['tenant_code', 'purpose', 'version', 'kek_id', 'created_at', 'retired_at']).orderBy('tenant_code').orderBy('purpose').orderBy('version').execute();
    if (o['json']) printJson({ masterKey: app.keyring.currentId(), auditSigningKey: app.auditKeys.keyId, dataKeys: rows });
    else {
      print(`マスター鍵: ${app.keyring.currentId()}${app.keyring.envManaged ? '（環境変数）' : ''}`);
      print(`操作ログ署名鍵: ${app.auditKeys.keyId}`);
      print(table([['団体', '用途', '版', 'ラップ鍵', '状態'], ...rows.map((r) => [r.tenant_code, r.purpose, r.version, r.kek_id, r.retired_at ? '廃止' : '使用中'])]));
    }
    return 0;
  });
}
