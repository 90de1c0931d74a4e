import { IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';

/**
 * The second step of a sign-in (/login/second-factor): one form posts `code` (the authenticator's)
 * and the other `recoveryCode`, each as the API's CodeDto takes it. Exactly one: the handler
 * refuses a body with both.
 */
export class SecondFactorFormDto {
  @ValidateIf((form: SecondFactorFormDto) => form.recoveryCode === undefined)
  @MaxLength(64)
  @MinLength(1)
  @IsString()
  code?: string;

  @ValidateIf((form: SecondFactorFormDto) => form.code === undefined)
  @MaxLength(64)
  @MinLength(1)
  @IsString()
  recoveryCode?: string;
}
