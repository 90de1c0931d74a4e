import { describe, expect, it, jest } from '@jest/globals';
import { REPLICA_ACK_TIMEOUT_MS, REPLICA_RETRY_MS, ReplicaAck, ReplicaTimeoutError } from './replica-ack.js';

function setup(acks: number[], replicaUp = true) {
  let now = 1_000_000;
  const state = { replicaUp };
  const wait = jest.fn(async (_replicas: number, _timeout: number) => acks.shift() ?? 1);
  const ack = new ReplicaAck(
    { wait },
    () => state.replicaUp,
    () => now,
  );
  return { ack, wait, state, advance: (ms: number) => (now += ms) };
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

  it('fails (a 503) when a replica the Sentinels call up does not acknowledge: the primary may be on its way out', async () => {
    const { ack } = setup([0]);
    await expect(ack.wait()).rejects.toBeInstanceOf(ReplicaTimeoutError);
  });

  it('with no replica up, answers the write and skips WAIT until REPLICA_RETRY_MS have passed, then asks again', async () => {
    const { ack, wait, advance } = setup([0, 1], false);
    await ack.wait(); // no replica answered, and none is up: answered unreplicated
    advance(REPLICA_RETRY_MS - 1);
    await ack.wait();
    expect(wait).toHaveBeenCalledTimes(1);
    advance(1);
    await ack.wait();
    expect(wait).toHaveBeenCalledTimes(2);
  });

  it('stops skipping as soon as the Sentinels see a replica up again', async () => {
    const { ack, wait, state } = setup([0, 1], false);
    await ack.wait();
    state.replicaUp = true;
    await ack.wait();
    expect(wait).toHaveBeenCalledTimes(2);
  });

  it('lets a Redis error through: the write it follows may not have happened', async () => {
    const ack = new ReplicaAck({ wait: () => Promise.reject(new Error('READONLY')) }, () => true);
    await expect(ack.wait()).rejects.toThrow('READONLY');
  });
});
