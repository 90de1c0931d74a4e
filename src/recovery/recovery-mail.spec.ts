import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/config.schema.js';
import type { MailJob, MailQueue, SecurityChange } from '../mail/mail-queue.js';
import type { MailThrottle } from '../mail/mail-throttle.js';
import { Mailer, type MailMessage } from '../mail/mailer.js';
import type { User } from '../users/user.entity.js';
import type { UsersService } from '../users/users.service.js';
import type { AccountTokensService } from './account-tokens.service.js';
import { RecoveryMail } from './recovery-mail.js';

const TOKEN = 'T'.repeat(43);
const HASH = '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
const ada = { id: 'u1', email: 'ada@example.com', displayName: 'Ada', emailVerifiedAt: null, passwordHash: HASH } as User;
const CHANGED_AT = '2026-03-03T14:05:59.000Z';

/**
 * The worker with in-memory stand-ins for the user store, the token store, the inbox's mail
 * budget and SMTP (or, with `mailer`, the real Mailer's templates in front of a fake transport).
 */
function worker(options: { users?: readonly User[]; smtpFails?: boolean; budget?: number; mailer?: Mailer } = {}) {
  const users = options.users ?? [ada];
  const sent: MailMessage[] = [];
  let budget = options.budget ?? 5;
  const issued: { userId: string; purpose: string; ttlMs: number }[] = [];
  const discarded: string[] = [];
  const config = {
    get: () => ({ linkOrigin: 'https://gate.example', passwordResetTtlMs: 30 * 60_000, emailVerifyTtlMs: 24 * 3_600_000 }),
  } as unknown as ConfigService<AppConfig, true>;
  const mailer = {
    send: async (message: MailMessage) => {
      if (options.smtpFails) throw new Error('connect ECONNREFUSED 127.0.0.1:1025');
      sent.push(message);
    },
  } as unknown as Mailer;
  const usersService = {
    findByEmail: async (email: string) => users.find((u) => u.email === email) ?? null,
    findById: async (id: string) => users.find((u) => u.id === id) ?? null,
  } as unknown as UsersService;
  const tokens = {
    issue: async (userId: string, purpose: string, ttlMs: number) => {
      issued.push({ userId, purpose, ttlMs });
      return TOKEN;
    },
    discard: async (token: string) => {
      discarded.push(token);
    },
  } as unknown as AccountTokensService;
  const throttle = {
    admitMail: async () => budget-- > 0,
    refundMail: async () => {
      budget++;
    },
  } as unknown as MailThrottle;
  const recovery = new RecoveryMail(config, {} as MailQueue, options.mailer ?? mailer, usersService, tokens, throttle);
  const send = (job: MailJob, retryCount = 0) => recovery.send({ job, retryCount, retryLimit: 9 });
  return { send, sent, issued, discarded, budgetLeft: () => budget };
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe('the mail worker', () => {
  it('issues the token at send time and mails the link to PUBLIC_ORIGIN with its lifetime', async () => {
    const w = worker({ users: [{ ...ada, emailVerifiedAt: new Date() } as User] });
    await w.send({ kind: 'password-reset', email: 'ada@example.com' });
    expect(w.issued).toEqual([{ userId: 'u1', purpose: 'password-reset', ttlMs: 30 * 60_000 }]);
    expect(w.sent).toEqual([
      {
        to: 'ada@example.com',
        template: 'password-reset',
        context: { displayName: 'Ada', link: `https://gate.example/reset-password?token=${TOKEN}`, validFor: '30 minutes' },
      },
    ]);
  });

  it.each([
    ['a reset for an email without an account', { users: [] }, { kind: 'password-reset', email: 'nobody@example.com' }],
    [
      'a verification of a confirmed address',
      { users: [{ ...ada, emailVerifiedAt: new Date() } as User] },
      { kind: 'verify-email', userId: 'u1' },
    ],
    ['a verification of a deleted account', { users: [] }, { kind: 'verify-email', userId: 'u1' }],
  ] as const)('sends nothing and issues no token for %s', async (_case, options, job) => {
    const w = worker(options);
    await w.send(job);
    expect([w.issued, w.sent]).toEqual([[], []]);
  });

  it.each([
    [0, 'attempt 1 of 10, will retry'],
    [9, 'attempt 10 of 10, giving up'],
  ])('when SMTP fails (retry %j): discards the token nobody got, logs without it, and fails the attempt', async (retryCount, wording) => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const w = worker({ smtpFails: true });
    await expect(w.send({ kind: 'verify-email', userId: 'u1' }, retryCount)).rejects.toThrow('ECONNREFUSED');
    expect(w.discarded).toEqual([TOKEN]);
    expect(w.budgetLeft()).toBe(5); // nobody received it: the inbox's budget is as it was
    expect(warn).toHaveBeenCalledTimes(1);
    const line = String(warn.mock.calls[0][0]);
    expect(line).toBe(`verify-email mail for user u1 not sent (${wording}): connect ECONNREFUSED 127.0.0.1:1025`);
    expect(line).not.toContain(TOKEN);
  });
});

describe('the inbox budget (docs/security.md, Mail limits)', () => {
  it('sends nothing and issues no token once the inbox had its mails of the hour, whoever asked', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const w = worker({ budget: 1 });
    await w.send({ kind: 'verify-email', userId: 'u1' });
    await w.send({ kind: 'password-reset', email: 'ada@example.com' });
    expect(w.sent.map((mail) => mail.template)).toEqual(['verify-email']);
    expect(w.issued).toHaveLength(1);
    expect(log).toHaveBeenLastCalledWith('password-reset mail for user u1 not sent: the address had its 5 mails of the hour');
  });
});

describe('what a mail carries of the display name (the real templates)', () => {
  // 80 characters someone typed as the display name when registering another person's address.
  const PHISHING = 'Support: your account is locked. Call +1-555-0100 or visit https://evil.example/';
  let mailer: Mailer;
  let rendered: { text: string; html: string }[];

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const config = { get: () => ({ from: 'Gatehouse <no-reply@localhost>', smtpUrl: 'smtp://127.0.0.1:9' }) };
    mailer = new Mailer(config as unknown as ConfigService<AppConfig, true>);
    rendered = [];
    const transport = (mailer as unknown as { transport: { sendMail: (mail: { text: string; html: string }) => Promise<void> } }).transport;
    transport.sendMail = async ({ text, html }) => {
      rendered.push({ text, html });
    };
  });
  afterEach(() => {
    mailer.onApplicationShutdown();
    jest.restoreAllMocks();
  });

  it.each([
    ['the verification mail', { kind: 'verify-email', userId: 'u1' }],
    ['a reset mail', { kind: 'password-reset', email: 'ada@example.com' }],
    ['a security notice', { kind: 'security-notice', userId: 'u1', change: 'password-reset', at: CHANGED_AT }],
  ] as const)('%s to an unconfirmed address greets without it: no word, link or digit of it', async (_case, job) => {
    expect(PHISHING).toHaveLength(80); // the most RegisterDto allows
    const w = worker({ users: [{ ...ada, displayName: PHISHING }], mailer });
    await w.send(job);
    expect(rendered).toHaveLength(1);
    const [{ text, html }] = rendered;
    expect(text.split('\n')[0]).toBe('Hello,');
    expect(html).toContain('<p>Hello,</p>');
    for (const body of [text, html]) {
      for (const piece of ['Support', 'locked', 'Call', '555', '0100', 'evil.example']) expect(body).not.toContain(piece);
      // The only link in it is ours.
      expect(body.match(/https?:\/\/[^\s"<]+/g)?.every((url) => url.startsWith('https://gate.example/'))).toBe(true);
    }
  });

  it("greets a confirmed address's owner by the name they chose", async () => {
    const w = worker({ users: [{ ...ada, emailVerifiedAt: new Date() } as User], mailer });
    await w.send({ kind: 'password-reset', email: 'ada@example.com' });
    expect(rendered[0].text.split('\n')[0]).toBe('Hello Ada,');
    expect(rendered[0].html).toContain('<p>Hello Ada,</p>');
  });
});

describe('security notices (security-notices.ts)', () => {
  const notice = (change: SecurityChange): MailJob => ({ kind: 'security-notice', userId: 'u1', change, at: CHANGED_AT });
  const verified = { ...ada, emailVerifiedAt: new Date() } as User;

  it('mails the owner what changed, when, and where to go, issuing no token', async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const w = worker({ users: [verified] });
    await w.send(notice('password-changed'));
    expect(w.issued).toEqual([]);
    expect(w.sent).toEqual([
      {
        to: 'ada@example.com',
        template: 'security-notice',
        change: 'password-changed',
        context: {
          displayName: 'Ada',
          what: 'The password of your Gatehouse account was changed',
          when: '3 March 2026 at 14:05:59 UTC',
          resetPage: 'https://gate.example/forgot-password',
          securityPage: 'https://gate.example/security',
          sessionsPage: 'https://gate.example/sessions',
        },
      },
    ]);
  });

  it('is sent when the inbox had its mails of the hour, and does not count against them (docs/security.md, Mail limits)', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const w = worker({ users: [verified], budget: 0 });
    await w.send(notice('totp-disabled'));
    expect(w.sent.map((mail) => mail.template)).toEqual(['security-notice']);
    expect(w.budgetLeft()).toBe(0); // never asked for: admitMail would have taken one
    expect(log).toHaveBeenLastCalledWith('totp-disabled notice for user u1 sent');
  });

  it('sends nothing for a deleted account', async () => {
    const w = worker({ users: [] });
    await w.send(notice('password-reset'));
    expect(w.sent).toEqual([]);
  });

  it('when SMTP fails: logs by user id, without the address, and fails the attempt to be retried', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const w = worker({ smtpFails: true });
    await expect(w.send(notice('recovery-codes-created'))).rejects.toThrow('ECONNREFUSED');
    expect(warn.mock.calls).toEqual([
      ['recovery-codes-created notice for user u1 not sent (attempt 1 of 10, will retry): connect ECONNREFUSED 127.0.0.1:1025'],
    ]);
  });

  describe('the real templates', () => {
    let mailer: Mailer;
    let rendered: { subject: string; text: string; html: string }[];

    beforeEach(() => {
      jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
      const config = { get: () => ({ from: 'Gatehouse <no-reply@localhost>', smtpUrl: 'smtp://127.0.0.1:9' }) };
      mailer = new Mailer(config as unknown as ConfigService<AppConfig, true>);
      rendered = [];
      const transport = mailer as unknown as { transport: { sendMail: (mail: (typeof rendered)[number]) => Promise<void> } };
      transport.transport.sendMail = async ({ subject, text, html }) => {
        rendered.push({ subject, text, html });
      };
    });
    afterEach(() => {
      mailer.onApplicationShutdown();
    });

    it.each([
      ['password-changed', 'Your Gatehouse password was changed', 'The password of your Gatehouse account was changed'],
      [
        'password-reset',
        'Your Gatehouse password was reset',
        'The password of your Gatehouse account was reset with a link mailed to this address',
      ],
      [
        'totp-enabled',
        'Two-step sign-in was turned on for your Gatehouse account',
        'Two-step sign-in (a code from an authenticator app) was turned on for your Gatehouse account',
      ],
      [
        'totp-disabled',
        'Two-step sign-in was turned off for your Gatehouse account',
        'Two-step sign-in was turned off for your Gatehouse account',
      ],
      [
        'recovery-codes-created',
        'New recovery codes were created for your Gatehouse account',
        'New recovery codes were created for your Gatehouse account, and the old ones no longer work',
      ],
    ] as const)(
      '%s: "%s", saying what and when (UTC), what to do if it was not them, and nothing secret',
      async (change, subject, what) => {
        const w = worker({ users: [verified], mailer });
        await w.send(notice(change));
        expect(rendered).toHaveLength(1);
        const [mail] = rendered;
        expect(mail.subject).toBe(subject);
        expect(mail.text.split('\n')[0]).toBe('Hello Ada,');
        expect(mail.text).toContain(`${what}, on 3 March 2026 at 14:05:59 UTC.`);
        expect(mail.html).toContain(`<p>${what}, on 3 March 2026 at 14:05:59 UTC.</p>`);
        for (const body of [mail.text, mail.html]) {
          expect(body).toContain('If it was not you');
          // Only pages anyone may open, carrying nothing: no query, no token, no code.
          expect(new Set(body.match(/https?:\/\/[^\s"<]+/g))).toEqual(
            new Set(['https://gate.example/forgot-password', 'https://gate.example/security', 'https://gate.example/sessions']),
          );
          for (const secret of [HASH, TOKEN, 'token', '?']) expect(body).not.toContain(secret);
        }
      },
    );
  });
});

describe('the new-device mail (docs/activity.md)', () => {
  const job: MailJob = { kind: 'new-device', userId: 'u1', device: 'Firefox on Windows', ip: '203.0.113.9', at: CHANGED_AT };
  const verified = { ...ada, emailVerifiedAt: new Date() } as User;

  it('mails the owner the device, the address, the time and the pages that secure the account; no token, not counted', async () => {
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const w = worker({ users: [verified], budget: 0 });
    await w.send(job);
    expect(w.issued).toEqual([]);
    expect(w.budgetLeft()).toBe(0); // sent though the inbox had its mails of the hour, and not counted
    expect(w.sent).toEqual([
      {
        to: 'ada@example.com',
        template: 'new-device',
        context: {
          displayName: 'Ada',
          device: 'Firefox on Windows',
          ip: '203.0.113.9',
          when: '3 March 2026 at 14:05:59 UTC',
          passwordPage: 'https://gate.example/password',
          resetPage: 'https://gate.example/forgot-password',
          sessionsPage: 'https://gate.example/sessions',
          activityPage: 'https://gate.example/activity',
        },
      },
    ]);
    expect(log).toHaveBeenLastCalledWith('new-device mail for user u1 sent');
  });

  it('the real templates: "A new sign-in to your Gatehouse account", what to do, and nothing secret', async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    const config = { get: () => ({ from: 'Gatehouse <no-reply@localhost>', smtpUrl: 'smtp://127.0.0.1:9' }) };
    const mailer = new Mailer(config as unknown as ConfigService<AppConfig, true>);
    const rendered: { subject: string; text: string; html: string }[] = [];
    (mailer as unknown as { transport: { sendMail: (mail: (typeof rendered)[number]) => Promise<void> } }).transport.sendMail = async (
      mail,
    ) => {
      rendered.push(mail);
    };
    await worker({ users: [verified], mailer }).send(job);
    mailer.onApplicationShutdown();
    const [mail] = rendered;
    expect(mail.subject).toBe('A new sign-in to your Gatehouse account');
    for (const body of [mail.text, mail.html]) {
      for (const shown of [
        'Firefox on Windows',
        '203.0.113.9',
        '3 March 2026 at 14:05:59 UTC',
        'If it was not you',
        'Change your password now',
      ]) {
        expect(body).toContain(shown);
      }
      expect(new Set(body.match(/https?:\/\/[^\s"<]+/g))).toEqual(
        new Set([
          'https://gate.example/password',
          'https://gate.example/forgot-password',
          'https://gate.example/sessions',
          'https://gate.example/activity',
        ]),
      );
      for (const secret of [HASH, TOKEN, 'token', '?']) expect(body).not.toContain(secret);
    }
  });

  it('sends nothing for a deleted account', async () => {
    const w = worker({ users: [] });
    await w.send(job);
    expect(w.sent).toEqual([]);
  });
});
