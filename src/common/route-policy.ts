import { type DynamicModule, type ForwardReference, RequestMethod, SetMetadata, type Type } from '@nestjs/common';
import { METHOD_METADATA, MODULE_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';

/**
 * What a route costs when abused, marked on the handler where the route is declared:
 *
 *     @Post('login')
 *     @RoutePolicy({ hashes: true })
 *
 * A marked route is one that a person never sends ten times a second and a script would:
 * - every unsafe request to it is rate-limited per address by nginx (the map
 *   `$gatehouse_limited_key` in nginx/templates/default.conf.template lists exactly these
 *   routes; `npm run lint` and the in-process tier fail when the two differ);
 * - when it `hashes`, it is admitted only while password hashing has room, else it answers 503
 *   with Retry-After before anything else runs for it (src/auth/sign-in-shedding.ts);
 * - the e2e clients pace their requests to it (tools/client/pace.ts).
 * A marked route's method must be unsafe: nginx never limits a GET.
 */
export interface RoutePolicyOptions {
  /** Checks the current password or hashes a new one (argon2: tens of milliseconds of a core). */
  hashes?: true;
  /** Sends a mail (the mail server's and the recipient's patience; the mail quotas). */
  mails?: true;
  /**
   * Carries a mailed link's token. Guessing tokens is what a flood of these would be. A route that
   * carries a token and also `hashes` checks the token before it hashes (else every bogus link
   * costs a hash), so it is admitted only while hashing has room but is not counted among the
   * requests sure to hash: bogus links must not take the room of real sign-ins.
   */
  token?: true;
  /**
   * Checks a second factor (a TOTP or recovery code, a passkey's assertion or registration): what
   * a script guessing codes would flood.
   */
  codes?: true;
  /**
   * Hands a signed-out visitor a challenge (passkey options): cheap, and stored nowhere
   * (src/passkeys/challenge.ts), but open to anyone, and a person never asks ten times a second.
   */
  challenges?: true;
}

const ROUTE_POLICY = 'gatehouse:route-policy';

export function RoutePolicy(options: RoutePolicyOptions): MethodDecorator {
  if (!options.hashes && !options.mails && !options.token && !options.codes && !options.challenges) {
    throw new Error('RoutePolicy: mark at least one of hashes, mails, token, codes, challenges');
  }
  return SetMetadata(ROUTE_POLICY, options);
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | 'ALL' | 'SEARCH';

/** A route as Express matches it: `path` with Nest's `:param` segments, any case, with or without a trailing slash. */
export interface AppRoute {
  method: HttpMethod;
  path: string;
  /** A page (an HTML form's target) rather than the JSON API, which lives under /api. */
  page: boolean;
  /** Undefined for an unmarked route. */
  policy?: RoutePolicyOptions;
}

function joinPath(...parts: string[]): string {
  const joined = parts
    .flatMap((part) => part.split('/'))
    .filter((segment) => segment !== '')
    .join('/');
  return `/${joined}`;
}

function asArray(value: string | string[] | undefined): string[] {
  if (value === undefined) return ['/'];
  return Array.isArray(value) ? value : [value];
}

/** Every route of these controllers (class and handler metadata, as Nest's router reads it), with its policy. */
export function routesOf(controllers: Iterable<Type>): AppRoute[] {
  const routes: AppRoute[] = [];
  for (const controller of controllers) {
    const prefixes = asArray(Reflect.getMetadata(PATH_METADATA, controller) as string | string[] | undefined);
    let proto: object | null = controller.prototype as object;
    const seen = new Set<string>();
    // Handlers inherited from a base controller are routes too.
    for (; proto !== null && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object | null) {
      for (const name of Object.getOwnPropertyNames(proto)) {
        if (name === 'constructor' || seen.has(name)) continue;
        seen.add(name);
        const handler = Object.getOwnPropertyDescriptor(proto, name)?.value as unknown;
        if (typeof handler !== 'function') continue;
        const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
        const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
        if (paths === undefined || method === undefined) continue;
        const policy = Reflect.getMetadata(ROUTE_POLICY, handler) as RoutePolicyOptions | undefined;
        for (const prefix of prefixes) {
          for (const path of asArray(paths)) {
            const full = joinPath(prefix, path);
            routes.push({
              method: RequestMethod[method] as HttpMethod,
              path: full,
              page: !/^\/api(\/|$)/.test(full),
              ...(policy ? { policy } : {}),
            });
          }
        }
      }
    }
  }
  return routes;
}

type ModuleRef = Type | DynamicModule | Promise<DynamicModule> | ForwardReference;

/**
 * The controllers of these modules and of every module they import, read from their metadata
 * alone: nothing is instantiated and no database is reached (for `npm run lint` and the tests;
 * the running app asks Nest's container instead, sign-in-shedding.ts).
 */
export function controllersOf(modules: readonly ModuleRef[]): Type[] {
  const controllers = new Set<Type>();
  const visited = new Set<unknown>();
  const visit = (ref: ModuleRef | undefined): void => {
    if (ref === undefined || ref instanceof Promise) return; // an async dynamic module holds no controllers of ours
    const module = 'forwardRef' in ref ? (ref.forwardRef() as ModuleRef) : ref;
    if (visited.has(module)) return;
    visited.add(module);
    const type = typeof module === 'function' ? module : (module as DynamicModule).module;
    const dynamic = typeof module === 'function' ? undefined : (module as DynamicModule);
    const ownControllers = (Reflect.getMetadata(MODULE_METADATA.CONTROLLERS, type) as Type[] | undefined) ?? [];
    for (const controller of [...ownControllers, ...(dynamic?.controllers ?? [])]) controllers.add(controller);
    const imports = (Reflect.getMetadata(MODULE_METADATA.IMPORTS, type) as ModuleRef[] | undefined) ?? [];
    for (const imported of [...imports, ...(dynamic?.imports ?? [])]) visit(imported);
  };
  for (const module of modules) visit(module);
  return [...controllers];
}

/** The routes that hash a password, in the form the sign-in shedding admits them. */
export function hashingRoutes(routes: readonly AppRoute[]): { method: HttpMethod; path: string; page: boolean; tokenFirst: boolean }[] {
  return routes
    .filter((route) => route.policy?.hashes)
    .map((route) => ({ method: route.method, path: route.path, page: route.page, tokenFirst: route.policy?.token === true }));
}
