import type { PipelineLogger } from '../logger.ts';
import type { UserDirectory } from '../workos/user-directory.ts';
import {
  type SnapshotCheckpoint,
  type TakeWorkOsSnapshotOptions,
  takeWorkOsSnapshot,
} from './take-workos-snapshot.ts';
import type { WorkOsSnapshot } from './workos-snapshot.ts';

/** What a job's listing has cost so far, over every invocation that listed. */
export interface ListingTally {
  pagesRead: number;
  /** Pages WorkOS answered 429 (each read again after its Retry-After). */
  rateLimited: number;
}

/** A job's finished snapshot as stored: the one its split diffs against, every invocation. */
export interface StoredCompleteSnapshot {
  snapshot: WorkOsSnapshot;
  /** Size of the stored snapshot. */
  bytes: number;
  tally: ListingTally;
}

/** What the store holds of a job's snapshot. */
export type StoredSnapshot =
  | { stage: 'none' }
  | { stage: 'listing'; checkpoint: SnapshotCheckpoint; tally: ListingTally }
  | ({ stage: 'complete' } & StoredCompleteSnapshot);

/**
 * Where a job's snapshot is kept between invocations (on AWS: the export bucket, encrypted and
 * expiring like the exports). One listing checkpoint per job, replaced as the listing goes on,
 * and one finished snapshot, written once.
 */
export interface SnapshotStore {
  read(jobId: string): Promise<StoredSnapshot>;
  /** Replaces the job's checkpoint; returns the bytes stored. */
  writeCheckpoint(
    jobId: string,
    checkpoint: SnapshotCheckpoint,
    tally: ListingTally,
  ): Promise<number>;
  /**
   * Stores the job's finished snapshot unless one is stored already, and returns the one
   * stored: the first written is the job's for good.
   */
  writeComplete(
    jobId: string,
    snapshot: WorkOsSnapshot,
    tally: ListingTally,
  ): Promise<StoredCompleteSnapshot>;
}

/** 1,000 pages are 100,000 users, about 11 s of listing at 90 reads/s. */
export const defaultCheckpointEveryPages = 1_000;

export interface SnapshotOfJobInput
  extends Pick<TakeWorkOsSnapshotOptions, 'readsPerSecond' | 'now' | 'sleep'> {
  jobId: string;
  store: SnapshotStore;
  /** The directory to list; asked for only when there are pages left to read. */
  directory: () => Promise<Pick<UserDirectory, 'listUsers'>>;
  /** Asked between pages: true when this invocation must leave the rest to a continuation. */
  shouldYield: () => boolean;
  /**
   * The job's split has checkpointed records already. It began with the stored snapshot, or
   * without one if none is stored (the job began before the split took snapshots, or the
   * snapshot is gone): a new listing would not be the snapshot it began with.
   */
  splitBegun?: boolean;
  checkpointEveryPages?: number;
  logger: PipelineLogger;
}

/** Where a job's snapshot stands after this call; never an email, only counts. */
export interface SnapshotSummary {
  /** Users in the snapshot, or listed so far when the listing yielded. */
  users: number;
  /** Size of the stored snapshot, or of the checkpoint when the listing yielded. */
  bytes: number;
  /** Pages read for the job, over every invocation that listed. */
  pagesRead: number;
  rateLimited: number;
  /** Pages this call read: 0 when it read the stored snapshot back. */
  pagesReadNow: number;
}

export type SnapshotOfJob =
  /** The snapshot the split diffs against, the same for every invocation of the job. */
  | { status: 'ready'; snapshot: WorkOsSnapshot; summary: SnapshotSummary }
  /** The listing stopped at a checkpoint; a continuation goes on from it. */
  | { status: 'yielded'; summary: SnapshotSummary }
  /** The split began without a snapshot, and goes on without one. */
  | { status: 'none' };

/**
 * The snapshot of the WorkOS environment a job's split diffs against: read back when the job
 * has one stored, else listed (from the job's checkpoint, if a listing was under way), stored,
 * and returned. The listing checkpoints every so many pages and when it yields, so a listing
 * cut off by the time limit or an error goes on where it stopped, and no page is read twice
 * beyond those after the last checkpoint. Once the finished snapshot is stored, nothing lists
 * again for the job: duplicates, retries and continuations all read that one back.
 */
export async function snapshotOfJob({
  jobId,
  store,
  directory,
  shouldYield,
  splitBegun = false,
  checkpointEveryPages = defaultCheckpointEveryPages,
  logger,
  ...pacing
}: SnapshotOfJobInput): Promise<SnapshotOfJob> {
  const stored = await store.read(jobId);
  if (stored.stage === 'complete') {
    const summary = summaryOf(stored.snapshot.size, stored.bytes, stored.tally, 0);
    logger.info('WorkOS snapshot read back', { ...summary });
    return { status: 'ready', snapshot: stored.snapshot, summary };
  }
  if (splitBegun) {
    logger.warn('Split goes on without a WorkOS snapshot, as it began', { stage: stored.stage });
    return { status: 'none' };
  }

  const earlier = stored.stage === 'listing' ? stored.tally : { pagesRead: 0, rateLimited: 0 };
  const tallyAfter = (pagesRead: number, rateLimited: number): ListingTally => ({
    pagesRead: earlier.pagesRead + pagesRead,
    rateLimited: earlier.rateLimited + rateLimited,
  });
  if (stored.stage === 'listing') {
    logger.info('WorkOS listing resumed from its checkpoint', {
      usersListed: stored.checkpoint.partial.size,
      pagesRead: earlier.pagesRead,
    });
  } else {
    logger.info('WorkOS listing started');
  }
  let checkpointed: { pagesRead: number; bytes: number } | undefined;
  const result = await takeWorkOsSnapshot({
    directory: await directory(),
    ...pacing,
    ...(stored.stage === 'listing' ? { resumeFrom: stored.checkpoint } : {}),
    shouldYield,
    onPage: async ({ after, usersListed, pagesRead, rateLimited, partial }) => {
      if (after === undefined || pagesRead % checkpointEveryPages !== 0) return;
      const tally = tallyAfter(pagesRead, rateLimited);
      const bytes = await store.writeCheckpoint(jobId, { after, partial: partial() }, tally);
      checkpointed = { pagesRead, bytes };
      logger.info('WorkOS listing checkpointed', { usersListed, ...tally, bytes });
    },
  });
  const tally = tallyAfter(result.pagesRead, result.rateLimited);

  if (result.stoppedAt !== undefined) {
    const bytes =
      checkpointed?.pagesRead === result.pagesRead
        ? checkpointed.bytes
        : await store.writeCheckpoint(jobId, result.stoppedAt, tally);
    const summary = summaryOf(result.snapshot.size, bytes, tally, result.pagesRead);
    logger.info('WorkOS listing paused for a continuation', { ...summary });
    return { status: 'yielded', summary };
  }
  const complete = await store.writeComplete(jobId, result.snapshot, tally);
  const summary = summaryOf(
    complete.snapshot.size,
    complete.bytes,
    complete.tally,
    result.pagesRead,
  );
  logger.info('WorkOS snapshot taken', { ...summary });
  return { status: 'ready', snapshot: complete.snapshot, summary };
}

function summaryOf(
  users: number,
  bytes: number,
  tally: ListingTally,
  pagesReadNow: number,
): SnapshotSummary {
  return { users, bytes, ...tally, pagesReadNow };
}
