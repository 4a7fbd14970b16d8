// A real Mamori web server on a loopback port for HTTP and browser tests.
import { buildWebServer } from '../../src/web/index.js';
import type { FastifyInstance } from 'fastify';
import type { TestApp } from './app.js';

export interface TestWeb {
  readonly url: string;
  readonly server: FastifyInstance;
  close(): Promise<void>;
}

export async function startWeb(app: TestApp, opts: { loginRateLimitPerMinute?: number } = {}): Promise<TestWeb> {
  const server = await buildWebServer(app, { secureCookies: false, loginRateLimitPerMinute: opts.loginRateLimitPerMinute ?? 1000 });
  await server.listen({ host: '127.0.0.1', port: 0 });
  const addr = server.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return { url: `http://127.0.0.1:${port}`, server, close: () => server.close() };
}

/** A tiny cookie-keeping HTTP client for page tests (forms, CSRF tokens, redirects by hand). */
export class PageClient {
  private readonly cookies = new Map<string, string>();
  constructor(private readonly base: string) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  private keep(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const [k, ...v] = pair!.split('=');
      if (/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(k!.trim());
      else this.cookies.set(k!.trim(), v.join('='));
    }
  }

  async get(path: string): Promise<{ status: number; text: string; location: string | null; res: Response }> {
    const res = await fetch(this.base + path, { headers: { cookie: this.cookieHeader() }, redirect: 'manual' });
    this.keep(res);
    return { status: res.status, text: await res.text(), location: res.headers.get('location'), res };
  }

  /** A download: the status, the headers and the bytes as sent (a Shift_JIS file must not go through text). */
  async bytes(path: string): Promise<{ status: number; body: Buffer; res: Response }> {
    const res = await fetch(this.base + path, { headers: { cookie: this.cookieHeader() }, redirect: 'manual' });
    this.keep(res);
    return { status: res.status, body: Buffer.from(await res.arrayBuffer()), res };
  }

  /** The CSRF token of the last form on a page. */
  static csrf(html: string): string {
    const m = [...html.matchAll(/name="_csrf" value="([^"]+)"/g)].at(-1);
    if (!m) throw new Error('no CSRF token on the page');
    return m[1]!;
  }

  async post(path: string, form: Record<string, string | string[]> | FormData): Promise<{ status: number; text: string; location: string | null }> {
    let body: string | FormData;
    const headers: Record<string, string> = { cookie: this.cookieHeader() };
    if (form instanceof FormData) body = form;
    else {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
      body = p.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    }
    const res = await fetch(this.base + path, { method: 'POST', headers, body, redirect: 'manual' });
    this.keep(res);
    return { status: res.status, text: await res.text(), location: res.headers.get('location') };
  }

  async login(tenant: string, loginId: string, password: string): Promise<void> {
    const page = await this.get('/login');
    const r = await this.post('/login', { _csrf: PageClient.csrf(page.text), tenant, loginId, password, next: '/' });
    if (r.status !== 302) throw new Error(`login failed: ${r.status}`);
  }
}

/** What a reader sees of a page: its text without scripts, styles, tags and attribute values. */
export function visibleText(page: string): string {
  return page
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}
