import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { clientKey } from '../common/client-address.js';
import { consumeOr429 } from '../common/rate-limit.js';
import type { AppConfig } from '../config/config.schema.js';
import type { RedisClient } from '../redis/redis-client.js';
import { REDIS_CLIENT } from '../redis/redis.module.js';

export const REGISTRATION_WINDOW_SECONDS = 60 * 60;
export const TOO_MANY_REGISTRATIONS = 'Too many registrations from this address; try again later';

/**
 * REGISTRATIONS_PER_ADDRESS accounts an hour per client address (an IPv6 /64, clientKey), in
 * Redis so every app instance shares the count. Each registration costs a password hash and a
 * row, so without it one address could fill the users table and the hashing threads (nginx's
 * per-second limit only paces it). Attempts are counted on arrival, before the hash, whether or
 * not the email turns out to be taken: each of them hashes. A deployment behind a shared address
 * (an office, a carrier NAT) raises the number (README, Configuration).
 */
@Injectable()
export class RegistrationBudget {
  private readonly byAddress: RateLimiterRedis;

  constructor(@Inject(REDIS_CLIENT) redis: RedisClient, config: ConfigService<AppConfig, true>) {
    this.byAddress = new RateLimiterRedis({
      storeClient: redis,
      useRedisPackage: true,
      keyPrefix: 'registrations:ip',
      points: config.get('registrationsPerAddress', { infer: true }),
      duration: REGISTRATION_WINDOW_SECONDS,
    });
  }

  /** Counts one registration from `ip`; a 429 with Retry-After past the budget. */
  take(ip: string | undefined): Promise<void> {
    return consumeOr429(this.byAddress, clientKey(ip), TOO_MANY_REGISTRATIONS);
  }
}
