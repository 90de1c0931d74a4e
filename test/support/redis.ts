import { createClient } from 'redis';

export type TestRedis = ReturnType<typeof createClient>;

/** A plain Redis connection to the stack's Redis, for asserting what the app stored. */
export async function connectRedis(url: string): Promise<TestRedis> {
  const client = createClient({ url });
  await client.connect();
  return client;
}

/** The session id inside a signed express-session cookie value (`s:<id>.<signature>`). */
export function sessionIdOf(cookieValue: string): string {
  const decoded = decodeURIComponent(cookieValue);
  return decoded.slice(2, decoded.lastIndexOf('.'));
}
