import { describe, expect, it } from 'vitest';
import { importUserSchema } from '../../../src/model/import-message.ts';
import { createCognitoUserMapper } from '../../../src/sources/cognito-users.ts';
import type { ParsedRecord } from '../../../src/sources/parsed-record.ts';
import { jsonFixture } from '../../fixtures/sources/read-fixture.ts';

const exported = jsonFixture('cognito/list-users.json', 'Users');
const mapCognito = createCognitoUserMapper();

function fixtureUser(username: string): Record<string, unknown> {
  const record = exported.find((user) => user.Username === username);
  if (record === undefined) throw new Error(`no fixture user ${username}`);
  return record;
}

function userOf(parsed: ParsedRecord | undefined) {
  if (parsed?.kind !== 'user') throw new Error(`expected a user, got ${JSON.stringify(parsed)}`);
  return parsed.user;
}

function cognitoUser(attributes: Record<string, string>, fields: Record<string, unknown> = {}) {
  return {
    Username: 'u',
    Enabled: true,
    UserStatus: 'CONFIRMED',
    Attributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })),
    ...fields,
  };
}

describe('Function: createCognitoUserMapper()', () => {
  it('maps a ListUsers item, every user noted for a password reset', () => {
    expect(mapCognito(fixtureUser('22704aa3-fc10-479a-97eb-2af5806bd327'))).toEqual({
      kind: 'user',
      user: {
        sourceId: '22704aa3-fc10-479a-97eb-2af5806bd327',
        externalId: '22704aa3-fc10-479a-97eb-2af5806bd327',
        email: 'mary@example.com',
        emailVerified: true,
        firstName: 'Mickey',
        lastName: 'Mouse',
        source: 'cognito',
        metadata: { cognito_user_status: 'CONFIRMED', 'custom:tenant': 'acme' },
        note: 'password_reset_required:no_password_export',
      },
    });
  });

  it('takes an unconfirmed user as unverified, with names split from name', () => {
    expect(userOf(mapCognito(fixtureUser('minnie')))).toMatchObject({
      sourceId: '5f3c1c8e-0a4b-4d6e-9f11-0c1d2e3f4a5b',
      emailVerified: false,
      firstName: 'Minnie',
      lastName: 'Mouse',
      metadata: { cognito_user_status: 'UNCONFIRMED' },
    });
  });

  it('rejects a disabled user as blocked, or imports them noted when the job asks', () => {
    const record = fixtureUser('c0a8f1d2-3b4c-4d5e-8f90-a1b2c3d4e5f6');
    expect(mapCognito(record)).toEqual({
      kind: 'rejected',
      reason: 'blocked',
      sourceId: 'c0a8f1d2-3b4c-4d5e-8f90-a1b2c3d4e5f6',
    });
    expect(createCognitoUserMapper({ importBlockedUsers: true })(record)).toMatchObject({
      kind: 'user',
      user: { note: 'blocked_in_source;password_reset_required:no_password_export' },
    });
  });

  it('records an EXTERNAL_PROVIDER user as federated, with the identity provider', () => {
    expect(userOf(mapCognito(fixtureUser('Google_109876543210987654321')))).toMatchObject({
      sourceId: '9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d',
      emailVerified: false,
      firstName: 'Goofy',
      metadata: {
        cognito_user_status: 'EXTERNAL_PROVIDER',
        cognito_federated: 'true',
        cognito_provider: 'Google',
      },
    });
  });

  it('rejects a phone-only user as missing_email', () => {
    expect(mapCognito(fixtureUser('d1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a'))).toEqual({
      kind: 'rejected',
      reason: 'missing_email',
      sourceId: 'd1e2f3a4-b5c6-4d7e-8f9a-0b1c2d3e4f5a',
    });
  });

  it('keeps custom attributes while they fit, counts the rest, and notes SMS MFA', () => {
    // Act
    const user = userOf(mapCognito(fixtureUser('e2f3a4b5-c6d7-4e8f-9a0b-1c2d3e4f5a6b')));

    // Assess: 9 custom attributes for 4 places (10 − 2 tool keys − 4 Cognito keys): 4 too many
    // and 1 too long.
    expect(user.metadata).toEqual({
      cognito_user_status: 'RESET_REQUIRED',
      'custom:attr_0': 'v0',
      'custom:attr_1': 'v1',
      'custom:attr_2': 'v2',
      'custom:attr_3': 'v3',
    });
    expect(user.note).toBe(
      'mfa_reenrolment_required;password_reset_required:no_password_export;metadata_not_imported:5',
    );
  });

  it('falls back to Username without sub, keeping a long one in metadata', () => {
    const record = exported.find((user) => String(user.Username).length > 64) ?? {};
    const user = userOf(mapCognito(record));
    expect(user.sourceId).toBe(record.Username);
    expect(user.externalId).toMatch(/^sha256:[0-9a-f]{48}$/);
    expect(user.metadata).toMatchObject({
      source_id: record.Username,
      cognito_user_status: 'FORCE_CHANGE_PASSWORD',
    });
  });

  it.each([
    ['"true"', 'true', true],
    ['"false"', 'false', false],
    ['"True"', 'True', true],
    ['"yes"', 'yes', false],
  ])('reads email_verified %s as %j', (_, value, expected) => {
    const parsed = mapCognito(
      cognitoUser({ sub: 's', email: 'a@example.com', email_verified: value }),
    );
    expect(userOf(parsed).emailVerified).toBe(expected);
  });

  it('ignores attributes that are not name/value string pairs', () => {
    const parsed = mapCognito({
      Username: 'u',
      Attributes: [{ Name: 'email', Value: 'a@example.com' }, { Name: 'sub' }, null, 'x'],
    });
    expect(userOf(parsed).sourceId).toBe('u');
  });

  it('maps every fixture user to a message the queue accepts', () => {
    for (const record of exported) {
      const parsed = mapCognito(record);
      if (parsed?.kind === 'user') expect(importUserSchema.parse(parsed.user)).toEqual(parsed.user);
    }
  });

  it('rejects a user with neither sub nor Username', () => {
    expect(mapCognito({ Attributes: [] })).toEqual({ kind: 'rejected', reason: 'missing_user_id' });
  });
});
