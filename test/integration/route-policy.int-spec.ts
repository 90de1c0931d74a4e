/**
 * One source for "this route checks a password, sends a mail or carries a token": the
 * `@RoutePolicy` marks on the controllers (src/common/route-policy.ts). nginx's rate limit
 * (nginx/templates/default.conf.template) must cover exactly the marked routes, in every spelling
 * Express routes to them; the sign-in shedding and the e2e clients' pacing read the marks
 * themselves. Here against the routes the running app really serves.
 */
import { describe, expect, it } from '@jest/globals';
import type { Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import type { Express } from 'express';
import { type AppRoute, hashingRoutes, routesOf } from '../../src/common/route-policy.js';
import { appRoutes, nginxLimits, readNginxLimits, routePolicyProblems } from '../../tools/route-policy-check.js';
import { inProcessSuite } from './in-process-app.js';

const inProcess = inProcessSuite();

/** The app's routes with their marks, from Nest's container (as the sign-in shedding reads them). */
function runningRoutes(): AppRoute[] {
  const controllers = inProcess.app
    .get(DiscoveryService)
    .getControllers()
    .flatMap((wrapper) => (wrapper.metatype ? [wrapper.metatype as Type] : []));
  return routesOf(controllers);
}

/** Every method and path Express routes, as `POST /api/auth/login`, the shedding's own layers included. */
function expressRoutes(): string[] {
  const express = inProcess.app.getHttpAdapter().getInstance() as Express;
  const stack = (express.router as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] }).stack;
  return stack.flatMap(({ route }) => (route ? Object.keys(route.methods).map((method) => `${method.toUpperCase()} ${route.path}`) : []));
}

const name = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

describe('the routes marked @RoutePolicy', () => {
  it('are every route that Express serves, as the marks are read', () => {
    const known = new Set(runningRoutes().map(name));
    expect(expressRoutes().length).toBeGreaterThan(30);
    expect(expressRoutes().filter((route) => !known.has(route))).toEqual([]);
    expect(known.size).toBeGreaterThan(30);
  });

  it('are exactly the routes nginx rate-limits: each marked route in every spelling, no other route', () => {
    expect(routePolicyProblems(runningRoutes(), readNginxLimits())).toEqual([]);
  });

  it('are the ones `npm run lint` and the e2e clients read from the controllers without starting the app', () => {
    const marked = (routes: AppRoute[]) =>
      routes
        .filter((route) => route.policy)
        .map((route) => `${name(route)} ${JSON.stringify(route.policy)}`)
        .sort();
    expect(marked(appRoutes())).toEqual(marked(runningRoutes()));
  });

  it('that hash are the ones the sign-in shedding admits, each registered ahead of its handler', () => {
    const hashing = hashingRoutes(runningRoutes()).map(name);
    expect(hashing.sort()).toEqual(
      [
        'POST /api/auth/login',
        'POST /api/auth/reauthenticate',
        'POST /api/auth/register',
        'POST /api/auth/password-reset/confirm',
        'PUT /api/profile/password',
        'DELETE /api/profile',
        'POST /login',
        'POST /register',
        'POST /password',
        'POST /reauthenticate',
        'POST /reset-password',
      ].sort(),
    );
    const order = expressRoutes();
    for (const route of hashing) {
      const first = order.indexOf(route);
      expect([route, order.indexOf(route, first + 1) > first]).toEqual([route, true]); // the shedding's layer, then Nest's
    }
    expect(
      hashingRoutes(runningRoutes())
        .filter((route) => route.tokenFirst)
        .map(name),
    ).toEqual(expect.arrayContaining(['POST /api/auth/password-reset/confirm', 'POST /reset-password']));
  });
});

describe('the route policy check', () => {
  const limits = nginxLimits(`map "$request_method $uri" $gatehouse_limited_key {
    "~*^POST /api/auth/login/?$"   $gatehouse_client;
    "~*^DELETE /api/profile/?$"    $gatehouse_client;
    "~*^POST /api/gone/?$"         $gatehouse_client;
    default                        "";
}`);

  it.each<[string, AppRoute[], string[]]>([
    [
      'passes when nginx limits exactly the marked routes',
      [
        { method: 'POST', path: '/api/auth/login', page: false, policy: { hashes: true } },
        { method: 'DELETE', path: '/api/profile', page: false, policy: { hashes: true } },
        { method: 'PATCH', path: '/api/profile', page: false },
        { method: 'GET', path: '/api/auth/login', page: false },
        { method: 'POST', path: '/api/gone', page: false, policy: { mails: true } },
      ],
      [],
    ],
    [
      'names a marked route that nginx misses',
      [
        { method: 'POST', path: '/api/auth/login', page: false, policy: { hashes: true } },
        { method: 'DELETE', path: '/api/profile', page: false, policy: { hashes: true } },
        { method: 'POST', path: '/api/gone', page: false, policy: { mails: true } },
        { method: 'POST', path: '/api/invitations/:id/accept', page: false, policy: { hashes: true, token: true } },
      ],
      [
        'POST /api/invitations/:id/accept is marked @RoutePolicy, but nginx does not rate-limit `POST /api/invitations/x1/accept`: add it to the $gatehouse_limited_key map in nginx/templates/default.conf.template',
      ],
    ],
    [
      'names an unmarked route that nginx limits, and a map entry that matches no marked route',
      [
        { method: 'POST', path: '/api/auth/login', page: false },
        { method: 'DELETE', path: '/api/profile', page: false, policy: { hashes: true } },
      ],
      [
        'POST /api/auth/login is not marked @RoutePolicy, but nginx rate-limits `POST /api/auth/login` (~*^POST /api/auth/login/?$): mark it, or take it out of the $gatehouse_limited_key map in nginx/templates/default.conf.template',
        'the $gatehouse_limited_key map in nginx/templates/default.conf.template has `~*^POST /api/auth/login/?$`, which matches no route marked @RoutePolicy: take it out',
        'the $gatehouse_limited_key map in nginx/templates/default.conf.template has `~*^POST /api/gone/?$`, which matches no route marked @RoutePolicy: take it out',
      ],
    ],
    [
      'names a marked route with a safe method',
      [
        { method: 'POST', path: '/api/auth/login', page: false, policy: { hashes: true } },
        { method: 'DELETE', path: '/api/profile', page: false, policy: { hashes: true } },
        { method: 'POST', path: '/api/gone', page: false, policy: { mails: true } },
        { method: 'GET', path: '/verify-email', page: true, policy: { token: true } },
      ],
      ['GET /verify-email is marked @RoutePolicy, but nginx rate-limits only unsafe requests: mark an unsafe route'],
    ],
  ])('%s', (_case, routes, problems) => {
    expect(routePolicyProblems(routes, limits)).toEqual(problems);
  });

  it('checks every spelling Express routes to a marked route', () => {
    const caseSensitive = nginxLimits(`map "$request_method $uri" $gatehouse_limited_key {
    "~^POST /login$"   $gatehouse_client;
}`);
    expect(routePolicyProblems([{ method: 'POST', path: '/login', page: true, policy: { hashes: true } }], caseSensitive)).toEqual([
      'POST /login is marked @RoutePolicy, but nginx does not rate-limit `POST /login/`: add it to the $gatehouse_limited_key map in nginx/templates/default.conf.template',
    ]);
  });
});
