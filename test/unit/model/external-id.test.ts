import { describe, expect, it } from 'vitest';
import { externalIdFor, maxExternalIdLength } from '../../../src/model/external-id.ts';

describe('Function: externalIdFor()', () => {
  it.each([
    { variant: 'a short Auth0 id', sourceId: 'auth0|68c46cab7997cfbfb72cfca9' },
    { variant: 'a social id', sourceId: 'google-oauth2|103547991597142817347' },
    { variant: 'an id of exactly 64 characters', sourceId: `auth0|${'x'.repeat(58)}` },
  ])('uses $variant as it is', ({ sourceId }) => {
    // Act
    const externalId = externalIdFor(sourceId);

    // Assess
    expect(externalId).toBe(sourceId);
  });

  it('replaces an id of 65 characters with a sha256 stand-in of at most 64 characters', () => {
    // Prepare
    const sourceId = `auth0|${'x'.repeat(59)}`;

    // Act
    const externalId = externalIdFor(sourceId);

    // Assess
    expect(sourceId).toHaveLength(maxExternalIdLength + 1);
    expect(externalId).toMatch(/^sha256:[0-9a-f]{48}$/);
    expect(externalId.length).toBeLessThanOrEqual(maxExternalIdLength);
  });

  it('derives the same stand-in as earlier runs, so a re-run finds the same WorkOS user', () => {
    // Prepare
    const sourceId = `samlp|okta-enterprise|${'a'.repeat(60)}`;

    // Act
    const externalId = externalIdFor(sourceId);

    // Assess: pinned; changing the derivation would orphan every user imported before
    expect(externalId).toBe('sha256:03d7a8bd2a689ba78d2024ab14a840e65dae4f454fbb3fab');
  });

  it('derives different stand-ins for long ids that differ only at the end', () => {
    // Prepare
    const prefix = `samlp|enterprise|${'a'.repeat(60)}`;

    // Act
    const first = externalIdFor(`${prefix}1`);
    const second = externalIdFor(`${prefix}2`);

    // Assess
    expect(first).not.toBe(second);
  });
});
