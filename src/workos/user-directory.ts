import type { PasswordHashType, PasswordSaltPosition } from '../model/import-message.ts';

/** A WorkOS user as the importer needs to see it. */
export interface DirectoryUser {
  id: string;
  email: string;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  externalId: string | null;
  metadata: Record<string, string>;
  /** Empty while the user has never signed in to WorkOS. */
  lastSignInAt: string | null;
}

export interface NewDirectoryUser {
  email: string;
  emailVerified: boolean;
  firstName?: string;
  lastName?: string;
  externalId: string;
  passwordHash?: string;
  passwordHashType?: PasswordHashType;
  /** Only with `passwordHashType: 'ssha256'`; absent: WorkOS's default, `suffix`. */
  passwordSaltPosition?: PasswordSaltPosition;
  metadata: Record<string, string>;
}

/**
 * `externalId` is only ever set on a user that has none: linking a pre-existing user when the job
 * opts in to overwriting them.
 */
export type DirectoryUserChanges = Partial<NewDirectoryUser>;

/** WorkOS's largest page of users: 100. */
export const maxUsersPerPage = 100;

/** Where a listing of every user goes on from: `after` is the last page's cursor. */
export interface UserPageRequest {
  /** Absent: the first page. */
  after?: string;
  /** Users per page, 1 to `maxUsersPerPage` (the default). */
  limit?: number;
}

export interface UserPage {
  /** Oldest first: users created while the listing runs land on its later pages. */
  users: DirectoryUser[];
  /** The cursor of the next page; absent on the last. */
  after?: string;
}

/**
 * The WorkOS user-management operations the importer uses. The SDK-backed implementation throws
 * only pipeline errors (`DuplicateUserError`, `RateLimitedError`, ...), so callers never see a
 * WorkOS exception type.
 */
export interface UserDirectory {
  createUser(user: NewDirectoryUser): Promise<DirectoryUser>;
  updateUser(userId: string, changes: DirectoryUserChanges): Promise<DirectoryUser>;
  /** The user with this WorkOS id; absent once deleted. */
  getUser(userId: string): Promise<DirectoryUser | undefined>;
  findUserByExternalId(externalId: string): Promise<DirectoryUser | undefined>;
  findUserByEmail(email: string): Promise<DirectoryUser | undefined>;
  /** Deletes the user (with their memberships); a user already gone is not an error. */
  deleteUser(userId: string): Promise<void>;
  /** One page of every user in the environment, oldest first: one read. */
  listUsers(page: UserPageRequest): Promise<UserPage>;
}
