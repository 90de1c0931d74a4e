import { Logger, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Express, NextFunction, Request, Response } from 'express';
import { toErrorBody } from '../common/http-exception.filter.js';
import { hashingRoutes, routesOf } from '../common/route-policy.js';
import { HashingBusyException } from '../passwords/hashing-pool.js';
import { PasswordService } from '../passwords/password.service.js';

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
 * Admission control for everything that hashes a password: no more such requests are in the app
 * at once than the hashing pool can run or queue (PasswordService.capacity). The rest get the 503
 * with Retry-After that a full pool gives (the error page for a form), before the request log,
 * the session, the body and Nest's pipeline run for them, which cost twenty times as much: in a
 * login storm such requests are nearly all of them, and at full cost they would take the event
 * loop from everyone else (docs/security.md, Password hashing). Registered on Express's own router, so
 * the paths match exactly as the controllers' routes do (any case, a trailing slash).
 *
 * The routes are the app's controllers' handlers marked `@RoutePolicy({ hashes: true })`
 * (route-policy.ts), read from Nest's container before Nest registers the routes themselves.
 * A page route (outside /api) answers its refusal in HTML. A route that also carries a `token`
 * (a reset confirmation) hashes only once its token checks out, so it is refused only while
 * hashing has no room, and not counted among the requests sure to hash: a flood of bogus links
 * must not take the room of real sign-ins.
 */
export function shedHashingWhenBusy(app: NestExpressApplication): void {
  const passwords = app.get(PasswordService);
  const logger = new Logger('HashingAdmission');
  const refused = new RefusalTally((count) =>
    logger.warn(
      `${count} password requests answered 503 in the last ${REFUSAL_REPORT_MS / 1000} s: every hashing thread busy, the queue full`,
    ),
  );
  const refusal = new HashingBusyException();
  const body = toErrorBody(refusal);
  let admitted = 0;
  const express = app.getHttpAdapter().getInstance() as Express;
  const controllers = app
    .get(DiscoveryService)
    .getControllers()
    .flatMap((wrapper) => (wrapper.metatype ? [wrapper.metatype as Type] : []));
  for (const route of hashingRoutes(routesOf(controllers))) {
    express[route.method.toLowerCase() as 'post' | 'put' | 'patch' | 'delete'](
      route.path,
      (_req: Request, res: Response, next: NextFunction) => {
        if (route.tokenFirst && !passwords.busy) return next();
        if (!route.tokenFirst && admitted < passwords.capacity && !passwords.busy) {
          admitted++;
          res.once('close', () => admitted--); // answered, or the client went away
          return next();
        }
        refused.add();
        res.setHeader('Retry-After', String(refusal.retryAfterSeconds));
        if (route.page) res.status(body.statusCode).render('error', body);
        else res.status(body.statusCode).json(body);
      },
    );
  }
}
