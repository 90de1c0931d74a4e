import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Injectable, Logger } from '@nestjs/common';
import type { Response } from 'express';
import { retryAfterOf } from './too-many-requests.exception.js';
import { UNAVAILABLE_MESSAGE, unavailableDependency } from './unavailable-dependency.js';

export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string | string[];
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Errors from below Nest (body-parser, Express) reach the filter wrapped in an HttpException by
 * the Express adapter, the original as its `cause`. Their own messages may quote the body back
 * ("Unexpected token … in JSON"): answer with what was wrong instead.
 */
const BODY_ERROR_MESSAGES: Record<string, string> = {
  'entity.too.large': 'Request body exceeds 16 KiB',
  'entity.parse.failed': 'Request body is not valid JSON',
  'encoding.unsupported': 'Unsupported content encoding',
  'charset.unsupported': 'Unsupported charset',
  'request.aborted': 'Request aborted',
  'request.size.invalid': 'Request size did not match Content-Length',
};

function bodyErrorMessage(cause: unknown): string | undefined {
  const type = typeof cause === 'object' && cause !== null ? (cause as { type?: unknown }).type : undefined;
  return typeof type === 'string' ? BODY_ERROR_MESSAGES[type] : undefined;
}

/** Maps anything thrown while handling a request to `{ statusCode, error, message }`. */
export function toErrorBody(exception: unknown): ErrorBody {
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const response = exception.getResponse();
    const message =
      bodyErrorMessage(exception.cause) ??
      (typeof response === 'string' ? response : ((response as { message?: string | string[] }).message ?? exception.message));
    return { statusCode: status, error: REASONS[status] ?? HttpStatus[status] ?? 'Error', message };
  }
  const dependency = unavailableDependency(exception);
  if (dependency) return { statusCode: 503, error: REASONS[503], message: UNAVAILABLE_MESSAGE[dependency] };
  return { statusCode: 500, error: REASONS[500], message: 'Internal server error' };
}

/**
 * Every error leaves as JSON with no stack trace. An outage of Redis or Postgres is a 503
 * (unavailable-dependency.ts), logged in one line. Unexpected errors are logged (with their
 * stack, server-side only) and answered with a bare 500.
 */
@Catch()
@Injectable()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const body = toErrorBody(exception);
    if (body.statusCode === 503 && exception instanceof Error && !(exception instanceof HttpException)) {
      this.logger.warn(`${body.message}: ${exception.message}`);
    } else if (body.statusCode >= 500 && !(exception instanceof HttpException)) {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    if (res.headersSent) return;
    const retryAfter = retryAfterOf(exception);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    res.status(body.statusCode).json(body);
  }
}
