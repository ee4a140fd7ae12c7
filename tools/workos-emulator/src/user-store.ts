import { insertSorted, type Page, type PageQuery, pageOf, removeSorted } from './cursor-pages.ts';
import type { PasswordHashType, PasswordSaltPosition } from './password-hash-types.ts';

/** A user as the emulator stores it, including what WorkOS never returns: the password hash. */
export interface EmulatedUser {
  id: string;
  email: string;
  emailVerified: boolean;
  firstName: string | null;
  lastName: string | null;
  name: string | null;
  profilePictureUrl: string | null;
  lastSignInAt: string | null;
  locale: string | null;
  externalId: string | null;
  metadata: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /**
   * For an imported hash: exactly the `password_hash` received, so tests can assert the import
   * was byte-for-byte. For a plain `password`: the emulator's own bcrypt of it.
   */
  passwordHash: string | null;
  passwordHashType: PasswordHashType | null;
  /** The `password_salt_position` sent with an `ssha256` hash; null when none was. */
  passwordSaltPosition: PasswordSaltPosition | null;
  /** Whether the hash was imported (`password_hash`) or derived from a plain `password`. */
  passwordSource: 'password_hash' | 'password' | null;
}

/** The user object exactly as the WorkOS API sends it (the SDK's `UserResponse`). */
export interface UserResponseBody {
  object: 'user';
  id: string;
  email: string;
  email_verified: boolean;
  first_name: string | null;
  last_name: string | null;
  name: string | null;
  profile_picture_url: string | null;
  last_sign_in_at: string | null;
  external_id: string | null;
  metadata: Record<string, string>;
  locale: string | null;
  created_at: string;
  updated_at: string;
}

export function toUserResponseBody(user: EmulatedUser): UserResponseBody {
  return {
    object: 'user',
    id: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    first_name: user.firstName,
    last_name: user.lastName,
    name: user.name,
    profile_picture_url: user.profilePictureUrl,
    last_sign_in_at: user.lastSignInAt,
    external_id: user.externalId,
    metadata: { ...user.metadata },
    locale: user.locale,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

export interface ListUsersQuery extends PageQuery {
  email?: string;
}

export type UserPage = Page<EmulatedUser>;

/** Emails are unique per environment regardless of case. */
export function emailKey(email: string): string {
  return email.toLowerCase();
}

/**
 * In-memory users with the indexes an import needs to stay fast at a few hundred thousand users:
 * by email (case-insensitive), by external id, and ids in creation order for pagination.
 * Uniqueness is the caller's check; the store keeps its indexes consistent with what it holds.
 */
export class UserStore {
  #byId = new Map<string, EmulatedUser>();
  #idByEmail = new Map<string, string>();
  #idByExternalId = new Map<string, string>();
  /** Ascending. Ids are monotonic ULIDs, so appending keeps this sorted by creation. */
  #orderedIds: string[] = [];

  get size(): number {
    return this.#byId.size;
  }

  insert(user: EmulatedUser): void {
    this.#byId.set(user.id, user);
    this.#idByEmail.set(emailKey(user.email), user.id);
    if (user.externalId !== null) this.#idByExternalId.set(user.externalId, user.id);
    insertSorted(this.#orderedIds, user.id);
  }

  get(id: string): EmulatedUser | undefined {
    return this.#byId.get(id);
  }

  findByEmail(email: string): EmulatedUser | undefined {
    const id = this.#idByEmail.get(emailKey(email));
    return id === undefined ? undefined : this.#byId.get(id);
  }

  findByExternalId(externalId: string): EmulatedUser | undefined {
    const id = this.#idByExternalId.get(externalId);
    return id === undefined ? undefined : this.#byId.get(id);
  }

  /** Replaces a stored user with its new version, moving index entries whose keys changed. */
  replace(updated: EmulatedUser): void {
    const previous = this.#byId.get(updated.id);
    if (previous === undefined) throw new Error('Cannot replace a user that is not stored');
    if (emailKey(previous.email) !== emailKey(updated.email)) {
      this.#idByEmail.delete(emailKey(previous.email));
    }
    this.#idByEmail.set(emailKey(updated.email), updated.id);
    if (previous.externalId !== null && previous.externalId !== updated.externalId) {
      this.#idByExternalId.delete(previous.externalId);
    }
    if (updated.externalId !== null) this.#idByExternalId.set(updated.externalId, updated.id);
    this.#byId.set(updated.id, updated);
  }

  delete(id: string): boolean {
    const user = this.#byId.get(id);
    if (user === undefined) return false;
    this.#byId.delete(id);
    this.#idByEmail.delete(emailKey(user.email));
    if (user.externalId !== null) this.#idByExternalId.delete(user.externalId);
    removeSorted(this.#orderedIds, id);
    return true;
  }

  clear(): void {
    this.#byId.clear();
    this.#idByEmail.clear();
    this.#idByExternalId.clear();
    this.#orderedIds = [];
  }

  /** Every user, oldest first. */
  all(): EmulatedUser[] {
    return this.#orderedIds.flatMap((id) => this.#byId.get(id) ?? []);
  }

  /**
   * One page in WorkOS's cursor style (see `pageOf`), optionally only the user with this email
   * or only users `includes` accepts.
   */
  list(query: ListUsersQuery, includes?: (user: EmulatedUser) => boolean): UserPage {
    let ids: readonly string[] = this.#orderedIds;
    if (query.email !== undefined) {
      const match = this.findByEmail(query.email);
      ids = match === undefined ? [] : [match.id];
    }
    return pageOf(ids, query, (id) => this.#byId.get(id), includes);
  }
}
