import { describe, expect, it } from '@jest/globals';
import { Client, signedInClient } from '../../tools/client/client.js';
import { codeAt, enableTwoStep, roomInStep, STEP_MS } from '../../tools/client/totp.js';
import { inProcessSuite } from './in-process-app.js';

/**
 * The second step of sign-in as a page (/login/second-factor): what the browser spec
 * (two-step.browser-spec.ts) does not reach, such as a body no form of ours sends, and the cookie
 * of a pending sign-in that ended.
 */

const inProcess = inProcessSuite();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** The form token a page gives this client (a signed-out one: a pending sign-in is not signed in). */
async function formToken(client: Client, path: string): Promise<string> {
  const page = await client.get(path);
  expect(page.status).toBe(200);
  return /name="_csrf" value="([^"]+)"/.exec(page.body)![1];
}

/** A six-digit code that is none of the steps the app would accept now. */
function wrongCode(secret: string): string {
  const now = Date.now();
  const right = [codeAt(secret, now), codeAt(secret, now - STEP_MS), codeAt(secret, now + STEP_MS)];
  return ['000000', '000001', '000002', '000003'].find((code) => !right.includes(code))!;
}

function postForm(client: Client, path: string, fields: Record<string, string>) {
  return client.post(path, new URLSearchParams(fields).toString(), FORM);
}

/** A user with two-step sign-in on, and a new client whose password step is done (a pending sign-in). */
async function pendingSignIn(): Promise<{ client: Client; secret: string }> {
  const { client: owner, user } = await signedInClient(inProcess.target);
  const { secret } = await enableTwoStep(owner);
  const client = new Client(inProcess.target);
  const password = await client.post('/api/auth/login', { email: user.email, password: user.password });
  expect(password.status).toBe(202);
  return { client, secret };
}

describe('/login/second-factor', () => {
  it('without a pending sign-in, the page sends the browser to /login and starts no session', async () => {
    const client = new Client(inProcess.target);
    const page = await client.get('/login/second-factor');
    expect([page.status, page.headers.location]).toEqual([302, '/login']);
    expect(await client.cookie('sid')).toBeUndefined();
  });

  it('a pending sign-in: the form; a body with both codes is refused; the code signs in with password + totp', async () => {
    const { client, secret } = await pendingSignIn();
    const token = await formToken(client, '/login/second-factor');

    const both = await postForm(client, '/login/second-factor', { _csrf: token, code: '123456', recoveryCode: 'abcdef' });
    expect(both.status).toBe(400);
    expect(both.body).toContain('Give either code or recoveryCode, not both');

    const done = await postForm(client, '/login/second-factor', { _csrf: token, code: codeAt(secret, await roomInStep()) });
    expect([done.status, done.headers.location]).toEqual([303, '/profile']);
    const session = await client.get('/api/session');
    expect(session.json<{ methods: string[] }>().methods).toEqual(['password', 'totp']);
    // Signed in now: the second step's page has nothing left to ask.
    const again = await client.get('/login/second-factor');
    expect([again.status, again.headers.location]).toEqual([302, '/profile']);
  });

  it('the fifth wrong code sends the browser to /login with a notice, and clears the cookie', async () => {
    const { client, secret } = await pendingSignIn();
    const token = await formToken(client, '/login/second-factor');
    for (let i = 0; i < 4; i++) expect((await client.post('/api/auth/login/totp', { code: wrongCode(secret) })).status).toBe(401);
    const fifth = await postForm(client, '/login/second-factor', { _csrf: token, code: wrongCode(secret) });
    expect([fifth.status, fifth.headers.location]).toEqual([303, '/login?notice=sign-in-ended']);
  });

  it('a pending sign-in that ended (five wrong codes): its form sends the browser to /login with a notice, and clears the cookie', async () => {
    const { client, secret } = await pendingSignIn();
    const token = await formToken(client, '/login/second-factor');
    for (let i = 0; i < 5; i++) expect((await client.post('/api/auth/login/totp', { code: wrongCode(secret) })).status).toBe(401);

    const ended = await postForm(client, '/login/second-factor', { _csrf: token, code: codeAt(secret, await roomInStep()) });
    expect([ended.status, ended.headers.location]).toEqual([303, '/login?notice=sign-in-ended']);
    expect(ended.setCookies.some((line) => /^sid=;/.test(line))).toBe(true);
    expect(await client.cookie('sid')).toBeUndefined();
  });
});
