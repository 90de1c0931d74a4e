import os from 'node:os';
import { ServiceUnavailableException } from '@nestjs/common';

/**
 * How long a password check may wait for a hashing thread before the request is answered 503
 * instead: a login flood then costs the flood its answers, not everyone else their latency.
 */
export const HASH_WAIT_DEADLINE_MS = 2_000;

/** A hash could not start in time: 503 with Retry-After (the filters send the header). */
export class HashingBusyException extends ServiceUnavailableException {
  readonly retryAfterSeconds = 1;

  constructor() {
    super('Too many sign-ins at once; try again in a moment');
  }
}

/**
 * Hashes that may run at once: one per core (each argon2 hash is one lane and keeps its core
 * busy), at most 4. They run at the lowest CPU priority (Argon2Threads), so the event loop, which
 * answers everyone else, takes a core from them whenever it has work.
 */
export function hashingThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

interface Waiter {
  start(): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * A semaphore in front of argon2. Unbounded, a login storm would queue thousands of 19 MiB hashes
 * and every sign-in would wait behind them. So at most `width` hashes run at once (one per hashing
 * thread), a short queue waits, and whoever would wait past the deadline, or finds the queue full,
 * gets a 503 at once.
 */
export class HashingPool {
  private active = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly width: number,
    readonly maxQueue: number,
    private readonly deadlineMs = HASH_WAIT_DEADLINE_MS,
  ) {}

  /** True when a new hash would be refused at once: every slot busy and the queue full. */
  get full(): boolean {
    return this.active >= this.width && this.queue.length >= this.maxQueue;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.width) {
      this.active++;
      return Promise.resolve();
    }
    if (this.queue.length >= this.maxQueue) return Promise.reject(new HashingBusyException());
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        start: () => {
          clearTimeout(waiter.timer);
          this.active++;
          resolve();
        },
        timer: setTimeout(() => {
          this.queue.splice(this.queue.indexOf(waiter), 1);
          reject(new HashingBusyException());
        }, this.deadlineMs),
      };
      this.queue.push(waiter);
    });
  }

  private release(): void {
    this.active--;
    this.queue.shift()?.start();
  }
}
