import { IsEmail, MaxLength } from 'class-validator';
import { NormalizedEmail } from '../../users/email.js';

export class PasswordResetRequestDto {
  @NormalizedEmail()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be an email address' })
  email: string;
}
