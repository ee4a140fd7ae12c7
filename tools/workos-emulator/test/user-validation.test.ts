import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { EmulatorHttpError } from '../src/http.ts';
import { mergeMetadata, parseNewUser, parseUserChanges } from '../src/user-validation.ts';

const validBcrypt = bcrypt.hashSync('secret', 4);

function errorCodesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (!(error instanceof EmulatorHttpError)) throw error;
    expect(error.status).toBe(422);
    expect(error.body).toMatchObject({
      message: 'Validation failed',
      code: 'invalid_request_parameters',
    });
    return (error.body.errors as { code: string }[]).map((issue) => issue.code);
  }
  throw new Error('expected a validation error');
}

const tooManyKeys = Object.fromEntries(
  Array.from({ length: 11 }, (_, index) => [`k${index}`, 'v']),
);

describe('parseNewUser', () => {
  it.each([
    { case: 'missing email', body: { email: undefined }, code: 'email_string_required' },
    { case: 'empty email', body: { email: '  ' }, code: 'email_string_required' },
    { case: 'non-string email', body: { email: 42 }, code: 'email_string_required' },
    { case: 'malformed email', body: { email: 'no-at-sign' }, code: 'email_invalid' },
    {
      case: 'external id over 64',
      body: { external_id: 'x'.repeat(65) },
      code: 'external_id_too_long',
    },
    {
      case: 'metadata over 10 keys',
      body: { metadata: tooManyKeys },
      code: 'metadata_too_many_keys',
    },
    {
      case: 'metadata key over 40',
      body: { metadata: { ['k'.repeat(41)]: 'v' } },
      code: 'metadata_key_invalid',
    },
    {
      case: 'metadata value over 600',
      body: { metadata: { k: 'v'.repeat(601) } },
      code: 'metadata_value_invalid',
    },
    {
      case: 'metadata value not a string',
      body: { metadata: { k: 1 } },
      code: 'metadata_value_invalid',
    },
    {
      case: 'metadata value not ASCII',
      body: { metadata: { k: 'café' } },
      code: 'metadata_value_invalid',
    },
    {
      case: 'password with password_hash',
      body: { password: 'pw', password_hash: validBcrypt, password_hash_type: 'bcrypt' },
      code: 'password_and_password_hash_mutually_exclusive',
    },
    {
      case: 'hash without a type',
      body: { password_hash: validBcrypt },
      code: 'password_hash_type_invalid',
    },
    {
      case: 'unsupported hash type',
      body: { password_hash: 'abc', password_hash_type: 'md5' },
      code: 'password_hash_type_invalid',
    },
    {
      case: 'type without a hash',
      body: { password_hash_type: 'bcrypt' },
      code: 'password_hash_required',
    },
    {
      case: 'bcrypt hash that is not bcrypt',
      body: { password_hash: 'not-a-bcrypt-hash', password_hash_type: 'bcrypt' },
      code: 'password_hash_invalid',
    },
    {
      case: 'bcrypt hash one character short',
      body: { password_hash: validBcrypt.slice(0, -1), password_hash_type: 'bcrypt' },
      code: 'password_hash_invalid',
    },
    {
      case: 'bcrypt hash with a one-digit cost',
      body: { password_hash: validBcrypt.replace('$04$', '$4$'), password_hash_type: 'bcrypt' },
      code: 'password_hash_invalid',
    },
  ])('refuses $case with $code', ({ body, code }) => {
    expect(errorCodesOf(() => parseNewUser({ email: 'ada@example.test', ...body }))).toContain(
      code,
    );
  });

  it.each(['$2a$', '$2b$', '$2y$'])('accepts a bcrypt hash with the %s prefix', (prefix) => {
    const hash = `${prefix}${validBcrypt.slice(4)}`;
    const input = parseNewUser({
      email: 'ada@example.test',
      password_hash: hash,
      password_hash_type: 'bcrypt',
    });
    expect(input.password).toEqual({ kind: 'password_hash', hash, hashType: 'bcrypt' });
  });

  it('defaults what was left out the way WorkOS does', () => {
    expect(parseNewUser({ email: 'ada@example.test' })).toEqual({
      email: 'ada@example.test',
      emailVerified: false,
      firstName: null,
      lastName: null,
      name: null,
      externalId: null,
      metadata: {},
      password: null,
    });
  });

  it('lists every problem at once', () => {
    expect(errorCodesOf(() => parseNewUser({ external_id: 'x'.repeat(65) }))).toEqual([
      'email_string_required',
      'external_id_too_long',
    ]);
  });
});

describe('parseUserChanges', () => {
  it('returns only the fields the request carried', () => {
    expect(parseUserChanges({ first_name: 'Ada' })).toEqual({ firstName: 'Ada' });
  });

  it('keeps null metadata values as deletions', () => {
    expect(parseUserChanges({ metadata: { keep: 'x', drop: null } }).metadataPatch).toEqual({
      keep: 'x',
      drop: null,
    });
  });

  it('refuses an invalid email on update', () => {
    expect(errorCodesOf(() => parseUserChanges({ email: '' }))).toEqual(['email_string_required']);
  });
});

describe('mergeMetadata', () => {
  it('sets new values, overwrites existing ones and deletes keys set to null', () => {
    expect(mergeMetadata({ a: '1', b: '2' }, { b: '3', a: null, c: '4' })).toEqual({
      b: '3',
      c: '4',
    });
  });
});
