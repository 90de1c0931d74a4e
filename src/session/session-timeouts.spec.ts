import { describe, expect, it } from '@jest/globals';
import {
  absoluteExpiresAt,
  expiresAt,
  idleExpiresAt,
  isExpired,
  RENEW_FRACTION,
  secondsLeft,
  shouldRenew,
  startClock,
} from './session-timeouts.js';

const MIN = 60_000;
const t = { idleMs: 30 * MIN, absoluteMs: 12 * 60 * MIN, rememberMs: 14 * 24 * 60 * MIN };
const T0 = Date.UTC(2026, 0, 1);

/** A fake clock: the rules are pure functions of `now`, so tests move time instead of waiting. */
function simulate(rememberMe: boolean, activityEveryMs: number, untilMs: number) {
  const clock = startClock(T0, rememberMe);
  for (let now = T0; now <= T0 + untilMs; now += activityEveryMs) {
    if (isExpired(clock, t, now)) return { endedAt: now - T0, clock };
    if (shouldRenew(clock, t, now)) clock.lastSeenAt = now;
  }
  return { endedAt: null, clock };
}

describe('session timeouts', () => {
  it('ends an unused session at the idle timeout', () => {
    const clock = startClock(T0, false);
    expect(isExpired(clock, t, T0 + 30 * MIN - 1)).toBe(false);
    expect(isExpired(clock, t, T0 + 30 * MIN)).toBe(true);
    expect(idleExpiresAt(clock, t)).toBe(T0 + 30 * MIN);
  });

  it('slides the idle timeout with activity, renewing only after a fraction of the window', () => {
    const clock = startClock(T0, false);
    expect(shouldRenew(clock, t, T0 + 30 * MIN * RENEW_FRACTION - 1)).toBe(false);
    expect(shouldRenew(clock, t, T0 + 30 * MIN * RENEW_FRACTION)).toBe(true);
    const { endedAt } = simulate(false, 5 * MIN, 11 * 60 * MIN);
    expect(endedAt).toBeNull();
  });

  it('ends an active session at the absolute cap, whatever the activity', () => {
    const { endedAt } = simulate(false, MIN, 24 * 60 * MIN);
    expect(endedAt).toBe(12 * 60 * MIN);
  });

  it('the idle timeout may end a session early by at most the renew fraction', () => {
    // Activity just before each renewal threshold is not recorded: the worst case.
    const clock = startClock(T0, false);
    const lastActivity = T0 + 30 * MIN * RENEW_FRACTION - 1;
    expect(shouldRenew(clock, t, lastActivity)).toBe(false);
    const end = expiresAt(clock, t);
    expect(end - lastActivity).toBeGreaterThanOrEqual(30 * MIN * (1 - RENEW_FRACTION));
  });

  it('gives remember-me sessions no idle timeout and their own cap from sign-in', () => {
    const clock = startClock(T0, true);
    expect(idleExpiresAt(clock, t)).toBeNull();
    expect(isExpired(clock, t, T0 + 13 * 24 * 60 * MIN)).toBe(false);
    expect(isExpired(clock, t, T0 + 14 * 24 * 60 * MIN)).toBe(true);
    expect(absoluteExpiresAt(clock, t)).toBe(T0 + t.rememberMs);
    expect(shouldRenew(clock, t, T0 + 10 * 24 * 60 * MIN)).toBe(false);
  });

  it('never renews once the absolute cap is nearer than the idle window', () => {
    const clock = startClock(T0, false);
    clock.lastSeenAt = T0 + 11 * 60 * MIN + 45 * MIN;
    expect(shouldRenew(clock, t, clock.lastSeenAt + 10 * MIN)).toBe(false);
    expect(expiresAt(clock, t)).toBe(T0 + 12 * 60 * MIN);
  });

  it('rounds the seconds left down, so a Redis TTL never outlives the session', () => {
    const clock = startClock(T0, false);
    expect(secondsLeft(clock, t, T0 + 1)).toBe(30 * 60 - 1);
    expect(secondsLeft(clock, t, T0 + 30 * MIN + 5)).toBe(0);
  });
});
