import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type ExportObjectIdentity, jobIdFor } from '../model/job-id.ts';
import type { SourceFormat } from '../model/job-manifest.ts';

/** S3's smallest part (all but the last) and its most parts per multipart upload. */
const minimumPartSizeBytes = 5 * 1024 * 1024;
const maximumParts = 10_000;
/** Parts of 8 MiB, 4 in flight: at most 32 MiB of the file in memory, whatever its size. */
const defaultPartSizeBytes = 8 * 1024 * 1024;
const partsInFlight = 4;

export interface UploadExportOptions {
  s3: S3Client;
  bucket: string;
  /** The object key: under the export prefix, or a job's manifest, the upload starts an import. */
  key: string;
  /** Path of the export on disk; streamed, never read whole. */
  file: string;
  /** Bytes to upload instead of the file's (a generated manifest); `file` then only names them. */
  body?: Uint8Array;
  /** Files larger than one part go up as a multipart upload. @default 8 MiB */
  partSizeBytes?: number;
  onProgress?: (progress: { loadedBytes: number; totalBytes: number }) => void;
  /** Aborting stops the upload and aborts its multipart upload, so no part is left behind. */
  signal?: AbortSignal;
}

export interface UploadedExport {
  file: string;
  bucket: string;
  key: string;
  sizeBytes: number;
  versionId?: string;
  /** As the S3 event gives it: without quotes. */
  eTag: string;
  /** The id the splitter gives the job this upload starts. */
  jobId: string;
}

/**
 * Uploads one export with `@aws-sdk/lib-storage` (a single PUT for a small file, a multipart
 * upload streamed from disk for a large one) and returns the job id the splitter will give it.
 */
export async function uploadExport({
  s3,
  bucket,
  key,
  file,
  body,
  partSizeBytes = defaultPartSizeBytes,
  onProgress,
  signal,
}: UploadExportOptions): Promise<UploadedExport> {
  const sizeBytes = body === undefined ? (await stat(file)).size : body.byteLength;
  const abortController = new AbortController();
  const abort = () => abortController.abort();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    const upload = new Upload({
      client: s3,
      params: { Bucket: bucket, Key: key, Body: body ?? createReadStream(file) },
      partSize: Math.max(minimumPartSizeBytes, partSizeBytes, Math.ceil(sizeBytes / maximumParts)),
      queueSize: partsInFlight,
      leavePartsOnError: false,
      abortController,
    });
    upload.on('httpUploadProgress', ({ loaded }) => {
      onProgress?.({ loadedBytes: Math.min(loaded ?? 0, sizeBytes), totalBytes: sizeBytes });
    });
    if (signal?.aborted) abort();
    const result = await upload.done();
    let eTag = result.ETag;
    let versionId = result.VersionId;
    if (eTag === undefined) {
      // Some S3-compatible stores answer a multipart completion without an ETag: ask for it.
      const head = await s3.send(
        new HeadObjectCommand({
          Bucket: bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
      eTag = head.ETag;
      versionId ??= head.VersionId;
    }
    if (eTag === undefined) throw new Error(`S3 gave no ETag for s3://${bucket}/${key}`);
    const identity = exportObjectIdentity({ bucket, key, versionId, eTag });
    return {
      file,
      bucket,
      key,
      sizeBytes,
      ...(identity.versionId ? { versionId: identity.versionId } : {}),
      eTag: identity.eTag ?? '',
      jobId: jobIdFor(identity),
    };
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

/**
 * The identity of an uploaded object as the splitter reads it from the S3 event
 * (`lambdas/splitter/splitter-handler.ts`): the ETag without the quotes S3's API responses put
 * around it, and no version id for an unversioned bucket (S3 omits it from the event; some
 * emulators answer the literal "null").
 */
export function exportObjectIdentity(object: {
  bucket: string;
  key: string;
  versionId?: string | undefined;
  eTag?: string | undefined;
}): ExportObjectIdentity {
  const eTag = object.eTag?.replaceAll('"', '');
  return {
    bucket: object.bucket,
    key: object.key,
    ...(object.versionId && object.versionId !== 'null' ? { versionId: object.versionId } : {}),
    ...(eTag ? { eTag } : {}),
  };
}

/**
 * Where a file goes: under the export prefix, by its file name; in the source's folder when the
 * source is named, since the splitter reads it from the key's first folder.
 */
export function exportKeyFor(exportPrefix: string, file: string, format?: SourceFormat): string {
  const prefix = exportPrefix.endsWith('/') ? exportPrefix : `${exportPrefix}/`;
  return `${prefix}${format === undefined ? '' : `${format}/`}${basename(file)}`;
}
