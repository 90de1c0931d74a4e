import { BadRequestException, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { plainAddress } from '../common/client-address.js';
import { MailQueue } from '../mail/mail-queue.js';
import type { RedisClient } from '../redis/redis-client.js';
import { REDIS_CLIENT } from '../redis/redis.module.js';
import { decodeCursor, encodeCursor } from './activity-cursor.js';
import type { ActivityEntry, ChangeType, EventDetail, EventOrigin, FailureType, SecurityEventType } from './security-event.js';

export const INVALID_CURSOR = 'Invalid cursor';
/** Events on one page of the log. */
export const PAGE_SIZE = 50;
/** How long events are kept (SPEC section 4); also how far back a device counts as known. */
export const RETENTION_MS = 90 * 24 * 60 * 60_000;
/**
 * The window of a burst of failures: the failures of a user and type within one such window (aligned
 * to the clock) are one row. As long as the window of the sign-in limits (docs/security.md).
 */
export const BURST_MS = 15 * 60_000;
/** A sign-in counts as from a known device when the same device name signed in from the same network: an IPv4 /24, an IPv6 /48. */
export const KNOWN_NETWORK_PREFIX = { ipv4: 24, ipv6: 48 };
/** At most one new-device mail per user per this long, however many new devices sign in meanwhile. */
export const NEW_DEVICE_MAIL_GAP_MS = 5 * 60_000;

const DEVICE_MAX = 60;
const FOREIGN_KEY_VIOLATION = '23503';

interface EventRow {
  id: string;
  type: SecurityEventType;
  at: Date;
  ip: string | null;
  device: string | null;
  session_handle: string | null;
  detail: EventDetail | null;
  count: number;
}

/** An origin's columns: the address as the log keeps it, the device name within its column. */
function columns(origin: EventOrigin): [ip: string | null, device: string | null, session: string | null] {
  return [plainAddress(origin.ip) ?? null, origin.device?.slice(0, DEVICE_MAX) ?? null, origin.session ?? null];
}

/**
 * The security activity log (docs/activity.md): every sign-in, failed sign-in burst, change of how
 * the account signs in, and session revocation, in Postgres for RETENTION_MS. A change that is a
 * transaction (a reset, an email verification, two-step sign-in, recovery codes, passkeys, a
 * password change) writes its event in that transaction: it is recorded if and only if it
 * happened. Nothing here ever holds a password, a token, a code or a session id.
 *
 * Signing in costs one INSERT (which also tells whether the device is known); an authenticated
 * request that changes nothing costs nothing here.
 */
@Injectable()
export class SecurityEvents {
  private readonly logger = new Logger('SecurityEvents');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    private readonly queue: MailQueue,
  ) {}

  /** A change to the account, in the caller's transaction `m` when it has one. */
  async record(
    m: EntityManager | undefined,
    userId: string,
    type: ChangeType,
    origin: EventOrigin,
    detail: EventDetail | null = null,
    now = new Date(),
  ): Promise<void> {
    await (m ?? this.db).query(
      `INSERT INTO security_events (user_id, type, at, ip, device, session_handle, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [userId, type, now, ...columns(origin), detail],
    );
  }

  /**
   * A wrong password for an existing account, or a wrong second factor: counted into the user's
   * row of that type for the current BURST_MS window, or that row made. One statement, so
   * concurrent failures meet on the unique index and still make one row; an attacker's request
   * rate adds to a count, not to the table.
   */
  async recordFailure(userId: string, type: FailureType, origin: EventOrigin, now = new Date()): Promise<void> {
    await ignoreMissingUser(
      this.db.query(
        `INSERT INTO security_events (user_id, type, at, ip, device, session_handle, burst) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (user_id, type, burst) WHERE burst IS NOT NULL DO UPDATE
           SET count = security_events.count + 1, at = greatest(security_events.at, excluded.at),
               ip = excluded.ip, device = excluded.device, session_handle = excluded.session_handle`,
        [userId, type, now, ...columns(origin), Math.floor(now.getTime() / BURST_MS)],
      ),
    );
  }

  /**
   * A sign-in (`methods` as the session has them), with the recovery code it used if so, in one
   * INSERT that also looks up whether this device name signed in from this network in the last
   * RETENTION_MS. If not, the owner is mailed (alertNewDevice), except for the sign-in that
   * registration makes: a new account has no device yet.
   */
  async signedIn(userId: string, origin: EventOrigin, methods: string[], registered = false, now = new Date()): Promise<void> {
    const types: SecurityEventType[] = methods.includes('recoveryCode') ? ['recovery-code-used', 'sign-in'] : ['sign-in'];
    const detail: EventDetail = registered ? { methods, registered: true } : { methods };
    const [ip, device, session] = columns(origin);
    const rows = await ignoreMissingUser(
      this.db.query(
        `WITH added AS (
           INSERT INTO security_events (user_id, type, at, ip, device, session_handle, detail)
           SELECT $1, type, $2, $3, $4, $5, CASE type WHEN 'sign-in' THEN $6::jsonb END FROM unnest($7::varchar[]) AS type
         )
         SELECT EXISTS (
           SELECT 1 FROM security_events
            WHERE user_id = $1 AND type = 'sign-in' AND at > $8 AND device = $4
              AND ip <<= set_masklen($3::inet, CASE family($3::inet) WHEN 4 THEN ${KNOWN_NETWORK_PREFIX.ipv4} ELSE ${KNOWN_NETWORK_PREFIX.ipv6} END)
         ) AS known`,
        [userId, now, ip, device, session, detail, types, new Date(now.getTime() - RETENTION_MS)],
      ) as Promise<{ known: boolean }[]>,
    );
    // The SELECT sees the table as it was before this statement: never the row it adds.
    if (rows && !rows[0].known && !registered) await this.alertNewDevice(userId, ip, device, now);
  }

  /**
   * Queues the new-device mail (recovery-mail.ts sends it), at most one per user per
   * NEW_DEVICE_MAIL_GAP_MS: a burst of sign-ins from new places tells the owner once. Best effort, as
   * security notices are: the sign-in stands when Redis or the queue fails just now; that is logged.
   */
  private async alertNewDevice(userId: string, ip: string | null, device: string | null, at: Date): Promise<void> {
    try {
      const first = await this.redis.set(`new-device-mail:${userId}`, '1', {
        condition: 'NX',
        expiration: { type: 'PX', value: NEW_DEVICE_MAIL_GAP_MS },
      });
      if (first === null) return;
      await this.queue.enqueue({ kind: 'new-device', userId, device, ip, at: at.toISOString() });
    } catch (error) {
      this.logger.warn(`New-device mail for user ${userId} not queued: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * One page of the user's log, newest first: PAGE_SIZE events from `before` (a cursor of a
   * previous page; 400 when it is not one), and the cursor of the next page, or null at the end.
   * `current` marks the events of the session with the handle `session`.
   */
  async page(userId: string, before: unknown, session: string | undefined): Promise<{ entries: ActivityEntry[]; next: string | null }> {
    const cursor = before === undefined ? undefined : decodeCursor(before);
    if (before !== undefined && !cursor) throw new BadRequestException(INVALID_CURSOR);
    const after = cursor ? `AND (at, id) < ($3, $4::bigint)` : '';
    const rows = (await this.db.query(
      `SELECT id, type, at, host(ip) AS ip, device, session_handle, detail, count FROM security_events
        WHERE user_id = $1 ${after} ORDER BY at DESC, id DESC LIMIT $2`,
      [userId, PAGE_SIZE + 1, ...(cursor ? [cursor.at, cursor.id] : [])],
    )) as EventRow[];
    const page = rows.slice(0, PAGE_SIZE);
    const last = page[page.length - 1];
    return {
      entries: page.map((row) => ({
        type: row.type,
        at: row.at,
        ip: row.ip,
        device: row.device,
        current: session !== undefined && row.session_handle === session,
        detail: row.detail,
        count: row.count,
      })),
      next: rows.length > PAGE_SIZE ? encodeCursor({ at: last.at, id: last.id }) : null,
    };
  }
}

/**
 * The user was deleted meanwhile (a sign-in or a failure racing the account's deletion): nothing
 * is left to record it for, and the request goes on as it would have.
 */
async function ignoreMissingUser<T>(query: Promise<T>): Promise<T | undefined> {
  try {
    return await query;
  } catch (error) {
    if ((error as { driverError?: { code?: string } }).driverError?.code === FOREIGN_KEY_VIOLATION) return undefined;
    throw error;
  }
}
