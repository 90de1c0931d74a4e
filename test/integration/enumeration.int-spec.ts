import { describe, expect, it, jest } from '@jest/globals';
import { PasswordService } from '../../src/passwords/password.service.js';
import { Client, newUser, signedInClient } from '../../tools/client/client.js';
import { inProcessSuite } from './in-process-app.js';

/**
 * A login for an unknown email does the work of a login with a wrong password: one full password
 * check (against a dummy hash, password.service.spec.ts) and the same answer. Pinned by counting
 * what runs, which a loaded machine cannot blur as it blurs a stopwatch (docs/security.md,
 * Enumeration).
 */

const inProcess = inProcessSuite();

describe('login: an unknown email and a wrong password', () => {
  it('each cost exactly one password check and get the same 401', async () => {
    const { user } = await signedInClient(inProcess.target);
    const verify = jest.spyOn(inProcess.app.get(PasswordService), 'verify');
    const login = (email: string) => new Client(inProcess.target).post('/api/auth/login', { email, password: 'not the password' });

    const wrong = await login(user.email);
    const unknown = await login(newUser().email);
    expect([unknown.status, unknown.json()]).toEqual([wrong.status, wrong.json()]);
    expect(wrong.status).toBe(401);
    expect(verify.mock.calls.map(([hash]) => (hash === undefined ? 'no user' : 'stored hash'))).toEqual(['stored hash', 'no user']);
    verify.mockRestore();
  });
});
