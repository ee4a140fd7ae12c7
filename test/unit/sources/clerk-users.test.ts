import { describe, expect, it } from 'vitest';
import { importUserSchema } from '../../../src/model/import-message.ts';
import { createClerkUserMapper } from '../../../src/sources/clerk-users.ts';
import type { ParsedRecord } from '../../../src/sources/parsed-record.ts';
import { passwordVerifiers } from '../../../tools/workos-emulator/src/password-verifiers.ts';
import { knownPassword } from '../../fixtures/sources/known-password-hashes.ts';
import { csvFixture } from '../../fixtures/sources/read-fixture.ts';

const rows = csvFixture('clerk/users.csv');
const mapClerk = createClerkUserMapper();

function row(id: string): Record<string, string> {
  const found = rows.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`no fixture row ${id}`);
  return found;
}

function userOf(parsed: ParsedRecord | undefined) {
  if (parsed?.kind !== 'user') throw new Error(`expected a user, got ${JSON.stringify(parsed)}`);
  return parsed.user;
}

describe('Function: createClerkUserMapper()', () => {
  it('maps a row of the dashboard export, with its bcrypt digest as-is', () => {
    const alice = row('user_2alice0000000000000000001');
    expect(mapClerk(alice)).toEqual({
      kind: 'user',
      user: {
        sourceId: 'user_2alice0000000000000000001',
        externalId: 'user_2alice0000000000000000001',
        email: 'alice@example.com',
        emailVerified: true,
        firstName: 'Alice',
        lastName: 'Johnson',
        passwordHash: alice.password_digest,
        passwordHashType: 'bcrypt',
        source: 'clerk',
        metadata: { clerk_username: 'alicej' },
      },
    });
  });

  it.each<[string, string, Record<string, unknown>]>([
    [
      'the primary address, verified, the others counted',
      'user_2bob000000000000000000002',
      {
        email: 'bob@example.com',
        emailVerified: true,
        lastName: "O'Neil, Jr.",
        note: 'additional_emails_not_imported:2',
      },
    ],
    [
      'the first verified address when there is no primary',
      'user_2carol00000000000000000003',
      {
        email: 'carol@example.org',
        emailVerified: true,
        note: 'additional_emails_not_imported:1;password_reset_required:no_password_hash',
      },
    ],
    [
      'an unverified primary address as unverified',
      'user_2dave000000000000000000004',
      { email: 'dave@example.com', emailVerified: false },
    ],
    [
      'a TOTP secret as a re-enrolment note only',
      'user_2erin000000000000000000005',
      { note: 'mfa_reenrolment_required', passwordHashType: 'bcrypt' },
    ],
  ])('takes %s', (_, id, expected) => {
    expect(userOf(mapClerk(row(id)))).toMatchObject(expected);
  });

  it('never copies the TOTP secret anywhere', () => {
    const erin = row('user_2erin000000000000000000005');
    expect(JSON.stringify(mapClerk(erin))).not.toContain(erin.totp_secret);
  });

  it.each([
    ['argon2id', 'user_2fay0000000000000000000006', 'argon2'],
    ['argon2i', 'user_2gus0000000000000000000007', 'argon2'],
    ['pbkdf2_sha256 (base64 salt)', 'user_2ivy0000000000000000000009', 'pbkdf2'],
    ['pbkdf2_sha256_django (text salt)', 'user_2jay0000000000000000000010', 'pbkdf2'],
    ['scrypt_firebase', 'user_2kim0000000000000000000011', 'firebase-scrypt'],
  ] as const)(
    'imports a %s digest as a hash the emulator signs the user in with',
    async (_, id, type) => {
      // Act
      const user = userOf(mapClerk(row(id)));

      // Assess
      expect(user).toMatchObject({ passwordHashType: type });
      expect(user.note).toBeUndefined();
      await expect(passwordVerifiers[type](knownPassword, user.passwordHash ?? '')).resolves.toBe(
        true,
      );
      await expect(passwordVerifiers[type]('hunter2', user.passwordHash ?? '')).resolves.toBe(
        false,
      );
    },
    30_000,
  );

  it.each([
    [
      "argon2id with Clerk's documented m=64",
      'user_2hal0000000000000000000008',
      'password_reset_required:argon2_memory_out_of_range',
    ],
    ['md5', 'user_2lee0000000000000000000012', 'password_reset_required:unsupported_hash'],
  ])('imports a user whose digest is %s without it, noted for a reset', (_, id, note) => {
    const user = userOf(mapClerk(row(id)));
    expect(user.note).toBe(note);
    expect(user.passwordHash).toBeUndefined();
  });

  it.each([
    {
      label: 'phpass',
      hasher: 'phpass',
      digest: '$P$984478476IagS59wHZvyQMArzfx58u.',
      note: 'password_reset_required:unsupported_hash',
    },
    {
      label: 'a pbkdf2_sha256 digest with too few fields',
      hasher: 'pbkdf2_sha256',
      digest: 'pbkdf2_sha256$600000$aGFzaA==',
      note: 'password_reset_required:unsupported_hash_format',
    },
    {
      label: 'a pbkdf2_sha256 digest below WorkOS iterations',
      hasher: 'pbkdf2_sha256',
      digest: 'pbkdf2_sha256$260000$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGg=',
      note: 'password_reset_required:pbkdf2_iterations_out_of_range',
    },
    {
      label: 'a scrypt_firebase digest with five fields',
      hasher: 'scrypt_firebase',
      digest: 'aGFzaA==$c2FsdA==$a2V5$Bw==$8',
      note: 'password_reset_required:unsupported_hash_format',
    },
    {
      label: 'a digest without a hasher that names no format',
      hasher: '',
      digest: '5f4dcc3b5aa765d61d8327deb882cf99',
      note: 'password_reset_required:unsupported_hash',
    },
  ])('notes a reset for $label', ({ hasher, digest, note }) => {
    const parsed = mapClerk({
      id: 'user_x',
      primary_email_address: 'x@example.com',
      password_digest: digest,
      password_hasher: hasher,
    });
    expect(userOf(parsed).note).toBe(note);
    expect(userOf(parsed).passwordHash).toBeUndefined();
  });

  it('rejects a phone-only user as missing_email', () => {
    expect(mapClerk(row('user_2max0000000000000000000013'))).toEqual({
      kind: 'rejected',
      reason: 'missing_email',
      sourceId: 'user_2max0000000000000000000013',
    });
  });

  it('keeps an id longer than 64 characters in metadata, with a derived external id', () => {
    const long = rows.find((candidate) => (candidate.id ?? '').length > 64) ?? {};
    const user = userOf(mapClerk(long));
    expect(user.externalId).toMatch(/^sha256:[0-9a-f]{48}$/);
    expect(user.metadata).toEqual({ source_id: long.id });
  });

  it('maps every fixture row to a message the queue accepts', () => {
    for (const fields of rows) {
      const parsed = mapClerk(fields);
      if (parsed?.kind === 'user') expect(importUserSchema.parse(parsed.user)).toEqual(parsed.user);
    }
  });

  it('rejects a row without id', () => {
    expect(mapClerk({ id: '', primary_email_address: 'x@example.com' })).toEqual({
      kind: 'rejected',
      reason: 'missing_user_id',
    });
  });
});
