import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { expect, it } from '@jest/globals';
import { Client, newUser } from '../../tools/client/client.js';
import { findRepoRoot, PortPicker } from '../../tools/stack/machine.js';
import { servedCertificate } from '../support/served-certificate.js';
import { describeNative } from '../support/target.js';

/** What `npm run dev` builds from: the spec edits src/ in a copy of these, never in the repository. */
const SOURCES = ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'src', 'migrations', 'scripts', 'nginx', 'tools'];

// Generous: a loaded 2-core machine builds, compiles and starts the stack several times slower.
const READY_TIMEOUT_MS = 180_000;
const STEP_TIMEOUT_MS = 60_000;
const GONE_TIMEOUT_MS = 15_000;

/**
 * `npm run dev` as a forker runs it, on a copy of the sources: a saved change restarts the app
 * with the new code while Postgres and Redis keep the user and the session; a compile error keeps
 * the running app; SIGTERM to npm (as a process supervisor sends it) leaves no process behind.
 */
describeNative('npm run dev', () => {
  it(
    'restarts the app on a change, keeps users and sessions, survives a compile error, and leaves nothing behind on SIGTERM',
    async () => {
      const work = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-dev-loop-'));
      const root = findRepoRoot();
      for (const entry of SOURCES) cpSync(path.join(root, entry), path.join(work, entry), { recursive: true });
      symlinkSync(path.join(root, 'node_modules'), path.join(work, 'node_modules'), 'dir');
      const mainTs = path.join(work, 'src/main.ts');
      const original = readFileSync(mainTs, 'utf8');

      const ports = new PortPicker();
      const [https, http] = [await ports.pick(undefined, 'https'), await ports.pick(undefined, 'http')];
      // As from a shell: jest's own NODE_ENV=test must not reach the stack.
      const env: NodeJS.ProcessEnv = { ...process.env, STACK_HTTPS_PORT: String(https), STACK_HTTP_PORT: String(http) };
      delete env.NODE_ENV;
      const child = spawn('npm', ['run', 'dev'], {
        cwd: work,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // its own process group: `finally` can reach all of npm's side of it
      });
      const out: string[] = [];
      const err: string[] = [];
      createInterface({ input: child.stdout! }).on('line', (line) => out.push(line));
      createInterface({ input: child.stderr! }).on('line', (line) => err.push(line));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const waitFor = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = STEP_TIMEOUT_MS) =>
        poll(what, check, timeoutMs, () => {
          if (child.exitCode !== null || child.signalCode !== null) throw new Error(`npm run dev exited while waiting for ${what}`);
        }).catch((error: Error) => {
          throw new Error(`${error.message}\nstdout:\n${out.slice(-20).join('\n')}\nstderr:\n${err.slice(-40).join('\n')}`);
        });
      const restarts = () => out.filter((line) => line.startsWith('dev: app restarted in ')).length;
      const printed = (text: string) => err.some((line) => line.includes(text));

      try {
        await waitFor('Ready', () => out.some((line) => line.startsWith('Ready: ')), READY_TIMEOUT_MS);
        const baseUrl = `https://localhost:${https}`;
        expect(out.filter((line) => /^(postgres|redis|mail|app|nginx|Ready): /.test(line))).toEqual([
          expect.stringMatching(/^postgres: postgres:\/\/\S+@127\.0\.0\.1:\d+\/\S+$/),
          expect.stringMatching(/^redis: redis:\/\/127\.0\.0\.1:\d+$/),
          expect.stringMatching(/^mail: http:\/\/127\.0\.0\.1:\d+$/),
          expect.stringMatching(/^app: http:\/\/127\.0\.0\.1:\d+$/),
          `nginx: ${baseUrl}`,
          `Ready: ${baseUrl}`,
        ]);
        const target = { baseUrl, ca: await servedCertificate(https) };
        const c = new Client(target);
        const user = newUser();
        expect((await c.post('/api/auth/register', user)).status).toBe(201);
        expect((await c.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
        expect((await c.get('/api/profile')).status).toBe(200);

        // A saved change: the app restarts with the new code.
        const marker1 = `dev-loop marker ${randomUUID()}`;
        appendFileSync(mainTs, `process.stderr.write('${marker1}\\n');\n`);
        await waitFor('the restart after a change', () => restarts() === 1 && printed(marker1));
        // The session was in Redis, the user in Postgres: both are still there.
        const profile = await c.get('/api/profile');
        expect(profile.status).toBe(200);
        expect(profile.json()).toMatchObject({ email: user.email });
        const again = new Client(target);
        expect((await again.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
        expect((await again.get('/api/profile')).status).toBe(200);

        // A compile error: said so, and the running app keeps serving.
        appendFileSync(mainTs, "export const broken: number = 'not a number';\n");
        await waitFor('the compile error', () => printed('waiting for a fix'));
        expect(err.some((line) => /^tsc: src\/main\.ts\(\d+,\d+\): error TS2322: /.test(line))).toBe(true);
        expect((await c.get('/api/profile')).status).toBe(200);
        expect(restarts()).toBe(1);

        // Fixed: the next good compile restarts it again.
        const marker2 = `dev-loop marker ${randomUUID()}`;
        writeFileSync(mainTs, `${original}process.stderr.write('${marker2}\\n');\n`);
        await waitFor('the restart after the fix', () => restarts() === 2 && printed(marker2));
        expect((await c.get('/api/profile')).status).toBe(200);

        // SIGTERM to npm: it exits 0 and every process it started (tsc, app, nginx, Postgres,
        // Redis, MailDev, and theirs) is gone.
        const started = descendants(child.pid!);
        expect(started.length).toBeGreaterThanOrEqual(6);
        const partPorts = out
          .filter((line) => /^(postgres|redis|mail|app): /.test(line))
          .map((line) => Number(new URL(line.slice(line.indexOf(': ') + 2)).port));
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        await poll(
          'every child gone',
          () => started.every((proc) => !isAlive(proc)),
          GONE_TIMEOUT_MS,
          () => {},
        ).catch(() => {
          throw new Error(`still running after npm exited: ${started.filter(isAlive).map((proc) => proc.pid)}`);
        });
        for (const port of [https, http, ...partPorts]) expect(await isListening(port)).toBe(false);
      } finally {
        await stopAll(child, exited);
        rmSync(work, { recursive: true, force: true });
      }
    },
    READY_TIMEOUT_MS + 6 * STEP_TIMEOUT_MS,
  );
});

async function poll(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, alive: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    alive();
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface ProcEntry {
  pid: number;
  ppid: number;
  /** Start time in clock ticks since boot: tells a reused pid apart. */
  start: string;
  state: string;
}

function processTable(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readStat(Number(name));
    if (entry) entries.push(entry);
  }
  return entries;
}

function readStat(pid: number): ProcEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) ": state, ppid, … starttime is the 20th field from there.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: fields[0], ppid: Number(fields[1]), start: fields[19] };
  } catch {
    return undefined; // exited meanwhile
  }
}

/** Every process below `pid`, at this moment. */
function descendants(pid: number): ProcEntry[] {
  const table = processTable();
  const found: ProcEntry[] = [];
  const parents = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const entry of table) {
      if (parents.has(entry.ppid) && !parents.has(entry.pid)) {
        parents.add(entry.pid);
        found.push(entry);
        grew = true;
      }
    }
  }
  return found;
}

/** The same process (not a reused pid) still runs; a zombie only waits to be reaped. */
function isAlive(proc: ProcEntry): boolean {
  const now = readStat(proc.pid);
  return now !== undefined && now.start === proc.start && now.state !== 'Z';
}

/** If the test failed midway: SIGTERM (the dev loop stops its parts), then SIGKILL to whatever is left. */
async function stopAll(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const left = descendants(child.pid!);
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
  if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  for (const proc of left.filter(isAlive)) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
