import { setTimeout as sleep } from 'node:timers/promises';
import { Global, Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createClient } from 'redis';
import type { AppConfig } from '../config/config.schema.js';
import { RedisHeartbeat } from './redis-heartbeat.js';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
export type RedisClient = ReturnType<typeof createClient>;

/** How long a command may wait to be sent (e.g. behind a reconnect) before it fails with 503. */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;
/** At shutdown, how long close() may wait for replies still owed before the process exits anyway. */
const CLOSE_TIMEOUT_MS = 1_000;

@Global()
@Module({
  providers: [
    {
      provide: REDIS_CLIENT,
      inject: [ConfigService],
      useFactory: async (config: ConfigService<AppConfig, true>): Promise<RedisClient> => {
        const logger = new Logger('Redis');
        const client = createClient({
          url: config.get('redisUrl', { infer: true }),
          // undefined keeps a password given in REDIS_URL itself.
          password: config.get('redisPassword', { infer: true }),
          // While Redis is unreachable, fail commands at once rather than queueing them behind a
          // reconnect that may never come. A Redis that is connected but no longer answers (frozen,
          // half-open connection) is the heartbeat's job (redis-heartbeat.ts): the command timeout
          // stops counting once a command is written.
          disableOfflineQueue: true,
          commandOptions: { timeout: REDIS_COMMAND_TIMEOUT_MS },
          socket: {
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
        await client.connect();
        return client;
      },
    },
  ],
  exports: [REDIS_CLIENT],
})
export class RedisModule implements OnModuleInit, OnApplicationShutdown {
  private readonly heartbeat: RedisHeartbeat;

  constructor(@Inject(REDIS_CLIENT) private readonly client: RedisClient) {
    this.heartbeat = new RedisHeartbeat(client);
  }

  onModuleInit(): void {
    this.heartbeat.start();
  }

  /** Runs after the HTTP server has finished its requests (Nest's shutdown order). */
  async onApplicationShutdown(): Promise<void> {
    this.heartbeat.stop();
    if (!this.client.isOpen) return;
    // close() sends what is queued and waits for every reply still owed; a frozen Redis owes them
    // forever, and shutdown must not hang on it (the process exits right after).
    const closed = await Promise.race([
      this.client.close().then(() => true),
      sleep(CLOSE_TIMEOUT_MS, false, { ref: false }),
    ]);
    if (closed) new Logger('Redis').log('Redis connection closed');
    else new Logger('Redis').warn(`Redis did not answer within ${CLOSE_TIMEOUT_MS} ms at shutdown`);
  }
}
