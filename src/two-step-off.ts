/**
 * `npm run two-step-off -- <email>` (`node dist/src/two-step-off.js <email>` in the image, e.g.
 * `docker compose exec app node dist/src/two-step-off.js ada@example.com`): the operator turns
 * two-step sign-in off for a user who lost both the authenticator and the recovery codes (README,
 * Operator: turn two-step sign-in off). What it does: two-step-off.command.ts.
 *
 * Exit code: 0 done, or it was not on; 1 no such user, or a failure (still on); 2 a usage error.
 */
import 'reflect-metadata';
import { runTwoStepOff } from './two-step-off.command.js';

const code = await runTwoStepOff(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
// Everything it opened is closed by now, but for a start that missed its deadline and may still be
// retrying Redis: exit rather than wait for it.
process.exit(code);
