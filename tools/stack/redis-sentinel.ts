/**
 * The stack's highly available Redis (STACK_REDIS_MODE=sentinel): a primary, one replica and three
 * Sentinels, loopback only, no persistence; the same layout as compose's `ha` profile. Tests can
 * ask for a failover or kill the primary and see the app follow (docs/operations.md, Redis Sentinel).
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createClient } from 'redis';
import type { RedisNode } from '../../src/config/config.schema.js';
import { findBinaries, makeStackDir, PortPicker } from './machine.js';
import { failure, type Proc, Processes, waitReady } from './proc.js';

/** The Sentinels' name for the primary: the app's default REDIS_SENTINEL_MASTER. */
export const SENTINEL_MASTER = 'gatehouse';
/**
 * How long the primary may be silent before a Sentinel calls it down. Production keeps Redis's
 * 30 s or compose's 5 s; a test stack wants the failover within its 10 s budget.
 */
const DOWN_AFTER_MS = 1_000;
const POLL_MS = 100;
const FAILOVER_TIMEOUT_MS = 20_000;

export interface RedisSentinel {
  /** redis://127.0.0.1:<port> of the primary at start. */
  url: string;
  /** host:port of each Sentinel, as REDIS_SENTINELS lists them. */
  sentinels: string[];
  /** Port of the node the Sentinels call primary now. */
  primaryPort(): Promise<number>;
  /** `SENTINEL FAILOVER`: the replica is promoted, the old primary follows it; resolves when the Sentinels name the new one. */
  failover(): Promise<number>;
  /** SIGKILL the current primary (it stays dead); resolves with its port once it is gone. */
  killPrimary(): Promise<number>;
  /** Resolves once every Sentinel names a primary other than `port`; with its port. */
  primaryOtherThan(port: number, timeoutMs?: number): Promise<number>;
  /**
   * Resolves once every Sentinel agrees on the primary and knows a replica of it that is up, and
   * the primary says that replica has all its writes (e.g. the old primary, resynced after a
   * failover): another failover can then happen without losing anything.
   */
  settled(timeoutMs?: number): Promise<void>;
  /** Freeze (SIGSTOP) the current primary, as single mode's pause. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  shutDown(): Promise<void>;
}

export interface SentinelPorts {
  primary: number;
  replica: number;
  sentinels: number[];
}

/** One command to one node, on a connection of its own. */
export async function redisCommand(port: number, args: string[]): Promise<unknown> {
  const client = createClient({ socket: { host: '127.0.0.1', port, connectTimeout: 1_000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await client.sendCommand(args);
  } finally {
    if (client.isOpen) client.destroy();
  }
}

export async function startRedisSentinel(procs: Processes, dir: string, redisServer: string, ports: SentinelPorts): Promise<RedisSentinel> {
  const base = path.join(dir, 'redis-ha');
  const nodes = new Map<number, Proc>();
  const paused = new Set<number>();
  const dataNode = async (name: string, port: number, extra: string[]): Promise<void> => {
    const nodeDir = path.join(base, name);
    await mkdir(nodeDir, { recursive: true });
    // Command-line flags next to their values, as hand-formatted:
    // prettier-ignore
    const proc = procs.launch(`redis-${name}`, redisServer, [
      '--port', String(port), '--bind', '127.0.0.1',
      // No persistence, and a full sync that starts at once (diskless, no 5 s batching delay).
      '--save', '', '--appendonly', 'no', '--dir', nodeDir,
      '--repl-diskless-sync', 'yes', '--repl-diskless-sync-delay', '0',
      ...extra,
    ]);
    nodes.set(port, proc);
    await waitReady(proc, async () => (await redisCommand(port, ['PING'])) === 'PONG');
  };
  await dataNode('primary', ports.primary, []);
  await dataNode('replica', ports.replica, ['--replicaof', '127.0.0.1', String(ports.primary)]);

  const sentinelProcs: Proc[] = [];
  for (const [i, port] of ports.sentinels.entries()) {
    const sentinelDir = path.join(base, `sentinel-${i + 1}`);
    await mkdir(sentinelDir, { recursive: true });
    // A Sentinel rewrites its config file (it records what it learns), so it gets its own copy.
    const configFile = path.join(sentinelDir, 'sentinel.conf');
    await writeFile(
      configFile,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${sentinelDir}`,
        `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${ports.primary} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${SENTINEL_MASTER} 10000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
        '',
      ].join('\n'),
    );
    sentinelProcs.push(procs.launch(`sentinel-${i + 1}`, redisServer, [configFile, '--sentinel']));
  }
  // Ready once every Sentinel knows the replica and the two other Sentinels: before that a
  // failover has nobody to promote, or no quorum.
  await Promise.all(
    sentinelProcs.map((proc, i) =>
      waitReady(proc, async () => {
        const info = (await redisCommand(ports.sentinels[i], ['SENTINEL', 'MASTER', SENTINEL_MASTER])) as Record<string, string>;
        return Number(info['num-slaves']) >= 1 && Number(info['num-other-sentinels']) >= 2 && !String(info.flags).includes('down');
      }),
    ),
  );

  const askedPort = async (sentinelPort: number): Promise<number | undefined> => {
    const reply = (await redisCommand(sentinelPort, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER]).catch(() => null)) as
      [string, string] | null;
    return reply ? Number(reply[1]) : undefined;
  };
  const primaryPort = async (): Promise<number> => {
    for (const port of ports.sentinels) {
      const primary = await askedPort(port);
      if (primary) return primary;
    }
    throw new Error('no Sentinel answers');
  };
  const primaryOtherThan = async (old: number, timeoutMs = FAILOVER_TIMEOUT_MS): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const answers = await Promise.all(ports.sentinels.map(askedPort));
      const first = answers[0];
      // Every Sentinel agrees, and the node itself says it is the primary now.
      if (first && first !== old && answers.every((port) => port === first)) {
        const role = (await redisCommand(first, ['ROLE']).catch(() => [])) as unknown[];
        if (role[0] === 'master') return first;
      }
      if (Date.now() > deadline) throw new Error(`the Sentinels still name port ${old} (or disagree) after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  const settled = async (timeoutMs = FAILOVER_TIMEOUT_MS): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    const replicaKnown = async (sentinelPort: number): Promise<boolean> => {
      const replicas = (await redisCommand(sentinelPort, ['SENTINEL', 'REPLICAS', SENTINEL_MASTER])) as Record<string, string>[];
      return replicas.some((fields) => fields.flags === 'slave');
    };
    for (;;) {
      const primaries = await Promise.all(ports.sentinels.map(askedPort));
      const primary = primaries[0];
      if (primary !== undefined && primaries.every((port) => port === primary)) {
        // The primary's own view of its replicas is current; the Sentinels' link status lags up to 10 s.
        const role = (await redisCommand(primary, ['ROLE']).catch(() => [])) as [string, number, [string, string, string][]];
        const [, offset, replicas] = role;
        const caughtUp = role[0] === 'master' && replicas.some(([, , acked]) => Number(acked) >= offset);
        if (caughtUp && (await Promise.all(ports.sentinels.map((port) => replicaKnown(port).catch(() => false)))).every(Boolean)) return;
      }
      if (Date.now() > deadline) throw new Error(`the Sentinels did not settle on a primary with a replica in sync within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  return {
    url: `redis://127.0.0.1:${ports.primary}`,
    settled,
    sentinels: ports.sentinels.map((port) => `127.0.0.1:${port}`),
    primaryPort,
    primaryOtherThan,
    failover: async () => {
      const old = await primaryPort();
      await redisCommand(ports.sentinels[0], ['SENTINEL', 'FAILOVER', SENTINEL_MASTER]);
      return primaryOtherThan(old);
    },
    killPrimary: async () => {
      const port = await primaryPort();
      const proc = nodes.get(port);
      if (!proc?.running) throw new Error(`the primary (port ${port}) is not one of the stack's running nodes`);
      const { signal } = await proc.stop('SIGKILL');
      if (signal !== 'SIGKILL') throw failure(proc, 'did not die of SIGKILL');
      return port;
    },
    pause: async () => {
      const port = await primaryPort();
      nodes.get(port)?.signal('SIGSTOP');
      paused.add(port);
    },
    resume: async () => {
      for (const port of paused) nodes.get(port)?.signal('SIGCONT');
      paused.clear();
    },
    shutDown: async () => {
      for (const port of paused) nodes.get(port)?.signal('SIGCONT');
      await Promise.all([...sentinelProcs, ...nodes.values()].map((proc) => proc.stop('SIGTERM')));
    },
  };
}

/**
 * A primary, a replica and three Sentinels on their own, for the in-process specs of a Sentinel
 * client: the same part as the stack's, in a throwaway dir; `stop` shuts it down and removes it.
 */
export async function startStandaloneSentinels(): Promise<{ sentinel: RedisSentinel; nodes: RedisNode[]; stop(): Promise<void> }> {
  const bin = findBinaries(['redis']);
  const ports = new PortPicker();
  const pick = () => ports.pick(undefined, 'redis');
  const sentinelPorts = { primary: await pick(), replica: await pick(), sentinels: [await pick(), await pick(), await pick()] };
  const dir = await makeStackDir();
  await mkdir(path.join(dir, 'logs'));
  const procs = new Processes(path.join(dir, 'logs'));
  const stop = async (): Promise<void> => {
    await procs.stopRest();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const sentinel = await startRedisSentinel(procs, dir, bin.redis, sentinelPorts);
    const nodes = sentinelPorts.sentinels.map((port) => ({ host: '127.0.0.1', port }));
    return { sentinel, nodes, stop: async () => (await sentinel.shutDown(), await stop()) };
  } catch (error) {
    await stop();
    throw error;
  }
}
