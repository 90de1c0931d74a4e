import { BadRequestException, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/config.schema.js';
import { type Argon2Options, Argon2Threads } from './argon2-threads.js';
import { HashingBusyException, HashingPool, hashingThreads } from './hashing-pool.js';

/**
 * argon2id at OWASP's minimum recommendation (19 MiB, 2 passes, 1 lane). Hashes run on threads of
 * their own at the lowest CPU priority (Argon2Threads), so a login never blocks the event loop;
 * every hash goes through the HashingPool, so a flood of them never starves the rest of the app.
 */
export const ARGON2_OPTIONS: Argon2Options = {
  algorithm: 2, // argon2id
  memoryCost: 19 * 1024,
  timeCost: 2,
  parallelism: 1,
};

@Injectable()
export class PasswordService implements OnModuleInit, OnApplicationShutdown {
  /** A real hash of a random secret: verifying against it costs the same as a real check. */
  private dummyHash: string;
  private readonly minLength: number;
  private readonly threads = new Argon2Threads(hashingThreads());
  /** Room for about half a second of hashing; past that a request waits at most the deadline. */
  private readonly pool = new HashingPool(this.threads.width, this.threads.width * 8);

  constructor(config: ConfigService<AppConfig, true>) {
    this.minLength = config.get('passwordMinLength', { infer: true });
  }

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hash(crypto.randomUUID());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.threads.close();
  }

  /**
   * The length policy. It lives here rather than in the DTOs because the minimum is configuration
   * (PASSWORD_MIN_LENGTH); the DTOs already cap the length at 128.
   */
  assertAcceptable(password: string, field: string): void {
    if ([...password].length < this.minLength) {
      throw new BadRequestException([`${field} must be at least ${this.minLength} characters`]);
    }
  }

  /** True while a new hash would be refused at once (503): every thread busy, the queue full. */
  get busy(): boolean {
    return this.pool.full;
  }

  /** How many hashes may be running or waiting at once; any more are refused. */
  get capacity(): number {
    return this.pool.width + this.pool.maxQueue;
  }

  /**
   * Refuses at once (503) when no hash could start now: a sign-in during a storm is then answered
   * before it costs anything else (its brute-force counters in Redis included).
   */
  assertCapacity(): void {
    if (this.busy) throw new HashingBusyException();
  }

  hash(password: string): Promise<string> {
    return this.pool.run(() => this.threads.hash(password, ARGON2_OPTIONS));
  }

  /**
   * Checks a password against a stored hash, or, when there is no user, against a dummy hash, so
   * that "no such email" takes as long as "wrong password" and the timing tells nothing.
   */
  async verify(hash: string | undefined, password: string): Promise<boolean> {
    const matches = await this.pool.run(() => this.threads.verify(hash ?? this.dummyHash, password));
    return matches && hash !== undefined;
  }
}
