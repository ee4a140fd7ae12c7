import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  isManifestKey,
  type ManifestOptions,
  parseJobManifest,
  type SourceFormat,
} from '../model/job-manifest.ts';
import { describeJob, describeManifestJob, type OpenKey } from './describe-job.ts';
import type { JobToSplit } from './plan-split.ts';

/** A file on disk, opened for the splitter: paths are the keys of a local job. */
export const openLocalFile: OpenKey = async (path) => createReadStream(path);

/**
 * A job of files on disk, described as the splitter describes an upload: one `manifest.json`
 * (its files relative to it, its own format and options), or the files named, as one job. Files
 * keep the names they were given: they are how the report names them.
 */
export async function describeLocalJob(
  jobId: string,
  paths: string[],
  { format, options }: { format?: SourceFormat; options?: ManifestOptions } = {},
): Promise<JobToSplit> {
  const [only] = paths;
  if (paths.length === 1 && only !== undefined && isManifestKey(only)) {
    const manifest = parseJobManifest(await readFile(only, 'utf8'));
    return describeManifestJob({ jobId, manifestKey: only, manifest }, openLocalFile);
  }
  return describeJob(
    {
      jobId,
      files: paths.map((key) => ({ key })),
      ...(format === undefined ? {} : { format }),
      ...(options === undefined ? {} : { options }),
    },
    openLocalFile,
  );
}
