import { WriteSlotUnavailableError } from '../errors.ts';
import type { OrganizationDirectory } from '../workos/organization-directory.ts';
import type {
  DirectoryUser,
  DirectoryUserChanges,
  NewDirectoryUser,
  UserDirectory,
} from '../workos/user-directory.ts';
import type { WritePacer } from './write-pacer.ts';

/** How long WorkOS calls took, pacing waits excluded: the dashboard's WorkOS latency. */
export interface WorkOsTiming {
  workosMs: number;
}

export interface WriteSlots {
  pacer: WritePacer;
  /** Longest wait for a slot before the record goes back on the queue instead. */
  maxWaitMs: number;
}

/**
 * Runs one WorkOS write in a pacer slot. Every write takes its own slot, so a record that needs
 * two writes (a reconciled user, a user and its password reset) costs two slots: the pacer's
 * rate is WorkOS's write rate, not a record rate. Reads are not paced: WorkOS counts them apart
 * (1,000 per 10 s) and the importer reads far less than it writes.
 */
export async function inWriteSlot<T>(slots: WriteSlots, write: () => Promise<T>): Promise<T> {
  const slot = await slots.pacer.acquire(slots.maxWaitMs);
  if (!slot.granted) throw new WriteSlotUnavailableError(slot.retryAfterSeconds);
  return write();
}

/** Adds the duration of a WorkOS call to `timing`, whether it succeeds or fails. */
export async function timed<T>(timing: WorkOsTiming, call: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await call();
  } finally {
    timing.workosMs += performance.now() - started;
  }
}

/**
 * A user directory whose writes wait for a pacer slot and whose calls are timed. One is made per
 * record, so the timing belongs to that record.
 */
export function pacedUserDirectory(
  directory: UserDirectory,
  slots: WriteSlots,
  timing: WorkOsTiming,
): UserDirectory {
  return {
    createUser: (user: NewDirectoryUser): Promise<DirectoryUser> =>
      inWriteSlot(slots, () => timed(timing, () => directory.createUser(user))),
    updateUser: (userId: string, changes: DirectoryUserChanges): Promise<DirectoryUser> =>
      inWriteSlot(slots, () => timed(timing, () => directory.updateUser(userId, changes))),
    getUser: (userId: string) => timed(timing, () => directory.getUser(userId)),
    findUserByExternalId: (externalId: string) =>
      timed(timing, () => directory.findUserByExternalId(externalId)),
    findUserByEmail: (email: string) => timed(timing, () => directory.findUserByEmail(email)),
    deleteUser: (userId: string) =>
      inWriteSlot(slots, () => timed(timing, () => directory.deleteUser(userId))),
    listUsers: (page) => timed(timing, () => directory.listUsers(page)),
  };
}

/**
 * An organization directory whose AuthKit writes (memberships, password resets) wait for a pacer
 * slot. Organization writes fall under WorkOS's general limit (6,000 per minute), not AuthKit's
 * 500 writes per 10 s, and there are few of them: they are timed but not paced.
 */
export function pacedOrganizationDirectory(
  directory: OrganizationDirectory,
  slots: WriteSlots,
  timing: WorkOsTiming,
): OrganizationDirectory {
  return {
    createOrganization: (organization) =>
      timed(timing, () => directory.createOrganization(organization)),
    findOrganizationByExternalId: (externalId) =>
      timed(timing, () => directory.findOrganizationByExternalId(externalId)),
    updateOrganization: (organizationId, changes) =>
      timed(timing, () => directory.updateOrganization(organizationId, changes)),
    findMembership: (userId, organizationId) =>
      timed(timing, () => directory.findMembership(userId, organizationId)),
    createMembership: (membership) =>
      inWriteSlot(slots, () => timed(timing, () => directory.createMembership(membership))),
    updateMembership: (membershipId, roleSlugs) =>
      inWriteSlot(slots, () =>
        timed(timing, () => directory.updateMembership(membershipId, roleSlugs)),
      ),
    createPasswordReset: (email) =>
      inWriteSlot(slots, () => timed(timing, () => directory.createPasswordReset(email))),
  };
}
