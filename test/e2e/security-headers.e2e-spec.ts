import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '../../tools/client/client.js';
import { request, type Response } from '../../tools/client/http.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

let target: Target;
beforeAll(async () => {
  target = await startTarget();
});
afterAll(async () => {
  await stopTarget(target);
});

/** `a b; c d` → { a: ['b'], c: ['d'] }: compares policies whatever their directive order. */
function parseCsp(header: string | string[] | undefined): Record<string, string[]> {
  expect(typeof header).toBe('string');
  return Object.fromEntries(
    (header as string)
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name, values]),
  );
}

const EXPECTED_CSP = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'object-src': ["'none'"],
};

describe('security headers through nginx', () => {
  const cases: [string, () => Promise<Response>, number][] = [
    ['GET /healthz', () => new Client(target).get('/healthz'), 200],
    ['GET /api/profile without a session', () => new Client(target).get('/api/profile'), 401],
    ['POST /api/auth/login with a bad body', () => new Client(target).post('/api/auth/login', {}), 400],
    ['GET an unknown path', () => new Client(target).get('/no/such/page'), 404],
  ];

  it.each(cases)('%s carries the CSP, the other helmet headers and exactly one HSTS', async (_name, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(parseCsp(res.headers['content-security-policy'])).toEqual(EXPECTED_CSP);
    expect(res.headers).toMatchObject({
      'referrer-policy': 'same-origin',
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      // Node joins repeated headers with ", ": a second HSTS (from the app) would show here.
      'strict-transport-security': 'max-age=31536000',
      server: 'nginx',
    });
    expect(res.headers['x-powered-by']).toBeUndefined();
  });
});

describeNative('HSTS comes from nginx only (native stack: asks the app directly)', () => {
  it('the app itself sends helmet headers but no Strict-Transport-Security', async () => {
    const res = await request(target.stack!.appUrls[0], { path: '/healthz' });
    expect(res.status).toBe(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toBeDefined();
    expect(res.headers['strict-transport-security']).toBeUndefined();
  });
});
