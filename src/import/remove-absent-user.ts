import type { AbsentUser } from '../model/import-message.ts';
import { importMetadataKeys } from '../model/import-metadata.ts';
import type { UserDirectory } from '../workos/user-directory.ts';

/** What became of a WorkOS user the job's export no longer holds, in a job that removes them. */
export interface AbsentUserResult {
  /** `updated`: removed from WorkOS; `unchanged`: left as it is, for the reason given. */
  status: 'updated' | 'unchanged';
  workosUserId: string;
  reason:
    | 'removed_absent_from_export'
    | 'absent_from_export_signed_in'
    | 'absent_from_export_already_removed'
    | 'absent_from_export_not_imported_by_this_tool';
}

/**
 * Removes a user the source deleted (or blocked) since the import. The snapshot that named it
 * may be minutes old, so the user is read again first: one read, then one write to delete.
 * A user who has signed in to WorkOS is kept unless the job says otherwise: deleting them would
 * lose what they did since, and the source may have lost them by mistake. A user whose metadata
 * no longer names this source (changed by hand since) is not this tool's to remove.
 */
export async function removeAbsentUser(
  directory: UserDirectory,
  absent: AbsentUser,
): Promise<AbsentUserResult> {
  const { workosUserId } = absent;
  const existing = await directory.getUser(workosUserId);
  if (existing === undefined) {
    return { status: 'unchanged', workosUserId, reason: 'absent_from_export_already_removed' };
  }
  if (existing.metadata[importMetadataKeys.source] !== absent.source) {
    return {
      status: 'unchanged',
      workosUserId,
      reason: 'absent_from_export_not_imported_by_this_tool',
    };
  }
  if (existing.lastSignInAt !== null && absent.removeSignedIn !== true) {
    return { status: 'unchanged', workosUserId, reason: 'absent_from_export_signed_in' };
  }
  await directory.deleteUser(workosUserId);
  return { status: 'updated', workosUserId, reason: 'removed_absent_from_export' };
}
