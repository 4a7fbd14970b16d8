// PLACEHOLDER on branch wt/portal only — NOT the real JPKI verification.
// The card-CA branch (src/peers/card, src/kernel/jpki) supplies the real `verifyCardSignature`; the lead
// takes that file at merge and drops this one.  Until then every call fails, so nothing can log in by
// accident with this placeholder.  The portal's tests inject a test verifier (test/harness/portal-peers.ts).

export interface CardSignatureInput {
  /** The 利用者証明用 certificate (PEM) the card file holds. */
  readonly certPem: string;
  /** The card CA's certificate (PEM), `GET <card>/card/v1/ca.pem`. */
  readonly caCertPem: string;
  /** The challenge as the browser was given it (base64url of 32 random bytes). */
  readonly challenge: string;
  /** The card's signature over the challenge bytes (base64url). */
  readonly signature: string;
  readonly now: Date;
}

export interface VerifiedCard {
  readonly serial: string;
  readonly notAfter: string;
  readonly subject: string;
}

export function verifyCardSignature(input: CardSignatureInput): VerifiedCard {
  void input;
  throw new Error('not merged');
}
