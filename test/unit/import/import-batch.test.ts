import { describe, expect, it } from 'vitest';
import {
  PermanentImportError,
  RateLimitedError,
  TransientImportError,
  WorkOsAuthenticationError,
} from '../../../src/errors.ts';
import { type ImportBatchDependencies, importBatch } from '../../../src/import/import-batch.ts';
import { maxDeferrals } from '../../../src/import/retry-policy.ts';
import { WritePacer } from '../../../src/import/write-pacer.ts';
import { InMemoryMigrationLedger } from '../../../src/ledger/in-memory-ledger.ts';
import type { QueueControl, ReceivedMessage } from '../../../src/queue/queue-types.ts';
import { receivedMessageFactory, userMessageFactory } from '../../helpers/factories.ts';
import { InMemoryUserDirectory } from '../../helpers/in-memory-user-directory.ts';

/** Records what the consumer asked the queue to do. */
function recordingQueueControl() {
  const actions = {
    requeued: [] as { body: unknown; delaySeconds: number }[],
    retried: [] as { messageId: string; delaySeconds: number }[],
    deadLettered: [] as { messageId: string; reason: string }[],
  };
  const control: QueueControl = {
    async requeue(body, delaySeconds) {
      actions.requeued.push({ body: JSON.parse(body), delaySeconds });
    },
    async retryLater(message, delaySeconds) {
      actions.retried.push({ messageId: message.messageId, delaySeconds });
    },
    async deadLetter(message, reason) {
      actions.deadLettered.push({ messageId: message.messageId, reason });
    },
  };
  return { control, actions };
}

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

function dependencies(overrides: Partial<ImportBatchDependencies> = {}) {
  const directory = new InMemoryUserDirectory();
  const outcomes = new InMemoryMigrationLedger();
  void outcomes.claimSplit(
    { jobId: 'job_test', sourceFile: 'exports/users.json.gz' },
    Number.MAX_SAFE_INTEGER,
  );
  const { control, actions } = recordingQueueControl();
  const deps: ImportBatchDependencies = {
    directory,
    pacer: new WritePacer({ writesPerSecond: 1000 }),
    queue: control,
    ledger: outcomes,
    logger: silentLogger,
    maxReceiveCount: 5,
    maxPacingWaitMs: 2000,
    ...overrides,
  };
  return { deps, directory, outcomes, actions };
}

function messages(count: number, receiveCount = 1): ReceivedMessage[] {
  return Array.from({ length: count }, (_, index) =>
    receivedMessageFactory(
      userMessageFactory(
        {
          sourceId: `auth0|${index}`,
          externalId: `auth0|${index}`,
          email: `u${index}@example.com`,
        },
        { line: index + 1 },
      ),
      receiveCount,
    ),
  );
}

async function countsOf(ledger: InMemoryMigrationLedger) {
  const job = await ledger.getJob('job_test');
  if (job === undefined) throw new Error('job_test is missing from the ledger');
  return job.counts;
}

async function outcomesOf(ledger: InMemoryMigrationLedger) {
  const outcomes = [];
  for await (const outcome of ledger.listOutcomes('job_test')) outcomes.push(outcome);
  return outcomes;
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0] as T;
}

describe('Function: importBatch()', () => {
  it('imports every user of a batch and acknowledges them all', async () => {
    const { deps, directory, outcomes } = dependencies();

    const result = await importBatch(messages(10), deps);

    expect(result.failedMessageIds).toEqual([]);
    expect(directory.users.size).toBe(10);
    expect(await countsOf(outcomes)).toMatchObject({ created: 10, failed: 0 });
  });

  it('skips a duplicate delivery of a record the ledger already has a final outcome for, without calling WorkOS', async () => {
    const { deps, directory, outcomes } = dependencies();
    const batch = messages(2);
    await importBatch(batch, deps);
    const callsAfterFirst = { ...directory.calls };

    const result = await importBatch(batch, deps);

    expect(result.failedMessageIds).toEqual([]);
    expect(directory.calls).toEqual(callsAfterFirst);
    expect(await countsOf(outcomes)).toMatchObject({ created: 2, unchanged: 0 });
  });

  it('on a 429 pauses all writes and re-sends the deferred records with the Retry-After as delay', async () => {
    const { deps, directory, actions, outcomes } = dependencies();
    directory.failNext('createUser', new RateLimitedError(30));
    const batch = messages(3);

    const result = await importBatch(batch, deps);

    // Nothing is left to burn a receive: deferred records are new messages, the originals acked.
    expect(result.failedMessageIds).toEqual([]);
    expect(actions.requeued.length).toBeGreaterThanOrEqual(1);
    for (const requeued of actions.requeued) {
      expect(requeued.delaySeconds).toBeGreaterThanOrEqual(29);
      expect(requeued.body).toMatchObject({ deferrals: 1 });
    }
    expect((await countsOf(outcomes)).created + actions.requeued.length).toBe(3);
    const next = await deps.pacer.acquire(0);
    expect(next.granted).toBe(false);
  });

  it('dead-letters a record that has been deferred by rate limiting too many times', async () => {
    const { deps, directory, actions, outcomes } = dependencies();
    directory.failNext('createUser', new RateLimitedError(5));
    const tired = receivedMessageFactory({ ...userMessageFactory(), deferrals: maxDeferrals });

    const result = await importBatch([tired], deps);

    expect(result.failedMessageIds).toEqual([]);
    expect(actions.requeued).toEqual([]);
    expect(actions.deadLettered).toEqual([
      { messageId: tired.messageId, reason: 'rate_limited_too_long' },
    ]);
    expect((await countsOf(outcomes)).failed).toBe(1);
  });

  it('leaves a transiently failing record on the queue with a delay, without an outcome yet', async () => {
    const { deps, directory, actions, outcomes } = dependencies();
    directory.failNext('createUser', new TransientImportError('workos_503', 'WorkOS answered 503'));
    const message = only(messages(1, 2));

    const result = await importBatch([message], deps);

    expect(result.failedMessageIds).toEqual([message.messageId]);
    expect(actions.retried).toEqual([
      { messageId: message.messageId, delaySeconds: expect.any(Number) },
    ]);
    expect(only(actions.retried).delaySeconds).toBeGreaterThanOrEqual(1);
    expect(await outcomesOf(outcomes)).toEqual([]);
  });

  it('dead-letters a transient failure with its reason on the last allowed receive', async () => {
    const { deps, directory, actions, outcomes } = dependencies();
    directory.failNext('createUser', new TransientImportError('workos_503', 'WorkOS answered 503'));
    const message = only(messages(1, 5));

    const result = await importBatch([message], deps);

    expect(result.failedMessageIds).toEqual([]);
    expect(actions.deadLettered).toEqual([{ messageId: message.messageId, reason: 'workos_503' }]);
    expect(await outcomesOf(outcomes)).toEqual([
      expect.objectContaining({ status: 'failed', reason: 'workos_503', sourceId: 'auth0|0' }),
    ]);
  });

  it('dead-letters a permanent failure at once, without retries', async () => {
    const { deps, directory, actions, outcomes } = dependencies();
    directory.failNext(
      'createUser',
      new PermanentImportError('workos_422:invalid_request_parameters', 'refused'),
    );

    const result = await importBatch(messages(1), deps);

    expect(result.failedMessageIds).toEqual([]);
    expect(actions.retried).toEqual([]);
    expect(actions.deadLettered[0]?.reason).toBe('workos_422:invalid_request_parameters');
    expect((await countsOf(outcomes)).failed).toBe(1);
  });

  it('dead-letters a message that is not a user message', async () => {
    const { deps, actions } = dependencies();
    const garbage = receivedMessageFactory('{"hello":');

    const result = await importBatch([garbage], deps);

    expect(result.failedMessageIds).toEqual([]);
    expect(actions.deadLettered).toEqual([
      { messageId: garbage.messageId, reason: 'invalid_message' },
    ]);
  });

  it('fails only the record whose queue action failed, and keeps the rest', async () => {
    const { deps, directory, actions } = dependencies();
    const failingControl: QueueControl = {
      ...deps.queue,
      async deadLetter() {
        throw new Error('SQS unavailable');
      },
    };
    directory.failNext('createUser', new PermanentImportError('workos_400', 'refused'));
    const batch = messages(3);

    const result = await importBatch(batch, { ...deps, queue: failingControl });

    expect(result.failedMessageIds).toHaveLength(1);
    expect(directory.users.size).toBe(2);
    expect(actions.deadLettered).toEqual([]);
  });

  it('stops the whole batch when WorkOS rejects the API key', async () => {
    const { deps, directory } = dependencies();
    directory.failNext(
      'createUser',
      new WorkOsAuthenticationError('workos_unauthorized', 'WorkOS rejected the API key'),
    );

    await expect(importBatch(messages(1), deps)).rejects.toBeInstanceOf(WorkOsAuthenticationError);
  });
});
