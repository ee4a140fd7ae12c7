import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { parseConfig, splitterEnvironmentSchema } from '../../src/config.ts';
import {
  createSplitterHandler,
  dynamoDbLedger,
  lambdaContinuation,
  workosUsersFromSecret,
} from './splitter-handler.ts';

const config = parseConfig(splitterEnvironmentSchema, process.env);

/**
 * S3 ObjectCreated → a snapshot of WorkOS, then one SQS message per user. Clients live at
 * module scope.
 */
export const handler = createSplitterHandler({
  s3: new S3Client({}),
  sqs: new SQSClient({}),
  ledger: dynamoDbLedger(new DynamoDBClient({}), config),
  continueSplit: lambdaContinuation(new LambdaClient({})),
  workosUsers: workosUsersFromSecret(new SecretsManagerClient({}), config),
  config,
});
