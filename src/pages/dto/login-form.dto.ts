import { Transform } from 'class-transformer';
import { LoginDto } from '../../auth/dto/login.dto.js';

/** The API's LoginDto, except that an HTML checkbox sends `rememberMe=on` or nothing at all. */
export class LoginFormDto extends LoginDto {
  @Transform(({ value }) => (value === 'on' ? true : value))
  declare rememberMe?: boolean;
}
