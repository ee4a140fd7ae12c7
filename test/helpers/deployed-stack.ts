import { type CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import { createBucket } from './aws-clients.ts';

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
