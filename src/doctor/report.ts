/**
 * The doctor's output (README, Troubleshooting): one line per check, `PASS|WARN|FAIL <CODE> <what> — <fix>`,
 * then a summary line; or the same as JSON. Codes are stable: the README's troubleshooting
 * section lists each one, so a line can be looked up there.
 */

export type Status = 'PASS' | 'WARN' | 'FAIL';

export interface Check {
  status: Status;
  code: string;
  /** What was found, in words a reader can act on. Never a secret's value. */
  what: string;
  /** What to change; for a PASS, "nothing to do", so every line has the same shape. */
  fix: string;
}

export const NOTHING_TO_DO = 'nothing to do';

export class Report {
  readonly checks: Check[] = [];
  /** Checks that could not run because an earlier one failed, and why. */
  readonly notRun: { codes: string[]; reason: string }[] = [];

  pass(code: string, what: string): void {
    this.checks.push({ status: 'PASS', code, what, fix: NOTHING_TO_DO });
  }
  warn(code: string, what: string, fix: string): void {
    this.checks.push({ status: 'WARN', code, what, fix });
  }
  fail(code: string, what: string, fix: string): void {
    this.checks.push({ status: 'FAIL', code, what, fix });
  }
  skip(codes: string[], reason: string): void {
    if (codes.length) this.notRun.push({ codes, reason });
  }

  get failed(): boolean {
    return this.checks.some((check) => check.status === 'FAIL');
  }

  count(status: Status): number {
    return this.checks.filter((check) => check.status === status).length;
  }

  summary(): string {
    const notRun = this.notRun.flatMap((entry) => entry.codes);
    const reasons = this.notRun.map((entry) => entry.reason).join('; ');
    return (
      `Summary: ${this.count('PASS')} pass, ${this.count('WARN')} warn, ${this.count('FAIL')} fail` +
      (notRun.length ? `, ${notRun.length} not run (${reasons})` : '')
    );
  }

  text(): string {
    const lines = this.checks.map((check) => `${check.status} ${check.code} ${check.what} — ${check.fix}`);
    return [...lines, this.summary()].join('\n') + '\n';
  }

  json(): string {
    return (
      JSON.stringify(
        {
          ok: !this.failed,
          checks: this.checks,
          notRun: this.notRun,
          summary: { pass: this.count('PASS'), warn: this.count('WARN'), fail: this.count('FAIL') },
        },
        null,
        2,
      ) + '\n'
    );
  }
}
