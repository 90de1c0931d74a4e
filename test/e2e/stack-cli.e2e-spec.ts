import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { expect, it } from '@jest/globals';
import { Client, newUser } from '../../tools/client/client.js';
import { PortPicker } from '../../tools/stack/machine.js';
import { servedCertificate } from '../support/served-certificate.js';
import { describeNative } from '../support/target.js';

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * `npm run stack` as a user runs it (given ports, two app instances, a private TMPDIR as
 * `mktemp -d` makes it), then SIGTERM to npm itself, as a process supervisor would send it: the
 * stack must not outlive npm.
 */
describeNative('npm run stack', () => {
  it('prints the parts and Ready, serves the API, and leaves nothing behind on SIGTERM', async () => {
    // Picked the harness's way (below the ephemeral range), so no connection takes them meanwhile.
    const ports = new PortPicker();
    const [https, http] = [await ports.pick(undefined, 'https'), await ports.pick(undefined, 'http')];
    // As from a shell: jest's own NODE_ENV=test must not reach the stack (it defaults to production).
    const env = { ...process.env };
    delete env.NODE_ENV;
    // Mode 0700: as root, postgres and nginx's workers (other users) could not reach a data dir
    // below it; the stack must still start.
    const privateTmp = mkdtempSync(path.join(os.tmpdir(), 'gatehouse-private-tmp-'));
    expect(statSync(privateTmp).mode & 0o777).toBe(0o700);
    const child = spawn('npm', ['run', 'stack'], {
      env: { ...env, TMPDIR: privateTmp, STACK_HTTPS_PORT: String(https), STACK_HTTP_PORT: String(http), STACK_APP_INSTANCES: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group: if the test fails, `finally` can kill all of it
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    const lines: string[] = [];
    const exited = once(child, 'exit');
    for await (const line of createInterface({ input: child.stdout })) {
      if (!/^(postgres|redis|mail|app|nginx|Ready): /.test(line)) continue; // npm's own header lines
      lines.push(line);
      if (line.startsWith('Ready:')) break;
    }
    try {
      if (!lines.at(-1)?.startsWith('Ready:')) throw new Error(`the stack did not start:\n${stderr}`);
      expect(lines).toEqual([
        expect.stringMatching(/^postgres: postgres:\/\/\S+@127\.0\.0\.1:\d+\/\S+$/),
        expect.stringMatching(/^redis: redis:\/\/127\.0\.0\.1:\d+$/),
        expect.stringMatching(/^mail: http:\/\/127\.0\.0\.1:\d+$/),
        expect.stringMatching(/^app: http:\/\/127\.0\.0\.1:\d+$/),
        expect.stringMatching(/^app: http:\/\/127\.0\.0\.1:\d+$/),
        `nginx: https://localhost:${https}`,
        `Ready: https://localhost:${https}`,
      ]);
      const partPorts = lines.slice(0, 5).map((line) => Number(new URL(line.slice(line.indexOf(': ') + 2)).port));
      const ports = [https, http, ...partPorts];
      for (const port of ports) expect(await isListening(port)).toBe(true);

      // Register, sign in and read the profile through nginx, as the curl lines of docs/operations.md do.
      const target = { baseUrl: `https://localhost:${https}`, ca: await servedCertificate(https) };
      const c = new Client(target);
      const user = newUser();
      expect((await c.post('/api/auth/register', user)).status).toBe(201);
      expect((await c.post('/api/auth/login', { email: user.email, password: user.password })).status).toBe(200);
      expect((await c.get('/api/profile')).json()).toMatchObject({ email: user.email });

      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
      for (const port of ports) expect(await isListening(port)).toBe(false);
    } finally {
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      rmSync(privateTmp, { recursive: true, force: true });
    }
  });
});
