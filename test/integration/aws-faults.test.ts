import { gzipSync } from 'node:zlib';
import {
  ChangeMessageVisibilityBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { ExportObject } from '../../lambdas/splitter/splitter-handler.ts';
import { syntheticAuth0PasswordLines } from '../../scripts/bench/synthetic-password-export.ts';
import { syntheticAuth0ExportLines } from '../../scripts/synthetic-auth0-export.ts';
import {
  type ImportMessage,
  type RecordOrigin,
  serializeImportMessage,
} from '../../src/model/import-message.ts';
import { redriveDeadLetters } from '../../src/operations/redrive.ts';
import { drainQueue, queueDepth } from '../helpers/aws-clients.ts';
import {
  type AwsPipelineFixture,
  contextRunningOutAfter,
  createAwsPipelineFixture,
  splitterContext,
} from '../helpers/aws-pipeline-fixture.ts';
import { fakeLambdaContext, runSqsEventSource } from '../helpers/lambda-sqs-event-source.ts';

/**
 * Faults the pipeline must survive with nothing lost and nothing twice. After each one the
 * ledger and WorkOS agree: every record read has one outcome, the counters add up, and no user
 * exists twice.
 */
describe('Faults on AWS (moto + WorkOS emulator)', () => {
  const fixtures: AwsPipelineFixture[] = [];
  async function pipeline(options?: Parameters<typeof createAwsPipelineFixture>[1]) {
    const created = await createAwsPipelineFixture(inject('awsEndpoint'), options);
    fixtures.push(created);
    return created;
  }
  afterEach(async () => {
    for (const fixture of fixtures.splice(0)) await fixture.close();
  });

  it('continues a split that yielded before the time limit exactly where it stopped, enqueuing no record twice (gzip)', async () => {
    const fixture = await pipeline();
    const lines = [...syntheticAuth0ExportLines(250, { invalidEvery: 50, seed: 'yield' })];
    const event = await fixture.upload('exports/big.json.gz', lines);

    const [first] = await fixture.splitter(event, contextRunningOutAfter(120, 'yield'));
    const continuation = fixture.continuations[0];
    expect(first).toMatchObject({ completed: false });
    expect(continuation).toBeDefined();
    const [second] = await fixture.splitter(
      { continueSplit: continuation as ExportObject },
      splitterContext(),
    );
    const depth = await queueDepth(fixture.aws.sqs, fixture.queues.queueUrl);
    await fixture.drain();

    // 245 users; the blocked one is settled by the split, whose snapshot shows WorkOS holds no
    // account of theirs.
    expect(second).toMatchObject({ completed: true, read: 250, enqueued: 245 });
    expect(depth).toBe(245);
    expect(fixture.emulator.users()).toHaveLength(245);
    await fixture.expectLedgerMatchesWorkOs(second?.jobId ?? '');
  });

  it.each([
    { yieldAfter: 80, where: 'in the users export' },
    { yieldAfter: 260, where: 'in the password export' },
  ])(
    'continues a job of two files that yielded $where, and each user is still one write with its hash',
    async ({ yieldAfter }) => {
      const fixture = await pipeline();
      const users = [...syntheticAuth0ExportLines(140, { invalidEvery: 35, seed: 'job' })];
      const passwords = [...syntheticAuth0PasswordLines(140, { seed: 'job' })];
      await fixture.uploadFile('jobs/two/users.json.gz', gzipSync(`${users.join('\n')}\n`));
      await fixture.uploadFile('jobs/two/passwords.json', `${passwords.join('\n')}\n`);
      const event = await fixture.uploadFile(
        'jobs/two/manifest.json',
        JSON.stringify({ files: [{ key: 'users.json.gz' }, { key: 'passwords.json' }] }),
      );

      const [first] = await fixture.splitter(event, contextRunningOutAfter(yieldAfter, 'yield'));
      expect(first).toMatchObject({ completed: false });
      const [second] = await fixture.splitter(
        { continueSplit: fixture.continuations[0] as ExportObject },
        splitterContext(),
      );
      const depth = await queueDepth(fixture.aws.sqs, fixture.queues.queueUrl);
      await fixture.drain();

      // 140 users (4 invalid, all social) + 120 password lines, each joined into its user.
      expect(second).toMatchObject({ completed: true, read: 260 });
      expect(depth).toBe(second !== undefined && 'enqueued' in second ? second.enqueued : -1);
      const { job } = await fixture.expectLedgerMatchesWorkOs(second?.jobId ?? '');
      expect(job?.counts.failed).toBe(0);
      expect(fixture.emulator.users()).toHaveLength(136);
      expect(fixture.emulator.stats().writes).toBe(136);
      expect(fixture.emulator.users().filter((user) => user.passwordHash !== null)).toHaveLength(
        passwords.length,
      );
    },
  );

  it('resumes a split that crashed from its last checkpoint, and the re-enqueued records count once', async () => {
    const fixture = await pipeline();
    const lines = [...syntheticAuth0ExportLines(200, { seed: 'crash' })];
    const event = await fixture.upload('exports/crash.ndjson', lines);
    const splitter = fixture.splitter;

    await expect(splitter(event, contextRunningOutAfter(130, 'crash'))).rejects.toThrow(
      'runtime killed',
    );
    const afterCrash = await fixture.ledger.getJob((await firstJobId(fixture)) ?? '');
    const [retry] = await splitter(event, splitterContext());
    const depth = await queueDepth(fixture.aws.sqs, fixture.queues.queueUrl);
    await fixture.drain();

    expect(afterCrash?.splitThroughLine).toBeGreaterThan(0);
    expect(retry).toMatchObject({ completed: true, read: 200, enqueued: 200 });
    // At most the records after the last checkpoint were enqueued a second time.
    expect(depth).toBeGreaterThanOrEqual(200);
    expect(depth).toBeLessThanOrEqual(200 + (130 - (afterCrash?.splitThroughLine ?? 0)));
    expect(fixture.emulator.users()).toHaveLength(200);
    const { job } = await fixture.expectLedgerMatchesWorkOs(retry?.jobId ?? '');
    expect(job?.counts).toMatchObject({ created: 200, unchanged: 0, failed: 0 });
  });

  it('survives a consumer that crashes in the middle of its batches', async () => {
    const fixture = await pipeline();
    const event = await fixture.upload('exports/consumer-crash.ndjson', [
      ...syntheticAuth0ExportLines(60, { seed: 'consumer-crash' }),
    ]);
    const [summary] = await fixture.splitter(event, splitterContext());
    let crashes = 0;
    const crashingConsumer = async (sqsEvent: SQSEvent, context: Context) => {
      if (crashes < 3) {
        crashes += 1;
        // Half of the batch goes through, then the process dies: nothing is acknowledged.
        await fixture.consumer({ Records: sqsEvent.Records.slice(0, 5) }, context);
        throw new Error('consumer crashed mid-batch');
      }
      return fixture.consumer(sqsEvent, context);
    };

    await fixture.drain(crashingConsumer as never);

    expect(crashes).toBe(3);
    expect(fixture.emulator.users()).toHaveLength(60);
    const { job } = await fixture.expectLedgerMatchesWorkOs(summary?.jobId ?? '');
    expect(job?.counts).toMatchObject({ created: 60, unchanged: 0 });
  });

  it('imports each user once when SQS delivers every message twice', async () => {
    const fixture = await pipeline();
    const event = await fixture.upload('exports/duplicates.ndjson', [
      ...syntheticAuth0ExportLines(40, { seed: 'sqs-duplicates' }),
    ]);
    const [summary] = await fixture.splitter(event, splitterContext());
    await duplicateEveryMessage(fixture, 40);
    expect(await queueDepth(fixture.aws.sqs, fixture.queues.queueUrl)).toBe(80);

    await fixture.drain();

    expect(fixture.emulator.users()).toHaveLength(40);
    const { job } = await fixture.expectLedgerMatchesWorkOs(summary?.jobId ?? '');
    expect(job?.counts).toMatchObject({ created: 40, unchanged: 0, updated: 0 });
  });

  it('rides out slow WorkOS answers and timeouts', async () => {
    const fixture = await pipeline({ workosTimeoutMs: 400 });
    const event = await fixture.upload('exports/slow.ndjson', [
      ...syntheticAuth0ExportLines(30, { seed: 'slow' }),
    ]);
    fixture.emulator.faults.inject({ delayMs: 250, count: 10 });
    fixture.emulator.faults.inject({ delayMs: 800, count: 4, match: { method: 'POST' } });

    const [summary] = await fixture.splitter(event, splitterContext());
    await fixture.drain();

    expect(fixture.emulator.stats().delayedResponses).toBe(14);
    expect(fixture.emulator.users()).toHaveLength(30);
    const { job } = await fixture.expectLedgerMatchesWorkOs(summary?.jobId ?? '');
    // A create that timed out on our side may still have happened: it then ends as unchanged.
    expect((job?.counts.created ?? 0) + (job?.counts.unchanged ?? 0)).toBe(30);
    expect(job?.counts.failed).toBe(0);
  });

  it('halts the job and stops consuming when WorkOS rejects the API key, creating nobody', async () => {
    const fixture = await pipeline();
    const event = await fixture.upload('exports/bad-key.ndjson', [
      ...syntheticAuth0ExportLines(20, { seed: 'bad-key' }),
    ]);
    const [summary] = await fixture.splitter(event, splitterContext());
    // The key is revoked once the split has listed WorkOS, before the import.
    await fixture.replaceApiKey('sk_test_revoked');

    await runSqsEventSource({
      sqs: fixture.aws.sqs,
      queueUrl: fixture.queues.queueUrl,
      handler: fixture.consumer as never,
      maxConcurrency: 2,
      context: () => fakeLambdaContext(),
      until: () => fixture.stopRequests.length > 0,
      timeoutMs: 30_000,
    });

    expect(fixture.stopRequests.length).toBeGreaterThan(0);
    expect(fixture.emulator.users()).toHaveLength(0);
    const job = await fixture.ledger.getJob(summary?.jobId ?? '');
    expect(job?.haltReason).toBe('workos_unauthorized');
    expect(job?.counts).toMatchObject({ created: 0, failed: 0 });
    // Nothing was dead-lettered: every user waits on the queue for the fixed key.
    expect(await drainQueue(fixture.aws.sqs, fixture.queues.dlqUrl)).toEqual([]);
  });

  // Organizations are split first, so a bad key often meets a batch with no user in it.
  it.each<{ kind: string; body: (origin: RecordOrigin) => ImportMessage }>([
    {
      kind: 'organization',
      body: (origin) => ({
        version: 1,
        origin,
        deferrals: 0,
        kind: 'organization',
        organization: {
          sourceId: `org_${origin.line}`,
          externalId: `org_${origin.line}`,
          name: `Organization ${origin.line}`,
          source: 'auth0',
        },
      }),
    },
    {
      kind: 'membership',
      body: (origin) => ({
        version: 1,
        origin,
        deferrals: 0,
        kind: 'membership',
        membership: {
          sourceId: `org_1/auth0|member-${origin.line}`,
          userExternalId: `auth0|member-${origin.line}`,
          organizationExternalId: 'org_1',
          roleSlugs: [],
          source: 'auth0',
        },
      }),
    },
    {
      kind: 'blocked_user',
      body: (origin) => ({
        version: 1,
        origin,
        deferrals: 0,
        kind: 'blocked_user',
        blockedUser: {
          sourceId: `auth0|blocked-${origin.line}`,
          externalId: `auth0|blocked-${origin.line}`,
          source: 'auth0',
        },
      }),
    },
  ])(
    'halts the job when WorkOS rejects the API key on a batch of $kind messages only',
    async ({ body }) => {
      const fixture = await pipeline({ secretValue: 'sk_test_revoked' });
      const jobId = 'job_bad_key_on_one_kind';
      await fixture.ledger.claimSplit(
        { jobId, sourceFile: 'exports/one-kind' },
        Date.now() + 60_000,
      );
      await fixture.aws.sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: fixture.queues.queueUrl,
          Entries: [1, 2, 3].map((line) => ({
            Id: `m${line}`,
            MessageBody: serializeImportMessage(
              body({ jobId, sourceFile: 'exports/one-kind', line }),
            ),
          })),
        }),
      );

      await runSqsEventSource({
        sqs: fixture.aws.sqs,
        queueUrl: fixture.queues.queueUrl,
        handler: fixture.consumer as never,
        maxConcurrency: 1,
        context: () => fakeLambdaContext(),
        until: () => fixture.stopRequests.length > 0,
        timeoutMs: 30_000,
      });

      expect(fixture.stopRequests.length).toBeGreaterThan(0);
      expect((await fixture.ledger.getJob(jobId))?.haltReason).toBe('workos_unauthorized');
      expect(fixture.emulator.organizations()).toHaveLength(0);
      expect(await drainQueue(fixture.aws.sqs, fixture.queues.dlqUrl)).toEqual([]);
      expect(await queueDepth(fixture.aws.sqs, fixture.queues.queueUrl)).toBe(3);
    },
  );

  it('finishes the original job’s accounting when a mixed dead-letter queue is redriven after the causes are fixed', async () => {
    const fixture = await pipeline();
    const lines = [...syntheticAuth0ExportLines(12, { seed: 'redrive' })];
    const event = await fixture.upload('exports/redrive.ndjson', lines);
    const emails = lines.map((line) => (JSON.parse(line) as { email: string }).email);
    // Three emails are held by other users; three users meet a WorkOS that keeps failing.
    const squatters = [];
    for (const email of emails.slice(0, 3)) {
      const response = await fetch(`${fixture.emulator.url}/user_management/users`, {
        method: 'POST',
        headers: {
          authorization: 'Bearer sk_test_aws_pipeline',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ email, external_id: `squatter-${email}` }),
      });
      squatters.push(((await response.json()) as { id: string }).id);
    }
    const [summary] = await fixture.splitter(event, splitterContext());
    let failing = 0;
    const flakyConsumer = async (sqsEvent: SQSEvent, context: Context) => {
      // Records of lines 4-6 always meet a 503, until the dead-letter queue takes them. They go
      // through an invocation of their own, so the injected faults hit exactly their writes.
      const doomed = sqsEvent.Records.filter((record) => [4, 5, 6].includes(lineOf(record.body)));
      const others = sqsEvent.Records.filter((record) => !doomed.includes(record));
      const failures = [];
      if (doomed.length > 0) {
        failing += doomed.length;
        fixture.emulator.faults.inject({
          status: 503,
          count: doomed.length,
          match: { method: 'POST' },
        });
        const result = await fixture.consumer({ Records: doomed }, context);
        failures.push(...(result?.batchItemFailures ?? []));
      }
      if (others.length > 0) {
        const result = await fixture.consumer({ Records: others }, context);
        failures.push(...(result?.batchItemFailures ?? []));
      }
      return { batchItemFailures: failures };
    };
    await fixture.drain(flakyConsumer as never, { maxConcurrency: 1 });
    const beforeRedrive = await fixture.ledger.getJob(summary?.jobId ?? '');

    // Fix the causes, then redrive everything.
    for (const id of squatters) {
      await fetch(`${fixture.emulator.url}/user_management/users/${id}`, {
        method: 'DELETE',
        headers: { authorization: 'Bearer sk_test_aws_pipeline' },
      });
    }
    fixture.emulator.faults.clear();
    const redriven = await redriveDeadLetters({
      sqs: fixture.aws.sqs,
      deadLetterQueueUrl: fixture.queues.dlqUrl,
      deadLetterQueueArn: fixture.queues.dlqArn,
      queueUrl: fixture.queues.queueUrl,
      queueArn: fixture.queues.queueArn,
      maxPerSecond: 50,
    });
    await fixture.drain();

    expect(failing).toBeGreaterThan(0);
    expect(beforeRedrive?.counts).toMatchObject({ created: 6, failed: 6 });
    expect(redriven.moved).toBe(6);
    expect(fixture.emulator.users()).toHaveLength(12);
    const { job } = await fixture.expectLedgerMatchesWorkOs(summary?.jobId ?? '');
    expect(job?.counts).toEqual({ created: 12, updated: 0, unchanged: 0, rejected: 0, failed: 0 });
  });
});

function lineOf(body: string): number {
  return (JSON.parse(body) as { origin: { line: number } }).origin.line;
}

async function firstJobId(fixture: AwsPipelineFixture): Promise<string | undefined> {
  const [job] = await fixture.ledger.listJobs(1);
  return job?.jobId;
}

/** Makes SQS deliver every message twice, as at-least-once delivery may. */
async function duplicateEveryMessage(fixture: AwsPipelineFixture, expected: number): Promise<void> {
  const { sqs } = fixture.aws;
  const { queueUrl } = fixture.queues;
  const copied = new Set<string>();
  const toRelease: string[] = [];
  while (copied.size < expected) {
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 30,
      }),
    );
    const messages = received.Messages ?? [];
    if (messages.length === 0) break;
    // Copies have new message ids but the same body: copy each body once.
    const originals = messages.filter((message) => !copied.has(message.Body ?? ''));
    for (const message of messages) toRelease.push(message.ReceiptHandle ?? '');
    for (const message of originals) copied.add(message.Body ?? '');
    if (originals.length > 0) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: originals.map((message, index) => ({
            Id: String(index),
            MessageBody: message.Body ?? '',
          })),
        }),
      );
    }
  }
  for (let index = 0; index < toRelease.length; index += 10) {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: toRelease.slice(index, index + 10).map((receiptHandle, offset) => ({
          Id: String(offset),
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}
