import { describe, expect, it } from '@jest/globals';
import { MAIL_RETRY, minimumRetryWindowSeconds } from './mail-retry.js';

describe('mail retries', () => {
  it('keep trying for at least 15 minutes, whatever the jitter', () => {
    expect(MAIL_RETRY.retryBackoff).toBe(true);
    expect(minimumRetryWindowSeconds()).toBeGreaterThanOrEqual(15 * 60);
  });

  it('sum the shortest wait after each failure', () => {
    // 2 + 4 + 8 seconds after the first, second and third failure.
    expect(minimumRetryWindowSeconds({ retryDelay: 2, retryLimit: 3 })).toBe(14);
    expect(minimumRetryWindowSeconds({ retryDelay: 2, retryLimit: 0 })).toBe(0);
  });

  it('give up within the hour, before a reset link would be worth nothing anyway', () => {
    // The longest wait: every jitter at its maximum.
    expect(2 * minimumRetryWindowSeconds()).toBeLessThan(60 * 60);
  });
});
