import { ClientOfflineError } from 'redis';
import type { RedisClient } from '../redis/redis.module.js';

/** Redis key prefix of session records; connect-redis writes `sess:<session id>`. */
export const SESSION_KEY_PREFIX = 'sess:';
const INDEX_KEY_PREFIX = 'user-sessions:';

/**
 * A per-user sorted set of session ids scored by their expiry time, so a user's sessions can be
 * listed and revoked without scanning the keyspace. It cannot grow without bound: every write
 * drops members whose expiry has passed, and the set's own TTL is the latest expiry among its
 * members, so when the user's last session ends the key goes too.
 */
export class SessionIndex {
  constructor(private readonly redis: RedisClient) {}

  async add(userId: string, sessionId: string, expiresAt: number, now = Date.now()): Promise<void> {
    const key = INDEX_KEY_PREFIX + userId;
    await this.multi()
      .zAdd(key, { score: expiresAt, value: sessionId })
      .zRemRangeByScore(key, '-inf', now)
      // NX sets a TTL on a new key; GT only ever pushes it later (Redis 7).
      .pExpireAt(key, expiresAt, 'NX')
      .pExpireAt(key, expiresAt, 'GT')
      .exec();
  }

  /** Ids of the user's sessions that have not expired. */
  async sessionIds(userId: string, now = Date.now()): Promise<string[]> {
    const key = INDEX_KEY_PREFIX + userId;
    const [, ids] = await this.multi().zRemRangeByScore(key, '-inf', now).zRange(key, 0, -1).exec();
    return ids as unknown as string[];
  }

  async remove(userId: string, sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.redis.zRem(INDEX_KEY_PREFIX + userId, sessionIds);
  }

  /** Deletes the session records and their index entries in one round trip. */
  async destroy(userId: string, sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.multi()
      .del(sessionIds.map((id) => SESSION_KEY_PREFIX + id))
      .zRem(INDEX_KEY_PREFIX + userId, sessionIds)
      .exec();
  }

  /** The stored session records of these ids (null where the record is gone). */
  async records(sessionIds: string[]): Promise<(string | null)[]> {
    if (sessionIds.length === 0) return [];
    return this.redis.mGet(sessionIds.map((id) => SESSION_KEY_PREFIX + id));
  }

  /**
   * node-redis queues a MULTI even while disconnected (disableOfflineQueue covers single commands
   * only), where it would wait for the reconnect with its request: refuse it at once instead.
   */
  private multi(): ReturnType<RedisClient['multi']> {
    if (!this.redis.isReady) throw new ClientOfflineError();
    return this.redis.multi();
  }
}
