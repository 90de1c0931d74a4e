import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import hbs from 'hbs';
import nodemailer, { type Transporter } from 'nodemailer';
import { VIEWS_DIR } from '../common/views-dir.js';
import type { AppConfig } from '../config/config.schema.js';
import type { SecurityChange } from './mail-queue.js';

/** The mails the app sends; each has `<name>.text.hbs` and `<name>.html.hbs` in src/views/mail. */
export type MailTemplate = 'password-reset' | 'verify-email' | 'security-notice' | 'new-device';

const SUBJECTS: Record<Exclude<MailTemplate, 'security-notice'>, string> = {
  'password-reset': 'Reset your Gatehouse password',
  'verify-email': 'Confirm your email address for Gatehouse',
  'new-device': 'A new sign-in to your Gatehouse account',
};

/**
 * A security notice's subject and the sentence that opens it, per change: the subject alone says
 * what happened, so an owner who did not do it notices without opening the mail.
 */
export const NOTICES: Record<SecurityChange, { subject: string; what: string }> = {
  'password-changed': {
    subject: 'Your Gatehouse password was changed',
    what: 'The password of your Gatehouse account was changed',
  },
  'password-reset': {
    subject: 'Your Gatehouse password was reset',
    what: 'The password of your Gatehouse account was reset with a link mailed to this address',
  },
  'totp-enabled': {
    subject: 'Two-step sign-in was turned on for your Gatehouse account',
    what: 'Two-step sign-in (a code from an authenticator app) was turned on for your Gatehouse account',
  },
  'totp-disabled': {
    subject: 'Two-step sign-in was turned off for your Gatehouse account',
    what: 'Two-step sign-in was turned off for your Gatehouse account',
  },
  'recovery-codes-created': {
    subject: 'New recovery codes were created for your Gatehouse account',
    what: 'New recovery codes were created for your Gatehouse account, and the old ones no longer work',
  },
  'passkey-added': {
    subject: 'A passkey was added to your Gatehouse account',
    what: 'A passkey was added to your Gatehouse account: it signs in without the password',
  },
  'passkey-removed': {
    subject: 'A passkey was removed from your Gatehouse account',
    what: 'A passkey was removed from your Gatehouse account',
  },
};

const TEMPLATES: readonly MailTemplate[] = ['password-reset', 'verify-email', 'security-notice', 'new-device'];

const CHECK_TIMEOUT_MS = 1_500;
/**
 * How old a result /readyz may report: it opens at most one SMTP connection (with AUTH, when
 * configured) per this long, whatever the request rate, as mail providers throttle connections.
 */
export const MAIL_CHECK_MAX_AGE_MS = 5_000;

export type MailMessage = {
  to: string;
  /**
   * What the templates show: `displayName` (empty: a greeting without a name), and `link`,
   * `validFor` for a link mail, or the notice's `what`, `when` and the pages it points to, or the
   * new sign-in's `device`, `ip`, `when` and the pages that secure the account.
   */
  context: Record<string, string>;
} & ({ template: Exclude<MailTemplate, 'security-notice'> } | { template: 'security-notice'; change: SecurityChange });

/**
 * nodemailer over SMTP_URL, with text and HTML bodies from the templates beside the pages'. Only
 * the mail worker calls send() (recovery-mail.ts): a request never waits for SMTP.
 */
@Injectable()
export class Mailer implements OnApplicationShutdown {
  private readonly transport: Transporter;
  private readonly from: string;
  private readonly templates = new Map<string, (context: object) => string>();
  /** The last check, by when it started; callers within MAIL_CHECK_MAX_AGE_MS share it, in flight or done. */
  private lastCheck: { startedAt: number; up: Promise<boolean> } | undefined;

  constructor(config: ConfigService<AppConfig, true>) {
    const mail = config.get('mail', { infer: true });
    this.from = mail.from;
    // Bounded waits: a mail server that accepts connections but never answers fails the attempt
    // (and the job retries) rather than holding a worker; /readyz answers within 2 s.
    this.transport = nodemailer.createTransport({
      url: mail.smtpUrl,
      connectionTimeout: 1_500,
      greetingTimeout: 1_500,
      socketTimeout: 10_000,
    });
    const handlebars = hbs.create().handlebars; // its own instance: no page helpers or partials
    for (const name of TEMPLATES) {
      for (const kind of ['text', 'html']) {
        const source = readFileSync(path.join(VIEWS_DIR, 'mail', `${name}.${kind}.hbs`), 'utf8');
        // A text body is not HTML: nothing in it may be entity-escaped.
        this.templates.set(`${name}.${kind}`, handlebars.compile(source, { noEscape: kind === 'text', strict: true }));
      }
    }
  }

  async send(message: MailMessage): Promise<void> {
    const render = (kind: string) => this.templates.get(`${message.template}.${kind}`)!(message.context);
    await this.transport.sendMail({
      from: this.from,
      to: message.to,
      subject: message.template === 'security-notice' ? NOTICES[message.change].subject : SUBJECTS[message.template],
      text: render('text'),
      html: render('html'),
    });
  }

  /**
   * Whether the mail server answered (connect, greeting, EHLO, login if any) within 1.5 s, at most
   * MAIL_CHECK_MAX_AGE_MS ago: for /readyz.
   */
  check(): Promise<boolean> {
    const now = Date.now();
    if (this.lastCheck && now - this.lastCheck.startedAt < MAIL_CHECK_MAX_AGE_MS) return this.lastCheck.up;
    const verified = this.transport.verify().then(
      () => true,
      () => false,
    );
    const up = Promise.race([verified, sleep(CHECK_TIMEOUT_MS, false, { ref: false })]);
    this.lastCheck = { startedAt: now, up };
    return up;
  }

  onApplicationShutdown(): void {
    this.transport.close();
  }
}
