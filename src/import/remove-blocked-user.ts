import type { BlockedUser } from '../model/import-message.ts';
import { importMetadataKeys } from '../model/import-metadata.ts';
import type { UserDirectory } from '../workos/user-directory.ts';

/** What became of a blocked user's record: never imported; the reason says what WorkOS holds. */
export interface BlockedUserResult {
  status: 'rejected';
  workosUserId?: string;
  reason: 'blocked' | 'removed_blocked_in_source' | 'blocked_in_source_but_active';
}

/**
 * Brings WorkOS to what a job that knew the user is blocked would give: no such user. A user
 * this tool created for them earlier (its import metadata names the same source: typically
 * from a password export read before the users export, which cannot know who is blocked) is
 * deleted while it has never signed in. One that has signed in, or that this tool did not
 * create, is left for the operator and reported, never silently: deleting it would lose what
 * the person did in WorkOS since.
 *
 * Costs one read when WorkOS holds no such user (the usual case), and one write more to delete.
 */
export async function removeBlockedUser(
  directory: UserDirectory,
  blocked: BlockedUser,
): Promise<BlockedUserResult> {
  const existing = await directory.findUserByExternalId(blocked.externalId);
  if (existing === undefined) return { status: 'rejected', reason: 'blocked' };
  const createdByThisTool = existing.metadata[importMetadataKeys.source] === blocked.source;
  if (!createdByThisTool || existing.lastSignInAt !== null) {
    return {
      status: 'rejected',
      workosUserId: existing.id,
      reason: 'blocked_in_source_but_active',
    };
  }
  await directory.deleteUser(existing.id);
  return { status: 'rejected', workosUserId: existing.id, reason: 'removed_blocked_in_source' };
}
