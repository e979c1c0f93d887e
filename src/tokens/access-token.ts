import { randomUUID } from 'node:crypto';
import type { SigningKey } from '../keys/signer.js';

/** What goes into an access token besides the registered claims we set ourselves. */
export interface AccessTokenContent {
  readonly issuer: string;
  readonly subject: string;
  readonly audiences: readonly string[];
  readonly claims: Readonly<Record<string, string>>;
  /** `sid`: the token family id. */
  readonly sessionId: string;
  /** `rsq`: the issue sequence number taken while the issuing call was in progress. */
  readonly sequence: number;
  /** `cnf.jkt`: the thumbprint of the DPoP key the token is bound to (RFC 9449 §6), if any. */
  readonly jkt?: string | undefined;
}

/**
 * Signs an access token: header {alg, kid, typ: "JWT"}; claims iss, sub, aud (always an
 * array), iat, nbf = iat, exp, jti (UUID v4), sid, rsq, cnf (DPoP-bound only) and each custom claim as a
 * top-level string. Custom claims never override registered ones (validation also
 * rejects reserved names). The compact JWS (RFC 7515 §7.1) is assembled here and only its
 * signing input goes to the key, which may live in another process or an HSM.
 */
export async function signAccessToken(
  key: SigningKey,
  content: AccessTokenContent,
  issuedAtMs: number,
  ttlMs: number,
): Promise<{ token: string; expiresAtMs: number }> {
  const iat = Math.floor(issuedAtMs / 1000);
  const exp = iat + Math.floor(ttlMs / 1000);
  const token = await compactJws(key, {
    ...content.claims,
    iss: content.issuer,
    sub: content.subject,
    aud: [...content.audiences],
    iat,
    nbf: iat,
    exp,
    jti: randomUUID(),
    sid: content.sessionId,
    rsq: content.sequence,
    ...(content.jkt ? { cnf: { jkt: content.jkt } } : {}),
  });
  return { token, expiresAtMs: exp * 1000 };
}

/** `base64url(header).base64url(payload).base64url(signature)` with the header {alg, kid, typ}. */
async function compactJws(key: SigningKey, payload: Readonly<Record<string, unknown>>): Promise<string> {
  const header = { alg: key.alg, kid: key.kid, typ: 'JWT' };
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = await key.sign(Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString('base64url')}`;
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
