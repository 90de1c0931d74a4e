import { Transform } from 'class-transformer';
import { IsString, Length, Matches } from 'class-validator';
import { NO_CONTROL_CHARACTERS } from '../../common/validation.js';

export class UpdateProfileDto {
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @Matches(NO_CONTROL_CHARACTERS, { message: 'displayName must not contain control characters' })
  @Length(1, 80)
  @IsString()
  displayName: string;
}
