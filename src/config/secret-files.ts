import { readFileSync } from 'node:fs';

/**
 * The variables that hold a secret. Each may instead be given as `<NAME>_FILE`, the path of a file
 * that holds the value: the Docker secrets convention, which keeps secrets out of `docker
 * inspect`, the process environment of child processes and compose files (README, Configuration).
 */
export const SECRET_VARIABLES = [
  'SESSION_SECRET',
  'DATA_ENCRYPTION_KEY',
  'DATABASE_URL',
  'REDIS_URL',
  'REDIS_PASSWORD',
  'SMTP_URL',
] as const;

export interface ResolvedEnvironment {
  env: Record<string, string | undefined>;
  /** One line per problem, naming the variable (never the value or the file's contents). */
  problems: string[];
}

/** Replaces every `<NAME>_FILE` of a secret variable by `<NAME>` with the file's contents. */
export function resolveSecretFiles(env: Record<string, string | undefined>): ResolvedEnvironment {
  const resolved = { ...env };
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const file = env[`${name}_FILE`]?.trim();
    if (!file) continue;
    if (env[name]?.trim()) {
      problems.push(`${name}_FILE: set ${name} or ${name}_FILE, not both`);
      continue;
    }
    try {
      // A trailing newline is what `echo secret > file` leaves; it is never part of the secret.
      resolved[name] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
    } catch (error) {
      problems.push(`${name}_FILE: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }
  return { env: resolved, problems };
}
