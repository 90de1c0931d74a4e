/**
 * `npm run doctor` (`node dist/src/doctor.js` in the image): names the settings that make a
 * session cookie silently fail, from inside (the configuration in the environment) and, with
 * --url, from outside (the deployment as a browser meets it). README, Troubleshooting; every code it
 * prints is explained in the README's troubleshooting section.
 *
 * Exit code: 1 when any check FAILs, else 0; 2 for a usage error.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { configChecks } from './doctor/config-checks.js';
import type { Report } from './doctor/report.js';
import { urlChecks } from './doctor/url-checks.js';

const USAGE = `usage: npm run doctor -- [--json]
       npm run doctor -- --url https://host[:port][/path] [--ca FILE | --insecure] [--http-url http://host[:port]]
                         [--email EMAIL --password PASSWORD] [--json]
Without --url: checks the configuration in the environment, as the app reads it.
With --url: checks the deployment from outside (registers a throwaway account and deletes it again,
or signs in with --email/--password). Codes are explained in the README (Troubleshooting).`;

function usage(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}\n`);
  process.exit(2);
}

function parseUrl(text: string, protocol: string, option: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    usage(`${option} must be a URL such as ${protocol}//host:port`);
  }
  if (url.protocol !== protocol) usage(`${option} must start with ${protocol}//`);
  if (url.search || url.hash) usage(`${option} takes no query or fragment`);
  return url;
}

async function main(): Promise<{ report: Report; json: boolean }> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        url: { type: 'string' },
        'http-url': { type: 'string' },
        ca: { type: 'string' },
        insecure: { type: 'boolean', default: false },
        email: { type: 'string' },
        password: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    usage((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (values.url === undefined) {
    for (const option of ['http-url', 'ca', 'insecure', 'email', 'password'] as const) {
      if (values[option] !== undefined && values[option] !== false) usage(`--${option} needs --url`);
    }
    return { report: configChecks(process.env), json: values.json };
  }
  if (values.ca !== undefined && values.insecure) usage('give --ca or --insecure, not both');
  if ((values.email === undefined) !== (values.password === undefined)) usage('--email and --password go together');
  let ca: string | undefined;
  if (values.ca !== undefined) {
    try {
      ca = readFileSync(values.ca, 'utf8');
    } catch (error) {
      usage(`--ca: cannot read ${values.ca} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  const report = await urlChecks({
    url: parseUrl(values.url, 'https:', '--url'),
    httpUrl: values['http-url'] === undefined ? undefined : parseUrl(values['http-url'], 'http:', '--http-url'),
    ca,
    insecure: values.insecure,
    email: values.email,
    password: values.password,
  });
  return { report, json: values.json };
}

const { report, json } = await main();
process.stdout.write(json ? report.json() : report.text());
process.exitCode = report.failed ? 1 : 0;
