/**
 * Proves the integration harness behaves like the AWS pieces it stands in for, using trivial
 * handlers defined here, so a pipeline test that fails points at the pipeline, not the harness.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import {
  ListQueuesCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  createBucket,
  createQueueWithDlq,
  createSecret,
  createTestAwsClients,
  drainQueue,
  type QueueWithDlq,
  queueDepth,
} from '../helpers/aws-clients.ts';
import { fakeLambdaContext, runSqsEventSource } from '../helpers/lambda-sqs-event-source.ts';
import {
  encodeS3EventKey,
  putObjectAndBuildEvent,
  s3ObjectCreatedEvent,
} from '../helpers/s3-events.ts';

const endpoint = inject('awsEndpoint');
const { s3, sqs, secrets } = createTestAwsClients(endpoint);

afterAll(() => {
  s3.destroy();
  sqs.destroy();
  secrets.destroy();
});

/** The splitter's decoder for `s3.object.key`, as the reference prescribes. */
const decodeS3EventKey = (key: string): string => decodeURIComponent(key.replace(/\+/g, ' '));

async function sendBodies(
  queueUrl: string,
  bodies: string[],
  extra: Partial<SendMessageBatchRequestEntry> = {},
): Promise<void> {
  for (let start = 0; start < bodies.length; start += 10) {
    const { Failed = [] } = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: bodies
          .slice(start, start + 10)
          .map((body, index) => ({ ...extra, Id: String(start + index), MessageBody: body })),
      }),
    );
    if (Failed.length > 0) throw new Error(`SendMessageBatch failed: ${JSON.stringify(Failed)}`);
  }
}

/** One entry per record the handler saw, in delivery order. */
interface Delivery {
  invocation: number;
  messageId: string;
  body: string;
  receiveCount: number;
}

function recordDeliveries(deliveries: Delivery[], event: SQSEvent, invocation: number): void {
  for (const record of event.Records) {
    deliveries.push({
      invocation,
      messageId: record.messageId,
      body: record.body,
      receiveCount: Number(record.attributes.ApproximateReceiveCount),
    });
  }
}

const receiveCountsOf = (deliveries: Delivery[], messageId: string): number[] =>
  deliveries.filter((delivery) => delivery.messageId === messageId).map((d) => d.receiveCount);

const queueIsEmpty = (queue: QueueWithDlq) => async () =>
  (await queueDepth(sqs, queue.queueUrl)) === 0;

// Every test makes its own queues, so they run side by side; assertions use the test's `expect`.
describe.concurrent('SQS event source harness', () => {
  it('deletes the messages a handler does not report, and redelivers a reported one until the DLQ takes it after maxReceiveCount', async ({
    expect,
  }) => {
    const maxReceiveCount = 3;
    const queue = await createQueueWithDlq(sqs, { maxReceiveCount, visibilityTimeoutSeconds: 1 });
    await sendBodies(queue.queueUrl, ['ok-1', 'ok-2', 'poison', 'ok-3', 'ok-4']);
    const deliveries: Delivery[] = [];
    let invocations = 0;

    const stats = await runSqsEventSource({
      sqs,
      queueUrl: queue.queueUrl,
      handler: async (event): Promise<SQSBatchResponse> => {
        recordDeliveries(deliveries, event, ++invocations);
        return {
          batchItemFailures: event.Records.filter((record) => record.body === 'poison').map(
            (record) => ({ itemIdentifier: record.messageId }),
          ),
        };
      },
      // The poison message counts in the depth until the receive that moves it to the DLQ.
      until: queueIsEmpty(queue),
      timeoutMs: 20_000,
    });

    const poison = deliveries.find((delivery) => delivery.body === 'poison');
    expect(poison).toBeDefined();
    expect(receiveCountsOf(deliveries, poison?.messageId ?? '')).toEqual([1, 2, 3]);
    const others = deliveries.filter((delivery) => delivery.body !== 'poison');
    expect(others.map((delivery) => delivery.body).sort()).toEqual([
      'ok-1',
      'ok-2',
      'ok-3',
      'ok-4',
    ]);
    expect(others.every((delivery) => delivery.receiveCount === 1)).toBe(true);
    expect((await drainQueue(sqs, queue.dlqUrl)).map((message) => message.body)).toEqual([
      'poison',
    ]);
    expect(stats).toMatchObject({
      messagesReceived: 4 + maxReceiveCount,
      messagesDeleted: 4,
      messagesLeftForRetry: maxReceiveCount,
      handlerErrors: 0,
      malformedResponses: 0,
    });
  });

  it('retries the whole batch when the handler throws', async ({ expect }) => {
    const queue = await createQueueWithDlq(sqs, {
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 1,
    });
    await sendBodies(queue.queueUrl, ['a', 'b', 'c']);
    const deliveries: Delivery[] = [];
    let invocations = 0;

    const stats = await runSqsEventSource({
      sqs,
      queueUrl: queue.queueUrl,
      handler: async (event) => {
        recordDeliveries(deliveries, event, ++invocations);
        if (invocations === 1) throw new Error('first invocation fails');
      },
      maxConcurrency: 1,
      until: queueIsEmpty(queue),
      timeoutMs: 20_000,
    });

    const failedBatch = deliveries.filter((delivery) => delivery.invocation === 1);
    expect(failedBatch.length).toBeGreaterThan(0);
    for (const { messageId } of failedBatch) {
      expect(receiveCountsOf(deliveries, messageId)).toEqual([1, 2]);
    }
    expect(stats).toMatchObject({ handlerErrors: 1, messagesDeleted: 3 });
    expect(stats.messagesLeftForRetry).toBe(failedBatch.length);
    expect(await queueDepth(sqs, queue.dlqUrl)).toBe(0);
  });

  const malformedResponses: Array<{ name: string; response: (event: SQSEvent) => unknown }> = [
    {
      name: 'an itemIdentifier that is not in the batch',
      response: () => ({ batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] }),
    },
    {
      name: 'an empty itemIdentifier',
      response: () => ({ batchItemFailures: [{ itemIdentifier: '' }] }),
    },
    {
      name: 'a null itemIdentifier',
      response: () => ({ batchItemFailures: [{ itemIdentifier: null }] }),
    },
    {
      name: 'a wrongly named key',
      response: (event) => ({ batchItemFailures: [{ messageId: event.Records[0]?.messageId }] }),
    },
    {
      name: 'batchItemFailures that is not a list',
      response: () => ({ batchItemFailures: 'all' }),
    },
  ];

  it.for(malformedResponses)(
    'retries the whole batch when the response has $name',
    async ({ response }, { expect }) => {
      const queue = await createQueueWithDlq(sqs, {
        maxReceiveCount: 5,
        visibilityTimeoutSeconds: 1,
      });
      await sendBodies(queue.queueUrl, ['a', 'b', 'c']);
      const deliveries: Delivery[] = [];
      let invocations = 0;

      const stats = await runSqsEventSource({
        sqs,
        queueUrl: queue.queueUrl,
        handler: async (event) => {
          recordDeliveries(deliveries, event, ++invocations);
          return invocations === 1 ? response(event) : { batchItemFailures: [] };
        },
        maxConcurrency: 1,
        until: queueIsEmpty(queue),
        timeoutMs: 20_000,
      });

      const firstBatch = deliveries.filter((delivery) => delivery.invocation === 1);
      expect(firstBatch.length).toBeGreaterThan(0);
      for (const { messageId } of firstBatch) {
        expect(receiveCountsOf(deliveries, messageId)).toEqual([1, 2]);
      }
      expect(stats).toMatchObject({ malformedResponses: 1, handlerErrors: 0, messagesDeleted: 3 });
    },
  );

  const successResponses: Array<{ name: string; response: unknown }> = [
    { name: 'undefined', response: undefined },
    { name: 'null', response: null },
    { name: 'an empty object', response: {} },
    { name: 'an empty batchItemFailures list', response: { batchItemFailures: [] } },
    { name: 'a null batchItemFailures list', response: { batchItemFailures: null } },
  ];

  it.for(successResponses)(
    'deletes the whole batch when the response is $name',
    async ({ response }, { expect }) => {
      const queue = await createQueueWithDlq(sqs, {
        maxReceiveCount: 5,
        visibilityTimeoutSeconds: 1,
      });
      await sendBodies(queue.queueUrl, ['a', 'b', 'c']);
      const deliveries: Delivery[] = [];
      let invocations = 0;

      const stats = await runSqsEventSource({
        sqs,
        queueUrl: queue.queueUrl,
        handler: async (event) => {
          recordDeliveries(deliveries, event, ++invocations);
          return response;
        },
        until: queueIsEmpty(queue),
        timeoutMs: 5_000,
      });

      expect(deliveries.map((delivery) => delivery.receiveCount)).toEqual([1, 1, 1]);
      expect(stats).toMatchObject({ messagesDeleted: 3, messagesLeftForRetry: 0 });
    },
  );

  it('never has more than maxConcurrency invocations in flight, nor more than batchSize records in one', async ({
    expect,
  }) => {
    const queue = await createQueueWithDlq(sqs, {
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 30,
    });
    await sendBodies(
      queue.queueUrl,
      Array.from({ length: 24 }, (_, index) => `message-${index}`),
    );
    let inFlight = 0;
    let mostInFlight = 0;
    const batchSizes: number[] = [];

    const stats = await runSqsEventSource({
      sqs,
      queueUrl: queue.queueUrl,
      handler: async (event) => {
        inFlight += 1;
        mostInFlight = Math.max(mostInFlight, inFlight);
        batchSizes.push(event.Records.length);
        await new Promise((resolve) => setTimeout(resolve, 100));
        inFlight -= 1;
      },
      batchSize: 2,
      maxConcurrency: 3,
      until: queueIsEmpty(queue),
      timeoutMs: 20_000,
    });

    // Exactly 3: fewer would mean the harness serialises and hides concurrency bugs.
    expect(mostInFlight).toBe(3);
    expect(stats.maxInFlight).toBe(3);
    expect(Math.max(...batchSizes)).toBe(2);
    expect(stats.messagesDeleted).toBe(24);
  });

  it('builds Lambda-shaped records: attributes as strings, message attributes in camelCase with base64 binaries', async ({
    expect,
  }) => {
    const queue = await createQueueWithDlq(sqs, {
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 30,
    });
    const body = JSON.stringify({ userId: 'auth0|123' });
    await sendBodies(queue.queueUrl, [body], {
      MessageAttributes: {
        jobId: { DataType: 'String', StringValue: 'job-1' },
        attempt: { DataType: 'Number', StringValue: '2' },
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
      },
    });
    const events: SQSEvent[] = [];
    const requestIds: string[] = [];

    await runSqsEventSource({
      sqs,
      queueUrl: queue.queueUrl,
      handler: async (event, context) => {
        events.push(event);
        requestIds.push(context.awsRequestId);
      },
      context: () => fakeLambdaContext({ remainingMs: 5_000 }),
      until: queueIsEmpty(queue),
      timeoutMs: 10_000,
    });

    expect(events).toHaveLength(1);
    const record = events[0]?.Records[0];
    expect(record).toMatchObject({
      body,
      md5OfBody: createHash('md5').update(body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.queueArn,
      awsRegion: 'us-east-1',
      attributes: { ApproximateReceiveCount: '1' },
      messageAttributes: {
        jobId: { dataType: 'String', stringValue: 'job-1' },
        attempt: { dataType: 'Number', stringValue: '2' },
        blob: { dataType: 'Binary', binaryValue: Buffer.from([1, 2, 3]).toString('base64') },
      },
    });
    expect(record?.messageId).toMatch(/\S/);
    expect(record?.receiptHandle).toMatch(/\S/);
    for (const value of Object.values(record?.attributes ?? {}))
      expect(typeof value).toBe('string');
    expect(record?.attributes.SentTimestamp).toMatch(/^\d+$/);
    expect(requestIds[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects with the work done so far when until() is not satisfied in time', async ({
    expect,
  }) => {
    const queue = await createQueueWithDlq(sqs, {
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 1,
    });

    await expect(
      runSqsEventSource({
        sqs,
        queueUrl: queue.queueUrl,
        handler: () => undefined,
        until: () => false,
        timeoutMs: 500,
      }),
    ).rejects.toThrow(/timed out after 500 ms.*0 invocations, 0 messages received/);
  });

  it('stops without error after idleMs with no messages', async ({ expect }) => {
    const queue = await createQueueWithDlq(sqs, {
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 1,
    });

    const stats = await runSqsEventSource({
      sqs,
      queueUrl: queue.queueUrl,
      handler: () => undefined,
      until: () => false,
      idleMs: 300,
      timeoutMs: 10_000,
    });

    expect(stats).toMatchObject({ stoppedBy: 'idle', invocations: 0 });
  });
});

describe('fake Lambda context', () => {
  it('counts its remaining time down from remainingMs', async () => {
    const context = fakeLambdaContext({ remainingMs: 1_000 });
    const atStart = context.getRemainingTimeInMillis();
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(atStart).toBeLessThanOrEqual(1_000);
    expect(atStart).toBeGreaterThan(900);
    expect(context.getRemainingTimeInMillis()).toBeLessThan(atStart);
  });
});

describe('S3 event builder', () => {
  it.for([
    {
      key: 'exports/2026 11/users+extra (1).ndjson',
      encoded: 'exports/2026+11/users%2Bextra+(1).ndjson',
    },
    { key: 'auth0/users.json', encoded: 'auth0/users.json' },
    { key: 'ünï/ä b&c=d.json.gz', encoded: '%C3%BCn%C3%AF/%C3%A4+b%26c%3Dd.json.gz' },
  ])(
    'encodes $key form-style like S3, and the splitter decoder recovers it',
    ({ key, encoded }) => {
      const event = s3ObjectCreatedEvent({ bucket: 'exports', key, size: 1, eTag: '"abc"' });
      const eventKey = event.Records[0]?.s3.object.key ?? '';

      expect(eventKey).toBe(encoded);
      expect(encodeS3EventKey(key)).toBe(encoded);
      expect(decodeS3EventKey(eventKey)).toBe(key);
    },
  );

  it('describes an uploaded object with its real ETag and size, and its key leads back to the object', async () => {
    const bucket = await createBucket(s3);
    const key = 'auth0/export 2026+11.ndjson';
    const body = '{"user_id":"auth0|1"}\n{"user_id":"auth0|2"}\n{"user_id":"auth0|3"}\n';

    const event = await putObjectAndBuildEvent(s3, bucket, key, body);

    const record = event.Records[0];
    expect(record).toMatchObject({
      eventVersion: '2.1',
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      awsRegion: 'us-east-1',
      s3: {
        bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
        object: {
          size: Buffer.byteLength(body),
          eTag: createHash('md5').update(body).digest('hex'),
        },
      },
    });
    expect(record?.s3.object.versionId).toBeUndefined();

    // Smoke test of GetObject streaming through the helpers' client.
    const { Body } = await s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: decodeS3EventKey(record?.s3.object.key ?? '') }),
    );
    const lines: string[] = [];
    for await (const line of createInterface({ input: Body as Readable, crlfDelay: Infinity })) {
      lines.push(line);
    }
    expect(lines.map((line) => JSON.parse(line).user_id)).toEqual([
      'auth0|1',
      'auth0|2',
      'auth0|3',
    ]);
  });
});

describe('emulator plumbing', () => {
  it('stores a secret that GetSecretValue returns by ARN', async () => {
    const arn = await createSecret(secrets, { apiKey: 'sk_test_harness' });

    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: arn }));

    expect(arn).toMatch(/^arn:aws:secretsmanager:us-east-1:\d{12}:secret:/);
    expect(JSON.parse(SecretString ?? '{}')).toEqual({ apiKey: 'sk_test_harness' });
  });

  it('points a default-configured SDK client at the emulator, as handlers build them at module scope', async () => {
    const queue = await createQueueWithDlq(sqs, {
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 1,
    });
    const defaultClient = new SQSClient({});

    try {
      // ListQueues, not a call with a QueueUrl: the SDK sends those to the queue URL's host.
      const queueName = queue.queueUrl.split('/').at(-1);
      const { QueueUrls } = await defaultClient.send(
        new ListQueuesCommand({ QueueNamePrefix: queueName }),
      );
      expect(QueueUrls).toContain(queue.queueUrl);
      expect(process.env.AWS_ENDPOINT_URL).toBe(endpoint);
      expect(inject('awsEnvironment')).toMatchObject({ AWS_REGION: 'us-east-1' });
    } finally {
      defaultClient.destroy();
    }
  });
});
