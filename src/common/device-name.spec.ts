import { describe, expect, it } from '@jest/globals';
import { deviceName, UNKNOWN_DEVICE } from './device-name.js';

const AGENTS: [string, string][] = [
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
  ['Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
  // What the browser tests' headless Chromium sends.
  ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'Chrome on Linux'],
];

describe('deviceName', () => {
  it.each(AGENTS)('%s → %s', (userAgent, expected) => {
    expect(deviceName(userAgent)).toBe(expected);
  });

  it.each([
    ['no header', undefined],
    ['an empty one', ''],
    ['blanks', '   '],
    ['a tool', 'curl/8.5.0'],
    // bowser's fallback would take the first word of this one as the browser's name.
    ['words chosen by the sender', 'Your account is locked, call 555-0100/1.0 (urgent)'],
  ])(`${UNKNOWN_DEVICE} for %s`, (_case, userAgent) => {
    expect(deviceName(userAgent)).toBe(UNKNOWN_DEVICE);
  });

  it('names the system when the browser is unknown', () => {
    expect(deviceName('SomeApp/2.0 (Windows NT 10.0; Win64; x64)')).toBe('A browser on Windows');
  });

  it('stays short, whatever the header', () => {
    expect(deviceName('Mozilla/5.0 (Windows NT 10.0) Firefox/140.0 ' + 'x'.repeat(100_000))).toBe('Firefox on Windows');
  });
});
