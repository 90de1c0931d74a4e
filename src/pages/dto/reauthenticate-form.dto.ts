import { IsOptional, IsString, MaxLength } from 'class-validator';
import { ReauthenticateDto } from '../../auth/dto/reauthenticate.dto.js';

/** The API's ReauthenticateDto, and the page to go back to (localPath() decides whether it may). */
export class ReauthenticateFormDto extends ReauthenticateDto {
  @IsOptional()
  @MaxLength(2000)
  @IsString()
  next?: string;
}
