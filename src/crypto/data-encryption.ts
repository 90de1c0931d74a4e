import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * Encryption of small secrets at rest (TOTP secrets: README, Configuration, DATA_ENCRYPTION_KEY)
 * under AES-256-GCM, with keys that rotate: the first key encrypts, every key decrypts, so a new
 * key goes first and the old one stays until nothing is encrypted under it any more.
 *
 * A ciphertext is one ASCII string, `v1.<key id>.<iv>.<ciphertext and tag>` (base64url parts),
 * safe in a text column. The key id says which key to decrypt with; it is derived from the key
 * (an HMAC of a fixed label under the key), so the operator names nothing and it reveals nothing
 * about the key. The IV is 96 random bits per message: with one key, 2^32 messages keep the chance
 * of a repeated IV below 2^-32 (NIST SP 800-38D), far beyond what this app stores.
 *
 * The optional associated data (e.g. the user's id) is authenticated but not stored: a ciphertext
 * copied to another user's row, or to another column with other associated data, fails to decrypt.
 * The version and key id are authenticated too.
 */

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_BYTES = 6;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export type DataDecryptionFailure = 'malformed' | 'unknown-key' | 'unauthentic';

/** Why a ciphertext does not decrypt. The message never holds the ciphertext or a key. */
export class DataDecryptionError extends Error {
  constructor(
    readonly reason: DataDecryptionFailure,
    message: string,
  ) {
    super(message);
    this.name = 'DataDecryptionError';
  }
}

/**
 * One DATA_ENCRYPTION_KEY entry as its 32 bytes: 64 hex digits, or base64 / base64url (padded or
 * not). Anything else is undefined: a passphrase or a short key is refused, never stretched.
 */
export function parseDataKey(text: string): Buffer | undefined {
  const value = text.trim();
  if (/^[0-9A-Fa-f]{64}$/.test(value)) return Buffer.from(value, 'hex');
  const unpadded = value.replace(/=+$/, '');
  if (unpadded.length !== 43 || !/^[A-Za-z0-9+/_-]+$/.test(unpadded)) return undefined;
  const key = Buffer.from(unpadded, 'base64');
  // Canonical only: the last character's two spare bits must be 0, so one key has one spelling.
  const canonical = key.toString('base64url') === unpadded.replace(/\+/g, '-').replace(/\//g, '_');
  return key.length === KEY_BYTES && canonical ? key : undefined;
}

/** The id a ciphertext names its key by: 8 base64url characters, the same for the same key. */
export function dataKeyId(key: Buffer): string {
  return createHmac('sha256', key).update('gatehouse data-encryption key id').digest().subarray(0, KEY_ID_BYTES).toString('base64url');
}

export class DataEncryption {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly currentId: string;

  /** `keys`: 32 bytes each, the one to encrypt with first (config: dataEncryptionKeys). */
  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new Error('DataEncryption needs at least one key');
    const map = new Map<string, Buffer>();
    for (const key of keys) {
      if (key.length !== KEY_BYTES) throw new Error(`a data encryption key must be ${KEY_BYTES} bytes`);
      const id = dataKeyId(key);
      if (map.has(id)) throw new Error('the data encryption keys hold the same key twice');
      map.set(id, Buffer.from(key));
    }
    this.keys = map;
    this.currentId = dataKeyId(keys[0]);
  }

  /** The id of the key new ciphertexts are made with. */
  get currentKeyId(): string {
    return this.currentId;
  }

  encrypt(plaintext: Buffer | string, associatedData = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.currentId)!, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(aad(this.currentId, associatedData));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.currentId, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** The plaintext, or a DataDecryptionError: malformed, unknown key id, or failed authentication. */
  decrypt(ciphertext: string, associatedData = ''): Buffer {
    const { keyId, iv, body } = parse(ciphertext);
    const key = this.keys.get(keyId);
    if (!key) {
      throw new DataDecryptionError(
        'unknown-key',
        `encrypted under key id ${keyId}, which DATA_ENCRYPTION_KEY does not hold (a key removed before its data was re-encrypted?)`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad(keyId, associatedData));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new DataDecryptionError('unauthentic', 'the ciphertext failed authentication: altered, or not for this associated data');
    }
  }

  /** False for a ciphertext under an older key: re-encrypt it (e.g. when it is next used) before that key goes. */
  isCurrent(ciphertext: string): boolean {
    return parse(ciphertext).keyId === this.currentId;
  }
}

/** The version and key id, then the caller's associated data: one unambiguous byte string. */
function aad(keyId: string, associatedData: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${associatedData}`, 'utf8');
}

function parse(ciphertext: string): { keyId: string; iv: Buffer; body: Buffer } {
  const parts = ciphertext.split('.');
  const [version, keyId, iv, body] = parts;
  if (parts.length !== 4 || version !== VERSION || !parts.every((part) => BASE64URL.test(part))) {
    throw new DataDecryptionError('malformed', `not a ${VERSION} ciphertext (v1.<key id>.<iv>.<ciphertext>)`);
  }
  const ivBytes = Buffer.from(iv, 'base64url');
  const bodyBytes = Buffer.from(body, 'base64url');
  // Canonical base64url only, so that one ciphertext has one spelling.
  const canonical = ivBytes.toString('base64url') === iv && bodyBytes.toString('base64url') === body;
  if (keyId.length !== 8 || ivBytes.length !== IV_BYTES || bodyBytes.length < TAG_BYTES || !canonical) {
    throw new DataDecryptionError('malformed', `not a ${VERSION} ciphertext (a part has the wrong length or spelling)`);
  }
  return { keyId, iv: ivBytes, body: bodyBytes };
}
