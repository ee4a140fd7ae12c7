import { describe, expect, it } from 'vitest';
import {
  DuplicateOrganizationError,
  RateLimitedError,
  TransientImportError,
} from '../../../src/errors.ts';
import {
  organizationDigestOf,
  upsertOrganization,
} from '../../../src/import/upsert-organization.ts';
import type { ImportOrganization } from '../../../src/model/import-message.ts';
import { importMetadataKeys } from '../../../src/model/import-metadata.ts';
import { InMemoryOrganizationDirectory } from '../../helpers/in-memory-organization-directory.ts';

function importOrganization(overrides: Partial<ImportOrganization> = {}): ImportOrganization {
  return {
    sourceId: 'org_4Zh6v2LqT9sKxW1p',
    externalId: 'org_4Zh6v2LqT9sKxW1p',
    name: 'Acme Corporation',
    metadata: { auth0_name: 'acme', plan: 'enterprise' },
    source: 'auth0',
    ...overrides,
  };
}

describe('Function: upsertOrganization()', () => {
  it('creates a new organization with one call, domains pending, tagged with the import digest', async () => {
    // Prepare
    const directory = new InMemoryOrganizationDirectory();
    const organization = importOrganization({
      domains: ['Acme.example', 'acme.example', 'a.test'],
    });

    // Act
    const result = await upsertOrganization(directory, organization);

    // Assess
    expect(result.status).toBe('created');
    expect(directory.calls).toMatchObject({
      createOrganization: 1,
      findOrganizationByExternalId: 0,
      updateOrganization: 0,
    });
    expect(directory.organizations.get(result.workosOrganizationId)).toEqual({
      id: result.workosOrganizationId,
      name: 'Acme Corporation',
      externalId: 'org_4Zh6v2LqT9sKxW1p',
      domains: [
        { domain: 'acme.example', state: 'pending' },
        { domain: 'a.test', state: 'pending' },
      ],
      metadata: {
        auth0_name: 'acme',
        plan: 'enterprise',
        [importMetadataKeys.source]: 'auth0',
        [importMetadataKeys.digest]: organizationDigestOf(organization),
      },
    });
  });

  it('reports a redelivery as unchanged, after one failed create and one read, writing nothing', async () => {
    const directory = new InMemoryOrganizationDirectory();
    const first = await upsertOrganization(directory, importOrganization());

    const second = await upsertOrganization(directory, importOrganization());

    expect(second).toEqual({
      status: 'unchanged',
      workosOrganizationId: first.workosOrganizationId,
    });
    expect(directory.calls).toMatchObject({
      createOrganization: 2,
      findOrganizationByExternalId: 1,
      updateOrganization: 0,
    });
    expect(directory.organizations.size).toBe(1);
  });

  it('converges concurrent deliveries on one organization', async () => {
    const directory = new InMemoryOrganizationDirectory();

    const results = await Promise.all(
      [1, 2, 3].map(() => upsertOrganization(directory, importOrganization())),
    );

    expect(directory.organizations.size).toBe(1);
    expect(new Set(results.map((result) => result.workosOrganizationId)).size).toBe(1);
    expect(results.map((result) => result.status).sort()).toEqual([
      'created',
      'unchanged',
      'unchanged',
    ]);
  });

  it('updates what the export changed and keeps every domain and metadata key set in WorkOS since', async () => {
    const directory = new InMemoryOrganizationDirectory();
    const { workosOrganizationId } = await upsertOrganization(
      directory,
      importOrganization({ domains: ['acme.example'] }),
    );
    const stored = directory.organizations.get(workosOrganizationId);
    if (!stored) throw new Error('organization not stored');
    // Since the import: the customer verified the domain, added one, and added a metadata key.
    stored.domains = [
      { domain: 'acme.example', state: 'verified' },
      { domain: 'acme-corp.example', state: 'failed' },
    ];
    stored.metadata.crm_id = '0015g00000XyZaB';

    const result = await upsertOrganization(
      directory,
      importOrganization({
        name: 'Acme Corp',
        domains: ['acme.example', 'acme.test'],
        metadata: { auth0_name: 'acme', plan: 'team' },
      }),
    );

    expect(result).toEqual({ status: 'updated', workosOrganizationId });
    expect(directory.organizations.get(workosOrganizationId)).toMatchObject({
      name: 'Acme Corp',
      domains: [
        { domain: 'acme.example', state: 'verified' },
        { domain: 'acme-corp.example', state: 'pending' },
        { domain: 'acme.test', state: 'pending' },
      ],
      metadata: { auth0_name: 'acme', plan: 'team', crm_id: '0015g00000XyZaB' },
    });
  });

  it('does not undo a rename made in WorkOS while the export stays the same', async () => {
    const directory = new InMemoryOrganizationDirectory();
    const { workosOrganizationId } = await upsertOrganization(directory, importOrganization());
    const stored = directory.organizations.get(workosOrganizationId);
    if (stored) stored.name = 'ACME (renamed by an admin)';

    const result = await upsertOrganization(directory, importOrganization());

    expect(result.status).toBe('unchanged');
    expect(directory.organizations.get(workosOrganizationId)?.name).toBe(
      'ACME (renamed by an admin)',
    );
  });

  it('reports unchanged without writing when the export changed to what WorkOS already holds', async () => {
    const directory = new InMemoryOrganizationDirectory();
    const { workosOrganizationId } = await upsertOrganization(directory, importOrganization());
    const stored = directory.organizations.get(workosOrganizationId);
    if (stored) stored.name = 'Acme Corp';

    const result = await upsertOrganization(directory, importOrganization({ name: 'Acme Corp' }));

    expect(result).toEqual({ status: 'unchanged', workosOrganizationId });
    expect(directory.calls.updateOrganization).toBe(0);
  });

  it('links an organization this tool did not create, without overwriting it', async () => {
    const directory = new InMemoryOrganizationDirectory();
    const existing = directory.seedOrganization({
      name: 'Acme (set up by hand)',
      externalId: 'org_4Zh6v2LqT9sKxW1p',
      metadata: { owner: 'it' },
    });

    const result = await upsertOrganization(
      directory,
      importOrganization({ domains: ['acme.example'] }),
    );

    expect(result).toEqual({
      status: 'unchanged',
      workosOrganizationId: existing.id,
      reason: 'existing_organization_not_overwritten',
    });
    expect(directory.calls.updateOrganization).toBe(0);
    expect(directory.organizations.get(existing.id)).toEqual(existing);
  });

  it('retries later when WorkOS reports the external id taken but the lookup cannot see it', async () => {
    const directory = new InMemoryOrganizationDirectory();
    directory.failNext('createOrganization', new DuplicateOrganizationError());

    const failure = upsertOrganization(directory, importOrganization());

    await expect(failure).rejects.toBeInstanceOf(TransientImportError);
    await expect(failure).rejects.toMatchObject({ reason: 'duplicate_organization_not_found' });
  });

  it.each([
    { method: 'createOrganization' as const, error: new RateLimitedError(5) },
    { method: 'findOrganizationByExternalId' as const, error: new RateLimitedError(5) },
    { method: 'updateOrganization' as const, error: new TransientImportError('workos_503', '503') },
  ])(
    'lets a failure of $method through for the consumer to classify',
    async ({ method, error }) => {
      const directory = new InMemoryOrganizationDirectory();
      await upsertOrganization(directory, importOrganization());
      directory.failNext(method, error);

      const failure = upsertOrganization(directory, importOrganization({ name: 'Renamed' }));

      await expect(failure).rejects.toBe(error);
    },
  );
});

describe('Function: organizationDigestOf()', () => {
  it.each([
    { change: 'domain order and case', other: { domains: ['B.example', 'a.example'] }, same: true },
    {
      change: 'metadata order',
      other: { metadata: { plan: 'x', auth0_name: 'acme' } },
      same: true,
    },
    { change: 'the name', other: { name: 'Acme Inc' }, same: false },
    { change: 'a domain', other: { domains: ['a.example', 'c.example'] }, same: false },
    {
      change: 'a metadata value',
      other: { metadata: { auth0_name: 'acme', plan: 'y' } },
      same: false,
    },
  ])('gives an equal digest: $same, after a change of $change', ({ other, same }) => {
    const base = importOrganization({
      domains: ['a.example', 'b.example'],
      metadata: { auth0_name: 'acme', plan: 'x' },
    });

    const equal = organizationDigestOf(base) === organizationDigestOf({ ...base, ...other });

    expect(equal).toBe(same);
  });
});
