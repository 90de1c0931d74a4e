/**
 * The app's Sentinel client (src/redis/redis-sentinel.ts) against real Sentinels (the stack's
 * redis-sentinel.ts part): it finds the primary, follows a failover and a killed primary, the
 * scripts work on a new primary that never saw them (NOSCRIPT, then EVAL), and it knows when the
 * primary has no replica left to wait for (replica-ack.ts), and it follows only a primary that two
 * Sentinels agree on.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { redisClient } from '../../src/redis/redis.module.js';
import { RedisScript } from '../../src/redis/redis-script.js';
import { SentinelPrimary } from '../../src/redis/redis-sentinel.js';
import { findBinaries, makeStackDir, PortPicker } from '../stack/machine.js';
import { Processes, waitReady } from '../stack/proc.js';
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

describe('SentinelPrimary and a Sentinel that names another primary', () => {
  let stopSet: (() => Promise<void>) | undefined;
  let real: RedisSentinel;
  let follower: SentinelPrimary | undefined;
  let rogueDir: string;
  let rogueProcs: Processes;
  let roguePort: number;

  beforeAll(async () => {
    const started = await startStandaloneSentinels();
    ({ sentinel: real, stop: stopSet } = started);
    // A Redis of someone else's, and a Sentinel that monitors it under the app's master name
    // (quorum 1): one wrong, stale or spoofed Sentinel among the app's.
    const ports = new PortPicker();
    roguePort = await ports.pick(undefined, 'redis');
    const rogueSentinelPort = await ports.pick(undefined, 'redis');
    rogueDir = await makeStackDir();
    await mkdir(path.join(rogueDir, 'logs'));
    rogueProcs = new Processes(path.join(rogueDir, 'logs'));
    const redisServer = findBinaries(['redis']).redis;
    // prettier-ignore
    const rogue = rogueProcs.launch('rogue-redis', redisServer, ['--port', String(roguePort), '--bind', '127.0.0.1', '--save', '', '--dir', rogueDir]);
    await waitReady(rogue, async () => (await redisCommand(roguePort, ['PING'])) === 'PONG');
    const config = path.join(rogueDir, 'sentinel.conf');
    await writeFile(
      config,
      [
        `port ${rogueSentinelPort}`,
        'bind 127.0.0.1',
        `dir ${rogueDir}`,
        `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${roguePort} 1`,
        '',
      ].join('\n'),
    );
    const rogueSentinel = rogueProcs.launch('rogue-sentinel', redisServer, [config, '--sentinel']);
    await waitReady(rogueSentinel, async () => {
      const reply = (await redisCommand(rogueSentinelPort, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER])) as string[] | null;
      return reply?.[1] === String(roguePort);
    });
    follower = new SentinelPrimary({
      // The rogue first: a client that follows the first Sentinel to answer would follow it.
      sentinels: [{ host: '127.0.0.1', port: rogueSentinelPort }, ...started.nodes],
      masterName: SENTINEL_MASTER,
      password: undefined,
      clientFor: (node) => redisClient(new Logger('Redis'), { host: node.host, port: node.port }),
    });
    await follower.start();
  }, 60_000);
  afterAll(async () => {
    (await follower?.stop())?.destroy();
    await stopSet?.();
    await rogueProcs?.stopRest();
    await rm(rogueDir, { recursive: true, force: true });
  });

  it('writes only to the primary that two Sentinels agree on', async () => {
    expect(follower!.primary?.port).toBe(await real.primaryPort());
    await follower!.client.set('agreed', 'yes');
    expect(await redisCommand(await real.primaryPort(), ['GET', 'agreed'])).toBe('yes');
    expect(await redisCommand(roguePort, ['GET', 'agreed'])).toBeNull();
  });
});
