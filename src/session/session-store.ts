import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { RedisStore } from 'connect-redis';
import type { Request } from 'express';
import type { Session, SessionData } from 'express-session';
import type { AppConfig } from '../config/config.schema.js';
import type { RedisClient } from '../redis/redis-client.js';
import { REDIS_CLIENT, REDIS_SENTINEL } from '../redis/redis.module.js';
import type { SentinelPrimary } from '../redis/redis-sentinel.js';
import { ReplicaAck } from '../redis/replica-ack.js';
import { RedisScript } from '../redis/redis-script.js';
import { UsersService } from '../users/users.service.js';
import { sessionCookieOptions } from './session-cookie.js';
import { sessionRecordSerializer } from './session-record.js';
import { pendingExpiresAt } from './pending-sign-in.js';
import { expiresAt, type SessionTimeouts } from './session-timeouts.js';
import './session.types.js';

/**
 * Redis keys (docs/sessions.md, Redis keys):
 *   sess:<session id>          the session record, with a TTL equal to the time it has left
 *   user-sessions:<user id>    the user's live session ids, scored by expiry: list and revoke
 *                              without scanning the keyspace
 *   user-credential:<user id>  when the user's password last changed (epoch ms), or "?" while a
 *                              change is under way: "ask Postgres"
 *   pending-fails:<session id> wrong second factors sent to a pending sign-in
 */
export const SESSION_KEY_PREFIX = 'sess:';
export const INDEX_KEY_PREFIX = 'user-sessions:';
export const CREDENTIAL_KEY_PREFIX = 'user-credential:';
/** Wrong codes sent to a pending sign-in, by its session id (countPendingFailure). */
export const PENDING_FAILURES_KEY_PREFIX = 'pending-fails:';
const CREDENTIAL_CHANGING = '?';

/**
 * Reads a session and its user's credential stamp in one round trip, so binding every session to
 * the password costs no extra request to Redis. The record's `u` is the user's id (session-record.ts).
 */
const GET_SCRIPT = new RedisScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return false end
local ok, data = pcall(cjson.decode, raw)
if not ok or type(data) ~= 'table' or type(data.u) ~= 'string' then
  return {raw}
end
return {raw, redis.call('GET', ARGV[1] .. data.u)}
`);

/**
 * Writes a session: SET ... NX for a new id, SET ... XX for one that was loaded, so a write can
 * never bring back a session that was revoked while its request was in flight. Only when the
 * write happened is the id (re)indexed, so the index holds live sessions only. A new session also
 * caches its user's credential stamp, unless a password change got there first.
 */
const SET_SCRIPT = new RedisScript(`
if not redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], ARGV[3]) then return 0 end
if KEYS[2] then
  redis.call('ZADD', KEYS[2], ARGV[5], ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[6])
  redis.call('PEXPIREAT', KEYS[2], ARGV[5], 'NX')
  redis.call('PEXPIREAT', KEYS[2], ARGV[5], 'GT')
end
if KEYS[3] then redis.call('SET', KEYS[3], ARGV[7], 'PX', ARGV[8], 'NX') end
return 1
`);

/**
 * Deletes a session and its index entry in one step, whoever deletes it (logout, passport's new
 * id at sign-in): the index never keeps an id whose record is gone.
 */
const DESTROY_SCRIPT = new RedisScript(`
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
redis.call('DEL', KEYS[1])
local ok, data = pcall(cjson.decode, raw)
if ok and type(data) == 'table' and type(data.u) == 'string' then
  redis.call('ZREM', ARGV[1] .. data.u, ARGV[2])
end
return 1
`);

/**
 * connect-redis's store with the writes made conditional and the reads bound to the password:
 *
 * - A session loaded by this request is written back with XX (only if it still exists), a new one
 *   with NX; revoking a session is deleting its key, and nothing in flight can undo that.
 * - A session whose `credential` stamp is not the user's current one (the password changed since
 *   it signed in) is deleted as it is read: it signs nothing in, whatever happened in between.
 *
 * It also owns the policy of what it keeps: the record's format (session-record.ts), a record
 * that lives exactly as long as its session may (session-timeouts.ts), and, behind Sentinels, a
 * wait for the replica after every write that must survive a failover.
 */
@Injectable()
export class SessionStore extends RedisStore {
  /** SESSION_IDLE_TIMEOUT, SESSION_ABSOLUTE_TIMEOUT, SESSION_REMEMBER_TIMEOUT: the rules' inputs. */
  readonly timeouts: SessionTimeouts;
  /** How long a cached credential stamp lives: as long as the longest session may. */
  private readonly credentialTtlMs: number;
  /**
   * With Sentinels: waits for the replica after a new session, a revocation and a password change,
   * so that a failover can neither lose a sign-in that was answered nor bring back a revoked
   * session. Never after a read or the write-back of a loaded session (the authenticated request
   * stays one round trip). A single Redis has no replica to wait for.
   */
  private readonly replicaAck: ReplicaAck | undefined;

  /**
   * The Session objects that are in Redis: made from a stored record, or written once already.
   * Only a session that was never stored is written with NX; every later write is XX.
   */
  private readonly stored = new WeakSet<object>();

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(REDIS_SENTINEL) sentinel: SentinelPrimary | null,
    private readonly users: UsersService,
    config: ConfigService<AppConfig, true>,
  ) {
    const settings = config.get('session', { infer: true });
    super({
      client: redis,
      prefix: SESSION_KEY_PREFIX,
      disableTouch: true,
      serializer: sessionRecordSerializer(sessionCookieOptions(settings.cookie)),
    });
    this.timeouts = { idleMs: settings.idleTimeoutMs, absoluteMs: settings.absoluteTimeoutMs, rememberMs: settings.rememberTimeoutMs };
    this.credentialTtlMs = Math.max(this.timeouts.absoluteMs, this.timeouts.rememberMs);
    this.replicaAck = sentinel ? new ReplicaAck(redis, () => sentinel.replicaUp) : undefined;
  }

  override createSession(req: Request, data: SessionData): Session & SessionData {
    const session = super.createSession(req, data);
    this.stored.add(session);
    return session;
  }

  /** Whether express-session loaded this session from Redis (or it was written since). */
  isStored(session: object): boolean {
    return this.stored.has(session);
  }

  override async get(sid: string, cb?: (err: unknown, data?: SessionData | null) => void): Promise<void> {
    try {
      cb?.(null, await this.read(sid));
    } catch (error) {
      cb?.(error);
    }
  }

  override async set(sid: string, session: SessionData, cb?: (err?: unknown) => void): Promise<void> {
    try {
      await this.write(sid, session, this.stored.has(session) ? 'XX' : 'NX');
      cb?.();
    } catch (error) {
      cb?.(error);
    }
  }

  /** The session, or null when it is gone or no longer valid for its user's password. */
  private async read(sid: string): Promise<SessionData | null> {
    const reply = (await GET_SCRIPT.run(this.redis, [SESSION_KEY_PREFIX + sid], [CREDENTIAL_KEY_PREFIX])) as
      [string, string | null] | [string] | null;
    if (!reply) return null;
    const data = (await this.serializer.parse(reply[0])) as SessionData;
    const userId = data.passport?.user;
    if (!userId) return data;
    let current = reply[1] && reply[1] !== CREDENTIAL_CHANGING ? Number(reply[1]) : null;
    if (current === null) {
      current = await this.users.passwordChangedAt(userId);
      // Cache it unless a change is under way ("?" is there: NX fails) or the user is gone.
      if (reply[1] === null && current !== null) await this.cacheCredential(userId, current);
    }
    if (current === null || data.credential !== current) {
      await this.destroySessions(userId, [sid]);
      return null;
    }
    return data;
  }

  private async write(sid: string, session: SessionData, mode: 'NX' | 'XX'): Promise<void> {
    // The record lives exactly as long as the session (or the pending sign-in) may; neither, nothing to keep.
    const until = session.clock ? expiresAt(session.clock, this.timeouts) : session.pending ? pendingExpiresAt(session.pending) : 0;
    const ttl = Math.floor(until - Date.now());
    if (ttl <= 0) {
      // Nothing left to keep. A session that was never stored: nothing to delete either.
      if (mode === 'XX') await this.destroy(sid);
      return;
    }
    const userId = session.passport?.user;
    const now = Date.now();
    const keys = [SESSION_KEY_PREFIX + sid];
    const args = [this.serializer.stringify(session), String(ttl), mode, sid, String(now + ttl), String(now)];
    if (userId) {
      keys.push(INDEX_KEY_PREFIX + userId);
      if (mode === 'NX' && session.credential !== undefined) {
        keys.push(CREDENTIAL_KEY_PREFIX + userId);
        args.push(String(session.credential), String(this.credentialTtlMs));
      }
    }
    const written = await SET_SCRIPT.run(this.redis, keys, args);
    if (written === 0 && mode === 'NX') throw new Error('session id collision'); // 128 random bits: never
    if (mode === 'NX') await this.replicaAck?.wait();
    this.stored.add(session);
  }

  override async destroy(sid: string, cb?: (err?: unknown) => void): Promise<void> {
    try {
      await DESTROY_SCRIPT.run(this.redis, [SESSION_KEY_PREFIX + sid], [INDEX_KEY_PREFIX, sid]);
      await this.replicaAck?.wait();
      cb?.();
    } catch (error) {
      cb?.(error);
    }
  }

  /**
   * Deletes a session that is not signed in (a pending sign-in) if it is still there: true for
   * the one caller that deleted it. Two requests completing one pending sign-in at once (a TOTP
   * code and a recovery code, say) get one session between them.
   */
  async claim(sid: string): Promise<boolean> {
    const deleted = await this.redis.del(SESSION_KEY_PREFIX + sid);
    await this.replicaAck?.wait();
    return deleted === 1;
  }

  /**
   * Counts a wrong second factor against a pending sign-in: the count after this one. Atomic, so
   * that codes sent at once are each counted; the key lives as long as the pending sign-in may.
   */
  async countPendingFailure(sid: string, ttlMs: number): Promise<number> {
    const key = PENDING_FAILURES_KEY_PREFIX + sid;
    const [count] = await this.redis.multi().incr(key).pExpire(key, ttlMs, 'NX').exec();
    return Number(count);
  }

  // --- the per-user index -------------------------------------------------------------------

  /** Ids of the user's live sessions, soonest to expire first, at most `limit`. */
  async sessionIds(userId: string, limit: number, now = Date.now()): Promise<string[]> {
    const key = INDEX_KEY_PREFIX + userId;
    const [, ids] = await this.redis
      .multi()
      .zRemRangeByScore(key, '-inf', now)
      .zRange(key, 0, limit - 1)
      .exec();
    return ids as unknown as string[];
  }

  /** The stored session records of these ids (null where the record is gone). */
  async records(sessionIds: string[]): Promise<(SessionData | null)[]> {
    if (sessionIds.length === 0) return [];
    const raw = await this.redis.mGet(sessionIds.map((id) => SESSION_KEY_PREFIX + id));
    return Promise.all(raw.map(async (value) => (value ? ((await this.serializer.parse(value)) as SessionData) : null)));
  }

  /** Deletes the session records and their index entries in one round trip. */
  async destroySessions(userId: string, sessionIds: string[]): Promise<void> {
    if (sessionIds.length === 0) return;
    await this.redis
      .multi()
      .del(sessionIds.map((id) => SESSION_KEY_PREFIX + id))
      .zRem(INDEX_KEY_PREFIX + userId, sessionIds)
      .exec();
    await this.replicaAck?.wait();
  }

  // --- the credential stamp -----------------------------------------------------------------

  /**
   * Before a password change is written to Postgres: from now on every session of the user is
   * checked against Postgres, until credentialChanged(). Should the app or Redis fail in between,
   * that is still the truth: no session signed in with the old password passes.
   */
  async credentialChanging(userId: string): Promise<void> {
    await this.redis.set(CREDENTIAL_KEY_PREFIX + userId, CREDENTIAL_CHANGING, {
      expiration: { type: 'PX', value: this.credentialTtlMs },
    });
    await this.replicaAck?.wait();
  }

  /** After the change is committed: the new stamp, which only sessions signed in since carry. */
  async credentialChanged(userId: string, changedAt: number): Promise<void> {
    await this.redis.set(CREDENTIAL_KEY_PREFIX + userId, String(changedAt), {
      expiration: { type: 'PX', value: this.credentialTtlMs },
    });
    await this.replicaAck?.wait();
  }

  private async cacheCredential(userId: string, changedAt: number): Promise<void> {
    await this.redis.set(CREDENTIAL_KEY_PREFIX + userId, String(changedAt), {
      expiration: { type: 'PX', value: this.credentialTtlMs },
      condition: 'NX',
    });
  }
}
