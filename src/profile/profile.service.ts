import { ForbiddenException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request, Response } from 'express';
import { DataSource } from 'typeorm';
import { SecurityEvents } from '../activity/security-events.js';
import { CredentialThrottle } from '../auth/credential-throttle.js';
import { SecurityNotices } from '../mail/security-notices.js';
import { PasswordService } from '../passwords/password.service.js';
import { signedIn } from '../session/current-session.js';
import { eventOrigin } from '../session/event-origin.js';
import { NotAuthenticatedException } from '../session/session.exceptions.js';
import { SessionLifecycle } from '../session/session-lifecycle.js';
import { UserSessions } from '../session/user-sessions.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';

export const WRONG_PASSWORD = 'Current password is wrong';

@Injectable()
export class ProfileService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly session: SessionLifecycle,
    private readonly sessions: UserSessions,
    private readonly throttle: CredentialThrottle,
    private readonly notices: SecurityNotices,
    private readonly events: SecurityEvents,
    @InjectDataSource() private readonly db: DataSource,
  ) {}

  async get(userId: string): Promise<User> {
    const user = await this.users.findById(userId);
    // The account was deleted while this session was being served.
    if (!user) throw new NotAuthenticatedException();
    return user;
  }

  async rename(userId: string, displayName: string): Promise<User> {
    const user = await this.users.updateDisplayName(userId, displayName);
    if (!user) throw new NotAuthenticatedException();
    return user;
  }

  /**
   * A password change ends every other session of the user (whoever else held one is out) and
   * gives the current one a new id. The order makes every failure safe:
   *
   * 1. the current password is checked, under the brute-force limits;
   * 2. the user's sessions are marked "check against Postgres" (UserSessions.credentialChanging);
   * 3. the new hash is written only if the hash is still the one just verified (a concurrent
   *    change wins or loses as a whole: 403 here if it won), and the change recorded in the
   *    activity log, in one transaction;
   * 4. the new stamp is cached, the others are revoked and this session is re-issued;
   * 5. the owner is mailed a notice (security-notices.ts), also when step 4 failed: the new
   *    password stands either way.
   *
   * Should step 4 fail (Redis gone), the sessions of step 2 still meet Postgres on their next
   * request and are refused there.
   */
  async changePassword(req: Request, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.verifyCurrentPassword(req, currentPassword);
    this.passwords.assertAcceptable(newPassword, 'newPassword');
    const newHash = await this.passwords.hash(newPassword);
    await this.sessions.credentialChanging(user.id);
    const changedAt = await this.db.transaction(async (m) => {
      const at = await this.users.replacePasswordHash(m, user.id, user.passwordHash, newHash);
      if (!at) throw new ForbiddenException(WRONG_PASSWORD);
      await this.events.record(m, user.id, 'password-changed', eventOrigin(req), null, at);
      return at;
    });
    try {
      await this.session.rotate(req, user, changedAt);
    } finally {
      await this.notices.notify(user.id, 'password-changed');
    }
  }

  /**
   * Deletes the account: the user row first (the part the user asked for), then every session of
   * theirs, whose cookie is cleared. Should Redis fail in between, the sessions left over belong to
   * no user: their credential check finds none in Postgres, and they are refused.
   */
  async deleteAccount(req: Request, res: Response, password: string): Promise<void> {
    const user = await this.verifyCurrentPassword(req, password);
    await this.users.remove(user.id);
    await this.sessions.revokeAll(user.id);
    await this.session.end(req, res);
  }

  /** The signed-in user, once their current password checks out (403 otherwise; 429 when throttled). */
  private verifyCurrentPassword(req: Request, password: string): Promise<User> {
    const { userId } = signedIn(req);
    return this.throttle.passwordCheck(userId, req.ip, async () => {
      const user = await this.get(userId);
      if (!(await this.passwords.verify(user.passwordHash, password))) throw new ForbiddenException(WRONG_PASSWORD);
      return user;
    });
  }
}
