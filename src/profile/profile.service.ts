import { ForbiddenException, Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request } from 'express';
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
    const user = await this.get(req.user!.id);
    if (!(await this.passwords.verify(user.passwordHash, currentPassword))) {
      throw new ForbiddenException('Current password is wrong');
    }
    this.passwords.assertAcceptable(newPassword, 'newPassword');
    await this.users.updatePasswordHash(user, await this.passwords.hash(newPassword));
    await this.sessions.revokeOthers(user.id, req.sessionID);
    await this.sessions.rotate(req, user);
  }
}
