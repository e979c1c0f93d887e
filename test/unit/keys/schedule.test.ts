import { describe, expect, it } from 'vitest';
import {
  neverSigns,
  publishedKeys,
  removableKeys,
  removalTime,
  rotationDue,
  signingKey,
  verifyOnlySchedule,
  type KeyPolicy,
  type ScheduledKey,
} from '../../../src/keys/schedule.js';

const MIN = 60_000;
const policy: KeyPolicy = { rotationIntervalMs: 60 * MIN, publishAheadMs: 5 * MIN, accessTokenTtlMs: 15 * MIN, guardMs: 1 * MIN };
const key = (kid: string, createdAt: number, activatesAt = createdAt, expiresAt?: number): ScheduledKey => ({
  kid,
  createdAt,
  activatesAt,
  expiresAt,
});

describe('key schedule', () => {
  it('a single key signs and is published forever', () => {
    const k1 = key('k1', 0);
    expect(signingKey([k1], 10 * 24 * 60 * MIN, policy)?.kid).toBe('k1');
    expect(publishedKeys([k1], 10 * 24 * 60 * MIN, policy).map((k) => k.kid)).toEqual(['k1']);
    expect(removalTime(k1, [k1], policy)).toBe(Infinity);
  });

  it('rotation is due one publish-ahead before the interval ends, not before', () => {
    const k1 = key('k1', 0);
    expect(rotationDue([k1], 55 * MIN - 1, policy)).toBe(false);
    expect(rotationDue([k1], 55 * MIN, policy)).toBe(true);
  });

  it('no rotation while a successor is waiting to activate', () => {
    const keys = [key('k1', 0), key('k2', 55 * MIN, 60 * MIN)];
    expect(rotationDue(keys, 59 * MIN, policy)).toBe(false);
  });

  it('the guard spaces new keys even when the interval is shorter', () => {
    const tight = { ...policy, rotationIntervalMs: 1, publishAheadMs: 0 };
    const keys = [key('k1', 0), key('k2', 10_000)];
    expect(rotationDue(keys, 10_000 + MIN - 1, tight)).toBe(false);
    expect(rotationDue(keys, 10_000 + MIN, tight)).toBe(true);
  });

  it('an empty ring always needs a key', () => {
    expect(rotationDue([], 0, policy)).toBe(true);
  });

  it('the successor signs from its activation; the predecessor stays published for its tokens plus a cache lifetime', () => {
    const k1 = key('k1', 0);
    const k2 = key('k2', 55 * MIN, 60 * MIN);
    const keys = [k1, k2];
    expect(signingKey(keys, 60 * MIN - 1, policy)?.kid).toBe('k1');
    expect(signingKey(keys, 60 * MIN, policy)?.kid).toBe('k2');
    expect(removalTime(k1, keys, policy)).toBe(80 * MIN);
    expect(publishedKeys(keys, 80 * MIN - 1, policy).map((k) => k.kid)).toEqual(['k1', 'k2']);
    expect(publishedKeys(keys, 80 * MIN, policy).map((k) => k.kid)).toEqual(['k2']);
    expect(removableKeys(keys, 80 * MIN, policy).map((k) => k.kid)).toEqual(['k1']);
  });

  it('an emergency-retired key is unpublished at its expiry and never signs after it', () => {
    const k1 = key('k1', 0, 0, 10 * MIN);
    const k2 = key('k2', 10 * MIN, 10 * MIN);
    expect(publishedKeys([k1, k2], 10 * MIN, policy).map((k) => k.kid)).toEqual(['k2']);
    expect(signingKey([k1], 10 * MIN, policy)).toBeUndefined();
  });

  it('a verify-only key (imported) is published until its expiry, never signs, and never holds up a rotation', () => {
    const ours = key('ours', 0);
    // Created after our key, so by activation order alone it would look like the newest.
    const imported = { kid: 'go', ...verifyOnlySchedule(50 * MIN, 75 * MIN) };
    const keys = [ours, imported];
    expect(neverSigns(imported)).toBe(true);
    expect(neverSigns(ours)).toBe(false);
    for (const at of [50 * MIN, 74 * MIN, 75 * MIN, 90 * MIN]) expect(signingKey(keys, at, policy)?.kid).toBe('ours');
    expect(publishedKeys(keys, 75 * MIN - 1, policy).map((k) => k.kid)).toEqual(['ours', 'go']);
    expect(publishedKeys(keys, 75 * MIN, policy).map((k) => k.kid)).toEqual(['ours']);
    expect(removableKeys(keys, 75 * MIN, policy).map((k) => k.kid)).toEqual(['go']);
    // Our key's rotation is due on its own schedule; the imported key's creation is not a new key for the guard.
    expect(rotationDue(keys, 55 * MIN, policy)).toBe(true);
    expect(rotationDue(keys, 55 * MIN - 1, policy)).toBe(false);
    // Our key's successor makes our key retire as usual; the imported key is nobody's successor.
    const successor = key('next', 55 * MIN, 60 * MIN);
    expect(removalTime(ours, [...keys, successor], policy)).toBe(80 * MIN);
    expect(removalTime(imported, [...keys, successor], policy)).toBe(75 * MIN);
  });

  it('a ring holding only verify-only keys needs a key of its own', () => {
    const imported = { kid: 'go', ...verifyOnlySchedule(0, 20 * MIN) };
    expect(signingKey([imported], 10 * MIN, policy)).toBeUndefined();
    expect(rotationDue([imported], 10 * MIN, policy)).toBe(true);
  });

  it('works with intervals beyond the 24.8-day timer limit', () => {
    const long = { ...policy, rotationIntervalMs: 40 * 24 * 60 * MIN };
    expect(rotationDue([key('k1', 0)], 39 * 24 * 60 * MIN, long)).toBe(false);
    expect(rotationDue([key('k1', 0)], 40 * 24 * 60 * MIN - 5 * MIN, long)).toBe(true);
  });
});
