import { ConfigService } from '@nestjs/config';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { AppModule } from './app.module.js';
import { shedHashingWhenBusy } from './auth/sign-in-shedding.js';
import { bodyHandling } from './common/body-guard.js';
import { GracefulShutdown } from './common/graceful-shutdown.js';
import { chain, requestLogger } from './common/hot-path.js';
import { createAppLogger } from './common/logging.js';
import { securityHeaders } from './common/security-headers.js';
import type { AppConfig } from './config/config.schema.js';
import { configureViews } from './pages/views.js';
import { SessionAuthenticator } from './session/session-auth.js';

/** Bodies larger than this get a JSON 413 (README, How a request flows). */
export const BODY_LIMIT = '16kb';

export async function createApp(config: AppConfig): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config), {
    bodyParser: false, // registered by configureApp with our limit
    logger: createAppLogger(config.logLevel),
    abortOnError: false,
  });
  configureApp(app);
  return app;
}

/** Every answer may depend on the session: no shared or browser cache may keep it. */
function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/** Everything about the Express app that is not a route: shared by main.ts and the tests. */
export function configureApp(app: NestExpressApplication): void {
  const config = app.get<ConfigService<AppConfig, true>>(ConfigService);

  // Behind nginx, Express sees every request arrive over plain http from nginx's address. Only
  // when it trusts that address does it believe X-Forwarded-Proto/-For: then req.secure is true,
  // the Secure session cookie is sent, and req.ip is the client's. Trusting more than the proxy
  // would let any client claim to be https or any address (config.schema.ts refuses `true`).
  app.set('trust proxy', config.get('trustProxy', { infer: true }));
  app.disable('x-powered-by');
  // No ETag (a SHA-1 of every response body): every response is `no-store`, so no cache ever
  // revalidates with it. The stylesheet keeps serve-static's own.
  app.set('etag', false);

  // What every request passes runs as a few chains rather than a router layer each (hot-path.ts).
  app.use(chain(app.get(GracefulShutdown).track, securityHeaders(), noStore));
  shedHashingWhenBusy(app);
  app.use(requestLogger(config.get('logLevel', { infer: true })));
  configureViews(app, config);
  app.use(chain(bodyHandling(BODY_LIMIT), app.get(SessionAuthenticator).handlers()));
  // req.logIn for the requests that sign in (passport-login.ts); no passport strategy runs.
  app.use(passport.initialize());
  // On SIGTERM (docker stop, Kubernetes) or SIGINT: finish the requests in flight, then close
  // Redis and Postgres (GracefulShutdown), then exit 0. Without useProcessExit, Nest re-raises the
  // signal once done, and the process ends "killed by SIGTERM", which looks like a crash.
  app.enableShutdownHooks(['SIGTERM', 'SIGINT'], { useProcessExit: true });
}
