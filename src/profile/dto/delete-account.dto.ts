import { IsString, MaxLength, MinLength } from 'class-validator';

export class DeleteAccountDto {
  @MaxLength(128)
  @MinLength(1)
  @IsString()
  password: string;
}
