import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { expiry, hashToken, isUsable, newToken, type TokenPurpose } from './account-token.js';

/**
 * Storage of reset and verification tokens (table account_tokens, by SHA-256 only). The rules of
 * what a stored token is worth are in account-token.ts.
 */
@Injectable()
export class AccountTokensService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A new token for the user; the raw token goes into the mail and is never stored. */
  async issue(userId: string, purpose: TokenPurpose, ttlMs: number, now = new Date()): Promise<string> {
    const { token, hash } = newToken();
    // The user's expired tokens go on the way: the table holds only what could still be used.
    await this.db.query(`DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND expires_at <= $3`, [userId, purpose, now]);
    await this.db.query(`INSERT INTO account_tokens (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`, [
      hash,
      userId,
      purpose,
      now,
      expiry(now, ttlMs),
    ]);
    return token;
  }

  /** Removes a token whose mail could not be sent: nobody holds it. */
  async discard(token: string): Promise<void> {
    await this.db.query(`DELETE FROM account_tokens WHERE token_hash = $1`, [hashToken(token)]);
  }

  /**
   * Deletes the token and returns its user's id when it still counted (account-token.ts), else
   * undefined. Found or not, a presented token is spent: single use, also when two requests race,
   * as only one DELETE can return the row. In the caller's transaction, which also holds the
   * user's row locked from here on, so no password change can slip in between this check and the
   * caller's writes.
   */
  async spend(m: EntityManager, token: string, purpose: TokenPurpose, now = new Date()): Promise<string | undefined> {
    const [deleted] = (await m.query(
      `DELETE FROM account_tokens WHERE token_hash = $1 AND purpose = $2 RETURNING user_id, created_at, expires_at`,
      [hashToken(token), purpose],
    )) as [{ user_id: string; created_at: Date; expires_at: Date }[], number];
    const row = deleted[0];
    if (!row) return undefined;
    const [user] = (await m.query(`SELECT password_changed_at FROM users WHERE id = $1 FOR UPDATE`, [row.user_id])) as {
      password_changed_at: Date;
    }[];
    const issued = { createdAt: row.created_at, expiresAt: row.expires_at };
    return user && isUsable(issued, user.password_changed_at, now) ? row.user_id : undefined;
  }

  /**
   * The account a token would open now, without spending it: the reset page names it, and a
   * request that presents a bogus token is answered before it costs a password hash. spend()
   * still decides, in the transaction.
   */
  async owner(token: string, purpose: TokenPurpose, now = new Date()): Promise<{ userId: string; email: string } | undefined> {
    const [row] = (await this.db.query(
      `SELECT t.user_id, t.created_at, t.expires_at, u.email, u.password_changed_at
         FROM account_tokens t JOIN users u ON u.id = t.user_id
        WHERE t.token_hash = $1 AND t.purpose = $2`,
      [hashToken(token), purpose],
    )) as { user_id: string; created_at: Date; expires_at: Date; email: string; password_changed_at: Date }[];
    if (!row || !isUsable({ createdAt: row.created_at, expiresAt: row.expires_at }, row.password_changed_at, now)) return undefined;
    return { userId: row.user_id, email: row.email };
  }

  /** Every outstanding token of the user for this purpose is spent (a successful reset, a verification). */
  async spendAll(m: EntityManager, userId: string, purpose: TokenPurpose): Promise<void> {
    await m.query(`DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2`, [userId, purpose]);
  }

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }
}
