import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, Matches, MaxLength } from 'class-validator';
import { NO_CONTROL_CHARACTERS } from '../../common/validation.js';
import { NormalizedEmail } from '../../users/email.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  @NormalizedEmail()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an email address' })
  email: string;

  /** The lower bound is PASSWORD_MIN_LENGTH, checked by PasswordPolicy (it is configuration). */
  @MaxLength(128)
  @IsString()
  password: string;

  @Transform(trim)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'displayName must not contain control characters' })
  @Length(1, 80)
  @IsString()
  displayName: string;
}
