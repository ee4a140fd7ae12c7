import { describe, expect, it } from 'vitest';
import { importUserSchema } from '../../../src/model/import-message.ts';
import type { ParsedRecord } from '../../../src/sources/parsed-record.ts';
import { createSupabaseUserMapper } from '../../../src/sources/supabase-users.ts';
import { passwordVerifiers } from '../../../tools/workos-emulator/src/password-verifiers.ts';
import { knownPassword } from '../../fixtures/sources/known-password-hashes.ts';
import { csvFixture, jsonFixture } from '../../fixtures/sources/read-fixture.ts';

const mapSupabase = createSupabaseUserMapper();

function userOf(parsed: ParsedRecord | undefined) {
  if (parsed?.kind !== 'user') throw new Error(`expected a user, got ${JSON.stringify(parsed)}`);
  return parsed.user;
}

/** The same five users, as `COPY ... WITH CSV HEADER` writes them and as a JSON array. */
describe.each([
  ['CSV', csvFixture('supabase/users.csv') as Record<string, unknown>[]],
  ['JSON', jsonFixture('supabase/users.json')],
])('Function: createSupabaseUserMapper() on the %s export', (_, records) => {
  const [ada, grace, alan, phoneOnly, katherine] = records.map((record) => mapSupabase(record));

  it('maps a confirmed user with a bcrypt password the emulator signs in with', async () => {
    // Act
    const user = userOf(ada);

    // Assess
    expect(user).toEqual({
      sourceId: '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      externalId: '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      email: 'ada@example.com',
      emailVerified: true,
      firstName: 'Ada',
      lastName: 'Lovelace',
      passwordHash: records[0]?.encrypted_password,
      passwordHashType: 'bcrypt',
      source: 'supabase',
    });
    await expect(passwordVerifiers.bcrypt(knownPassword, user.passwordHash ?? '')).resolves.toBe(
      true,
    );
    await expect(passwordVerifiers.bcrypt('wrong', user.passwordHash ?? '')).resolves.toBe(false);
  });

  it('takes an unconfirmed email as unverified, names from first_name and last_name', () => {
    expect(userOf(grace)).toMatchObject({
      emailVerified: false,
      firstName: 'Grace',
      lastName: 'Hopper',
      passwordHashType: 'bcrypt',
      metadata: { 'user.plan': 'team, "annual"' },
    });
  });

  it('imports an OAuth-only user without a password, noted, with the metadata that fits', () => {
    // 8 metadata keys beside the names, for 6 places (10 − 2 tool keys − providers − source_id).
    expect(userOf(alan)).toMatchObject({
      emailVerified: true,
      firstName: 'Alan',
      lastName: 'Turing',
      note: 'password_reset_required:no_password_hash;metadata_not_imported:2',
    });
    expect(Object.keys(userOf(alan).metadata ?? {})).toHaveLength(6);
    expect(userOf(alan).passwordHash).toBeUndefined();
  });

  it('rejects a user without email as missing_email', () => {
    expect(phoneOnly).toEqual({
      kind: 'rejected',
      reason: 'missing_email',
      sourceId: '6c4e5f7a-8b9c-4d0e-1f2a-3b4c5d6e7f8a',
    });
  });

  it('leaves a three-word full name unsplit', () => {
    expect(userOf(katherine).firstName).toBeUndefined();
    expect(userOf(katherine).lastName).toBeUndefined();
  });

  it('maps every user to a message the queue accepts', () => {
    for (const parsed of [ada, grace, alan, katherine]) {
      const user = userOf(parsed);
      expect(importUserSchema.parse(user)).toEqual(user);
    }
  });
});

describe('Function: createSupabaseUserMapper() field rules', () => {
  const base = { id: 'u-1', email: 'a@example.com' };

  it.each([
    ['a timestamp', '2024-01-01 00:00:00+00', true],
    ['an empty cell (NULL in CSV)', '', false],
    ['null (JSON)', null, false],
  ])('reads email_confirmed_at as %s', (_, value, expected) => {
    expect(userOf(mapSupabase({ ...base, email_confirmed_at: value })).emailVerified).toBe(
      expected,
    );
  });

  it('prefers full_name to name', () => {
    const user = userOf(
      mapSupabase({ ...base, raw_user_meta_data: { full_name: 'Ada Lovelace', name: 'ada' } }),
    );
    expect(user).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace' });
  });

  it('counts an unreadable raw_user_meta_data instead of failing the user', () => {
    expect(userOf(mapSupabase({ ...base, raw_user_meta_data: '{oops' })).note).toBe(
      'password_reset_required:no_password_hash;metadata_not_imported:1',
    );
  });

  it('records the providers of raw_app_meta_data', () => {
    const user = userOf(
      mapSupabase({
        ...base,
        raw_app_meta_data: '{"provider":"email","providers":["email","google"]}',
      }),
    );
    expect(user.metadata).toEqual({ supabase_providers: 'email,google' });
  });

  it('notes a reset for a password that is not a WorkOS hash', () => {
    expect(userOf(mapSupabase({ ...base, encrypted_password: 'plain-text?' })).note).toBe(
      'password_reset_required:unsupported_hash',
    );
  });

  it('rejects a row without id', () => {
    expect(mapSupabase({ email: 'a@example.com' })).toEqual({
      kind: 'rejected',
      reason: 'missing_user_id',
    });
  });
});
