import { createReadStream } from 'node:fs';
import {
  InvalidManifestError,
  isManifestKey,
  type ManifestOptions,
  parseJobManifest,
  type SourceFormat,
} from '../model/job-manifest.ts';
import { describeJob, describeManifestJob, formatFromKey, type OpenKey } from './describe-job.ts';
import type { JobToSplit } from './plan-split.ts';

/**
 * Where a job's files are and how the job is described: an upload to the bucket, or files on
 * disk. The split (`runSplit`) is the same whichever it is.
 */
export interface JobSource {
  /** What the job is: its source format, its files in split order, its options. */
  describe(jobId: string): Promise<JobToSplit>;
  /** Opens one of the job's files by its key. */
  open: OpenKey;
}

/** Choices given beside the files (command-line flags); a manifest carries its own. */
export interface JobChoices {
  format?: SourceFormat;
  options?: ManifestOptions;
}

/** A file on disk, opened for the splitter: paths are the keys of a local job. */
export const openFileOnDisk: OpenKey = async (path) => createReadStream(path);

/**
 * A job of named files: one `manifest.json` (its files relative to it, its own format and
 * options), or the files named, as one job. Files keep the names they were given: they are how
 * the report names them. Local mode, `validate` and the bench describe their jobs this way.
 */
export function jobOfFiles(
  keys: string[],
  open: OpenKey = openFileOnDisk,
  { format, options }: JobChoices = {},
): JobSource {
  return {
    open,
    async describe(jobId) {
      const [only] = keys;
      if (keys.length === 1 && only !== undefined && isManifestKey(only)) {
        return describeManifest(jobId, only, open);
      }
      return describeJob(
        {
          jobId,
          files: keys.map((key) => ({ key })),
          ...(format === undefined ? {} : { format }),
          ...(options === undefined ? {} : { options }),
        },
        open,
      );
    },
  };
}

/**
 * A job uploaded to the bucket, as its S3 event names it: a manifest under the job prefix
 * describes a job of several files; anything else is one file, whose source may be named by its
 * folder under the export prefix (`exports/clerk/...`).
 */
export function jobOfUploadedObject(
  key: string,
  prefixes: { jobPrefix: string; exportPrefix: string },
  open: OpenKey,
): JobSource {
  return {
    open,
    async describe(jobId) {
      if (key.startsWith(prefixes.jobPrefix) && isManifestKey(key)) {
        return describeManifest(jobId, key, open);
      }
      const format = formatFromKey(key, prefixes.exportPrefix);
      return describeJob(
        { jobId, files: [{ key }], ...(format === undefined ? {} : { format }) },
        open,
      );
    },
  };
}

async function describeManifest(
  jobId: string,
  manifestKey: string,
  open: OpenKey,
): Promise<JobToSplit> {
  const manifest = parseJobManifest(await readSmallFile(await open(manifestKey)));
  return describeManifestJob({ jobId, manifestKey, manifest }, open);
}

/** A manifest is a few hundred bytes; anything past 1 MiB is not one. */
const maxManifestBytes = 1024 * 1024;

async function readSmallFile(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > maxManifestBytes) throw new InvalidManifestError('The job manifest is over 1 MiB');
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString('utf8');
}
