import type { Logger } from '@nestjs/common';
import { createClient, type RedisClientOptions, type RedisClientType } from 'redis';

export type RedisClient = RedisClientType;

/** A client for one Redis node, the same in single and Sentinel mode (and in the in-process tests). */
export function redisClient(
  logger: Logger,
  options: Pick<RedisClientOptions, 'url' | 'password'> & { host?: string; port?: number; tls?: RedisTls },
): RedisClient {
  const client = createClient({
    url: options.url,
    // undefined keeps a password given in REDIS_URL itself.
    password: options.password,
    // While Redis is unreachable, fail commands at once rather than queueing them behind a
    // reconnect that may never come. A Redis that is connected but no longer answers (frozen,
    // half-open connection) is the heartbeat's job (redis-heartbeat.ts): it bounds every command,
    // written or still waiting to be, to about 1 s.
    //
    // node-redis's own command timeout (5 s by default) only covers the wait to be written, which
    // disableOfflineQueue already ends at once: the heartbeat is what bounds a written command.
    disableOfflineQueue: true,
    // Open-source Redis has no maintenance notifications: 'auto' would send, at every connect, a
    // command it refuses.
    maintNotifications: 'disabled',
    socket: {
      ...(options.host === undefined ? {} : { host: options.host, port: options.port }),
      ...tlsSocket(options.tls),
      connectTimeout: 2_000,
      reconnectStrategy: (retries) => Math.min(100 * 2 ** retries, 2_000),
    },
  });
  let healthy = true;
  // The error text never includes the URL (which may carry a password).
  client.on('error', (error: Error) => {
    if (healthy) logger.warn(`Redis unavailable: ${error.message}`);
    healthy = false;
  });
  client.on('ready', () => {
    if (!healthy) logger.log('Redis connection restored');
    healthy = true;
  });
  return client;
}

/** TLS to a node or Sentinel (REDIS_TLS): the CAs to trust, when not the system's (and NODE_EXTRA_CA_CERTS). */
export type RedisTls = { ca?: string } | undefined;

/** The socket options for `tls`; the server's name is checked against its certificate. */
export function tlsSocket(tls: RedisTls): { tls: true; ca?: string } | Record<string, never> {
  return tls ? { tls: true, ...tls } : {};
}
