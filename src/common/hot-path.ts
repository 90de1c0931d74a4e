import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { pino } from 'pino';

/*
 * The two places where the request path does by hand what a library does, because they save CPU
 * on every request. Each keeps the library's behaviour, so a fork that updates the library must
 * check it here too. Gain per request against the library used the ordinary way, measured on
 * 2026-12-06 on the benchmark machine (2 cores, Node 24; docs/benchmarks.md, What keeps the
 * per-request cost down): each about the run-to-run spread of `npm run bench` on a quiet machine,
 * the two together more than it.
 *
 * - chain(), 2 to 5 µs: the middlewares every request passes run as a few chains, not one Express
 *   router layer each. Keep in step with Express's router: steps run in order, an error (passed
 *   to next() or thrown) skips the rest, and next() is called once.
 * - requestLogger(), 1 to 4 µs: one pino line per request in pino-http's line format, without
 *   pino-http's child logger per request. Keep in step with pino-http's line: `req` (id, method,
 *   path), `res` (statusCode), `responseTime`, the two messages, and the `err` of a 5xx.
 *
 * Sign-in shedding (auth/sign-in-shedding.ts) also answers before Nest runs, on Express routes of
 * its own: that is what keeps a refused sign-in cheap, and no library way answers before the body
 * is read.
 */

/**
 * Several middlewares as one: each step runs when the one before calls next(), and an error skips
 * the rest, as in Express. A step that throws passes its error on as Express's router would, also
 * when the step before called next() from a callback (a body parser, a store), where the router's
 * own try/catch is no longer on the stack.
 */
export function chain(...steps: RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let i = 0;
    const run = (error?: unknown): void => {
      if (error !== undefined || i === steps.length) return next(error);
      const step = steps[i++];
      try {
        void step(req, res, run);
      } catch (thrown) {
        run(thrown);
      }
    };
    run();
  };
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * One JSON line per request: method, path, status, latency and the request id (from nginx's
 * X-Request-Id, else a fresh one). The line is built from an allow-list: headers, cookies, query
 * strings and bodies are never logged, so session ids, passwords and secrets cannot leak here.
 */
export function requestLogger(level: string): RequestHandler {
  const logger = pino({ level });
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    // Liveness probes (Docker's healthcheck every few seconds) would drown the request log.
    if (req.url === '/healthz') return next();
    const started = Date.now();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    // 'close' comes right after 'finish' (a tick later), and alone when the client went away
    // before the response was sent: one listener sees both.
    res.once('close', () => {
      const line = {
        req: { id, method: req.method, path: (req.url ?? '').split('?')[0] },
        res: { statusCode: res.statusCode },
        responseTime: Date.now() - started,
      };
      if (res.statusCode >= 500) {
        logger.error({ ...line, err: { type: 'Error', message: `failed with status code ${res.statusCode}` } }, 'request errored');
      } else {
        logger.info(line, 'request completed');
      }
    });
    next();
  };
}
