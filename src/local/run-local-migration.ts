import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { WorkOsAuthenticationError } from '../errors.ts';
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
import { jobOfFiles } from '../split/job-source.ts';
import { runSplit } from '../split/run-split.ts';
import type { SplitSummary } from '../split/split-export.ts';
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
}

/**
 * Runs the pipeline on one machine: the splitter and consumer code that run on AWS, joined by
 * an in-process queue with SQS semantics (visibility timeout, receive count, dead-letter queue
 * after `maxReceiveCount`), the same concurrency cap and pacing, and an in-memory ledger.
 */
export async function runLocalMigration(
  options: LocalMigrationOptions,
): Promise<LocalMigrationResult> {
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 60;
  const deadLetterQueue = new InProcessQueue({ name: 'local-users-dlq' });
  const queue = new InProcessQueue({
    name: 'local-users',
    visibilityTimeoutSeconds,
    maxReceiveCount: options.maxReceiveCount,
    deadLetterQueue,
  });
  const ledger = new InMemoryMigrationLedger();
  const workosCalls = emptyWorkOsCallCounts();
  const directory = countingUserDirectory(options.directory, workosCalls);
  const organizations =
    options.organizations === undefined
      ? undefined
      : countingOrganizationDirectory(options.organizations, workosCalls);
  const pacer = new WritePacer({ writesPerSecond: options.writesPerSecond });
  const control = inProcessQueueControl(queue, deadLetterQueue);
  const stop = new AbortController();
  let fatal: WorkOsAuthenticationError | undefined;
  let splittingDone = false;

  const consuming = runLocalEventSource({
    queue,
    maxConcurrency: options.maxConcurrency,
    visibilityTimeoutSeconds,
    isFinished: () => splittingDone,
    signal: stop.signal,
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
            ledger,
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

  const jobIds: string[] = [];
  try {
    for (const job of options.files) {
      const summary = await splitLocalJob(
        typeof job === 'string' ? [job] : job,
        options,
        queue,
        ledger,
      );
      jobIds.push(summary.jobId);
      if (stop.signal.aborted) break;
    }
  } finally {
    splittingDone = true;
  }
  await consuming;
  if (fatal !== undefined) {
    // The run stops: its jobs that no batch had reached yet are halted too.
    const notHalted = [];
    for (const jobId of jobIds) {
      if ((await ledger.getJob(jobId))?.haltReason === undefined) notHalted.push(jobId);
    }
    if (notHalted.length > 0) await haltJobs(notHalted, fatal, { ledger, logger: options.logger });
    throw fatal;
  }

  await recordRedrivenFailures(deadLetterQueue, ledger);
  return { ...(await summarize(ledger, jobIds)), workosCalls: { ...workosCalls } };
}

async function splitLocalJob(
  paths: string[],
  options: LocalMigrationOptions,
  queue: InProcessQueue,
  ledger: MigrationLedger,
): Promise<SplitSummary> {
  const resolved = paths.map((path) => resolve(path));
  const identity = await Promise.all(
    resolved.map(async (path) => {
      const { size, mtimeMs } = await stat(path);
      return `${path}:${size}-${mtimeMs}`;
    }),
  );
  const jobId = jobIdFor({ bucket: 'local', key: identity.join('\n') });
  const sourceFile = paths.length === 1 ? (paths[0] as string) : `${paths.length} files`;
  // One process splits each job once; the lease only matters to concurrent splitters on AWS.
  await ledger.claimSplit({ jobId, sourceFile }, Number.MAX_SAFE_INTEGER);
  const source = jobOfFiles(paths, undefined, {
    ...(options.format === undefined ? {} : { format: options.format }),
    ...(options.jobOptions === undefined ? {} : { options: options.jobOptions }),
  });
  const { summary } = await runSplit(
    { jobId, source },
    { sink: inProcessImportMessageSink(queue), ledger, logger: options.logger },
  );
  return summary;
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
  jobIds: string[],
): Promise<Omit<LocalMigrationResult, 'workosCalls'>> {
  const jobs: JobSnapshot[] = [];
  const outcomes: RecordOutcome[] = [];
  const counts = emptyOutcomeCounts();
  let read = 0;
  for (const jobId of jobIds) {
    const job = await ledger.getJob(jobId);
    if (job === undefined) continue;
    jobs.push(job);
    read += job.read;
    for (const [status, count] of Object.entries(job.counts)) {
      counts[status as keyof OutcomeCounts] += count;
    }
    for await (const outcome of ledger.listOutcomes(jobId)) outcomes.push(outcome);
  }
  const accounted = Object.values(counts).reduce((total, count) => total + count, 0);
  return { jobs, counts, unaccounted: read - accounted, outcomes };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
