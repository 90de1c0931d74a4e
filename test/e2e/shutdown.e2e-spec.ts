/**
 * Graceful shutdown and rolling restarts, with two app instances behind nginx: SIGTERM lets the
 * requests in flight finish and exits 0 in time; restarting an instance under load loses no GET
 * or other idempotent request; and nginx never sends a POST that reached one instance to another.
 */
import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Client, signedInClient } from '../../tools/client/client.js';
import { eventually } from '../support/eventually.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

const EXIT_DEADLINE_MS = 5_000;

let target: Target;
/** Each app instance's log lines. */
const logs: string[][] = [[], []];

/** Resolves once nothing listens on the instance's port any more (polls for a second). */
async function refusesConnections(url: string): Promise<void> {
  const { hostname, port } = new URL(url);
  await eventually(
    `nothing to listen on ${url}`,
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect({ host: hostname, port: Number(port) });
        socket.once('connect', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code === 'ECONNREFUSED'));
      }),
    { timeoutMs: 1_000 },
  );
}

/** Sends requests through nginx until instance `i` has logged one: it is back in the rotation. */
async function untilInRotation(client: Client, i: number): Promise<void> {
  const sent: string[] = [];
  await eventually(
    `app instance ${i} to get back into nginx's rotation`,
    async () => {
      const id = `rotation-${i}-${sent.length}-${Date.now()}`;
      sent.push(id);
      await client.get('/readyz', { 'x-request-id': id }); // logged, unlike the /healthz probes
      // Any of them: a request's log line can reach us a moment after its response.
      return logs[i].some((line) => sent.some((earlier) => line.includes(earlier)));
    },
    // nginx tries a failed server again after fail_timeout (10 s) from its last failure; twice
    // that leaves room for a loaded machine.
    { timeoutMs: 25_000, intervalMs: 100 },
  );
}

describeNative('graceful shutdown and restarts (native stack: two app instances)', () => {
  beforeAll(async () => {
    target = await startTarget({}, { appInstances: 2, onLine: (line, i) => logs[i].push(line) });
  });
  afterAll(async () => {
    await stopTarget(target);
  });

  it('on SIGTERM: refuses new connections, finishes the request in flight, closes Redis and Postgres, exits 0 within 5 s', async () => {
    const stack = target.stack!;
    const { user } = await signedInClient(target);
    const body = JSON.stringify({ email: user.email, password: user.password });
    const half = body.length >> 1;

    // A login sent straight to instance 0 (nginx would buffer the whole body first): the headers
    // and half the body now, the rest after SIGTERM. Until then it is a request in flight.
    const login = http.request(`${stack.appUrls[0]}/api/auth/login`, {
      method: 'POST',
      agent: false,
      headers: {
        connection: 'keep-alive', // as nginx's upstream keepalive connections are
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        origin: stack.baseUrl,
        'x-forwarded-proto': 'https', // as nginx says it; the app trusts 127.0.0.1
        // Node's server answers "100 Continue" once it has parsed the headers: the sign that the
        // app holds this request, with no guessing how long that takes.
        expect: '100-continue',
      },
    });
    const answered = new Promise<{ status: number; connection?: string; body: string }>((resolve, reject) => {
      login.on('error', reject);
      login.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body: text }));
      });
    });
    login.flushHeaders();
    await once(login, 'continue');
    login.write(body.slice(0, half));

    const t0 = performance.now();
    const exited = stack.stopApp(0, 'SIGTERM');
    await refusesConnections(stack.appUrls[0]);
    await sleep(500); // the body still incomplete half a second into the shutdown: the app must wait for it
    login.end(body.slice(half));

    const res = await answered;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ email: user.email });
    // nginx must not send another request on this connection: it closes now.
    expect(res.connection).toBe('close');
    // Exit code 0 means every shutdown hook finished: Nest exits 1 if one throws, and the
    // deadline in main.ts exits 1 if one hangs. Closing the Postgres pool is one of them.
    expect(await exited).toBe(0);
    expect(performance.now() - t0).toBeLessThan(EXIT_DEADLINE_MS);
    expect(logs[0].join('\n')).toMatch(/Redis connection closed/);

    await stack.startApp(0);
  });

  it('restarting one instance under load loses no GET or idempotent request', async () => {
    const stack = target.stack!;
    const { client } = await signedInClient(target);
    const anonymous = new Client(target);
    const results: { request: string; status: number | string }[] = [];
    let running = true;
    let n = 0;

    const idempotent: [string, string][] = [
      ['GET', '/api/profile'],
      ['GET', '/api/sessions'],
      ['DELETE', '/api/sessions'], // revoke the others: the same outcome however often it runs
      ['GET', '/healthz'],
    ];
    const worker = async () => {
      while (running) {
        for (const [method, path] of idempotent) {
          const res = await client
            .send(method, path, undefined, { 'x-request-id': `load-${n++}` })
            .catch((error: Error) => ({ status: error.message }));
          results.push({ request: `${method} ${path}`, status: res.status });
        }
        const res = await anonymous.post('/api/auth/logout').catch((error: Error) => ({ status: error.message }));
        results.push({ request: 'POST /api/auth/logout', status: res.status });
      }
    };
    const workers = Array.from({ length: 4 }, worker);

    // Instance 0 is serving the load before it is stopped.
    await eventually('instance 0 to serve the load', () => logs[0].some((line) => line.includes('load-')), { timeoutMs: 5_000 });
    expect(await stack.stopApp(0)).toBe(0);
    await sleep(500);
    await stack.startApp(0);
    await sleep(1_000);
    running = false;
    await Promise.all(workers);

    const idempotentResults = results.filter((r) => !r.request.startsWith('POST'));
    expect(idempotentResults.length).toBeGreaterThan(50);
    expect(idempotentResults.filter((r) => r.status !== 200 && r.status !== 204)).toEqual([]);
    // A POST is not retried: if nginx lost the race with a closing keep-alive connection, it
    // answers 502 rather than send it again. Any other failure would be a bug.
    expect(results.filter((r) => r.request.startsWith('POST') && r.status !== 204 && r.status !== 502)).toEqual([]);
  });

  it('nginx retries a GET that an instance took and never answered, but never such a POST', async () => {
    const stack = target.stack!;
    const client = new Client(target);
    await untilInRotation(client, 0);
    await untilInRotation(client, 1);

    // Freeze instance 0: the kernel still accepts connections for it and nginx sends requests
    // into them, which is exactly "the request may have reached the app". Then kill it.
    const frozen = stack.stopApp(0, 'SIGSTOP');
    // POSTs first, then GETs: round robin shares each kind between the two instances (sent
    // interleaved, all of one kind could land on one instance).
    const sent = [
      ...Array.from({ length: 8 }, (_, n) => ({ method: 'POST', id: `frozen-post-${n}-${Date.now()}` })),
      ...Array.from({ length: 8 }, (_, n) => ({ method: 'GET', id: `frozen-get-${n}-${Date.now()}` })),
    ];
    const answers: Promise<{ status: number; ms: number }>[] = [];
    for (const { method, id } of sent) {
      if (method === 'GET' && answers.length === 8) await sleep(300);
      const t0 = performance.now();
      const res =
        method === 'GET'
          ? client.get('/healthz', { 'x-request-id': id })
          : client.post('/api/auth/logout', undefined, { 'x-request-id': id });
      answers.push(res.then(({ status }) => ({ status, ms: performance.now() - t0 })));
    }
    await sleep(1_000);
    await stack.stopApp(0, 'SIGKILL');
    await frozen;
    const done = await Promise.all(answers);

    const outcome = sent.map(({ method, id }, i) => ({ method, id, ...done[i] }));
    // Every GET is answered, those sent to the frozen instance too (they waited for the kill):
    // nginx tried them again on instance 1.
    const gets = outcome.filter((r) => r.method === 'GET');
    expect(gets.filter((r) => r.status !== 200)).toEqual([]);
    expect(gets.some((r) => r.ms > 900)).toBe(true);
    const posts = outcome.filter((r) => r.method === 'POST');
    expect(posts.filter((r) => r.status !== 204 && r.status !== 502)).toEqual([]);
    const unanswered = posts.filter((r) => r.status === 502);
    expect(unanswered.length).toBeGreaterThan(0); // round robin sent some to the frozen instance
    const instance1 = logs[1].join('\n');
    for (const { id } of unanswered) expect(instance1).not.toContain(id);
    for (const { id } of posts.filter((r) => r.status === 204)) expect(instance1).toContain(id);

    await stack.startApp(0);
  });
});
