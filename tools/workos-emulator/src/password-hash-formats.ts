import type { PasswordHashType } from './password-hash-types.ts';

/**
 * The strings WorkOS accepts as `password_hash`, one parser per `password_hash_type`, exactly as
 * the reference (C.2) describes them. Parsing is strict on purpose: a hash the emulator accepts is
 * one the importer may send to WorkOS, so leniency here would hide a bad export until go-live.
 *
 * Written by hand rather than with `@phc/format`'s `deserialize`, which accepts what WorkOS's
 * rules exclude (parameters in any order, `.`/`-` in B64 fields, a missing hash) and returns
 * loosely typed values.
 */

/** Why an imported hash is refused; becomes one entry of the 422 body's `errors[]`. */
export interface PasswordHashProblem {
  code: 'password_hash_invalid' | 'password_hash_parameters_out_of_range';
  message: string;
}

class PasswordHashFormatError extends Error {
  override name = 'PasswordHashFormatError';
  readonly problem: PasswordHashProblem;

  constructor(problem: PasswordHashProblem) {
    super(problem.message);
    this.problem = problem;
  }
}

/** Messages name the rule broken, never the hash: they travel back in the response body. */
function malformed(message: string): PasswordHashFormatError {
  return new PasswordHashFormatError({ code: 'password_hash_invalid', message });
}

function outOfRange(message: string): PasswordHashFormatError {
  return new PasswordHashFormatError({ code: 'password_hash_parameters_out_of_range', message });
}

export interface ScryptHash {
  /** N, the CPU/memory cost: a power of two. */
  cost: number;
  blockSize: number;
  parallelization: number;
  salt: Buffer;
  hash: Buffer;
}

export interface Pbkdf2Hash {
  iterations: number;
  digest: 'sha256' | 'sha512';
  salt: Buffer;
  hash: Buffer;
}

export type Argon2Variant = 'argon2id' | 'argon2i' | 'argon2d';

export interface Argon2Hash {
  variant: Argon2Variant;
  memoryKiB: number;
  iterations: number;
  parallelism: number;
  salt: Buffer;
  hash: Buffer;
}

export interface SshaHash {
  /** sha1(password + salt) for `ssha`, 20 bytes; sha256 of password and salt for `ssha256`, 32. */
  digest: Buffer;
  salt: Buffer;
}

export interface FirebaseScryptHash {
  signerKey: Buffer;
  saltSeparator: Buffer;
  rounds: number;
  /** log2 of scrypt's N. */
  memCost: number;
  salt: Buffer;
  hash: Buffer;
}

/** Ranges WorkOS documents (reference C.2). */
export const pbkdf2IterationRanges = {
  sha256: { min: 600_000, max: 1_000_000 },
  sha512: { min: 210_000, max: 1_000_000 },
} as const;
export const argon2Ranges = {
  memoryKiB: { min: 4_096, max: 262_144 },
  iterations: { min: 1, max: 5 },
  /** argon2i is weaker per pass, so WorkOS asks for more passes. */
  argon2iMinIterations: 3,
  parallelism: { min: 1, max: 8 },
} as const;

/**
 * Not a WorkOS rule: the most memory the emulator lets one scrypt or firebase-scrypt sign-in
 * use (128·N·r·p bytes). 1 GiB covers every parameter set seen in practice (Firebase: 16 MiB)
 * while keeping one odd hash from exhausting the test machine.
 */
export const scryptMemoryLimitBytes = 1024 ** 3;

/** Argon2's own minimums (RFC 9106): salts of 8 bytes, tags of 4. */
const argon2MinSaltBytes = 8;
const argon2MinHashBytes = 4;
const sha1DigestBytes = 20;
const sha256DigestBytes = 32;

/**
 * PHC "B64": the standard alphabet without `=` padding. Canonical only (no stray trailing bits),
 * so every value decodes to exactly one byte string.
 */
function decodeB64(value: string, field: string): Buffer {
  if (!/^[A-Za-z0-9+/]+$/.test(value) || value.length % 4 === 1) {
    throw malformed(`The ${field} must be B64: standard base64 without '=' padding.`);
  }
  const bytes = Buffer.from(value, 'base64');
  if (bytes.toString('base64').replace(/=+$/, '') !== value) {
    throw malformed(`The ${field} is not canonical base64.`);
  }
  return bytes;
}

/** A PHC decimal: no sign, no leading zero. */
function parseDecimal(value: string, name: string): number {
  if (!/^(0|[1-9]\d{0,14})$/.test(value)) {
    throw malformed(`Parameter ${name} must be a decimal integer.`);
  }
  return Number(value);
}

/**
 * A PHC parameter list with exactly these names in exactly this order, as each format documents
 * it. Returns the raw values by name.
 */
function parseParameters<Name extends string>(
  text: string | undefined,
  names: readonly Name[],
): Record<Name, string> {
  const pairs = (text ?? '').split(',');
  const expected = names.map((name) => `${name}=`).join(',');
  if (pairs.length !== names.length) {
    throw malformed(`Parameters must be exactly ${expected}<value>.`);
  }
  const values = {} as Record<Name, string>;
  names.forEach((name, index) => {
    const pair = pairs[index] ?? '';
    const prefix = `${name}=`;
    if (!pair.startsWith(prefix) || pair.length === prefix.length) {
      throw malformed(`Parameters must be exactly ${expected}<value>, in that order.`);
    }
    values[name] = pair.slice(prefix.length);
  });
  return values;
}

/** Splits `$id$field$field...`, checking the id and the number of fields. */
function phcFields(hash: string, id: string, fieldCount: number): string[] {
  const fields = hash.split('$');
  if (fields[0] !== '' || fields[1] !== id || fields.length !== fieldCount + 2) {
    throw malformed(`Expected a PHC string '$${id}$...' with ${fieldCount} fields after the id.`);
  }
  return fields.slice(2);
}

function isPowerOfTwo(value: number): boolean {
  return value >= 2 && Number.isSafeInteger(value) && (value & (value - 1)) === 0;
}

function checkScryptMemory(cost: number, blockSize: number, parallelization: number): void {
  if (128 * cost * blockSize * parallelization > scryptMemoryLimitBytes) {
    throw outOfRange('scrypt parameters need more memory than the emulator allows (1 GiB).');
  }
}

/** `$scrypt$v=1$n=<cost>,r=<block size>,p=<parallelization>,kl=<key length>$<salt>$<hash>` */
export function parseScryptHash(hash: string): ScryptHash {
  const [version, parameterText, saltText, hashText] = phcFields(hash, 'scrypt', 4);
  if (version !== 'v=1') throw malformed('scrypt hashes must carry version v=1.');
  const raw = parseParameters(parameterText, ['n', 'r', 'p', 'kl']);
  const cost = parseDecimal(raw.n, 'n');
  const blockSize = parseDecimal(raw.r, 'r');
  const parallelization = parseDecimal(raw.p, 'p');
  const keyLength = parseDecimal(raw.kl, 'kl');
  if (!isPowerOfTwo(cost)) throw malformed('scrypt n must be a power of two, at least 2.');
  if (blockSize < 1 || parallelization < 1) throw malformed('scrypt r and p must be at least 1.');
  const salt = decodeB64(saltText ?? '', 'salt');
  const derived = decodeB64(hashText ?? '', 'hash');
  if (derived.length !== keyLength) {
    throw malformed('scrypt kl must equal the length of the hash in bytes.');
  }
  checkScryptMemory(cost, blockSize, parallelization);
  return { cost, blockSize, parallelization, salt, hash: derived };
}

/** `$pbkdf2$i=<iterations>,d=<sha256|sha512>$<salt>$<hash>` */
export function parsePbkdf2Hash(hash: string): Pbkdf2Hash {
  const [parameterText, saltText, hashText] = phcFields(hash, 'pbkdf2', 3);
  const raw = parseParameters(parameterText, ['i', 'd']);
  const iterations = parseDecimal(raw.i, 'i');
  const digest = raw.d;
  if (digest !== 'sha256' && digest !== 'sha512') {
    throw malformed('pbkdf2 digest d must be sha256 or sha512.');
  }
  const salt = decodeB64(saltText ?? '', 'salt');
  const derived = decodeB64(hashText ?? '', 'hash');
  const range = pbkdf2IterationRanges[digest];
  if (iterations < range.min || iterations > range.max) {
    throw outOfRange(`pbkdf2 with ${digest} needs ${range.min} to ${range.max} iterations.`);
  }
  return { iterations, digest, salt, hash: derived };
}

function isArgon2Variant(value: string | undefined): value is Argon2Variant {
  return value === 'argon2id' || value === 'argon2i' || value === 'argon2d';
}

/** `$argon2id$v=19$m=<KiB>,t=<iterations>,p=<parallelism>$<salt>$<hash>` (or argon2i, argon2d). */
export function parseArgon2Hash(hash: string): Argon2Hash {
  const variant = hash.split('$')[1];
  if (!isArgon2Variant(variant)) {
    throw malformed("argon2 hashes must start with '$argon2id$', '$argon2i$' or '$argon2d$'.");
  }
  const [version, parameterText, saltText, hashText] = phcFields(hash, variant, 4);
  if (version !== 'v=19') throw malformed('argon2 hashes must carry version v=19.');
  const raw = parseParameters(parameterText, ['m', 't', 'p']);
  const memoryKiB = parseDecimal(raw.m, 'm');
  const iterations = parseDecimal(raw.t, 't');
  const parallelism = parseDecimal(raw.p, 'p');
  const salt = decodeB64(saltText ?? '', 'salt');
  const derived = decodeB64(hashText ?? '', 'hash');
  if (salt.length < argon2MinSaltBytes) throw malformed('argon2 salts must be at least 8 bytes.');
  if (derived.length < argon2MinHashBytes)
    throw malformed('argon2 hashes must be at least 4 bytes.');
  const { memoryKiB: m, iterations: t, parallelism: p, argon2iMinIterations } = argon2Ranges;
  const minIterations = variant === 'argon2i' ? argon2iMinIterations : t.min;
  if (memoryKiB < m.min || memoryKiB > m.max) {
    throw outOfRange(`argon2 m must be ${m.min} to ${m.max} KiB.`);
  }
  if (iterations < minIterations || iterations > t.max) {
    throw outOfRange(`${variant} t must be ${minIterations} to ${t.max}.`);
  }
  if (parallelism < p.min || parallelism > p.max) {
    throw outOfRange(`argon2 p must be ${p.min} to ${p.max}.`);
  }
  return { variant, memoryKiB, iterations, parallelism, salt, hash: derived };
}

/** `{<scheme>}` + base64(digest ‖ salt), base64 with its usual padding: the LDAP layout. */
function parseSaltedSha(hash: string, type: string, digestName: string, digestBytes: number) {
  const prefix = `{${type.toUpperCase()}}`;
  const encoded = hash.startsWith(prefix) ? hash.slice(prefix.length) : undefined;
  if (encoded === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw malformed(`${type} hashes must be '${prefix}' followed by base64.`);
  }
  const bytes = Buffer.from(encoded, 'base64');
  if (bytes.toString('base64') !== encoded) throw malformed(`The ${type} base64 is not canonical.`);
  if (bytes.length <= digestBytes) {
    throw malformed(
      `${type} hashes must hold a ${digestBytes}-byte ${digestName} digest followed by a salt.`,
    );
  }
  return { digest: bytes.subarray(0, digestBytes), salt: bytes.subarray(digestBytes) };
}

/** `{SSHA}` + base64(sha1(password + salt) + salt). */
export function parseSshaHash(hash: string): SshaHash {
  return parseSaltedSha(hash, 'ssha', 'SHA-1', sha1DigestBytes);
}

/**
 * `{SSHA256}` + base64(sha256 digest + salt); the digest covers salt + password or password +
 * salt, as the user's `password_salt_position` says.
 */
export function parseSsha256Hash(hash: string): SshaHash {
  return parseSaltedSha(hash, 'ssha256', 'SHA-256', sha256DigestBytes);
}

/** `$firebase-scrypt$sk=<signer key>,ss=<salt separator>,r=<rounds>,m=<mem cost>$<salt>$<hash>` */
export function parseFirebaseScryptHash(hash: string): FirebaseScryptHash {
  const [parameterText, saltText, hashText] = phcFields(hash, 'firebase-scrypt', 3);
  const raw = parseParameters(parameterText, ['sk', 'ss', 'r', 'm']);
  const signerKey = decodeB64(raw.sk, 'signer key (sk)');
  const saltSeparator = decodeB64(raw.ss, 'salt separator (ss)');
  const rounds = parseDecimal(raw.r, 'r');
  const memCost = parseDecimal(raw.m, 'm');
  if (rounds < 1 || memCost < 1) throw malformed('firebase-scrypt r and m must be at least 1.');
  const salt = decodeB64(saltText ?? '', 'salt');
  const derived = decodeB64(hashText ?? '', 'hash');
  // 2^m must stay an exact integer before the memory check can judge it.
  if (memCost > 30) throw outOfRange('firebase-scrypt m must be at most 30.');
  checkScryptMemory(2 ** memCost, rounds, 1);
  return { signerKey, saltSeparator, rounds, memCost, salt, hash: derived };
}

/**
 * The modular-crypt bcrypt string WorkOS imports as-is: `$2a$`, `$2b$` or `$2y$`, a two-digit
 * cost bcrypt allows (04-31), then 22 characters of salt and 31 of hash.
 */
const bcryptHashPattern = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

function checkBcryptHash(hash: string): void {
  if (!bcryptHashPattern.test(hash)) {
    throw malformed("bcrypt hashes must be '$2a$', '$2b$' or '$2y$', a cost, and 53 characters.");
  }
}

const formatChecks: Record<PasswordHashType, (hash: string) => unknown> = {
  bcrypt: checkBcryptHash,
  scrypt: parseScryptHash,
  'firebase-scrypt': parseFirebaseScryptHash,
  ssha: parseSshaHash,
  ssha256: parseSsha256Hash,
  pbkdf2: parsePbkdf2Hash,
  argon2: parseArgon2Hash,
};

/**
 * Why WorkOS would refuse this hash at import, or undefined when it is well formed. Checked when
 * a hash is imported, so a malformed one is refused then, not discovered at the first sign-in.
 */
export function passwordHashProblem(
  hashType: PasswordHashType,
  hash: string,
): PasswordHashProblem | undefined {
  try {
    formatChecks[hashType](hash);
    return undefined;
  } catch (error) {
    if (error instanceof PasswordHashFormatError) return error.problem;
    throw error;
  }
}
