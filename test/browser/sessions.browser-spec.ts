/**
 * Sessions as a browser lives them: what its cookie jar holds, what survives a restart, what an
 * idle timeout and a revocation look like from the other end. Short timeouts keep it fast.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { deviceName } from '../../src/common/device-name.js';
import {
  browserSuite,
  launchWithProfile,
  notice,
  OTHER_USER_AGENT,
  register,
  screenshot,
  signIn,
  signOut,
  submit,
  visit,
} from '../support/browser.js';
import { newUser } from '../../tools/client/client.js';
import { connectRedis, sessionIdOf } from '../../tools/client/redis.js';

/**
 * Idle 5 s: long enough that no step of a test idles out by accident (steps take well under a
 * second), short enough to wait out once. The remember-me cap only has to outlast a relaunch.
 */
const IDLE_SECONDS = 5;
const REMEMBER_SECONDS = 120;
const COOKIE = '__Host-sid';

const suite = browserSuite({
  SESSION_IDLE_TIMEOUT: String(IDLE_SECONDS),
  SESSION_ABSOLUTE_TIMEOUT: '60',
  SESSION_REMEMBER_TIMEOUT: String(REMEMBER_SECONDS),
});

/** The browser holds the session cookie and the signed-out forms' CSRF nonce, nothing else. */
async function sessionCookie(context: BrowserContext) {
  const cookies = await context.cookies(suite.baseUrl);
  expect(cookies.map((cookie) => cookie.name).sort()).toEqual(['__Host-csrf', COOKIE]);
  expect(cookies.find((cookie) => cookie.name === '__Host-csrf')).toMatchObject({
    path: '/',
    expires: -1,
    httpOnly: true,
    secure: true,
    sameSite: 'Lax',
  });
  return cookies.find((cookie) => cookie.name === COOKIE)!;
}

describe('the session cookie in the browser', () => {
  it('is Secure, HttpOnly, SameSite=Lax, host-only and ends with the browser after a normal sign-in', async () => {
    const user = newUser();
    const page = await suite.newPage();
    await register(page, suite.baseUrl, user);
    await signOut(page, suite.baseUrl);
    await signIn(page, suite.baseUrl, user);
    expect(await sessionCookie(page.context())).toEqual({
      name: COOKIE,
      value: expect.stringMatching(/^s%3A/),
      domain: 'localhost',
      path: '/',
      expires: -1, // a browser-session cookie: no Expires, no Max-Age
      httpOnly: true,
      secure: true,
      sameSite: 'Lax',
      partitionKey: undefined,
    });
  });

  it('is persistent, for the remember-me time, after a remember-me sign-in', async () => {
    const user = newUser();
    const page = await suite.newPage();
    await register(page, suite.baseUrl, user);
    await signOut(page, suite.baseUrl);
    const before = Date.now() / 1000;
    await signIn(page, suite.baseUrl, user, true);
    const cookie = await sessionCookie(page.context());
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
    expect(cookie.expires).toBeGreaterThan(before + REMEMBER_SECONDS - 5);
    expect(cookie.expires).toBeLessThanOrEqual(Date.now() / 1000 + REMEMBER_SECONDS);
  });
});

describe('closing the browser and starting it again with the same profile', () => {
  let profileDir: string;

  beforeAll(() => {
    profileDir = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-profile-'));
  });

  afterAll(() => {
    rmSync(profileDir, { recursive: true, force: true });
  });

  it.each([
    [true, `/profile`],
    [false, `/login`],
  ])('after a sign-in with remember-me=%j lands on %s', async (rememberMe, landing) => {
    const user = newUser();
    const dir = mkdtempSync(path.join(profileDir, 'run-'));
    const first = await launchWithProfile(dir);
    try {
      const page = first.pages()[0] ?? (await first.newPage());
      await register(page, suite.baseUrl, user);
      await signOut(page, suite.baseUrl);
      await signIn(page, suite.baseUrl, user, rememberMe);
    } finally {
      await first.close();
    }

    const second = await launchWithProfile(dir);
    try {
      const page = second.pages()[0] ?? (await second.newPage());
      await visit(page, `${suite.baseUrl}/profile`);
      expect(page.url()).toBe(`${suite.baseUrl}${landing}`);
    } finally {
      await second.close();
    }
  });
});

describe('a session that ends elsewhere', () => {
  it('after the idle timeout, the next navigation lands on /login saying the session expired', async () => {
    const user = newUser();
    const page = await suite.newPage();
    await register(page, suite.baseUrl, user);
    await page.waitForTimeout((IDLE_SECONDS + 1) * 1000);
    await page.getByRole('link', { name: 'Sessions' }).click();
    expect(page.url()).toBe(`${suite.baseUrl}/login?notice=expired`);
    await expect(notice(page)).resolves.toBe('Your session expired');
    await screenshot(page, 'login-session-expired');
  });

  it("two browsers of one user: revoking one from the other's sessions page signs it out", async () => {
    const user = newUser();
    const here = await suite.newPage();
    const there = await suite.newPage({ userAgent: OTHER_USER_AGENT });
    await register(here, suite.baseUrl, user);
    await signIn(there, suite.baseUrl, user);

    await visit(here, `${suite.baseUrl}/sessions`);
    const rows = here.locator('.session');
    await expect(rows.count()).resolves.toBe(2);
    await expect(rows.nth(0).locator('.badge').innerText()).resolves.toBe('This device');
    await expect(rows.nth(1).locator('.device').innerText()).resolves.toBe(deviceName(OTHER_USER_AGENT));
    await screenshot(here, 'sessions-before-revoke');

    const revoked = await submit(here, () => rows.nth(1).getByRole('button', { name: 'Sign out this session' }).click());
    expect(revoked.status()).toBe(303);
    expect(here.url()).toBe(`${suite.baseUrl}/sessions?notice=session-revoked`);
    await expect(notice(here)).resolves.toBe('That session was signed out');
    await expect(rows.count()).resolves.toBe(1);

    await visit(there, `${suite.baseUrl}/profile`);
    expect(there.url()).toBe(`${suite.baseUrl}/login?notice=expired`);
    await expect(notice(there)).resolves.toBe('Your session expired');
    // The revoking browser is still signed in.
    await visit(here, `${suite.baseUrl}/profile`);
    expect(here.url()).toBe(`${suite.baseUrl}/profile`);
  });

  it('outside sudo mode, signing another session out asks for the password first, then comes back to do it', async () => {
    const user = newUser();
    const here = await suite.newPage();
    const there = await suite.newPage({ userAgent: OTHER_USER_AGENT });
    await register(here, suite.baseUrl, user);
    await signIn(there, suite.baseUrl, user);
    // The sign-in was 20 minutes ago, as far as sudo mode is concerned (SUDO_TIMEOUT 15 min).
    const redis = await connectRedis(suite.stack.redisUrl);
    try {
      const key = `sess:${sessionIdOf((await sessionCookie(here.context())).value)}`;
      const record = JSON.parse((await redis.get(key))!) as { p: number };
      await redis.set(key, JSON.stringify({ ...record, p: Date.now() - 20 * 60_000 }), { KEEPTTL: true });
    } finally {
      await redis.close();
    }

    await visit(here, `${suite.baseUrl}/sessions`);
    await expect(here.locator('.session').nth(0).locator('dd').nth(1).innerText()).resolves.toMatch(/ with password$/);
    await submit(here, () => here.locator('.session').nth(1).getByRole('button', { name: 'Sign out this session' }).click());
    expect(here.url()).toBe(`${suite.baseUrl}/reauthenticate?next=%2Fsessions`);
    await expect(here.locator('.session').count()).resolves.toBe(0);
    await screenshot(here, 'reauthenticate');
    await here.getByLabel('Password').fill(user.password);
    await submit(here, () => here.getByRole('button', { name: 'Continue' }).click());
    expect(here.url()).toBe(`${suite.baseUrl}/sessions`);

    await submit(here, () => here.locator('.session').nth(1).getByRole('button', { name: 'Sign out this session' }).click());
    expect(here.url()).toBe(`${suite.baseUrl}/sessions?notice=session-revoked`);
    await visit(there, `${suite.baseUrl}/profile`);
    expect(there.url()).toBe(`${suite.baseUrl}/login?notice=expired`);
  });

  it('"sign out everywhere else" ends every other session and keeps this one', async () => {
    const user = newUser();
    const here = await suite.newPage();
    const others = [await suite.newPage({ userAgent: OTHER_USER_AGENT }), await suite.newPage()];
    await register(here, suite.baseUrl, user);
    for (const other of others) await signIn(other, suite.baseUrl, user);

    await visit(here, `${suite.baseUrl}/sessions`);
    await expect(here.locator('.session').count()).resolves.toBe(3);
    await submit(here, () => here.getByRole('button', { name: 'Sign out everywhere else' }).click());
    expect(here.url()).toBe(`${suite.baseUrl}/sessions?notice=others-revoked`);
    await expect(here.locator('.session').count()).resolves.toBe(1);

    for (const other of others) {
      await visit(other, `${suite.baseUrl}/profile`);
      expect(other.url()).toBe(`${suite.baseUrl}/login?notice=expired`);
    }
  });
});
