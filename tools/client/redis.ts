import { createClient, type RedisClientType } from 'redis';

export type TestRedis = RedisClientType;

/** A plain Redis connection to the stack's Redis, for asserting what the app stored. */
export async function connectRedis(url: string): Promise<TestRedis> {
  const client = createClient({ url });
  await client.connect();
  return client;
}

/** The session id inside a signed session cookie value: the app's own rule (docs/sessions.md). */
export { sessionIdOfCookieValue as sessionIdOf } from '../../src/session/session-cookie.js';
