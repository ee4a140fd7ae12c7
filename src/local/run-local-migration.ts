import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { importUserBatch } from '../../lambdas/consumer/import-user-batch.ts';
import { type SplitSummary, splitExport } from '../../lambdas/splitter/split-export.ts';
import { WorkOsAuthenticationError } from '../errors.ts';
import { InMemoryMigrationLedger } from '../ledger/in-memory-ledger.ts';
import type { JobSnapshot, MigrationLedger } from '../ledger/migration-ledger.ts';
import type { PipelineLogger } from '../logger.ts';
import { planDuplicateEmails } from '../pipeline/duplicate-emails.ts';
import { jobIdFor } from '../pipeline/job-id.ts';
import { emptyOutcomeCounts, type OutcomeCounts, type RecordOutcome } from '../pipeline/outcome.ts';
import { userMessageSchema } from '../pipeline/user-message.ts';
import { WritePacer } from '../pipeline/write-pacer.ts';
import { failureReasonAttribute } from '../queue/queue-types.ts';
import { type ExportFormat, exportFormats } from '../sources/export-formats.ts';
import { readExportLines } from '../sources/export-lines.ts';
import type { ExportFormatOptions } from '../sources/parsed-record.ts';
import type { UserDirectory } from '../workos/user-directory.ts';
import {
  InProcessQueue,
  inProcessQueueControl,
  inProcessUserMessageSink,
} from './in-process-queue.ts';
import { runLocalEventSource } from './local-event-source.ts';

export interface LocalMigrationOptions {
  files: string[];
  format?: ExportFormat;
  formatOptions?: ExportFormatOptions;
  directory: UserDirectory;
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
        return await importUserBatch(messages, {
          directory: options.directory,
          pacer,
          queue: control,
          ledger,
          logger: options.logger,
          maxReceiveCount: options.maxReceiveCount,
          maxPacingWaitMs: 20_000,
          ...(options.retryDelaySeconds ? { retryDelaySeconds: options.retryDelaySeconds } : {}),
        });
      } catch (error) {
        if (error instanceof WorkOsAuthenticationError) {
          fatal ??= error;
          stop.abort();
        }
        throw error;
      }
    },
  });

  const jobIds: string[] = [];
  try {
    for (const file of options.files) {
      const summary = await splitLocalFile(file, options, queue, ledger);
      jobIds.push(summary.jobId);
      if (stop.signal.aborted) break;
    }
  } finally {
    splittingDone = true;
  }
  await consuming;
  if (fatal !== undefined) {
    for (const jobId of jobIds) await ledger.haltJob(jobId, fatal.reason);
    throw fatal;
  }

  await recordRedrivenFailures(deadLetterQueue, ledger);
  return summarize(ledger, jobIds);
}

async function splitLocalFile(
  file: string,
  options: LocalMigrationOptions,
  queue: InProcessQueue,
  ledger: MigrationLedger,
): Promise<SplitSummary> {
  const path = resolve(file);
  const { size, mtimeMs } = await stat(path);
  const jobId = jobIdFor({ bucket: 'local', key: path, eTag: `${size}-${mtimeMs}` });
  // One process splits each file once; the lease only matters to concurrent splitters on AWS.
  await ledger.claimSplit({ jobId, sourceFile: file }, Number.MAX_SAFE_INTEGER);
  const parseLine = exportFormats[options.format ?? 'auth0'](options.formatOptions);
  const duplicates = await planDuplicateEmails(readExportLines(createReadStream(path)), parseLine);
  return splitExport(
    {
      jobId,
      sourceFile: file,
      lines: readExportLines(createReadStream(path)),
      parseLine,
      duplicates,
    },
    { sink: inProcessUserMessageSink(queue), ledger, logger: options.logger },
  );
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
    const parsed = userMessageSchema.safeParse(safeJson(message.body));
    if (!parsed.success) continue;
    const { origin, user } = parsed.data;
    if ((await ledger.outcomeOf(origin.jobId, origin.line)) !== undefined) continue;
    await ledger.recordOutcome({
      origin,
      sourceId: user.sourceId,
      status: 'failed',
      reason: message.attributes[failureReasonAttribute] ?? 'max_receives_exceeded',
    });
  }
}

async function summarize(ledger: MigrationLedger, jobIds: string[]): Promise<LocalMigrationResult> {
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
