import type { Readable } from 'node:stream';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import type { S3Event } from 'aws-lambda';
import type { SplitterConfig } from '../../src/config.ts';
import { logger } from '../../src/logger.ts';
import { jobIdFor } from '../../src/pipeline/job-id.ts';
import type { RecordOutcome } from '../../src/pipeline/outcome.ts';
import { formatOutcomeReport } from '../../src/pipeline/outcome-report.ts';
import { SqsUserMessageSink } from '../../src/queue/sqs-user-message-sink.ts';
import { exportFormats } from '../../src/sources/export-formats.ts';
import { readExportLines } from '../../src/sources/export-lines.ts';
import { type SplitSummary, splitExport } from './split-export.ts';

export interface SplitterHandlerDependencies {
  s3: S3Client;
  sqs: SQSClient;
  config: SplitterConfig;
}

/** One uploaded export, as named by an S3 event. */
export interface ExportObject {
  bucket: string;
  key: string;
  versionId?: string;
  eTag?: string;
}

/** Builds the splitter Lambda's handler around the clients and configuration it is given. */
export function createSplitterHandler(deps: SplitterHandlerDependencies) {
  return middy<S3Event, SplitSummary[]>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const summaries: SplitSummary[] = [];
      for (const object of exportObjectsOf(event)) {
        summaries.push(await splitExportObject(object, deps));
      }
      return summaries;
    });
}

/**
 * Splits one export object: streams exactly the version the event names, enqueues its users and
 * writes the rejected records to `<REPORT_PREFIX><jobId>/rejected.csv` in the same bucket.
 */
export async function splitExportObject(
  object: ExportObject,
  { s3, sqs, config }: SplitterHandlerDependencies,
): Promise<SplitSummary> {
  const jobId = jobIdFor(object);
  logger.appendKeys({ jobId });
  const response = await s3.send(
    new GetObjectCommand({
      Bucket: object.bucket,
      Key: object.key,
      ...(object.versionId ? { VersionId: object.versionId } : {}),
    }),
  );
  const body = response.Body as Readable | undefined;
  if (body === undefined) throw new Error('S3 returned an object without a body');

  const rejections: RecordOutcome[] = [];
  try {
    const summary = await splitExport(
      {
        jobId,
        sourceFile: object.key,
        lines: readExportLines(body),
        parseLine: exportFormats[config.DEFAULT_SOURCE_FORMAT],
      },
      {
        sink: new SqsUserMessageSink({ sqs, queueUrl: config.USER_QUEUE_URL }),
        outcomes: {
          async record(outcome) {
            rejections.push(outcome);
          },
        },
        logger,
      },
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: object.bucket,
        Key: `${config.REPORT_PREFIX}${jobId}/rejected.csv`,
        Body: formatOutcomeReport(rejections),
        ContentType: 'text/csv',
      }),
    );
    return summary;
  } finally {
    // An unconsumed body holds a socket; make sure it is released on every path.
    body.destroy();
  }
}

/** S3 URL-encodes keys form-style in events: `+` is a space. */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

function exportObjectsOf(event: S3Event): ExportObject[] {
  return event.Records.filter((record) => record.eventName.startsWith('ObjectCreated:')).map(
    (record) => ({
      bucket: record.s3.bucket.name,
      key: decodeS3EventKey(record.s3.object.key),
      ...(record.s3.object.versionId ? { versionId: record.s3.object.versionId } : {}),
      ...(record.s3.object.eTag ? { eTag: record.s3.object.eTag } : {}),
    }),
  );
}
