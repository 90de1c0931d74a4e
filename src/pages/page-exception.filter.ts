import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { toErrorBody } from '../common/http-exception.filter.js';
import { TooManyRequestsException } from '../common/too-many-requests.exception.js';
import { SESSION_EXPIRED } from '../session/session.guard.js';
import { SessionService } from '../session/session.service.js';
import { FormRejection } from './form-errors.js';

/**
 * Errors of the page routes answer in HTML, never JSON: a refused form is shown again
 * (FormRejection), a missing or ended session sends the browser to /login, anything else is the
 * error page. Bound to the page controllers only; the API keeps the global JSON filter.
 */
@Catch()
export class PageExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('PageExceptions');

  constructor(private readonly sessions: SessionService) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const refusal = exception instanceof FormRejection ? exception.cause : exception;
    if (refusal instanceof TooManyRequestsException) res.setHeader('Retry-After', String(refusal.retryAfterSeconds));
    if (exception instanceof FormRejection) {
      res.status(exception.getStatus()).render(exception.view, exception.model);
      return;
    }
    const { statusCode, error, message } = toErrorBody(exception);
    if (statusCode === 401) {
      const expired = message === SESSION_EXPIRED || req.sessionExpired === true;
      // Same clearing cookie as the API's "Session expired": the browser drops the dead one.
      if (expired) this.sessions.clearCookie(res);
      res.redirect(303, expired ? '/login?notice=expired' : '/login');
      return;
    }
    if (statusCode >= 500 && !(exception instanceof HttpException)) {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    res.status(statusCode).render('error', { statusCode, error, message: [message].flat().join(' ') });
  }
}
