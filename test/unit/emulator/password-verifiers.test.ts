import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import {
  hashPlainPassword,
  passwordVerifiers,
  UnsupportedPasswordHashTypeError,
} from '../../../src/emulator/password-verifiers.ts';

describe('passwordVerifiers', () => {
  it('verifies a real bcrypt hash and refuses a wrong password', async () => {
    const hash = bcrypt.hashSync('correct horse', 4);
    await expect(passwordVerifiers.bcrypt('correct horse', hash)).resolves.toBe(true);
    await expect(passwordVerifiers.bcrypt('wrong horse', hash)).resolves.toBe(false);
  });

  it('verifies $2y$ hashes (PHP exports) like $2b$', async () => {
    const hash = bcrypt.hashSync('correct horse', 4).replace(/^\$2b\$/, '$2y$');
    await expect(passwordVerifiers.bcrypt('correct horse', hash)).resolves.toBe(true);
  });

  it('stores plain passwords as bcrypt the bcrypt verifier accepts', async () => {
    const hash = await hashPlainPassword('plain pw');
    await expect(passwordVerifiers.bcrypt('plain pw', hash)).resolves.toBe(true);
  });

  it.each(['scrypt', 'firebase-scrypt', 'ssha', 'pbkdf2', 'argon2'] as const)(
    'says plainly that %s is not supported by the emulator yet',
    async (hashType) => {
      const verify = passwordVerifiers[hashType];
      await expect(verify('pw', 'hash')).rejects.toBeInstanceOf(UnsupportedPasswordHashTypeError);
      await expect(verify('pw', 'hash')).rejects.toThrow(/not supported by the emulator yet/);
    },
  );
});
