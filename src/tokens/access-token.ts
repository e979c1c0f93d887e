import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { SigningKey } from '../keys/key-material.js';

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
}

/**
 * Signs an access token: header {alg, kid, typ: "JWT"}; claims iss, sub, aud (always an
 * array), iat, nbf = iat, exp, jti (UUID v4), sid, rsq and each custom claim as a
 * top-level string. Custom claims never override registered ones (validation also
 * rejects reserved names).
 */
export async function signAccessToken(
  key: SigningKey,
  content: AccessTokenContent,
  issuedAtMs: number,
  ttlMs: number,
): Promise<{ token: string; expiresAtMs: number }> {
  const iat = Math.floor(issuedAtMs / 1000);
  const exp = iat + Math.floor(ttlMs / 1000);
  const token = await new SignJWT({
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
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .sign(key.privateKey);
  return { token, expiresAtMs: exp * 1000 };
}
