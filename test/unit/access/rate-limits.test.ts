import { describe, expect, it } from 'vitest';
import { ALLOW_ALL, parseCallerRegistry } from '../../../src/access/caller-registry.js';
import { callerRateLimits, defaultBurst } from '../../../src/access/rate-limits.js';

const REGISTRY = parseCallerRegistry(
  [
    'version: 1',
    'callers:',
    '  - identity: limited',
    '    permitted_tenants: [acme]',
    '    rate_limit: { per_second: 5, burst: 10 }',
    '  - identity: exempt',
    '    permitted_tenants: [acme]',
    '    rate_limit: { per_second: 0 }',
    '  - identity: plain',
    '    permitted_tenants: [acme]',
    '',
  ].join('\n'),
  'callers.yaml',
);

describe('callerRateLimits', () => {
  it('holds a caller to its registry limit, else to the default; 0 means unlimited', () => {
    const limits = callerRateLimits(REGISTRY, { perSecond: 50, burst: 60 });
    expect(limits.limitOf('limited')).toEqual({ perSecond: 5, burst: 10 });
    expect(limits.limitOf('exempt')).toBeUndefined();
    expect(limits.limitOf('plain')).toEqual({ perSecond: 50, burst: 60 });
    expect(limits.limitOf('stranger')).toEqual({ perSecond: 50, burst: 60 });
  });

  it('limits nobody without a registry limit when the default is 0', () => {
    const limits = callerRateLimits(REGISTRY, { perSecond: 0, burst: 1 });
    expect(limits.limitOf('plain')).toBeUndefined();
    expect(limits.limitOf('limited')).toEqual({ perSecond: 5, burst: 10 });
  });

  it('without a registry (TLS disabled), holds every static-key caller to the default', () => {
    const limits = callerRateLimits(ALLOW_ALL, { perSecond: 2, burst: 4 });
    expect(limits.limitOf('any-static-caller')).toEqual({ perSecond: 2, burst: 4 });
    expect(limits.labelOf('any-static-caller')).toBe('any-static-caller');
  });

  it('labels only configured callers by identity (bounded metric labels)', () => {
    const limits = callerRateLimits(REGISTRY, { perSecond: 1, burst: 1 });
    expect(limits.labelOf('plain')).toBe('plain');
    expect(limits.labelOf('cn-of-some-certificate')).toBe('unlisted');
  });

  it('defaults a burst to one second of the rate, at least one call', () => {
    expect([defaultBurst(0.1), defaultBurst(1), defaultBurst(2.5), defaultBurst(100)]).toEqual([1, 1, 3, 100]);
  });
});
