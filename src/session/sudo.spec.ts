import { describe, expect, it } from '@jest/globals';
import { inSudoMode, sudoExpiresAt } from './sudo.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);

describe('sudo mode', () => {
  it('lasts SUDO_TIMEOUT from the last proof of the user, on a fake clock', () => {
    const session = { provenAt: T0 };
    expect(sudoExpiresAt(session, 15 * MINUTE)).toBe(T0 + 15 * MINUTE);
    expect(inSudoMode(session, 15 * MINUTE, T0 + 15 * MINUTE - 1)).toBe(true);
    expect(inSudoMode(session, 15 * MINUTE, T0 + 15 * MINUTE)).toBe(false);
  });

  it('is renewed by re-authenticating, however long ago the sign-in was', () => {
    expect(inSudoMode({ provenAt: T0 + 11 * 60 * MINUTE }, 15 * MINUTE, T0 + 11 * 60 * MINUTE + 5 * MINUTE)).toBe(true);
  });
});
