import { setTimeout as sleep } from 'node:timers/promises';
import { Global, Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/config.schema.js';
import { type RedisClient, redisClient } from './redis-client.js';
import { RedisHeartbeat } from './redis-heartbeat.js';
import { SentinelPrimary } from './redis-sentinel.js';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
/** The follower of the Sentinels' primary, or null with a single Redis (REDIS_URL). */
export const REDIS_SENTINEL = Symbol('REDIS_SENTINEL');

/** At shutdown, how long close() may wait for replies still owed before the process exits anyway. */
const CLOSE_TIMEOUT_MS = 1_000;

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
