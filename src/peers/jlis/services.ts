// The 全国サーバ's services on the message layer (docs/formats/exchange-protocol.md, "jlis"):
//   identity.update      市町村CS → 全国サーバ: the municipality's changes to 本人確認情報;
//   identity.query       本人確認情報照会 by 住民票コード, My Number or 4情報 (XCH-23), purpose required, logged;
//   identity.query-file  the same through a fixed-format 照会対象ファイル (XCH-25), answered with an answer file;
//   person.link          network only: an opaque, stable link for a 住民票コード (never the code itself);
//   identity.changes     a register's periodic check: which of its persons changed in a period (changes.ts).
import { z } from 'zod';
import type { Kysely } from 'kysely';
import { createNodeServer, type PeerContext, type PeerService, type ServiceDef } from '../../kernel/exchange/index.js';
import { checkMyNumber } from '../../kernel/mynumber/index.js';
import { isIsoDate } from '../../kernel/jp/index.js';
import { invalidField, parseInput } from '../../kernel/problems/index.js';
import { JlisSecrets } from './secrets.js';
import { applyUpdate, findIdentities, identityExists, keyText, logQueries, parseUpdate, problemUnknownPerson, type Match, type QueryKey, type QueryLogEntry } from './store.js';
import { formatAnswerFile, parseQueryFile } from './queryfile.js';
import { identityChanges, parseChangesQuery } from './changes.js';
import type { UntypedDatabase } from '../../kernel/db/index.js';

/**
 * Who may receive the My Number in an answer, and on what legal basis.  住基法 30条の9 and 別表第一 let the
 * 機構 provide 本人確認情報 (with the 個人番号) only to a 国の機関等 for a 事務 the law lists; none of the
 * nodes Mamori runs today (the municipality's staff system, the 情報提供ネットワークシステム, the 中間サーバー)
 * is such a recipient — the municipality holds the number already, and the network works with 符号, never
 * numbers.  So this list is empty: a new recipient is added here, with its basis, when the law allows it.
 * Tests (and a rehearsal) may add nodes through JlisOptions.myNumberRecipients.
 */
export const MY_NUMBER_RECIPIENTS: ReadonlyMap<string, string> = new Map<string, string>([]);

/**
 * Nodes that may ask for the changes of the persons they register (identity.changes): the 国家資格等情報連携・
 * 活用システム (node `registry`), whose 医師法等の免許の事務 住基法 別表第一 lists (QUA-15).
 */
export const CHANGE_CALLERS: ReadonlySet<string> = new Set(['registry']);

/**
 * Nodes that may query 本人確認情報 (identity.query, identity.query-file).  `registry` (国家資格等情報連携・活用
 * システム): 住基法 第30条の9・別表第一, 医師法等による免許に関する事務 (the 項 要確認, decisions 0180, 0185) — it sends
 * the applicant's My Number as the key (for the 4情報 check and the 住民票コード its 符号 is issued from) and, not
 * being in MY_NUMBER_RECIPIENTS, never receives one back.
 */
export function mayQuery(sender: string): boolean {
  return sender === 'municipality' || sender === 'network' || sender === 'registry' || /^chukan-[0-9]{6}$/.test(sender);
}

export interface JlisOptions {
  /** Extra nodes that may receive the My Number (tests, rehearsals); see MY_NUMBER_RECIPIENTS. */
  readonly myNumberRecipients?: readonly string[];
  /** Extra nodes that may query. */
  readonly queryCallers?: readonly string[];
}

const purposeSchema = z
  .string({ message: '利用目的（purpose）を指定してください' })
  .trim()
  .min(2, { message: '利用目的（purpose）を2文字以上で指定してください' })
  .max(200, { message: '利用目的は200文字以内です' });

const querySchema = z.object({
  by: z.enum(['juminhyoCode', 'myNumber', 'fourItems'], { message: 'by は juminhyoCode、myNumber、fourItems のいずれかです' }),
  juminhyoCode: z.string().optional(),
  myNumber: z.string().optional(),
  name: z.string().optional(),
  address: z.string().optional(),
  birthDate: z.string().optional(),
  sex: z.string().optional(),
  purpose: z.unknown(),
  caller: z.string().max(200).optional(),
});

function queryKeyOf(q: z.output<typeof querySchema>): QueryKey {
  switch (q.by) {
    case 'juminhyoCode':
      if (!q.juminhyoCode || !/^[0-9]{11}$/.test(q.juminhyoCode)) throw invalidField('juminhyoCode', 'INVALID_JUMINHYO_CODE', '住民票コードは11桁の数字です');
      return { by: 'juminhyoCode', juminhyoCode: q.juminhyoCode };
    case 'myNumber': {
      const c = checkMyNumber(q.myNumber ?? '');
      if (!c.ok) throw invalidField('myNumber', c.code, c.message);
      return { by: 'myNumber', myNumber: c.value };
    }
    case 'fourItems': {
      const missing = (['name', 'address', 'birthDate', 'sex'] as const).find((k) => !q[k] || !String(q[k]).trim());
      if (missing) throw invalidField(missing, 'FOUR_ITEMS_REQUIRED', '4情報（name, address, birthDate, sex）をすべて指定してください');
      if (!isIsoDate(q.birthDate)) throw invalidField('birthDate', 'INVALID_DATE', 'YYYY-MM-DD 形式の実在する日付で指定してください');
      if (q.sex !== 'male' && q.sex !== 'female') throw invalidField('sex', 'INVALID_SEX', 'male または female を指定してください');
      return { by: 'fourItems', name: q.name!, address: q.address!, birthDate: q.birthDate, sex: q.sex };
    }
  }
}

function purposeOf(body: unknown): string {
  return parseInput(purposeSchema, (body as { purpose?: unknown } | null)?.purpose, 'purpose');
}

export function jlisServices(ctx: PeerContext, secrets: JlisSecrets, opts: JlisOptions = {}): Record<string, ServiceDef> {
  const db: Kysely<UntypedDatabase> = ctx.db;
  const recipients = new Set([...MY_NUMBER_RECIPIENTS.keys(), ...(opts.myNumberRecipients ?? [])]);
  const extraCallers = new Set(opts.queryCallers ?? []);
  const queryFrom = (s: string) => mayQuery(s) || extraCallers.has(s);
  const changesFrom = (s: string) => CHANGE_CALLERS.has(s) || extraCallers.has(s);

  return {
    'identity.update': {
      title: '本人確認情報の更新（市町村CS）',
      from: (s) => s === 'municipality',
      async handle(msg) {
        const u = parseUpdate(msg.body);
        const r = await applyUpdate(db, secrets, u.tenant, u.changes, { at: ctx.clock.now(), msgId: msg.id });
        return { body: r };
      },
    },

    'identity.query': {
      title: '本人確認情報照会',
      from: queryFrom,
      async handle(msg) {
        const purpose = purposeOf(msg.body);
        const q = parseInput(querySchema, msg.body);
        const key = queryKeyOf(q);
        const withMyNumber = recipients.has(msg.sender);
        const matches = await db.transaction().execute(async (tx) => {
          const m = await findIdentities(tx, secrets, key, withMyNumber);
          await logQueries(tx, ctx.clock.now(), [
            {
              caller: msg.sender, callerDetail: q.caller ?? null, purpose, keyKind: key.by, keyHash: secrets.keyHash(key.by, keyText(key)), resultCount: m.length,
              myNumberReturned: m.some((x) => x.myNumber !== undefined), channel: 'query', msgId: msg.id,
            },
          ]);
          return m;
        });
        return { body: { matches }, personal: true };
      },
    },

    'identity.query-file': {
      title: '本人確認情報照会（照会対象ファイル）',
      from: queryFrom,
      async handle(msg) {
        const file = (msg.body as { file?: unknown } | null)?.file;
        if (typeof file !== 'string' || file.length === 0) throw invalidField('file', 'FILE_REQUIRED', '照会対象ファイル（file）を指定してください');
        const parsed = parseQueryFile(file);
        const withMyNumber = recipients.has(msg.sender);
        const answers = await db.transaction().execute(async (tx) => {
          const out: { serial: string; matches: Match[] }[] = [];
          const log: QueryLogEntry[] = [];
          for (const q of parsed.queries) {
            const m = await findIdentities(tx, secrets, q.key, withMyNumber);
            out.push({ serial: q.serial, matches: m });
            log.push({
              caller: msg.sender, purpose: parsed.purpose, keyKind: q.key.by, keyHash: secrets.keyHash(q.key.by, keyText(q.key)), resultCount: m.length,
              myNumberReturned: m.some((x) => x.myNumber !== undefined), channel: 'file', fileRow: q.row, msgId: msg.id,
            });
          }
          await logQueries(tx, ctx.clock.now(), log);
          return out;
        });
        return { body: { file: formatAnswerFile(ctx.clock.today(), answers) }, personal: true };
      },
    },

    'identity.changes': {
      title: '本人確認情報の異動照会',
      from: changesFrom,
      async handle(msg) {
        const q = parseChangesQuery(msg.body);
        const answer = await db.transaction().execute((tx) => identityChanges(tx, secrets, q, { caller: msg.sender, at: ctx.clock.now(), msgId: msg.id }));
        return { body: answer, personal: true };
      },
    },

    'person.link': {
      title: '個人の連携用リンク（情報提供ネットワークシステム）',
      from: (s) => s === 'network',
      async handle(msg) {
        const code = (msg.body as { juminhyoCode?: unknown } | null)?.juminhyoCode;
        if (typeof code !== 'string' || !/^[0-9]{11}$/.test(code)) throw invalidField('juminhyoCode', 'INVALID_JUMINHYO_CODE', '住民票コードは11桁の数字です');
        const link = await db.transaction().execute(async (tx) => {
          const known = await identityExists(tx, code);
          await logQueries(tx, ctx.clock.now(), [
            { caller: msg.sender, purpose: '情報提供用個人識別符号の生成のためのリンク', keyKind: 'link', keyHash: secrets.keyHash('link', code), resultCount: known ? 1 : 0, myNumberReturned: false, channel: 'link', msgId: msg.id },
          ]);
          return known ? secrets.linkOf(code) : null;
        });
        if (!link) throw problemUnknownPerson();
        return { body: { link }, personal: true };
      },
    },
  };
}

/** Builds the 全国サーバ node: its Fastify instance with the JWKS and the four services (not yet listening). */
export async function buildJlisNode(ctx: PeerContext, opts: JlisOptions = {}): Promise<PeerService> {
  const secrets = JlisSecrets.open(ctx.config.keyDir);
  const fastify = await createNodeServer(ctx.name);
  ctx.node.serve(fastify, jlisServices(ctx, secrets, opts));
  return { fastify };
}
