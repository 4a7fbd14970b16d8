// VAX-30: a resident the tenant's rule exempts gets a 予診票 marked 「自己負担金　免除」 for a program whose rule
// says so (the seeds: 熟年者インフルエンザ, 高齢者肺炎球菌, 任意); the mark is on the stored document and on the
// printed page, clear of everything else; nobody else's 予診票 carries it, and the reason is never printed.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { importResidents } from '../../../src/municipality/residents/index.js';
import { importEligibility, setCopayRule } from '../../../src/municipality/copay/index.js';
import { issueForPerson, renderItemPdf, saveNoticeSettings, type NoticeDeps } from '../../../src/municipality/notices/index.js';
import { DEFAULT_TEMPLATES, makeVoucherNumber, renderDocument, SAMPLE_MUNICIPALITY } from '../../../src/municipality/documents/index.js';
import { COPAY_NOTE } from '../../../src/municipality/documents/questionnaire.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { person, writeCsv } from '../../harness/residents.js';
import { overlaps, readLayout, readText } from '../documents/read-pdf.js';
import { SETTINGS } from '../notices/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mamori-copay-q-'));

describe('exempt 予診票 (VAX-30)', () => {
  let app: TestApp;
  let nurse: Principal;
  let deps: NoticeDeps;
  let a: string[];

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    nurse = (await staff(app, TOTTORI, { login: 'nurse', role: 'nurse', duties: ['vaccination'] })).principal;
    deps = { keys: app.tenantKeys };
    const op = operatorOf(TOTTORI);
    await importResidents(app, op, { file: writeCsv(join(dir, 'r.csv'), 'full', [1, 2].map((i) => person(i, { 生年月日: '19500601', 続柄: '世帯主' }))) });
    a = (await app.db.system.selectFrom('municipality.persons').select('atena_no').orderBy('juminhyo_code').execute()).map((r) => r.atena_no);
    writeFileSync(join(dir, 'seiho.csv'), `宛名番号,ケース番号,区分,開始日,終了日\r\n${a[0]},C-1,受給,20260401,\r\n`);
    await importEligibility(app.db, op, { kind: 'seikatsuhogo', file: join(dir, 'seiho.csv') });
    await runAs(app.db, nurse, async (w) => {
      await saveNoticeSettings(w, SETTINGS);
      const rule = (exemptQuestionnaire: boolean) => ({ amounts: { 一般: 2500, 生活保護: 0 }, defaultCategory: '一般', exemptions: [{ basis: 'seikatsuhogo', category: '生活保護' }], exemptQuestionnaire });
      await setCopayRule(w, { program: 'influenza-elderly', fiscalYear: 2026, rule: rule(true) });
      await setCopayRule(w, { program: 'pneumococcal-elderly', fiscalYear: 2026, rule: rule(false) });
    });
  });
  afterAll(async () => app.cleanup());

  const issue = (atena: string, program: string) => runAs(app.db, nurse, (w) => issueForPerson(w, deps, { atenaNo: atena, docType: 'questionnaire', program, dose: 1, period: { from: '2026-11-21', until: '2027-01-31' } }));
  const documentOf = async (itemId: string) => (await app.db.system.selectFrom('municipality.notice_items').select('document').where('id', '=', itemId).executeTakeFirstOrThrow()).document as Record<string, unknown>;

  it('the 生活保護 recipient\'s 予診票 says 自己負担金 免除, on the stored document and on the page', async () => {
    const it0 = await issue(a[0]!, 'influenza-elderly');
    expect(await documentOf(it0.itemId)).toMatchObject({ copayNote: '自己負担金　免除' });
    const { pdf } = await runAs(app.db, nurse, (w) => renderItemPdf(w, it0.itemId));
    const text = (await readText(pdf)).join('');
    expect(text).toContain('自己負担金 免除');
    expect(text).not.toContain('生活保護');
  });

  it('not for a resident who pays, nor for a program whose rule does not ask for it', async () => {
    const payer = await issue(a[1]!, 'influenza-elderly');
    expect(await documentOf(payer.itemId)).not.toHaveProperty('copayNote');
    const other = await issue(a[0]!, 'pneumococcal-elderly'); // exempt, but this program's rule prints no mark
    expect(await documentOf(other.itemId)).not.toHaveProperty('copayNote');
  });

  it('the mark sits in its own box and overlaps no other text on the page', async () => {
    const item = {
      person: { name: '長谷川　慎之介右衛門之丞', kana: 'ハセガワ　シンノスケウエモンノジョウ', birthDate: '1950-06-01', sex: 'female' as const, postalCode: '680-0011', address: '鳥取県鳥取市東町一丁目220番地' },
      program: { name: 'インフルエンザ（高齢者等）', dose: '今年度の1回', period: { from: '2026-11-21', until: '2027-01-31' } },
      voucherNumber: makeVoucherNumber({ orgCode: SAMPLE_MUNICIPALITY.code, fiscalYear: 2026, serial: 1 }),
      referenceNumber: 'ABCD-EFGH-JKLM',
      copayNote: '自己負担金　免除',
    };
    const pdf = await renderDocument('questionnaire', DEFAULT_TEMPLATES.questionnaire, item, { municipality: SAMPLE_MUNICIPALITY, issueDate: '2026-11-21' });
    const [page] = await readLayout(pdf);
    const mark = page!.texts.find((t) => t.str.includes('自己負担金'))!;
    expect(mark).toBeDefined();
    expect(mark.left).toBeGreaterThanOrEqual(COPAY_NOTE.x);
    expect(mark.right).toBeLessThanOrEqual(COPAY_NOTE.x + COPAY_NOTE.w);
    for (const t of page!.texts) if (t !== mark) expect(overlaps(mark, t), `overlaps 「${t.str}」`).toBe(false);
  });
});
