import { type CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import {
  createSplitterHandler,
  type SplitOutcome,
} from '../../lambdas/splitter/splitter-handler.ts';
import { parseConfig, splitterEnvironmentSchema } from '../../src/config.ts';
import { DynamoDbMigrationLedger } from '../../src/ledger/dynamodb-ledger.ts';
import {
  createBucket,
  createLedgerTable,
  createQueueWithDlq,
  type TestAwsClients,
} from './aws-clients.ts';
import { InMemoryUserDirectory } from './in-memory-user-directory.ts';
import { fakeLambdaContext } from './lambda-sqs-event-source.ts';

/** A bucket versioned like the stack's export bucket (uploads get version ids). */
export async function createVersionedBucket(s3: S3Client): Promise<string> {
  const bucket = await createBucket(s3);
  await s3.send(
    new PutBucketVersioningCommand({
      Bucket: bucket,
      VersioningConfiguration: { Status: 'Enabled' },
    }),
  );
  return bucket;
}

/**
 * A CloudFormation stack with nothing in it but these outputs: what the operator commands read
 * to find a deployed environment's bucket, queues and table.
 */
export async function createStackWithOutputs(
  cloudformation: CloudFormationClient,
  stackName: string,
  outputs: Record<string, string>,
): Promise<void> {
  await cloudformation.send(
    new CreateStackCommand({
      StackName: stackName,
      TemplateBody: JSON.stringify({
        Resources: { Placeholder: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
        Outputs: Object.fromEntries(
          Object.entries(outputs).map(([key, value]) => [key, { Value: value }]),
        ),
      }),
    }),
  );
}

/**
 * The splitter against moto with a queue and a ledger table of its own, invoked like Lambda with
 * its full 15 minutes: what an upload starts, without the rest of the pipeline.
 */
export async function createSplitterOnMoto(
  aws: Pick<TestAwsClients, 's3' | 'sqs' | 'dynamodb'>,
  namePrefix: string,
) {
  const queues = await createQueueWithDlq(aws.sqs, {
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 30,
    namePrefix,
  });
  const tableName = await createLedgerTable(aws.dynamodb);
  const ledger = new DynamoDbMigrationLedger({
    dynamodb: aws.dynamodb,
    tableName,
    retentionDays: 30,
  });
  const splitter = createSplitterHandler({
    s3: aws.s3,
    sqs: aws.sqs,
    ledger,
    continueSplit: async () => {
      throw new Error('a test job is split in one invocation');
    },
    // An empty WorkOS environment: the job's users are all new.
    workosUsers: async () => new InMemoryUserDirectory(),
    config: parseConfig(splitterEnvironmentSchema, {
      USER_QUEUE_URL: queues.queueUrl,
      LEDGER_TABLE_NAME: tableName,
      WORKOS_API_KEY_SECRET_ID: 'workos/api-key',
    }),
  });
  return {
    queues,
    tableName,
    ledger,
    split: (event: S3Event) =>
      splitter(event, fakeLambdaContext({ remainingMs: 15 * 60 * 1000 })) as Promise<
        SplitOutcome[]
      >,
  };
}
