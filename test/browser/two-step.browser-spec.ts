/**
 * Two-step sign-in as a person lives it (README, Two-step sign-in): turned on at /security by
 * scanning the QR code, which the test reads off a screenshot as a phone's camera would; codes
 * computed by the test's own authenticator (tools/client/totp.ts) from what was scanned; the
 * second step of sign-in, re-authentication, the recovery codes, and turning it off.
 */
import { describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { browserSuite, leaveSudoMode, notice, register, screenshot, signOut, submit, visit } from '../support/browser.js';
import { decodeQrFromPng } from '../support/qr.js';
import { newUser, type NewUser } from '../../tools/client/client.js';
import { codeAt, roomInStep, STEP_MS } from '../../tools/client/totp.js';

const suite = browserSuite();

/** The issuer the stack runs with (TOTP_ISSUER's default). */
const ISSUER = 'Gatehouse';

/** A six-digit code that is neither the current step's nor the one before's. */
function wrongCode(secret: string): string {
  const now = Date.now();
  const right = new Set([codeAt(secret, now), codeAt(secret, now - STEP_MS), codeAt(secret, now + STEP_MS)]);
  for (let n = 0; ; n++) {
    const code = String(n).padStart(6, '0');
    if (!right.has(code)) return code;
  }
}

/** The secret in the QR code on the page (read off a screenshot), checked against the key shown as text. */
async function scanSetup(page: Page, user: NewUser): Promise<string> {
  const uri = decodeQrFromPng(await page.locator('.qr svg').screenshot());
  expect(uri).toMatch(/^otpauth:\/\//);
  const url = new URL(uri!);
  const secret = url.searchParams.get('secret')!;
  // The key for typing by hand, as copied (textContent) and as seen (innerText): the same base32.
  await expect(page.locator('.secret').textContent()).resolves.toBe(secret);
  await expect(page.locator('.secret').innerText()).resolves.toBe(secret);
  expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits
  expect(uri).toBe(
    `otpauth://totp/${ISSUER}:${encodeURIComponent(user.email)}?secret=${secret}&issuer=${ISSUER}&algorithm=SHA1&digits=6&period=30`,
  );
  return secret;
}

/**
 * Turns two-step sign-in on from /security (in sudo mode), confirmed with the code of the step
 * before the current one, so that the current step's code is still unused for what follows.
 */
async function turnOn(page: Page, user: NewUser): Promise<{ secret: string; recoveryCodes: string[] }> {
  await visit(page, `${suite.baseUrl}/security`);
  await submit(page, () => page.getByRole('button', { name: 'Turn on two-step sign-in' }).click());
  expect(page.url()).toBe(`${suite.baseUrl}/security/totp`);
  const secret = await scanSetup(page, user);
  const now = await roomInStep();
  await page.getByLabel('The code the app shows').fill(codeAt(secret, now - STEP_MS));
  await submit(page, () => page.getByRole('button', { name: 'Turn on', exact: true }).click());
  const recoveryCodes = await page.locator('.recovery-codes code').allInnerTexts();
  expect(recoveryCodes).toHaveLength(10);
  return { secret, recoveryCodes };
}

/** The password step of sign-in, for a user with two-step sign-in on: it leads to the second step. */
async function signInWithPassword(page: Page, user: NewUser): Promise<void> {
  await visit(page, `${suite.baseUrl}/login`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  const res = await submit(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
  expect(res.status()).toBe(303);
  expect(page.url()).toBe(`${suite.baseUrl}/login/second-factor`);
}

/** The current session's "Signed in … with …" on the sessions page. */
async function signedInWith(page: Page): Promise<string> {
  await visit(page, `${suite.baseUrl}/sessions`);
  return page.locator('.session.current dd').nth(1).innerText();
}

describe('two-step sign-in', () => {
  it('turn on by the QR code → sign in with a code → re-authenticate for new recovery codes → sign in with a recovery code', async () => {
    const user = newUser();
    const page = await suite.newPage();
    // Chromium reports a CSP refusal (of the inline SVG, say) on the console.
    const cspRefusals: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspRefusals.push(message.text());
    });
    await register(page, suite.baseUrl, user);

    await page.getByRole('link', { name: 'Two-step sign-in and recovery codes' }).click();
    expect(page.url()).toBe(`${suite.baseUrl}/security`);
    await expect(page.locator('.status').innerText()).resolves.toMatch(/^Off: /);
    await screenshot(page, 'security-off');
    // Just registered: sudo mode, so no re-authentication is asked.
    await submit(page, () => page.getByRole('button', { name: 'Turn on two-step sign-in' }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/security/totp`);
    await screenshot(page, 'two-step-setup');
    const secret = await scanSetup(page, user);

    // A wrong code: the same set-up again (same secret, same QR code) with the message.
    await page.getByLabel('The code the app shows').fill(wrongCode(secret));
    const refused = await submit(page, () => page.getByRole('button', { name: 'Turn on', exact: true }).click());
    expect(refused.status()).toBe(400);
    await expect(page.locator('.form-error').innerText()).resolves.toBe('Invalid code');
    await expect(scanSetup(page, user)).resolves.toBe(secret);
    // Reloaded out of sudo mode, the set-up page asks for the password first, then shows the same set-up.
    await leaveSudoMode(page, suite);
    await visit(page, `${suite.baseUrl}/security/totp`);
    expect(page.url()).toBe(`${suite.baseUrl}/reauthenticate?next=%2Fsecurity%2Ftotp`);
    await expect(page.getByLabel('Authentication code').count()).resolves.toBe(0); // not on yet: the password only
    await page.getByLabel('Password').fill(user.password);
    await submit(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/security/totp`);
    await expect(scanSetup(page, user)).resolves.toBe(secret);

    let now = await roomInStep();
    await page.getByLabel('The code the app shows').fill(codeAt(secret, now - STEP_MS));
    const confirmed = await submit(page, () => page.getByRole('button', { name: 'Turn on', exact: true }).click());
    expect(confirmed.status()).toBe(200);
    expect(confirmed.headers()['cache-control']).toBe('no-store');
    expect(page.url()).toBe(`${suite.baseUrl}/security/totp/confirm`); // the codes are the POST's answer, in no URL
    await expect(notice(page)).resolves.toBe('Two-step sign-in is on; your other sessions were signed out');
    await expect(page.locator('.lead').innerText()).resolves.toMatch(/^Shown this once/);
    const firstCodes = await page.locator('.recovery-codes code').allInnerTexts();
    expect(firstCodes).toHaveLength(10);
    for (const code of firstCodes) expect(code).toMatch(/^[0-9a-z]{6}(-[0-9a-z]{6}){3}$/);
    await screenshot(page, 'recovery-codes');

    await page.getByRole('link', { name: 'I have saved them' }).click();
    await expect(page.locator('.status').innerText()).resolves.toMatch(/^On since \d{4}-\d\d-\d\d: /);
    await expect(page.locator('.recovery-left').innerText()).resolves.toBe('10 of 10 recovery codes left.');
    await screenshot(page, 'security-on');

    // Sign in again: the password, then the current step's code (the set-up spent the one before).
    await signOut(page, suite.baseUrl);
    await signInWithPassword(page, user);
    await expect(page.getByLabel('Authentication code').getAttribute('autocomplete')).resolves.toBe('one-time-code');
    await expect(page.getByLabel('Authentication code').getAttribute('inputmode')).resolves.toBe('numeric');
    await screenshot(page, 'second-factor');
    now = await roomInStep();
    await page.getByLabel('Authentication code').fill(codeAt(secret, now));
    const completed = await submit(page, () => page.getByRole('button', { name: 'Verify' }).click());
    expect(completed.status()).toBe(303);
    expect(page.url()).toBe(`${suite.baseUrl}/profile`);
    await expect(signedInWith(page)).resolves.toMatch(/ with password \+ authenticator$/);

    // Out of sudo mode, new recovery codes ask for the password first, then come back to /security.
    await leaveSudoMode(page, suite);
    await visit(page, `${suite.baseUrl}/security`);
    await submit(page, () => page.getByRole('button', { name: 'Make new recovery codes' }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/reauthenticate?next=%2Fsecurity`);
    await expect(page.getByLabel('Authentication code').count()).resolves.toBe(1); // two-step on: a code would do too
    await screenshot(page, 'reauthenticate-two-step');
    await page.getByLabel('Password').fill(user.password);
    await submit(page, () => page.getByRole('button', { name: 'Continue', exact: true }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/security`);
    const regenerated = await submit(page, () => page.getByRole('button', { name: 'Make new recovery codes' }).click());
    expect([regenerated.status(), regenerated.headers()['cache-control']]).toEqual([200, 'no-store']);
    expect(page.url()).toBe(`${suite.baseUrl}/security/recovery-codes`);
    await expect(notice(page)).resolves.toBe('New recovery codes made: the old ones no longer work');
    const codes = await page.locator('.recovery-codes code').allInnerTexts();
    expect(codes).toHaveLength(10);
    expect(codes.filter((code) => firstCodes.includes(code))).toEqual([]);

    // Sign in with a recovery code: an old one is void; a new one works, typed in capitals with spaces.
    await signOut(page, suite.baseUrl);
    await signInWithPassword(page, user);
    await page.getByText('No phone at hand? Use a recovery code').click();
    await page.getByLabel('Recovery code').fill(firstCodes[0]);
    const old = await submit(page, () => page.getByRole('button', { name: 'Use recovery code' }).click());
    expect(old.status()).toBe(401);
    await expect(page.locator('.form-error').innerText()).resolves.toBe('Invalid code');
    await expect(page.getByLabel('Recovery code').isVisible()).resolves.toBe(true); // its form is still open
    await expect(page.getByLabel('Recovery code').inputValue()).resolves.toBe('');
    await page.getByLabel('Recovery code').fill(` ${codes[3].toUpperCase().replace(/-/g, ' ')} `);
    const recovered = await submit(page, () => page.getByRole('button', { name: 'Use recovery code' }).click());
    expect(recovered.status()).toBe(303);
    expect(page.url()).toBe(`${suite.baseUrl}/profile`);
    await expect(signedInWith(page)).resolves.toMatch(/ with password \+ recovery code$/);
    await visit(page, `${suite.baseUrl}/security`);
    await expect(page.locator('.recovery-left').innerText()).resolves.toBe('9 of 10 recovery codes left.');
    expect(cspRefusals).toEqual([]);
  });

  it('turning it off out of sudo mode asks to re-authenticate, which a code of the authenticator does', async () => {
    const user = newUser();
    const page = await suite.newPage();
    await register(page, suite.baseUrl, user);
    const { secret } = await turnOn(page, user);

    await leaveSudoMode(page, suite);
    await visit(page, `${suite.baseUrl}/security`);
    await submit(page, () => page.getByRole('button', { name: 'Turn off two-step sign-in' }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/reauthenticate?next=%2Fsecurity`);
    // A wrong code: the page again, both ways still offered.
    await page.getByLabel('Authentication code').fill(wrongCode(secret));
    const refused = await submit(page, () => page.getByRole('button', { name: 'Verify code' }).click());
    expect(refused.status()).toBe(403);
    await expect(page.locator('.form-error').innerText()).resolves.toBe('Invalid credentials');
    await expect(page.getByLabel('Password').count()).resolves.toBe(1);
    // The set-up spent the step before; the current one is unused.
    await page.getByLabel('Authentication code').fill(codeAt(secret, await roomInStep()));
    await submit(page, () => page.getByRole('button', { name: 'Verify code' }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/security`);

    const off = await submit(page, () => page.getByRole('button', { name: 'Turn off two-step sign-in' }).click());
    expect(off.status()).toBe(303);
    expect(page.url()).toBe(`${suite.baseUrl}/security?notice=two-step-off`);
    await expect(notice(page)).resolves.toBe('Two-step sign-in is off; your other sessions were signed out');
    await expect(page.locator('.status').innerText()).resolves.toMatch(/^Off: /);

    // The password alone signs in again.
    await signOut(page, suite.baseUrl);
    await visit(page, `${suite.baseUrl}/login`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await submit(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
    expect(page.url()).toBe(`${suite.baseUrl}/profile`);
  });

  it('the second step: nothing to complete without the password first; five wrong codes send the browser back to the password', async () => {
    const user = newUser();
    const page = await suite.newPage();
    await visit(page, `${suite.baseUrl}/login/second-factor`);
    expect(page.url()).toBe(`${suite.baseUrl}/login`);

    await register(page, suite.baseUrl, user);
    const { secret } = await turnOn(page, user);
    await signOut(page, suite.baseUrl);
    await signInWithPassword(page, user);
    for (let i = 1; i <= 4; i++) {
      await page.getByLabel('Authentication code').fill(wrongCode(secret));
      const wrong = await submit(page, () => page.getByRole('button', { name: 'Verify' }).click());
      expect(wrong.status()).toBe(401);
      await expect(page.locator('.form-error').innerText()).resolves.toBe('Invalid code');
      await expect(page.getByLabel('Authentication code').inputValue()).resolves.toBe('');
    }
    // The fifth ends the pending sign-in: the password is asked again at once.
    await page.getByLabel('Authentication code').fill(wrongCode(secret));
    const ended = await submit(page, () => page.getByRole('button', { name: 'Verify' }).click());
    expect(ended.status()).toBe(303);
    expect(page.url()).toBe(`${suite.baseUrl}/login?notice=sign-in-ended`);
    await expect(notice(page)).resolves.toBe('Your sign-in timed out or had too many wrong codes: enter your password again');
    await visit(page, `${suite.baseUrl}/login/second-factor`);
    expect(page.url()).toBe(`${suite.baseUrl}/login`);
  });
});
