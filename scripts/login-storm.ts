/**
 * Login storm: does a flood of password checks slow down everyone else? (docs/security.md, Password hashing; the figures: docs/benchmarks.md.)
 *
 *   npm run bench:login-storm                  # 8 s storm, 50 concurrent wrong-password logins
 *   STORM_SECONDS=15 STORM_CLIENTS=80 npm run bench:login-storm
 *
 * On a fresh native stack (tools/stack, one app instance): a signed-in client reads
 * GET /api/session through nginx, one request at a time over one keep-alive connection, first on
 * an idle app and then while STORM_CLIENTS clients fire wrong-password logins as fast as they get
 * answers. The storm runs in a child process of its own, so that the measuring client's event
 * loop is not the one it loads. Each storm client has a loopback address of its own
 * (127.0.0.<20 + n>) and a keep-alive connection, as distinct attackers' scripts do, so nginx's
 * per-address limit and the app's per-address lock let most attempts reach the app: what is
 * measured is the app's hashing bound (HashingPool), not those limits.
 *
 * Prints the authenticated GET's p50/p99 idle and during the storm, their ratio (the goal: p99
 * during the storm within 3x idle), and what the storm got: password checks per second (401s),
 * 503s from the full hashing queue, 429s from the limits. Only the stack on this machine is ever
 * contacted. STORM_PROFILE=<dir> writes a CPU profile of the app there (node --cpu-prof; read it
 * with `node dist/scripts/profile-top.js <file>`).
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { signedInClient } from '../tools/client/client.js';
import { startStack } from '../tools/stack/stack.js';

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    console.error(`${name} must be a whole number from ${min} to ${max}`);
    process.exit(2);
  }
  return value;
}

const STORM_SECONDS = intFromEnv('STORM_SECONDS', 8, 1, 120);
const STORM_CLIENTS = intFromEnv('STORM_CLIENTS', 50, 1, 200);
const IDLE_REQUESTS = 1_000;

/** One wrong-password login on a storm client's own keep-alive connection. */
function stormLogin(baseUrl: string, agent: https.Agent, email: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ email, password: 'not the password at all' });
    const req = https.request(
      `${baseUrl}/api/auth/login`,
      {
        method: 'POST',
        agent,
        headers: { origin: baseUrl, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The child: storms until the parent says stop, then reports how many of each status it got. */
async function storm(baseUrl: string, ca: string): Promise<void> {
  let storming = true;
  process.once('message', () => (storming = false));
  const outcomes: Record<number, number> = {};
  await Promise.all(
    Array.from({ length: STORM_CLIENTS }, async (_, n) => {
      const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca, localAddress: `127.0.0.${20 + n}`, family: 4 });
      for (let i = 0; storming; i++) {
        const status = await stormLogin(baseUrl, agent, `storm-${n}-${i}@example.com`).catch(() => 0);
        outcomes[status] = (outcomes[status] ?? 0) + 1;
        if (status === 429) await sleep(50); // nginx answers at once: wait a moment instead of spinning on it
      }
      agent.destroy();
    }),
  );
  process.send!(outcomes);
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

async function measure(): Promise<void> {
  const stack = await startStack({
    env: { LOG_LEVEL: 'warn' },
    nodeArgs: process.env.STORM_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.STORM_PROFILE}`] : [],
  });
  try {
    const target = { baseUrl: stack.baseUrl, ca: stack.caCert };
    const { client } = await signedInClient(target);
    const cookie = await client.jar.getCookieString(`${stack.baseUrl}/api/session`);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: stack.caCert });

    /** One authenticated GET on the kept-alive connection; resolves with its latency in ms. */
    const timedGet = (): Promise<number> =>
      new Promise((resolve, reject) => {
        const start = performance.now();
        const req = https.get(`${stack.baseUrl}/api/session`, { agent, headers: { cookie } }, (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 200 ? resolve(performance.now() - start) : reject(new Error(`GET /api/session: ${res.statusCode}`)),
          );
        });
        req.on('error', reject);
      });

    for (let i = 0; i < 50; i++) await timedGet(); // warm-up: JIT, pools, TLS session
    const idle: number[] = [];
    for (let i = 0; i < IDLE_REQUESTS; i++) idle.push(await timedGet());

    const child = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, STORM_CHILD_BASE_URL: stack.baseUrl, STORM_CHILD_CA: stack.caCert },
    });
    const reported = once(child, 'message') as Promise<[Record<number, number>]>;
    await sleep(500); // let the storm build up before measuring under it
    const during: number[] = [];
    const stormStart = performance.now();
    while (performance.now() - stormStart < STORM_SECONDS * 1000) during.push(await timedGet());
    child.send('stop');
    const [outcomes] = await reported;
    agent.destroy();

    const stormSeconds = (performance.now() - stormStart) / 1000 + 0.5;
    const [idle50, idle99, storm50, storm99] = [percentile(idle, 50), percentile(idle, 99), percentile(during, 50), percentile(during, 99)];
    const others = Object.fromEntries(Object.entries(outcomes).filter(([status]) => !['401', '429', '503'].includes(status)));
    console.log(`Authenticated GET /api/session through nginx (one keep-alive connection):`);
    console.log(`  idle:        p50 ${idle50.toFixed(1)} ms, p99 ${idle99.toFixed(1)} ms (${idle.length} requests)`);
    console.log(
      `  login storm: p50 ${storm50.toFixed(1)} ms, p99 ${storm99.toFixed(1)} ms (${during.length} requests, ${STORM_CLIENTS} storm clients)`,
    );
    console.log(`  p99 during the storm / idle: ${(storm99 / idle99).toFixed(2)}x (goal: within 3x)`);
    console.log(
      `The storm: ${((outcomes[401] ?? 0) / stormSeconds).toFixed(0)} password checks/s (401), ` +
        `${outcomes[503] ?? 0} answered 503 (no hash could start in time), ` +
        `${outcomes[429] ?? 0} answered 429 (nginx or the app's limits), other: ${JSON.stringify(others)}`,
    );
  } finally {
    await stack.stop();
  }
}

if (process.env.STORM_CHILD_BASE_URL) await storm(process.env.STORM_CHILD_BASE_URL, process.env.STORM_CHILD_CA ?? '');
else await measure();
