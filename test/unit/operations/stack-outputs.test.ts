import {
  CloudFormationClient,
  CloudFormationServiceException,
  DescribeStacksCommand,
  type Output,
  type Stack,
  type StackStatus,
} from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { readStackOutputs } from '../../../src/operations/stack-outputs.ts';

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
};

function stackWith(
  outputs: Record<string, string>,
  status: StackStatus = 'UPDATE_COMPLETE',
): { Stacks: Stack[] } {
  const Outputs: Output[] = Object.entries(outputs).map(([OutputKey, OutputValue]) => ({
    OutputKey,
    OutputValue,
  }));
  return {
    Stacks: [
      {
        StackName: 'WorkosUserImport-staging',
        StackStatus: status,
        CreationTime: new Date(),
        Outputs,
      },
    ],
  };
}

beforeEach(() => {
  cloudformationMock.reset();
});

describe('readStackOutputs', () => {
  it('reads the queues of WorkosUserImport-<env> from its outputs', async () => {
    cloudformationMock.on(DescribeStacksCommand).resolves(stackWith(deployedOutputs));

    const outputs = await readStackOutputs(cloudformation, 'staging');

    expect(cloudformationMock).toHaveReceivedCommandExactlyOnceWith(DescribeStacksCommand, {
      StackName: 'WorkosUserImport-staging',
    });
    expect(outputs).toEqual({
      stackName: 'WorkosUserImport-staging',
      exportBucketName: deployedOutputs.ExportBucketName,
      exportPrefix: 'exports/',
      jobPrefix: 'jobs/',
      userQueueUrl: deployedOutputs.UserQueueUrl,
      userQueueArn: deployedOutputs.UserQueueArn,
      deadLetterQueueUrl: deployedOutputs.DeadLetterQueueUrl,
      deadLetterQueueArn: deployedOutputs.DeadLetterQueueArn,
      workosApiKeySecretArn: deployedOutputs.WorkosApiKeySecretArn,
      splitterFailureQueueUrl: deployedOutputs.SplitterFailureQueueUrl,
    });
  });

  it('says a missing stack is not deployed and how to deploy it', async () => {
    // What CloudFormation answers for an unknown stack name: a ValidationError, no NotFound.
    cloudformationMock.on(DescribeStacksCommand).rejects(
      new CloudFormationServiceException({
        name: 'ValidationError',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
        message: 'Stack with id WorkosUserImport-staging does not exist',
      }),
    );

    const reading = readStackOutputs(cloudformation, 'staging');

    await expect(reading).rejects.toThrow(ConfigError);
    await expect(reading).rejects.toThrow('Stack WorkosUserImport-staging not found');
    await expect(reading).rejects.toThrow('`npm run cdk -- deploy -c env=staging`');
  });

  it('names every missing output, so the operator knows the stack is out of date', async () => {
    const { UserQueueArn: _, DeadLetterQueueArn: __, ...olderOutputs } = deployedOutputs;
    cloudformationMock.on(DescribeStacksCommand).resolves(stackWith(olderOutputs));

    const reading = readStackOutputs(cloudformation, 'staging');

    await expect(reading).rejects.toThrow(ConfigError);
    await expect(reading).rejects.toThrow(
      /WorkosUserImport-staging \(status UPDATE_COMPLETE\).*UserQueueArn \(missing\), DeadLetterQueueArn \(missing\)/,
    );
  });

  it('rejects an output that is not what the stack declares (a URL where an ARN belongs)', async () => {
    cloudformationMock
      .on(DescribeStacksCommand)
      .resolves(
        stackWith({ ...deployedOutputs, UserQueueArn: deployedOutputs.UserQueueUrl ?? '' }),
      );

    await expect(readStackOutputs(cloudformation, 'staging')).rejects.toThrow(/UserQueueArn \(/);
  });

  it('passes other CloudFormation errors through unchanged', async () => {
    const denied = new CloudFormationServiceException({
      name: 'AccessDenied',
      $fault: 'client',
      $metadata: { httpStatusCode: 403 },
      message: 'User is not authorized to perform: cloudformation:DescribeStacks',
    });
    cloudformationMock.on(DescribeStacksCommand).rejects(denied);

    await expect(readStackOutputs(cloudformation, 'staging')).rejects.toBe(denied);
  });
});
