import { describe, expect, it } from '@jest/globals';
import type { ActivityEntry } from '../activity/security-event.js';
import {
  activityRows,
  activityText,
  localPath,
  maskEmail,
  methodsText,
  noticeText,
  passkeyRows,
  relativeTime,
  secretGroups,
  securityView,
  sessionRows,
} from './view-models.js';

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
    ['sign-in-ended', 'Your sign-in timed out or had too many wrong codes: enter your password again'],
    ['passkey-added', 'Passkey added: it signs you in without your password'],
    ['passkey-removed', 'Passkey removed: it no longer signs you in'],
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
          userAgent: '(Windows NT 10.0; Win64; x64; rv:140.0) Firefox/140.0',
          device: 'Firefox on Windows',
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
          device: 'Unknown device',
          methods: ['passkey'],
        },
      ],
      now,
    );
    expect(rows).toEqual([
      {
        id: 'a',
        current: true,
        device: 'Firefox on Windows',
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

describe('how a session signed in, for a person', () => {
  it.each([
    [['password'], 'password'],
    [['password', 'totp'], 'password + authenticator'],
    [['password', 'recoveryCode'], 'password + recovery code'],
    [['passkey'], 'passkey'],
  ] as const)('%j reads %j', (methods, text) => {
    expect(methodsText([...methods])).toBe(text);
  });
});

describe('the security page', () => {
  it('says since when two-step sign-in is on and how many recovery codes are left', () => {
    expect(securityView({ totp: { enabled: true, enabledAt: '2026-12-06T12:15:42.000Z' }, recoveryCodesLeft: 7 })).toEqual({
      twoStepOn: true,
      enabledAt: '2026-12-06T12:15:42.000Z',
      enabledOn: '2026-12-06',
      recoveryCodesLeft: '7 of 10 recovery codes left',
      recoveryCodesOut: false,
    });
  });

  it('warns when no recovery code is left', () => {
    expect(securityView({ totp: { enabled: true, enabledAt: '2026-12-06T12:15:42.000Z' }, recoveryCodesLeft: 0 })).toMatchObject({
      recoveryCodesLeft: '0 of 10 recovery codes left',
      recoveryCodesOut: true,
    });
  });

  it('while it is off, says nothing about codes', () => {
    expect(securityView({ totp: { enabled: false, enabledAt: null }, recoveryCodesLeft: 0 })).toEqual({
      twoStepOn: false,
      enabledAt: null,
      enabledOn: null,
      recoveryCodesLeft: null,
      recoveryCodesOut: false,
    });
  });

  it('lists the passkeys with their dates and whether they are backed up, marking the one whose rename was refused', () => {
    const synced = {
      id: 'AbC-_1',
      name: 'Phone',
      createdAt: '2026-12-01T08:00:00.000Z',
      lastUsedAt: '2026-12-06T12:15:42.000Z',
      backedUp: true,
    };
    const local = {
      id: 'xyz',
      name: 'Passkey added on Linux, 2026-12-06',
      createdAt: '2026-12-06T09:00:00.000Z',
      lastUsedAt: null,
      backedUp: false,
    };
    expect(passkeyRows([synced, local], 'xyz')).toEqual([
      {
        id: 'AbC-_1',
        name: 'Phone',
        createdAt: '2026-12-01T08:00:00.000Z',
        createdOn: '2026-12-01',
        lastUsedAt: '2026-12-06T12:15:42.000Z',
        lastUsedOn: '2026-12-06',
        backedUp: 'Yes, synced by its provider',
        renaming: false,
      },
      {
        id: 'xyz',
        name: 'Passkey added on Linux, 2026-12-06',
        createdAt: '2026-12-06T09:00:00.000Z',
        createdOn: '2026-12-06',
        lastUsedAt: null,
        lastUsedOn: null,
        backedUp: 'No, on one device only',
        renaming: true,
      },
    ]);
    expect(passkeyRows([synced]).map((row) => row.renaming)).toEqual([false]);
  });

  it('shows a secret in groups of four that join back into the secret', () => {
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXQ';
    expect(secretGroups(secret)).toEqual(['JBSW', 'Y3DP', 'EHPK', '3PXP', 'JBSW', 'Y3DP', 'EHPK', '3PXQ']);
    expect(secretGroups('ABCDEF')).toEqual(['ABCD', 'EF']);
    expect(secretGroups(secret).join('')).toBe(secret);
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

describe('the activity page', () => {
  it.each<[string, Pick<ActivityEntry, 'type' | 'detail' | 'count'>]>([
    ['signed in with a passkey', { type: 'sign-in', detail: { methods: ['passkey'] }, count: 1 }],
    ['signed in with the password', { type: 'sign-in', detail: { methods: ['password'] }, count: 1 }],
    ['signed in with the password and an authenticator code', { type: 'sign-in', detail: { methods: ['password', 'totp'] }, count: 1 }],
    ['signed in with the password and a recovery code', { type: 'sign-in', detail: { methods: ['password', 'recoveryCode'] }, count: 1 }],
    ['created the account and signed in', { type: 'sign-in', detail: { methods: ['password'], registered: true }, count: 1 }],
    ['signed in', { type: 'sign-in', detail: null, count: 1 }],
    ['failed sign-in', { type: 'sign-in-failed', detail: null, count: 1 }],
    ['failed sign-in, 20 times', { type: 'sign-in-failed', detail: null, count: 20 }],
    ['wrong second step at sign-in, 3 times', { type: 'second-factor-failed', detail: null, count: 3 }],
    ['changed the password', { type: 'password-changed', detail: null, count: 1 }],
    ['reset the password with a mailed link', { type: 'password-reset', detail: null, count: 1 }],
    ['signed another session out', { type: 'session-revoked', detail: null, count: 1 }],
  ])('"%s"', (text, entry) => {
    expect(activityText(entry)).toBe(text);
  });

  it('reads "device, address, when: what", this device marked, failures apart', () => {
    const now = Date.UTC(2026, 0, 1, 12);
    const entry = (fields: Partial<ActivityEntry>): ActivityEntry => ({
      type: 'sign-in',
      at: new Date(now - 2 * 3_600_000),
      ip: '203.0.113.9',
      device: 'Chrome on macOS',
      current: false,
      detail: { methods: ['passkey'] },
      count: 1,
      ...fields,
    });
    expect(
      activityRows(
        [
          entry({ current: true }),
          entry({ type: 'sign-in-failed', detail: null, count: 4, ip: null, device: null }),
          entry({ type: 'totp-disabled', detail: { by: 'operator' }, ip: null, device: null }),
        ],
        now,
      ),
    ).toEqual([
      {
        current: true,
        failure: false,
        at: '2026-01-01T10:00:00.000Z',
        when: '2 hours ago',
        where: 'Chrome on macOS, 203.0.113.9',
        what: 'signed in with a passkey',
      },
      {
        current: false,
        failure: true,
        at: '2026-01-01T10:00:00.000Z',
        when: '2 hours ago',
        where: 'Unknown device, unknown address',
        what: 'failed sign-in, 4 times',
      },
      {
        current: false,
        failure: false,
        at: '2026-01-01T10:00:00.000Z',
        when: '2 hours ago',
        where: 'An operator',
        what: 'turned two-step sign-in off',
      },
    ]);
  });
});
