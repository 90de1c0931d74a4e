import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client.js';

/**
 * A Lua script run by its SHA-1 (EVALSHA), so each call sends a few bytes instead of the script;
 * when Redis does not know it yet (first call, or Redis restarted and forgot its script cache)
 * the one failed EVALSHA is followed by an EVAL, which also caches it again.
 *
 * A script runs atomically: no other command runs between its reads and writes, which is what
 * makes "write the session only if it still exists, and index it only then" one step.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await redis.evalSha(this.sha, { keys, arguments: args });
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.source, { keys, arguments: args });
    }
  }
}
