import { Logger } from '@nestjs/common';

/** How long a write that must survive a failover waits for the replica's acknowledgement. */
export const REPLICA_ACK_TIMEOUT_MS = 100;
/** After a WAIT that timed out, how long writes go unacknowledged before the replica is asked again. */
export const REPLICA_RETRY_MS = 1_000;

/** The part of the node-redis client this needs. */
export interface WaitClient {
  wait(numberOfReplicas: number, timeout: number): Promise<number>;
}

/**
 * `WAIT 1 <ms>` after the writes a failover must not undo (a new session, a revocation), so that
 * their answer goes out only once the replica has them too (README, Scaling out). Redis replicates
 * asynchronously: without it, a session revoked just before the primary dies can come back on the
 * promoted replica.
 *
 * WAIT counts the writes of its own connection, so it runs on the shared one, and the connection
 * answers nothing else meanwhile: normally one round trip to the replica. When the replica does
 * not answer in time (it is down, or this primary has none since a failover) the write is still
 * answered, unreplicated, and WAIT is skipped for REPLICA_RETRY_MS, so a missing replica costs every
 * other request at most one REPLICA_ACK_TIMEOUT_MS stall a second, not one per login.
 */
export class ReplicaAck {
  private readonly logger = new Logger('Redis');
  private skipUntil = 0;
  private warned = false;

  constructor(
    private readonly redis: WaitClient,
    private readonly now: () => number = Date.now,
  ) {}

  async wait(): Promise<void> {
    if (this.now() < this.skipUntil) return;
    const acknowledged = await this.redis.wait(1, REPLICA_ACK_TIMEOUT_MS);
    if (acknowledged >= 1) {
      if (this.warned) this.logger.log('Redis replica acknowledges writes again');
      this.warned = false;
      return;
    }
    this.skipUntil = this.now() + REPLICA_RETRY_MS;
    if (!this.warned) {
      this.logger.warn(`No Redis replica acknowledged a write within ${REPLICA_ACK_TIMEOUT_MS} ms: sign-ins and revocations are not replicated until one does`);
    }
    this.warned = true;
  }
}
