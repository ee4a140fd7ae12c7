import type { OutcomeCounts, OutcomeCountsByKind, RecordOutcome } from '../model/outcome.ts';

/** One uploaded export, the unit of accounting. */
export interface JobDescriptor {
  jobId: string;
  /** The export's name as operators know it (S3 key or local path). */
  sourceFile: string;
  bucket?: string;
  key?: string;
  versionId?: string;
}

/**
 * - splitting: the splitter owns the job, or was cut off and will resume;
 * - split: every record is enqueued or rejected; outcomes are coming in.
 */
export type SplitState = 'splitting' | 'split';

export interface SplitProgress {
  /**
   * Every record up to and including this position (`recordPosition`: the line, offset by the
   * file's index in a job of several files) is enqueued or settled.
   */
  throughLine: number;
  read: number;
  enqueued: number;
}

export interface JobSnapshot extends JobDescriptor {
  splitState: SplitState;
  /** Records read so far (final once the state is `split`). */
  read: number;
  enqueued: number;
  /** The last line durably split: a resumed splitter starts after it. */
  splitThroughLine: number;
  /** Outcomes of the job's records, whatever they are about. */
  counts: OutcomeCounts;
  /**
   * The same outcomes by what the records are about, adding up to `counts`: users apart from
   * organizations, memberships and the records joined into a user. Outcomes recorded before
   * records had a kind count as users.
   */
  countsByKind: OutcomeCountsByKind;
  /**
   * Set when the import was stopped on purpose (WorkOS refused the API key): nothing more can
   * succeed until an operator fixes the cause.
   */
  haltReason?: string;
  createdAt: string;
  updatedAt: string;
}

/** What the splitter should do with a job it was asked to split. */
export type SplitClaim =
  | { action: 'split'; resumeAfterLine: 0; read: 0; enqueued: 0 }
  | { action: 'resume'; resumeAfterLine: number; read: number; enqueued: number }
  | { action: 'skip'; reason: 'already_split' | 'in_progress' };

/** Whether a delivery may work on a record now. */
export type RecordClaim =
  /** This delivery holds the record until the lease ends or it records an outcome. */
  | 'claimed'
  /** The record already has a final outcome: a duplicate delivery, to acknowledge. */
  | 'final'
  /** Another delivery of the same record is working on it right now. */
  | 'busy';

/** Whether an outcome changed the ledger: the first terminal outcome of a record counts. */
export type RecordResult = 'recorded' | 'already_final';

/**
 * The migration ledger: one job per uploaded export with exact counters, and one entry per
 * source record holding its terminal state. Every record read ends in exactly one of created,
 * updated, unchanged, rejected or failed, and the counters always add up to the entries.
 *
 * Transitions of a record: none → any status; failed → any status (a retried or redriven record
 * that went through, or failed again with a new reason); a success or a rejection is final, so a
 * duplicate delivery never counts twice.
 */
export interface MigrationLedger {
  /**
   * Claims a job for splitting until `leaseUntil` (epoch ms: the end of the claiming
   * invocation, so a splitter killed at its time limit frees the job for the retry), or says
   * where a cut-off split resumes, or that it is done or held by a live splitter.
   */
  claimSplit(job: JobDescriptor, leaseUntil: number): Promise<SplitClaim>;
  /**
   * Durably records split progress; called after the sink has flushed up to `throughLine`.
   * `release` gives up the split lease so a continuation can claim the job at once.
   */
  checkpointSplit(
    jobId: string,
    progress: SplitProgress,
    options?: { release?: boolean },
  ): Promise<void>;
  /** Gives up the split lease without recording progress: a failed run's retry resumes at once. */
  releaseSplit(jobId: string): Promise<void>;
  /** Marks the split finished with its final totals. */
  completeSplit(jobId: string, progress: SplitProgress): Promise<void>;
  /** Records a record's outcome; a no-op (`already_final`) when it already has a final one. */
  recordOutcome(outcome: RecordOutcome): Promise<RecordResult>;
  /**
   * Claims a record for one delivery before it calls WorkOS, so two deliveries of the same
   * record (a re-split, an SQS duplicate) never work on it at once: the first to finish would
   * otherwise not always be the one whose outcome is true. The claim ends at `leaseUntil`, when
   * the holder records an outcome, or when it releases it.
   */
  claimRecord(
    jobId: string,
    position: number,
    claim: { token: string; leaseUntil: number },
  ): Promise<RecordClaim>;
  /** Gives a claim back (the delivery will retry later); a no-op if the claim is not `token`'s. */
  releaseRecord(jobId: string, position: number, token: string): Promise<void>;
  /** The record's outcome so far, if any: lets a consumer skip a duplicate delivery. */
  outcomeOf(jobId: string, position: number): Promise<RecordOutcome | undefined>;
  /** Marks a job stopped on purpose, with a reason code. */
  haltJob(jobId: string, reason: string): Promise<void>;
  /** Clears a halt once its cause is fixed. */
  resumeJob(jobId: string): Promise<void>;
  getJob(jobId: string): Promise<JobSnapshot | undefined>;
  /** Jobs, newest first. */
  listJobs(limit?: number): Promise<JobSnapshot[]>;
  /** Every record outcome of a job, in position order (file, then line). */
  listOutcomes(jobId: string): AsyncIterable<RecordOutcome>;
}

export function isFinalStatus(status: RecordOutcome['status']): boolean {
  return status !== 'failed';
}
