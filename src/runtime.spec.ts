import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';

/**
 * One Node major everywhere (README, The two commands): the tests run on the Node the image runs.
 * `npm test` fetches it when the machine's own is older (scripts/node24.sh).
 */
describe('the Node runtime', () => {
  const read = (file: string): string => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
  const engines = (JSON.parse(read('package.json')) as { engines: { node: string } }).engines.node;
  const major = Number(/^>=(\d+)$/.exec(engines)?.[1]);

  it('runs these tests on the major package.json names, or a newer one', () => {
    expect(Number(process.versions.node.split('.')[0])).toBeGreaterThanOrEqual(major);
  });

  it('is the same major in .nvmrc, the fetch script and every stage of the image', () => {
    expect(read('.nvmrc').trim()).toBe(String(major));
    expect(/^NODE24_VERSION=(\d+)\./m.exec(read('scripts/node24.sh'))?.[1]).toBe(String(major));
    const stages = [...read('Dockerfile').matchAll(/^FROM node:(\d+)-/gm)].map((m) => m[1]);
    expect(stages.length).toBeGreaterThan(0);
    expect(new Set(stages)).toEqual(new Set([String(major)]));
  });
});
