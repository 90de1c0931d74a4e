// The second peer of `npm run bench` (docs/benchmarks.md): the smallest NestJS app
// with sessions, written from the NestJS docs' session recipe (Techniques, Session): one
// controller, express-session + connect-redis with their defaults, and nothing else. It shows
// what Nest on Express costs over the bare express-session peer before any of Gatehouse's own
// layers. Plain JavaScript, so the decorators are applied by hand; configured like the bare peer
// through PORT, REDIS_URL and SESSION_SECRET.
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { Controller, Get, HttpCode, Module, Post, Req, Res, UnauthorizedException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { RedisStore } from 'connect-redis';
import session from 'express-session';
import { createClient } from 'redis';
import { sessionOptions } from '../session-options.js';

class SessionController {
  login(req) {
    req.session.user = randomUUID();
    req.session.userAgent = req.get('user-agent');
  }

  current(req) {
    if (!req.session.user) throw new UnauthorizedException('Not authenticated');
    return { user: req.session.user, expires: req.session.cookie.expires };
  }

  health(res) {
    res.json({ status: 'ok' });
  }
}
const method = (name) => Object.getOwnPropertyDescriptor(SessionController.prototype, name);
const decorate = (name, ...decorators) => {
  for (const decorator of decorators) decorator(SessionController.prototype, name, method(name));
};
decorate('login', Post('login'), HttpCode(204));
Req()(SessionController.prototype, 'login', 0);
decorate('current', Get('session'));
Req()(SessionController.prototype, 'current', 0);
decorate('health', Get('healthz'));
Res()(SessionController.prototype, 'health', 0);
Controller()(SessionController);

class AppModule {}
Module({ controllers: [SessionController] })(AppModule);

const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();

const app = await NestFactory.create(AppModule, { logger: ['error'] });
// nginx on loopback is the one proxy: then req.secure is true and the Secure cookie is sent.
app.set('trust proxy', '127.0.0.1');
app.use(session(sessionOptions(new RedisStore({ client: redis }))));
await app.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => app.close().then(() => redis.close().then(() => process.exit(0))));
