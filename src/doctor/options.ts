import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { UrlOptions } from './url-checks.js';

export const USAGE = `usage: npm run doctor -- [--json]
       npm run doctor -- --url https://host[:port][/path] [--ca FILE | --insecure] [--http-url http://host[:port]]
                         [--email EMAIL [--password -]] [--json]
Without --url: checks the configuration in the environment, as the app reads it.
With --url: checks the deployment from outside (registers a throwaway account and deletes it again,
or signs in as --email). The password of --email comes from DOCTOR_PASSWORD in the environment,
or from standard input with --password - (--password PASSWORD also works, but other users of
this machine can read it in the process list). Codes are explained in the README (Troubleshooting).`;

/** A mistyped command line: the doctor prints the problem and the usage, and exits 2. */
export class UsageError extends Error {}

export type Invocation = { mode: 'help' } | { mode: 'config'; json: boolean } | { mode: 'url'; json: boolean; options: UrlOptions };

/** What the doctor reads besides its arguments; the unit tests pass their own. */
export interface Sources {
  env: NodeJS.ProcessEnv;
  stdinIsTTY: boolean;
  /** All of standard input, as text. */
  readStdin: () => Promise<string>;
}

/**
 * The command line, with the password of --email from one of three places (docs/doctor.md,
 * Running it): --password PASSWORD (what outside checkers use; visible to every user
 * of the machine in the process list, so it earns a WARN, GH-U017), else DOCTOR_PASSWORD, else
 * --password - (standard input). `-` rather than a --password-stdin flag: one option for the
 * password, so there is no pair to give twice, and no password is a single "-" (any
 * PASSWORD_MIN_LENGTH refuses it).
 */
export async function parseInvocation(argv: string[], sources: Sources): Promise<Invocation> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
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
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { mode: 'help' };
  if (values.url === undefined) {
    for (const option of ['http-url', 'ca', 'insecure', 'email', 'password'] as const) {
      if (values[option] !== undefined && values[option] !== false) throw new UsageError(`--${option} needs --url`);
    }
    // DOCTOR_PASSWORD is not looked at: config mode reads the app's variables only.
    return { mode: 'config', json: values.json };
  }
  if (values.ca !== undefined && values.insecure) throw new UsageError('give --ca or --insecure, not both');
  const password = await passwordOf(values.email, values.password, sources);
  let ca: string | undefined;
  if (values.ca !== undefined) {
    try {
      ca = readFileSync(values.ca, 'utf8');
    } catch (error) {
      throw new UsageError(`--ca: cannot read ${values.ca} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  return {
    mode: 'url',
    json: values.json,
    options: {
      url: parseUrl(values.url, 'https:', '--url'),
      httpUrl: values['http-url'] === undefined ? undefined : parseUrl(values['http-url'], 'http:', '--http-url'),
      ca,
      insecure: values.insecure,
      email: values.email,
      ...password,
    },
  };
}

async function passwordOf(
  email: string | undefined,
  option: string | undefined,
  sources: Sources,
): Promise<Pick<UrlOptions, 'password' | 'passwordFrom'>> {
  const fromEnv = sources.env.DOCTOR_PASSWORD || undefined;
  if (email === undefined) {
    if (option !== undefined) throw new UsageError('--password needs --email');
    if (fromEnv !== undefined) {
      throw new UsageError('DOCTOR_PASSWORD is set but --email is not: give --email to sign in, or unset it for a throwaway account');
    }
    return {};
  }
  if (option === undefined) {
    if (fromEnv === undefined) throw new UsageError('--email needs a password: set DOCTOR_PASSWORD, or pipe it in with --password -');
    return { password: fromEnv, passwordFrom: 'environment' };
  }
  if (option !== '-') return { password: option, passwordFrom: 'command line' };
  // Reading a terminal would echo the password as it is typed.
  if (sources.stdinIsTTY) throw new UsageError('--password - reads standard input, which is a terminal here: pipe the password in');
  // One trailing line break, as `echo` or a password manager ends it; anything else is the password.
  const password = (await sources.readStdin()).replace(/\r?\n$/, '');
  if (!password) throw new UsageError('--password -: standard input holds no password');
  return { password, passwordFrom: 'standard input' };
}

function parseUrl(text: string, protocol: string, option: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`${option} must be a URL such as ${protocol}//host:port`);
  }
  if (url.protocol !== protocol) throw new UsageError(`${option} must start with ${protocol}//`);
  if (url.search || url.hash) throw new UsageError(`${option} takes no query or fragment`);
  return url;
}
