import { describe, expect, it } from '@jest/globals';
import {
  ClientClosedError,
  ClientOfflineError,
  DisconnectsClientError,
  ErrorReply,
  SocketClosedUnexpectedlyError,
  TimeoutError,
} from 'redis';
import { QueryFailedError } from 'typeorm';
import { type Dependency, unavailableDependency } from './unavailable-dependency.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });
const pgServerError = (message: string, code: string) => new QueryFailedError('SELECT 1', [], withCode(message, code));

describe('unavailableDependency', () => {
  const cases: [string, unknown, Dependency | undefined][] = [
    ['Redis offline (disableOfflineQueue)', new ClientOfflineError(), 'redis'],
    ['Redis connection dropped under a waiting command (heartbeat)', new DisconnectsClientError(), 'redis'],
    ['Redis command not sent in time', new TimeoutError(), 'redis'],
    ['Redis socket closed', new SocketClosedUnexpectedlyError(), 'redis'],
    ['Redis client closed (shutdown)', new ClientClosedError(), 'redis'],
    ['Redis loading its data after a restart', new ErrorReply('LOADING Redis is loading the dataset in memory'), 'redis'],
    [
      'a primary turned replica by a failover, to a write',
      new ErrorReply("READONLY You can't write against a read only replica."),
      'redis',
    ],
    ['a primary turned replica by a failover, to WAIT', new ErrorReply('ERR WAIT cannot be used with replica instances.'), 'redis'],
    ['Redis full at its maxmemory (noeviction)', new ErrorReply("OOM command not allowed when used memory > 'maxmemory'."), 'redis'],
    ['Postgres refusing connections', withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'), 'postgres'],
    ['Postgres shutting down (57P01)', pgServerError('terminating connection due to administrator command', '57P01'), 'postgres'],
    ['Postgres starting up (57P03)', withCode('the database system is starting up', '57P03'), 'postgres'],
    ['Postgres connection exception (08006)', pgServerError('connection failure', '08006'), 'postgres'],
    ['statement_timeout (57014)', pgServerError('canceling statement due to statement timeout', '57014'), 'postgres'],
    ['pg connection lost', new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly')), 'postgres'],
    [
      'pg-pool connect timeout',
      new Error('Connection terminated due to connection timeout', { cause: new Error('timeout expired') }),
      'postgres',
    ],
    ['pg query_timeout', new Error('Query read timeout'), 'postgres'],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')"), undefined],
    ['a constraint violation', pgServerError('duplicate key value violates unique constraint', '23505'), undefined],
    ['a Redis command error', new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'), undefined],
    ['a file error', withCode('no such file', 'ENOENT'), undefined],
    ['not an Error', 'ECONNREFUSED', undefined],
    ['nothing', undefined, undefined],
  ];

  it.each(cases)('%s', (_name, error, expected) => {
    expect(unavailableDependency(error)).toBe(expected);
  });

  it('stops on a cause chain that loops', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(unavailableDependency(a)).toBeUndefined();
  });
});
