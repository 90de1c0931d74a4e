import { describe, expect, it, jest } from '@jest/globals';
import { REPLICA_ACK_TIMEOUT_MS, REPLICA_RETRY_MS, ReplicaAck } from './replica-ack.js';

function setup(acks: number[]) {
  let now = 1_000_000;
  const wait = jest.fn(async (_replicas: number, _timeout: number) => acks.shift() ?? 1);
  const ack = new ReplicaAck({ wait }, () => now);
  return { ack, wait, advance: (ms: number) => (now += ms) };
}

describe('ReplicaAck', () => {
  it('asks for one replica within the timeout after every write while the replica answers', async () => {
    const { ack, wait } = setup([1, 1, 1]);
    await ack.wait();
    await ack.wait();
    await ack.wait();
    expect(wait.mock.calls).toEqual([
      [1, REPLICA_ACK_TIMEOUT_MS],
      [1, REPLICA_ACK_TIMEOUT_MS],
      [1, REPLICA_ACK_TIMEOUT_MS],
    ]);
  });

  it('after a timed-out WAIT, skips WAIT until REPLICA_RETRY_MS have passed, then asks again', async () => {
    const { ack, wait, advance } = setup([0, 1]);
    await ack.wait(); // no replica answered
    advance(REPLICA_RETRY_MS - 1);
    await ack.wait();
    expect(wait).toHaveBeenCalledTimes(1);
    advance(1);
    await ack.wait();
    expect(wait).toHaveBeenCalledTimes(2);
  });

  it('lets a Redis error through: the write it follows may not have happened', async () => {
    const ack = new ReplicaAck({ wait: () => Promise.reject(new Error('READONLY')) });
    await expect(ack.wait()).rejects.toThrow('READONLY');
  });
});
