import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/clock.js';
import { ExpiringMap, PRUNE_EVERY_WRITES } from '../../../src/store/memory/expiring-map.js';

describe('ExpiringMap', () => {
  it('an entry is live until its expiry and absent from that moment on', () => {
    const clock = new ManualClock(1_000);
    const map = new ExpiringMap<string, string>(clock);
    map.set('a', 'one', 100);
    map.setUntil('b', 'two', 1_050);
    expect(map.get('a')).toBe('one');
    clock.advance(49);
    expect(map.get('b')).toBe('two');
    clock.advance(1);
    expect(map.get('b')).toBeUndefined();
    expect(map.get('a')).toBe('one');
    clock.advance(50);
    expect(map.get('a')).toBeUndefined();
    expect(map.size()).toBe(0);
  });

  it('answers for a given moment instead of the clock when asked', () => {
    const clock = new ManualClock(1_000);
    const map = new ExpiringMap<string, number>(clock);
    map.setUntil('k', 7, 2_000);
    expect(map.get('k', 1_999)).toBe(7);
    expect(map.get('k', 2_000)).toBeUndefined();
    // Read as lapsed, the entry is gone for later readers too.
    expect(map.get('k', 1_500)).toBeUndefined();
  });

  it('prune drops the lapsed entries only and counts them; delete removes one', () => {
    const clock = new ManualClock(0);
    const map = new ExpiringMap<number, string>(clock);
    for (let i = 0; i < 10; i += 1) map.set(i, `v${i}`, i < 4 ? 10 : 1_000);
    clock.advance(10);
    expect(map.size()).toBe(10);
    expect(map.prune()).toBe(4);
    expect(map.size()).toBe(6);
    map.delete(9);
    expect(map.get(9)).toBeUndefined();
    expect(map.prune(1_000)).toBe(5);
  });

  it(`prunes itself every ${PRUNE_EVERY_WRITES} writes, so lapsed entries never pile up unread`, () => {
    const clock = new ManualClock(0);
    const map = new ExpiringMap<number, number>(clock);
    for (let i = 0; i < PRUNE_EVERY_WRITES - 1; i += 1) map.set(i, i, 5);
    clock.advance(5);
    expect(map.size()).toBe(PRUNE_EVERY_WRITES - 1);
    map.set(-1, -1, 5);
    expect(map.size()).toBe(1);
    expect(map.get(-1)).toBe(-1);
  });
});
