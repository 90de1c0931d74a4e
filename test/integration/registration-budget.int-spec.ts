import { describe, expect, it } from '@jest/globals';
import { TOO_MANY_REGISTRATIONS } from '../../src/auth/registration-budget.js';
import { Client, newUser } from '../../tools/client/client.js';
import { inProcessSuite } from './in-process-app.js';

/**
 * The per-address registration budget (README, Configuration: REGISTRATIONS_PER_ADDRESS), small
 * here so the test stays quick. The app trusts its loopback proxy, as it trusts nginx, so each
 * test is the client address it names in X-Forwarded-For and no test shares another's count.
 */

const BUDGET = 3;

const inProcess = inProcessSuite({ TRUST_PROXY: 'loopback', REGISTRATIONS_PER_ADDRESS: String(BUDGET) });

function registerFrom(address: string, user = newUser()) {
  return new Client(inProcess.target).post('/api/auth/register', user, { 'x-forwarded-for': address });
}

/** Whether the user can sign in (from an address with no failures counted). */
async function canSignIn(user: { email: string; password: string }): Promise<boolean> {
  const res = await new Client(inProcess.target).post(
    '/api/auth/login',
    { email: user.email, password: user.password },
    { 'x-forwarded-for': '192.0.2.1' },
  );
  return res.status === 200;
}

describe('registrations from one client address', () => {
  it(`${BUDGET} an hour, then 429 with Retry-After and no account; another address has its own budget`, async () => {
    const statuses = [];
    for (let i = 0; i < BUDGET; i++) statuses.push((await registerFrom('203.0.113.7')).status);
    expect(statuses).toEqual(Array(BUDGET).fill(201));

    const refused = newUser();
    const res = await registerFrom('203.0.113.7', refused);
    expect([res.status, res.json()]).toEqual([429, { statusCode: 429, error: 'Too Many Requests', message: TOO_MANY_REGISTRATIONS }]);
    const retryAfter = Number(res.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(59 * 60);
    expect(retryAfter).toBeLessThanOrEqual(60 * 60);
    expect(await canSignIn(refused)).toBe(false);

    expect((await registerFrom('203.0.113.8')).status).toBe(201);
  });

  it('an attempt counts whether or not the email is taken (each one hashes a password)', async () => {
    const taken = newUser();
    expect((await registerFrom('198.51.100.7', taken)).status).toBe(201);
    for (let i = 1; i < BUDGET; i++) expect((await registerFrom('198.51.100.7', taken)).status).toBe(409);
    expect((await registerFrom('198.51.100.7')).status).toBe(429);
  });

  it('a request the validation refuses is not counted (it hashes nothing)', async () => {
    for (let i = 0; i < BUDGET + 2; i++) {
      expect((await registerFrom('198.51.100.9', newUser({ password: 'short' }))).status).toBe(400);
    }
    expect((await registerFrom('198.51.100.9')).status).toBe(201);
  });

  it('an IPv6 client counts as its /64', async () => {
    for (let i = 1; i <= BUDGET; i++) expect((await registerFrom(`2001:db8:7:7::${i}`)).status).toBe(201);
    expect((await registerFrom('2001:db8:7:7:ffff::1')).status).toBe(429);
    expect((await registerFrom('2001:db8:7:8::1')).status).toBe(201);
  });
});
