import { gzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { createConsumerHandler } from '../../lambdas/consumer/consumer-handler.ts';
import { createSplitterHandler } from '../../lambdas/splitter/splitter-handler.ts';
import { syntheticAuth0ExportLines } from '../../scripts/synthetic-auth0-export.ts';
import {
  consumerEnvironmentSchema,
  parseConfig,
  splitterEnvironmentSchema,
} from '../../src/config.ts';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
} from '../../src/emulator/workos-emulator.ts';
import {
  createBucket,
  createQueueWithDlq,
  createSecret,
  createTestAwsClients,
  drainQueue,
  queueDepth,
} from '../helpers/aws-clients.ts';
import { fakeLambdaContext, runSqsEventSource } from '../helpers/lambda-sqs-event-source.ts';
import { putObjectAndBuildEvent } from '../helpers/s3-events.ts';

const apiKey = 'sk_test_aws_pipeline';

describe('On AWS (moto): S3 upload → splitter → SQS → consumer → WorkOS emulator', () => {
  const aws = createTestAwsClients(inject('awsEndpoint'));
  let emulator: RunningWorkOsEmulator;
  let bucket: string;
  let queues: Awaited<ReturnType<typeof createQueueWithDlq>>;
  let splitter: ReturnType<typeof createSplitterHandler>;
  let consumer: ReturnType<typeof createConsumerHandler>;
  const captured: string[] = [];

  beforeAll(async () => {
    emulator = await startWorkOsEmulator({ apiKey });
    bucket = await createBucket(aws.s3);
    queues = await createQueueWithDlq(aws.sqs, { maxReceiveCount: 5, visibilityTimeoutSeconds: 2 });
    const secretArn = await createSecret(aws.secrets, apiKey);
    splitter = createSplitterHandler({
      s3: aws.s3,
      sqs: aws.sqs,
      config: parseConfig(splitterEnvironmentSchema, { USER_QUEUE_URL: queues.queueUrl }),
    });
    consumer = createConsumerHandler({
      sqs: aws.sqs,
      secrets: aws.secrets,
      config: parseConfig(consumerEnvironmentSchema, {
        USER_QUEUE_URL: queues.queueUrl,
        DEAD_LETTER_QUEUE_URL: queues.dlqUrl,
        WORKOS_API_KEY_SECRET_ID: secretArn,
        WORKOS_API_URL: emulator.url,
        TARGET_WRITES_PER_SECOND: '300',
        CONSUMER_MAX_CONCURRENCY: '2',
        MAX_RECEIVE_COUNT: '5',
      }),
      retryDelaySeconds: () => 1,
    });
    // Every log line the handlers write, at every level, to prove none carries PII. The
    // integration project runs the logger at DEBUG through the global console.
    for (const method of ['debug', 'info', 'warn', 'error', 'log'] as const) {
      const original = console[method].bind(console);
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        captured.push(args.map(String).join(' '));
        original(...args);
      });
    }
  });

  afterAll(async () => {
    vi.restoreAllMocks();
    await emulator.close();
  });

  async function drainThroughConsumer() {
    return runSqsEventSource({
      sqs: aws.sqs,
      queueUrl: queues.queueUrl,
      handler: consumer,
      maxConcurrency: 2,
      context: () => fakeLambdaContext({ remainingMs: 60_000 }),
      until: async () => (await queueDepth(aws.sqs, queues.queueUrl)) === 0,
      timeoutMs: 90_000,
    });
  }

  it('imports every valid user exactly once through a 429 burst and 5xx errors, and reports each invalid record with its line and reason', async () => {
    // Prepare: 300 records, every 25th unimportable; WorkOS misbehaves during the import.
    const lines = [...syntheticAuth0ExportLines(300, { invalidEvery: 25, seed: 'aws' })];
    const event = await putObjectAndBuildEvent(
      aws.s3,
      bucket,
      'exports/tenant export.json.gz',
      gzipSync(`${lines.join('\n')}\n`),
    );
    emulator.faults.inject({
      status: 429,
      count: 40,
      retryAfterSeconds: 1,
      match: { method: 'POST' },
    });
    emulator.faults.inject({ status: 500, count: 10, match: { method: 'POST' } });
    emulator.faults.inject({ status: 503, count: 10 });

    // Act
    const [summary] = await splitter(event, fakeLambdaContext());
    const consumed = await drainThroughConsumer();

    // Assess: the split
    expect(summary).toMatchObject({ read: 300, enqueued: 288, rejected: 12 });
    // Assess: WorkOS holds each valid user once, as exported
    const users = emulator.users();
    expect(users).toHaveLength(288);
    const expected = lines
      .filter((_, index) => (index + 1) % 25 !== 0)
      .map(
        (line) => JSON.parse(line) as { user_id: string; email: string; email_verified: boolean },
      );
    const byExternalId = new Map(users.map((user) => [user.externalId, user]));
    for (const record of expected) {
      expect(byExternalId.get(record.user_id)).toMatchObject({
        email: record.email,
        emailVerified: record.email_verified,
      });
    }
    // Assess: the faults really happened, and nothing is left failed
    expect(emulator.stats().injectedRateLimits).toBe(40);
    expect(emulator.stats().injectedServerErrors).toBe(20);
    expect(consumed.messagesLeftForRetry).toBeGreaterThan(0);
    expect(await drainQueue(aws.sqs, queues.dlqUrl)).toEqual([]);
    // Assess: the rejections report names each invalid line and why
    const report = await aws.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: `reports/${summary?.jobId}/rejected.csv` }),
    );
    const rows = (await report.Body?.transformToString())?.trim().split('\n') ?? [];
    expect(rows[0]).toBe('source_file,line,source_id,status,workos_user_id,reason');
    expect(rows.slice(1).map((row) => row.split(',')[1])).toEqual(
      Array.from({ length: 12 }, (_, index) => String((index + 1) * 25)),
    );
    for (const row of rows.slice(1)) {
      expect(row).toMatch(
        /^exports\/tenant export\.json\.gz,\d+,[^,]*,rejected,,(missing_email|invalid_json|invalid_email|blocked|missing_user_id)$/,
      );
    }
  });

  it('turns a duplicate S3 event for the same object into no new user', async () => {
    const lines = [...syntheticAuth0ExportLines(40, { seed: 'duplicate-event' })];
    const event = await putObjectAndBuildEvent(
      aws.s3,
      bucket,
      'exports/again.ndjson',
      lines.join('\n'),
    );
    const before = emulator.users().length;

    const [first] = await splitter(event, fakeLambdaContext());
    await drainThroughConsumer();
    const [second] = await splitter(event, fakeLambdaContext());
    await drainThroughConsumer();

    expect(second?.jobId).toBe(first?.jobId);
    expect(emulator.users().length).toBe(before + 40);
    expect(await drainQueue(aws.sqs, queues.dlqUrl)).toEqual([]);
  });

  it('dead-letters a user WorkOS refuses, with the reason on the message, without retrying it', async () => {
    emulator.faults.clear();
    const line = JSON.stringify({
      user_id: 'auth0|refused',
      email: 'refused@example.com',
      given_name: 'R'.repeat(10),
    });
    const event = await putObjectAndBuildEvent(aws.s3, bucket, 'exports/refused.ndjson', line);
    // The emulator refuses this email as already taken by a user with another external id.
    await fetch(`${emulator.url}/user_management/users`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'refused@example.com', external_id: 'someone-else' }),
    });

    await splitter(event, fakeLambdaContext());
    await drainThroughConsumer();

    const deadLettered = await drainQueue(aws.sqs, queues.dlqUrl);
    expect(deadLettered).toHaveLength(1);
    expect(deadLettered[0]?.messageAttributes).toMatchObject({
      FailureReason: { StringValue: 'email_belongs_to_other_user' },
    });
    expect(deadLettered[0]?.attributes?.ApproximateReceiveCount ?? '1').toBe('1');
  });

  it('logs no email, name or password hash in any line the handlers wrote', () => {
    const logged = captured.join('');
    expect(logged).toContain('Record outcome');
    expect(logged).toContain('User imported');
    expect(logged).not.toMatch(/user\d+@example\.com/);
    expect(logged).not.toContain('refused@example.com');
    for (const name of ['Lovelace', 'Hopper', 'Turing', 'Dijkstra'])
      expect(logged).not.toContain(name);
  });
});
