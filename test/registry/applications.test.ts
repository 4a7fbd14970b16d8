// The applications store (issue 15 Must have 3 and 4; decision 0179), on real PostgreSQL as the registry's
// own role: an application is stored with its attachments, sealed My Number and `received` event in one
// transaction, idempotently per id; another 資格管理者 does not see it (RLS); the queue counts and pages;
// state changes refuse a state they do not start from; attachments are checked against their bytes.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UntypedDatabase } from '../../src/kernel/db/index.js';
import { syntheticMyNumber } from '../../src/kernel/mynumber/index.js';
import {
  applicationMyNumber, attachmentContent, checkAttachment, exampleForm, getApplication, insertApplication, listApplications, REGISTRY_ROLE, RegistrySecrets, syncAdministrators,
  transitionApplication, withRegistryTenant,
} from '../../src/registry/index.js';
import { testApp, type TestApp } from '../harness/app.js';
import { expectProblem } from '../harness/expect.js';
import { findMyNumbers } from '../harness/leaks.js';

let app: TestApp;
let db: Kysely<UntypedDatabase>;
let secrets: RegistrySecrets;
const numbers: string[] = [];
const PDF = Buffer.from('%PDF-1.4\n% synthetic\n');

beforeAll(async () => {
  app = await testApp('server');
  db = await app.db.forRole(REGISTRY_ROLE);
  await syncAdministrators(db, app.config.clock);
  secrets = RegistrySecrets.open(app.config.keyDir);
}, 120_000);

afterAll(async () => {
  await app?.cleanup();
});

async function store(tenant: string, qualification: string, i: number, id?: string) {
  const mn = syntheticMyNumber('registry-applications', i);
  numbers.push(mn);
  return withRegistryTenant(db, tenant, (tx) =>
    insertApplication(tx, { clock: app.config.clock, secrets }, tenant, {
      id, qualification, procedure: 'new', channel: 'paper', form: exampleForm(qualification), myNumber: mn,
      identityProof: { documents: ['マイナンバーカード'], checkedBy: 'madoguchi1' }, receivedBy: 'madoguchi1',
      attachments: [checkAttachment({ label: '診断書', mediaType: 'application/pdf', content: PDF }, 0)],
    }),
  );
}

describe('applications store', () => {
  it('stores an application with its attachment, sealed My Number and history; idempotent per id; hidden from another 資格管理者', async () => {
    const a = await store('mhlw-isei', 'ishi', 1);
    expect(a).toMatchObject({ status: 'received', statusLabel: '審査待ち', procedureLabel: '新規登録', channel: 'paper', registrationNo: null, revision: 1 });
    expect(a.attachments).toEqual([expect.objectContaining({ seq: 1, label: '診断書', mediaType: 'application/pdf', size: PDF.length })]);
    expect(a.events.map((e) => e.kind)).toEqual(['received']);
    const again = await store('mhlw-isei', 'ishi', 1, a.id);
    expect(again.id).toBe(a.id);
    expect(again.events).toHaveLength(1);
    await withRegistryTenant(db, 'mhlw-isei', async (tx) => {
      expect(await applicationMyNumber(tx, secrets, a.id)).toBe(numbers[0]);
      expect((await attachmentContent(tx, a.id, 1))!.content.equals(PDF)).toBe(true);
    });
    expect(await withRegistryTenant(db, 'mhlw-iyaku', (tx) => getApplication(tx, a.id))).toBeUndefined();
    const all = await sql<{ j: string }>`SELECT row_to_json(x)::text AS j FROM registry.application_mynumbers x`.execute(app.db.system);
    expect(findMyNumbers(JSON.stringify(all.rows) + JSON.stringify(a))).toEqual([]);
  });

  it('lists the queue with totals and pages, and moves an application only from the states it names', async () => {
    for (let i = 10; i < 13; i++) await store('mhlw-iyaku', 'yakuzaishi', i);
    const p1 = await withRegistryTenant(db, 'mhlw-iyaku', (tx) => listApplications(tx, { status: 'received', perPage: 2 }));
    expect(p1.total).toBe(3);
    expect(p1.items).toHaveLength(2);
    expect(p1.items[0]!.applicantName).toBe('見本　太郎');
    const p2 = await withRegistryTenant(db, 'mhlw-iyaku', (tx) => listApplications(tx, { status: 'received', perPage: 2, page: 2 }));
    expect(p2.items).toHaveLength(1);
    const id = p1.items[0]!.id;
    const returned = await withRegistryTenant(db, 'mhlw-iyaku', (tx) => transitionApplication(tx, app.config.clock, id, { from: ['received'], to: 'returned', by: 'shinsa1', reason: '受験番号の確認' }));
    expect(returned).toMatchObject({ status: 'returned', decidedAt: null, decisionReason: '受験番号の確認', revision: 2 });
    const approved = await withRegistryTenant(db, 'mhlw-iyaku', (tx) => transitionApplication(tx, app.config.clock, id, { from: ['returned'], to: 'approved', by: 'shinsa2', registrationNo: 7 }));
    expect(approved).toMatchObject({ status: 'approved', decidedBy: 'shinsa2', registrationNo: 7 });
    expect(approved.events.map((e) => e.kind)).toEqual(['received', 'returned', 'approved']);
    await expectProblem(withRegistryTenant(db, 'mhlw-iyaku', (tx) => transitionApplication(tx, app.config.clock, id, { from: ['received'], to: 'rejected', by: 'x' })), { status: 409, code: 'APPLICATION_STATE' });
  });

  it('refuses an attachment whose bytes are not its declared type, an empty one, or another type', () => {
    expect(() => checkAttachment({ label: '写真', mediaType: 'image/jpeg', content: PDF }, 0)).toThrow(/JPEG/);
    expect(() => checkAttachment({ label: '写真', mediaType: 'image/png', content: PDF }, 1)).toThrow(/PDF か JPEG/);
    expect(() => checkAttachment({ label: '写真', mediaType: 'application/pdf', content: Buffer.alloc(0) }, 2)).toThrow(/空/);
    expect(checkAttachment({ label: '写真', mediaType: 'image/jpeg', content: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0]) }, 3).mediaType).toBe('image/jpeg');
  });
});
