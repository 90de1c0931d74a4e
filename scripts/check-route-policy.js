/**
 * Part of `npm run lint`: fails when nginx does not rate-limit exactly the routes marked
 * `@RoutePolicy` (src/common/route-policy.ts), naming each route and what to change. Reads the
 * controllers' metadata by importing them, and the nginx template; starts no database. Plain
 * JavaScript that has Node compile the TypeScript it imports (the in-process tier's loader).
 */
import { register } from 'node:module';

register('../tools/typescript-loader.js', import.meta.url);
const { appRoutes, readNginxLimits, routePolicyProblems } = await import('../tools/route-policy-check.ts');

const problems = routePolicyProblems(appRoutes(), readNginxLimits());
for (const problem of problems) console.error(`route policy: ${problem}`);
process.exitCode = problems.length === 0 ? 0 : 1;
