import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, WorkOsAuthenticationError } from '../errors.ts';
import { haltJobs, importBatchOrHalt } from '../import/halt-import.ts';
import { WritePacer } from '../import/write-pacer.ts';
import { InMemoryMigrationLedger } from '../ledger/in-memory-ledger.ts';
import type { JobSnapshot, MigrationLedger } from '../ledger/migration-ledger.ts';
import type { PipelineLogger } from '../logger.ts';
import { importMessageSchema, recordPosition, sourceIdOf } from '../model/import-message.ts';
import { jobIdFor } from '../model/job-id.ts';
import type { ManifestOptions, SourceFormat } from '../model/job-manifest.ts';
import {
  emptyOutcomeCounts,
  type OutcomeCounts,
  type RecordOutcome,
  recordKindOfMessage,
} from '../model/outcome.ts';
import { failureReasonAttribute } from '../queue/queue-types.ts';
import {
  type SnapshotProgress,
  takeWorkOsSnapshot,
  type WorkOsSnapshotResult,
} from '../snapshot/take-workos-snapshot.ts';
import type { WorkOsSnapshot } from '../snapshot/workos-snapshot.ts';
import { jobOfFiles } from '../split/job-source.ts';
import { runSplit } from '../split/run-split.ts';
import {
  countingOrganizationDirectory,
  countingUserDirectory,
  emptyWorkOsCallCounts,
  type WorkOsCallCounts,
} from '../workos/counting-directory.ts';
import type { OrganizationDirectory } from '../workos/organization-directory.ts';
import type { UserDirectory } from '../workos/user-directory.ts';
import {
  InProcessQueue,
  inProcessImportMessageSink,
  inProcessQueueControl,
} from './in-process-queue.ts';
import { runLocalEventSource } from './local-event-source.ts';
import { SettledCheckpoints } from './settled-checkpoints.ts';

export interface LocalMigrationOptions {
  /**
   * The run's jobs, one after the other: a path is a job of one export, or a job manifest
   * (`manifest.json`, its files relative to it); a list of paths is one job of those files
   * (Auth0 users and password hashes joined into one write per user).
   */
  files: (string | string[])[];
  /** The source, when detection should not decide. */
  format?: SourceFormat;
  /** Per-job options for jobs without a manifest (a manifest brings its own). */
  jobOptions?: ManifestOptions;
  directory: UserDirectory;
  /** WorkOS organizations, memberships and password resets (jobs that need them). */
  organizations?: OrganizationDirectory;
  /** Writes per second to WorkOS, for the whole run. */
  writesPerSecond: number;
  /** Batches in flight at once: the event source's maxConcurrency. */
  maxConcurrency: number;
  /** Receives before a failing record is dead-lettered, as the queue's redrive policy. */
  maxReceiveCount: number;
  visibilityTimeoutSeconds?: number;
  /** Delay before a transient failure is retried (the consumer's policy by default). */
  retryDelaySeconds?: (receiveCount: number) => number;
  logger: PipelineLogger;
  /**
   * Where the run keeps its jobs: in memory by default; a {@link SqliteMigrationLedger} file lets
   * a later run of the same files continue where this one stopped.
   */
  ledger?: MigrationLedger;
  /**
   * Stops the run cleanly: the split stops reading, no new batch is taken, the batches in flight
   * finish and their outcomes are recorded; the records not settled wait in the ledger's job.
   */
  signal?: AbortSignal;
  /** Records between split checkpoints (100 by default): what a resumed run reads again. */
  checkpointEvery?: number;
  /**
   * What the WorkOS environment holds, for the split to diff against (see `runSplit`): `take`
   * lists it first, in this process, paced to the read budget; a snapshot read from a file is
   * used as it is. None: every record goes to the consumer.
   */
  snapshot?: 'take' | WorkOsSnapshot;
  /** Told after each page of the listing, when the run takes its snapshot. */
  onSnapshotPage?: (progress: SnapshotProgress) => void;
}

/** How a job of the run began, and where it stands. */
export interface LocalJobRun {
  jobId: string;
  /** `new`: split from the top; `resumed`: after an earlier run's checkpoint; `finished`: done before. */
  start: 'new' | 'resumed' | 'finished';
  /** Records read so far in the job (the earlier runs' included). */
  read: number;
  /** Records read whose outcome is not known yet: only an interrupted run leaves any. */
  unsettled: number;
}

export interface LocalMigrationResult {
  jobs: JobSnapshot[];
  /** Outcomes of every job of the run, added up. */
  counts: OutcomeCounts;
  /** Records read but without an outcome. Always 0 unless the pipeline has a bug. */
  unaccounted: number;
  /** Every record's outcome, job by job in line order. */
  outcomes: RecordOutcome[];
  /** The WorkOS calls the run made (writes, reads, 429s), counted as they went out. */
  workosCalls: WorkOsCallCounts;
  /** True when `signal` stopped the run before every record was settled. */
  interrupted: boolean;
  runs: LocalJobRun[];
  /** The snapshot the split diffed against: users it held, and pages this run read for it. */
  snapshot?: { users: number; pagesRead: number; rateLimited: number };
}

/**
 * Runs the pipeline on one machine: the splitter and consumer code that run on AWS, joined by
 * an in-process queue with SQS semantics (visibility timeout, receive count, dead-letter queue
 * after `maxReceiveCount`), the same concurrency cap and pacing, and a ledger (in memory, or a
 * file that lets the next run continue a job this one did not finish).
 */
export async function runLocalMigration(
  options: LocalMigrationOptions,
): Promise<LocalMigrationResult> {
  if (options.files.length > 1 && options.jobOptions?.removeAbsentUsers) {
    // Each job would find the other jobs' users absent from its export.
    throw new ConfigError('Removing absent users takes one job: the whole export of the source');
  }
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 60;
  const deadLetterQueue = new InProcessQueue({ name: 'local-users-dlq' });
  const queue = new InProcessQueue({
    name: 'local-users',
    visibilityTimeoutSeconds,
    maxReceiveCount: options.maxReceiveCount,
    deadLetterQueue,
  });
  const ledger = options.ledger ?? new InMemoryMigrationLedger();
  const checkpoints = new SettledCheckpoints(ledger);
  const consumerLedger = checkpoints.consumerLedger();
  const workosCalls = emptyWorkOsCallCounts();
  const directory = countingUserDirectory(options.directory, workosCalls);
  const organizations =
    options.organizations === undefined
      ? undefined
      : countingOrganizationDirectory(options.organizations, workosCalls);
  const pacer = new WritePacer({ writesPerSecond: options.writesPerSecond });
  const control = inProcessQueueControl(queue, deadLetterQueue);
  const stop = new AbortController();
  const stopped =
    options.signal === undefined ? stop.signal : AbortSignal.any([stop.signal, options.signal]);
  let fatal: WorkOsAuthenticationError | undefined;
  let splittingDone = false;
  // A run that sends nothing (every user unchanged) ends when its split does, not a poll later.
  const splitFinished = Promise.withResolvers<void>();

  const consuming = runLocalEventSource({
    queue,
    maxConcurrency: options.maxConcurrency,
    visibilityTimeoutSeconds,
    isFinished: () => splittingDone,
    finished: splitFinished.promise,
    signal: stopped,
    logger: options.logger,
    handleBatch: async (messages) => {
      try {
        return await importBatchOrHalt(
          messages,
          {
            directory,
            ...(organizations === undefined ? {} : { organizations }),
            pacer,
            queue: control,
            ledger: consumerLedger,
            logger: options.logger,
            maxReceiveCount: options.maxReceiveCount,
            ...(options.retryDelaySeconds ? { retryDelaySeconds: options.retryDelaySeconds } : {}),
          },
          async () => stop.abort(),
        );
      } catch (error) {
        if (error instanceof WorkOsAuthenticationError) fatal ??= error;
        throw error;
      }
    },
  });

  const splits: LocalJobSplit[] = [];
  // Taken when a job first needs splitting: a run whose jobs are all finished lists nothing.
  let snapshotTaken: WorkOsSnapshotResult | undefined;
  const snapshotOfRun = async (): Promise<WorkOsSnapshot | undefined> => {
    if (options.snapshot === undefined) return undefined;
    snapshotTaken ??=
      options.snapshot === 'take'
        ? await takeWorkOsSnapshot({
            directory,
            ...(options.onSnapshotPage === undefined ? {} : { onPage: options.onSnapshotPage }),
          })
        : { snapshot: options.snapshot, pagesRead: 0, rateLimited: 0 };
    return snapshotTaken.snapshot;
  };
  try {
    for (const job of options.files) {
      if (stopped.aborted) break;
      splits.push(
        await splitLocalJob(typeof job === 'string' ? [job] : job, options, queue, {
          ledger,
          checkpoints,
          signal: stopped,
          snapshotOfRun,
        }),
      );
    }
  } finally {
    splittingDone = true;
    splitFinished.resolve();
  }
  await consuming;
  const jobIds = splits.map((split) => split.jobId);
  if (fatal !== undefined) {
    // The run stops: its jobs that no batch had reached yet are halted too.
    const notHalted = [];
    for (const jobId of jobIds) {
      if ((await ledger.getJob(jobId))?.haltReason === undefined) notHalted.push(jobId);
    }
    if (notHalted.length > 0) await haltJobs(notHalted, fatal, { ledger, logger: options.logger });
    throw fatal;
  }

  await recordRedrivenFailures(deadLetterQueue, consumerLedger);
  await checkpoints.settledWrites();
  const runs = splits.map(({ jobId, start, read }) => ({
    jobId,
    start,
    read,
    unsettled: checkpoints.unsettled(jobId),
  }));
  const interrupted = runs.some((run) => run.unsettled > 0) || options.signal?.aborted === true;
  return {
    ...(await summarize(ledger, runs)),
    workosCalls: { ...workosCalls },
    interrupted,
    runs,
    ...(snapshotTaken === undefined
      ? {}
      : {
          snapshot: {
            users: snapshotTaken.snapshot.size,
            pagesRead: snapshotTaken.pagesRead,
            rateLimited: snapshotTaken.rateLimited,
          },
        }),
  };
}

interface LocalJobSplit {
  jobId: string;
  start: LocalJobRun['start'];
  read: number;
}

/**
 * A local job's id: its files' absolute paths, sizes and modification times. The same files
 * unchanged are the same job (a second run continues it); a file that changed is a new job.
 */
export async function localJobIdOf(paths: string[]): Promise<string> {
  const identity = await Promise.all(
    paths.map(async (path) => {
      const absolute = resolve(path);
      const { size, mtimeMs } = await stat(absolute);
      return `${absolute}:${size}-${mtimeMs}`;
    }),
  );
  return jobIdFor({ bucket: 'local', key: identity.join('\n') });
}

async function splitLocalJob(
  paths: string[],
  options: LocalMigrationOptions,
  queue: InProcessQueue,
  {
    ledger,
    checkpoints,
    signal,
    snapshotOfRun,
  }: {
    ledger: MigrationLedger;
    checkpoints: SettledCheckpoints;
    signal: AbortSignal;
    snapshotOfRun: () => Promise<WorkOsSnapshot | undefined>;
  },
): Promise<LocalJobSplit> {
  const jobId = await localJobIdOf(paths);
  const sourceFile = paths.length === 1 ? (paths[0] as string) : `${paths.length} files`;
  // The lease lives as long as this process: a file ledger keeps no lease of an earlier run.
  const claim = await ledger.claimSplit({ jobId, sourceFile }, Number.MAX_SAFE_INTEGER);
  if (claim.action === 'skip') {
    // Finished before (or listed twice in this run): nothing to read or send again.
    return { jobId, start: 'finished', read: (await ledger.getJob(jobId))?.read ?? 0 };
  }
  // A job halted by a refused API key is taken up again: this run brings its own key.
  if ((await ledger.getJob(jobId))?.haltReason !== undefined) await ledger.resumeJob(jobId);
  const snapshot = await snapshotOfRun();
  const source = jobOfFiles(paths, undefined, {
    ...(options.format === undefined ? {} : { format: options.format }),
    ...(options.jobOptions === undefined ? {} : { options: options.jobOptions }),
  });
  const { summary } = await runSplit(
    {
      jobId,
      source,
      start: { afterLine: claim.resumeAfterLine, read: claim.read, enqueued: claim.enqueued },
      checkpointEvery: options.checkpointEvery ?? 100,
      shouldYield: () => signal.aborted,
      ...(snapshot === undefined ? {} : { snapshot }),
    },
    {
      sink: checkpoints.sink(inProcessImportMessageSink(queue)),
      ledger: checkpoints.splitLedger(),
      logger: options.logger,
    },
  );
  return { jobId, start: claim.action === 'resume' ? 'resumed' : 'new', read: summary.read };
}

/**
 * Messages the queue's redrive moved to the dead-letter queue (receive count exhausted without a
 * verdict, e.g. a crash loop) carry no outcome yet: record them as failed, so every record read
 * ends in one state.
 */
async function recordRedrivenFailures(
  deadLetterQueue: InProcessQueue,
  ledger: MigrationLedger,
): Promise<void> {
  for (const message of deadLetterQueue.drain()) {
    const parsed = importMessageSchema.safeParse(safeJson(message.body));
    if (!parsed.success) continue;
    const { origin, joined = [] } = parsed.data;
    if ((await ledger.outcomeOf(origin.jobId, recordPosition(origin))) !== undefined) continue;
    for (const failedOrigin of [origin, ...joined]) {
      await ledger.recordOutcome({
        origin: failedOrigin,
        kind: failedOrigin === origin ? recordKindOfMessage(parsed.data.kind) : 'joined',
        sourceId: sourceIdOf(parsed.data),
        status: 'failed',
        reason: message.attributes[failureReasonAttribute] ?? 'max_receives_exceeded',
      });
    }
  }
}

async function summarize(
  ledger: MigrationLedger,
  runs: LocalJobRun[],
): Promise<Pick<LocalMigrationResult, 'jobs' | 'counts' | 'unaccounted' | 'outcomes'>> {
  const jobs: JobSnapshot[] = [];
  const outcomes: RecordOutcome[] = [];
  const counts = emptyOutcomeCounts();
  let read = 0;
  let unsettled = 0;
  for (const run of runs) {
    const stored = await ledger.getJob(run.jobId);
    if (stored === undefined) continue;
    // What this run read: the ledger's figure stops at the last settled checkpoint.
    const job = { ...stored, read: run.read };
    jobs.push(job);
    read += job.read;
    unsettled += run.unsettled;
    for (const [status, count] of Object.entries(job.counts)) {
      counts[status as keyof OutcomeCounts] += count;
    }
    for await (const outcome of ledger.listOutcomes(run.jobId)) outcomes.push(outcome);
  }
  const accounted = Object.values(counts).reduce((total, count) => total + count, 0);
  // Records an interrupted run left unsettled are not missing: the next run settles them.
  return { jobs, counts, unaccounted: read - accounted - unsettled, outcomes };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
