/**
 * /readyz and the mail server (docs/operations.md, Outages): it reports whether mail can go out,
 * from a check at most MAIL_CHECK_MAX_AGE_MS old, so a burst of readiness probes opens one SMTP
 * connection, not one each (providers throttle connections, and then the reset mails stop).
 * Real MailDev, behind a proxy here that counts the connections made to it.
 */
import { mkdir, rm } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findRepoRoot, makeStackDir, PortPicker } from '../../tools/stack/machine.js';
import { type Mail, startMail } from '../../tools/stack/mail.js';
import { Processes } from '../../tools/stack/proc.js';
import { Client } from '../../tools/client/client.js';
import { type InProcessApp, startInProcessApp } from './in-process-app.js';
import { type Services, startServices } from './services.js';

let services: Services;
let dir: string;
let procs: Processes;
let mail: Mail;
let proxy: net.Server;
let connections = 0;
let inProcess: InProcessApp;

beforeAll(async () => {
  services = await startServices();
  const ports = new PortPicker();
  dir = await makeStackDir();
  await mkdir(path.join(dir, 'logs'));
  procs = new Processes(path.join(dir, 'logs'));
  const smtpPort = await ports.pick(undefined, 'mail');
  mail = await startMail(procs, dir, findRepoRoot(), await ports.pick(undefined, 'mail'), smtpPort);
  proxy = net.createServer((client) => {
    connections++;
    const upstream = net.connect(smtpPort, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const close = () => (client.destroy(), upstream.destroy());
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  const proxyPort = await ports.pick(undefined, 'mail');
  await new Promise<void>((resolve) => proxy.listen(proxyPort, '127.0.0.1', resolve));
  inProcess = await startInProcessApp(services, { SMTP_URL: `smtp://127.0.0.1:${proxyPort}` });
}, 60_000);
afterAll(async () => {
  await inProcess?.close();
  await new Promise((resolve) => proxy?.close(resolve));
  await mail?.stop();
  await procs?.stopRest();
  await rm(dir, { recursive: true, force: true });
  await services?.stop();
});

describe('/readyz and the mail server', () => {
  it('30 calls, at once and one after another, open one SMTP connection, and say mail: up', async () => {
    const client = new Client(inProcess.target);
    const ready = async () => {
      const res = await client.get('/readyz');
      return [res.status, res.json<{ mail: string }>().mail];
    };
    const answers = await Promise.all(Array.from({ length: 15 }, ready));
    for (let i = 0; i < 15; i++) answers.push(await ready());
    expect(answers).toEqual(Array(30).fill([200, 'up']));
    console.log(`30 GET /readyz: ${connections} SMTP connection(s) to MailDev`);
    expect(connections).toBe(1);
  });
});
