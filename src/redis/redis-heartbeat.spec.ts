import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { type HeartbeatClient, HEARTBEAT_INTERVAL_MS, RedisHeartbeat, STALL_TIMEOUT_MS } from './redis-heartbeat.js';

/** A client whose PING answers only when the test says so, like a Redis that may freeze. */
function fakeClient() {
  const pending: { resolve: (value: string) => void; reject: (error: Error) => void }[] = [];
  const client = {
    isReady: true,
    ping: jest.fn(() => new Promise<unknown>((resolve, reject) => pending.push({ resolve, reject }))),
    destroy: jest.fn(() => {
      client.isReady = false;
      for (const ping of pending.splice(0)) ping.reject(new Error('Disconnects client'));
    }),
    connect: jest.fn(() => Promise.resolve(client)),
  };
  return { client: client satisfies HeartbeatClient, answer: () => pending.shift()?.resolve('PONG') };
}

describe('RedisHeartbeat', () => {
  let heartbeat: RedisHeartbeat | undefined;
  beforeEach(() => {
    // setImmediate stays real: the heartbeat uses it to let pending I/O run first.
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
  });
  afterEach(() => {
    heartbeat?.stop();
    jest.useRealTimers();
  });

  it('leaves a connection alone while its PINGs are answered', async () => {
    const { client, answer } = fakeClient();
    heartbeat = new RedisHeartbeat(client);
    heartbeat.start();
    for (let i = 0; i < 10; i++) {
      await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS);
      answer();
    }
    await jest.advanceTimersByTimeAsync(STALL_TIMEOUT_MS);
    expect(client.ping.mock.calls.length).toBeGreaterThanOrEqual(10);
    expect(client.destroy).not.toHaveBeenCalled();
  });

  it('drops and reopens a connection whose PING goes unanswered, within a second', async () => {
    const { client } = fakeClient();
    heartbeat = new RedisHeartbeat(client);
    heartbeat.start();
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS + STALL_TIMEOUT_MS - 1);
    expect(client.destroy).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(client.destroy).toHaveBeenCalledTimes(1);
    expect(client.connect).toHaveBeenCalledTimes(1);
    expect(HEARTBEAT_INTERVAL_MS + STALL_TIMEOUT_MS).toBeLessThanOrEqual(1_000);
  });

  it('sends one PING at a time, and none while the client is not ready', async () => {
    const { client } = fakeClient();
    client.isReady = false;
    heartbeat = new RedisHeartbeat(client);
    heartbeat.start();
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS * 4);
    expect(client.ping).not.toHaveBeenCalled();
    client.isReady = true;
    await jest.advanceTimersByTimeAsync(HEARTBEAT_INTERVAL_MS * 2);
    expect(client.ping).toHaveBeenCalledTimes(1);
  });
});
