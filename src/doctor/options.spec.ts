import { describe, expect, it } from '@jest/globals';
import { type Invocation, parseInvocation, type Sources, UsageError } from './options.js';

const URL_ARGS = ['--url', 'https://gatehouse.example', '--email', 'ada@example.com'];

function sources(over: Partial<Sources> = {}): Sources & { stdinReads: number } {
  const result = {
    env: {},
    stdinIsTTY: false,
    stdinReads: 0,
    readStdin: () => {
      result.stdinReads += 1;
      return Promise.resolve('from-stdin-password\n');
    },
    ...over,
  };
  return result;
}

function password(invocation: Invocation): unknown {
  if (invocation.mode !== 'url') throw new Error(`not url mode: ${invocation.mode}`);
  return { password: invocation.options.password, passwordFrom: invocation.options.passwordFrom };
}

describe('parseInvocation: the password of --email', () => {
  it('--password PASSWORD still works (outside checkers use it), marked as given on the command line', async () => {
    const from = sources({ env: { DOCTOR_PASSWORD: 'from-env-password' } });
    expect(password(await parseInvocation([...URL_ARGS, '--password', 'on-the-command-line'], from))).toEqual({
      password: 'on-the-command-line',
      passwordFrom: 'command line',
    });
    expect(from.stdinReads).toBe(0);
  });

  it('takes DOCTOR_PASSWORD from the environment', async () => {
    const from = sources({ env: { DOCTOR_PASSWORD: 'from-env-password' } });
    expect(password(await parseInvocation(URL_ARGS, from))).toEqual({ password: 'from-env-password', passwordFrom: 'environment' });
    expect(from.stdinReads).toBe(0);
  });

  it('reads standard input for --password -, without its one trailing line break', async () => {
    expect(password(await parseInvocation([...URL_ARGS, '--password', '-'], sources()))).toEqual({
      password: 'from-stdin-password',
      passwordFrom: 'standard input',
    });
    const crlf = sources({ readStdin: () => Promise.resolve(' spaces kept \r\n') });
    expect(password(await parseInvocation([...URL_ARGS, '--password', '-'], crlf))).toEqual({
      password: ' spaces kept ',
      passwordFrom: 'standard input',
    });
  });

  it('--password - wins over DOCTOR_PASSWORD, as the more specific', async () => {
    const from = sources({ env: { DOCTOR_PASSWORD: 'from-env-password' } });
    expect(password(await parseInvocation([...URL_ARGS, '--password', '-'], from))).toEqual({
      password: 'from-stdin-password',
      passwordFrom: 'standard input',
    });
  });

  it('a throwaway account needs no password, and reads nothing', async () => {
    const from = sources();
    expect(password(await parseInvocation(['--url', 'https://gatehouse.example'], from))).toEqual({
      password: undefined,
      passwordFrom: undefined,
    });
    expect(from.stdinReads).toBe(0);
  });

  it.each([
    ['--email without any password', URL_ARGS, sources(), '--email needs a password: set DOCTOR_PASSWORD, or pipe it in with --password -'],
    ['an empty DOCTOR_PASSWORD, as if unset', URL_ARGS, sources({ env: { DOCTOR_PASSWORD: '' } }), '--email needs a password'],
    ['--password without --email', ['--url', 'https://gatehouse.example', '--password', '-'], sources(), '--password needs --email'],
    [
      'DOCTOR_PASSWORD without --email',
      ['--url', 'https://gatehouse.example'],
      sources({ env: { DOCTOR_PASSWORD: 'x' } }),
      'DOCTOR_PASSWORD is set but --email is not',
    ],
    [
      '--password - on a terminal (it would echo the password)',
      [...URL_ARGS, '--password', '-'],
      sources({ stdinIsTTY: true }),
      '--password - reads standard input, which is a terminal here: pipe the password in',
    ],
    [
      '--password - on empty standard input',
      [...URL_ARGS, '--password', '-'],
      sources({ readStdin: () => Promise.resolve('\n') }),
      '--password -: standard input holds no password',
    ],
    ['--password without --url', ['--password', '-'], sources(), '--password needs --url'],
  ])('refuses %s', async (_case, argv, from, message) => {
    const parsed = parseInvocation(argv, from);
    await expect(parsed).rejects.toBeInstanceOf(UsageError);
    await expect(parsed).rejects.toThrow(message);
  });

  it('config mode ignores DOCTOR_PASSWORD: it reads the variables the app reads', async () => {
    expect(await parseInvocation(['--json'], sources({ env: { DOCTOR_PASSWORD: 'x' } }))).toEqual({ mode: 'config', json: true });
  });
});
