import { Logger } from '@nestjs/common';
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

/** How often the refusals are reported: one line per window in which there were any. */
export const REFUSAL_REPORT_MS = 10_000;

/**
 * Counts the refused sign-ins and reports them in one warning per window. In a storm there are
 * hundreds a second: a request-log line each would make the log, and whoever reads it, the
 * storm's next victim (the request log skips /healthz for the same reason).
 */
export class RefusalTally {
  private count = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly report: (count: number) => void) {}

  add(): void {
    this.count++;
    this.timer ??= setTimeout(() => this.flush(), REFUSAL_REPORT_MS).unref();
  }

  private flush(): void {
    this.timer = undefined;
    const count = this.count;
    this.count = 0;
    this.report(count);
  }
}

/**
 * Admission control for API sign-ins: no more of them are in the app at once than the hashing
 * pool can run or queue (PasswordService.capacity). The rest get the 503 with Retry-After that a
 * full pool gives, before the request log, the session, the body and Nest's pipeline run for
 * them, which cost twenty times as much: in a login storm such requests are nearly all of them,
 * and at full cost they would take the event loop from everyone else (README, When things go
 * wrong). Registered on Express's own router, so the paths match exactly as the controller's
 * routes do (any case, a trailing slash).
 */
export function shedSignInsWhenBusy(app: NestExpressApplication): void {
  const passwords = app.get(PasswordService);
  const logger = new Logger('SignIn');
  const refused = new RefusalTally((count) =>
    logger.warn(`${count} API sign-ins answered 503 in the last ${REFUSAL_REPORT_MS / 1000} s: every hashing thread busy, the queue full`),
  );
  const refusal = new HashingBusyException();
  const body = toErrorBody(refusal);
  let admitted = 0;
  (app.getHttpAdapter().getInstance() as Express).post(SIGN_IN_ROUTES, (_req: Request, res: Response, next: NextFunction) => {
    if (admitted < passwords.capacity && !passwords.busy) {
      admitted++;
      res.once('close', () => admitted--); // answered, or the client went away
      return next();
    }
    refused.add();
    res.setHeader('Retry-After', String(refusal.retryAfterSeconds));
    res.status(body.statusCode).json(body);
  });
}
