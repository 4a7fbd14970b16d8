// The printing contractor's package (VAX-14, KRN-48, KRN-50): an AES-256 ZIP that opens with the password to
// exactly the documented CSV, the PDF of the mailed documents and a README; no My Number, no person under
// 支援措置; the hand-over ledger line (who, when, what, how many, recipient, checksum) and the export entries;
// receipt and erasure confirmed; refused to viewers and contractor accounts.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import iconv from 'iconv-lite';
import { Uint8ArrayReader, Uint8ArrayWriter, ZipReader, configure } from '@zip.js/zip.js';
import { runAs, type Principal } from '../../../src/kernel/context/index.js';
import { isValidMyNumber } from '../../../src/kernel/mynumber/index.js';
import { startExtraction } from '../../../src/municipality/extraction/index.js';
import {
  CONTRACTOR_COLUMNS,
  batchItems,
  closeHandover,
  confirmReceipt,
  createBatchFromRun,
  contractorCsvLine,
  encodeCsv,
  generatePackagePassword,
  getHandover,
  listHandovers,
  saveNoticeSettings,
  writeContractorPackage,
  type HandoverInput,
} from '../../../src/municipality/notices/index.js';
import { addTenant, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../../harness/app.js';
import { expectProblem } from '../../harness/expect.js';
import { mn } from '../../harness/residents.js';
import { norm, readText } from '../documents/read-pdf.js';
import { buildTown, SETTINGS, TOWN, type Town } from './fixtures.js';

configure({ useWebWorkers: false });
const dir = mkdtempSync(join(tmpdir(), 'mamori-contractor-'));
const PASSWORD = 'Tottori-Print-2026!';

async function packageOf(app: TestApp, who: Principal, batchId: string, input: HandoverInput): Promise<{ bytes: Buffer; fileName: string; handoverId: string }> {
  const parts: Uint8Array[] = [];
  const r = await writeContractorPackage(app.db, who, batchId, input, { write: (c) => void parts.push(c) });
  return { bytes: Buffer.concat(parts), fileName: r.fileName, handoverId: r.handover.id };
}

async function open(bytes: Buffer, password: string): Promise<Map<string, Uint8Array>> {
  const zr = new ZipReader(new Uint8ArrayReader(bytes), { password });
  const out = new Map<string, Uint8Array>();
  for (const e of await zr.getEntries()) {
    expect(e.encrypted).toBe(true);
    if (e.directory) continue;
    out.set(e.filename, await e.getData(new Uint8ArrayWriter()));
  }
  await zr.close();
  return out;
}

/** Every 12-digit run in a text that is a valid My Number. */
function myNumbersIn(text: string): string[] {
  return [...text.normalize('NFKC').matchAll(/(?<!\d)\d{12}(?!\d)/g)].map((m) => m[0]).filter(isValidMyNumber);
}

describe('printing contractor package', () => {
  let app: TestApp;
  let clerk: Principal;
  let viewer: Principal;
  let contractor: Principal;
  let town: Town;
  let batchId: string;
  const input = (over: Partial<HandoverInput> = {}): HandoverInput => ({
    recipient: '株式会社サンプル印刷',
    recipientPerson: '受取　担当',
    medium: '暗号化ファイルのダウンロード（LGWAN 経由で授受）',
    passwordDelivery: '別途電話で伝達',
    useUntil: '2026-12-31',
    returnMethod: 'データ消去証明書の提出',
    password: PASSWORD,
    ...over,
  });

  beforeAll(async () => {
    app = await testApp('server');
    await addTenant(app, TOTTORI, '鳥取市');
    clerk = (await staff(app, TOTTORI, { login: 'clerk', role: 'clerk', duties: ['vaccination'] })).principal;
    viewer = (await staff(app, TOTTORI, { login: 'viewer', role: 'viewer', duties: ['vaccination'] })).principal;
    contractor = (await staff(app, TOTTORI, { login: 'itaku', role: 'clerk', duties: ['vaccination'], kind: 'contractor' })).principal;
    town = await buildTown(app, operatorOf(TOTTORI), dir);
    await runAs(app.db, clerk, (w) => saveNoticeSettings(w, SETTINGS));
    const runId = (await startExtraction(app.db, clerk, { kind: 'targets', programs: ['hib'], asOf: '2026-11-21' })).run.id;
    batchId = (await runAs(app.db, clerk, (w) => createBatchFromRun(w, { keys: app.tenantKeys }, { runId, docType: 'questionnaire' }))).batchId;
  });
  afterAll(async () => {
    await app.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('decrypts with the password to the documented CSV, the PDF in the same order and a README; no My Number, no protected person', async () => {
    const { bytes, fileName, handoverId } = await packageOf(app, clerk, batchId, input());
    expect(fileName).toMatch(/^mamori-312011-questionnaire-20261121-[0-9a-f]{8}\.zip$/);
    // Encrypted: nothing readable in the file itself.
    expect(bytes.includes(Buffer.from('鳥取県'))).toBe(false);
    expect(bytes.includes(Buffer.from('栄町'))).toBe(false);
    await expect(open(bytes, 'wrong-password-1A')).rejects.toThrow();
    const files = await open(bytes, PASSWORD);
    const names = [...files.keys()];
    expect(names).toEqual([fileName.replace('.zip', '.csv'), fileName.replace('.zip', '.pdf'), 'README.txt']);

    const csv = Buffer.from(files.get(names[0]!)!).toString('utf8');
    expect(csv.startsWith('\uFEFF')).toBe(true);
    const rows = csv.slice(1).trimEnd().split('\r\n').map((l) => l.split(','));
    expect(rows[0]).toEqual([...CONTRACTOR_COLUMNS]);
    const items = (await runAs(app.db, clerk, (w) => batchItems(w, batchId))).filter((i) => i.mail);
    expect(rows.slice(1)).toEqual(
      items.map((it, i) => [
        String(i + 1), '予防接種予診票（接種券）', it.voucherNo!, it.referenceNo, it.document.mailTo!.postalCode, it.document.mailTo!.address, it.document.mailTo!.addressLine2 ?? '',
        it.document.mailTo!.name, '様', 'Hib感染症', '1回目', 'hib', String(i + 1), '1',
      ]),
    );
    expect(rows.slice(1).map((r) => r[4])).toEqual(['680-0001', '680-0011', '689-1101']); // 郵便番号順

    const pdfText = (await readText(files.get(names[1]!)!)).join('\n');
    expect((await readText(files.get(names[1]!)!)).length).toBe(3);
    const readme = Buffer.from(files.get('README.txt')!).toString('utf8');
    expect(readme).toContain('3件');
    expect(readme).toContain(createHash('sha256').update(files.get(names[1]!)!).digest('hex'));

    // Never a My Number (the town's synthetic numbers, or any valid one), never the 支援措置 person.
    const everything = `${csv}\n${pdfText}\n${readme}`;
    for (let i = 1; i <= 5; i++) expect(everything).not.toContain(mn(i));
    expect(myNumbersIn(everything)).toEqual([]);
    expect(everything).not.toContain(norm(TOWN.B['氏名']!));
    expect(csv).not.toContain(TOWN.B['氏名']!);
    expect(csv).not.toContain(town.B);

    // The ledger line: who, when, what, how many, to whom, the package checksum; export entries per person.
    const h = await runAs(app.db, clerk, (w) => getHandover(w, handoverId));
    expect(h).toMatchObject({ status: 'delivered', handedBy: 'clerk', recipient: '株式会社サンプル印刷', persons: 3, pages: 3, useUntil: '2026-12-31', packageBytes: bytes.length, packageSha256: createHash('sha256').update(bytes).digest('hex') });
    expect(JSON.stringify(h)).not.toContain(PASSWORD);
    const ex = await app.db.system.selectFrom('kernel.audit_log').select(['subject_ref', 'actor_login']).where('action', '=', 'export').where('target_type', '=', 'notice-item').execute();
    expect(ex.map((e) => e.subject_ref).sort()).toEqual([town.A, town.C, town.D].map((a) => `resident:${a}`).sort());
    // Nothing in the log holds the password.
    const log = await app.db.system.selectFrom('kernel.audit_log').select('detail').execute();
    expect(JSON.stringify(log)).not.toContain(PASSWORD);
  });

  // The contractor opens the package with a common tool: 7-Zip (Debian p7zip-full), when installed here.
  it.skipIf(!['/usr/bin/7z', '/usr/bin/7zz'].some((p) => existsSync(p)))('7-Zip opens it with the password to the same files', async () => {
    const { bytes, fileName } = await packageOf(app, clerk, batchId, input());
    const out = mkdtempSync(join(dir, '7z-'));
    writeFileSync(join(out, fileName), bytes);
    const exe = existsSync('/usr/bin/7z') ? '/usr/bin/7z' : '/usr/bin/7zz';
    expect(() => execFileSync(exe, ['t', `-pwrong-password`, join(out, fileName)], { stdio: 'pipe' })).toThrow();
    execFileSync(exe, ['x', `-p${PASSWORD}`, `-o${join(out, 'x')}`, join(out, fileName)], { stdio: 'pipe' });
    const files = await open(bytes, PASSWORD);
    for (const [name, data] of files) expect(readFileSync(join(out, 'x', name)).equals(Buffer.from(data))).toBe(true);
  });

  it('Shift_JIS on request: a character CP932 cannot hold becomes 〓 and is counted', async () => {
    const count = { replaced: 0 };
    const b = encodeCsv('𠮷田,髙橋\r\n', 'sjis', count);
    expect(iconv.decode(Buffer.from(b), 'cp932')).toBe('〓田,髙橋\r\n');
    expect(count.replaced).toBe(1);
    const { bytes } = await packageOf(app, clerk, batchId, input({ encoding: 'sjis' }));
    const files = await open(bytes, PASSWORD);
    const csv = iconv.decode(Buffer.from([...files.values()][0]!), 'cp932');
    expect(csv.split('\r\n')[0]).toBe(CONTRACTOR_COLUMNS.join(','));
    expect(csv).toContain('山﨑　健');
  });

  it('a name or address a spreadsheet would run as a formula is written as text, in Shift_JIS too (decision 0121)', () => {
    const line = contractorCsvLine({ no: 1, docLabel: '予診票', voucherNo: '0000000001', referenceNo: 'R-1', postalCode: '680-0000', address: '\t=1+1', addressLine2: '\u3000@SUM(A1)', name: '＝HYPERLINK("http://example.invalid")', programName: '＋cmd', doseLabel: '1回目', programCode: 'X', firstPage: 1, pages: 2 });
    const back = iconv.decode(Buffer.from(encodeCsv(line, 'sjis')), 'cp932');
    expect(back).toBe(`1,予診票,0000000001,R-1,680-0000,'\t=1+1,'\u3000@SUM(A1),"'＝HYPERLINK(""http://example.invalid"")",様,'＋cmd,1回目,X,1,2\r\n`);
  });

  it('receipt and return/erasure are recorded on the ledger line', async () => {
    const [h] = await runAs(app.db, clerk, (w) => listHandovers(w));
    await expectProblem(runAs(app.db, clerk, (w) => closeHandover(w, h!.id, { date: '2026-11-21', how: 'erased', note: '' })), { status: 400, field: 'note' });
    await runAs(app.db, clerk, (w) => confirmReceipt(w, h!.id, { date: '2026-11-21', by: '受取　担当' }));
    await expectProblem(runAs(app.db, clerk, (w) => confirmReceipt(w, h!.id, { date: '2026-11-21', by: '受取　担当' })), { status: 409 });
    await runAs(app.db, clerk, (w) => closeHandover(w, h!.id, { date: '2026-11-21', how: 'erased', note: '消去証明書 第123号' }));
    expect(await runAs(app.db, clerk, (w) => getHandover(w, h!.id))).toMatchObject({ status: 'closed', receivedBy: '受取　担当', closedHow: 'erased', closedNote: '消去証明書 第123号' });
  });

  it('weak passwords, viewers and contractor accounts are refused; refusals are logged', async () => {
    await expectProblem(packageOf(app, clerk, batchId, input({ password: 'password1234' })), { status: 400, field: 'password' });
    await expectProblem(packageOf(app, clerk, batchId, input({ password: 'Short1!' })), { status: 400, field: 'password' });
    await expectProblem(packageOf(app, viewer, batchId, input()), { status: 403 });
    await expectProblem(packageOf(app, contractor, batchId, input()), { status: 403 });
    const denied = await app.db.system.selectFrom('kernel.audit_log').select(['actor_login']).where('action', '=', 'access_denied').execute();
    expect(denied.map((d) => d.actor_login)).toEqual(expect.arrayContaining(['viewer', 'itaku']));
    const p = generatePackagePassword();
    expect(p).toMatch(/^[\x21-\x7e]{16}$/);
    await expect(packageOf(app, clerk, batchId, input({ password: p }))).resolves.toBeDefined();
  });
});
