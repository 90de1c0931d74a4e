import { randomUUID } from 'node:crypto';
import { type Cookie, CookieJar } from 'tough-cookie';
import { isSafeMethod } from '../../src/common/safe-methods.js';
import { request, type Response } from './http.js';
import { isRateLimited, pacerFor } from './pace.js';
import type { Target } from './target.js';

export type { Target } from './target.js';

export interface ClientResponse extends Response {
  /** Each Set-Cookie header line as the client received it. */
  setCookies: string[];
  /** From the moment the request was sent to the end of its response: never the wait for its turn (pace.ts). */
  ms: number;
}

/**
 * A client with a browser-like cookie jar (tough-cookie: Secure, Path, Domain, expiry and the
 * `__Host-`/`__Secure-` prefix rules, enforced strictly), talking HTTPS to the target. Unsafe
 * requests carry the target's Origin, as a browser's same-origin fetch would.
 */
export class Client {
  readonly jar = new CookieJar(undefined, { prefixSecurity: 'strict' });

  constructor(
    readonly target: Target,
    private readonly userAgent = `gatehouse-e2e/${randomUUID().slice(0, 8)}`,
    /** Source address of its connections, e.g. `127.0.0.2`: another client address to nginx and the app. */
    private readonly localAddress?: string,
  ) {}

  async send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ClientResponse> {
    const url = this.target.baseUrl + path;
    if (this.target.nginx !== false && isRateLimited(method, path)) await pacerFor(this.target, this.localAddress)();
    const cookie = await this.jar.getCookieString(url);
    const sent = performance.now();
    const res = await request(this.target.baseUrl, {
      method,
      path,
      body,
      ca: this.target.ca,
      localAddress: this.localAddress,
      headers: {
        'user-agent': this.userAgent,
        ...(cookie ? { cookie } : {}),
        ...(!isSafeMethod(method) ? { origin: this.target.baseUrl } : {}),
        ...headers,
      },
    });
    const ms = performance.now() - sent;
    const raw = res.headers['set-cookie'] ?? [];
    for (const line of raw) await this.jar.setCookie(line, url);
    return { ...res, setCookies: raw, ms };
  }

  get(path: string, headers?: Record<string, string>) {
    return this.send('GET', path, undefined, headers);
  }
  post(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.send('POST', path, body, headers);
  }
  patch(path: string, body?: unknown) {
    return this.send('PATCH', path, body);
  }
  put(path: string, body?: unknown) {
    return this.send('PUT', path, body);
  }
  delete(path: string) {
    return this.send('DELETE', path);
  }

  /** The cookie the jar would send to the target under this name, if any. */
  async cookie(name: string): Promise<Cookie | undefined> {
    return (await this.jar.getCookies(this.target.baseUrl + '/')).find((c) => c.key === name);
  }
}

export interface NewUser {
  email: string;
  password: string;
  displayName: string;
}

/** A user no other test has: every test makes its own. */
export function newUser(overrides: Partial<NewUser> = {}): NewUser {
  return {
    email: `user-${randomUUID()}@example.com`,
    password: 'correct horse battery staple',
    displayName: 'Test User',
    ...overrides,
  };
}

/** Registers a new user on a new client (from `localAddress`, when given); the client is signed in. */
export async function signedInClient(target: Target, overrides: Partial<NewUser> = {}, localAddress?: string) {
  const client = new Client(target, undefined, localAddress);
  const user = newUser(overrides);
  const res = await client.post('/api/auth/register', user);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.body}`);
  return { client, user, json: res.json<{ id: string }>() };
}
