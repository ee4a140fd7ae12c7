import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentSettings } from './environment-settings.ts';
import { EXPORT_PREFIX, ImportPipeline, JOB_PREFIX } from './import-pipeline.ts';
import { PipelineMonitoring } from './pipeline-monitoring.ts';

/** Properties of an {@link ImportPipelineStack}. */
export interface ImportPipelineStackProps extends StackProps {
  /** The settings of the environment this stack deploys. */
  readonly settings: EnvironmentSettings;
}

/**
 * One environment's import pipeline. Its outputs are what the operator CLI reads to find the
 * bucket, the queues, the ledger, the functions and the secret, so nobody types a queue URL by
 * hand.
 */
export class ImportPipelineStack extends Stack {
  readonly pipeline: ImportPipeline;

  constructor(scope: Construct, id: string, props: ImportPipelineStackProps) {
    super(scope, id, props);
    const pipeline = new ImportPipeline(this, 'ImportPipeline', { settings: props.settings });
    this.pipeline = pipeline;
    new PipelineMonitoring(this, 'Monitoring', { pipeline });

    const output = (id: string, value: string, description: string) =>
      new CfnOutput(this, id, { value, description });
    output('ExportBucketName', pipeline.exportBucket.bucketName, 'Bucket that receives exports');
    output('ExportPrefix', EXPORT_PREFIX, 'Key prefix under which an upload starts an import');
    output(
      'JobPrefix',
      JOB_PREFIX,
      'Key prefix of jobs of several files (started by manifest.json)',
    );
    output('UserQueueUrl', pipeline.userQueue.queueUrl, 'Queue of users to import');
    output('UserQueueArn', pipeline.userQueue.queueArn, 'Destination of a dead-letter redrive');
    output('DeadLetterQueueUrl', pipeline.deadLetterQueue.queueUrl, 'Users not imported');
    output('DeadLetterQueueArn', pipeline.deadLetterQueue.queueArn, 'Source of a redrive');
    output(
      'WorkosApiKeySecretArn',
      pipeline.workosApiKeySecret.secretArn,
      'Secret holding the WorkOS API key (set it with aws secretsmanager put-secret-value)',
    );
    output(
      'SplitterFailureQueueUrl',
      pipeline.splitterFailureQueue.queueUrl,
      'S3 events and continuations the splitter failed on after its retries',
    );
    output(
      'LedgerTableName',
      pipeline.ledgerTable.tableName,
      'Migration ledger: jobs and outcomes',
    );
    output(
      'SplitterFunctionName',
      pipeline.splitterFunction.functionName,
      'Splitter: invoke it to resume a job',
    );
    output(
      'ConsumerFunctionName',
      pipeline.consumerFunction.functionName,
      'Consumer: find its event source mapping to re-enable it after a halt',
    );
  }
}
