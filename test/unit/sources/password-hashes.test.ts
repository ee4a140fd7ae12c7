import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { PasswordHashType, PasswordSaltPosition } from '../../../src/model/import-message.ts';
import {
  firebaseScryptPhc,
  inferHashType,
  normalizeHashType,
  passwordFieldsFor,
  pbkdf2PhcFromModular,
  toPhcB64,
  validatePasswordHash,
} from '../../../src/sources/password-hashes.ts';
import { passwordHashProblem } from '../../../tools/workos-emulator/src/password-hash-formats.ts';
import { passwordVerifiers } from '../../../tools/workos-emulator/src/password-verifiers.ts';
import {
  b64,
  bcryptOf,
  firebasePublished,
  firebaseUserHash,
  knownHashes,
  knownPassword,
  pbkdf2Of,
  ssha256Of,
} from '../../fixtures/sources/known-password-hashes.ts';

/** The emulator's verdict on signing in: the judge of every hash the importer would send. */
async function signsIn(
  type: PasswordHashType,
  hash: string,
  password: string,
  saltPosition?: PasswordSaltPosition,
): Promise<boolean> {
  return passwordVerifiers[type](password, hash, { saltPosition: saltPosition ?? null });
}

describe('Function: validatePasswordHash()', () => {
  it.each(knownHashes)(
    'accepts $label made by its own tool, and the emulator signs the user in with it',
    async ({ type, saltPosition, password, make }) => {
      // Prepare
      const hash = await make();

      // Act
      const fields = passwordFieldsFor(type, hash, saltPosition);

      // Assess
      expect(validatePasswordHash(type, hash)).toEqual({ ok: true });
      expect(fields).toEqual({
        passwordHash: hash,
        passwordHashType: type,
        ...(saltPosition === undefined ? {} : { passwordSaltPosition: saltPosition }),
      });
      await expect(signsIn(type, hash, password, saltPosition)).resolves.toBe(true);
      await expect(signsIn(type, hash, `${password}!`, saltPosition)).resolves.toBe(false);
    },
    30_000,
  );

  const bcryptHash = bcryptOf(knownPassword);
  const bcryptBody = bcryptHash.slice(7);
  const salt = b64(randomBytes(16));
  const key32 = b64(randomBytes(32));
  const pbkdf2 = (parameters: string) => `$pbkdf2$${parameters}$${salt}$${key32}`;
  const argon2 = (id: string, parameters: string, saltField = salt) =>
    `$${id}$v=19$${parameters}$${saltField}$${key32}`;
  const firebase = (parameters: string) =>
    `$firebase-scrypt$${parameters}$${salt}$${b64(randomBytes(64))}`;
  const firebaseKeys =
    'sk=jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA,ss=Bw';

  /**
   * `emulator` is the emulator's verdict on the same string: the two must agree wherever WorkOS
   * documents the rule. Only the Firebase parameter bounds are the importer's own (stricter).
   */
  it.each<{
    label: string;
    type: PasswordHashType;
    hash: string;
    reason: string;
    emulator: 'refuses' | 'accepts';
  }>([
    {
      label: 'bcrypt $2x$',
      type: 'bcrypt',
      hash: `$2x$04$${bcryptBody}`,
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'bcrypt cost 03',
      type: 'bcrypt',
      hash: `$2b$03$${bcryptBody}`,
      reason: 'bcrypt_cost_out_of_range',
      emulator: 'refuses',
    },
    {
      label: 'bcrypt cost 32',
      type: 'bcrypt',
      hash: `$2b$32$${bcryptBody}`,
      reason: 'bcrypt_cost_out_of_range',
      emulator: 'refuses',
    },
    {
      label: 'a truncated bcrypt',
      type: 'bcrypt',
      hash: bcryptHash.slice(0, -1),
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'an md5 digest as bcrypt',
      type: 'bcrypt',
      hash: '5f4dcc3b5aa765d61d8327deb882cf99',
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'scrypt with n not a power of two',
      type: 'scrypt',
      hash: `$scrypt$v=1$n=1000,r=8,p=1,kl=32$${salt}$${key32}`,
      reason: 'scrypt_parameters_out_of_range',
      emulator: 'refuses',
    },
    {
      label: 'scrypt with kl not the hash length',
      type: 'scrypt',
      hash: `$scrypt$v=1$n=1024,r=8,p=1,kl=64$${salt}$${key32}`,
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'scrypt with padded base64',
      type: 'scrypt',
      hash: `$scrypt$v=1$n=1024,r=8,p=1,kl=32$${salt}==$${key32}`,
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'scrypt with parameters reordered',
      type: 'scrypt',
      hash: `$scrypt$v=1$r=8,n=1024,p=1,kl=32$${salt}$${key32}`,
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'pbkdf2 with sha1',
      type: 'pbkdf2',
      hash: pbkdf2('i=600000,d=sha1'),
      reason: 'pbkdf2_digest_unsupported',
      emulator: 'refuses',
    },
    {
      label: 'pbkdf2 sha256 at 599,999 iterations',
      type: 'pbkdf2',
      hash: pbkdf2('i=599999,d=sha256'),
      reason: 'pbkdf2_iterations_out_of_range',
      emulator: 'refuses',
    },
    {
      label: 'pbkdf2 sha256 at 1,000,001 iterations',
      type: 'pbkdf2',
      hash: pbkdf2('i=1000001,d=sha256'),
      reason: 'pbkdf2_iterations_out_of_range',
      emulator: 'refuses',
    },
    {
      label: 'pbkdf2 sha512 at 209,999 iterations',
      type: 'pbkdf2',
      hash: pbkdf2('i=209999,d=sha512'),
      reason: 'pbkdf2_iterations_out_of_range',
      emulator: 'refuses',
    },
    {
      label: 'pbkdf2 in Django layout',
      type: 'pbkdf2',
      hash: `pbkdf2_sha256$600000$${salt}$${key32}`,
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'argon2 version 16',
      type: 'argon2',
      hash: `$argon2id$v=16$m=4096,t=1,p=1$${salt}$${key32}`,
      reason: 'argon2_version_unsupported',
      emulator: 'refuses',
    },
    {
      label: 'argon2 with 4,095 KiB',
      type: 'argon2',
      hash: argon2('argon2id', 'm=4095,t=1,p=1'),
      reason: 'argon2_memory_out_of_range',
      emulator: 'refuses',
    },
    {
      label: "argon2id with Clerk's m=64",
      type: 'argon2',
      hash: argon2('argon2id', 'm=64,t=4,p=8'),
      reason: 'argon2_memory_out_of_range',
      emulator: 'refuses',
    },
    {
      label: 'argon2id with t=6',
      type: 'argon2',
      hash: argon2('argon2id', 'm=4096,t=6,p=1'),
      reason: 'argon2_iterations_out_of_range',
      emulator: 'refuses',
    },
    {
      label: 'argon2i with t=2',
      type: 'argon2',
      hash: argon2('argon2i', 'm=4096,t=2,p=1'),
      reason: 'argon2_iterations_out_of_range',
      emulator: 'refuses',
    },
    {
      label: 'argon2 with p=9',
      type: 'argon2',
      hash: argon2('argon2id', 'm=4096,t=1,p=9'),
      reason: 'argon2_parallelism_out_of_range',
      emulator: 'refuses',
    },
    {
      label: 'argon2 with a 4-byte salt',
      type: 'argon2',
      hash: argon2('argon2id', 'm=4096,t=1,p=1', b64(randomBytes(4))),
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'argon2 without a version',
      type: 'argon2',
      hash: `$argon2id$m=4096,t=1,p=1$${salt}$${key32}`,
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'ssha without its prefix',
      type: 'ssha',
      hash: b64(randomBytes(28)),
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'ssha with a digest and no salt',
      type: 'ssha',
      hash: `{SSHA}${randomBytes(20).toString('base64')}`,
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'ssha256 without its prefix',
      type: 'ssha256',
      hash: randomBytes(40).toString('base64'),
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'ssha256 with an ssha (SHA-1) prefix',
      type: 'ssha256',
      hash: `{SSHA}${randomBytes(40).toString('base64')}`,
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'ssha256 with a 32-byte digest and no salt',
      type: 'ssha256',
      hash: `{SSHA256}${randomBytes(32).toString('base64')}`,
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'ssha256 with unpadded base64',
      type: 'ssha256',
      hash: `{SSHA256}${randomBytes(40).toString('base64').replace(/=+$/, '')}`,
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'firebase-scrypt without a salt separator',
      type: 'firebase-scrypt',
      hash: firebase(
        'sk=jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA,r=8,m=14',
      ),
      reason: 'unsupported_hash_format',
      emulator: 'refuses',
    },
    {
      label: 'firebase-scrypt with r=0',
      type: 'firebase-scrypt',
      hash: firebase(`${firebaseKeys},r=0,m=14`),
      reason: 'firebase_scrypt_parameters_out_of_range',
      emulator: 'refuses',
    },
    {
      label: 'firebase-scrypt with r=9 (above Firebase)',
      type: 'firebase-scrypt',
      hash: firebase(`${firebaseKeys},r=9,m=14`),
      reason: 'firebase_scrypt_parameters_out_of_range',
      emulator: 'accepts',
    },
    {
      label: 'firebase-scrypt with m=15 (above Firebase)',
      type: 'firebase-scrypt',
      hash: firebase(`${firebaseKeys},r=8,m=15`),
      reason: 'firebase_scrypt_parameters_out_of_range',
      emulator: 'accepts',
    },
    {
      label: 'a hash of 2,000 characters',
      type: 'ssha',
      hash: `{SSHA}${randomBytes(1500).toString('base64')}`,
      reason: 'unsupported_hash_format',
      emulator: 'accepts',
    },
  ])('refuses $label ($reason)', ({ type, hash, reason, emulator }) => {
    // Act
    const check = validatePasswordHash(type, hash);

    // Assess
    expect(check).toEqual({ ok: false, reason });
    expect(passwordFieldsFor(type, hash)).toEqual({ note: `password_reset_required:${reason}` });
    expect(passwordHashProblem(type, hash) === undefined ? 'accepts' : 'refuses').toBe(emulator);
  });

  it.each([
    ['sha256 at 1,000,000 iterations', 'i=1000000,d=sha256'],
    ['sha512 at 1,000,000 iterations', 'i=1000000,d=sha512'],
  ])('accepts pbkdf2 %s, the top of the range', (_, parameters) => {
    expect(validatePasswordHash('pbkdf2', pbkdf2(parameters))).toEqual({ ok: true });
    expect(passwordHashProblem('pbkdf2', pbkdf2(parameters))).toBeUndefined();
  });
});

describe('Function: passwordFieldsFor()', () => {
  it.each([
    ['no hash', 'bcrypt' as const, undefined, 'password_reset_required:no_password_hash'],
    ['an empty hash', 'bcrypt' as const, '', 'password_reset_required:no_password_hash'],
    [
      'a hash of a type WorkOS does not take',
      undefined,
      'abc',
      'password_reset_required:unsupported_hash',
    ],
  ])('notes a reset for %s', (_, type, hash, note) => {
    expect(passwordFieldsFor(type, hash)).toEqual({ note });
  });

  const ssha256 = ssha256Of(knownPassword, 'prefix');

  it.each([
    ['prefix', 'prefix'],
    [' Prefix ', 'prefix'],
    ['SUFFIX', 'suffix'],
  ] as const)('keeps the ssha256 salt position %j as %j', (position, expected) => {
    expect(passwordFieldsFor('ssha256', ssha256, position)).toEqual({
      passwordHash: ssha256,
      passwordHashType: 'ssha256',
      passwordSaltPosition: expected,
    });
  });

  it('leaves an ssha256 hash without a position to WorkOS default (suffix)', () => {
    expect(passwordFieldsFor('ssha256', ssha256)).toEqual({
      passwordHash: ssha256,
      passwordHashType: 'ssha256',
    });
  });

  it('does not send an ssha256 hash whose salt position is neither prefix nor suffix', () => {
    expect(passwordFieldsFor('ssha256', ssha256, 'middle')).toEqual({
      note: 'password_reset_required:password_salt_position_invalid',
    });
  });

  it('ignores a salt position beside a hash type that has none', () => {
    const bcryptHash = bcryptOf(knownPassword);
    expect(passwordFieldsFor('bcrypt', bcryptHash, 'prefix')).toEqual({
      passwordHash: bcryptHash,
      passwordHashType: 'bcrypt',
    });
  });

  it('signs a prefix hash in only with the prefix position, and a suffix hash only with suffix', async () => {
    const suffix = ssha256Of(knownPassword, 'suffix');
    await expect(signsIn('ssha256', ssha256, knownPassword, 'prefix')).resolves.toBe(true);
    await expect(signsIn('ssha256', ssha256, knownPassword, 'suffix')).resolves.toBe(false);
    await expect(signsIn('ssha256', ssha256, knownPassword)).resolves.toBe(false);
    await expect(signsIn('ssha256', suffix, knownPassword, 'suffix')).resolves.toBe(true);
    await expect(signsIn('ssha256', suffix, knownPassword)).resolves.toBe(true);
    await expect(signsIn('ssha256', suffix, knownPassword, 'prefix')).resolves.toBe(false);
  });
});

describe('Function: normalizeHashType()', () => {
  it.each([
    ['bcrypt', 'bcrypt'],
    ['BCRYPT', 'bcrypt'],
    ['argon2id', 'argon2'],
    ['argon2i', 'argon2'],
    ['argon2d', 'argon2'],
    ['argon2', 'argon2'],
    ['pbkdf2', 'pbkdf2'],
    ['pbkdf2_sha256', 'pbkdf2'],
    ['pbkdf2-sha512', 'pbkdf2'],
    ['scrypt', 'scrypt'],
    ['scrypt_firebase', 'firebase-scrypt'],
    ['firebase-scrypt', 'firebase-scrypt'],
    [' ssha ', 'ssha'],
    ['md5', undefined],
    ['sha256', undefined],
    ['pbkdf2_sha1', undefined],
    ['bcrypt_sha256_django', undefined],
    ['phpass', undefined],
    ['ssha256', 'ssha256'],
    ['SSHA256', 'ssha256'],
    ['constructor', undefined],
    ['', undefined],
  ])('maps %j to %j', (name, expected) => {
    expect(normalizeHashType(name)).toBe(expected);
  });
});

describe('Function: inferHashType()', () => {
  it.each([
    ['$2a$10$...', 'bcrypt'],
    ['$2y$10$...', 'bcrypt'],
    ['$2x$10$...', undefined],
    ['$scrypt$v=1$...', 'scrypt'],
    ['$firebase-scrypt$sk=...', 'firebase-scrypt'],
    ['$pbkdf2$i=600000...', 'pbkdf2'],
    ['$argon2id$v=19...', 'argon2'],
    ['$argon2i$v=19...', 'argon2'],
    ['{SSHA}abc', 'ssha'],
    ['{SSHA256}abc', 'ssha256'],
    ['pbkdf2_sha256$600000$salt$hash', undefined],
    ['5f4dcc3b5aa765d61d8327deb882cf99', undefined],
  ])('names %j as %j', (hash, expected) => {
    expect(inferHashType(hash)).toBe(expected);
  });
});

describe('Function: toPhcB64()', () => {
  it.each([
    ['padded standard base64', '42xEC+ixf3L2lw==', '42xEC+ixf3L2lw'],
    ['URL-safe base64', '42xEC-ixf3L2lw', '42xEC+ixf3L2lw'],
    ['URL-safe with slashes', '_w', '/w'],
    ['surrounding spaces', ' Bw== ', 'Bw'],
    ['not base64', 'not base64!', undefined],
    ['padding in the middle', 'Bw==Bw', undefined],
    ['a stray final character', 'Bwx', undefined],
    ['an impossible length', 'B', undefined],
  ])('turns %s into PHC B64', (_, input, expected) => {
    expect(toPhcB64(input)).toBe(expected);
  });
});

describe('Function: firebaseScryptPhc()', () => {
  it("encodes Firebase's published test user exactly as @phc/format does (reference C.2)", () => {
    const phc = firebaseScryptPhc(
      firebasePublished.parameters,
      firebasePublished.salt,
      firebasePublished.passwordHash,
    );
    expect(phc).toBe(firebasePublished.phc);
  });

  it('signs in a user freshly hashed with the published parameters, and no one else', async () => {
    // Prepare
    const exported = firebaseUserHash('another password', firebasePublished.parameters);

    // Act
    const phc = firebaseScryptPhc(
      firebasePublished.parameters,
      exported.salt,
      exported.passwordHash,
    );

    // Assess
    expect(phc).toBeDefined();
    expect(validatePasswordHash('firebase-scrypt', phc ?? '')).toEqual({ ok: true });
    await expect(signsIn('firebase-scrypt', phc ?? '', 'another password')).resolves.toBe(true);
    await expect(signsIn('firebase-scrypt', phc ?? '', 'another passworD')).resolves.toBe(false);
  });

  it('refuses a field that is not base64', () => {
    expect(
      firebaseScryptPhc(
        firebasePublished.parameters,
        'not base64!',
        firebasePublished.passwordHash,
      ),
    ).toBeUndefined();
  });
});

describe('Function: pbkdf2PhcFromModular()', () => {
  it('reshapes a Django hash (text salt) into a PHC string the emulator signs in with', async () => {
    // Prepare: Django hashes with the salt text's bytes and stores the hash as padded base64.
    const saltText = 'Qx7bQ2nAqPcuXyZ0';
    const hash = pbkdf2Of(knownPassword, 'sha256', 600_000, Buffer.from(saltText, 'utf8'));
    const django = `pbkdf2_sha256$600000$${saltText}$${hash.toString('base64')}`;

    // Act
    const phc = pbkdf2PhcFromModular(django, 'text');

    // Assess
    expect(phc).toBe(`$pbkdf2$i=600000,d=sha256$${b64(Buffer.from(saltText))}$${b64(hash)}`);
    await expect(signsIn('pbkdf2', phc ?? '', knownPassword)).resolves.toBe(true);
    await expect(signsIn('pbkdf2', phc ?? '', 'wrong')).resolves.toBe(false);
  });

  it('reshapes a base64-salt hash, decoding the salt', async () => {
    // Prepare
    const salt = randomBytes(16);
    const hash = pbkdf2Of(knownPassword, 'sha512', 210_000, salt);
    const modular = `pbkdf2_sha512$210000$${salt.toString('base64')}$${hash.toString('base64')}`;

    // Act
    const phc = pbkdf2PhcFromModular(modular, 'base64');

    // Assess
    expect(validatePasswordHash('pbkdf2', phc ?? '')).toEqual({ ok: true });
    await expect(signsIn('pbkdf2', phc ?? '', knownPassword)).resolves.toBe(true);
  });

  it.each([
    ['sha1', 'pbkdf2_sha1$600000$salt$aGFzaA=='],
    ['too few fields', 'pbkdf2_sha256$600000$aGFzaA=='],
    ['a non-decimal iteration count', 'pbkdf2_sha256$6e5$salt$aGFzaA=='],
    ['an empty salt', 'pbkdf2_sha256$600000$$aGFzaA=='],
    ['a hash that is not base64', 'pbkdf2_sha256$600000$salt$not base64'],
  ])('gives nothing for %s', (_, digest) => {
    expect(pbkdf2PhcFromModular(digest, 'text')).toBeUndefined();
  });
});
