import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { passwordVariants, pkcs12Kdf } from '../../../module/certificates/pbe.js';
import { sha1Rehash } from '../../../module/certificates/sha1-rehash.js';

const SHA1 = { node: 'sha1', label: 'SHA-1', u: 20, v: 64 };
const SHA256 = { node: 'sha256', label: 'SHA-256', u: 32, v: 64 };
// "Senha@ca1" as BMPString with its terminator; vectors from `openssl kdf … PKCS12KDF` (OpenSSL 3.0).
const BMP_PASSWORD = Buffer.from('00530065006e0068006100400063006100310000', 'hex');
const SALT = Buffer.from('0102030405060708', 'hex');

describe('PKCS#12 key derivation', () => {
  it('when a 3DES key (two SHA-1 blocks) is derived, then it matches OpenSSL', () => {
    const key = pkcs12Kdf(SHA1, BMP_PASSWORD, SALT, 2048, 1, 24);

    expect(key.toString('hex')).toBe('cf54ac9047278c2770aafbdc318ed2ff202b13f72a097a7d');
  });

  it('when a SHA-256 MAC key is derived, then it matches OpenSSL', () => {
    const key = pkcs12Kdf(SHA256, BMP_PASSWORD, SALT, 1000, 3, 32);

    expect(key.toString('hex')).toBe('77a7d771a8a17871ef698f4f48fe630ddaeeaaa43d59e5baa6f60acc05c64963');
  });

  it('when a SHA-1 digest is re-hashed by the fast loop, then it equals node:crypto hashing it the same number of times', () => {
    for (const times of [0, 1, 2, 7, 2047]) {
      const start = crypto.randomBytes(20);
      let expected = start;
      for (let i = 0; i < times; i++) expected = crypto.createHash('sha1').update(expected).digest();

      expect(sha1Rehash(start, times).equals(expected)).toBe(true);
    }
  });

  it('when the password has accents, then the BMP form is tried first and the OpenSSL 1.x byte-widened form after it', () => {
    const [bmp, widened] = passwordVariants('ç');

    expect(bmp!.toString('hex')).toBe('00e70000');
    expect(widened!.toString('hex')).toBe('00c300a70000');
  });

  it('when the password is empty, then both the terminator-only and the zero-length forms are tried', () => {
    expect(passwordVariants('').map((variant) => variant.toString('hex'))).toEqual(['0000', '']);
  });
});
