/**
 * Account recovery in a real browser, through nginx over HTTPS, with the links taken from the
 * stack's inbox (MailDev) as a person would click them in their mail.
 */
import { describe, expect, it } from '@jest/globals';
import { browserSuite, notice, register, screenshot, signIn, signOut, submit, visit } from '../support/browser.js';
import { newUser } from '../../tools/client/client.js';
import { linkIn, RESET_SUBJECT, VERIFY_SUBJECT, waitForMails } from '../support/mail.js';

const suite = browserSuite();

describe('forgot password', () => {
  it('forgot password → link from the inbox → new password → signed in; the old password no longer works, the other browser is signed out', async () => {
    const user = newUser();
    const laptop = await suite.newPage();
    await register(laptop, suite.baseUrl, user);

    const phone = await suite.newPage();
    await visit(phone, `${suite.baseUrl}/login`);
    await phone.getByRole('link', { name: 'Forgot your password?' }).click();
    expect(phone.url()).toBe(`${suite.baseUrl}/forgot-password`);
    await phone.getByLabel('Email').fill(user.email);
    await screenshot(phone, 'forgot-password');
    const requested = await submit(phone, () => phone.getByRole('button', { name: 'Send me a reset link' }).click());
    expect(requested.status()).toBe(303);
    await expect(notice(phone)).resolves.toBe('If that email is registered, a reset link is on its way');

    const [mail] = await waitForMails(suite.stack.mailUrl, user.email, RESET_SUBJECT);
    await visit(phone, linkIn(mail, suite.baseUrl, '/reset-password').href);
    await expect(phone.locator('h1').innerText()).resolves.toBe('Choose a new password');
    // The page names the account the link resets, masked.
    await expect(phone.locator('.account').innerText()).resolves.toBe(`${user.email[0]}••@${user.email.split('@')[1]}`);
    await phone.getByLabel('New password').fill('my brand new passphrase');
    await screenshot(phone, 'reset-password');
    const reset = await submit(phone, () => phone.getByRole('button', { name: 'Set new password' }).click());
    expect(reset.status()).toBe(303);
    // Signed in nowhere: the browser signs in with the new password itself.
    expect(phone.url()).toBe(`${suite.baseUrl}/login?notice=password-reset`);
    await expect(notice(phone)).resolves.toBe('Password changed and every session signed out: sign in with the new password');
    await signIn(phone, suite.baseUrl, { ...user, password: 'my brand new passphrase' });
    // The link proved the inbox, so the address counts as confirmed.
    await expect(phone.locator('.verified').innerText()).resolves.toMatch(/^Email address confirmed \d{4}-\d{2}-\d{2}$/);

    await visit(laptop, `${suite.baseUrl}/profile`);
    expect(laptop.url()).toBe(`${suite.baseUrl}/login?notice=expired`);

    await signOut(phone, suite.baseUrl);
    await phone.getByLabel('Email').fill(user.email);
    await phone.getByLabel('Password').fill(user.password);
    const refused = await submit(phone, () => phone.getByRole('button', { name: 'Sign in', exact: true }).click());
    expect(refused.status()).toBe(401);
    await expect(phone.locator('.form-error').innerText()).resolves.toBe('Invalid email or password');
    await signIn(phone, suite.baseUrl, { ...user, password: 'my brand new passphrase' });

    // The link worked once.
    await visit(phone, linkIn(mail, suite.baseUrl, '/reset-password').href);
    await phone.getByLabel('New password').fill('yet another passphrase');
    const again = await submit(phone, () => phone.getByRole('button', { name: 'Set new password' }).click());
    expect(again.status()).toBe(400);
    await expect(phone.locator('.form-error').innerText()).resolves.toBe('Invalid or expired reset link');
    await expect(phone.getByRole('link', { name: 'Ask for a new link' }).count()).resolves.toBe(1);
  });
});

describe('email verification', () => {
  it('the profile says the address is not confirmed and resends the link; the link confirms it', async () => {
    const user = newUser();
    const page = await suite.newPage();
    await register(page, suite.baseUrl, user);
    await expect(page.locator('.unverified p').innerText()).resolves.toBe(
      'Email address not confirmed yet: follow the link we mailed you.',
    );

    const resent = await submit(page, () => page.getByRole('button', { name: 'Resend the confirmation link' }).click());
    expect(resent.status()).toBe(303);
    expect(page.url()).toBe(`${suite.baseUrl}/profile?notice=verification-sent`);
    await expect(notice(page)).resolves.toBe('A new verification link is on its way');

    const mails = await waitForMails(suite.stack.mailUrl, user.email, VERIFY_SUBJECT, 2);
    await visit(page, linkIn(mails[1], suite.baseUrl, '/verify-email').href);
    await screenshot(page, 'verify-email');
    const confirmed = await submit(page, () => page.getByRole('button', { name: 'Confirm my email address' }).click());
    expect(confirmed.status()).toBe(303);
    expect(page.url()).toBe(`${suite.baseUrl}/profile?notice=email-verified`);
    await expect(notice(page)).resolves.toBe('Email address confirmed');
    await expect(page.locator('.verified').innerText()).resolves.toMatch(/^Email address confirmed \d{4}-\d{2}-\d{2}$/);
    await expect(page.getByRole('button', { name: 'Resend the confirmation link' }).count()).resolves.toBe(0);
  });
});
