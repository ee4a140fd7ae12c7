import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigError } from '../errors.ts';
import {
  type ManifestOptions,
  manifestFileName,
  type SourceFormat,
} from '../model/job-manifest.ts';
import { checkJobManifest, defaultJobName, jobNameProblem } from './upload-job.ts';

/** What an upload is asked to do, as the command line says it. */
export interface UploadRequest {
  files: string[];
  /** One job per file, each uploaded under the export prefix (as a single file is). */
  separate?: boolean;
  /** The job's folder under the job prefix. @default `<UTC yyyymmdd-hhmmss>-<first file's name>` */
  jobName?: string;
  /** A hand-written manifest.json, uploaded as the job's instead of a generated one. */
  manifestFile?: string;
  format?: SourceFormat;
  /** The job option flags given (`--format` aside), by name: a plan names those it cannot honour. */
  jobOptionFlags: string[];
  /** Reads the job's options from those flags; only a generated manifest needs them. */
  readJobOptions: () => Promise<ManifestOptions>;
  /** The clock a default job name is taken from. */
  now: () => Date;
}

/** Which files go where: one job per file, or one job of all the files. */
export type UploadPlan =
  | { kind: 'separate'; format?: SourceFormat }
  | {
      kind: 'job';
      jobName: string;
      manifest?: { file: string; text: string };
      options: ManifestOptions;
      format?: SourceFormat;
    };

/**
 * Decides between one job and one job per file, and rejects combinations that would silently
 * drop a choice: job options with `--separate` (an export prefix upload has none), flags beside
 * a hand-written manifest (which holds the job's options itself). Throws a `ConfigError` (or the
 * manifest's `InvalidManifestError`) before anything is uploaded.
 */
export async function planUpload(request: UploadRequest): Promise<UploadPlan> {
  const { files, jobOptionFlags: optionFlags } = request;
  const problem = await filesProblem(files);
  if (problem !== undefined) throw new ConfigError(problem);

  if (request.separate) {
    const conflicting = [
      ...(request.jobName === undefined ? [] : ['--job-name']),
      ...(request.manifestFile === undefined ? [] : ['--manifest']),
      ...optionFlags,
    ];
    if (conflicting.length > 0) {
      throw new ConfigError(
        `--separate uploads each file under the export prefix as a job of its own, which takes ` +
          `no job options: drop --separate to upload one job with ${conflicting.join(', ')}`,
      );
    }
    return { kind: 'separate', ...(request.format ? { format: request.format } : {}) };
  }
  const oneJob =
    files.length > 1 ||
    optionFlags.length > 0 ||
    request.jobName !== undefined ||
    request.manifestFile !== undefined;
  if (!oneJob) return { kind: 'separate', ...(request.format ? { format: request.format } : {}) };

  const jobName = request.jobName ?? defaultJobName(files[0] ?? '', request.now());
  const nameProblem = jobNameProblem(jobName);
  if (nameProblem !== undefined) throw new ConfigError(nameProblem);
  const clash = files.find((file) => basename(file) === manifestFileName);
  if (clash !== undefined) {
    throw new ConfigError(
      `${clash} would be uploaded as the job's ${manifestFileName}, whose upload starts the job; ` +
        'pass a hand-written manifest with --manifest <file>, or rename the file',
    );
  }
  if (request.manifestFile === undefined) {
    return {
      kind: 'job',
      jobName,
      options: await request.readJobOptions(),
      ...(request.format ? { format: request.format } : {}),
    };
  }
  const flagsBesideManifest = [...(request.format ? ['--format'] : []), ...optionFlags];
  if (flagsBesideManifest.length > 0) {
    throw new ConfigError(
      `The manifest holds the job's format and options: set them there instead of ` +
        `${flagsBesideManifest.join(', ')}`,
    );
  }
  let text: string;
  try {
    text = await readFile(request.manifestFile, 'utf8');
  } catch {
    throw new ConfigError(`${request.manifestFile} does not exist or cannot be read`);
  }
  checkJobManifest(text, files);
  return { kind: 'job', jobName, manifest: { file: request.manifestFile, text }, options: {} };
}

/** Every file must exist and be a file, and no two may land on the same key. */
async function filesProblem(files: string[]): Promise<string | undefined> {
  const byName = new Map<string, string>();
  for (const file of files) {
    try {
      if (!(await stat(file)).isFile()) return `${file} is not a file`;
    } catch {
      return `${file} does not exist or cannot be read`;
    }
    const name = basename(file);
    const other = byName.get(name);
    if (other !== undefined) {
      return `${other} and ${file} would both be uploaded as ${name}; rename one`;
    }
    byName.set(name, file);
  }
  return undefined;
}
