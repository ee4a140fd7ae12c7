import { DuplicateUserError } from '../../src/errors.ts';
import type {
  DirectoryUser,
  DirectoryUserChanges,
  NewDirectoryUser,
  UserDirectory,
  UserPage,
  UserPageRequest,
} from '../../src/workos/user-directory.ts';
import { maxUsersPerPage } from '../../src/workos/user-directory.ts';

export interface StoredDirectoryUser extends DirectoryUser {
  passwordHash?: string;
  passwordHashType?: string;
  passwordSaltPosition?: string;
}

/** The calls of a directory nothing has called yet, by method. */
export function noDirectoryCalls() {
  return { create: 0, update: 0, get: 0, findByExternalId: 0, findByEmail: 0, delete: 0, list: 0 };
}

/**
 * A WorkOS user store in memory with WorkOS's uniqueness rules (email case-insensitively, external
 * id), for unit tests of code that takes a `UserDirectory`. Calls are counted, and a test can
 * script failures for the next calls of a method.
 */
export class InMemoryUserDirectory implements UserDirectory {
  readonly users = new Map<string, StoredDirectoryUser>();
  readonly calls = noDirectoryCalls();
  readonly #scriptedFailures: Partial<Record<keyof UserDirectory, unknown[]>> = {};
  #nextId = 1;

  failNext(method: keyof UserDirectory, ...errors: unknown[]): void {
    const queue = this.#scriptedFailures[method] ?? [];
    queue.push(...errors);
    this.#scriptedFailures[method] = queue;
  }

  /** Puts a user in place directly, as if created by someone else. */
  seed(user: Partial<StoredDirectoryUser> & { email: string }): StoredDirectoryUser {
    const stored: StoredDirectoryUser = {
      id: `user_seed_${this.#nextId++}`,
      emailVerified: false,
      firstName: null,
      lastName: null,
      externalId: null,
      metadata: {},
      lastSignInAt: null,
      ...user,
    };
    this.users.set(stored.id, stored);
    return stored;
  }

  async createUser(user: NewDirectoryUser): Promise<DirectoryUser> {
    this.calls.create += 1;
    this.#throwScripted('createUser');
    if (this.#byEmail(user.email)) throw new DuplicateUserError('email');
    if (this.#byExternalId(user.externalId)) throw new DuplicateUserError('external_id');
    const stored: StoredDirectoryUser = {
      id: `user_${String(this.#nextId++).padStart(6, '0')}`,
      email: user.email,
      emailVerified: user.emailVerified,
      firstName: user.firstName ?? null,
      lastName: user.lastName ?? null,
      externalId: user.externalId,
      metadata: { ...user.metadata },
      lastSignInAt: null,
      ...(user.passwordHash
        ? { passwordHash: user.passwordHash, passwordHashType: user.passwordHashType }
        : {}),
      ...(user.passwordSaltPosition ? { passwordSaltPosition: user.passwordSaltPosition } : {}),
    };
    this.users.set(stored.id, stored);
    return { ...stored };
  }

  async updateUser(userId: string, changes: DirectoryUserChanges): Promise<DirectoryUser> {
    this.calls.update += 1;
    this.#throwScripted('updateUser');
    const user = this.users.get(userId);
    if (!user) throw new Error(`no user ${userId}`);
    if (changes.email !== undefined) {
      const holder = this.#byEmail(changes.email);
      if (holder && holder.id !== userId) throw new DuplicateUserError('email');
      user.email = changes.email;
    }
    if (changes.firstName !== undefined) user.firstName = changes.firstName;
    if (changes.lastName !== undefined) user.lastName = changes.lastName;
    if (changes.emailVerified !== undefined) user.emailVerified = changes.emailVerified;
    if (changes.passwordHash !== undefined) {
      user.passwordHash = changes.passwordHash;
      user.passwordHashType = changes.passwordHashType;
      user.passwordSaltPosition = changes.passwordSaltPosition;
    }
    if (changes.metadata) user.metadata = { ...user.metadata, ...changes.metadata };
    return { ...user };
  }

  async getUser(userId: string): Promise<DirectoryUser | undefined> {
    this.calls.get += 1;
    this.#throwScripted('getUser');
    const user = this.users.get(userId);
    return user && { ...user };
  }

  async findUserByExternalId(externalId: string): Promise<DirectoryUser | undefined> {
    this.calls.findByExternalId += 1;
    this.#throwScripted('findUserByExternalId');
    const user = this.#byExternalId(externalId);
    return user && { ...user };
  }

  async findUserByEmail(email: string): Promise<DirectoryUser | undefined> {
    this.calls.findByEmail += 1;
    this.#throwScripted('findUserByEmail');
    const user = this.#byEmail(email);
    return user && { ...user };
  }

  async deleteUser(userId: string): Promise<void> {
    this.calls.delete += 1;
    this.#throwScripted('deleteUser');
    this.users.delete(userId);
  }

  /**
   * Pages in creation order (ids here sort as they were made: the seeded ones apart, which come
   * in insertion order too), with WorkOS's cursor: the last id of the page, set only when more
   * users follow.
   */
  async listUsers({ after, limit = maxUsersPerPage }: UserPageRequest): Promise<UserPage> {
    this.calls.list += 1;
    this.#throwScripted('listUsers');
    if (!(Number.isInteger(limit) && limit >= 1 && limit <= maxUsersPerPage)) {
      throw new RangeError(`limit must be 1 to ${maxUsersPerPage}`);
    }
    const all = [...this.users.values()];
    const start = after === undefined ? 0 : all.findIndex((user) => user.id === after) + 1;
    if (after !== undefined && start === 0) throw new Error(`no user ${after} to page after`);
    const users = all.slice(start, start + limit).map((user) => ({ ...user }));
    const last = users.at(-1);
    return {
      users,
      ...(last !== undefined && start + limit < all.length ? { after: last.id } : {}),
    };
  }

  #byEmail(email: string): StoredDirectoryUser | undefined {
    return [...this.users.values()].find(
      (user) => user.email.toLowerCase() === email.toLowerCase(),
    );
  }

  #byExternalId(externalId: string): StoredDirectoryUser | undefined {
    return [...this.users.values()].find((user) => user.externalId === externalId);
  }

  #throwScripted(method: keyof UserDirectory): void {
    const next = this.#scriptedFailures[method]?.shift();
    if (next !== undefined) throw next;
  }
}

/**
 * A directory of `count` users imported from Auth0 (`auth0|<n>`, `User<n>@Example.com`), in
 * the order WorkOS lists them.
 */
export function directoryOfUsers(count: number): InMemoryUserDirectory {
  const directory = new InMemoryUserDirectory();
  for (let n = 0; n < count; n++) {
    directory.seed({
      email: `User${n}@Example.com`,
      externalId: `auth0|${n}`,
      metadata: { import_source: 'auth0', import_digest: `d${n}` },
    });
  }
  return directory;
}
