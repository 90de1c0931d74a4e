/**
 * Soak test: a fresh native stack (tools/stack) under mixed traffic for a while, then a report.
 *
 *   npm run soak                                # 60 s, 4 virtual users
 *   SOAK_SECONDS=15 SOAK_USERS=6 npm run soak
 *
 * Each virtual user loops: register, profile, session list, logout, login, profile, current
 * session, session list, logout, and checks every answer. Virtual users come from their own
 * loopback address (127.0.0.<10 + n>), as distinct clients do: nginx limits login and register
 * POSTs per address (10/s), and one address for all of them would measure that limit instead.
 * For the same reason each paces its own address's requests under that limit (tools/client/pace.ts),
 * never queueing behind the others'. Only the stack on this machine is ever contacted.
 *
 * Reports requests and rate, errors (must be 0), p50/p99 latency (from the moment a request is
 * sent: a client's wait for its turn is not the app's latency), the app's resident memory at
 * start and end, and whether every logged-out session left its Redis keys behind. Exits 1 on any
 * error or leftover key. The e2e suite runs a short version (test/e2e/soak.e2e-spec.ts).
 */
import { pathToFileURL } from 'node:url';
import { formatReport, soak, type SoakOptions, type SoakReport } from '../tools/soak.js';
import { startStack } from '../tools/stack/stack.js';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number`);
  return value;
}

async function main(): Promise<void> {
  const options: SoakOptions = {
    seconds: positiveInt('SOAK_SECONDS', 60),
    // 4: about where this app saturates 2 cores (argon2 on every register and login).
    users: Math.min(positiveInt('SOAK_USERS', 4), 200), // 127.0.0.10 to 127.0.0.209
    maxRequests: positiveInt('SOAK_MAX_REQUESTS', 200_000),
  };
  // Each virtual user registers anew on every loop, hundreds an hour from its address: far past
  // the registration budget a deployment gives one address, so the soak raises it.
  const stack = await startStack({ env: { REGISTRATIONS_PER_ADDRESS: '1000000' } });
  let report: SoakReport;
  try {
    console.log(`soak: ${options.seconds} s, ${options.users} virtual users, against ${stack.baseUrl}`);
    report = await soak(stack, options);
  } finally {
    await stack.stop();
  }
  console.log(formatReport(report));
  process.exitCode = report.errorCount === 0 && report.leftovers.length === 0 ? 0 : 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main().catch((error: Error) => {
    console.error(`soak: ${error.message}`);
    process.exitCode = 1;
  });
}
