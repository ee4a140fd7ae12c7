import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { importUserSchema } from '../../../src/model/import-message.ts';
import { createGenericUserMapper } from '../../../src/sources/generic-users.ts';
import type { ParsedRecord } from '../../../src/sources/parsed-record.ts';
import { passwordVerifiers } from '../../../tools/workos-emulator/src/password-verifiers.ts';
import { bcryptOf, knownPassword } from '../../fixtures/sources/known-password-hashes.ts';
import { csvFixture, ndjsonFixture } from '../../fixtures/sources/read-fixture.ts';

const mapGeneric = createGenericUserMapper();

function mapCsv(path: string): ParsedRecord[] {
  return csvFixture(path)
    .map((row) => mapGeneric(row))
    .filter((parsed) => parsed !== undefined);
}

function usersOf(records: ParsedRecord[]) {
  return records.flatMap((parsed) => (parsed.kind === 'user' ? [parsed.user] : []));
}

function bySourceId(records: ParsedRecord[], sourceId: string): ParsedRecord | undefined {
  return records.find(
    (parsed) =>
      (parsed.kind === 'user' && parsed.user.sourceId === sourceId) ||
      (parsed.kind === 'rejected' && parsed.sourceId === sourceId),
  );
}

const longId = 'legacy-enterprise|samlp|acme-corp-okta-connection|0123456789abcdef0123456789abcdef';

describe('Function: createGenericUserMapper() on the "other services" CSV', () => {
  const records = mapCsv('generic/users.csv');

  it('maps a full row, with the hash exactly as exported', () => {
    expect(bySourceId(records, 'legacy-0001')).toEqual({
      kind: 'user',
      user: {
        sourceId: 'legacy-0001',
        externalId: 'legacy-0001',
        email: 'ada@example.com',
        emailVerified: true,
        firstName: 'Ada',
        lastName: 'Lovelace',
        passwordHash: csvFixture('generic/users.csv')[0]?.password_hash,
        passwordHashType: 'bcrypt',
        source: 'generic',
      },
    });
  });

  it.each<[string, Record<string, unknown>]>([
    [
      'legacy-0002',
      {
        kind: 'user',
        user: {
          firstName: 'Grace "Amazing"',
          lastName: 'Hopper, PhD',
          emailVerified: true,
          passwordHashType: 'argon2',
        },
      },
    ],
    [
      'legacy-0003',
      { kind: 'user', user: { lastName: 'Johnson\nGoble', passwordHashType: 'pbkdf2' } },
    ],
    [
      'legacy-0004',
      {
        kind: 'user',
        user: { emailVerified: false, note: 'password_reset_required:no_password_hash' },
      },
    ],
    ['legacy-0005', { kind: 'rejected', reason: 'missing_email' }],
    ['legacy-0006', { kind: 'rejected', reason: 'invalid_email' }],
    [
      'legacy-0007',
      {
        kind: 'user',
        user: { emailVerified: true, note: 'password_reset_required:unsupported_hash' },
      },
    ],
    [
      'legacy-0008',
      {
        kind: 'user',
        user: {
          emailVerified: false,
          note: 'password_reset_required:pbkdf2_iterations_out_of_range',
        },
      },
    ],
    ['legacy-0009', { kind: 'rejected', reason: 'invalid_email_verified' }],
    [
      longId,
      {
        kind: 'user',
        user: {
          externalId: expect.stringMatching(/^sha256:[0-9a-f]{48}$/),
          metadata: { source_id: longId },
        },
      },
    ],
    ['legacy-0011', { kind: 'user', user: { passwordHashType: 'scrypt' } }],
    ['legacy-0012', { kind: 'user', user: { passwordHashType: 'ssha' } }],
  ])('maps the fixture row %s', (sourceId, expected) => {
    expect(bySourceId(records, sourceId)).toMatchObject(expected);
  });

  it('never sends a hash or note that breaks the message schema', () => {
    for (const user of usersOf(records)) expect(importUserSchema.parse(user)).toEqual(user);
  });

  it.each(
    usersOf(records)
      .filter((user) => user.passwordHash !== undefined)
      .map((user) => [user.sourceId, user] as const),
  )('keeps a hash for %s that signs the user in on the emulator', async (_, user) => {
    const verify = passwordVerifiers[user.passwordHashType ?? 'bcrypt'];
    await expect(verify(knownPassword, user.passwordHash ?? '')).resolves.toBe(true);
    await expect(verify('not the password', user.passwordHash ?? '')).resolves.toBe(false);
  });
});

describe('Function: createGenericUserMapper() on the WorkOS upload template', () => {
  const rows = csvFixture('generic/workos-template.csv');

  it('takes user_id as source id and names the hash type from the hash itself', () => {
    expect(mapGeneric(rows[0] ?? {})).toMatchObject({
      kind: 'user',
      user: { sourceId: 'tmpl-1', passwordHashType: 'bcrypt' },
    });
    expect(mapGeneric(rows[1] ?? {})).toMatchObject({
      kind: 'user',
      user: { sourceId: 'tmpl-2', emailVerified: false, passwordHashType: 'argon2' },
    });
  });

  it('imports a user whose hash names no WorkOS format without it, noted for a reset', () => {
    const parsed = mapGeneric(rows[2] ?? {});
    expect(parsed).toMatchObject({
      kind: 'user',
      user: { note: 'password_reset_required:unsupported_hash' },
    });
    expect(parsed?.kind === 'user' && parsed.user.passwordHash).toBeUndefined();
  });

  it('finds no user in a blank row', () => {
    expect(mapGeneric(rows[3] ?? { email: 'x' })).toBeUndefined();
  });
});

describe('Function: createGenericUserMapper() on NDJSON with camelCase columns', () => {
  const [joan, dorothy, ida] = ndjsonFixture('generic/users.ndjson').map((record) =>
    mapGeneric(record),
  );

  it('derives the source id from the lower-cased email when there is no id column', () => {
    const expectedId = `email-sha256:${createHash('sha256').update('joan.clarke@example.com').digest('hex').slice(0, 48)}`;
    expect(joan).toMatchObject({
      kind: 'user',
      user: {
        sourceId: expectedId,
        externalId: expectedId,
        email: 'Joan.Clarke@Example.com',
        emailVerified: true,
        passwordHashType: 'bcrypt',
        metadata: { plan: 'pro', seats: '12' },
      },
    });
  });

  it('gives every spelling of one email the same source id, and keeps the email out of it', () => {
    const ids = ['joan.clarke@example.com', 'JOAN.CLARKE@EXAMPLE.COM'].map((email) => {
      const parsed = mapGeneric({ email });
      return parsed?.kind === 'user' ? parsed.user.sourceId : undefined;
    });
    expect(ids[0]).toBe(ids[1]);
    expect(ids[0]).not.toMatch(/joan|example/i);
  });

  it('counts the metadata that does not fit instead of failing the user', () => {
    // 11 entries for 7 places (10 − 2 the tool writes − source_id): 3 too many, 1 too long.
    expect(dorothy).toMatchObject({
      kind: 'user',
      user: { note: 'password_reset_required:no_password_hash;metadata_not_imported:4' },
    });
    expect(Object.keys(dorothy?.kind === 'user' ? (dorothy.user.metadata ?? {}) : {})).toHaveLength(
      7,
    );
  });

  it('rejects a JSON email verification flag it cannot read', () => {
    expect(ida).toEqual({ kind: 'rejected', reason: 'invalid_email_verified', sourceId: 'json-3' });
  });
});

describe('Function: createGenericUserMapper() field rules', () => {
  const base = { id: 'u-1', email: 'ada@example.com' };

  it.each([
    ['true', true],
    ['TRUE', true],
    [' yes ', true],
    ['1', true],
    ['false', false],
    ['No', false],
    ['0', false],
    ['', false],
    [undefined, false],
    [true, true],
    [false, false],
    [1, true],
    [0, false],
  ])('reads email_verified %j as %j', (value, expected) => {
    expect(mapGeneric({ ...base, email_verified: value })).toMatchObject({
      kind: 'user',
      user: { emailVerified: expected },
    });
  });

  it.each(['maybe', 'y', 't', '2', 'null', 2])(
    'rejects email_verified %j as invalid_email_verified',
    (value) => {
      expect(mapGeneric({ ...base, email_verified: value })).toEqual({
        kind: 'rejected',
        reason: 'invalid_email_verified',
        sourceId: 'u-1',
      });
    },
  );

  it('reads the same row the same way whatever the column order', () => {
    const row = {
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      email_verified: 'true',
      password_hash: bcryptOf(knownPassword),
      password_hash_type: 'bcrypt',
      external_id: 'u-1',
    };
    const reversed = Object.fromEntries(Object.entries(row).reverse());
    expect(mapGeneric(reversed)).toEqual(mapGeneric(row));
  });

  it.each([
    ['external_id over id', { external_id: 'ext', id: 'plain' }, 'ext'],
    ['user_id over id', { user_id: 'template', id: 'plain' }, 'template'],
    ['id alone', { id: 'plain' }, 'plain'],
  ])('takes the source id from %s', (_, columns, expected) => {
    expect(mapGeneric({ email: 'ada@example.com', ...columns })).toMatchObject({
      user: { sourceId: expected },
    });
  });

  it('reads a metadata column holding JSON text, and counts one that is not an object', () => {
    expect(mapGeneric({ ...base, metadata: '{"plan":"pro"}' })).toMatchObject({
      user: { metadata: { plan: 'pro' } },
    });
    expect(mapGeneric({ ...base, metadata: '{not json' })).toMatchObject({
      user: { note: 'password_reset_required:no_password_hash;metadata_not_imported:1' },
    });
  });

  it('rejects a name longer than any real one', () => {
    expect(mapGeneric({ ...base, first_name: 'A'.repeat(1001) })).toMatchObject({
      kind: 'rejected',
      reason: 'name_too_long',
    });
  });

  it('rejects a row with neither email nor id as missing_email', () => {
    expect(mapGeneric({ first_name: 'Ada' })).toEqual({
      kind: 'rejected',
      reason: 'missing_email',
    });
  });

  it('records the source name it is given', () => {
    expect(createGenericUserMapper({ source: 'csv' })(base)).toMatchObject({
      user: { source: 'csv' },
    });
  });

  it.each(['', 'has space', 'x'.repeat(41), 'nön-ascii'])(
    'refuses the source name %j at creation',
    (source) => {
      expect(() => createGenericUserMapper({ source })).toThrow(ConfigError);
    },
  );
});
