import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { MAIL_REQUESTS_PER_ADDRESS, MAIL_WINDOW_SECONDS, MAILS_PER_EMAIL } from '../../src/mail/mail-throttle.js';
import { MAIL_CHECK_MAX_AGE_MS } from '../../src/mail/mailer.js';
import { Client, newUser, type NewUser } from '../../tools/client/client.js';
import { request, type Response } from '../../tools/client/http.js';
import { eventually } from '../support/eventually.js';
import {
  inbox,
  linkIn,
  type Mail,
  PASSWORD_CHANGED_SUBJECT,
  PASSWORD_RESET_NOTICE_SUBJECT,
  RESET_SUBJECT,
  tokenOf,
  VERIFY_SUBJECT,
  waitForMails,
} from '../support/mail.js';
import { pacer } from '../../tools/client/pace.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

/**
 * Account recovery (docs/security.md), end to end: requests through nginx, mail through a real SMTP server
 * (MailDev), links read from its inbox API and followed. Short link lifetimes, so that expiry is
 * seen without waiting half an hour.
 */
const TTL_SECONDS = 5;
const RESET_REQUESTED = { message: 'If that email is registered, a reset link is on its way' };
const INVALID_RESET = { statusCode: 400, error: 'Bad Request', message: 'Invalid or expired reset link' };
const INVALID_VERIFY = { statusCode: 400, error: 'Bad Request', message: 'Invalid or expired verification link' };
const SESSION_EXPIRED = { statusCode: 401, error: 'Unauthorized', message: 'Session expired' };
const NEW_PASSWORD = 'a completely new passphrase';

let target: Target;
/** Every token any test received: none may appear in any log of the stack. */
const tokensSeen: string[] = [];

beforeAll(async () => {
  target = await startTarget({ PASSWORD_RESET_TTL: `${TTL_SECONDS}s`, EMAIL_VERIFY_TTL: `${TTL_SECONDS}s` });
});
afterAll(async () => {
  await stopTarget(target);
});

/** nginx limits these POSTs per address (10/s): every one in this file waits its turn. */
const pace = pacer();
async function post(client: Client, path: string, body?: unknown): Promise<Response> {
  await pace();
  return client.post(path, body);
}

/**
 * An anonymous POST from another loopback address: the mail limits count per client address, so
 * tests that make many requests each use their own.
 */
async function postFrom(localAddress: string, path: string, body: unknown): Promise<Response> {
  await pace();
  return request(target.baseUrl, {
    method: 'POST',
    path,
    body,
    ca: target.ca,
    localAddress,
    headers: { origin: target.baseUrl },
  });
}

let registrations = 0;
/**
 * Registers a new user, each from a loopback address of its own: only the first few registrations
 * an hour from one address get their verification mail (docs/security.md, Mail limits).
 */
async function register(overrides: Partial<NewUser> = {}): Promise<{ client: Client; user: NewUser; id: string }> {
  const client = new Client(target, undefined, `127.0.2.${++registrations}`);
  const user = newUser(overrides);
  const res = await post(client, '/api/auth/register', user);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.body}`);
  return { client, user, id: res.json<{ id: string }>().id };
}

async function login(client: Client, email: string, password: string): Promise<Response> {
  return post(client, '/api/auth/login', { email, password });
}

/** Asks for a reset link (202 and the fixed body) and returns the token from the nth mail to `email`. */
async function requestReset(email: string, nth = 1): Promise<string> {
  const res = await post(new Client(target), '/api/auth/password-reset', { email });
  expect([res.status, res.json()]).toEqual([202, RESET_REQUESTED]);
  return resetToken(email, nth);
}

async function resetToken(email: string, nth = 1): Promise<string> {
  const mails = await waitForMails(target.stack!.mailUrl, email, RESET_SUBJECT, nth);
  const token = tokenOf(linkIn(mails[nth - 1], target.baseUrl, '/reset-password'));
  tokensSeen.push(token);
  return token;
}

async function verifyToken(email: string, nth = 1): Promise<string> {
  const mails = await waitForMails(target.stack!.mailUrl, email, VERIFY_SUBJECT, nth);
  const token = tokenOf(linkIn(mails[nth - 1], target.baseUrl, '/verify-email'));
  tokensSeen.push(token);
  return token;
}

function confirm(token: string, newPassword = NEW_PASSWORD): Promise<Response> {
  return post(new Client(target), '/api/auth/password-reset/confirm', { token, newPassword });
}

/** Waits until a link issued now has certainly expired. */
function outliveTtl(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 + 500));
}

describeNative('password reset', () => {
  it('mails a link to PUBLIC_ORIGIN/reset-password; the GET shows a form and spends nothing; the link works once', async () => {
    const { user } = await register();
    const token = await requestReset(user.email);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits
    const mail = (await waitForMails(target.stack!.mailUrl, user.email, RESET_SUBJECT))[0];
    expect(mail.from).toEqual([{ address: 'no-reply@localhost', name: 'Gatehouse' }]);

    // A mail scanner or link preview opening the link spends nothing.
    const page = await new Client(target).get(`/reset-password?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`name="token" value="${token}"`);
    expect(page.headers['referrer-policy']).toBe('origin');

    expect((await confirm(token)).status).toBe(204);
    expect([(await confirm(token)).status, (await confirm(token)).json()]).toEqual([400, INVALID_RESET]);
    expect((await login(new Client(target), user.email, user.password)).status).toBe(401);
    expect((await login(new Client(target), user.email, NEW_PASSWORD)).status).toBe(200);
  });

  it('the page names the account, masked; completed in a browser signed in to another account, it signs that browser in nowhere', async () => {
    // An attacker asks for a link to their own account and gets a signed-in victim to complete it.
    const attacker = await register();
    const token = await requestReset(attacker.user.email);
    const { client: victim } = await register();

    const page = await victim.get(`/reset-password?token=${token}`);
    const [name, domain] = attacker.user.email.split('@');
    expect(page.body).toContain(`<strong class="account">${name[0]}••@${domain}</strong>`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
    const form = new URLSearchParams({ _csrf: csrf, token, newPassword: NEW_PASSWORD }).toString();
    const done = await victim.post('/reset-password', form, { 'content-type': 'application/x-www-form-urlencoded' });
    expect([done.status, done.headers.location]).toEqual([303, '/login?notice=password-reset']);
    expect((await victim.get('/api/profile')).status).toBe(401); // signed in nowhere: not the attacker's account, nor its own
    expect((await login(new Client(target), attacker.user.email, NEW_PASSWORD)).status).toBe(200);

    // A link that would not work names no account.
    expect((await new Client(target).get(`/reset-password?token=${token}`)).body).not.toContain('class="account"');
  });

  it('revokes every session of the user: another signed-in device gets 401 "Session expired"', async () => {
    const { client: laptop, user } = await register();
    const phone = new Client(target);
    expect((await login(phone, user.email, user.password)).status).toBe(200);
    expect((await phone.get('/api/sessions')).json<unknown[]>()).toHaveLength(2);

    expect((await confirm(await requestReset(user.email))).status).toBe(204);
    for (const device of [laptop, phone]) {
      const res = await device.get('/api/profile');
      expect([res.status, res.json()]).toEqual([401, SESSION_EXPIRED]);
    }
    const fresh = new Client(target);
    expect((await login(fresh, user.email, NEW_PASSWORD)).status).toBe(200);
    expect((await fresh.get('/api/sessions')).json<unknown[]>()).toHaveLength(1);
  });

  it('refuses an expired link and leaves the password as it was', async () => {
    const { user } = await register();
    const token = await requestReset(user.email);
    await outliveTtl();
    const res = await confirm(token);
    expect([res.status, res.json()]).toEqual([400, INVALID_RESET]);
    expect((await login(new Client(target), user.email, user.password)).status).toBe(200);
  });

  it('refuses a link issued before the password was changed', async () => {
    const { client, user } = await register();
    const token = await requestReset(user.email);
    const received = Date.now();
    const change = await client.put('/api/profile/password', {
      currentPassword: user.password,
      newPassword: 'changed it myself meanwhile',
    });
    expect(change.status).toBe(204);
    const res = await confirm(token);
    expect([res.status, res.json()]).toEqual([400, INVALID_RESET]);
    expect(Date.now() - received).toBeLessThan(TTL_SECONDS * 1000); // refused as superseded, not as expired
    expect((await login(new Client(target), user.email, 'changed it myself meanwhile')).status).toBe(200);
  });

  it('answers 400 for a bad password and keeps the link working', async () => {
    const { user } = await register();
    const token = await requestReset(user.email);
    const short = await confirm(token, 'short');
    expect([short.status, short.json()]).toEqual([
      400,
      { statusCode: 400, error: 'Bad Request', message: ['newPassword must be at least 12 characters'] },
    ]);
    const long = await confirm(token, 'x'.repeat(129));
    expect([long.status, long.json()]).toEqual([
      400,
      { statusCode: 400, error: 'Bad Request', message: ['newPassword must be shorter than or equal to 128 characters'] },
    ]);
    expect((await confirm(token)).status).toBe(204);
  });

  it('spends every outstanding link of the user with a successful reset', async () => {
    const { user } = await register();
    const first = await requestReset(user.email, 1);
    const second = await requestReset(user.email, 2);
    expect(first).not.toBe(second);
    expect((await confirm(second)).status).toBe(204);
    expect([(await confirm(first)).status, (await confirm(first)).json()]).toEqual([400, INVALID_RESET]);
  });

  it.each([
    ['an unknown token', { token: 'A'.repeat(43), newPassword: NEW_PASSWORD }, INVALID_RESET],
    ['an empty token', { token: '', newPassword: NEW_PASSWORD }, INVALID_RESET],
    ['no token', { newPassword: NEW_PASSWORD }, { statusCode: 400, error: 'Bad Request', message: ['token must be a string'] }],
  ])('answers 400 for %s', async (_case, body, expected) => {
    const res = await post(new Client(target), '/api/auth/password-reset/confirm', body);
    expect([res.status, res.json()]).toEqual([400, expected]);
  });

  it('answers 400 for a reset request without a valid email', async () => {
    const res = await post(new Client(target), '/api/auth/password-reset', { email: 'not-an-email' });
    expect([res.status, res.json()]).toEqual([400, { statusCode: 400, error: 'Bad Request', message: ['email must be an email address'] }]);
  });
});

describeNative('security notices', () => {
  /**
   * A notice says what changed and when (UTC, between `from` and now), and points only to pages
   * anyone may open: no token, no password, nothing that opens the account.
   */
  function expectNotice(mail: Mail, what: string, from: number, secrets: string[]): void {
    expect(mail.from).toEqual([{ address: 'no-reply@localhost', name: 'Gatehouse' }]);
    const when = new RegExp(`^${what}, on (\\d{1,2} \\w+ \\d{4}) at (\\d{2}:\\d{2}:\\d{2}) UTC\\.$`, 'm').exec(mail.text);
    expect(when).not.toBeNull();
    const at = Date.parse(`${when![1]} ${when![2]} UTC`);
    expect(at).toBeGreaterThanOrEqual(Math.floor(from / 1000) * 1000);
    expect(at).toBeLessThanOrEqual(Date.now());
    const pages = new Set(['/forgot-password', '/security', '/sessions'].map((page) => target.baseUrl + page));
    for (const body of [mail.text, mail.html]) {
      expect(new Set(body.match(/https?:\/\/[^\s"<]+/g))).toEqual(pages);
      for (const secret of [...secrets, 'token']) expect(body).not.toContain(secret);
    }
  }

  it('a password change, through the API and through the page, mails the owner a notice each', async () => {
    const { client, user } = await register();
    const from = Date.now();
    await pace();
    expect((await client.put('/api/profile/password', { currentPassword: user.password, newPassword: NEW_PASSWORD })).status).toBe(204);

    const page = await client.get('/password');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
    const third = 'and a third passphrase';
    const form = new URLSearchParams({ _csrf: csrf, currentPassword: NEW_PASSWORD, newPassword: third }).toString();
    await pace();
    const done = await client.post('/password', form, { 'content-type': 'application/x-www-form-urlencoded' });
    expect([done.status, done.headers.location]).toEqual([303, '/profile?notice=password-changed']);

    const mails = await waitForMails(target.stack!.mailUrl, user.email, PASSWORD_CHANGED_SUBJECT, 2);
    expect(mails).toHaveLength(2);
    for (const mail of mails)
      expectNotice(mail, 'The password of your Gatehouse account was changed', from, [user.password, NEW_PASSWORD, third]);
  });

  it('a reset mails the owner a notice, without the link that was used', async () => {
    const { user } = await register();
    const token = await requestReset(user.email);
    const from = Date.now();
    expect((await confirm(token)).status).toBe(204);

    const [mail] = await waitForMails(target.stack!.mailUrl, user.email, PASSWORD_RESET_NOTICE_SUBJECT);
    expectNotice(mail, 'The password of your Gatehouse account was reset with a link mailed to this address', from, [
      token,
      user.password,
      NEW_PASSWORD,
    ]);
  });
});

describeNative('mail limits', () => {
  function expectThrottled(res: Response, message: string): void {
    expect([res.status, res.json()]).toEqual([429, { statusCode: 429, error: 'Too Many Requests', message }]);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(MAIL_WINDOW_SECONDS);
  }

  it(`sends at most ${MAILS_PER_EMAIL} mails per email per hour, the registration mail included, which changes no answer`, async () => {
    const { user, id } = await register();
    await verifyToken(user.email); // the registration mail is out
    // Answered as for an unknown email (next test): the registration mail counts for the inbox only.
    for (let i = 0; i < MAILS_PER_EMAIL; i++) {
      expect((await postFrom('127.0.0.3', '/api/auth/password-reset', { email: user.email })).status).toBe(202);
    }
    // Another address changes nothing: the budget is the email's.
    expectThrottled(
      await postFrom('127.0.0.4', '/api/auth/password-reset', { email: user.email }),
      'Too many mails requested for this email; try again later',
    );
    // The worker drops the one mail past the inbox's budget, and says so.
    const dropped = `password-reset mail for user ${id} not sent: the address had its ${MAILS_PER_EMAIL} mails of the hour`;
    await eventually('the worker to drop the mail past the budget', () => target.stack!.appLogs().includes(dropped), { timeoutMs: 15_000 });
    await waitForMails(target.stack!.mailUrl, user.email, RESET_SUBJECT, MAILS_PER_EMAIL - 1);
    const mails = (await inbox(target.stack!.mailUrl)).filter((mail) => mail.to.some((to) => to.address === user.email));
    expect(mails).toHaveLength(MAILS_PER_EMAIL);
  });

  it('counts an email without an account just the same (a 429 tells nothing)', async () => {
    const { email } = newUser();
    for (let i = 0; i < MAILS_PER_EMAIL; i++) {
      expect((await postFrom('127.0.0.5', '/api/auth/password-reset', { email })).status).toBe(202);
    }
    expectThrottled(
      await postFrom('127.0.0.5', '/api/auth/password-reset', { email }),
      'Too many mails requested for this email; try again later',
    );
  });

  it(`answers 429 to an address after ${MAIL_REQUESTS_PER_ADDRESS} requests, whatever the emails; other addresses still get through`, async () => {
    for (let i = 0; i < MAIL_REQUESTS_PER_ADDRESS; i++) {
      expect((await postFrom('127.0.0.6', '/api/auth/password-reset', { email: newUser().email })).status).toBe(202);
    }
    expectThrottled(
      await postFrom('127.0.0.6', '/api/auth/password-reset', { email: newUser().email }),
      'Too many requests from this address; try again later',
    );
    expect((await postFrom('127.0.0.7', '/api/auth/password-reset', { email: newUser().email })).status).toBe(202);
  });
});

describeNative('email verification', () => {
  it('mails a link at registration; the GET spends nothing; POST verifies once; emailVerifiedAt is set', async () => {
    const { client, user } = await register();
    expect((await client.get('/api/profile')).json()).toMatchObject({ emailVerifiedAt: null });
    const token = await verifyToken(user.email);

    const page = await new Client(target).get(`/verify-email?token=${token}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`name="token" value="${token}"`);

    const before = Date.now();
    expect((await post(new Client(target), '/api/auth/verify-email', { token })).status).toBe(204);
    const profile = (await client.get('/api/profile')).json<{ emailVerifiedAt: string }>();
    expect(Date.parse(profile.emailVerifiedAt)).toBeGreaterThanOrEqual(before - 1_000);
    const again = await post(new Client(target), '/api/auth/verify-email', { token });
    expect([again.status, again.json()]).toEqual([400, INVALID_VERIFY]);
  });

  it('resends: 401 signed out, 202 and a new working link signed in, 409 once verified', async () => {
    const anonymous = await post(new Client(target), '/api/auth/verify-email/resend');
    expect([anonymous.status, anonymous.json()]).toEqual([401, { statusCode: 401, error: 'Unauthorized', message: 'Not authenticated' }]);

    const { client, user } = await register();
    const res = await post(client, '/api/auth/verify-email/resend');
    expect([res.status, res.json()]).toEqual([202, { message: 'A new verification link is on its way' }]);
    const second = await verifyToken(user.email, 2);
    expect((await post(new Client(target), '/api/auth/verify-email', { token: second })).status).toBe(204);
    // Verifying spent the first link too.
    const first = await verifyToken(user.email, 1);
    expect((await post(new Client(target), '/api/auth/verify-email', { token: first })).status).toBe(400);

    const done = await post(client, '/api/auth/verify-email/resend');
    expect([done.status, done.json()]).toEqual([409, { statusCode: 409, error: 'Conflict', message: 'Email is already verified' }]);
  });

  it('refuses an expired link, and one issued before a password change', async () => {
    const { client, user } = await register();
    const expired = await verifyToken(user.email);
    await outliveTtl();
    const late = await post(new Client(target), '/api/auth/verify-email', { token: expired });
    expect([late.status, late.json()]).toEqual([400, INVALID_VERIFY]);

    expect((await post(client, '/api/auth/verify-email/resend')).status).toBe(202);
    const superseded = await verifyToken(user.email, 2);
    const received = Date.now();
    expect((await client.put('/api/profile/password', { currentPassword: user.password, newPassword: NEW_PASSWORD })).status).toBe(204);
    const res = await post(new Client(target), '/api/auth/verify-email', { token: superseded });
    expect([res.status, res.json()]).toEqual([400, INVALID_VERIFY]);
    expect(Date.now() - received).toBeLessThan(TTL_SECONDS * 1000); // refused as superseded, not as expired
    expect((await client.get('/api/profile')).json()).toMatchObject({ emailVerifiedAt: null });
  });
});

describeNative('mail server outage', () => {
  it('still answers 202 at once with SMTP down, /readyz stays 200 saying mail: down, and the mail arrives after SMTP (and the app) come back', async () => {
    const stack = target.stack!;
    const { user, id } = await register();
    await verifyToken(user.email); // the registration mail is out of the way
    await stack.stopMail();
    let mailBack = false;
    try {
      // /readyz answers from a check at most MAIL_CHECK_MAX_AGE_MS old: it may say up until then.
      const ready = await eventually(
        '/readyz to say mail: down',
        async () => {
          const res = await new Client(target).get('/readyz');
          return res.json<{ mail: string }>().mail === 'down' && res;
        },
        { timeoutMs: MAIL_CHECK_MAX_AGE_MS + 2_000, intervalMs: 250 },
      );
      expect(ready.status).toBe(200);

      const start = performance.now();
      const res = await post(new Client(target), '/api/auth/password-reset', { email: user.email });
      expect([res.status, res.json()]).toEqual([202, RESET_REQUESTED]);
      expect(performance.now() - start).toBeLessThan(1_000);

      // The worker tried and failed; the job waits in Postgres for its retry.
      const failed = `password-reset mail for user ${id} not sent (attempt 1 of 10, will retry)`;
      await eventually('the app to try to send the mail', () => stack.appLogs().includes(failed), { timeoutMs: 15_000 });
      // A restart in between loses nothing: the job is durable.
      expect(await stack.stopApp(0)).toBe(0);
      await stack.startMail();
      mailBack = true;
      await stack.startApp(0);
    } finally {
      // Whatever failed, the next tests get a whole stack.
      if (!mailBack) await stack.startMail();
      if (stack.appPid(0) === undefined) await stack.startApp(0);
    }
    const token = await resetToken(user.email);
    expect((await confirm(token)).status).toBe(204);
    const ready = await new Client(target).get('/readyz');
    expect([ready.status, ready.json<{ mail: string }>().mail]).toEqual([200, 'up']);
  });
});

describeNative('link pages that nginx answers itself (the logs test below greps for these tokens)', () => {
  it('a 502 while the app restarts, a 400 for a malformed or oversized request, the plain-HTTP redirect: all for a URL with a live token', async () => {
    const stack = target.stack!;
    const { user } = await register();
    const verify = await verifyToken(user.email);
    const reset = await requestReset(user.email);

    // A mail scanner opening the link while the app restarts: nginx answers.
    expect(await stack.stopApp(0)).toBe(0);
    try {
      const down = await new Client(target).get(`/reset-password?token=${reset}`);
      expect([down.status, down.json()]).toEqual([502, { statusCode: 502, error: 'Bad Gateway', message: 'Upstream unavailable' }]);
      const downToo = await new Client(target).get(`/verify-email?token=${verify}`);
      expect(downToo.status).toBe(502);
    } finally {
      await stack.startApp(0);
    }

    const malformed = { statusCode: 400, error: 'Bad Request', message: 'Malformed request' };
    const badEscape = await request(target.baseUrl, { path: `/reset-password%zz?token=${reset}`, ca: target.ca });
    expect([badEscape.status, badEscape.json()]).toEqual([400, malformed]);
    const oversized = await request(target.baseUrl, {
      path: `/verify-email?token=${verify}`,
      ca: target.ca,
      headers: { cookie: `c=${'x'.repeat(9_000)}` },
    });
    expect([oversized.status, oversized.json()]).toEqual([400, malformed]);

    const redirect = await request(stack.httpUrl, { path: `/reset-password?token=${reset}` });
    expect([redirect.status, redirect.headers.location]).toEqual([308, `${target.baseUrl}/reset-password?token=${reset}`]);
  });
});

describeNative('logs', () => {
  it('never contain a token or a link with one (app, nginx, every part)', () => {
    expect(tokensSeen.length).toBeGreaterThan(10);
    const logDir = path.join(target.stack!.dir, 'logs');
    const logs = [target.stack!.appLogs(), ...readdirSync(logDir).map((file) => readFileSync(path.join(logDir, file), 'utf8'))].join('\n');
    expect(logs).toContain('/reset-password'); // the pages were requested, and logged
    for (const token of tokensSeen) expect(logs).not.toContain(token);
    expect(logs).not.toMatch(/token=[A-Za-z0-9_-]{20}/);
  });
});

describeNative('REQUIRE_VERIFIED_EMAIL=true', () => {
  let strict: Target;
  beforeAll(async () => {
    strict = await startTarget({ REQUIRE_VERIFIED_EMAIL: 'true' });
  });
  afterAll(async () => {
    await stopTarget(strict);
  });

  async function strictPost(client: Client, path: string, body?: unknown): Promise<Response> {
    await pace();
    return client.post(path, body);
  }

  it('refuses an unverified user with 403 "Email not verified" only after the password check; verified, the login works', async () => {
    const client = new Client(strict);
    const user = newUser();
    expect((await strictPost(client, '/api/auth/register', user)).status).toBe(201); // signed in at once
    expect((await client.get('/api/profile')).status).toBe(200);

    const wrong = await strictPost(new Client(strict), '/api/auth/login', { email: user.email, password: 'not the password!' });
    expect([wrong.status, wrong.json()]).toEqual([401, { statusCode: 401, error: 'Unauthorized', message: 'Invalid email or password' }]);
    const right = await strictPost(new Client(strict), '/api/auth/login', { email: user.email, password: user.password });
    expect([right.status, right.json()]).toEqual([403, { statusCode: 403, error: 'Forbidden', message: 'Email not verified' }]);

    const mail = (await waitForMails(strict.stack!.mailUrl, user.email, VERIFY_SUBJECT))[0];
    const token = tokenOf(linkIn(mail, strict.baseUrl, '/verify-email'));
    expect((await strictPost(new Client(strict), '/api/auth/verify-email', { token })).status).toBe(204);
    expect((await strictPost(new Client(strict), '/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
  });

  it('lets a user who followed a reset link in: the link proved the inbox', async () => {
    const user = newUser();
    expect((await strictPost(new Client(strict), '/api/auth/register', user)).status).toBe(201);
    expect((await strictPost(new Client(strict), '/api/auth/password-reset', { email: user.email })).status).toBe(202);
    const mail = (await waitForMails(strict.stack!.mailUrl, user.email, RESET_SUBJECT))[0];
    const token = tokenOf(linkIn(mail, strict.baseUrl, '/reset-password'));
    expect((await strictPost(new Client(strict), '/api/auth/password-reset/confirm', { token, newPassword: NEW_PASSWORD })).status).toBe(
      204,
    );
    const res = await strictPost(new Client(strict), '/api/auth/login', { email: user.email, password: NEW_PASSWORD });
    expect([res.status, res.json()]).toMatchObject([200, { email: user.email, emailVerifiedAt: expect.any(String) }]);
  });
});
