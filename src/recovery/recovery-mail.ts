import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig, MailConfig } from '../config/config.schema.js';
import { formatDuration } from '../config/duration.js';
import { type MailAttempt, type MailJob, MailQueue } from '../mail/mail-queue.js';
import { MAILS_PER_EMAIL, MailThrottle } from '../mail/mail-throttle.js';
import { Mailer, NOTICES } from '../mail/mailer.js';
import type { User } from '../users/user.entity.js';
import { UsersService } from '../users/users.service.js';
import type { TokenPurpose } from './account-token.js';
import { AccountTokensService } from './account-tokens.service.js';

const LINKS: Record<TokenPurpose, { path: string; ttl: (mail: MailConfig) => number }> = {
  'password-reset': { path: '/reset-password', ttl: (mail) => mail.passwordResetTtlMs },
  'verify-email': { path: '/verify-email', ttl: (mail) => mail.emailVerifyTtlMs },
};

/** "3 March 2026 at 14:05:59 UTC": one zone, named, so that the time reads the same anywhere. */
const UTC_TIME = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'long', timeZone: 'UTC' });

/**
 * The mail worker: turns a queued job into a token and a mail, or into a security notice (which
 * carries no token). The token is issued here, at send time, so the queue never holds a usable
 * link and the link's lifetime starts when it is sent. Nothing logged here contains a token, a
 * link or an address.
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

  async send(attempt: MailAttempt): Promise<void> {
    const { job } = attempt;
    if (job.kind === 'security-notice') return this.sendNotice(job, attempt);
    if (job.kind === 'new-device') return this.sendNewDevice(job, attempt);
    const user = job.kind === 'password-reset' ? await this.users.findByEmail(job.email) : await this.users.findById(job.userId);
    // No account (the requester was told the same either way), or nothing left to confirm.
    if (!user || (job.kind === 'verify-email' && user.emailVerifiedAt)) return;
    const link = LINKS[job.kind];
    const ttlMs = link.ttl(this.mail);
    let counted = false;
    let token: string | undefined;
    try {
      // Every mail with a link counts, whoever asked for it (docs/security.md, Mail limits); a notice does not (sendNotice).
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
      this.warnNotSent(`${job.kind} mail for user ${user.id}`, attempt, error);
      throw error;
    }
    this.logger.log(`${job.kind} mail for user ${user.id} sent`);
  }

  /**
   * Tells the owner that how the account signs in changed (security-notices.ts): what, when, and
   * what to do if it was not them. It names only pages anyone can open; no token, code or secret.
   *
   * Not counted against the inbox's mail budget (MailThrottle.admitMail), and so never dropped past
   * it: anyone may have an inbox sent its hour's mails (reset requests need only the address), and
   * would do so right before changing the password or turning two-step sign-in off, so that the
   * owner hears nothing. Nor can notices flood an inbox: each follows a change that only someone
   * holding the password, a session in sudo mode or a mailed reset link can make.
   */
  private async sendNotice(job: Extract<MailJob, { kind: 'security-notice' }>, attempt: MailAttempt): Promise<void> {
    const user = await this.users.findById(job.userId);
    if (!user) return; // the account is gone: nobody to tell
    const origin = this.mail.linkOrigin;
    try {
      await this.mailer.send({
        to: user.email,
        template: 'security-notice',
        change: job.change,
        context: {
          displayName: greetingName(user),
          what: NOTICES[job.change].what,
          when: UTC_TIME.format(new Date(job.at)),
          resetPage: `${origin}/forgot-password`,
          securityPage: `${origin}/security`,
          sessionsPage: `${origin}/sessions`,
        },
      });
    } catch (error) {
      this.warnNotSent(`${job.change} notice for user ${user.id}`, attempt, error);
      throw error;
    }
    this.logger.log(`${job.change} notice for user ${user.id} sent`);
  }

  /**
   * Tells the owner of a sign-in from a device or network not seen in 90 days (docs/activity.md):
   * the device's name (only names from bowser's lists, never words of the request's), the address
   * and the time, and what to do if it was not them. Not counted against the inbox's mail budget,
   * for the reason notices are not (sendNotice); SecurityEvents sends at most one per user per few
   * minutes, and only after a sign-in, which needs the password or a passkey.
   */
  private async sendNewDevice(job: Extract<MailJob, { kind: 'new-device' }>, attempt: MailAttempt): Promise<void> {
    const user = await this.users.findById(job.userId);
    if (!user) return;
    const origin = this.mail.linkOrigin;
    try {
      await this.mailer.send({
        to: user.email,
        template: 'new-device',
        context: {
          displayName: greetingName(user),
          device: job.device ?? 'unknown',
          ip: job.ip ?? 'unknown',
          when: UTC_TIME.format(new Date(job.at)),
          passwordPage: `${origin}/password`,
          resetPage: `${origin}/forgot-password`,
          sessionsPage: `${origin}/sessions`,
          activityPage: `${origin}/activity`,
        },
      });
    } catch (error) {
      this.warnNotSent(`new-device mail for user ${user.id}`, attempt, error);
      throw error;
    }
    this.logger.log(`new-device mail for user ${user.id} sent`);
  }

  private warnNotSent(what: string, { retryCount, retryLimit }: MailAttempt, error: unknown): void {
    const next = retryCount < retryLimit ? 'will retry' : 'giving up';
    const reason = error instanceof Error ? error.message : String(error);
    this.logger.warn(`${what} not sent (attempt ${retryCount + 1} of ${retryLimit + 1}, ${next}): ${reason}`);
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
