import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { IsString, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { AsPasskeyAssertion, IsPasskeyAssertion } from '../../passkeys/dto/passkey-response.dto.js';

/** Each proof is checked when it is given, and all of them when none is (a body with none is a 400). */
const givenOrNone = (own: keyof ReauthenticateDto) => (dto: ReauthenticateDto) =>
  dto[own] !== undefined || (dto.password === undefined && dto.code === undefined && dto.passkey === undefined);

/**
 * `POST /api/auth/reauthenticate` (docs/sessions.md, Sudo mode): the current password, a code of
 * the authenticator, or a passkey's assertion for `POST /api/auth/reauthenticate/options`.
 * Exactly one: the controller refuses a body with more.
 */
export class ReauthenticateDto {
  @ValidateIf(givenOrNone('password'))
  @MaxLength(128)
  @MinLength(1)
  @IsString()
  password?: string;

  @ValidateIf(givenOrNone('code'))
  @MaxLength(64)
  @MinLength(1)
  @IsString()
  code?: string;

  @ValidateIf(givenOrNone('passkey'))
  @AsPasskeyAssertion()
  @IsPasskeyAssertion()
  passkey?: AuthenticationResponseJSON;
}
