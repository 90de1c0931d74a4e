/**
 * The activity page (docs/activity.md) in a real browser, through nginx over HTTPS: what a user
 * sees after signing in on two devices, a failed sign-in, signing one of them out and changing the
 * password, this browser's events marked.
 */
import { describe, expect, it } from '@jest/globals';
import { deviceName } from '../../src/common/device-name.js';
import { newUser } from '../../tools/client/client.js';
import { browserSuite, OTHER_USER_AGENT, register, screenshot, signIn, submit, visit } from '../support/browser.js';

const suite = browserSuite();
/** "now", "3 seconds ago": the page says how long ago, and these all just happened. */
const JUST_NOW = '(now|\\d+ seconds? ago)';

describe('the activity page', () => {
  it('after sign-ins, a failed one, a revoked session and a password change: each line, this device’s marked', async () => {
    const user = newUser();
    const page = await suite.newPage();
    const other = await suite.newPage({ userAgent: OTHER_USER_AGENT });
    await register(page, suite.baseUrl, user);
    const here = deviceName(await page.evaluate<string>('navigator.userAgent'));
    const there = deviceName(OTHER_USER_AGENT);

    await visit(other, `${suite.baseUrl}/login`);
    await other.getByLabel('Email').fill(user.email);
    await other.getByLabel('Password').fill('not the password');
    expect((await submit(other, () => other.getByRole('button', { name: 'Sign in', exact: true }).click())).status()).toBe(401);
    await signIn(other, suite.baseUrl, user);

    await visit(page, `${suite.baseUrl}/sessions`);
    await submit(page, () => page.locator('.session').nth(1).getByRole('button', { name: 'Sign out this session' }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/sessions?notice=session-revoked`);
    await page.getByRole('link', { name: 'Password' }).click();
    await page.getByLabel('Current password').fill(user.password);
    await page.getByLabel('New password').fill('a brand new passphrase');
    await submit(page, () => page.getByRole('button', { name: 'Change password' }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/profile?notice=password-changed`);

    await page.getByRole('link', { name: 'Activity' }).click();
    expect(page.url()).toBe(`${suite.baseUrl}/activity`);
    await expect(page.locator('h1').innerText()).resolves.toBe('Security activity');
    const events = page.locator('.event');
    const lines = (await events.allInnerTexts()).map((text) => text.replace(/\s+/g, ' ').trim());
    const line = (device: string, what: string, current = false) =>
      new RegExp(`^${current ? 'This device ' : ''}${device}, 127\\.0\\.0\\.1, ${JUST_NOW}: ${what}$`);
    expect(lines).toEqual([
      expect.stringMatching(line(here, 'changed the password', true)),
      expect.stringMatching(line(here, 'signed another session out', true)),
      expect.stringMatching(line(there, 'signed in with the password')),
      expect.stringMatching(line(there, 'failed sign-in')),
      expect.stringMatching(line(here, 'created the account and signed in', true)),
    ]);
    await expect(events.nth(3).getAttribute('class')).resolves.toBe('event failure');
    await expect(page.locator('.event.current').count()).resolves.toBe(3);
    await expect(page.getByRole('link', { name: 'Older' }).count()).resolves.toBe(0);
    // docs/activity.png is a copy of this one.
    await screenshot(page, 'activity');

    await page.getByRole('link', { name: 'where you are signed in' }).click();
    expect(page.url()).toBe(`${suite.baseUrl}/sessions`);
    await visit(page, `${suite.baseUrl}/activity`);
    await page.getByRole('link', { name: 'your two-step sign-in and passkeys' }).click();
    expect(page.url()).toBe(`${suite.baseUrl}/security`);
  });
});
