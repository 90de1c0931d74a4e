import { BROWSER_MAP, OS_MAP, parse } from 'bowser';

/** What a device is called when its User-Agent header names no browser or system bowser knows. */
export const UNKNOWN_DEVICE = 'Unknown device';

/** The most of a User-Agent header that is parsed: real ones are a few hundred characters. */
const PARSED_MAX = 512;

// Only names from bowser's own lists: for a header it does not recognise, its fallback copies the
// header's first word, which whoever sends the request chooses, and the name is shown on pages and
// in the new-device mail.
const BROWSERS = new Set<string>(Object.values(BROWSER_MAP).filter((name) => name !== BROWSER_MAP.generic));
const SYSTEMS = new Set<string>(Object.values(OS_MAP));

/**
 * A short name for the device a User-Agent header describes, for people: `"Chrome on macOS"`,
 * `"Safari on iOS"`, `"Firefox"` when the system is not said, `"A browser on Linux"`, or
 * UNKNOWN_DEVICE. Parsed by bowser (MIT). It names the sessions list's devices and the activity
 * log's, and tells a new device from a known one (docs/activity.md), so it stays coarse: no
 * versions, which change with every update.
 */
export function deviceName(userAgent: string | undefined): string {
  if (!userAgent?.trim()) return UNKNOWN_DEVICE;
  const { browser, os } = parse(userAgent.slice(0, PARSED_MAX));
  const browserName = browser.name && BROWSERS.has(browser.name) ? browser.name : undefined;
  const systemName = os.name && SYSTEMS.has(os.name) ? os.name : undefined;
  if (browserName && systemName) return `${browserName} on ${systemName}`;
  return browserName ?? (systemName ? `A browser on ${systemName}` : UNKNOWN_DEVICE);
}
