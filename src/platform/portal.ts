// The platform's side of マイナポータル (PMH-09…12, PMH-25): services only the `mynaportal` node may call,
// always with PMH仮名識別子 — never a My Number in or out.  The platform stores PMH仮名識別子 ↔ PMH key at first
// use (portal.link), resolves the pseudonym on every request, and lets an actor see only themself and the
// people they represent by an agency recorded with consent; anything else is the same 404 as an unknown id.
// Every read is written to the handling log, which the resident sees in "who used my data".
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { z } from 'zod';
import { formatWareki } from '../kernel/jp/index.js';
import { Problem, notFound, parseInput, validationFailed, type FieldError } from '../kernel/problems/index.js';
import type { Incoming, ServiceDef } from '../kernel/exchange/index.js';
import { ACTION_LABELS } from './admin.js';
import { SEX_LABELS, type BasicFiveInfo, type QuestionnaireItem, type Template } from './model.js';
import type { PlatformDeps } from './registration.js';
import { withTenant, type Tx } from './store.js';
import { getTenant } from './tenants.js';

export const MYNAPORTAL_NODE = 'mynaportal';

const pseudonym = z.string().regex(/^PP[A-Z2-7]{26}$/, { message: 'PMH仮名識別子の形式が正しくありません' });
const pmhKey = z.string().regex(/^PK[A-Z2-7]{20}$/, { message: 'PMHキーの形式が正しくありません' });

interface SubjectTarget {
  readonly tenant: string;
  readonly tenantName: string;
  readonly tenantNode: string;
  readonly targetId: string;
  readonly identityKey: string;
  readonly info: BasicFiveInfo;
}

export function portalServices(deps: PlatformDeps, opts: { portalNode?: string } = {}): Record<string, ServiceDef> {
  const portal = opts.portalNode ?? MYNAPORTAL_NODE;
  const { db, clock, secrets } = deps;
  const fromPortal = (s: string) => s === portal;

  /** The PMH key of `subject` if `actor` may see them (self, or an agency recorded with consent); 404 otherwise. */
  async function subjectKey(actorRaw: unknown, subjectRaw: unknown): Promise<{ key: string | null; relation: 'self' | 'agent' }> {
    const actor = pseudonym.safeParse(actorRaw);
    const subject = pseudonym.safeParse(subjectRaw ?? actorRaw);
    if (!actor.success || !subject.success) throw notFound('利用者');
    const r = await sql<{ pmh_key: string | null }>`
      SELECT p.pmh_key FROM platform.pseudonyms p
      WHERE p.pmh_pseudonym = ${subject.data}
        AND (${subject.data} = ${actor.data} OR EXISTS (SELECT 1 FROM platform.agencies a WHERE a.agent = ${actor.data} AND a.principal = ${subject.data} AND a.ended_at IS NULL))
        AND EXISTS (SELECT 1 FROM platform.pseudonyms q WHERE q.pmh_pseudonym = ${actor.data})`.execute(db);
    const row = r.rows[0];
    if (!row) throw notFound('利用者');
    return { key: row.pmh_key, relation: subject.data === actor.data ? 'self' : 'agent' };
  }

  /** The targets registered under a PMH key, in every tenant, that the person may be shown (not 不開示/閲覧停止). */
  async function targetsOf(key: string | null): Promise<SubjectTarget[]> {
    if (!key) return [];
    const kt = await sql<{ tenant_code: string }>`SELECT DISTINCT tenant_code FROM platform.key_tenants WHERE pmh_key = ${key} ORDER BY tenant_code`.execute(db);
    const out: SubjectTarget[] = [];
    for (const { tenant_code } of kt.rows) {
      const t = await getTenant(db, tenant_code);
      if (!t || t.status !== 'active') continue;
      const rows = await withTenant(db, tenant_code, async (tx) =>
        (await sql<{ target_id: string; identity_key: string; sealed: Buffer }>`
          SELECT target_id, identity_key, sealed FROM platform.targets WHERE pmh_key = ${key} AND NOT deleted AND NOT not_disclosed AND NOT viewing_suspended ORDER BY updated_at DESC`.execute(tx)).rows,
      );
      for (const r of rows) {
        const sealed = secrets.open<{ basicFiveInfo: BasicFiveInfo }>('target', tenant_code, r.target_id, Buffer.from(r.sealed));
        out.push({ tenant: tenant_code, tenantName: t.name, tenantNode: t.node, targetId: r.target_id, identityKey: r.identity_key, info: sealed.basicFiveInfo });
      }
    }
    return out;
  }

  async function log(targets: readonly SubjectTarget[], action: string, relation: 'self' | 'agent'): Promise<void> {
    const now = clock.now();
    const purpose = relation === 'self' ? '本人による閲覧・入力（マイナポータル）' : '代理人による閲覧・入力（マイナポータル）';
    for (const t of targets) {
      await withTenant(db, t.tenant, (tx) =>
        sql`INSERT INTO platform.handling_log (tenant_code, at, actor_kind, actor, action, target_id, purpose) VALUES (${t.tenant}, ${now}, 'portal', ${portal}, ${action}, ${t.targetId}, ${purpose})`.execute(tx),
      );
    }
  }

  const body = (msg: Incoming) => (msg.body ?? {}) as Record<string, unknown>;

  return {
    'portal.link': {
      title: 'PMH仮名識別子の登録（マイナポータル）',
      from: fromPortal,
      async handle(msg) {
        // PMH-09 (4): stored at first use.  Without a PMH key (nobody's target yet, e.g. a parent who acts
        // only as 代理人) the pseudonym is kept alone, and the key is added when マイナポータル brings one.
        const b = parseInput(z.object({ pmhPseudonym: pseudonym, pmhKey: pmhKey.optional() }), body(msg));
        const r = await sql<{ pmh_key: string | null }>`
          INSERT INTO platform.pseudonyms (pmh_pseudonym, pmh_key, linked_at) VALUES (${b.pmhPseudonym}, ${b.pmhKey ?? null}, ${clock.now()})
          ON CONFLICT (pmh_pseudonym) DO UPDATE SET pmh_key = COALESCE(platform.pseudonyms.pmh_key, EXCLUDED.pmh_key) RETURNING pmh_key`.execute(db);
        const held = r.rows[0]!.pmh_key;
        if (b.pmhKey && held !== b.pmhKey) throw new Problem(409, 'PSEUDONYM_CONFLICT', 'PMH仮名識別子がすでに別の人に登録されています', 'マイナポータルで新しいPMH仮名識別子を生成してください。');
        const known = held ? await sql<{ n: string }>`SELECT count(DISTINCT tenant_code)::text AS n FROM platform.key_tenants WHERE pmh_key = ${held}`.execute(db) : null;
        return { body: { linked: !!held, persons: known ? Number(known.rows[0]!.n) : 0 } };
      },
    },

    'portal.agency': {
      title: '代理人の登録（マイナポータル）',
      from: fromPortal,
      async handle(msg) {
        const b = parseInput(
          z.object({ agent: pseudonym, principal: pseudonym, consentedAt: z.string().datetime({ offset: true }), consentText: z.string().trim().min(1).max(2000) }).refine((v) => v.agent !== v.principal, { message: '本人を自分の代理人にはできません', path: ['principal'] }),
          body(msg),
        );
        const both = await sql<{ n: string }>`SELECT count(*)::text AS n FROM platform.pseudonyms WHERE pmh_pseudonym IN (${b.agent}, ${b.principal})`.execute(db);
        if (Number(both.rows[0]!.n) !== 2) throw notFound('利用者');
        await sql`
          INSERT INTO platform.agencies (agent, principal, consented_at, consent_text, recorded_at) VALUES (${b.agent}, ${b.principal}, ${b.consentedAt}, ${b.consentText}, ${clock.now()})
          ON CONFLICT (agent, principal) DO UPDATE SET consented_at = EXCLUDED.consented_at, consent_text = EXCLUDED.consent_text, recorded_at = EXCLUDED.recorded_at, ended_at = NULL`.execute(db);
        return { body: { recorded: true } };
      },
    },

    'portal.persons': {
      title: '本人と代理する人の一覧（マイナポータル）',
      from: fromPortal,
      async handle(msg) {
        const { actor } = body(msg);
        const self = await subjectKey(actor, actor);
        const principals = await sql<{ principal: string; pmh_key: string | null }>`
          SELECT a.principal, p.pmh_key FROM platform.agencies a JOIN platform.pseudonyms p ON p.pmh_pseudonym = a.principal
          WHERE a.agent = ${actor as string} AND a.ended_at IS NULL ORDER BY a.recorded_at`.execute(db);
        const persons = [];
        for (const [subject, key, relation] of [[actor as string, self.key, 'self'] as const, ...principals.rows.map((p) => [p.principal, p.pmh_key, 'agent'] as const)]) {
          const ts = await targetsOf(key);
          const info = ts[0]?.info;
          // Someone no municipality registered (or whose data is 不開示/閲覧停止) is not listed.
          if (!info) continue;
          persons.push({ subject, relation, name: info.name, nameKana: info.nameKana, dateOfBirth: info.dateOfBirth, sex: SEX_LABELS[info.sex as keyof typeof SEX_LABELS], municipalities: [...new Set(ts.map((t) => t.tenantName))] });
          await log(ts, 'portal.persons', relation);
        }
        return { body: { persons }, personal: true };
      },
    },

    'portal.notices': {
      title: 'お知らせ（マイナポータル）',
      from: fromPortal,
      async handle(msg) {
        const { actor, subject } = body(msg);
        const s = await subjectKey(actor, subject);
        const ts = await targetsOf(s.key);
        const notices = [];
        for (const t of ts) {
          const rows = await withTenant(db, t.tenant, async (tx) =>
            (await sql<Record<string, unknown>>`
              SELECT n.notice_id, n.program_code, n.dose, n.voucher_no, n.issued_on::text AS issued_on, n.due_until::text AS due_until, v.name AS program_name, tp.content
              FROM platform.notices n
              LEFT JOIN platform.vaccination_settings v ON v.tenant_code = n.tenant_code AND v.program_code = n.program_code
              LEFT JOIN platform.templates tp ON tp.tenant_code = n.tenant_code AND tp.template_id = n.template_id
              WHERE n.target_id = ${t.targetId} ORDER BY n.issued_on DESC, n.notice_id`.execute(tx)).rows,
          );
          for (const r of rows) {
            const tpl = (r['content'] ?? { title: 'お知らせ', body: '' }) as { title: string; body: string };
            const vars: Record<string, string> = {
              name: t.info.name,
              programName: (r['program_name'] as string | null) ?? '',
              voucherNo: (r['voucher_no'] as string | null) ?? '',
              dueUntil: r['due_until'] ? formatWareki(r['due_until'] as string) : '',
              municipalityName: t.tenantName,
            };
            const fill = (s: string) => s.replace(/\{(name|programName|voucherNo|dueUntil|municipalityName)\}/g, (_m, k: string) => vars[k] ?? '');
            notices.push({
              noticeId: `${t.tenant}.${r['notice_id'] as string}`,
              title: fill(tpl.title),
              body: fill(tpl.body),
              programCode: r['program_code'] as string,
              programName: vars['programName'],
              dose: (r['dose'] as number | null) ?? null,
              voucherNo: (r['voucher_no'] as string | null) ?? null,
              issuedOn: r['issued_on'] as string,
              dueUntil: (r['due_until'] as string | null) ?? null,
              municipalityName: t.tenantName,
            });
          }
        }
        await log(ts, 'portal.notices', s.relation);
        return { body: { notices }, personal: true };
      },
    },

    'portal.questionnaire': {
      title: '予診票（マイナポータル）',
      from: fromPortal,
      async handle(msg) {
        const b = body(msg);
        const s = await subjectKey(b['actor'], b['subject']);
        const q = await questionnaireFor(s.key, b['programCode'], b['dose']);
        await log([q.target], 'portal.questionnaire', s.relation);
        return {
          body: {
            title: q.template.title, purpose: q.template.purpose, items: q.template.items, programName: q.programName, dose: q.dose,
            targetId: q.target.targetId, questionnaireId: `${q.templateId}@${q.version}`, answer: q.answer,
          },
          personal: true,
        };
      },
    },

    'portal.answer': {
      title: '予診票の入力（マイナポータル）',
      from: fromPortal,
      async handle(msg) {
        const b = body(msg);
        const s = await subjectKey(b['actor'], b['subject']);
        const q = await questionnaireFor(s.key, b['programCode'], b['dose']);
        const consent = parseInput(
          z.object({ by: z.enum(['self', 'agent']), at: z.string().datetime({ offset: true }), text: z.string().trim().min(1, { message: '同意の内容がありません' }).max(2000) }, { message: '同意（consent）がありません' }),
          b['consent'],
          'consent',
        );
        if (consent.by !== s.relation) throw validationFailed([{ field: 'consent.by', code: 'CONSENT_MISMATCH', message: s.relation === 'agent' ? '代理人としての同意が必要です' : '本人としての同意が必要です' }]);
        const answers = checkAnswers(q.template.items, b['answers']);
        const answerId = `A${randomBytes(13).toString('base64url').toUpperCase().replace(/[^0-9A-Z]/g, '0').slice(0, 20).padEnd(20, '0')}`;
        const now = clock.now();
        await withTenant(db, q.target.tenant, async (tx) => {
          await sql`
            INSERT INTO platform.answers (tenant_code, answer_id, target_id, pmh_key, template_id, template_version, program_code, dose, sealed, status, consent_by, consent_at, consent_text, agent_pseudonym, answered_at)
            VALUES (${q.target.tenant}, ${answerId}, ${q.target.targetId}, ${s.key}, ${q.templateId}, ${q.version}, ${q.programCode}, ${q.dose},
                    ${secrets.seal('answer', q.target.tenant, answerId, answers)}, 'submitted', ${consent.by}, ${consent.at}, ${consent.text},
                    ${s.relation === 'agent' ? (b['actor'] as string) : null}, ${now})`.execute(tx);
        });
        await log([q.target], 'portal.answer', s.relation);
        return { body: { answerId, status: 'submitted', answeredAt: now.toISOString(), qr: `MAMORI-PMH1:${q.target.tenant}:${q.target.targetId}:${answerId}` }, personal: true };
      },
    },

    'portal.records': {
      title: '接種記録（マイナポータル）',
      from: fromPortal,
      async handle(msg) {
        const { actor, subject } = body(msg);
        const s = await subjectKey(actor, subject);
        const ts = await targetsOf(s.key);
        const records: RecordView[] = [];
        const due: DueView[] = [];
        for (const t of ts) {
          await withTenant(db, t.tenant, async (tx) => {
            const rs = await sql<Record<string, unknown>>`
              SELECT r.record_id, r.program_code, r.dose, r.vaccinated_on::text AS vaccinated_on, r.vaccine_name, r.lot_number, r.institution_name, v.name AS program_name
              FROM platform.target_records r LEFT JOIN platform.vaccination_settings v ON v.tenant_code = r.tenant_code AND v.program_code = r.program_code
              WHERE r.target_id = ${t.targetId} ORDER BY r.vaccinated_on, r.record_id`.execute(tx);
            for (const r of rs.rows) {
              records.push({
                recordId: `${t.tenant}.${r['record_id'] as string}`, programCode: r['program_code'] as string, programName: (r['program_name'] as string | null) ?? (r['program_code'] as string),
                dose: (r['dose'] as number | null) ?? null, date: r['vaccinated_on'] as string, vaccineName: (r['vaccine_name'] as string | null) ?? null,
                lotNumber: (r['lot_number'] as string | null) ?? null, institutionName: (r['institution_name'] as string | null) ?? null, municipalityName: t.tenantName,
              });
            }
            const ds = await sql<Record<string, unknown>>`
              SELECT tv.program_code, tv.dose, tv.due_from::text AS due_from, tv.due_until::text AS due_until, tv.recommended_on::text AS recommended_on, v.name AS program_name
              FROM platform.target_vaccinations tv LEFT JOIN platform.vaccination_settings v ON v.tenant_code = tv.tenant_code AND v.program_code = tv.program_code
              WHERE tv.target_id = ${t.targetId}
                AND NOT EXISTS (SELECT 1 FROM platform.target_records r WHERE r.target_id = tv.target_id AND r.program_code = tv.program_code AND r.dose = tv.dose)
              ORDER BY tv.due_from NULLS LAST, tv.program_code, tv.dose`.execute(tx);
            for (const d of ds.rows) {
              due.push({
                programCode: d['program_code'] as string, programName: (d['program_name'] as string | null) ?? (d['program_code'] as string), dose: d['dose'] as number,
                dueFrom: (d['due_from'] as string | null) ?? null, dueUntil: (d['due_until'] as string | null) ?? null, recommendedOn: (d['recommended_on'] as string | null) ?? null, municipalityName: t.tenantName,
              });
            }
          });
        }
        await log(ts, 'portal.records', s.relation);
        const info = ts[0]?.info ?? null;
        return { body: { person: info ? { name: info.name, nameKana: info.nameKana, dateOfBirth: info.dateOfBirth, sex: SEX_LABELS[info.sex as keyof typeof SEX_LABELS] } : null, records, due, fhir: fhirBundleOf(info, records, due, clock.today()) }, personal: true };
      },
    },

    'portal.data-use': {
      title: 'わたしの情報の利用記録（マイナポータル）',
      from: fromPortal,
      async handle(msg) {
        const { actor, subject } = body(msg);
        const s = await subjectKey(actor, subject);
        const ts = await targetsOf(s.key);
        const entries: DataUseEntry[] = [];
        const unavailable: string[] = [];
        for (const t of ts) {
          const rows = await withTenant(db, t.tenant, async (tx) =>
            (await sql<Record<string, unknown>>`SELECT at, actor_kind, actor, action, purpose FROM platform.handling_log WHERE target_id = ${t.targetId} ORDER BY seq`.execute(tx)).rows,
          );
          for (const r of rows) {
            entries.push({
              at: new Date(r['at'] as string).toISOString(),
              organisation: '予診情報・予防接種記録管理／請求支払システム',
              who: ACTOR_LABELS[r['actor_kind'] as string] ?? (r['actor_kind'] as string),
              action: ACTION_LABELS[r['action'] as string] ?? (r['action'] as string),
              purpose: r['purpose'] as string,
            });
          }
          // The municipality's own record of staff reads and exchanges about this person.
          try {
            const a = await deps.node.call(t.tenantNode, 'datause.provide', { tenant: t.tenant, municipalityIdentityKey: t.identityKey });
            const got = (a.body as { entries?: unknown } | null)?.entries;
            if (Array.isArray(got)) {
              for (const e of got) {
                if (!e || typeof e !== 'object') continue;
                const x = e as Record<string, unknown>;
                entries.push({ at: String(x['at'] ?? ''), organisation: String(x['organisation'] ?? t.tenantName), who: String(x['who'] ?? ''), action: String(x['action'] ?? ''), purpose: String(x['purpose'] ?? '') });
              }
            }
          } catch {
            unavailable.push(t.tenantName);
          }
        }
        await log(ts, 'portal.data-use', s.relation);
        entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
        return { body: { entries, unavailable }, personal: true };
      },
    },
  };

  async function questionnaireFor(key: string | null, programRaw: unknown, doseRaw: unknown) {
    const programCode = typeof programRaw === 'string' && /^[a-z0-9-]{1,40}$/.test(programRaw) ? programRaw : null;
    const dose = typeof doseRaw === 'number' ? doseRaw : typeof doseRaw === 'string' && /^\d{1,2}$/.test(doseRaw) ? Number(doseRaw) : null;
    if (!programCode || !dose) throw notFound('予診票');
    const ts = await targetsOf(key);
    for (const t of ts) {
      const found = await withTenant(db, t.tenant, async (tx) => {
        const v = await sql<{ name: string | null }>`
          SELECT s.name FROM platform.target_vaccinations tv LEFT JOIN platform.vaccination_settings s ON s.tenant_code = tv.tenant_code AND s.program_code = tv.program_code
          WHERE tv.target_id = ${t.targetId} AND tv.program_code = ${programCode} AND tv.dose = ${dose}`.execute(tx);
        if (!v.rows[0]) return null;
        const tpl = await sql<{ template_id: string; version: number; content: Template }>`
          SELECT template_id, version, content FROM platform.templates WHERE kind = 'questionnaire' AND template_id IN (${`questionnaire-${programCode}`}, 'questionnaire-default')
          ORDER BY (template_id = 'questionnaire-default') LIMIT 1`.execute(tx);
        const chosen = tpl.rows[0];
        if (!chosen || chosen.content.kind !== 'questionnaire') return null;
        const last = await lastAnswer(tx, t, programCode, dose);
        return { target: t, programCode, dose, programName: v.rows[0].name ?? programCode, templateId: chosen.template_id, version: chosen.version, template: chosen.content, answer: last };
      });
      if (found) return found;
    }
    throw notFound('予診票');
  }

  async function lastAnswer(tx: Tx, t: SubjectTarget, programCode: string, dose: number) {
    const r = await sql<{ answer_id: string; sealed: Buffer; status: string; answered_at: Date }>`
      SELECT answer_id, sealed, status, answered_at FROM platform.answers WHERE target_id = ${t.targetId} AND program_code = ${programCode} AND dose = ${dose} ORDER BY answered_at DESC LIMIT 1`.execute(tx);
    const a = r.rows[0];
    if (!a) return null;
    return {
      answerId: a.answer_id, status: a.status, answeredAt: new Date(a.answered_at).toISOString(), answers: secrets.open<Record<string, unknown>>('answer', t.tenant, a.answer_id, Buffer.from(a.sealed)),
      qr: `MAMORI-PMH1:${t.tenant}:${t.targetId}:${a.answer_id}`,
    };
  }
}

const ACTOR_LABELS: Record<string, string> = {
  municipality: '市区町村（健康管理システムからの連携）',
  api: '市区町村（連携API）',
  portal: 'マイナポータル',
  institution: '医療機関',
  operator: '運用保守事業者',
  system: 'システム',
};

export interface RecordView {
  readonly recordId: string;
  readonly programCode: string;
  readonly programName: string;
  readonly dose: number | null;
  readonly date: string;
  readonly vaccineName: string | null;
  readonly lotNumber: string | null;
  readonly institutionName: string | null;
  readonly municipalityName: string;
}

export interface DueView {
  readonly programCode: string;
  readonly programName: string;
  readonly dose: number;
  readonly dueFrom: string | null;
  readonly dueUntil: string | null;
  readonly recommendedOn: string | null;
  readonly municipalityName: string;
}

export interface DataUseEntry {
  readonly at: string;
  readonly organisation: string;
  readonly who: string;
  readonly action: string;
  readonly purpose: string;
}

/** PMH-11: only the template's items, each of its type; a required item must be answered. */
export function checkAnswers(items: readonly QuestionnaireItem[], raw: unknown): Record<string, string | number | boolean> {
  const errors: FieldError[] = [];
  const out: Record<string, string | number | boolean> = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw validationFailed([{ field: 'answers', code: 'INVALID_TYPE', message: '回答がありません' }]);
  const given = raw as Record<string, unknown>;
  const byId = new Map(items.map((i) => [i.itemId, i]));
  for (const k of Object.keys(given)) if (!byId.has(k)) errors.push({ field: `answers.${k}`, code: 'UNKNOWN_ITEM', message: '予診票にない項目です' });
  for (const item of items) {
    const v = given[item.itemId];
    const f = `answers.${item.itemId}`;
    if (v === undefined || v === null || v === '') {
      if (item.required) errors.push({ field: f, code: 'REQUIRED', message: `「${item.label}」に回答してください` });
      continue;
    }
    if (item.type === 'boolean') {
      if (typeof v === 'boolean') out[item.itemId] = v;
      else if (v === 'true' || v === 'false') out[item.itemId] = v === 'true';
      else errors.push({ field: f, code: 'INVALID', message: `「${item.label}」は「はい」か「いいえ」で回答してください` });
    } else if (item.type === 'number') {
      const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : NaN;
      if (!Number.isFinite(n) || (item.min !== undefined && n < item.min) || (item.max !== undefined && n > item.max)) {
        errors.push({ field: f, code: 'OUT_OF_RANGE', message: `「${item.label}」は${item.min ?? ''}〜${item.max ?? ''}の数で回答してください` });
      } else out[item.itemId] = n;
    } else if (item.type === 'choice') {
      if (typeof v === 'string' && (item.options ?? []).includes(v)) out[item.itemId] = v;
      else errors.push({ field: f, code: 'INVALID', message: `「${item.label}」は選択肢から選んでください` });
    } else {
      const s = typeof v === 'string' ? v.trim() : '';
      if (!s || s.length > (item.maxLength ?? 500)) errors.push({ field: f, code: 'INVALID', message: `「${item.label}」は${item.maxLength ?? 500}文字以内で記入してください` });
      else out[item.itemId] = s;
    }
  }
  if (errors.length) throw validationFailed(errors);
  return out;
}

/** FHIR R4 collection: Patient (no identifier — the portal never gets one), Immunization, ImmunizationRecommendation. */
export function fhirBundleOf(info: BasicFiveInfo | null, records: readonly RecordView[], due: readonly DueView[], today: string): Record<string, unknown> {
  const entry: { fullUrl: string; resource: Record<string, unknown> }[] = [];
  // Bundle-local ids (fixed; with a letter in every group so that no run of digits looks like an identifier).
  const patientUrl = 'urn:uuid:a0000000-0000-4000-a000-a00000000001';
  if (info) {
    entry.push({
      fullUrl: patientUrl,
      resource: { resourceType: 'Patient', name: [{ text: info.name }, { text: info.nameKana, extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation', valueCode: 'SYL' }] }], gender: info.sex === '1' ? 'male' : info.sex === '2' ? 'female' : 'unknown', birthDate: info.dateOfBirth },
    });
  }
  records.forEach((r, i) => {
    entry.push({
      fullUrl: `urn:uuid:a0000000-0000-4000-a001-a${String(i + 1).padStart(11, '0')}`,
      resource: {
        resourceType: 'Immunization', status: 'completed',
        vaccineCode: { text: r.vaccineName ?? r.programName },
        patient: { reference: patientUrl },
        occurrenceDateTime: r.date,
        ...(r.lotNumber ? { lotNumber: r.lotNumber } : {}),
        ...(r.institutionName ? { performer: [{ actor: { display: r.institutionName } }] } : {}),
        protocolApplied: [{ series: r.programName, ...(r.dose ? { doseNumberPositiveInt: r.dose } : { doseNumberString: '不明' }) }],
      },
    });
  });
  if (due.length) {
    entry.push({
      fullUrl: 'urn:uuid:a0000000-0000-4000-a002-a00000000001',
      resource: {
        resourceType: 'ImmunizationRecommendation', patient: { reference: patientUrl }, date: today,
        recommendation: due.map((d) => ({
          vaccineCode: [{ text: d.programName }],
          forecastStatus: { text: d.dueFrom && d.dueFrom > today ? '予定' : '接種可能' },
          doseNumberPositiveInt: d.dose,
          series: d.programName,
          dateCriterion: [
            ...(d.dueFrom ? [{ code: { text: '接種できる最初の日' }, value: d.dueFrom }] : []),
            ...(d.dueUntil ? [{ code: { text: '定期接種の期限' }, value: d.dueUntil }] : []),
          ],
        })),
      },
    });
  }
  return { resourceType: 'Bundle', type: 'collection', timestamp: `${today}T00:00:00+09:00`, entry };
}
