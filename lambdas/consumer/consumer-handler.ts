import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import {
  type LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ConsumerConfig } from '../../src/config.ts';
import { importBatchOrHalt } from '../../src/import/halt-import.ts';
import { WritePacer } from '../../src/import/write-pacer.ts';
import type { MigrationLedger } from '../../src/ledger/migration-ledger.ts';
import { logger } from '../../src/logger.ts';
import type { ReceivedMessage } from '../../src/queue/queue-types.ts';
import { sqsQueueControl } from '../../src/queue/sqs-queue-control.ts';
import { WorkOsOrganizationDirectory } from '../../src/workos/organization-directory.ts';
import type { UserDirectory } from '../../src/workos/user-directory.ts';
import { WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import { workOsClientsFromSecret } from '../shared/workos-from-secret.ts';

export interface ConsumerHandlerDependencies {
  sqs: SQSClient;
  secrets: SecretsManagerClient;
  config: ConsumerConfig;
  ledger: MigrationLedger;
  /**
   * Stops this consumer from taking more messages (on AWS: disables its event source mapping).
   * Called when WorkOS refuses the API key: every record would fail the same way.
   */
  stopConsuming: (context: Context) => Promise<void>;
  /** Delay before a transient failure is retried; the consumer's backoff policy by default. */
  retryDelaySeconds?: (receiveCount: number) => number;
}

interface WorkOsDirectories {
  directory: UserDirectory;
  organizations: WorkOsOrganizationDirectory;
}

/** Builds the consumer Lambda's handler around the clients and configuration it is given. */
export function createConsumerHandler({
  sqs,
  secrets,
  config,
  ledger,
  stopConsuming,
  retryDelaySeconds,
}: ConsumerHandlerDependencies) {
  // Each concurrent instance takes an equal share of the environment's write rate.
  const pacer = new WritePacer({
    writesPerSecond: config.TARGET_WRITES_PER_SECOND / config.CONSUMER_MAX_CONCURRENCY,
  });
  const queue = sqsQueueControl({
    sqs,
    queueUrl: config.USER_QUEUE_URL,
    deadLetterQueueUrl: config.DEAD_LETTER_QUEUE_URL,
  });
  const directoriesForCurrentKey = workOsClientsFromSecret(
    secrets,
    config,
    (workos): WorkOsDirectories => ({
      directory: new WorkOsUserDirectory(workos),
      organizations: new WorkOsOrganizationDirectory(workos),
    }),
  );

  return (
    middy<SQSEvent, SQSBatchResponse>()
      // logEvent false, explicitly: whole events carry emails and password hashes, and an
      // environment variable (POWERTOOLS_LOGGER_LOG_EVENT) must never be able to log them.
      .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
      .handler(async (event, context) => {
        const messages = receivedMessagesOf(event);
        const result = await importBatchOrHalt(
          messages,
          {
            ...(await directoriesForCurrentKey()),
            pacer,
            queue,
            ledger,
            logger,
            maxReceiveCount: config.MAX_RECEIVE_COUNT,
            ...(retryDelaySeconds ? { retryDelaySeconds } : {}),
          },
          // Every record would fail the same way: stop taking messages until the key is fixed.
          () => stopConsuming(context),
        );
        // The partial batch response is built here, not by Powertools' BatchProcessor: the batch
        // is not a set of independent records. All of them share one pacer, a 429 pauses every
        // write, a deferral acknowledges a record that is re-sent, and a refused key must leave
        // the whole batch unacknowledged, which a per-record processor cannot express.
        return {
          batchItemFailures: result.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })),
        };
      })
  );
}

function receivedMessagesOf(event: SQSEvent): ReceivedMessage[] {
  return event.Records.map((record) => ({
    messageId: record.messageId,
    body: record.body,
    receiptHandle: record.receiptHandle,
    receiveCount: Number(record.attributes.ApproximateReceiveCount) || 1,
  }));
}

/**
 * The production stop: disables this function's event source mapping (its one trigger, the user
 * queue), so no
 * batch is taken (and no receive count spent) until an operator re-enables it.
 */
export function disableOwnEventSource(lambda: LambdaClient) {
  return async (context: Context): Promise<void> => {
    const mappings = await lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: context.functionName }),
    );
    for (const mapping of mappings.EventSourceMappings ?? []) {
      if (mapping.UUID === undefined) continue;
      await lambda.send(
        new UpdateEventSourceMappingCommand({ UUID: mapping.UUID, Enabled: false }),
      );
      logger.error('Consumer event source disabled', { eventSourceMappingId: mapping.UUID });
    }
  };
}
