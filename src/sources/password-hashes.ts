import {
  type PasswordHashType,
  type PasswordSaltPosition,
  passwordSaltPositions,
  saltPositionHashType,
} from '../model/import-message.ts';

/**
 * The import-side check of a password hash, before any API call: exactly the strings WorkOS
 * accepts per `password_hash_type` (reference C.2). A hash that fails it is never sent; the user
 * is imported without a password and reported as needing a reset, so one bad hash never fails a
 * user and never reaches WorkOS as a 422.
 *
 * Written apart from the emulator's parsers on purpose: the tests hold the two against each
 * other, and the emulator's verifiers judge that an accepted hash signs the user in.
 *
 * Hashes are never recomputed. A source's own encoding is only reshaped into WorkOS's PHC form
 * where the target layout is documented (`firebaseScryptPhc`, `pbkdf2PhcFromModular`).
 */

export type PasswordHashCheck = { ok: true } | { ok: false; reason: PasswordHashRejection };

/** Why a hash cannot be sent: a code safe to report, never a part of the hash. */
export type PasswordHashRejection =
  | 'unsupported_hash_format'
  | 'bcrypt_cost_out_of_range'
  | 'scrypt_parameters_out_of_range'
  | 'pbkdf2_digest_unsupported'
  | 'pbkdf2_iterations_out_of_range'
  | 'argon2_version_unsupported'
  | 'argon2_memory_out_of_range'
  | 'argon2_iterations_out_of_range'
  | 'argon2_parallelism_out_of_range'
  | 'firebase_scrypt_parameters_out_of_range'
  | 'password_salt_position_invalid';

/** Ranges WorkOS documents (reference C.2). */
export const workosHashRanges = {
  bcryptCost: { min: 4, max: 31 },
  pbkdf2Iterations: {
    sha256: { min: 600_000, max: 1_000_000 },
    sha512: { min: 210_000, max: 1_000_000 },
  },
  argon2: {
    memoryKiB: { min: 4_096, max: 262_144 },
    iterations: { min: 1, max: 5 },
    argon2iMinIterations: 3,
    parallelism: { min: 1, max: 8 },
  },
} as const;

/**
 * Firebase's own bounds for its project hash parameters (Admin SDK: rounds up to 8, memory cost
 * 1 to 14). Rounds is scrypt's r, which must be at least 1, so 0 is refused too.
 */
export const firebaseScryptRanges = {
  rounds: { min: 1, max: 8 },
  memoryCost: { min: 1, max: 14 },
} as const;

/** Far above any real hash (a firebase-scrypt PHC with a 64-byte signer key is ~200 chars). */
const maxHashLength = 1024;

const decimal = '(0|[1-9]\\d{0,14})';
const b64 = '([A-Za-z0-9+/]+)';
const bcryptPattern = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const scryptPattern = new RegExp(
  `^\\$scrypt\\$v=1\\$n=${decimal},r=${decimal},p=${decimal},kl=${decimal}\\$${b64}\\$${b64}$`,
);
const pbkdf2Pattern = new RegExp(`^\\$pbkdf2\\$i=${decimal},d=([a-z0-9-]+)\\$${b64}\\$${b64}$`);
const argon2Pattern = new RegExp(
  `^\\$(argon2id|argon2i|argon2d)\\$v=${decimal}\\$m=${decimal},t=${decimal},p=${decimal}\\$${b64}\\$${b64}$`,
);
const firebaseScryptPattern = new RegExp(
  `^\\$firebase-scrypt\\$sk=${b64},ss=${b64},r=${decimal},m=${decimal}\\$${b64}\\$${b64}$`,
);
const sshaPattern = /^\{SSHA\}([A-Za-z0-9+/]+={0,2})$/;
const ssha256Pattern = /^\{SSHA256\}([A-Za-z0-9+/]+={0,2})$/;

/** Argon2's own minimums (RFC 9106): salts of 8 bytes, tags of 4. */
const argon2MinSaltBytes = 8;
const argon2MinHashBytes = 4;
const sha1DigestBytes = 20;
const sha256DigestBytes = 32;

/**
 * Bytes of a PHC "B64" field (standard alphabet, no `=` padding), or undefined when the text is
 * not canonical B64: WorkOS's format has exactly one spelling per byte string.
 */
function phcB64Bytes(text: string | undefined): Buffer | undefined {
  if (text === undefined || !/^[A-Za-z0-9+/]+$/.test(text) || text.length % 4 === 1) {
    return undefined;
  }
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64').replace(/=+$/, '') === text ? bytes : undefined;
}

function inRange(value: number, range: { min: number; max: number }): boolean {
  return value >= range.min && value <= range.max;
}

type Check = (hash: string) => PasswordHashRejection | undefined;

function checkBcrypt(hash: string): PasswordHashRejection | undefined {
  const match = bcryptPattern.exec(hash);
  if (match === null) return 'unsupported_hash_format';
  return inRange(Number(match[1]), workosHashRanges.bcryptCost)
    ? undefined
    : 'bcrypt_cost_out_of_range';
}

function checkScrypt(hash: string): PasswordHashRejection | undefined {
  const match = scryptPattern.exec(hash);
  const salt = phcB64Bytes(match?.[5]);
  const derived = phcB64Bytes(match?.[6]);
  if (match === null || salt === undefined || derived === undefined) {
    return 'unsupported_hash_format';
  }
  const [cost, blockSize, parallelization, keyLength] = match.slice(1, 5).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  if (keyLength !== derived.length) return 'unsupported_hash_format';
  const costIsPowerOfTwo = cost >= 2 && Number.isSafeInteger(cost) && (cost & (cost - 1)) === 0;
  return costIsPowerOfTwo && blockSize >= 1 && parallelization >= 1
    ? undefined
    : 'scrypt_parameters_out_of_range';
}

function checkPbkdf2(hash: string): PasswordHashRejection | undefined {
  const match = pbkdf2Pattern.exec(hash);
  if (match === null || phcB64Bytes(match[3]) === undefined || phcB64Bytes(match[4]) === undefined)
    return 'unsupported_hash_format';
  const digest = match[2];
  if (digest !== 'sha256' && digest !== 'sha512') return 'pbkdf2_digest_unsupported';
  return inRange(Number(match[1]), workosHashRanges.pbkdf2Iterations[digest])
    ? undefined
    : 'pbkdf2_iterations_out_of_range';
}

function checkArgon2(hash: string): PasswordHashRejection | undefined {
  const match = argon2Pattern.exec(hash);
  const salt = phcB64Bytes(match?.[6]);
  const derived = phcB64Bytes(match?.[7]);
  if (
    match === null ||
    salt === undefined ||
    derived === undefined ||
    salt.length < argon2MinSaltBytes ||
    derived.length < argon2MinHashBytes
  ) {
    return 'unsupported_hash_format';
  }
  const [variant, version, memoryKiB, iterations, parallelism] = [
    match[1],
    ...match.slice(2, 6).map(Number),
  ] as [string, number, number, number, number];
  const ranges = workosHashRanges.argon2;
  if (version !== 19) return 'argon2_version_unsupported';
  if (!inRange(memoryKiB, ranges.memoryKiB)) return 'argon2_memory_out_of_range';
  const minIterations = variant === 'argon2i' ? ranges.argon2iMinIterations : ranges.iterations.min;
  if (!inRange(iterations, { min: minIterations, max: ranges.iterations.max })) {
    return 'argon2_iterations_out_of_range';
  }
  return inRange(parallelism, ranges.parallelism) ? undefined : 'argon2_parallelism_out_of_range';
}

/**
 * `{SSHA}`/`{SSHA256}` + base64(digest ‖ salt), the LDAP layout: canonical padded base64 holding
 * the whole digest and a salt of at least one byte.
 */
function saltedShaCheck(pattern: RegExp, digestBytes: number): Check {
  return (hash) => {
    const encoded = pattern.exec(hash)?.[1];
    if (encoded === undefined) return 'unsupported_hash_format';
    const bytes = Buffer.from(encoded, 'base64');
    return bytes.toString('base64') === encoded && bytes.length > digestBytes
      ? undefined
      : 'unsupported_hash_format';
  };
}

function checkFirebaseScrypt(hash: string): PasswordHashRejection | undefined {
  const match = firebaseScryptPattern.exec(hash);
  if (match === null || [1, 2, 5, 6].some((field) => phcB64Bytes(match[field]) === undefined)) {
    return 'unsupported_hash_format';
  }
  return inRange(Number(match[3]), firebaseScryptRanges.rounds) &&
    inRange(Number(match[4]), firebaseScryptRanges.memoryCost)
    ? undefined
    : 'firebase_scrypt_parameters_out_of_range';
}

const checks: Record<PasswordHashType, Check> = {
  bcrypt: checkBcrypt,
  scrypt: checkScrypt,
  'firebase-scrypt': checkFirebaseScrypt,
  ssha: saltedShaCheck(sshaPattern, sha1DigestBytes),
  ssha256: saltedShaCheck(ssha256Pattern, sha256DigestBytes),
  pbkdf2: checkPbkdf2,
  argon2: checkArgon2,
};

/** Whether WorkOS accepts `hash` as a `password_hash` of this type (reference C.2). */
export function validatePasswordHash(type: PasswordHashType, hash: string): PasswordHashCheck {
  const reason = hash.length > maxHashLength ? 'unsupported_hash_format' : checks[type](hash);
  return reason === undefined ? { ok: true } : { ok: false, reason };
}

/**
 * Hasher names sources use, mapped to the WorkOS type that takes the same hash unchanged (the
 * format check still decides whether a given hash is in WorkOS's layout). Names of schemes WorkOS
 * does not accept (md5, sha256, pbkdf2_sha1, phpass, bcrypt_sha256...) are absent on purpose.
 */
const hashTypeNames: Record<string, PasswordHashType> = {
  bcrypt: 'bcrypt',
  scrypt: 'scrypt',
  firebase_scrypt: 'firebase-scrypt',
  scrypt_firebase: 'firebase-scrypt',
  ssha: 'ssha',
  ssha256: 'ssha256',
  pbkdf2: 'pbkdf2',
  pbkdf2_sha256: 'pbkdf2',
  pbkdf2_sha512: 'pbkdf2',
  argon2: 'argon2',
  argon2id: 'argon2',
  argon2i: 'argon2',
  argon2d: 'argon2',
};

/** The WorkOS hash type a source's hasher name stands for, case and `-`/`_` aside. */
export function normalizeHashType(name: string): PasswordHashType | undefined {
  const key = name.trim().toLowerCase().replaceAll('-', '_');
  return Object.hasOwn(hashTypeNames, key) ? hashTypeNames[key] : undefined;
}

/**
 * The type a hash announces by its own prefix, for exports that carry a hash but no type. Each
 * prefix belongs to exactly one WorkOS format, so this never guesses between two.
 */
export function inferHashType(hash: string): PasswordHashType | undefined {
  if (/^\$2[aby]\$/.test(hash)) return 'bcrypt';
  if (hash.startsWith('$scrypt$')) return 'scrypt';
  if (hash.startsWith('$firebase-scrypt$')) return 'firebase-scrypt';
  if (hash.startsWith('$pbkdf2$')) return 'pbkdf2';
  if (/^\$argon2(id|i|d)\$/.test(hash)) return 'argon2';
  if (hash.startsWith('{SSHA}')) return 'ssha';
  if (hash.startsWith('{SSHA256}')) return 'ssha256';
  return undefined;
}

/**
 * What a mapper puts on the user for its password: the hash to send, or why there is none (no
 * note: the user signs in another way and needs no reset).
 */
export type PasswordFields =
  | {
      passwordHash: string;
      passwordHashType: PasswordHashType;
      passwordSaltPosition?: PasswordSaltPosition;
      note?: undefined;
    }
  | {
      note?: string;
      passwordHash?: undefined;
      passwordHashType?: undefined;
      passwordSaltPosition?: undefined;
    };

/**
 * The one place every mapper turns an exported hash into user fields: the hash and its type when
 * WorkOS accepts them, else a `password_reset_required:<reason>` note (`no_password_hash`,
 * `unsupported_hash` for a type WorkOS does not take, or the format check's reason).
 *
 * `saltPosition` is the source's word for where an `ssha256` salt went (`prefix`/`suffix`, any
 * case). Other types have no salt position, so a value beside them is ignored; an `ssha256`
 * hash with a position that is neither is not sent (`password_salt_position_invalid`): it
 * could not sign anyone in.
 */
export function passwordFieldsFor(
  type: PasswordHashType | undefined,
  hash: string | undefined,
  saltPosition?: string,
): PasswordFields {
  if (hash === undefined || hash === '') return resetNote('no_password_hash');
  if (type === undefined) return resetNote('unsupported_hash');
  const check = validatePasswordHash(type, hash);
  if (!check.ok) return resetNote(check.reason);
  if (type !== saltPositionHashType || saltPosition === undefined) {
    return { passwordHash: hash, passwordHashType: type };
  }
  const position = normalizeSaltPosition(saltPosition);
  return position === undefined
    ? resetNote('password_salt_position_invalid')
    : { passwordHash: hash, passwordHashType: type, passwordSaltPosition: position };
}

function normalizeSaltPosition(name: string): PasswordSaltPosition | undefined {
  const key = name.trim().toLowerCase();
  return passwordSaltPositions.find((position) => position === key);
}

export function resetNote(reason: string): { note: string } {
  return { note: `password_reset_required:${reason}` };
}

/**
 * A source's base64 (standard or URL-safe, padded or not) as PHC B64, or undefined when it is
 * not base64 at all. Firebase's CLI writes standard base64, its Admin SDK the URL-safe alphabet.
 */
export function toPhcB64(encoded: string): string | undefined {
  const trimmed = encoded.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return undefined;
  const standard = trimmed.replaceAll('-', '+').replaceAll('_', '/').replace(/=+$/, '');
  return phcB64Bytes(standard) === undefined ? undefined : standard;
}

/** Firebase's project-wide scrypt settings, as base64 text and numbers. */
export interface FirebaseScryptSettings {
  signerKey: string;
  saltSeparator: string;
  rounds: number;
  memoryCost: number;
}

/**
 * A Firebase user's `passwordHash` and `salt` with the project's settings, in the PHC layout
 * WorkOS documents for `firebase-scrypt` (reference C.2):
 * `$firebase-scrypt$sk=<signer key>,ss=<salt separator>,r=<rounds>,m=<mem cost>$<salt>$<hash>`,
 * every byte field B64. Undefined when a field is not base64.
 */
export function firebaseScryptPhc(
  settings: FirebaseScryptSettings,
  salt: string,
  passwordHash: string,
): string | undefined {
  const fields = [settings.signerKey, settings.saltSeparator, salt, passwordHash].map(toPhcB64);
  if (fields.some((field) => field === undefined)) return undefined;
  const [signerKey, saltSeparator, phcSalt, phcHash] = fields as [string, string, string, string];
  return `$firebase-scrypt$sk=${signerKey},ss=${saltSeparator},r=${settings.rounds},m=${settings.memoryCost}$${phcSalt}$${phcHash}`;
}

const pbkdf2Digests: Record<string, 'sha256' | 'sha512'> = {
  pbkdf2_sha256: 'sha256',
  pbkdf2_sha512: 'sha512',
};

/**
 * A `pbkdf2_<digest>$<iterations>$<salt>$<hash>` string (Django's layout, which Clerk uses too)
 * in WorkOS's PHC layout `$pbkdf2$i=<iterations>,d=<digest>$<B64 salt>$<B64 hash>`. The hash is
 * base64; the salt is base64 (`saltEncoding: 'base64'`) or the literal salt text, whose UTF-8
 * bytes PBKDF2 used (`'text'`, as Django stores it). Undefined when the string is not that layout.
 */
export function pbkdf2PhcFromModular(
  digest: string,
  saltEncoding: 'base64' | 'text',
): string | undefined {
  const parts = digest.split('$');
  if (parts.length !== 4) return undefined;
  const [algorithm, iterations, salt, hash] = parts as [string, string, string, string];
  const hashName = Object.hasOwn(pbkdf2Digests, algorithm) ? pbkdf2Digests[algorithm] : undefined;
  if (hashName === undefined || !/^[1-9]\d{0,14}$/.test(iterations) || salt === '') {
    return undefined;
  }
  const phcSalt =
    saltEncoding === 'base64'
      ? toPhcB64(salt)
      : Buffer.from(salt, 'utf8').toString('base64').replace(/=+$/, '');
  const phcHash = toPhcB64(hash);
  if (phcSalt === undefined || phcHash === undefined) return undefined;
  return `$pbkdf2$i=${iterations},d=${hashName}$${phcSalt}$${phcHash}`;
}
