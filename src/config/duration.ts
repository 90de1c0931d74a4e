const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * The longest duration accepted: browsers cap a cookie's lifetime at 400 days anyway, and a bound
 * keeps every derived time (cookie expiry, Redis TTL) a valid date.
 */
export const MAX_DURATION_MS = 400 * UNIT_MS.d;

/** Parses `90` (seconds), `90s`, `30m`, `12h` or `14d` into milliseconds; undefined when malformed or over 400 days. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] || 's') as keyof typeof UNIT_MS;
  const ms = Number(match[1]) * UNIT_MS[unit];
  return ms > 0 && ms <= MAX_DURATION_MS ? ms : undefined;
}

/** The units formatDuration names, largest first. */
const NAMED_UNITS: [unit: string, size: number][] = [
  ['day', UNIT_MS.d],
  ['hour', UNIT_MS.h],
  ['minute', UNIT_MS.m],
  ['second', UNIT_MS.s],
];

/** "14 days", "2 minutes", "90 seconds": the largest unit that divides the duration exactly. */
export function formatDuration(ms: number): string {
  const [unit, size] = NAMED_UNITS.find(([, size]) => ms % size === 0) ?? NAMED_UNITS[NAMED_UNITS.length - 1];
  return new Intl.NumberFormat('en', { style: 'unit', unit, unitDisplay: 'long' }).format(Math.round(ms / size));
}
