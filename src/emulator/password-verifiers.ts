import bcrypt from 'bcryptjs';
import type { PasswordHashType } from '../pipeline/user-message.ts';

/** Checks a candidate password against a stored hash of one type. */
export type PasswordVerifier = (password: string, hash: string) => Promise<boolean>;

/**
 * A hash type WorkOS accepts but the emulator cannot check yet. Sign-in answers 501 rather than
 * "invalid credentials", so nobody mistakes a missing verifier for a badly imported hash.
 */
export class UnsupportedPasswordHashTypeError extends Error {
  override name = 'UnsupportedPasswordHashTypeError';
  readonly hashType: PasswordHashType;

  constructor(hashType: PasswordHashType) {
    super(`Verifying ${hashType} password hashes is not supported by the emulator yet`);
    this.hashType = hashType;
  }
}

/**
 * The modular-crypt bcrypt string WorkOS imports as-is (reference C.2): `$2a$`, `$2b$` or `$2y$`,
 * a two-digit cost bcrypt allows (04-31), then 22 characters of salt and 31 of hash.
 */
const bcryptHashPattern = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

async function verifyBcrypt(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

function notSupportedYet(hashType: PasswordHashType): PasswordVerifier {
  return async function refuseUnsupportedHashType() {
    throw new UnsupportedPasswordHashTypeError(hashType);
  };
}

/** One verifier per hash type WorkOS accepts. Only bcrypt is implemented so far. */
export const passwordVerifiers: Record<PasswordHashType, PasswordVerifier> = {
  bcrypt: verifyBcrypt,
  scrypt: notSupportedYet('scrypt'),
  'firebase-scrypt': notSupportedYet('firebase-scrypt'),
  ssha: notSupportedYet('ssha'),
  pbkdf2: notSupportedYet('pbkdf2'),
  argon2: notSupportedYet('argon2'),
};

function isNonEmpty(hash: string): boolean {
  return hash.length > 0;
}

/**
 * Format checks applied when a hash is imported, so a malformed hash is refused at import time as
 * WorkOS would, not discovered at the user's first sign-in. Types without a verifier only need to
 * be non-empty until their verifier (and a real format check) lands.
 */
export const passwordHashFormatChecks: Record<PasswordHashType, (hash: string) => boolean> = {
  bcrypt: (hash) => bcryptHashPattern.test(hash),
  scrypt: isNonEmpty,
  'firebase-scrypt': isNonEmpty,
  ssha: isNonEmpty,
  pbkdf2: isNonEmpty,
  argon2: isNonEmpty,
};

/**
 * Cost for plain passwords set through the API. The hash never leaves the emulator, so a low cost
 * keeps tests fast without weakening anything real.
 */
const plainPasswordBcryptCost = 8;

/** How the emulator stores a plain `password`: as bcrypt, so sign-in uses the same verifier. */
export async function hashPlainPassword(password: string): Promise<string> {
  return bcrypt.hash(password, plainPasswordBcryptCost);
}
