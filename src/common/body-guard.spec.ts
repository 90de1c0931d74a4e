import { describe, expect, it } from '@jest/globals';
import { bodyProblem, MAX_BODY_DEPTH } from './body-guard.js';

const nested = (depth: number, open: string, close: string) => JSON.parse(open.repeat(depth) + '1' + close.repeat(depth));

describe('bodyProblem', () => {
  it.each([
    ['no body', undefined],
    ['a flat login body', { email: 'a@example.com', password: 'x', rememberMe: true }],
    ['a scalar', 'text'],
    [`objects ${MAX_BODY_DEPTH} deep`, nested(MAX_BODY_DEPTH, '{"a":', '}')],
    ['a key that merely contains "proto"', { __proto: 1, prototype: 2 }],
  ])('accepts %s', (_name, body) => {
    expect(bodyProblem(body)).toBeUndefined();
  });

  it.each([
    [`objects ${MAX_BODY_DEPTH + 1} deep`, nested(MAX_BODY_DEPTH + 1, '{"a":', '}'), 'nested more than 32 levels deep'],
    ['arrays 8000 deep (no stack overflow here either)', nested(8000, '[', ']'), 'nested more than 32 levels deep'],
    ['a __proto__ key (JSON.parse makes it an own property)', JSON.parse('{"email":"a","__proto__":{"x":1}}'), 'forbidden key __proto__'],
    ['a nested constructor key', JSON.parse('{"a":[{"constructor":{"prototype":{}}}]}'), 'forbidden key constructor'],
  ])('refuses %s', (_name, body, message) => {
    expect(bodyProblem(body)).toContain(message);
  });
});
