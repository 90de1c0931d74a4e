import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/config.schema.js';
import type { RedisClient } from '../redis/redis-client.js';
import { ReplicaAck } from '../redis/replica-ack.js';
import type { SentinelPrimary } from '../redis/redis-sentinel.js';
import { REDIS_CLIENT, REDIS_SENTINEL } from '../redis/redis.module.js';

/*
 * WebAuthn challenges that cost nothing to hand out (docs/passkeys.md, Challenges).
 *
 * The usual way keeps each challenge on the server (in the session) until its response comes back.
 * For a signed-out visitor that is a Redis write per options request: anyone could fill Redis
 * with them, and showing the login page would no longer write nothing (docs/sessions.md, Signed-out visitors). So the
 * challenge carries its own proof instead: it *is* a token signed by the app,
 *
 *   version (1) | ceremony (1) | expires at, epoch ms (8) | nonce (16 random bytes) | HMAC-SHA256 (32)
 *
 * with the HMAC over everything before it plus the subject it was issued to (a user's id, or
 * nothing for a signed-out sign-in), which is not carried: the verifier names the subject it
 * expects, so a challenge issued to one user is worth nothing for another. The browser signs these
 * bytes as they are (clientDataJSON carries them back, base64url), so what comes back says by
 * itself which ceremony, for whom and until when it was issued: nothing is stored until then.
 *
 * - At least 128 random bits: the nonce. The HMAC makes the rest unforgeable.
 * - One ceremony: a registration challenge never passes as a sign-in's (the ceremony byte is signed).
 * - At most CHALLENGE_MS: the expiry is signed.
 * - Once: a stateless token alone could be replayed until it expires (the flaw found in a
 *   stateless-challenge design for Rails). The one use is recorded when a response comes back,
 *   by `SET used-challenge:<nonce> 1 NX PX <time left>` (PasskeyChallenges.spend): atomic, so of
 *   two requests with one challenge exactly one gets OK, and the key outlives the challenge by
 *   nothing. That is the only Redis write, and it happens only for a response whose signature
 *   over the challenge checks out, from someone holding a passkey.
 *
 * The key is derived from the session secret for this purpose alone (as the signed-out form token's
 * is, pages/csrf.guard.ts): the first SESSION_SECRET signs, all of them verify, so rotating the
 * secret does not void a ceremony in progress.
 */

export type Ceremony = 'registration' | 'sign-in' | 'reauthentication';

/** How long a challenge may be answered: WebAuthn's recommended ceremony timeout, and SPEC's limit. */
export const CHALLENGE_MS = 5 * 60_000;
/** 128 random bits. */
export const NONCE_BYTES = 16;

const VERSION = 1;
const CEREMONY_BYTE: Record<Ceremony, number> = { registration: 1, 'sign-in': 2, reauthentication: 3 };
const MAC_BYTES = 32;
const SIGNED_BYTES = 1 + 1 + 8 + NONCE_BYTES;
export const CHALLENGE_BYTES = SIGNED_BYTES + MAC_BYTES;

/** A challenge that checked out: what spending it needs. */
export interface CheckedChallenge {
  /** Names the challenge in Redis once used (hex). */
  nonce: string;
  expiresAt: number;
}

function challengeKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('gatehouse passkey challenge key').digest();
}

function mac(key: Buffer, signed: Buffer, subject: string | undefined): Buffer {
  // The subject goes last, after fixed-length fields: no two (fields, subject) pairs hash alike.
  return createHmac('sha256', key)
    .update(signed)
    .update(subject ?? '')
    .digest();
}

export class ChallengeSigner {
  private readonly keys: Buffer[];

  /** `secrets`: SESSION_SECRET's entries, the one that signs first. */
  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error('ChallengeSigner: no secret');
    this.keys = secrets.map(challengeKey);
  }

  /** A new challenge for `ceremony`, for `subject` (a user's id; undefined signed out), as bytes. */
  issue(ceremony: Ceremony, subject: string | undefined, now = Date.now()): Buffer {
    const signed = Buffer.alloc(SIGNED_BYTES);
    signed.writeUInt8(VERSION, 0);
    signed.writeUInt8(CEREMONY_BYTE[ceremony], 1);
    signed.writeBigUInt64BE(BigInt(now + CHALLENGE_MS), 2);
    randomBytes(NONCE_BYTES).copy(signed, 10);
    return Buffer.concat([signed, mac(this.keys[0], signed, subject)]);
  }

  /**
   * The challenge a response came back with (clientDataJSON's `challenge`, base64url), if it is one
   * this app issued for `ceremony` and `subject` and it has not expired. Whether it was used
   * already is PasskeyChallenges.spend's to say, atomically.
   */
  check(challenge: string, ceremony: Ceremony, subject: string | undefined, now = Date.now()): CheckedChallenge | undefined {
    const bytes = Buffer.from(challenge, 'base64url');
    // Node's base64url decoder skips what is not base64url: only the exact encoding is this token.
    if (bytes.length !== CHALLENGE_BYTES || bytes.toString('base64url') !== challenge) return undefined;
    const signed = bytes.subarray(0, SIGNED_BYTES);
    const sent = bytes.subarray(SIGNED_BYTES);
    if (!this.keys.some((key) => timingSafeEqual(mac(key, signed, subject), sent))) return undefined;
    if (signed.readUInt8(0) !== VERSION || signed.readUInt8(1) !== CEREMONY_BYTE[ceremony]) return undefined;
    const expiresAt = Number(signed.readBigUInt64BE(2));
    if (now >= expiresAt) return undefined;
    return { nonce: signed.subarray(10).toString('hex'), expiresAt };
  }
}

/** The Redis key that marks a challenge used, for as long as it would otherwise be valid. */
export function usedChallengeKey(checked: CheckedChallenge): string {
  return `used-challenge:${checked.nonce}`;
}

/** The part of the node-redis client spending needs. */
export interface SpendClient {
  set(key: string, value: string, options: { condition: 'NX'; expiration: { type: 'PX'; value: number } }): Promise<string | null>;
}

/** Marks a challenge used: true for the one caller that got there first, while it is valid. */
export async function spendChallenge(redis: SpendClient, checked: CheckedChallenge, now = Date.now()): Promise<boolean> {
  const left = checked.expiresAt - now;
  if (left <= 0) return false;
  const set = await redis.set(usedChallengeKey(checked), '1', { condition: 'NX', expiration: { type: 'PX', value: left } });
  return set === 'OK';
}

/** The app's challenges: signed with SESSION_SECRET, spent in Redis. */
@Injectable()
export class PasskeyChallenges {
  private readonly signer: ChallengeSigner;
  /** With Sentinels, a spent challenge must survive a failover, or its response could be replayed on the new primary. */
  private readonly replicaAck: ReplicaAck | undefined;

  constructor(
    config: ConfigService<AppConfig, true>,
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(REDIS_SENTINEL) sentinel: SentinelPrimary | null,
  ) {
    this.signer = new ChallengeSigner(config.get('session', { infer: true }).secrets);
    this.replicaAck = sentinel ? new ReplicaAck(redis, () => sentinel.replicaUp) : undefined;
  }

  issue(ceremony: Ceremony, subject: string | undefined): Buffer {
    return this.signer.issue(ceremony, subject);
  }

  check(challenge: string, ceremony: Ceremony, subject: string | undefined): CheckedChallenge | undefined {
    return this.signer.check(challenge, ceremony, subject);
  }

  async spend(checked: CheckedChallenge): Promise<boolean> {
    const spent = await spendChallenge(this.redis, checked);
    await this.replicaAck?.wait();
    return spent;
  }
}
