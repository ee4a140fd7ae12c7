import {
  ConflictException,
  DomainDataState,
  NotFoundException,
  RateLimitExceededException,
  UnprocessableEntityException,
  type WorkOS,
} from '@workos-inc/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
  type WorkOsEmulatorOptions,
} from '../src/workos-emulator.ts';
import { failureOf, sdkFor, testApiKey } from './emulator-sdk.ts';

describe('WorkOS emulator: organizations through the real SDK', () => {
  let emulator: RunningWorkOsEmulator;
  let workos: WorkOS;

  async function start(options: WorkOsEmulatorOptions = {}): Promise<void> {
    emulator = await startWorkOsEmulator({ apiKey: testApiKey, ...options });
    workos = sdkFor(emulator);
  }

  beforeEach(async () => {
    await start();
  });

  afterEach(async () => {
    await emulator.close();
  });

  it('creates an organization and returns the WorkOS organization object', async () => {
    const organization = await workos.organizations.createOrganization({
      name: 'Acme',
      domainData: [
        { domain: 'Acme.com', state: DomainDataState.Verified },
        { domain: 'acme.dev', state: DomainDataState.Pending },
      ],
      externalId: 'org_auth0|acme',
      metadata: { source: 'auth0' },
    });
    expect(organization).toMatchObject({
      object: 'organization',
      name: 'Acme',
      allowProfilesOutsideOrganization: false,
      externalId: 'org_auth0|acme',
      metadata: { source: 'auth0' },
    });
    expect(organization.id).toMatch(/^org_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(organization.updatedAt).toBe(organization.createdAt);
    expect(organization.domains).toEqual([
      expect.objectContaining({
        object: 'organization_domain',
        domain: 'acme.com',
        organizationId: organization.id,
        state: 'verified',
        verificationStrategy: 'manual',
      }),
      expect.objectContaining({
        domain: 'acme.dev',
        state: 'pending',
        verificationStrategy: 'dns',
        verificationToken: expect.any(String),
      }),
    ]);
    expect(organization.domains[0]?.id).toMatch(/^org_domain_/);
    expect(emulator.organizations()).toEqual([expect.objectContaining({ id: organization.id })]);
  });

  it('answers null external_id and empty metadata and domains when they were not given', async () => {
    const organization = await workos.organizations.createOrganization({ name: 'Plain' });
    expect(organization).toMatchObject({ externalId: null, metadata: {}, domains: [] });
  });

  it('gets an organization by id and by external id, decoding the encoded path', async () => {
    const created = await workos.organizations.createOrganization({
      name: 'Acme',
      externalId: 'auth0|org/1',
    });
    await expect(workos.organizations.getOrganization(created.id)).resolves.toEqual(created);
    await expect(workos.organizations.getOrganizationByExternalId('auth0|org/1')).resolves.toEqual(
      created,
    );
  });

  it('raises NotFoundException with code entity_not_found for a missing id or external id', async () => {
    for (const lookup of [
      () => workos.organizations.getOrganization('org_missing'),
      () => workos.organizations.getOrganizationByExternalId('missing'),
    ]) {
      const error = await failureOf(lookup);
      expect(error).toBeInstanceOf(NotFoundException);
      expect(error).toMatchObject({ status: 404, code: 'entity_not_found' });
    }
  });

  it('answers a duplicate external id with ConflictException external_id_already_used, storing nothing', async () => {
    await workos.organizations.createOrganization({ name: 'First', externalId: 'ext-1' });
    const error = await failureOf(() =>
      workos.organizations.createOrganization({ name: 'Second', externalId: 'ext-1' }),
    );
    expect(error).toBeInstanceOf(ConflictException);
    expect(error).toMatchObject({ status: 409, code: 'external_id_already_used' });
    expect(emulator.organizations().map((organization) => organization.name)).toEqual(['First']);
  });

  it('returns the first response again for a repeated Idempotency-Key, whatever the body', async () => {
    const first = await workos.organizations.createOrganization(
      { name: 'Acme', externalId: 'ext-acme' },
      { idempotencyKey: 'import-org-acme' },
    );
    const replayed = await workos.organizations.createOrganization(
      { name: 'Acme renamed', externalId: 'ext-other' },
      { idempotencyKey: 'import-org-acme' },
    );
    expect(replayed).toEqual(first);
    expect(emulator.organizations()).toHaveLength(1);
    const another = await workos.organizations.createOrganization(
      { name: 'Globex' },
      { idempotencyKey: 'import-org-globex' },
    );
    expect(another.id).not.toBe(first.id);
    expect(emulator.stats()).toMatchObject({
      organizationsCreated: 2,
      idempotentReplays: 1,
      organizationCount: 2,
    });
  });

  it('marks a replay with Idempotent-Replayed and does not remember a refused create', async () => {
    const create = (body: unknown) =>
      fetch(`${emulator.url}/organizations`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${testApiKey}`,
          'Content-Type': 'application/json',
          'Idempotency-Key': 'key-1',
        },
        body: JSON.stringify(body),
      });
    expect((await create({ name: '' })).status).toBe(422);
    const created = await create({ name: 'Acme' });
    expect(created.status).toBe(201);
    expect(created.headers.get('idempotent-replayed')).toBeNull();
    const replayed = await create({ name: 'Acme' });
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(await replayed.json()).toEqual(await created.json());
  });

  it('refuses an invalid create with 422 naming the problem', async () => {
    const error = await failureOf(() =>
      workos.organizations.createOrganization({
        name: ' ',
        domainData: [{ domain: 'not a domain', state: DomainDataState.Verified }],
      }),
    );
    expect(error).toBeInstanceOf(UnprocessableEntityException);
    expect((error as Error).message).toContain('name_string_required');
    expect((error as Error).message).toContain('domain_invalid');
    expect(emulator.organizations()).toEqual([]);
  });

  it('lists organizations by any of several domains, as the SDK sends them comma-joined', async () => {
    await workos.organizations.createOrganization({
      name: 'Acme',
      domainData: [{ domain: 'acme.com', state: DomainDataState.Verified }],
    });
    await workos.organizations.createOrganization({
      name: 'Globex',
      domainData: [{ domain: 'globex.com', state: DomainDataState.Pending }],
    });
    await workos.organizations.createOrganization({ name: 'Initech' });
    const page = await workos.organizations.listOrganizations({
      domains: ['globex.com', 'ACME.com'],
      order: 'asc',
    });
    expect(page.data.map((organization) => organization.name)).toEqual(['Acme', 'Globex']);
  });

  it('paginates newest first with cursors', async () => {
    for (const name of ['A', 'B', 'C']) await workos.organizations.createOrganization({ name });
    const first = await workos.organizations.listOrganizations({ limit: 2 });
    expect(first.data.map((organization) => organization.name)).toEqual(['C', 'B']);
    expect(first.listMetadata).toEqual({ before: null, after: first.data[1]?.id });
    const second = await workos.organizations.listOrganizations({
      limit: 2,
      after: first.listMetadata.after ?? '',
    });
    expect(second.data.map((organization) => organization.name)).toEqual(['A']);
    expect(second.listMetadata.after).toBeNull();
  });

  it('updates only the fields given and replaces the domains, keeping ids of domains kept', async () => {
    const created = await workos.organizations.createOrganization({
      name: 'Acme',
      domainData: [
        { domain: 'acme.com', state: DomainDataState.Verified },
        { domain: 'acme.dev', state: DomainDataState.Verified },
      ],
      externalId: 'ext-acme',
      metadata: { tier: 'gold', region: 'eu' },
    });
    const updated = await workos.organizations.updateOrganization({
      organization: created.id,
      name: 'Acme Inc',
      domainData: [
        { domain: 'acme.com', state: DomainDataState.Verified },
        { domain: 'acme.io', state: DomainDataState.Pending },
      ],
      metadata: { tier: 'platinum' },
    });
    expect(updated).toMatchObject({
      id: created.id,
      name: 'Acme Inc',
      externalId: 'ext-acme',
      metadata: { tier: 'platinum', region: 'eu' },
    });
    expect(updated.domains.map((domain) => domain.domain)).toEqual(['acme.com', 'acme.io']);
    expect(updated.domains[0]?.id).toBe(created.domains[0]?.id);
    expect(emulator.stats()).toMatchObject({ organizationsUpdated: 1 });
  });

  it('refuses an update to an external id another organization holds, and a missing id', async () => {
    await workos.organizations.createOrganization({ name: 'First', externalId: 'ext-1' });
    const second = await workos.organizations.createOrganization({ name: 'Second' });
    expect(
      await failureOf(() =>
        workos.organizations.updateOrganization({ organization: second.id, externalId: 'ext-1' }),
      ),
    ).toBeInstanceOf(ConflictException);
    expect(
      await failureOf(() =>
        workos.organizations.updateOrganization({ organization: 'org_missing', name: 'X' }),
      ),
    ).toBeInstanceOf(NotFoundException);
    expect((await workos.organizations.getOrganization(second.id)).externalId).toBeNull();
  });

  it('keeps organization writes out of the user-management write limit', async () => {
    await emulator.close();
    await start({ writeLimit: { requests: 1, windowMs: 60_000 } });
    for (const name of ['A', 'B', 'C']) await workos.organizations.createOrganization({ name });
    await workos.userManagement.createUser({ email: 'first@example.test' });
    expect(
      await failureOf(() => workos.userManagement.createUser({ email: 'second@example.test' })),
    ).toBeInstanceOf(RateLimitExceededException);
    expect(emulator.stats()).toMatchObject({
      organizationsCreated: 3,
      organizationRequests: 3,
      writes: 2,
      rateLimited: 1,
    });
  });

  it('applies the general limit, when set, to organization requests', async () => {
    await emulator.close();
    await start({ generalLimit: { requests: 2, windowMs: 60_000 } });
    await workos.organizations.createOrganization({ name: 'A' });
    await workos.organizations.listOrganizations();
    const error = await failureOf(() => workos.organizations.createOrganization({ name: 'B' }));
    expect(error).toBeInstanceOf(RateLimitExceededException);
    expect(emulator.organizations()).toHaveLength(1);
  });
});
