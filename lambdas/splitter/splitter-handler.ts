import type { Readable } from 'node:stream';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, S3Event } from 'aws-lambda';
import type { SplitterConfig } from '../../src/config.ts';
import { DynamoDbMigrationLedger } from '../../src/ledger/dynamodb-ledger.ts';
import type { MigrationLedger } from '../../src/ledger/migration-ledger.ts';
import { logger } from '../../src/logger.ts';
import { jobIdFor } from '../../src/model/job-id.ts';
import { isManifestKey } from '../../src/model/job-manifest.ts';
import type { RecordOutcome } from '../../src/model/outcome.ts';
import { formatOutcomeReport } from '../../src/model/outcome-report.ts';
import { SqsImportMessageSink } from '../../src/queue/sqs-import-message-sink.ts';
import type { OpenKey } from '../../src/split/describe-job.ts';
import { jobOfUploadedObject } from '../../src/split/job-source.ts';
import { runSplit } from '../../src/split/run-split.ts';
import type { SplitSummary } from '../../src/split/split-export.ts';

/** One uploaded export, as named by an S3 event. */
export interface ExportObject {
  bucket: string;
  key: string;
  versionId?: string;
  eTag?: string;
}

/** The event a splitter sends itself to go on with an export it could not finish in time. */
export interface SplitContinuationEvent {
  continueSplit: ExportObject;
}

export type SplitterEvent = S3Event | SplitContinuationEvent;

/** Hands the rest of an export to a fresh invocation. */
export type ContinueSplit = (object: ExportObject, context: Context) => Promise<void>;

export interface SplitterHandlerDependencies {
  s3: S3Client;
  sqs: SQSClient;
  ledger: MigrationLedger;
  continueSplit: ContinueSplit;
  config: SplitterConfig;
  /** Records between checkpoints (20,000 by default). */
  checkpointEvery?: number;
}

/** Stop reading this long before the Lambda limit: flush, checkpoint and hand over. */
const yieldBeforeDeadlineMs = 90_000;

export type SplitOutcome =
  | SplitSummary
  | { jobId: string; skipped: 'already_split' | 'in_progress' };

/** Builds the splitter Lambda's handler around the clients and configuration it is given. */
export function createSplitterHandler(deps: SplitterHandlerDependencies) {
  return (
    middy<SplitterEvent, SplitOutcome[]>()
      // logEvent false, explicitly: whole events carry emails and password hashes, and an
      // environment variable (POWERTOOLS_LOGGER_LOG_EVENT) must never be able to log them.
      .use(injectLambdaContext(logger, { resetKeys: true, logEvent: false }))
      .handler(async (event, context) => {
        const outcomes: SplitOutcome[] = [];
        for (const object of exportObjectsOf(event)) {
          // A job's files start nothing: its manifest, uploaded last, does. S3's notification
          // filter already says so; this holds if a filter is ever widened by hand.
          if (object.key.startsWith(deps.config.JOB_PREFIX) && !isManifestKey(object.key)) {
            logger.info('Not a job manifest; left for its job', { key: object.key });
            continue;
          }
          const outcome = await splitExportObject(object, deps, context);
          if ('completed' in outcome && !outcome.completed)
            await deps.continueSplit(object, context);
          outcomes.push(outcome);
        }
        return outcomes;
      })
  );
}

/**
 * Splits one job, or the rest of it: an export object (one file), or a manifest naming several
 * files. Claims the job in the ledger (a duplicate S3 event finds it taken or done), streams
 * exactly the version the event names from where the last run stopped, enqueues its records and
 * writes this run's rejected records to `<REPORT_PREFIX><jobId>/rejected*.csv` in the same bucket.
 */
export async function splitExportObject(
  object: ExportObject,
  { s3, sqs, ledger, config, checkpointEvery }: SplitterHandlerDependencies,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<SplitOutcome> {
  const jobId = jobIdFor(object);
  logger.appendKeys({ jobId });
  // The claim ends with this invocation: if it is killed at its time limit, the retry that
  // Lambda sends a minute later can take the job over at once.
  const claim = await ledger.claimSplit(
    {
      jobId,
      sourceFile: object.key,
      bucket: object.bucket,
      key: object.key,
      ...(object.versionId ? { versionId: object.versionId } : {}),
    },
    Date.now() + context.getRemainingTimeInMillis(),
  );
  if (claim.action === 'skip') {
    logger.info('Export not split again', { reason: claim.reason });
    return { jobId, skipped: claim.reason };
  }

  // Every invocation (a continuation too) describes and plans the job the same way, from
  // exactly the versions it names.
  const openKey: OpenKey = (key) =>
    openExportObject(s3, key === object.key ? object : { bucket: object.bucket, key });
  const rejections: RecordOutcome[] = [];
  try {
    const source = jobOfUploadedObject(
      object.key,
      { jobPrefix: config.JOB_PREFIX, exportPrefix: config.EXPORT_PREFIX },
      openKey,
    );
    const { summary } = await runSplit(
      {
        jobId,
        source,
        start: { afterLine: claim.resumeAfterLine, read: claim.read, enqueued: claim.enqueued },
        shouldYield: () => context.getRemainingTimeInMillis() < yieldBeforeDeadlineMs,
        ...(checkpointEvery ? { checkpointEvery } : {}),
      },
      {
        sink: new SqsImportMessageSink({ sqs, queueUrl: config.USER_QUEUE_URL }),
        ledger,
        logger,
        onRejected: (outcome) => rejections.push(outcome),
      },
    );
    const reportName =
      claim.resumeAfterLine === 0
        ? 'rejected.csv'
        : `rejected-after-position-${claim.resumeAfterLine}.csv`;
    await s3.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: `${config.REPORT_PREFIX}${jobId}/${reportName}`,
        Body: formatOutcomeReport(rejections),
        ContentType: 'text/csv',
      }),
    );
    return summary;
  } catch (error) {
    // The run failed before its next checkpoint: free the job so the retry resumes from the
    // last one (records after it are enqueued again; the consumer recognises them).
    await ledger.releaseSplit(jobId).catch(() => undefined);
    throw error;
  }
}

async function openExportObject(
  s3: S3Client,
  object: Pick<ExportObject, 'bucket' | 'key' | 'versionId'>,
): Promise<Readable> {
  const response = await s3.send(
    new GetObjectCommand({
      Bucket: object.bucket,
      Key: object.key,
      ...(object.versionId ? { VersionId: object.versionId } : {}),
    }),
  );
  const body = response.Body as Readable | undefined;
  if (body === undefined) throw new Error('S3 returned an object without a body');
  return body;
}

/** The production continuation: an asynchronous invocation of this same function. */
export function lambdaContinuation(lambda: LambdaClient): ContinueSplit {
  return async (object, context) => {
    const event: SplitContinuationEvent = { continueSplit: object };
    await lambda.send(
      new InvokeCommand({
        FunctionName: context.invokedFunctionArn,
        InvocationType: 'Event',
        Payload: Buffer.from(JSON.stringify(event)),
      }),
    );
    logger.info('Split continues in a new invocation');
  };
}

/** The production ledger of a Lambda. */
export function dynamoDbLedger(dynamodb: DynamoDBClient, config: SplitterConfig): MigrationLedger {
  return new DynamoDbMigrationLedger({
    dynamodb,
    tableName: config.LEDGER_TABLE_NAME,
    retentionDays: config.LEDGER_RETENTION_DAYS,
  });
}

/** S3 URL-encodes keys form-style in events: `+` is a space. */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

function exportObjectsOf(event: SplitterEvent): ExportObject[] {
  if ('continueSplit' in event) return [event.continueSplit];
  return event.Records.filter((record) => record.eventName.startsWith('ObjectCreated:')).map(
    (record) => ({
      bucket: record.s3.bucket.name,
      key: decodeS3EventKey(record.s3.object.key),
      ...(record.s3.object.versionId ? { versionId: record.s3.object.versionId } : {}),
      ...(record.s3.object.eTag ? { eTag: record.s3.object.eTag } : {}),
    }),
  );
}
