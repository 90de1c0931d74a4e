/**
 * The app's Sentinel client (src/redis/redis-sentinel.ts) against real Sentinels (the stack's
 * redis-sentinel.ts part): it finds the primary, follows a failover and a killed primary, the
 * scripts work on a new primary that never saw them (NOSCRIPT, then EVAL), and it knows when the
 * primary has no replica left to wait for (replica-ack.ts), and it follows only a primary that two
 * Sentinels agree on.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { eventually } from '../support/eventually.js';
import type { RedisNode } from '../../src/config/config.schema.js';
import { redisClient, type RedisTls } from '../../src/redis/redis-client.js';
import { RedisScript } from '../../src/redis/redis-script.js';
import { SentinelPrimary } from '../../src/redis/redis-sentinel.js';
import { findBinaries, makeStackDir, PortPicker } from '../../tools/stack/machine.js';
import { Processes, waitReady } from '../../tools/stack/proc.js';
import { type RedisSentinel, redisCommand, SENTINEL_MASTER, startStandaloneSentinels } from '../../tools/stack/redis-sentinel.js';

const ECHO_SOURCE = `redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])`;
const ECHO_SCRIPT = new RedisScript(ECHO_SOURCE);
const ECHO_SHA = createHash('sha1').update(ECHO_SOURCE).digest('hex');

let stopSentinels: (() => Promise<void>) | undefined;
let sentinel: RedisSentinel;
let primary: SentinelPrimary;

/** The app's Sentinel client for these Sentinels, its data-node clients made as the app makes them. */
function followerOf(sentinels: RedisNode[], tls?: RedisTls): SentinelPrimary {
  return new SentinelPrimary({
    sentinels,
    masterName: SENTINEL_MASTER,
    password: undefined,
    tls,
    clientFor: (node) => redisClient(new Logger('Redis'), { host: node.host, port: node.port, tls }),
  });
}

describe('SentinelPrimary (real Sentinels)', () => {
  beforeAll(async () => {
    const started = await startStandaloneSentinels();
    ({ sentinel, stop: stopSentinels } = started);
    primary = followerOf(started.nodes);
    await primary.start();
  }, 60_000);
  afterAll(async () => {
    (await primary?.stop())?.destroy();
    await stopSentinels?.();
  });

  it('connects to the primary the Sentinels name, and sees its replica up', async () => {
    expect(primary.primary?.port).toBe(await sentinel.primaryPort());
    expect(await ECHO_SCRIPT.run(primary.client, ['k'], ['before'])).toBe('before');
    await eventually('the replica to be seen up', () => primary.replicaUp);
  });

  it('follows SENTINEL FAILOVER with the same client object; the script runs on the new primary although it never saw it', async () => {
    const client = primary.client;
    const promoted = await sentinel.failover();
    await eventually('the client to follow the promoted primary', () => primary.primary?.port === promoted);
    // Redis 7 replicates a script's effects, not the script: the new primary answers NOSCRIPT first.
    const [known] = (await redisCommand(promoted, ['SCRIPT', 'EXISTS', ECHO_SHA])) as number[];
    expect(known).toBe(0);
    await eventually('the script to run on the new primary', async () => (await ECHO_SCRIPT.run(client, ['k'], ['after'])) === 'after');
    expect(await client.get('k')).toBe('after');
  }, 60_000);

  it('follows a killed primary, and then knows it has no replica up (nothing to WAIT for)', async () => {
    await sentinel.settled();
    await eventually('the replica to be seen up', () => primary.replicaUp);
    const killed = await sentinel.killPrimary();
    const promoted = await sentinel.primaryOtherThan(killed);
    await eventually('the client to follow the promoted primary', () => primary.primary?.port === promoted);
    expect(await primary.client.get('k')).toBe('after');
    await eventually('the client to see no replica up', () => !primary.replicaUp);
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
    // The rogue first: a client that follows the first Sentinel to answer would follow it.
    follower = followerOf([{ host: '127.0.0.1', port: rogueSentinelPort }, ...started.nodes]);
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

describe('SentinelPrimary over TLS (REDIS_TLS): Sentinels and data node on TLS ports only', () => {
  let dir: string;
  let procs: Processes;
  let ca: string;
  let dataPort: number;
  let follower: SentinelPrimary | undefined;

  /** One command over TLS, trusting the test's own CA. */
  async function tlsCommand(port: number, args: string[]): Promise<unknown> {
    const client = createClient({ socket: { host: '127.0.0.1', port, tls: true, ca, connectTimeout: 1_000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await client.sendCommand(args);
    } finally {
      client.destroy();
    }
  }

  beforeAll(async () => {
    const bin = findBinaries(['redis', 'openssl']);
    const ports = new PortPicker();
    dir = await makeStackDir();
    await mkdir(path.join(dir, 'logs'));
    procs = new Processes(path.join(dir, 'logs'));
    const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
    // prettier-ignore
    await procs.run('openssl', bin.openssl, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
      '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1',
    ]);
    ca = await readFile(cert, 'utf8');
    const tlsFlags = ['tls-cert-file', cert, 'tls-key-file', key, 'tls-ca-cert-file', cert, 'tls-auth-clients', 'no'];
    dataPort = await ports.pick(undefined, 'redis');
    // No plain-text port at all: only a client that speaks TLS gets anywhere.
    // prettier-ignore
    const data = procs.launch('redis-tls', bin.redis, [
      '--port', '0', '--tls-port', String(dataPort), '--bind', '127.0.0.1', '--save', '', '--dir', dir,
      ...tlsFlags.map((word, i) => (i % 2 ? word : `--${word}`)),
    ]);
    await waitReady(data, async () => (await tlsCommand(dataPort, ['PING'])) === 'PONG');
    const sentinelPorts = [await ports.pick(undefined, 'redis'), await ports.pick(undefined, 'redis')];
    for (const [i, port] of sentinelPorts.entries()) {
      const config = path.join(dir, `sentinel-${i}.conf`);
      const lines = ['port 0', `tls-port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'tls-replication yes'];
      for (let j = 0; j < tlsFlags.length; j += 2) lines.push(`${tlsFlags[j]} ${tlsFlags[j + 1]}`);
      await writeFile(config, [...lines, `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${dataPort} 1`, ''].join('\n'));
      const sentinel = procs.launch(`sentinel-tls-${i}`, bin.redis, [config, '--sentinel']);
      await waitReady(sentinel, async () => {
        const reply = (await tlsCommand(port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER])) as string[] | null;
        return reply?.[1] === String(dataPort);
      });
    }
    follower = followerOf(
      sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
      { ca },
    );
    // A client that does not speak TLS would never find the primary: bound the wait.
    await Promise.race([follower.start(), sleep(10_000).then(() => Promise.reject(new Error('no primary found over TLS in 10 s')))]);
  }, 60_000);
  afterAll(async () => {
    (await follower?.stop())?.destroy();
    await procs?.stopRest();
    await rm(dir, { recursive: true, force: true });
  });

  it('finds the primary through the Sentinels and writes to it, all over TLS', async () => {
    expect(follower!.primary?.port).toBe(dataPort);
    await follower!.client.set('over-tls', 'yes');
    expect(await tlsCommand(dataPort, ['GET', 'over-tls'])).toBe('yes');
  });
});
