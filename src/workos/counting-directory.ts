import { PipelineError, RateLimitedError } from '../errors.ts';
import { classifyWorkOsError } from './classify-workos-error.ts';
import type { OrganizationDirectory } from './organization-directory.ts';
import type { UserDirectory } from './user-directory.ts';

/**
 * WorkOS calls made through the counting directories, whatever WorkOS answered: a call refused
 * with a 429 still counts as the write or read it was, as WorkOS counts it against its limits.
 */
export interface WorkOsCallCounts {
  /** Creates, updates and deletes of users, organizations and memberships; password resets. */
  writes: number;
  /** Gets, lists and finds. */
  reads: number;
  /** Calls WorkOS answered 429 (among `writes` and `reads`). */
  rateLimited: number;
}

export function emptyWorkOsCallCounts(): WorkOsCallCounts {
  return { writes: 0, reads: 0, rateLimited: 0 };
}

type CallKind = 'writes' | 'reads';

/** Counts one call into `counts`, and the 429 it may end in. */
async function counted<T>(
  counts: WorkOsCallCounts,
  kind: CallKind,
  call: () => Promise<T>,
): Promise<T> {
  counts[kind] += 1;
  try {
    return await call();
  } catch (error) {
    if (isRateLimited(error)) counts.rateLimited += 1;
    throw error;
  }
}

/** The SDK-backed directories already throw pipeline errors; anything else is classified here. */
function isRateLimited(error: unknown): boolean {
  const classified = error instanceof PipelineError ? error : classifyWorkOsError(error);
  return classified instanceof RateLimitedError;
}

/**
 * A user directory that counts the WorkOS calls it passes on into `counts`, for any WorkOS (the
 * real API or the emulator): what a run's summary reports as WorkOS writes, reads and 429s.
 */
export function countingUserDirectory(
  directory: UserDirectory,
  counts: WorkOsCallCounts,
): UserDirectory {
  return {
    createUser: (user) => counted(counts, 'writes', () => directory.createUser(user)),
    updateUser: (userId, changes) =>
      counted(counts, 'writes', () => directory.updateUser(userId, changes)),
    deleteUser: (userId) => counted(counts, 'writes', () => directory.deleteUser(userId)),
    getUser: (userId) => counted(counts, 'reads', () => directory.getUser(userId)),
    findUserByExternalId: (externalId) =>
      counted(counts, 'reads', () => directory.findUserByExternalId(externalId)),
    findUserByEmail: (email) => counted(counts, 'reads', () => directory.findUserByEmail(email)),
    listUsers: (page) => counted(counts, 'reads', () => directory.listUsers(page)),
  };
}

/** The organization directory's counterpart of `countingUserDirectory`, into the same counts. */
export function countingOrganizationDirectory(
  directory: OrganizationDirectory,
  counts: WorkOsCallCounts,
): OrganizationDirectory {
  return {
    createOrganization: (organization) =>
      counted(counts, 'writes', () => directory.createOrganization(organization)),
    updateOrganization: (organizationId, changes) =>
      counted(counts, 'writes', () => directory.updateOrganization(organizationId, changes)),
    findOrganizationByExternalId: (externalId) =>
      counted(counts, 'reads', () => directory.findOrganizationByExternalId(externalId)),
    findMembership: (userId, organizationId) =>
      counted(counts, 'reads', () => directory.findMembership(userId, organizationId)),
    createMembership: (membership) =>
      counted(counts, 'writes', () => directory.createMembership(membership)),
    updateMembership: (membershipId, roleSlugs) =>
      counted(counts, 'writes', () => directory.updateMembership(membershipId, roleSlugs)),
    createPasswordReset: (email) =>
      counted(counts, 'writes', () => directory.createPasswordReset(email)),
  };
}
