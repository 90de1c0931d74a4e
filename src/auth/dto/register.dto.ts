import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsEmail({}, { message: 'email must be an email address' })
  @MaxLength(254)
  email: string;

  /** The lower bound is PASSWORD_MIN_LENGTH, checked by PasswordPolicy (it is configuration). */
  @IsString()
  @MaxLength(128)
  password: string;

  @Transform(trim)
  @IsString()
  @Length(1, 80)
  displayName: string;
}
