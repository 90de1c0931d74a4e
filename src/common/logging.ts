import { randomUUID } from 'node:crypto';
import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';

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
 * X-Request-Id, else a fresh one). The serializers are an allow-list: headers, cookies, query
 * strings and bodies are never logged, so session ids, passwords and secrets cannot leak here.
 * (No `redact` on top: it would search every line for headers the serializers never copy.)
 */
export function requestLogger(level: string): RequestHandler {
  return pinoHttp({
    level,
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Liveness probes (Docker's healthcheck every few seconds) would drown the request log.
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/healthz' },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({
        id: req.id,
        method: req.method,
        path: req.url.split('?')[0],
      }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
      err: (err: Error) => ({ type: err.name, message: err.message }),
    },
  }) as unknown as RequestHandler;
}
