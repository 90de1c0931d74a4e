/**
 * Passkeys as a person uses them (docs/passkeys.md), in Chromium's own WebAuthn stack: a virtual
 * authenticator attached over CDP (ctap2, internal transport, resident keys, user verification)
 * answers navigator.credentials as a laptop's or a phone's platform authenticator would, through
 * the pages' passkey script (src/views/static/passkeys.js) and @simplewebauthn/browser. Added on
 * /security, then used to sign in with the button and through the login page's autofill request,
 * to complete a password sign-in's second step and to re-authenticate; renamed and removed.
 *
 * Autofill in a test browser. The login page asks for a passkey with conditional mediation as
 * soon as it loads; a real browser lists the site's passkeys among the email field's autofill
 * suggestions and waits for a pick. Chromium's virtual environment with its UI off (the default
 * of WebAuthn.enable, and the only way its modal ceremonies complete unattended) shows no list:
 * a conditional request goes to the authenticator at once, which answers it with the passkey it
 * holds, without waiting for focus or a pick (and refuses it, NotAllowedError, when it holds
 * none). With `enableUI: true` a conditional request does wait for a pick, but headless Chromium
 * gives a test no way to make one (focusing or clicking the field, then ArrowDown and Enter,
 * submits the form instead), and every modal ceremony then waits on a dialog nobody can click.
 * (Nor can the authenticator simply be detached: without one, Chromium reports conditional
 * mediation unavailable and the page makes no request.) So "through autofill" here is loading
 * the login page with the authenticator answering and checking that the one credential request
 * was the conditional one; where a login page must stay signed out (to use the button, or the
 * password), the authenticator waits for a touch (automatic presence simulation off) until the
 * page's conditional request is waiting too: it goes on waiting after, as for a person who has not
 * picked a passkey.
 */
import { EventEmitter, once } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import type { CDPSession, Page } from 'playwright-core';
import { browserSuite, leaveSudoMode, notice, register, screenshot, signOut, submit, visit } from '../support/browser.js';
import { newUser, type NewUser } from '../../tools/client/client.js';
import { codeAt, roomInStep, STEP_MS } from '../../tools/client/totp.js';

const suite = browserSuite();

/** A browser tab with a platform authenticator, and the credential requests its pages made. */
interface Device {
  page: Page;
  cdp: CDPSession;
  authenticatorId: string;
  /** The `mediation` of each navigator.credentials.get() ("conditional": the autofill's; "optional": a button's). */
  mediations: string[];
  requests: EventEmitter;
}

/**
 * A page with an authenticator that holds passkeys and verifies its user (a fingerprint, say)
 * without a prompt, and a record of each navigator.credentials.get() its pages make.
 */
async function newDevice(): Promise<Device> {
  const page = await suite.newPage();
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const device: Device = { page, cdp, authenticatorId, mediations: [], requests: new EventEmitter() };
  await page.exposeFunction('recordCredentialRequest', (mediation: string) => {
    device.mediations.push(mediation);
    device.requests.emit('request', mediation);
  });
  // Injected by the test (CDP), not served by the app: the page's CSP does not apply to it. The
  // request is made before it is told, so that it is under way once the test hears of it.
  await page.addInitScript(`{
    const get = navigator.credentials.get.bind(navigator.credentials);
    navigator.credentials.get = (options) => {
      const credential = get(options);
      recordCredentialRequest((options && options.mediation) || 'optional');
      return credential;
    };
  }`);
  return device;
}

async function credentials({ cdp, authenticatorId }: Device) {
  return (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
}

async function nextConditionalRequest(device: Device): Promise<void> {
  while (((await once(device.requests, 'request')) as string[])[0] !== 'conditional');
}

/**
 * Runs `action` with the authenticator waiting for its user's touch (automatic presence
 * simulation off), as a person who has not picked a passkey yet. With `autofillWaits`, `action`
 * ends on a login page, whose conditional request is let begin first: it then waits, also once
 * the authenticator answers again, and the page stays signed out.
 */
async function withoutTouch(device: Device, action: () => Promise<void>, autofillWaits = false): Promise<void> {
  const presence = (enabled: boolean) =>
    device.cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId: device.authenticatorId, enabled });
  await presence(false);
  // Listening before the action: the request may come as soon as its page loads.
  const conditional = autofillWaits && nextConditionalRequest(device);
  await action();
  if (conditional) await conditional;
  await presence(true);
}

/** GET /api/session with this browser's cookies: how the current session signed in, and its sudo mode. */
async function currentSession(page: Page): Promise<{ methods: string[]; sudoExpiresAt: string | null }> {
  const res = await page.request.get(`${suite.baseUrl}/api/session`);
  expect(res.status()).toBe(200);
  return (await res.json()) as { methods: string[]; sudoExpiresAt: string | null };
}

/** A button of the passkey script: shown once the script ran, next to the `.passkey-error` where it says what went wrong. */
function passkeyButton(page: Page, name: string) {
  return page.getByRole('button', { name, exact: true });
}

/** Clicks a passkey button and waits for the page the script then goes to. */
async function usePasskey(page: Page, name: string, url: string): Promise<void> {
  await passkeyButton(page, name).click();
  await page.waitForURL(url);
}

/** Turns two-step sign-in on through the API in this browser's session (in sudo mode): a password then asks for a second step. */
async function turnOnTwoStep(page: Page): Promise<void> {
  const begin = await page.request.post(`${suite.baseUrl}/api/profile/totp`, { data: {} });
  expect(begin.status()).toBe(200);
  const { secret } = (await begin.json()) as { secret: string };
  const now = await roomInStep();
  const confirm = await page.request.post(`${suite.baseUrl}/api/profile/totp/confirm`, { data: { code: codeAt(secret, now - STEP_MS) } });
  expect(confirm.status()).toBe(200);
}

/** The password step of a sign-in that a second step follows. */
async function signInWithPassword(page: Page, user: NewUser): Promise<void> {
  await visit(page, `${suite.baseUrl}/login`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await submit(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
  expect(page.url()).toBe(`${suite.baseUrl}/login/second-factor`);
}

/** What went wrong in the page's script: a CSP refusal (of an inline script, say) or an uncaught error. */
function watchScript(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

describe('passkeys', () => {
  it('added on /security, then signing in with the button and through autofill (no second step), completing a password sign-in, re-authenticating; renamed, removed', async () => {
    const user = newUser();
    const device = await newDevice();
    const { page } = device;
    const problems = watchScript(page);
    await register(page, suite.baseUrl, user);
    const { id: userId } = (await (await page.request.get(`${suite.baseUrl}/api/profile`)).json()) as { id: string };
    await turnOnTwoStep(page);

    // Out of sudo mode, "Add a passkey" asks for the password first, and comes back.
    await leaveSudoMode(page, suite);
    await visit(page, `${suite.baseUrl}/security`);
    await expect(page.locator('.passkey').count()).resolves.toBe(0);
    await expect(page.getByText('Adding a passkey needs a browser').isVisible()).resolves.toBe(false);
    await usePasskey(page, 'Add a passkey', `${suite.baseUrl}/reauthenticate?next=%2Fsecurity`);
    await page.getByLabel('Password').fill(user.password);
    await submit(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/security`);
    await usePasskey(page, 'Add a passkey', `${suite.baseUrl}/security?notice=passkey-added`);
    await expect(notice(page)).resolves.toBe('Passkey added: it signs you in without your password');

    // The authenticator holds one discoverable credential, for this RP id and this user.
    const held = await credentials(device);
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ isResidentCredential: true, rpId: 'localhost', signCount: 1 });
    expect(Buffer.from(held[0].userHandle!, 'base64').toString('utf8')).toBe(userId);
    const passkey = page.locator('.passkey');
    await expect(passkey.count()).resolves.toBe(1);
    const today = new Date().toISOString().slice(0, 10);
    await expect(passkey.locator('.passkey-name').innerText()).resolves.toBe(`Passkey added on Linux, ${today}`);
    await expect(passkey.locator('dd').allInnerTexts()).resolves.toEqual([today, 'Never', 'No, on one device only']);
    // docs/security-passkey.png is a copy of this one.
    await screenshot(page, 'security-passkey');

    // The button, on a login page whose autofill request is waiting: no password, and no second
    // step although two-step sign-in is on (a passkey with user verification is two factors).
    await withoutTouch(device, () => signOut(page, suite.baseUrl), true);
    await expect(page.getByLabel('Email').getAttribute('autocomplete')).resolves.toBe('username webauthn');
    await expect(page.locator('.passkey-error').isVisible()).resolves.toBe(false);
    // docs/login-passkey.png is a copy of this one.
    await screenshot(page, 'login-passkey');
    device.mediations.length = 0;
    await usePasskey(page, 'Sign in with a passkey', `${suite.baseUrl}/profile`);
    expect(device.mediations).toEqual(['optional']);
    await expect(currentSession(page)).resolves.toMatchObject({ methods: ['passkey'] });
    expect((await credentials(device))[0].signCount).toBe(2);

    // Autofill: the login page's own conditional request signs in, with no click.
    await withoutTouch(device, () => signOut(page, suite.baseUrl), true);
    device.mediations.length = 0;
    // Only until the page is there: it goes on to /profile by itself, maybe before its load event.
    await page.goto(`${suite.baseUrl}/login`, { waitUntil: 'commit' });
    await page.waitForURL(`${suite.baseUrl}/profile`);
    expect(device.mediations).toEqual(['conditional']);
    await expect(currentSession(page)).resolves.toMatchObject({ methods: ['passkey'] });

    // The second step of a password sign-in.
    await withoutTouch(device, async () => {
      await signOut(page, suite.baseUrl);
      await signInWithPassword(page, user);
    });
    await expect(page.getByLabel('Authentication code').count()).resolves.toBe(1);
    await usePasskey(page, 'Use a passkey', `${suite.baseUrl}/profile`);
    await expect(currentSession(page)).resolves.toMatchObject({ methods: ['password', 'passkey'] });

    // Re-authenticating: a rename out of sudo mode asks first, and a passkey does.
    await leaveSudoMode(page, suite);
    expect((await currentSession(page)).sudoExpiresAt).toBeNull();
    await visit(page, `${suite.baseUrl}/security`);
    await page.getByLabel('Name').fill('Work laptop');
    await submit(page, () => page.getByRole('button', { name: 'Rename' }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/reauthenticate?next=%2Fsecurity`);
    await usePasskey(page, 'Use a passkey', `${suite.baseUrl}/security`);
    expect(Date.parse((await currentSession(page)).sudoExpiresAt!)).toBeGreaterThan(Date.now());

    // A blank name is refused at that passkey's form; a real one is taken.
    await page.getByLabel('Name').fill('   ');
    const blank = await submit(page, () => page.getByRole('button', { name: 'Rename' }).click());
    expect(blank.status()).toBe(400);
    await expect(passkey.locator('.error').innerText()).resolves.toBe('Name must be longer than or equal to 1 characters');
    await page.getByLabel('Name').fill('Work laptop');
    const renamed = await submit(page, () => page.getByRole('button', { name: 'Rename' }).click());
    expect(renamed.status()).toBe(303);
    await expect(notice(page)).resolves.toBe('Passkey renamed');
    await expect(passkey.locator('.passkey-name').innerText()).resolves.toBe('Work laptop');
    await expect(passkey.locator('dd').nth(1).innerText()).resolves.toBe(today); // used since

    const removed = await submit(page, () => page.getByRole('button', { name: 'Remove' }).click());
    expect(removed.status()).toBe(303);
    await expect(notice(page)).resolves.toBe('Passkey removed: it no longer signs you in');
    await expect(passkey.count()).resolves.toBe(0);

    // The authenticator still holds it, but it signs nobody in: the login page's autofill request
    // and then the button each say so, and the page stays where it is.
    await signOut(page, suite.baseUrl);
    const message = page.locator('.passkey-error');
    await message.waitFor();
    await expect(message.innerText()).resolves.toBe('Invalid passkey');
    await Promise.all([
      page.waitForResponse((res) => res.url() === `${suite.baseUrl}/api/auth/passkey` && res.status() === 401),
      passkeyButton(page, 'Sign in with a passkey').click(),
    ]);
    await expect(message.innerText()).resolves.toBe('Invalid passkey');
    expect(page.url()).toBe(`${suite.baseUrl}/login?notice=signed-out`);
    expect(problems).toEqual([]);
  });

  it('without script, the login page signs in with the password and shows no passkey button; /security says why none can be added', async () => {
    const user = newUser();
    const page = await suite.newPage({ javaScriptEnabled: false });
    await register(page, suite.baseUrl, user);
    await signOut(page, suite.baseUrl);
    await expect(page.getByRole('button', { name: 'Sign in with a passkey' }).count()).resolves.toBe(0);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await submit(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/profile`);
    await visit(page, `${suite.baseUrl}/security`);
    await expect(page.getByRole('button', { name: 'Add a passkey' }).count()).resolves.toBe(0);
    await expect(page.getByText('Adding a passkey needs a browser').isVisible()).resolves.toBe(true);
  });
});
