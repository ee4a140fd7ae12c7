import {
  createCipheriv,
  createHash,
  pbkdf2,
  type ScryptOptions,
  scrypt,
  timingSafeEqual,
} from 'node:crypto';
import bcrypt from 'bcryptjs';
import { argon2d, argon2i, argon2id } from 'hash-wasm';
import {
  parseArgon2Hash,
  parseFirebaseScryptHash,
  parsePbkdf2Hash,
  parseScryptHash,
  parseSsha256Hash,
  parseSshaHash,
} from './password-hash-formats.ts';
import type { PasswordHashType, PasswordSaltPosition } from './password-hash-types.ts';

/**
 * Checks a candidate password against a stored hash of one type: it hashes the candidate with the
 * stored hash's own parameters and compares in constant time. The stored hash was validated at
 * import, so a parse failure here is a bug and throws. `saltPosition` is the user's
 * `password_salt_position`; only `ssha256` reads it.
 */
export type PasswordVerifier = (
  password: string,
  hash: string,
  options?: { saltPosition?: PasswordSaltPosition | null },
) => Promise<boolean>;

/** Constant time for equal lengths; a length mismatch says nothing secret (lengths are public). */
function bytesEqual(computed: Uint8Array, stored: Uint8Array): boolean {
  return computed.length === stored.length && timingSafeEqual(computed, stored);
}

function deriveScryptKey(
  password: Uint8Array,
  salt: Uint8Array,
  keyLength: number,
  { N, r, p }: { N: number; r: number; p: number },
): Promise<Buffer> {
  const options: ScryptOptions = {
    N,
    r,
    p,
    // OpenSSL refuses when its working memory, 128·r·(N + p + 2) bytes, exceeds maxmem (32 MiB by
    // default, too little for N=2^18). The parsers cap 128·N·r·p at 1 GiB, so this stays bounded.
    maxmem: 128 * r * (N + p + 2) + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

function utf8(password: string): Buffer {
  return Buffer.from(password, 'utf8');
}

async function verifyBcrypt(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

async function verifyScrypt(password: string, hash: string): Promise<boolean> {
  const stored = parseScryptHash(hash);
  const computed = await deriveScryptKey(utf8(password), stored.salt, stored.hash.length, {
    N: stored.cost,
    r: stored.blockSize,
    p: stored.parallelization,
  });
  return bytesEqual(computed, stored.hash);
}

async function verifyPbkdf2(password: string, hash: string): Promise<boolean> {
  const stored = parsePbkdf2Hash(hash);
  const computed = await new Promise<Buffer>((resolve, reject) => {
    pbkdf2(
      utf8(password),
      stored.salt,
      stored.iterations,
      stored.hash.length,
      stored.digest,
      (error, key) => (error ? reject(error) : resolve(key)),
    );
  });
  return bytesEqual(computed, stored.hash);
}

const argon2Functions = { argon2id, argon2i, argon2d } as const;

async function verifyArgon2(password: string, hash: string): Promise<boolean> {
  const stored = parseArgon2Hash(hash);
  const computed = await argon2Functions[stored.variant]({
    password: utf8(password),
    salt: stored.salt,
    iterations: stored.iterations,
    parallelism: stored.parallelism,
    memorySize: stored.memoryKiB,
    hashLength: stored.hash.length,
    outputType: 'binary',
  });
  return bytesEqual(computed, stored.hash);
}

async function verifySsha(password: string, hash: string): Promise<boolean> {
  const stored = parseSshaHash(hash);
  const computed = createHash('sha1').update(utf8(password)).update(stored.salt).digest();
  return bytesEqual(computed, stored.digest);
}

/** WorkOS's default position when an ssha256 hash was imported without one. */
const defaultSaltPosition: PasswordSaltPosition = 'suffix';

const verifySsha256: PasswordVerifier = async (password, hash, options) => {
  const stored = parseSsha256Hash(hash);
  const digest = createHash('sha256');
  if ((options?.saltPosition ?? defaultSaltPosition) === 'prefix') {
    digest.update(stored.salt).update(utf8(password));
  } else {
    digest.update(utf8(password)).update(stored.salt);
  }
  return bytesEqual(digest.digest(), stored.digest);
};

/** Firebase's scrypt derives a 32-byte key: one AES-256 key. */
const firebaseDerivedKeyBytes = 32;

/**
 * Firebase's modified scrypt: derive a key with scrypt(password, salt ‖ salt separator,
 * N = 2^mem_cost, r = rounds, p = 1), then AES-256-CTR-encrypt the project's signer key with it
 * under an all-zero IV. The ciphertext is the stored hash.
 */
async function firebaseScryptHash(
  password: string,
  parameters: {
    signerKey: Uint8Array;
    saltSeparator: Uint8Array;
    rounds: number;
    memCost: number;
    salt: Uint8Array;
  },
): Promise<Buffer> {
  const key = await deriveScryptKey(
    utf8(password),
    Buffer.concat([parameters.salt, parameters.saltSeparator]),
    firebaseDerivedKeyBytes,
    { N: 2 ** parameters.memCost, r: parameters.rounds, p: 1 },
  );
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(parameters.signerKey), cipher.final()]);
}

async function verifyFirebaseScrypt(password: string, hash: string): Promise<boolean> {
  const stored = parseFirebaseScryptHash(hash);
  return bytesEqual(await firebaseScryptHash(password, stored), stored.hash);
}

/** One verifier per hash type WorkOS accepts (reference C.2). */
export const passwordVerifiers: Record<PasswordHashType, PasswordVerifier> = {
  bcrypt: verifyBcrypt,
  scrypt: verifyScrypt,
  'firebase-scrypt': verifyFirebaseScrypt,
  ssha: verifySsha,
  ssha256: verifySsha256,
  pbkdf2: verifyPbkdf2,
  argon2: verifyArgon2,
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
