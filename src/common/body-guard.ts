import { BadRequestException, UnsupportedMediaTypeException } from '@nestjs/common';
import bodyParser from 'body-parser';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { chain } from './hot-path.js';

/**
 * How deeply a request body may nest objects and arrays. Gatehouse's bodies are flat (depth 1);
 * the cap only has to stop the pathological: a 16 KiB body can nest ~8000 arrays deep, and
 * class-transformer walks bodies recursively, so such a body overflowed the stack (a 500).
 */
export const MAX_BODY_DEPTH = 32;

/**
 * Keys that name JavaScript's prototype machinery. class-transformer assigns `__proto__` as a
 * prototype instead of an own property, so the validation pipe never sees it as an unknown key
 * and it slipped through silently; refusing them outright is what Fastify does by default.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor']);

/** What is wrong with a parsed body, or undefined. Iterative: recursion would fail on the very input it checks. */
export function bodyProblem(body: unknown): string | undefined {
  const pending: [value: unknown, depth: number][] = [[body, 0]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) return `Request body is nested more than ${MAX_BODY_DEPTH} levels deep`;
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return `Request body contains the forbidden key ${key}`;
      pending.push([(value as Record<string, unknown>)[key], depth + 1]);
    }
  }
  return undefined;
}

/** Runs after the body parsers: a body they accepted but the app must not walk is a 400. */
export function bodyGuard(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const problem = bodyProblem(req.body);
    next(problem === undefined ? undefined : new BadRequestException(problem));
  };
}

/**
 * The JSON API takes JSON bodies only (415 for any other type). The pages need form bodies, so
 * the app parses those too; without this, a form-encoded POST to /api/auth/login would be parsed
 * and accepted, and a cross-site HTML form could then sign a victim in to the attacker's account
 * with nothing but the Origin check in the way. A JSON body cannot be sent cross-site without a
 * CORS preflight, which this app never grants.
 */
export function jsonOnly(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!API_PATH.test(req.path)) return next();
    // req.is() is null when the request has no body, false when the body is of another type. A
    // body without a Content-Type is refused only when it is known not to be empty: Node's own
    // client, among others, sends a bodiless POST as an empty chunked body.
    const refused =
      req.headers['content-type'] !== undefined ? req.is('application/json') === false : Number(req.headers['content-length'] ?? 0) > 0;
    if (refused) {
      return next(new UnsupportedMediaTypeException('Request body must be JSON (Content-Type: application/json)'));
    }
    next();
  };
}

/** Where jsonOnly applies: the JSON API, matched the way Express mounts `/api` (any case, whole segment). */
const API_PATH = /^\/api(\/|$)/i;

/**
 * Everything about request bodies, in order: the JSON-only rule for /api (415), the JSON and
 * form parsers (`limit`: a JSON 413 above it), the guard against hostile shapes (400). A request
 * without a body (no Content-Length, no Transfer-Encoding: every GET a browser sends) skips all
 * four at once, instead of passing four middlewares that each find nothing to do (docs/benchmarks.md,
 * What keeps the per-request cost down); they would leave it exactly as it is, with no `req.body`.
 */
export function bodyHandling(limit: string): RequestHandler {
  const steps = chain(jsonOnly(), bodyParser.json({ limit }), bodyParser.urlencoded({ limit, extended: false }), bodyGuard());
  return (req: Request, res: Response, next: NextFunction) => (hasBody(req) ? steps(req, res, next) : next());
}

/** type-is's test, the one the parsers make: a body is announced by either header. */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length']));
}
