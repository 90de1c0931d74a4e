import { Logger } from '@nestjs/common';

/** A PING goes out this often while the connection is up. */
export const HEARTBEAT_INTERVAL_MS = 250;
/**
 * A PING unanswered this long means the connection is stalled. With the interval, this bounds
 * how long any command (and the request waiting on it) can wait for a frozen Redis: 1 s.
 */
export const STALL_TIMEOUT_MS = 750;

/** The part of the node-redis client the heartbeat drives. */
export interface HeartbeatClient {
  readonly isReady: boolean;
  ping(): Promise<unknown>;
  destroy(): void;
  connect(): Promise<unknown>;
}

/**
 * The deadline node-redis lacks. Its command timeout only covers the wait to be *written*: once a
 * command is on the wire to a Redis that stopped answering (a frozen process, a half-open TCP
 * connection), it waits for its reply forever, and so does the request behind it.
 *
 * When a PING goes unanswered for STALL_TIMEOUT_MS, the connection is dropped and opened again:
 * destroy() fails every command waiting on it at once (DisconnectsClientError, a 503), and the new
 * connection stays "not ready" until Redis answers its handshake, so meanwhile new commands fail
 * at once too (disableOfflineQueue). When Redis answers again, the client is ready again, with no
 * restart and no lost data.
 */
export class RedisHeartbeat {
  private readonly logger = new Logger('Redis');
  private timer: NodeJS.Timeout | undefined;
  private pinging = false;

  constructor(private readonly client: HeartbeatClient) {}

  start(): void {
    // unref: the heartbeat alone never keeps the process alive.
    this.timer ??= setInterval(() => void this.beat(), HEARTBEAT_INTERVAL_MS).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async beat(): Promise<void> {
    // Not ready: commands already fail fast; the client reconnects by itself.
    if (this.pinging || !this.client.isReady) return;
    this.pinging = true;
    let answered = false;
    // setImmediate: when our own event loop was busy, a reply that has already arrived is read
    // (I/O runs before the check phase) before the PING is declared unanswered.
    const deadline = setTimeout(() => setImmediate(() => answered || this.reconnect()), STALL_TIMEOUT_MS);
    try {
      await this.client.ping();
    } catch {
      // A refused PING is an outage the client reports itself ('error' event); nothing to add.
    } finally {
      answered = true;
      this.pinging = false;
      clearTimeout(deadline);
    }
  }

  private reconnect(): void {
    this.logger.warn(`Redis did not answer a PING within ${STALL_TIMEOUT_MS} ms; reconnecting`);
    this.client.destroy();
    // Same client object, so every holder of it (session store, throttle) follows. connect()
    // retries per the client's reconnectStrategy until Redis answers; it only rejects if the
    // client is closed meanwhile (shutdown), which needs no handling.
    this.client.connect().then(
      () => this.logger.log('Redis connection restored'),
      () => undefined,
    );
  }
}
