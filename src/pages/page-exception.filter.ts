import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { toErrorBody } from '../common/http-exception.filter.js';
import { retryAfterOf } from '../common/too-many-requests.exception.js';
import { SessionExpiredException } from '../session/session.exceptions.js';
import { ReauthenticationRequiredException } from '../session/sudo.js';
import { FormRejection } from './form-errors.js';
import { localPath } from './view-models.js';

/**
 * Errors of the page routes answer in HTML, never JSON: a refused form is shown again
 * (FormRejection), a missing or ended session sends the browser to /login, anything else is the
 * error page. Bound to the page controllers only; the API keeps the global JSON filter.
 */
@Catch()
export class PageExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('PageExceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    const refusal = exception instanceof FormRejection ? exception.cause : exception;
    const retryAfter = retryAfterOf(refusal);
    if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
    if (exception instanceof FormRejection) {
      res.status(exception.getStatus()).render(exception.view, exception.model);
      return;
    }
    if (exception instanceof ReauthenticationRequiredException) {
      // Back, once the user proved it again, to the page itself when a page needs sudo mode, or
      // to the page a form was on (the Referer: same-origin policy sends it on our own forms).
      const req = host.switchToHttp().getRequest<Request>();
      const referer = req.get('referer');
      const back = req.method === 'GET' ? req.originalUrl : referer?.replace(/^https?:\/\/[^/]+/i, '');
      res.redirect(303, `/reauthenticate?next=${encodeURIComponent(localPath(back) ?? '/profile')}`);
      return;
    }
    const { statusCode, error, message } = toErrorBody(exception);
    if (statusCode === 401) {
      // SessionGuard has cleared a dead cookie already.
      res.redirect(303, exception instanceof SessionExpiredException ? '/login?notice=expired' : '/login');
      return;
    }
    if (statusCode >= 500 && !(exception instanceof HttpException)) {
      this.logger.error(exception instanceof Error ? exception.stack : String(exception));
    }
    res.status(statusCode).render('error', { statusCode, error, message: [message].flat().join(' ') });
  }
}
