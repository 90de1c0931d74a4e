/**
 * The CI-sized soak (tools/soak.ts; `npm run soak` runs it for 60 s): 15 s of mixed traffic
 * through nginx, then every logged-out session is looked up in Redis.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { soak } from '../../tools/soak.js';
import { describeNative, startTarget, stopTarget, type Target } from '../support/target.js';

let target: Target;

describeNative('soak (native stack: reads the app process and Redis)', () => {
  beforeAll(async () => {
    target = await startTarget();
  });
  afterAll(async () => {
    await stopTarget(target);
  });

  it('15 s of register, login, profile, session list and logout: no error, no key left by a logged-out session', async () => {
    const report = await soak(target.stack!, { seconds: 15, users: 4, maxRequests: 50_000 });

    expect({ errors: report.errors, leftovers: report.leftovers }).toEqual({ errors: [], leftovers: [] });
    expect(report.errorCount).toBe(0);
    expect(report.loggedOutSessions).toBeGreaterThan(20);
    expect(report.requests).toBeGreaterThan(100);
  });
});
