/**
 * The app in this process (Nest's testing module): the real AppModule and configureApp() on the
 * in-process tier's Postgres and Redis, listening on loopback over plain HTTP. No nginx and no
 * build, so a spec can reach inside (providers, spies, a route of its own) and still send real
 * HTTP requests with a cookie jar.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import pg from 'pg';
import { connectRedis, type TestRedis } from '../../tools/client/redis.js';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/app.setup.js';
import { parseConfig } from '../../src/config/config.schema.js';
import { PortPicker } from '../../tools/stack/machine.js';
import { TEST_APP_ENV } from '../support/test-env.js';
import type { Target } from '../support/target.js';
import { type Services, startServices } from './services.js';

export interface InProcessApp {
  app: NestExpressApplication;
  /** For the e2e Client: http://127.0.0.1:<port>. */
  target: Target;
  close(): Promise<void>;
}

export async function startInProcessApp(
  services: Services,
  env: Record<string, string> = {},
  controllers: (new (...args: never[]) => unknown)[] = [],
): Promise<InProcessApp> {
  const port = await new PortPicker().pick(undefined, 'app');
  const baseUrl = `http://127.0.0.1:${port}`;
  const result = parseConfig({
    NODE_ENV: 'test',
    DATABASE_URL: services.databaseUrl,
    REDIS_URL: services.redisUrl,
    SESSION_SECRET: 'in-process tier secret, at least 32 characters long',
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PUBLIC_ORIGIN: baseUrl,
    // Nothing listens there: this tier sends no mail (the mail queue just keeps retrying).
    SMTP_URL: 'smtp://127.0.0.1:9',
    LOG_LEVEL: 'silent',
    ...TEST_APP_ENV,
    ...env,
  });
  if (!result.ok) throw new Error(`invalid test configuration: ${result.problems.join('; ')}`);
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(result.config)], controllers }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  configureApp(app);
  await app.listen(port, '127.0.0.1');
  return { app, target: { baseUrl, ca: '', nginx: false }, close: () => app.close() };
}

/**
 * A spec file's services and app, started before its first test and stopped after its last: the
 * usual setup of this tier in one call. `db` and `redis` are plain connections to the same stores,
 * for asserting what the app wrote. The getters are for use inside tests.
 */
export function inProcessSuite(env: Record<string, string> = {}, controllers: (new (...args: never[]) => unknown)[] = []) {
  let services: Services | undefined;
  let inProcess: InProcessApp | undefined;
  let db: pg.Client | undefined;
  let redis: TestRedis | undefined;
  beforeAll(async () => {
    services = await startServices();
    inProcess = await startInProcessApp(services, env, controllers);
    db = new pg.Client({ connectionString: services.databaseUrl });
    await db.connect();
    redis = await connectRedis(services.redisUrl);
  }, 60_000);
  afterAll(async () => {
    await db?.end();
    await redis?.close();
    await inProcess?.close();
    await services?.stop();
  });
  return {
    get services() {
      return services!;
    },
    get app() {
      return inProcess!.app;
    },
    get target() {
      return inProcess!.target;
    },
    get db() {
      return db!;
    },
    get redis() {
      return redis!;
    },
  };
}
