import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Request } from 'express';
import { DataSource, type EntityManager } from 'typeorm';
import type { EventOrigin } from '../activity/security-event.js';
import { SecurityEvents } from '../activity/security-events.js';
import type { AppConfig } from '../config/config.schema.js';
import { DataEncryption } from '../crypto/data-encryption.js';
import { SecurityNotices } from '../mail/security-notices.js';
import type { SignedIn } from '../session/current-session.js';
import { eventOrigin } from '../session/event-origin.js';
import { UserSessions } from '../session/user-sessions.js';
import { NotAuthenticatedException } from '../session/session.exceptions.js';
import { UsersService } from '../users/users.service.js';
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from './recovery-codes.js';
import { codeDigits, matchingStep, newTotpSecret, totpUri } from './totp.js';

export const INVALID_CODE = 'Invalid code';
export const NO_ENROLMENT = 'No two-step sign-in setup in progress';
export const ALREADY_ON = 'Two-step sign-in is already on';
export const NOT_ON = 'Two-step sign-in is not on';
/** How long a secret that was shown waits for its first code. */
export const ENROLMENT_MS = 10 * 60_000;

export interface TwoStepStatus {
  totp: { enabled: boolean; enabledAt: string | null };
  recoveryCodesLeft: number;
}

export interface TotpEnrolment {
  /** Base32, for manual entry. */
  secret: string;
  /** The otpauth:// URI, for the QR code. */
  uri: string;
}

/** What the secret's ciphertext is bound to (data-encryption.ts): copied to another row or user, it does not decrypt. */
const storedAad = (userId: string) => `user_totp:${userId}`;
const enrolmentAad = (userId: string) => `totp-enrolment:${userId}`;

/**
 * A user's second factors (README, Two-step sign-in): the TOTP authenticator (its secret only
 * encrypted, each time step accepted once) and the recovery codes (only hashed, each used once).
 * Turning TOTP on or off ends every other session of the user, as a password change does; every
 * change is recorded in the activity log in its transaction, and mails the owner.
 */
@Injectable()
export class TwoStepService {
  private readonly encryption: DataEncryption;
  private readonly issuer: string;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    config: ConfigService<AppConfig, true>,
    private readonly users: UsersService,
    private readonly sessions: UserSessions,
    private readonly notices: SecurityNotices,
    private readonly events: SecurityEvents,
  ) {
    this.encryption = new DataEncryption(config.get('dataEncryptionKeys', { infer: true }));
    this.issuer = config.get('totpIssuer', { infer: true });
  }

  async status(userId: string): Promise<TwoStepStatus> {
    const rows = (await this.db.query(
      `SELECT t.enabled_at, (SELECT count(*) FROM recovery_codes r WHERE r.user_id = $1 AND r.used_at IS NULL)::int AS codes_left
         FROM (SELECT 1) one LEFT JOIN user_totp t ON t.user_id = $1`,
      [userId],
    )) as { enabled_at: Date | null; codes_left: number }[];
    const { enabled_at: enabledAt, codes_left: left } = rows[0];
    return { totp: { enabled: enabledAt !== null, enabledAt: enabledAt?.toISOString() ?? null }, recoveryCodesLeft: left };
  }

  async isOn(userId: string): Promise<boolean> {
    const rows = (await this.db.query(`SELECT 1 FROM user_totp WHERE user_id = $1`, [userId])) as unknown[];
    return rows.length > 0;
  }

  // --- turning it on and off (signed in, in sudo mode) ---------------------------------------

  /**
   * A new secret, parked in the session (encrypted) until its first code confirms it: nothing
   * changes for the account until then, and a secret that was shown but never confirmed is
   * forgotten with its session or after ENROLMENT_MS.
   */
  async beginEnrolment(req: Request, me: SignedIn, now = Date.now()): Promise<TotpEnrolment> {
    if (await this.isOn(me.userId)) throw new ConflictException(ALREADY_ON);
    const user = await this.users.findById(me.userId);
    if (!user) throw new NotAuthenticatedException();
    const secret = newTotpSecret();
    req.session.totpEnrolment = { secret: this.encryption.encrypt(secret, enrolmentAad(me.userId)), expiresAt: now + ENROLMENT_MS };
    return { secret, uri: totpUri(this.issuer, user.email, secret) };
  }

  /** The enrolment this session has under way, to show again (the setup page after a wrong code). */
  async pendingEnrolment(req: Request, me: SignedIn, now = Date.now()): Promise<TotpEnrolment | undefined> {
    const secret = this.enrolmentSecret(req, me, now);
    if (secret === undefined) return undefined;
    const user = await this.users.findById(me.userId);
    return user ? { secret, uri: totpUri(this.issuer, user.email, secret) } : undefined;
  }

  /**
   * The first code from the authenticator turns two-step sign-in on: the secret is stored
   * (encrypted), with the code's step as the last one used so that the same code cannot then sign
   * in; ten recovery codes are made and returned, to be shown this once. A wrong code leaves the
   * enrolment waiting for the right one.
   */
  async confirmEnrolment(req: Request, me: SignedIn, typed: string, now = Date.now()): Promise<string[]> {
    const secret = this.enrolmentSecret(req, me, now);
    if (secret === undefined) throw new BadRequestException(NO_ENROLMENT);
    const digits = codeDigits(typed);
    const step = digits === undefined ? undefined : matchingStep(secret, digits, now);
    if (step === undefined) throw new BadRequestException(INVALID_CODE);
    const codes = newRecoveryCodes();
    await this.db.transaction(async (m) => {
      const inserted = (await m.query(
        `INSERT INTO user_totp (user_id, secret_encrypted, last_step, enabled_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id) DO NOTHING RETURNING user_id`,
        [me.userId, this.encryption.encrypt(secret, storedAad(me.userId)), step, new Date(now)],
      )) as unknown[];
      // Another session of the user turned it on meanwhile, with another secret.
      if (inserted.length === 0) throw new ConflictException(ALREADY_ON);
      await replaceRecoveryCodes(m, me.userId, codes, new Date(now));
      await this.events.record(m, me.userId, 'totp-enabled', eventOrigin(req), null, new Date(now));
    });
    delete req.session.totpEnrolment;
    await this.sessions.revokeOthers(me.userId, me.sessionId);
    await this.notices.notify(me.userId, 'totp-enabled');
    return codes;
  }

  /** Turns it off: the secret and the recovery codes go, every other session ends, the owner is told. */
  async disable(me: SignedIn, origin: EventOrigin): Promise<void> {
    await this.db.transaction(async (m) => {
      const deleted = (await m.query(`DELETE FROM user_totp WHERE user_id = $1 RETURNING user_id`, [me.userId])) as [unknown[], number];
      if (deleted[1] === 0) throw new NotFoundException(NOT_ON);
      await m.query(`DELETE FROM recovery_codes WHERE user_id = $1`, [me.userId]);
      await this.events.record(m, me.userId, 'totp-disabled', origin);
    });
    await this.sessions.revokeOthers(me.userId, me.sessionId);
    await this.notices.notify(me.userId, 'totp-disabled');
  }

  /** A new set of recovery codes; the old set is void. */
  async regenerateRecoveryCodes(userId: string, origin: EventOrigin, now = new Date()): Promise<string[]> {
    const codes = newRecoveryCodes();
    await this.db.transaction(async (m) => {
      // Locks the row: a concurrent disable() waits, and cannot leave codes without an authenticator.
      const on = (await m.query(`SELECT 1 FROM user_totp WHERE user_id = $1 FOR UPDATE`, [userId])) as unknown[];
      if (on.length === 0) throw new NotFoundException(NOT_ON);
      await replaceRecoveryCodes(m, userId, codes, now);
      await this.events.record(m, userId, 'recovery-codes-created', origin, null, now);
    });
    await this.notices.notify(userId, 'recovery-codes-created');
    return codes;
  }

  // --- checking a second factor --------------------------------------------------------------

  /**
   * Whether `typed` is a code of the user's authenticator that was never used: for the current
   * time step or the one before, and later than the last step accepted. The last step moves by a
   * compare-and-set (acceptStep), so of two requests with one code exactly one gets true.
   */
  async verifyTotp(userId: string, typed: string, now = Date.now()): Promise<boolean> {
    const digits = codeDigits(typed);
    if (digits === undefined) return false;
    const rows = (await this.db.query(`SELECT secret_encrypted, last_step FROM user_totp WHERE user_id = $1`, [userId])) as {
      secret_encrypted: string;
      last_step: string;
    }[];
    if (rows.length === 0) return false;
    const ciphertext = rows[0].secret_encrypted;
    const secret = this.encryption.decrypt(ciphertext, storedAad(userId)).toString();
    const step = matchingStep(secret, digits, now);
    if (step === undefined || step <= Number(rows[0].last_step)) return false;
    // Re-encrypted under the current key on the way, so that an old key can be retired (README, DATA_ENCRYPTION_KEY).
    const reencrypted = this.encryption.isCurrent(ciphertext) ? undefined : this.encryption.encrypt(secret, storedAad(userId));
    return this.acceptStep(userId, step, reencrypted);
  }

  /** The compare-and-set: true for the one request that moved the last step up to `step`. */
  async acceptStep(userId: string, step: number, reencrypted?: string): Promise<boolean> {
    const [, updated] = (await this.db.query(
      `UPDATE user_totp SET last_step = $2, secret_encrypted = coalesce($3, secret_encrypted)
        WHERE user_id = $1 AND last_step < $2`,
      [userId, step, reencrypted ?? null],
    )) as [unknown[], number];
    return updated === 1;
  }

  /** Uses up one of the user's recovery codes: true once per code, whoever races for it. */
  async useRecoveryCode(userId: string, typed: string, now = new Date()): Promise<boolean> {
    const code = normalizeRecoveryCode(typed);
    if (code === undefined) return false;
    const [, updated] = (await this.db.query(
      `UPDATE recovery_codes SET used_at = $3 WHERE code_hash = $1 AND user_id = $2 AND used_at IS NULL`,
      [hashRecoveryCode(code), userId, now],
    )) as [unknown[], number];
    return updated === 1;
  }

  private enrolmentSecret(req: Request, me: SignedIn, now: number): string | undefined {
    const enrolment = req.session.totpEnrolment;
    if (!enrolment) return undefined;
    if (enrolment.expiresAt <= now) {
      delete req.session.totpEnrolment;
      return undefined;
    }
    return this.encryption.decrypt(enrolment.secret, enrolmentAad(me.userId)).toString();
  }
}

/** Replaces the user's recovery codes, in the caller's transaction: only their hashes are written. */
async function replaceRecoveryCodes(m: EntityManager, userId: string, codes: string[], now: Date): Promise<void> {
  await m.query(`DELETE FROM recovery_codes WHERE user_id = $1`, [userId]);
  const hashes = codes.map((code) => hashRecoveryCode(normalizeRecoveryCode(code)!));
  await m.query(`INSERT INTO recovery_codes (code_hash, user_id, created_at) SELECT unnest($1::bytea[]), $2, $3`, [hashes, userId, now]);
}
