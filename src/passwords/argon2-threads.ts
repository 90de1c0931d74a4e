import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** argon2id parameters, in @node-rs/argon2's terms (its `Algorithm.Argon2id` is 2). */
export interface Argon2Options {
  algorithm: 2;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

type Job = { op: 'hash'; password: string; options: Argon2Options } | { op: 'verify'; hash: string; password: string };
type Reply = { ok: true; value: string | boolean } | { ok: false; message: string };

/**
 * The lowest CPU priority Linux has. A hash then runs on whatever CPU time the event loop, nginx,
 * Redis and Postgres leave over, and a login storm costs the storm its throughput, not every
 * other request its latency (docs/benchmarks.md, Login storm).
 */
const HASH_THREAD_NICE = 19;

/**
 * What each thread runs: the synchronous argon2 of @node-rs/argon2, which keeps the hash on this
 * thread (an async hash would go to libuv's pool, shared by the whole process and not reniced).
 * On Linux the nice value belongs to a thread, so `setPriority` lowers this thread only; where
 * the platform refuses, the hash still runs at normal priority.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const argon2 = require(workerData.argon2);
try { require('node:os').setPriority(workerData.nice); } catch {}
parentPort.on('message', (job) => {
  try {
    const value = job.op === 'hash' ? argon2.hashSync(job.password, job.options) : argon2.verifySync(job.hash, job.password);
    parentPort.postMessage({ ok: true, value });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error && error.message) });
  }
});
`;

/**
 * Worker threads that do nothing but argon2, one job at a time each. The caller bounds how many
 * jobs run at once (HashingPool, as wide as this), so a free thread is always there.
 */
export class Argon2Threads {
  private readonly idle: Worker[] = [];
  private readonly argon2Path = createRequire(import.meta.url).resolve('@node-rs/argon2');

  constructor(readonly width: number) {
    for (let i = 0; i < width; i++) this.idle.push(this.spawn());
  }

  hash(password: string, options: Argon2Options): Promise<string> {
    return this.run({ op: 'hash', password, options }) as Promise<string>;
  }

  /** False for a wrong password; rejects for a hash that is not an argon2 PHC string. */
  verify(hash: string, password: string): Promise<boolean> {
    return this.run({ op: 'verify', hash, password }) as Promise<boolean>;
  }

  async close(): Promise<void> {
    await Promise.all(this.idle.splice(0).map((worker) => worker.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { argon2: this.argon2Path, nice: HASH_THREAD_NICE } });
    worker.unref(); // an idle hashing thread never keeps the process alive (graceful shutdown)
    return worker;
  }

  private run(job: Job): Promise<string | boolean> {
    const worker = this.idle.pop();
    if (!worker) return Promise.reject(new Error(`Argon2Threads: more than ${this.width} jobs at once`));
    return new Promise((resolve, reject) => {
      const settle = (reply: Reply) => {
        worker.off('error', fail);
        this.idle.push(worker);
        if (reply.ok) resolve(reply.value);
        else reject(new Error(reply.message));
      };
      // A thread that dies (out of memory) is replaced, and its job fails rather than hangs.
      const fail = (error: Error) => {
        worker.off('message', settle);
        this.idle.push(this.spawn());
        reject(error);
      };
      worker.once('message', settle);
      worker.once('error', fail);
      worker.postMessage(job);
    });
  }
}
