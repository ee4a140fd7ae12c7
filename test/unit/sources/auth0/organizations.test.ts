import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { externalIdFor } from '../../../../src/model/external-id.ts';
import {
  createAuth0MemberMapper,
  createAuth0OrganizationMapper,
  slugOf,
} from '../../../../src/sources/auth0/organizations.ts';
import type { ParsedRecord } from '../../../../src/sources/parsed-record.ts';
import { workosMetadataLimits } from '../../../../src/sources/user-metadata.ts';

type Fields = Record<string, unknown>;

/** A Management API body as uploaded: a bare array, or an object holding the list under `key`. */
function itemsOf(fixture: string, key: 'organizations' | 'members'): Fields[] {
  const body: unknown = JSON.parse(
    readFileSync(new URL(`../../../fixtures/auth0/${fixture}`, import.meta.url), 'utf8'),
  );
  const items = Array.isArray(body) ? body : (body as Record<string, unknown>)[key];
  if (!Array.isArray(items)) throw new Error(`${fixture} holds no ${key} list`);
  return items as Fields[];
}

const acmeId = 'org_4Zh6v2LqT9sKxW1p';
const globexId = 'org_9Qm3Rt7YbX2cV5nD';
const enterpriseUserId = 'samlp|acme-okta-enterprise|katherine.johnson@subsidiary.acme.example';

describe('Function: createAuth0OrganizationMapper()', () => {
  const mapOrganization = createAuth0OrganizationMapper();

  it('maps every organization of a Management API organizations body', () => {
    // Prepare
    const organizations = itemsOf('organizations.json', 'organizations');

    // Act
    const parsed = organizations.map((fields) => mapOrganization(fields));

    // Assess
    expect(parsed.slice(0, 3)).toEqual([
      {
        kind: 'organization',
        organization: {
          sourceId: acmeId,
          externalId: acmeId,
          name: 'Acme Corporation',
          metadata: { auth0_name: 'acme', plan: 'enterprise', region: 'eu-west-1' },
          source: 'auth0',
        },
      },
      {
        kind: 'organization',
        organization: {
          sourceId: globexId,
          externalId: globexId,
          name: 'Globex',
          metadata: { auth0_name: 'globex' },
          source: 'auth0',
        },
      },
      {
        kind: 'organization',
        organization: {
          sourceId: 'org_Lw8Kp1Hs6Fj3Gd0A',
          externalId: 'org_Lw8Kp1Hs6Fj3Gd0A',
          name: 'initech',
          metadata: { auth0_name: 'initech' },
          source: 'auth0',
        },
      },
    ]);
  });

  it("fits the organization's metadata to what WorkOS holds, never taking the tool's own keys", () => {
    const [, , , umbrella] = itemsOf('organizations.json', 'organizations');

    const parsed = mapOrganization(umbrella ?? {});

    expect(parsed?.kind).toBe('organization');
    const metadata = parsed?.kind === 'organization' ? (parsed.organization.metadata ?? {}) : {};
    // The upsert adds its two keys (import_source, import_digest) to what the mapper keeps.
    expect(Object.keys(metadata)).toHaveLength(workosMetadataLimits.maxPairs - 2);
    expect(metadata).toEqual({
      auth0_name: 'umbrella',
      plan: 'team',
      region: 'us-east-1',
      crm_id: '0015g00000XyZaB',
      billing_contact_team: 'finance-emea',
      tier: 'gold',
      onboarded: '2023-04-18',
      support_level: 'premium',
    });
    // What does not fit is reported, never silently dropped.
    expect(parsed?.kind === 'organization' ? parsed.organization.note : undefined).toMatch(
      /^metadata_not_imported:[1-9]\d*$/,
    );
  });

  it('keeps an id too long to be an external id under a stand-in, with the original in metadata', () => {
    const id = `org_${'x'.repeat(70)}`;

    const parsed = mapOrganization({ id, name: 'long' });

    expect(parsed).toMatchObject({
      kind: 'organization',
      organization: {
        sourceId: id,
        externalId: externalIdFor(id),
        metadata: { auth0_name: 'long', source_id: id },
      },
    });
  });

  it.each([
    { record: { name: 'acme' }, reason: 'missing_organization_id', sourceId: undefined },
    { record: { id: '  ', name: 'acme' }, reason: 'missing_organization_id', sourceId: undefined },
    { record: { id: acmeId }, reason: 'missing_organization_name', sourceId: acmeId },
    {
      record: { id: acmeId, name: '', display_name: ' ' },
      reason: 'missing_organization_name',
      sourceId: acmeId,
    },
  ])('rejects $record as $reason', ({ record, reason, sourceId }) => {
    expect(mapOrganization(record)).toEqual({
      kind: 'rejected',
      reason,
      ...(sourceId === undefined ? {} : { sourceId }),
    });
  });
});

describe('Function: createAuth0MemberMapper()', () => {
  it("maps one organization's members body, with the organization from the manifest", () => {
    // Prepare
    const mapMember = createAuth0MemberMapper({
      organizationId: acmeId,
      roleSlugs: { admin: 'org-admin' },
    });
    const members = itemsOf(`members-${acmeId}.json`, 'members');

    // Act
    const parsed = members.map((fields) => mapMember(fields));

    // Assess
    expect(parsed).toEqual<ParsedRecord[]>([
      {
        kind: 'membership',
        membership: {
          sourceId: `${acmeId}/auth0|64f1c2a9e4b0a1b2c3d4e5f6`,
          userExternalId: 'auth0|64f1c2a9e4b0a1b2c3d4e5f6',
          organizationExternalId: acmeId,
          roleSlugs: ['org-admin'],
          source: 'auth0',
        },
      },
      {
        kind: 'membership',
        membership: {
          sourceId: `${acmeId}/google-oauth2|109876543210987654321`,
          userExternalId: 'google-oauth2|109876543210987654321',
          organizationExternalId: acmeId,
          roleSlugs: ['billing-admin', 'member'],
          source: 'auth0',
          note: 'role_slug_derived:2',
        },
      },
      {
        kind: 'membership',
        membership: {
          sourceId: `${acmeId}/${enterpriseUserId}`,
          // The same stand-in the user import gives this user, so the two meet in WorkOS.
          userExternalId: externalIdFor(enterpriseUserId),
          organizationExternalId: acmeId,
          roleSlugs: [],
          source: 'auth0',
        },
      },
    ]);
    expect(externalIdFor(enterpriseUserId)).toMatch(/^sha256:/);
  });

  it('reports members exported without roles, who then get the default role', () => {
    const mapMember = createAuth0MemberMapper({ organizationId: globexId });

    const parsed = itemsOf(`members-${globexId}.json`, 'members').map((fields) =>
      mapMember(fields),
    );

    expect(parsed).toEqual([
      expect.objectContaining({
        membership: expect.objectContaining({
          sourceId: `${globexId}/auth0|64f1c2a9e4b0a1b2c3d4e5f6`,
          roleSlugs: [],
          note: 'roles_not_in_export',
        }),
      }),
      expect.objectContaining({
        membership: expect.objectContaining({
          sourceId: `${globexId}/auth0|650a8b7c6d5e4f3a2b1c0d9e`,
          note: 'roles_not_in_export',
        }),
      }),
    ]);
  });

  it('never carries the member email or name into the membership', () => {
    const mapMember = createAuth0MemberMapper({ organizationId: acmeId });

    const serialized = JSON.stringify(
      itemsOf(`members-${acmeId}.json`, 'members').map((fields) => mapMember(fields)),
    );

    expect(serialized).not.toMatch(/@acme\.example"|Ada Lovelace|Grace Hopper|gravatar/);
  });

  describe('given a combined NDJSON of all members, each naming its organization', () => {
    it.each([
      { options: {}, expected: globexId },
      { options: { organizationId: acmeId }, expected: globexId },
    ])('uses the member organization_id (manifest $options)', ({ options, expected }) => {
      const mapMember = createAuth0MemberMapper(options);

      const parsed = mapMember({
        organization_id: globexId,
        user_id: 'auth0|650a8b7c6d5e4f3a2b1c0d9e',
        roles: [{ id: 'rol_Xb8Ul0mZ1kP4sT7q', name: 'admin' }],
      });

      expect(parsed).toEqual({
        kind: 'membership',
        membership: {
          sourceId: `${expected}/auth0|650a8b7c6d5e4f3a2b1c0d9e`,
          userExternalId: 'auth0|650a8b7c6d5e4f3a2b1c0d9e',
          organizationExternalId: expected,
          roleSlugs: ['admin'],
          source: 'auth0',
          note: 'role_slug_derived:1',
        },
      });
    });
  });

  it.each<{
    description: string;
    roles: unknown[];
    roleSlugs: Record<string, string>;
    expected: { roleSlugs: string[]; note?: string };
  }>([
    {
      description: 'mapped by exact name',
      roles: [{ name: 'Support Agent' }],
      roleSlugs: { 'Support Agent': 'support' },
      expected: { roleSlugs: ['support'] },
    },
    {
      description: 'mapped ignoring case',
      roles: [{ name: 'SUPPORT agent' }],
      roleSlugs: { 'Support Agent': 'support' },
      expected: { roleSlugs: ['support'] },
    },
    {
      description: 'slugified when unmapped',
      roles: [{ name: '  Org Owner (EU) ' }, { name: 'Read-only_Viewer' }],
      roleSlugs: {},
      expected: { roleSlugs: ['org-owner-eu', 'read-only-viewer'], note: 'role_slug_derived:2' },
    },
    {
      description: 'deduplicated when two names give one slug',
      roles: [{ name: 'admin' }, { name: 'Admin' }],
      roleSlugs: { admin: 'admin' },
      expected: { roleSlugs: ['admin'] },
    },
    {
      description: 'dropped when nothing can be slugified',
      roles: [{ name: '管理者' }, { id: 'rol_without_name' }, 'admin', null],
      roleSlugs: {},
      expected: { roleSlugs: [], note: 'role_not_mapped:1' },
    },
  ])('takes roles $description', ({ roles, roleSlugs, expected }) => {
    const mapMember = createAuth0MemberMapper({ organizationId: acmeId, roleSlugs });

    const parsed = mapMember({ user_id: 'auth0|1', roles });

    expect(parsed).toEqual({
      kind: 'membership',
      membership: {
        sourceId: `${acmeId}/auth0|1`,
        userExternalId: 'auth0|1',
        organizationExternalId: acmeId,
        source: 'auth0',
        ...expected,
      },
    });
  });

  it.each([
    {
      options: {},
      record: { user_id: 'auth0|1' },
      expected: { reason: 'missing_organization_id', sourceId: 'auth0|1' },
    },
    {
      options: { organizationId: ' ' },
      record: { user_id: 'auth0|1', organization_id: '' },
      expected: { reason: 'missing_organization_id', sourceId: 'auth0|1' },
    },
    {
      options: { organizationId: acmeId },
      record: { email: 'someone@acme.example', roles: [] },
      expected: { reason: 'missing_user_id', sourceId: acmeId },
    },
  ])('rejects $record (options $options) as $expected.reason', ({ options, record, expected }) => {
    expect(createAuth0MemberMapper(options)(record)).toEqual({ kind: 'rejected', ...expected });
  });
});

describe('Function: slugOf()', () => {
  it.each([
    ['Billing Admin', 'billing-admin'],
    ['admin', 'admin'],
    ['--Weird__Name!!', 'weird-name'],
    ['Ünïcode Rôle', 'unicode-role'],
    ['!!!', ''],
  ])('slugifies %j as %j', (name, slug) => {
    expect(slugOf(name)).toBe(slug);
  });
});
