import { UnauthorizedException } from '@nestjs/common';

/**
 * The request carried a correctly signed cookie, but its session no longer exists (expired,
 * revoked, logged out elsewhere, ended by a password change). SessionGuard, which throws it, clears
 * the cookie; the JSON API answers 401 "Session expired", the pages send the browser to /login
 * with a notice.
 */
export class SessionExpiredException extends UnauthorizedException {
  constructor() {
    super('Session expired');
  }
}

/** No session cookie, or one whose signature does not verify. */
export class NotAuthenticatedException extends UnauthorizedException {
  constructor() {
    super('Not authenticated');
  }
}
