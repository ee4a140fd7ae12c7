import { insertSorted, type Page, type PageQuery, pageOf } from './cursor-pages.ts';

export type DomainState = 'verified' | 'pending';

export interface EmulatedOrganizationDomain {
  id: string;
  /** Lowercased: domains compare case-insensitively. */
  domain: string;
  state: DomainState;
  /** A domain sent as `verified` counts as verified by hand; a pending one awaits DNS. */
  verificationStrategy: 'manual' | 'dns';
  /** The DNS TXT value a pending domain would be verified with. */
  verificationToken: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface EmulatedOrganization {
  id: string;
  name: string;
  domains: EmulatedOrganizationDomain[];
  externalId: string | null;
  metadata: Record<string, string>;
  stripeCustomerId: string | null;
  createdAt: string;
  updatedAt: string;
}

/** The organization object exactly as the WorkOS API sends it (the SDK's `OrganizationResponse`). */
export function toOrganizationResponseBody(organization: EmulatedOrganization) {
  return {
    object: 'organization' as const,
    id: organization.id,
    name: organization.name,
    allow_profiles_outside_organization: false,
    domains: organization.domains.map((domain) => ({
      object: 'organization_domain' as const,
      id: domain.id,
      domain: domain.domain,
      organization_id: organization.id,
      state: domain.state,
      verification_strategy: domain.verificationStrategy,
      ...(domain.verificationToken === null
        ? {}
        : { verification_token: domain.verificationToken }),
      created_at: domain.createdAt,
      updated_at: domain.updatedAt,
    })),
    ...(organization.stripeCustomerId === null
      ? {}
      : { stripe_customer_id: organization.stripeCustomerId }),
    external_id: organization.externalId,
    metadata: { ...organization.metadata },
    created_at: organization.createdAt,
    updated_at: organization.updatedAt,
  };
}

export interface ListOrganizationsQuery extends PageQuery {
  /** Organizations holding any of these domains (lowercased). */
  domains?: string[];
}

/** In-memory organizations, indexed by id and external id, with ids in creation order. */
export class OrganizationStore {
  #byId = new Map<string, EmulatedOrganization>();
  #idByExternalId = new Map<string, string>();
  #orderedIds: string[] = [];

  get size(): number {
    return this.#byId.size;
  }

  insert(organization: EmulatedOrganization): void {
    this.#byId.set(organization.id, organization);
    if (organization.externalId !== null) {
      this.#idByExternalId.set(organization.externalId, organization.id);
    }
    insertSorted(this.#orderedIds, organization.id);
  }

  get(id: string): EmulatedOrganization | undefined {
    return this.#byId.get(id);
  }

  findByExternalId(externalId: string): EmulatedOrganization | undefined {
    const id = this.#idByExternalId.get(externalId);
    return id === undefined ? undefined : this.#byId.get(id);
  }

  /** Replaces a stored organization with its new version, moving its external-id entry. */
  replace(updated: EmulatedOrganization): void {
    const previous = this.#byId.get(updated.id);
    if (previous === undefined)
      throw new Error('Cannot replace an organization that is not stored');
    if (previous.externalId !== null && previous.externalId !== updated.externalId) {
      this.#idByExternalId.delete(previous.externalId);
    }
    if (updated.externalId !== null) this.#idByExternalId.set(updated.externalId, updated.id);
    this.#byId.set(updated.id, updated);
  }

  clear(): void {
    this.#byId.clear();
    this.#idByExternalId.clear();
    this.#orderedIds = [];
  }

  /** Every organization, oldest first. */
  all(): EmulatedOrganization[] {
    return this.#orderedIds.flatMap((id) => this.#byId.get(id) ?? []);
  }

  list(query: ListOrganizationsQuery): Page<EmulatedOrganization> {
    const wanted = query.domains === undefined ? undefined : new Set(query.domains);
    return pageOf(
      this.#orderedIds,
      query,
      (id) => this.#byId.get(id),
      wanted === undefined
        ? undefined
        : (organization) => organization.domains.some((domain) => wanted.has(domain.domain)),
    );
  }
}
