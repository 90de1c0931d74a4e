import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * A 429 that says when to come back: HttpExceptionFilter sends `retryAfterSeconds` as the
 * `Retry-After` header next to the usual JSON error body.
 */
export class TooManyRequestsException extends HttpException {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/** The Retry-After seconds an error carries (a 429, or a 503 from a full hashing queue), if any. */
export function retryAfterOf(exception: unknown): number | undefined {
  const seconds = (exception as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
  return typeof seconds === 'number' ? seconds : undefined;
}
