// The notices ledger on embedded PGlite (the default store, one connection): a batch from a run, the streamed
// PDF (chunks read in their own transactions), 発送 and 返送 (array parameters), a reissue, and the contractor
// package — the same SQL as on the server.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { startExtraction } from '../../../src/municipality/extraction/index.js';
import { batchItems, createBatchFromRun, listFollowUps, markDispatched, markReturned, reissue, saveNoticeSettings, writeBatchPdf, writeContractorPackage } from '../../../src/municipality/notices/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { readText } from '../documents/read-pdf.js';
import { buildTown, SETTINGS } from './fixtures.js';

describe('notices ledger on embedded PGlite', () => {
  let app: TestApp;
  let nurse: Principal;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-notices-pglite-'));

  beforeAll(async () => {
    app = await testApp('embedded');
    await addTenant(app, TOTTORI, '鳥取市');
    nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    await buildTown(app, operatorOf(TOTTORI), dir);
    await runAs(app.db, nurse, (w) => saveNoticeSettings(w, SETTINGS));
  });
  afterAll(async () => {
    await app.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues, prints, marks, reissues and packages', async () => {
    const runId = (await startExtraction(app.db, nurse, { kind: 'targets', programs: ['hib'], asOf: '2026-11-21' })).run.id;
    const deps = { keys: app.tenantKeys };
    const { batchId } = await runAs(app.db, nurse, (w) => createBatchFromRun(w, deps, { runId, docType: 'guidance' }));
    const items = await runAs(app.db, nurse, (w) => batchItems(w, batchId));
    expect(items.map((i) => [i.mail, i.voucherNo])).toEqual([
      [true, null],
      [true, null],
      [true, null],
      [false, null],
    ]);
    const parts: Uint8Array[] = [];
    await writeBatchPdf(app.db, nurse, batchId, 'all', { write: (c) => void parts.push(c) });
    expect(await readText(Buffer.concat(parts))).toHaveLength(4);
    expect(await runAs(app.db, nurse, (w) => markDispatched(w, { batchId, date: '2026-11-21' }))).toBe(3);
    const r = await runAs(app.db, nurse, (w) => markReturned(w, deps, { numbers: [items[0]!.referenceNo], date: '2026-11-21', reason: '受取拒否' }));
    expect(r.marked).toHaveLength(1);
    expect(await runAs(app.db, nurse, (w) => listFollowUps(w))).toHaveLength(1);
    const re = await runAs(app.db, nurse, (w) => reissue(w, deps, items[1]!.id, { reason: '汚損', identityCheck: '旅券', mail: true }));
    expect(re.reissueCount).toBe(1);
    const zip: Uint8Array[] = [];
    const p = await writeContractorPackage(app.db, nurse, batchId, { recipient: '株式会社サンプル印刷', medium: 'DVD-R（施錠ケースで運搬）', passwordDelivery: '別途電話で伝達', useUntil: '2026-12-31', returnMethod: '媒体の返却とデータ消去証明書の提出', password: 'Tottori-Print-2026!' }, { write: (c) => void zip.push(c) });
    expect(p.handover).toMatchObject({ status: 'delivered', persons: 2, pages: 2 });
  });
});
