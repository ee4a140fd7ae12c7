import { basename } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { ConfigError } from '../errors.ts';
import {
  InvalidManifestError,
  type JobManifest,
  type ManifestOptions,
  manifestFileName,
  parseJobManifest,
  resolveManifestFileKey,
  type SourceFormat,
} from '../model/job-manifest.ts';
import { type UploadedExport, uploadExport } from './upload-export.ts';

/**
 * A job name is one folder of a key: characters that need no encoding in a key, an S3 event or a
 * shell, and never `.` or `..`, which would put the files outside the job's folder.
 */
const jobNamePattern = /^[A-Za-z0-9._-]+$/;
const maxJobNameLength = 128;
/** Room in a default job name for the file's name after the timestamp. */
const maxFileStemLength = 64;

/** Why a job name cannot be used, or undefined when it can. */
export function jobNameProblem(jobName: string): string | undefined {
  if (!jobNamePattern.test(jobName) || jobName === '.' || jobName === '..') {
    return `The job name ${JSON.stringify(jobName)} may hold only letters, digits, '.', '_' and '-' (and is not . or ..)`;
  }
  if (jobName.length > maxJobNameLength) {
    return `The job name is ${jobName.length} characters long; at most ${maxJobNameLength} are allowed`;
  }
  return undefined;
}

/**
 * `<UTC yyyymmdd-hhmmss>-<first file's name without extensions>`: jobs sort by when they were
 * uploaded, and the name says what they hold.
 */
export function defaultJobName(firstFile: string, now: Date): string {
  const timestamp = now.toISOString().replaceAll(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const stem = basename(firstFile)
    // Every extension: `users.json.gz` is `users`. A leading dot is part of the name.
    .replace(/(?<=.)\..*$/, '')
    .replaceAll(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, maxFileStemLength)
    .replace(/^[.-]+|[.-]+$/g, '');
  return stem === '' ? timestamp : `${timestamp}-${stem}`;
}

/** Where a file of a job goes: beside its manifest, in the job's folder under the job prefix. */
export function jobFolderKeyFor(jobPrefix: string, jobName: string, file: string): string {
  const prefix = jobPrefix.endsWith('/') ? jobPrefix : `${jobPrefix}/`;
  return `${prefix}${jobName}/${basename(file)}`;
}

/** The key whose upload starts the job. */
export function jobManifestKeyFor(jobPrefix: string, jobName: string): string {
  return jobFolderKeyFor(jobPrefix, jobName, manifestFileName);
}

/**
 * The manifest of a job of the given files, named by their file names (the manifest's folder is
 * theirs). No file kind: the splitter recognises each file's from its first record.
 */
export function buildManifest({
  files,
  format,
  options = {},
}: {
  files: readonly string[];
  format?: SourceFormat | undefined;
  options?: ManifestOptions;
}): JobManifest {
  return {
    version: 1,
    ...(format === undefined ? {} : { format }),
    files: files.map((file) => ({ key: basename(file) })),
    options,
  };
}

/**
 * Parses a hand-written manifest and checks that the files it names are exactly the files given:
 * a file it names that is not uploaded would fail the job; a file uploaded that it does not name
 * would never be imported. Throws an `InvalidManifestError` saying which.
 */
export function checkJobManifest(text: string, files: readonly string[]): JobManifest {
  const manifest = parseJobManifest(text);
  const given = new Set(files.map((file) => basename(file)));
  const named = new Set<string>();
  for (const entry of manifest.files) {
    // Resolved as the splitter resolves it, relative to the job's folder.
    const key = resolveManifestFileKey(manifestFileName, entry.key);
    if (!given.has(key)) {
      throw new InvalidManifestError(
        `The job manifest names ${entry.key}, which is not among the files given ` +
          `(${[...given].join(', ')}); name each of the job's files on the command line`,
      );
    }
    named.add(key);
  }
  const unnamed = [...given].filter((name) => !named.has(name));
  if (unnamed.length > 0) {
    throw new InvalidManifestError(
      `The job manifest does not name ${unnamed.join(', ')}, so ${unnamed.length === 1 ? 'it' : 'they'} ` +
        'would be uploaded and never imported; add them to its files or leave them out',
    );
  }
  return manifest;
}

/** A file of a job: its upload starts nothing, so it has no job id of its own. */
export type JobFileUpload = Omit<UploadedExport, 'jobId'>;

export interface UploadJobRequest {
  s3: S3Client;
  bucket: string;
  jobPrefix: string;
  jobName: string;
  /** Paths on disk, uploaded in this order, each under its file name. */
  files: readonly string[];
  /**
   * A hand-written manifest (checked with {@link checkJobManifest}), uploaded as written instead
   * of one built from `format` and `options`.
   */
  manifest?: { file: string; text: string };
  options?: ManifestOptions;
  format?: SourceFormat;
  partSizeBytes?: number;
  /** Stops the upload in progress; the manifest is then not uploaded. */
  signal?: AbortSignal;
  /** Progress of each file's upload (not the manifest's, a few hundred bytes). */
  onProgress?: (file: string, progress: { loadedBytes: number; totalBytes: number }) => void;
  onFileUploaded?: (upload: JobFileUpload) => void;
}

export interface UploadedJob {
  uploads: JobFileUpload[];
  /** The manifest as uploaded: its upload started the job. */
  manifest: UploadedExport;
  /** The id the splitter gives the job: the manifest object's. */
  jobId: string;
}

/**
 * A file of the job (or its manifest) could not be uploaded. The manifest is uploaded only after
 * every file, so no job started; the files uploaded before stay in the job's folder, inert.
 */
export class JobUploadError extends Error {
  override name = 'JobUploadError';
  readonly file: string;
  readonly key: string;
  readonly uploaded: JobFileUpload[];

  constructor(
    failed: { file: string; key: string },
    uploaded: JobFileUpload[],
    options: { cause: unknown },
  ) {
    super(`Could not upload ${failed.file}; the job manifest was not uploaded`, options);
    this.file = failed.file;
    this.key = failed.key;
    this.uploaded = uploaded;
  }
}

/**
 * Uploads the files of one job into `<jobPrefix><jobName>/`, where uploads start nothing, then
 * its manifest, last, whose upload starts the job: the job never sees a file missing. Throws a
 * `JobUploadError` when a file or the manifest cannot be uploaded (or the signal aborts), and
 * before uploading anything a `ConfigError` for an unusable job name or an `InvalidManifestError`
 * for a hand-written manifest that does not fit the files.
 */
export async function uploadJob({
  s3,
  bucket,
  jobPrefix,
  jobName,
  files,
  manifest,
  options,
  format,
  partSizeBytes,
  signal,
  onProgress,
  onFileUploaded,
}: UploadJobRequest): Promise<UploadedJob> {
  const problem = jobNameProblem(jobName);
  if (problem !== undefined) throw new ConfigError(problem);
  const manifestBody =
    manifest?.text ??
    `${JSON.stringify(buildManifest({ files, format, ...(options ? { options } : {}) }), null, 2)}\n`;
  // A generated manifest too: what is uploaded last must be a manifest the splitter accepts.
  checkJobManifest(manifestBody, files);
  const shared = {
    s3,
    bucket,
    ...(signal ? { signal } : {}),
    ...(partSizeBytes ? { partSizeBytes } : {}),
  };

  const uploads: JobFileUpload[] = [];
  for (const file of files) {
    const key = jobFolderKeyFor(jobPrefix, jobName, file);
    try {
      signal?.throwIfAborted();
      const { jobId: _startsNothing, ...upload } = await uploadExport({
        ...shared,
        key,
        file,
        ...(onProgress ? { onProgress: (progress) => onProgress(file, progress) } : {}),
      });
      uploads.push(upload);
      onFileUploaded?.(upload);
    } catch (error) {
      throw new JobUploadError({ file, key }, [...uploads], { cause: error });
    }
  }

  const manifestKey = jobManifestKeyFor(jobPrefix, jobName);
  const manifestFile = manifest?.file ?? manifestFileName;
  try {
    signal?.throwIfAborted();
    const uploaded = await uploadExport({
      ...shared,
      key: manifestKey,
      file: manifestFile,
      body: Buffer.from(manifestBody, 'utf8'),
    });
    return { uploads, manifest: uploaded, jobId: uploaded.jobId };
  } catch (error) {
    throw new JobUploadError({ file: manifestFile, key: manifestKey }, [...uploads], {
      cause: error,
    });
  }
}
