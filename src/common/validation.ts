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
