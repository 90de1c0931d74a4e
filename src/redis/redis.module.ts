import { setTimeout as sleep } from 'node:timers/promises';
import { Global, Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createClient, type RedisClientOptions, type RedisClientType } from 'redis';
import type { AppConfig } from '../config/config.schema.js';
import { RedisHeartbeat } from './redis-heartbeat.js';
import { SentinelPrimary } from './redis-sentinel.js';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
/** The follower of the Sentinels' primary, or null with a single Redis (REDIS_URL). */
export const REDIS_SENTINEL = Symbol('REDIS_SENTINEL');
export type RedisClient = RedisClientType;

/** At shutdown, how long close() may wait for replies still owed before the process exits anyway. */
const CLOSE_TIMEOUT_MS = 1_000;

/** A client for one Redis node, the same in single and Sentinel mode (and in the in-process tests). */
export function redisClient(
  logger: Logger,
  options: Pick<RedisClientOptions, 'url' | 'password'> & { host?: string; port?: number; tls?: RedisTls },
): RedisClient {
  const client = createClient({
    url: options.url,
    // undefined keeps a password given in REDIS_URL itself.
    password: options.password,
    // While Redis is unreachable, fail commands at once rather than queueing them behind a
    // reconnect that may never come. A Redis that is connected but no longer answers (frozen,
    // half-open connection) is the heartbeat's job (redis-heartbeat.ts): it bounds every command,
    // written or still waiting to be, to about 1 s.
    //
    // node-redis's own command timeout (5 s by default) only covers the wait to be written, which
    // disableOfflineQueue already ends at once: the heartbeat is what bounds a written command.
    disableOfflineQueue: true,
    // Open-source Redis has no maintenance notifications: 'auto' would send, at every connect, a
    // command it refuses.
    maintNotifications: 'disabled',
    socket: {
      ...(options.host === undefined ? {} : { host: options.host, port: options.port }),
      ...tlsSocket(options.tls),
      connectTimeout: 2_000,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000),
    },
  });
  let healthy = true;
  // The error text never includes the URL (which may carry a password).
  client.on('error', (error: Error) => {
    if (healthy) logger.warn(`Redis unavailable: ${error.message}`);
    healthy = false;
  });
  client.on('ready', () => {
    if (!healthy) logger.log('Redis connection restored');
    healthy = true;
  });
  return client;
}

/** TLS to a node or Sentinel (REDIS_TLS): the CAs to trust, when not the system's (and NODE_EXTRA_CA_CERTS). */
export type RedisTls = { ca?: string } | undefined;

/** The socket options for `tls`; the server's name is checked against its certificate. */
export function tlsSocket(tls: RedisTls): { tls: true; ca?: string } | Record<string, never> {
  return tls ? { tls: true, ...tls } : {};
}

@Global()
@Module({
  providers: [
    {
      provide: REDIS_SENTINEL,
      inject: [ConfigService],
      useFactory: async (config: ConfigService<AppConfig, true>): Promise<SentinelPrimary | null> => {
        const sentinels = config.get('redisSentinels', { infer: true });
        if (!sentinels) return null;
        const logger = new Logger('Redis');
        const password = config.get('redisPassword', { infer: true });
        const tls = config.get('redisTls', { infer: true }) ? {} : undefined;
        const primary = new SentinelPrimary({
          sentinels,
          masterName: config.get('redisSentinelMaster', { infer: true }),
          password,
          tls,
          clientFor: (node) => redisClient(logger, { password, host: node.host, port: node.port, tls }),
        });
        await primary.start();
        return primary;
      },
    },
    {
      provide: REDIS_CLIENT,
      inject: [ConfigService, REDIS_SENTINEL],
      useFactory: async (config: ConfigService<AppConfig, true>, sentinel: SentinelPrimary | null): Promise<RedisClient> => {
        if (sentinel) return sentinel.client;
        const client = redisClient(new Logger('Redis'), {
          url: config.get('redisUrl', { infer: true }),
          password: config.get('redisPassword', { infer: true }),
        });
        await client.connect();
        return client;
      },
    },
  ],
  exports: [REDIS_CLIENT, REDIS_SENTINEL],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  private readonly heartbeat: RedisHeartbeat;

  constructor(
    @Inject(REDIS_CLIENT) private readonly client: RedisClient,
    @Inject(REDIS_SENTINEL) private readonly sentinel: SentinelPrimary | null,
  ) {
    // With Sentinels the heartbeat drives whichever primary's client is current (the stand-in forwards).
    this.heartbeat = new RedisHeartbeat(client);
  }

  onModuleInit(): void {
    this.heartbeat.start();
  }

  /** Runs after the HTTP server has finished its requests (Nest's shutdown order). */
  async onApplicationShutdown(): Promise<void> {
    this.heartbeat.stop();
    const client = this.sentinel ? await this.sentinel.stop() : this.client;
    if (!client?.isOpen) return;
    // close() sends what is queued and waits for every reply still owed; a frozen Redis owes them
    // forever, and shutdown must not hang on it (the process exits right after).
    const closed = await Promise.race([client.close().then(() => true), sleep(CLOSE_TIMEOUT_MS, false, { ref: false })]);
    if (closed) new Logger('Redis').log('Redis connection closed');
    else new Logger('Redis').warn(`Redis did not answer within ${CLOSE_TIMEOUT_MS} ms at shutdown`);
  }
}
