import type { Readable } from 'node:stream';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { Context, S3Event } from 'aws-lambda';
import type { SplitterConfig } from '../../src/config.ts';
import { WorkOsAuthenticationError } from '../../src/errors.ts';
import { haltJobs } from '../../src/import/halt-import.ts';
import { DynamoDbMigrationLedger } from '../../src/ledger/dynamodb-ledger.ts';
import type { MigrationLedger } from '../../src/ledger/migration-ledger.ts';
import { logger } from '../../src/logger.ts';
import { jobIdFor } from '../../src/model/job-id.ts';
import { isManifestKey } from '../../src/model/job-manifest.ts';
import type { RecordOutcome } from '../../src/model/outcome.ts';
import { formatOutcomeReport } from '../../src/model/outcome-report.ts';
import { SqsImportMessageSink } from '../../src/queue/sqs-import-message-sink.ts';
import { S3SnapshotStore } from '../../src/snapshot/s3-snapshot-store.ts';
import {
  type SnapshotOfJob,
  type SnapshotSummary,
  snapshotOfJob,
} from '../../src/snapshot/snapshot-of-job.ts';
import type { OpenKey } from '../../src/split/describe-job.ts';
import { type JobSource, jobOfUploadedObject } from '../../src/split/job-source.ts';
import type { JobToSplit } from '../../src/split/plan-split.ts';
import { runSplit } from '../../src/split/run-split.ts';
import type { SplitSummary } from '../../src/split/split-export.ts';
import type { UserDirectory } from '../../src/workos/user-directory.ts';
import { WorkOsUserDirectory } from '../../src/workos/workos-user-directory.ts';
import { workOsClientsFromSecret } from '../shared/workos-from-secret.ts';

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
  /**
   * The WorkOS users a job's snapshot lists, for the API key in the secret now: asked for only
   * when a listing has pages left to read.
   */
  workosUsers: () => Promise<Pick<UserDirectory, 'listUsers'>>;
  /** Records between checkpoints (20,000 by default). */
  checkpointEvery?: number;
  /** Listing pages between snapshot checkpoints (1,000 by default). */
  snapshotCheckpointEveryPages?: number;
}

/** Stop reading this long before the Lambda limit: flush, checkpoint and hand over. */
const yieldBeforeDeadlineMs = 90_000;

export type SplitOutcome =
  /** With the WorkOS snapshot it diffed against, unless the job split without one. */
  | (SplitSummary & { snapshot?: SnapshotSummary })
  /** The WorkOS listing yielded at a checkpoint: a continuation goes on with it. */
  | { jobId: string; completed: false; snapshot: SnapshotSummary }
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
 * files. Claims the job in the ledger (a duplicate S3 event finds it taken or done), lists the
 * WorkOS environment into the job's snapshot first (unless the job skips it), streams exactly
 * the version the event names from where the last run stopped, enqueues its records and writes
 * this run's rejected records to `<REPORT_PREFIX><jobId>/rejected*.csv` in the same bucket.
 */
export async function splitExportObject(
  object: ExportObject,
  deps: SplitterHandlerDependencies,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): Promise<SplitOutcome> {
  const { s3, sqs, ledger, config, checkpointEvery } = deps;
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
  const shouldYield = () => context.getRemainingTimeInMillis() < yieldBeforeDeadlineMs;
  try {
    const source = describedOnce(
      jobOfUploadedObject(
        object.key,
        { jobPrefix: config.JOB_PREFIX, exportPrefix: config.EXPORT_PREFIX },
        openKey,
      ),
    );
    const snapshot = await workosSnapshotFor(await source.describe(jobId), object.bucket, {
      deps,
      shouldYield,
      splitBegun: claim.resumeAfterLine > 0,
    });
    if (snapshot.status === 'yielded') {
      // The listing's checkpoint is in the bucket: a continuation claims the job at once.
      await ledger.releaseSplit(jobId);
      return { jobId, completed: false, snapshot: snapshot.summary };
    }
    const { summary } = await runSplit(
      {
        jobId,
        source,
        start: { afterLine: claim.resumeAfterLine, read: claim.read, enqueued: claim.enqueued },
        shouldYield,
        ...(checkpointEvery ? { checkpointEvery } : {}),
        ...(snapshot.status === 'ready' ? { snapshot: snapshot.snapshot } : {}),
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
    return { ...summary, ...(snapshot.status === 'ready' ? { snapshot: snapshot.summary } : {}) };
  } catch (error) {
    if (error instanceof WorkOsAuthenticationError) {
      // Only the listing calls WorkOS, before any record is sent: the job shows why it stopped,
      // and the invocation fails on to the splitter failure queue and its alarm.
      await haltJobs([jobId], error, { ledger, logger }).catch(() => undefined);
    }
    // The run failed before its next checkpoint: free the job so the retry resumes from the
    // last one (records after it are enqueued again; the consumer recognises them).
    await ledger.releaseSplit(jobId).catch(() => undefined);
    throw error;
  }
}

/**
 * The snapshot of the WorkOS environment the job's split diffs against, kept in the bucket
 * under `<SNAPSHOT_PREFIX><jobId>/`: the one stored for the job, else listed (going on from
 * the job's checkpoint), unless the job's options skip it.
 */
async function workosSnapshotFor(
  job: JobToSplit,
  bucket: string,
  {
    deps,
    shouldYield,
    splitBegun,
  }: { deps: SplitterHandlerDependencies; shouldYield: () => boolean; splitBegun: boolean },
): Promise<SnapshotOfJob> {
  if (job.options.skipWorkosSnapshot === true) {
    logger.info('Split without a WorkOS snapshot, as the job asks');
    return { status: 'none' };
  }
  return snapshotOfJob({
    jobId: job.jobId,
    store: new S3SnapshotStore({ s3: deps.s3, bucket, prefix: deps.config.SNAPSHOT_PREFIX }),
    directory: deps.workosUsers,
    shouldYield,
    splitBegun,
    ...(deps.snapshotCheckpointEveryPages === undefined
      ? {}
      : { checkpointEveryPages: deps.snapshotCheckpointEveryPages }),
    logger,
  });
}

/** The job described once: the snapshot step reads its options, then the split all of it. */
function describedOnce(source: JobSource): JobSource {
  let described: Promise<JobToSplit> | undefined;
  return {
    open: source.open,
    describe: (jobId) => {
      described ??= source.describe(jobId);
      return described;
    },
  };
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

/** The production WorkOS listing: the user directory for the key in the secret now. */
export function workosUsersFromSecret(
  secrets: SecretsManagerClient,
  config: SplitterConfig,
): SplitterHandlerDependencies['workosUsers'] {
  return workOsClientsFromSecret(secrets, config, (workos) => new WorkOsUserDirectory(workos));
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
