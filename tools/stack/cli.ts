/**
 * `npm run stack`: the compose topology from this machine's binaries (see stack.ts), until
 * Ctrl-C. Prints one `<part>: <url>` line per part, then `Ready: <url>`, on stdout; the app
 * instances' logs go to stderr. Every variable not starting with STACK_ reaches the app, so the
 * app's own configuration (README, Configuration) can be set as usual, and wins over the stack's defaults.
 *
 * `--watch` (`npm run dev`): the same, with the app rebuilt and restarted on each saved change
 * (dev-loop.ts); a `dev:` line on stdout says when it restarted.
 */
import { DevLoop } from './dev-loop.js';
import { findRepoRoot } from './machine.js';
import { startStack, type Stack, type StackOptions } from './stack.js';

const exitCode = { badConfig: 2, partDied: 1, startFailed: 1 } as const;

/** Reads an optional integer variable; exits with one line naming it (not its value) if invalid. */
function intFromEnv(name: string, min: number, max: number, fallback?: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= min && value <= max)) {
    console.error(`${name} must be a whole number from ${min} to ${max}`);
    process.exit(exitCode.badConfig);
  }
  return value;
}

const appInstances = intFromEnv('STACK_APP_INSTANCES', 1, 64, 1) ?? 1;
const redisMode = process.env.STACK_REDIS_MODE || 'single';
if (redisMode !== 'single' && redisMode !== 'sentinel') {
  console.error('STACK_REDIS_MODE must be single or sentinel');
  process.exit(exitCode.badConfig);
}
const devLoop = process.argv.includes('--watch')
  ? new DevLoop(findRepoRoot(), { status: (line) => console.log(line), problem: (line) => console.error(line) })
  : undefined;
// Last resort, like the stack's own: no watcher outlives this process.
process.on('exit', () => devLoop?.killNow());
const options: StackOptions = {
  httpsPort: intFromEnv('STACK_HTTPS_PORT', 1, 65_535, 8443),
  httpPort: intFromEnv('STACK_HTTP_PORT', 1, 65_535, 8080),
  appPort: intFromEnv('STACK_APP_PORT', 1, 65_535 - appInstances + 1),
  pgPort: intFromEnv('STACK_PG_PORT', 1, 65_535),
  redisPort: intFromEnv('STACK_REDIS_PORT', 1, 65_535),
  mailPort: intFromEnv('STACK_MAIL_PORT', 1, 65_535),
  appInstances,
  redisMode,
  env: Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => !entry[0].startsWith('STACK_') && entry[1] !== undefined),
  ),
  // One instance: its lines untouched (pipe them to a log viewer). Several: say whose line it is.
  onLine: (line, instance) => process.stderr.write(appInstances > 1 ? `[app ${instance}] ${line}\n` : `${line}\n`),
  onExit: (part, code, signal) => {
    // With --watch a crashed app waits for the next change; the rest of the stack (its data) stays.
    if (devLoop && part.startsWith('app-')) return devLoop.appExited(part, code, signal);
    console.error(`${part} exited unexpectedly (${signal ?? `exit code ${code}`}); stopping the stack`);
    void shutDown(exitCode.partDied);
  },
  distReady: devLoop?.firstCompile,
};

let stack: Stack | undefined;
let shuttingDown = false;

async function shutDown(code: number): Promise<void> {
  if (shuttingDown) return; // npm forwards Ctrl-C too: the second signal changes nothing
  shuttingDown = true;
  await devLoop?.stop();
  if (!stack) {
    // Still starting: exiting runs stack.ts's 'exit' handler, which kills what was started and
    // removes the temp dir.
    process.exit(code);
  }
  try {
    await stack.stop();
  } catch (error) {
    console.error(`stopping the stack failed: ${(error as Error).message}`);
    code ||= 1;
  }
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void shutDown(0));

try {
  stack = await startStack(options);
} catch (error) {
  console.error(`stack failed to start: ${(error as Error).message}`);
  process.exit(exitCode.startFailed);
}
for (const part of stack.parts) console.log(`${part.name}: ${part.url}`);
console.log(`Ready: ${stack.baseUrl}`);
devLoop?.attach(stack);
