import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/*
 * A passkey authenticator and its browser, in software, for tests that cannot run Chromium: what
 * navigator.credentials.create() and .get() hand the page, built here byte by byte from the WebAuthn
 * Level 3 formats (authenticator data, attestation object `none`, COSE keys, clientDataJSON and
 * the signature over authData || SHA-256(clientDataJSON)), with node:crypto keys. Only the CBOR
 * encoder is the library's. Everything a browser or authenticator would guarantee can be broken
 * on purpose, one field at a time (Tamper), to see the app refuse it.
 */

export type Algorithm = 'ES256' | 'RS256' | 'EdDSA';

/** A discoverable credential (a passkey) the authenticator holds. */
export interface SoftCredential {
  id: Buffer;
  rpId: string;
  /** The user handle the site gave at registration (options.user.id). */
  userHandle: Buffer;
  privateKey: KeyObject;
  /** The signature counter; a synced passkey stays at 0. */
  counter: number;
}

/** What a test may change about one ceremony, to make the answer wrong in that one way. */
export interface Tamper {
  /** clientDataJSON's origin (the page's origin). */
  origin?: string;
  /** The RP id whose SHA-256 goes into authenticator data. */
  rpId?: string;
  /** clientDataJSON's challenge, base64url. */
  challenge?: string;
  /** clientDataJSON's type. */
  type?: string;
  /** The UV flag (user verified: PIN, biometrics). */
  userVerified?: boolean;
  /** The counter this assertion carries, instead of the next one. */
  counter?: number;
  /** The credential to sign with, whatever the options allow. */
  credential?: SoftCredential;
  /** The user handle sent back (undefined: the credential's own). */
  userHandle?: Buffer | null;
  /** The BS flag (backed up). */
  backedUp?: boolean;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;
/** This authenticator's model (AAGUID): made up, as a real one's means nothing without metadata. */
const AAGUID = Buffer.from('5e0f1a2b3c4d4e5f8a9b0c1d2e3f4a5b', 'hex');

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest();

function keyPair(algorithm: Algorithm): { privateKey: KeyObject; cose: Uint8Array } {
  if (algorithm === 'ES256') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    // kty EC2, alg ES256, crv P-256, x, y (RFC 9053)
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]);
    return { privateKey, cose: isoCBOR.encode(cose) };
  }
  if (algorithm === 'RS256') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' });
    // kty RSA, alg RS256, n, e
    const cose = new Map<number, number | Uint8Array>([
      [1, 3],
      [3, -257],
      [-1, Buffer.from(jwk.n!, 'base64url')],
      [-2, Buffer.from(jwk.e!, 'base64url')],
    ]);
    return { privateKey, cose: isoCBOR.encode(cose) };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  // kty OKP, alg EdDSA, crv Ed25519, x
  const cose = new Map<number, number | Uint8Array>([
    [1, 1],
    [3, -8],
    [-1, 6],
    [-2, Buffer.from(jwk.x!, 'base64url')],
  ]);
  return { privateKey, cose: isoCBOR.encode(cose) };
}

function signWith(credential: SoftCredential, data: Buffer): Buffer {
  // ES256 and RS256 hash with SHA-256 (ECDSA signatures in DER, as WebAuthn has them); Ed25519 hashes itself.
  return sign(credential.privateKey.asymmetricKeyType === 'ed25519' ? null : 'sha256', data, credential.privateKey);
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(
    /** The page's origin, as the browser would put it in clientDataJSON. */
    private readonly origin: string,
    private readonly options: {
      algorithm?: Algorithm;
      /** A synced passkey: backup eligible and backed up, no counter (always 0). */
      synced?: boolean;
    } = {},
  ) {}

  /** navigator.credentials.create({publicKey: options}), as PublicKeyCredential.toJSON(). */
  create(options: PublicKeyCredentialCreationOptionsJSON, tamper: Tamper = {}): RegistrationResponseJSON {
    const rpId = options.rp.id ?? new URL(this.origin).hostname;
    const excluded = new Set((options.excludeCredentials ?? []).map((c) => c.id));
    if (this.credentials.some((c) => c.rpId === rpId && excluded.has(c.id.toString('base64url')))) {
      throw new Error('InvalidStateError: this authenticator already holds one of the excluded credentials');
    }
    const { privateKey, cose } = keyPair(this.options.algorithm ?? 'ES256');
    const credential: SoftCredential = {
      id: randomBytes(32),
      rpId,
      userHandle: Buffer.from(options.user.id, 'base64url'),
      privateKey,
      counter: 0,
    };
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credential.id.length);
    const authData = Buffer.concat([
      this.authDataHead(tamper.rpId ?? rpId, tamper, FLAG_AT, tamper.counter ?? 0),
      AAGUID,
      idLength,
      credential.id,
      cose,
    ]);
    const clientDataJSON = this.clientData('webauthn.create', options.challenge, tamper);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, never>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, never>()],
        ['authData', authData],
      ]),
    );
    this.credentials.push(credential);
    const id = credential.id.toString('base64url');
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: Buffer.from(attestationObject).toString('base64url'),
        transports: ['internal', 'hybrid'],
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: { credProps: { rk: true } },
    };
  }

  /**
   * navigator.credentials.get({publicKey: options}): with allowCredentials, one of those; without
   * (a discoverable sign-in), the passkey the user picks: the last one made for the RP id.
   */
  get(options: PublicKeyCredentialRequestOptionsJSON, tamper: Tamper = {}): AuthenticationResponseJSON {
    const rpId = options.rpId ?? new URL(this.origin).hostname;
    const allowed = options.allowCredentials?.map((c) => c.id);
    const credential =
      tamper.credential ??
      this.credentials.findLast((c) => c.rpId === rpId && (allowed === undefined || allowed.includes(c.id.toString('base64url'))));
    if (!credential) throw new Error('NotAllowedError: no passkey for this site on this authenticator');
    if (tamper.counter === undefined && !this.options.synced) credential.counter += 1;
    const authData = this.authDataHead(tamper.rpId ?? credential.rpId, tamper, 0, tamper.counter ?? credential.counter);
    const clientDataJSON = this.clientData('webauthn.get', options.challenge, tamper);
    const signature = signWith(credential, Buffer.concat([authData, sha256(clientDataJSON)]));
    const userHandle = tamper.userHandle === undefined ? credential.userHandle : tamper.userHandle;
    const id = credential.id.toString('base64url');
    return {
      id,
      rawId: id,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
        ...(userHandle === null ? {} : { userHandle: userHandle.toString('base64url') }),
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }

  /** rpIdHash | flags | counter: the 37 bytes every authenticator data starts with. */
  private authDataHead(rpId: string, tamper: Tamper, extraFlags: number, counter: number): Buffer {
    const synced = this.options.synced === true;
    const backedUp = tamper.backedUp ?? synced;
    const flags =
      FLAG_UP | (tamper.userVerified === false ? 0 : FLAG_UV) | (synced ? FLAG_BE : 0) | (backedUp ? FLAG_BE | FLAG_BS : 0) | extraFlags;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count]);
  }

  private clientData(type: string, challenge: string, tamper: Tamper): Buffer {
    return Buffer.from(
      JSON.stringify({
        type: tamper.type ?? type,
        challenge: tamper.challenge ?? challenge,
        origin: tamper.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
  }
}
