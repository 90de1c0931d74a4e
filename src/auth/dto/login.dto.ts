import { IsBoolean, IsEmail, IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { NormalizedEmail } from '../../users/email.js';

export class LoginDto {
  @NormalizedEmail()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an email address' })
  email: string;

  // Only the upper bound here: a too-short password is simply a wrong one, and saying so would
  // hint at the policy to an attacker without helping the user.
  @MaxLength(128)
  @MinLength(1)
  @IsString()
  password: string;

  @IsOptional()
  @IsBoolean()
  rememberMe?: boolean;
}
