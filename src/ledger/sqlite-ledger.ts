import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { recordPosition } from '../model/import-message.ts';
import {
  emptyOutcomeCounts,
  emptyOutcomeCountsByKind,
  isRecordKind,
  type RecordKind,
  type RecordOutcome,
  type RecordStatus,
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

/*
 * Durability. The file is in WAL mode: a commit appends to the write-ahead log, readers never
 * block the writer, and a process killed mid-write leaves the last committed state. With
 * `synchronous = FULL` every commit is fsynced before it returns, so an outcome the consumer
 * acknowledges survives a power loss as well as a kill (NORMAL would survive the kill but could
 * lose the last commits to a power loss; a lost outcome costs a refused create and a read on the
 * resume, never a wrong result). The cost is one fsync per record, small beside a WorkOS call.
 *
 * Leases (the split's and the records' claims) are kept in memory, not in the file: they belong
 * to the one process that has the file open, and a killed run's leases must end with it, or the
 * run that resumes would find its records busy until the leases ran out.
 */
const schema = `
  CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    descriptor TEXT NOT NULL,
    split_state TEXT NOT NULL,
    read INTEGER NOT NULL,
    enqueued INTEGER NOT NULL,
    split_through_line INTEGER NOT NULL,
    halt_reason TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS outcomes (
    job_id TEXT NOT NULL,
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (job_id, position)
  ) WITHOUT ROWID;
`;

interface JobRow {
  job_id: string;
  descriptor: string;
  split_state: string;
  read: number;
  enqueued: number;
  split_through_line: number;
  halt_reason: string | null;
  created_at: string;
  updated_at: string;
}

/**
 * The migration ledger in a SQLite file (`node:sqlite`): local mode's, so a run that is killed
 * or interrupted can be continued. Passes the same contract tests as the in-memory and DynamoDB
 * ledgers. One process at a time should have a file open.
 */
export class SqliteMigrationLedger implements MigrationLedger {
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #splitLeases = new Map<string, number>();
  readonly #claims: ProcessRecordClaims;

  constructor(path: string, { now = Date.now }: { now?: () => number } = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.path = path;
    this.#now = now;
    this.#claims = new ProcessRecordClaims(now);
    this.#db = new DatabaseSync(path);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = FULL');
    this.#db.exec('PRAGMA busy_timeout = 5000');
    this.#db.exec(schema);
  }

  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  async claimSplit(job: JobDescriptor, leaseUntil: number): Promise<SplitClaim> {
    const existing = this.#jobRow(job.jobId);
    if (existing === undefined) {
      const timestamp = this.#timestamp();
      this.#db
        .prepare(
          `INSERT INTO jobs (job_id, descriptor, split_state, read, enqueued, split_through_line,
             created_at, updated_at) VALUES (?, ?, 'splitting', 0, 0, 0, ?, ?)`,
        )
        .run(job.jobId, JSON.stringify(job), timestamp, timestamp);
      this.#splitLeases.set(job.jobId, leaseUntil);
      return { action: 'split', resumeAfterLine: 0, read: 0, enqueued: 0 };
    }
    if (existing.split_state === 'split') return { action: 'skip', reason: 'already_split' };
    if ((this.#splitLeases.get(job.jobId) ?? 0) > this.#now()) {
      return { action: 'skip', reason: 'in_progress' };
    }
    this.#splitLeases.set(job.jobId, leaseUntil);
    this.#touch(job.jobId);
    return {
      action: 'resume',
      resumeAfterLine: existing.split_through_line,
      read: existing.read,
      enqueued: existing.enqueued,
    };
  }

  async checkpointSplit(
    jobId: string,
    progress: SplitProgress,
    options: { release?: boolean } = {},
  ): Promise<void> {
    this.#writeProgress(jobId, progress, 'splitting');
    if (options.release) this.#splitLeases.delete(jobId);
  }

  async releaseSplit(jobId: string): Promise<void> {
    this.#requireJob(jobId);
    this.#splitLeases.delete(jobId);
    this.#touch(jobId);
  }

  async completeSplit(jobId: string, progress: SplitProgress): Promise<void> {
    this.#writeProgress(jobId, progress, 'split');
    this.#splitLeases.delete(jobId);
  }

  async recordOutcome(outcome: RecordOutcome): Promise<RecordResult> {
    const { jobId } = outcome.origin;
    const position = recordPosition(outcome.origin);
    return this.#transaction(() => {
      const earlier = this.#db
        .prepare('SELECT status FROM outcomes WHERE job_id = ? AND position = ?')
        .get(jobId, position) as { status: RecordStatus } | undefined;
      if (earlier !== undefined && isFinalStatus(earlier.status)) return 'already_final';
      this.#db
        .prepare(
          `INSERT OR REPLACE INTO outcomes (job_id, position, kind, status, outcome)
           VALUES (?, ?, ?, ?, ?)`,
        )
        .run(jobId, position, outcome.kind, outcome.status, JSON.stringify(outcome));
      this.#claims.settle(jobId, position);
      this.#touch(jobId);
      return 'recorded';
    });
  }

  async claimRecord(
    jobId: string,
    position: number,
    claim: { token: string; leaseUntil: number },
  ): Promise<RecordClaim> {
    const outcome = await this.outcomeOf(jobId, position);
    if (outcome !== undefined && isFinalStatus(outcome.status)) return 'final';
    return this.#claims.claim(jobId, position, claim);
  }

  async releaseRecord(jobId: string, position: number, token: string): Promise<void> {
    this.#claims.release(jobId, position, token);
  }

  async outcomeOf(jobId: string, position: number): Promise<RecordOutcome | undefined> {
    const row = this.#db
      .prepare('SELECT outcome FROM outcomes WHERE job_id = ? AND position = ?')
      .get(jobId, position) as { outcome: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.outcome) as RecordOutcome);
  }

  async haltJob(jobId: string, reason: string): Promise<void> {
    this.#requireJob(jobId);
    this.#db
      .prepare('UPDATE jobs SET halt_reason = ?, updated_at = ? WHERE job_id = ?')
      .run(reason, this.#timestamp(), jobId);
  }

  async resumeJob(jobId: string): Promise<void> {
    this.#requireJob(jobId);
    this.#db
      .prepare('UPDATE jobs SET halt_reason = NULL, updated_at = ? WHERE job_id = ?')
      .run(this.#timestamp(), jobId);
  }

  async getJob(jobId: string): Promise<JobSnapshot | undefined> {
    const row = this.#jobRow(jobId);
    return row === undefined ? undefined : this.#snapshotOf(row);
  }

  async listJobs(limit = 50): Promise<JobSnapshot[]> {
    const rows = this.#db
      .prepare('SELECT * FROM jobs ORDER BY created_at DESC, rowid DESC LIMIT ?')
      .all(limit) as unknown as JobRow[];
    return rows.map((row) => this.#snapshotOf(row));
  }

  async *listOutcomes(jobId: string): AsyncGenerator<RecordOutcome> {
    const rows = this.#db
      .prepare('SELECT outcome FROM outcomes WHERE job_id = ? ORDER BY position')
      .iterate(jobId) as Iterable<{ outcome: string }>;
    for (const row of rows) yield JSON.parse(row.outcome) as RecordOutcome;
  }

  /** Forgets a job and its outcomes: the next run of it starts from the top (`--fresh`). */
  forgetJob(jobId: string): void {
    this.#transaction(() => {
      this.#db.prepare('DELETE FROM outcomes WHERE job_id = ?').run(jobId);
      this.#db.prepare('DELETE FROM jobs WHERE job_id = ?').run(jobId);
    });
    this.#splitLeases.delete(jobId);
  }

  #writeProgress(jobId: string, progress: SplitProgress, state: JobSnapshot['splitState']): void {
    this.#requireJob(jobId);
    this.#db
      .prepare(
        `UPDATE jobs SET split_state = ?, read = ?, enqueued = ?, split_through_line = ?,
           updated_at = ? WHERE job_id = ?`,
      )
      .run(state, progress.read, progress.enqueued, progress.throughLine, this.#timestamp(), jobId);
  }

  #snapshotOf(row: JobRow): JobSnapshot {
    const counts = emptyOutcomeCounts();
    const countsByKind = emptyOutcomeCountsByKind();
    const groups = this.#db
      .prepare(
        'SELECT kind, status, COUNT(*) AS n FROM outcomes WHERE job_id = ? GROUP BY kind, status',
      )
      .all(row.job_id) as unknown as { kind: string; status: RecordStatus; n: number }[];
    for (const { kind, status, n } of groups) {
      const recordKind: RecordKind = isRecordKind(kind) ? kind : 'user';
      counts[status] += n;
      countsByKind[recordKind][status] += n;
    }
    return {
      ...(JSON.parse(row.descriptor) as JobDescriptor),
      splitState: row.split_state === 'split' ? 'split' : 'splitting',
      read: row.read,
      enqueued: row.enqueued,
      splitThroughLine: row.split_through_line,
      counts,
      countsByKind,
      ...(row.halt_reason === null ? {} : { haltReason: row.halt_reason }),
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
  }

  #jobRow(jobId: string): JobRow | undefined {
    return this.#db.prepare('SELECT * FROM jobs WHERE job_id = ?').get(jobId) as JobRow | undefined;
  }

  #requireJob(jobId: string): void {
    if (this.#jobRow(jobId) === undefined) throw new Error(`Unknown job ${jobId}`);
  }

  #touch(jobId: string): void {
    this.#db
      .prepare('UPDATE jobs SET updated_at = ? WHERE job_id = ?')
      .run(this.#timestamp(), jobId);
  }

  #timestamp(): string {
    return new Date(this.#now()).toISOString();
  }

  /** One commit (one fsync) for the statements of `body`; rolled back if it throws. */
  #transaction<T>(body: () => T): T {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      const result = body();
      this.#db.exec('COMMIT');
      return result;
    } catch (error) {
      this.#db.exec('ROLLBACK');
      throw error;
    }
  }
}
