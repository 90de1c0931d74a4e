/**
 * The pages in a real browser, through nginx over HTTPS: the whole account flow, forms refused and
 * shown again, the keyboard alone, and forms posted from another site.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { deviceName } from '../../src/common/device-name.js';
import { browserSuite, notice, OTHER_USER_AGENT, register, screenshot, signIn, signOut, submit, visit } from '../support/browser.js';
import { newUser } from '../../tools/client/client.js';

const suite = browserSuite();

describe('account pages', () => {
  it('register → profile → change display name → sessions lists this browser → sign out → sign in', async () => {
    const user = newUser();
    const page = await suite.newPage();

    await visit(page, `${suite.baseUrl}/`);
    expect(page.url()).toBe(`${suite.baseUrl}/login`);
    await screenshot(page, 'login');
    await page.getByRole('link', { name: 'Create an account' }).click();
    expect(page.url()).toBe(`${suite.baseUrl}/register`);
    await screenshot(page, 'register');
    await register(page, suite.baseUrl, user);

    await expect(page.locator('h1').innerText()).resolves.toBe('Profile');
    await expect(page.locator('.lead').innerText()).resolves.toBe(`Signed in as ${user.email}`);
    await expect(page.getByLabel('Display name').inputValue()).resolves.toBe(user.displayName);
    await page.getByLabel('Display name').fill('Ada King');
    const saved = await submit(page, () => page.getByRole('button', { name: 'Save' }).click());
    expect(saved.status()).toBe(303);
    expect(page.url()).toBe(`${suite.baseUrl}/profile?notice=profile-saved`);
    await expect(notice(page)).resolves.toBe('Display name saved');
    await expect(page.getByLabel('Display name').inputValue()).resolves.toBe('Ada King');
    await screenshot(page, 'profile');

    await page.getByRole('link', { name: 'Sessions' }).click();
    expect(page.url()).toBe(`${suite.baseUrl}/sessions`);
    const sessions = page.locator('.session');
    await expect(sessions.count()).resolves.toBe(1);
    const userAgent = await page.evaluate<string>('navigator.userAgent');
    await expect(sessions.first().locator('.device').innerText()).resolves.toBe(`This device ${deviceName(userAgent)}`);
    await expect(sessions.first().locator('dd').last().innerText()).resolves.toMatch(/^in \d+ minutes$/);
    // Nothing to revoke: the current session is signed out with "Sign out", not revoked.
    await expect(page.getByRole('button', { name: /Sign out this session|everywhere else/ }).count()).resolves.toBe(0);
    await screenshot(page, 'sessions');

    const signedOut = await submit(page, () => page.getByRole('button', { name: 'Sign out' }).click());
    expect(signedOut.status()).toBe(303);
    expect(page.url()).toBe(`${suite.baseUrl}/login?notice=signed-out`);
    await expect(notice(page)).resolves.toBe('Signed out');
    await screenshot(page, 'login-signed-out');
    await visit(page, `${suite.baseUrl}/profile`);
    expect(page.url()).toBe(`${suite.baseUrl}/login`);

    await signIn(page, suite.baseUrl, user);
    await expect(page.getByLabel('Display name').inputValue()).resolves.toBe('Ada King');
  });

  it('shows a refused form again: its status, each error next to its field, the input kept but never a password', async () => {
    const user = newUser();
    const page = await suite.newPage();
    await visit(page, `${suite.baseUrl}/register`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Display name').fill(user.displayName);
    await page.getByLabel('Password').fill('too short');
    const refused = await submit(page, () => page.getByRole('button', { name: 'Create account' }).click());
    expect(refused.status()).toBe(400);
    expect(refused.headers()['content-type']).toMatch(/^text\/html/);
    expect(refused.headers()['cache-control']).toBe('no-store');
    await expect(page.locator('#password-error').innerText()).resolves.toBe('Password must be at least 12 characters');
    await expect(page.getByLabel('Password').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.getByLabel('Password').inputValue()).resolves.toBe('');
    await expect(page.getByLabel('Email').inputValue()).resolves.toBe(user.email);
    await expect(page.getByLabel('Display name').inputValue()).resolves.toBe(user.displayName);
    await screenshot(page, 'register-refused');

    await register(page, suite.baseUrl, user);
    await page.getByLabel('Display name').fill('   ');
    const blank = await submit(page, () => page.getByRole('button', { name: 'Save' }).click());
    expect(blank.status()).toBe(400);
    await expect(page.locator('#displayName-error').innerText()).resolves.toMatch(/^Display name must be/);
    await signOut(page, suite.baseUrl);

    await visit(page, `${suite.baseUrl}/login`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByLabel(/Keep me signed in/).check();
    const wrong = await submit(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
    expect(wrong.status()).toBe(401);
    await expect(page.locator('.form-error').innerText()).resolves.toBe('Invalid email or password');
    await expect(page.getByLabel('Email').inputValue()).resolves.toBe(user.email);
    await expect(page.getByLabel('Password').inputValue()).resolves.toBe('');
    await expect(page.getByLabel(/Keep me signed in/).isChecked()).resolves.toBe(true);
    await screenshot(page, 'login-refused');
  });

  it('changes the password: a wrong current one is refused, then every other session is signed out', async () => {
    const user = newUser();
    const page = await suite.newPage();
    const other = await suite.newPage({ userAgent: OTHER_USER_AGENT });
    await register(page, suite.baseUrl, user);
    await signIn(other, suite.baseUrl, user);
    await page.getByRole('link', { name: 'Sessions' }).click();
    await expect(page.locator('.session').count()).resolves.toBe(2);
    // docs/sessions.png is a copy of this one (and docs/profile.png of profile.png).
    await screenshot(page, 'sessions-two-devices');

    await page.getByRole('link', { name: 'Password' }).click();
    expect(page.url()).toBe(`${suite.baseUrl}/password`);
    await screenshot(page, 'password');
    await page.getByLabel('Current password').fill('not the password');
    await page.getByLabel('New password').fill('a brand new passphrase');
    const refused = await submit(page, () => page.getByRole('button', { name: 'Change password' }).click());
    expect(refused.status()).toBe(403);
    await expect(page.locator('#currentPassword-error').innerText()).resolves.toBe('Current password is wrong');
    await expect(page.getByLabel('New password').inputValue()).resolves.toBe('');
    await screenshot(page, 'password-refused');

    // A form token from before the change (say, another tab's form) ...
    const staleToken = await page.locator('input[name="_csrf"]').first().inputValue();
    await page.getByLabel('Current password').fill(user.password);
    await page.getByLabel('New password').fill('a brand new passphrase');
    await submit(page, () => page.getByRole('button', { name: 'Change password' }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/profile?notice=password-changed`);
    // ... does not outlive the password.
    const stale = await page.context().request.post(`${suite.baseUrl}/profile`, {
      form: { displayName: 'Mallory', _csrf: staleToken },
      headers: { Origin: suite.baseUrl },
      maxRedirects: 0,
    });
    expect(stale.status()).toBe(403);
    await expect(notice(page)).resolves.toBe('Password changed; your other sessions were signed out');
    await screenshot(page, 'profile-password-changed');

    await visit(other, `${suite.baseUrl}/profile`);
    expect(other.url()).toBe(`${suite.baseUrl}/login?notice=expired`);
    await expect(notice(other)).resolves.toBe('Your session expired');
    await signIn(other, suite.baseUrl, { ...user, password: 'a brand new passphrase' });
    await visit(page, `${suite.baseUrl}/sessions`);
    await expect(page.locator('.session').count()).resolves.toBe(2);
  });

  it('signs in with the keyboard alone: Tab to each field, type, Enter', async () => {
    const user = newUser();
    const setup = await suite.newPage();
    await register(setup, suite.baseUrl, user);

    const page = await suite.newPage();
    await visit(page, `${suite.baseUrl}/login`);
    const focused = async () => {
      const element = page.locator(':focus');
      return (await element.count()) === 0 ? null : ((await element.getAttribute('id')) ?? (await element.innerText()));
    };
    // From the top of the page: the skip link and the header's links come first.
    for (let tabs = 0; tabs < 10 && (await focused()) !== 'email'; tabs++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('email');
    await page.keyboard.type(user.email);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('password');
    await page.keyboard.type(user.password);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('rememberMe');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('Sign in');
    await submit(page, () => page.keyboard.press('Enter'));
    expect(page.url()).toBe(`${suite.baseUrl}/profile`);
    await expect(page.locator('.lead').innerText()).resolves.toBe(`Signed in as ${user.email}`);
  });
});

describe('forms posted from elsewhere', () => {
  let attacker: http.Server;
  let attackerUrl: string;

  beforeAll(async () => {
    // Another origin (http, another port: another site, too) whose pages submit a form to
    // Gatehouse as soon as they load: the classic CSRF. The script runs on the attacker's page,
    // which has no CSP of ours.
    attacker = http.createServer((req, res) => {
      const [action, field] = req.url === '/profile' ? ['/profile', '<input name="displayName" value="Mallory">'] : ['/logout', ''];
      res.setHeader('Content-Type', 'text/html');
      res.end(`<!doctype html><title>Win a prize</title>
        <form method="post" action="${suite.baseUrl}${action}">${field}</form>
        <script>document.forms[0].submit()</script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => attacker?.close(resolve));
  });

  it.each([['/logout'], ['/profile']])('a page on another origin auto-submitting to %s gets 403 and changes nothing', async (target) => {
    const user = newUser();
    const page = await suite.newPage();
    await register(page, suite.baseUrl, user);

    const victim = await page.context().newPage();
    const refused = victim.waitForResponse(`${suite.baseUrl}${target}`);
    await visit(victim, `${attackerUrl}${target}`);
    expect((await refused).status()).toBe(403);
    await victim.waitForLoadState();
    await expect(victim.locator('h1').innerText()).resolves.toBe('Forbidden');
    await screenshot(victim, `cross-site-refused${target.replace('/', '-')}`);

    await visit(page, `${suite.baseUrl}/profile`);
    expect(page.url()).toBe(`${suite.baseUrl}/profile`);
    await expect(page.getByLabel('Display name').inputValue()).resolves.toBe(user.displayName);
  });

  it('a same-origin POST with the session cookie but without the form token gets 403', async () => {
    const user = newUser();
    const page = await suite.newPage();
    await register(page, suite.baseUrl, user);
    // The browser context's own request client: its cookie jar, and the right Origin.
    const request = page.context().request;
    for (const token of [undefined, 'forged-token']) {
      const response = await request.post(`${suite.baseUrl}/profile`, {
        form: token ? { displayName: 'Mallory', _csrf: token } : { displayName: 'Mallory' },
        headers: { Origin: suite.baseUrl },
        maxRedirects: 0,
      });
      expect(response.status()).toBe(403);
      expect(response.headers()['content-type']).toMatch(/^text\/html/);
    }
    await page.reload();
    await expect(page.getByLabel('Display name').inputValue()).resolves.toBe(user.displayName);
  });
});
