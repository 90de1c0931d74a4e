import { IsString, MaxLength, MinLength } from 'class-validator';

/** `POST /api/auth/reauthenticate`: the current password (docs/sessions.md, Sudo mode). */
export class ReauthenticateDto {
  @MaxLength(128)
  @MinLength(1)
  @IsString()
  password: string;
}
