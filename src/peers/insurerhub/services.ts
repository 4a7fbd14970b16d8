// The 支払基金 node's services on the message layer (docs/formats/platform-protocol.md, "insurerhub serves"):
//   insured.enroll  municipality (as 国保保険者) → 中間サーバー: the insured persons and their basic info;
//   pmhkey.issue    platform → 中間サーバー: PMH keys for a batch (PMH-05…08), mis-link check on basic info;
//   card.link       card → オン資: 健康保険証利用登録 of a card's 利用者証明用 certificate;
//   portal.resolve  mynaportal → オン資: the card's 仮名識別子 and, once issued, the PMH key (PMH-09);
//   reception.resolve platform → オン資: the PMH key of a card read at a clinic's reception (PMH-13).
// Every call (accepted or refused by the handler) is a row of the handling log (PMH-22): who, what, when,
// outcome, counts.  Neither the log nor a refusal ever carries a My Number.
import { z } from 'zod';
import type { Kysely } from 'kysely';
import type { Incoming, Outgoing, PeerContext, ServiceDef } from '../../kernel/exchange/index.js';
import { checkMyNumber } from '../../kernel/mynumber/index.js';
import { isIsoDate } from '../../kernel/jp/index.js';
import { isProblem, parseInput, Problem } from '../../kernel/problems/index.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';
import type { InsurerHubSecrets } from './secrets.js';
import { enrollMembers, issueKeys, linkCard, linkNoOf, logHandling, normaliseSerial, resolveCard, type IssueItem } from './store.js';

/** Batch limits of one message. */
export const MAX_ISSUE_ITEMS = 1000;
export const MAX_ENROLL_MEMBERS = 10_000;

/** The nodes that may call each service (XCH-17). */
export const INSURERHUB_CALLERS = {
  'insured.enroll': 'municipality',
  'pmhkey.issue': 'platform',
  'card.link': 'card',
  'portal.resolve': 'mynaportal',
  'reception.resolve': 'platform',
} as const;

const text = (max: number) => z.string({ message: '文字列で指定してください' }).trim().min(1, { message: '入力されていません' }).max(max, { message: `${max}文字以内で指定してください` });

const myNumber = z.string({ message: '個人番号（myNumber）を指定してください' }).superRefine((s, ctx) => {
  const c = checkMyNumber(s);
  // The message never repeats the value.
  if (!c.ok) ctx.addIssue({ code: 'custom', message: c.message, params: { code: c.code } });
});

const basicFields = {
  name: text(100),
  nameKana: z.string({ message: '文字列で指定してください' }).trim().max(100, { message: '100文字以内で指定してください' }),
  address: text(200),
  dateOfBirth: z.string({ message: 'YYYY-MM-DD 形式で指定してください' }).refine((s) => isIsoDate(s), { message: 'YYYY-MM-DD 形式の実在する日付で指定してください', params: { code: 'INVALID_DATE' } }),
  sex: z.enum(['1', '2', '9'], { message: '"1"（男）、"2"（女）、"9"（不明）のいずれかを指定してください' }),
};

const enrollSchema = z.object({
  insurer: z.string({ message: '保険者番号（insurer）を指定してください' }).regex(/^[0-9]{6}([0-9]{2})?$/, { message: '保険者番号は6桁または8桁の数字です' }),
  members: z
    .array(z.object({ myNumber, ...basicFields }), { message: '被保険者（members）を配列で指定してください' })
    .min(1, { message: '1件以上指定してください' })
    .max(MAX_ENROLL_MEMBERS, { message: `1回に${MAX_ENROLL_MEMBERS}件までです` }),
});

const issueSchema = z.object({
  items: z
    .array(
      z.object({
        ref: z.union([z.string().min(1).max(64), z.number().int().nonnegative()], { message: '参照番号（ref）は1〜64文字の文字列または0以上の整数です' }),
        myNumber,
        basicFiveInfo: z.object(basicFields, { message: '基本5情報（basicFiveInfo）を指定してください' }),
      }),
      { message: '対象（items）を配列で指定してください' },
    )
    .min(1, { message: '1件以上指定してください' })
    .max(MAX_ISSUE_ITEMS, { message: `1回に${MAX_ISSUE_ITEMS}件までです` }),
});

const serial = z
  .string({ message: '証明書のシリアル番号（serial）を指定してください' })
  .regex(/^(?=.*[0-9A-Fa-f])[0-9A-Fa-f:]{1,191}$/, { message: '証明書のシリアル番号は16進数で指定してください' })
  .transform(normaliseSerial)
  .refine((s) => s.length <= 128, { message: '証明書のシリアル番号が長すぎます' });

const cardLinkSchema = z.object({ serial, myNumber });
const resolveSchema = z.object({ serial });

const notEnrolled = () => new Problem(404, 'NOT_ENROLLED', 'この個人番号の被保険者は登録されていません', '医療保険者等向け中間サーバーに、この個人番号の被保険者の資格情報がありません。');
const cardNotLinked = () => new Problem(404, 'CARD_NOT_LINKED', 'このカードは健康保険証の利用登録がされていません', 'マイナンバーカードの健康保険証利用登録を行ってから、もう一度お試しください。');

function half(n: string): string {
  const c = checkMyNumber(n);
  if (!c.ok) throw new Error('insurerhub: unvalidated My Number');
  return c.value;
}

interface Handled {
  readonly out: Outgoing;
  readonly items?: number;
  readonly counts?: Record<string, number>;
}

export function insurerHubServices(ctx: PeerContext, secrets: InsurerHubSecrets): Record<string, ServiceDef> {
  const db: Kysely<UntypedDatabase> = ctx.db;

  /** A service whose every call is a handling-log row (PMH-22), refusals included. */
  const service = (name: keyof typeof INSURERHUB_CALLERS, title: string, run: (msg: Incoming) => Promise<Handled>): ServiceDef => ({
    title,
    from: (s) => s === INSURERHUB_CALLERS[name],
    async handle(msg) {
      const at = ctx.clock.now();
      try {
        const r = await run(msg);
        await logHandling(db, { at, caller: msg.sender, service: name, msgId: msg.id, outcome: 'ok', items: r.items ?? 1, counts: r.counts ?? {} });
        return r.out;
      } catch (e) {
        const p = isProblem(e) ? e : null;
        await logHandling(db, { at, caller: msg.sender, service: name, msgId: msg.id, outcome: p && p.status < 500 ? 'refused' : 'failed', code: p?.code ?? 'EXCHANGE_ERROR' }).catch(() => undefined);
        throw e;
      }
    },
  });

  return {
    'insured.enroll': service('insured.enroll', '被保険者の資格情報の登録（医療保険者等向け中間サーバー）', async (msg) => {
      const q = parseInput(enrollSchema, msg.body);
      const members = q.members.map((m) => ({ ...m, myNumber: half(m.myNumber) }));
      const r = await enrollMembers(db, secrets, q.insurer, members, ctx.clock.now());
      return { out: { body: r }, items: members.length, counts: { ...r } };
    }),

    'pmhkey.issue': service('pmhkey.issue', 'PMHキーの採番（医療保険者等向け中間サーバー）', async (msg) => {
      const q = parseInput(issueSchema, msg.body);
      const items: IssueItem[] = q.items.map((it) => ({ ref: it.ref, sent: it.myNumber, myNumber: half(it.myNumber), basicFiveInfo: it.basicFiveInfo }));
      const { answers, counts } = await issueKeys(db, secrets, items, ctx.clock.now());
      return { out: { body: { items: answers }, personal: true }, items: items.length, counts: { ...counts } };
    }),

    'card.link': service('card.link', '健康保険証利用登録（オンライン資格確認等システム）', async (msg) => {
      const q = parseInput(cardLinkSchema, msg.body);
      const linkNo = await linkNoOf(db, secrets, half(q.myNumber));
      if (!linkNo) throw notEnrolled();
      const r = await linkCard(db, q.serial, linkNo, ctx.clock.now());
      if (r.linkNo !== linkNo) {
        throw new Problem(409, 'CARD_ALREADY_LINKED', 'このカードは別の被保険者に利用登録されています', '同じ証明書のシリアル番号で、別の被保険者の利用登録があります。');
      }
      return { out: { body: { linked: true } }, counts: { created: r.created ? 1 : 0 } };
    }),

    'portal.resolve': service('portal.resolve', '仮名識別子の提供（オンライン資格確認等システム → マイナポータル）', async (msg) => {
      const q = parseInput(resolveSchema, msg.body);
      const r = await resolveCard(db, q.serial);
      if (!r) throw cardNotLinked();
      const body = { pseudonymId: secrets.pseudonymOf(r.linkNo), ...(r.pmhKey ? { pmhKey: r.pmhKey } : {}) };
      return { out: { body, personal: true }, counts: { pmhKey: r.pmhKey ? 1 : 0 } };
    }),

    // PMH-13: the clinic's reception reads the card; the platform finds the person's targets by the PMH key
    // (never by number).  A card without a link, or whose person has no PMH key yet, is CARD_NOT_LINKED.
    'reception.resolve': service('reception.resolve', 'PMHキーの提供（医療機関の受付：オンライン資格確認等システム → プラットフォーム）', async (msg) => {
      const q = parseInput(resolveSchema, msg.body);
      const r = await resolveCard(db, q.serial);
      if (!r?.pmhKey) throw cardNotLinked();
      return { out: { body: { pmhKey: r.pmhKey }, personal: true }, counts: { pmhKey: 1 } };
    }),
  };
}
