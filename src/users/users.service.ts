import { ConflictException, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, IsNull, QueryFailedError, Repository } from 'typeorm';
import { User } from './user.entity.js';

const UNIQUE_VIOLATION = '23505';

@Injectable()
export class UsersService {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  findById(id: string): Promise<User | null> {
    return this.users.findOneBy({ id });
  }

  /** Emails are compared lower-cased: the column holds only lower-case (see the migration). */
  findByEmail(email: string): Promise<User | null> {
    return this.users.findOneBy({ email: email.toLowerCase() });
  }

  async create(input: { email: string; passwordHash: string; displayName: string }): Promise<User> {
    try {
      // One INSERT is atomic by itself. TypeORM's default transaction around it would add a BEGIN
      // and, on failure, a ROLLBACK: against a Postgres that stopped answering, that is two query
      // timeouts (data-source.ts) before the 503 instead of one.
      return await this.users.save(
        this.users.create({ ...input, email: input.email.toLowerCase(), lastLoginAt: new Date() }),
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
   * Writes the display name alone: a full save() would write back every column as loaded, so a
   * rename racing a password reset or a verification could restore the old hash or unverify.
   */
  async updateDisplayName(user: User, displayName: string): Promise<User> {
    user.displayName = displayName;
    await this.users.update({ id: user.id }, { displayName });
    return user;
  }

  async updatePasswordHash(user: User, passwordHash: string): Promise<User> {
    user.passwordHash = passwordHash;
    user.passwordChangedAt = new Date();
    return this.users.save(user);
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
