import { type CallHandler, type ExecutionContext, HttpException, Injectable, type NestInterceptor, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { catchError, type Observable } from 'rxjs';
import { toErrorBody } from '../common/http-exception.filter.js';
import { NotAuthenticatedException, SessionExpiredException } from '../session/session.exceptions.js';

/**
 * A form that the API's validation or services refuse is shown again: same view, the status of
 * the refusal (400, 401, 403, 409, 429), each message next to its field and what the user typed
 * kept, except passwords. The messages are the API's own, so the rules live in one place (DTOs
 * and services) and the pages only place them.
 */

const FORM_VIEW = 'pages:form-view';

/** Marks a POST handler as the submission of the form in `view`, to be re-rendered on a refusal. */
export const FormView = (view: string) => SetMetadata(FORM_VIEW, view);

export interface FormModel {
  /** What the user submitted, by field; never a password. */
  values: Record<string, string>;
  /** One message per field. */
  errors: Record<string, string>;
  /** Messages that belong to no single field ("Invalid email or password"). */
  formError?: string;
}

/** Thrown instead of the refusal; PageExceptionFilter renders `view` with `model`. */
export class FormRejection extends HttpException {
  constructor(
    status: number,
    readonly view: string,
    readonly model: FormModel,
    cause: unknown,
  ) {
    super(model.formError ?? 'The form has errors', status, { cause });
  }
}

/**
 * Turns a refusal of a form submission into a FormRejection; undefined for what is not about the
 * form: server errors, and a session that is gone (that one sends the browser to sign in).
 */
export function toFormRejection(view: string, body: unknown, error: unknown): FormRejection | undefined {
  const { statusCode, message } = toErrorBody(error);
  if (statusCode < 400 || statusCode >= 500) return undefined;
  if (error instanceof SessionExpiredException || error instanceof NotAuthenticatedException) return undefined;

  const submitted = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const values: Record<string, string> = {};
  for (const [field, value] of Object.entries(submitted)) {
    if (typeof value === 'string' && !/password/i.test(field)) values[field] = value;
  }
  const errors: Record<string, string> = {};
  const general: string[] = [];
  for (const text of [message].flat()) {
    const field = fieldOf(text, Object.keys(submitted));
    if (field === undefined) general.push(text);
    else errors[field] ??= humanize(text, field);
  }
  return new FormRejection(statusCode, view, { values, errors, formError: general.join(' ') || undefined }, error);
}

/**
 * The field a message is about. class-validator and the services start their messages with the
 * field ("displayName must be…", "Current password is wrong"), so the field is the longest one
 * whose name, ignoring case and spaces, begins the message.
 */
function fieldOf(message: string, fields: string[]): string | undefined {
  const squash = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');
  const text = squash(message);
  return fields.filter((field) => squash(field) !== '' && text.startsWith(squash(field))).sort((a, b) => b.length - a.length)[0];
}

/** "displayName must be…" reads "Display name must be…" on a page. */
function humanize(message: string, field: string): string {
  if (!message.startsWith(`${field} `)) return message;
  const words = field.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words[0].toUpperCase() + words.slice(1) + message.slice(field.length);
}

/**
 * Converts refusals into FormRejection for handlers marked @FormView. An interceptor rather than
 * the exception filter because interceptors wrap the pipes and the handler but not the guards:
 * validation and service refusals re-render the form, while a cross-site or CSRF refusal (a
 * guard) gets the plain error page.
 */
@Injectable()
export class FormErrorsInterceptor implements NestInterceptor {
  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const view = this.reflector.get<string | undefined>(FORM_VIEW, context.getHandler());
    if (!view) return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    return next.handle().pipe(
      catchError((error: unknown) => {
        throw toFormRejection(view, req.body, error) ?? error;
      }),
    );
  }
}
