// The municipality's download of platform records (issue 13 point 3; PMH-18; decision 0154) between real
// organisations: a dose the ledger already holds from the clinic's paper file is queued, not registered
// twice; a pull asked again brings nothing new; a cursor moved back re-reads the same records and writes
// nothing twice; the platform unreachable fails the pull cleanly and loses nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { runAs } from '../../src/kernel/context/index.js';
import { addDaysIso } from '../../src/kernel/jp/index.js';
import { createRecord, gtinCheckDigit, resolveRecordQueueItem } from '../../src/municipality/records/index.js';
import { listRecordPulls, pullRecords, pushRun } from '../../src/municipality/platform/index.js';
import { TOTTORI } from '../harness/app.js';
import { addClinic, ClinicClient, platformWorld, type ClinicFixture, type PlatformWorld } from '../harness/platform.js';

const GTIN = (() => {
  const base = '0498700011122';
  return base + String(gtinCheckDigit(base));
})();

describe('platform records into the ledger (PMH-18)', () => {
  let w: PlatformWorld;
  let clinic: ClinicFixture;
  let today: string;
  const ledger = async () =>
    (await sql<{ source: string; atena_no: string; ref: string | null }>`SELECT source, atena_no, data->>'sourceRef' AS ref FROM municipality.vaccination_records ORDER BY source, atena_no`.execute(w.app.db.system)).rows;
  const queue = async () => (await sql<{ id: string; source: string; ref: string; reason: string }>`SELECT id, source, source_ref AS ref, query->>'reason' AS reason FROM municipality.match_queue WHERE status = 'open'`.execute(w.app.db.system)).rows;
  const pull = () => pullRecords(w.deps, w.nurse, { node: w.orgs.municipal.node });

  beforeAll(async () => {
    w = await platformWorld();
    today = w.app.config.clock.today();
    expect((await pushRun(w.deps, w.nurse, { node: w.orgs.municipal.node }, { runId: w.runId })).failed).toBe(0);
    clinic = await addClinic(w, { first9: '311010005', name: 'しらかべ小児科' });
    // The clinic's paper file already brought the child's Hib dose of today.
    await runAs(w.app.db, w.nurse, (x) => createRecord(x, w.atena.child, { program: 'hib', dose: 1, product: 'hib', vaccinatedOn: today, institutionCode: clinic.code, lot: 'PAPER' }, { source: 'clinic-batch', acceptProblems: true }));
    // …and the doctor registers it on the platform as well, and the other child's dose.
    const reception = new ClinicClient(w.url.platform);
    const doctor = new ClinicClient(w.url.platform);
    await reception.login(clinic.code, clinic.reception.userId, clinic.reception.password);
    await doctor.login(clinic.code, clinic.doctor.userId, clinic.doctor.password);
    for (const who of ['child', 'otherChild'] as const) {
      const ch = await reception.req<{ challengeId: string; challenge: string }>('POST', '/clinic/v1/reception/challenge', {});
      const r = await reception.req<{ visits: { visitId: string; targetId: string }[] }>('POST', '/clinic/v1/reception/card', { challengeId: ch.body.challengeId, ...(await w.sign(w.cards[who], ch.body.challenge)), identityCheck: { method: 'card' }, consent: true });
      const v = r.body.visits[0]!;
      expect((await doctor.req('POST', `/clinic/v1/visits/${v.visitId}/identity`, { method: 'insurance' })).status).toBe(200);
      const d = await doctor.req('POST', '/clinic/v1/doses', {
        targetId: v.targetId, visitId: v.visitId, programCode: 'hib', dose: 1, product: 'hib', vaccinatedOn: today, consent: true, doctorName: '白壁　医師', implementationClass: 'individual',
        vaccinationClass: 'routine', gtin: GTIN, manufacturer: 'サノフィ株式会社', vaccineName: 'アクトヒブ', lot: `PF${who.length}`, amount: '0.5mL', site: '右上腕', route: '皮下注射',
        expiry: addDaysIso(today, 100), caution: false, overseas: false,
      });
      expect(d.status, JSON.stringify(d.body)).toBe(201);
    }
  }, 300_000);

  afterAll(async () => {
    await w?.close();
  });

  it('registers the new dose, queues the one the paper file brought, and a second pull brings nothing', async () => {
    const r = await pull();
    expect(r).toMatchObject({ status: 'complete', fetched: 2, created: 1, queued: 1, unchanged: 0, error: null });
    expect(await ledger()).toEqual([
      { source: 'clinic-batch', atena_no: w.atena.child, ref: null },
      { source: 'platform', atena_no: w.atena.otherChild, ref: expect.stringMatching(/^R[0-9A-Z]{20}$/) },
    ]);
    const q = await queue();
    expect(q).toHaveLength(1);
    expect(q[0]).toMatchObject({ source: 'platform-records', reason: '同じ日に同じ接種の記録が医療機関の月次ファイルなど別の経路から登録済みです（重複の可能性）' });
    expect(await pull()).toMatchObject({ status: 'complete', fetched: 0, created: 0, queued: 0 });
  });

  it('a cursor moved back reads the same records again and writes nothing twice', async () => {
    await sql`UPDATE municipality.platform_sync SET records_cursor = 0 WHERE tenant_code = ${TOTTORI}`.execute(w.app.db.system);
    const before = await ledger();
    expect(await pull()).toMatchObject({ status: 'complete', fetched: 2, created: 0, queued: 0, unchanged: 2 });
    expect(await ledger()).toEqual(before);
    expect(await queue()).toHaveLength(1);
  });

  it('staff dismiss the queued duplicate: it stays out of the ledger', async () => {
    const [item] = await queue();
    const r = await runAs(w.app.db, w.nurse, (x) => resolveRecordQueueItem(x, item!.id, { action: 'dismiss', note: '紙の月次ファイルと同じ接種（重複）' }));
    expect(r.record).toBeNull();
    expect(await queue()).toEqual([]);
    expect((await ledger()).filter((x) => x.atena_no === w.atena.child)).toHaveLength(1);
  });

  it('the platform unreachable: the pull fails with a Japanese reason, writes no record and is listed as 中断', async () => {
    const before = await ledger();
    expect(await w.orgs.stop('platform')).toBe(true);
    const r = await pull();
    expect(r.status).toBe('failed');
    expect(r.error).toMatch(/プラットフォーム|接続|platform/);
    expect(await ledger()).toEqual(before);
    const list = await runAs(w.app.db, w.nurse, (x) => listRecordPulls(x));
    expect(list.total).toBe(4);
    expect(list.items[0]).toMatchObject({ status: 'failed', fetched: 0 });
  });
});
