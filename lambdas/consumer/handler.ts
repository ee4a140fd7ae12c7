import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { consumerEnvironmentSchema, parseConfig } from '../../src/config.ts';
import { createConsumerHandler } from './consumer-handler.ts';

/** SQS event source → WorkOS. Clients live at module scope and are reused across invocations. */
export const handler = createConsumerHandler({
  sqs: new SQSClient({}),
  secrets: new SecretsManagerClient({}),
  config: parseConfig(consumerEnvironmentSchema, process.env),
});
