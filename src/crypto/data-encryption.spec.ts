import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { DataDecryptionError, DataEncryption, dataKeyId, parseDataKey } from './data-encryption.js';

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const secret = Buffer.from('12345678901234567890'); // a TOTP secret: 160 bits

/** Flips one bit of byte `at` (negative: from the end) of a base64url part of the ciphertext. */
function tamper(ciphertext: string, part: number, at: number): string {
  const parts = ciphertext.split('.');
  const bytes = Buffer.from(parts[part], 'base64url');
  bytes[at < 0 ? bytes.length + at : at] ^= 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

function failure(run: () => unknown): { reason: string; message: string } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(DataDecryptionError);
    return { reason: (error as DataDecryptionError).reason, message: (error as Error).message };
  }
  throw new Error('expected a DataDecryptionError');
}

describe('DataEncryption', () => {
  it('round-trips, with a new IV each time, as v1.<key id>.<iv>.<ciphertext>', () => {
    const box = new DataEncryption([newKey]);
    const first = box.encrypt(secret, 'user-1');
    const second = box.encrypt(secret, 'user-1');
    expect(first).toMatch(/^v1\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(first.split('.')[1]).toBe(dataKeyId(newKey));
    expect(first).not.toBe(second);
    expect(first.split('.')[2]).not.toBe(second.split('.')[2]);
    expect(box.decrypt(first, 'user-1')).toEqual(secret);
    expect(box.decrypt(second, 'user-1')).toEqual(secret);
    // 20 bytes in, 20 + 16 (tag) out: no padding, nothing of the plaintext in clear.
    expect(Buffer.from(first.split('.')[3], 'base64url')).toHaveLength(36);
    expect(first).not.toContain(secret.toString('base64url'));
  });

  it('takes strings and the empty plaintext; no associated data is the empty one', () => {
    const box = new DataEncryption([newKey]);
    expect(box.decrypt(box.encrypt('JBSWY3DPEHPK3PXP')).toString('utf8')).toBe('JBSWY3DPEHPK3PXP');
    expect(box.decrypt(box.encrypt(''))).toEqual(Buffer.alloc(0));
    expect(box.decrypt(box.encrypt(secret), '')).toEqual(secret);
  });

  it.each([
    ['the ciphertext', 3, 0],
    ['the tag', 3, -1],
    ['the IV', 2, 0],
  ])('refuses a ciphertext whose %s was altered', (_what, part, at) => {
    const box = new DataEncryption([newKey]);
    const altered = tamper(box.encrypt(secret, 'user-1'), part, at);
    expect(failure(() => box.decrypt(altered, 'user-1'))).toEqual({
      reason: 'unauthentic',
      message: 'the ciphertext failed authentication: altered, or not for this associated data',
    });
  });

  it("refuses other associated data: one user's ciphertext does not decrypt as another's", () => {
    const box = new DataEncryption([newKey]);
    const ciphertext = box.encrypt(secret, 'user-1');
    for (const other of ['user-2', 'user-1 ', '', 'USER-1']) {
      expect(failure(() => box.decrypt(ciphertext, other)).reason).toBe('unauthentic');
    }
    expect(failure(() => box.decrypt(box.encrypt(secret), 'user-1')).reason).toBe('unauthentic');
  });

  it('rotates: the first key encrypts, an older one still decrypts, and tells what to re-encrypt', () => {
    const before = new DataEncryption([oldKey]);
    const after = new DataEncryption([newKey, oldKey]);
    const old = before.encrypt(secret, 'user-1');
    const fresh = after.encrypt(secret, 'user-1');
    expect(after.currentKeyId).toBe(dataKeyId(newKey));
    expect(fresh.split('.')[1]).toBe(dataKeyId(newKey));
    expect(after.decrypt(old, 'user-1')).toEqual(secret);
    expect(after.decrypt(fresh, 'user-1')).toEqual(secret);
    expect([after.isCurrent(old), after.isCurrent(fresh)]).toEqual([false, true]);
    // Dropping the old key leaves what it encrypted unreadable, and says so by key id.
    const dropped = new DataEncryption([newKey]);
    expect(failure(() => dropped.decrypt(old, 'user-1'))).toEqual({
      reason: 'unknown-key',
      message: `encrypted under key id ${dataKeyId(oldKey)}, which DATA_ENCRYPTION_KEY does not hold (a key removed before its data was re-encrypted?)`,
    });
  });

  it('refuses a ciphertext whose key id was swapped for another configured key', () => {
    const box = new DataEncryption([newKey, oldKey]);
    const parts = box.encrypt(secret).split('.');
    parts[1] = dataKeyId(oldKey);
    expect(failure(() => box.decrypt(parts.join('.'))).reason).toBe('unauthentic');
  });

  it.each([
    '',
    'not a ciphertext',
    'v2.AAAAAAAA.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA',
    'v1.AAAAAAAA.AAAAAAAAAAAAAAAA',
    'v1.AAAAAAAA.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.extra',
    'v1.AAAAAAA.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA', // key id 7 characters
    'v1.AAAAAAAA.AAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA', // IV 9 bytes
    'v1.AAAAAAAA.AAAAAAAAAAAAAAAA.AAAAAAAA', // shorter than a tag
    'v1.AAAAAAAA.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAA+', // not base64url
    'v1.AAAAAAAA.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAB', // spare bits set: a second spelling of the same bytes
  ])('refuses the malformed %j', (ciphertext) => {
    const box = new DataEncryption([newKey]);
    expect(failure(() => box.decrypt(ciphertext)).reason).toBe('malformed');
    expect(failure(() => box.decrypt(ciphertext)).message).toMatch(/^not a v1 ciphertext/);
  });

  it('needs at least one key of 32 bytes, each once', () => {
    expect(() => new DataEncryption([])).toThrow('at least one key');
    expect(() => new DataEncryption([randomBytes(16)])).toThrow('32 bytes');
    expect(() => new DataEncryption([newKey, Buffer.from(newKey)])).toThrow('the same key twice');
  });
});

describe('parseDataKey', () => {
  const key = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');

  it.each([
    ['hex', key.toString('hex')],
    ['upper-case hex', key.toString('hex').toUpperCase()],
    ['base64', key.toString('base64')],
    ['base64 without padding', key.toString('base64').replace(/=$/, '')],
    ['base64url', key.toString('base64url')],
    ['surrounding space', ` ${key.toString('base64')} `],
  ])('reads %s', (_form, text) => {
    expect(parseDataKey(text)).toEqual(key);
  });

  it('reads base64 with + and / as base64url with - and _', () => {
    const key = Buffer.alloc(32, 0xfb);
    expect(key.toString('base64')).toMatch(/[+/]/);
    expect(parseDataKey(key.toString('base64'))).toEqual(key);
    expect(parseDataKey(key.toString('base64url'))).toEqual(key);
  });

  it.each([
    ['empty', ''],
    ['16 bytes', randomBytes(16).toString('base64')],
    ['48 bytes', randomBytes(48).toString('base64')],
    ['31 bytes of hex', randomBytes(31).toString('hex')],
    ['a passphrase of 44 characters', 'correct horse battery staple, twice over!!!'],
    ['base64 with spare bits set', `${key.toString('base64url').slice(0, 42)}B`],
    ['a space inside', `${key.toString('hex').slice(0, 32)} ${key.toString('hex').slice(32)}`],
  ])('refuses %s', (_form, text) => {
    expect(parseDataKey(text)).toBeUndefined();
  });

  it('gives one key one id, and two keys two', () => {
    expect(dataKeyId(key)).toMatch(/^[A-Za-z0-9_-]{8}$/);
    expect(dataKeyId(Buffer.from(key))).toBe(dataKeyId(key));
    expect(dataKeyId(randomBytes(32))).not.toBe(dataKeyId(key));
  });
});
