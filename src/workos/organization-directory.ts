import {
  DomainDataState,
  NotFoundException,
  type Organization,
  type OrganizationMembership,
  type WorkOS,
} from '@workos-inc/node';
import type { PipelineError } from '../errors.ts';
import {
  classifyWorkOsError,
  duplicateMembershipOf,
  duplicateOrganizationOf,
  roleNotFoundOf,
} from './classify-workos-error.ts';

/** A domain as WorkOS reports it; only `verified` ones were proven, by DNS or by hand. */
export interface DirectoryOrganizationDomain {
  domain: string;
  state: 'verified' | 'pending' | 'failed';
}

/** A WorkOS organization as the importer needs to see it. */
export interface DirectoryOrganization {
  id: string;
  name: string;
  externalId: string | null;
  domains: DirectoryOrganizationDomain[];
  metadata: Record<string, string>;
}

export interface NewDirectoryOrganization {
  name: string;
  externalId: string;
  /** Attached as `pending`: only the domain's owner can verify it, in WorkOS. */
  domains?: string[];
  metadata?: Record<string, string>;
}

/** A domain to write. `verified` only for a domain WorkOS already holds as verified. */
export interface DomainToWrite {
  domain: string;
  state: 'verified' | 'pending';
}

export interface DirectoryOrganizationChanges {
  name?: string;
  /** Merged into the stored metadata: keys left out are kept. */
  metadata?: Record<string, string>;
  /** The organization's whole domain list: WorkOS replaces the domains with it. */
  domains?: DomainToWrite[];
}

export type MembershipStatus = 'active' | 'inactive' | 'pending';

export interface DirectoryMembership {
  id: string;
  userId: string;
  organizationId: string;
  /** Every role the membership holds; WorkOS always gives at least one. */
  roleSlugs: string[];
  status: MembershipStatus;
  /** Provisioned by a directory (SCIM): its roles belong to the directory, not to an import. */
  directoryManaged: boolean;
}

export interface NewDirectoryMembership {
  userId: string;
  organizationId: string;
  /** Empty: WorkOS gives the environment's default role. */
  roleSlugs: string[];
}

/** What the importer may know about a password reset: never its token or link. */
export interface CreatedPasswordReset {
  id: string;
  userId: string;
  expiresAt: string;
}

/**
 * The WorkOS organization, membership and password-reset operations the importer uses. Like
 * `UserDirectory`, the SDK-backed implementation throws only pipeline errors, plus the two
 * duplicates below, which the importer resolves rather than fails on.
 */
export interface OrganizationDirectory {
  /** Throws `DuplicateOrganizationError` when the external id is taken. */
  createOrganization(organization: NewDirectoryOrganization): Promise<DirectoryOrganization>;
  findOrganizationByExternalId(externalId: string): Promise<DirectoryOrganization | undefined>;
  updateOrganization(
    organizationId: string,
    changes: DirectoryOrganizationChanges,
  ): Promise<DirectoryOrganization>;
  /** The membership in any status (active, inactive or pending), if there is one. */
  findMembership(userId: string, organizationId: string): Promise<DirectoryMembership | undefined>;
  /**
   * Throws `DuplicateMembershipError` when the user is a member already, and a
   * `PermanentImportError` with reason `role_not_found` when WorkOS has no such role.
   */
  createMembership(membership: NewDirectoryMembership): Promise<DirectoryMembership>;
  /** Replaces the membership's roles; `role_not_found` as for `createMembership`. */
  updateMembership(membershipId: string, roleSlugs: string[]): Promise<DirectoryMembership>;
  /** WorkOS emails the reset link itself unless its default reset emails are turned off. */
  createPasswordReset(email: string): Promise<CreatedPasswordReset>;
}

/**
 * WorkOS already holds an organization with this external id: a redelivery, a re-run, or a
 * concurrent delivery that won the race. The upsert finds that organization and reconciles it.
 */
/** The importer's view of WorkOS organizations and memberships, backed by `@workos-inc/node`. */
export class WorkOsOrganizationDirectory implements OrganizationDirectory {
  readonly #workos: WorkOS;

  constructor(workos: WorkOS) {
    this.#workos = workos;
  }

  /**
   * No Idempotency-Key is sent. WorkOS keeps the first answer for a key whatever came since, so
   * a re-run after an operator deleted an imported organization would be answered with the
   * deleted one. External ids are unique per environment, which already makes a repeated or
   * concurrent create fail with a conflict that the upsert resolves.
   */
  async createOrganization(organization: NewDirectoryOrganization): Promise<DirectoryOrganization> {
    const domains = organization.domains ?? [];
    return toDirectoryOrganization(
      await callWorkOs(
        () =>
          this.#workos.organizations.createOrganization({
            name: organization.name,
            externalId: organization.externalId,
            ...(domains.length === 0
              ? {}
              : {
                  domainData: domains.map((domain) => ({
                    domain,
                    state: DomainDataState.Pending,
                  })),
                }),
            ...(organization.metadata === undefined ? {} : { metadata: organization.metadata }),
          }),
        duplicateOrganizationOf,
      ),
    );
  }

  async findOrganizationByExternalId(
    externalId: string,
  ): Promise<DirectoryOrganization | undefined> {
    try {
      return toDirectoryOrganization(
        await this.#workos.organizations.getOrganizationByExternalId(externalId),
      );
    } catch (error) {
      if (error instanceof NotFoundException) return undefined;
      throw classifyWorkOsError(error);
    }
  }

  async updateOrganization(
    organizationId: string,
    changes: DirectoryOrganizationChanges,
  ): Promise<DirectoryOrganization> {
    return toDirectoryOrganization(
      await callWorkOs(() =>
        this.#workos.organizations.updateOrganization({
          organization: organizationId,
          ...(changes.name === undefined ? {} : { name: changes.name }),
          ...(changes.metadata === undefined ? {} : { metadata: changes.metadata }),
          ...(changes.domains === undefined
            ? {}
            : {
                domainData: changes.domains.map(({ domain, state }) => ({
                  domain,
                  state: state === 'verified' ? DomainDataState.Verified : DomainDataState.Pending,
                })),
              }),
        }),
      ),
    );
  }

  async findMembership(
    userId: string,
    organizationId: string,
  ): Promise<DirectoryMembership | undefined> {
    // Without `statuses` WorkOS lists only active memberships, and an inactive one would then
    // look absent; a create would silently re-activate it.
    const page = await callWorkOs(() =>
      this.#workos.userManagement.listOrganizationMemberships({
        userId,
        organizationId,
        statuses: ['active', 'inactive', 'pending'],
        limit: 1,
      }),
    );
    const membership = page.data[0];
    return membership === undefined ? undefined : toDirectoryMembership(membership);
  }

  async createMembership(membership: NewDirectoryMembership): Promise<DirectoryMembership> {
    return toDirectoryMembership(
      await callWorkOs(
        () =>
          this.#workos.userManagement.createOrganizationMembership({
            userId: membership.userId,
            organizationId: membership.organizationId,
            ...roleFields(membership.roleSlugs),
          }),
        (error) => roleNotFoundOf(error) ?? duplicateMembershipOf(error),
      ),
    );
  }

  async updateMembership(membershipId: string, roleSlugs: string[]): Promise<DirectoryMembership> {
    return toDirectoryMembership(
      await callWorkOs(
        () =>
          this.#workos.userManagement.updateOrganizationMembership(
            membershipId,
            roleFields(roleSlugs),
          ),
        roleNotFoundOf,
      ),
    );
  }

  async createPasswordReset(email: string): Promise<CreatedPasswordReset> {
    const reset = await callWorkOs(() =>
      this.#workos.userManagement.createPasswordReset({ email }),
    );
    return { id: reset.id, userId: reset.userId, expiresAt: reset.expiresAt };
  }
}

/**
 * Calls the SDK and turns a failure into a pipeline error: first through `recognise`, for the
 * answers only this call can give, then through the shared classification.
 */
async function callWorkOs<T>(
  call: () => Promise<T>,
  recognise?: (error: unknown) => PipelineError | undefined,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw recognise?.(error) ?? classifyWorkOsError(error);
  }
}

/**
 * One role goes as `role_slug`, the field WorkOS has taken longest; `role_slugs` needs the
 * Multiple Roles setting for more than one. No role: WorkOS gives its default role.
 */
function roleFields(roleSlugs: string[]): { roleSlug?: string; roleSlugs?: string[] } {
  if (roleSlugs.length === 0) return {};
  if (roleSlugs.length === 1) return { roleSlug: roleSlugs[0] };
  return { roleSlugs };
}

function toDirectoryOrganization(organization: Organization): DirectoryOrganization {
  return {
    id: organization.id,
    name: organization.name,
    externalId: organization.externalId ?? null,
    domains: organization.domains.map((domain) => ({
      domain: domain.domain,
      state: domainStateOf(domain.state),
    })),
    metadata: organization.metadata ?? {},
  };
}

/**
 * WorkOS's states as plain strings. A state this SDK does not list (`legacy_verified` in older
 * environments) keeps its verification; anything else unknown counts as unverified.
 */
function domainStateOf(state: string): DirectoryOrganizationDomain['state'] {
  if (state === 'pending' || state === 'failed') return state;
  return state === 'verified' || state === 'legacy_verified' ? 'verified' : 'pending';
}

function toDirectoryMembership(membership: OrganizationMembership): DirectoryMembership {
  const roleSlugs =
    membership.roles !== undefined && membership.roles.length > 0
      ? membership.roles.map((role) => role.slug)
      : [membership.role.slug];
  return {
    id: membership.id,
    userId: membership.userId,
    organizationId: membership.organizationId,
    roleSlugs,
    status: membership.status,
    directoryManaged: membership.directoryManaged,
  };
}
