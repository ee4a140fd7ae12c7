import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { parseConfig, splitterEnvironmentSchema } from '../../src/config.ts';
import { createSplitterHandler } from './splitter-handler.ts';

/** S3 ObjectCreated → one SQS message per user. Clients live at module scope. */
export const handler = createSplitterHandler({
  s3: new S3Client({}),
  sqs: new SQSClient({}),
  config: parseConfig(splitterEnvironmentSchema, process.env),
});
