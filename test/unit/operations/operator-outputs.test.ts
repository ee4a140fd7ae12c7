import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { readOperatorOutputs } from '../../../src/operations/stack-outputs.ts';

const cloudformationMock = mockClient(CloudFormationClient);
const cloudformation = new CloudFormationClient({ region: 'eu-west-1' });

const deployedOutputs: Record<string, string> = {
  ExportBucketName: 'workosuserimport-staging-exportbucket-1abc',
  ExportPrefix: 'exports/',
  UserQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/users',
  UserQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:users',
  DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/users-dlq',
  DeadLetterQueueArn: 'arn:aws:sqs:eu-west-1:123456789012:users-dlq',
  WorkosApiKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:workos-AbCdEf',
  SplitterFailureQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/splitter-failures',
  LedgerTableName: 'WorkosUserImport-staging-LedgerTable-XYZ',
  ConsumerFunctionName: 'WorkosUserImport-staging-ConsumerFunction-ABC',
  SplitterFunctionName: 'WorkosUserImport-staging-SplitterFunction-DEF',
};

function describeStackWith(outputs: Record<string, string>) {
  cloudformationMock.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'WorkosUserImport-staging',
        StackStatus: 'UPDATE_COMPLETE',
        CreationTime: new Date(),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({
          OutputKey,
          OutputValue,
        })),
      },
    ],
  });
}

beforeEach(() => {
  cloudformationMock.reset();
});

describe('readOperatorOutputs()', () => {
  it('reads the ledger table and the functions besides the queues, in one call', async () => {
    describeStackWith(deployedOutputs);

    const outputs = await readOperatorOutputs(cloudformation, 'staging');

    expect(outputs).toMatchObject({
      stackName: 'WorkosUserImport-staging',
      exportBucketName: deployedOutputs.ExportBucketName,
      deadLetterQueueUrl: deployedOutputs.DeadLetterQueueUrl,
      ledgerTableName: deployedOutputs.LedgerTableName,
      consumerFunctionName: deployedOutputs.ConsumerFunctionName,
      splitterFunctionName: deployedOutputs.SplitterFunctionName,
    });
    expect(cloudformationMock).toHaveReceivedCommandTimes(DescribeStacksCommand, 1);
  });

  it('names a missing ledger output and how to deploy one that has it', async () => {
    const { LedgerTableName: _dropped, ...older } = deployedOutputs;
    describeStackWith(older);

    const reading = readOperatorOutputs(cloudformation, 'staging');

    await expect(reading).rejects.toBeInstanceOf(ConfigError);
    await expect(reading).rejects.toThrow(
      /LedgerTableName \(missing\).*npm run cdk -- deploy -c env=staging/,
    );
  });
});
