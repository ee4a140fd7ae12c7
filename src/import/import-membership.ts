import {
  DependencyNotReadyError,
  DuplicateMembershipError,
  TransientImportError,
} from '../errors.ts';
import type { ImportMembership } from '../model/import-message.ts';
import type {
  DirectoryMembership,
  OrganizationDirectory,
} from '../workos/organization-directory.ts';
import type { UserDirectory } from '../workos/user-directory.ts';
import type { UpsertStatus } from './upsert-user.ts';

export interface ImportMembershipResult {
  status: UpsertStatus;
  workosMembershipId: string;
  /** Why an existing membership was left as it is. */
  reason?: string;
}

export interface ImportMembershipDependencies {
  users: Pick<UserDirectory, 'findUserByExternalId'>;
  organizations: OrganizationDirectory;
}

/**
 * Gives the user the membership of the organization the export names, with its roles, so that
 * any number of deliveries converge on one WorkOS membership.
 *
 * The user and the organization are found by external id, the user first: users are the bulk of
 * an import and the likelier to be still on their way. Either one missing is not a failure: the
 * record waits (`DependencyNotReadyError`) and is delivered again later.
 *
 * The membership is looked up before it is created. Creating over an `inactive` membership
 * re-activates it (WorkOS documents this), which would undo a deactivation made in WorkOS since
 * the last run; the lookup also makes a re-run cost reads only. A create that still finds the
 * membership there (a concurrent delivery won) converges on that membership.
 *
 * Roles: an empty list means the environment's default role, and then any role the membership
 * holds is kept. Otherwise the membership's roles become the exported ones, except on a
 * membership a directory (SCIM) manages, or one that is inactive or still a pending invitation:
 * those are left alone and reported.
 */
export async function importMembership(
  { users, organizations }: ImportMembershipDependencies,
  membership: ImportMembership,
): Promise<ImportMembershipResult> {
  const user = await users.findUserByExternalId(membership.userExternalId);
  if (user === undefined) {
    throw new DependencyNotReadyError(
      'membership_user_not_found',
      'The membership names a user WorkOS does not hold yet',
    );
  }
  const organization = await organizations.findOrganizationByExternalId(
    membership.organizationExternalId,
  );
  if (organization === undefined) {
    throw new DependencyNotReadyError(
      'membership_organization_not_found',
      'The membership names an organization WorkOS does not hold yet',
    );
  }
  const roleSlugs = [...new Set(membership.roleSlugs)];

  const existing = await organizations.findMembership(user.id, organization.id);
  if (existing !== undefined) return reconcile(organizations, existing, roleSlugs);

  try {
    const created = await organizations.createMembership({
      userId: user.id,
      organizationId: organization.id,
      roleSlugs,
    });
    return { status: 'created', workosMembershipId: created.id };
  } catch (error) {
    if (!(error instanceof DuplicateMembershipError)) throw error;
  }
  const raced = await organizations.findMembership(user.id, organization.id);
  if (raced === undefined) {
    // WorkOS said the user is a member but the lookup does not see it: a concurrent delete, or
    // a read that has not caught up yet. Trying again later settles it either way.
    throw new TransientImportError(
      'duplicate_membership_not_found',
      'Duplicate membership could not be found',
    );
  }
  return reconcile(organizations, raced, roleSlugs);
}

async function reconcile(
  organizations: OrganizationDirectory,
  existing: DirectoryMembership,
  roleSlugs: string[],
): Promise<ImportMembershipResult> {
  const unchanged = { status: 'unchanged' as const, workosMembershipId: existing.id };
  if (existing.status === 'inactive') {
    return { ...unchanged, reason: 'membership_inactive_not_reactivated' };
  }
  if (existing.status === 'pending')
    return { ...unchanged, reason: 'membership_pending_invitation' };
  if (roleSlugs.length === 0 || sameRoles(existing.roleSlugs, roleSlugs)) return unchanged;
  if (existing.directoryManaged) return { ...unchanged, reason: 'roles_kept_directory_managed' };
  const updated = await organizations.updateMembership(existing.id, roleSlugs);
  return { status: 'updated', workosMembershipId: updated.id };
}

/** Roles are a set: their order means nothing to WorkOS. */
function sameRoles(held: string[], wanted: string[]): boolean {
  const heldSet = new Set(held);
  return heldSet.size === new Set(wanted).size && wanted.every((slug) => heldSet.has(slug));
}
