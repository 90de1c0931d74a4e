import { describe } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Target } from '../../tools/client/client.js';
import { startStack, type StackOptions } from '../../tools/stack/stack.js';
import { TEST_APP_ENV } from './test-env.js';

export type { Target } from '../../tools/client/client.js';

export const EXTERNAL_BASE_URL = process.env.E2E_BASE_URL;

/**
 * For specs that need the native stack's internals (Redis, Postgres, logs, its own environment):
 * they are skipped, with this name in the output, when targeting an external deployment.
 */
export const describeNative: typeof describe = EXTERNAL_BASE_URL ? (describe.skip as typeof describe) : describe;

/** `options` (e.g. `appInstances`) shape the native stack only; an external deployment is as it is. */
export async function startTarget(env: Record<string, string> = {}, options: Omit<StackOptions, 'env'> = {}): Promise<Target> {
  if (EXTERNAL_BASE_URL) {
    const caFile = process.env.E2E_CA_FILE;
    if (!caFile) throw new Error('E2E_BASE_URL needs E2E_CA_FILE: the certificate to trust, PEM');
    return { baseUrl: EXTERNAL_BASE_URL.replace(/\/$/, ''), ca: readFileSync(caFile, 'utf8') };
  }
  const stack = await startStack({ ...options, env: { ...TEST_APP_ENV, ...env } });
  return { baseUrl: stack.baseUrl, ca: stack.caCert, stack };
}

export async function stopTarget(target: Target | undefined): Promise<void> {
  await target?.stack?.stop();
}
