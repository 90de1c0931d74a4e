import { describe, expect, it } from '@jest/globals';
import type { SessionData } from 'express-session';
import { deviceName } from '../common/device-name.js';
import { compactUserAgent, sessionRecordSerializer, USER_AGENT_MAX } from './session-record.js';

const cookie = { httpOnly: true, secure: true, sameSite: 'lax' as const, path: '/', domain: undefined };
const serializer = sessionRecordSerializer(cookie);
const T0 = Date.UTC(2026, 0, 1);

describe('sessionRecordSerializer', () => {
  it('round-trips every field of a signed-in session, without the cookie', () => {
    const data = {
      cookie: { ...cookie, originalMaxAge: null, expires: null },
      passport: { user: '43a627cf-97f4-4ca1-bd5e-78c37ce16baa' },
      clock: { createdAt: T0, lastSeenAt: T0 + 90_000, rememberMe: true },
      credential: T0 - 5_000,
      ip: '203.0.113.7',
      userAgent: '(Windows NT 10.0; Win64; x64) Chrome/131.0.0.0',
      csrfToken: 'token',
      methods: ['password', 'totp'],
      provenAt: T0 + 60_000,
      handle: 'c0ffee'.repeat(10) + 'c0ff',
    } as unknown as SessionData;
    const text = serializer.stringify(data);
    expect(JSON.parse(text)).toEqual({
      u: '43a627cf-97f4-4ca1-bd5e-78c37ce16baa',
      c: T0,
      l: 90_000,
      r: 1,
      k: T0 - 5_000,
      i: '203.0.113.7',
      a: '(Windows NT 10.0; Win64; x64) Chrome/131.0.0.0',
      t: 'token',
      m: ['password', 'totp'],
      p: T0 + 60_000,
      h: 'c0ffee'.repeat(10) + 'c0ff',
    });
    // The cookie comes from the configuration, not from Redis.
    expect(serializer.parse(text)).toEqual({ ...data, cookie });
  });

  it('writes no keys for what a session does not have, and reads it back the same', () => {
    const data = { cookie: {}, clock: { createdAt: T0, lastSeenAt: T0, rememberMe: false } } as unknown as SessionData;
    expect(serializer.stringify(data)).toBe(`{"c":${T0},"l":0}`);
    expect(serializer.parse(serializer.stringify(data))).toEqual({ cookie, clock: data.clock });
  });

  it('round-trips a pending sign-in and a TOTP enrolment', () => {
    const data = {
      cookie: { ...cookie },
      pending: { userId: '43a627cf-97f4-4ca1-bd5e-78c37ce16baa', rememberMe: true, startedAt: T0, credential: T0 - 5_000 },
      totpEnrolment: { secret: 'v1.keyid123.iv.ciphertext', expiresAt: T0 + 600_000 },
    } as unknown as SessionData;
    const text = serializer.stringify(data);
    expect(JSON.parse(text)).toEqual({
      w: { u: '43a627cf-97f4-4ca1-bd5e-78c37ce16baa', r: 1, s: T0, k: T0 - 5_000 },
      e: { s: 'v1.keyid123.iv.ciphertext', x: T0 + 600_000 },
    });
    expect(serializer.parse(text)).toEqual({ ...data, cookie });
  });
});

describe('compactUserAgent', () => {
  it.each([
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      '(Windows NT 10.0; Win64; x64) Chrome/131.0.0.0',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      '(Windows NT 10.0; Win64; x64) Chrome/131.0.0.0 Edg/131.0.0.0',
    ],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0',
      '(Windows NT 10.0; Win64; x64; rv:140.0) Firefox/140.0',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
      '(Macintosh; Intel Mac OS X 10_15_7) Version/18.1 Safari/605.1.15',
    ],
    ['curl/8.5.0', 'curl/8.5.0'],
    ['Mozilla/5.0 ', 'Mozilla/5.0 '],
  ])('%s → %s', (userAgent, expected) => {
    expect(compactUserAgent(userAgent)).toBe(expected);
  });

  it(`keeps at most ${USER_AGENT_MAX} characters`, () => {
    expect(compactUserAgent('x'.repeat(10_000))).toHaveLength(USER_AGENT_MAX);
  });
});

describe('the device name of what a session keeps', () => {
  it.each([
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      'Chrome on macOS',
    ],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0', 'Firefox on Windows'],
    [
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      'Microsoft Edge on Windows',
    ],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
      'Safari on macOS',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
      'Safari on iOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      'Chrome on Android',
    ],
  ])('the sessions list names %s as the full header would: %s', (userAgent, expected) => {
    expect(deviceName(compactUserAgent(userAgent))).toBe(expected);
    expect(deviceName(userAgent)).toBe(expected);
  });
});
