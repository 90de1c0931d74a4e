import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { ActivityRetention } from '../../src/activity/retention.js';
import { BURST_MS, SecurityEvents } from '../../src/activity/security-events.js';
import type { MailJob } from '../../src/mail/mail-queue.js';
import type { MailTemplate } from '../../src/mail/mailer.js';
import { sessionIdOfCookieValue } from '../../src/session/session-cookie.js';
import { Client, newUser } from '../../tools/client/client.js';
import { codeAt, enableTwoStep, STEP_MS } from '../../tools/client/totp.js';
import { eventually } from '../support/eventually.js';
import { advanceClock } from '../support/held.js';
import { SoftAuthenticator } from '../support/soft-authenticator.js';
import { inProcessSuite } from './in-process-app.js';
import { captureMail, type CapturedMail } from './mail-outbox.js';

/**
 * The security activity log (docs/activity.md) on real Postgres and Redis: each action of the API
 * writes its event, with the address, device and session it came from; failures make one row
 * per burst, also when they arrive at once; the page and its cursor; retention on the app's clock
 * (Date), which each test sets to a moment of its choosing (a fresh TOTP step, a burst window); the
 * new-device mail; and no secret in any row.
 */

const DAY = 24 * 60 * 60_000;
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
const EDGE_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0';
const NEW_PASSWORD = 'a completely new passphrase';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const inProcess = inProcessSuite();
let mail: CapturedMail;

beforeEach(() => {
  // One second into a fresh TOTP step: a code computed for now is the current step's when checked.
  advanceClock((Math.floor(Date.now() / STEP_MS) + 1) * STEP_MS + 1_000 - Date.now());
  mail = captureMail(inProcess.app);
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});

interface Row {
  type: string;
  at: Date;
  ip: string | null;
  device: string | null;
  session_handle: string | null;
  detail: Record<string, unknown> | null;
  count: number;
}

/** The user's rows, oldest first. */
async function rows(userId: string): Promise<Row[]> {
  const result = await inProcess.db.query<Row>(
    `SELECT type, at, host(ip) AS ip, device, session_handle, detail, count FROM security_events WHERE user_id = $1 ORDER BY id`,
    [userId],
  );
  return result.rows;
}
const types = async (userId: string) => (await rows(userId)).map((row) => row.type);
const tableSize = async () => Number((await inProcess.db.query('SELECT count(*) FROM security_events')).rows[0].count);

async function sessionId(client: Client): Promise<string> {
  return sessionIdOfCookieValue((await client.cookie('sid'))!.value);
}
const handleOf = (id: string) => createHash('sha256').update(id).digest('hex');

/** A new user, registered (and so signed in) from Chrome on a Mac at `localAddress` (127.0.0.1 by default). */
async function member(localAddress?: string) {
  const client = new Client(inProcess.target, CHROME_MAC, localAddress);
  const user = newUser();
  const res = await client.post('/api/auth/register', user);
  expect(res.status).toBe(201);
  return { client, user, id: res.json<{ id: string }>().id, handle: handleOf(await sessionId(client)) };
}

async function signIn(user: { email: string; password: string }, userAgent = CHROME_MAC, localAddress?: string): Promise<Client> {
  const client = new Client(inProcess.target, userAgent, localAddress);
  const res = await client.post('/api/auth/login', { email: user.email, password: user.password });
  expect([res.status, res.body]).toEqual([200, expect.any(String)]);
  return client;
}

async function activity(client: Client, before?: string) {
  const res = await client.get(`/api/profile/activity${before === undefined ? '' : `?before=${before}`}`);
  expect([res.status, res.body]).toEqual([200, expect.any(String)]);
  return res.json<{
    events: { type: string; at: string; ip: string | null; device: string | null; current: boolean }[];
    next: string | null;
  }>();
}

/** The token in the mail of this kind to `email`, once the worker has sent it. */
async function mailedToken(email: string, template: MailTemplate): Promise<string> {
  const sent = await mail.once(`send ${template} to ${email}`, () => mail.outbox.find((m) => m.to === email && m.template === template));
  return new URL(sent.context.link).searchParams.get('token')!;
}

const event = (type: string, fields: Partial<Row> = {}): Row => ({
  type,
  at: expect.any(Date) as unknown as Date,
  ip: '127.0.0.1',
  device: 'Chrome on macOS',
  session_handle: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown as string,
  detail: null,
  count: 1,
  ...fields,
});

describe('signing in', () => {
  it('registration and each sign-in: one event with how, the address, the device and the session', async () => {
    const { client, user, id, handle } = await member();
    const laptop = await signIn(user, FIREFOX_WINDOWS, '127.0.0.2');
    expect(await rows(id)).toEqual([
      event('sign-in', { session_handle: handle, detail: { methods: ['password'], registered: true } }),
      event('sign-in', {
        ip: '127.0.0.2',
        device: 'Firefox on Windows',
        session_handle: handleOf(await sessionId(laptop)),
        detail: { methods: ['password'] },
      }),
    ]);

    const at = new Date().toISOString();
    expect(await activity(laptop)).toEqual({
      events: [
        { type: 'sign-in', at, ip: '127.0.0.2', device: 'Firefox on Windows', current: true },
        { type: 'sign-in', at, ip: '127.0.0.1', device: 'Chrome on macOS', current: false },
      ],
      next: null,
    });
    expect((await activity(client)).events.map((e) => e.current)).toEqual([false, true]);
  });

  it('a session keeps its events as its id changes (re-authentication, password change): still "current"', async () => {
    const { client, user, id, handle } = await member();
    expect((await client.post('/api/auth/reauthenticate', { password: user.password })).status).toBe(204);
    expect((await client.put('/api/profile/password', { currentPassword: user.password, newPassword: NEW_PASSWORD })).status).toBe(204);
    expect(handleOf(await sessionId(client))).not.toBe(handle);
    expect(await rows(id)).toEqual([
      event('sign-in', { session_handle: handle, detail: { methods: ['password'], registered: true } }),
      event('password-changed', { session_handle: handle }),
    ]);
    expect((await activity(client)).events.map(({ type, current }) => [type, current])).toEqual([
      ['password-changed', true],
      ['sign-in', true],
    ]);
  });

  it('a wrong password for an account: sign-in-failed, from no session; for an email with no account, nothing at all', async () => {
    const { user, id } = await member();
    const before = await tableSize();
    const nobody = await new Client(inProcess.target, CHROME_MAC).post('/api/auth/login', {
      email: newUser().email,
      password: user.password,
    });
    expect(nobody.status).toBe(401);
    expect(await tableSize()).toBe(before);

    const wrong = await new Client(inProcess.target, FIREFOX_WINDOWS, '127.0.0.3').post('/api/auth/login', {
      email: user.email,
      password: 'not the password at all',
    });
    expect(wrong.status).toBe(401);
    // Written after the answer, which does not wait for it (AuthService.verifyCredentials).
    await eventually('the failure row', async () => {
      expect((await rows(id))[1]).toEqual(event('sign-in-failed', { ip: '127.0.0.3', device: 'Firefox on Windows', session_handle: null }));
      return true;
    });
  });

  it('a passkey: passkey-added, a sign-in with it, passkey-removed', async () => {
    const { client, id, handle } = await member();
    const authenticator = new SoftAuthenticator(inProcess.target.baseUrl);
    const options = (await client.post('/api/profile/passkeys/options', {})).json<PublicKeyCredentialCreationOptionsJSON>();
    const added = await client.post('/api/profile/passkeys', { response: authenticator.create(options) });
    expect(added.status).toBe(201);

    const phone = new Client(inProcess.target, SAFARI_IPHONE, '127.0.0.4');
    const challenge = (await phone.post('/api/auth/passkey/options', {})).json<PublicKeyCredentialRequestOptionsJSON>();
    expect((await phone.post('/api/auth/passkey', { response: authenticator.get(challenge) })).status).toBe(200);
    expect((await client.delete(`/api/profile/passkeys/${added.json<{ id: string }>().id}`)).status).toBe(204);

    expect((await rows(id)).slice(1)).toEqual([
      event('passkey-added', { session_handle: handle }),
      event('sign-in', {
        ip: '127.0.0.4',
        device: 'Safari on iOS',
        session_handle: handleOf(await sessionId(phone)),
        detail: { methods: ['passkey'] },
      }),
      event('passkey-removed', { session_handle: handle }),
    ]);
  });
});

describe('two-step sign-in', () => {
  it('on, new recovery codes, a wrong code, sign-ins with a code and with a recovery code, off: each its event', async () => {
    const { client, user, id, handle } = await member();
    const { secret, recoveryCodes } = await enableTwoStep(client);
    expect((await client.post('/api/profile/recovery-codes', {})).status).toBe(200);
    const fresh = (await client.post('/api/profile/recovery-codes', {})).json<{ recoveryCodes: string[] }>().recoveryCodes;
    expect(recoveryCodes).not.toEqual(fresh);

    const pending = async () => {
      const c = new Client(inProcess.target, FIREFOX_WINDOWS, '127.0.0.5');
      expect((await c.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(202);
      return c;
    };
    const withCode = await pending();
    const right = codeAt(secret, Date.now());
    const wrong = right === '000000' ? '111111' : '000000';
    expect((await withCode.post('/api/auth/login/totp', { code: wrong })).status).toBe(401);
    expect((await withCode.post('/api/auth/login/totp', { code: right })).status).toBe(200);
    const withRecoveryCode = await pending();
    expect((await withRecoveryCode.post('/api/auth/login/recovery-code', { code: fresh[0] })).status).toBe(200);
    expect((await client.delete('/api/profile/totp')).status).toBe(204);

    const fromLaptop = { ip: '127.0.0.5', device: 'Firefox on Windows' };
    expect((await rows(id)).slice(1)).toEqual([
      event('totp-enabled', { session_handle: handle }),
      event('recovery-codes-created', { session_handle: handle }),
      event('recovery-codes-created', { session_handle: handle }),
      event('second-factor-failed', { ...fromLaptop, session_handle: null }),
      event('sign-in', { ...fromLaptop, session_handle: handleOf(await sessionId(withCode)), detail: { methods: ['password', 'totp'] } }),
      // Written with the sign-in it completed, by the session it started.
      event('recovery-code-used', { ...fromLaptop, session_handle: handleOf(await sessionId(withRecoveryCode)) }),
      event('sign-in', {
        ...fromLaptop,
        session_handle: handleOf(await sessionId(withRecoveryCode)),
        detail: { methods: ['password', 'recoveryCode'] },
      }),
      event('totp-disabled', { session_handle: handle }),
    ]);
  });

  it('a change that fails writes no event: it is written in the change’s transaction', async () => {
    const { client, id } = await member();
    await enableTwoStep(client);
    // Postgres refuses the event row: the authenticator stays off, as if nothing had been asked.
    jest.spyOn(inProcess.app.get(SecurityEvents), 'record').mockRejectedValueOnce(new Error('the log is full'));
    expect((await client.delete('/api/profile/totp')).status).toBe(500);
    expect((await client.get('/api/profile/security')).json()).toMatchObject({ totp: { enabled: true } });
    expect(await types(id)).toEqual(['sign-in', 'totp-enabled']);
  });
});

describe('passwords and email', () => {
  it('a password change, a reset through its mailed link, an email verification: each its event', async () => {
    // From an address of its own: only the first registrations of an address are mailed their link.
    const { client, user, id, handle } = await member('127.0.4.1');
    const verifyToken = await mailedToken(user.email, 'verify-email');
    const phone = new Client(inProcess.target, SAFARI_IPHONE, '127.0.4.2');
    expect((await phone.post('/api/auth/verify-email', { token: verifyToken })).status).toBe(204);

    expect((await client.put('/api/profile/password', { currentPassword: user.password, newPassword: NEW_PASSWORD })).status).toBe(204);

    expect((await phone.post('/api/auth/password-reset', { email: user.email })).status).toBe(202);
    const resetToken = await mailedToken(user.email, 'password-reset');
    expect((await phone.post('/api/auth/password-reset/confirm', { token: resetToken, newPassword: user.password })).status).toBe(204);

    const fromPhone = { ip: '127.0.4.2', device: 'Safari on iOS', session_handle: null };
    expect(await rows(id)).toEqual([
      event('sign-in', { ip: '127.0.4.1', session_handle: handle, detail: { methods: ['password'], registered: true } }),
      event('email-verified', fromPhone),
      event('password-changed', { ip: '127.0.4.1', session_handle: handle }),
      event('password-reset', fromPhone),
    ]);
  });
});

describe('signing sessions out', () => {
  it('one other session: session-revoked; every other: sessions-revoked; both by the session that did it', async () => {
    const { client, user, id, handle } = await member();
    const phone = await signIn(user, SAFARI_IPHONE);
    await signIn(user, FIREFOX_WINDOWS);
    expect((await client.delete(`/api/sessions/${handleOf(await sessionId(phone))}`)).status).toBe(204);
    expect((await client.delete('/api/sessions')).status).toBe(204);
    expect((await rows(id)).slice(3)).toEqual([
      event('session-revoked', { session_handle: handle }),
      event('sessions-revoked', { session_handle: handle }),
    ]);
  });
});

describe('failed sign-ins: one row per burst', () => {
  /** The clock one second into a fresh burst window, so that the whole test falls in it. */
  const atBurstStart = () => advanceClock((Math.floor(Date.now() / BURST_MS) + 1) * BURST_MS + 1_000 - Date.now());
  const wrongPassword = (email: string, localAddress: string) =>
    new Client(inProcess.target, FIREFOX_WINDOWS, localAddress).post('/api/auth/login', { email, password: 'not the password at all' });

  it('20 wrong passwords, from four addresses, make one row counting 20, with the last address; the next window another', async () => {
    atBurstStart();
    const { user, id } = await member();
    for (let i = 0; i < 20; i++) expect((await wrongPassword(user.email, `127.0.1.${1 + (i % 4)}`)).status).toBe(401);
    await eventually('one row counting 20', async () => {
      expect((await rows(id)).slice(1)).toEqual([
        event('sign-in-failed', { ip: '127.0.1.4', device: 'Firefox on Windows', session_handle: null, count: 20 }),
      ]);
      return true;
    });

    advanceClock(BURST_MS);
    expect((await wrongPassword(user.email, '127.0.1.5')).status).toBe(401);
    await eventually('a second row', async () => {
      expect((await rows(id)).map((row) => [row.type, row.count])).toEqual([
        ['sign-in', 1],
        ['sign-in-failed', 20],
        ['sign-in-failed', 1],
      ]);
      return true;
    });
  });

  it('failures at once still make one row: through the API, and straight into Postgres', async () => {
    atBurstStart();
    const { user, id } = await member();
    // Fewer than the password-hashing queue holds (hashing-pool.ts), each from an address of its own.
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => wrongPassword(user.email, `127.0.2.${i + 1}`)));
    expect(answers.map((res) => res.status)).toEqual(Array(8).fill(401));
    await eventually('one row counting 8', async () => {
      expect((await rows(id)).slice(1).map((row) => [row.type, row.count])).toEqual([['sign-in-failed', 8]]);
      return true;
    });

    // Twenty INSERTs racing on the pool's connections, as twenty instances would.
    const events = inProcess.app.get(SecurityEvents);
    await Promise.all(Array.from({ length: 20 }, () => events.recordFailure(id, 'second-factor-failed', { ip: '127.0.2.9' })));
    expect((await rows(id)).slice(1).map((row) => [row.type, row.count])).toEqual([
      ['sign-in-failed', 8],
      ['second-factor-failed', 20],
    ]);
  });
});

describe('GET /api/profile/activity', () => {
  it('50 a page, newest first, then the next page by its cursor; only the user’s own events', async () => {
    const { client, id } = await member();
    await member(); // someone else's events are not listed
    for (let i = 0; i < 30; i++) expect((await client.delete('/api/sessions')).status).toBe(204);
    // Then 30 more a minute later: a page boundary among events of one time is decided by their ids.
    advanceClock(60_000);
    for (let i = 0; i < 30; i++) expect((await client.delete('/api/sessions')).status).toBe(204);

    const first = await activity(client);
    expect(first.events).toHaveLength(50);
    expect(first.next).toEqual(expect.stringMatching(/^[A-Za-z0-9_-]+$/));
    const second = await activity(client, first.next!);
    expect([second.events.length, second.next]).toEqual([11, null]);

    const stored = (await rows(id)).reverse();
    const listed = [...first.events, ...second.events];
    expect(listed.map((e) => [e.type, e.at])).toEqual(stored.map((row) => [row.type, row.at.toISOString()]));
    expect(listed.every((e) => ISO.test(e.at) && e.current && e.ip === '127.0.0.1' && e.device === 'Chrome on macOS')).toBe(true);
  });

  it.each([
    ['not base64url', 'a+b'],
    ['empty', ''],
    ['base64url of something else', Buffer.from('yesterday').toString('base64url')],
  ])('400 "Invalid cursor" for a cursor that is %s', async (_case, cursor) => {
    const { client } = await member();
    const res = await client.get(`/api/profile/activity?before=${encodeURIComponent(cursor)}`);
    expect([res.status, res.json()]).toEqual([400, { statusCode: 400, error: 'Bad Request', message: 'Invalid cursor' }]);
  });

  it('401 when signed out', async () => {
    const res = await new Client(inProcess.target).get('/api/profile/activity');
    expect([res.status, res.json()]).toEqual([401, { statusCode: 401, error: 'Unauthorized', message: 'Not authenticated' }]);
  });
});

describe('the page /activity', () => {
  /** The rows the page shows, as text, and whether each is marked as this device's. */
  const shown = (html: string) =>
    [...html.matchAll(/<li class="event( current)?[^"]*">([\s\S]*?)<\/li>/g)].map(([, current, body]) => [
      Boolean(current),
      body
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ')
        .trim(),
    ]);

  it('lists the events, this device’s marked, newest first; "Older" pages on with the cursor', async () => {
    const { client, user } = await member();
    const other = await signIn(user, FIREFOX_WINDOWS, '127.0.0.2');
    expect((await other.post('/api/auth/login', { email: user.email, password: 'not the password at all' })).status).toBe(401);
    const page = await client.get('/activity');
    expect([page.status, page.headers['cache-control']]).toEqual([200, 'no-store']);
    expect(shown(page.body)).toEqual([
      [false, 'Firefox on Windows, 127.0.0.2, now: failed sign-in'],
      [false, 'Firefox on Windows, 127.0.0.2, now: signed in with the password'],
      [true, 'This device Chrome on macOS, 127.0.0.1, now: created the account and signed in'],
    ]);
    expect(page.body).toMatch(/href="\/sessions"/);
    expect(page.body).toMatch(/href="\/security"/);
    expect(page.body).not.toContain('Older');

    for (let i = 0; i < 50; i++) expect((await client.delete('/api/sessions')).status).toBe(204);
    const first = await client.get('/activity');
    expect(shown(first.body)).toHaveLength(50);
    const older = /<a href="(\/activity\?before=[A-Za-z0-9_-]+)" rel="next">Older<\/a>/.exec(first.body)![1];
    expect(older).toBe(`/activity?before=${(await activity(client)).next}`);
    const second = await client.get(older);
    expect(shown(second.body).map(([, text]) => text)).toEqual([
      'Firefox on Windows, 127.0.0.2, now: failed sign-in',
      'Firefox on Windows, 127.0.0.2, now: signed in with the password',
      'This device Chrome on macOS, 127.0.0.1, now: created the account and signed in',
    ]);
  });

  it('a cursor it never gave: the error page, 400; signed out: to /login', async () => {
    const { client } = await member();
    const bad = await client.get('/activity?before=nonsense!');
    expect([bad.status, bad.headers['content-type']]).toEqual([400, expect.stringMatching(/^text\/html/)]);
    expect(bad.body).toContain('Invalid cursor');
    const signedOut = await new Client(inProcess.target).get('/activity');
    expect([signedOut.status, signedOut.headers.location]).toEqual([303, '/login']);
  });
});

describe('retention', () => {
  it('the job removes what turned 90 days old, and nothing younger', async () => {
    const old = await member();
    advanceClock(60 * DAY);
    const younger = await member();
    const retention = inProcess.app.get(ActivityRetention);

    advanceClock(30 * DAY - 1_000); // the first user's sign-in is a second short of 90 days old
    await retention.pruneSecurityEvents();
    expect([await types(old.id), await types(younger.id)]).toEqual([['sign-in'], ['sign-in']]);

    advanceClock(2_000);
    expect(await retention.pruneSecurityEvents()).toBeGreaterThanOrEqual(1);
    expect([await types(old.id), await types(younger.id)]).toEqual([[], ['sign-in']]);
  });
});

describe('the new-device mail', () => {
  const newDeviceMails = (id: string) =>
    mail.queued.filter((job): job is Extract<MailJob, { kind: 'new-device' }> => job.kind === 'new-device' && job.userId === id);

  it('for a sign-in from a device name or a network not seen in 90 days, at most one per few minutes; never for registration', async () => {
    const { user, id } = await member();
    await signIn(user, CHROME_MAC, '127.0.0.7'); // the same device, in the same /24
    expect(newDeviceMails(id)).toEqual([]);

    await signIn(user, FIREFOX_WINDOWS, '127.0.0.7');
    expect(newDeviceMails(id)).toEqual([
      { kind: 'new-device', userId: id, device: 'Firefox on Windows', ip: '127.0.0.7', at: new Date().toISOString() },
    ]);
    const sent = await mail.once('send the new-device mail', () =>
      mail.outbox.find((m) => m.to === user.email && m.template === 'new-device'),
    );
    expect(sent.context).toMatchObject({
      device: 'Firefox on Windows',
      ip: '127.0.0.7',
      sessionsPage: `${inProcess.target.baseUrl}/sessions`,
    });

    await signIn(user, SAFARI_IPHONE, '127.0.5.1'); // new too, but the owner was told a moment ago
    expect(newDeviceMails(id)).toHaveLength(1);

    await inProcess.redis.del(`new-device-mail:${id}`); // the few minutes passed
    await signIn(user, EDGE_WINDOWS, '127.0.6.1');
    await signIn(user, FIREFOX_WINDOWS, '127.0.0.8'); // known now
    expect(newDeviceMails(id).map((job) => job.device)).toEqual(['Firefox on Windows', 'Microsoft Edge on Windows']);

    // 90 days on, the registration's device is not known any more.
    await inProcess.redis.del(`new-device-mail:${id}`);
    advanceClock(91 * DAY);
    await signIn(user, CHROME_MAC);
    expect(newDeviceMails(id).map((job) => job.device)).toEqual(['Firefox on Windows', 'Microsoft Edge on Windows', 'Chrome on macOS']);
  });
});

describe('what the log holds', () => {
  it('never a password, code, token, TOTP secret, session id or cookie', async () => {
    const secrets: string[] = [];
    const { client, user, id } = await member('127.0.4.9');
    secrets.push(user.password, NEW_PASSWORD, await sessionId(client), (await client.cookie('sid'))!.value);
    const verifyToken = await mailedToken(user.email, 'verify-email');
    secrets.push(verifyToken);
    expect((await client.post('/api/auth/verify-email', { token: verifyToken })).status).toBe(204);
    const { secret, recoveryCodes } = await enableTwoStep(client);
    secrets.push(secret, ...recoveryCodes);
    const pending = new Client(inProcess.target, FIREFOX_WINDOWS);
    expect((await pending.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(202);
    const code = codeAt(secret, Date.now());
    secrets.push(code);
    expect((await pending.post('/api/auth/login/recovery-code', { code: recoveryCodes[0] })).status).toBe(200);
    secrets.push(await sessionId(pending));
    expect((await client.put('/api/profile/password', { currentPassword: user.password, newPassword: NEW_PASSWORD })).status).toBe(204);
    secrets.push(await sessionId(client));
    expect((await client.post('/api/auth/password-reset', { email: user.email })).status).toBe(202);
    const token = await mailedToken(user.email, 'password-reset');
    secrets.push(token);
    expect((await client.post('/api/auth/password-reset/confirm', { token, newPassword: user.password })).status).toBe(204);

    const text = (
      await inProcess.db.query<{ row: string }>('SELECT t::text AS row FROM security_events t WHERE user_id = $1', [id])
    ).rows.map((r) => r.row);
    expect(text.length).toBeGreaterThan(0);
    for (const piece of secrets) {
      expect(piece.length).toBeGreaterThanOrEqual(6);
      expect([piece, text.filter((row) => row.includes(piece))]).toEqual([piece, []]);
    }
    expect(new Set(await types(id))).toEqual(
      new Set(['sign-in', 'email-verified', 'totp-enabled', 'recovery-code-used', 'password-changed', 'password-reset']),
    );
  });
});
