import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig, MailConfig } from '../config/config.schema.js';
import { formatDuration } from '../config/duration.js';
import { type MailAttempt, MailQueue } from '../mail/mail-queue.js';
import { MAILS_PER_EMAIL, MailThrottle } from '../mail/mail-throttle.js';
import { Mailer } from '../mail/mailer.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { TokenPurpose } from './account-token.js';
import { AccountTokensService } from './account-tokens.service.js';

const LINKS: Record<TokenPurpose, { path: string; ttl: (mail: MailConfig) => number }> = {
  'password-reset': { path: '/reset-password', ttl: (mail) => mail.passwordResetTtlMs },
  'verify-email': { path: '/verify-email', ttl: (mail) => mail.emailVerifyTtlMs },
};

/**
 * The mail worker: turns a queued job into a token and a mail. The token is issued here, at send
 * time, so the queue never holds a usable link and the link's lifetime starts when it is sent.
 * Nothing logged here contains a token or a link.
 */
@Injectable()
export class RecoveryMail implements OnApplicationBootstrap {
  private readonly logger = new Logger('RecoveryMail');
  private readonly mail: MailConfig;

  constructor(
    config: ConfigService<AppConfig, true>,
    private readonly queue: MailQueue,
    private readonly mailer: Mailer,
    private readonly users: UsersService,
    private readonly tokens: AccountTokensService,
    private readonly throttle: MailThrottle,
  ) {
    this.mail = config.get('mail', { infer: true });
  }

  onApplicationBootstrap(): void {
    this.queue.work((attempt) => this.send(attempt));
  }

  async send({ job, retryCount, retryLimit }: MailAttempt): Promise<void> {
    if (job.kind === 'security-notice') return; // not sent yet: the notice mail is being written
    const user = job.kind === 'password-reset' ? await this.users.findByEmail(job.email) : await this.users.findById(job.userId);
    // No account (the requester was told the same either way), or nothing left to confirm.
    if (!user || (job.kind === 'verify-email' && user.emailVerifiedAt)) return;
    const link = LINKS[job.kind];
    const ttlMs = link.ttl(this.mail);
    let counted = false;
    let token: string | undefined;
    try {
      // Every mail to an inbox counts, whoever asked for it (docs/security.md, Mail limits).
      if (!(await this.throttle.admitMail(user.email))) {
        this.logger.log(`${job.kind} mail for user ${user.id} not sent: the address had its ${MAILS_PER_EMAIL} mails of the hour`);
        return;
      }
      counted = true;
      token = await this.tokens.issue(user.id, job.kind, ttlMs);
      await this.mailer.send({
        to: user.email,
        template: job.kind,
        context: {
          displayName: greetingName(user),
          link: `${this.mail.linkOrigin}${link.path}?token=${token}`,
          validFor: formatDuration(ttlMs),
        },
      });
    } catch (error) {
      // Nobody received it: neither the link nor the mail counts.
      if (token) await this.tokens.discard(token).catch(() => undefined);
      if (counted) await this.throttle.refundMail(user.email).catch(() => undefined);
      const next = retryCount < retryLimit ? 'will retry' : 'giving up';
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.warn(
        `${job.kind} mail for user ${user.id} not sent (attempt ${retryCount + 1} of ${retryLimit + 1}, ${next}): ${reason}`,
      );
      throw error;
    }
    this.logger.log(`${job.kind} mail for user ${user.id} sent`);
  }
}

/**
 * The name a mail greets with: the display name only once the address is confirmed. Until then
 * whoever registered chose it, perhaps not the inbox's owner, and 80 characters of it at the top
 * of a mail from us would read as our own words ("your account is locked, call ..."). So a mail
 * to an unconfirmed address carries no text of the registrant's at all.
 */
function greetingName(user: User): string {
  return user.emailVerifiedAt ? user.displayName : '';
}
