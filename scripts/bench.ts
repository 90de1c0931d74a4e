/**
 * `npm run bench` (docs/benchmarks.md): an authenticated `GET /api/session` of
 * Gatehouse against the same request to two peers, side by side in one run:
 *
 * - the bare peer (bench/peers/express-session): Express 5 + express-session + connect-redis;
 * - the Nest peer (bench/peers/nest-session): the NestJS docs' session recipe on the same three,
 *   which shows what Nest costs before any of Gatehouse's own layers;
 *
 * - all behind the same nginx TLS config: the stack's nginx for Gatehouse, and the repo's
 *   template rendered again, on other ports, for each peer (so none shares a worker, a
 *   keep-alive pool or a TLS session cache with another);
 * - on the same Redis; the server under test pinned to core 0, everything else (this script,
 *   wrk, nginx, Redis, Postgres) to core 1;
 * - wrk, BENCH_CONNECTIONS (50) connections, BENCH_ROUNDS (3) rounds of BENCH_SECONDS (10) s per
 *   target, interleaved A B A B, medians;
 * - Redis commands per request from INFO commandstats, bytes per signed-in session from MEMORY
 *   USAGE, with a real browser's User-Agent;
 * - then Gatehouse's successful logins per second over one more BENCH_SECONDS (argon2-bound);
 * - a warning for every round during which processes other than ours used the CPU.
 *
 * BENCH_PROFILE=<dir>: every server runs with `node --cpu-prof` and leaves its profile there
 * (Gatehouse's in <dir>, each peer's in <dir>/<peer>).
 * The system packages (wrk, taskset) come from `scripts/install-system-deps.sh --bench`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync, existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type RedisClientType } from 'redis';
import { Client } from '../tools/client/client.js';
import { request } from '../tools/client/http.js';
import { findBinaries, findRepoRoot, PortPicker } from '../tools/stack/machine.js';
import { startNginx } from '../tools/stack/nginx.js';
import { Processes, waitReady } from '../tools/stack/proc.js';
import { httpStatus } from '../tools/stack/nginx.js';
import { type Stack, startStack } from '../tools/stack/stack.js';
import { sessionIdOfCookieValue } from '../src/session/session-cookie.js';

const ROUNDS = positiveInt('BENCH_ROUNDS', 3);
const SECONDS = positiveInt('BENCH_SECONDS', 10);
const CONNECTIONS = positiveInt('BENCH_CONNECTIONS', 50);
// wrk's connections all come from 127.0.0.1, and nginx answers 429 beyond 100 requests in progress
// per address (`limit_conn` in nginx/templates/default.conf.template): more would measure that.
if (CONNECTIONS > 100) throw new Error("BENCH_CONNECTIONS must be at most 100, nginx's limit_conn per address");
const PROFILE_DIR = process.env.BENCH_PROFILE ? path.resolve(process.env.BENCH_PROFILE) : undefined;
/** Chrome 131 on Windows 10, as it sends it: what a real session record holds. */
const BROWSER_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
/** Clients of the logins/s phase, each with a user and a loopback address of its own. */
const LOGIN_CLIENTS = 8;
const SERVER_CORE = 0;
const OTHER_CORE = 1;
/** Other processes' CPU above this share of one core during a round makes its figures suspect. */
const CONTENTION_LIMIT = 0.05;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

type Redis = RedisClientType;

interface Target {
  name: string;
  url: string;
  cookie: string;
  pid: () => number;
}

interface Round {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  commands: Record<string, number>;
  /** Share of a core that processes other than ours used: on the server's core, and overall. */
  otherOnServerCore: number;
  otherOverall: number;
  /** Share of a core this script used (it reads the app's log lines), on the load generator's core. */
  benchProcess: number;
  /** The server's own CPU time per request, µs: what contention changes least. */
  cpuPerRequest: number;
}

// --- CPU accounting from /proc ------------------------------------------------------------

const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** Busy ticks per CPU (user + nice + system; idle, iowait and interrupts left out). */
function cpuBusy(): number[] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((line) => /^cpu\d+ /.test(line))
    .map((line) => {
      const [user, nice, system] = line.split(/\s+/).slice(1, 4).map(Number);
      return user + nice + system;
    });
}

/** utime + stime of a process, all its threads, in ticks (0 once it is gone). */
function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** This process and every process below it (the stack's parts, the peer and its nginx). */
function ourProcesses(): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const ours = new Set([process.pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, ppid] of parents) {
      if (!ours.has(pid) && ours.has(ppid)) {
        ours.add(pid);
        grew = true;
      }
    }
  }
  return [...ours];
}

function pin(pid: number, core: number): void {
  execFileSync('taskset', ['-a', '-cp', String(core), String(pid)], { stdio: 'ignore' });
}

// --- wrk ----------------------------------------------------------------------------------

interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  /** CPU ticks wrk used: it ran as the child of a shell that reports them. */
  ticks: number;
}

/** Milliseconds from wrk's `1.23ms` / `456.00us` / `1.02s`. */
function ms(value: string): number {
  const [, n, unit] = /^([\d.]+)(us|ms|s)$/.exec(value) ?? [];
  if (n === undefined) throw new Error(`wrk: unreadable latency ${value}`);
  return Number(n) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);
}

function runWrk(target: Target, seconds: number): Promise<WrkResult> {
  // The shell waits for wrk, then prints its own /proc stat, whose cutime/cstime are wrk's CPU.
  const script = 'wrk "$@"; status=$?; echo "@@stat $(cat /proc/$$/stat)"; exit $status';
  // Command-line flags next to their values, as hand-formatted:
  // prettier-ignore
  const args = [
    '-c', script, 'sh', '-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency',
    '-H', `Cookie: ${target.cookie}`, '-H', `User-Agent: ${BROWSER_UA}`, target.url,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', String(OTHER_CORE), 'sh', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}:\n${out}`));
      const statLine = /^@@stat .*\) (.*)$/m.exec(out)?.[1].split(' ') ?? [];
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      resolve({
        rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]),
        p50: ms(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? ''),
        p99: ms(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? ''),
        requests: Number(/(\d+) requests in/.exec(out)?.[1]),
        errors:
          non2xx +
          (socketErrors
            ? socketErrors
                .slice(1)
                .map(Number)
                .reduce((a, b) => a + b, 0)
            : 0),
        ticks: Number(statLine[13]) + Number(statLine[14]),
      });
    });
  });
}

async function commandStats(redis: Redis): Promise<Record<string, number>> {
  const stats = await redis.info('commandstats');
  return Object.fromEntries(
    [...stats.matchAll(/^cmdstat_([\w|]+):calls=(\d+)/gm)]
      // INFO/CONFIG are ours; PING is the app's connection heartbeat, not per request.
      .filter(([, command]) => !['info', 'config', 'ping'].includes(command.split('|')[0]))
      .map(([, command, n]) => [command, Number(n)]),
  );
}

async function round(target: Target, redis: Redis, seconds: number): Promise<Round> {
  await redis.configResetStat();
  const server = target.pid();
  const ours = ourProcesses();
  const oursBefore = ours.map(processTicks);
  const serverBefore = processTicks(server);
  const busyBefore = cpuBusy();
  const selfBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const wrk = await runWrk(target, seconds);
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const busyAfter = cpuBusy();
  const self = process.cpuUsage(selfBefore);
  const serverTicks = processTicks(server) - serverBefore;
  const oursTicks = ours.map(processTicks).reduce((sum, t, i) => sum + Math.max(0, t - oursBefore[i]), 0) + wrk.ticks;
  const busy = busyAfter.map((t, i) => t - busyBefore[i]);
  const perCore = (ticks: number) => Math.max(0, ticks) / TICKS / elapsedS;
  return {
    ...wrk,
    commands: await commandStats(redis),
    otherOnServerCore: perCore(busy[SERVER_CORE] - serverTicks),
    otherOverall: perCore(busy.reduce((a, b) => a + b, 0) - oursTicks),
    benchProcess: (self.user + self.system) / 1e6 / elapsedS,
    cpuPerRequest: (serverTicks / TICKS / wrk.requests) * 1e6,
  };
}

// --- setting up the targets --------------------------------------------------------------

/** The peers, in the order of the table: the first is what the ratios compare with. */
const PEERS = [
  { dir: 'express-session', name: 'bare express-session peer GET /session' },
  { dir: 'nest-session', name: 'NestJS docs recipe peer GET /session' },
] as const;

async function gatehouseSession(baseUrl: string, ca: string): Promise<{ cookie: string; userId: string }> {
  const client = new Client({ baseUrl, ca }, BROWSER_UA);
  const res = await client.post('/api/auth/register', {
    email: `bench-${Date.now()}@example.com`,
    password: 'correct horse battery staple',
    displayName: 'Bench',
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.body}`);
  return { cookie: await client.jar.getCookieString(`${baseUrl}/`), userId: res.json<{ id: string }>().id };
}

async function peerSession(baseUrl: string, ca: string): Promise<string> {
  const res = await request(baseUrl, { method: 'POST', path: '/login', ca, headers: { 'user-agent': BROWSER_UA } });
  const line = res.headers['set-cookie']?.[0];
  if (res.status !== 204 || !line) throw new Error(`peer login failed: ${res.status}`);
  return line.split(';')[0];
}

interface Peer extends Target {
  stop(): Promise<void>;
}

/** A peer from bench/peers/<dir>: its own npm ci, the server, and an nginx of its own in front. */
async function startPeer(
  peer: (typeof PEERS)[number],
  { root, tmp, procs, stack }: { root: string; tmp: string; procs: Processes; stack: Stack },
): Promise<Peer> {
  const cwd = path.join(root, 'bench/peers', peer.dir);
  console.log(`bench: npm ci in bench/peers/${peer.dir}`);
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd, stdio: 'inherit' });
  const ports = new PortPicker();
  const [port, httpsPort, httpPort] = [
    await ports.pick(undefined, peer.dir),
    await ports.pick(undefined, `${peer.dir} https`),
    await ports.pick(undefined, `${peer.dir} http`),
  ];
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${path.join(PROFILE_DIR, peer.dir)}`] : [];
  const server = procs.launch(peer.dir, process.execPath, [...profile, 'server.js'], {
    cwd,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      REDIS_URL: stack.redisUrl,
      SESSION_SECRET: stack.appEnv.SESSION_SECRET,
    },
  });
  await waitReady(server, async () => (await httpStatus(`http://127.0.0.1:${port}/healthz`)) === 200);
  const dir = path.join(tmp, peer.dir);
  mkdirSync(dir);
  const nginx = await startNginx(procs, path.join(stack.dir, 'tls'), {
    root,
    dir,
    logDir: dir,
    bin: findBinaries(['nginx', 'openssl']),
    httpsPort,
    httpPort,
    appPorts: [port],
    basePath: '',
    scopeCookieToBasePath: false,
  });
  pin(server.pid!, SERVER_CORE);
  return {
    name: peer.name,
    url: `${nginx.baseUrl}/session`,
    cookie: await peerSession(nginx.baseUrl, stack.caCert),
    pid: () => server.pid!,
    stop: async () => {
      await nginx.shutDown();
      await server.stop('SIGTERM');
    },
  };
}

/**
 * Successful logins per second: a password check (argon2id) and a new session each, so what
 * bounds them is the hashing threads. Each client logs in as a user of its own from a loopback
 * address of its own (127.0.0.<40 + n>), one login at a time on a fresh connection, so nginx's
 * per-address limit (10/s) stays above what the app can hash; 429s and 503s are counted, not hidden.
 */
async function loginsPerSecond(
  baseUrl: string,
  ca: string,
  seconds: number,
): Promise<{ perSecond: number; outcomes: Record<number, number> }> {
  const password = 'correct horse battery staple';
  const post = (route: string, from: string, body: object) =>
    request(baseUrl, { method: 'POST', path: route, ca, localAddress: from, headers: { origin: baseUrl }, body });
  const users = Array.from({ length: LOGIN_CLIENTS }, (_, n) => ({
    email: `bench-login-${Date.now()}-${n}@example.com`,
    from: `127.0.0.${40 + n}`,
  }));
  for (const { email, from } of users) {
    const res = await post('/api/auth/register', from, { email, password, displayName: 'Bench' });
    if (res.status !== 201) throw new Error(`register for the logins phase failed: ${res.status} ${res.body}`);
  }
  const outcomes: Record<number, number> = {};
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    users.map(async ({ email, from }) => {
      while (performance.now() < deadline) {
        const { status } = await post('/api/auth/login', from, { email, password }).catch(() => ({ status: 0 }));
        outcomes[status] = (outcomes[status] ?? 0) + 1;
        if (status === 429 || status === 503) await sleep(100); // refused at once: back off, as a client told to would
      }
    }),
  );
  return { perSecond: (outcomes[200] ?? 0) / ((performance.now() - started) / 1000), outcomes };
}

/**
 * Round trips per request: MONITOR marks the commands a Lua script issues (`[0 lua]`), so what
 * is left are the commands the server sent. Counted over a few requests apart from the timed
 * rounds, as MONITOR slows Redis down.
 */
async function roundTripsPerRequest(redis: Redis, target: Target, ca: string, requests = 20): Promise<Record<string, number>> {
  // Let the requests still in flight from the last round (nginx finishes them) reach Redis first.
  await sleep(1_000);
  const monitor = redis.duplicate();
  await monitor.connect();
  const sent: Record<string, number> = {};
  await monitor.monitor((line: string) => {
    // `<time> [<db> <client address>|lua] "COMMAND" "arg" ...`
    const [, client, command] = /^\S+ \[\d+ (\S+)\] "([^"]+)"/.exec(line) ?? [];
    if (command === undefined || client === 'lua' || command.toLowerCase() === 'ping') return;
    sent[command.toLowerCase()] = (sent[command.toLowerCase()] ?? 0) + 1 / requests;
  });
  const url = new URL(target.url);
  for (let i = 0; i < requests; i += 1) {
    const res = await request(url.origin, { path: url.pathname, ca, headers: { cookie: target.cookie, 'user-agent': BROWSER_UA } });
    if (res.status !== 200) throw new Error(`${target.name}: ${res.status}`);
  }
  await sleep(200); // the last lines in flight
  monitor.destroy();
  return sent;
}

async function memoryUsage(redis: Redis, key: string): Promise<number> {
  // SAMPLES 0: every element counted, not an estimate.
  return (await redis.sendCommand(['MEMORY', 'USAGE', key, 'SAMPLES', '0'])) as number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main(): Promise<void> {
  if (readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)!.length < 2) throw new Error('bench: needs 2 cores');
  for (const tool of ['wrk', 'taskset']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      throw new Error(`bench: ${tool} is missing: run bash scripts/install-system-deps.sh --bench (as root it installs it)`);
    }
  }
  const root = findRepoRoot();
  // Every process this script starts inherits core 1; the servers are moved to core 0.
  pin(process.pid, OTHER_CORE);

  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  const stack = await startStack({
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
    nodeArgs: PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [],
  });
  const tmp = mkdtempSync(path.join(tmpdir(), 'gatehouse-bench-'));
  const procs = new Processes(tmp);
  const redis = createClient({ url: stack.redisUrl });
  try {
    await redis.connect();
    const peers: Peer[] = [];
    for (const peer of PEERS) peers.push(await startPeer(peer, { root, tmp, procs, stack }));
    pin(stack.appPid(0)!, SERVER_CORE);

    const gh = await gatehouseSession(stack.baseUrl, stack.caCert);
    const gatehouse: Target = {
      name: 'Gatehouse GET /api/session',
      url: `${stack.baseUrl}/api/session`,
      cookie: gh.cookie,
      pid: () => stack.appPid(0)!,
    };
    const targets: Target[] = [gatehouse, ...peers];

    // Bytes per signed-in session, measured before any load (nothing renews it meanwhile).
    const idOf = (cookie: string) => sessionIdOfCookieValue(cookie.split('=').slice(1).join('='));
    const bytes = {
      gatehouseRecord: await memoryUsage(redis, `sess:${idOf(gh.cookie)}`),
      gatehouseIndex: await memoryUsage(redis, `user-sessions:${gh.userId}`),
      gatehouseCredential: await memoryUsage(redis, `user-credential:${gh.userId}`),
      gatehouseRaw: (await redis.get(`sess:${idOf(gh.cookie)}`))!,
      peerRecord: await Promise.all(peers.map((peer) => memoryUsage(redis, `sess:${idOf(peer.cookie)}`))),
      peerRaw: (await redis.get(`sess:${idOf(peers[0].cookie)}`))!,
    };

    // Warm-up: JIT, connection pools, nginx's upstream keep-alive, the Redis script cache.
    for (const target of targets) await runWrk(target, 2);
    console.log(`bench: ${ROUNDS} rounds × ${SECONDS} s per target, ${CONNECTIONS} connections, interleaved`);
    const results = new Map<string, Round[]>(targets.map((t) => [t.name, []]));
    const warnings: string[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      for (const target of targets) {
        const result = await round(target, redis, SECONDS);
        results.get(target.name)!.push(result);
        console.log(
          `  round ${r + 1} ${target.name}: ${fmt(result.rps)} req/s, p50 ${fmt(result.p50, 2)} ms, p99 ${fmt(result.p99, 2)} ms` +
            `, server CPU ${fmt(result.cpuPerRequest)} µs/request` +
            `, other processes: ${fmt(result.otherOnServerCore * 100, 1)} % of the server's core, ${fmt(result.otherOverall * 100, 1)} % overall; this script ${fmt(result.benchProcess * 100, 1)} %`,
        );
        if (result.errors > 0) warnings.push(`round ${r + 1} ${target.name}: ${result.errors} non-2xx responses or socket errors`);
        if (result.otherOnServerCore > CONTENTION_LIMIT || result.otherOverall > CONTENTION_LIMIT) {
          warnings.push(
            `round ${r + 1} ${target.name}: other processes used ${fmt(result.otherOnServerCore * 100, 1)} % of the server's core ` +
              `and ${fmt(result.otherOverall * 100, 1)} % of a core overall: its figures are noise`,
          );
        }
      }
    }

    const summary = targets.map((t) => {
      const rounds = results.get(t.name)!;
      const commands: Record<string, number> = {};
      for (const one of rounds)
        for (const [c, n] of Object.entries(one.commands)) commands[c] = (commands[c] ?? 0) + n / one.requests / rounds.length;
      const m = (pick: (x: Round) => number) => median(rounds.map(pick));
      return { name: t.name, rps: m((x) => x.rps), p50: m((x) => x.p50), p99: m((x) => x.p99), cpu: m((x) => x.cpuPerRequest), commands };
    });
    const logins = await loginsPerSecond(stack.baseUrl, stack.caCert, SECONDS);
    const trips: Record<string, number>[] = [];
    for (const target of targets) trips.push(await roundTripsPerRequest(redis, target, stack.caCert));
    const sum = (c: Record<string, number>) => Object.values(c).reduce((a, b) => a + b, 0);
    const describe = (c: Record<string, number>) =>
      Object.entries(c)
        .filter(([, n]) => n >= 0.005)
        .map(([name, n]) => `${name} ${fmt(n, 2)}`)
        .join(', ');

    // The bare peer first: every ratio is to it.
    const base = summary[1];
    const rows = [1, 2, 0].map((i) => {
      const t = summary[i];
      const versus = (n: number, of: number, suffix = '') => (i === 1 ? '' : ` (${fmt(n / of, 2)}×${suffix})`);
      const stored =
        i === 0
          ? `${bytes.gatehouseRecord + bytes.gatehouseIndex} B (record ${bytes.gatehouseRecord} + index ${bytes.gatehouseIndex})`
          : `${bytes.peerRecord[i - 1]} B (record)`;
      return (
        `| ${t.name} | ${fmt(t.rps)} | ${i === 0 ? `**${fmt(t.rps / base.rps, 2)}×**` : `${fmt(t.rps / base.rps, 2)}×`} | ${fmt(t.p50, 2)} ms ` +
        `| ${fmt(t.p99, 2)} ms${versus(t.p99, base.p99, " the bare peer's")} | ${fmt(t.cpu)} µs${versus(t.cpu, base.cpu)} ` +
        `| ${fmt(sum(trips[i]), 2)} (${describe(trips[i])}) / ${describe(t.commands)} | ${stored} |`
      );
    });
    console.log('');
    console.log(
      `| target | req/s (median of ${ROUNDS}) | ratio | p50 | p99 | server CPU per request | Redis round trips / commands per request | Redis bytes per session |`,
    );
    console.log('|---|---|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
    console.log('');
    console.log(`Gatehouse's record (${bytes.gatehouseRaw.length} characters): ${bytes.gatehouseRaw}`);
    console.log(`The bare peer's record (${bytes.peerRaw.length} characters): ${bytes.peerRaw}`);
    console.log(`Also per user, not per session: user-credential:<id> ${bytes.gatehouseCredential} B.`);
    console.log(`User-Agent: ${BROWSER_UA}`);
    console.log(
      `Gatehouse logins: ${fmt(logins.perSecond, 1)} successful logins/s (argon2id and a new session each; ${LOGIN_CLIENTS} clients, ` +
        `${SECONDS} s, the app on one core), outcomes by status: ${JSON.stringify(logins.outcomes)}`,
    );
    if (warnings.length === 0) console.log('No CPU contention: no other process used more than 5 % of a core during any round.');
    for (const warning of warnings) console.log(`WARNING: ${warning}`);
    for (const peer of peers) await peer.stop();
  } finally {
    await procs.stopRest();
    if (redis.isOpen) await redis.close();
    await stack.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
  if (PROFILE_DIR) console.log(`CPU profiles (node dist/scripts/profile-top.js <file>): ${PROFILE_DIR}`);
  else if (existsSync(path.join(root, 'dist'))) console.log('BENCH_PROFILE=<dir> adds a CPU profile of each server (node --cpu-prof).');
}

await main();
