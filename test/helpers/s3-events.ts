/**
 * `S3Event`s shaped like the ones S3 sends to Lambda, since moto cannot invoke our handlers.
 */
import { randomBytes } from 'node:crypto';
import {
  HeadObjectCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { testAwsRegion } from './aws-clients.ts';

let sequence = 0;

export interface S3ObjectCreatedEventInput {
  bucket: string;
  /** The object key as stored (not encoded). */
  key: string;
  size: number;
  /** With or without the quotes HeadObject returns; the event carries it without. */
  eTag: string;
  versionId?: string;
  sequencer?: string;
  eventTime?: Date;
  region?: string;
}

/**
 * Encodes a key the way S3 writes it into event notifications: form-style URL encoding (space
 * becomes `+`, a literal `+` becomes `%2B`) with `/` left as is. (moto's own notifications
 * encode `/` as well; the splitter's decoder accepts both.)
 */
export function encodeS3EventKey(key: string): string {
  return encodeURIComponent(key).replaceAll('%20', '+').replaceAll('%2F', '/');
}

export function s3ObjectCreatedEvent({
  bucket,
  key,
  size,
  eTag,
  versionId,
  sequencer = defaultSequencer(),
  eventTime = new Date(),
  region = testAwsRegion,
}: S3ObjectCreatedEventInput): S3Event {
  const object: S3Event['Records'][number]['s3']['object'] = {
    key: encodeS3EventKey(key),
    size,
    eTag: eTag.replaceAll('"', ''),
    sequencer,
  };
  if (versionId !== undefined) object.versionId = versionId;
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: region,
        eventTime: eventTime.toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDAEXAMPLEUPLOADER' },
        requestParameters: { sourceIPAddress: '127.0.0.1' },
        responseElements: {
          'x-amz-request-id': randomBytes(8).toString('hex').toUpperCase(),
          'x-amz-id-2': randomBytes(48).toString('base64'),
        },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'user-export-created',
          bucket: {
            name: bucket,
            ownerIdentity: { principalId: 'AEXAMPLEOWNER' },
            arn: `arn:aws:s3:::${bucket}`,
          },
          object,
        },
      },
    ],
  };
}

/**
 * Uploads `body` and returns the event S3 would send for it, with the ETag, size and version id
 * read back from HeadObject rather than computed here.
 */
export async function putObjectAndBuildEvent(
  s3: S3Client,
  bucket: string,
  key: string,
  body: PutObjectCommandInput['Body'],
): Promise<S3Event> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  if (head.ETag === undefined || head.ContentLength === undefined) {
    throw new Error(`HeadObject returned no ETag or ContentLength for s3://${bucket}/${key}`);
  }
  const input: S3ObjectCreatedEventInput = {
    bucket,
    key,
    size: head.ContentLength,
    eTag: head.ETag,
  };
  // An unversioned bucket has no version id (some emulators say "null"); S3 then omits it.
  if (head.VersionId && head.VersionId !== 'null') input.versionId = head.VersionId;
  return s3ObjectCreatedEvent(input);
}

/** S3's sequencer is an opaque, per-key increasing hex string; time plus a counter keeps it so. */
function defaultSequencer(): string {
  sequence += 1;
  return (Date.now() * 1000 + sequence).toString(16).toUpperCase().padStart(18, '0');
}
