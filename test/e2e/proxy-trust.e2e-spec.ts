import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { Client, newUser } from '../../tools/client/client.js';
import { request } from '../../tools/client/http.js';
import { eventually } from '../support/eventually.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

/**
 * The failure Gatehouse exists to end, reproduced: behind a TLS-terminating proxy that the app
 * does not trust, login "works" (200) but the Secure session cookie never reaches the browser.
 */
describeNative('TRUST_PROXY=false behind nginx (the silent failure)', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget({ TRUST_PROXY: 'false' });
  });
  afterAll(async () => {
    await stopTarget(target);
  });

  it('login answers 200 yet sets no cookie, and the app warns once, naming the fix', async () => {
    const user = newUser();
    const c = new Client(target);
    const register = await c.post('/api/auth/register', user);
    expect(register.status).toBe(201);
    expect(register.setCookies).toEqual([]);

    const login = await c.post('/api/auth/login', { email: user.email, password: user.password });
    expect(login.status).toBe(200);
    expect(login.setCookies).toEqual([]);
    expect((await c.get('/api/profile')).status).toBe(401);

    const warnings = target
      .stack!.appLogs()
      .split('\n')
      .filter((line) => line.includes('Session cookie NOT sent'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('TRUST_PROXY');
    expect(warnings[0]).toContain('X-Forwarded-Proto');
    expect(warnings[0]).toContain('`npm run doctor -- --url https://your.host` checks the deployment (README: Troubleshooting).');
  });
});

describeNative('TRUST_PROXY set to nginx only', () => {
  let target: Target;
  beforeAll(async () => {
    target = await startTarget(); // the stack trusts 127.0.0.1, nginx's address as the app sees it
  });
  afterAll(async () => {
    await stopTarget(target);
  });

  it('the cookie arrives through nginx and no warning is written', async () => {
    const c = new Client(target);
    const res = await c.post('/api/auth/register', newUser());
    expect(res.status).toBe(201);
    expect(res.setCookies[0]).toMatch(/^__Host-sid=s%3A.+; Secure/);
    // The warning would be written while the register request is answered; a request logged after
    // it shows the app's output has been read that far, so its absence is not just a late line.
    const after = `after-${randomUUID()}`;
    expect((await c.get('/readyz', { 'x-request-id': after })).status).toBe(200);
    await eventually(`${after} in the app logs`, () => target.stack!.appLogs().includes(after), { timeoutMs: 5_000 });
    expect(target.stack!.appLogs()).not.toContain('Session cookie NOT sent');
  });

  it('a direct request with a forged X-Forwarded-Proto from another address gets no Secure session', async () => {
    const user = newUser();
    expect((await new Client(target).post('/api/auth/register', user)).status).toBe(201);
    const direct = await request(target.stack!.appUrls[0], {
      method: 'POST',
      path: '/api/auth/login',
      localAddress: '127.0.0.2', // not nginx: its X-Forwarded-* headers must not be believed
      headers: {
        'x-forwarded-proto': 'https',
        'x-forwarded-for': '203.0.113.9',
        origin: target.baseUrl,
      },
      body: { email: user.email, password: user.password },
    });
    expect(direct.status).toBe(200);
    expect(direct.headers['set-cookie']).toBeUndefined();
  });
});
