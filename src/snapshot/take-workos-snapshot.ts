import { RateLimitedError } from '../errors.ts';
import type { UserDirectory } from '../workos/user-directory.ts';
import { ReadPacer } from './read-pacer.ts';
import { type WorkOsSnapshot, WorkOsSnapshotBuilder } from './workos-snapshot.ts';

/**
 * WorkOS allows 1,000 reads per 10 s per environment. A listing at 90 a second leaves the rest
 * to whatever else reads meanwhile (the import's own lookups).
 */
export const defaultSnapshotReadsPerSecond = 90;

/** 429s in a row on one page before the listing gives up (each waits its Retry-After). */
export const defaultMaxRateLimitedRetries = 10;

/** Where a listing stood after a page: what a caller keeps to go on from there later. */
export interface SnapshotProgress {
  /** The cursor of the next page; absent once every user is listed. */
  after?: string;
  /** Users listed so far, those of the checkpoint resumed from included. */
  usersListed: number;
  /** Pages read by this call. */
  pagesRead: number;
  /** Pages WorkOS answered 429 in this call (each read again after its Retry-After). */
  rateLimited: number;
  /**
   * The snapshot of the users listed so far, for a checkpoint. It sorts everything listed, so
   * call it every so many pages rather than on each.
   */
  partial(): WorkOsSnapshot;
}

/** A listing stopped part way: its cursor and the users it had listed. */
export interface SnapshotCheckpoint {
  after: string;
  partial: WorkOsSnapshot;
}

export interface TakeWorkOsSnapshotOptions {
  directory: Pick<UserDirectory, 'listUsers'>;
  /** Default `defaultSnapshotReadsPerSecond`. */
  readsPerSecond?: number;
  resumeFrom?: SnapshotCheckpoint;
  /** Called after each page; the listing waits for it, so a checkpoint can be written. */
  onPage?: (progress: SnapshotProgress) => void | Promise<void>;
  /**
   * Asked after each page but the last: true stops the listing there (a Lambda close to its
   * time limit), and the result's `stoppedAt` says where to go on from. At least one page is
   * read per call, so a chain of calls always gets to the end.
   */
  shouldYield?: () => boolean;
  maxRateLimitedRetries?: number;
  /** For tests: the pacer's clock. */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface WorkOsSnapshotResult {
  /** Every user, or those listed so far when `stoppedAt` is set. */
  snapshot: WorkOsSnapshot;
  /** Pages this call read (429s not counted: `rateLimited` has them). */
  pagesRead: number;
  /** Pages WorkOS answered 429, each retried after its Retry-After. */
  rateLimited: number;
  /** Set when `shouldYield` stopped the listing: what `resumeFrom` takes to go on. */
  stoppedAt?: SnapshotCheckpoint;
}

/**
 * Lists every user of the WorkOS environment once, a page of 100 at a time and paced to the read
 * budget, into a `WorkOsSnapshot`. A 429 holds the listing for its Retry-After, then asks for the
 * same page again; any other error ends the call, and `onPage`'s last checkpoint lets a later
 * call go on from the page that failed. `shouldYield` ends it between pages on purpose, with
 * where to go on from.
 */
export async function takeWorkOsSnapshot({
  directory,
  readsPerSecond = defaultSnapshotReadsPerSecond,
  resumeFrom,
  onPage,
  shouldYield,
  maxRateLimitedRetries = defaultMaxRateLimitedRetries,
  now,
  sleep,
}: TakeWorkOsSnapshotOptions): Promise<WorkOsSnapshotResult> {
  const pacer = new ReadPacer({
    readsPerSecond,
    ...(now === undefined ? {} : { now }),
    ...(sleep === undefined ? {} : { sleep }),
  });
  const builder = new WorkOsSnapshotBuilder();
  if (resumeFrom !== undefined) builder.addSnapshot(resumeFrom.partial);
  let after = resumeFrom?.after;
  let pagesRead = 0;
  let rateLimited = 0;
  let refusedInARow = 0;
  for (;;) {
    await pacer.acquire();
    let page: Awaited<ReturnType<UserDirectory['listUsers']>>;
    try {
      page = await directory.listUsers(after === undefined ? {} : { after });
    } catch (error) {
      if (!(error instanceof RateLimitedError) || refusedInARow >= maxRateLimitedRetries) {
        throw error;
      }
      rateLimited += 1;
      refusedInARow += 1;
      pacer.pauseFor(error.retryAfterSeconds);
      continue;
    }
    refusedInARow = 0;
    pagesRead += 1;
    for (const user of page.users) builder.add(user);
    after = page.after;
    await onPage?.({
      ...(after === undefined ? {} : { after }),
      usersListed: builder.size,
      pagesRead,
      rateLimited,
      partial: () => builder.build(),
    });
    if (after === undefined) break;
    if (shouldYield?.()) {
      const partial = builder.build();
      return { snapshot: partial, pagesRead, rateLimited, stoppedAt: { after, partial } };
    }
  }
  return { snapshot: builder.build(), pagesRead, rateLimited };
}
