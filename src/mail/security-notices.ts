import { Injectable, Logger } from '@nestjs/common';
import { MailQueue, type SecurityChange } from './mail-queue.js';

/**
 * Tells an account's owner by mail that how it signs in changed (a password change or reset, two-step
 * sign-in turned on or off, new recovery codes, a passkey added or removed), so that a change the owner did not make is
 * noticed. The mail names the change and what to do, never a secret (README, Two-step sign-in).
 */
@Injectable()
export class SecurityNotices {
  private readonly logger = new Logger('SecurityNotices');

  constructor(private readonly queue: MailQueue) {}

  /**
   * Queues the notice, after the change was committed. Best effort: the change stands when the
   * queue cannot take the mail (Postgres failing just after the commit); that is logged.
   */
  async notify(userId: string, change: SecurityChange): Promise<void> {
    try {
      await this.queue.enqueue({ kind: 'security-notice', userId, change, at: new Date().toISOString() });
    } catch (error) {
      this.logger.warn(`${change} notice for user ${userId} not queued: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}
