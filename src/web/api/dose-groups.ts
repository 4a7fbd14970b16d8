// The group commit of dose registrations through the JSON API (decision 0130).  A clinic or staff client
// that sends many registrations at once (a vaccination day's list, a tablet per booth) has them written
// in groups: the requests of one session, terminal and program that arrive while a group is being written
// are written together in one transaction, which also checks the session (KRN-21/22: idle timeout, maximum
// age, account status — the same rules as every other request, in the same transaction as the write).
// Each request is still decided on its own (access, input, the schedule engine's check) and gets its own
// answer, record id and operation-log entry with its own request id; a group is all-or-nothing only for a
// failure of the transaction itself.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { App } from '../../app/index.js';
import { authenticateIn, sessionTenant, SESSION_CHECKER } from '../../kernel/access/index.js';
import { GroupQueue, runAs, type Actor, type GroupStats, type Meta, type Settled } from '../../kernel/context/index.js';
import { Problem, unauthenticated } from '../../kernel/problems/index.js';
import { createRecords, type VaccinationRecord } from '../../municipality/records/index.js';

export interface DoseRegistration {
  readonly token: string;
  readonly atenaNo: string;
  readonly dose: Record<string, unknown>;
  readonly overrideReason: string | undefined;
  readonly meta: Meta;
}

export interface DoseGroups {
  /** Registers one dose; resolves with its record or rejects with its Problem. */
  register(r: DoseRegistration): Promise<VaccinationRecord>;
  stats(): GroupStats;
}

/** Largest group: enough to absorb a burst from many booths, small enough to keep one transaction short. */
const MAX_GROUP = 64;
/** Groups of one session written at once: one commits while the next is being decided. */
const IN_FLIGHT = 2;
/** Sessions whose actor is remembered (so that the transaction starts with the right 作成者). */
const ACTOR_MEMORY = 10_000;

export function doseGroups(app: App): DoseGroups {
  // The session's actor, once known, is set with the transaction's first round trip; the first group of a
  // session sets it after the session check (one extra round trip, once).
  const actors = new Map<string, Actor>();
  const queue = new GroupQueue<DoseRegistration, VaccinationRecord>({
    maxBatch: MAX_GROUP,
    maxInFlight: IN_FLIGHT,
    run: async (key, items) => {
      const first = items[0]!;
      const tenant = sessionTenant(first.token);
      if (!tenant) return items.map(() => ({ ok: false, error: ended() }));
      const known = actors.get(key);
      return runAs(app.db, { tenant, actor: known ?? SESSION_CHECKER, meta: first.meta }, async (w): Promise<Settled<VaccinationRecord>[]> => {
        const session = await authenticateIn(w, first.token);
        if (!session) {
          actors.delete(key);
          return items.map(() => ({ ok: false, error: ended() }));
        }
        if (session.mustChangePassword) {
          return items.map(() => ({ ok: false, error: new Problem(403, 'PASSWORD_CHANGE_REQUIRED', 'パスワードの変更が必要です', '初期パスワードまたは有効期限を過ぎたパスワードです。PUT /api/v1/me/password で変更してください。') }));
        }
        if (session.actor.login !== w.actor.login) {
          await sql`SELECT set_config('mamori.actor', ${session.actor.login}, true)`.execute(w.tx);
          if (actors.size >= ACTOR_MEMORY) actors.clear();
          actors.set(key, session.actor);
        }
        return createRecords(
          { ...w, actor: session.actor },
          items.map((it) => ({ atenaNo: it.atenaNo, raw: it.dose, opts: { source: 'api', overrideReason: it.overrideReason }, meta: it.meta })),
          { logRefusals: true },
        );
      });
    },
  });
  return {
    register(r) {
      // One lane per session, terminal and program: the transaction's settings (KRN-32 stamps) are theirs.
      const key = `${createHash('sha256').update(r.token).digest('base64url')}|${r.meta.terminalId ?? ''}|${r.meta.program}`;
      return queue.submit(key, r);
    },
    stats: () => queue.stats(),
  };
}

function ended(): Problem {
  return unauthenticated('セッションが終了しました。再度ログインしてください。');
}
