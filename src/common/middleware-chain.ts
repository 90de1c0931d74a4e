import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Several middlewares as one: each step runs when the one before calls next(), and an error skips
 * the rest, as in Express. A step that throws passes its error on as Express's router would, also
 * when the step before called next() from a callback (a body parser, a store), where the router's
 * own try/catch is no longer on the stack. Express's router pays for every layer on every request
 * (path matching, a closure per call), so the steps that every request runs are installed as a few
 * chains rather than one layer each (docs/benchmarks.md, What keeps the per-request cost down).
 */
export function chain(...steps: RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let i = 0;
    const run = (error?: unknown): void => {
      if (error !== undefined || i === steps.length) return next(error);
      const step = steps[i++];
      try {
        void step(req, res, run);
      } catch (thrown) {
        run(thrown);
      }
    };
    run();
  };
}
