import { createHash, pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { argon2d, argon2i, argon2id } from 'hash-wasm';
import type { PasswordHashType } from '../src/password-hash-types.ts';

/**
 * Hashes of a known password made the way the source systems make them, with node's crypto and
 * hash-wasm, never with the emulator's own code: a verifier that only agreed with itself would
 * prove nothing. Parameters are the smallest WorkOS accepts, to keep the suite fast.
 */
export const knownPassword = 'correct horse battery staple';

/** PHC B64: standard base64 without `=` padding. */
export function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/**
 * Firebase's published scrypt test vector (reference C.2 / D.4), serialized with `@phc/format`
 * as the reference shows.
 */
export const firebaseTestVector = {
  password: 'user1password',
  signerKey:
    'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==',
  saltSeparator: 'Bw==',
  rounds: 8,
  memCost: 14,
  salt: '42xEC+ixf3L2lw==',
  phc: '$firebase-scrypt$sk=jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA,ss=Bw,r=8,m=14$42xEC+ixf3L2lw$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ',
} as const;

export interface HashFixture {
  label: string;
  hashType: PasswordHashType;
  /** For ssha256: sent as `password_salt_position`. */
  saltPosition?: 'prefix' | 'suffix';
  password: string;
  makeHash: () => Promise<string>;
}

function scryptPhc(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password, salt, 32, { N: 1024, r: 8, p: 1 });
  return `$scrypt$v=1$n=1024,r=8,p=1,kl=32$${b64(salt)}$${b64(key)}`;
}

function pbkdf2Phc(password: string, digest: 'sha256' | 'sha512', iterations: number): string {
  const salt = randomBytes(16);
  const key = pbkdf2Sync(password, salt, iterations, digest === 'sha256' ? 32 : 64, digest);
  return `$pbkdf2$i=${iterations},d=${digest}$${b64(salt)}$${b64(key)}`;
}

/** hash-wasm's `encoded` output is itself a PHC string: an independent producer of the format. */
async function argon2Phc(
  hash: typeof argon2id,
  password: string,
  iterations: number,
): Promise<string> {
  return hash({
    password,
    salt: randomBytes(16),
    iterations,
    parallelism: 1,
    memorySize: 4096,
    hashLength: 32,
    outputType: 'encoded',
  });
}

export function sshaOf(password: string, salt: Buffer = randomBytes(8)): string {
  const digest = createHash('sha1').update(password).update(salt).digest();
  return `{SSHA}${Buffer.concat([digest, salt]).toString('base64')}`;
}

/** `{SSHA256}` + base64(sha256 ‖ salt), the salt hashed before or after the password. */
export function ssha256Of(password: string, position: 'prefix' | 'suffix'): string {
  const salt = randomBytes(16);
  const digest = createHash('sha256');
  if (position === 'prefix') digest.update(salt).update(password);
  else digest.update(password).update(salt);
  return `{SSHA256}${Buffer.concat([digest.digest(), salt]).toString('base64')}`;
}

/** One fixture per hash type and variant WorkOS accepts. */
export const hashFixtures: HashFixture[] = [
  {
    label: 'bcrypt',
    hashType: 'bcrypt',
    password: knownPassword,
    makeHash: async () => bcrypt.hashSync(knownPassword, 4),
  },
  {
    label: 'scrypt (n=1024, r=8, p=1)',
    hashType: 'scrypt',
    password: knownPassword,
    makeHash: async () => scryptPhc(knownPassword),
  },
  {
    label: 'pbkdf2 sha256 at the 600,000-iteration floor',
    hashType: 'pbkdf2',
    password: knownPassword,
    makeHash: async () => pbkdf2Phc(knownPassword, 'sha256', 600_000),
  },
  {
    label: 'pbkdf2 sha512 at the 210,000-iteration floor',
    hashType: 'pbkdf2',
    password: knownPassword,
    makeHash: async () => pbkdf2Phc(knownPassword, 'sha512', 210_000),
  },
  {
    label: 'argon2id (m=4096, t=1, p=1)',
    hashType: 'argon2',
    password: knownPassword,
    makeHash: () => argon2Phc(argon2id, knownPassword, 1),
  },
  {
    label: 'argon2i (m=4096, t=3, p=1)',
    hashType: 'argon2',
    password: knownPassword,
    makeHash: () => argon2Phc(argon2i, knownPassword, 3),
  },
  {
    label: 'argon2d (m=4096, t=1, p=1)',
    hashType: 'argon2',
    password: knownPassword,
    makeHash: () => argon2Phc(argon2d, knownPassword, 1),
  },
  {
    label: 'ssha',
    hashType: 'ssha',
    password: knownPassword,
    makeHash: async () => sshaOf(knownPassword),
  },
  {
    label: 'ssha256 with the salt as prefix',
    hashType: 'ssha256',
    saltPosition: 'prefix',
    password: knownPassword,
    makeHash: async () => ssha256Of(knownPassword, 'prefix'),
  },
  {
    label: 'ssha256 with the salt as suffix',
    hashType: 'ssha256',
    saltPosition: 'suffix',
    password: knownPassword,
    makeHash: async () => ssha256Of(knownPassword, 'suffix'),
  },
  {
    label: "firebase-scrypt (Firebase's published test vector)",
    hashType: 'firebase-scrypt',
    password: firebaseTestVector.password,
    makeHash: async () => firebaseTestVector.phc,
  },
];
