import { IsString, MaxLength } from 'class-validator';

export class PasswordResetConfirmDto {
  /** Any string: one that is not a token of ours is simply an unknown link (400 "Invalid or expired reset link"). */
  @MaxLength(256)
  @IsString()
  token: string;

  /** The lower bound is PASSWORD_MIN_LENGTH, checked by PasswordService.assertAcceptable. */
  @MaxLength(128)
  @IsString()
  newPassword: string;
}
