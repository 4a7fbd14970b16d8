// The load generator of the `records.register.http` bench case, run as a second process so that it does
// not share the server's event loop: autocannon posts one dose per request, each to a different resident,
// with the staff client's Bearer token.  Input: a JSON file named by argv[2]; output: one JSON line on stdout.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

interface LoadInput {
  readonly url: string;
  /** The staff API's Bearer token; or `headers` (the clinic app's session cookie and CSRF token). */
  readonly token?: string;
  readonly headers?: Record<string, string>;
  readonly connections: number;
  readonly seconds: number;
  /** Requests to send, in order; each is used once (the run stops early when they run out). */
  readonly requests: readonly { path: string; body: string }[];
  /** Skip this many requests (used by earlier probes). */
  readonly offset: number;
  /** Requests per second for all connections together (the soak); unset: as fast as the server answers. */
  readonly rate?: number;
  /** Stop after this many responses instead of after `seconds` (the soak: every request answered). */
  readonly amount?: number;
}

export interface LoadOutput {
  readonly sent: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly exhausted: boolean;
  /** Responses by HTTP status ("201": n, "429": n …), to say why requests failed. */
  readonly statuses: Record<string, number>;
}

const input = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadInput;
let next = input.offset;
let exhausted = false;

const instance = autocannon(
  {
    url: input.url,
    connections: input.connections,
    ...(input.amount ? { amount: input.amount } : { duration: input.seconds }),
    ...(input.rate ? { overallRate: input.rate } : {}),
    pipelining: 1,
    timeout: 10,
    // A registered terminal (KRN-26), as a clinic's client sends it.
    headers: input.headers ? { 'content-type': 'application/json', ...input.headers } : { authorization: `Bearer ${input.token}`, 'content-type': 'application/json', 'x-terminal-id': 'clinic-booth-01' },
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const r = input.requests[next++];
          if (!r) {
            exhausted = true;
            instance.stop();
            return { ...req, path: '/healthz', method: 'GET', body: undefined as unknown as string };
          }
          return { ...req, path: r.path, body: r.body };
        },
      },
    ],
  },
  (err, result) => {
    if (err) throw err;
    const ok = result['2xx'];
    const out: LoadOutput = {
      sent: Math.min(next, input.requests.length) - input.offset,
      ok,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      seconds: result.duration,
      perSecond: ok / result.duration,
      p50: result.latency.p50,
      p99: result.latency.p99,
      max: result.latency.max,
      exhausted,
      statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, (v as { count: number }).count])),
    };
    process.stdout.write(JSON.stringify(out) + '\n');
  },
);
