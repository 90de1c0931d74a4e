import { describe, expect, it } from '@jest/globals';
import type { SecurityEvents } from '../activity/security-events.js';
import type { PasswordService } from '../passwords/password.service.js';
import type { MailJob, MailQueue } from '../mail/mail-queue.js';
import type { MailThrottle } from '../mail/mail-throttle.js';
import type { SecurityNotices } from '../mail/security-notices.js';
import type { RedisClient } from '../redis/redis-client.js';
import type { UserSessions } from '../session/user-sessions.js';
import type { User } from '../users/user.entity.js';
import type { UsersService } from '../users/users.service.js';
import type { AccountTokensService } from './account-tokens.service.js';
import { PasswordResetService } from './password-reset.service.js';

const REGISTERED = 'ada@example.com';
const UNKNOWN = 'nobody@example.com';

/**
 * A stand-in that records every method called on it and answers as a store holding one user,
 * REGISTERED: a lookup would find her, so a request path that looked would have something to
 * branch on.
 */
function recording(name: string, calls: string[]): unknown {
  const ada = { id: 'u1', email: REGISTERED } as User;
  return new Proxy(
    {},
    {
      get: (_, method) =>
        typeof method === 'symbol' || method === 'then'
          ? undefined
          : async (...args: unknown[]) => {
              calls.push(`${name}.${method}(${args.map((arg) => JSON.stringify(arg)).join(', ')})`);
              return args.includes(REGISTERED) ? ada : null;
            },
    },
  );
}

/** The service with every collaborator recorded; the queue and the mail limits (refusing with `refusal`) as fakes. */
function service(refusal?: Error) {
  const lookups: string[] = [];
  const queued: MailJob[] = [];
  const counted: [string, string | undefined][] = [];
  const queue = { enqueue: async (job: MailJob) => void queued.push(job) } as unknown as MailQueue;
  const throttle = {
    take: async (email: string, ip: string | undefined) => {
      counted.push([email, ip]);
      if (refusal) throw refusal;
    },
  } as unknown as MailThrottle;
  const reset = new PasswordResetService(
    recording('users', lookups) as UsersService,
    recording('passwords', lookups) as PasswordService,
    recording('sessions', lookups) as UserSessions,
    recording('tokens', lookups) as AccountTokensService,
    queue,
    throttle,
    recording('notices', lookups) as SecurityNotices,
    recording('events', lookups) as SecurityEvents,
    {} as RedisClient, // the confirmations' limiter; a request never touches it
  );
  return { reset, lookups, queued, counted };
}

describe('PasswordResetService.request: the same work whether or not the email has an account (docs/security.md, Enumeration)', () => {
  // What makes the answer and its timing tell nothing is structural: the request path never asks
  // whether the account exists; the mail worker does, later, out of the request's time. A timing
  // test cannot pin this (an indexed lookup costs well under a millisecond, less than the noise);
  // this fails as soon as the request path looks anything up.
  it('looks nothing up, counts the request and queues one job of the same shape, for a registered and an unknown email', async () => {
    const { reset, lookups, queued, counted } = service();

    await reset.request(REGISTERED, '203.0.113.7');
    await reset.request(UNKNOWN, '203.0.113.7');

    expect(lookups).toEqual([]);
    expect(counted).toEqual([
      [REGISTERED, '203.0.113.7'],
      [UNKNOWN, '203.0.113.7'],
    ]);
    expect(queued).toEqual([
      { kind: 'password-reset', email: REGISTERED },
      { kind: 'password-reset', email: UNKNOWN },
    ]);
  });

  it('queues nothing when the mail limits refuse the request, registered or not', async () => {
    const refused = new Error('Too many mails requested for this email; try again later');
    const { reset, lookups, queued } = service(refused);

    for (const email of [REGISTERED, UNKNOWN]) await expect(reset.request(email, undefined)).rejects.toBe(refused);

    expect(lookups).toEqual([]);
    expect(queued).toEqual([]);
  });
});
