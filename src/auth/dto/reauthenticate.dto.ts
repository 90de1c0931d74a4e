import { IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';

/**
 * `POST /api/auth/reauthenticate` (docs/sessions.md, Sudo mode): the current password or a code
 * of the authenticator. Exactly one: the controller refuses a body with both.
 */
export class ReauthenticateDto {
  @ValidateIf((dto: ReauthenticateDto) => dto.code === undefined)
  @MaxLength(128)
  @MinLength(1)
  @IsString()
  password?: string;

  @ValidateIf((dto: ReauthenticateDto) => dto.password === undefined)
  @MaxLength(64)
  @MinLength(1)
  @IsString()
  code?: string;
}
