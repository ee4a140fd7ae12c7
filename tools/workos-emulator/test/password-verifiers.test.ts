import { randomBytes, scryptSync } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { argon2id } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import { hashPlainPassword, passwordVerifiers } from '../src/password-verifiers.ts';
import { b64, firebaseTestVector, sshaOf } from './password-hash-fixtures.ts';

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

  it("reproduces Firebase's published scrypt test vector and refuses near misses", async () => {
    const verify = passwordVerifiers['firebase-scrypt'];
    await expect(verify(firebaseTestVector.password, firebaseTestVector.phc)).resolves.toBe(true);
    await expect(verify('user1passworD', firebaseTestVector.phc)).resolves.toBe(false);
    await expect(verify('user1password ', firebaseTestVector.phc)).resolves.toBe(false);
  });

  it('refuses the right password under another salt separator (the separator is part of the salt)', async () => {
    const otherSeparator = firebaseTestVector.phc.replace(',ss=Bw,', ',ss=CA,');
    await expect(
      passwordVerifiers['firebase-scrypt'](firebaseTestVector.password, otherSeparator),
    ).resolves.toBe(false);
  });

  it("verifies scrypt needing more memory than node's default maxmem (32 MiB)", async () => {
    const salt = randomBytes(16);
    // 128 * N * r = 32 MiB, plus OpenSSL's overhead: over node's default limit.
    const key = scryptSync('pw', salt, 64, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 ** 2 });
    const hash = `$scrypt$v=1$n=32768,r=8,p=1,kl=64$${b64(salt)}$${b64(key)}`;
    await expect(passwordVerifiers.scrypt('pw', hash)).resolves.toBe(true);
    await expect(passwordVerifiers.scrypt('pW', hash)).resolves.toBe(false);
  });

  it('hashes non-ASCII passwords as UTF-8, as the source systems do', async () => {
    const hash = sshaOf('pässwörd', randomBytes(16));
    await expect(passwordVerifiers.ssha('pässwörd', hash)).resolves.toBe(true);
    await expect(passwordVerifiers.ssha('passwort', hash)).resolves.toBe(false);
  });

  it('verifies argon2 with the stored hash length and parallelism, not defaults', async () => {
    const hash = await argon2id({
      password: 'pw',
      salt: randomBytes(8),
      iterations: 2,
      parallelism: 2,
      memorySize: 4096,
      hashLength: 24,
      outputType: 'encoded',
    });
    await expect(passwordVerifiers.argon2('pw', hash)).resolves.toBe(true);
    await expect(passwordVerifiers.argon2('pw2', hash)).resolves.toBe(false);
  });
});
