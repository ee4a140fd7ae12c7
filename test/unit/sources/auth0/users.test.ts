import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { maxExternalIdLength } from '../../../../src/model/external-id.ts';
import { parseAuth0UserLine } from '../../../../src/sources/auth0/users.ts';
import { readExportLines } from '../../../../src/sources/formats/ndjson-lines.ts';

/** One user as the Auth0 Management API's users-exports job writes it. */
const exportedUser = {
  user_id: 'auth0|68c46cab7997cfbfb72cfca9',
  email: 'grace@example.com',
  email_verified: true,
  given_name: 'Grace',
  family_name: 'Hopper',
  created_at: '2020-01-01T00:01:00.000Z',
  identities: [{ connection: 'Username-Password-Authentication', provider: 'auth0' }],
  logins_count: 1,
};

function lineOf(record: Record<string, unknown>): string {
  return JSON.stringify(record);
}

describe('Function: parseAuth0UserLine()', () => {
  it('maps a full Auth0 record to an import user', () => {
    // Prepare
    const text = lineOf(exportedUser);

    // Act
    const parsed = parseAuth0UserLine(text);

    // Assess
    expect(parsed).toEqual({
      kind: 'user',
      user: {
        sourceId: 'auth0|68c46cab7997cfbfb72cfca9',
        externalId: 'auth0|68c46cab7997cfbfb72cfca9',
        email: 'grace@example.com',
        emailVerified: true,
        firstName: 'Grace',
        lastName: 'Hopper',
        source: 'auth0',
        metadata: {
          auth0_provider: 'auth0',
          auth0_connection: 'Username-Password-Authentication',
        },
      },
    });
  });

  it.each([
    { variant: 'true', emailVerified: true, expected: true },
    { variant: 'false', emailVerified: false, expected: false },
    { variant: 'absent', emailVerified: undefined, expected: false },
    { variant: 'the string "true"', emailVerified: 'true', expected: false },
    { variant: 'the number 1', emailVerified: 1, expected: false },
    { variant: 'null', emailVerified: null, expected: false },
  ])(
    'takes email_verified exactly as exported when it is $variant',
    ({ emailVerified, expected }) => {
      // Prepare
      const text = lineOf({ ...exportedUser, email_verified: emailVerified });

      // Act
      const parsed = parseAuth0UserLine(text);

      // Assess
      expect(parsed).toMatchObject({ kind: 'user', user: { emailVerified: expected } });
    },
  );

  it('trims the names, user id and email', () => {
    // Prepare
    const text = lineOf({
      ...exportedUser,
      user_id: '  auth0|abc ',
      email: ' grace@example.com\t',
      given_name: '  Grace ',
      family_name: '\tHopper  ',
    });

    // Act
    const parsed = parseAuth0UserLine(text);

    // Assess
    expect(parsed).toMatchObject({
      kind: 'user',
      user: {
        sourceId: 'auth0|abc',
        externalId: 'auth0|abc',
        email: 'grace@example.com',
        firstName: 'Grace',
        lastName: 'Hopper',
      },
    });
  });

  it.each([
    { variant: 'absent', given: undefined, family: undefined },
    { variant: 'blank', given: '   ', family: '' },
    { variant: 'not strings', given: 42, family: { first: 'x' } },
  ])('leaves out first and last names that are $variant', ({ given, family }) => {
    // Prepare
    const text = lineOf({ ...exportedUser, given_name: given, family_name: family });

    // Act
    const parsed = parseAuth0UserLine(text);

    // Assess
    expect(parsed?.kind).toBe('user');
    if (parsed?.kind !== 'user') return;
    expect(parsed.user).not.toHaveProperty('firstName');
    expect(parsed.user).not.toHaveProperty('lastName');
  });

  it('derives a deterministic sha256 external id of at most 64 characters from a long user id', () => {
    // Prepare
    const longUserId = `samlp|enterprise-connection|${'very.long.name'.repeat(5)}@example.com`;
    const text = lineOf({ ...exportedUser, user_id: longUserId });

    // Act
    const first = parseAuth0UserLine(text);
    const second = parseAuth0UserLine(text);

    // Assess
    expect(longUserId.length).toBeGreaterThan(maxExternalIdLength);
    expect(first?.kind).toBe('user');
    if (first?.kind !== 'user') return;
    expect(first.user.sourceId).toBe(longUserId);
    expect(first.user.externalId).toMatch(/^sha256:[0-9a-f]+$/);
    expect(first.user.externalId.length).toBeLessThanOrEqual(maxExternalIdLength);
    expect(second).toEqual(first);
  });

  it.each([
    { variant: 'a blank line', text: '' },
    { variant: 'a line of spaces', text: '   ' },
    { variant: 'a line of tabs and a carriage return', text: '\t\t\r' },
  ])('returns undefined for $variant', ({ text }) => {
    // Act
    const parsed = parseAuth0UserLine(text);

    // Assess
    expect(parsed).toBeUndefined();
  });

  it.each([
    { variant: 'not JSON', text: 'user_id,email', expected: { reason: 'invalid_json' } },
    {
      variant: 'truncated JSON',
      text: '{"user_id":"auth0|1",',
      expected: { reason: 'invalid_json' },
    },
    {
      variant: 'a JSON array',
      text: '[{"user_id":"auth0|1"}]',
      expected: { reason: 'not_an_object' },
    },
    { variant: 'a JSON number', text: '42', expected: { reason: 'not_an_object' } },
    { variant: 'a JSON string', text: '"auth0|1"', expected: { reason: 'not_an_object' } },
    { variant: 'JSON null', text: 'null', expected: { reason: 'not_an_object' } },
    {
      variant: 'a record without user_id',
      text: lineOf({ ...exportedUser, user_id: undefined }),
      expected: { reason: 'missing_user_id' },
    },
    {
      variant: 'a record with a blank user_id',
      text: lineOf({ ...exportedUser, user_id: '  ' }),
      expected: { reason: 'missing_user_id' },
    },
    {
      variant: 'a record with a numeric user_id',
      text: lineOf({ ...exportedUser, user_id: 12345 }),
      expected: { reason: 'missing_user_id' },
    },
    {
      variant: 'a record without email',
      text: lineOf({ ...exportedUser, email: undefined }),
      expected: { reason: 'missing_email', sourceId: exportedUser.user_id },
    },
    {
      variant: 'a record with a blank email',
      text: lineOf({ ...exportedUser, email: ' ' }),
      expected: { reason: 'missing_email', sourceId: exportedUser.user_id },
    },
    {
      variant: 'a record with an email lacking @',
      text: lineOf({ ...exportedUser, email: 'grace.example.com' }),
      expected: { reason: 'invalid_email', sourceId: exportedUser.user_id },
    },
    {
      variant: 'a record with an email containing a space',
      text: lineOf({ ...exportedUser, email: 'grace hopper@example.com' }),
      expected: { reason: 'invalid_email', sourceId: exportedUser.user_id },
    },
    {
      variant: 'a record with an email longer than 320 characters',
      text: lineOf({ ...exportedUser, email: `${'g'.repeat(310)}@example.com` }),
      expected: { reason: 'invalid_email', sourceId: exportedUser.user_id },
    },
    {
      variant: 'a blocked user',
      text: lineOf({ ...exportedUser, blocked: true }),
      expected: { reason: 'blocked', sourceId: exportedUser.user_id },
    },
    {
      variant: 'a blocked user without an email',
      text: lineOf({ ...exportedUser, blocked: true, email: undefined }),
      expected: { reason: 'blocked', sourceId: exportedUser.user_id },
    },
  ])('rejects $variant with reason $expected.reason', ({ text, expected }) => {
    // Act
    const parsed = parseAuth0UserLine(text);

    // Assess
    expect(parsed).toEqual({ kind: 'rejected', ...expected });
  });

  it('imports a user whose blocked flag is false', () => {
    // Prepare
    const text = lineOf({ ...exportedUser, blocked: false });

    // Act
    const parsed = parseAuth0UserLine(text);

    // Assess
    expect(parsed?.kind).toBe('user');
  });

  it('does not let a __proto__ key pollute Object.prototype or supply fields', () => {
    // Prepare
    const text =
      '{"__proto__":{"polluted":true,"user_id":"auth0|evil","email":"evil@example.com"},' +
      '"constructor":{"prototype":{"polluted":true}}}';

    // Act
    const parsed = parseAuth0UserLine(text);

    // Assess
    expect(parsed).toEqual({ kind: 'rejected', reason: 'missing_user_id' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('ignores a __proto__ key next to a valid record', () => {
    // Prepare
    const text = `{"__proto__":{"blocked":true},${lineOf(exportedUser).slice(1)}`;

    // Act
    const parsed = parseAuth0UserLine(text);

    // Assess
    expect(parsed).toMatchObject({ kind: 'user', user: { sourceId: exportedUser.user_id } });
    expect(Object.prototype).not.toHaveProperty('blocked');
  });
});

describe('Function: readExportLines() with parseAuth0UserLine()', () => {
  it('numbers blank lines like an editor but parses no record from them', async () => {
    // Prepare
    const text = `${lineOf(exportedUser)}\n\n   \n${lineOf({ ...exportedUser, user_id: 'auth0|2' })}\n`;
    const input = Readable.from([Buffer.from(text)]);

    // Act
    const parsed: { line: number; record: unknown }[] = [];
    for await (const { line, text: lineText } of readExportLines(input)) {
      parsed.push({ line, record: parseAuth0UserLine(lineText) });
    }

    // Assess
    expect(parsed.map(({ line, record }) => [line, record === undefined])).toEqual([
      [1, false],
      [2, true],
      [3, true],
      [4, false],
    ]);
    expect(parsed[3]?.record).toMatchObject({ kind: 'user', user: { sourceId: 'auth0|2' } });
  });
});
