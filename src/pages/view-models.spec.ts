import { describe, expect, it } from '@jest/globals';
import { localPath, maskEmail, noticeText, relativeTime, sessionRows } from './view-models.js';

describe('page view models', () => {
  it.each([
    ['alice@example.com', 'a••@example.com'],
    ['a@example.com', 'a••@example.com'],
    ['ünal@example.com', 'ü••@example.com'],
    ['"odd@local"@example.com', '"••@example.com'],
  ])('a reset page names %j as %j', (email, masked) => {
    expect(maskEmail(email)).toBe(masked);
  });

  it.each([
    ['expired', 'Your session expired'],
    ['signed-out', 'Signed out'],
    ['password-changed', 'Password changed; your other sessions were signed out'],
    ['__proto__', undefined],
    ['<script>', undefined],
    [['expired'], undefined],
    [undefined, undefined],
  ])('notice %j is %j', (key, text) => {
    expect(noticeText(key)).toBe(text);
  });

  it.each([
    [4 * 60_000 + 59_000, 'in 4 minutes'],
    [59_000, 'in 59 seconds'],
    [-2 * 3_600_000 - 1, '2 hours ago'],
    [13 * 86_400_000 + 86_399_000, 'in 13 days'],
    [400, 'now'],
    [-400, 'now'],
  ])('relative time of %j ms is %j', (delta, text) => {
    expect(relativeTime(delta)).toBe(text);
  });

  it('formats a session list for the sessions page', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    const iso = (deltaMs: number) => new Date(now + deltaMs).toISOString();
    const rows = sessionRows(
      [
        {
          id: 'a',
          current: true,
          createdAt: iso(-5 * 60_000),
          lastSeenAt: iso(0),
          expiresAt: iso(25 * 60_000),
          ip: '203.0.113.9',
          userAgent: 'Firefox',
          methods: ['password', 'totp'],
        },
        {
          id: 'b',
          current: false,
          createdAt: iso(-3_600_000),
          lastSeenAt: iso(0),
          expiresAt: iso(30_000),
          ip: null,
          userAgent: null,
          methods: ['passkey'],
        },
      ],
      now,
    );
    expect(rows).toEqual([
      {
        id: 'a',
        current: true,
        device: 'Firefox',
        ip: '203.0.113.9',
        createdAt: iso(-5 * 60_000),
        signedIn: '5 minutes ago',
        expiresAt: iso(25 * 60_000),
        endsIn: 'in 25 minutes',
        methods: 'password + authenticator',
      },
      {
        id: 'b',
        current: false,
        device: 'Unknown device',
        ip: 'unknown address',
        createdAt: iso(-3_600_000),
        signedIn: '1 hour ago',
        expiresAt: iso(30_000),
        endsIn: 'in 30 seconds',
        methods: 'passkey',
      },
    ]);
  });
});

describe('localPath', () => {
  it.each([
    ['/sessions', '/sessions'],
    ['/sessions?notice=x', '/sessions?notice=x'],
    ['/a/../profile', '/profile'],
    ['//evil.example/x', undefined],
    ['/\\evil.example', undefined],
    ['https://evil.example/', undefined],
    ['javascript:alert(1)', undefined],
    ['sessions', undefined],
    ['/ok\nSet-Cookie: x', undefined],
    ['', undefined],
    [undefined, undefined],
    [['/a'], undefined],
  ])('%j is %j', (next, expected) => {
    expect(localPath(next)).toBe(expected);
  });
});
