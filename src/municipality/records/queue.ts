// Resolving clinic rows that waited in the review queue (VAX-20): staff link the dose to a person (checked
// by the engine, its 警告内容 kept) or reject it with a reason.  Nothing is registered silently.
import { z } from 'zod';
import type { Work } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { fields } from '../../kernel/access/index.js';
import { conflict, invalidField, notFound, parseInput } from '../../kernel/problems/index.js';
import { requireResidentAccess } from '../residents/index.js';
import { createRecord, type VaccinationRecord } from './ledger.js';
import type { BatchDose } from './batch.js';

const Resolution = z.discriminatedUnion('action', [
  z.object({ action: z.literal('link'), atenaNo: z.string().regex(/^\d{10}$/, '宛名番号は10桁の数字です'), note: fields.text(500) }),
  z.object({ action: z.literal('dismiss'), note: fields.text(500) }),
]);

/** The review-queue sources that hold a dose: a clinic file's row, or a platform record (issue 13). */
export const RECORD_QUEUE_SOURCES: readonly string[] = ['records-import', 'platform-records'];

export async function resolveRecordQueueItem(w: Work, id: string, raw: unknown): Promise<{ record: VaccinationRecord | null }> {
  requireResidentAccess(w.actor, 'personal.write', ['vaccination']);
  const input = parseInput(Resolution, raw);
  const item = await w.tx.selectFrom('municipality.match_queue').selectAll().where('tenant_code', '=', w.tenant).where('id', '=', id).forUpdate().executeTakeFirst();
  if (!item || !RECORD_QUEUE_SOURCES.includes(item.source)) throw notFound('確認待ちの接種記録');
  if (item.status !== 'open') throw conflict('NOT_OPEN', 'この項目は処理済みです。');
  let record: VaccinationRecord | null = null;
  if (input.action === 'link') {
    const p = await w.tx.selectFrom('municipality.persons').select(['atena_no']).where('tenant_code', '=', w.tenant).where('atena_no', '=', input.atenaNo).executeTakeFirst();
    if (!p) throw invalidField('atenaNo', 'UNKNOWN_PERSON', '登録されていない宛名番号です');
    const dose = (item.payload as { data: BatchDose }).data;
    // A platform record (PMH-18) stays a platform record: its 通番 is the platform's record id.
    const source = item.source === 'platform-records' ? 'platform' : 'clinic-batch';
    record = await createRecord(w, input.atenaNo, { ...dose, category: dose.category ?? undefined }, { source, acceptProblems: true, sourceRunId: item.source_run_id, sourceRow: item.source_row });
  }
  await w.tx
    .updateTable('municipality.match_queue')
    .set({ status: input.action === 'link' ? 'linked' : 'dismissed', resolved_atena_no: input.action === 'link' ? input.atenaNo : null, resolved_by: w.actor.login, resolved_at: w.clock.now(), note: input.note })
    .where('tenant_code', '=', w.tenant)
    .where('id', '=', id)
    .execute();
  await appendEntry(w.tx, w, { action: 'update', targetType: 'match-queue', targetId: id, subjectRef: input.action === 'link' ? `resident:${input.atenaNo}` : undefined, purpose: input.note, detail: { action: input.action, recordId: record?.id ?? null } });
  return { record };
}
