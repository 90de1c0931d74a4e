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

/**
 * Registration bodies the API must refuse with 400, each as a change to a valid newUser() and the
 * validation messages it must answer: one table for the in-process and the e2e tier.
 */
export const INVALID_REGISTRATIONS: [description: string, change: Record<string, unknown>, message: string[]][] = [
  ['an invalid email', { email: 'not-an-email' }, ['email must be an email address']],
  ['a password below PASSWORD_MIN_LENGTH', { password: 'elevenchars' }, ['password must be at least 12 characters']],
  ['a password over 128 characters', { password: 'p'.repeat(129) }, ['password must be shorter than or equal to 128 characters']],
  ['a blank displayName', { displayName: '   ' }, ['displayName must be longer than or equal to 1 characters']],
  ['a displayName over 80 characters', { displayName: 'n'.repeat(81) }, ['displayName must be shorter than or equal to 80 characters']],
  ['a displayName with a control character', { displayName: 'Bad\u0000Name' }, ['displayName must not contain control characters']],
  ['a missing field', { displayName: undefined }, ['displayName must be a string']],
  ['an email that is not a string', { email: 42 }, ['email must be an email address']],
  ['an unknown field', { isAdmin: true }, ['property isAdmin should not exist']],
];

/** Registers a new user on a new client (from `localAddress`, when given); the client is signed in. */
export async function signedInClient(target: Target, overrides: Partial<NewUser> = {}, localAddress?: string) {
  const client = new Client(target, undefined, localAddress);
  const user = newUser(overrides);
  const res = await client.post('/api/auth/register', user);
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${res.body}`);
  return { client, user, json: res.json<{ id: string }>() };
}
