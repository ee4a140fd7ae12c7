import type { FileKind } from '../../model/job-manifest.ts';

/** Whether a record's field names are those of one of Auth0's exports. */
export function looksLikeAuth0(fields: Record<string, unknown>): boolean {
  return (
    isAuth0UserId(fields.user_id) ||
    ('_id' in fields && ('passwordHash' in fields || 'identifiers' in fields)) ||
    isAuth0Organization(fields)
  );
}

/**
 * Auth0 user ids are `<provider>|<id>` (in its CSV export behind a `'`). A `user_id` column alone
 * is not enough: WorkOS's own upload template has one too, beside `password_hash`.
 */
export function isAuth0UserId(value: unknown): boolean {
  return typeof value === 'string' && /^'?[\w-]+\|./.test(value);
}

/** A record of Auth0's organizations list (`org_...`, a name, no email). */
export function isAuth0Organization(fields: Record<string, unknown>): boolean {
  return (
    typeof fields.id === 'string' &&
    fields.id.startsWith('org_') &&
    !('email' in fields) &&
    ('name' in fields || 'display_name' in fields)
  );
}

/**
 * Which of Auth0's exports a file is, from its first record: the password-hash export, the
 * organizations list, an organization's members; `undefined` for a users export.
 */
export function auth0FileKindOf(fields: Record<string, unknown>): FileKind | undefined {
  if ('_id' in fields && !('user_id' in fields)) return 'passwords';
  if (isAuth0Organization(fields)) return 'organizations';
  if ('organization_id' in fields && 'user_id' in fields) return 'members';
  return undefined;
}
