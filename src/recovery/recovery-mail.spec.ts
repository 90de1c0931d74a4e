import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/config.schema.js';
import type { MailJob, MailQueue } from '../mail/mail-queue.js';
import type { MailThrottle } from '../mail/mail-throttle.js';
import type { Mailer, MailMessage } from '../mail/mailer.js';
import type { User } from '../users/user.entity.js';
import type { UsersService } from '../users/users.service.js';
import type { AccountTokensService } from './account-tokens.service.js';
import { RecoveryMail } from './recovery-mail.js';

const TOKEN = 'T'.repeat(43);
const ada = { id: 'u1', email: 'ada@example.com', displayName: 'Ada', emailVerifiedAt: null } as User;

/** The worker with in-memory stand-ins for the user store, the token store, the inbox's mail budget and SMTP. */
function worker(options: { users?: readonly User[]; smtpFails?: boolean; budget?: number } = {}) {
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
  const recovery = new RecoveryMail(config, {} as MailQueue, mailer, usersService, tokens, throttle);
  const send = (job: MailJob, retryCount = 0) => recovery.send({ job, retryCount, retryLimit: 9 });
  return { send, sent, issued, discarded, budgetLeft: () => budget };
}

afterEach(() => {
  jest.restoreAllMocks();
});

describe('the mail worker', () => {
  it('issues the token at send time and mails the link to PUBLIC_ORIGIN with its lifetime', async () => {
    const w = worker();
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

describe('the inbox budget (README, Account recovery)', () => {
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
