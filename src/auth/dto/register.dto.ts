import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an email address' })
  email: string;

  /** The lower bound is PASSWORD_MIN_LENGTH, checked by PasswordPolicy (it is configuration). */
  @MaxLength(128)
  @IsString()
  password: string;

  @Transform(trim)
  @Length(1, 80)
  @IsString()
  displayName: string;
}
