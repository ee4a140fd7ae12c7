import { insertSorted, type Page, type PageQuery, pageOf, removeSorted } from './cursor-pages.ts';

export const membershipStatuses = ['active', 'inactive', 'pending'] as const;
export type MembershipStatus = (typeof membershipStatuses)[number];

export interface EmulatedMembership {
  id: string;
  userId: string;
  organizationId: string;
  status: MembershipStatus;
  /** At least one; the first is the membership's primary `role`. */
  roleSlugs: string[];
  createdAt: string;
  updatedAt: string;
}

/**
 * The organization membership object as the WorkOS API sends it (the SDK's
 * `OrganizationMembershipResponse`). The organization's name is read when answering, as WorkOS
 * reports the current name.
 */
export function toMembershipResponseBody(membership: EmulatedMembership, organizationName: string) {
  return {
    object: 'organization_membership' as const,
    id: membership.id,
    user_id: membership.userId,
    organization_id: membership.organizationId,
    organization_name: organizationName,
    status: membership.status,
    directory_managed: false,
    role: { slug: membership.roleSlugs[0] ?? '' },
    roles: membership.roleSlugs.map((slug) => ({ slug })),
    custom_attributes: {},
    created_at: membership.createdAt,
    updated_at: membership.updatedAt,
  };
}

export interface ListMembershipsQuery extends PageQuery {
  userId?: string;
  organizationId?: string;
  statuses: readonly MembershipStatus[];
}

/**
 * In-memory memberships, at most one per user and organization, indexed so that the lookups an
 * import makes for every user (by user, by organization, by the pair) stay fast at a few hundred
 * thousand memberships. Users and organizations of a stored membership never change.
 */
export class MembershipStore {
  #byId = new Map<string, EmulatedMembership>();
  #idByPair = new Map<string, string>();
  #idsByUser = new Map<string, string[]>();
  #idsByOrganization = new Map<string, string[]>();
  #orderedIds: string[] = [];

  get size(): number {
    return this.#byId.size;
  }

  insert(membership: EmulatedMembership): void {
    this.#byId.set(membership.id, membership);
    this.#idByPair.set(pairKey(membership.userId, membership.organizationId), membership.id);
    insertSorted(listFor(this.#idsByUser, membership.userId), membership.id);
    insertSorted(listFor(this.#idsByOrganization, membership.organizationId), membership.id);
    insertSorted(this.#orderedIds, membership.id);
  }

  get(id: string): EmulatedMembership | undefined {
    return this.#byId.get(id);
  }

  find(userId: string, organizationId: string): EmulatedMembership | undefined {
    const id = this.#idByPair.get(pairKey(userId, organizationId));
    return id === undefined ? undefined : this.#byId.get(id);
  }

  /** Stores a new version of a membership (status, roles, timestamps). */
  replace(updated: EmulatedMembership): void {
    const previous = this.#byId.get(updated.id);
    if (
      previous === undefined ||
      previous.userId !== updated.userId ||
      previous.organizationId !== updated.organizationId
    ) {
      throw new Error('Only the status and roles of a stored membership can change');
    }
    this.#byId.set(updated.id, updated);
  }

  delete(id: string): boolean {
    const membership = this.#byId.get(id);
    if (membership === undefined) return false;
    this.#byId.delete(id);
    this.#idByPair.delete(pairKey(membership.userId, membership.organizationId));
    removeFrom(this.#idsByUser, membership.userId, id);
    removeFrom(this.#idsByOrganization, membership.organizationId, id);
    removeSorted(this.#orderedIds, id);
    return true;
  }

  /** Deletes every membership of a user, as WorkOS does when the user is deleted. */
  deleteForUser(userId: string): void {
    for (const id of [...(this.#idsByUser.get(userId) ?? [])]) this.delete(id);
  }

  /** Ids of users with a membership, of any status, in the organization. */
  userIdsIn(organizationId: string): Set<string> {
    const ids = this.#idsByOrganization.get(organizationId) ?? [];
    return new Set(ids.flatMap((id) => this.#byId.get(id)?.userId ?? []));
  }

  clear(): void {
    this.#byId.clear();
    this.#idByPair.clear();
    this.#idsByUser.clear();
    this.#idsByOrganization.clear();
    this.#orderedIds = [];
  }

  /** Every membership, oldest first. */
  all(): EmulatedMembership[] {
    return this.#orderedIds.flatMap((id) => this.#byId.get(id) ?? []);
  }

  list(query: ListMembershipsQuery): Page<EmulatedMembership> {
    const { userId, organizationId, statuses } = query;
    let ids: readonly string[];
    if (userId !== undefined && organizationId !== undefined) {
      const id = this.#idByPair.get(pairKey(userId, organizationId));
      ids = id === undefined ? [] : [id];
    } else if (userId !== undefined) {
      ids = this.#idsByUser.get(userId) ?? [];
    } else if (organizationId !== undefined) {
      ids = this.#idsByOrganization.get(organizationId) ?? [];
    } else {
      ids = this.#orderedIds;
    }
    return pageOf(
      ids,
      query,
      (id) => this.#byId.get(id),
      (membership) => statuses.includes(membership.status),
    );
  }
}

/** Ids never contain a space, so the pair key is unambiguous. */
function pairKey(userId: string, organizationId: string): string {
  return `${userId} ${organizationId}`;
}

function listFor(index: Map<string, string[]>, key: string): string[] {
  let ids = index.get(key);
  if (ids === undefined) {
    ids = [];
    index.set(key, ids);
  }
  return ids;
}

function removeFrom(index: Map<string, string[]>, key: string, id: string): void {
  const ids = index.get(key);
  if (ids === undefined) return;
  removeSorted(ids, id);
  if (ids.length === 0) index.delete(key);
}
