import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import {
  detectOtherSource,
  type OtherSourceName,
  otherSourceFormats,
} from '../../../src/sources/other-formats.ts';
import { firebasePublished } from '../../fixtures/sources/known-password-hashes.ts';
import { csvFixture, jsonFixture, ndjsonFixture } from '../../fixtures/sources/read-fixture.ts';

/** The first record of every fixture, as the splitter would hand it to `detect`. */
const firstRecords: [string, Record<string, unknown>, OtherSourceName][] = [
  ['generic CSV', csvFixture('generic/users.csv')[0] ?? {}, 'generic'],
  ['WorkOS upload template', csvFixture('generic/workos-template.csv')[0] ?? {}, 'generic'],
  ['generic NDJSON', ndjsonFixture('generic/users.ndjson')[0] ?? {}, 'generic'],
  ['Firebase auth:export', jsonFixture('firebase/users.json', 'users')[0] ?? {}, 'firebase'],
  ['Clerk dashboard CSV', csvFixture('clerk/users.csv')[0] ?? {}, 'clerk'],
  ['Cognito ListUsers', jsonFixture('cognito/list-users.json', 'Users')[0] ?? {}, 'cognito'],
  ['Supabase CSV', csvFixture('supabase/users.csv')[0] ?? {}, 'supabase'],
  ['Supabase JSON', jsonFixture('supabase/users.json')[0] ?? {}, 'supabase'],
];

describe('Function: detectOtherSource()', () => {
  it.each(firstRecords)('recognises the %s', (_, fields, expected) => {
    expect(detectOtherSource(fields)).toBe(expected);
  });

  it.each(firstRecords)('has exactly one format claim the %s', (_, fields) => {
    const claims = Object.entries(otherSourceFormats).filter(([, format]) => format.detect(fields));
    expect(claims).toHaveLength(1);
  });

  it.each([
    ['a CSV of emails alone', { email: 'a@example.com' }],
    ['an empty record', {}],
  ])('recognises nothing in %s', (_, fields) => {
    expect(detectOtherSource(fields)).toBeUndefined();
  });

  it('takes an Auth0 line for the generic layout (user_id is a template column): Auth0 goes first', () => {
    const auth0Line = { user_id: 'auth0|1', email: 'a@example.com', email_verified: true };
    expect(detectOtherSource(auth0Line)).toBe('generic');
  });
});

describe('Constant: otherSourceFormats', () => {
  it.each([
    ['firebase', 'json-array', 'users'],
    ['cognito', 'any', 'Users'],
    ['clerk', 'csv', undefined],
    ['supabase', 'any', undefined],
    ['generic', 'any', undefined],
  ] as const)('lays out %s exports as %s (records under %s)', (name, layoutHint, recordsKey) => {
    const format: { layoutHint: string; jsonRecordsKey?: string } = otherSourceFormats[name];
    expect(format.layoutHint).toBe(layoutHint);
    expect(format.jsonRecordsKey).toBe(recordsKey);
  });

  it('imports Firebase users without passwords when the job has no hash parameters', () => {
    const mapper = otherSourceFormats.firebase.createMapper({});
    const first = jsonFixture('firebase/users.json', 'users')[0] ?? {};
    const parsed = mapper(first);
    expect(parsed).toMatchObject({
      kind: 'user',
      user: { note: 'password_reset_required:missing_hash_parameters' },
    });
    expect(parsed?.kind === 'user' && parsed.user.passwordHash).toBeUndefined();
  });

  it("hands the job's Firebase parameters to the mapper", () => {
    const mapper = otherSourceFormats.firebase.createMapper({
      firebase: firebasePublished.parameters,
    });
    const first = jsonFixture('firebase/users.json', 'users')[0] ?? {};
    expect(mapper(first)).toMatchObject({
      kind: 'user',
      user: { passwordHash: firebasePublished.phc, passwordHashType: 'firebase-scrypt' },
    });
  });

  it('fails at creation, not per record, on wrong Firebase parameters', () => {
    expect(() =>
      otherSourceFormats.firebase.createMapper({
        firebase: { ...firebasePublished.parameters, rounds: 0 },
      }),
    ).toThrow(ConfigError);
  });

  it.each([
    ['firebase', jsonFixture('firebase/users.json', 'users'), 'fbDisabled0004'],
    [
      'cognito',
      jsonFixture('cognito/list-users.json', 'Users'),
      'c0a8f1d2-3b4c-4d5e-8f90-a1b2c3d4e5f6',
    ],
  ] as const)('passes importBlockedUsers to the %s mapper', (name, records, sourceId) => {
    const record =
      records.find(
        (candidate) => candidate.localId === sourceId || candidate.Username === sourceId,
      ) ?? {};
    const strict = otherSourceFormats[name].createMapper({
      firebase: firebasePublished.parameters,
    });
    const lenient = otherSourceFormats[name].createMapper({
      firebase: firebasePublished.parameters,
      importBlockedUsers: true,
    });
    expect(strict(record)).toMatchObject({ kind: 'rejected', reason: 'blocked' });
    expect(lenient(record)).toMatchObject({ kind: 'user', user: { sourceId } });
  });
});
