import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { DOCTOR_CODES } from './codes.js';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
const codesIn = (text: string) => [...new Set(text.match(/GH-[CU]\d{3}/g))].sort();
const catalogue = Object.keys(DOCTOR_CODES).sort();

describe('the doctor codes', () => {
  it('docs/doctor.md has a row for every code of the catalogue, and no other', () => {
    const rows = read('docs/doctor.md')
      .split('\n')
      .filter((line) => /^\| GH-[CU]\d{3} \|/.test(line));
    expect(codesIn(rows.join('\n'))).toEqual(catalogue);
    expect(codesIn(read('docs/doctor.md'))).toEqual(catalogue);
  });

  it("the README's Troubleshooting names every code, and no other", () => {
    const readme = read('README.md');
    const troubleshooting = readme.slice(
      readme.indexOf('## Troubleshooting'),
      readme.indexOf('\n## ', readme.indexOf('## Troubleshooting') + 1),
    );
    expect(codesIn(troubleshooting)).toEqual(catalogue);
  });
});
