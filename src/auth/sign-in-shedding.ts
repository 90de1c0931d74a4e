import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, NextFunction, Request, Response } from 'express';
import { toErrorBody } from '../common/http-exception.filter.js';
import { HashingBusyException } from './hashing-pool.js';
import { PasswordService } from './password.service.js';

/**
 * The JSON API's sign-in routes (AuthController): each begins with a password hash, and neither
 * needs a session to be refused. The login page posts to /login, which the page filter answers.
 */
const SIGN_IN_ROUTES = ['/api/auth/login', '/api/auth/register'];

/**
 * Admission control for API sign-ins: no more of them are in the app at once than the hashing
 * pool can run or queue (PasswordService.capacity). The rest get the 503 with Retry-After that a
 * full pool gives, before the session, the body and Nest's pipeline run for them, which cost
 * twenty times as much: in a login storm such requests are nearly all of them, and at full cost
 * they would take the event loop from everyone else (README, When things go wrong). Registered on Express's own
 * router, so the paths match exactly as the controller's routes do (any case, a trailing slash).
 */
export function shedSignInsWhenBusy(app: NestExpressApplication): void {
  const passwords = app.get(PasswordService);
  const refusal = new HashingBusyException();
  const body = toErrorBody(refusal);
  let admitted = 0;
  (app.getHttpAdapter().getInstance() as Express).post(SIGN_IN_ROUTES, (_req: Request, res: Response, next: NextFunction) => {
    if (admitted < passwords.capacity && !passwords.busy) {
      admitted++;
      res.once('close', () => admitted--); // answered, or the client went away
      return next();
    }
    res.setHeader('Retry-After', String(refusal.retryAfterSeconds));
    res.status(body.statusCode).json(body);
  });
}
