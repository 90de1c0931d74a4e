/**
 * The stack's mail server: MailDev, the program behind compose's `mail` service
 * (maildev/maildev:2.2.1), from the project's own dev dependencies. SMTP for the app, an inbox
 * with a REST API (`GET /email`) for people and tests; loopback only.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { httpStatus } from './nginx.js';
import { type Proc, type Processes, waitReady } from './proc.js';

export interface Mail {
  /** http://127.0.0.1:<port>: the inbox (web UI and REST API). */
  url: string;
  smtpUrl: string;
  /** Stop MailDev (SMTP and inbox), and start it again on the same ports, e.g. to test mail retries. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startMail(procs: Processes, dir: string, root: string, webPort: number, smtpPort: number): Promise<Mail> {
  const mailDir = path.join(dir, 'mail');
  const url = `http://127.0.0.1:${webPort}`;
  let proc: Proc | undefined;
  const start = async (): Promise<void> => {
    if (proc?.running) throw new Error('mail is already running');
    await mkdir(mailDir, { recursive: true });
    proc = procs.launch('mail', process.execPath, [
      path.join(root, 'node_modules/maildev/bin/maildev'),
      '--smtp',
      String(smtpPort),
      '--web',
      String(webPort),
      '--ip',
      '127.0.0.1',
      '--web-ip',
      '127.0.0.1',
      '--mail-directory',
      mailDir,
    ]);
    await waitReady(proc, async () => (await httpStatus(`${url}/healthz`)) === 200);
  };
  await start();
  return {
    url,
    smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
    start,
    stop: async () => {
      await proc?.stop('SIGTERM');
    },
  };
}
