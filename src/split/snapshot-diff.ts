import { importDigestOf, parseStoredDigest } from '../model/import-digest.ts';
import type { ImportUser } from '../model/import-message.ts';
import type { SnapshotUser, WorkOsSnapshot } from '../snapshot/workos-snapshot.ts';

/** What the snapshot of the environment says a user record of the export needs. */
export type SnapshotVerdict =
  /** Nothing to write: settled at split time with the WorkOS id, no message, no API call. */
  | { verdict: 'settle'; status: 'unchanged' | 'rejected'; workosUserId: string; reason?: string }
  /** WorkOS holds the user under its external id with other data: one lookup, one update. */
  | { verdict: 'update' }
  /** Neither its external id nor its email is in WorkOS: one create. */
  | { verdict: 'create' }
  /** The email is held under another external id from elsewhere: the consumer decides. */
  | { verdict: 'consumer' };

/** A WorkOS user of the snapshot that the job's export does not hold. */
export interface AbsentSnapshotUser {
  /** Its place in the snapshot's listing order: the same snapshot gives the same order. */
  entry: number;
  user: SnapshotUser;
}

export interface SnapshotDiffOptions {
  /** The job's source: the `import_source` of the users this tool imported from it. */
  source: string;
  overwriteExistingUsers?: boolean;
}

/**
 * A job's export compared with what the WorkOS environment held when it was listed. Applies
 * the upsert's rules (`upsertUser`) before any write: an unchanged user costs nothing, a changed
 * one an update of the user found, a new one a create; an email held by a user this tool did
 * not create is never overwritten by default, and one held by a user imported from the same
 * source is a merge. The snapshot can be older than a sign-up made while the job runs: the
 * consumer's duplicate handling still catches that.
 *
 * It also remembers which of the snapshot's users the export names (by external id, whatever
 * became of the record), so the users imported from the source that the export no longer holds
 * can be listed after its records.
 */
export class SnapshotDiff {
  readonly #snapshot: WorkOsSnapshot;
  readonly #options: SnapshotDiffOptions;
  /** One bit per entry of the snapshot: its user is named by a record of the export. */
  readonly #seen: Uint8Array;

  constructor(snapshot: WorkOsSnapshot, options: SnapshotDiffOptions) {
    this.#snapshot = snapshot;
    this.#options = options;
    this.#seen = new Uint8Array(Math.ceil(snapshot.size / 8));
  }

  /**
   * Notes that a record of the export names a user (rejected, blocked or not): the one with its
   * external id, and the one holding its email, which the record is merged into or leaves alone.
   * Neither is absent from the export, whatever the record becomes.
   */
  markNamed(externalId: string, email?: string): void {
    this.#markEntry(this.#snapshot.entryOfExternalId(externalId));
    if (email !== undefined) this.#markEntry(this.#snapshot.entryOfEmail(email));
  }

  #markEntry(entry: number): void {
    if (entry >= 0) this.#seen[entry >>> 3] = (this.#seen[entry >>> 3] ?? 0) | (1 << (entry & 7));
  }

  /** The WorkOS user holding this external id, if the snapshot has one. */
  userWithExternalId(externalId: string): SnapshotUser | undefined {
    return this.#snapshot.findByExternalId(externalId);
  }

  decide(user: ImportUser): SnapshotVerdict {
    const known = this.#snapshot.findByExternalId(user.externalId);
    if (known !== undefined) {
      const stored = parseStoredDigest(known.importDigest);
      return stored.record === importDigestOf(user)
        ? { verdict: 'settle', status: 'unchanged', workosUserId: known.workosUserId }
        : { verdict: 'update' };
    }
    const holder = this.#snapshot.findByEmail(user.email);
    if (holder === undefined) return { verdict: 'create' };
    const workosUserId = holder.workosUserId;
    if (!holder.hasExternalId) {
      // Linking and overwriting is the consumer's (a refused create finds the user again).
      if (this.#options.overwriteExistingUsers) return { verdict: 'consumer' };
      return {
        verdict: 'settle',
        status: 'unchanged',
        workosUserId,
        reason: 'existing_user_not_overwritten',
      };
    }
    if (user.onlyInPasswordExport) {
      return {
        verdict: 'settle',
        status: 'rejected',
        workosUserId,
        reason: 'orphan_password_email_in_use',
      };
    }
    if (holder.importSource === user.source) {
      return {
        verdict: 'settle',
        status: 'unchanged',
        workosUserId,
        reason: 'merged_into_existing_user',
      };
    }
    return { verdict: 'consumer' };
  }

  /**
   * The users imported from the job's source that no record of the export named, in the
   * snapshot's order. Complete once every file has been planned.
   */
  *absentUsers(): Generator<AbsentSnapshotUser> {
    const snapshot = this.#snapshot;
    for (let entry = 0; entry < snapshot.size; entry++) {
      if (((this.#seen[entry >>> 3] ?? 0) & (1 << (entry & 7))) !== 0) continue;
      const user = snapshot.userAt(entry);
      if (user.importSource === this.#options.source) yield { entry, user };
    }
  }
}
