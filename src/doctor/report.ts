/**
 * The doctor's output (docs/doctor.md): one line per check, `PASS|WARN|FAIL <CODE> <what> — <fix>`,
 * then a summary line; or the same as JSON. Codes are stable: docs/doctor.md
 * section lists each one, so a line can be looked up there.
 */

/**
 * C0 and C1 controls, DEL, and the invisible characters that reorder or break lines (bidi
 * overrides and isolates, U+2028/U+2029). The doctor prints what a server sent (messages, cookie
 * names, certificate names in TLS errors); from a hostile or broken server these could clear the
 * terminal, rewrite a line (a carriage return, an ESC or C1 CSI sequence), or fake a PASS line.
 */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]/g;

/**
 * Each such character becomes U+FFFD, visibly: ESC loses its power, so what follows it ("[2J")
 * is plain text, and a reader sees that the server sent something odd. JSON gets the same: JSON
 * escapes C0 but not DEL or C1, and a CI step that decodes it and prints a line would pass them on.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, '\ufffd');
}

import type { DoctorCode } from './codes.js';

export type Status = 'PASS' | 'WARN' | 'FAIL';

export interface Check {
  status: Status;
  code: DoctorCode;
  /** What was found, in words a reader can act on. Never a secret's value. */
  what: string;
  /** What to change; for a PASS, "nothing to do", so every line has the same shape. */
  fix: string;
}

export const NOTHING_TO_DO = 'nothing to do';

export class Report {
  readonly checks: Check[] = [];
  /** Checks that could not run because an earlier one failed, and why. */
  readonly notRun: { codes: DoctorCode[]; reason: string }[] = [];

  pass(code: DoctorCode, what: string): void {
    this.add('PASS', code, what, NOTHING_TO_DO);
  }
  warn(code: DoctorCode, what: string, fix: string): void {
    this.add('WARN', code, what, fix);
  }
  fail(code: DoctorCode, what: string, fix: string): void {
    this.add('FAIL', code, what, fix);
  }
  skip(codes: DoctorCode[], reason: string): void {
    if (codes.length) this.notRun.push({ codes, reason: printable(reason) });
  }

  /** Every line goes through printable() here, so no check has to remember it. */
  private add(status: Status, code: DoctorCode, what: string, fix: string): void {
    this.checks.push({ status, code, what: printable(what), fix: printable(fix) });
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
