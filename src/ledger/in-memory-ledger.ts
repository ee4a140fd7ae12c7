import { recordPosition } from '../model/import-message.ts';
import {
  emptyOutcomeCounts,
  emptyOutcomeCountsByKind,
  type RecordOutcome,
} from '../model/outcome.ts';
import {
  isFinalStatus,
  type JobDescriptor,
  type JobSnapshot,
  type MigrationLedger,
  type RecordClaim,
  type RecordResult,
  type SplitClaim,
  type SplitProgress,
} from './migration-ledger.ts';
import { ProcessRecordClaims } from './record-claims.ts';

interface StoredJob extends JobSnapshot {
  leaseUntil: number;
}

/**
 * The migration ledger in memory: local mode's, and the reference for the DynamoDB one (both
 * pass the same contract tests).
 */
export class InMemoryMigrationLedger implements MigrationLedger {
  readonly #jobs = new Map<string, StoredJob>();
  readonly #records = new Map<string, Map<number, RecordOutcome>>();
  readonly #claims: ProcessRecordClaims;
  readonly #now: () => number;

  constructor({ now = Date.now }: { now?: () => number } = {}) {
    this.#now = now;
    this.#claims = new ProcessRecordClaims(now);
  }

  async claimSplit(job: JobDescriptor, leaseUntil: number): Promise<SplitClaim> {
    const now = this.#now();
    const existing = this.#jobs.get(job.jobId);
    if (existing === undefined) {
      const timestamp = new Date(now).toISOString();
      this.#jobs.set(job.jobId, {
        ...job,
        splitState: 'splitting',
        read: 0,
        enqueued: 0,
        splitThroughLine: 0,
        counts: emptyOutcomeCounts(),
        countsByKind: emptyOutcomeCountsByKind(),
        createdAt: timestamp,
        updatedAt: timestamp,
        leaseUntil,
      });
      return { action: 'split', resumeAfterLine: 0, read: 0, enqueued: 0 };
    }
    if (existing.splitState === 'split') return { action: 'skip', reason: 'already_split' };
    if (existing.leaseUntil > now) return { action: 'skip', reason: 'in_progress' };
    existing.leaseUntil = leaseUntil;
    this.#touch(existing);
    return {
      action: 'resume',
      resumeAfterLine: existing.splitThroughLine,
      read: existing.read,
      enqueued: existing.enqueued,
    };
  }

  async checkpointSplit(
    jobId: string,
    progress: SplitProgress,
    options: { release?: boolean } = {},
  ): Promise<void> {
    const job = this.#requireJob(jobId);
    Object.assign(job, this.#progressFields(progress));
    if (options.release) job.leaseUntil = 0;
    this.#touch(job);
  }

  async releaseSplit(jobId: string): Promise<void> {
    const job = this.#requireJob(jobId);
    job.leaseUntil = 0;
    this.#touch(job);
  }

  async completeSplit(jobId: string, progress: SplitProgress): Promise<void> {
    const job = this.#requireJob(jobId);
    Object.assign(job, this.#progressFields(progress));
    job.splitState = 'split';
    job.leaseUntil = 0;
    this.#touch(job);
  }

  async recordOutcome(outcome: RecordOutcome): Promise<RecordResult> {
    const { jobId } = outcome.origin;
    const line = recordPosition(outcome.origin);
    let records = this.#records.get(jobId);
    if (records === undefined) {
      records = new Map();
      this.#records.set(jobId, records);
    }
    const earlier = records.get(line);
    if (earlier !== undefined && isFinalStatus(earlier.status)) return 'already_final';
    records.set(line, outcome);
    this.#claims.settle(jobId, line);
    const job = this.#jobs.get(jobId);
    if (job !== undefined) {
      if (earlier !== undefined) {
        job.counts[earlier.status] -= 1;
        job.countsByKind[earlier.kind][earlier.status] -= 1;
      }
      job.counts[outcome.status] += 1;
      job.countsByKind[outcome.kind][outcome.status] += 1;
      this.#touch(job);
    }
    return 'recorded';
  }

  async claimRecord(
    jobId: string,
    position: number,
    claim: { token: string; leaseUntil: number },
  ): Promise<RecordClaim> {
    const outcome = this.#records.get(jobId)?.get(position);
    if (outcome !== undefined && isFinalStatus(outcome.status)) return 'final';
    return this.#claims.claim(jobId, position, claim);
  }

  async releaseRecord(jobId: string, position: number, token: string): Promise<void> {
    this.#claims.release(jobId, position, token);
  }

  async outcomeOf(jobId: string, position: number): Promise<RecordOutcome | undefined> {
    return this.#records.get(jobId)?.get(position);
  }

  async haltJob(jobId: string, reason: string): Promise<void> {
    const job = this.#requireJob(jobId);
    job.haltReason = reason;
    this.#touch(job);
  }

  async resumeJob(jobId: string): Promise<void> {
    const job = this.#requireJob(jobId);
    delete job.haltReason;
    this.#touch(job);
  }

  async getJob(jobId: string): Promise<JobSnapshot | undefined> {
    const job = this.#jobs.get(jobId);
    return job === undefined ? undefined : snapshotOf(job);
  }

  async listJobs(limit = 50): Promise<JobSnapshot[]> {
    return [...this.#jobs.values()]
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, limit)
      .map(snapshotOf);
  }

  async *listOutcomes(jobId: string): AsyncGenerator<RecordOutcome> {
    const records = this.#records.get(jobId) ?? new Map<number, RecordOutcome>();
    yield* [...records.entries()].sort(([a], [b]) => a - b).map(([, outcome]) => outcome);
  }

  #progressFields(progress: SplitProgress) {
    return {
      read: progress.read,
      enqueued: progress.enqueued,
      splitThroughLine: progress.throughLine,
    };
  }

  #requireJob(jobId: string): StoredJob {
    const job = this.#jobs.get(jobId);
    if (job === undefined) throw new Error(`Unknown job ${jobId}`);
    return job;
  }

  #touch(job: StoredJob): void {
    job.updatedAt = new Date(this.#now()).toISOString();
  }
}

function snapshotOf(job: StoredJob): JobSnapshot {
  const { leaseUntil: _, ...snapshot } = job;
  return structuredClone(snapshot);
}
