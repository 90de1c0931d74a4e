// The bare peer of `npm run bench` (docs/benchmarks.md): what most tutorials show,
// Express 5 + express-session + connect-redis with their defaults, and nothing else. The cookie
// has Gatehouse's production options, so both send and read the same cookie behind the same
// nginx. Configured by the bench script through PORT, REDIS_URL and SESSION_SECRET.
import { randomUUID } from 'node:crypto';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';
import { createClient } from 'redis';
import { sessionOptions } from '../session-options.js';

const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();

const app = express();
// nginx on loopback is the one proxy: then req.secure is true and the Secure cookie is sent.
app.set('trust proxy', '127.0.0.1');
app.use(session(sessionOptions(new RedisStore({ client: redis }))));
app.post('/login', (req, res) => {
  req.session.user = randomUUID();
  req.session.userAgent = req.get('user-agent');
  res.sendStatus(204);
});
app.get('/session', (req, res) => {
  if (!req.session.user) return res.status(401).json({ message: 'Not authenticated' });
  res.json({ user: req.session.user, expires: req.session.cookie.expires });
});
app.get('/healthz', (_req, res) => res.json({ status: 'ok' }));

const server = app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => redis.close().then(() => process.exit(0))));
