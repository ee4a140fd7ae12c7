import type { DomainState } from './organization-store.ts';
import {
  readExternalId,
  readMetadata,
  readNewMetadata,
  type ValidationIssue,
  validationFailed,
} from './user-validation.ts';

export interface DomainInput {
  /** Lowercased. */
  domain: string;
  state: DomainState;
}

export interface NewOrganizationInput {
  name: string;
  domains: DomainInput[];
  externalId: string | null;
  metadata: Record<string, string>;
}

/** Only the fields the request carried; anything absent stays as it is. */
export interface OrganizationChanges {
  name?: string;
  /** Replaces the organization's domains. */
  domains?: DomainInput[];
  externalId?: string | null;
  /** Merged into the stored metadata; a null value deletes that key. */
  metadataPatch?: Record<string, string | null>;
  stripeCustomerId?: string | null;
}

/** Labels of letters, digits and inner hyphens, at least two of them, 253 characters at most. */
const domainShape =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Validates a create-organization body; throws the 422 listing every problem found. */
export function parseNewOrganization(body: Record<string, unknown>): NewOrganizationInput {
  const issues: ValidationIssue[] = [];
  const name = readName(body.name, issues);
  const domains = readDomainData(body.domain_data, issues);
  const externalId = readExternalId(body.external_id, issues);
  const metadata = readNewMetadata(body.metadata, issues);
  if (issues.length > 0 || name === undefined) throw validationFailed(issues);
  return { name, domains: domains ?? [], externalId: externalId ?? null, metadata };
}

/** Validates an update-organization body. Metadata size is checked by the caller, after the merge. */
export function parseOrganizationChanges(body: Record<string, unknown>): OrganizationChanges {
  const issues: ValidationIssue[] = [];
  const changes: OrganizationChanges = {};
  if (body.name !== undefined) {
    const name = readName(body.name, issues);
    if (name !== undefined) changes.name = name;
  }
  const domains = readDomainData(body.domain_data, issues);
  if (domains !== undefined) changes.domains = domains;
  const externalId = readExternalId(body.external_id, issues);
  if (externalId !== undefined) changes.externalId = externalId;
  const metadataPatch = readMetadata(body.metadata, { nullDeletes: true }, issues);
  if (metadataPatch !== undefined) changes.metadataPatch = metadataPatch;
  const stripeCustomerId = body.stripe_customer_id;
  if (stripeCustomerId === null || (typeof stripeCustomerId === 'string' && stripeCustomerId)) {
    changes.stripeCustomerId = stripeCustomerId;
  } else if (stripeCustomerId !== undefined) {
    issues.push({
      code: 'stripe_customer_id_invalid',
      message: 'stripe_customer_id must be a non-empty string or null.',
    });
  }
  if (issues.length > 0) throw validationFailed(issues);
  return changes;
}

function readName(value: unknown, issues: ValidationIssue[]): string | undefined {
  if (typeof value === 'string' && value.trim() !== '') return value;
  issues.push({ code: 'name_string_required', message: 'Name must be a non-empty string.' });
  return undefined;
}

/** `domain_data: [{ domain, state: 'verified' | 'pending' }]`; undefined when absent. */
function readDomainData(value: unknown, issues: ValidationIssue[]): DomainInput[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    issues.push({ code: 'domain_data_invalid', message: 'domain_data must be an array.' });
    return undefined;
  }
  const domains: DomainInput[] = [];
  const seen = new Set<string>();
  for (const entry of value as unknown[]) {
    const { domain, state } = (typeof entry === 'object' && entry !== null ? entry : {}) as {
      domain?: unknown;
      state?: unknown;
    };
    if (typeof domain !== 'string' || !domainShape.test(domain)) {
      issues.push({ code: 'domain_invalid', message: 'Each domain must be a valid domain name.' });
      return undefined;
    }
    if (state !== 'verified' && state !== 'pending') {
      issues.push({
        code: 'domain_state_invalid',
        message: "Each domain's state must be 'verified' or 'pending'.",
      });
      return undefined;
    }
    const normalized = domain.toLowerCase();
    if (seen.has(normalized)) {
      issues.push({ code: 'domain_duplicate', message: 'Each domain may appear only once.' });
      return undefined;
    }
    seen.add(normalized);
    domains.push({ domain: normalized, state });
  }
  return domains;
}
