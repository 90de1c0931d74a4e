import { applyDecorators, type CanActivate, type ExecutionContext, ForbiddenException, Injectable, UseGuards } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Request } from 'express';
import type { AppConfig } from '../config/config.schema.js';
import { signedIn } from './current-session.js';

/*
 * Sudo mode (docs/sessions.md, Sudo mode): for SUDO_TIMEOUT after a session signed in or
 * re-authenticated, it may make the changes that would let whoever holds it keep the account
 * (revoking the owner's other sessions, and what the two-step sign-in adds). Measured from the
 * last proof, not from sign-in, so re-authenticating renews it.
 */

export const REAUTHENTICATION_REQUIRED = 'Re-authentication required';

/** 403 outside sudo mode; the pages send the browser to /reauthenticate and back. */
export class ReauthenticationRequiredException extends ForbiddenException {
  constructor() {
    super(REAUTHENTICATION_REQUIRED);
  }
}

/** When sudo mode ends for a session that last proved its user at `provenAt` (epoch ms). */
export function sudoExpiresAt(session: { provenAt: number }, sudoMs: number): number {
  return session.provenAt + sudoMs;
}

export function inSudoMode(session: { provenAt: number }, sudoMs: number, now = Date.now()): boolean {
  return now < sudoExpiresAt(session, sudoMs);
}

@Injectable()
export class SudoGuard implements CanActivate {
  private readonly sudoMs: number;

  constructor(config: ConfigService<AppConfig, true>) {
    this.sudoMs = config.get('session', { infer: true }).sudoTimeoutMs;
  }

  canActivate(context: ExecutionContext): boolean {
    // Runs after SessionGuard: signedIn() finds the request signed in.
    if (!inSudoMode(signedIn(context.switchToHttp().getRequest<Request>()), this.sudoMs)) throw new ReauthenticationRequiredException();
    return true;
  }
}

/** On a handler: the route answers 403 "Re-authentication required" outside sudo mode. */
export const RequiresSudo = () => applyDecorators(UseGuards(SudoGuard));
