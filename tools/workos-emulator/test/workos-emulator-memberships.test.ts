import {
  ConflictException,
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

describe('WorkOS emulator: organization memberships through the real SDK', () => {
  let emulator: RunningWorkOsEmulator;
  let workos: WorkOS;
  let userId: string;
  let organizationId: string;

  async function start(options: WorkOsEmulatorOptions = {}): Promise<void> {
    emulator = await startWorkOsEmulator({ apiKey: testApiKey, ...options });
    workos = sdkFor(emulator);
    userId = (await workos.userManagement.createUser({ email: 'member@example.test' })).id;
    organizationId = (await workos.organizations.createOrganization({ name: 'Acme' })).id;
  }

  function addMember(roles: { roleSlug?: string; roleSlugs?: string[] } = {}) {
    return workos.userManagement.createOrganizationMembership({ userId, organizationId, ...roles });
  }

  beforeEach(async () => {
    await start();
  });

  afterEach(async () => {
    await emulator.close();
  });

  it('creates an active membership with the default member role', async () => {
    const membership = await addMember();
    expect(membership).toEqual({
      object: 'organization_membership',
      id: expect.stringMatching(/^om_[0-9A-HJKMNP-TV-Z]{26}$/),
      userId,
      organizationId,
      organizationName: 'Acme',
      status: 'active',
      directoryManaged: false,
      role: { slug: 'member' },
      roles: [{ slug: 'member' }],
      customAttributes: {},
      createdAt: expect.any(String),
      updatedAt: membership.createdAt,
    });
    expect(emulator.memberships()).toEqual([
      expect.objectContaining({ id: membership.id, status: 'active', roleSlugs: ['member'] }),
    ]);
    expect(emulator.stats()).toMatchObject({ membershipsCreated: 1, membershipCount: 1 });
  });

  it('gives the role asked for with role_slug or a one-element role_slugs', async () => {
    expect((await addMember({ roleSlug: 'admin' })).role).toEqual({ slug: 'admin' });
    const otherUser = await workos.userManagement.createUser({ email: 'other@example.test' });
    const viaSlugs = await workos.userManagement.createOrganizationMembership({
      userId: otherUser.id,
      organizationId,
      roleSlugs: ['billing'],
    });
    expect(viaSlugs.role).toEqual({ slug: 'billing' });
  });

  it('refuses several roles unless Multiple Roles is enabled', async () => {
    const error = await failureOf(() => addMember({ roleSlugs: ['admin', 'billing'] }));
    expect(error).toBeInstanceOf(UnprocessableEntityException);
    expect((error as Error).message).toContain('multiple_roles_not_enabled');
    expect(emulator.memberships()).toEqual([]);

    await emulator.close();
    await start({ multipleRoles: true });
    const membership = await addMember({ roleSlugs: ['admin', 'billing'] });
    expect(membership.roles).toEqual([{ slug: 'admin' }, { slug: 'billing' }]);
    expect(membership.role).toEqual({ slug: 'admin' });
  });

  it('refuses role_slug and role_slugs together with 422', async () => {
    const error = await failureOf(() => addMember({ roleSlug: 'admin', roleSlugs: ['admin'] }));
    expect(error).toBeInstanceOf(UnprocessableEntityException);
    expect((error as Error).message).toContain('role_slug_and_role_slugs_mutually_exclusive');
  });

  it.each([
    { missing: 'user', ids: () => ({ userId: 'user_missing', organizationId }) },
    { missing: 'organization', ids: () => ({ userId, organizationId: 'org_missing' }) },
  ])('answers an unknown $missing with NotFoundException entity_not_found', async ({ ids }) => {
    const error = await failureOf(() => workos.userManagement.createOrganizationMembership(ids()));
    expect(error).toBeInstanceOf(NotFoundException);
    expect(error).toMatchObject({ status: 404, code: 'entity_not_found' });
    expect(emulator.memberships()).toEqual([]);
  });

  it('answers an existing membership with a 409 whose message says "already a member"', async () => {
    await addMember();
    const error = await failureOf(() => addMember({ roleSlug: 'admin' }));
    expect(error).toBeInstanceOf(ConflictException);
    expect(error).toMatchObject({ status: 409, code: 'organization_membership_already_exists' });
    expect((error as Error).message).toContain('already a member');
    expect(emulator.memberships()).toEqual([expect.objectContaining({ roleSlugs: ['member'] })]);
  });

  it('re-activates an inactive membership on create, with the roles asked for', async () => {
    const membership = await addMember();
    const deactivated = await workos.userManagement.deactivateOrganizationMembership(membership.id);
    expect(deactivated.status).toBe('inactive');
    const reactivated = await addMember({ roleSlug: 'admin' });
    expect(reactivated).toMatchObject({
      id: membership.id,
      status: 'active',
      role: { slug: 'admin' },
    });
    expect(emulator.memberships()).toHaveLength(1);
    expect(emulator.stats()).toMatchObject({
      membershipsCreated: 1,
      membershipsDeactivated: 1,
      membershipsReactivated: 1,
    });
  });

  it('deactivates and reactivates, each a no-op when already in that state', async () => {
    const { id } = await addMember({ roleSlug: 'admin' });
    await workos.userManagement.deactivateOrganizationMembership(id);
    expect((await workos.userManagement.deactivateOrganizationMembership(id)).status).toBe(
      'inactive',
    );
    const reactivated = await workos.userManagement.reactivateOrganizationMembership(id);
    expect(reactivated).toMatchObject({ status: 'active', role: { slug: 'admin' } });
    expect((await workos.userManagement.reactivateOrganizationMembership(id)).status).toBe(
      'active',
    );
    expect(emulator.stats()).toMatchObject({
      membershipsDeactivated: 1,
      membershipsReactivated: 1,
    });
  });

  it('lists only active memberships unless statuses are given', async () => {
    const inactive = await addMember();
    await workos.userManagement.deactivateOrganizationMembership(inactive.id);
    const activeUser = await workos.userManagement.createUser({ email: 'active@example.test' });
    const active = await workos.userManagement.createOrganizationMembership({
      userId: activeUser.id,
      organizationId,
    });
    const byDefault = await workos.userManagement.listOrganizationMemberships({ organizationId });
    expect(byDefault.data.map((membership) => membership.id)).toEqual([active.id]);
    const inactiveOnly = await workos.userManagement.listOrganizationMemberships({
      organizationId,
      statuses: ['inactive'],
    });
    expect(inactiveOnly.data.map((membership) => membership.id)).toEqual([inactive.id]);
    const everything = await workos.userManagement.listOrganizationMemberships({
      userId,
      organizationId,
      statuses: ['active', 'inactive', 'pending'],
    });
    expect(everything.data.map((membership) => membership.id)).toEqual([inactive.id]);
  });

  it('lists a user’s memberships across organizations with cursor pagination', async () => {
    const ids = [(await addMember()).id];
    for (const name of ['Globex', 'Initech']) {
      const organization = await workos.organizations.createOrganization({ name });
      const membership = await workos.userManagement.createOrganizationMembership({
        userId,
        organizationId: organization.id,
      });
      ids.push(membership.id);
    }
    const first = await workos.userManagement.listOrganizationMemberships({
      userId,
      limit: 2,
      order: 'asc',
    });
    expect(first.data.map((membership) => membership.organizationName)).toEqual(['Acme', 'Globex']);
    const second = await workos.userManagement.listOrganizationMemberships({
      userId,
      limit: 2,
      order: 'asc',
      after: first.listMetadata.after ?? '',
    });
    expect(second.data.map((membership) => membership.id)).toEqual([ids[2]]);
    expect(second.listMetadata).toEqual({ before: ids[2], after: null });
  });

  it('refuses a list without user_id or organization_id with 422', async () => {
    const response = await fetch(`${emulator.url}/user_management/organization_memberships`, {
      headers: { Authorization: `Bearer ${testApiKey}` },
    });
    expect(response.status).toBe(422);
    expect(await response.json()).toMatchObject({
      errors: [expect.objectContaining({ code: 'user_id_or_organization_id_required' })],
    });
  });

  it('gets, updates and deletes a membership by id', async () => {
    const { id } = await addMember();
    await expect(workos.userManagement.getOrganizationMembership(id)).resolves.toMatchObject({
      id,
      userId,
    });
    const updated = await workos.userManagement.updateOrganizationMembership(id, {
      roleSlug: 'admin',
    });
    expect(updated.role).toEqual({ slug: 'admin' });
    await workos.userManagement.deleteOrganizationMembership(id);
    expect(
      await failureOf(() => workos.userManagement.getOrganizationMembership(id)),
    ).toBeInstanceOf(NotFoundException);
    expect(
      await failureOf(() => workos.userManagement.deleteOrganizationMembership(id)),
    ).toBeInstanceOf(NotFoundException);
    expect(emulator.stats()).toMatchObject({
      membershipsUpdated: 1,
      membershipsDeleted: 1,
      membershipCount: 0,
    });
  });

  it('lists the members of an organization through listUsers({ organizationId })', async () => {
    await addMember();
    await workos.userManagement.createUser({ email: 'outsider@example.test' });
    const members = await workos.userManagement.listUsers({ organizationId });
    expect(members.data.map((user) => user.email)).toEqual(['member@example.test']);
  });

  it("deletes a user's memberships with the user", async () => {
    await addMember();
    await workos.userManagement.deleteUser(userId);
    expect(emulator.memberships()).toEqual([]);
    const listed = await workos.userManagement.listOrganizationMemberships({ organizationId });
    expect(listed.data).toEqual([]);
  });

  it('counts membership writes against the user-management write limit', async () => {
    await emulator.close();
    await start({ writeLimit: { requests: 2, windowMs: 60_000 } });
    // start() spent one write on the user; the organization is not a user-management write.
    await addMember();
    const secondUser = await failureOf(() =>
      workos.userManagement.createUser({ email: 'second@example.test' }),
    );
    expect(secondUser).toBeInstanceOf(RateLimitExceededException);
    expect(emulator.stats()).toMatchObject({ writes: 3, rateLimited: 1, membershipsCreated: 1 });
  });

  it.each(['deactivateOrganizationMembership', 'reactivateOrganizationMembership'] as const)(
    'answers %s of an unknown id with NotFoundException',
    async (method) => {
      const error = await failureOf(() => workos.userManagement[method]('om_missing'));
      expect(error).toBeInstanceOf(NotFoundException);
      expect(error).toMatchObject({ code: 'entity_not_found' });
    },
  );
});
