/**
 * ListApiKeys page tokens. An owner's keys are ordered by an index member
 * `<creation ms, 15 digits>:<key id>`: creation order, unique, never reused, so the member
 * of the last key of a page is a cursor that stays valid whatever is created or revoked
 * meanwhile. The page token is that member in base64url: opaque to clients.
 */
const MEMBER = /^\d{15}:[0-9A-Za-z]{16}$/;

/** The owner-index member of a key. */
export function indexMember(createdAtMs: number, keyId: string): string {
  return `${String(createdAtMs).padStart(15, '0')}:${keyId}`;
}

/** The page token for a cursor member (`''` stays `''`: no more pages). */
export function pageToken(member: string): string {
  return member === '' ? '' : Buffer.from(member, 'utf8').toString('base64url');
}

/** The cursor member of a page token; undefined when the token is not one this server gave. */
export function fromPageToken(token: string): string | undefined {
  if (token === '') return '';
  const member = Buffer.from(token, 'base64url').toString('utf8');
  return MEMBER.test(member) && pageToken(member) === token ? member : undefined;
}

/** The key id in an index member. */
export function fromIndexMember(member: string): string {
  return member.slice(16);
}
