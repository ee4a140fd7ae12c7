import { describe, expect, it } from 'vitest';
import type { MigrationLedger } from '../../src/ledger/migration-ledger.ts';
import type { RecordOutcome, RecordStatus } from '../../src/model/outcome.ts';

/** A clock tests can move: ledgers take `now` so lease expiry needs no waiting. */
export function testClock(start = Date.parse('2026-11-23T10:00:00Z')) {
  let now = start;
  return {
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

export type LedgerFactory = (now: () => number) => Promise<MigrationLedger>;

/** How long a claiming invocation may run: a Lambda's 15 minutes. */
const invocationMs = 15 * 60 * 1000;

let jobCounter = 0;
function newJob() {
  jobCounter += 1;
  const jobId = `job_contract_${Date.now()}_${jobCounter}`;
  return {
    jobId,
    sourceFile: 'exports/users.json.gz',
    bucket: 'exports-bucket',
    key: 'exports/users.json.gz',
  };
}

function outcome(
  jobId: string,
  line: number,
  status: RecordStatus,
  extra: Partial<RecordOutcome> = {},
): RecordOutcome {
  return {
    origin: { jobId, sourceFile: 'exports/users.json.gz', line },
    kind: 'user',
    sourceId: `auth0|${line}`,
    status,
    ...extra,
  };
}

/**
 * The behaviour every migration ledger must have, run against each implementation (in memory in
 * the unit tests, DynamoDB in the integration tests).
 */
export function describeLedgerContract(name: string, createLedger: LedgerFactory): void {
  describe(`Ledger contract: ${name}`, () => {
    it('gives a new job to the first splitter and refuses a second one while the first holds it', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = newJob();

      const first = await ledger.claimSplit(job, clock.now() + invocationMs);
      const second = await ledger.claimSplit(job, clock.now() + invocationMs);

      expect(first).toEqual({ action: 'split', resumeAfterLine: 0, read: 0, enqueued: 0 });
      expect(second).toEqual({ action: 'skip', reason: 'in_progress' });
      expect(await ledger.getJob(job.jobId)).toMatchObject({
        ...job,
        splitState: 'splitting',
        read: 0,
      });
    });

    it('lets a continuation resume after the last checkpoint once the lease is released', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = newJob();
      await ledger.claimSplit(job, clock.now() + invocationMs);
      await ledger.checkpointSplit(
        job.jobId,
        { throughLine: 20_000, read: 19_990, enqueued: 19_900 },
        { release: true },
      );

      const claim = await ledger.claimSplit(job, clock.now() + invocationMs);

      expect(claim).toEqual({
        action: 'resume',
        resumeAfterLine: 20_000,
        read: 19_990,
        enqueued: 19_900,
      });
    });

    it('lets another splitter take over a job whose splitter died, once its lease expired', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = newJob();
      await ledger.claimSplit(job, clock.now() + invocationMs);
      await ledger.checkpointSplit(job.jobId, { throughLine: 500, read: 500, enqueued: 490 });

      const whileLeased = await ledger.claimSplit(job, clock.now() + invocationMs);
      clock.advance(17 * 60 * 1000);
      const afterExpiry = await ledger.claimSplit(job, clock.now() + invocationMs);

      expect(whileLeased).toEqual({ action: 'skip', reason: 'in_progress' });
      expect(afterExpiry).toMatchObject({ action: 'resume', resumeAfterLine: 500 });
    });

    it('frees a job at once when its splitter gives up the lease after a failure', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = newJob();
      await ledger.claimSplit(job, clock.now() + invocationMs);
      await ledger.checkpointSplit(job.jobId, { throughLine: 300, read: 299, enqueued: 290 });

      await ledger.releaseSplit(job.jobId);
      const retry = await ledger.claimSplit(job, clock.now() + invocationMs);

      expect(retry).toEqual({ action: 'resume', resumeAfterLine: 300, read: 299, enqueued: 290 });
    });

    it('never splits a finished job again (a duplicate S3 event)', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = newJob();
      await ledger.claimSplit(job, clock.now() + invocationMs);
      await ledger.completeSplit(job.jobId, { throughLine: 1000, read: 998, enqueued: 990 });

      expect(await ledger.claimSplit(job, clock.now() + invocationMs)).toEqual({
        action: 'skip',
        reason: 'already_split',
      });
      expect(await ledger.getJob(job.jobId)).toMatchObject({
        splitState: 'split',
        read: 998,
        enqueued: 990,
        splitThroughLine: 1000,
      });
    });

    it('counts the first final outcome of a record once, and ignores later ones', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = newJob();
      await ledger.claimSplit(job, clock.now() + invocationMs);

      const first = await ledger.recordOutcome(
        outcome(job.jobId, 1, 'created', { workosUserId: 'user_1' }),
      );
      const duplicate = await ledger.recordOutcome(
        outcome(job.jobId, 1, 'unchanged', { workosUserId: 'user_1' }),
      );
      await ledger.recordOutcome(outcome(job.jobId, 2, 'rejected', { reason: 'missing_email' }));
      const lateFailure = await ledger.recordOutcome(
        outcome(job.jobId, 2, 'failed', { reason: 'workos_503' }),
      );

      expect([first, duplicate, lateFailure]).toEqual([
        'recorded',
        'already_final',
        'already_final',
      ]);
      expect((await ledger.getJob(job.jobId))?.counts).toEqual({
        created: 1,
        updated: 0,
        unchanged: 0,
        rejected: 1,
        failed: 0,
      });
      expect(await ledger.outcomeOf(job.jobId, 1)).toEqual(
        outcome(job.jobId, 1, 'created', { workosUserId: 'user_1' }),
      );
    });

    it('counts outcomes per kind, adding up to the counts per status', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = newJob();
      await ledger.claimSplit(job, clock.now() + invocationMs);
      await ledger.recordOutcome(outcome(job.jobId, 1, 'created', { workosUserId: 'user_1' }));
      await ledger.recordOutcome(
        outcome(job.jobId, 2, 'created', { kind: 'joined', reason: 'joined_into_line:1' }),
      );
      await ledger.recordOutcome(
        outcome(job.jobId, 3, 'unchanged', { kind: 'joined', reason: 'merged_into_line:1' }),
      );
      await ledger.recordOutcome(outcome(job.jobId, 4, 'created', { kind: 'organization' }));
      await ledger.recordOutcome(outcome(job.jobId, 5, 'failed', { kind: 'membership' }));
      await ledger.recordOutcome(outcome(job.jobId, 5, 'updated', { kind: 'membership' }));
      await ledger.recordOutcome(
        outcome(job.jobId, 6, 'failed', { kind: 'joined', reason: 'workos_503' }),
      );

      const snapshot = await ledger.getJob(job.jobId);

      const counts = (created: number, updated: number, unchanged: number, failed: number) => ({
        created,
        updated,
        unchanged,
        rejected: 0,
        failed,
      });
      expect(snapshot?.countsByKind).toEqual({
        user: counts(1, 0, 0, 0),
        joined: counts(1, 0, 1, 1),
        organization: counts(1, 0, 0, 0),
        membership: counts(0, 1, 0, 0),
        absent: counts(0, 0, 0, 0),
      });
      expect(snapshot?.counts).toEqual(counts(3, 1, 1, 1));
      expect((await ledger.outcomeOf(job.jobId, 2))?.kind).toBe('joined');
    });

    it('moves a failed record to its new outcome when a retry or a redrive succeeds', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = newJob();
      await ledger.claimSplit(job, clock.now() + invocationMs);
      await ledger.recordOutcome(outcome(job.jobId, 7, 'failed', { reason: 'workos_503' }));
      await ledger.recordOutcome(outcome(job.jobId, 7, 'failed', { reason: 'workos_502' }));
      const afterFirstFailures = (await ledger.getJob(job.jobId))?.counts;

      const redriven = await ledger.recordOutcome(
        outcome(job.jobId, 7, 'created', { workosUserId: 'user_7' }),
      );

      expect(afterFirstFailures).toMatchObject({ failed: 1, created: 0 });
      expect(redriven).toBe('recorded');
      expect((await ledger.getJob(job.jobId))?.counts).toMatchObject({ failed: 0, created: 1 });
      expect((await ledger.outcomeOf(job.jobId, 7))?.status).toBe('created');
    });

    it('keeps the latest reason of a record that failed again', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = newJob();
      await ledger.claimSplit(job, clock.now() + invocationMs);
      await ledger.recordOutcome(outcome(job.jobId, 3, 'failed', { reason: 'workos_503' }));
      await ledger.recordOutcome(
        outcome(job.jobId, 3, 'failed', { reason: 'email_belongs_to_other_user' }),
      );

      expect((await ledger.outcomeOf(job.jobId, 3))?.reason).toBe('email_belongs_to_other_user');
      expect((await ledger.getJob(job.jobId))?.counts.failed).toBe(1);
    });

    it('counts a record once when concurrent deliveries report it at the same time', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = newJob();
      await ledger.claimSplit(job, clock.now() + invocationMs);

      const results = await Promise.all(
        (['created', 'unchanged', 'unchanged', 'updated', 'unchanged'] as const).map((status) =>
          ledger.recordOutcome(outcome(job.jobId, 42, status, { workosUserId: 'user_42' })),
        ),
      );

      expect(results.filter((result) => result === 'recorded')).toHaveLength(1);
      const counts = (await ledger.getJob(job.jobId))?.counts;
      expect(Object.values(counts ?? {}).reduce((a, b) => a + b, 0)).toBe(1);
    });

    it('lists a job’s outcomes in line order, and jobs newest first', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const older = newJob();
      const newer = newJob();
      await ledger.claimSplit(older, clock.now() + invocationMs);
      clock.advance(1000);
      await ledger.claimSplit(newer, clock.now() + invocationMs);
      for (const line of [100, 2, 10, 1])
        await ledger.recordOutcome(outcome(newer.jobId, line, 'created'));

      const lines: number[] = [];
      for await (const item of ledger.listOutcomes(newer.jobId)) lines.push(item.origin.line);
      const jobs = (await ledger.listJobs(100)).map((job) => job.jobId);

      expect(lines).toEqual([1, 2, 10, 100]);
      expect(jobs.indexOf(newer.jobId)).toBeLessThan(jobs.indexOf(older.jobId));
    });

    it('marks a job halted with a reason, and clears it on resume', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = newJob();
      await ledger.claimSplit(job, clock.now() + invocationMs);

      await ledger.haltJob(job.jobId, 'workos_unauthorized');
      const halted = await ledger.getJob(job.jobId);
      await ledger.resumeJob(job.jobId);

      expect(halted?.haltReason).toBe('workos_unauthorized');
      expect((await ledger.getJob(job.jobId))?.haltReason).toBeUndefined();
    });
  });
}

/** Claims: one delivery at a time works on a record. */
export function describeRecordClaimContract(name: string, createLedger: LedgerFactory): void {
  describe(`Ledger record claims: ${name}`, () => {
    const jobId = () => `job_claims_${Date.now()}_${Math.random().toString(36).slice(2)}`;

    it('gives a record to one delivery at a time, and to another once the claim expires', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = jobId();

      const first = await ledger.claimRecord(job, 5, {
        token: 'a',
        leaseUntil: clock.now() + 90_000,
      });
      const second = await ledger.claimRecord(job, 5, {
        token: 'b',
        leaseUntil: clock.now() + 90_000,
      });
      clock.advance(91_000);
      const afterExpiry = await ledger.claimRecord(job, 5, {
        token: 'b',
        leaseUntil: clock.now() + 90_000,
      });

      expect([first, second, afterExpiry]).toEqual(['claimed', 'busy', 'claimed']);
      expect(await ledger.outcomeOf(job, 5)).toBeUndefined();
    });

    it('frees a record when its holder releases it, but not when someone else tries', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = jobId();
      await ledger.claimRecord(job, 1, { token: 'holder', leaseUntil: clock.now() + 90_000 });

      await ledger.releaseRecord(job, 1, 'stranger');
      const whileHeld = await ledger.claimRecord(job, 1, {
        token: 'other',
        leaseUntil: clock.now() + 90_000,
      });
      await ledger.releaseRecord(job, 1, 'holder');
      const afterRelease = await ledger.claimRecord(job, 1, {
        token: 'other',
        leaseUntil: clock.now() + 90_000,
      });

      expect([whileHeld, afterRelease]).toEqual(['busy', 'claimed']);
    });

    it('answers final for a record with a final outcome, and lets a failed one be claimed for a retry', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = jobId();
      await ledger.claimSplit({ jobId: job, sourceFile: 'users.ndjson' }, clock.now() + 900_000);
      await ledger.claimRecord(job, 1, { token: 't1', leaseUntil: clock.now() + 90_000 });
      await ledger.recordOutcome(outcome(job, 1, 'created', { workosUserId: 'user_1' }));
      await ledger.recordOutcome(outcome(job, 2, 'failed', { reason: 'workos_503' }));

      const done = await ledger.claimRecord(job, 1, {
        token: 't2',
        leaseUntil: clock.now() + 90_000,
      });
      const retry = await ledger.claimRecord(job, 2, {
        token: 't3',
        leaseUntil: clock.now() + 90_000,
      });
      const recorded = await ledger.recordOutcome(
        outcome(job, 2, 'created', { workosUserId: 'user_2' }),
      );

      expect([done, retry, recorded]).toEqual(['final', 'claimed', 'recorded']);
      expect((await ledger.getJob(job))?.counts).toMatchObject({ created: 2, failed: 0 });
    });

    it('lists only records with an outcome, not ones that are merely claimed', async () => {
      const clock = testClock();
      const ledger = await createLedger(clock.now);
      const job = jobId();
      await ledger.claimSplit({ jobId: job, sourceFile: 'users.ndjson' }, clock.now() + 900_000);
      await ledger.claimRecord(job, 9, { token: 't', leaseUntil: clock.now() + 90_000 });
      await ledger.recordOutcome(outcome(job, 3, 'rejected', { reason: 'missing_email' }));

      const listed = [];
      for await (const item of ledger.listOutcomes(job)) listed.push(item.origin.line);

      expect(listed).toEqual([3]);
    });
  });
}
