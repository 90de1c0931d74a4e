import { ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { consumeOr429 } from '../common/rate-limit.js';
import type { RedisClient } from '../redis/redis-client.js';
import { REDIS_CLIENT } from '../redis/redis.module.js';
import { clientKey } from '../common/client-address.js';

// The brute-force limits of every password check (docs/security.md, Brute force), in one place.
/** Consecutive failures for one email (or user) from one client that lock that pair. */
export const EMAIL_FAILURE_LIMIT = 10;
/** Failures from one client that are tolerated, whatever the email; one more locks the client. */
export const ADDRESS_FAILURE_LIMIT = 100;
/** Failures for one email from all clients together past which each client gets one try a minute. */
export const SUBJECT_FAILURE_LIMIT = 100;
export const SLOW_DOWN_SECONDS = 60;
/** The counters run in a fixed window that opens at the first failure; a lock lasts until it closes. */
export const FAILURE_WINDOW_SECONDS = 15 * 60;

interface Messages {
  pair: string;
  address: string;
}

/**
 * `client`: the pair a failure locks is the subject *and* the client (a password: an attacker
 * elsewhere cannot lock the owner out). `subject`: the subject alone, from every client (a second
 * factor: whoever sends codes already has the password).
 */
type PairScope = 'client' | 'subject';

/**
 * Counters for one kind of password check, in Redis so every app instance sees the same counts.
 * Keys (`<prefix>:pair:<subject>|<client>`, `:ip:<client>`, `:all:<subject>`, `:slow:...`) are
 * plain, not hashed, so an operator can unlock someone with one `DEL`.
 */
class Limits {
  private readonly pair: RateLimiterRedis;
  private readonly address: RateLimiterRedis;
  private readonly subject: RateLimiterRedis;
  private readonly slow: RateLimiterRedis;

  constructor(
    redis: RedisClient,
    prefix: string,
    private readonly messages: Messages,
    private readonly scope: PairScope = 'client',
  ) {
    // useRedisPackage: the client is node-redis (v4+ API: eval with {keys, arguments}, pTTL), not ioredis.
    const common = { storeClient: redis, useRedisPackage: true, duration: FAILURE_WINDOW_SECONDS };
    // A limiter refuses once more than `points` are counted. Attempt n is counted on arrival, so
    // it is refused when n - 1 earlier failures reach the pair limit, or exceed the others.
    this.pair = new RateLimiterRedis({ ...common, keyPrefix: `${prefix}:pair`, points: EMAIL_FAILURE_LIMIT });
    this.address = new RateLimiterRedis({ ...common, keyPrefix: `${prefix}:ip`, points: ADDRESS_FAILURE_LIMIT + 1 });
    this.subject = new RateLimiterRedis({ ...common, keyPrefix: `${prefix}:all`, points: SUBJECT_FAILURE_LIMIT });
    this.slow = new RateLimiterRedis({ ...common, keyPrefix: `${prefix}:slow`, points: 1, duration: SLOW_DOWN_SECONDS });
  }

  /**
   * Runs `verify` (the password check) under the limits and returns what it returns.
   *
   * Each attempt is counted *before* the password is checked and given back when it turns out not
   * to be a failure: checking first and counting after would let a hundred guesses fired at once
   * all pass the check before the first failure is recorded; an atomic increment up front lets
   * exactly the allowed number through, however many arrive together.
   *
   * - 429 (with Retry-After), without calling `verify`, when the pair or the client is locked, or
   *   when the subject is under attack from everywhere and this client had its try this minute.
   * - A 401 or 403 from `verify` is a failure: it stays counted, and is rethrown.
   * - Success resets the pair's count; any other error (an outage) is not the user's failure.
   */
  async attempt<T>(subject: string, ip: string | undefined, verify: () => Promise<T>): Promise<T> {
    const client = clientKey(ip);
    const pair = this.scope === 'client' ? `${subject}|${client}` : subject;
    const taken: [RateLimiterRedis, string][] = [];
    const giveBack = () => Promise.all(taken.map(([limiter, key]) => limiter.reward(key)));
    try {
      await this.take(this.address, client, this.messages.address, taken);
      await this.take(this.pair, pair, this.messages.pair, taken);
      // Past SUBJECT_FAILURE_LIMIT failures from everywhere, the owner is not locked out (an
      // attacker elsewhere cannot do that), but no client gets more than one try a minute.
      const all = await this.subject.consume(subject).catch((rejection: unknown) => {
        if (rejection instanceof RateLimiterRes) return rejection;
        throw rejection;
      });
      taken.push([this.subject, subject]);
      if (all.consumedPoints > SUBJECT_FAILURE_LIMIT) await this.take(this.slow, pair, this.messages.pair, []);
    } catch (error) {
      await giveBack(); // refused before any password was checked
      throw error;
    }

    let result: T;
    try {
      result = await verify();
    } catch (error) {
      if (!(error instanceof UnauthorizedException || error instanceof ForbiddenException)) {
        // Best effort: when Redis itself is what failed, the original error is the one to report.
        await giveBack().catch(() => undefined);
      }
      throw error;
    }
    await Promise.all([this.pair.delete(pair), this.address.reward(client), this.subject.reward(subject)]);
    return result;
  }

  /**
   * Runs `verify` counted against the client alone: a check that names no subject to count it
   * against (a passkey assertion for a credential nobody has). A 401 or 403 stays counted.
   */
  async attemptFromAddress<T>(ip: string | undefined, verify: () => Promise<T>): Promise<T> {
    const client = clientKey(ip);
    await consumeOr429(this.address, client, this.messages.address);
    let result: T;
    try {
      result = await verify();
    } catch (error) {
      if (!(error instanceof UnauthorizedException || error instanceof ForbiddenException)) {
        await this.address.reward(client).catch(() => undefined);
      }
      throw error;
    }
    await this.address.reward(client);
    return result;
  }

  /** Counts one attempt against `key`; throws a 429 when that goes over the limit. */
  private async take(limiter: RateLimiterRedis, key: string, message: string, taken: [RateLimiterRedis, string][]): Promise<void> {
    await consumeOr429(limiter, key, message);
    taken.push([limiter, key]);
  }
}

/**
 * Brute-force limits for sign-in (per email), for checks of the current password (per user) and
 * for second factors, passkey assertions included (per user, whatever the client).
 */
@Injectable()
export class CredentialThrottle {
  private readonly logins: Limits;
  private readonly passwords: Limits;
  private readonly secondFactors: Limits;

  constructor(@Inject(REDIS_CLIENT) redis: RedisClient) {
    this.logins = new Limits(redis, 'login-fails', {
      pair: 'Too many failed logins for this email; try again later',
      address: 'Too many failed logins from this address; try again later',
    });
    this.passwords = new Limits(redis, 'password-fails', {
      pair: 'Too many wrong passwords; try again later',
      address: 'Too many wrong passwords from this address; try again later',
    });
    this.secondFactors = new Limits(
      redis,
      'second-factor-fails',
      {
        pair: 'Too many wrong codes; try again later',
        address: 'Too many wrong codes from this address; try again later',
      },
      'subject',
    );
  }

  /** `email` normalised as the user store does it (normalizeEmail, applied by LoginDto). */
  login<T>(email: string, ip: string | undefined, verify: () => Promise<T>): Promise<T> {
    return this.logins.attempt(email, ip, verify);
  }

  /** A check of the signed-in user's current password (password change, account deletion). */
  passwordCheck<T>(userId: string, ip: string | undefined, verify: () => Promise<T>): Promise<T> {
    return this.passwords.attempt(userId, ip, verify);
  }

  /**
   * A check of a user's second factor (a TOTP or recovery code at sign-in, a code to
   * re-authenticate, an assertion of one of the user's passkeys): EMAIL_FAILURE_LIMIT wrong ones
   * in a row lock that user's second step for the rest of the window, from every client.
   */
  secondFactor<T>(userId: string, ip: string | undefined, verify: () => Promise<T>): Promise<T> {
    return this.secondFactors.attempt(userId, ip, verify);
  }

  /**
   * A passkey assertion that names no account (an unknown credential): counted per address with
   * the second factors, as a guessed email is counted per address with the logins.
   */
  unknownPasskey<T>(ip: string | undefined, verify: () => Promise<T>): Promise<T> {
    return this.secondFactors.attemptFromAddress(ip, verify);
  }
}
