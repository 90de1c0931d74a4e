import { describe, expect, it } from '@jest/globals';
import { BadRequestException, ConflictException, ForbiddenException, HttpException, UnauthorizedException } from '@nestjs/common';
import { NotAuthenticatedException, SessionExpiredException } from '../session/session.exceptions.js';
import { FormRejection, toFormRejection } from './form-errors.js';

describe('toFormRejection', () => {
  it.each([
    [
      'a validation error, next to its field, in words',
      { email: 'ada@example.com', displayName: ' ', password: 'secret-secret' },
      new BadRequestException(['displayName must be longer than or equal to 1 characters']),
      400,
      { displayName: 'Display name must be longer than or equal to 1 characters' },
      undefined,
    ],
    [
      'the password policy, next to the new password',
      { currentPassword: 'old-password-1', newPassword: 'short' },
      new BadRequestException(['newPassword must be at least 12 characters']),
      400,
      { newPassword: 'New password must be at least 12 characters' },
      undefined,
    ],
    [
      'a service refusal that names its field',
      { currentPassword: 'wrong', newPassword: 'long-enough-password' },
      new ForbiddenException('Current password is wrong'),
      403,
      { currentPassword: 'Current password is wrong' },
      undefined,
    ],
    [
      'a conflict on the email',
      { email: 'ada@example.com', displayName: 'Ada', password: 'long-enough-password' },
      new ConflictException('Email is already registered'),
      409,
      { email: 'Email is already registered' },
      undefined,
    ],
    [
      'a message about no single field, above the form',
      { email: 'ada@example.com', password: 'wrong' },
      new UnauthorizedException('Invalid email or password'),
      401,
      {},
      'Invalid email or password',
    ],
    [
      'an unknown field',
      { displayName: 'Ada', isAdmin: 'true' },
      new BadRequestException(['property isAdmin should not exist']),
      400,
      {},
      'property isAdmin should not exist',
    ],
  ])('shows %s', (_case, body, error, status, errors, formError) => {
    const rejection = toFormRejection('some-view', body, error);
    expect(rejection).toBeInstanceOf(FormRejection);
    expect(rejection?.getStatus()).toBe(status);
    expect(rejection?.view).toBe('some-view');
    expect(rejection?.model.errors).toEqual(errors);
    expect(rejection?.model.formError).toBe(formError);
  });

  it('keeps what was typed, except passwords', () => {
    const body = { email: 'ada@example', displayName: 'Ada', password: 'x', currentPassword: 'y', newPassword: 'z' };
    const rejection = toFormRejection('register', body, new BadRequestException(['email must be an email address']));
    expect(rejection?.model.values).toEqual({ email: 'ada@example', displayName: 'Ada' });
    expect(rejection?.model.errors).toEqual({ email: 'Email must be an email address' });
  });

  it.each([
    ['a session that ended', new SessionExpiredException()],
    ['no session', new NotAuthenticatedException()],
    ['a server error', new HttpException('Service Unavailable', 503)],
    ['an unexpected error', new Error('boom')],
  ])('leaves %s to the exception filter', (_case, error) => {
    expect(toFormRejection('profile', { displayName: 'Ada' }, error)).toBeUndefined();
  });
});
