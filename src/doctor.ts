/**
 * `npm run doctor` (`node dist/src/doctor.js` in the image): names the settings that make a
 * session cookie silently fail, from inside (the configuration in the environment) and, with
 * --url, from outside (the deployment as a browser meets it). README, Troubleshooting; every code it
 * prints is explained in docs/doctor.md.
 *
 * Exit code: 1 when any check FAILs, else 0; 2 for a usage error.
 */
import { configChecks } from './doctor/config-checks.js';
import { parseInvocation, USAGE, UsageError, type Invocation } from './doctor/options.js';
import { urlChecks } from './doctor/url-checks.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let invocation: Invocation;
try {
  invocation = await parseInvocation(process.argv.slice(2), { env: process.env, stdinIsTTY: process.stdin.isTTY === true, readStdin });
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`${error.message}\n${USAGE}\n`);
  process.exit(2);
}
if (invocation.mode === 'help') {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const report = invocation.mode === 'config' ? configChecks(process.env) : await urlChecks(invocation.options);
process.stdout.write(invocation.json ? report.json() : report.text());
process.exitCode = report.failed ? 1 : 0;
