// The legacy VRS path for COVID-19 (XCH-20…22, VAX-39; decision 0140), end to end over real HTTP: 江戸川区
// asks, through the VRS node, 鳥取市 (the previous municipality) for a moved-in resident's COVID-19 records
// with the My Number; consent and ID check required and recorded; only that person's COVID-19 records come
// back; a number that matches nobody leaves nothing behind; VRS records every provision and gives a
// municipality its records; any purpose outside the three is refused; no My Number in any log or table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { messageLogOf } from '../../src/app/index.js';
import { runAs } from '../../src/kernel/context/index.js';
import { adoptCovidInquiry, askCovidHistory, covidProvisionRecords, getCovidInquiry } from '../../src/municipality/exchange/index.js';
import { personTimeline } from '../../src/municipality/records/index.js';
import { EDOGAWA, GOOD_PASSWORD, TOTTORI } from '../harness/app.js';
import { PageClient, visibleText } from '../harness/web.js';
import { runCli } from '../harness/cli.js';
import { mn } from '../harness/residents.js';
import { CHILD, ELDER, ELDER_DOSES, moveInWorld, type MoveInWorld } from '../harness/exchange.js';

let world: MoveInWorld;
let app: MoveInWorld['app'];
let orgs: MoveInWorld['orgs'];
let elder: string;
/** A valid My Number that nobody in either municipality holds. */
const NOBODY = mn(99);
const consent = { formNo: 'R8-転入-0042', idDocument: 'mynumber-card' };

beforeAll(async () => {
  world = await moveInWorld({ covid: true });
  ({ app, orgs } = world);
  elder = world.elderAtena!;
});

afterAll(async () => {
  await world?.close();
});

const count = async (q: ReturnType<typeof sql<{ n: number }>>) => Number((await q.execute(app.db.system)).rows[0]!.n);
const vrsProvisions = () => count(sql<{ n: number }>`SELECT count(*)::int AS n FROM peers_vrs.provisions`);
const vrsSent = async () => (await (await messageLogOf(app, 'municipality')).list({ limit: 100_000 })).rows.filter((r) => r.peer === 'vrs' && r.direction === 'out').length;

describe('VRS move-in inquiry (COVID-19, legacy)', () => {
  it('runs VRS as its own node', () => {
    const vrs = orgs.nodes.find((n) => n.name === 'vrs');
    expect(vrs).toMatchObject({ kind: 'vrs', title: 'ワクチン接種記録システム（VRS）' });
  });

  it('refuses without the consent form number or the ID document, naming the field, and sends nothing', async () => {
    const before = { sent: await vrsSent(), provisions: await vrsProvisions() };
    await expect(askCovidHistory(app, world.nurseEdogawa, orgs.municipal, elder, { consent: { idDocument: 'mynumber-card' } })).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ field: 'consent.formNo' })],
    });
    await expect(askCovidHistory(app, world.nurseEdogawa, orgs.municipal, elder, { consent: { formNo: ' ', idDocument: 'mynumber-card' } })).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ field: 'consent.formNo' })],
    });
    await expect(askCovidHistory(app, world.nurseEdogawa, orgs.municipal, elder, { consent: { formNo: 'A-1', idDocument: 'passport?' } })).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ field: 'consent.idDocument' })],
    });
    expect(await vrsSent()).toBe(before.sent);
    expect(await vrsProvisions()).toBe(before.provisions);
    expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.covid_inquiries`)).toBe(0);
  });

  it('refuses a user without the vaccination duty', async () => {
    await expect(askCovidHistory(app, world.clerkAddressee, orgs.municipal, elder, { consent })).rejects.toMatchObject({ status: 403 });
  });

  it('VAX-39: a purpose other than the three is refused by VRS, and the refusal is recorded', async () => {
    const body = { asker: EDOGAWA, provider: TOTTORI, myNumber: mn(ELDER), consent: { formNo: 'X-1', idDocument: 'other', checkedBy: 'nurse-e' } };
    const err = await orgs.municipal.node.call('vrs', 'covid.inquiry', { ...body, purpose: 'research' }, { personal: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 403, code: 'PURPOSE_NOT_ALLOWED' });
    expect((err as Error & { detail: string }).detail).toMatch(/転入者の接種記録照会.*転出者の接種記録提供.*接種証明書の交付/);
    // One of the three, but not this service's: still refused.
    const err2 = await orgs.municipal.node.call('vrs', 'covid.inquiry', { ...body, purpose: 'certificate' }, { personal: true }).catch((e: unknown) => e);
    expect(err2).toMatchObject({ status: 403, code: 'PURPOSE_NOT_ALLOWED' });
    // The provider refuses VRS too when the purpose is not the move-out provision (defence in depth),
    // and only VRS may call it.
    const err3 = await orgs.municipal.node.call('municipality', 'covid.provide', { exchangeId: 'x', provider: TOTTORI, asker: EDOGAWA, purpose: 'move-out-provision', myNumber: mn(ELDER) }, { personal: true }).catch((e: unknown) => e);
    expect(err3).toMatchObject({ status: 403, code: 'EXCHANGE_NOT_ALLOWED' });
    const refused = await sql<{ purpose: string; outcome: string; code: string }>`SELECT purpose, outcome, code FROM peers_vrs.provisions WHERE outcome = 'refused' ORDER BY seq`.execute(app.db.system);
    expect(refused.rows).toEqual([
      { purpose: 'research', outcome: 'refused', code: 'PURPOSE_NOT_ALLOWED' },
      { purpose: 'certificate', outcome: 'refused', code: 'PURPOSE_NOT_ALLOWED' },
    ]);
  });

  it('asks 鳥取市 through VRS: only that person\'s COVID-19 records come back, consent recorded, adoption works', async () => {
    const v = await askCovidHistory(app, world.nurseEdogawa, orgs.municipal, elder, { consent });
    expect(v).toMatchObject({ provider: TOTTORI, providerName: '鳥取市', status: 'provided', consentFormNo: consent.formNo, idDocument: 'mynumber-card', checkedBy: 'nurse-e' });
    const covid = ELDER_DOSES.filter((d) => d.program.startsWith('covid'));
    expect(v.records.map((r) => [r.program, r.dose, r.date, r.product])).toEqual(covid.map((d) => [d.program, d.dose, d.date, d.product]));
    expect(v.records.some((r) => r.program === 'influenza-elderly' || r.program === 'hib')).toBe(false);

    // Stored as received (never the My Number), read back through the screen's path.
    const again = await runAs(app.db, world.nurseEdogawa, (w) => getCovidInquiry(w, v.exchangeId));
    expect(again.records).toHaveLength(covid.length);

    const adopted = await runAs(app.db, world.nurseEdogawa, (w) => adoptCovidInquiry(w, v.exchangeId));
    expect(adopted).toMatchObject({ adopted: covid.length, skipped: 0 });
    const t = await runAs(app.db, world.nurseEdogawa, (w) => personTimeline(w, elder));
    const fromVrs = t.records.filter((r) => r.source === 'other-municipality');
    expect(fromVrs.map((r) => r.data.sourceRef)).toEqual(covid.map(() => v.exchangeId));
    await expect(runAs(app.db, world.nurseEdogawa, (w) => adoptCovidInquiry(w, v.exchangeId))).rejects.toMatchObject({ code: 'ALREADY_ADOPTED' });

    // The provider's operation log names the person it provided about, with the purpose; never the number.
    const provided = await sql<{ subject_ref: string; purpose: string; detail: unknown }>`
      SELECT subject_ref, purpose, detail FROM kernel.audit_log WHERE tenant_code = ${TOTTORI} AND action = 'exchange_provide'`.execute(app.db.system);
    expect(provided.rows).toHaveLength(1);
    expect(provided.rows[0]).toMatchObject({ subject_ref: `resident:${world.elderFormerAtena}`, purpose: '転出者の接種記録提供（VRS）' });
    // The asking side's log records the consent and the ID check with the inquiry.
    const asked = await sql<{ detail: Record<string, unknown> }>`
      SELECT detail FROM kernel.audit_log WHERE tenant_code = ${EDOGAWA} AND action = 'exchange_inquiry' AND target_type = 'covid-inquiry' AND outcome = 'success'`.execute(app.db.system);
    expect(asked.rows[0]!.detail).toMatchObject({ consentFormNo: consent.formNo, idDocument: 'mynumber-card', status: 'provided', records: covid.length });

    // The signed messages agree at both ends: municipality → vrs (covid.inquiry), vrs → municipality (covid.provide).
    const muni = (await (await messageLogOf(app, 'municipality')).list({ limit: 100_000 })).rows;
    const vrs = (await (await messageLogOf(app, 'vrs')).list({ limit: 100_000 })).rows;
    for (const [from, to, svc, a, b] of [['municipality', 'vrs', 'covid.inquiry', muni, vrs], ['vrs', 'municipality', 'covid.provide', vrs, muni]] as const) {
      const sent = a.filter((r) => r.direction === 'out' && r.peer === to && r.service === svc && r.outcome === 'ok');
      const got = b.filter((r) => r.direction === 'in' && r.peer === from && r.service === svc && r.outcome === 'ok');
      expect(sent.length).toBeGreaterThan(0);
      expect(new Set(sent.map((r) => r.digest))).toEqual(new Set(got.map((r) => r.digest)));
    }
  });

  it('a person with no COVID-19 record at the provider: status none, nothing to adopt', async () => {
    const v = await askCovidHistory(app, world.nurseEdogawa, orgs.municipal, world.movedAtena, { consent: { formNo: 'R8-転入-0043', idDocument: 'driving-licence' } });
    expect(v).toMatchObject({ status: 'none', records: [] });
    await expect(runAs(app.db, world.nurseEdogawa, (w) => adoptCovidInquiry(w, v.exchangeId))).rejects.toMatchObject({ code: 'NOTHING_TO_ADOPT' });
  });

  it('a My Number that matches nobody at the provider: none, and nothing is stored at the provider or VRS', async () => {
    const auditBefore = await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE tenant_code = ${TOTTORI} AND action = 'exchange_provide'`);
    const res = await orgs.municipal.node.call(
      'vrs',
      'covid.inquiry',
      { asker: EDOGAWA, provider: TOTTORI, purpose: 'move-in-inquiry', myNumber: NOBODY, consent: { formNo: 'R8-転入-0099', idDocument: 'other', checkedBy: 'nurse-e' } },
      { personal: true },
    );
    expect(res.body).toMatchObject({ status: 'none', count: 0, provider: TOTTORI, asker: EDOGAWA });
    expect(res.envelope.relayed).toHaveLength(1);
    const inner = await orgs.municipal.node.verifyRelayed(res.envelope.relayed![0]!, 'municipality');
    expect(inner.envelope.enc).toBeUndefined();
    expect(inner.body).toEqual({ exchangeId: (res.body as { exchangeId: string }).exchangeId, status: 'none', count: 0 });
    expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM kernel.audit_log WHERE tenant_code = ${TOTTORI} AND action = 'exchange_provide'`)).toBe(auditBefore);
    // The number is nowhere: not in VRS's schema, not in the municipality schema, not in the operation log.
    const tables = await sql<{ s: string; t: string }>`
      SELECT table_schema AS s, table_name AS t FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND table_schema IN ('peers_vrs', 'municipality', 'kernel')`.execute(app.db.system);
    expect(tables.rows.some((r) => r.s === 'peers_vrs' && r.t === 'provisions')).toBe(true);
    for (const { s, t } of tables.rows) {
      const r = await sql<{ txt: string }>`SELECT string_agg(x::text, ' ') AS txt FROM ${sql.table(`${s}.${t}`)} x`.execute(app.db.system);
      expect(r.rows[0]?.txt ?? '', `${s}.${t}`).not.toContain(NOBODY);
    }
  });

  it('XCH-22: VRS records every provision and gives each municipality its records', async () => {
    const rows = await sql<{ asker: string; provider: string; purpose: string; outcome: string; record_count: number }>`
      SELECT asker, provider, purpose, outcome, record_count FROM peers_vrs.provisions WHERE outcome IN ('provided', 'none') ORDER BY seq`.execute(app.db.system);
    expect(rows.rows).toEqual([
      { asker: EDOGAWA, provider: TOTTORI, purpose: 'move-in-inquiry', outcome: 'provided', record_count: 4 },
      { asker: EDOGAWA, provider: TOTTORI, purpose: 'move-in-inquiry', outcome: 'none', record_count: 0 },
      { asker: EDOGAWA, provider: TOTTORI, purpose: 'move-in-inquiry', outcome: 'none', record_count: 0 },
    ]);
    const forTottori = await covidProvisionRecords(orgs.municipal, TOTTORI);
    const forEdogawa = await covidProvisionRecords(orgs.municipal, EDOGAWA);
    expect(forTottori.filter((r) => r['outcome'] === 'provided')).toEqual([
      expect.objectContaining({ asker: EDOGAWA, provider: TOTTORI, purpose: 'move-in-inquiry', purposeName: '転入者の接種記録照会', count: 4, consentFormNo: consent.formNo, idDocument: 'mynumber-card', checkedBy: 'nurse-e' }),
    ]);
    expect(forEdogawa.length).toBe(forTottori.length);
    // A municipality that took no part sees nothing.
    expect(await covidProvisionRecords(orgs.municipal, '041009')).toEqual([]);
  });

  it('no My Number in any message log, VRS table or inquiry table', async () => {
    const numbers = [mn(CHILD), mn(CHILD + 1), mn(ELDER), NOBODY];
    const tables = await sql<{ s: string; t: string }>`
      SELECT table_schema AS s, table_name AS t FROM information_schema.tables
      WHERE table_type = 'BASE TABLE' AND (table_schema = 'peers_vrs' OR table_name IN ('exchange_messages', 'covid_inquiries', 'audit_log'))`.execute(app.db.system);
    expect(tables.rows.length).toBeGreaterThan(5);
    for (const { s, t } of tables.rows) {
      const r = await sql<{ txt: string }>`SELECT string_agg(x::text, ' ') AS txt FROM ${sql.table(`${s}.${t}`)} x`.execute(app.db.system);
      for (const n of numbers) expect(r.rows[0]?.txt ?? '', `${s}.${t}`).not.toContain(n);
    }
  });

  it('the staff screen: consent form and ID document required, the answer listed in Japanese, adoption', async () => {
    const c = new PageClient(world.webUrl);
    await c.login(EDOGAWA, 'nurse-e', GOOD_PASSWORD);
    const form = await c.get(`/residents/${elder}/exchange`);
    expect(form.status).toBe(200);
    expect(visibleText(form.text)).toContain('新型コロナワクチンの接種記録の照会（VRS・旧制度）');
    expect(form.text).toContain('name="consentFormNo"');
    const refused = await c.post(`/residents/${elder}/exchange/covid-inquire`, { _csrf: PageClient.csrf(form.text), consentFormNo: '', idDocument: 'driving-licence' });
    expect(refused.status).toBe(400);
    expect(visibleText(refused.text)).toMatch(/同意書の番号/);
    const sent = await c.post(`/residents/${elder}/exchange/covid-inquire`, { _csrf: PageClient.csrf(refused.text), consentFormNo: 'R8-転入-0050', idDocument: 'driving-licence' });
    expect(sent.status, sent.text.slice(0, 500)).toBe(302);
    expect(sent.location).toMatch(/^\/exchange\/covid-inquiries\/[0-9a-f-]{36}$/);
    const result = await c.get(sent.location!);
    expect(result.status).toBe(200);
    const text = visibleText(result.text);
    expect(text).toContain('コミナティ筋注');
    expect(text).toContain('運転免許証');
    expect(text).toContain('R8-転入-0050');
    expect(text).not.toMatch(/covid19|driving-licence|move-in-inquiry/);
    expect(result.text).not.toContain(mn(ELDER));
    const adopt = await c.post(`${sent.location}/adopt`, { _csrf: PageClient.csrf(result.text), pick: ['0', '1'] });
    expect(adopt.status).toBe(302);
    const after = await c.get(`/residents/${elder}/exchange`);
    expect(visibleText(after.text)).toContain('R8-転入-0050');
  });

  it('the CLI: covid-inquire prints the answer; bad input exits 2 and a refusal exits 3', async () => {
    const env = { DATABASE_URL: app.databaseUrl!, MAMORI_DATA: app.config.dataDir, MAMORI_AUDIT_WITNESS: app.config.auditWitness };
    const base = ['exchange', 'covid-inquire', '--tenant', EDOGAWA, '--atena', elder];
    const ok = await runCli([...base, '--consent-form', 'R8-転入-0060', '--id-document', 'mynumber-card', '--json'], { env });
    expect(ok.code, ok.stderr).toBe(0);
    const out = JSON.parse(ok.stdout) as { provider: string; status: string; via: string; consentFormNo: string; records: { program: string }[] };
    expect(out).toMatchObject({ provider: TOTTORI, status: 'provided', via: 'vrs', consentFormNo: 'R8-転入-0060' });
    expect(out.records.map((r) => r.program).every((p) => p.startsWith('covid'))).toBe(true);
    expect(out.records).toHaveLength(4);
    expect(ok.stdout + ok.stderr).not.toContain(mn(ELDER));

    const noDoc = await runCli([...base, '--consent-form', 'R8-転入-0061', '--id-document', 'passport'], { env });
    expect(noDoc.code).toBe(2);
    expect(noDoc.stderr).toMatch(/ID_DOCUMENT_REQUIRED/);
    const noForm = await runCli([...base, '--id-document', 'other'], { env });
    expect(noForm.code).toBe(2);

    const refused = await runCli([...base, '--consent-form', 'R8-転入-0062', '--id-document', 'other', '--provider', '999999', '--json'], { env });
    expect(refused.code, refused.stderr).toBe(3);
    expect(JSON.parse(refused.stdout)).toMatchObject({ code: 'PROVIDER_UNKNOWN' });

    // XCH-22 from the command line: the provision just made is in the municipality's VRS record.
    const rec = await runCli(['exchange', 'covid-records', '--tenant', TOTTORI, '--json'], { env });
    expect(rec.code, rec.stderr).toBe(0);
    const recs = JSON.parse(rec.stdout) as { tenant: string; total: number; records: { consentFormNo: string; outcome: string; count: number }[] };
    expect(recs.tenant).toBe(TOTTORI);
    expect(recs.records).toContainEqual(expect.objectContaining({ consentFormNo: 'R8-転入-0060', outcome: 'provided', count: 4 }));
    expect(rec.stdout).not.toContain(mn(ELDER));
  });

  it('VRS runs as its own role: it cannot read the municipality, and the municipality cannot read VRS', async () => {
    const vrsDb = await app.db.forRole('mamori_vrs');
    await expect(sql`SELECT count(*) FROM municipality.vaccination_records`.execute(vrsDb)).rejects.toThrow(/permission denied/);
    await expect(sql`SELECT count(*) FROM kernel.mynumber_vault`.execute(vrsDb)).rejects.toThrow(/permission denied/);
    await expect(sql`SELECT count(*) FROM peers_vrs.provisions`.execute(app.db.app)).rejects.toThrow(/permission denied/);
    // The record of provisions is append-only for the node itself.
    await expect(sql`DELETE FROM peers_vrs.provisions`.execute(vrsDb)).rejects.toThrow(/permission denied/);
  });

  it('VRS down: the inquiry fails clearly, nothing is stored as an answer, the failure is logged with the consent', async () => {
    const before = await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.covid_inquiries`);
    expect(await orgs.stop('vrs')).toBe(true);
    const err = await askCovidHistory(app, world.nurseEdogawa, orgs.municipal, elder, { consent: { formNo: 'R8-転入-0070', idDocument: 'other' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: 'EXCHANGE_UNREACHABLE' });
    expect(await count(sql<{ n: number }>`SELECT count(*)::int AS n FROM municipality.covid_inquiries`)).toBe(before);
    const failed = await sql<{ detail: Record<string, unknown> }>`
      SELECT detail FROM kernel.audit_log WHERE tenant_code = ${EDOGAWA} AND action = 'exchange_inquiry' AND target_type = 'covid-inquiry' AND outcome = 'failure'`.execute(app.db.system);
    expect(failed.rows.map((r) => r.detail)).toContainEqual(expect.objectContaining({ consentFormNo: 'R8-転入-0070', code: 'EXCHANGE_UNREACHABLE' }));
  });
});
