import {
  ArnFormat,
  CfnOutput,
  Duration,
  Names,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AnyPrincipal, Effect, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type EventSourceMapping, type IDestination, RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  EventType,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { consumerEnvironmentSchema, splitterEnvironmentSchema } from '../src/config.ts';
import type { EnvironmentSettings } from './environment-settings.ts';
import { MigrationLedgerTable } from './migration-ledger-table.ts';
import { NodeFunction } from './node-function.ts';
import { keyActions, PipelineKey } from './pipeline-key.ts';
import { splitterNodeFlags } from './splitter-runtime.ts';

/** Each upload under this prefix starts an import of that one file. */
export const EXPORT_PREFIX = 'exports/';
/**
 * Jobs of several files: `jobs/<name>/manifest.json` starts the job, the files beside it do not
 * start anything by themselves (they are uploaded first).
 */
export const JOB_PREFIX = 'jobs/';
/** The object that starts a job of several files. */
export const MANIFEST_SUFFIX = '/manifest.json';
/** The splitter writes per-job reports here: outside {@link EXPORT_PREFIX}, so they trigger nothing. */
export const REPORT_PREFIX = 'reports/';

/** The consumer's timeout; the user queue's visibility timeout is derived from it. */
const consumerTimeout = Duration.seconds(60);
/** Long enough for a 10 M-user import (about 2.4 days at 48 writes/s) with days to spare. */
const userQueueRetention = Duration.days(7);
/** The maximum SQS allows: failures must outlive the source messages they came from. */
const failureQueueRetention = Duration.days(14);

/** Properties of an {@link ImportPipeline}. */
export interface ImportPipelineProps {
  /**
   * The environment's settings. The event source, the redrive policy and the consumer's
   * environment all read their numbers from this one object, so they cannot disagree.
   */
  readonly settings: EnvironmentSettings;
}

/**
 * Export bucket → splitter → user queue (with a dead-letter queue) → consumer capped at
 * `consumerMaxConcurrency` → WorkOS. Every asynchronous edge ends in a queue with an alarm.
 */
export class ImportPipeline extends Construct {
  /**
   * The environment's customer-managed key: the bucket, the queues, the ledger, the log groups
   * and the alarm topic are all encrypted with it.
   */
  readonly dataKey: PipelineKey;
  /** Where operators upload exports (under {@link EXPORT_PREFIX}) and read reports. */
  readonly exportBucket: Bucket;
  /** One message per user, written by the splitter, read by the consumer. */
  readonly userQueue: Queue;
  /** Users that could not be imported: moved by SQS after `maxReceiveCount`, or by the consumer with a reason. */
  readonly deadLetterQueue: Queue;
  /** S3 events (and continuation requests) whose splitter invocation failed after its retries. */
  readonly splitterFailureQueue: Queue;
  /** The migration ledger: every job and the terminal outcome of every record it read. */
  readonly ledgerTable: MigrationLedgerTable;
  readonly splitterFunction: NodeFunction<typeof splitterEnvironmentSchema>;
  readonly consumerFunction: NodeFunction<typeof consumerEnvironmentSchema>;
  /** Holds the WorkOS API key; the template never contains the key itself. */
  readonly workosApiKeySecret: ISecret;
  /** Every alarm of the pipeline notifies this topic. */
  readonly alarmTopic: Topic;
  readonly alarms: {
    readonly deadLetterQueueNotEmpty: Alarm;
    readonly splitterFailuresNotEmpty: Alarm;
    readonly userQueueStale: Alarm;
    readonly consumerErrors: Alarm;
    readonly userQueueNotDraining: Alarm;
  };

  constructor(scope: Construct, id: string, props: ImportPipelineProps) {
    super(scope, id);
    const { settings } = props;
    const removalPolicy =
      settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.dataKey = new PipelineKey(this, 'DataKey', { settings });
    // Operators name the key in their own IAM policies (SECURITY.md); a fixed output id keeps it
    // beside the stack's other outputs for the CLI to read.
    new CfnOutput(this, 'DataKeyArn', {
      value: this.dataKey.keyArn,
      description: 'KMS key of the bucket, queues, ledger, logs and alarms (operators need it)',
    }).overrideLogicalId('DataKeyArn');

    this.exportBucket = new Bucket(this, 'ExportBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // No ACLs at all: the bucket policy and IAM are the only ways in.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.KMS,
      encryptionKey: this.dataKey,
      // One KMS call per bucket key instead of one per object: cheaper, and far fewer KMS
      // requests against the account's quota when an import writes reports.
      bucketKeyEnabled: true,
      versioned: true,
      // No prefix filter: the rules cover exports/ and reports/ alike, and anything else.
      lifecycleRules: [
        {
          id: 'expire-exports-and-reports',
          // Exports hold password hashes: keep them no longer than the import needs.
          expiration: Duration.days(settings.exportRetentionDays),
          // Versioning is for recovering from a mistaken overwrite, not for keeping old exports.
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
        {
          // S3 forbids this beside `expiration` in one rule. Once an expired export's old
          // version is gone, its delete marker is all that is left: remove it too.
          id: 'remove-expired-delete-markers',
          expiredObjectDeleteMarker: true,
        },
      ],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });
    this.requireTheDataKeyForEveryObject();
    acknowledge(
      this.exportBucket,
      'AwsSolutions-S1',
      'No server access logs: the bucket holds short-lived exports (exportRetentionDays) that operators upload and the splitter reads. A log bucket would be one more store to secure and expire; object-level audit, where required, comes from CloudTrail S3 data events on the account trail.',
    );

    // Every queue carries whole user messages (emails, names, password hashes): the key's
    // policy and IAM decide who can read them, not only SQS permissions.
    const queueEncryption = {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: this.dataKey,
    } as const;
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      ...queueEncryption,
      enforceSSL: true,
      // A standard queue's message keeps its original enqueue time when it moves to the
      // dead-letter queue, so this must be longer than the user queue's retention, or a message
      // dead-lettered late would expire almost at once.
      retentionPeriod: failureQueueRetention,
      removalPolicy,
    });

    this.userQueue = new Queue(this, 'UserQueue', {
      ...queueEncryption,
      enforceSSL: true,
      retentionPeriod: userQueueRetention,
      // AWS's guidance for Lambda consumers: at least 6 × the function timeout, so a batch still
      // in flight after throttling and retries is not delivered twice.
      visibilityTimeout: Duration.seconds(6 * consumerTimeout.toSeconds()),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
      removalPolicy,
    });

    this.splitterFailureQueue = new Queue(this, 'SplitterFailureQueue', {
      ...queueEncryption,
      enforceSSL: true,
      retentionPeriod: failureQueueRetention,
      removalPolicy,
    });
    acknowledge(
      this.splitterFailureQueue,
      'AwsSolutions-SQS3',
      "This queue is itself a failure sink: the on-failure destination of the splitter's asynchronous invocations. Nothing consumes it automatically, so a dead-letter queue behind it would never receive a message; the SplitterFailuresNotEmpty alarm fires on its first message.",
    );

    this.ledgerTable = new MigrationLedgerTable(this, 'LedgerTable', {
      settings,
      encryptionKey: this.dataKey,
    });
    const ledgerEnvironment = {
      LEDGER_TABLE_NAME: this.ledgerTable.tableName,
      LEDGER_RETENTION_DAYS: String(settings.ledgerRetentionDays),
    };

    if (settings.workosApiKeySecretName === undefined) {
      const secret = new Secret(this, 'WorkosApiKey', {
        description:
          'WorkOS API key for the user import. Set it with aws secretsmanager put-secret-value.',
        removalPolicy,
      });
      acknowledge(
        secret,
        'AwsSolutions-SMG4',
        'The secret holds a WorkOS API key, which only the WorkOS dashboard issues and revokes, so a Secrets Manager rotation Lambda cannot rotate it. Operators rotate it by hand (new key in WorkOS, put-secret-value, revoke the old key); the consumer re-reads the secret every 5 minutes, so no redeploy is needed.',
      );
      this.workosApiKeySecret = secret;
    } else {
      this.workosApiKeySecret = Secret.fromSecretNameV2(
        this,
        'WorkosApiKey',
        settings.workosApiKeySecretName,
      );
    }

    this.splitterFunction = new NodeFunction(this, 'SplitterFunction', {
      description: 'Splits an uploaded export into one queue message per user',
      nodeFlags: splitterNodeFlags,
      entry: 'lambdas/splitter/handler.ts',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      settings,
      logEncryptionKey: this.dataKey,
      environmentSchema: splitterEnvironmentSchema,
      environment: {
        USER_QUEUE_URL: this.userQueue.queueUrl,
        ...ledgerEnvironment,
        REPORT_PREFIX,
        EXPORT_PREFIX,
        JOB_PREFIX,
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
    this.splitterFunction.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: this.splitterFailureDestination(),
    });
    // The continuation permission lives on the function (a resource-based policy), not on the
    // role: an identity policy naming the function's own ARN would make the role's policy depend
    // on the function, which already depends on that policy, a cycle CloudFormation rejects.
    this.splitterFunction.addPermission('ContinueSplitInvoke', {
      principal: this.splitterFunction.grantPrincipal,
      action: 'lambda:InvokeFunction',
    });
    this.exportBucket.addEventNotification(
      EventType.OBJECT_CREATED,
      new LambdaDestination(this.splitterFunction),
      { prefix: EXPORT_PREFIX },
    );
    this.exportBucket.addEventNotification(
      EventType.OBJECT_CREATED,
      new LambdaDestination(this.splitterFunction),
      { prefix: JOB_PREFIX, suffix: MANIFEST_SUFFIX },
    );
    this.acknowledgeNotificationsHandler();
    // Exactly the splitter's calls, rather than grantRead()/grantPut(), whose wildcards would add
    // bucket listing, bucket configuration, object ACLs, tags, retention and legal holds.
    for (const prefix of [EXPORT_PREFIX, JOB_PREFIX]) {
      this.exportBucket.grants.actionsOnObjectKeys(
        this.splitterFunction,
        `${prefix}*`,
        's3:GetObject',
        // The splitter reads the version S3 notified, so a re-upload cannot change a running job.
        's3:GetObjectVersion',
      );
    }
    this.exportBucket.grants.actionsOnObjectKeys(
      this.splitterFunction,
      `${REPORT_PREFIX}*`,
      's3:PutObject',
    );
    // Decrypt to read an export, a data key to write a report; through S3 only. (The bucket's
    // own grants would add the key to the role without that condition.)
    this.dataKey.grantUseVia(this.splitterFunction, 's3', keyActions.readAndWrite);
    this.acknowledgeExportBucketGrants();
    // SendMessageBatch is authorized as SendMessage. grantSendMessages() would add
    // GetQueueAttributes, GetQueueUrl and, on an encrypted queue, wildcard KMS actions.
    this.userQueue.grant(this.splitterFunction, 'sqs:SendMessage');
    this.dataKey.grantUseVia(this.splitterFunction, 'sqs', keyActions.readAndWrite);
    // Claims a job with a conditional put, checkpoints it, records rejections.
    this.ledgerTable.grantItemReadWrite(this.splitterFunction);

    this.consumerFunction = new NodeFunction(this, 'ConsumerFunction', {
      description: 'Imports queued users into WorkOS at a paced rate',
      entry: 'lambdas/consumer/handler.ts',
      timeout: consumerTimeout,
      memorySize: 512,
      settings,
      logEncryptionKey: this.dataKey,
      environmentSchema: consumerEnvironmentSchema,
      environment: {
        USER_QUEUE_URL: this.userQueue.queueUrl,
        ...ledgerEnvironment,
        DEAD_LETTER_QUEUE_URL: this.deadLetterQueue.queueUrl,
        // The secret's id only: the function reads the key from Secrets Manager at run time.
        WORKOS_API_KEY_SECRET_ID:
          settings.workosApiKeySecretName ?? this.workosApiKeySecret.secretArn,
        WORKOS_API_URL: settings.workosApiUrl,
        TARGET_WRITES_PER_SECOND: String(settings.targetWritesPerSecond),
        CONSUMER_MAX_CONCURRENCY: String(settings.consumerMaxConcurrency),
        MAX_RECEIVE_COUNT: String(settings.maxReceiveCount),
        WORKOS_TIMEOUT_MS: undefined,
      },
      // The consumer puts deferred users back on its own trigger queue on purpose. Lambda's loop
      // detection would stop a message after 16 such hops; the message's `deferrals` count is
      // what bounds the loop instead.
      recursiveLoop: RecursiveLoop.ALLOW,
    });
    // The mapping SqsEventSource would create, under the id it would give it (so a deployed
    // mapping is kept, not replaced), without its grants: those add sqs:GetQueueUrl, which
    // nothing calls, and kms:Decrypt with no service condition.
    const userQueueSource = this.consumerFunction.addEventSourceMapping(
      `SqsEventSource:${Names.nodeUniqueId(this.userQueue.node)}`,
      {
        eventSourceArn: this.userQueue.queueArn,
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        // Caps instances, not the rate: each instance paces itself to
        // targetWritesPerSecond / consumerMaxConcurrency, so together they stay under the limit.
        maxConcurrency: settings.consumerMaxConcurrency,
        reportBatchItemFailures: true,
      },
    );
    this.userQueue.grant(
      this.consumerFunction,
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
    this.deadLetterQueue.grant(this.consumerFunction, 'sqs:SendMessage');
    // Decrypt received users, a data key for the ones it sends; through SQS only.
    this.dataKey.grantUseVia(this.consumerFunction, 'sqs', keyActions.readAndWrite);
    // GetSecretValue only: grantRead() adds DescribeSecret, which the consumer never calls.
    this.consumerFunction.addToRolePolicy(
      new PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.workosApiKeySecretArnForPolicies(settings)],
      }),
    );
    if (settings.workosApiKeySecretName !== undefined) {
      acknowledge(
        this.consumerFunction.role,
        `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${settings.workosApiKeySecretName}-??????]`,
        'A secret named in the settings is known by name only; Secrets Manager appends six random characters to its ARN, which this pattern matches and nothing more.',
      );
    }
    // Reads a record's outcome to skip a duplicate, records outcomes in transactions, halts a job.
    this.ledgerTable.grantItemReadWrite(this.consumerFunction);
    this.grantConsumerSelfStop(userQueueSource);

    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'WorkOS user import alarms',
      enforceSSL: true,
      // The key's policy lets CloudWatch publish alarms to it (see PipelineKey).
      masterKey: this.dataKey,
    });
    if (settings.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new EmailSubscription(settings.alarmEmail));
    }
    const alarmAction = new SnsAction(this.alarmTopic);
    const alarmWhenAbove = (
      id: string,
      metric: IMetric,
      threshold: number,
      alarmDescription: string,
      evaluationPeriods = 1,
    ): Alarm => {
      const alarm = new Alarm(this, id, {
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription,
      });
      alarm.addAlarmAction(alarmAction);
      return alarm;
    };
    const everyMinute = { period: Duration.minutes(1), statistic: Stats.MAXIMUM };
    this.alarms = {
      deadLetterQueueNotEmpty: alarmWhenAbove(
        'DeadLetterQueueNotEmpty',
        this.deadLetterQueue.metricApproximateNumberOfMessagesVisible(everyMinute),
        0,
        'Users could not be imported. Read the FailureReason attribute of the dead-lettered messages, fix the cause, then redrive.',
      ),
      splitterFailuresNotEmpty: alarmWhenAbove(
        'SplitterFailuresNotEmpty',
        this.splitterFailureQueue.metricApproximateNumberOfMessagesVisible(everyMinute),
        0,
        'An uploaded export could not be split. The messages hold the S3 events or the continuation requests; read the splitter logs.',
      ),
      userQueueStale: alarmWhenAbove(
        'UserQueueStale',
        this.userQueue.metricApproximateAgeOfOldestMessage({
          period: Duration.minutes(5),
          statistic: Stats.MAXIMUM,
        }),
        // Half the retention: a normal multi-day import stays below it, and a stalled one leaves
        // days to act before SQS deletes unimported users.
        userQueueRetention.toSeconds() / 2,
        'Users have waited longer than half the queue retention. Is the consumer failing or paused?',
      ),
      consumerErrors: alarmWhenAbove(
        'ConsumerErrors',
        this.consumerFunction.metricErrors({ period: Duration.minutes(5), statistic: Stats.SUM }),
        0,
        'The consumer failed whole batches (a thrown error or a timeout, not a single user). Read its logs.',
      ),
      // A consumer that stopped itself (an invalid API key disables its event source mapping)
      // throws nothing, so the errors alarm stays quiet, and the stale-queue alarm would wait
      // days. This one watches the queue instead of the code: users are waiting and none was
      // deleted for 15 minutes. It also catches a mapping disabled by hand or a broken response.
      userQueueNotDraining: alarmWhenAbove(
        'UserQueueNotDraining',
        new MathExpression({
          expression: 'IF(waiting > 0 AND FILL(deleted, 0) == 0, 1, 0)',
          usingMetrics: {
            waiting: this.userQueue.metricApproximateNumberOfMessagesVisible({
              statistic: Stats.MINIMUM,
            }),
            deleted: this.userQueue.metricNumberOfMessagesDeleted({ statistic: Stats.SUM }),
          },
          period: Duration.minutes(5),
          label: 'Users waiting while none is consumed',
        }),
        0,
        'Users are waiting in the queue and the consumer has deleted none for 15 minutes. If the consumer stopped itself on an invalid WorkOS API key, its event source mapping is disabled: put a valid key in the secret, then re-enable the mapping (aws lambda list-event-source-mappings --function-name <ConsumerFunctionName>; aws lambda update-event-source-mapping --uuid <uuid> --enabled) and resume the halted job. Otherwise read the consumer logs.',
        3,
      ),
    };
  }

  /**
   * On an invalid WorkOS API key every user would fail alike, so the consumer disables its own
   * event source mapping and the users wait in the queue instead of being dead-lettered one by
   * one. The mapping's UUID cannot be in the consumer's environment (the mapping depends on the
   * function), so the consumer lists its mappings at run time.
   */
  private grantConsumerSelfStop(eventSource: EventSourceMapping): void {
    const consumer = this.consumerFunction;
    // A policy of its own, not the role's default policy: the function depends on its default
    // policy, so naming the function or its mapping there would be a cycle. Nothing depends on
    // this one, and the consumer needs it only when it stops.
    const policy = new Policy(this, 'ConsumerSelfStopPolicy', {
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

  /**
   * Every object in the bucket is encrypted with the data key: the bucket's default does that
   * for an upload that names no encryption, and these refuse an upload that asks for another
   * (SSE-S3, or another KMS key), which S3 would otherwise honour.
   */
  private requireTheDataKeyForEveryObject(): void {
    const denyPut = (sid: string, condition: Record<string, string>) =>
      this.exportBucket.addToResourcePolicy(
        new PolicyStatement({
          sid,
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: ['s3:PutObject'],
          resources: [this.exportBucket.arnForObjects('*')],
          conditions: { StringNotEqualsIfExists: condition },
        }),
      );
    denyPut('DenyObjectsNotEncryptedWithKms', { 's3:x-amz-server-side-encryption': 'aws:kms' });
    denyPut('DenyObjectsEncryptedWithAnotherKey', {
      's3:x-amz-server-side-encryption-aws-kms-key-id': this.dataKey.keyArn,
    });
  }

  /**
   * The splitter's on-failure destination. SqsDestination would grant the role
   * grantSendMessages() on the queue, which on an encrypted queue means wildcard KMS actions;
   * this grants exactly SendMessage and the key through SQS.
   */
  private splitterFailureDestination(): IDestination {
    const queue = this.splitterFailureQueue;
    const key = this.dataKey;
    return {
      bind: (_scope, fn) => {
        queue.grant(fn, 'sqs:SendMessage');
        key.grantUseVia(fn, 'sqs', keyActions.readAndWrite);
        return { destination: queue.queueArn };
      },
    };
  }

  /**
   * The ARN the consumer's policy names: the created secret's, or for a secret named in the
   * settings, its name followed by the six random characters Secrets Manager appends.
   */
  private workosApiKeySecretArnForPolicies(settings: EnvironmentSettings): string {
    if (settings.workosApiKeySecretName === undefined) return this.workosApiKeySecret.secretArn;
    return Stack.of(this).formatArn({
      service: 'secretsmanager',
      resource: 'secret',
      resourceName: `${settings.workosApiKeySecretName}-??????`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * S3 notifications are written at deploy time by CDK's singleton BucketNotificationsHandler,
   * created at the stack's root by addEventNotification().
   */
  private acknowledgeNotificationsHandler(): void {
    const handler = Stack.of(this).node.children.find((child) =>
      child.node.id.startsWith('BucketNotificationsHandler'),
    );
    if (handler === undefined) return; // CDK renamed it: cdk-nag will say so, by its new name.
    acknowledge(
      handler,
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      "CDK's BucketNotificationsHandler runs only during deployments, to write the export bucket's notification configuration, and CDK gives its role the basic execution policy so it can log to a log group Lambda creates on first run. A role of our own would need the same log permissions on a wildcard.",
    );
  }

  /** The splitter's bucket grants are scoped by key prefix, which cdk-nag reads as a wildcard. */
  private acknowledgeExportBucketGrants(): void {
    const bucket = this.exportBucket.node.defaultChild as CfnBucket;
    const bucketArn = `<${Stack.of(this).getLogicalId(bucket)}.Arn>`;
    const role = this.splitterFunction.role;
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::${bucketArn}/${EXPORT_PREFIX}*]`,
      'The splitter reads whichever export S3 notifies it of, so it may read (GetObject, GetObjectVersion) every object under the export prefix, and nothing outside it.',
    );
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::${bucketArn}/${JOB_PREFIX}*]`,
      'The splitter reads the manifest S3 notifies it of and the files it names beside it, so it may read (GetObject, GetObjectVersion) every object under the job prefix, and nothing outside it.',
    );
    acknowledge(
      role,
      `AwsSolutions-IAM5[Resource::${bucketArn}/${REPORT_PREFIX}*]`,
      'The splitter names each report after its job, so it may write (PutObject only) every object under the report prefix, and nothing outside it, in particular not the exports.',
    );
  }
}

/**
 * Accepts a cdk-nag finding on `scope` and everything under it, with the reason it is not fixed.
 * Every acknowledgement is listed in `test/infra/cdk-nag.test.ts`, so a new one is a reviewed
 * change rather than a quiet one.
 */
function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}
