import { Global, Inject, Logger, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createClient } from 'redis';
import type { AppConfig } from '../config/config.schema.js';
import { RedisHeartbeat } from './redis-heartbeat.js';

export const REDIS_CLIENT = Symbol('REDIS_CLIENT');
export type RedisClient = ReturnType<typeof createClient>;

/** How long a command may wait to be sent (e.g. behind a reconnect) before it fails with 503. */
export const REDIS_COMMAND_TIMEOUT_MS = 1_000;

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

  async onApplicationShutdown(): Promise<void> {
    this.heartbeat.stop();
    if (this.client.isOpen) await this.client.close();
  }
}
