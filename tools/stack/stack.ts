/**
 * The stack harness: the `docker compose up` topology (Postgres, Redis, migrations, N app
 * instances, nginx terminating TLS) started from this machine's binaries, in a throwaway temp dir,
 * on free or given ports. Used by `npm run stack` (cli.ts) and by the e2e and browser tests, so the
 * tests go through the same nginx config template and the same migrations as compose. Each part
 * lives in a file of its own (postgres.ts, redis.ts or redis-sentinel.ts, mail.ts, nginx.ts, app.ts); this
 * one puts them together.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AppInstances } from './app.js';
import { findBinaries, findRepoRoot, makeStackDir, PortPicker } from './machine.js';
import { makeCertificate, type Nginx, startNginx } from './nginx.js';
import { type Mail, startMail } from './mail.js';
import { startPostgres, type Postgres } from './postgres.js';
import { Processes, settleAll } from './proc.js';
import { type Redis, startRedis } from './redis.js';
import { type RedisSentinel, startRedisSentinel } from './redis-sentinel.js';

export interface StackOptions {
  /** Extra app environment; wins over the stack's defaults (but not over HOST, PORT, DATABASE_URL, REDIS_URL). */
  env?: Record<string, string>;
  httpsPort?: number;
  httpPort?: number;
  /** Port of the first app instance; the next instances count up from it. */
  appPort?: number;
  pgPort?: number;
  redisPort?: number;
  /** MailDev's web UI and REST API port (its SMTP port is always picked free). */
  mailPort?: number;
  /** How many app processes sit behind the one nginx upstream (default 1). */
  appInstances?: number;
  /**
   * `single` (default): one Redis, the app gets REDIS_URL. `sentinel`: a primary (on redisPort),
   * one replica and three Sentinels on free ports, the app gets REDIS_SENTINELS.
   */
  redisMode?: 'single' | 'sentinel';
  /**
   * Serve the app under this path (e.g. `/app`) instead of at `/`: nginx proxies `/app/…` to the
   * app's `/…`, as a proxy in front of an app mounted under a sub-path does. Only the doctor's
   * spec uses it, to reproduce that deployment; compose always serves the app at `/`.
   */
  basePath?: string;
  /** With basePath: nginx also rewrites the cookie's `Path=/` to the base path (`proxy_cookie_path`). */
  scopeCookieToBasePath?: boolean;
  /**
   * More http-level nginx config, written beside the rendered template, e.g. a test-only server
   * that uses the template's maps and zones (edge-limits.e2e-spec.ts). Compose never has any.
   */
  nginxExtraConf?: string;
  /**
   * Awaited before anything reads dist/ (the migrations, the app): `npm run dev` passes its
   * watcher's first compile, which rewrites dist/ while Postgres and Redis start.
   */
  distReady?: Promise<void>;
  /** Extra node flags for every app instance, e.g. `['--cpu-prof', '--cpu-prof-dir=…']`. */
  nodeArgs?: string[];
  /** Every line an app instance prints, as it arrives. */
  onLine?: (line: string, instance: number) => void;
  /** A part exited without being asked to (not by stopApp, stopPostgres or stop). */
  onExit?: (part: string, code: number | null, signal: NodeJS.Signals | null) => void;
}

export interface Stack {
  /** https://localhost:<httpsPort>, through nginx. */
  baseUrl: string;
  /** http://localhost:<httpPort>, nginx's redirect-only server. */
  httpUrl: string;
  /** PEM of the self-signed certificate: tests pin it as the only CA. */
  caCert: string;
  databaseUrl: string;
  /** The Redis primary at start (in sentinel mode it may not stay the primary: see `sentinel`). */
  redisUrl: string;
  /** In sentinel mode: the Sentinels, and failover and kill of the primary. */
  sentinel?: RedisSentinel;
  /** http://127.0.0.1:<port>: MailDev's inbox (web UI, and the REST API: `GET /email`). */
  mailUrl: string;
  /** http://127.0.0.1:<port> of each app instance, bypassing nginx. */
  appUrls: string[];
  /** The environment every app instance got, including SESSION_SECRET (tests sign cookies with it). */
  appEnv: Record<string, string>;
  /** One entry per part, in start order: postgres, redis, sentinel (per Sentinel, in sentinel mode), mail, app (per instance), nginx. */
  parts: { name: string; url: string }[];
  /**
   * The temp dir, removed by stop(): `logs/<part>.log` (every part's output, nginx's access log),
   * `tls/cert.pem` and `tls/key.pem`, the rendered `nginx/conf.d/default.conf`, the data dirs.
   */
  dir: string;
  /** Everything the app instances printed so far (stdout and stderr, one line per line). */
  appLogs(): string;
  /** Signal instance i (default SIGTERM) and wait for it; resolves with its exit code (null if killed by a signal). */
  stopApp(i: number, signal?: NodeJS.Signals): Promise<number | null>;
  /** Start instance i again on its port and wait until it answers /healthz. */
  startApp(i: number): Promise<void>;
  /** Process id of instance i while it runs (e.g. to read its memory from /proc). */
  appPid(i: number): number | undefined;
  /** Freeze Redis (SIGSTOP; in sentinel mode the current primary): connections stay open but nothing answers. */
  pauseRedis(): Promise<void>;
  resumeRedis(): Promise<void>;
  /** Stop MailDev (SMTP and inbox), and start it again on the same ports, e.g. to test mail retries. */
  stopMail(): Promise<void>;
  startMail(): Promise<void>;
  /** Fast shutdown of Postgres, and start again on the same port and data dir. */
  stopPostgres(): Promise<void>;
  startPostgres(): Promise<void>;
  /** Stop every process, wait for their exits and remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = findRepoRoot();
  const instances = options.appInstances ?? 1;
  if (!Number.isInteger(instances) || instances < 1) throw new Error('appInstances must be a positive integer');
  for (const file of ['dist/src/main.js', 'dist/src/database/data-source.js']) {
    if (!existsSync(path.join(root, file))) throw new Error(`${file} is missing: run \`npm run build\` first`);
  }
  const bin = findBinaries();
  const redisMode = options.redisMode ?? 'single';
  const basePath = options.basePath ?? '';
  if (basePath && !/^(\/[A-Za-z0-9._~-]+)+$/.test(basePath)) throw new Error('basePath must look like /app (no trailing slash)');

  const ports = new PortPicker();
  const httpsPort = await ports.pick(options.httpsPort, 'nginx https');
  const httpPort = await ports.pick(options.httpPort, 'nginx http');
  const pgPort = await ports.pick(options.pgPort, 'postgres');
  const redisPort = await ports.pick(options.redisPort, 'redis');
  const sentinelPorts =
    redisMode === 'sentinel'
      ? {
          primary: redisPort,
          replica: await ports.pick(undefined, 'redis replica'),
          sentinels: [
            await ports.pick(undefined, 'sentinel'),
            await ports.pick(undefined, 'sentinel'),
            await ports.pick(undefined, 'sentinel'),
          ],
        }
      : undefined;
  const mailPort = await ports.pick(options.mailPort, 'mail web');
  const smtpPort = await ports.pick(undefined, 'mail smtp');
  const appPort = await ports.pick(options.appPort, 'app', instances);
  const appPorts = Array.from({ length: instances }, (_, i) => appPort + i);

  const dir = await makeStackDir();
  const logDir = path.join(dir, 'logs');
  await mkdir(logDir, { mode: 0o700 });
  const procs = new Processes(logDir, options.onExit);
  // Last resort if the test runner or CLI exits without stop(): no orphan keeps a port.
  const onProcessExit = (): void => {
    procs.killAllNow();
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onProcessExit);

  const baseUrl = `https://localhost:${httpsPort}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/gatehouse`;
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const appEnv: Record<string, string> = {
    NODE_ENV: 'production',
    // nginx reaches the app from 127.0.0.1 only, so that is the one proxy trusted. Not
    // `loopback`: a request sent straight to the app from 127.0.0.2 must not be able to set
    // its own X-Forwarded-For.
    TRUST_PROXY: '127.0.0.1',
    SESSION_SECRET: randomBytes(36).toString('base64url'), // 48 characters
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    PUBLIC_ORIGIN: baseUrl,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    ...options.env,
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    ...(sentinelPorts
      ? { REDIS_SENTINELS: sentinelPorts.sentinels.map((port) => `127.0.0.1:${port}`).join(',') }
      : { REDIS_URL: redisUrl }),
  };
  // With Sentinels the app must find the primary through them, whatever the caller's environment says.
  if (sentinelPorts) delete appEnv.REDIS_URL;
  const apps = new AppInstances(procs, root, appPorts, appEnv, options.onLine, options.nodeArgs);

  let postgres: Postgres | undefined;
  let redis: Redis | undefined;
  let sentinel: RedisSentinel | undefined;
  let mail: Mail | undefined;
  let nginx: Nginx | undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      procs.stopping = true;
      // nginx first (it finishes in-flight requests), with the apps (their shutdown hooks run).
      await Promise.all([nginx?.shutDown(), apps.stopAll()]);
      await Promise.all([redis?.shutDown(), sentinel?.shutDown(), postgres?.shutDown(), mail?.stop()]);
      await procs.stopRest();
      process.off('exit', onProcessExit);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    let certDir = '';
    await settleAll([
      makeCertificate(procs, dir, bin.openssl).then((made) => (certDir = made)),
      startPostgres(procs, dir, bin.pgBin, pgPort).then((started) => (postgres = started)),
      sentinelPorts
        ? startRedisSentinel(procs, dir, bin.redis, sentinelPorts).then((started) => (sentinel = started))
        : startRedis(procs, dir, bin.redis, redisPort).then((started) => (redis = started)),
      startMail(procs, dir, root, mailPort, smtpPort).then((started) => (mail = started)),
    ]);
    await options.distReady;
    await procs.run(
      'migrations',
      process.execPath,
      ['node_modules/typeorm/cli.js', 'migration:run', '-d', 'dist/src/database/data-source.js'],
      { cwd: root, env: { ...process.env, ...appEnv } },
    );
    await settleAll(appPorts.map((_, i) => apps.start(i)));
    nginx = await startNginx(procs, certDir, {
      root,
      dir,
      logDir,
      bin,
      httpsPort,
      httpPort,
      appPorts,
      basePath,
      scopeCookieToBasePath: options.scopeCookieToBasePath ?? false,
      extraConf: options.nginxExtraConf,
    });
    procs.started = true;
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    baseUrl,
    httpUrl: nginx.httpUrl,
    caCert: nginx.caCert,
    databaseUrl,
    redisUrl,
    sentinel,
    mailUrl: mail!.url,
    appUrls: apps.urls,
    appEnv,
    parts: [
      { name: 'postgres', url: databaseUrl },
      { name: 'redis', url: redisUrl },
      ...(sentinel?.sentinels ?? []).map((address) => ({ name: 'sentinel', url: `redis://${address}` })),
      { name: 'mail', url: mail!.url },
      ...apps.urls.map((url) => ({ name: 'app', url })),
      { name: 'nginx', url: baseUrl },
    ],
    dir,
    appLogs: () => apps.logs(),
    stopApp: (i, signal) => apps.stop(i, signal),
    startApp: (i) => apps.start(i),
    appPid: (i) => apps.pid(i),
    pauseRedis: async () => (sentinel ? sentinel.pause() : redis!.pause()),
    resumeRedis: async () => (sentinel ? sentinel.resume() : redis!.resume()),
    stopMail: () => mail!.stop(),
    startMail: () => mail!.start(),
    stopPostgres: () => postgres!.stop(),
    startPostgres: () => postgres!.start(),
    stop,
  };
}
