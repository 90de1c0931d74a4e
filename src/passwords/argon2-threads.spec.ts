import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { afterAll, describe, expect, it } from '@jest/globals';
import { Argon2Threads } from './argon2-threads.js';
import { ARGON2_OPTIONS } from './password.service.js';

/** The nice value of each thread of this process (Linux: field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceValues(): number[] {
  return readdirSync('/proc/self/task').flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
    } catch {
      return []; // a thread that ended while we looked
    }
  });
}

describe('Argon2Threads', () => {
  const threads = new Argon2Threads(2);
  afterAll(() => threads.close());

  it('hashes argon2id in PHC form and verifies right and wrong passwords', async () => {
    const hash = await threads.hash('correct horse battery staple', ARGON2_OPTIONS);
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    await expect(threads.verify(hash, 'correct horse battery staple')).resolves.toBe(true);
    await expect(threads.verify(hash, 'correct horse battery stapler')).resolves.toBe(false);
  });

  it('verifies hashes of the argon2 (node-argon2) format the accounts were created with', async () => {
    // 'pw', hashed by the `argon2` package with the same parameters (its field order is m, p, t).
    const legacy = '$argon2id$v=19$m=19456,p=1,t=2$LVVn9rR8m48JZnZKbkmLFg$oLs/+VZgMClvqAucJW/z5lVQ8ExJMm//CzSdJhbCYRI';
    await expect(threads.verify(legacy, 'pw')).resolves.toBe(true);
    await expect(threads.verify(legacy, 'px')).resolves.toBe(false);
  });

  it('rejects a stored hash that is not a PHC string, and keeps working', async () => {
    await expect(threads.verify('not a hash', 'pw')).rejects.toThrow();
    await expect(threads.verify(await threads.hash('pw', ARGON2_OPTIONS), 'pw')).resolves.toBe(true);
  });

  it('hashes on threads at the lowest priority, and leaves the rest of the process alone', async () => {
    await Promise.all([threads.hash('a', ARGON2_OPTIONS), threads.hash('b', ARGON2_OPTIONS)]); // both threads have started
    const nice = threadNiceValues();
    expect(nice.filter((value) => value === 19)).toHaveLength(2);
    expect(nice.filter((value) => value !== 19)).toEqual(nice.filter((value) => value !== 19).map(() => os.getPriority()));
  });

  it('refuses more jobs at once than it has threads (HashingPool bounds them)', async () => {
    const running = [threads.hash('1', ARGON2_OPTIONS), threads.hash('2', ARGON2_OPTIONS)];
    await expect(threads.hash('3', ARGON2_OPTIONS)).rejects.toThrow('more than 2 jobs at once');
    await Promise.all(running);
  });
});
