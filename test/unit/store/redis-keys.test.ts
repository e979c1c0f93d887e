import { describe, it, expect } from 'vitest';
import { TenantKeys, encodeId } from '../../../src/store/redis/keys.js';

/** The hash tags of a key as Redis Cluster reads them: every `{...}` substring. */
function hashTags(key: string): string[] {
  return [...key.matchAll(/\{[^{}]*\}/g)].map((m) => m[0]);
}

/** The part of a key Redis Cluster hashes: the content of the first `{…}` with a non-empty body. */
function slotPart(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

const TRICKY_IDS = [
  '',
  'a',
  'a:b',
  'a:b:c',
  'a{b}',
  '{a}',
  '}{',
  '{',
  '}',
  ':',
  '::',
  'user 1',
  'é',
  'e\u0301',
  '日本',
  '\u0000',
  'a\u0000b',
  'A',
  'a=',
  'a==',
  '-_',
  '+/',
  'x'.repeat(256),
];

function allKeys(keys: TenantKeys): string[] {
  return [
    keys.refreshToken('digest'),
    keys.familyRevoked('family'),
    keys.sequence(),
    keys.userWatermark('user:1'),
    keys.audienceWatermark('{api}'),
    keys.userAudienceWatermark('u:{x}', 'a:{y}'),
    ...keys.watermarksFor('user', ['api', 'admin']),
    keys.audit(),
    keys.signingKeys(),
  ];
}

describe('encodeId', () => {
  it('is injective on tricky ids', () => {
    const encoded = TRICKY_IDS.map(encodeId);
    expect(new Set(encoded).size).toBe(TRICKY_IDS.length);
  });

  it.each([
    ['a:b', 'a'],
    ['a', 'a:'],
    ['é', 'e\u0301'],
    ['a', 'A'],
    ['ab', 'a\u0000b'],
    ['{a}', 'a'],
  ])('encodes %j and %j differently', (a, b) => {
    expect(encodeId(a)).not.toBe(encodeId(b));
  });

  it.each(TRICKY_IDS.map((id) => [JSON.stringify(id).slice(0, 40), id]))(
    'never contains a separator or brace: %s',
    (_name, id) => {
      const encoded = encodeId(id);
      expect(encoded).not.toMatch(/[:{}]/);
      expect(encoded).toMatch(/^[A-Za-z0-9_-]*$/);
    },
  );

  it('round-trips through base64url', () => {
    for (const id of TRICKY_IDS) expect(Buffer.from(encodeId(id), 'base64url').toString('utf8')).toBe(id);
  });
});

describe('TenantKeys', () => {
  it.each(['tenant-a', 'a{b}c', '{x}', '}{', 'a:b', ':{}:', 'é'])(
    'gives tenant %j one hash tag shared by every key',
    (tenant) => {
      const keys = new TenantKeys(tenant);
      const expectedTag = `{${encodeId(tenant)}}`;
      for (const key of allKeys(keys)) {
        expect(hashTags(key)).toEqual([expectedTag]);
        expect(key.split('{')).toHaveLength(2);
        expect(key.split('}')).toHaveLength(2);
        expect(slotPart(key)).toBe(encodeId(tenant));
        expect(key.startsWith(keys.prefix)).toBe(true);
      }
    },
  );

  it('gives different tenants different tags, even when ids look alike', () => {
    const tenants = ['a', 'a:', '{a}', 'a}', 'A'];
    const tags = tenants.map((t) => hashTags(new TenantKeys(t).sequence())[0]);
    expect(new Set(tags).size).toBe(tenants.length);
  });

  it('does not let tenant and id boundaries shift', () => {
    expect(new TenantKeys('a:b').userWatermark('c')).not.toBe(new TenantKeys('a').userWatermark('b:c'));
  });

  it('keeps user and audience apart in the pair watermark', () => {
    const keys = new TenantKeys('t');
    expect(keys.userAudienceWatermark('a:b', 'c')).not.toBe(keys.userAudienceWatermark('a', 'b:c'));
    expect(keys.userAudienceWatermark('a', 'b')).not.toBe(keys.userAudienceWatermark('b', 'a'));
    expect(keys.userAudienceWatermark('a{', '}b')).not.toBe(keys.userAudienceWatermark('a', '{}b'));
  });

  it('keeps the user, audience and pair watermarks apart', () => {
    const keys = new TenantKeys('t');
    const names = [
      keys.userWatermark('x'),
      keys.audienceWatermark('x'),
      keys.userAudienceWatermark('x', 'x'),
      keys.userAudienceWatermark('x', ''),
    ];
    expect(new Set(names).size).toBe(names.length);
  });

  it('lists the user watermark and two per distinct audience', () => {
    const keys = new TenantKeys('t');
    const list = keys.watermarksFor('u', ['a', 'a', 'b']);
    expect(list).toHaveLength(5);
    expect(new Set(list).size).toBe(5);
    expect(list).toEqual(
      expect.arrayContaining([
        keys.userWatermark('u'),
        keys.audienceWatermark('a'),
        keys.audienceWatermark('b'),
        keys.userAudienceWatermark('u', 'a'),
        keys.userAudienceWatermark('u', 'b'),
      ]),
    );
  });

  it('lists only the user watermark without audiences', () => {
    const keys = new TenantKeys('t');
    expect(keys.watermarksFor('u', [])).toEqual([keys.userWatermark('u')]);
  });

  it('gives each kind of key a distinct name', () => {
    const keys = new TenantKeys('t');
    const names = [
      keys.refreshToken('x'),
      keys.familyRevoked('x'),
      keys.sequence(),
      keys.audit(),
      keys.signingKeys(),
      keys.userWatermark('x'),
    ];
    expect(new Set(names).size).toBe(names.length);
  });

  it('never puts a raw user or audience id in a key name', () => {
    const keys = new TenantKeys('t');
    expect(keys.userWatermark('alice@example.com')).not.toContain('alice');
    expect(keys.audienceWatermark('payments-api')).not.toContain('payments');
  });
});
