import type { Stack } from '../stack/stack.js';

/**
 * What a client talks to: a fresh native stack (nginx + app + Postgres + Redis from this machine's
 * binaries) or, for the e2e specs given E2E_BASE_URL (and E2E_CA_FILE, the certificate to pin), an
 * existing deployment, e.g. `docker compose up` in the smoke test (test/support/target.ts).
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
