import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { InMemoryMigrationLedger } from '../../../src/ledger/in-memory-ledger.ts';
import type { JobSnapshot } from '../../../src/ledger/migration-ledger.ts';
import {
  emptyOutcomeCountsByKind,
  type OutcomeCounts,
  type RecordStatus,
} from '../../../src/model/outcome.ts';
import {
  buildJobStatus,
  type JobState,
  jobStatusReader,
  summarizeJob,
} from '../../../src/operations/job-status.ts';

const sqsMock = mockClient(SQSClient);
const sqs = new SQSClient({ region: 'eu-west-1' });
const userQueueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/users';
const deadLetterQueueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/users-dlq';

beforeEach(() => {
  sqsMock.reset();
});

function snapshot(
  overrides: Partial<Omit<JobSnapshot, 'counts'>> & { counts?: Partial<OutcomeCounts> } = {},
): JobSnapshot {
  const { counts, ...rest } = overrides;
  return {
    jobId: 'job_test',
    sourceFile: 'exports/users.ndjson',
    splitState: 'split',
    read: 100,
    enqueued: 90,
    splitThroughLine: 100,
    createdAt: '2026-01-01T10:00:00.000Z',
    updatedAt: '2026-01-01T10:01:40.000Z',
    ...rest,
    counts: { created: 0, updated: 0, unchanged: 0, rejected: 10, failed: 0, ...counts },
    countsByKind: {
      ...emptyOutcomeCountsByKind(),
      user: { created: 0, updated: 0, unchanged: 0, rejected: 10, failed: 0, ...counts },
    },
  };
}

describe('summarizeJob()', () => {
  it('counts the records read without an outcome as in flight', () => {
    const summary = summarizeJob(
      snapshot({ counts: { created: 50, updated: 5, unchanged: 3, rejected: 10, failed: 2 } }),
    );

    expect(summary).toMatchObject({ read: 100, enqueued: 90, inFlight: 30, state: 'importing' });
  });

  it('does not count a duplicate email the splitter settled as unchanged (never enqueued) as in flight twice', () => {
    // 100 read: 10 rejected and 5 merged into another record at split time, 85 enqueued, all done.
    const summary = summarizeJob(
      snapshot({ enqueued: 85, counts: { created: 85, unchanged: 5, rejected: 10 } }),
    );

    expect(summary.inFlight).toBe(0);
    expect(summary.state).toBe('completed');
  });

  it('never reports fewer than 0 in flight when outcomes run ahead of the last checkpoint', () => {
    const summary = summarizeJob(
      snapshot({ splitState: 'splitting', read: 20, counts: { created: 25, rejected: 2 } }),
    );

    expect(summary.inFlight).toBe(0);
  });

  describe.each<[string, Parameters<typeof snapshot>[0], JobState]>([
    ['still reading the export', { splitState: 'splitting' }, 'splitting'],
    ['split, records on the queue', { counts: { created: 10 } }, 'importing'],
    ['every record has an outcome', { counts: { created: 90 } }, 'completed'],
    ['some failed', { counts: { created: 89, failed: 1 } }, 'completed_with_failures'],
    [
      'stopped on an invalid API key',
      { haltReason: 'workos_unauthorized', counts: { created: 10 } },
      'halted',
    ],
    [
      'that finished after its halt was fixed',
      { haltReason: 'workos_unauthorized', counts: { created: 90 } },
      'completed',
    ],
  ])('a job %s', (_, overrides, state) => {
    it(`is ${state}`, () => {
      expect(summarizeJob(snapshot(overrides)).state).toBe(state);
    });
  });

  it('gives null, not undefined, for a job with no halt reason (stable JSON fields)', () => {
    expect(summarizeJob(snapshot()).haltReason).toBeNull();
  });
});

describe('buildJobStatus()', () => {
  const queues = { userQueueDepth: 30, deadLetterQueueDepth: 2 };
  const checkedAt = Date.parse('2026-01-01T10:02:00.000Z');

  it('estimates the time left from the measured rate', () => {
    const summary = summarizeJob(snapshot({ counts: { created: 60 } }));

    const status = buildJobStatus(summary, { ...queues, ratePerSecond: 4, checkedAt });

    expect(status).toMatchObject({ inFlight: 30, ratePerSecond: 4, etaSeconds: 8 });
  });

  it('falls back to the average since the start without a measured rate', () => {
    // 60 consumed in the 100 s between createdAt and updatedAt: 0.6/s, 30 left: 50 s.
    const summary = summarizeJob(snapshot({ counts: { created: 60 } }));

    const status = buildJobStatus(summary, { ...queues, ratePerSecond: null, checkedAt });

    expect(status).toMatchObject({
      ratePerSecond: null,
      averageRatePerSecond: 0.6,
      etaSeconds: 50,
    });
  });

  it('has no ETA while halted, until records are measured moving again', () => {
    const summary = summarizeJob(
      snapshot({ haltReason: 'workos_unauthorized', counts: { created: 60 } }),
    );

    expect(buildJobStatus(summary, { ...queues, ratePerSecond: null, checkedAt }).etaSeconds).toBe(
      null,
    );
    expect(buildJobStatus(summary, { ...queues, ratePerSecond: 0, checkedAt }).etaSeconds).toBe(
      null,
    );
    expect(buildJobStatus(summary, { ...queues, ratePerSecond: 3, checkedAt }).etaSeconds).toBe(10);
  });

  it('has an ETA of 0 once completed, and none when nothing moves', () => {
    const completed = summarizeJob(snapshot({ counts: { created: 90 } }));
    const stalled = summarizeJob(snapshot({ updatedAt: '2026-01-01T10:00:00.000Z' }));

    expect(buildJobStatus(completed, { ...queues, ratePerSecond: 0, checkedAt }).etaSeconds).toBe(
      0,
    );
    expect(buildJobStatus(stalled, { ...queues, ratePerSecond: 0, checkedAt }).etaSeconds).toBe(
      null,
    );
  });
});

describe('jobStatusReader()', () => {
  function queueAttributes(url: string, visible: number, notVisible: number, delayed: number) {
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: url }).resolves({
      Attributes: {
        ApproximateNumberOfMessages: String(visible),
        ApproximateNumberOfMessagesNotVisible: String(notVisible),
        ApproximateNumberOfMessagesDelayed: String(delayed),
      },
    });
  }

  async function jobWithEnqueuedRecords(ledger: InMemoryMigrationLedger, records: number) {
    await ledger.claimSplit({ jobId: 'job_test', sourceFile: 'exports/users.ndjson' }, 0);
    await ledger.completeSplit('job_test', {
      throughLine: records,
      read: records,
      enqueued: records,
    });
  }

  async function record(ledger: InMemoryMigrationLedger, lines: number[], status: RecordStatus) {
    for (const line of lines) {
      await ledger.recordOutcome({
        origin: { jobId: 'job_test', sourceFile: 'exports/users.ndjson', line },
        kind: 'user',
        sourceId: `auth0|${line}`,
        status,
        ...(status === 'failed' ? { reason: 'workos_503' } : { workosUserId: `user_${line}` }),
      });
    }
  }

  it('measures the rate between two readings and counts both queues in full', async () => {
    const ledger = new InMemoryMigrationLedger();
    await jobWithEnqueuedRecords(ledger, 100);
    queueAttributes(userQueueUrl, 50, 7, 3);
    queueAttributes(deadLetterQueueUrl, 2, 1, 0);
    let clock = Date.parse('2026-01-01T10:00:00.000Z');
    const reader = jobStatusReader({
      ledger,
      sqs,
      userQueueUrl,
      deadLetterQueueUrl,
      jobId: 'job_test',
      now: () => clock,
    });

    const first = await reader.read();
    await record(
      ledger,
      Array.from({ length: 12 }, (_, index) => index + 1),
      'created',
    );
    await record(ledger, [13, 14, 15], 'failed');
    clock += 5_000;
    const second = await reader.read();

    expect(first?.ratePerSecond).toBeNull();
    expect(second).toMatchObject({
      created: 12,
      failed: 3,
      inFlight: 85,
      ratePerSecond: 3,
      etaSeconds: 29,
      userQueueDepth: 60,
      deadLetterQueueDepth: 3,
      checkedAt: '2026-01-01T10:00:05.000Z',
    });
    expect(sqsMock).toHaveReceivedCommandWith(GetQueueAttributesCommand, {
      QueueUrl: deadLetterQueueUrl,
    });
  });

  it('answers undefined for a job the ledger does not have', async () => {
    queueAttributes(userQueueUrl, 0, 0, 0);
    queueAttributes(deadLetterQueueUrl, 0, 0, 0);
    const reader = jobStatusReader({
      ledger: new InMemoryMigrationLedger(),
      sqs,
      userQueueUrl,
      deadLetterQueueUrl,
      jobId: 'job_missing',
    });

    expect(await reader.read()).toBeUndefined();
  });
});
