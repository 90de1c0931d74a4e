import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/config.schema.js';
import { PasswordService } from './password.service.js';

/**
 * "No such email" must cost what "wrong password" costs, or the time of a login answer tells who
 * is registered (docs/security.md, Enumeration). Pinned by what runs, not by a stopwatch: the
 * check without a user is one argon2id verification against a hash of the same parameters.
 */
describe('PasswordService.verify', () => {
  const service = new PasswordService({ get: () => 12 } as unknown as ConfigService<AppConfig, true>);
  const threads = (service as unknown as { threads: { verify(hash: string, password: string): Promise<boolean> } }).threads;
  let stored: string;

  beforeAll(async () => {
    await service.onModuleInit();
    stored = await service.hash('correct horse battery staple');
  });
  afterAll(() => service.onApplicationShutdown());

  it('without a user, runs one full argon2id check with the parameters of a real hash, and says no', async () => {
    const verify = jest.spyOn(threads, 'verify');
    await expect(service.verify(undefined, 'correct horse battery staple')).resolves.toBe(false);
    expect(verify).toHaveBeenCalledTimes(1);
    const [dummy] = verify.mock.calls[0];
    const parameters = (hash: string) => hash.split('$').slice(0, 4).join('$'); // $argon2id$v=19$m=…,t=…,p=…
    expect(parameters(dummy)).toBe(parameters(stored));
    verify.mockRestore();
  });

  it('with a user, one check against the stored hash', async () => {
    const verify = jest.spyOn(threads, 'verify');
    await expect(service.verify(stored, 'a wrong password')).resolves.toBe(false);
    await expect(service.verify(stored, 'correct horse battery staple')).resolves.toBe(true);
    expect(verify.mock.calls.map(([hash]) => hash)).toEqual([stored, stored]);
    verify.mockRestore();
  });
});
