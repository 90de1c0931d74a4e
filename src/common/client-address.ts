import { isIP, isIPv6 } from 'node:net';

/**
 * The key that counts one client in the per-address limits (brute force, mail). An IPv4 address
 * is one client; an IPv6 client usually holds a whole /64 (one per household or VM), so it counts
 * as its /64: otherwise it could take a fresh address for every guess or every mail. IPv4-mapped
 * IPv6 (`::ffff:1.2.3.4`, what a dual-stack socket reports) is the IPv4 address.
 */
export function clientKey(ip: string | undefined): string {
  // req.ip is undefined only when the socket is already gone; such requests share one bucket.
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1];
  if (!isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.toLowerCase().split('%')[0].split('::');
  const part = (text: string | undefined) => (text ? text.split(':') : []);
  const left = part(head);
  const right = part(tail);
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.map((group) => (group.includes('.') ? group : Number.parseInt(group, 16).toString(16)));
}

/**
 * A client address as the activity log keeps and shows it: IPv4-mapped IPv6 as the IPv4 address
 * it is, without an IPv6 zone; undefined when there is none (the socket is gone) or it is no
 * address at all.
 */
export function plainAddress(ip: string | undefined): string | undefined {
  if (!ip) return undefined;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const plain = mapped ? mapped[1] : ip.split('%')[0];
  return isIP(plain) ? plain : undefined;
}
