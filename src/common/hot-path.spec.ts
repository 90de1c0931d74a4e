import { describe, expect, it, jest } from '@jest/globals';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { chain } from './hot-path.js';

const req = {} as Request;
const res = {} as Response;

/** Runs the chain and resolves with what it finally passed to next(). */
function outcome(handler: RequestHandler): Promise<{ error: unknown }> {
  return new Promise((resolve) => {
    void handler(req, res, ((error?: unknown) => resolve({ error })) as NextFunction);
  });
}

describe('chain', () => {
  it('runs the steps in order, then calls next() once with no error', async () => {
    const order: string[] = [];
    const step =
      (name: string): RequestHandler =>
      (_req, _res, next) => {
        order.push(name);
        next();
      };
    await expect(outcome(chain(step('a'), step('b'), step('c')))).resolves.toEqual({ error: undefined });
    expect(order).toEqual(['a', 'b', 'c']);
  });

  it('skips the remaining steps after an error passed to next()', async () => {
    const failure = new Error('refused');
    const later = jest.fn();
    const result = await outcome(chain((_req, _res, next) => next(failure), later));
    expect(result).toEqual({ error: failure });
    expect(later).not.toHaveBeenCalled();
  });

  it('passes on an error thrown by a step that runs from an asynchronous callback', async () => {
    const failure = new Error('thrown after the parser');
    const later = jest.fn();
    const handler = chain(
      (_req, _res, next) => {
        setImmediate(() => next()); // as a body parser calls next() once the body is read
      },
      () => {
        throw failure;
      },
      later,
    );
    await expect(outcome(handler)).resolves.toEqual({ error: failure });
    expect(later).not.toHaveBeenCalled();
  });
});
