import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import cliProgress from 'cli-progress';
import {
  consoleWriters,
  describeAwsError,
  formatBytes,
  interruptOnCtrlC,
  resolveOrReport,
} from '../operations/operator-console.ts';
import { readStackOutputs } from '../operations/stack-outputs.ts';
import { exportKeyFor, type UploadedExport, uploadExport } from '../operations/upload-export.ts';

// Region, credentials and AWS_ENDPOINT_URL come from the SDK's default chain (AWS_PROFILE,
// AWS_REGION, SSO, instance roles), as with the AWS CLI. Clients resolve them on first use.
const defaultClients = { s3: new S3Client({}), cloudformation: new CloudFormationClient({}) };

export interface UploadCommandOptions {
  env: string;
  json: boolean;
}

export interface UploadCommandDependencies {
  s3: S3Client;
  cloudformation: CloudFormationClient;
  /** Stops the upload in progress; without one, Ctrl-C does. */
  signal?: AbortSignal;
  /** Results (stdout) and progress (stderr). */
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** A progress bar (a terminal), plain lines (a log), or nothing. @default bar on a TTY */
  progress?: 'bar' | 'lines' | 'none';
  partSizeBytes?: number;
}

/**
 * `migrate upload`: uploads each file under the environment's export prefix, where the upload
 * itself starts the import, and prints the job id each gets. Returns the exit code: 0 every file
 * uploaded, 1 an upload failed or was interrupted (the files before it are uploaded), 2 usage or
 * configuration errors (nothing uploaded).
 */
export async function runUploadCommand(
  files: string[],
  options: UploadCommandOptions,
  dependencies: UploadCommandDependencies = defaultClients,
): Promise<number> {
  const { s3, cloudformation } = dependencies;
  const { out, err } = consoleWriters(dependencies);
  const progress = dependencies.progress ?? (process.stderr.isTTY ? 'bar' : 'lines');

  const problem = await checkFiles(files);
  if (problem !== undefined) {
    err(`Error: ${problem}\n`);
    return 2;
  }
  const outputs = await resolveOrReport(() => readStackOutputs(cloudformation, options.env), err);
  if (outputs === undefined) return 2;

  const interrupt = dependencies.signal
    ? undefined
    : interruptOnCtrlC(err, 'Aborting the upload… (Ctrl-C again to quit at once)');
  const signal = dependencies.signal ?? interrupt?.signal;
  const uploaded: UploadedExport[] = [];
  let failed = false;
  try {
    for (const file of files) {
      if (signal?.aborted) {
        failed = true;
        break;
      }
      const key = exportKeyFor(outputs.exportPrefix, file);
      const reporter = progressReporter(progress, basename(file), err);
      try {
        const result = await uploadExport({
          s3,
          bucket: outputs.exportBucketName,
          key,
          file,
          onProgress: reporter.update,
          ...(signal ? { signal } : {}),
          ...(dependencies.partSizeBytes ? { partSizeBytes: dependencies.partSizeBytes } : {}),
        });
        reporter.stop();
        uploaded.push(result);
        if (!options.json) out(`${formatUpload(result)}\n`);
      } catch (error) {
        reporter.stop();
        failed = true;
        err(
          signal?.aborted
            ? `Aborted the upload of ${file}: no part of it is left in the bucket and no import started.\n`
            : `Error: could not upload ${file} to s3://${outputs.exportBucketName}/${key}: ${describeAwsError(error)}\n`,
        );
        break;
      }
    }
  } finally {
    interrupt?.dispose();
  }

  if (failed) {
    const notUploaded = files.slice(uploaded.length);
    err(`Not uploaded: ${notUploaded.join(', ')}\n`);
  }
  if (options.json) {
    // Also after a failure: a script learns which files made it, and their jobs.
    out(`${JSON.stringify({ uploads: uploaded })}\n`);
  } else if (uploaded.length > 0) {
    out(
      '\nEach upload starts one import job. Watch it with:\n' +
        uploaded
          .map((upload) => `  npm run migrate -- status ${upload.jobId} --env ${options.env}\n`)
          .join(''),
    );
  }
  return failed ? 1 : 0;
}

/** Every file must exist and be a file, and no two may land on the same key. */
async function checkFiles(files: string[]): Promise<string | undefined> {
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

export function formatUpload(upload: UploadedExport): string {
  return (
    `Uploaded ${upload.file} (${formatBytes(upload.sizeBytes)}) to s3://${upload.bucket}/${upload.key}` +
    `${upload.versionId ? ` (version ${upload.versionId})` : ''}\n  job ${upload.jobId}`
  );
}

interface ProgressReporter {
  update(progress: { loadedBytes: number; totalBytes: number }): void;
  stop(): void;
}

/**
 * A cli-progress bar on a terminal; in a log (CI, `tee`), a line at each quarter, since a bar's
 * carriage returns would be noise there.
 */
function progressReporter(
  mode: 'bar' | 'lines' | 'none',
  name: string,
  err: (text: string) => void,
): ProgressReporter {
  if (mode === 'none') return { update() {}, stop() {} };
  if (mode === 'lines') {
    let reported = -1;
    return {
      update({ loadedBytes, totalBytes }) {
        const quarter = totalBytes > 0 ? Math.floor((4 * loadedBytes) / totalBytes) : 4;
        if (quarter <= reported) return;
        reported = quarter;
        err(
          `  ${name}: ${quarter * 25}% (${formatBytes(loadedBytes)} of ${formatBytes(totalBytes)})\n`,
        );
      },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `  ${name} [{bar}] {percentage}% | {done} of {size} | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update({ loadedBytes, totalBytes }) {
      const payload = { done: formatBytes(loadedBytes), size: formatBytes(totalBytes) };
      if (!started) {
        started = true;
        bar.start(totalBytes, loadedBytes, payload);
      } else {
        bar.update(loadedBytes, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
