import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { JobSnapshot, MigrationLedger } from '../ledger/migration-ledger.ts';
import type { OutcomeCountsByKind } from '../model/outcome.ts';

/**
 * Where a job stands:
 * - splitting: the splitter is still reading the export (or was cut off and will resume);
 * - importing: split, with records still on their way to WorkOS;
 * - halted: stopped on purpose (`haltReason`, e.g. WorkOS refused the API key);
 * - completed: every record read has an outcome and none failed;
 * - completed_with_failures: every record read has an outcome; some are in the dead-letter queue.
 */
export type JobState =
  | 'splitting'
  | 'importing'
  | 'halted'
  | 'completed'
  | 'completed_with_failures';

/**
 * One job as `status --json` prints it in a list. Field names are a contract with scripts:
 * add fields, never rename or remove one.
 */
export interface JobSummary {
  jobId: string;
  sourceFile: string;
  state: JobState;
  splitState: JobSnapshot['splitState'];
  haltReason: string | null;
  /** Records read from the export so far (final once `splitState` is `split`). */
  read: number;
  /** Records sent to the user queue (every record read is enqueued or rejected). */
  enqueued: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
  failed: number;
  /**
   * Records read that have no outcome yet: on the queue or being imported. Every record read ends
   * in exactly one outcome, so this is read − (created + updated + unchanged + rejected + failed),
   * which is enqueued − created − updated − unchanged − failed as long as the splitter settles
   * only rejections itself (it also settles merged duplicate emails as unchanged, which were never
   * enqueued). Never below 0: while splitting, outcomes can run ahead of the last checkpointed
   * `read` for a moment.
   */
  inFlight: number;
  /**
   * The outcomes above by what the records are about: `user.created` is the users WorkOS gained,
   * `joined` the records folded into a user (password lines, merged duplicate emails).
   */
  countsByKind: OutcomeCountsByKind;
  createdAt: string;
  updatedAt: string;
}

/** One job as `status <job> --json` prints it: its summary, the queues and the pace. */
export interface JobStatus extends JobSummary {
  /** Messages in the dead-letter queue, visible or not: for the whole environment, not this job. */
  deadLetterQueueDepth: number;
  /** Messages in the user queue (visible, in flight and delayed): the whole environment. */
  userQueueDepth: number;
  /**
   * Records given an outcome by the consumer (created, updated, unchanged or failed) per second,
   * between the last two readings of the job's counters; null without two readings.
   */
  ratePerSecond: number | null;
  /** The same since the job started (its `createdAt` to its last update); null before any. */
  averageRatePerSecond: number | null;
  /**
   * Seconds until the records in flight have an outcome, at `ratePerSecond` (at
   * `averageRatePerSecond` without it). 0 once completed; null with no pace to go by, and while
   * halted unless records are measured moving again (the cause was fixed). While the job is
   * splitting it covers only the records read so far.
   */
  etaSeconds: number | null;
  /** When this status was read. */
  checkedAt: string;
}

/** The counters, the records in flight and the state of a job. */
export function summarizeJob(job: JobSnapshot): JobSummary {
  const { created, updated, unchanged, rejected, failed } = job.counts;
  const inFlight = Math.max(0, job.read - (created + updated + unchanged + rejected + failed));
  return {
    jobId: job.jobId,
    sourceFile: job.sourceFile,
    state: stateOf(job, inFlight),
    splitState: job.splitState,
    haltReason: job.haltReason ?? null,
    read: job.read,
    enqueued: job.enqueued,
    created,
    updated,
    unchanged,
    rejected,
    failed,
    inFlight,
    countsByKind: structuredClone(job.countsByKind),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}

function stateOf(job: JobSnapshot, inFlight: number): JobState {
  // Nothing clears a halt reason by itself: once every record has an outcome (the operator fixed
  // the cause and the consumer went on), the halt is history and the job is complete.
  if (job.splitState === 'split' && inFlight === 0) {
    return job.counts.failed > 0 ? 'completed_with_failures' : 'completed';
  }
  if (job.haltReason !== undefined) return 'halted';
  return job.splitState === 'splitting' ? 'splitting' : 'importing';
}

export function isFinished(state: JobState): boolean {
  return state === 'completed' || state === 'completed_with_failures';
}

/** The records the consumer has given an outcome: what its rate counts. */
function consumed(summary: JobSummary): number {
  return summary.created + summary.updated + summary.unchanged + summary.failed;
}

export interface QueueDepths {
  userQueueDepth: number;
  deadLetterQueueDepth: number;
}

/** Approximate message counts of the user queue and the dead-letter queue (SQS's own figures). */
export async function readQueueDepths(
  sqs: SQSClient,
  { userQueueUrl, deadLetterQueueUrl }: { userQueueUrl: string; deadLetterQueueUrl: string },
): Promise<QueueDepths> {
  const [userQueueDepth, deadLetterQueueDepth] = await Promise.all([
    queueDepth(sqs, userQueueUrl),
    queueDepth(sqs, deadLetterQueueUrl),
  ]);
  return { userQueueDepth, deadLetterQueueDepth };
}

async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

export interface JobStatusReaderOptions {
  ledger: Pick<MigrationLedger, 'getJob'>;
  sqs: SQSClient;
  userQueueUrl: string;
  deadLetterQueueUrl: string;
  jobId: string;
  now?: () => number;
}

/**
 * Reads a job's status again and again; each reading's rate is measured against the one before.
 *
 * The rate is sampled rather than read from the ledger because the job item keeps only counters
 * and one `updatedAt`: two readings a few seconds apart give the current pace (what an ETA needs),
 * where counters over the job's lifetime give only its average, slowed by the split, pauses for
 * 429s and any halt.
 */
export function jobStatusReader({
  ledger,
  sqs,
  userQueueUrl,
  deadLetterQueueUrl,
  jobId,
  now = Date.now,
}: JobStatusReaderOptions): { read(): Promise<JobStatus | undefined> } {
  let previous: { consumed: number; atMs: number } | undefined;
  return {
    async read() {
      const [job, depths] = await Promise.all([
        ledger.getJob(jobId),
        readQueueDepths(sqs, { userQueueUrl, deadLetterQueueUrl }),
      ]);
      const atMs = now();
      if (job === undefined) return undefined;
      const summary = summarizeJob(job);
      const sample = { consumed: consumed(summary), atMs };
      const ratePerSecond =
        previous !== undefined && atMs > previous.atMs
          ? ((sample.consumed - previous.consumed) * 1000) / (atMs - previous.atMs)
          : null;
      previous = sample;
      return buildJobStatus(summary, { ...depths, ratePerSecond, checkedAt: atMs });
    },
  };
}

/** A job's status from its summary, the queues and the rate measured (if any). */
export function buildJobStatus(
  summary: JobSummary,
  measured: QueueDepths & { ratePerSecond: number | null; checkedAt: number },
): JobStatus {
  const elapsedMs = Date.parse(summary.updatedAt) - Date.parse(summary.createdAt);
  const averageRatePerSecond =
    elapsedMs > 0 && consumed(summary) > 0 ? (consumed(summary) * 1000) / elapsedMs : null;
  const ratePerSecond =
    measured.ratePerSecond === null ? null : Math.max(0, round(measured.ratePerSecond));
  // A halted job's average pace says nothing about when it will resume; a measured one does.
  const pace = summary.state === 'halted' ? ratePerSecond : (ratePerSecond ?? averageRatePerSecond);
  let etaSeconds: number | null = null;
  if (isFinished(summary.state)) etaSeconds = 0;
  else if (pace !== null && pace > 0) etaSeconds = Math.ceil(summary.inFlight / pace);
  return {
    ...summary,
    deadLetterQueueDepth: measured.deadLetterQueueDepth,
    userQueueDepth: measured.userQueueDepth,
    ratePerSecond,
    averageRatePerSecond: averageRatePerSecond === null ? null : round(averageRatePerSecond),
    etaSeconds,
    checkedAt: new Date(measured.checkedAt).toISOString(),
  };
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
