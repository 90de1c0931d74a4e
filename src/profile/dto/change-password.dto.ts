import { IsString, MaxLength, MinLength } from 'class-validator';

export class ChangePasswordDto {
  @IsString()
  @MinLength(1)
  @MaxLength(128)
  currentPassword: string;

  /** The lower bound is PASSWORD_MIN_LENGTH, checked by PasswordService.assertAcceptable. */
  @IsString()
  @MaxLength(128)
  newPassword: string;
}
