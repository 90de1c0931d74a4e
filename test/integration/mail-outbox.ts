/**
 * The in-process tier sends no mail: the SMTP step (Mailer.send) is replaced by an outbox, and
 * everything before it is the app's own — the limits, the queue in Postgres, the worker, the token
 * it issues and stores. A mailed link is read from the outbox, as a user would read it from the
 * inbox.
 */
import { jest } from '@jest/globals';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { type MailJob, MailQueue } from '../../src/mail/mail-queue.js';
import { Mailer, type MailMessage } from '../../src/mail/mailer.js';
import { RecoveryMail } from '../../src/recovery/recovery-mail.js';

export interface CapturedMail {
  /** What the worker handed to SMTP, in order. */
  outbox: MailMessage[];
  /** Every job the app queued, in order: a request that queued nothing is seen here at once. */
  queued: MailJob[];
  /** Every job the worker finished with, whether it sent a mail, found nothing to send, or failed. */
  handled: MailJob[];
  /** Resolves with what `find` finds, looking again each time the worker finishes a job. */
  once<T>(what: string, find: () => T | undefined, timeoutMs?: number): Promise<T>;
}

export function captureMail(app: NestExpressApplication): CapturedMail {
  const outbox: MailMessage[] = [];
  const queued: MailJob[] = [];
  const handled: MailJob[] = [];
  const onHandled = new Set<() => void>();
  jest.spyOn(app.get(Mailer), 'send').mockImplementation(async (message) => {
    outbox.push(message);
  });
  const queue = app.get(MailQueue);
  const enqueue = queue.enqueue.bind(queue);
  jest.spyOn(queue, 'enqueue').mockImplementation(async (job) => {
    queued.push(job);
    await enqueue(job);
  });
  // The worker calls send() through the instance, so the wrapper sees every job it finishes.
  const worker = app.get(RecoveryMail);
  const send = worker.send.bind(worker);
  jest.spyOn(worker, 'send').mockImplementation(async (attempt) => {
    try {
      await send(attempt);
    } finally {
      handled.push(attempt.job);
      for (const listener of onHandled) listener();
    }
  });

  function once<T>(what: string, find: () => T | undefined, timeoutMs = 10_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const look = () => {
        const found = find();
        if (found === undefined) return;
        done();
        resolve(found);
      };
      const timer = setTimeout(() => (done(), reject(new Error(`the mail worker did not ${what} within ${timeoutMs} ms`))), timeoutMs);
      const done = () => (clearTimeout(timer), onHandled.delete(look));
      onHandled.add(look);
      look();
    });
  }

  return { outbox, queued, handled, once };
}
