import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from 'redis';
import { ReplicaTimeoutError } from '../redis/replica-ack.js';

/**
 * Tells an outage of a backing service apart from a bug, so the exception filter can answer 503
 * ("try again later") instead of 500. The errors reach the filter raw, from wherever the service
 * was called: a store call in express-session (via next(err)), a repository, the login throttle.
 * Classifying them here, once, keeps try/catch out of the services.
 */
export type Dependency = 'redis' | 'postgres';

/** The `message` of the 503 answer, per service. */
export const UNAVAILABLE_MESSAGE: Record<Dependency, string> = {
  redis: 'Session store unavailable',
  postgres: 'Database unavailable',
};

/**
 * node-redis reports a connection it cannot use with its own error classes: not connected yet or
 * any more (offline, closed), dropped while a command waited (disconnects, closed unexpectedly,
 * socket timeout), or no answer in time (timeout). See redis-client.ts for the timeouts.
 */
const REDIS_CONNECTION_ERRORS = [
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ReconnectStrategyError,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
  ReplicaTimeoutError,
];

/**
 * Replies of a Redis that is up but cannot serve: loading its data after a restart, busy, full
 * (maxmemory with noeviction), or a primary turned replica by a failover before the app switched
 * to the new one (READONLY to a write, WAIT's refusal on a replica: docs/operations.md, Redis Sentinel).
 */
const REDIS_NOT_SERVING_REPLY = /^(LOADING|BUSY|MASTERDOWN|OOM|READONLY|NOREPLICAS)\b|^ERR WAIT cannot be used with replica/;

/**
 * The pg driver passes on the socket's own error when it cannot reach the server. node-redis never
 * surfaces these to a caller (it wraps them in the classes above), so here they mean Postgres.
 */
const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that cannot serve: class 08 (connection exception), too many connections,
 * shutting down or crashed (57P01, 57P02), still starting (57P03), and a statement cancelled by
 * `statement_timeout` (57014, data-source.ts).
 */
const POSTGRES_UNAVAILABLE_SQLSTATE = /^(08...|53300|57P0[123]|57014)$/;

/** The pg driver's own connection failures carry no code, only these messages. */
const PG_CONNECTION_MESSAGE =
  /^(Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error)/;

/** Which service `error` says is unreachable, or undefined when it is some other error. */
export function unavailableDependency(error: unknown): Dependency | undefined {
  // TypeORM wraps the driver's error (QueryFailedError.driverError); pg-pool and Node chain a
  // cause. A few levels are enough, and the bound keeps a cyclic chain from looping.
  for (let depth = 0; depth < 4 && error instanceof Error; depth++) {
    if (REDIS_CONNECTION_ERRORS.some((type) => error instanceof type)) return 'redis';
    if (error instanceof ErrorReply) return REDIS_NOT_SERVING_REPLY.test(error.message) ? 'redis' : undefined;
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_ERROR_CODES.has(code) || POSTGRES_UNAVAILABLE_SQLSTATE.test(code))) {
      return 'postgres';
    }
    if (PG_CONNECTION_MESSAGE.test(error.message)) return 'postgres';
    error = (error as { driverError?: unknown }).driverError ?? error.cause;
  }
  return undefined;
}
