import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/config.schema.js';
import { MAIL_CHECK_MAX_AGE_MS, Mailer } from './mailer.js';

describe('Mailer.check (for /readyz)', () => {
  let mailer: Mailer;
  let verify: jest.Mock<() => Promise<true>>;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000, doNotFake: ['setTimeout', 'clearTimeout'] });
    const config = { get: () => ({ from: 'Gatehouse <noreply@example.com>', smtpUrl: 'smtp://127.0.0.1:9' }) };
    mailer = new Mailer(config as unknown as ConfigService<AppConfig, true>);
    // The SMTP connection each check would open.
    verify = jest.fn(() => Promise.resolve(true as const));
    (mailer as unknown as { transport: { verify: typeof verify } }).transport.verify = verify;
  });
  afterEach(() => {
    mailer.onApplicationShutdown();
    jest.useRealTimers();
  });

  it('opens one connection per MAIL_CHECK_MAX_AGE_MS, whatever the request rate', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, () => mailer.check()));
    expect(answers).toEqual(Array(30).fill(true));
    expect(verify).toHaveBeenCalledTimes(1);

    jest.setSystemTime(Date.now() + MAIL_CHECK_MAX_AGE_MS - 1);
    expect(await mailer.check()).toBe(true);
    expect(verify).toHaveBeenCalledTimes(1);

    jest.setSystemTime(Date.now() + 1);
    expect(await mailer.check()).toBe(true);
    expect(verify).toHaveBeenCalledTimes(2);
  });

  it('reports a mail server that went away once the last result is older than that', async () => {
    expect(await mailer.check()).toBe(true);
    verify.mockImplementation(() => Promise.reject(new Error('ECONNREFUSED')));
    expect(await mailer.check()).toBe(true);
    jest.setSystemTime(Date.now() + MAIL_CHECK_MAX_AGE_MS);
    expect(await mailer.check()).toBe(false);
  });
});
