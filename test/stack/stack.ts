/**
 * The stack harness: the `docker compose up` topology (Postgres, Redis, migrations, N app
 * instances, nginx terminating TLS) started from this machine's binaries, in a throwaway temp dir,
 * on free or given ports. Used by `npm run stack` (cli.ts) and by the e2e and browser tests, so the
 * tests go through the same nginx config template and the same migrations as compose.
 *
 * Every process is a direct child of this one (no daemons, no pid files to chase), so stopping
 * is "signal the child, wait for its exit" and nothing can be left running or listening.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
  redisUrl: string;
  /** http://127.0.0.1:<port>: MailDev's inbox (web UI, and the REST API: `GET /email`). */
  mailUrl: string;
  /** http://127.0.0.1:<port> of each app instance, bypassing nginx. */
  appUrls: string[];
  /** The environment every app instance got, including SESSION_SECRET (tests sign cookies with it). */
  appEnv: Record<string, string>;
  /** One entry per part, in start order: postgres, redis, app (per instance), nginx. */
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
  /** Freeze Redis (SIGSTOP): connections stay open but nothing answers. */
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

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;
const POLL_MS = 100;
const TAIL_LINES = 60;
/** In-memory app log cap, so a long `npm run stack` session does not grow without bound. */
const APP_LOG_MAX_CHARS = 16 * 1024 * 1024;

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = findRepoRoot();
  const instances = options.appInstances ?? 1;
  if (!Number.isInteger(instances) || instances < 1) throw new Error('appInstances must be a positive integer');
  for (const file of ['dist/src/main.js', 'dist/src/database/data-source.js']) {
    if (!existsSync(path.join(root, file))) throw new Error(`${file} is missing: run \`npm run build\` first`);
  }
  const bin = findBinaries();

  // Given ports must be free (a clear message beats nginx's "bind() failed"); missing ones are picked.
  const taken = new Set<number>();
  const pick = async (given: number | undefined, what: string, count = 1): Promise<number> => {
    const port = given ?? (await freePortRange(count, taken));
    for (let i = 0; i < count; i++) {
      if (taken.has(port + i) || !(await isPortFree(port + i))) throw new Error(`port ${port + i} (${what}) is already in use`);
      taken.add(port + i);
    }
    return port;
  };
  const httpsPort = await pick(options.httpsPort, 'nginx https');
  const httpPort = await pick(options.httpPort, 'nginx http');
  const pgPort = await pick(options.pgPort, 'postgres');
  const redisPort = await pick(options.redisPort, 'redis');
  const mailPort = await pick(options.mailPort, 'mail web');
  const smtpPort = await pick(undefined, 'mail smtp');
  const appPort = await pick(options.appPort, 'app', instances);
  const appPorts = Array.from({ length: instances }, (_, i) => appPort + i);

  const dir = await mkdtemp(path.join(os.tmpdir(), 'gatehouse-stack-'));
  // Postgres runs as the `postgres` user and nginx workers as `nobody` when we are root: they
  // must be able to traverse (not list) the temp dir to reach their own subdirs.
  await chmod(dir, 0o711);
  const logDir = path.join(dir, 'logs');
  await mkdir(logDir, { mode: 0o700 });

  const baseUrl = `https://localhost:${httpsPort}`;
  const databaseUrl = `postgres://postgres@127.0.0.1:${pgPort}/gatehouse`;
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const mailUrl = `http://127.0.0.1:${mailPort}`;
  const appUrls = appPorts.map((port) => `http://127.0.0.1:${port}`);
  const appEnv: Record<string, string> = {
    NODE_ENV: 'production',
    // nginx reaches the app from 127.0.0.1 only, so that is the one proxy trusted. Not
    // `loopback`: a request sent straight to the app from 127.0.0.2 must not be able to set
    // its own X-Forwarded-For.
    TRUST_PROXY: '127.0.0.1',
    SESSION_SECRET: randomBytes(36).toString('base64url'), // 48 characters
    PUBLIC_ORIGIN: baseUrl,
    SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
    ...options.env,
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
  };

  const procs = new Set<Proc>();
  const appProcs: (Proc | undefined)[] = [];
  const appLogLines: string[] = [];
  let appLogChars = 0;
  let started = false;
  let stopping: Promise<void> | undefined;

  // Last resort if the test runner or CLI exits without stop(): no orphan keeps a port.
  const onProcessExit = (): void => {
    for (const proc of procs) proc.killGroupNow();
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', onProcessExit);

  /** Starts a long-running part; its exit is reported to onExit unless we asked for it. */
  const launch = (name: string, command: string, args: string[], extra: LaunchOptions = {}): Proc => {
    const proc = new Proc(name, command, args, { logFile: path.join(logDir, `${name}.log`), ...extra });
    procs.add(proc);
    void proc.exited.then(({ code, signal }) => {
      procs.delete(proc);
      if (started && !proc.stopRequested && !stopping) options.onExit?.(name, code, signal);
    });
    return proc;
  };
  /** Runs a one-shot command (initdb, openssl, migrations) to completion; throws with its output unless it exits 0. */
  const run = async (name: string, command: string, args: string[], extra: LaunchOptions = {}): Promise<void> => {
    const proc = launch(name, command, args, extra);
    proc.stopRequested = true; // its exit is the expected outcome, not news
    const { code, signal } = await proc.exited;
    if (code !== 0) throw failure(proc, `failed (${signal ?? `exit code ${code}`})`);
  };

  // --- Postgres ------------------------------------------------------------------------------
  // initdb and postgres refuse to run as root; as root we run them as the `postgres` system
  // user (spawn's uid/gid, so the child *is* postgres and our signals reach it directly).
  const pgOwner = process.getuid?.() === 0 ? systemUser('postgres') : undefined;
  const pgDir = path.join(dir, 'postgres');
  const pgData = path.join(pgDir, 'data');
  const pgClientArgs = ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'postgres'];
  let pgProc: Proc | undefined;
  const startPostgres = async (): Promise<void> => {
    pgProc = launch('postgres', path.join(bin.pgBin, 'postgres'), [
      '-D', pgData,
      '-p', String(pgPort),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${pgDir}`,
      // Throwaway data: durability buys nothing here and costs seconds per test run.
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
    ], { user: pgOwner });
    await waitReady(pgProc, () => succeeds(path.join(bin.pgBin, 'pg_isready'), ['-q', ...pgClientArgs]));
  };
  const setUpPostgres = async (): Promise<void> => {
    await mkdir(pgDir, { mode: 0o700 });
    if (pgOwner) await chown(pgDir, pgOwner.uid, pgOwner.gid);
    // trust auth: only this machine's 127.0.0.1 can connect, and the data dies with the stack.
    await run('initdb', path.join(bin.pgBin, 'initdb'), [
      '-D', pgData, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync',
    ], { user: pgOwner });
    await startPostgres();
    await run('createdb', path.join(bin.pgBin, 'createdb'), [...pgClientArgs, 'gatehouse']);
  };

  // --- Redis ---------------------------------------------------------------------------------
  const redisDir = path.join(dir, 'redis');
  let redisProc: Proc | undefined;
  let redisPaused = false;
  const setUpRedis = async (): Promise<void> => {
    await mkdir(redisDir);
    redisProc = launch('redis', bin.redis, [
      '--port', String(redisPort), '--bind', '127.0.0.1',
      // No persistence: sessions of a throwaway stack die with it.
      '--save', '', '--appendonly', 'no', '--dir', redisDir,
    ]);
    await waitReady(redisProc, () => redisPing(redisPort));
  };

  // --- MailDev ------------------------------------------------------------------------------
  // The mail server of compose's `mail` service (maildev/maildev:2.2.1), from the project's own
  // dev dependencies: SMTP for the app, an inbox with a REST API for people and tests.
  const mailDir = path.join(dir, 'mail');
  let mailProc: Proc | undefined;
  const startMail = async (): Promise<void> => {
    if (mailProc?.running) throw new Error('mail is already running');
    await mkdir(mailDir, { recursive: true });
    mailProc = launch('mail', process.execPath, [
      path.join(root, 'node_modules/maildev/bin/maildev'),
      '--smtp', String(smtpPort), '--web', String(mailPort),
      '--ip', '127.0.0.1', '--web-ip', '127.0.0.1', '--mail-directory', mailDir,
    ]);
    await waitReady(mailProc, async () => (await httpStatus(`${mailUrl}/healthz`)) === 200);
  };

  // --- TLS certificate -----------------------------------------------------------------------
  // Generated per stack and deleted with it: no private key is ever committed.
  const certDir = path.join(dir, 'tls');
  const makeCert = async (): Promise<void> => {
    await mkdir(certDir, { mode: 0o700 });
    await run('openssl', bin.openssl, [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30',
      '-keyout', path.join(certDir, 'key.pem'), '-out', path.join(certDir, 'cert.pem'),
      '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
      // A leaf, not a CA: clients trust it by pinning it, not by chaining to it.
      '-addext', 'basicConstraints=critical,CA:FALSE',
      '-addext', 'extendedKeyUsage=serverAuth',
    ]);
  };

  // --- App instances -------------------------------------------------------------------------
  const startApp = async (i: number): Promise<void> => {
    if (i < 0 || i >= instances) throw new Error(`no app instance ${i}`);
    if (appProcs[i]?.running) throw new Error(`app instance ${i} is already running`);
    const proc = launch(`app-${i}`, process.execPath, ['--enable-source-maps', 'dist/src/main.js'], {
      cwd: root,
      env: { ...process.env, ...appEnv, PORT: String(appPorts[i]) },
      onLine: (line) => {
        appLogLines.push(line);
        appLogChars += line.length + 1;
        while (appLogChars > APP_LOG_MAX_CHARS) appLogChars -= (appLogLines.shift() ?? '').length + 1;
        options.onLine?.(line, i);
      },
    });
    appProcs[i] = proc;
    await waitReady(proc, async () => (await httpStatus(`${appUrls[i]}/healthz`)) === 200);
  };
  const stopApp = async (i: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    const proc = appProcs[i];
    if (!proc) throw new Error(`no app instance ${i}`);
    return (await proc.stop(signal)).code;
  };

  // --- nginx ---------------------------------------------------------------------------------
  const nginxDir = path.join(dir, 'nginx');
  let caCert = '';
  let nginxProc: Proc | undefined;
  const setUpNginx = async (): Promise<void> => {
    await mkdir(path.join(nginxDir, 'conf.d'), { recursive: true });
    await mkdir(path.join(nginxDir, 'tmp'));
    const template = await readFile(path.join(root, 'nginx/templates/default.conf.template'), 'utf8');
    await writeFile(path.join(nginxDir, 'conf.d/default.conf'), renderTemplate(template, {
      NGINX_HTTPS_PORT: String(httpsPort),
      NGINX_HTTP_PORT: String(httpPort),
      NGINX_UPSTREAM_SERVERS: appPorts.map((port) => `server 127.0.0.1:${port};`).join(' '),
      NGINX_CERT_DIR: certDir,
    }));
    // What the official image's /etc/nginx/nginx.conf provides around conf.d, minus everything
    // that would touch /var or /run. As root the master keeps root (it reads the key) and the
    // workers drop to nginx's default user, `nobody`, which owns the temp dirs nginx creates.
    const temp = (kind: string): string => `${kind}_temp_path ${path.join(nginxDir, 'tmp', kind)};`;
    await writeFile(path.join(nginxDir, 'nginx.conf'), [
      'daemon off;',
      `pid ${path.join(nginxDir, 'nginx.pid')};`,
      'error_log stderr warn;',
      'worker_processes 1;',
      'events {}',
      'http {',
      existsSync('/etc/nginx/mime.types') ? '    include /etc/nginx/mime.types;' : '',
      '    default_type application/octet-stream;',
      `    access_log ${path.join(logDir, 'nginx-access.log')};`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${temp(kind)}`),
      `    include ${path.join(nginxDir, 'conf.d')}/*.conf;`,
      '}',
      '',
    ].join('\n'));
    caCert = await readFile(path.join(certDir, 'cert.pem'), 'utf8');
    nginxProc = launch('nginx', bin.nginx, [
      '-p', `${nginxDir}/`, '-c', path.join(nginxDir, 'nginx.conf'), '-e', 'stderr',
    ]);
    await waitReady(nginxProc, async () =>
      (await httpStatus(`${baseUrl}/healthz`, caCert)) === 200 && (await httpStatus(`http://localhost:${httpPort}/`)) === 308);
  };

  // --- stop ----------------------------------------------------------------------------------
  const stopProc = async (proc: Proc | undefined, signal: NodeJS.Signals): Promise<void> => {
    if (proc) await proc.stop(signal);
  };
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      // nginx QUIT: finish in-flight requests, then exit. Apps SIGTERM: their shutdown hooks run.
      await Promise.all([stopProc(nginxProc, 'SIGQUIT'), ...appProcs.map((proc) => stopProc(proc, 'SIGTERM'))]);
      if (redisPaused) redisProc?.signal('SIGCONT');
      // Postgres SIGINT is its "fast" shutdown (pg_ctl stop -m fast): abort sessions, exit cleanly.
      await Promise.all([stopProc(redisProc, 'SIGTERM'), stopProc(pgProc, 'SIGINT'), stopProc(mailProc, 'SIGTERM')]);
      // Anything else still running (an initdb or openssl interrupted by a failed start).
      await Promise.all([...procs].map((proc) => proc.stop('SIGTERM')));
      process.off('exit', onProcessExit);
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  try {
    await settleAll([makeCert(), setUpPostgres(), setUpRedis(), startMail()]);
    await run('migrations', process.execPath, [
      'node_modules/typeorm/cli.js', 'migration:run', '-d', 'dist/src/database/data-source.js',
    ], { cwd: root, env: { ...process.env, ...appEnv } });
    await settleAll(appPorts.map((_, i) => startApp(i)));
    await setUpNginx();
    started = true;
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    baseUrl,
    httpUrl: `http://localhost:${httpPort}`,
    caCert,
    databaseUrl,
    redisUrl,
    mailUrl,
    appUrls,
    appEnv,
    parts: [
      { name: 'postgres', url: databaseUrl },
      { name: 'redis', url: redisUrl },
      { name: 'mail', url: mailUrl },
      ...appUrls.map((url) => ({ name: 'app', url })),
      { name: 'nginx', url: baseUrl },
    ],
    dir,
    appLogs: () => appLogLines.map((line) => `${line}\n`).join(''),
    stopApp,
    startApp,
    appPid: (i) => appProcs[i]?.pid,
    pauseRedis: async () => {
      redisProc?.signal('SIGSTOP');
      redisPaused = true;
    },
    resumeRedis: async () => {
      redisProc?.signal('SIGCONT');
      redisPaused = false;
    },
    stopMail: () => stopProc(mailProc, 'SIGTERM'),
    startMail,
    stopPostgres: () => stopProc(pgProc, 'SIGINT'),
    startPostgres: async () => {
      if (pgProc?.running) throw new Error('postgres is already running');
      await startPostgres();
    },
    stop,
  };
}

/** Substitutes `${NAME}` for the given names only, as the nginx image's envsubst does. */
function renderTemplate(template: string, vars: Record<string, string>): string {
  return template.replace(/\$\{([A-Z0-9_]+)\}/g, (match, name: string) => vars[name] ?? match);
}

// ---------------------------------------------------------------------------------------------
// Child processes

interface LaunchOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  user?: { uid: number; gid: number };
  logFile?: string;
  onLine?: (line: string) => void;
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One child process: its output (a log file, a tail kept for error messages) and its exit. */
class Proc {
  readonly exited: Promise<Exit>;
  running = true;
  stopRequested = false;
  private readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private finished = false;
  private readonly log?: WriteStream;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    options: LaunchOptions,
  ) {
    this.log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    // detached: its own process group, so a Ctrl-C in the terminal reaches only the CLI, which
    // then stops the parts in order instead of every part dying at once.
    this.child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      uid: options.user?.uid,
      gid: options.user?.gid,
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.addLine(line, options.onLine);
      });
      stream?.on('end', () => partial && this.addLine(partial, options.onLine));
    }
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': all output has been read by then. Node may report a failed spawn
      // (e.g. ENOENT) with 'error' alone, or 'error' then 'close': finish() runs once.
      this.child.on('close', (code, signal) => this.finish(resolve, { code, signal }));
      this.child.on('error', (error) => {
        this.addLine(`${this.name}: ${error.message}`);
        if (this.child.pid === undefined) this.finish(resolve, { code: null, signal: null });
      });
    });
  }

  get pid(): number | undefined {
    return this.running ? this.child.pid : undefined;
  }

  /** The last lines the process printed, for error messages. */
  output(): string {
    return this.tail.join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Sends `signal`, escalates to SIGKILL after STOP_TIMEOUT_MS, resolves once the process is gone. */
  async stop(signal: NodeJS.Signals): Promise<Exit> {
    this.stopRequested = true;
    this.signal(signal);
    const timer = setTimeout(() => this.signal('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Synchronous SIGKILL of the whole process group, for the process 'exit' handler only. */
  killGroupNow(): void {
    if (!this.running || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  private addLine(line: string, onLine?: (line: string) => void): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
    if (!this.finished) this.log?.write(`${line}\n`);
    onLine?.(line);
  }

  private finish(resolve: (exit: Exit) => void, exit: Exit): void {
    if (this.finished) return;
    this.finished = true;
    this.running = false;
    this.log?.end();
    resolve(exit);
  }
}

function failure(proc: Proc, what: string): Error {
  const output = proc.output();
  return new Error(`${proc.name} ${what}${output ? `; its last output:\n${output}` : ' (it printed nothing)'}`);
}

/** Polls `check` until it is true; fails early, with the part's output, if the part exits. */
async function waitReady(proc: Proc, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!proc.running) throw failure(proc, 'exited before it was ready');
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw failure(proc, `was not ready after ${READY_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Like Promise.all, but waits for every task to finish before throwing the first error, so
 * cleanup never races a part that is still starting. */
async function settleAll(tasks: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

// ---------------------------------------------------------------------------------------------
// Probes

/** Runs a probe command (pg_isready); true when it exits 0. */
function succeeds(command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'ignore' });
    child.on('error', () => resolve(false));
    child.on('close', (code) => resolve(code === 0));
  });
}

/** Redis readiness over raw RESP: one PING, expect +PONG. */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** GET a URL without keep-alive; resolves with the status code. */
function httpStatus(url: string, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = url.startsWith('https:') ? https : http;
    const req = client.get(url, { agent: false, ca, timeout: 2_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// Ports

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** A port the OS hands out as free, such that the `count - 1` ports after it are free too. */
async function freePortRange(count: number, taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
        const { port } = server.address() as net.AddressInfo;
        server.close(() => resolve(port));
      });
    });
    let ok = port + count - 1 <= 65_535;
    for (let i = 0; ok && i < count; i++) ok = !taken.has(port + i) && (i === 0 || (await isPortFree(port + i)));
    if (ok) return port;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

// ---------------------------------------------------------------------------------------------
// The machine

function findRepoRoot(): string {
  // This file runs as test/stack/stack.ts (jest) or dist/test/stack/stack.js (CLI): walk up.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'nginx/templates/default.conf.template'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root (nginx/templates/default.conf.template)');
    dir = parent;
  }
  return dir;
}

interface Binaries {
  pgBin: string;
  redis: string;
  nginx: string;
  openssl: string;
}

function findBinaries(): Binaries {
  const onPath = (name: string, extraDirs: string[] = []): string | undefined => {
    const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs].filter(Boolean);
    return dirs.map((dir) => path.join(dir, name)).find((file) => existsSync(file));
  };
  const sbin = ['/usr/sbin', '/usr/local/sbin']; // nginx lives here on Debian, often off a user's PATH
  const found = {
    pgBin: findPgBin(),
    redis: onPath('redis-server', sbin),
    nginx: onPath('nginx', sbin),
    openssl: onPath('openssl'),
  };
  const missing = Object.entries(found).filter(([, file]) => !file).map(([name]) => name);
  if (missing.length > 0) {
    const names = missing.map((name) => (name === 'pgBin' ? 'postgresql (initdb, postgres)' : name));
    throw new Error(`missing on this machine: ${names.join(', ')}; run \`bash scripts/install-system-deps.sh\``);
  }
  return found as Binaries;
}

/** Postgres server binaries are off PATH on Debian: ask pg_config, else take the newest /usr/lib/postgresql/N. */
function findPgBin(): string | undefined {
  const candidates: string[] = [];
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // no pg_config: fall through to the Debian layout
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((version) => path.join(debian, version, 'bin')));
  }
  return candidates.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'postgres')));
}


/** uid and gid of a system user, from /etc/passwd. */
function systemUser(name: string): { uid: number; gid: number } {
  const entry = readFileSync('/etc/passwd', 'utf8').split('\n').map((line) => line.split(':')).find((fields) => fields[0] === name);
  if (!entry) throw new Error(`running as root needs a \`${name}\` system user (the postgresql package creates it)`);
  return { uid: Number(entry[2]), gid: Number(entry[3]) };
}
