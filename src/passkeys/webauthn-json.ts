import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

/*
 * The `response` a browser sends back (PublicKeyCredential.toJSON(), as @simplewebauthn/browser
 * returns it), read into exactly the fields @simplewebauthn/server verifies. Its shape is the
 * browser's, not Gatehouse's, and grows with WebAuthn (new extension outputs, new fields), so
 * fields this app does not read are dropped rather than refused; a field it reads that is missing
 * or of the wrong type makes the body invalid (400), never a 500 inside the library.
 */

/** A credential id is at most 1023 bytes (WebAuthn Level 3): 1364 base64url characters. */
const ID_MAX = 1364;
/** clientDataJSON, authenticatorData, signature, attestationObject: a whole body is 16 KiB at most anyway. */
const FIELD_MAX = 16 * 1024;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const TRANSPORTS: readonly string[] = ['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb'];

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

function base64url(value: unknown, max = FIELD_MAX): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max && BASE64URL.test(value);
}

/** The outer part both ceremonies share, or undefined. */
function credential(value: unknown): { id: string; outer: Json; inner: Json } | undefined {
  if (!isObject(value) || !isObject(value.response) || value.type !== 'public-key') return undefined;
  if (!base64url(value.id, ID_MAX) || value.rawId !== value.id) return undefined;
  return { id: value.id, outer: value, inner: value.response };
}

/** An assertion (navigator.credentials.get()), or undefined when it is not shaped like one. */
export function readAssertion(value: unknown): AuthenticationResponseJSON | undefined {
  const parts = credential(value);
  if (!parts) return undefined;
  const { clientDataJSON, authenticatorData, signature, userHandle } = parts.inner;
  if (!base64url(clientDataJSON) || !base64url(authenticatorData) || !base64url(signature)) return undefined;
  if (userHandle !== undefined && userHandle !== null && !base64url(userHandle, 86)) return undefined;
  return {
    id: parts.id,
    rawId: parts.id,
    type: 'public-key',
    response: { clientDataJSON, authenticatorData, signature, ...(typeof userHandle === 'string' ? { userHandle } : {}) },
    clientExtensionResults: {},
  };
}

/** An attestation (navigator.credentials.create()), or undefined when it is not shaped like one. */
export function readAttestation(value: unknown): RegistrationResponseJSON | undefined {
  const parts = credential(value);
  if (!parts) return undefined;
  const { clientDataJSON, attestationObject, transports } = parts.inner;
  if (!base64url(clientDataJSON) || !base64url(attestationObject)) return undefined;
  if (
    transports !== undefined &&
    !(Array.isArray(transports) && transports.length <= 10 && transports.every((t) => typeof t === 'string'))
  ) {
    return undefined;
  }
  return {
    id: parts.id,
    rawId: parts.id,
    type: 'public-key',
    response: {
      clientDataJSON,
      attestationObject,
      // Hints for the sign-in options (allowCredentials); only the ones WebAuthn names are kept.
      transports: ((transports as string[] | undefined) ?? []).filter((t) => TRANSPORTS.includes(t)),
    },
    clientExtensionResults: {},
  };
}
