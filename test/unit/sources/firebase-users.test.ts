import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { importUserSchema } from '../../../src/model/import-message.ts';
import {
  createFirebaseUserMapper,
  type FirebaseHashParameters,
} from '../../../src/sources/firebase-users.ts';
import type { ParsedRecord } from '../../../src/sources/parsed-record.ts';
import { passwordVerifiers } from '../../../tools/workos-emulator/src/password-verifiers.ts';
import {
  firebasePublished,
  firebaseUserHash,
  knownPassword,
} from '../../fixtures/sources/known-password-hashes.ts';
import { jsonFixture } from '../../fixtures/sources/read-fixture.ts';

const exported = jsonFixture('firebase/users.json', 'users');
const mapFirebase = createFirebaseUserMapper(firebasePublished.parameters);

function fixtureUser(localId: string): Record<string, unknown> {
  const record = exported.find((user) => user.localId === localId);
  if (record === undefined) throw new Error(`no fixture user ${localId}`);
  return record;
}

function userOf(parsed: ParsedRecord | undefined) {
  if (parsed?.kind !== 'user') throw new Error(`expected a user, got ${JSON.stringify(parsed)}`);
  return parsed.user;
}

describe('Function: createFirebaseUserMapper()', () => {
  it("encodes Firebase's published test user exactly, and the emulator signs them in", async () => {
    // Act
    const user = userOf(mapFirebase(fixtureUser('fbPublished0001')));

    // Assess
    expect(user).toEqual({
      sourceId: 'fbPublished0001',
      externalId: 'fbPublished0001',
      email: 'user1@example.com',
      emailVerified: true,
      firstName: 'User',
      lastName: 'One',
      passwordHash: firebasePublished.phc,
      passwordHashType: 'firebase-scrypt',
      source: 'firebase',
      metadata: { firebase_providers: 'password' },
    });
    const verify = passwordVerifiers['firebase-scrypt'];
    await expect(verify(firebasePublished.password, user.passwordHash ?? '')).resolves.toBe(true);
    await expect(verify('user1Password', user.passwordHash ?? '')).resolves.toBe(false);
  });

  it('normalises URL-safe base64 (Admin SDK exports) to the same PHC string', async () => {
    // Prepare
    const urlSafe = (text: string) => text.replaceAll('+', '-').replaceAll('/', '_');
    const record = {
      ...fixtureUser('fbPublished0001'),
      passwordHash: urlSafe(firebasePublished.passwordHash),
      salt: urlSafe(firebasePublished.salt).replace(/=+$/, ''),
    };

    // Act
    const user = userOf(mapFirebase(record));

    // Assess
    expect(user.passwordHash).toBe(firebasePublished.phc);
  });

  it('signs in a user of the fixture whose URL-safe hash was made with the published parameters', async () => {
    const user = userOf(mapFirebase(fixtureUser('fbUrlSafe0002')));
    const verify = passwordVerifiers['firebase-scrypt'];
    expect(user).toMatchObject({ emailVerified: false, passwordHashType: 'firebase-scrypt' });
    await expect(verify(knownPassword, user.passwordHash ?? '')).resolves.toBe(true);
    await expect(verify(`${knownPassword} `, user.passwordHash ?? '')).resolves.toBe(false);
  });

  it.each<[string, ParsedRecord | Record<string, unknown>]>([
    ['fbPhoneOnly0003', { kind: 'rejected', reason: 'missing_email', sourceId: 'fbPhoneOnly0003' }],
    ['fbDisabled0004', { kind: 'rejected', reason: 'blocked', sourceId: 'fbDisabled0004' }],
    [
      'fbMfa0006',
      {
        kind: 'user',
        user: { note: 'mfa_reenrolment_required', passwordHashType: 'firebase-scrypt' },
      },
    ],
    [
      'fbNoSalt0008',
      { kind: 'user', user: { note: 'password_reset_required:unsupported_hash_format' } },
    ],
  ])('maps the fixture user %s', (localId, expected) => {
    expect(mapFirebase(fixtureUser(localId))).toMatchObject(expected);
  });

  it('imports a Google-only user without a password and without a reset note', () => {
    const user = userOf(mapFirebase(fixtureUser('fbGoogle0005')));
    expect(user).toEqual({
      sourceId: 'fbGoogle0005',
      externalId: 'fbGoogle0005',
      email: 'grace@example.org',
      emailVerified: true,
      source: 'firebase',
      metadata: { firebase_providers: 'google.com' },
    });
  });

  it('keeps a long id in metadata and counts the custom claims that do not fit', () => {
    // Prepare
    const record = exported.find((user) => String(user.localId).length > 64) ?? {};

    // Act
    const user = userOf(mapFirebase(record));

    // Assess: 10 claims for 6 places (10 − 2 tool keys − provider − source_id): 3 too many and
    // 1 too long.
    expect(user.externalId).toMatch(/^sha256:[0-9a-f]{48}$/);
    expect(user.metadata).toMatchObject({
      source_id: record.localId,
      firebase_providers: 'password',
    });
    expect(Object.keys(user.metadata ?? {})).toHaveLength(8);
    expect(user.note).toBe('password_reset_required:no_password_hash;metadata_not_imported:4');
  });

  it('imports disabled users when asked, noted blocked_in_source', () => {
    const mapper = createFirebaseUserMapper(firebasePublished.parameters, {
      importDisabledUsers: true,
    });
    expect(mapper(fixtureUser('fbDisabled0004'))).toMatchObject({
      kind: 'user',
      user: { note: 'blocked_in_source', passwordHashType: 'firebase-scrypt' },
    });
  });

  it('imports users without passwords when the job has no hash parameters', () => {
    const parsed = createFirebaseUserMapper()(fixtureUser('fbPublished0001'));
    expect(parsed).toMatchObject({
      kind: 'user',
      user: { note: 'password_reset_required:missing_hash_parameters' },
    });
    expect(userOf(parsed).passwordHash).toBeUndefined();
  });

  it('maps every fixture user to a message the queue accepts', () => {
    for (const record of exported) {
      const parsed = mapFirebase(record);
      if (parsed?.kind === 'user') expect(importUserSchema.parse(parsed.user)).toEqual(parsed.user);
    }
  });

  it('signs in with a hash made under other project parameters when the job gives them', async () => {
    // Prepare
    const parameters = {
      signerKey: 'c2lnbmVyLWtleS1vZi1hbm90aGVyLXByb2plY3Q=',
      saltSeparator: 'AQ==',
      rounds: 4,
      memoryCost: 10,
    };
    const hash = firebaseUserHash('pässwörd', parameters);

    // Act
    const user = userOf(
      createFirebaseUserMapper(parameters)({ localId: 'u1', email: 'a@example.com', ...hash }),
    );

    // Assess
    expect(user.passwordHash).toMatch(/^\$firebase-scrypt\$sk=[^,]+,ss=AQ,r=4,m=10\$/);
    await expect(
      passwordVerifiers['firebase-scrypt']('pässwörd', user.passwordHash ?? ''),
    ).resolves.toBe(true);
  });

  it.each([
    ['the one-word display name', 'Cher', {}],
    ['three words', 'Grace Brewster Hopper', {}],
    ['an email', 'grace@example.org', {}],
    ['two words', 'Grace Hopper', { firstName: 'Grace', lastName: 'Hopper' }],
  ])('splits displayName only when unambiguous: %s', (_, displayName, expected) => {
    const user = userOf(mapFirebase({ localId: 'u1', email: 'a@example.com', displayName }));
    expect({ firstName: user.firstName, lastName: user.lastName }).toEqual({
      firstName: undefined,
      lastName: undefined,
      ...expected,
    });
  });

  it.each([
    ['emailVerified as a string', { emailVerified: 'true' }, false],
    ['emailVerified absent', {}, false],
  ])('takes %s exactly as exported', (_, fields, expected) => {
    expect(
      userOf(mapFirebase({ localId: 'u1', email: 'a@example.com', ...fields })).emailVerified,
    ).toBe(expected);
  });

  it('rejects a user without localId', () => {
    expect(mapFirebase({ email: 'a@example.com' })).toEqual({
      kind: 'rejected',
      reason: 'missing_user_id',
    });
  });
});

describe('Function: createFirebaseUserMapper() parameter validation', () => {
  const valid = firebasePublished.parameters;

  it.each<[string, Record<string, unknown>, string]>([
    ['a signer key that is not base64', { signerKey: 'not base64!' }, 'signerKey'],
    ['an empty salt separator', { saltSeparator: '' }, 'saltSeparator'],
    ['rounds of 0', { rounds: 0 }, 'rounds'],
    ['rounds above 8', { rounds: 9 }, 'rounds'],
    ['a memory cost above 14', { memoryCost: 15 }, 'memoryCost'],
    ['a memory cost given as text', { memoryCost: '14' }, 'memoryCost'],
  ])('refuses %s, naming the field and never the key', (_, change, field) => {
    const parameters = { ...valid, ...change } as unknown as FirebaseHashParameters;
    let thrown: unknown;
    try {
      createFirebaseUserMapper(parameters);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as Error).message).toContain(field);
    expect((thrown as Error).message).not.toContain(valid.signerKey.slice(0, 12));
  });
});
