/**
 * Auth0 Organizations and their members, as the Auth0 Management API returns them (reference
 * D.3). Auth0's bulk user export holds no organizations, so these come from API calls whose
 * response bodies are uploaded as they are, beside the users export:
 *
 * 1. The organizations (scope `read:organizations`), one file per page:
 *      GET /api/v2/organizations?take=50             → { "organizations": [...], "next": "…" }
 *      GET /api/v2/organizations?take=50&from=<next> → the next page, until `next` is absent
 *    Checkpoint paging (`from`/`take`) is required beyond 1,000 organizations. Up to 1,000,
 *    offset paging (`?page=0&per_page=50&include_totals=true`, body `{ "organizations": [...] }`)
 *    or no paging parameters (a bare `[...]` array) work too.
 *
 * 2. The members of each organization (scopes `read:organization_members` and
 *    `read:organization_member_roles`), one file per organization (or per page), named after
 *    it, e.g. `members-org_4Zh6v2LqT9sKxW1p.json`, with its id in the job's manifest:
 *      GET /api/v2/organizations/{id}/members?fields=user_id,email,roles&include_fields=true
 *          &take=50, then the same with &from=<next>, until `next` is absent
 *    → { "members": [{ "user_id", "email", "roles": [{ "id", "name" }] }], "next": "…" }
 *    Only `user_id` and `roles` are read: leaving `email` out of `fields` keeps personal data
 *    out of the file. Roles are sent only when `fields` names them; without them every
 *    membership gets WorkOS's default role (reported as `roles_not_in_export`). Only roles
 *    assigned in the organization directly are listed (`/members/{user_id}/effective-roles`
 *    adds those that come from groups). Checkpoint paging is required beyond 1,000 members.
 *    The endpoint is eventually consistent: export once changes have settled.
 *
 *    Alternatively, all members in one NDJSON file, one member per line, each carrying its own
 *    `organization_id` field (which wins over the manifest's organization).
 *
 * Users come from the users export (by `user_id`, the same external id), so a membership only
 * names both ends; it never carries the member's email or name.
 */

import { externalIdFor, maxExternalIdLength } from '../../model/external-id.ts';
import { importMetadataKeys } from '../../model/import-metadata.ts';
import { nonEmptyString, type ParsedRecord, type RecordMapper } from '../parsed-record.ts';
import { fitMetadata, importMetadataPairs, workosMetadataLimits } from '../user-metadata.ts';

/** Keys of the Auth0 facts an organization may carry in its WorkOS metadata. */
export const auth0OrganizationMetadataKeys = {
  /** Auth0's unique, slug-like `name` (WorkOS takes the human `display_name` as its name). */
  name: 'auth0_name',
  /** The original organization id, when it was too long to be the external id. */
  sourceId: 'source_id',
} as const;

/**
 * Maps one organization of the Management API's organizations list:
 * `{ id: "org_…", name, display_name, metadata, branding }`. The WorkOS name is `display_name`,
 * else `name`; the id is the external id. Auth0's `metadata` (string pairs) is kept under its own
 * keys while it fits WorkOS's limits. Branding is not imported: WorkOS brands per environment.
 */
export function createAuth0OrganizationMapper(): RecordMapper {
  return (fields) => auth0OrganizationFromRecord(fields);
}

function auth0OrganizationFromRecord(record: Record<string, unknown>): ParsedRecord {
  const sourceId = nonEmptyString(record.id);
  if (sourceId === undefined) return { kind: 'rejected', reason: 'missing_organization_id' };
  const slug = nonEmptyString(record.name);
  const name = nonEmptyString(record.display_name) ?? slug;
  if (name === undefined) {
    return { kind: 'rejected', reason: 'missing_organization_name', sourceId };
  }
  const { metadata, dropped } = organizationMetadataOf(record, sourceId, slug);
  return {
    kind: 'organization',
    organization: {
      sourceId,
      externalId: externalIdFor(sourceId),
      name,
      metadata,
      source: 'auth0',
      ...(dropped > 0 ? { note: `metadata_not_imported:${dropped}` } : {}),
    },
  };
}

/** The tool's own keys, written by the upsert: an exported key of that name is not imported. */
const reservedMetadataKeys = new Set<string>([
  ...Object.values(importMetadataKeys),
  ...Object.values(auth0OrganizationMetadataKeys),
]);

function organizationMetadataOf(
  record: Record<string, unknown>,
  sourceId: string,
  slug: string | undefined,
): { metadata: Record<string, string>; dropped: number } {
  const fixed = fitMetadata(
    [
      [auth0OrganizationMetadataKeys.name, slug],
      [
        auth0OrganizationMetadataKeys.sourceId,
        sourceId.length > maxExternalIdLength ? sourceId : undefined,
      ],
    ],
    Object.keys(auth0OrganizationMetadataKeys).length,
  );
  const room =
    workosMetadataLimits.maxPairs - importMetadataPairs - Object.keys(fixed.metadata).length;
  const exported =
    typeof record.metadata === 'object' &&
    record.metadata !== null &&
    !Array.isArray(record.metadata)
      ? Object.entries(record.metadata).filter(([key]) => !reservedMetadataKeys.has(key))
      : [];
  const customer = fitMetadata(exported, room);
  return {
    metadata: { ...fixed.metadata, ...customer.metadata },
    dropped: fixed.dropped.length + customer.dropped.length,
  };
}

export interface Auth0MemberMapperOptions {
  /** The organization whose members the file lists (from the job's manifest). */
  organizationId?: string;
  /** Auth0 role name → WorkOS role slug, for roles whose slug is not their slugified name. */
  roleSlugs?: Record<string, string>;
}

/**
 * Maps one member of an organization's members list, `{ user_id, email, name, roles? }`, to the
 * membership of the user (by `user_id`, the external id the user import gives) in the
 * organization named by the member's own `organization_id`, else by `options.organizationId`.
 *
 * Each Auth0 role name maps through `roleSlugs` (exact name, then ignoring case); a role not
 * mapped there becomes its slugified name (`Billing Admin` → `billing-admin`), reported as
 * `role_slug_derived:<count>` so the operator can check those roles exist in WorkOS. A name with
 * no letter or digit to slugify is dropped, reported as `role_not_mapped:<count>`.
 */
export function createAuth0MemberMapper(options: Auth0MemberMapperOptions = {}): RecordMapper {
  const roleSlugs = roleSlugLookup(options.roleSlugs ?? {});
  const manifestOrganizationId = nonEmptyString(options.organizationId);
  return (fields) => auth0MemberFromRecord(fields, manifestOrganizationId, roleSlugs);
}

function auth0MemberFromRecord(
  record: Record<string, unknown>,
  manifestOrganizationId: string | undefined,
  roleSlugs: RoleSlugLookup,
): ParsedRecord {
  const userId = nonEmptyString(record.user_id);
  const organizationId = nonEmptyString(record.organization_id) ?? manifestOrganizationId;
  if (organizationId === undefined) {
    return {
      kind: 'rejected',
      reason: 'missing_organization_id',
      ...(userId === undefined ? {} : { sourceId: userId }),
    };
  }
  if (userId === undefined) {
    return { kind: 'rejected', reason: 'missing_user_id', sourceId: organizationId };
  }
  const roles = rolesOf(record.roles, roleSlugs);
  return {
    kind: 'membership',
    membership: {
      sourceId: `${organizationId}/${userId}`,
      userExternalId: externalIdFor(userId),
      organizationExternalId: externalIdFor(organizationId),
      roleSlugs: roles.slugs,
      source: 'auth0',
      ...noteOf([
        record.roles === undefined ? 'roles_not_in_export' : undefined,
        roles.derived > 0 ? `role_slug_derived:${roles.derived}` : undefined,
        roles.unmapped > 0 ? `role_not_mapped:${roles.unmapped}` : undefined,
      ]),
    },
  };
}

type RoleSlugLookup = (roleName: string) => string | undefined;

function roleSlugLookup(mapping: Record<string, string>): RoleSlugLookup {
  const exact = new Map(Object.entries(mapping));
  const ignoringCase = new Map(
    Object.entries(mapping).map(([name, slug]) => [name.toLowerCase(), slug]),
  );
  return (roleName) => exact.get(roleName) ?? ignoringCase.get(roleName.toLowerCase());
}

function rolesOf(
  roles: unknown,
  lookup: RoleSlugLookup,
): { slugs: string[]; derived: number; unmapped: number } {
  const slugs = new Set<string>();
  let derived = 0;
  let unmapped = 0;
  for (const role of Array.isArray(roles) ? roles : []) {
    const name =
      typeof role === 'object' && role !== null && 'name' in role
        ? nonEmptyString(role.name)
        : undefined;
    if (name === undefined) continue;
    const mapped = nonEmptyString(lookup(name));
    if (mapped !== undefined) {
      slugs.add(mapped);
      continue;
    }
    const slug = slugOf(name);
    if (slug === '') {
      unmapped += 1;
    } else {
      slugs.add(slug);
      derived += 1;
    }
  }
  return { slugs: [...slugs], derived, unmapped };
}

/**
 * Lower case, accents dropped (`Rôle` → `role`), every run of characters other than ASCII
 * letters and digits one `-`, none at either end.
 */
export function slugOf(roleName: string): string {
  return roleName
    .normalize('NFKD')
    .replace(/\p{Mn}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Joins the notes that apply into one reason code, or nothing. */
function noteOf(notes: (string | undefined)[]): { note?: string } {
  const present = notes.filter((note) => note !== undefined);
  return present.length === 0 ? {} : { note: present.join(';') };
}
