import { describe, expect, it } from 'vitest';
import { createRedisClient } from '../../../src/store/redis/client.js';
import { defineScript, integerReply, stringsReply } from '../../../src/store/redis/define-script.js';

// The parts of a script definition that run before or after Redis; the round trip itself
// (EVALSHA, the EVAL fallback, every topology) is in test/contract/.
describe('defineScript', () => {
  it('refuses a call with the wrong number of keys before sending anything', async () => {
    // Never connected: a command sent would fail with a connection error, not this one.
    const client = createRedisClient({ host: '127.0.0.1', port: 1, db: 0, tls: false });
    const script = defineScript({ name: 'two_keys', keys: 2, lua: 'return 1', reply: integerReply('two_keys') });
    await expect(script(client, ['only-one'], [])).rejects.toThrow('script two_keys takes 2 keys, was given 1');
    client.disconnect();
  });

  it('reads replies strictly, naming the script and never echoing reply values', () => {
    expect(integerReply('s')(3)).toBe(3);
    expect(() => integerReply('s')('3')).toThrow('unexpected reply from script s: string');
    expect(stringsReply('s')(['a', null, 'c'])).toEqual(['a', undefined, 'c']);
    expect(() => stringsReply('s')(['secret-value', 4])).toThrow('unexpected reply from script s: [string, number]');
  });
});
