// `mamori registry certificate` (issue 16 Must have 4; QUA-25; decision 0215; docs/formats/registry-cli.md
// 「免許証・登録証の印刷」): writes the PDF of an entry's 免許証・登録証 — the valid one, or the one of a given
// 交付番号 (a void one prints 「無効」 across it) — rendered from what was recorded when it was issued.  Read as
// the operator and logged in registry.access_log; the PDF never carries a My Number.
// Only type imports at the top (src/cli/main.ts loads this module at every start).
import type { Command } from 'commander';

type Action = (o: Record<string, unknown>) => Promise<number>;
type Leaf = (parent: Command, name: string, description: string) => Command;
type Run = (load: () => Promise<Action>) => (...a: unknown[]) => Promise<void>;

export function registerRegistryCertificateCommand(rg: Command, leaf: Leaf, run: Run): void {
  leaf(rg, 'certificate', '免許証・登録証をPDFで出力する（有効なもの、または --serial の交付番号のもの。参照は記録されます）')
    .requiredOption('--tenant <code>', '資格管理者コード（mhlw-isei など）')
    .option('--qualification <code>', '資格コード（資格管理者が複数の資格を所掌するときは必須）')
    .requiredOption('--number <no>', '登録番号')
    .option('--serial <no>', '交付番号（省略すると有効な免許証・登録証）')
    .requiredOption('--out <file>', '書き出すPDFファイル')
    .option('--json', 'JSONで出力（{"file","serialNo","title","valid", ...}）')
    .action(run(async () => certificate));
}

async function certificate(o: Record<string, unknown>): Promise<number> {
  const { writeFileSync } = await import('node:fs');
  const { invalidField } = await import('../../kernel/problems/index.js');
  const { catalog, certificateAsOperator, renderCertificatePdf, REGISTRY_ROLE, syncAdministrators } = await import('../../registry/index.js');
  const { withApp } = await import('../context.js');
  const { print, printJson } = await import('../io.js');
  const tenant = String(o['tenant'] ?? '');
  const admin = catalog().administrator(tenant);
  if (!admin) throw invalidField('tenant', 'ADMINISTRATOR_UNKNOWN', `資格管理者「${tenant.slice(0, 40)}」はありません（mamori registry qualifications で確認してください）`);
  const own = catalog().jurisdiction(tenant);
  const code = o['qualification'] === undefined ? (own.length === 1 ? own[0]!.code : undefined) : String(o['qualification']);
  if (!code) throw invalidField('qualification', 'QUALIFICATION_REQUIRED', `${admin.name}は複数の資格を所掌しています。--qualification で資格コードを指定してください（${own.map((q) => q.code).join(', ')}）`);
  if (!own.some((q) => q.code === code)) throw invalidField('qualification', 'QUALIFICATION_UNKNOWN', `資格コード「${code.slice(0, 40)}」は${admin.name}の所掌ではありません`);
  return withApp(o as { data?: string }, async (app) => {
    const db = await app.db.forRole(REGISTRY_ROLE);
    await syncAdministrators(db, app.config.clock);
    const r = await certificateAsOperator({ db, clock: app.config.clock }, { tenant, qualification: code, number: o['number'], ...(o['serial'] !== undefined ? { serial: o['serial'] } : {}) });
    const c = { ...r, pdf: await renderCertificatePdf(r.printed, r.certificate) };
    const file = String(o['out']);
    writeFileSync(file, c.pdf);
    const v = c.certificate;
    if (o['json']) printJson({ file, serialNo: v.serialNo, title: v.title, reason: v.reason, reasonLabel: v.reasonLabel, issuedOn: v.issuedOn, valid: v.valid, voidOn: v.voidOn, voidReason: v.voidReason, bytes: c.pdf.length });
    else print(`${v.title}（交付番号 第${v.serialNo}号、${v.reasonLabel}、交付年月日 ${v.issuedOn}、${v.statusLabel}）を ${file} に書き出しました（${c.pdf.length} バイト）。`);
    return 0;
  });
}
