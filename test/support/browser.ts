/**
 * Headless Chromium for the browser specs: Debian's own binary (never a downloaded build), driven
 * by playwright-core, talking to the stack's nginx over HTTPS. The certificate is the stack's
 * self-signed one, so certificate errors are ignored; everything else is a real browser: its own
 * cookie jar, SameSite, Origin headers, the CSP.
 */
import { afterAll, afterEach, beforeAll } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type LaunchOptions,
  type Page,
  type Response,
} from 'playwright-core';
import { startStack, type Stack } from '../../tools/stack/stack.js';
import type { NewUser } from '../../tools/client/client.js';
import { connectRedis, sessionIdOf } from '../../tools/client/redis.js';
import { TEST_APP_ENV } from './test-env.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * As root in a container-like sandbox Chromium needs --no-sandbox; the rest keep it from calling
 * home (this machine has no network, and refused connections slow every start).
 */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const CONTEXT_OPTIONS: BrowserContextOptions = {
  ignoreHTTPSErrors: true,
  viewport: { width: 1000, height: 760 },
};

/** For a second browser context, so the sessions page shows two different devices. */
export const OTHER_USER_AGENT = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:140.0) Gecko/20100101 Firefox/140.0';

function launchOptions(): LaunchOptions {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: run \`bash scripts/install-system-deps.sh --browser\` (or set CHROMIUM_PATH)`);
  }
  return { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS };
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch(launchOptions());
}

/** A browser with a profile directory of its own: cookies survive a close and relaunch, as on a desktop. */
export function launchWithProfile(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { ...launchOptions(), ...CONTEXT_OPTIONS });
}

const SCREENSHOTS = path.resolve('test-output/screenshots');

/** A full-page PNG in test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export interface BrowserSuite {
  /** The spec file's stack and browser, started together before its first test. */
  readonly stack: Stack;
  readonly browser: Browser;
  readonly baseUrl: string;
  /** A page in a fresh browser context (its own cookie jar), closed after the test. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
}

/**
 * One stack (app logs at warn) and one Chromium for a spec file, stopped after its last test;
 * every context a test opens is closed after that test, so no test sees another's cookies.
 */
export function browserSuite(env: Record<string, string> = {}): BrowserSuite {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    [stack, browser] = await Promise.all([startStack({ env: { ...TEST_APP_ENV, LOG_LEVEL: 'warn', ...env } }), launchBrowser()]);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });
  return {
    get stack() {
      return stack!;
    },
    get browser() {
      return browser!;
    },
    get baseUrl() {
      return stack!.baseUrl;
    },
    async newPage(options = {}) {
      const context = await browser!.newContext({ ...CONTEXT_OPTIONS, ...options });
      contexts.push(context);
      return context.newPage();
    },
  };
}

/**
 * Clicks (or presses) something that submits a form; returns the response to the POST (a 303, or
 * the form shown again) once the page it leads to has loaded.
 */
export async function submit(page: Page, action: () => Promise<void>): Promise<Response> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    // Registered before the action, so only the next document's load can resolve it.
    page.waitForEvent('load'),
    action(),
  ]);
  return response;
}

/**
 * page.goto, tried once more if Chromium dropped the request with ERR_NETWORK_CHANGED: it does that
 * to requests in flight whenever the machine's network interfaces change (a container starting
 * elsewhere on a shared machine), which says nothing about Gatehouse.
 */
export async function visit(page: Page, url: string): Promise<void> {
  try {
    await page.goto(url);
  } catch (error) {
    if (!String(error).includes('net::ERR_NETWORK_CHANGED')) throw error;
    await page.goto(url);
  }
}

export async function register(page: Page, baseUrl: string, user: NewUser): Promise<void> {
  await visit(page, `${baseUrl}/register`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Display name').fill(user.displayName);
  await page.getByLabel('Password').fill(user.password);
  await submit(page, () => page.getByRole('button', { name: 'Create account' }).click());
  await page.waitForURL(`${baseUrl}/profile`);
}

export async function signIn(page: Page, baseUrl: string, user: NewUser, rememberMe = false): Promise<void> {
  await visit(page, `${baseUrl}/login`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  if (rememberMe) await page.getByLabel(/Keep me signed in/).check();
  await submit(page, () => page.getByRole('button', { name: 'Sign in', exact: true }).click());
  await page.waitForURL(`${baseUrl}/profile`);
}

export async function signOut(page: Page, baseUrl: string): Promise<void> {
  await submit(page, () => page.getByRole('button', { name: 'Sign out' }).click());
  await page.waitForURL(`${baseUrl}/login?notice=signed-out`);
}

/** The text of the page's notice (the flash message line), or null when there is none. */
export async function notice(page: Page): Promise<string | null> {
  const status = page.locator('.notice');
  return (await status.count()) > 0 ? status.innerText() : null;
}

/** Moves this browser's session out of sudo mode: its last proof (`p` in its Redis record) 20 minutes back. */
export async function leaveSudoMode(page: Page, suite: BrowserSuite): Promise<void> {
  const cookie = (await page.context().cookies(suite.baseUrl)).find((c) => c.name === '__Host-sid')!;
  const redis = await connectRedis(suite.stack.redisUrl);
  try {
    const key = `sess:${sessionIdOf(cookie.value)}`;
    const record = JSON.parse((await redis.get(key))!) as { p: number };
    await redis.set(key, JSON.stringify({ ...record, p: Date.now() - 20 * 60_000 }), { KEEPTTL: true });
  } finally {
    await redis.close();
  }
}
