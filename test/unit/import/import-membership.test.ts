import { describe, expect, it } from 'vitest';
import {
  classifyFailure,
  DependencyNotReadyError,
  DuplicateMembershipError,
  PermanentImportError,
  RateLimitedError,
  TransientImportError,
} from '../../../src/errors.ts';
import { importMembership } from '../../../src/import/import-membership.ts';
import type { ImportMembership } from '../../../src/model/import-message.ts';
import {
  defaultRoleSlug,
  InMemoryOrganizationDirectory,
} from '../../helpers/in-memory-organization-directory.ts';
import { InMemoryUserDirectory } from '../../helpers/in-memory-user-directory.ts';

const userExternalId = 'auth0|64f1c2a9e4b0a1b2c3d4e5f6';
const organizationExternalId = 'org_4Zh6v2LqT9sKxW1p';

function importMembershipRecord(overrides: Partial<ImportMembership> = {}): ImportMembership {
  return {
    sourceId: `${organizationExternalId}/${userExternalId}`,
    userExternalId,
    organizationExternalId,
    roleSlugs: ['admin'],
    source: 'auth0',
    ...overrides,
  };
}

/** A user and an organization already imported, and the two directories holding them. */
function imported() {
  const users = new InMemoryUserDirectory();
  const organizations = new InMemoryOrganizationDirectory();
  const user = users.seed({ email: 'ada@acme.example', externalId: userExternalId });
  const organization = organizations.seedOrganization({
    name: 'Acme Corporation',
    externalId: organizationExternalId,
  });
  return { users, organizations, user, organization };
}

describe('Function: importMembership()', () => {
  it('creates the membership with the exported roles, after finding both ends by external id', async () => {
    // Prepare
    const { users, organizations, user, organization } = imported();

    // Act
    const result = await importMembership({ users, organizations }, importMembershipRecord());

    // Assess
    expect(result.status).toBe('created');
    expect(organizations.memberships.get(result.workosMembershipId)).toEqual({
      id: result.workosMembershipId,
      userId: user.id,
      organizationId: organization.id,
      roleSlugs: ['admin'],
      status: 'active',
      directoryManaged: false,
    });
    expect(users.calls.findByExternalId).toBe(1);
    expect(organizations.calls).toMatchObject({
      findOrganizationByExternalId: 1,
      findMembership: 1,
      createMembership: 1,
      updateMembership: 0,
    });
  });

  it('gives the default role when the export names none, and keeps any role held since', async () => {
    const { users, organizations } = imported();
    const { workosMembershipId } = await importMembership(
      { users, organizations },
      importMembershipRecord({ roleSlugs: [] }),
    );
    expect(organizations.memberships.get(workosMembershipId)?.roleSlugs).toEqual([defaultRoleSlug]);
    const stored = organizations.memberships.get(workosMembershipId);
    if (stored) stored.roleSlugs = ['admin'];

    const again = await importMembership(
      { users, organizations },
      importMembershipRecord({ roleSlugs: [] }),
    );

    expect(again).toEqual({ status: 'unchanged', workosMembershipId });
    expect(organizations.memberships.get(workosMembershipId)?.roleSlugs).toEqual(['admin']);
  });

  it('reports a redelivery as unchanged with reads only', async () => {
    const { users, organizations } = imported();
    const first = await importMembership({ users, organizations }, importMembershipRecord());

    const second = await importMembership({ users, organizations }, importMembershipRecord());

    expect(second).toEqual({ status: 'unchanged', workosMembershipId: first.workosMembershipId });
    expect(organizations.calls.createMembership).toBe(1);
    expect(organizations.calls.updateMembership).toBe(0);
    expect(organizations.memberships.size).toBe(1);
  });

  it.each([
    { held: ['admin', 'member'], exported: ['member', 'admin'], status: 'unchanged' },
    { held: ['member'], exported: ['admin'], status: 'updated' },
    { held: ['member'], exported: ['admin', 'member'], status: 'updated' },
    { held: ['admin', 'member'], exported: ['admin'], status: 'updated' },
  ])(
    'given held roles $held and exported $exported, reports $status',
    async ({ held, exported, status }) => {
      const { users, organizations, user, organization } = imported();
      const existing = organizations.seedMembership({
        userId: user.id,
        organizationId: organization.id,
        roleSlugs: held,
      });

      const result = await importMembership(
        { users, organizations },
        importMembershipRecord({ roleSlugs: exported }),
      );

      expect(result).toEqual({ status, workosMembershipId: existing.id });
      expect(new Set(organizations.memberships.get(existing.id)?.roleSlugs)).toEqual(
        new Set(exported),
      );
      expect(organizations.calls.updateMembership).toBe(status === 'updated' ? 1 : 0);
    },
  );

  it.each([
    {
      state: 'inactive (deactivated in WorkOS)',
      membership: { status: 'inactive' as const },
      reason: 'membership_inactive_not_reactivated',
    },
    {
      state: 'a pending invitation',
      membership: { status: 'pending' as const },
      reason: 'membership_pending_invitation',
    },
    {
      state: 'managed by a directory',
      membership: { directoryManaged: true },
      reason: 'roles_kept_directory_managed',
    },
  ])('leaves a membership that is $state alone, with a reason', async ({ membership, reason }) => {
    const { users, organizations, user, organization } = imported();
    const existing = organizations.seedMembership({
      userId: user.id,
      organizationId: organization.id,
      roleSlugs: ['member'],
      ...membership,
    });

    const result = await importMembership({ users, organizations }, importMembershipRecord());

    expect(result).toEqual({ status: 'unchanged', workosMembershipId: existing.id, reason });
    expect(organizations.memberships.get(existing.id)).toEqual(existing);
    expect(organizations.calls.createMembership + organizations.calls.updateMembership).toBe(0);
  });

  it.each([
    {
      missing: 'user',
      reason: 'membership_user_not_found',
      record: importMembershipRecord({ userExternalId: 'auth0|not-imported-yet' }),
    },
    {
      missing: 'organization',
      reason: 'membership_organization_not_found',
      record: importMembershipRecord({ organizationExternalId: 'org_notImportedYet' }),
    },
  ])(
    'waits for a $missing WorkOS does not hold yet, then succeeds once it is there',
    async ({ reason, record }) => {
      const { users, organizations } = imported();

      const waiting = await importMembership({ users, organizations }, record).catch(
        (error: unknown) => error,
      );

      expect(waiting).toBeInstanceOf(DependencyNotReadyError);
      expect(waiting).toMatchObject({ reason });
      expect(classifyFailure(waiting)).toBe('not-ready');
      expect(organizations.calls.createMembership).toBe(0);

      users.seed({ email: 'late@acme.example', externalId: record.userExternalId });
      organizations.seedOrganization({ name: 'Late', externalId: record.organizationExternalId });
      await expect(importMembership({ users, organizations }, record)).resolves.toMatchObject({
        status: 'created',
      });
    },
  );

  it('does not look the organization up while the user is missing', async () => {
    const { users, organizations } = imported();

    await expect(
      importMembership(
        { users, organizations },
        importMembershipRecord({ userExternalId: 'auth0|not-imported-yet' }),
      ),
    ).rejects.toBeInstanceOf(DependencyNotReadyError);

    expect(organizations.calls.findOrganizationByExternalId).toBe(0);
  });

  it('converges on the membership a concurrent delivery created between lookup and create', async () => {
    const { users, organizations, user, organization } = imported();
    let winner: string | undefined;
    organizations.beforeNextMembershipCreate = () => {
      winner = organizations.seedMembership({
        userId: user.id,
        organizationId: organization.id,
        roleSlugs: ['admin'],
      }).id;
    };

    const result = await importMembership({ users, organizations }, importMembershipRecord());

    expect(result).toEqual({ status: 'unchanged', workosMembershipId: winner });
    expect(organizations.memberships.size).toBe(1);
    expect(organizations.calls.findMembership).toBe(2);
  });

  it('retries later when WorkOS reports the membership but the lookup cannot see it', async () => {
    const { users, organizations } = imported();
    organizations.failNext('createMembership', new DuplicateMembershipError());

    const failure = importMembership({ users, organizations }, importMembershipRecord());

    await expect(failure).rejects.toBeInstanceOf(TransientImportError);
    await expect(failure).rejects.toMatchObject({ reason: 'duplicate_membership_not_found' });
  });

  it.each([
    { when: 'creating', seedHeld: undefined },
    { when: 'updating', seedHeld: ['member'] },
  ])(
    'fails permanently with role_not_found when WorkOS has no such role ($when)',
    async ({ seedHeld }) => {
      const { users, organizations, user, organization } = imported();
      if (seedHeld) {
        organizations.seedMembership({
          userId: user.id,
          organizationId: organization.id,
          roleSlugs: seedHeld,
        });
      }

      const failure = await importMembership(
        { users, organizations },
        importMembershipRecord({ roleSlugs: ['billing-admin'] }),
      ).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(PermanentImportError);
      expect(failure).toMatchObject({ reason: 'role_not_found' });
      expect(classifyFailure(failure)).toBe('permanent');
    },
  );

  it('lets a rate limit through for the consumer to pace', async () => {
    const { users, organizations } = imported();
    const limited = new RateLimitedError(3);
    organizations.failNext('findMembership', limited);

    await expect(importMembership({ users, organizations }, importMembershipRecord())).rejects.toBe(
      limited,
    );
  });
});
