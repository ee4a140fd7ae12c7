import { describe, expect, it } from 'vitest';
import { apiKeyFromSecret } from '../../../lambdas/shared/workos-from-secret.ts';
import { ConfigError } from '../../../src/errors.ts';

const apiKey = 'sk_test_a1b2c3d4e5f6';

describe('Function: apiKeyFromSecret()', () => {
  it.each([
    { variant: 'the raw key', secret: apiKey },
    { variant: 'the raw key with surrounding whitespace', secret: `  ${apiKey}\n` },
    { variant: 'JSON with an apiKey field', secret: JSON.stringify({ apiKey }) },
    {
      variant: 'JSON with an apiKey field and others',
      secret: JSON.stringify({ apiKey, rotatedAt: '2025-01-01', note: 'prod' }),
    },
    { variant: 'JSON with leading whitespace', secret: `\n  ${JSON.stringify({ apiKey })}` },
    { variant: 'the raw key as binary', secret: new TextEncoder().encode(apiKey) },
    {
      variant: 'JSON as binary',
      secret: new TextEncoder().encode(JSON.stringify({ apiKey })),
    },
    { variant: 'the raw key in a Buffer', secret: Buffer.from(apiKey) },
  ])('reads the key from $variant', ({ secret }) => {
    // Act
    const key = apiKeyFromSecret(secret);

    // Assess
    expect(key).toBe(apiKey);
  });

  it.each([
    { variant: 'JSON without an apiKey field', secret: JSON.stringify({ key: apiKey }) },
    { variant: 'JSON whose apiKey is not a string', secret: JSON.stringify({ apiKey: 42 }) },
    { variant: 'JSON whose apiKey is null', secret: JSON.stringify({ apiKey: null }) },
    { variant: 'an empty JSON object', secret: '{}' },
    { variant: 'an empty string', secret: '' },
    { variant: 'only whitespace', secret: ' \n\t ' },
    { variant: 'an empty binary secret', secret: new Uint8Array() },
    { variant: 'undefined (no secret value)', secret: undefined },
    { variant: 'a number', secret: 42 },
  ])('throws a ConfigError for $variant', ({ secret }) => {
    // Act
    const reading = () => apiKeyFromSecret(secret);

    // Assess
    expect(reading).toThrow(ConfigError);
  });

  it.each([
    { variant: 'an empty apiKey', secret: JSON.stringify({ apiKey: '' }) },
    { variant: 'a blank apiKey', secret: JSON.stringify({ apiKey: '  ' }) },
  ])('throws a ConfigError for JSON with $variant', ({ secret }) => {
    // Act
    const reading = () => apiKeyFromSecret(secret);

    // Assess
    expect(reading).toThrow(ConfigError);
  });

  it.each([
    { variant: 'an unquoted key', secret: `{"apiKey": ${apiKey}}` },
    { variant: 'single quotes', secret: `{'apiKey': '${apiKey}'}` },
    { variant: 'a trailing comma', secret: `{"apiKey": "${apiKey}",}` },
  ])(
    'throws a ConfigError that does not quote the secret for malformed JSON with $variant',
    ({ secret }) => {
      // Act
      let thrown: unknown;
      try {
        apiKeyFromSecret(secret);
      } catch (error) {
        thrown = error;
      }

      // Assess
      expect(thrown).toBeInstanceOf(ConfigError);
      const error = thrown as Error;
      expect(error.message).not.toContain(apiKey.slice(0, 8));
      expect(String(error.cause ?? '')).not.toContain(apiKey.slice(0, 8));
    },
  );
});
