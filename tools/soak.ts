/**
 * The soak's traffic and its report: `npm run soak` (scripts/soak.ts, which describes the traffic)
 * and the e2e suite's short run (test/e2e/soak.e2e-spec.ts) both run it.
 */
import { readFileSync } from 'node:fs';
import { Client, newUser, type Target } from './client/client.js';
import { connectRedis, sessionIdOf } from './client/redis.js';
import type { Stack } from './stack/stack.js';

export interface SoakOptions {
  seconds: number;
  /** Virtual users, each one request at a time: the concurrency. */
  users: number;
  /** A hard cap, whatever the duration. */
  maxRequests: number;
}

export interface SoakReport {
  seconds: number;
  requests: number;
  perSecond: number;
  /** The first errors seen (at most 20) and how many there were in all. */
  errors: string[];
  errorCount: number;
  p50Ms: number;
  p99Ms: number;
  /** The same per kind of request (register, login, profile...). */
  bySteps: Record<string, { count: number; p50Ms: number; p99Ms: number }>;
  rssStartMiB: number;
  rssEndMiB: number;
  /** Sampled every 10 s: a leak keeps climbing, a warm-up levels off. */
  rssSamplesMiB: number[];
  loggedOutSessions: number;
  /** Redis keys (or index entries) of logged-out sessions still present. */
  leftovers: string[];
}

const COOKIE = '__Host-sid';
const MAX_ERRORS_KEPT = 20;

/** Resident memory of a process, from /proc (Linux). */
export function rssMiB(pid: number): number {
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  if (!kib) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) / 1024;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Runs the traffic against a started stack (its first app instance is the one measured). */
export async function soak(stack: Stack, options: SoakOptions): Promise<SoakReport> {
  const pid = stack.appPid(0);
  if (pid === undefined) throw new Error('app instance 0 is not running');
  // With its stack, so the clients pace per address, as nginx limits (pacerFor).
  const target: Target = { baseUrl: stack.baseUrl, ca: stack.caCert, stack };
  const origin = { origin: stack.baseUrl };

  const latencies: { name: string; ms: number }[] = [];
  const errors: string[] = [];
  let errorCount = 0;
  const loggedOut: { userId: string; sessionId: string }[] = [];
  const deadline = Date.now() + options.seconds * 1000;
  const more = () => Date.now() < deadline && latencies.length < options.maxRequests;

  const fail = (step: string, what: string) => {
    errorCount++;
    if (errors.length < MAX_ERRORS_KEPT) errors.push(`${step}: ${what}`);
  };

  const rssStartMiB = rssMiB(pid);
  const rssSamplesMiB = [rssStartMiB];
  const sampler = setInterval(() => rssSamplesMiB.push(rssMiB(pid)), 10_000);
  const started = Date.now();

  async function virtualUser(n: number): Promise<void> {
    const localAddress = `127.0.0.${10 + n}`;
    /** One request: its response when it answered `expected`, else undefined and an error recorded. */
    const step = async (name: string, expected: number, send: () => ReturnType<Client['send']>) => {
      const t0 = performance.now();
      try {
        const res = await send();
        latencies.push({ name, ms: res.ms });
        if (res.status === expected) return res;
        fail(name, `${res.status} ${res.body.slice(0, 200)}`);
      } catch (error) {
        latencies.push({ name, ms: performance.now() - t0 });
        fail(name, (error as Error).message);
      }
      return undefined;
    };
    const logout = async (client: Client, userId: string) => {
      const cookie = await client.cookie(COOKIE);
      if (await step('logout', 204, () => client.post('/api/auth/logout', undefined, origin))) {
        if (cookie) loggedOut.push({ userId, sessionId: sessionIdOf(cookie.value) });
        else fail('logout', 'there was no session cookie to log out');
      }
    };

    while (more()) {
      const client = new Client(target, `gatehouse-soak/${n}`, localAddress);
      const user = newUser();
      const registered = await step('register', 201, () => client.post('/api/auth/register', user, origin));
      if (!registered) continue;
      const userId = registered.json<{ id: string }>().id;
      await step('profile', 200, () => client.get('/api/profile'));
      await step('sessions', 200, () => client.get('/api/sessions'));
      await logout(client, userId);
      if (!more()) break;
      const { email, password } = user;
      if (!(await step('login', 200, () => client.post('/api/auth/login', { email, password }, origin)))) continue;
      await step('profile', 200, () => client.get('/api/profile'));
      await step('session', 200, () => client.get('/api/session'));
      await step('sessions', 200, () => client.get('/api/sessions'));
      await logout(client, userId);
    }
  }

  try {
    await Promise.all(Array.from({ length: options.users }, (_, n) => virtualUser(n)));
  } finally {
    clearInterval(sampler);
  }
  const elapsedS = (Date.now() - started) / 1000;
  const rssEndMiB = rssMiB(pid);

  // Every logged-out session: no `sess:<id>` record, and no entry in its user's index.
  const redis = await connectRedis(stack.redisUrl);
  const leftovers: string[] = [];
  try {
    for (let i = 0; i < loggedOut.length; i += 500) {
      const batch = loggedOut.slice(i, i + 500);
      const found = await Promise.all(
        batch.map(async ({ userId, sessionId }) => {
          const [record, indexed] = await Promise.all([
            redis.exists(`sess:${sessionId}`),
            redis.zScore(`user-sessions:${userId}`, sessionId),
          ]);
          return [record ? `sess:${sessionId}` : '', indexed !== null ? `user-sessions:${userId} ∋ ${sessionId}` : ''];
        }),
      );
      leftovers.push(...found.flat().filter(Boolean));
    }
  } finally {
    await redis.close();
  }

  const stats = (ms: number[]) => {
    const sorted = [...ms].sort((a, b) => a - b);
    return { count: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) };
  };
  const all = stats(latencies.map((l) => l.ms));
  const bySteps = Object.fromEntries(
    [...new Set(latencies.map((l) => l.name))].map((name) => [name, stats(latencies.filter((l) => l.name === name).map((l) => l.ms))]),
  );
  return {
    seconds: elapsedS,
    requests: latencies.length,
    perSecond: latencies.length / elapsedS,
    errors,
    errorCount,
    p50Ms: all.p50Ms,
    p99Ms: all.p99Ms,
    bySteps,
    rssStartMiB,
    rssEndMiB,
    rssSamplesMiB,
    loggedOutSessions: loggedOut.length,
    leftovers,
  };
}

export function formatReport(r: SoakReport): string {
  return [
    `requests: ${r.requests} in ${r.seconds.toFixed(1)} s (${r.perSecond.toFixed(1)}/s)`,
    `errors: ${r.errorCount}${r.errors.map((e) => `\n  ${e}`).join('')}`,
    `latency: p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms`,
    ...Object.entries(r.bySteps).map(
      ([name, s]) => `  ${name.padEnd(9)} ${String(s.count).padStart(6)} × p50 ${s.p50Ms.toFixed(1)} ms, p99 ${s.p99Ms.toFixed(1)} ms`,
    ),
    `app RSS: ${r.rssStartMiB.toFixed(1)} MiB at start, ${r.rssEndMiB.toFixed(1)} MiB at end` +
      ` (every 10 s: ${r.rssSamplesMiB.map((m) => m.toFixed(0)).join(', ')})`,
    `logged-out sessions: ${r.loggedOutSessions}, Redis keys left behind: ${r.leftovers.length}` +
      r.leftovers
        .slice(0, 10)
        .map((k) => `\n  ${k}`)
        .join(''),
  ].join('\n');
}
