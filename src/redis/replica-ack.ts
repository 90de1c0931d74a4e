import { Logger } from '@nestjs/common';

/** How long a write that must survive a failover waits for the replica's acknowledgement. */
export const REPLICA_ACK_TIMEOUT_MS = 100;
/** After a WAIT that timed out, how long writes go unacknowledged before the replica is asked again. */
export const REPLICA_RETRY_MS = 1_000;

/** The part of the node-redis client this needs. */
export interface WaitClient {
  wait(numberOfReplicas: number, timeout: number): Promise<number>;
}

/** A write the replica did not acknowledge although the Sentinels say it is up: it may not survive a failover (a 503). */
export class ReplicaTimeoutError extends Error {
  constructor() {
    super(`no Redis replica acknowledged the write within ${REPLICA_ACK_TIMEOUT_MS} ms`);
    this.name = 'ReplicaTimeoutError';
  }
}

/**
 * `WAIT 1 <ms>` after the writes a failover must not undo (a new session, a revocation), so that
 * their answer goes out only once the replica has them too (docs/operations.md, Redis Sentinel). Redis replicates
 * asynchronously: without it, a session revoked just before the primary dies can come back on the
 * promoted replica.
 *
 * WAIT counts the writes of its own connection, so it runs on the shared one, and the connection
 * answers nothing else meanwhile: normally one round trip to the replica.
 *
 * When no replica acknowledges in time:
 * - if the Sentinels say the primary has a replica up, the write may be on a primary that is being
 *   replaced (a failover promoted the replica, and this node has not been told yet): the request
 *   fails with a 503 rather than answer a write that the new primary will not have;
 * - if they say it has none (it died, and this primary has been alone since), there is nothing to
 *   wait for: the write is answered unreplicated (the one loss left: docs/operations.md, Redis Sentinel), and WAIT
 *   is skipped for REPLICA_RETRY_MS, so a missing replica costs the other requests at most one
 *   REPLICA_ACK_TIMEOUT_MS stall a second, not one per sign-in.
 */
export class ReplicaAck {
  private readonly logger = new Logger('Redis');
  private skipUntil = 0;
  private warned = false;

  constructor(
    private readonly redis: WaitClient,
    /** Whether the Sentinels last said the primary has a replica that is up. */
    private readonly replicaUp: () => boolean,
    private readonly now: () => number = Date.now,
  ) {}

  async wait(): Promise<void> {
    if (this.now() < this.skipUntil && !this.replicaUp()) return;
    const acknowledged = await this.redis.wait(1, REPLICA_ACK_TIMEOUT_MS);
    if (acknowledged >= 1) {
      if (this.warned) this.logger.log('Redis replica acknowledges writes again');
      this.warned = false;
      return;
    }
    if (this.replicaUp()) throw new ReplicaTimeoutError();
    this.skipUntil = this.now() + REPLICA_RETRY_MS;
    if (!this.warned) {
      this.logger.warn(`The Redis primary has no replica up: sign-ins and revocations are not replicated until it has one`);
    }
    this.warned = true;
  }
}
