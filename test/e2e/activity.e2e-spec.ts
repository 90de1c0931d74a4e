import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Client, newUser, type NewUser } from '../../tools/client/client.js';
import { eventually } from '../support/eventually.js';
import { PASSWORD_CHANGED_SUBJECT, waitForMails } from '../support/mail.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

/**
 * The security activity log through nginx (docs/activity.md): the new-device mail through a real
 * SMTP server (MailDev), for a sign-in from another browser and another client address (another
 * loopback address: nginx and the app see it as another client), none for a known one; and the log
 * as GET /api/profile/activity shows it, with the addresses nginx saw. The stack's own inbox and
 * loopback addresses: the native stack only.
 */
const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0';
const NEW_DEVICE_SUBJECT = /^A new sign-in to your Gatehouse account$/;
const NEW_PASSWORD = 'a completely new passphrase';

let target: Target;

beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await stopTarget(target);
});

/** A new user, registered from Chrome on a Mac at `localAddress`. */
async function register(localAddress: string): Promise<{ client: Client; user: NewUser }> {
  const client = new Client(target, CHROME_MAC, localAddress);
  const user = newUser();
  const res = await client.post('/api/auth/register', user);
  expect(res.status).toBe(201);
  return { client, user };
}

async function signIn(user: NewUser, userAgent: string, localAddress: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client(target, userAgent, localAddress);
  const res = await client.post('/api/auth/login', { email: user.email, password: user.password }, headers);
  expect(res.status).toBe(200);
  return client;
}

describeNative('the security activity log (native stack)', () => {
  it('a sign-in from another browser and address mails the owner the device and the address; one from a known device does not', async () => {
    const mailUrl = target.stack!.mailUrl;
    const { client, user } = await register('127.0.110.1');
    // The same browser, from the same /24: known, no mail (had it been mailed, the one below would
    // not be: at most one per few minutes).
    await signIn(user, CHROME_MAC, '127.0.110.2');
    await signIn(user, FIREFOX_WINDOWS, '127.0.111.1');

    const [mail] = await waitForMails(mailUrl, user.email, NEW_DEVICE_SUBJECT);
    for (const body of [mail.text, mail.html]) {
      expect(body).toContain('Firefox on Windows');
      expect(body).toContain('127.0.111.1');
      expect(body).toContain(`${target.baseUrl}/password`);
      expect(body).toContain(`${target.baseUrl}/sessions`);
    }

    // A mail queued after them all has arrived: every mail the sign-ins above caused has too.
    expect((await client.put('/api/profile/password', { currentPassword: user.password, newPassword: NEW_PASSWORD })).status).toBe(204);
    await waitForMails(mailUrl, user.email, PASSWORD_CHANGED_SUBJECT);
    expect(await waitForMails(mailUrl, user.email, NEW_DEVICE_SUBJECT)).toHaveLength(1);
  });

  it('GET /api/profile/activity: newest first, the addresses nginx saw (not what a client claims), device names, this session marked', async () => {
    const { client, user } = await register('127.0.112.1');
    const laptop = await signIn(user, FIREFOX_WINDOWS, '127.0.113.1', { 'x-forwarded-for': '203.0.113.66' });
    const wrong = await new Client(target, FIREFOX_WINDOWS, '127.0.113.2').post('/api/auth/login', {
      email: user.email,
      password: 'not the password at all',
    });
    expect(wrong.status).toBe(401);

    // The failure is written after its answer, which does not wait for it (AuthService.verifyCredentials).
    const res = await eventually('the failed sign-in in the log', async () => {
      const answer = await laptop.get('/api/profile/activity');
      return answer.json<{ events: unknown[] }>().events.length === 3 && answer;
    });
    expect([res.status, res.headers['cache-control']]).toEqual([200, 'no-store']);
    const at = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(res.json()).toEqual({
      events: [
        { type: 'sign-in-failed', at, ip: '127.0.113.2', device: 'Firefox on Windows', current: false },
        { type: 'sign-in', at, ip: '127.0.113.1', device: 'Firefox on Windows', current: true },
        { type: 'sign-in', at, ip: '127.0.112.1', device: 'Chrome on macOS', current: false },
      ],
      next: null,
    });
    const fromFirst = (await client.get('/api/profile/activity')).json<{ events: { current: boolean }[] }>();
    expect(fromFirst.events.map((event) => event.current)).toEqual([false, false, true]);
  });
});
