/**
 * Real AWS SDK v3 clients pointed at the emulator (moto or LocalStack), and the few resource
 * helpers the integration tests share. Every helper creates uniquely named resources, so test
 * files can run in parallel against one emulator without resetting it.
 */
import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { ledgerTable } from '../../src/ledger/ledger-table.ts';

export const testAwsRegion = 'us-east-1';
export const testAwsCredentials = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

export interface TestAwsClients {
  s3: S3Client;
  sqs: SQSClient;
  secrets: SecretsManagerClient;
  dynamodb: DynamoDBClient;
}

export function createTestAwsClients(endpoint: string): TestAwsClients {
  const config = { endpoint, region: testAwsRegion, credentials: { ...testAwsCredentials } };
  return {
    // moto serves buckets on paths, not on virtual-host names.
    s3: new S3Client({ ...config, forcePathStyle: true }),
    sqs: new SQSClient(config),
    secrets: new SecretsManagerClient(config),
    dynamodb: oneRequestAtATime(new DynamoDBClient(config)),
  };
}

/** A short unique suffix; names stay valid for buckets (lowercase) and queues (≤ 80 chars). */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 13)}`.toLowerCase();
}

export interface QueueWithDlq {
  queueUrl: string;
  queueArn: string;
  dlqUrl: string;
  dlqArn: string;
}

export interface QueueWithDlqOptions {
  maxReceiveCount: number;
  visibilityTimeoutSeconds: number;
  /** Readable part of the generated names; defaults to `test-users`. */
  namePrefix?: string;
}

/** A queue whose redrive policy (the same shape CloudFormation writes) moves messages to a new DLQ. */
export async function createQueueWithDlq(
  sqs: SQSClient,
  { maxReceiveCount, visibilityTimeoutSeconds, namePrefix = 'test-users' }: QueueWithDlqOptions,
): Promise<QueueWithDlq> {
  const name = uniqueName(namePrefix);
  const dlqUrl = await createQueue(sqs, `${name}-dlq`, {});
  const dlqArn = await queueArn(sqs, dlqUrl);
  const queueUrl = await createQueue(sqs, name, {
    VisibilityTimeout: String(visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
  });
  return { queueUrl, queueArn: await queueArn(sqs, queueUrl), dlqUrl, dlqArn };
}

async function createQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
  );
  if (!QueueUrl) throw new Error(`CreateQueue returned no QueueUrl for ${name}`);
  return QueueUrl;
}

export async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes returned no QueueArn for ${queueUrl}`);
  return arn;
}

/** Creates an empty bucket with a unique name and returns the name. */
export async function createBucket(s3: S3Client, namePrefix = 'test-exports'): Promise<string> {
  const bucket = uniqueName(namePrefix);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return bucket;
}

/** Creates a secret with a unique name; objects are stored as JSON. Returns the secret's ARN. */
export async function createSecret(
  secrets: SecretsManagerClient,
  value: string | Record<string, unknown>,
  namePrefix = 'test/workos',
): Promise<string> {
  const { ARN } = await secrets.send(
    new CreateSecretCommand({
      Name: uniqueName(namePrefix),
      SecretString: typeof value === 'string' ? value : JSON.stringify(value),
    }),
  );
  if (!ARN) throw new Error('CreateSecret returned no ARN');
  return ARN;
}

/**
 * Creates a uniquely named migration ledger table with the layout the CDK construct deploys (keys,
 * jobs index, TTL, on-demand billing) and returns its name once it is active.
 */
export async function createLedgerTable(
  dynamodb: DynamoDBClient,
  namePrefix = 'test-ledger',
): Promise<string> {
  const tableName = uniqueName(namePrefix);
  const { partitionKey, sortKey, jobsIndex, timeToLiveAttribute } = ledgerTable;
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [partitionKey, sortKey, jobsIndex.partitionKey, jobsIndex.sortKey].map(
        (AttributeName) => ({ AttributeName, AttributeType: 'S' }),
      ),
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: jobsIndex.name,
          KeySchema: [
            { AttributeName: jobsIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: jobsIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  // LocalStack creates tables asynchronously; moto's are active at once and this returns directly.
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: tableName });
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: timeToLiveAttribute, Enabled: true },
    }),
  );
  return tableName;
}

export interface DrainedMessage {
  messageId: string;
  body: string;
  /** System attributes, e.g. `ApproximateReceiveCount`, `SentTimestamp`. */
  attributes: Record<string, string>;
  messageAttributes: Record<string, MessageAttributeValue>;
}

/**
 * Receives and deletes every message that is visible now, until a receive comes back empty.
 * Messages in flight (received by someone else and not yet visible again) are not returned.
 * Receiving counts as a receive: on a queue with a redrive policy it can move messages to the DLQ.
 */
export async function drainQueue(
  sqs: SQSClient,
  queueUrl: string,
  { waitTimeSeconds = 0 }: { waitTimeSeconds?: number } = {},
): Promise<DrainedMessage[]> {
  const drained: DrainedMessage[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: waitTimeSeconds,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return drained;
    for (const message of Messages) {
      drained.push({
        messageId: message.MessageId ?? '',
        body: message.Body ?? '',
        attributes: { ...message.Attributes },
        messageAttributes: { ...message.MessageAttributes },
      });
    }
    const { Failed = [] } = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
    if (Failed.length > 0) {
      throw new Error(
        `drainQueue could not delete ${Failed.length} message(s): ${Failed[0]?.Code}`,
      );
    }
  }
}

export interface QueueCounts {
  visible: number;
  notVisible: number;
  delayed: number;
}

export async function queueCounts(sqs: SQSClient, queueUrl: string): Promise<QueueCounts> {
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
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
    notVisible: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

/**
 * Every message still on the queue: visible, in flight, and delayed (a consumer's requeue with
 * a delay is still work to do).
 */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { visible, notVisible, delayed } = await queueCounts(sqs, queueUrl);
  return visible + notVisible + delayed;
}

/**
 * moto 5.2 does not isolate DynamoDB transactions: it snapshots the whole table when a
 * transaction starts, without a lock, and restores that snapshot when the transaction is
 * cancelled, erasing what concurrent requests wrote meanwhile (a lost counter increment). Real
 * DynamoDB serialises writes per item, so the tests send moto one request at a time; the
 * ledger's conditions still meet each other's writes and fail and retry as they would on AWS.
 */
function oneRequestAtATime(client: DynamoDBClient): DynamoDBClient {
  let previous: Promise<unknown> = Promise.resolve();
  client.middlewareStack.add(
    (next) => async (args) => {
      const turn = previous.then(() => next(args));
      previous = turn.catch(() => undefined);
      return turn;
    },
    { step: 'finalizeRequest', name: 'serializeForMoto' },
  );
  return client;
}
