import { describe, expect, it } from 'vitest';
import { createAuth0LineParser, parseAuth0UserLine } from '../../../../src/sources/auth0/users.ts';
import { fitMetadata, workosMetadataLimits } from '../../../../src/sources/user-metadata.ts';

function userOf(record: Record<string, unknown>) {
  const parsed = parseAuth0UserLine(
    JSON.stringify({ user_id: 'auth0|1', email: 'a@example.com', ...record }),
  );
  if (parsed?.kind !== 'user') throw new Error(`expected a user, got ${JSON.stringify(parsed)}`);
  return parsed.user;
}

describe('Auth0 metadata mapping', () => {
  it('records the provider and connection of a social user, who is created without a password', () => {
    const user = userOf({
      user_id: 'google-oauth2|1234567890',
      identities: [{ provider: 'google-oauth2', connection: 'google-oauth2', isSocial: true }],
    });
    expect(user.metadata).toEqual({
      auth0_provider: 'google-oauth2',
      auth0_connection: 'google-oauth2',
    });
    expect(user.passwordHash).toBeUndefined();
  });

  it('falls back to the user id prefix for the provider when identities are not exported', () => {
    expect(userOf({ user_id: 'samlp|acme|ada' }).metadata).toEqual({ auth0_provider: 'samlp' });
  });

  it('keeps an over-long user id in metadata beside its deterministic external id', () => {
    const longId = `samlp|enterprise-connection|${'x'.repeat(60)}@example.com`;
    const user = userOf({ user_id: longId });
    expect(user.externalId).toMatch(/^sha256:[0-9a-f]{48}$/);
    expect(user.metadata?.source_id).toBe(longId);
  });

  it('maps app_metadata and user_metadata within WorkOS limits and reports what does not fit, never failing', () => {
    const user = userOf({
      app_metadata: { plan: 'pro', seats: 12, flags: { beta: true }, huge: 'x'.repeat(700) },
      user_metadata: { locale: 'en', city: 'Zürich', a: '1', b: '2', c: '3' },
    });
    expect(user.metadata).toEqual({
      auth0_provider: 'auth0',
      'app.plan': 'pro',
      'app.seats': '12',
      'app.flags': '{"beta":true}',
      'user.locale': 'en',
      'user.a': '1',
    });
    // huge (too long), city (not ASCII), b and c (no room left): four keys reported by count.
    expect(user.note).toBe('metadata_not_imported:4');
    const pairs = Object.keys(user.metadata ?? {}).length + 2; // + import_source, import_digest
    expect(pairs).toBeLessThanOrEqual(workosMetadataLimits.maxPairs);
  });

  it('ignores metadata that is not an object, and __proto__ keys pollute nothing', () => {
    const user = userOf({
      app_metadata: ['not', 'an', 'object'],
      user_metadata: JSON.parse('{"__proto__":{"polluted":"yes"}}'),
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(user.metadata).toEqual({
      auth0_provider: 'auth0',
      'user.__proto__': '{"polluted":"yes"}',
    });
  });
});

describe('Function: fitMetadata()', () => {
  it.each([
    ['a key over 40 characters', ['k'.repeat(41), 'v']],
    ['a value over 600 characters', ['k', 'v'.repeat(601)]],
    ['a non-ASCII value', ['k', 'café']],
    ['a non-ASCII key', ['clé', 'v']],
    ['a value with a control character', ['k', 'a\tb']],
    ['a value with DEL', ['k', 'a\u007f']],
    ['a key with a line break', ['k\n', 'v']],
  ] as const)('drops %s', (_, pair) => {
    expect(fitMetadata([[pair[0], pair[1]]], 5)).toEqual({
      metadata: {},
      dropped: [expect.any(String)],
    });
  });

  it('keeps a key named __proto__ as a plain key, without touching any prototype', () => {
    const { metadata } = fitMetadata([['__proto__', 'x']], 5);
    expect(Object.keys(metadata)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype);
  });

  it('keeps every printable ASCII character, space and tilde included', () => {
    const printable = Array.from({ length: 0x7f - 0x20 }, (_, index) =>
      String.fromCharCode(0x20 + index),
    ).join('');
    expect(fitMetadata([['k', printable]], 5)).toEqual({ metadata: { k: printable }, dropped: [] });
  });

  it('keeps pairs in the order given until the room is full', () => {
    expect(
      fitMetadata(
        [
          ['a', '1'],
          ['b', '2'],
          ['c', '3'],
        ],
        2,
      ),
    ).toEqual({ metadata: { a: '1', b: '2' }, dropped: ['c'] });
  });
});

describe('Blocked Auth0 users', () => {
  const blocked = JSON.stringify({
    user_id: 'auth0|9',
    email: 'b@example.com',
    blocked: true,
    app_metadata: { x: 'é' },
  });

  it('are rejected as blocked by default, so they cannot sign in to WorkOS', () => {
    expect(createAuth0LineParser()(blocked)).toEqual({
      kind: 'rejected',
      reason: 'blocked',
      sourceId: 'auth0|9',
    });
  });

  it('are imported when the job opts in, and reported as blocked in the source', () => {
    expect(createAuth0LineParser({ importBlockedUsers: true })(blocked)).toMatchObject({
      kind: 'user',
      user: { sourceId: 'auth0|9', note: 'blocked_in_source;metadata_not_imported:1' },
    });
  });
});

describe('Auth0 users enrolled in MFA', () => {
  it.each([
    [['sms'], 'mfa_reenrolment_required'],
    [['guardian', 'google-authenticator'], 'mfa_reenrolment_required'],
    [[], undefined],
  ])('with multifactor %j are reported as %s', (multifactor, note) => {
    expect(userOf({ multifactor }).note).toBe(note);
  });
});
