import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { Request } from 'express';
import { Strategy } from 'passport-local';
import type { User } from '../users/user.entity.js';
import { AuthService } from './auth.service.js';
import { LoginThrottle } from './login-throttle.js';

@Injectable()
export class LocalStrategy extends PassportStrategy(Strategy) {
  constructor(
    private readonly auth: AuthService,
    private readonly throttle: LoginThrottle,
  ) {
    super({ usernameField: 'email', passwordField: 'password', passReqToCallback: true });
  }

  /** The password check, under the brute-force limits (429 when the email or address is locked). */
  validate(req: Request, email: string, password: string): Promise<User> {
    return this.throttle.attempt(email, req.ip, () => this.auth.verifyCredentials(email, password));
  }
}
