import type { PasswordHashType } from '../pipeline/user-message.ts';

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

export interface ListUsersQuery {
  email?: string;
  limit: number;
  order: 'asc' | 'desc';
  before?: string;
  after?: string;
}

export interface UserPage {
  data: EmulatedUser[];
  listMetadata: { before: string | null; after: string | null };
}

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
    const last = this.#orderedIds.at(-1);
    if (last === undefined || last < user.id) {
      this.#orderedIds.push(user.id);
    } else {
      this.#orderedIds.splice(lowerBound(this.#orderedIds, user.id), 0, user.id);
    }
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
    const index = lowerBound(this.#orderedIds, id);
    if (this.#orderedIds[index] === id) this.#orderedIds.splice(index, 1);
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
   * One page in WorkOS's cursor style. `after` continues in the listing order, `before` goes
   * back; both are user ids and are compared as ids, so a cursor whose user was deleted still
   * works. `list_metadata.after` is set only when more users follow the page, `before` only when
   * users precede it.
   */
  list(query: ListUsersQuery): UserPage {
    let ids = this.#orderedIds;
    if (query.email !== undefined) {
      const match = this.findByEmail(query.email);
      ids = match === undefined ? [] : [match.id];
    }
    const window = pageWindow(ids, query);
    const pageIds = ids.slice(window.start, window.end);
    if (query.order === 'desc') pageIds.reverse();
    const data = pageIds.flatMap((id) => this.#byId.get(id) ?? []);
    const first = data[0];
    const last = data.at(-1);
    const moreAfter = query.order === 'asc' ? window.end < ids.length : window.start > 0;
    const moreBefore = query.order === 'asc' ? window.start > 0 : window.end < ids.length;
    return {
      data,
      listMetadata: {
        before: moreBefore && first !== undefined ? first.id : null,
        after: moreAfter && last !== undefined ? last.id : null,
      },
    };
  }
}

/**
 * The slice of the ascending id list a page covers. Paging forward takes the `limit` ids nearest
 * the `after` cursor (or the start); paging back with only `before` takes the `limit` ids nearest
 * that cursor, so "previous page" returns the page the client came from.
 */
function pageWindow(ids: string[], query: ListUsersQuery): { start: number; end: number } {
  const { after, before, limit, order } = query;
  let low = 0;
  let high = ids.length;
  if (order === 'asc') {
    if (after !== undefined) low = upperBound(ids, after);
    if (before !== undefined) high = lowerBound(ids, before);
  } else {
    if (after !== undefined) high = lowerBound(ids, after);
    if (before !== undefined) low = upperBound(ids, before);
  }
  if (high <= low) return { start: low, end: low };
  const pagingBack = before !== undefined && after === undefined;
  // In descending order the page nearest the start of the listing sits at the high end.
  const takeFromLow = order === 'asc' ? !pagingBack : pagingBack;
  return takeFromLow
    ? { start: low, end: Math.min(high, low + limit) }
    : { start: Math.max(low, high - limit), end: high };
}

/** First index whose id is >= `id`. */
function lowerBound(ids: string[], id: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ids[middle] ?? '') < id) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** First index whose id is > `id`. */
function upperBound(ids: string[], id: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ids[middle] ?? '') <= id) low = middle + 1;
    else high = middle;
  }
  return low;
}
