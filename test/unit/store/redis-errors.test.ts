import { ReplyError } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { isUnavailableError } from '../../../src/store/redis/client.js';

describe('Redis errors that mean "not serving right now" (UNAVAILABLE)', () => {
  it.each([
    // Replies as Redis 7 sends them from inside a script (checked against redis-server 7.0).
    'NOREPLICAS Not enough good replicas to write. script: 457d9670d3389153872a900a82dfc423413e060f, on @user_script:1.',
    "OOM command not allowed when used memory > 'maxmemory'. script: 457d9670d3389153872a900a82dfc423413e060f, on @user_script:1.",
    "READONLY You can't write against a read only replica.",
    'LOADING Redis is loading the dataset in memory',
  ])('%s', (message) => {
    expect(isUnavailableError(new ReplyError(message))).toBe(true);
  });

  it('a script or programming error stays unexpected (INTERNAL)', () => {
    expect(isUnavailableError(new ReplyError('ERR user_script:3: Script attempted to access nonexistent global variable'))).toBe(
      false,
    );
    expect(isUnavailableError(new ReplyError('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
  });
});
