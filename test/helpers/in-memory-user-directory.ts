import { DuplicateUserError } from '../../src/errors.ts';
import type {
  DirectoryUser,
  DirectoryUserChanges,
  NewDirectoryUser,
  UserDirectory,
} from '../../src/workos/user-directory.ts';

export interface StoredDirectoryUser extends DirectoryUser {
  passwordHash?: string;
  passwordHashType?: string;
  passwordSaltPosition?: string;
}

/**
 * A WorkOS user store in memory with WorkOS's uniqueness rules (email case-insensitively, external
 * id), for unit tests of code that takes a `UserDirectory`. Calls are counted, and a test can
 * script failures for the next calls of a method.
 */
export class InMemoryUserDirectory implements UserDirectory {
  readonly users = new Map<string, StoredDirectoryUser>();
  readonly calls = { create: 0, update: 0, findByExternalId: 0, findByEmail: 0, delete: 0 };
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
