import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { consumerEnvironmentSchema, parseConfig } from '../../src/config.ts';
import { DynamoDbMigrationLedger } from '../../src/ledger/dynamodb-ledger.ts';
import { createConsumerHandler, disableOwnEventSource } from './consumer-handler.ts';

const config = parseConfig(consumerEnvironmentSchema, process.env);

/** SQS event source → WorkOS. Clients live at module scope and are reused across invocations. */
export const handler = createConsumerHandler({
  sqs: new SQSClient({}),
  secrets: new SecretsManagerClient({}),
  ledger: new DynamoDbMigrationLedger({
    dynamodb: new DynamoDBClient({}),
    tableName: config.LEDGER_TABLE_NAME,
    retentionDays: config.LEDGER_RETENTION_DAYS,
  }),
  stopConsuming: disableOwnEventSource(new LambdaClient({})),
  config,
});
