import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ADDRESS_FAILURE_LIMIT, EMAIL_FAILURE_LIMIT, FAILURE_WINDOW_SECONDS } from '../../src/auth/credential-throttle.js';
import { RESET_CONFIRMS_PER_ADDRESS } from '../../src/recovery/password-reset.service.js';
import { Client, newUser, signedInClient } from '../../tools/client/client.js';
import { request, type Response } from '../../tools/client/http.js';
import { ownAddress, pacerFor, waitForRefill } from '../../tools/client/pace.js';
import { eventually } from '../support/eventually.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

/**
 * Login throttling (docs/security.md, Brute force). That an unknown email costs what a wrong
 * password costs is pinned in process, by what runs rather than by time (enumeration.int-spec.ts).
 * Two app instances behind nginx's round robin: consecutive attempts alternate between them, so
 * a lock after the 10th failure proves the counters are shared (in Redis), not per process.
 */
let target: Target;
beforeAll(async () => {
  target = await startTarget({}, { appInstances: 2 });
});
afterAll(async () => {
  await stopTarget(target);
});

/** Clients pace their login and register POSTs under nginx's limit; that limit is tested last. */
async function login(email: string, password: string): Promise<Response> {
  return new Client(target).post('/api/auth/login', { email, password });
}
async function register() {
  return signedInClient(target);
}

const WRONG = 'not the password!';

function expectThrottled(res: Response, message: string): void {
  expect([res.status, res.json()]).toEqual([429, { statusCode: 429, error: 'Too Many Requests', message }]);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(FAILURE_WINDOW_SECONDS);
}
const EMAIL_LOCKED = 'Too many failed logins for this email; try again later';
const ADDRESS_LOCKED = 'Too many failed logins from this address; try again later';

describe('per-email lock after consecutive failures', () => {
  it(`answers 429 with Retry-After from the attempt after ${EMAIL_FAILURE_LIMIT} failures, even with the right password`, async () => {
    const { user } = await register();
    for (let i = 0; i < EMAIL_FAILURE_LIMIT; i++) expect((await login(user.email, WRONG)).status).toBe(401);
    expectThrottled(await login(user.email, user.password), EMAIL_LOCKED);
    expectThrottled(await login(user.email.toUpperCase(), WRONG), EMAIL_LOCKED);
  });

  it('starts the count over after a success', async () => {
    const { user } = await register();
    for (let round = 0; round < 2; round++) {
      // Without the reset, the second round's failures would add up to more than the limit.
      for (let i = 0; i < EMAIL_FAILURE_LIMIT - 1; i++) expect((await login(user.email, WRONG)).status).toBe(401);
      expect((await login(user.email, user.password)).status).toBe(200);
    }
  });

  it(`lets exactly ${EMAIL_FAILURE_LIMIT} of ${2 * EMAIL_FAILURE_LIMIT} simultaneous guesses through`, async () => {
    // Attempts are counted before the password check: checking first and counting afterwards
    // would let all of them through, as none has failed yet when the others are checked.
    const { user } = await register();
    const from = ownAddress(target); // so many sign-ins at once: nginx's bucket of an address no other test uses
    const guesses = await Promise.all(
      Array.from({ length: 2 * EMAIL_FAILURE_LIMIT }, () =>
        new Client(target, undefined, from).post('/api/auth/login', { email: user.email, password: WRONG }),
      ),
    );
    const statuses = guesses.map((res) => res.status).sort();
    expect(statuses).toEqual([...Array(EMAIL_FAILURE_LIMIT).fill(401), ...Array(EMAIL_FAILURE_LIMIT).fill(429)]);
  });

  it('locks an email that has no account just the same (the lock tells nothing)', async () => {
    const { email } = newUser();
    for (let i = 0; i < EMAIL_FAILURE_LIMIT; i++) expect((await login(email, WRONG)).status).toBe(401);
    expectThrottled(await login(email, WRONG), EMAIL_LOCKED);
  });
});

describeNative('per-address lock (native stack: needs a second client address)', () => {
  /** The same nginx, reached from another loopback address: a different client to nginx and app. */
  function loginFrom(localAddress: string, email: string): Promise<Response> {
    return request(target.baseUrl, {
      method: 'POST',
      path: '/api/auth/login',
      body: { email, password: WRONG },
      ca: target.ca,
      localAddress,
      headers: { origin: target.baseUrl },
    });
  }

  it(`answers 429 to an address after more than ${ADDRESS_FAILURE_LIMIT} failures, whatever the email; other addresses still get in`, async () => {
    const attacker = '127.0.0.2';
    const statuses: number[] = [];
    const pace = pacerFor(target, attacker); // raw requests: nginx counts per address too, stay under it
    for (let i = 0; i <= ADDRESS_FAILURE_LIMIT; i++) {
      await pace();
      statuses.push((await loginFrom(attacker, newUser().email)).status);
    }
    expect(statuses.filter((status) => status !== 401)).toEqual([]);

    await pace();
    expectThrottled(await loginFrom(attacker, newUser().email), ADDRESS_LOCKED);
    expect((await login(newUser().email, WRONG)).status).toBe(401); // from 127.0.0.1
  });
});

describeNative('a flood of bogus reset confirmations (native stack: many client addresses)', () => {
  const FLOODERS = 40;
  const SIGN_INS = 16;

  it(`leaves real sign-ins alone: ${SIGN_INS} of ${SIGN_INS} answered 200 while ${FLOODERS} addresses send bogus links at nginx's allowed rate`, async () => {
    const users = [];
    for (let i = 0; i < SIGN_INS; i++) users.push((await register()).user);
    // Each flooding address stays under nginx's limit (one request per 110 ms) and sends as many
    // as its reset-confirmation budget allows; a bogus token is refused before any hash.
    let answered = 0;
    const flood = Array.from({ length: FLOODERS }, async (_, i) => {
      const pace = pacerFor(target, `127.0.1.${10 + i}`);
      const statuses: number[] = [];
      for (let n = 0; n < RESET_CONFIRMS_PER_ADDRESS; n++) {
        await pace();
        const res = await request(target.baseUrl, {
          method: 'POST',
          path: '/api/auth/password-reset/confirm',
          body: { token: `guessed-${i}-${n}`, newPassword: 'a new passphrase, guessed' },
          ca: target.ca,
          localAddress: `127.0.1.${10 + i}`,
          headers: { origin: target.baseUrl },
        });
        statuses.push(res.status);
        answered++;
      }
      return statuses;
    });
    await eventually('the flood to be under way', () => answered >= FLOODERS);
    const signIns = await Promise.all(
      users.map((user, i) =>
        request(target.baseUrl, {
          method: 'POST',
          path: '/api/auth/login',
          body: { email: user.email, password: user.password },
          ca: target.ca,
          localAddress: `127.0.2.${10 + i}`,
          headers: { origin: target.baseUrl },
        }),
      ),
    );
    const floodStatuses = (await Promise.all(flood)).flat();
    console.log(
      `bogus-confirmation flood: ${floodStatuses.length} confirmations (${floodStatuses.filter((s) => s === 400).length} answered 400); ` +
        `real sign-ins during it: ${signIns.filter((res) => res.status === 200).length} of ${SIGN_INS} answered 200`,
    );
    expect(signIns.map((res) => res.status)).toEqual(Array(SIGN_INS).fill(200));
    expect(floodStatuses.filter((status) => status !== 400)).toEqual([]);
  });
});

describe("nginx's per-address rate limit on login and register POSTs", () => {
  // Each burst drains its address's bucket: natively an address of the test's own; against a
  // deployment the one all tests share, which must refill for whatever comes next.
  afterEach(async () => {
    if (!target.stack) await waitForRefill();
  });

  it.each(['/api/auth/login', '/api/auth/register'])('answers a burst to %s with a JSON 429 and Retry-After', async (path) => {
    // An empty body: the requests that get through are 400s, so no failure is counted and no user
    // created. Raw requests, not the paced client: this burst is meant to hit the limit.
    const localAddress = ownAddress(target);
    const burst = await Promise.all(
      Array.from({ length: 40 }, () =>
        request(target.baseUrl, { method: 'POST', path, body: {}, ca: target.ca, localAddress, headers: { origin: target.baseUrl } }),
      ),
    );
    const statuses = burst.map((res) => res.status);
    expect(statuses.filter((status) => status !== 400 && status !== 429)).toEqual([]);
    const limited = burst.filter((res) => res.status === 429);
    expect(limited.length).toBeGreaterThanOrEqual(10);
    for (const res of limited) {
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json()).toEqual({ statusCode: 429, error: 'Too Many Requests', message: 'Too many requests' });
    }
  });
});
