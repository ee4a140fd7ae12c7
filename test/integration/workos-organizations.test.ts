import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DomainDataState, type WorkOS } from '@workos-inc/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DependencyNotReadyError,
  PermanentImportError,
  RateLimitedError,
  TransientImportError,
} from '../../src/errors.ts';
import { importMembership } from '../../src/import/import-membership.ts';
import { upsertOrganization } from '../../src/import/upsert-organization.ts';
import { upsertUser } from '../../src/import/upsert-user.ts';
import type { ImportMembership, ImportOrganization } from '../../src/model/import-message.ts';
import { WorkOsOrganizationDirectory } from '../../src/workos/organization-directory.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
} from '../../tools/workos-emulator/src/workos-emulator.ts';
import { importUserFactory } from '../helpers/factories.ts';

const apiKey = 'sk_test_workos_organizations';

const ada = importUserFactory({
  sourceId: 'auth0|64f1c2a9e4b0a1b2c3d4e5f6',
  externalId: 'auth0|64f1c2a9e4b0a1b2c3d4e5f6',
  email: 'ada@acme.example',
});

function organizationRecord(id: string, name: string, domains?: string[]): ImportOrganization {
  return {
    sourceId: id,
    externalId: id,
    name,
    ...(domains === undefined ? {} : { domains }),
    metadata: { auth0_name: name.toLowerCase() },
    source: 'auth0',
  };
}

function membershipRecord(organizationId: string, roleSlugs: string[]): ImportMembership {
  return {
    sourceId: `${organizationId}/${ada.sourceId}`,
    userExternalId: ada.externalId,
    organizationExternalId: organizationId,
    roleSlugs,
    source: 'auth0',
  };
}

const acme = organizationRecord('org_4Zh6v2LqT9sKxW1p', 'Acme', ['acme.example']);
const globex = organizationRecord('org_9Qm3Rt7YbX2cV5nD', 'Globex');
const initech = organizationRecord('org_Lw8Kp1Hs6Fj3Gd0A', 'Initech');

describe('Organizations, memberships and password resets through the real SDK, against the WorkOS emulator', () => {
  let emulator: RunningWorkOsEmulator;
  let workos: WorkOS;
  let users: WorkOsUserDirectory;
  let organizations: WorkOsOrganizationDirectory;

  beforeAll(async () => {
    emulator = await startWorkOsEmulator({ apiKey });
    workos = createWorkOsClient({ apiKey, apiUrl: emulator.url, timeoutMs: 5_000 });
    users = new WorkOsUserDirectory(workos);
    organizations = new WorkOsOrganizationDirectory(workos);
  });

  afterEach(() => {
    emulator.reset();
  });

  afterAll(async () => {
    await emulator.close();
  });

  it('creates an organization once under three concurrent deliveries, its domain pending', async () => {
    // Act
    const results = await Promise.all([1, 2, 3].map(() => upsertOrganization(organizations, acme)));

    // Assess
    const stored = emulator.organizations();
    expect(stored).toHaveLength(1);
    expect(emulator.stats().organizationsCreated).toBe(1);
    expect(results.map((result) => result.workosOrganizationId)).toEqual(
      Array(3).fill(stored[0]?.id),
    );
    expect(results.map((result) => result.status).sort()).toEqual([
      'created',
      'unchanged',
      'unchanged',
    ]);
    expect(stored[0]).toMatchObject({
      name: 'Acme',
      externalId: acme.externalId,
      domains: [expect.objectContaining({ domain: 'acme.example', state: 'pending' })],
      metadata: expect.objectContaining({ auth0_name: 'acme', import_source: 'auth0' }),
    });
  });

  it('adds an exported domain as pending and keeps a domain verified in WorkOS since', async () => {
    const { workosOrganizationId } = await upsertOrganization(organizations, acme);
    await workos.organizations.updateOrganization({
      organization: workosOrganizationId,
      domainData: [{ domain: 'acme.example', state: DomainDataState.Verified }],
      metadata: { crm_id: '0015g00000XyZaB' },
    });

    const result = await upsertOrganization(organizations, {
      ...acme,
      domains: ['acme.example', 'acme.test'],
    });

    expect(result).toEqual({ status: 'updated', workosOrganizationId });
    const [stored] = emulator.organizations();
    expect(stored?.domains.map(({ domain, state }) => ({ domain, state }))).toEqual([
      { domain: 'acme.example', state: 'verified' },
      { domain: 'acme.test', state: 'pending' },
    ]);
    expect(stored?.metadata).toMatchObject({ crm_id: '0015g00000XyZaB', auth0_name: 'acme' });
  });

  it('gives a user in three organizations three memberships; a second run is all unchanged and writes nothing', async () => {
    // Prepare
    await upsertUser(users, ada);
    for (const organization of [acme, globex, initech]) {
      await upsertOrganization(organizations, organization);
    }
    const records = [
      membershipRecord(acme.externalId, ['admin']),
      membershipRecord(globex.externalId, []),
      membershipRecord(initech.externalId, ['billing-admin']),
    ];

    // Act
    const first = await Promise.all(
      records.map((record) => importMembership({ users, organizations }, record)),
    );
    const writesAfterFirstRun = emulator.stats().writes;
    const second = await Promise.all(
      records.map((record) => importMembership({ users, organizations }, record)),
    );

    // Assess
    expect(first.map((result) => result.status)).toEqual(['created', 'created', 'created']);
    expect(second).toEqual(
      first.map(({ workosMembershipId }) => ({ status: 'unchanged', workosMembershipId })),
    );
    expect(emulator.stats().writes).toBe(writesAfterFirstRun);
    const [user] = emulator.users();
    const roleSlugsByOrganization = Object.fromEntries(
      emulator.memberships().map((membership) => {
        const organization = emulator
          .organizations()
          .find(({ id }) => id === membership.organizationId);
        expect(membership.userId).toBe(user?.id);
        return [organization?.externalId, membership.roleSlugs];
      }),
    );
    expect(roleSlugsByOrganization).toEqual({
      [acme.externalId]: ['admin'],
      [globex.externalId]: ['member'],
      [initech.externalId]: ['billing-admin'],
    });
  });

  it('changes the roles of an existing membership when the export changed them', async () => {
    await upsertUser(users, ada);
    await upsertOrganization(organizations, acme);
    const { workosMembershipId } = await importMembership(
      { users, organizations },
      membershipRecord(acme.externalId, ['member']),
    );

    const result = await importMembership(
      { users, organizations },
      membershipRecord(acme.externalId, ['admin']),
    );

    expect(result).toEqual({ status: 'updated', workosMembershipId });
    expect(emulator.memberships()).toEqual([
      expect.objectContaining({ id: workosMembershipId, roleSlugs: ['admin'] }),
    ]);
  });

  it('converges three concurrent deliveries of one membership on one membership', async () => {
    await upsertUser(users, ada);
    await upsertOrganization(organizations, acme);
    const record = membershipRecord(acme.externalId, ['admin']);

    const results = await Promise.all(
      [1, 2, 3].map(() => importMembership({ users, organizations }, record)),
    );

    expect(emulator.memberships()).toHaveLength(1);
    expect(new Set(results.map((result) => result.workosMembershipId))).toEqual(
      new Set([emulator.memberships()[0]?.id]),
    );
    expect(results.filter((result) => result.status === 'created')).toHaveLength(1);
  });

  it('does not re-activate a membership deactivated in WorkOS since', async () => {
    await upsertUser(users, ada);
    await upsertOrganization(organizations, acme);
    const record = membershipRecord(acme.externalId, ['admin']);
    const { workosMembershipId } = await importMembership({ users, organizations }, record);
    await workos.userManagement.deactivateOrganizationMembership(workosMembershipId);

    const result = await importMembership({ users, organizations }, record);

    expect(result).toEqual({
      status: 'unchanged',
      workosMembershipId,
      reason: 'membership_inactive_not_reactivated',
    });
    expect(emulator.memberships()).toEqual([
      expect.objectContaining({ id: workosMembershipId, status: 'inactive' }),
    ]);
    expect(emulator.stats().membershipsReactivated).toBe(0);
  });

  it('makes a membership whose user is not imported yet wait, and succeeds once the user is', async () => {
    await upsertOrganization(organizations, acme);
    const record = membershipRecord(acme.externalId, ['admin']);

    const waiting = await importMembership({ users, organizations }, record).catch(
      (error: unknown) => error,
    );
    expect(waiting).toBeInstanceOf(DependencyNotReadyError);
    expect(waiting).toMatchObject({ reason: 'membership_user_not_found' });
    expect(emulator.memberships()).toEqual([]);

    await upsertUser(users, ada);
    const result = await importMembership({ users, organizations }, record);

    expect(result.status).toBe('created');
    expect(emulator.memberships()).toHaveLength(1);
  });

  it('makes a membership whose organization is not imported yet wait', async () => {
    await upsertUser(users, ada);

    await expect(
      importMembership({ users, organizations }, membershipRecord(acme.externalId, [])),
    ).rejects.toMatchObject({
      name: 'DependencyNotReadyError',
      reason: 'membership_organization_not_found',
    });
  });

  it("creates password resets for an imported user, and the emulator's 3 per 60 s per-email limit surfaces as RateLimitedError", async () => {
    // Prepare
    const { workosUserId } = await upsertUser(users, ada);

    // Act
    const sent = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      sent.push(await organizations.createPasswordReset(ada.email));
    }
    const limited = await organizations
      .createPasswordReset(ada.email)
      .catch((error: unknown) => error);

    // Assess
    expect(sent).toEqual(
      Array(3).fill({
        id: expect.stringMatching(/^password_reset_/),
        userId: workosUserId,
        expiresAt: expect.any(String),
      }),
    );
    expect(emulator.passwordResets()).toHaveLength(3);
    expect(limited).toBeInstanceOf(RateLimitedError);
    const { retryAfterSeconds, reason, message } = limited as RateLimitedError;
    expect(retryAfterSeconds).toBeGreaterThan(0);
    expect(retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(`${reason} ${message}`).not.toContain('acme.example');
  });

  it('fails a reset for an email WorkOS does not hold without echoing the email', async () => {
    const failure = await organizations
      .createPasswordReset('nobody@acme.example')
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(TransientImportError);
    const { reason, message } = failure as TransientImportError;
    expect(`${reason} ${message}`).not.toContain('acme.example');
  });
});

/**
 * WorkOS documents no answer for a role slug it does not know, and the emulator accepts any
 * slug: a loopback server gives the real SDK the plausible shapes (UNVERIFIED) instead.
 */
describe('A WorkOS answer that a role does not exist, through the real SDK', () => {
  let server: Server;
  let answer: { status: number; body: Record<string, unknown> };
  let organizations: WorkOsOrganizationDirectory;

  beforeAll(async () => {
    server = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(answer.status, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    organizations = new WorkOsOrganizationDirectory(
      createWorkOsClient({ apiKey, apiUrl: `http://127.0.0.1:${port}`, timeoutMs: 5_000 }),
    );
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const newMembership = { userId: 'user_1', organizationId: 'org_1', roleSlugs: ['auditor'] };

  it.each([
    {
      shape: '422 with a detail code',
      status: 422,
      body: {
        message: 'Validation failed',
        code: 'invalid_request_parameters',
        errors: [{ code: 'role_not_found', message: 'Role not found.' }],
      },
    },
    {
      shape: '404 naming the role',
      status: 404,
      body: { message: "Role 'auditor' not found.", code: 'entity_not_found' },
    },
    {
      shape: '400 with an invalid-role code',
      status: 400,
      body: { message: 'Could not create membership.', code: 'invalid_role_slug' },
    },
  ])('maps $shape to a permanent role_not_found', async ({ status, body }) => {
    answer = { status, body };

    for (const call of [
      () => organizations.createMembership(newMembership),
      () => organizations.updateMembership('om_1', ['auditor']),
    ]) {
      const failure = await call().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(PermanentImportError);
      expect(failure).toMatchObject({ reason: 'role_not_found' });
    }
  });

  it.each([
    {
      shape: '404 for a missing organization',
      status: 404,
      body: { message: "Organization not found: 'org_1'.", code: 'entity_not_found' },
      expected: { name: 'TransientImportError', reason: 'workos_user_vanished' },
    },
    {
      shape: '422 for too many roles',
      status: 422,
      body: {
        message: 'Validation failed',
        code: 'invalid_request_parameters',
        errors: [{ code: 'multiple_roles_not_enabled', message: 'Multiple roles are off.' }],
      },
      expected: {
        name: 'PermanentImportError',
        reason: 'workos_422:invalid_request_parameters:multiple_roles_not_enabled',
      },
    },
    {
      shape: '409 for an existing membership',
      status: 409,
      body: {
        message: 'The user is already a member of this organization.',
        code: 'organization_membership_already_exists',
      },
      expected: { name: 'DuplicateMembershipError', reason: 'duplicate_membership' },
    },
  ])('does not mistake $shape for a missing role', async ({ status, body, expected }) => {
    answer = { status, body };

    const failure = await organizations
      .createMembership(newMembership)
      .catch((error: unknown) => error);

    expect(failure).toMatchObject(expected);
  });
});
