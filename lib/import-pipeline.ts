import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Topic } from 'aws-cdk-lib/aws-sns';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EnvironmentSettings } from './environment-settings.ts';
import { MigrationLedgerTable } from './migration-ledger-table.ts';
import { addPipelineAlarms, type PipelineAlarms } from './pipeline-alarms.ts';
import {
  addConsumerFunction,
  addSplitterFunction,
  type ConsumerFunction,
  consumerTimeout,
  type SplitterFunction,
} from './pipeline-functions.ts';
import { PipelineKey } from './pipeline-key.ts';
import { addPipelineQueues } from './pipeline-queues.ts';
import { addExportBucket, notifySplitterOfUploads } from './pipeline-storage.ts';
import { addWorkosApiKeySecret } from './workos-api-key-secret.ts';

// The bucket's layout is defined beside the bucket; re-exported so that code that knows the
// pipeline, not its parts, imports it from here.
export {
  EXPORT_PREFIX,
  JOB_PREFIX,
  MANIFEST_SUFFIX,
  REPORT_PREFIX,
  SNAPSHOT_PREFIX,
} from './pipeline-storage.ts';

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
  readonly splitterFunction: SplitterFunction;
  readonly consumerFunction: ConsumerFunction;
  /** Holds the WorkOS API key; the template never contains the key itself. */
  readonly workosApiKeySecret: ISecret;
  /** Every alarm of the pipeline notifies this topic. */
  readonly alarmTopic: Topic;
  readonly alarms: PipelineAlarms['alarms'];

  constructor(scope: Construct, id: string, props: ImportPipelineProps) {
    super(scope, id);
    const { settings } = props;
    const removalPolicy =
      settings.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    // Each part creates its resources in this construct itself, under the ids they had when this
    // constructor created them all: their logical ids, and so the deployed bucket, queues, table
    // and secret, stay what they are. The order matters too: it is the order of the template's
    // resources and of the statements in each role's policy.

    this.dataKey = new PipelineKey(this, 'DataKey', { settings });
    // Operators name the key in their own IAM policies (SECURITY.md); a fixed output id keeps it
    // beside the stack's other outputs for the CLI to read.
    new CfnOutput(this, 'DataKeyArn', {
      value: this.dataKey.keyArn,
      description: 'KMS key of the bucket, queues, ledger, logs and alarms (operators need it)',
    }).overrideLogicalId('DataKeyArn');
    const dataKey = this.dataKey;

    this.exportBucket = addExportBucket(this, { settings, dataKey, removalPolicy });
    const queues = addPipelineQueues(this, { settings, dataKey, removalPolicy, consumerTimeout });
    this.userQueue = queues.userQueue;
    this.deadLetterQueue = queues.deadLetterQueue;
    this.splitterFailureQueue = queues.splitterFailureQueue;
    this.ledgerTable = new MigrationLedgerTable(this, 'LedgerTable', {
      settings,
      encryptionKey: dataKey,
    });
    const workosApiKey = addWorkosApiKeySecret(this, { settings, removalPolicy });
    this.workosApiKeySecret = workosApiKey.secret;

    this.splitterFunction = addSplitterFunction(this, {
      settings,
      dataKey,
      exportBucket: this.exportBucket,
      queues,
      ledgerTable: this.ledgerTable,
      workosApiKey,
    });
    notifySplitterOfUploads(this.exportBucket, this.splitterFunction);
    this.consumerFunction = addConsumerFunction(this, {
      settings,
      dataKey,
      queues,
      ledgerTable: this.ledgerTable,
      workosApiKey,
    });

    const { alarmTopic, alarms } = addPipelineAlarms(this, {
      settings,
      dataKey,
      queues,
      consumerFunction: this.consumerFunction,
    });
    this.alarmTopic = alarmTopic;
    this.alarms = alarms;
  }
}
