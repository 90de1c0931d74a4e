import { Transform } from 'class-transformer';
import { IsOptional, IsString, Length, Matches, ValidateBy } from 'class-validator';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { NO_CONTROL_CHARACTERS } from '../../common/validation.js';
import { PASSKEY_NAME_MAX } from '../passkey-name.js';
import { readAssertion, readAttestation } from '../webauthn-json.js';

/**
 * What a browser's PublicKeyCredential.toJSON() gives: an assertion (navigator.credentials.get())
 * or an attestation (create()), read by webauthn-json.ts. The DTO keeps only what that reads, so
 * a handler gets the library's type.
 */
export const IsPasskeyAssertion = () =>
  ValidateBy({
    name: 'isPasskeyAssertion',
    validator: {
      validate: (value) => readAssertion(value) !== undefined,
      defaultMessage: (args) => `${args?.property} must be a passkey assertion (PublicKeyCredential JSON of navigator.credentials.get())`,
    },
  });

const IsPasskeyAttestation = () =>
  ValidateBy({
    name: 'isPasskeyAttestation',
    validator: {
      validate: (value) => readAttestation(value) !== undefined,
      defaultMessage: (args) =>
        `${args?.property} must be a passkey registration (PublicKeyCredential JSON of navigator.credentials.create())`,
    },
  });

// Transforms run before validation: each leaves anything that is not a credential as it is, for
// the validator to refuse.
export const AsPasskeyAssertion = () => Transform(({ value }: { value: unknown }) => readAssertion(value) ?? value);
const AsPasskeyAttestation = () => Transform(({ value }: { value: unknown }) => readAttestation(value) ?? value);
const Trimmed = () => Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/** `POST /api/auth/passkey` `{response}`; `{passkey}` of `POST /api/auth/reauthenticate` is checked alike. */
export class PasskeyAssertionDto {
  @AsPasskeyAssertion()
  @IsPasskeyAssertion()
  response: AuthenticationResponseJSON;
}

/** `POST /api/profile/passkeys` `{response, name?}`: without a name, one is made up (passkey-name.ts). */
export class AddPasskeyDto {
  @AsPasskeyAttestation()
  @IsPasskeyAttestation()
  response: RegistrationResponseJSON;

  @IsOptional()
  @Trimmed()
  @Matches(NO_CONTROL_CHARACTERS, { message: 'name must not contain control characters' })
  @Length(1, PASSKEY_NAME_MAX)
  @IsString()
  name?: string;
}

/** `PATCH /api/profile/passkeys/:id` `{name}`. */
export class RenamePasskeyDto {
  @Trimmed()
  @Matches(NO_CONTROL_CHARACTERS, { message: 'name must not contain control characters' })
  @Length(1, PASSKEY_NAME_MAX)
  @IsString()
  name: string;
}
