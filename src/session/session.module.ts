import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/config.schema.js';
import type { RedisClient } from '../redis/redis-client.js';
import { REDIS_CLIENT, REDIS_SENTINEL } from '../redis/redis.module.js';
import type { SentinelPrimary } from '../redis/redis-sentinel.js';
import { ReplicaAck } from '../redis/replica-ack.js';
import { UsersModule } from '../users/users.module.js';
import { UsersService } from '../users/users.service.js';
import { SessionAuthenticator } from './session-auth.js';
import { sessionCookieOptions } from './session-cookie.js';
import { sessionRecordSerializer } from './session-record.js';
import { SessionStore } from './session-store.js';
import { expiresAt, type SessionTimeouts } from './session-timeouts.js';
import { SessionController } from './session.controller.js';
import { SessionSerializer } from './session.serializer.js';
import { SessionService } from './session.service.js';
import { SESSION_STORE, SESSION_TIMEOUTS } from './session.tokens.js';

@Module({
  imports: [UsersModule],
  controllers: [SessionController],
  providers: [
    {
      provide: SESSION_TIMEOUTS,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>): SessionTimeouts => {
        const session = config.get('session', { infer: true });
        return { idleMs: session.idleTimeoutMs, absoluteMs: session.absoluteTimeoutMs, rememberMs: session.rememberTimeoutMs };
      },
    },
    {
      provide: SESSION_STORE,
      inject: [REDIS_CLIENT, SESSION_TIMEOUTS, UsersService, REDIS_SENTINEL, ConfigService],
      useFactory: (
        redis: RedisClient,
        timeouts: SessionTimeouts,
        users: UsersService,
        sentinel: SentinelPrimary | null,
        config: ConfigService<AppConfig, true>,
      ) =>
        new SessionStore(redis, {
          serializer: sessionRecordSerializer(sessionCookieOptions(config.get('session', { infer: true }).cookie)),
          // The record lives exactly as long as the session may; no clock, nothing to keep.
          ttlMs: (data) => (data.clock ? expiresAt(data.clock, timeouts) - Date.now() : 0),
          credentialOf: (userId) => users.passwordChangedAt(userId),
          credentialTtlMs: Math.max(timeouts.absoluteMs, timeouts.rememberMs),
          // A single Redis has no replica to wait for; behind Sentinels there is one to fail over to.
          replicaAck: sentinel ? new ReplicaAck(redis, () => sentinel.replicaUp) : undefined,
        }),
    },
    SessionAuthenticator,
    SessionService,
    SessionSerializer,
  ],
  exports: [SessionService, SessionAuthenticator],
})
export class SessionModule {}
