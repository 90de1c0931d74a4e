import { Logger } from '@nestjs/common';
import { createClient } from 'redis';
import type { RedisNode } from '../config/config.schema.js';
import { type RedisClient, type RedisTls, tlsSocket } from './redis-client.js';

/** How often the Sentinels are asked which node is the primary. */
export const SENTINEL_POLL_MS = 250;
/** A Sentinel that does not answer this fast is left out of this poll's count. */
const SENTINEL_TIMEOUT_MS = 500;
/** How many Sentinels must name the same primary before the app writes to it. */
export const SENTINEL_AGREEMENT = 2;

export interface SentinelOptions {
  sentinels: RedisNode[];
  masterName: string;
  /** Sent to the Sentinels too, when set (they share the data nodes' password: docs/operations.md, Redis Sentinel). */
  password: string | undefined;
  /** REDIS_TLS: the Sentinels are reached over TLS (and so are the data nodes, by clientFor). */
  tls?: RedisTls;
  /** A client for one data node, configured as in single mode (timeouts, no offline queue, logging). */
  clientFor(node: RedisNode): RedisClient;
}

/**
 * One Redis client that always talks to the primary the Sentinels name, for the whole app (session
 * store, throttles, health check, heartbeat): a stand-in object that forwards every call to the
 * node-redis client of the current primary, and a loop that asks every Sentinel every
 * SENTINEL_POLL_MS and, when at least two of them name another node, connects to it and switches
 * over.
 *
 * Why not node-redis's own createSentinel(): with the primary killed, a command waits in its
 * rediscovery loop until the Sentinels have promoted the replica (about 4 s here), and the request
 * waits with it; its command timeout, disableOfflineQueue and the heartbeat only apply once a
 * command reaches a node client (docs/benchmarks.md, Redis failover, has the figures). Here a command during the
 * switch fails at once with a 503, as in a single-Redis outage, and the plain client keeps
 * everything the outage tests rely on (heartbeat, reconnect strategy).
 */
export class SentinelPrimary {
  private readonly logger = new Logger('Redis');
  private current: RedisClient | undefined;
  private currentNode: RedisNode | undefined;
  /** A connection to each Sentinel, made when it is first asked and again after a failure. */
  private readonly sentinelClients: (RedisClient | undefined)[];
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;
  private lost = false;

  /** The stand-in every holder keeps: property reads and calls go to the current primary's client. */
  readonly client: RedisClient;

  constructor(private readonly options: SentinelOptions) {
    if (options.sentinels.length === 0) throw new Error('no Sentinels given');
    this.sentinelClients = options.sentinels.map(() => undefined);
    this.client = new Proxy({} as RedisClient, {
      get: (_target, property) => {
        const client = this.current;
        if (!client) throw new Error('no Redis primary found yet');
        const value: unknown = Reflect.get(client, property, client);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(client) : value;
      },
    });
  }

  /** Finds the primary and connects to it (retrying, like a single client's connect()), then follows it. */
  async start(): Promise<void> {
    while (!this.current && !this.stopped) {
      await this.poll();
      if (!this.current) await new Promise((resolve) => setTimeout(resolve, SENTINEL_POLL_MS));
    }
    this.timer = setInterval(() => void this.poll(), SENTINEL_POLL_MS).unref();
  }

  /** Whether the Sentinels last said the primary they name has a replica up and linked. */
  private sentinelsSeeReplica = true;
  /** The primary the Sentinels last agreed on; the app writes to it once it has switched. */
  private namedNode: RedisNode | undefined;

  /**
   * Whether a write that no replica acknowledges is suspect (replica-ack.ts): true while the
   * Sentinels see a replica of the primary up, and also while they name another node than the one
   * the app still writes to (replicaSuspect()).
   */
  get replicaUp(): boolean {
    return replicaSuspect(this.namedNode, this.currentNode, this.sentinelsSeeReplica);
  }

  /** The node the app writes to now (for logs and tests). */
  get primary(): RedisNode | undefined {
    return this.currentNode;
  }

  async stop(): Promise<RedisClient | undefined> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const client of this.sentinelClients) client?.destroy();
    this.sentinelClients.fill(undefined);
    return this.current;
  }

  private async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      const node = await this.askSentinels();
      if (!node || (this.currentNode && sameNode(node, this.currentNode))) return;
      await this.switchTo(node);
    } finally {
      this.polling = false;
    }
  }

  /**
   * The primary's address as at least two Sentinels say (one, when only one is configured);
   * undefined while no two agree. Following the first that answers would let one Sentinel that
   * is wrong, stale or not ours (a spoofed address) send every write to a node of its choosing.
   */
  private async askSentinels(): Promise<RedisNode | undefined> {
    const { sentinels, masterName } = this.options;
    const answers = await Promise.all(sentinels.map((_, index) => this.askSentinel(index)));
    const votes = new Map<string, { node: RedisNode; replicaUp: boolean; count: number }>();
    for (const answer of answers) {
      if (!answer) continue;
      const key = `${answer.node.host}:${answer.node.port}`;
      const vote = votes.get(key) ?? { ...answer, count: 0 };
      vote.count++;
      votes.set(key, vote);
    }
    const agreed = [...votes.values()].find((vote) => vote.count >= Math.min(SENTINEL_AGREEMENT, sentinels.length));
    if (agreed) {
      this.lost = false;
      this.sentinelsSeeReplica = agreed.replicaUp;
      this.namedNode = agreed.node;
      return agreed.node;
    }
    if (votes.size > 0) this.report(`the Sentinels do not agree on the primary (${[...votes.keys()].join(', ')})`);
    else if (answers.includes(null)) this.report(`the Sentinels know no primary named ${masterName} (REDIS_SENTINEL_MASTER)`);
    else this.report('no Sentinel answers (REDIS_SENTINELS)');
    return undefined;
  }

  /**
   * One Sentinel's answer: the primary it names and whether it sees a replica of it up; null when
   * it knows no such primary; undefined when it does not answer within SENTINEL_TIMEOUT_MS (a
   * frozen Sentinel must not hold up the poll: the command timeout covers only the wait to be sent).
   */
  private async askSentinel(index: number): Promise<{ node: RedisNode; replicaUp: boolean } | null | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const query = async () => {
      const sentinel = await this.sentinelClient(index);
      const reply = (await sentinel.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.options.masterName])) as
        [string, string] | null;
      if (!reply) return null;
      return { node: { host: reply[0], port: Number(reply[1]) }, replicaUp: await this.askReplicaUp(sentinel) };
    };
    const answer = await Promise.race([
      query().catch(() => undefined),
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SENTINEL_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer));
    if (answer === undefined) {
      this.sentinelClients[index]?.destroy(); // made anew at the next poll
      this.sentinelClients[index] = undefined;
    }
    return answer;
  }

  /**
   * Whether a replica of the primary is up and linked to it, as this Sentinel sees it. Sentinels
   * refresh a replica's link status every 10 s (every second during a failover), so after a
   * failover the old primary counts only once they have seen it resynced: until then writes are
   * answered unreplicated rather than refused (docs/operations.md, Redis Sentinel). Counting it from its flags
   * alone would refuse every sign-in for those seconds, while it still runs as a primary of its own.
   */
  private async askReplicaUp(sentinel: RedisClient): Promise<boolean> {
    // RESP3 (node-redis 6's default): one map (a plain object) per replica.
    const replicas = (await sentinel.sendCommand(['SENTINEL', 'REPLICAS', this.options.masterName])) as Record<string, string>[];
    return replicas.some((fields) => !/down|disconnected/.test(fields.flags ?? 'down') && fields['master-link-status'] === 'ok');
  }

  /** Logs once per spell of trouble, not at every poll. */
  private report(message: string): void {
    if (!this.lost) this.logger.warn(`Cannot find the Redis primary: ${message}`);
    this.lost = true;
  }

  /** The connection to Sentinel `index`, made anew when there is none that is ready. */
  private async sentinelClient(index: number): Promise<RedisClient> {
    const ready = this.sentinelClients[index];
    if (ready?.isReady) return ready;
    ready?.destroy();
    const { host, port } = this.options.sentinels[index];
    const client = createClient({
      password: this.options.password,
      disableOfflineQueue: true,
      maintNotifications: 'disabled',
      commandOptions: { timeout: SENTINEL_TIMEOUT_MS },
      socket: { host, port, ...tlsSocket(this.options.tls), connectTimeout: SENTINEL_TIMEOUT_MS, reconnectStrategy: false },
    });
    // Its failures are handled by asking again at the next poll; the error events only need a listener.
    client.on('error', () => undefined);
    this.sentinelClients[index] = client;
    await client.connect();
    return client;
  }

  /**
   * Connects to `node` and, once it says it is a primary (a replica being promoted may not yet),
   * makes it the current one. The old connection is dropped: commands still waiting on it fail
   * with a 503, and nothing is written to a node that is no longer the primary.
   */
  private async switchTo(node: RedisNode): Promise<void> {
    const next = this.options.clientFor(node);
    try {
      // connect() retries per the reconnect strategy until the node answers: bound the wait.
      let timer: NodeJS.Timeout | undefined;
      const connecting = next.connect();
      connecting.catch(() => undefined); // a timed-out attempt rejects later, when destroyed
      await Promise.race([
        connecting,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('connect timeout')), SENTINEL_TIMEOUT_MS * 2))),
      ]).finally(() => clearTimeout(timer));
      const role = (await next.sendCommand(['ROLE'])) as unknown[];
      if (role[0] !== 'master') throw new Error(`${node.host}:${node.port} is not a primary yet`);
    } catch {
      if (next.isOpen) next.destroy();
      return; // asked again at the next poll
    }
    if (this.stopped) {
      next.destroy();
      return;
    }
    const previous = this.current;
    this.current = next;
    this.currentNode = node;
    if (previous) {
      this.logger.warn(`Redis primary is now ${node.host}:${node.port} (failover)`);
      if (previous.isOpen) previous.destroy();
    }
  }
}

/**
 * Whether an unacknowledged write to `current` must fail (a 503) rather than be answered. The
 * Sentinels' word on replicas is about the node they name: while that is not yet `current` (a
 * failover promoted the replica, and the app has not switched), `current` is being replaced and
 * will resync from the new primary, dropping whatever it took meanwhile, so its unacknowledged
 * writes are suspect whatever the new primary's replicas look like: a sign-in answered from there
 * would be a session lost a second later.
 */
export function replicaSuspect(named: RedisNode | undefined, current: RedisNode | undefined, sentinelsSeeReplica: boolean): boolean {
  if (named && current && !sameNode(named, current)) return true;
  return sentinelsSeeReplica;
}

function sameNode(a: RedisNode, b: RedisNode): boolean {
  return a.host === b.host && a.port === b.port;
}
