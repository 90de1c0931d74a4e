import { Injectable, UnauthorizedException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { SessionService } from '../session/session.service.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { RegisterDto } from './dto/register.dto.js';
import { CredentialThrottle } from './credential-throttle.js';
import { PasswordService } from './password.service.js';

export const INVALID_CREDENTIALS = 'Invalid email or password';

@Injectable()
export class AuthService {
  constructor(
    private readonly users: UsersService,
    private readonly passwords: PasswordService,
    private readonly sessions: SessionService,
    private readonly throttle: CredentialThrottle,
  ) {}

  async register(dto: RegisterDto, req: Request): Promise<User> {
    this.passwords.assertAcceptable(dto.password, 'password');
    const user = await this.users.create({
      email: dto.email,
      displayName: dto.displayName,
      passwordHash: await this.passwords.hash(dto.password),
    });
    try {
      await this.sessions.start(req, user, false);
    } catch (error) {
      // The client is told registration failed (503 while Redis is down), so it must be able to
      // try again: no account may be left behind to answer its retry with 409. Should Postgres
      // be failing too, the original error is the one worth reporting.
      await this.users.remove(user.id).catch(() => undefined);
      throw error;
    }
    return user;
  }

  /**
   * The sign-in credential check, for the API (LocalStrategy) and the login page alike: under the
   * brute-force limits (429 when the email is locked for this client, or the client is; see
   * CredentialThrottle).
   */
  authenticate(email: string, password: string, ip: string | undefined): Promise<User> {
    return this.throttle.login(email, ip, () => this.verifyCredentials(email, password));
  }

  /** One answer for "no such email" and "wrong password", in the same time (PasswordService). */
  private async verifyCredentials(email: string, password: string): Promise<User> {
    const user = await this.users.findByEmail(email);
    if (!(await this.passwords.verify(user?.passwordHash, password)) || !user) {
      throw new UnauthorizedException(INVALID_CREDENTIALS);
    }
    return user;
  }

  async login(req: Request, user: User, rememberMe: boolean): Promise<User> {
    await this.sessions.start(req, user, rememberMe);
    return this.users.recordLogin(user);
  }

  logout(req: Request, res: Response): Promise<void> {
    return this.sessions.end(req, res);
  }
}
