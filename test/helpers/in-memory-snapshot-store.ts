import type {
  ListingTally,
  SnapshotStore,
  StoredCompleteSnapshot,
  StoredSnapshot,
} from '../../src/snapshot/snapshot-of-job.ts';
import type { SnapshotCheckpoint } from '../../src/snapshot/take-workos-snapshot.ts';
import { WorkOsSnapshot } from '../../src/snapshot/workos-snapshot.ts';

interface StoredObject {
  bytes: Uint8Array;
  tally: ListingTally;
  after?: string;
}

/**
 * A snapshot store in memory that keeps bytes, as S3 does: what a call reads back went through
 * `toBytes` and `fromBytes`. Every write is recorded.
 */
export class InMemorySnapshotStore implements SnapshotStore {
  readonly writes: { jobId: string; kind: 'checkpoint' | 'complete'; users: number }[] = [];
  readonly #checkpoints = new Map<string, StoredObject>();
  readonly #completes = new Map<string, StoredObject>();

  async read(jobId: string): Promise<StoredSnapshot> {
    const complete = this.#completes.get(jobId);
    if (complete !== undefined) return { stage: 'complete', ...completeOf(complete) };
    const checkpoint = this.#checkpoints.get(jobId);
    if (checkpoint === undefined) return { stage: 'none' };
    return {
      stage: 'listing',
      checkpoint: {
        after: checkpoint.after ?? '',
        partial: WorkOsSnapshot.fromBytes(checkpoint.bytes),
      },
      tally: checkpoint.tally,
    };
  }

  async writeCheckpoint(
    jobId: string,
    { after, partial }: SnapshotCheckpoint,
    tally: ListingTally,
  ): Promise<number> {
    const bytes = partial.toBytes();
    this.#checkpoints.set(jobId, { bytes, tally: { ...tally }, after });
    this.writes.push({ jobId, kind: 'checkpoint', users: partial.size });
    return bytes.length;
  }

  async writeComplete(
    jobId: string,
    snapshot: WorkOsSnapshot,
    tally: ListingTally,
  ): Promise<StoredCompleteSnapshot> {
    const stored = this.#completes.get(jobId);
    if (stored !== undefined) return completeOf(stored);
    const bytes = snapshot.toBytes();
    this.#completes.set(jobId, { bytes, tally: { ...tally } });
    this.writes.push({ jobId, kind: 'complete', users: snapshot.size });
    return { snapshot, bytes: bytes.length, tally };
  }
}

function completeOf({ bytes, tally }: StoredObject): StoredCompleteSnapshot {
  return { snapshot: WorkOsSnapshot.fromBytes(bytes), bytes: bytes.length, tally };
}
