/**
 * jest's globalSetup for the in-process tier: the one Postgres and Redis its spec files share
 * (services.ts), started before the first file and stopped by global-teardown.js. The harness is
 * TypeScript, which jest compiles for the spec files but not for what this file imports: the
 * loader compiles it (tools/typescript-loader.js).
 */
import { register } from 'node:module';

register('../../tools/typescript-loader.js', import.meta.url);
const { publishSharedServices, startSharedServices } = await import('./services.ts');

export default async function globalSetup() {
  globalThis.tierServices = await startSharedServices();
  publishSharedServices(globalThis.tierServices);
}
