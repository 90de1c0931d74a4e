/**
 * Why the app follows the Sentinels with a client of its own (src/redis/redis-sentinel.ts) rather
 * than node-redis's createSentinel() (docs/operations.md, Redis Sentinel): with the primary killed, the library
 * holds a command until the Sentinels have promoted the replica, seconds later, while the app's
 * client fails it at once (a 503). Both are given the same Sentinels and the same command timeout.
 * Should node-redis start failing such commands in time, this spec fails: the library's client
 * could then replace the app's.
 */
import { Logger } from '@nestjs/common';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createSentinel } from 'redis';
import { redisClient } from '../../src/redis/redis-client.js';
import { SentinelPrimary } from '../../src/redis/redis-sentinel.js';
import { type RedisSentinel, SENTINEL_MASTER, startStandaloneSentinels } from '../../tools/stack/redis-sentinel.js';

/** The longest a request may wait on Redis during a failover (the failover e2e spec's bound). */
const HANG_LIMIT_MS = 1_000;

let stopSentinels: (() => Promise<void>) | undefined;
let sentinel: RedisSentinel;
let ours: SentinelPrimary;
let library: ReturnType<typeof createSentinel>;

/** How long `command` takes to settle, and whether it succeeded. */
async function timed(command: () => Promise<unknown>): Promise<{ ms: number; ok: boolean }> {
  const t0 = performance.now();
  const ok = await command().then(
    () => true,
    () => false,
  );
  return { ms: performance.now() - t0, ok };
}

describe("node-redis's createSentinel() against the app's SentinelPrimary (real Sentinels)", () => {
  beforeAll(async () => {
    const started = await startStandaloneSentinels();
    ({ sentinel, stop: stopSentinels } = started);
    const nodes = started.nodes;
    ours = new SentinelPrimary({
      sentinels: nodes,
      masterName: SENTINEL_MASTER,
      password: undefined,
      clientFor: (node) => redisClient(new Logger('Redis'), { host: node.host, port: node.port }),
    });
    await ours.start();
    library = createSentinel({
      name: SENTINEL_MASTER,
      sentinelRootNodes: nodes,
      nodeClientOptions: { disableOfflineQueue: true, maintNotifications: 'disabled', socket: { connectTimeout: 2_000 } },
      sentinelClientOptions: { maintNotifications: 'disabled' },
      commandOptions: { timeout: HANG_LIMIT_MS },
    });
    library.on('error', () => undefined); // each Sentinel it cannot reach; the test reads the commands' outcome
    await library.connect();
    await sentinel.settled();
  }, 60_000);
  afterAll(async () => {
    (await ours?.stop())?.destroy();
    await library?.destroy();
    await stopSentinels?.();
  });

  it('with the primary killed, the app fails a command at once; createSentinel() holds it until the Sentinels promote the replica', async () => {
    expect(await ours.client.set('k', 'v')).toBe('OK');
    expect(await library.get('k')).toBe('v');

    await sentinel.killPrimary();
    const [app, lib] = await Promise.all([timed(() => ours.client.get('k')), timed(() => library.get('k'))]);
    console.log(
      `primary killed: the app's client settled a GET in ${Math.round(app.ms)} ms (${app.ok ? 'answered' : 'failed'}), ` +
        `createSentinel() in ${Math.round(lib.ms)} ms (${lib.ok ? 'answered' : 'failed'})`,
    );
    expect(app.ms).toBeLessThan(HANG_LIMIT_MS);
    // The Sentinels cannot even call the primary down before down-after-milliseconds (1 s) has
    // passed: a command that succeeds after that has waited for the failover.
    expect(lib.ms).toBeGreaterThan(HANG_LIMIT_MS);
  }, 60_000);
});
