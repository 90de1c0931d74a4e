import { describe } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { startStack, type Stack, type StackOptions } from '../stack/stack.js';
import { TEST_APP_ENV } from './test-env.js';

/**
 * What an e2e spec talks to. By default a fresh native stack (nginx + app + Postgres + Redis from
 * this machine's binaries). With E2E_BASE_URL (and E2E_CA_FILE, the certificate to pin) the same
 * specs run against an existing deployment, e.g. `docker compose up` in the smoke test.
 */
export interface Target {
  baseUrl: string;
  /** PEM of the CA to trust (the stack's self-signed certificate). */
  ca: string;
  /** The native stack, when the spec started one; undefined against an external deployment. */
  stack?: Stack;
  /** False for the app alone (the in-process tier): no nginx, so no rate limit to pace for. */
  nginx?: boolean;
}

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
