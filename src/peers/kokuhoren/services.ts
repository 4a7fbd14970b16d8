// The 国保連 node's service on the message layer (docs/formats/kokuhoren-protocol.md; contract: section 4
// of docs/formats/clinic-protocol.md):
//   claims.check  municipality → 国保連: the month's vaccination claims of one municipality, checked per item
//                 (予防接種費用の審査, VAX-32).
// A body of the wrong shape is refused whole (400 VALIDATION_FAILED, nothing stored); a body of the right
// shape is always answered per item.  Every call — answered or refused by the handler — is a row of the
// handling log.  Neither the request nor the stored rows carry a name or a My Number.
import { z } from 'zod';
import type { Incoming, Outgoing, PeerContext, ServiceDef } from '../../kernel/exchange/index.js';
import { checkLocalGovernmentCode, isIsoDate } from '../../kernel/jp/index.js';
import { isProblem, parseInput } from '../../kernel/problems/index.js';
import { checkClaims, recordHandling, type CheckCounts } from './store.js';

/** Limits of one message. */
export const MAX_CLAIMS = 500;
export const MAX_ITEMS = 20_000;
/** The largest amount (円) a field may carry; anything larger is a malformed message, not a claim. */
export const MAX_YEN = 100_000_000;

/** The nodes that may call each service (XCH-17). */
export const KOKUHOREN_CALLERS = {
  'claims.check': 'municipality',
} as const;

// Ids chosen by the municipality: letters, digits and . _ : - only.  Twelve digits alone are refused — such
// an id could not be told from a My Number, which never travels to 国保連.
const id = (label: string) =>
  z
    .string({ message: `${label}を文字列で指定してください` })
    .regex(/^[A-Za-z0-9._:-]{1,64}$/, { message: `${label}は英数字と . _ : - の64文字以内です` })
    .refine((s) => !/^[0-9]{12}$/.test(s), { message: `${label}に12桁の数字だけの番号は使えません` });

const yen = (label: string) =>
  z
    .number({ message: `${label}を数値（円）で指定してください` })
    .int({ message: `${label}は整数（円）です` })
    .min(-MAX_YEN, { message: `${label}が範囲外です` })
    .max(MAX_YEN, { message: `${label}が範囲外です` });

// 接種日: a real date, or empty (null, "" or absent) — an empty date is a claim to return (DATE_MISSING), not
// a malformed message.
const vaccinatedOn = z
  .union([z.string().refine((s) => s === '' || isIsoDate(s), { message: '接種日（vaccinatedOn）は YYYY-MM-DD 形式の実在する日付です' }), z.null()], {
    message: '接種日（vaccinatedOn）は YYYY-MM-DD 形式の文字列です',
  })
  .optional()
  .transform((s) => (s ? s : null));

const itemSchema = z
  .object({
    itemId: id('明細番号（itemId）'),
    programCode: z.string({ message: '接種の種類（programCode）を指定してください' }).regex(/^[a-z0-9][a-z0-9-]{0,63}$/, { message: '接種の種類（programCode）が正しくありません' }),
    dose: z.number({ message: '回数（dose）を数値で指定してください' }).int({ message: '回数（dose）は整数です' }).min(1, { message: '回数（dose）は1以上です' }).max(20, { message: '回数（dose）は20以下です' }),
    vaccinatedOn,
    unitPrice: yen('単価（unitPrice）'),
    copay: yen('自己負担額（copay）'),
    amount: yen('請求額（amount）'),
  })
  .strict();

const claimSchema = z
  .object({
    claimId: id('請求番号（claimId）'),
    // Any text up to 20 characters: a wrong 医療機関コード is a claim to return (INSTITUTION_CODE_INVALID).
    institutionCode: z.string({ message: '医療機関コード（institutionCode）を文字列で指定してください' }).min(1, { message: '医療機関コード（institutionCode）が入力されていません' }).max(20, { message: '医療機関コード（institutionCode）が長すぎます' }),
    items: z.array(itemSchema, { message: '明細（items）を配列で指定してください' }).min(1, { message: '明細（items）を1件以上指定してください' }),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.items.forEach((it, i) => {
      if (seen.has(it.itemId)) ctx.addIssue({ code: 'custom', path: ['items', i, 'itemId'], message: '同じ請求の中に同じ明細番号（itemId）があります' });
      seen.add(it.itemId);
    });
  });

export const checkSchema = z
  .object({
    tenant: z.string({ message: '地方公共団体コード（tenant）を指定してください' }).refine((s) => /^[0-9]{6}$/.test(s) && checkLocalGovernmentCode(s).ok, { message: '地方公共団体コード（tenant）が正しくありません' }),
    month: z.string({ message: '請求月（month）を指定してください' }).regex(/^[0-9]{4}-(0[1-9]|1[0-2])$/, { message: '請求月（month）は YYYY-MM 形式です' }),
    claims: z
      .array(claimSchema, { message: '請求（claims）を配列で指定してください' })
      .min(1, { message: '請求（claims）を1件以上指定してください' })
      .max(MAX_CLAIMS, { message: `請求（claims）は1回に${MAX_CLAIMS}件までです` }),
  })
  .strict()
  .superRefine((q, ctx) => {
    const total = q.claims.reduce((n, c) => n + c.items.length, 0);
    if (total > MAX_ITEMS) ctx.addIssue({ code: 'custom', path: ['claims'], message: `明細は1回に合計${MAX_ITEMS}件までです` });
    const seen = new Set<string>();
    q.claims.forEach((c, i) => {
      if (seen.has(c.claimId)) ctx.addIssue({ code: 'custom', path: ['claims', i, 'claimId'], message: '同じ請求番号（claimId）が2回あります' });
      seen.add(c.claimId);
    });
  });

export type CheckRequest = z.output<typeof checkSchema>;

interface Handled {
  readonly out: Outgoing;
  readonly tenant?: string;
  readonly counts?: Partial<CheckCounts>;
}

export function kokuhorenServices(ctx: PeerContext): Record<string, ServiceDef> {
  const db = ctx.db;

  /** A service whose every call is a handling-log row, refusals included. */
  const service = (name: keyof typeof KOKUHOREN_CALLERS, title: string, run: (msg: Incoming) => Promise<Handled>): ServiceDef => ({
    title,
    from: (s) => s === KOKUHOREN_CALLERS[name],
    async handle(msg) {
      const at = ctx.clock.now();
      try {
        const r = await run(msg);
        await recordHandling(db, { at, caller: msg.sender, service: name, msgId: msg.id, tenant: r.tenant, outcome: 'ok', counts: r.counts });
        return r.out;
      } catch (e) {
        const p = isProblem(e) ? e : null;
        await recordHandling(db, { at, caller: msg.sender, service: name, msgId: msg.id, outcome: p && p.status < 500 ? 'refused' : 'failed', code: p?.code ?? 'EXCHANGE_ERROR' }).catch(() => undefined);
        throw e;
      }
    },
  });

  return {
    'claims.check': service('claims.check', '予防接種費用の請求の審査（国民健康保険団体連合会）', async (msg) => {
      const q = parseInput(checkSchema, msg.body);
      const r = await checkClaims(db, q, ctx.clock.now(), msg.id);
      return { out: { body: { checkedAt: r.checkedAt, claims: r.claims }, personal: true }, tenant: q.tenant, counts: r.counts };
    }),
  };
}
