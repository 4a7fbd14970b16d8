// The services of the 情報提供ネットワークシステム node (docs/formats/exchange-protocol.md):
// code.issue, permissions.list, inquiry, inquiry.result, records.person.  Every caller is a 中間サーバー
// (`chukan-<団体コード>`); the message layer has already verified, logged and decrypted the request.
import { randomUUID } from 'node:crypto';
import { Problem } from '../../kernel/problems/index.js';
import type { Incoming, Outgoing, PeerContext, ServiceDef } from '../../kernel/exchange/index.js';
import { bodyOfNode, fugoOf, kindOfBody, nodeOfBody } from './fugo.js';
import { issuePermit } from './permit.js';
import { ITEM_NAMES, JIMU_NAMES } from './permissions.js';
import {
  addRecord, codeOfPerson, findPermission, getRecord, listPermissions, personOfCode, personOfLink, recordsOfPerson, saveCode, settleRecord,
  type ExchangeRecord, type RecordStatus,
} from './store.js';

/** A 中間サーバー (a municipality). */
const fromChukan = (sender: string) => /^chukan-\d{6}$/.test(sender);
/** Any body: a 中間サーバー or a national body's own node (decision 0163). */
const fromBody = (sender: string) => bodyOfNode(sender) !== undefined;

const invalid = (detail: string) => new Problem(400, 'INVALID_REQUEST', '要求の内容が正しくありません', detail);

function fields(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid('本文がJSONオブジェクトではありません。');
  return body as Record<string, unknown>;
}

function str(b: Record<string, unknown>, name: string, re: RegExp, what: string): string {
  const v = b[name];
  if (typeof v !== 'string' || !re.test(v)) throw invalid(`${what}（${name}）の形式が正しくありません。`);
  return v;
}

const CODE_RE = /^[A-Za-z0-9_-]{16,100}$/;
const NAME_RE = /^[a-z0-9-]{1,80}$/;

const jimuName = (jimu: string) => JIMU_NAMES[jimu] ?? jimu;
const itemName = (item: string) => ITEM_NAMES[item] ?? item;

const codeUnknown = () =>
  new Problem(404, 'CODE_UNKNOWN', '情報提供用個人識別符号を確認できません', 'この符号は、照会元の団体に発行されたものではありません。団体ごとに発行された符号を使ってください。');

const PROVIDER_STATUSES = new Set(['provided', 'pending', 'none']);

export interface NetworkDeps {
  readonly ctx: PeerContext;
  /** The 符号 secret (fugo.ts). */
  readonly fugoKey: Buffer;
}

export function networkServices({ ctx, fugoKey }: NetworkDeps): Record<string, ServiceDef> {
  const { db, node, clock } = ctx;
  const callerBody = (msg: Incoming) => bodyOfNode(msg.sender)!;

  const answerOf = (r: Pick<ExchangeRecord, 'exchangeId' | 'permitId' | 'legalBasis' | 'status' | 'providerBody'>, relayed?: string): Outgoing => ({
    body: { exchangeId: r.exchangeId, permitId: r.permitId, legalBasis: r.legalBasis, status: r.status, provider: r.providerBody },
    ...(relayed ? { relayed: [relayed] } : {}),
  });

  /** Reads the provider's signed answer: its clear status, and that its personal part is for the requester only (XCH-16). */
  function providerStatus(answer: Incoming, requester: string): RecordStatus {
    const env = answer.envelope;
    if (env.enc && env.enc.to !== requester) {
      throw new Problem(502, 'PROVIDER_BAD_ANSWER', '情報提供者の応答を中継できません', '情報提供者の応答が照会元の中間サーバーあてに暗号化されていません。');
    }
    const clear = env.body && typeof env.body === 'object' ? (env.body as { status?: unknown }).status : undefined;
    if (typeof clear === 'string' && PROVIDER_STATUSES.has(clear)) return clear as RecordStatus;
    if (clear === undefined) return env.enc ? 'provided' : 'none';
    throw new Problem(502, 'PROVIDER_BAD_ANSWER', '情報提供者の応答を中継できません', `情報提供者の応答の状態（${String(clear).slice(0, 20)}）が正しくありません。`);
  }

  /** A failure reaching the provider or reading its answer, as the requester sees it. */
  function providerFailure(e: unknown, providerNode: string, exchangeId: string): Problem {
    const title = node.directory.title(providerNode);
    if (e instanceof Problem && e.status < 500) {
      return new Problem(502, 'PROVIDER_REFUSED', '情報提供者が照会を受け付けませんでした', `「${title}」が照会を受け付けませんでした（${e.code}）。情報連携ID ${exchangeId}`);
    }
    if (e instanceof Problem && e.code === 'PROVIDER_BAD_ANSWER') return e;
    if (!(e instanceof Problem) || e.status !== 503) {
      return new Problem(502, 'PROVIDER_FAILED', '情報提供者からの応答を受け取れませんでした', `「${title}」の応答が正しくありません（${e instanceof Problem ? e.code : 'ERROR'}）。照会は記録上「失敗」となりました（情報連携ID ${exchangeId}）。`);
    }
    return new Problem(503, 'PROVIDER_UNREACHABLE', '情報提供者に接続できません', `「${title}」に接続できませんでした。照会は記録上「失敗」となりました。新しい照会IDで照会し直してください（情報連携ID ${exchangeId}）。`);
  }

  return {
    'code.issue': {
      title: '情報提供用個人識別符号の発行',
      from: fromBody,
      async handle(msg) {
        const b = fields(msg.body);
        const juminhyoCode = str(b, 'juminhyoCode', /^\d{11}$/, '住民票コード');
        const linked = await node.call('jlis', 'person.link', { juminhyoCode }, { personal: true });
        const link = (linked.body as { link?: unknown } | undefined)?.link;
        if (typeof link !== 'string' || link.length < 8 || link.length > 200) {
          throw new Problem(502, 'JLIS_BAD_ANSWER', '住基ネットの応答が正しくありません', '住基ネットから個人の連携情報を受け取れませんでした。');
        }
        const body = callerBody(msg);
        const now = clock.now();
        const personId = await personOfLink(db, link, now);
        const code = fugoOf(fugoKey, body, personId);
        await saveCode(db, body, code, personId, now);
        return { body: { code }, personal: true };
      },
    },

    'permissions.list': {
      title: '照会許可用照合リストの配信',
      from: fromBody,
      async handle() {
        return { body: await listPermissions(db) };
      },
    },

    inquiry: {
      title: '情報照会の仲介',
      from: fromChukan,
      async handle(msg) {
        const b = fields(msg.body);
        const inquiryId = str(b, 'inquiryId', /^[A-Za-z0-9._:-]{1,64}$/, '照会ID');
        const code = str(b, 'code', CODE_RE, '符号');
        const jimu = str(b, 'jimu', NAME_RE, '事務');
        const item = str(b, 'item', NAME_RE, '特定個人情報の項目');
        const provider = str(b, 'provider', /^(\d{6}|[a-z][a-z0-9-]{1,30})$/, '情報提供者の団体コード');
        const providerKind = kindOfBody(provider);
        const requesterBody = callerBody(msg);
        const now = clock.now();
        const exchangeId = randomUUID();
        const base = { exchangeId, inquiryId, at: now, requesterBody, providerBody: provider, jimu, item, requesterCode: code };
        const duplicate = () =>
          new Problem(409, 'INQUIRY_DUPLICATE', '同じ照会IDの照会を受付済みです', `照会ID ${inquiryId} は使用済みです。結果は inquiry.result で確認し、照会し直すときは新しい照会IDを使ってください。`);

        const refuse = async (p: Problem, extra: { personId?: string; permissionId?: string; legalBasis?: string } = {}): Promise<never> => {
          if (!(await addRecord(db, { ...base, ...extra, status: 'refused', refusalCode: p.code, refusalReason: p.detail ?? p.title }))) throw duplicate();
          throw p;
        };

        const personId = await personOfCode(db, requesterBody, code);
        if (!personId) return refuse(codeUnknown());
        if (provider === requesterBody) {
          return refuse(new Problem(400, 'SELF_INQUIRY', '自団体への照会はできません', '情報照会は他の団体に対して行います。自団体の情報は庁内の仕組みで参照してください。'), { personId });
        }
        if (!providerKind) {
          return refuse(new Problem(404, 'PROVIDER_UNKNOWN', '情報提供者が見つかりません', `情報提供者 ${provider} は情報提供ネットワークシステムに接続している機関ではありません。`), { personId });
        }
        const permission = await findPermission(db, { jimu, item, requesterKind: 'municipality', providerKind, today: clock.today() });
        if (!permission) {
          return refuse(
            new Problem(403, 'PERMISSION_DENIED', '照会が許可されていません',
              `事務「${jimuName(jimu)}」による「${itemName(item)}」の照会は、番号法で認められた情報連携ではありません（照会許可用照合リストに該当がありません）。`),
            { personId },
          );
        }
        const providerNode = nodeOfBody(provider);
        if (!node.directory.has(providerNode)) {
          return refuse(new Problem(404, 'PROVIDER_UNKNOWN', '情報提供者が見つかりません', `団体コード ${provider} の${providerKind === 'municipality' ? '中間サーバー' : '機関'}は接続先一覧にありません。`), {
            personId, permissionId: permission.id, legalBasis: permission.legalBasis,
          });
        }

        const { jws: permit, permit: p } = await issuePermit(node.keys, now, {
          exchangeId, requester: msg.sender, provider: providerNode, jimu, item, legalBasis: permission.legalBasis,
        });
        const providerCode = await codeOfPerson(db, provider, personId);
        const rec = {
          ...base, personId, permissionId: permission.id, legalBasis: permission.legalBasis, permitId: p.permitId,
          permitExp: new Date(p.exp * 1000), providerCode: providerCode ?? null,
        };
        // The provider never acquired a 符号 for this person: it holds nothing about them.
        if (!providerCode) {
          if (!(await addRecord(db, { ...rec, status: 'none' }))) throw duplicate();
          return answerOf({ ...rec, status: 'none' });
        }
        if (!(await addRecord(db, { ...rec, status: 'permitted' }))) throw duplicate();
        let status: RecordStatus;
        let relayed: string;
        try {
          const answer = await node.call(providerNode, 'provide', { permit, code: providerCode, item, requester: msg.sender }, { personal: true });
          status = providerStatus(answer, msg.sender);
          relayed = answer.jws;
        } catch (e) {
          const p2 = providerFailure(e, providerNode, exchangeId);
          await settleRecord(db, exchangeId, clock.now(), { status: 'failed', refusalCode: e instanceof Problem ? e.code : p2.code, refusalReason: p2.detail ?? p2.title });
          throw p2;
        }
        await settleRecord(db, exchangeId, clock.now(), { status });
        return answerOf({ ...rec, status }, relayed);
      },
    },

    'inquiry.result': {
      title: '情報照会の結果の再確認',
      from: fromChukan,
      async handle(msg) {
        const b = fields(msg.body);
        const exchangeId = str(b, 'exchangeId', /^[0-9a-f-]{36}$/i, '情報連携ID');
        const rec = await getRecord(db, exchangeId);
        if (!rec || rec.requesterBody !== callerBody(msg)) {
          throw new Problem(404, 'EXCHANGE_NOT_FOUND', '情報連携が見つかりません', `情報連携ID ${exchangeId} の照会はこの団体の記録にありません。`);
        }
        if (rec.status !== 'pending') return answerOf(rec);
        const providerNode = nodeOfBody(rec.providerBody);
        // A fresh permit for the same exchange: the first one may have expired while the answer was pending.
        const { jws: permit, permit: p } = await issuePermit(node.keys, clock.now(), {
          permitId: rec.permitId ?? undefined, exchangeId, requester: msg.sender, provider: providerNode, jimu: rec.jimu, item: rec.item, legalBasis: rec.legalBasis ?? '',
        });
        let status: RecordStatus;
        let relayed: string;
        try {
          const answer = await node.call(providerNode, 'provide.result', { exchangeId, permit });
          status = providerStatus(answer, msg.sender);
          relayed = answer.jws;
        } catch (e) {
          // The exchange stays pending at the provider; the requester may ask again later.
          const p2 = providerFailure(e, providerNode, exchangeId);
          throw new Problem(p2.status, p2.code, p2.title, `「${node.directory.title(providerNode)}」から結果を受け取れませんでした。時間をおいて再確認してください（情報連携ID ${exchangeId}）。`);
        }
        await settleRecord(db, exchangeId, clock.now(), { status, permitExp: new Date(p.exp * 1000) });
        return answerOf({ ...rec, status }, relayed);
      },
    },

    'records.person': {
      title: '情報提供等記録の提供（本人の記録）',
      from: fromChukan,
      async handle(msg) {
        const b = fields(msg.body);
        const code = str(b, 'code', CODE_RE, '符号');
        const personId = await personOfCode(db, callerBody(msg), code);
        if (!personId) throw codeUnknown();
        const rows = await recordsOfPerson(db, personId);
        const nameOf = (body: string) => (node.directory.has(nodeOfBody(body)) ? node.directory.title(nodeOfBody(body)) : undefined);
        const records = rows.map((r) => ({
          exchangeId: r.exchangeId,
          at: r.at.toISOString(),
          requester: r.requesterBody,
          ...(nameOf(r.requesterBody) ? { requesterName: nameOf(r.requesterBody) } : {}),
          provider: r.providerBody,
          ...(nameOf(r.providerBody) ? { providerName: nameOf(r.providerBody) } : {}),
          jimu: r.jimu,
          jimuName: jimuName(r.jimu),
          item: r.item,
          itemName: itemName(r.item),
          legalBasis: r.legalBasis,
          status: r.status,
        }));
        return { body: { records }, personal: true };
      },
    },
  };
}
