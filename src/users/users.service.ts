import { ConflictException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, QueryFailedError, Repository } from 'typeorm';
import { normalizeEmail } from './email.js';
import { User } from './user.entity.js';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** Emails are compared normalised: the column holds only that form (see the migration). */
  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: normalizeEmail(email) });
  }

  /** When the user's password last changed, epoch ms; null when there is no such user. */
  async passwordChangedAt(id: string): Promise<number | null> {
    const user = await this.users.findOne({ where: { id }, select: { id: true, passwordChangedAt: true } });
    return user?.passwordChangedAt.getTime() ?? null;
  }

  async create(input: { email: string; passwordHash: string; displayName: string }): Promise<User> {
    try {
      // One INSERT is atomic by itself. TypeORM's default transaction around it would add a BEGIN
      // and, on failure, a ROLLBACK: against a Postgres that stopped answering, that is two query
      // timeouts (data-source.ts) before the 503 instead of one.
      return await this.users.save(
        // passwordChangedAt from here, not the column default: the session stamps it as read
        // back (ms precision), and Postgres' now() has microseconds.
        this.users.create({ ...input, email: normalizeEmail(input.email), lastLoginAt: new Date(), passwordChangedAt: new Date() }),
        { transaction: false },
      );
    } catch (error) {
      // The unique index decides, not a prior SELECT: two concurrent sign-ups cannot both win.
      if (error instanceof QueryFailedError && (error.driverError as { code?: string }).code === UNIQUE_VIOLATION) {
        throw new ConflictException('Email is already registered');
      }
      throw error;
    }
  }

  async remove(id: string): Promise<void> {
    await this.users.delete({ id });
  }

  async recordLogin(user: User): Promise<User> {
    user.lastLoginAt = new Date();
    await this.users.update({ id: user.id }, { lastLoginAt: user.lastLoginAt });
    return user;
  }

  /**
   * Writes the one column: a rename racing a password change can never write back a stale hash,
   * as `save()` of an entity loaded earlier would (it writes every column that differs).
   */
  async updateDisplayName(id: string, displayName: string): Promise<User | null> {
    await this.users.update({ id }, { displayName });
    return this.findById(id);
  }

  /**
   * Compare-and-swap: the hash changes only if it is still the one the current password was
   * verified against. Of two concurrent changes, one wins; the other matches no row and is
   * refused. Returns the new password change time, or null when nothing was written. In the
   * caller's transaction (profile/profile.service.ts), which records the change with it.
   */
  async replacePasswordHash(m: EntityManager, id: string, verifiedHash: string, newHash: string): Promise<Date | null> {
    const changedAt = new Date();
    const result = await m.update(User, { id, passwordHash: verifiedHash }, { passwordHash: newHash, passwordChangedAt: changedAt });
    return result.affected === 1 ? changedAt : null;
  }

  /** The password write of a reset, in the reset's transaction (recovery/password-reset.service.ts). */
  async setPasswordHash(m: EntityManager, id: string, passwordHash: string, now: Date): Promise<void> {
    await m.update(User, { id }, { passwordHash, passwordChangedAt: now });
  }

  /** Sets email_verified_at once: a later link does not move the date. */
  async markEmailVerified(m: EntityManager, id: string, now: Date): Promise<void> {
    await m.update(User, { id, emailVerifiedAt: IsNull() }, { emailVerifiedAt: now });
  }
}
