import { describe, expect, it } from '@jest/globals';
import { defaultPasskeyName, PASSKEY_NAME_MAX } from './passkey-name.js';

const DAY = new Date(Date.UTC(2026, 11, 6, 23, 59));

describe('defaultPasskeyName', () => {
  it.each([
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15', 'Mac'],
    ['Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', 'iPhone'],
    ['Mozilla/5.0 (iPad; CPU OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', 'iPad'],
    ['Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Android'],
    ['Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'ChromeOS'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', 'Windows'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Linux'],
  ])('names the platform of %s', (userAgent, platform) => {
    expect(defaultPasskeyName(userAgent, DAY)).toBe(`Passkey added on ${platform}, 2026-12-06`);
  });

  it('is the day alone for a User-Agent that names no platform, or none', () => {
    expect(defaultPasskeyName('curl/8.5.0', DAY)).toBe('Passkey added 2026-12-06');
    expect(defaultPasskeyName(undefined, DAY)).toBe('Passkey added 2026-12-06');
  });

  it('fits the column', () => {
    expect(defaultPasskeyName('(iPhone)', DAY).length).toBeLessThanOrEqual(PASSKEY_NAME_MAX);
  });
});
