import { IsString, MaxLength, MinLength } from 'class-validator';

/**
 * A code as the person typed it: a TOTP code (`123456`, `123 456`) or a recovery code. What it
 * must look like is the check's business (a wrong-looking code is a wrong code); the body only
 * has to be one short string.
 */
export class CodeDto {
  @MaxLength(64)
  @MinLength(1)
  @IsString()
  code: string;
}
