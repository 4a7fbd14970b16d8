// Certificate screens on the real web server (issue 5 point 4): a clerk receives an application on the
// resident's 証明書の交付 page, previews the doses, issues, downloads the PDF and the .smart-health-card
// file; the card verifies with the JWKS served by the running server, and the public verify page (no
// login, no CSRF token, under the server's CSP) accepts its QR text.  The register and its CSV; a viewer
// cannot issue.  No My Number and no 旅券番号 on any page.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAs } from '../../src/kernel/context/index.js';
import { importResidents } from '../../src/municipality/residents/index.js';
import { createRecord } from '../../src/municipality/records/index.js';
import { jwksResolver, qrChunks, verifyHealthCard } from '../../src/municipality/certificates/index.js';
import { addTenant, GOOD_PASSWORD, operatorOf, staff, testApp, TOTTORI, type TestApp } from '../harness/app.js';
import { startWeb, PageClient, type TestWeb } from '../harness/web.js';
import { mn, person, writeCsv } from '../harness/residents.js';

const PUBLIC = 'https://mamori.test';

describe('certificate screens and the public verify page', () => {
  let app: TestApp;
  let web: TestWeb;
  let atena: string;
  const dir = mkdtempSync(join(tmpdir(), 'mamori-certpages-'));

  beforeAll(async () => {
    app = await testApp('server');
    Object.assign(app, { config: { ...app.config, publicUrl: PUBLIC } });
    await addTenant(app, TOTTORI, '鳥取市');
    const clerk = await staff(app, TOTTORI, { login: 'cert-web', role: 'clerk', duties: ['vaccination'] });
    await staff(app, TOTTORI, { login: 'cert-look', role: 'viewer', duties: ['vaccination'] });
    await importResidents(app, operatorOf(TOTTORI), { file: writeCsv(join(dir, 'r.csv'), 'full', [person(7, { 氏名: '見本　太郎', 氏名カナ: 'ミホン　タロウ', 生年月日: '19850401', 性別: '1' })]) });
    atena = (await app.db.system.selectFrom('municipality.persons').select('atena_no').executeTakeFirstOrThrow()).atena_no;
    await runAs(app.db, clerk.principal, async (w) => {
      for (const [date, lot] of [['2021-06-01', 'FF0001'], ['2021-06-22', 'FF0002']] as const) {
        await createRecord(w, atena, { product: 'covid19', category: '特措法', vaccinatedOn: date, vaccineName: 'コミナティ筋注', manufacturer: 'ファイザー株式会社', lot }, { source: 'counter', acceptProblems: true });
      }
    });
    web = await startWeb(app);
  });
  afterAll(async () => {
    await web.close();
    await app.cleanup();
  });

  it('receive → preview → issue → download; the card verifies with the served JWKS and on the public verify page', async () => {
    const c = new PageClient(web.url);
    await c.login(TOTTORI, 'cert-web', GOOD_PASSWORD);
    expect((await c.get(`/residents/${atena}`)).text).toContain(`href="/residents/${atena}/certificates"`);
    const form = await c.get(`/residents/${atena}/certificates`);
    expect(form.status).toBe(200);
    expect(form.text).toContain('証明書の交付申請の受付');

    // Errors name the fields; the 旅券番号 typed in is not echoed back.
    const bad = await c.post(`/residents/${atena}/certificates`, { _csrf: PageClient.csrf(form.text), kind: 'covid19-overseas', channel: 'counter', applicant: 'self', identityDocument: 'passport', reason: '留学・海外渡航', nationality: 'JPN', passportNumber: 'TZ1234567' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('入力内容を確認してください');
    expect(bad.text).toContain('ローマ字');
    expect(bad.text).not.toContain('TZ1234567');

    const ok = await c.post(`/residents/${atena}/certificates`, { _csrf: PageClient.csrf(form.text), kind: 'covid19-domestic', channel: 'counter', receivedOn: '2026-11-20', applicant: 'self', identityDocument: 'mynumber-card', reason: '医療機関・施設への提出' });
    expect(ok.status).toBe(302);
    const appPath = ok.location!;
    expect(appPath).toMatch(/^\/certificates\/applications\/[0-9a-f-]{36}$/);
    const preview = await c.get(appPath);
    for (const s of ['記載する接種記録', '見本　太郎', 'FF0001', 'FF0002', 'CVX 208', '交付する']) expect(preview.text, s).toContain(s);

    const issued = await c.post(`${appPath}/issue`, { _csrf: PageClient.csrf(preview.text) });
    expect(issued.status).toBe(302);
    const certPage = await c.get(issued.location!);
    const number = /証明書番号<\/dt><dd>([0-9-]{21})</.exec(certPage.text)?.[1];
    expect(number).toMatch(/^312011-\d{2}-3-\d{7}-\d$/);
    expect(certPage.text).toContain('SMART Health Card');
    const id = issued.location!.split('/').at(-1)!;

    const pdf = await c.get(`/certificates/${id}/certificate.pdf`);
    expect(pdf.res.headers.get('content-type')).toBe('application/pdf');
    expect(pdf.res.headers.get('content-disposition')).toBe(`attachment; filename="certificate-${number!.replace(/-/g, '')}.pdf"`);
    expect(pdf.text.startsWith('%PDF-')).toBe(true);
    const file = await c.get(`/certificates/${id}/card.smart-health-card`);
    expect(file.res.headers.get('content-type')).toMatch(/^application\/smart-health-card/);
    const qrPng = await c.get(`/certificates/${id}/qr/1`);
    expect(qrPng.res.headers.get('content-type')).toBe('image/png');

    // The issuer's keys as the running server publishes them (no login, CORS *).
    const jwksRes = await fetch(`${web.url}/issuers/${TOTTORI}/.well-known/jwks.json`);
    expect(jwksRes.status).toBe(200);
    expect(jwksRes.headers.get('access-control-allow-origin')).toBe('*');
    const jwks = (await jwksRes.json()) as { keys: { kid: string }[] };
    const v = await verifyHealthCard(file.text, { resolver: jwksResolver(jwks, { iss: `${PUBLIC}/issuers/${TOTTORI}`, label: 'served' }), now: app.config.clock.now() });
    expect(v.valid).toBe(true);
    if (!v.valid) return;
    expect(v.card).toMatchObject({ iss: `${PUBLIC}/issuers/${TOTTORI}`, key: { kind: 'jwks', label: 'served' }, person: { name: '見本 太郎', birthDate: '1985-04-01' } });
    expect(jwks.keys.map((k) => k.kid)).toContain(v.card.kid);

    // The public verify page: a fresh client without a session, no CSRF token, the server's CSP.
    const qrText = qrChunks((JSON.parse(file.text) as { verifiableCredential: string[] }).verifiableCredential[0]!)[0]!.text;
    const pub = await fetch(`${web.url}/verify`);
    expect(pub.status).toBe(200);
    expect(pub.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await pub.text()).toContain('接種証明書の検証');
    const post = await fetch(`${web.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ qr: qrText }).toString() });
    const page = await post.text();
    expect(post.status).toBe(200);
    expect(page).toContain('この証明書は有効です');
    expect(page).toContain('鳥取市');
    expect(page).toContain('見本 太郎');
    const tampered = qrText.slice(0, -4) + (qrText.endsWith('0000') ? '1111' : '0000');
    const bad2 = await (await fetch(`${web.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ qr: tampered }).toString() })).text();
    expect(bad2).toContain('この証明書は確認できませんでした');

    // The register and its CSV.
    const reg = await c.get('/certificates?kind=covid19-domestic');
    expect(reg.text).toContain(number!);
    expect(reg.text).toContain('CSV で出力');
    const csv = await c.get('/certificates/register.csv?kind=covid19-domestic');
    expect(csv.res.headers.get('content-type')).toContain('text/csv');
    expect(csv.text).toContain(number!);
    const badFilter = await c.get('/certificates?number=123');
    expect(badFilter.status).toBe(400); // decision 0133: the form shows the error, with 400
    expect(badFilter.text).toContain('証明書番号は17桁です');

    for (const t of [form.text, preview.text, certPage.text, reg.text, csv.text, page]) expect(t).not.toContain(mn(7));

    // The verify form is rate-limited per address (30 a minute) by the kernel's limiter.
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await fetch(`${web.url}/verify`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'qr=shc%3A%2F00' })).status);
    expect(statuses).toContain(429);
  });

  it('a viewer sees the application but gets no issue button, and a direct issue is refused', async () => {
    const clerk = new PageClient(web.url);
    await clerk.login(TOTTORI, 'cert-web', GOOD_PASSWORD);
    const form = await clerk.get(`/residents/${atena}/certificates`);
    const ok = await clerk.post(`/residents/${atena}/certificates`, { _csrf: PageClient.csrf(form.text), kind: 'history', channel: 'mail', applicant: 'self', identityDocument: 'mailed-copy', reason: '記録の確認' });
    expect(ok.status).toBe(302);
    const v = new PageClient(web.url);
    await v.login(TOTTORI, 'cert-look', GOOD_PASSWORD);
    const seen = await v.get(ok.location!);
    expect(seen.status).toBe(200);
    expect(seen.text).toContain('記載する接種記録');
    expect(seen.text).not.toContain('交付する</button>');
    const refused = await v.post(`${ok.location!}/issue`, { _csrf: PageClient.csrf(seen.text) });
    expect(refused.status).toBe(403);
    expect((await v.get(`/residents/${atena}/certificates`)).text).not.toContain('証明書の交付申請の受付');
  });
});
