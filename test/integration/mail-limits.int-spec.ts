import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  MAIL_REQUESTS_PER_ADDRESS,
  MAIL_WINDOW_SECONDS,
  MAILS_PER_EMAIL,
  REGISTRATION_MAILS_PER_ADDRESS,
} from '../../src/mail/mail-throttle.js';
import { Client, newUser, type NewUser } from '../../tools/client/client.js';
import { startInProcessApp, type InProcessApp } from './in-process-app.js';
import { captureMail, type CapturedMail } from './mail-outbox.js';
import { type Services, startServices } from './services.js';

/**
 * The mail limits (docs/security.md, Mail limits) against the app's own worker, with SMTP replaced by
 * an outbox (mail-outbox.ts): what one inbox is sent, what one client address can have sent, and
 * that what the app mails by itself never changes what a reset request answers. The app trusts
 * its loopback proxy here, as it trusts nginx, so each test is the client address it names in
 * X-Forwarded-For (IPv6 too) and no test shares another's per-address counts.
 */

const RESET_REQUESTED = { message: 'If that email is registered, a reset link is on its way' };
const EMAIL_THROTTLED = {
  statusCode: 429,
  error: 'Too Many Requests',
  message: 'Too many mails requested for this email; try again later',
};
const ADDRESS_THROTTLED = { statusCode: 429, error: 'Too Many Requests', message: 'Too many requests from this address; try again later' };

let services: Services;
let inProcess: InProcessApp;
let mail: CapturedMail;

beforeAll(async () => {
  services = await startServices();
  inProcess = await startInProcessApp(services, { TRUST_PROXY: 'loopback' });
  mail = captureMail(inProcess.app);
}, 60_000);
afterAll(async () => {
  await inProcess?.close();
  await services?.stop();
});

/** A client (with its cookie jar) that the app sees at `address`, as nginx would tell it. */
function clientAt(address: string) {
  const client = new Client(inProcess.target);
  const headers = { 'x-forwarded-for': address };
  return {
    post: (path: string, body?: unknown) => client.post(path, body, headers),
    delete: (path: string, body: unknown) => client.send('DELETE', path, body, headers),
  };
}

async function registerAt(address: string, user: NewUser = newUser()) {
  const client = clientAt(address);
  const res = await client.post('/api/auth/register', user);
  expect(res.status).toBe(201);
  return { client, user, id: res.json<{ id: string }>().id };
}

const mailsTo = (email: string) => mail.outbox.filter((m) => m.to === email);
const verificationQueuedFor = (id: string) => mail.queued.some((job) => job.kind === 'verify-email' && job.userId === id);

/** Waits until the worker is done with every job queued so far for this user or email. */
function settled(what: string, matches: (job: (typeof mail.queued)[number]) => boolean): Promise<true> {
  const expected = mail.queued.filter(matches).length;
  return mail.once(what, () => (mail.handled.filter(matches).length >= expected ? true : undefined));
}

describe('mails to one inbox', () => {
  it(`register/delete cycles: every registration succeeds, the inbox gets at most ${MAILS_PER_EMAIL} mails an hour`, async () => {
    const user = newUser({ displayName: 'Support: your account is locked. Call +1-555-0100 or visit evil.example' });
    const statuses: number[] = [];
    for (let cycle = 0; cycle < 7; cycle++) {
      const { client, id } = await registerAt('203.0.113.1', user);
      // As an attacker would: the mail is out (or dropped) before the account goes.
      await settled(`handle the verification mail of cycle ${cycle + 1}`, (job) => job.kind === 'verify-email' && job.userId === id);
      statuses.push((await client.delete('/api/profile', { password: user.password })).status);
    }
    process.stdout.write(`registration mails to one inbox over 7 register/delete cycles: ${mailsTo(user.email).length}\n`);
    expect(statuses).toEqual(Array(7).fill(204));
    expect(mailsTo(user.email)).toHaveLength(MAILS_PER_EMAIL);
    // The address was never confirmed: no mail carries the name its registrant chose.
    expect(mailsTo(user.email).map((m) => m.context.displayName)).toEqual(Array(MAILS_PER_EMAIL).fill(''));
  });
});

describe('registration mails from one client address', () => {
  it(`only ${REGISTRATION_MAILS_PER_ADDRESS} registrations an hour per address get one, IPv6 counted per /64; the rest can ask from the profile`, async () => {
    const registered = [];
    for (let i = 1; i <= REGISTRATION_MAILS_PER_ADDRESS + 2; i++) registered.push(await registerAt(`2001:db8:1:1::${i.toString(16)}`));
    expect(registered.map(({ id }) => verificationQueuedFor(id))).toEqual([
      ...Array<boolean>(REGISTRATION_MAILS_PER_ADDRESS).fill(true),
      false,
      false,
    ]);
    // Another /64 has a budget of its own.
    const elsewhere = await registerAt('2001:db8:1:2::1');
    expect(verificationQueuedFor(elsewhere.id)).toBe(true);

    // The account exists and is signed in: its owner asks for the link (a mail request, under those limits).
    const late = registered.at(-1)!;
    const resend = await late.client.post('/api/auth/verify-email/resend');
    expect([resend.status, resend.json()]).toEqual([202, { message: 'A new verification link is on its way' }]);
    await mail.once('send the resent verification mail', () => mailsTo(late.user.email).at(0));
  });
});

describe('reset requests after a mail the app sent by itself', () => {
  it('a just-registered and an unknown email get the same answers, request by request', async () => {
    const { user, id } = await registerAt('198.51.100.1');
    await mail.once('send the registration mail', () => mailsTo(user.email).at(0));
    const unknown = newUser().email;

    const answers: Record<string, [number, unknown][]> = {};
    for (const email of [user.email, unknown]) {
      answers[email] = [];
      for (let i = 0; i < MAILS_PER_EMAIL + 2; i++) {
        const res = await clientAt('198.51.100.2').post('/api/auth/password-reset', { email });
        answers[email].push([res.status, res.json()]);
      }
    }
    const statuses = (email: string) => answers[email].map(([status]) => status).join(' ');
    process.stdout.write(`reset answers: just registered ${statuses(user.email)}; unknown ${statuses(unknown)}\n`);
    expect(answers[user.email]).toEqual(answers[unknown]);
    expect(answers[unknown]).toEqual([
      ...Array<[number, unknown]>(MAILS_PER_EMAIL).fill([202, RESET_REQUESTED]),
      [429, EMAIL_THROTTLED],
      [429, EMAIL_THROTTLED],
    ]);

    // The inbox still got no more than its mails of the hour: the last request's mail was dropped.
    await settled('handle the reset requests', (job) => job.kind === 'password-reset' && job.email === user.email);
    expect(mailsTo(user.email).map((m) => m.template)).toEqual(['verify-email', ...Array(MAILS_PER_EMAIL - 1).fill('password-reset')]);
    expect(mail.queued.filter((job) => job.kind === 'verify-email' && job.userId === id)).toHaveLength(1);
  });
});

describe('mail requests from one client address', () => {
  it(`counts IPv6 per /64, as the login limits do: ${MAIL_REQUESTS_PER_ADDRESS} requests an hour from the whole /64`, async () => {
    const statuses: number[] = [];
    let refusal: Awaited<ReturnType<Client['post']>> | undefined;
    for (let i = 1; i <= MAIL_REQUESTS_PER_ADDRESS + 2; i++) {
      const res = await clientAt(`2001:db8:2:2::${i.toString(16)}`).post('/api/auth/password-reset', { email: newUser().email });
      statuses.push(res.status);
      if (res.status === 429) refusal = res;
    }
    process.stdout.write(`reset requests from one /64: ${statuses.filter((s) => s === 202).length} of ${statuses.length} got 202\n`);
    expect(statuses).toEqual([...Array<number>(MAIL_REQUESTS_PER_ADDRESS).fill(202), 429, 429]);
    expect(refusal!.json()).toEqual(ADDRESS_THROTTLED);
    expect(Number(refusal!.headers['retry-after'])).toBeGreaterThan(MAIL_WINDOW_SECONDS - 5 * 60);

    const neighbour = await clientAt('2001:db8:2:3::1').post('/api/auth/password-reset', { email: newUser().email });
    expect(neighbour.status).toBe(202);
  });
});
