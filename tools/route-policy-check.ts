/**
 * The check that nginx rate-limits exactly the routes marked `@RoutePolicy`
 * (src/common/route-policy.ts): run by `npm run lint` (scripts/check-route-policy.js, from the
 * controllers' metadata, no database) and by the in-process tier (route-policy.int-spec.ts, from
 * the running app's routes).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FEATURE_MODULES } from '../src/app.module.js';
import { type AppRoute, controllersOf, type HttpMethod, routesOf } from '../src/common/route-policy.js';
import { isSafeMethod } from '../src/common/safe-methods.js';

export const NGINX_TEMPLATE = fileURLToPath(new URL('../nginx/templates/default.conf.template', import.meta.url));

/** Every route of the app's controllers, read from their metadata alone (nothing is started). */
export function appRoutes(): AppRoute[] {
  return routesOf(controllersOf(FEATURE_MODULES));
}

const MAP_HEAD = 'map "$request_method $uri" $gatehouse_limited_key {';

/** One entry of the template's `$gatehouse_limited_key` map that gives a request a key. */
export interface NginxLimit {
  /** As written in the template, e.g. `~*^PUT /api/profile/password/?$`. */
  source: string;
  test(methodAndPath: string): boolean;
}

/** The requests nginx rate-limits: the `$gatehouse_limited_key` map's regex entries (PCRE written so JavaScript reads it alike). */
export function nginxLimits(template: string): NginxLimit[] {
  const start = template.indexOf(MAP_HEAD);
  if (start === -1) throw new Error(`nginx template: no \`${MAP_HEAD}\` block`);
  const body = template.slice(start + MAP_HEAD.length, template.indexOf('\n}', start));
  const limits: NginxLimit[] = [];
  for (const line of body.split('\n')) {
    const entry = line.trim();
    if (entry === '' || entry.startsWith('#') || /^default\s+"";$/.test(entry)) continue;
    const match = /^"(~\*?)([^"]+)"\s+\$gatehouse_client;$/.exec(entry);
    if (!match) throw new Error(`nginx template: the $gatehouse_limited_key map holds an entry this check cannot read: ${entry}`);
    const regex = new RegExp(match[2], match[1] === '~*' ? 'i' : '');
    limits.push({ source: match[1] + match[2], test: (methodAndPath) => regex.test(methodAndPath) });
  }
  return limits;
}

export function readNginxLimits(): NginxLimit[] {
  return nginxLimits(readFileSync(NGINX_TEMPLATE, 'utf8'));
}

/** A path Express would route to `pattern`: each `:param` filled in. */
function samplePath(pattern: string): string {
  return pattern.replace(/:[A-Za-z0-9_]+/g, 'x1');
}

/** The spellings of one route that reach its handler: Express matches any case, with or without a trailing slash. */
function spellings(path: string): string[] {
  const withSlash = path === '/' ? path : `${path}/`;
  return [path, withSlash, path.toUpperCase(), withSlash.toUpperCase()];
}

const ALL_METHODS: HttpMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * What is wrong, one line each, when nginx does not rate-limit exactly the unsafe requests to the
 * marked routes: a marked route nginx lets through (in any spelling Express accepts), an
 * unmarked route or a safe request nginx limits, a marked route with a safe method (nginx never
 * limits those), and a map entry that matches no marked route (a route removed or renamed).
 */
export function routePolicyProblems(routes: readonly AppRoute[], limits: readonly NginxLimit[]): string[] {
  const problems: string[] = [];
  const where = 'the $gatehouse_limited_key map in nginx/templates/default.conf.template';
  const used = new Set<NginxLimit>();
  for (const route of routes) {
    const methods = route.method === 'ALL' ? ALL_METHODS : [route.method];
    for (const method of methods) {
      const name = `${method} ${route.path}`;
      if (route.policy && isSafeMethod(method)) {
        problems.push(`${name} is marked @RoutePolicy, but nginx rate-limits only unsafe requests: mark an unsafe route`);
        continue;
      }
      for (const path of spellings(samplePath(route.path))) {
        const request = `${method} ${path}`;
        const matching = limits.filter((limit) => limit.test(request));
        for (const limit of matching) if (route.policy) used.add(limit);
        if (route.policy && matching.length === 0) {
          problems.push(`${name} is marked @RoutePolicy, but nginx does not rate-limit \`${request}\`: add it to ${where}`);
          break;
        }
        if (!route.policy && matching.length > 0) {
          problems.push(
            `${name} is not marked @RoutePolicy, but nginx rate-limits \`${request}\` (${matching.map((l) => l.source).join(', ')}): mark it, or take it out of ${where}`,
          );
          break;
        }
      }
    }
  }
  for (const limit of limits) {
    if (!used.has(limit)) problems.push(`${where} has \`${limit.source}\`, which matches no route marked @RoutePolicy: take it out`);
  }
  return problems;
}
