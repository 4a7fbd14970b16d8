// `mamori registry apply` (docs/formats/registry-cli.md; decisions 0188–0190): an application to the national
// qualification registry as the applicant, through マイナポータル over HTTP exactly as the portal page does —
// log in with the card (its 利用者証明用 key signs the portal's challenge), build the document with the card's
// 券面事項入力補助 and the attachments' SHA-256, sign it with the 署名用 key, post it to the portal, which hands
// it to the registry.  The PIN and the private keys stay in this process.  The portal is the one named
// `mynaportal` in MAMORI_DIRECTORY (a running deployment), or every organisation is started here on loopback
// ports with the portal pages, as `mamori exchange` does.
//
// Only type imports at the top (src/cli/main.ts loads this module at every start).
import type { Command } from 'commander';
import type { CardFile } from '../../kernel/jpki/index.js';

type O = Record<string, unknown> & { data?: string };
type Action = (opts: O, args: string[]) => Promise<number | void>;
type Leaf = (parent: Command, name: string, description: string) => Command;
type Run = (load: () => Promise<Action>) => (...a: unknown[]) => Promise<void>;

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Registers `mamori registry apply` under `mamori registry` (one line in main.ts). */
export function registerRegistryApplyCommand(rg: Command, leaf: Leaf, run: Run): void {
  leaf(rg, 'apply', '国家資格を申請する（申請者として、マイナンバーカードで署名し、マイナポータル経由で提出。拒否されたら終了コード3）')
    .requiredOption('--qualification <code>', '資格コード（mamori registry qualifications で確認）')
    .requiredOption('--card <file>', 'マイナンバーカード（合成）のファイル（mamori card issue で発行、券面事項入力補助を含むもの）')
    .requiredOption('--pin <pin>', '暗証番号（4桁の数字）')
    .requiredOption('--form <file>', '申請書（JSON。mamori registry form で記入例を表示）')
    .option('--procedure <kind>', '手続: new（新規登録）, correction（籍訂正）, rewrite（書換え交付）, reissue（再交付）, erasure（登録抹消）')
    .option('--attach <file>', '添付書類（PDF または JPEG。繰り返して複数）', collect, [])
    .option('--json', 'JSONで出力（{"applicationId","status"}）')
    .action(run(async () => apply));
}

/** A resident's HTTP session with the portal pages (cookies and the CSRF token of the page). */
export class PortalApplicant {
  private readonly cookies = new Map<string, string>();
  private csrf = '';
  constructor(readonly base: string) {}

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown; text: string }> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      redirect: 'manual',
      headers: { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '), ...(body === undefined ? {} : { 'content-type': 'application/json', 'x-csrf-token': this.csrf }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(120_000),
    });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(';')[0]!;
      const i = pair.indexOf('=');
      const k = pair.slice(0, i);
      const v = pair.slice(i + 1);
      if (v === '' || /Expires=Thu, 01 Jan 1970|Max-Age=0/i.test(c)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text };
  }

  /** Throws the portal's Problem for a refusal. */
  private async ok(r: { status: number; json: unknown; text: string }): Promise<unknown> {
    if (r.status < 400) return r.json;
    const { Problem } = await import('../../kernel/problems/index.js');
    const p = (r.json ?? {}) as { code?: string; title?: string; detail?: string; errors?: { field: string; code: string; message: string }[] };
    throw new Problem(r.status, p.code ?? 'PORTAL_REFUSED', p.title ?? 'マイナポータルが受け付けませんでした', p.detail, p.errors);
  }

  async getJson(path: string): Promise<unknown> {
    return this.ok(await this.request('GET', path));
  }

  async postJson(path: string, body: unknown): Promise<unknown> {
    return this.ok(await this.request('POST', path, body));
  }

  /** Card login as the login page does. */
  async login(card: CardFile, pin: string): Promise<void> {
    const { signChallenge } = await import('../../kernel/jpki/index.js');
    const page = await this.request('GET', '/');
    const m = /data-csrf="([^"]+)"/.exec(page.text);
    if (!m) throw new Error('マイナポータルのログイン画面を読めません');
    this.csrf = m[1]!;
    const ch = (await this.postJson('/login/challenge', {})) as { challengeId: string; challenge: string };
    await this.postJson('/login', { challengeId: ch.challengeId, ...(await signChallenge(card, pin, ch.challenge)) });
  }
}

/** PDF or JPEG by the file's first bytes (the registry checks them again); anything else is sent as what it is. */
function mediaTypeOf(b: Buffer): string {
  if (b.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  return 'application/octet-stream';
}

export async function apply(o: O): Promise<number> {
  const { readFileSync } = await import('node:fs');
  const { basename } = await import('node:path');
  const { invalidField, isProblem } = await import('../../kernel/problems/index.js');
  const { checkPin, parseCardFile } = await import('../../kernel/jpki/index.js');
  const { prepareApplication, procedureOf } = await import('../../registry/index.js');
  const { print, printJson, warn } = await import('../io.js');
  const pin = checkPin(String(o['pin'] ?? ''));
  const read = (field: string, file: string): string => {
    try {
      return readFileSync(file, 'utf8');
    } catch {
      throw invalidField(field, 'FILE_UNREADABLE', `ファイル ${file} を読めません`);
    }
  };
  const card = parseCardFile(read('card', String(o['card'])));
  let form: Record<string, unknown>;
  try {
    form = JSON.parse(read('form', String(o['form']))) as Record<string, unknown>;
  } catch (e) {
    if (isProblem(e)) throw e;
    throw invalidField('form', 'FORM_NOT_JSON', '申請書のファイルが JSON ではありません');
  }
  if (!form || typeof form !== 'object' || Array.isArray(form)) throw invalidField('form', 'FORM_NOT_JSON', '申請書は JSON のオブジェクトです');
  const procedure = o['procedure'] === undefined ? procedureOf(form) : procedureOf({ procedure: o['procedure'] });
  if (form['procedure'] === undefined) form = { ...form, procedure };
  const attachments = ((o['attach'] as string[] | undefined) ?? []).map((f) => {
    let content: Buffer;
    try {
      content = readFileSync(f);
    } catch {
      throw invalidField('attach', 'FILE_UNREADABLE', `ファイル ${f} を読めません`);
    }
    return { label: basename(f).slice(0, 100), mediaType: mediaTypeOf(content), content };
  });
  const prepared = await prepareApplication(card, pin, { qualification: String(o['qualification'] ?? ''), procedure, form, attachments });
  const submit = async (base: string) => {
    const c = new PortalApplicant(base);
    await c.login(card, pin);
    return (await c.postJson('/registry/applications', prepared)) as { applicationId: string; status: string; statusLabel: string; qualificationName: string; procedureLabel: string };
  };
  let answer: Awaited<ReturnType<typeof submit>>;
  try {
    const dirFile = process.env['MAMORI_DIRECTORY'];
    const { readDirectoryFile } = await import('../../app/index.js');
    const running = dirFile ? readDirectoryFile(dirFile).find((e) => e.name === 'mynaportal') : undefined;
    if (running) answer = await submit(running.url);
    else {
      const { withApp } = await import('../context.js');
      const { startOrganisations } = await import('../../app/index.js');
      const { portalPages } = await import('../../web/portal/index.js');
      answer = await withApp(o, async (app) => {
        const orgs = await startOrganisations(app, { host: '127.0.0.1', port: 0, directoryEntries: dirFile ? readDirectoryFile(dirFile) : [], portalPages: portalPages({ secureCookies: false }) });
        try {
          return await submit(orgs.nodes.find((n) => n.name === 'mynaportal')!.url);
        } finally {
          await orgs.close();
        }
      });
    }
  } catch (e) {
    if (!isProblem(e)) throw e;
    if (o['json']) printJson({ type: 'about:blank', status: e.status, code: e.code, title: e.title, detail: e.detail, errors: e.errors });
    warn(`申請は受け付けられませんでした [${e.code}] ${e.title}${e.detail ? `: ${e.detail}` : ''}`);
    for (const f of e.errors) warn(`  ${f.field}: ${f.message}`);
    return 3;
  }
  if (o['json']) printJson({ applicationId: answer.applicationId, status: answer.status });
  else print(`申請を受け付けました: ${answer.qualificationName}・${answer.procedureLabel}（申請番号 ${answer.applicationId}、${answer.statusLabel}）`);
  return 0;
}
