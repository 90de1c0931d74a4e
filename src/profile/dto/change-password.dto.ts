import { IsString, MaxLength, MinLength } from 'class-validator';

export class ChangePasswordDto {
  @MaxLength(128)
  @MinLength(1)
  @IsString()
  currentPassword: string;

  /** The lower bound is PASSWORD_MIN_LENGTH, checked by PasswordService.assertAcceptable. */
  @MaxLength(128)
  @IsString()
  newPassword: string;
}
