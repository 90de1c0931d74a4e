import { ValidationPipe } from '@nestjs/common';

/**
 * The one validation setup, used as the global pipe and by guards that must validate a body
 * before a pipe would run (LocalAuthGuard). Unknown properties are refused, not silently dropped,
 * so a typo in a client is a 400 rather than a mystery. One message per property: class-validator
 * checks a property's decorators bottom-up, so DTOs list the type check last (it runs first).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: true,
    validationError: { target: false, value: false },
  });
}

/**
 * Free text that is stored and shown (a display name) holds no control characters: Postgres
 * `text` cannot store NUL at all (it was a 500), and the others are invisible on a page or
 * rewrite a terminal when the value is printed.
 */
export const NO_CONTROL_CHARACTERS = /^\P{Cc}*$/u;
