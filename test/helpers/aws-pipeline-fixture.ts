import { gzipSync } from 'node:zlib';
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Context } from 'aws-lambda';
import { expect } from 'vitest';
import { createConsumerHandler } from '../../lambdas/consumer/consumer-handler.ts';
import {
  createSplitterHandler,
  type ExportObject,
  workosUsersFromSecret,
} from '../../lambdas/splitter/splitter-handler.ts';
import {
  consumerEnvironmentSchema,
  parseConfig,
  splitterEnvironmentSchema,
} from '../../src/config.ts';
import { DynamoDbMigrationLedger } from '../../src/ledger/dynamodb-ledger.ts';
import { externalIdFor } from '../../src/model/external-id.ts';
import type { RecordOutcome } from '../../src/model/outcome.ts';
import {
  type RunningWorkOsEmulator,
  startWorkOsEmulator,
  type WorkOsEmulatorOptions,
} from '../../tools/workos-emulator/src/workos-emulator.ts';
import {
  createBucket,
  createLedgerTable,
  createQueueWithDlq,
  createSecret,
  createTestAwsClients,
  queueDepth,
} from './aws-clients.ts';
import { fakeLambdaContext, runSqsEventSource } from './lambda-sqs-event-source.ts';
import { putObjectAndBuildEvent } from './s3-events.ts';

export const fixtureApiKey = 'sk_test_aws_pipeline';

/** A fresh splitter invocation: the splitter Lambda has 15 minutes. */
export function splitterContext(): Context {
  return fakeLambdaContext({ remainingMs: 15 * 60 * 1000 });
}

/**
 * A splitter invocation with all its time until `runsOut()`, asked each time the time left is,
 * holds: from then on it is past the point of yielding, or (`crash`) it is killed there, as
 * Lambda kills an invocation at its time limit.
 */
export function contextRunningOutWhen(
  runsOut: () => boolean,
  behaviour: 'yield' | 'crash',
): Context {
  return {
    ...splitterContext(),
    getRemainingTimeInMillis: () => {
      if (!runsOut()) return 600_000;
      if (behaviour === 'crash') throw new Error('runtime killed the invocation');
      return 60_000;
    },
  };
}

/** A splitter invocation whose clock runs out after `calls` questions about the time left. */
export function contextRunningOutAfter(calls: number, behaviour: 'yield' | 'crash'): Context {
  let asked = 0;
  return contextRunningOutWhen(() => {
    asked += 1;
    return asked > calls;
  }, behaviour);
}

/**
 * The whole AWS pipeline against moto and the WorkOS emulator: the real splitter and consumer
 * handlers with their real SDK clients, a real DynamoDB ledger, and a Lambda-like event source.
 * Only what moto cannot run is stood in for: the splitter's self-invocation is recorded (tests
 * invoke the continuation themselves) and the consumer's "disable my event source" is recorded.
 */
export async function createAwsPipelineFixture(
  endpoint: string,
  {
    secretValue = fixtureApiKey,
    workosTimeoutMs = 5_000,
    snapshotCheckpointEveryPages,
    emulatorOptions = {},
  }: {
    secretValue?: string;
    workosTimeoutMs?: number;
    snapshotCheckpointEveryPages?: number;
    /** WorkOS's limits by default. */
    emulatorOptions?: Omit<WorkOsEmulatorOptions, 'apiKey'>;
  } = {},
) {
  const aws = createTestAwsClients(endpoint);
  const emulator: RunningWorkOsEmulator = await startWorkOsEmulator({
    ...emulatorOptions,
    apiKey: fixtureApiKey,
  });
  const bucket = await createBucket(aws.s3);
  const queues = await createQueueWithDlq(aws.sqs, {
    maxReceiveCount: 5,
    visibilityTimeoutSeconds: 2,
  });
  const secretArn = await createSecret(aws.secrets, secretValue);
  const tableName = await createLedgerTable(aws.dynamodb);
  const ledger = new DynamoDbMigrationLedger({
    dynamodb: aws.dynamodb,
    tableName,
    retentionDays: 30,
  });
  const continuations: ExportObject[] = [];
  const stopRequests: string[] = [];

  const splitterConfig = parseConfig(splitterEnvironmentSchema, {
    USER_QUEUE_URL: queues.queueUrl,
    LEDGER_TABLE_NAME: tableName,
    WORKOS_API_KEY_SECRET_ID: secretArn,
    WORKOS_API_URL: emulator.url,
    WORKOS_TIMEOUT_MS: String(workosTimeoutMs),
  });
  const splitter = createSplitterHandler({
    s3: aws.s3,
    sqs: aws.sqs,
    ledger,
    continueSplit: async (object) => {
      continuations.push(object);
    },
    // The snapshot lists the emulator through the secret and the SDK, as on AWS.
    workosUsers: workosUsersFromSecret(aws.secrets, splitterConfig),
    config: splitterConfig,
    checkpointEvery: 50,
    snapshotCheckpointEveryPages,
  });
  const consumer = createConsumerHandler({
    sqs: aws.sqs,
    secrets: aws.secrets,
    ledger,
    stopConsuming: async (context) => {
      stopRequests.push(context.functionName);
    },
    config: parseConfig(consumerEnvironmentSchema, {
      USER_QUEUE_URL: queues.queueUrl,
      DEAD_LETTER_QUEUE_URL: queues.dlqUrl,
      LEDGER_TABLE_NAME: tableName,
      WORKOS_API_KEY_SECRET_ID: secretArn,
      WORKOS_API_URL: emulator.url,
      TARGET_WRITES_PER_SECOND: '300',
      CONSUMER_MAX_CONCURRENCY: '2',
      MAX_RECEIVE_COUNT: '5',
      WORKOS_TIMEOUT_MS: String(workosTimeoutMs),
    }),
    retryDelaySeconds: () => 1,
  });

  return {
    aws,
    emulator,
    bucket,
    queues,
    ledger,
    splitter,
    consumer,
    continuations,
    stopRequests,

    /** Puts another value in the WorkOS API key's secret (a revoked key, say). */
    async replaceApiKey(value: string) {
      await aws.secrets.send(
        new PutSecretValueCommand({ SecretId: secretArn, SecretString: value }),
      );
    },

    /** Uploads a file as it is and returns its S3 event (the splitter acts on manifests only). */
    async uploadFile(key: string, body: Buffer | string) {
      return putObjectAndBuildEvent(aws.s3, bucket, key, body);
    },

    /** Uploads an export (gzip-compressed when the key ends in .gz) and returns its S3 event. */
    async upload(key: string, lines: string[]) {
      const content = `${lines.join('\n')}\n`;
      return putObjectAndBuildEvent(
        aws.s3,
        bucket,
        key,
        key.endsWith('.gz') ? gzipSync(content) : content,
      );
    },

    /** Runs the consumer like Lambda's event source until the user queue is empty. */
    async drain(
      handler: (event: never, context: Context) => unknown = consumer as never,
      { maxConcurrency = 2 }: { maxConcurrency?: number } = {},
    ) {
      return runSqsEventSource({
        sqs: aws.sqs,
        queueUrl: queues.queueUrl,
        handler: handler as never,
        maxConcurrency,
        context: () => fakeLambdaContext({ remainingMs: 60_000 }),
        until: async () => (await queueDepth(aws.sqs, queues.queueUrl)) === 0,
        timeoutMs: 90_000,
      });
    },

    async outcomesOf(jobId: string): Promise<RecordOutcome[]> {
      const outcomes: RecordOutcome[] = [];
      for await (const outcome of ledger.listOutcomes(jobId)) outcomes.push(outcome);
      return outcomes;
    },

    /**
     * The ledger and WorkOS agree: every record read has exactly one outcome, the counters add
     * up to them, each imported record points at the WorkOS user holding its external id, and no
     * WorkOS user exists twice.
     */
    async expectLedgerMatchesWorkOs(jobId: string) {
      const job = await ledger.getJob(jobId);
      expect(job?.splitState).toBe('split');
      const outcomes = await this.outcomesOf(jobId);
      expect(outcomes).toHaveLength(job?.read ?? -1);
      const counted = Object.values(job?.counts ?? {}).reduce((a, b) => a + b, 0);
      expect(counted).toBe(job?.read);
      for (const status of ['created', 'updated', 'unchanged', 'rejected', 'failed'] as const) {
        expect(outcomes.filter((outcome) => outcome.status === status)).toHaveLength(
          job?.counts[status] ?? -1,
        );
      }
      const users = emulator.users();
      expect(new Set(users.map((user) => user.email.toLowerCase())).size).toBe(users.length);
      expect(new Set(users.map((user) => user.externalId)).size).toBe(users.length);
      const byId = new Map(users.map((user) => [user.id, user]));
      for (const outcome of outcomes) {
        // Organizations and memberships have their own ids; users are checked here.
        if (!outcome.workosUserId?.startsWith('user_')) continue;
        if (outcome.status === 'created' || outcome.status === 'updated') {
          expect(byId.get(outcome.workosUserId ?? '')?.externalId).toBe(
            externalIdFor(outcome.sourceId ?? ''),
          );
        }
      }
      return { job, outcomes };
    },

    async close() {
      await emulator.close();
    },
  };
}

export type AwsPipelineFixture = Awaited<ReturnType<typeof createAwsPipelineFixture>>;
