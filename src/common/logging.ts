import { randomUUID } from 'node:crypto';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pino } from 'pino';

const NEST_LEVELS: Record<string, LogLevel[]> = {
  trace: ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'],
  debug: ['debug', 'log', 'warn', 'error', 'fatal'],
  info: ['log', 'warn', 'error', 'fatal'],
  warn: ['warn', 'error', 'fatal'],
  error: ['error', 'fatal'],
  fatal: ['fatal'],
  silent: [],
};

/** The application logger: Nest's own, one JSON object per line, at LOG_LEVEL. */
export function createAppLogger(level: string): ConsoleLogger {
  return new ConsoleLogger({ json: true, logLevels: NEST_LEVELS[level] });
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * One JSON line per request: method, path, status, latency and the request id (from nginx's
 * X-Request-Id, else a fresh one), in pino-http's line format. The line is built from an
 * allow-list: headers, cookies, query strings and bodies are never logged, so session ids,
 * passwords and secrets cannot leak here. Written with pino directly rather than pino-http, which
 * makes a child logger per request and keeps per-request arrays of them (docs/benchmarks.md, What
 * keeps the per-request cost down).
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
