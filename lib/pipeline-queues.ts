import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledge } from './compliance-checks.ts';
import type { EnvironmentSettings } from './environment-settings.ts';
import type { PipelineKey } from './pipeline-key.ts';

/** Long enough for a 10 M-user import (about 2.4 days at 48 writes/s) with days to spare. */
export const userQueueRetention = Duration.days(7);
/** The maximum SQS allows: failures must outlive the source messages they came from. */
const failureQueueRetention = Duration.days(14);

/** Properties of {@link addPipelineQueues}. */
export interface PipelineQueuesProps {
  readonly settings: Pick<EnvironmentSettings, 'maxReceiveCount'>;
  /** Encrypts every queue. */
  readonly dataKey: PipelineKey;
  readonly removalPolicy: RemovalPolicy;
  /** The timeout of the function that consumes the user queue. */
  readonly consumerTimeout: Duration;
}

/** The pipeline's queues: the users to import and the two failure sinks. */
export interface PipelineQueues {
  /** One message per user, written by the splitter, read by the consumer. */
  readonly userQueue: Queue;
  /** Users that could not be imported: moved by SQS after `maxReceiveCount`, or by the consumer with a reason. */
  readonly deadLetterQueue: Queue;
  /** S3 events (and continuation requests) whose splitter invocation failed after its retries. */
  readonly splitterFailureQueue: Queue;
}

/**
 * The user queue with its dead-letter queue, and the splitter's failure queue.
 *
 * Created in `scope` itself, under the ids `DeadLetterQueue`, `UserQueue` and
 * `SplitterFailureQueue`, not in a construct of their own: the logical ids are the ones deployed
 * stacks already have, and a new one would replace a queue and the users waiting in it.
 */
export function addPipelineQueues(scope: Construct, props: PipelineQueuesProps): PipelineQueues {
  const { settings, dataKey, removalPolicy, consumerTimeout } = props;
  // Every queue carries whole user messages (emails, names, password hashes): the key's
  // policy and IAM decide who can read them, not only SQS permissions.
  const queueEncryption = {
    encryption: QueueEncryption.KMS,
    encryptionMasterKey: dataKey,
  } as const;
  const deadLetterQueue = new Queue(scope, 'DeadLetterQueue', {
    ...queueEncryption,
    enforceSSL: true,
    // A standard queue's message keeps its original enqueue time when it moves to the
    // dead-letter queue, so this must be longer than the user queue's retention, or a message
    // dead-lettered late would expire almost at once.
    retentionPeriod: failureQueueRetention,
    removalPolicy,
  });

  const userQueue = new Queue(scope, 'UserQueue', {
    ...queueEncryption,
    enforceSSL: true,
    retentionPeriod: userQueueRetention,
    // AWS's guidance for Lambda consumers: at least 6 × the function timeout, so a batch still
    // in flight after throttling and retries is not delivered twice.
    visibilityTimeout: Duration.seconds(6 * consumerTimeout.toSeconds()),
    deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
    removalPolicy,
  });

  const splitterFailureQueue = new Queue(scope, 'SplitterFailureQueue', {
    ...queueEncryption,
    enforceSSL: true,
    retentionPeriod: failureQueueRetention,
    removalPolicy,
  });
  acknowledge(
    splitterFailureQueue,
    'AwsSolutions-SQS3',
    "This queue is itself a failure sink: the on-failure destination of the splitter's asynchronous invocations. Nothing consumes it automatically, so a dead-letter queue behind it would never receive a message; the SplitterFailuresNotEmpty alarm fires on its first message.",
  );
  return { userQueue, deadLetterQueue, splitterFailureQueue };
}
