/**
 * Login storm: does a flood of password checks slow down everyone else? (README, Limits.)
 *
 *   npm run bench:login-storm                  # 8 s storm, 50 concurrent wrong-password logins
 *   STORM_SECONDS=15 STORM_CLIENTS=80 npm run bench:login-storm
 *
 * On a fresh native stack (test/stack, one app instance): a signed-in client reads
 * GET /api/session through nginx, one request at a time over one keep-alive connection, first on
 * an idle app and then while STORM_CLIENTS clients fire wrong-password logins as fast as they get
 * answers. Each storm client has a loopback address of its own (127.0.0.<20 + n>), as distinct
 * attackers do, so nginx's per-address limit and the app's per-address lock let most attempts
 * reach argon2: what is measured is the app's hashing bound (HashingPool), not those limits.
 *
 * Prints the authenticated GET's p50/p99 idle and during the storm, their ratio (the goal: p99
 * during the storm within 3x idle), and what the storm got: password checks per second (401s),
 * 503s from the full hashing queue, 429s from the limits. Only the stack on this machine is ever
 * contacted.
 */
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { signedInClient } from '../test/support/client.js';
import { startStack } from '../test/stack/stack.js';

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
const IDLE_REQUESTS = 300;

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

const stack = await startStack({ env: { LOG_LEVEL: 'warn' } });
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
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - start) : reject(new Error(`GET /api/session: ${res.statusCode}`))));
      });
      req.on('error', reject);
    });

  /** One wrong-password login on a storm client's own keep-alive connection. */
  const stormLogin = (stormAgent: https.Agent, email: string): Promise<{ status: number }> =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify({ email, password: 'not the password at all' });
      const req = https.request(
        `${stack.baseUrl}/api/auth/login`,
        { method: 'POST', agent: stormAgent, headers: { origin: stack.baseUrl, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  for (let i = 0; i < 50; i++) await timedGet(); // warm-up: JIT, pools, TLS session
  const idle: number[] = [];
  for (let i = 0; i < IDLE_REQUESTS; i++) idle.push(await timedGet());

  const outcomes = new Map<number, number>();
  let storming = true;
  const stormers = Array.from({ length: STORM_CLIENTS }, async (_, n) => {
    // Keep-alive, as a script that wants many attempts would: the storm is logins, not handshakes.
    const stormAgent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: stack.caCert, localAddress: `127.0.0.${20 + n}`, family: 4 });
    for (let i = 0; storming; i++) {
      const res = await stormLogin(stormAgent, `storm-${n}-${i}@example.com`).catch(() => ({ status: 0 }));
      outcomes.set(res.status, (outcomes.get(res.status) ?? 0) + 1);
      // nginx answers 429 at once; wait a moment instead of spinning on it.
      if (res.status === 429) await sleep(50);
    }
    stormAgent.destroy();
  });
  await sleep(500); // let the storm build up before measuring under it
  const during: number[] = [];
  const stormStart = performance.now();
  while (performance.now() - stormStart < STORM_SECONDS * 1000) during.push(await timedGet());
  storming = false;
  await Promise.all(stormers);
  agent.destroy();

  const stormSeconds = (performance.now() - stormStart) / 1000 + 0.5;
  const [idle50, idle99, storm50, storm99] = [percentile(idle, 50), percentile(idle, 99), percentile(during, 50), percentile(during, 99)];
  const checks = outcomes.get(401) ?? 0;
  console.log(`Authenticated GET /api/session through nginx (one keep-alive connection):`);
  console.log(`  idle:        p50 ${idle50.toFixed(1)} ms, p99 ${idle99.toFixed(1)} ms (${idle.length} requests)`);
  console.log(`  login storm: p50 ${storm50.toFixed(1)} ms, p99 ${storm99.toFixed(1)} ms (${during.length} requests, ${STORM_CLIENTS} storm clients)`);
  console.log(`  p99 during the storm / idle: ${(storm99 / idle99).toFixed(2)}x (goal: within 3x)`);
  console.log(`The storm: ${(checks / stormSeconds).toFixed(0)} password checks/s (401), ` +
    `${outcomes.get(503) ?? 0} answered 503 (hashing queue full or past its 2 s deadline), ` +
    `${outcomes.get(429) ?? 0} answered 429 (nginx or the app's limits), other: ${JSON.stringify(Object.fromEntries([...outcomes].filter(([s]) => ![401, 429, 503].includes(s))))}`);
} finally {
  await stack.stop();
}
