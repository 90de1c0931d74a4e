import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { SessionData } from 'express-session';
import type { EventOrigin } from '../activity/security-event.js';
import { SecurityEvents } from '../activity/security-events.js';
import { deviceName } from '../common/device-name.js';
import type { AppConfig } from '../config/config.schema.js';
import { SessionStore } from './session-store.js';
import { expiresAt, isExpired } from './session-timeouts.js';
import type { SignInMethod } from './session.types.js';

export interface SessionListItem {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
  /** A short name for people, `"Firefox on Windows"` (common/device-name.ts). */
  device: string;
  /** What it signed in and re-authenticated with. */
  methods: SignInMethod[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A stable public handle for a session: never the session id itself nor the cookie value. */
export function sessionHandle(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}

/**
 * A user's sessions, whichever request asks: the devices list, revoking, the per-user cap, and
 * binding them to the password. This request's own session is SessionLifecycle's; the Redis
 * records and the index are the store's (session-store.ts).
 */
@Injectable()
export class UserSessions {
  private readonly maxPerUser: number;

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly store: SessionStore,
    private readonly events: SecurityEvents,
  ) {
    this.maxPerUser = config.get('session', { infer: true }).maxPerUser;
  }

  /** The user's live sessions, the current one first, then the most recently used. */
  async list(userId: string, currentSessionId: string, now = Date.now()): Promise<SessionListItem[]> {
    const live = await this.live(userId, now);
    return live
      .map(({ id, data }) => ({
        id: sessionHandle(id),
        current: id === currentSessionId,
        createdAt: iso(data.clock!.createdAt),
        lastSeenAt: iso(data.clock!.lastSeenAt),
        expiresAt: iso(expiresAt(data.clock!, this.store.timeouts)),
        ip: data.ip ?? null,
        userAgent: data.userAgent ?? null,
        device: deviceName(data.userAgent),
        methods: data.methods ?? ['password'],
      }))
      .sort((a, b) => Number(b.current) - Number(a.current) || b.lastSeenAt.localeCompare(a.lastSeenAt));
  }

  /**
   * The user signs one of their sessions out, by its public handle (the devices list), from the
   * session `origin` names: recorded in the activity log. False when it is not one of theirs.
   */
  async revoke(userId: string, handle: string, origin: EventOrigin): Promise<boolean> {
    const ids = await this.store.sessionIds(userId, this.listLimit());
    const id = ids.find((candidate) => sessionHandle(candidate) === handle);
    if (!id) return false;
    await this.store.destroySessions(userId, [id]);
    await this.events.record(undefined, userId, 'session-revoked', origin);
    return true;
  }

  /** The user signs out everywhere else (the devices list): revokeOthers, recorded in the activity log. */
  async signOutOthers(userId: string, currentSessionId: string, origin: EventOrigin): Promise<void> {
    await this.revokeOthers(userId, currentSessionId);
    await this.events.record(undefined, userId, 'sessions-revoked', origin);
  }

  /**
   * Revokes every session of the user except the current one: as part of a change that is recorded
   * itself (a password change, two-step sign-in turned on or off), or for signOutOthers.
   */
  async revokeOthers(userId: string, currentSessionId: string): Promise<void> {
    const ids = await this.store.sessionIds(userId, this.listLimit());
    await this.store.destroySessions(
      userId,
      ids.filter((id) => id !== currentSessionId),
    );
  }

  /** Revokes every session of the user (a password reset, an account deleted). */
  async revokeAll(userId: string): Promise<void> {
    await this.store.destroySessions(userId, await this.store.sessionIds(userId, this.listLimit()));
  }

  /** Ends the least recently used sessions beyond SESSION_MAX_PER_USER, never `keptSessionId`. */
  async enforceCap(userId: string, keptSessionId: string, now = Date.now()): Promise<void> {
    const live = await this.live(userId, now);
    if (live.length <= this.maxPerUser) return;
    const oldest = live
      .filter(({ id }) => id !== keptSessionId)
      .sort((a, b) => a.data.clock!.lastSeenAt - b.data.clock!.lastSeenAt)
      .slice(0, live.length - this.maxPerUser)
      .map(({ id }) => id);
    await this.store.destroySessions(userId, oldest);
  }

  /**
   * Before a password change is written: from now on the user's sessions are checked against
   * Postgres (see SessionStore.credentialChanging), so a failure half-way leaves none signed in
   * with the old password.
   */
  credentialChanging(userId: string): Promise<void> {
    return this.store.credentialChanging(userId);
  }

  /** After the change is committed: the new stamp, which only sessions signed in since carry. */
  credentialChanged(userId: string, changedAt: Date): Promise<void> {
    return this.store.credentialChanged(userId, changedAt.getTime());
  }

  /** The cap plus room for sessions that sign in at the same moment; the index never holds more. */
  private listLimit(): number {
    return this.maxPerUser * 2;
  }

  /** The user's sessions whose records are there and unexpired; index entries without one are dropped. */
  private async live(userId: string, now: number): Promise<{ id: string; data: SessionData }[]> {
    const ids = await this.store.sessionIds(userId, this.listLimit(), now);
    const records = await this.store.records(ids);
    const live: { id: string; data: SessionData }[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const data = records[i];
      if (data?.clock && data.passport?.user === userId && !isExpired(data.clock, this.store.timeouts, now)) live.push({ id, data });
      else gone.push(id);
    });
    await this.store.destroySessions(userId, gone);
    return live;
  }
}
