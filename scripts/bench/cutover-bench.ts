import { performance } from 'node:perf_hooks';
import { InMemoryMigrationLedger } from '../../src/ledger/in-memory-ledger.ts';
import { runLocalMigration } from '../../src/local/run-local-migration.ts';
import { logger } from '../../src/logger.ts';
import { emptyOutcomeCounts, type OutcomeCounts } from '../../src/model/outcome.ts';
import type { WorkOsCallCounts } from '../../src/workos/counting-directory.ts';
import { maxUsersPerPage } from '../../src/workos/user-directory.ts';
import { createWorkOsClient, WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import { workOsReadLimit, workOsWriteLimit } from '../../tools/workos-emulator/src/rate-limiter.ts';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
} from '../../tools/workos-emulator/src/workos-emulator.ts';
import { syntheticAuth0ExportLines } from '../synthetic-auth0-export.ts';
import { workOsReadsPerSecond } from './snapshot-bench.ts';
import type { SplitterInputs } from './splitter-bench.ts';
import { writeSyntheticExport } from './synthetic-files.ts';
import { syntheticAuth0PasswordLines } from './synthetic-password-export.ts';

/*
 * Issue 16's cutover, measured: a bulk import seeds the emulator (its limits off: 100,000 users
 * at WorkOS's write limit would take 33 minutes), then, at WorkOS's real limits, the same export
 * as a new job (nothing to write: the listing is the whole cost) and a delta export (1 % of the
 * users changed, 1 % new, 1 % gone: one write per changed or new user).
 */

/** A delta export's changes, one user in a hundred each, by position in the bulk export. */
const changedPosition = 17;
const removedPosition = 33;
// Neither is a multiple of 50, so the bench's rotating invalid records (every 50th) are never
// the ones changed or removed: each change is a user WorkOS holds.

export type CutoverRunName = 'seed (limits off)' | 'unchanged re-run' | 'delta';

export interface CutoverRun {
  run: CutoverRunName;
  /** Records the job should read: its files' lines, and the users it should list as absent. */
  expectedRecords: number;
  wallSeconds: number;
  /** Users WorkOS held when the run listed them; the seed lists nothing. */
  usersListed: number | undefined;
  pagesRead: number;
  /** usersListed / 100 a page / 100 reads a second: the fastest WorkOS's read limit allows. */
  listingBoundSeconds: number | undefined;
  /** The listing bound, then the run's writes at the target rate: the least the run can take. */
  idealSeconds: number | undefined;
  /** What the run sent WorkOS, counted as it went out. */
  calls: WorkOsCallCounts;
  /** Users the emulator created and updated during the run. */
  usersCreated: number;
  usersUpdated: number;
  /** Outcomes of the job's user records (joined password records and absent users apart). */
  users: OutcomeCounts;
  /** Users WorkOS holds from the source that the export no longer has, listed after it. */
  absentListed: number;
  /** Records the job read (absent users included) and records with an outcome. */
  read: number;
  settled: number;
  failed: number;
  /** Records read without an outcome, as the run reports them. */
  unaccounted: number;
}

export interface CutoverBenchResult {
  /** Users of the bulk export, invalid records included. */
  users: number;
  /** The measured runs' target writes per second and batches in flight. */
  writesPerSecond: number;
  maxConcurrency: number;
  /** Users the seed created: the valid users of the bulk export. */
  seeded: number;
  /** The delta export against the bulk one. */
  changed: number;
  added: number;
  removed: number;
  seed: CutoverRun;
  unchanged: CutoverRun;
  delta: CutoverRun;
  /** Users in WorkOS at the end, and how many there should be (the seeded and the added). */
  usersInWorkOs: number;
  expectedUsersInWorkOs: number;
}

/** A delta export written next to its bulk export, and what it changed. */
export interface DeltaExport {
  inputs: SplitterInputs;
  changed: number;
  added: number;
  /** The Auth0 ids of the users left out. */
  removed: Set<string>;
}

/**
 * The bulk export of `users` users as the source would export it again at cutover: every 100th
 * user renamed, every 100th left out (with its password line), and `users / 100` new users of
 * another seed at the end, with their passwords.
 */
export async function writeDeltaExport(
  directory: string,
  { users, seed, invalidEvery }: { users: number; seed: string; invalidEvery: number },
): Promise<DeltaExport> {
  const delta = { changed: 0, added: Math.floor(users / 100), removed: new Set<string>() };
  const newSeed = `${seed}-new`;
  function* deltaUserLines(): Generator<string> {
    let position = 0;
    for (const line of syntheticAuth0ExportLines(users, { seed, invalidEvery })) {
      position += 1;
      if (position % 100 === removedPosition) {
        delta.removed.add((JSON.parse(line) as { user_id: string }).user_id);
      } else if (position % 100 === changedPosition) {
        delta.changed += 1;
        yield JSON.stringify({ ...JSON.parse(line), given_name: 'Renamed' });
      } else {
        yield line;
      }
    }
    yield* syntheticAuth0ExportLines(delta.added, { seed: newSeed });
  }
  function* deltaPasswordLines(): Generator<string> {
    for (const line of syntheticAuth0PasswordLines(users, { seed })) {
      const { _id } = JSON.parse(line) as { _id: { $oid: string } };
      if (!delta.removed.has(`auth0|${_id.$oid}`)) yield line;
    }
    yield* syntheticAuth0PasswordLines(delta.added, { seed: newSeed });
  }
  const name = { users, seed: `${seed}-delta` };
  // The users first: the password lines left out are those of the users it left out.
  const usersExport = await writeSyntheticExport(
    directory,
    { kind: 'users', ...name },
    deltaUserLines(),
  );
  const passwords = await writeSyntheticExport(
    directory,
    { kind: 'passwords', ...name },
    deltaPasswordLines(),
  );
  return { inputs: { users: usersExport, passwords }, ...delta };
}

const apiKey = 'sk_test_cutover_bench';

interface RunContext {
  emulator: RunningWorkOsEmulator;
  directory: WorkOsUserDirectory;
  writesPerSecond: number;
  maxConcurrency: number;
}

/** One run of a joined job (users + passwords) as a new job: a ledger of its own. */
async function runJob(
  run: CutoverRunName,
  { users, passwords }: SplitterInputs,
  context: RunContext,
  { snapshot, expectedAbsent }: { snapshot: boolean; expectedAbsent: number },
): Promise<CutoverRun> {
  const before = context.emulator.stats();
  const started = performance.now();
  const result = await runLocalMigration({
    files: [[users.gzipPath, passwords.gzipPath]],
    format: 'auth0',
    directory: context.directory,
    writesPerSecond: context.writesPerSecond,
    maxConcurrency: context.maxConcurrency,
    maxReceiveCount: 5,
    logger,
    ledger: new InMemoryMigrationLedger(),
    ...(snapshot ? { snapshot: 'take' as const } : {}),
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const after = context.emulator.stats();
  const job = result.jobs[0];
  const usersListed = result.snapshot?.users;
  const listingBoundSeconds =
    usersListed === undefined ? undefined : usersListed / maxUsersPerPage / workOsReadsPerSecond;
  return {
    run,
    expectedRecords: users.lines + passwords.lines + expectedAbsent,
    wallSeconds,
    usersListed,
    pagesRead: result.snapshot?.pagesRead ?? 0,
    listingBoundSeconds,
    idealSeconds:
      listingBoundSeconds === undefined
        ? undefined
        : listingBoundSeconds + result.workosCalls.writes / context.writesPerSecond,
    calls: result.workosCalls,
    usersCreated: after.usersCreated - before.usersCreated,
    usersUpdated: after.usersUpdated - before.usersUpdated,
    users: job?.countsByKind.user ?? emptyOutcomeCounts(),
    absentListed: result.outcomes.filter((outcome) => outcome.kind === 'absent').length,
    read: job?.read ?? 0,
    settled: Object.values(result.counts).reduce((total, count) => total + count, 0),
    failed: result.counts.failed,
    unaccounted: result.unaccounted,
  };
}

/**
 * Seeds an emulator with `bulk` through the pipeline (limits off, unpaced), then turns WorkOS's
 * limits on and runs the bulk export again and `delta`, each as a new job that lists WorkOS
 * first, at `writesPerSecond` with `maxConcurrency` batches in flight.
 */
export async function measureCutover({
  bulk,
  delta,
  writesPerSecond,
  maxConcurrency,
  seedConcurrency,
}: {
  bulk: SplitterInputs;
  delta: DeltaExport;
  writesPerSecond: number;
  maxConcurrency: number;
  seedConcurrency: number;
}): Promise<CutoverBenchResult> {
  // As the CLI runs: per-record INFO lines off, warnings (rate limits) still on.
  logger.setLogLevel('WARN');
  const emulator = await startWorkOsEmulator({ writeLimit: false, readLimit: false });
  try {
    const directory = new WorkOsUserDirectory(
      createWorkOsClient({ apiKey, apiUrl: emulator.url, timeoutMs: 10_000 }),
    );
    const seed = await runJob(
      'seed (limits off)',
      bulk,
      // Far above anything reachable: the pacer never waits.
      { emulator, directory, writesPerSecond: 1_000_000, maxConcurrency: seedConcurrency },
      { snapshot: false, expectedAbsent: 0 },
    );
    emulator.setRateLimits({ writeLimit: workOsWriteLimit, readLimit: workOsReadLimit });
    const measured = { emulator, directory, writesPerSecond, maxConcurrency };
    const unchanged = await runJob('unchanged re-run', bulk, measured, {
      snapshot: true,
      expectedAbsent: 0,
    });
    const deltaRun = await runJob('delta', delta.inputs, measured, {
      snapshot: true,
      expectedAbsent: delta.removed.size,
    });
    return {
      users: bulk.users.users,
      writesPerSecond,
      maxConcurrency,
      seeded: seed.users.created,
      changed: delta.changed,
      added: delta.added,
      removed: delta.removed.size,
      seed,
      unchanged,
      delta: deltaRun,
      usersInWorkOs: emulator.stats().userCount,
      expectedUsersInWorkOs: seed.users.created + delta.added,
    };
  } finally {
    await emulator.close();
  }
}

/** Every run of the stage, in the order run. */
export const cutoverRuns = (result: CutoverBenchResult): CutoverRun[] => [
  result.seed,
  result.unchanged,
  result.delta,
];

/** Records of one run that failed, went unread or ended in no state. */
export const lostInCutoverRun = (run: CutoverRun): number =>
  run.failed +
  Math.abs(run.unaccounted) +
  Math.abs(run.expectedRecords - run.read) +
  Math.abs(run.read - run.settled);

/**
 * Records lost by any run, and people missing from WorkOS (or there twice): 0 when the stage
 * accounted for everything.
 */
export function unaccountedInCutover(result: CutoverBenchResult | undefined): number {
  if (result === undefined) return 0;
  const lost = cutoverRuns(result).reduce((total, run) => total + lostInCutoverRun(run), 0);
  return lost + Math.abs(result.expectedUsersInWorkOs - result.usersInWorkOs);
}

/** WorkOS writes per user the delta changed or added: 1.00 is one write each. */
export const deltaWritesPerChange = (result: CutoverBenchResult): number =>
  result.delta.calls.writes / Math.max(1, result.changed + result.added);
