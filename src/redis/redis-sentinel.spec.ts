import { describe, expect, it } from '@jest/globals';
import { replicaSuspect } from './redis-sentinel.js';

const A = { host: '10.0.0.1', port: 6379 };
const B = { host: '10.0.0.2', port: 6379 };

describe('replicaSuspect: must an unacknowledged write fail?', () => {
  it('follows what the Sentinels see of the replicas of the node the app writes to', () => {
    expect(replicaSuspect(A, { ...A }, true)).toBe(true);
    expect(replicaSuspect(A, { ...A }, false)).toBe(false);
  });

  it('always, while the Sentinels name another node than the one the app still writes to', () => {
    // The promoted replica has no replica of its own yet; the old primary will resync from it.
    expect(replicaSuspect(B, A, false)).toBe(true);
  });

  it('as the Sentinels say, before the app has a primary at all', () => {
    expect(replicaSuspect(A, undefined, false)).toBe(false);
  });
});
