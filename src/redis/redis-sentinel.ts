import { Logger } from '@nestjs/common';
import { createClient } from 'redis';
import type { RedisNode } from '../config/config.schema.js';
import type { RedisClient } from './redis.module.js';

/** How often the Sentinels are asked which node is the primary. */
export const SENTINEL_POLL_MS = 250;
/** A Sentinel that does not answer this fast is skipped for the next one. */
const SENTINEL_TIMEOUT_MS = 500;

export interface SentinelOptions {
  sentinels: RedisNode[];
  masterName: string;
  /** Sent to the Sentinels too, when set (they share the data nodes' password: README, Scaling out). */
  password: string | undefined;
  /** A client for one data node, configured as in single mode (timeouts, no offline queue, logging). */
  clientFor(node: RedisNode): RedisClient;
}

/**
 * One Redis client that always talks to the primary the Sentinels name, for the whole app (session
 * store, throttles, health check, heartbeat): a stand-in object that forwards every call to the
 * node-redis client of the current primary, and a loop that asks the Sentinels every
 * SENTINEL_POLL_MS and, when they name another node, connects to it and switches over.
 *
 * Why not node-redis's own createSentinel(): with the primary killed, a command waits in its
 * rediscovery loop until the Sentinels have promoted the replica (about 4 s here), and the request
 * waits with it; its command timeout, disableOfflineQueue and the heartbeat only apply once a
 * command reaches a node client (README, Scaling out, has the figures). Here a command during the
 * switch fails at once with a 503, as in a single-Redis outage, and the plain client keeps
 * everything the outage tests rely on (heartbeat, reconnect strategy).
 */
export class SentinelPrimary {
  private readonly logger = new Logger('Redis');
  private current: RedisClient | undefined;
  private currentNode: RedisNode | undefined;
  private sentinel: { client: RedisClient; index: number } | undefined;
  private nextSentinel = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private stopped = false;
  private lost = false;

  /** The stand-in every holder keeps: property reads and calls go to the current primary's client. */
  readonly client: RedisClient;

  constructor(private readonly options: SentinelOptions) {
    if (options.sentinels.length === 0) throw new Error('no Sentinels given');
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

  /**
   * Whether the Sentinels last said the primary has a replica that is up and linked: a write it
   * does not acknowledge is then suspect (replica-ack.ts). True until they have said otherwise.
   */
  replicaUp = true;

  /** The node the app writes to now (for logs and tests). */
  get primary(): RedisNode | undefined {
    return this.currentNode;
  }

  async stop(): Promise<RedisClient | undefined> {
    this.stopped = true;
    clearInterval(this.timer);
    this.sentinel?.client.destroy();
    this.sentinel = undefined;
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

  /** The primary's address as the first Sentinel that answers says; undefined when none does. */
  private async askSentinels(): Promise<RedisNode | undefined> {
    const { sentinels } = this.options;
    for (let tried = 0; tried < sentinels.length; tried++) {
      try {
        const sentinel = await this.sentinelClient();
        const reply = (await sentinel.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.options.masterName])) as
          [string, string] | null;
        if (reply) {
          this.lost = false;
          this.replicaUp = await this.askReplicaUp(sentinel);
          return { host: reply[0], port: Number(reply[1]) };
        }
        this.report(`the Sentinels know no primary named ${this.options.masterName} (REDIS_SENTINEL_MASTER)`);
        return undefined;
      } catch {
        this.sentinel?.client.destroy();
        this.sentinel = undefined;
      }
    }
    this.report('no Sentinel answers (REDIS_SENTINELS)');
    return undefined;
  }

  /**
   * Whether a replica of the primary is up and linked to it, as this Sentinel sees it. Sentinels
   * refresh a replica's link status every 10 s (every second during a failover), so after a
   * failover the old primary counts only once they have seen it resynced: until then writes are
   * answered unreplicated rather than refused (README, Scaling out). Counting it from its flags
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

  /** A connection to one of the Sentinels, moving on to the next one after a failure. */
  private async sentinelClient(): Promise<RedisClient> {
    if (this.sentinel?.client.isReady) return this.sentinel.client;
    const index = this.nextSentinel;
    this.nextSentinel = (index + 1) % this.options.sentinels.length;
    const { host, port } = this.options.sentinels[index];
    const client = createClient({
      password: this.options.password,
      disableOfflineQueue: true,
      maintNotifications: 'disabled',
      commandOptions: { timeout: SENTINEL_TIMEOUT_MS },
      socket: { host, port, connectTimeout: SENTINEL_TIMEOUT_MS, reconnectStrategy: false },
    });
    // Its failures are handled by moving on; the error events only need a listener.
    client.on('error', () => undefined);
    await client.connect();
    this.sentinel = { client, index };
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

function sameNode(a: RedisNode, b: RedisNode): boolean {
  return a.host === b.host && a.port === b.port;
}
