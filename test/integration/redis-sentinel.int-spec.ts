/**
 * The app's Sentinel client (src/redis/redis-sentinel.ts) against real Sentinels (the stack's
 * redis-sentinel.ts part): it finds the primary, follows a failover and a killed primary, the
 * scripts work on a new primary that never saw them (NOSCRIPT, then EVAL), and it knows when the
 * primary has no replica left to wait for (replica-ack.ts).
 */
import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { redisClient } from '../../src/redis/redis.module.js';
import { RedisScript } from '../../src/redis/redis-script.js';
import { SentinelPrimary } from '../../src/redis/redis-sentinel.js';
import { type RedisSentinel, redisCommand, SENTINEL_MASTER, startStandaloneSentinels } from '../stack/redis-sentinel.js';

const ECHO_SOURCE = `redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])`;
const ECHO_SCRIPT = new RedisScript(ECHO_SOURCE);
const ECHO_SHA = createHash('sha1').update(ECHO_SOURCE).digest('hex');

let stopSentinels: (() => Promise<void>) | undefined;
let sentinel: RedisSentinel;
let primary: SentinelPrimary;

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('SentinelPrimary (real Sentinels)', () => {
  beforeAll(async () => {
    const started = await startStandaloneSentinels();
    ({ sentinel, stop: stopSentinels } = started);
    primary = new SentinelPrimary({
      sentinels: started.nodes,
      masterName: SENTINEL_MASTER,
      password: undefined,
      clientFor: (node) => redisClient(new Logger('Redis'), { host: node.host, port: node.port }),
    });
    await primary.start();
  }, 60_000);
  afterAll(async () => {
    (await primary?.stop())?.destroy();
    await stopSentinels?.();
  });

  it('connects to the primary the Sentinels name, and sees its replica up', async () => {
    expect(primary.primary?.port).toBe(await sentinel.primaryPort());
    expect(await ECHO_SCRIPT.run(primary.client, ['k'], ['before'])).toBe('before');
    await eventually(() => primary.replicaUp);
  });

  it('follows SENTINEL FAILOVER with the same client object; the script runs on the new primary although it never saw it', async () => {
    const client = primary.client;
    const promoted = await sentinel.failover();
    await eventually(() => primary.primary?.port === promoted);
    // Redis 7 replicates a script's effects, not the script: the new primary answers NOSCRIPT first.
    const [known] = (await redisCommand(promoted, ['SCRIPT', 'EXISTS', ECHO_SHA])) as number[];
    expect(known).toBe(0);
    await eventually(async () => (await ECHO_SCRIPT.run(client, ['k'], ['after']).catch(() => null)) === 'after');
    expect(await client.get('k')).toBe('after');
  }, 60_000);

  it('follows a killed primary, and then knows it has no replica up (nothing to WAIT for)', async () => {
    await sentinel.settled();
    await eventually(() => primary.replicaUp);
    const killed = await sentinel.killPrimary();
    const promoted = await sentinel.primaryOtherThan(killed);
    await eventually(() => primary.primary?.port === promoted);
    expect(await primary.client.get('k')).toBe('after');
    await eventually(() => !primary.replicaUp);
  }, 60_000);
});
