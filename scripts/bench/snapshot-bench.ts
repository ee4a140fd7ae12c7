import { performance } from 'node:perf_hooks';
import { logger } from '../../src/logger.ts';
import { takeWorkOsSnapshot } from '../../src/snapshot/take-workos-snapshot.ts';
import { WorkOsSnapshot, WorkOsSnapshotBuilder } from '../../src/snapshot/workos-snapshot.ts';
import {
  countingUserDirectory,
  emptyWorkOsCallCounts,
} from '../../src/workos/counting-directory.ts';
import { maxUsersPerPage } from '../../src/workos/user-directory.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import { startWorkOsEmulator } from '../../tools/workos-emulator/src/workos-emulator.ts';

/** WorkOS's AuthKit read limit: 1,000 per 10 s. */
export const workOsReadsPerSecond = 100;

export interface SnapshotIndexResult {
  users: number;
  bytesUsed: number;
  bytesPerUser: number;
  serializedBytes: number;
  buildMs: number;
  /** Mean of one lookup by email and one by external id, per user, after a load from bytes. */
  lookupMicroseconds: number;
}

export interface SnapshotListingResult {
  users: number;
  readsPerSecond: number;
  pagesRead: number;
  readsSeen: number;
  rateLimited: number;
  wallSeconds: number;
  /** users / 100 per page / 100 reads a second: the fastest WorkOS's read limit allows. */
  boundSeconds: number;
  usersFound: number;
}

export interface SnapshotBenchResult {
  index: SnapshotIndexResult[];
  listing?: SnapshotListingResult;
}

/** A WorkOS-shaped user: a ULID id, and the digest the importer writes (record + password). */
function syntheticUser(n: number) {
  const ulid = `01J${n.toString(32).toUpperCase().padStart(23, '0')}`.replace(/[ILOU]/g, 'X');
  return {
    id: `user_${ulid}`,
    email: `bench.user.${n}@example.com`,
    emailVerified: n % 2 === 0,
    firstName: null,
    lastName: null,
    externalId: `auth0|${(n * 2654435761).toString(16).padStart(24, '0')}`,
    metadata: {
      import_source: 'auth0',
      import_digest: `${n.toString(36).padStart(22, 'Q')}${n % 3 === 0 ? '' : `.${'p'.repeat(16)}`}`,
    },
    lastSignInAt: n % 5 === 0 ? '2026-01-01T00:00:00.000Z' : null,
  };
}

/** Bytes per user of the index, and the cost of building and looking up, at each size. */
export function measureSnapshotIndex(users: number): SnapshotIndexResult {
  const started = performance.now();
  const builder = new WorkOsSnapshotBuilder();
  for (let n = 0; n < users; n++) builder.add(syntheticUser(n));
  const built = builder.build();
  const buildMs = performance.now() - started;
  const bytes = built.toBytes();
  const loaded = WorkOsSnapshot.fromBytes(bytes);
  const lookups = Math.min(users, 100_000);
  const lookupStarted = performance.now();
  let found = 0;
  for (let n = 0; n < lookups; n++) {
    const user = syntheticUser(n);
    if (loaded.findByEmail(user.email)?.workosUserId === user.id) found += 1;
    if (loaded.findByExternalId(user.externalId)?.workosUserId === user.id) found += 1;
  }
  const lookupMs = performance.now() - lookupStarted;
  if (found !== lookups * 2)
    throw new Error(`snapshot bench: ${lookups * 2 - found} lookups missed`);
  return {
    users,
    bytesUsed: loaded.bytesUsed(),
    bytesPerUser: loaded.bytesUsed() / users,
    serializedBytes: bytes.length,
    buildMs,
    lookupMicroseconds: lookups === 0 ? 0 : (lookupMs * 1000) / (lookups * 2),
  };
}

/**
 * Lists `users` users of an emulator with WorkOS's read limit on (writes unlimited, so seeding is
 * quick), through the SDK, at `readsPerSecond`.
 */
export async function measureSnapshotListing(
  users: number,
  readsPerSecond: number,
): Promise<SnapshotListingResult> {
  logger.setLogLevel('ERROR');
  const emulator = await startWorkOsEmulator({ writeLimit: false });
  try {
    const directory = new WorkOsUserDirectory(
      createWorkOsClient({ apiKey: 'sk_test_bench', apiUrl: emulator.url, timeoutMs: 10_000 }),
    );
    for (let start = 0; start < users; start += 64) {
      await Promise.all(
        Array.from({ length: Math.min(64, users - start) }, (_, offset) => {
          const user = syntheticUser(start + offset);
          return directory.createUser({
            email: user.email,
            emailVerified: user.emailVerified,
            externalId: user.externalId,
            metadata: user.metadata,
          });
        }),
      );
    }
    const readsBefore = emulator.stats().reads;
    const counts = emptyWorkOsCallCounts();
    const started = performance.now();
    const { snapshot, pagesRead, rateLimited } = await takeWorkOsSnapshot({
      directory: countingUserDirectory(directory, counts),
      readsPerSecond,
    });
    const wallSeconds = (performance.now() - started) / 1000;
    let usersFound = 0;
    for (let n = 0; n < users; n++) {
      const user = syntheticUser(n);
      if (
        snapshot.findByExternalId(user.externalId) !== undefined &&
        snapshot.findByEmail(user.email) !== undefined
      ) {
        usersFound += 1;
      }
    }
    return {
      users,
      readsPerSecond,
      pagesRead,
      readsSeen: emulator.stats().reads - readsBefore,
      rateLimited,
      wallSeconds,
      boundSeconds: users / maxUsersPerPage / workOsReadsPerSecond,
      usersFound,
    };
  } finally {
    await emulator.close();
  }
}

/** Users listed but not found, or pages read more than once. */
export function unaccountedInSnapshot(result: SnapshotBenchResult): number {
  const listing = result.listing;
  if (listing === undefined) return 0;
  const pages = Math.max(1, Math.ceil(listing.users / maxUsersPerPage));
  return listing.users - listing.usersFound + Math.max(0, listing.pagesRead - pages - 1);
}
