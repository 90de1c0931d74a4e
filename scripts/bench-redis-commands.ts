/**
 * Redis commands per authenticated request: Gatehouse (through nginx, the real stack) against a
 * bare express-session + connect-redis setup (defaults: touch on every request) on the same Redis.
 * Measured with INFO commandstats. Run: `npm run bench:redis-commands`.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient, type RedisClientType } from 'redis';
import { signedInClient } from '../tools/client/client.js';
import { request } from '../tools/client/http.js';
import { startStack } from '../tools/stack/stack.js';

const REQUESTS = 200;

type Redis = RedisClientType;

async function commandsDuring(redis: Redis, work: () => Promise<void>): Promise<Record<string, number>> {
  await redis.configResetStat();
  await work();
  const stats = await redis.info('commandstats');
  return Object.fromEntries(
    [...stats.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)]
      // INFO/CONFIG are ours; PING is the app's connection heartbeat, not per request.
      .filter(([, command]) => !['info', 'config', 'ping'].includes(command))
      .map(([, command, n]) => [command, Number(n)]),
  );
}

const perRequest = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0) / REQUESTS;

const stack = await startStack({});
const redis = createClient({ url: stack.redisUrl });
await redis.connect();
try {
  const target = { baseUrl: stack.baseUrl, ca: stack.caCert };
  const { client } = await signedInClient(target);
  const gatehouse = await commandsDuring(redis, async () => {
    for (let i = 0; i < REQUESTS; i += 1) await client.get('/api/session');
  });

  // The setup most tutorials show: express-session + connect-redis with its defaults.
  const bare = express();
  bare.use(session({ store: new RedisStore({ client: redis }), secret: 'bench', resave: false, saveUninitialized: false }));
  bare.post('/login', (req, res) => {
    (req.session as unknown as { user: string }).user = 'u1';
    res.sendStatus(204);
  });
  bare.get('/session', (req, res) => res.json(req.session));
  const server = bare.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const login = await request(base, { method: 'POST', path: '/login' });
  const cookie = String(login.headers['set-cookie']).split(';')[0];
  const bareCalls = await commandsDuring(redis, async () => {
    for (let i = 0; i < REQUESTS; i += 1) await request(base, { path: '/session', headers: { cookie } });
  });
  server.close();

  console.log(`Redis commands per authenticated request (${REQUESTS} requests each):`);
  console.log(`  bare express-session + connect-redis: ${perRequest(bareCalls)} ${JSON.stringify(bareCalls)}`);
  console.log(`  Gatehouse GET /api/session:           ${perRequest(gatehouse)} ${JSON.stringify(gatehouse)}`);
} finally {
  await redis.close();
  await stack.stop();
}
