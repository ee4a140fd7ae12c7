import { Duration, Names, Stack } from 'aws-cdk-lib';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type EventSourceMapping, type IDestination, RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { consumerEnvironmentSchema, splitterEnvironmentSchema } from '../src/config.ts';
import { acknowledge } from './compliance-checks.ts';
import type { EnvironmentSettings } from './environment-settings.ts';
import type { MigrationLedgerTable } from './migration-ledger-table.ts';
import { NodeFunction } from './node-function.ts';
import { keyActions, type PipelineKey } from './pipeline-key.ts';
import type { PipelineQueues } from './pipeline-queues.ts';
import { EXPORT_PREFIX, JOB_PREFIX, REPORT_PREFIX, SNAPSHOT_PREFIX } from './pipeline-storage.ts';
import { splitterNodeFlags } from './splitter-runtime.ts';
import type { WorkosApiKeySecret } from './workos-api-key-secret.ts';

/** The consumer's timeout; the user queue's visibility timeout is derived from it. */
export const consumerTimeout = Duration.seconds(60);

export type SplitterFunction = NodeFunction<typeof splitterEnvironmentSchema>;
export type ConsumerFunction = NodeFunction<typeof consumerEnvironmentSchema>;

/** Properties of {@link addSplitterFunction}. */
export interface SplitterFunctionProps {
  /** The function defaults, and the ledger's retention. */
  readonly settings: EnvironmentSettings;
  readonly dataKey: PipelineKey;
  /** Where the splitter reads exports and writes reports. */
  readonly exportBucket: Bucket;
  /** Where it sends users, and where its failed invocations go. */
  readonly queues: Pick<PipelineQueues, 'userQueue' | 'splitterFailureQueue'>;
  readonly ledgerTable: MigrationLedgerTable;
  /** The split lists the WorkOS environment's users first, with this key. */
  readonly workosApiKey: WorkosApiKeySecret;
}

/**
 * The splitter: lists the WorkOS environment, reads an export, sends one message per user to the
 * user queue, keeps the job in the ledger; with the exact permissions it calls with, and its
 * failure destination.
 *
 * Created in `scope` itself, under the id `SplitterFunction`, not in a construct of its own: the
 * logical ids of the function, its role and its log group are the ones deployed stacks have.
 */
export function addSplitterFunction(
  scope: Construct,
  props: SplitterFunctionProps,
): SplitterFunction {
  const { settings, dataKey, exportBucket, ledgerTable, workosApiKey } = props;
  const { userQueue, splitterFailureQueue } = props.queues;
  const splitter = new NodeFunction(scope, 'SplitterFunction', {
    description: 'Splits an uploaded export into one queue message per user',
    nodeFlags: splitterNodeFlags,
    entry: 'lambdas/splitter/handler.ts',
    timeout: Duration.minutes(15),
    memorySize: 1024,
    settings,
    logEncryptionKey: dataKey,
    environmentSchema: splitterEnvironmentSchema,
    environment: {
      USER_QUEUE_URL: userQueue.queueUrl,
      ...ledgerEnvironment(ledgerTable, settings),
      REPORT_PREFIX,
      EXPORT_PREFIX,
      JOB_PREFIX,
      SNAPSHOT_PREFIX,
      ...workosEnvironment(workosApiKey, settings),
    },
    // Before its 15 minutes run out, the splitter invokes itself asynchronously to continue the
    // export where it stopped. Lambda's loop detection would end that chain after 16 hops; the
    // export's size bounds it instead, as each hop splits about 14 minutes of records and the
    // ledger's checkpoint makes a repeated hop resume rather than start over.
    recursiveLoop: RecursiveLoop.ALLOW,
  });
  // Applies to S3's invocations and to the splitter's own continuations alike: a hop that fails
  // three times lands in the failure queue naming its export, and the ledger's checkpoint lets
  // the job resume where that hop stopped.
  splitter.configureAsyncInvoke({
    retryAttempts: 2,
    onFailure: failureDestination(splitterFailureQueue, dataKey),
  });
  // The continuation permission lives on the function (a resource-based policy), not on the
  // role: an identity policy naming the function's own ARN would make the role's policy depend
  // on the function, which already depends on that policy, a cycle CloudFormation rejects.
  splitter.addPermission('ContinueSplitInvoke', {
    principal: splitter.grantPrincipal,
    action: 'lambda:InvokeFunction',
  });
  // Exactly the splitter's calls, rather than grantRead()/grantPut(), whose wildcards would add
  // bucket listing, bucket configuration, object ACLs, tags, retention and legal holds.
  for (const prefix of [EXPORT_PREFIX, JOB_PREFIX]) {
    exportBucket.grants.actionsOnObjectKeys(
      splitter,
      `${prefix}*`,
      's3:GetObject',
      // The splitter reads the version S3 notified, so a re-upload cannot change a running job.
      's3:GetObjectVersion',
    );
  }
  exportBucket.grants.actionsOnObjectKeys(splitter, `${REPORT_PREFIX}*`, 's3:PutObject');
  // Each job's WorkOS snapshot and its listing checkpoint: written, then read back by the
  // job's later invocations.
  exportBucket.grants.actionsOnObjectKeys(
    splitter,
    `${SNAPSHOT_PREFIX}*`,
    's3:GetObject',
    's3:PutObject',
  );
  // Which of a job's snapshot objects exist, by listing the snapshot prefix and nothing else:
  // without s3:ListBucket, S3 answers a GET of an absent key 403, not 404.
  splitter.addToRolePolicy(
    new PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [exportBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': `${SNAPSHOT_PREFIX}*` } },
    }),
  );
  // Decrypt to read an export or a snapshot, a data key to write a report or a snapshot; through
  // S3 only. (The bucket's
  // own grants would add the key to the role without that condition.)
  dataKey.grantUseVia(splitter, 's3', keyActions.readAndWrite);
  acknowledgeExportBucketGrants(splitter, exportBucket);
  // SendMessageBatch is authorized as SendMessage. grantSendMessages() would add
  // GetQueueAttributes, GetQueueUrl and, on an encrypted queue, wildcard KMS actions.
  userQueue.grant(splitter, 'sqs:SendMessage');
  dataKey.grantUseVia(splitter, 'sqs', keyActions.readAndWrite);
  // Claims a job with a conditional put, checkpoints it, records rejections.
  ledgerTable.grantItemReadWrite(splitter);
  // Lists the environment's users before the split: the key's value, nothing else of the secret.
  workosApiKey.grantGetSecretValue(splitter);
  return splitter;
}

/** Properties of {@link addConsumerFunction}. */
export interface ConsumerFunctionProps {
  /** The function defaults, the WorkOS pace and the ledger's retention. */
  readonly settings: EnvironmentSettings;
  readonly dataKey: PipelineKey;
  /** The queue it consumes, and where it dead-letters users it cannot import. */
  readonly queues: Pick<PipelineQueues, 'userQueue' | 'deadLetterQueue'>;
  readonly ledgerTable: MigrationLedgerTable;
  readonly workosApiKey: WorkosApiKeySecret;
}

/**
 * The consumer: imports the users of the user queue into WorkOS at a paced rate, records their
 * outcomes in the ledger; with its event source mapping and the exact permissions it calls with.
 *
 * Created in `scope` itself, under the id `ConsumerFunction` (and `ConsumerSelfStopPolicy`), not
 * in a construct of its own: the logical ids of the function, its role, its log group and its
 * event source mapping are the ones deployed stacks have.
 */
export function addConsumerFunction(
  scope: Construct,
  props: ConsumerFunctionProps,
): ConsumerFunction {
  const { settings, dataKey, ledgerTable, workosApiKey } = props;
  const { userQueue, deadLetterQueue } = props.queues;
  const consumer = new NodeFunction(scope, 'ConsumerFunction', {
    description: 'Imports queued users into WorkOS at a paced rate',
    entry: 'lambdas/consumer/handler.ts',
    timeout: consumerTimeout,
    memorySize: 512,
    settings,
    logEncryptionKey: dataKey,
    environmentSchema: consumerEnvironmentSchema,
    environment: {
      USER_QUEUE_URL: userQueue.queueUrl,
      ...ledgerEnvironment(ledgerTable, settings),
      DEAD_LETTER_QUEUE_URL: deadLetterQueue.queueUrl,
      ...workosEnvironment(workosApiKey, settings),
      TARGET_WRITES_PER_SECOND: String(settings.targetWritesPerSecond),
      CONSUMER_MAX_CONCURRENCY: String(settings.consumerMaxConcurrency),
      MAX_RECEIVE_COUNT: String(settings.maxReceiveCount),
    },
    // The consumer puts deferred users back on its own trigger queue on purpose. Lambda's loop
    // detection would stop a message after 16 such hops; the message's `deferrals` count is
    // what bounds the loop instead.
    recursiveLoop: RecursiveLoop.ALLOW,
  });
  // The mapping SqsEventSource would create, under the id it would give it (so a deployed
  // mapping is kept, not replaced), without its grants: those add sqs:GetQueueUrl, which
  // nothing calls, and kms:Decrypt with no service condition.
  const userQueueSource = consumer.addEventSourceMapping(
    `SqsEventSource:${Names.nodeUniqueId(userQueue.node)}`,
    {
      eventSourceArn: userQueue.queueArn,
      batchSize: 10,
      maxBatchingWindow: Duration.seconds(1),
      // Caps instances, not the rate: each instance paces itself to
      // targetWritesPerSecond / consumerMaxConcurrency, so together they stay under the limit.
      maxConcurrency: settings.consumerMaxConcurrency,
      reportBatchItemFailures: true,
    },
  );
  userQueue.grant(
    consumer,
    // What Lambda's poller needs to receive, delete and check the queue.
    'sqs:ReceiveMessage',
    'sqs:DeleteMessage',
    'sqs:GetQueueAttributes',
    // Retry a user later.
    'sqs:ChangeMessageVisibility',
    // Deferred users go back on the queue with a delay.
    'sqs:SendMessage',
  );
  // Permanent failures are dead-lettered by the consumer itself, with a reason attribute.
  deadLetterQueue.grant(consumer, 'sqs:SendMessage');
  // Decrypt received users, a data key for the ones it sends; through SQS only.
  dataKey.grantUseVia(consumer, 'sqs', keyActions.readAndWrite);
  workosApiKey.grantGetSecretValue(consumer);
  // Reads a record's outcome to skip a duplicate, records outcomes in transactions, halts a job.
  ledgerTable.grantItemReadWrite(consumer);
  grantConsumerSelfStop(scope, consumer, userQueueSource);
  return consumer;
}

/** Both functions call WorkOS, with the same key and API. */
function workosEnvironment(
  workosApiKey: WorkosApiKeySecret,
  settings: Pick<EnvironmentSettings, 'workosApiUrl'>,
) {
  return {
    // The secret's id only: the function reads the key from Secrets Manager at run time.
    WORKOS_API_KEY_SECRET_ID: workosApiKey.secretId,
    WORKOS_API_URL: settings.workosApiUrl,
    WORKOS_TIMEOUT_MS: undefined,
  };
}

/** Both functions keep the ledger, and expire its entries alike. */
function ledgerEnvironment(
  ledgerTable: MigrationLedgerTable,
  settings: Pick<EnvironmentSettings, 'ledgerRetentionDays'>,
) {
  return {
    LEDGER_TABLE_NAME: ledgerTable.tableName,
    LEDGER_RETENTION_DAYS: String(settings.ledgerRetentionDays),
  };
}

/**
 * The splitter's on-failure destination. SqsDestination would grant the role
 * grantSendMessages() on the queue, which on an encrypted queue means wildcard KMS actions;
 * this grants exactly SendMessage and the key through SQS.
 */
function failureDestination(queue: Queue, key: PipelineKey): IDestination {
  return {
    bind: (_scope, fn) => {
      queue.grant(fn, 'sqs:SendMessage');
      key.grantUseVia(fn, 'sqs', keyActions.readAndWrite);
      return { destination: queue.queueArn };
    },
  };
}

/**
 * On an invalid WorkOS API key every user would fail alike, so the consumer disables its own
 * event source mapping and the users wait in the queue instead of being dead-lettered one by
 * one. The mapping's UUID cannot be in the consumer's environment (the mapping depends on the
 * function), so the consumer lists its mappings at run time.
 */
function grantConsumerSelfStop(
  scope: Construct,
  consumer: ConsumerFunction,
  eventSource: EventSourceMapping,
): void {
  // A policy of its own, not the role's default policy: the function depends on its default
  // policy, so naming the function or its mapping there would be a cycle. Nothing depends on
  // this one, and the consumer needs it only when it stops.
  const policy = new Policy(scope, 'ConsumerSelfStopPolicy', {
    roles: [consumer.role],
    statements: [
      // ListEventSourceMappings supports no resource-level permissions.
      new PolicyStatement({ actions: ['lambda:ListEventSourceMappings'], resources: ['*'] }),
      new PolicyStatement({
        actions: ['lambda:UpdateEventSourceMapping'],
        // Its own mapping only, and only while that mapping feeds the consumer.
        resources: [eventSource.eventSourceMappingArn],
        conditions: { StringEquals: { 'lambda:FunctionArn': consumer.functionArn } },
      }),
    ],
  });
  acknowledge(
    policy,
    'AwsSolutions-IAM5[Resource::*]',
    "lambda:ListEventSourceMappings supports no resource-level permissions, so its resource must be *. It only reads mapping configuration; the one action that changes a mapping is limited to the consumer's own mapping and function.",
  );
}

/** The splitter's bucket grants are scoped by key prefix, which cdk-nag reads as a wildcard. */
function acknowledgeExportBucketGrants(splitter: SplitterFunction, exportBucket: Bucket): void {
  const bucket = exportBucket.node.defaultChild as CfnBucket;
  const bucketArn = `<${Stack.of(bucket).getLogicalId(bucket)}.Arn>`;
  acknowledge(
    splitter.role,
    `AwsSolutions-IAM5[Resource::${bucketArn}/${EXPORT_PREFIX}*]`,
    'The splitter reads whichever export S3 notifies it of, so it may read (GetObject, GetObjectVersion) every object under the export prefix, and nothing outside it.',
  );
  acknowledge(
    splitter.role,
    `AwsSolutions-IAM5[Resource::${bucketArn}/${JOB_PREFIX}*]`,
    'The splitter reads the manifest S3 notifies it of and the files it names beside it, so it may read (GetObject, GetObjectVersion) every object under the job prefix, and nothing outside it.',
  );
  acknowledge(
    splitter.role,
    `AwsSolutions-IAM5[Resource::${bucketArn}/${REPORT_PREFIX}*]`,
    'The splitter names each report after its job, so it may write (PutObject only) every object under the report prefix, and nothing outside it, in particular not the exports.',
  );
  acknowledge(
    splitter.role,
    `AwsSolutions-IAM5[Resource::${bucketArn}/${SNAPSHOT_PREFIX}*]`,
    "The splitter keeps each job's WorkOS snapshot under the snapshot prefix in a folder named after the job, so it may write and read back (PutObject, GetObject) every object under that prefix, and nothing outside it; it may neither delete them nor touch the exports.",
  );
}
