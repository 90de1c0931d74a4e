import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { PasswordService } from '../auth/password.service.js';
import { SessionService } from '../session/session.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';

@Injectable()
export class ProfileService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
  ) {}

  async get(userId: string): Promise<User> {
    const user = await this.users.findById(userId);
    if (!user) throw new UnauthorizedException('Not authenticated');
    return user;
  }

  async rename(userId: string, displayName: string): Promise<User> {
    return this.users.updateDisplayName(await this.get(userId), displayName);
  }

  /**
   * A password change ends every other session of the user (whoever else held one is out) and
   * gives the current one a new id.
   */
  async changePassword(req: Request, currentPassword: string, newPassword: string): Promise<void> {
    const user = await this.withPassword(req.user!.id, currentPassword);
    this.passwords.assertAcceptable(newPassword, 'newPassword');
    await this.users.updatePasswordHash(user, await this.passwords.hash(newPassword));
    await this.sessions.revokeOthers(user.id, req.sessionID);
    await this.sessions.rotate(req, user);
  }

  /**
   * Deletes the account: the user row first (the part the user asked for), then every session of
   * theirs, the current one last, whose cookie is cleared. Should Redis fail in between, the
   * sessions left over belong to no user and are refused (ProfileService.get answers 401).
   */
  async deleteAccount(req: Request, res: Response, password: string): Promise<void> {
    const user = await this.withPassword(req.user!.id, password);
    await this.users.remove(user.id);
    await this.sessions.revokeOthers(user.id, req.sessionID);
    await this.sessions.end(req, res);
  }

  /** The signed-in user, when `password` is their current password; else 403. */
  private async withPassword(userId: string, password: string): Promise<User> {
    const user = await this.get(userId);
    if (!(await this.passwords.verify(user.passwordHash, password))) {
      throw new ForbiddenException('Current password is wrong');
    }
    return user;
  }
}
