// The services of the 情報提供ネットワークシステム node (docs/formats/exchange-protocol.md):
// code.issue, permissions.list, inquiry, inquiry.batch, inquiry.result, records.person.  Callers are the
// 中間サーバー (`chukan-<団体コード>`) and the national bodies that ask (decision 0185: the registry); the
// message layer has already verified, logged and decrypted the request.
import { randomUUID } from 'node:crypto';
import { Problem } from '../../kernel/problems/index.js';
import { isIsoDate } from '../../kernel/jp/index.js';
import type { Incoming, Outgoing, PeerContext, ServiceDef } from '../../kernel/exchange/index.js';
import { bodyOfNode, fugoOf, kindOfBody, mayProvide, mayRequest, nodeOfBody } from './fugo.js';
import { issuePermit, subjectsDigest } from './permit.js';
import { ITEM_NAMES, JIMU_NAMES } from './permissions.js';
import {
  addRecord, codeOfPerson, codesOfPersons, findPermission, getRecord, listPermissions, personOfCode, personOfLink, personsOfCodes, recordsOfPerson, saveCode, settleRecord,
  type ExchangeRecord, type RecordStatus,
} from './store.js';

/** A 中間サーバー (a municipality). */
const fromChukan = (sender: string) => /^chukan-\d{6}$/.test(sender);
/** A body that may ask: a 中間サーバー or a national body that requests (decision 0185). */
const fromRequester = (sender: string) => mayRequest(sender);
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

/** At most this many persons in one inquiry.batch (one message each way; decision 0185). */
export const MAX_BATCH_CODES = 1000;

const inquiryOnly = (provider: string, title: string) =>
  new Problem(403, 'PROVIDER_INQUIRY_ONLY', '情報提供を行わない機関です', `「${title}」（${provider}）は情報照会のみを行う機関で、情報提供ネットワークシステムを通じた情報提供は行いません。`);

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
      from: fromRequester,
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
        if (!mayProvide(provider)) return refuse(inquiryOnly(provider, node.directory.title(nodeOfBody(provider))), { personId });
        const permission = await findPermission(db, { jimu, item, requesterKind: kindOfBody(requesterBody)!, providerKind, today: clock.today() });
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

    'inquiry.batch': {
      title: '情報照会の仲介（複数の方の異動の照会）',
      from: fromRequester,
      async handle(msg) {
        const b = fields(msg.body);
        const inquiryId = str(b, 'inquiryId', /^[A-Za-z0-9._:-]{1,48}$/, '照会ID');
        const jimu = str(b, 'jimu', NAME_RE, '事務');
        const item = str(b, 'item', NAME_RE, '特定個人情報の項目');
        const provider = str(b, 'provider', /^(\d{6}|[a-z][a-z0-9-]{1,30})$/, '情報提供者の団体コード');
        const since = str(b, 'since', /^\d{4}-\d{2}-\d{2}$/, '照会対象期間の開始日');
        if (!isIsoDate(since)) throw invalid('照会対象期間の開始日（since）が正しい日付ではありません。');
        const raw = b['codes'];
        if (!Array.isArray(raw) || raw.length === 0 || raw.length > MAX_BATCH_CODES) throw invalid(`符号（codes）は 1〜${MAX_BATCH_CODES} 件の配列で指定してください。`);
        const codes = raw.map((c, i) => {
          if (typeof c !== 'string' || !CODE_RE.test(c)) throw invalid(`符号（codes.${i}）の形式が正しくありません。`);
          return c;
        });
        if (new Set(codes).size !== codes.length) throw invalid('同じ符号が二度指定されています（codes）。');
        const requesterBody = callerBody(msg);
        const providerKind = kindOfBody(provider);
        const now = clock.now();
        const batchId = randomUUID();
        const persons = await personsOfCodes(db, requesterBody, codes);
        const subjects = codes.map((code, i) => ({ code, exchangeId: randomUUID(), inquiryId: `${inquiryId}#${i + 1}`, personId: persons.get(code) }));
        const base = (s: (typeof subjects)[number]) => ({
          exchangeId: s.exchangeId, inquiryId: s.inquiryId, at: now, requesterBody, providerBody: provider, jimu, item, requesterCode: s.code, personId: s.personId ?? null,
        });
        const duplicate = () =>
          new Problem(409, 'INQUIRY_DUPLICATE', '同じ照会IDの照会を受付済みです', `照会ID ${inquiryId} は使用済みです。照会し直すときは新しい照会IDを使ってください。`);
        // One 情報提供等記録 per person, all or none (a re-sent batch is refused as a whole).
        const addAll = (rows: Parameters<typeof addRecord>[1][]) =>
          db.transaction().execute(async (tx) => {
            for (const r of rows) if (!(await addRecord(tx, r))) throw duplicate();
          });
        const refuseAll = async (p: Problem, extra: { permissionId?: string; legalBasis?: string } = {}): Promise<never> => {
          await addAll(subjects.map((s) => ({ ...base(s), ...extra, status: 'refused' as const, refusalCode: p.code, refusalReason: p.detail ?? p.title })));
          throw p;
        };
        if (provider === requesterBody) return refuseAll(new Problem(400, 'SELF_INQUIRY', '自団体への照会はできません', '情報照会は他の団体に対して行います。'));
        if (!providerKind) return refuseAll(new Problem(404, 'PROVIDER_UNKNOWN', '情報提供者が見つかりません', `情報提供者 ${provider} は情報提供ネットワークシステムに接続している機関ではありません。`));
        if (!mayProvide(provider)) return refuseAll(inquiryOnly(provider, node.directory.title(nodeOfBody(provider))));
        const permission = await findPermission(db, { jimu, item, requesterKind: kindOfBody(requesterBody)!, providerKind, today: clock.today() });
        if (!permission) {
          return refuseAll(new Problem(403, 'PERMISSION_DENIED', '照会が許可されていません',
            `事務「${jimuName(jimu)}」による「${itemName(item)}」の照会は、番号法で認められた情報連携ではありません（照会許可用照合リストに該当がありません）。`));
        }
        const providerNode = nodeOfBody(provider);
        const granted = { permissionId: permission.id, legalBasis: permission.legalBasis };
        if (!node.directory.has(providerNode)) return refuseAll(new Problem(404, 'PROVIDER_UNKNOWN', '情報提供者が見つかりません', `${provider} は接続先一覧にありません。`), granted);
        const providerCodes = await codesOfPersons(db, provider, subjects.flatMap((s) => (s.personId ? [s.personId] : [])));
        const asked = subjects.flatMap((s) => {
          const code = s.personId ? providerCodes.get(s.personId) : undefined;
          return code ? [{ exchangeId: s.exchangeId, code }] : [];
        });
        const { jws: permit, permit: p } = await issuePermit(node.keys, now, {
          exchangeId: batchId, requester: msg.sender, provider: providerNode, jimu, item, legalBasis: permission.legalBasis, subjects: subjectsDigest(asked), since,
        });
        const status = new Map<string, RecordStatus>();
        const unknown = codeUnknown();
        await addAll(subjects.map((s) => {
          const providerCode = s.personId ? providerCodes.get(s.personId) : undefined;
          // A code this body was never given: refused; a person the provider holds nothing about: none, not asked.
          const st: RecordStatus = !s.personId ? 'refused' : providerCode ? 'permitted' : 'none';
          status.set(s.exchangeId, st);
          return {
            ...base(s), ...granted, permitId: p.permitId, permitExp: new Date(p.exp * 1000), providerCode: providerCode ?? null, status: st,
            ...(st === 'refused' ? { refusalCode: unknown.code, refusalReason: unknown.detail ?? unknown.title } : {}),
          };
        }));
        let relayed: string | undefined;
        if (asked.length) {
          try {
            const answer = await node.call(providerNode, 'provide.changes', { permit, item, requester: msg.sender, since, subjects: asked }, { personal: true });
            if (providerStatus(answer, msg.sender) !== 'provided') throw new Problem(502, 'PROVIDER_BAD_ANSWER', '情報提供者の応答を中継できません', '情報提供者の応答の状態が正しくありません。');
            const got = (answer.envelope.body as { statuses?: unknown } | undefined)?.statuses;
            const statuses = got && typeof got === 'object' ? (got as Record<string, unknown>) : {};
            for (const a of asked) {
              const st = statuses[a.exchangeId];
              if (st !== 'provided' && st !== 'none') throw new Problem(502, 'PROVIDER_BAD_ANSWER', '情報提供者の応答を中継できません', '情報提供者の応答に照会した方の結果が揃っていません。');
              status.set(a.exchangeId, st);
            }
            relayed = answer.jws;
          } catch (e) {
            const p2 = providerFailure(e, providerNode, batchId);
            await db.transaction().execute(async (tx) => {
              for (const a of asked) await settleRecord(tx, a.exchangeId, clock.now(), { status: 'failed', refusalCode: e instanceof Problem ? e.code : p2.code, refusalReason: p2.detail ?? p2.title });
            });
            throw p2;
          }
          await db.transaction().execute(async (tx) => {
            for (const a of asked) await settleRecord(tx, a.exchangeId, clock.now(), { status: status.get(a.exchangeId)! });
          });
        }
        return {
          body: {
            exchangeId: batchId, permitId: p.permitId, legalBasis: permission.legalBasis, provider, since,
            results: subjects.map((s) => ({ code: s.code, exchangeId: s.exchangeId, status: status.get(s.exchangeId)! })),
          },
          ...(relayed ? { relayed: [relayed] } : {}),
        };
      },
    },

    'inquiry.result': {
      title: '情報照会の結果の再確認',
      from: fromRequester,
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
