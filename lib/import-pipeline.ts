import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { RecursiveLoop } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { BlockPublicAccess, Bucket, BucketEncryption, EventType } from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { consumerEnvironmentSchema, splitterEnvironmentSchema } from '../src/config.ts';
import type { EnvironmentSettings } from './environment-settings.ts';
import { NodeFunction } from './node-function.ts';

/** Uploads under this prefix start an import; nothing else in the bucket does. */
export const EXPORT_PREFIX = 'exports/';
/** The splitter writes per-job reports here: outside {@link EXPORT_PREFIX}, so they trigger nothing. */
export const REPORT_PREFIX = 'reports/';

/** The consumer's timeout; the user queue's visibility timeout is derived from it. */
const consumerTimeout = Duration.seconds(60);
/** Long enough for a 10 M-user import (about 3 days at 45 writes/s) with days to spare. */
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
  /** Where operators upload exports (under {@link EXPORT_PREFIX}) and read reports. */
  readonly exportBucket: Bucket;
  /** One message per user, written by the splitter, read by the consumer. */
  readonly userQueue: Queue;
  /** Users that could not be imported: moved by SQS after `maxReceiveCount`, or by the consumer with a reason. */
  readonly deadLetterQueue: Queue;
  /** S3 events whose splitter invocation failed after its retries. */
  readonly splitterFailureQueue: Queue;
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
  };

  constructor(scope: Construct, id: string, props: ImportPipelineProps) {
    super(scope, id);
    const { settings } = props;
    const removalPolicy =
      settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.exportBucket = new Bucket(this, 'ExportBucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // S3-managed keys for now. A customer-managed KMS key goes here as
      // `encryption: BucketEncryption.KMS, encryptionKey`; the grant*() calls below then extend
      // to the key by themselves, so neither function needs another change.
      encryption: BucketEncryption.S3_MANAGED,
      versioned: true,
      lifecycleRules: [
        {
          // Exports hold password hashes: keep them no longer than the import needs.
          expiration: Duration.days(settings.exportRetentionDays),
          // Versioning is for recovering from a mistaken overwrite, not for keeping old exports.
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A standard queue's message keeps its original enqueue time when it moves to the
      // dead-letter queue, so this must be longer than the user queue's retention, or a message
      // dead-lettered late would expire almost at once.
      retentionPeriod: failureQueueRetention,
      removalPolicy,
    });

    this.userQueue = new Queue(this, 'UserQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: userQueueRetention,
      // AWS's guidance for Lambda consumers: at least 6 × the function timeout, so a batch still
      // in flight after throttling and retries is not delivered twice.
      visibilityTimeout: Duration.seconds(6 * consumerTimeout.toSeconds()),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
      removalPolicy,
    });

    this.splitterFailureQueue = new Queue(this, 'SplitterFailureQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: failureQueueRetention,
      removalPolicy,
    });

    this.workosApiKeySecret =
      settings.workosApiKeySecretName === undefined
        ? new Secret(this, 'WorkosApiKey', {
            description:
              'WorkOS API key for the user import. Set it with aws secretsmanager put-secret-value.',
            removalPolicy,
          })
        : Secret.fromSecretNameV2(this, 'WorkosApiKey', settings.workosApiKeySecretName);

    this.splitterFunction = new NodeFunction(this, 'SplitterFunction', {
      description: 'Splits an uploaded export into one queue message per user',
      entry: 'lambdas/splitter/handler.ts',
      timeout: Duration.minutes(15),
      memorySize: 1024,
      settings,
      environmentSchema: splitterEnvironmentSchema,
      environment: {
        USER_QUEUE_URL: this.userQueue.queueUrl,
        REPORT_PREFIX,
        DEFAULT_SOURCE_FORMAT: undefined,
      },
    });
    this.splitterFunction.configureAsyncInvoke({
      retryAttempts: 2,
      onFailure: new SqsDestination(this.splitterFailureQueue),
    });
    this.exportBucket.addEventNotification(
      EventType.OBJECT_CREATED,
      new LambdaDestination(this.splitterFunction),
      { prefix: EXPORT_PREFIX },
    );
    this.exportBucket.grantRead(this.splitterFunction, `${EXPORT_PREFIX}*`);
    this.exportBucket.grantPut(this.splitterFunction, `${REPORT_PREFIX}*`);
    this.userQueue.grantSendMessages(this.splitterFunction);

    this.consumerFunction = new NodeFunction(this, 'ConsumerFunction', {
      description: 'Imports queued users into WorkOS at a paced rate',
      entry: 'lambdas/consumer/handler.ts',
      timeout: consumerTimeout,
      memorySize: 512,
      settings,
      environmentSchema: consumerEnvironmentSchema,
      environment: {
        USER_QUEUE_URL: this.userQueue.queueUrl,
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
    this.consumerFunction.addEventSource(
      new SqsEventSource(this.userQueue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(1),
        // Caps instances, not the rate: each instance paces itself to
        // targetWritesPerSecond / consumerMaxConcurrency, so together they stay under the limit.
        maxConcurrency: settings.consumerMaxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    // Receive and delete, and change visibility to retry a user later.
    this.userQueue.grantConsumeMessages(this.consumerFunction);
    // Deferred users go back on the queue with a delay.
    this.userQueue.grantSendMessages(this.consumerFunction);
    // Permanent failures are dead-lettered by the consumer itself, with a reason attribute.
    this.deadLetterQueue.grantSendMessages(this.consumerFunction);
    this.workosApiKeySecret.grantRead(this.consumerFunction);

    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: 'WorkOS user import alarms' });
    if (settings.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new EmailSubscription(settings.alarmEmail));
    }
    const alarmAction = new SnsAction(this.alarmTopic);
    const alarmWhenAbove = (
      id: string,
      metric: IMetric,
      threshold: number,
      alarmDescription: string,
    ): Alarm => {
      const alarm = new Alarm(this, id, {
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
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
        'An uploaded export could not be split. The messages hold the S3 events; read the splitter logs.',
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
    };
  }
}
