import { createHash } from 'node:crypto';
import { DuplicateOrganizationError, TransientImportError } from '../errors.ts';
import type { ImportOrganization } from '../model/import-message.ts';
import { importMetadataKeys } from '../model/import-metadata.ts';
import type {
  DirectoryOrganization,
  DirectoryOrganizationChanges,
  DomainToWrite,
  OrganizationDirectory,
} from '../workos/organization-directory.ts';
import type { UpsertStatus } from './upsert-user.ts';

export interface UpsertOrganizationResult {
  status: UpsertStatus;
  workosOrganizationId: string;
  /** Why an existing organization was left alone. */
  reason?: string;
}

/**
 * Creates the organization in WorkOS, or reconciles the one already there, so that any number
 * of deliveries of the same record converge on one WorkOS organization.
 *
 * Create comes first: on a first run (a new organization, the common case) that is the only
 * call, where looking up first would cost a read that finds nothing, then the create. External
 * ids are unique per WorkOS environment, so a redelivery, a re-run, or the loser of two
 * concurrent deliveries gets a conflict; only then is the organization looked up by external id
 * and reconciled, which turns the loser into `unchanged` (or `updated` if the export changed).
 *
 * Reconciling never removes anything: metadata updates are partial in WorkOS, and the domain
 * list written back is the stored one (each domain keeping its verification) plus the exported
 * domains it lacks, as `pending`. An organization this tool did not create (no import metadata)
 * is linked and left as it is.
 */
export async function upsertOrganization(
  directory: OrganizationDirectory,
  organization: ImportOrganization,
): Promise<UpsertOrganizationResult> {
  const digest = organizationDigestOf(organization);
  const domains = exportedDomainsOf(organization);
  try {
    const created = await directory.createOrganization({
      name: organization.name,
      externalId: organization.externalId,
      ...(domains.length === 0 ? {} : { domains }),
      metadata: importMetadataOf(organization, digest),
    });
    return { status: 'created', workosOrganizationId: created.id };
  } catch (error) {
    if (!(error instanceof DuplicateOrganizationError)) throw error;
  }

  const existing = await directory.findOrganizationByExternalId(organization.externalId);
  if (existing === undefined) {
    // WorkOS said the external id is taken but the lookup does not see it: a concurrent delete,
    // or a read that has not caught up yet. Trying again later settles it either way.
    throw new TransientImportError(
      'duplicate_organization_not_found',
      'Duplicate organization could not be found',
    );
  }
  return reconcile(directory, existing, organization, digest);
}

async function reconcile(
  directory: OrganizationDirectory,
  existing: DirectoryOrganization,
  organization: ImportOrganization,
  digest: string,
): Promise<UpsertOrganizationResult> {
  if (existing.metadata[importMetadataKeys.source] === undefined) {
    return {
      status: 'unchanged',
      workosOrganizationId: existing.id,
      reason: 'existing_organization_not_overwritten',
    };
  }
  if (existing.metadata[importMetadataKeys.digest] === digest) {
    return { status: 'unchanged', workosOrganizationId: existing.id };
  }
  const changes = changesToApply(existing, organization);
  if (Object.keys(changes).length === 0) {
    return { status: 'unchanged', workosOrganizationId: existing.id };
  }
  changes.metadata = importMetadataOf(organization, digest);
  const updated = await directory.updateOrganization(existing.id, changes);
  return { status: 'updated', workosOrganizationId: updated.id };
}

/**
 * What to change on an organization this tool created earlier so it holds the export again.
 * The name follows the export; metadata keys and domains are only ever added or changed.
 */
function changesToApply(
  existing: DirectoryOrganization,
  organization: ImportOrganization,
): DirectoryOrganizationChanges {
  const changes: DirectoryOrganizationChanges = {};
  if (organization.name !== existing.name) changes.name = organization.name;
  for (const [key, value] of Object.entries(organization.metadata ?? {})) {
    if (existing.metadata[key] !== value) changes.metadata = { ...changes.metadata, [key]: value };
  }
  const held = new Set(existing.domains.map(({ domain }) => domain.toLowerCase()));
  const missing = exportedDomainsOf(organization).filter((domain) => !held.has(domain));
  if (missing.length > 0) {
    changes.domains = [
      // WorkOS replaces the whole list: the stored domains go back as they are, except that a
      // `failed` one can only be sent back as `pending`.
      ...existing.domains.map(
        ({ domain, state }): DomainToWrite => ({
          domain,
          state: state === 'verified' ? 'verified' : 'pending',
        }),
      ),
      ...missing.map((domain): DomainToWrite => ({ domain, state: 'pending' })),
    ];
  }
  return changes;
}

/** Domains compare case-insensitively; WorkOS refuses the same domain twice in one request. */
function exportedDomainsOf(organization: ImportOrganization): string[] {
  const domains = (organization.domains ?? []).map((domain) => domain.trim().toLowerCase());
  return [...new Set(domains)].filter((domain) => domain !== '');
}

/** What the tool writes in an organization's metadata: the source's details and its own keys. */
function importMetadataOf(
  organization: ImportOrganization,
  digest: string,
): Record<string, string> {
  return {
    ...organization.metadata,
    [importMetadataKeys.source]: organization.source,
    [importMetadataKeys.digest]: digest,
  };
}

/**
 * A fingerprint of everything the import writes on an organization, stored in its metadata:
 * equal fingerprints mean nothing to write, so a re-run costs no write, and an edit made in
 * WorkOS since is not undone while the export stays the same.
 */
export function organizationDigestOf(organization: ImportOrganization): string {
  const canonical = JSON.stringify([
    organization.name,
    exportedDomainsOf(organization).sort(),
    Object.entries(organization.metadata ?? {}).sort(([a], [b]) => a.localeCompare(b)),
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}
