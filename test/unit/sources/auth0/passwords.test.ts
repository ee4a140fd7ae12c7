import { describe, expect, it } from 'vitest';
import { parseAuth0UserLine } from '../../../../src/sources/auth0/users.ts';

const bcrypt = '$2b$10$.qHPp/srqo1NAAAAAvlkmOdqAbH2Rg0qPv2Txj3ZwXfjJnewSjc4m';

/** The example record of Auth0's "How to Use the Password Hashes Export" article. */
const referenceRecord = {
  _id: { $oid: '5dea9f9c82dd7c0e76e4ec93' },
  email_verified: false,
  email: 'user@example.com',
  passwordHash: bcrypt,
  password_set_date: { $date: '2019-12-06T18:36:12.412Z' },
  tenant: 'example-tenant-name',
  connection: 'Username-Password-Authentication',
  _tmp_is_unique: true,
  identifiers: [{ type: 'email', value: 'user@example.com', verified: false }],
};

function parse(record: Record<string, unknown>) {
  return parseAuth0UserLine(JSON.stringify(record));
}

describe('Function: parseAuth0UserLine() on the password-hash export', () => {
  it('joins on auth0| + _id.$oid when there is no alt_id, and imports a bcrypt hash exactly', () => {
    expect(parse(referenceRecord)).toEqual({
      kind: 'user',
      user: {
        sourceId: 'auth0|5dea9f9c82dd7c0e76e4ec93',
        externalId: 'auth0|5dea9f9c82dd7c0e76e4ec93',
        email: 'user@example.com',
        emailVerified: false,
        passwordHash: bcrypt,
        passwordHashType: 'bcrypt',
        source: 'auth0',
        // Under the same fixed keys the user export writes, so both files stay within 10 pairs.
        metadata: { auth0_connection: 'Username-Password-Authentication', auth0_provider: 'auth0' },
      },
    });
  });

  it('joins on auth0| + alt_id when present (custom-database users)', () => {
    const parsed = parse({ ...referenceRecord, alt_id: 'euclid' });
    expect(parsed).toMatchObject({
      kind: 'user',
      user: { sourceId: 'auth0|euclid', externalId: 'auth0|euclid' },
    });
  });

  it('reads email and verification from identifiers[] when the root fields are absent', () => {
    const { email: _, email_verified: __, ...withoutRoot } = referenceRecord;
    const parsed = parse({
      ...withoutRoot,
      identifiers: [
        { type: 'phone_number', value: '+15551234567', verified: true },
        { type: 'email', value: 'ada@example.com', verified: true },
      ],
    });
    expect(parsed).toMatchObject({
      kind: 'user',
      user: { email: 'ada@example.com', emailVerified: true },
    });
  });

  it('never upgrades verification: the root flag wins over identifiers and absent means unverified', () => {
    const rootFalse = parse({
      ...referenceRecord,
      identifiers: [{ type: 'email', value: 'user@example.com', verified: true }],
    });
    const { email_verified: _, ...noFlag } = referenceRecord;
    const nothing = parse({ ...noFlag, identifiers: [] });
    expect(rootFalse).toMatchObject({ user: { emailVerified: false } });
    expect(nothing).toMatchObject({ user: { emailVerified: false } });
  });

  it.each([
    ['$2a$', '$2a$10$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.'],
    ['$2y$', '$2y$12$fgPOubgdJs90F1GK2u.Qye7Xyyi2ajrQJoB5LDG5bnITEvFR/xhZ.'],
  ])('imports a %s bcrypt hash as bcrypt', (_, hash) => {
    expect(parse({ ...referenceRecord, passwordHash: hash })).toMatchObject({
      user: { passwordHash: hash, passwordHashType: 'bcrypt' },
    });
  });

  it.each([
    [
      'an md5 hex digest',
      '5f4dcc3b5aa765d61d8327deb882cf99',
      'password_reset_required:unsupported_hash',
    ],
    ['a truncated bcrypt', '$2b$10$tooshort', 'password_reset_required:unsupported_hash'],
    [
      'a pbkdf2 string',
      'pbkdf2_sha256$260000$salt$hash',
      'password_reset_required:unsupported_hash',
    ],
    ['no hash at all', undefined, 'password_reset_required:no_password_hash'],
  ])('imports a user whose hash is %s without a password, flagged for a reset', (_, hash, note) => {
    const parsed = parse({ ...referenceRecord, passwordHash: hash });
    expect(parsed).toMatchObject({ kind: 'user', user: { note } });
    expect(parsed?.kind === 'user' ? parsed.user.passwordHash : 'not a user').toBeUndefined();
  });

  it.each([
    ['no id at all', { ...referenceRecord, _id: {} }, 'missing_user_id'],
    [
      'no email anywhere',
      { ...referenceRecord, email: undefined, identifiers: [] },
      'missing_email',
    ],
    ['a malformed email', { ...referenceRecord, email: 'not-an-email' }, 'invalid_email'],
  ])('rejects a record with %s', (_, record, reason) => {
    expect(parse(record)).toMatchObject({ kind: 'rejected', reason });
  });
});

describe('Function: parseAuth0UserLine() name split', () => {
  it.each([
    ['two words', 'Ada Lovelace', { firstName: 'Ada', lastName: 'Lovelace' }],
    ['one word', 'Ada', {}],
    ['three words', 'Ada King Lovelace', {}],
    ['an email, as Auth0 fills in', 'ada@example.com', {}],
  ])('splits name only when it is unambiguous: %s', (_, name, expected) => {
    const parsed = parseAuth0UserLine(
      JSON.stringify({ user_id: 'auth0|1', email: 'ada@example.com', name }),
    );
    expect(
      parsed?.kind === 'user' && {
        firstName: parsed.user.firstName,
        lastName: parsed.user.lastName,
      },
    ).toEqual({
      firstName: undefined,
      lastName: undefined,
      ...expected,
    });
  });

  it('prefers given_name and family_name over name', () => {
    const parsed = parseAuth0UserLine(
      JSON.stringify({
        user_id: 'auth0|1',
        email: 'a@example.com',
        name: 'X Y',
        given_name: 'Ada',
      }),
    );
    expect(parsed).toMatchObject({ user: { firstName: 'Ada' } });
    expect(parsed?.kind === 'user' && parsed.user.lastName).toBeUndefined();
  });
});
