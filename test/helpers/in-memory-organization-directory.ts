import {
  DuplicateMembershipError,
  DuplicateOrganizationError,
  PermanentImportError,
} from '../../src/errors.ts';
import type {
  CreatedPasswordReset,
  DirectoryMembership,
  DirectoryOrganization,
  DirectoryOrganizationChanges,
  NewDirectoryMembership,
  NewDirectoryOrganization,
  OrganizationDirectory,
} from '../../src/workos/organization-directory.ts';

/** The role WorkOS gives a membership created without one. */
export const defaultRoleSlug = 'member';

/**
 * WorkOS organizations and memberships in memory, with WorkOS's rules: external ids unique, one
 * membership per user and organization, new domains `pending`, metadata updates partial, and
 * only roles the environment defines (`roles`) accepted. Calls are counted, and a test can
 * script failures for the next calls of a method.
 */
export class InMemoryOrganizationDirectory implements OrganizationDirectory {
  readonly organizations = new Map<string, DirectoryOrganization>();
  readonly memberships = new Map<string, DirectoryMembership>();
  /** Emails a password reset was created for, in order. */
  readonly passwordResets: string[] = [];
  /** Role slugs the environment defines; WorkOS refuses any other. */
  readonly roles = new Set<string>([defaultRoleSlug, 'admin']);
  readonly calls = {
    createOrganization: 0,
    findOrganizationByExternalId: 0,
    updateOrganization: 0,
    findMembership: 0,
    createMembership: 0,
    updateMembership: 0,
    createPasswordReset: 0,
  };
  readonly #scriptedFailures: Partial<Record<keyof OrganizationDirectory, unknown[]>> = {};
  /** Runs before the next `createMembership` does its work: lets a test stage a race. */
  beforeNextMembershipCreate: (() => void) | undefined;
  #nextId = 1;

  failNext(method: keyof OrganizationDirectory, ...errors: unknown[]): void {
    const queue = this.#scriptedFailures[method] ?? [];
    queue.push(...errors);
    this.#scriptedFailures[method] = queue;
  }

  /** Puts an organization in place directly, as if created earlier or by someone else. */
  seedOrganization(
    organization: Partial<DirectoryOrganization> & { name: string },
  ): DirectoryOrganization {
    const stored: DirectoryOrganization = {
      id: `org_seed_${this.#nextId++}`,
      externalId: null,
      domains: [],
      metadata: {},
      ...organization,
    };
    this.organizations.set(stored.id, stored);
    return stored;
  }

  /** Puts a membership in place directly, as if created earlier or by someone else. */
  seedMembership(
    membership: Partial<DirectoryMembership> & { userId: string; organizationId: string },
  ): DirectoryMembership {
    const stored: DirectoryMembership = {
      id: `om_seed_${this.#nextId++}`,
      roleSlugs: [defaultRoleSlug],
      status: 'active',
      directoryManaged: false,
      ...membership,
    };
    this.memberships.set(stored.id, stored);
    return stored;
  }

  async createOrganization(organization: NewDirectoryOrganization): Promise<DirectoryOrganization> {
    this.calls.createOrganization += 1;
    this.#throwScripted('createOrganization');
    if (this.#organizationByExternalId(organization.externalId)) {
      throw new DuplicateOrganizationError();
    }
    const stored: DirectoryOrganization = {
      id: `org_${String(this.#nextId++).padStart(6, '0')}`,
      name: organization.name,
      externalId: organization.externalId,
      domains: (organization.domains ?? []).map((domain) => ({ domain, state: 'pending' })),
      metadata: { ...organization.metadata },
    };
    this.organizations.set(stored.id, stored);
    return structuredClone(stored);
  }

  async findOrganizationByExternalId(
    externalId: string,
  ): Promise<DirectoryOrganization | undefined> {
    this.calls.findOrganizationByExternalId += 1;
    this.#throwScripted('findOrganizationByExternalId');
    const organization = this.#organizationByExternalId(externalId);
    return organization && structuredClone(organization);
  }

  async updateOrganization(
    organizationId: string,
    changes: DirectoryOrganizationChanges,
  ): Promise<DirectoryOrganization> {
    this.calls.updateOrganization += 1;
    this.#throwScripted('updateOrganization');
    const organization = this.organizations.get(organizationId);
    if (!organization) throw new Error(`no organization ${organizationId}`);
    if (changes.name !== undefined) organization.name = changes.name;
    if (changes.metadata) organization.metadata = { ...organization.metadata, ...changes.metadata };
    if (changes.domains) organization.domains = changes.domains.map((domain) => ({ ...domain }));
    return structuredClone(organization);
  }

  async findMembership(
    userId: string,
    organizationId: string,
  ): Promise<DirectoryMembership | undefined> {
    this.calls.findMembership += 1;
    this.#throwScripted('findMembership');
    const membership = this.#membershipOf(userId, organizationId);
    return membership && structuredClone(membership);
  }

  async createMembership(membership: NewDirectoryMembership): Promise<DirectoryMembership> {
    this.calls.createMembership += 1;
    this.#throwScripted('createMembership');
    const race = this.beforeNextMembershipCreate;
    this.beforeNextMembershipCreate = undefined;
    race?.();
    this.#assertRolesExist(membership.roleSlugs);
    if (this.#membershipOf(membership.userId, membership.organizationId)) {
      throw new DuplicateMembershipError();
    }
    const stored: DirectoryMembership = {
      id: `om_${String(this.#nextId++).padStart(6, '0')}`,
      userId: membership.userId,
      organizationId: membership.organizationId,
      roleSlugs: membership.roleSlugs.length === 0 ? [defaultRoleSlug] : [...membership.roleSlugs],
      status: 'active',
      directoryManaged: false,
    };
    this.memberships.set(stored.id, stored);
    return structuredClone(stored);
  }

  async updateMembership(membershipId: string, roleSlugs: string[]): Promise<DirectoryMembership> {
    this.calls.updateMembership += 1;
    this.#throwScripted('updateMembership');
    const membership = this.memberships.get(membershipId);
    if (!membership) throw new Error(`no membership ${membershipId}`);
    this.#assertRolesExist(roleSlugs);
    membership.roleSlugs = [...roleSlugs];
    return structuredClone(membership);
  }

  async createPasswordReset(email: string): Promise<CreatedPasswordReset> {
    this.calls.createPasswordReset += 1;
    this.#throwScripted('createPasswordReset');
    this.passwordResets.push(email);
    return {
      id: `password_reset_${this.#nextId++}`,
      userId: 'user_unknown',
      expiresAt: new Date(0).toISOString(),
    };
  }

  #organizationByExternalId(externalId: string): DirectoryOrganization | undefined {
    return [...this.organizations.values()].find(
      (organization) => organization.externalId === externalId,
    );
  }

  #membershipOf(userId: string, organizationId: string): DirectoryMembership | undefined {
    return [...this.memberships.values()].find(
      (membership) => membership.userId === userId && membership.organizationId === organizationId,
    );
  }

  /** What the SDK-backed directory throws for a slug WorkOS does not know. */
  #assertRolesExist(roleSlugs: string[]): void {
    if (roleSlugs.every((slug) => this.roles.has(slug))) return;
    throw new PermanentImportError('role_not_found', 'WorkOS has no role with this slug');
  }

  #throwScripted(method: keyof OrganizationDirectory): void {
    const next = this.#scriptedFailures[method]?.shift();
    if (next !== undefined) throw next;
  }
}
