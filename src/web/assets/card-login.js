// マイナンバーカード（合成）でのログイン: signs the portal's login challenge in the page, with WebCrypto only.
// The card file (docs/formats/card-file.md, format "mamori-card/1") keeps the 利用者証明用 private key as
// PKCS#8 encrypted under the 4-digit PIN: PBKDF2-SHA256 (the file's iterations and salt) → AES-256-GCM
// (the file's iv).  The key never leaves the page; the PIN is not sent anywhere.
//
//   window.mamoriCard.sign(fileText, pin, challengeB64u) → Promise<{certPem, signature}>
//
// `challengeB64u` is the challenge's bytes in base64url; `signature` is the base64url RSASSA-PKCS1-v1_5
// SHA-256 signature over those bytes; `certPem` the 利用者証明用 certificate from the file.  A wrong PIN
// rejects with an Error whose message is 「暗証番号が違います」 (code "CARD_PIN_WRONG"); the portal counts
// the failures (a real card locks itself after 3).  The revocation check is the portal's, on the server.
(function (root) {
  'use strict';
  var FORMAT = 'mamori-card/1';
  var ALG = 'PBKDF2-SHA256/A256GCM';

  function fail(code, message) {
    var e = new Error(message);
    e.code = code;
    return e;
  }

  function b64ToBytes(s) {
    var bin = root.atob(s);
    var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function b64uToBytes(s) {
    var t = String(s).replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
    while (t.length % 4) t += '=';
    return b64ToBytes(t);
  }

  function bytesToB64u(buf) {
    var bytes = new Uint8Array(buf);
    var bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return root.btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function readFile(fileText) {
    var f;
    try {
      f = typeof fileText === 'string' ? JSON.parse(fileText) : fileText;
    } catch (e) {
      throw fail('CARD_FILE_MALFORMED', 'カードのファイルを読めません');
    }
    var k = f && f.authKey;
    if (!f || f.format !== FORMAT || typeof f.authCert !== 'string' || !k || k.alg !== ALG || typeof k.iterations !== 'number' || typeof k.salt !== 'string' || typeof k.iv !== 'string' || typeof k.data !== 'string') {
      throw fail('CARD_FILE_MALFORMED', 'カードのファイルを読めません');
    }
    return f;
  }

  async function sign(fileText, pin, challengeB64u) {
    var f = readFile(fileText);
    if (!/^[0-9]{4}$/.test(String(pin))) throw fail('CARD_PIN_INVALID', '暗証番号は4桁の数字です');
    if (typeof challengeB64u !== 'string' || !/^[A-Za-z0-9_-]+={0,2}$/.test(challengeB64u)) throw fail('CARD_CHALLENGE_MALFORMED', 'チャレンジの形式が正しくありません');
    var subtle = root.crypto.subtle;
    var k = f.authKey;
    var base = await subtle.importKey('raw', new root.TextEncoder().encode(String(pin)), 'PBKDF2', false, ['deriveKey']);
    var aes = await subtle.deriveKey(
      { name: 'PBKDF2', hash: 'SHA-256', salt: b64ToBytes(k.salt), iterations: k.iterations },
      base,
      { name: 'AES-GCM', length: 256 },
      false,
      ['decrypt'],
    );
    var pkcs8;
    try {
      pkcs8 = await subtle.decrypt({ name: 'AES-GCM', iv: b64ToBytes(k.iv) }, aes, b64ToBytes(k.data));
    } catch (e) {
      throw fail('CARD_PIN_WRONG', '暗証番号が違います');
    }
    var key = await subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    var sig = await subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, key, b64uToBytes(challengeB64u));
    return { certPem: f.authCert, signature: bytesToB64u(sig) };
  }

  async function decryptWithPin(k, pin) {
    if (!/^[0-9]{4}$/.test(String(pin))) throw fail('CARD_PIN_INVALID', '暗証番号は4桁の数字です');
    var subtle = root.crypto.subtle;
    var base = await subtle.importKey('raw', new root.TextEncoder().encode(String(pin)), 'PBKDF2', false, ['deriveKey']);
    var aes = await subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: b64ToBytes(k.salt), iterations: k.iterations }, base, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
    try {
      return await subtle.decrypt({ name: 'AES-GCM', iv: b64ToBytes(k.iv) }, aes, b64ToBytes(k.data));
    } catch (e) {
      throw fail('CARD_PIN_WRONG', '暗証番号が違います');
    }
  }

  // 券面事項入力補助 (docs/formats/card-file.md): the issuer-signed block {text, signature}, opened with the PIN.
  async function readKenmen(fileText, pin) {
    var f = readFile(fileText);
    if (!f.kenmen || f.kenmen.alg !== ALG) throw fail('KENMEN_ABSENT', 'このカードには券面事項入力補助の情報がありません');
    var bytes = await decryptWithPin(f.kenmen, pin);
    return JSON.parse(new root.TextDecoder().decode(bytes));
  }

  // Signs a text (a document's canonical JSON) with the 署名用 key: {certPem: signCert, signature: base64url}.
  async function signDocument(fileText, pin, text) {
    var f = readFile(fileText);
    if (!f.signKey || f.signKey.alg !== ALG || typeof f.signCert !== 'string') throw fail('CARD_FILE_MALFORMED', 'カードのファイルを読めません');
    var pkcs8 = await decryptWithPin(f.signKey, pin);
    var key = await root.crypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
    var sig = await root.crypto.subtle.sign({ name: 'RSASSA-PKCS1-v1_5' }, key, new root.TextEncoder().encode(text));
    return { certPem: f.signCert, signature: bytesToB64u(sig) };
  }

  root.mamoriCard = { sign: sign, readKenmen: readKenmen, signDocument: signDocument };
})(window);
