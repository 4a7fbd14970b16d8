// The municipality's card window (市区町村の窓口, synthetic; decision 0144): a My Number card for a resident.
// Two key pairs are generated here (standing in for the card's chip), the certificates are issued by the
// synthetic 公的個人認証サービス (`card` node, asked over the message layer with the 4情報 and, for the
// 健康保険証 link, the My Number), and the private keys go into a card file encrypted under the 4-digit PIN.
// The My Number is read through the vault for the issuance message only.
import type { ExchangeNode } from '../../kernel/exchange/index.js';
import type { MamoriDb } from '../../kernel/db/index.js';
import type { Vault } from '../../kernel/vault/index.js';
import type { Clock } from '../../kernel/clock/index.js';
import { runAs, type Principal } from '../../kernel/context/index.js';
import { appendEntry } from '../../kernel/audit/index.js';
import { notFound, Problem } from '../../kernel/problems/index.js';
import * as jpki from '../../kernel/jpki/index.js';
import { PERSON_SUBJECT } from '../residents/index.js';

/** The purpose written with the My Number's use and the resident's read (operation log). */
export const CARD_ISSUE_PURPOSE = 'マイナンバーカードの電子証明書の発行（公的個人認証サービス・合成）';
export const CARD_NODE = 'card';

export interface IssuedCard {
  readonly cardFile: jpki.CardFile;
  readonly authSerial: string;
  readonly signSerial: string;
  readonly notBefore: string;
  readonly notAfter: string;
  /** Whether 支払基金 linked the card to the insured person (健康保険証の利用登録). */
  readonly linked: boolean;
}

/** Issues a synthetic card for resident `atena` of `who.tenant`, its keys under `pin`.  Refusals are Problems. */
export async function issueCard(deps: { db: MamoriDb; vault: Vault; clock: Clock }, who: Principal, node: ExchangeNode, atena: string, pinRaw: unknown): Promise<IssuedCard> {
  const pin = jpki.checkPin(pinRaw);
  const state = await runAs(deps.db, who, async (w) => {
    const r = await w.tx.selectFrom('municipality.persons').select(['atena_no', 'state']).where('tenant_code', '=', w.tenant).where('atena_no', '=', atena).executeTakeFirst();
    if (!r) throw notFound('住民');
    await appendEntry(w.tx, w, { action: 'read', targetType: 'resident', targetId: atena, subjectRef: `resident:${atena}`, purpose: CARD_ISSUE_PURPOSE });
    return r.state;
  });
  if (state.status !== 'resident') throw new Problem(409, 'CARD_NOT_RESIDENT', '住民でない方にはカードを発行できません', `宛名番号 ${atena} の方は住民基本台帳に記録された住民ではありません。`);
  const subject = { subjectType: PERSON_SUBJECT, subjectId: atena };
  if (!(await runAs(deps.db, who, (w) => deps.vault.has(w, subject)))) {
    throw new Problem(409, 'NO_MYNUMBER', '個人番号が登録されていません', 'この方の個人番号が住民記録にないため、カードを発行できません。');
  }
  const myNumber = await runAs(deps.db, who, (w) => deps.vault.reveal(w, subject, CARD_ISSUE_PURPOSE, { subjectRef: `resident:${atena}` }));
  const keys = await jpki.generateCardKeys();
  const res = await node.call(
    CARD_NODE,
    'card.issue',
    {
      tenant: who.tenant,
      holder: { name: state.nameKanji, nameKana: state.nameKana ?? '', dateOfBirth: state.birthDate, sex: state.sex === 'male' ? '1' : state.sex === 'female' ? '2' : '9', address: state.address },
      myNumber,
      authSpki: await jpki.spkiBase64(keys.auth.publicKey),
      signSpki: await jpki.spkiBase64(keys.sign.publicKey),
    },
    { personal: true },
  );
  const a = res.body as { authCert: string; signCert: string; caCert: string; authSerial: string; signSerial: string; notBefore: string; notAfter: string; linked: boolean; kenmen?: unknown };
  // 券面事項入力補助 (decision 0188): checked against the CA before it is written into the card.
  const kenmen = a.kenmen === undefined ? undefined : await jpki.verifyKenmen(a.kenmen, a.caCert).then(() => a.kenmen as jpki.KenmenBlock);
  // The answer must be the certificates of the keys generated here.
  for (const [pem, pair] of [[a.authCert, keys.auth], [a.signCert, keys.sign]] as const) {
    const got = Buffer.from(new Uint8Array(jpki.parseCertificate(pem).publicKey.rawData)).toString('base64');
    if (got !== (await jpki.spkiBase64(pair.publicKey))) throw new Problem(502, 'CARD_BAD_ANSWER', '公的個人認証サービスの応答が正しくありません', '発行された電子証明書の公開鍵が、生成した鍵と一致しません。');
  }
  const issuedOn = deps.clock.today();
  const cardFile = await jpki.cardFileFromKeys({
    label: `合成マイナンバーカード（${who.tenant}、${issuedOn} 発行）`,
    authCert: a.authCert, signCert: a.signCert, caCert: a.caCert, authKey: keys.auth.privateKey, signKey: keys.sign.privateKey, pin,
    ...(kenmen ? { kenmen } : {}),
  });
  await runAs(deps.db, who, (w) =>
    appendEntry(w.tx, w, {
      action: 'card_issue', targetType: 'card-certificate', targetId: a.authSerial, subjectRef: `resident:${atena}`, purpose: CARD_ISSUE_PURPOSE,
      detail: { signSerial: a.signSerial, notAfter: a.notAfter, linked: a.linked },
    }),
  );
  return { cardFile, authSerial: a.authSerial, signSerial: a.signSerial, notBefore: a.notBefore, notAfter: a.notAfter, linked: a.linked };
}
