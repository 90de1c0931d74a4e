import { Transform } from 'class-transformer';

/**
 * The one form of an email address that Gatehouse stores, looks up, counts throttles by and
 * mails to: trimmed and lower-cased. The `users.email` column holds only this form, so two
 * spellings of one address are one account, one throttle count and one mail quota.
 */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** A DTO's email field, normalised before it is validated (anything but a string is left to the validators). */
export function NormalizedEmail(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? normalizeEmail(value) : value));
}
