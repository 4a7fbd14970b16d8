// The status history of an electronic application (one row per move; municipality.eapplication_events).
import { sql } from 'kysely';
import type { Work } from '../../kernel/context/index.js';

export async function recordEvent(w: Work, id: string, from: string | null, to: string, note: string | null): Promise<void> {
  await sql`INSERT INTO municipality.eapplication_events (tenant_code, application_id, at, actor, from_status, to_status, note)
            VALUES (${w.tenant}, ${id}, ${w.clock.now()}, ${w.actor.login}, ${from}, ${to}, ${note})`.execute(w.tx);
}
