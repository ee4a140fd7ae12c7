import { basename, posix } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { S3Client } from '@aws-sdk/client-s3';
import cliProgress from 'cli-progress';
import { ConfigError } from '../errors.ts';
import { InvalidManifestError, type SourceFormat } from '../model/job-manifest.ts';
import { describeAwsError, formatBytes } from '../operations/operator-console.ts';
import { readStackOutputs } from '../operations/stack-outputs.ts';
import { exportKeyFor, type UploadedExport, uploadExport } from '../operations/upload-export.ts';
import { type JobFileUpload, JobUploadError, uploadJob } from '../operations/upload-job.ts';
import { planUpload, type UploadPlan } from '../operations/upload-plan.ts';
import { type CommandIo, commandWriters, runStackCommand } from './command-context.ts';
import { type JobOptionFlags, jobOptionFlagsGiven, jobOptionsOf } from './job-options.ts';

// Region, credentials and AWS_ENDPOINT_URL come from the SDK's default chain (AWS_PROFILE,
// AWS_REGION, SSO, instance roles), as with the AWS CLI. Clients resolve them on first use.
const defaultClients = { s3: new S3Client({}), cloudformation: new CloudFormationClient({}) };

export interface UploadCommandOptions extends JobOptionFlags {
  env: string;
  json: boolean;
  /** The job's folder under the job prefix. @default `<UTC yyyymmdd-hhmmss>-<first file's name>` */
  jobName?: string;
  /** A hand-written manifest.json, uploaded as the job's instead of a generated one. */
  manifest?: string;
  /** One job per file, each uploaded under the export prefix (as a single file is). */
  separate?: boolean;
}

/** `signal` stops the upload in progress. */
export interface UploadCommandDependencies extends CommandIo {
  s3: S3Client;
  cloudformation: CloudFormationClient;
  /** A progress bar (a terminal), plain lines (a log), or nothing. @default bar on a TTY */
  progress?: 'bar' | 'lines' | 'none';
  partSizeBytes?: number;
  /** The clock a default job name is taken from. */
  now?: () => Date;
}

/** What every upload of one run shares. */
interface UploadRun {
  s3: S3Client;
  bucket: string;
  env: string;
  json: boolean;
  signal: AbortSignal | undefined;
  partSizeBytes: number | undefined;
  progress: 'bar' | 'lines' | 'none';
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * `migrate upload`. One file goes under the environment's export prefix, where its upload starts
 * one import job; several files (or job options, a job name or a manifest) go into one job's
 * folder under the job prefix, followed by the job's manifest, whose upload starts the job.
 * `--separate` uploads several files as one job each. Prints the job id(s). Returns the exit code:
 * 0 every file uploaded, 1 an upload failed or was interrupted (the files before it are uploaded;
 * in one job, the manifest is not, so that job never starts), 2 usage or configuration errors
 * (nothing uploaded).
 */
export async function runUploadCommand(
  files: string[],
  options: UploadCommandOptions,
  dependencies: UploadCommandDependencies = defaultClients,
): Promise<number> {
  const { s3 } = dependencies;
  const { err } = commandWriters(dependencies);
  const progress = dependencies.progress ?? (process.stderr.isTTY ? 'bar' : 'lines');

  let plan: UploadPlan;
  try {
    plan = await planUpload({
      files,
      ...(options.separate ? { separate: true } : {}),
      ...(options.jobName === undefined ? {} : { jobName: options.jobName }),
      ...(options.manifest === undefined ? {} : { manifestFile: options.manifest }),
      ...(options.format ? { format: options.format } : {}),
      jobOptionFlags: jobOptionFlagsGiven(options),
      readJobOptions: () => jobOptionsOf(options),
      now: dependencies.now ?? (() => new Date()),
    });
  } catch (error) {
    if (!(error instanceof ConfigError || error instanceof InvalidManifestError)) throw error;
    err(`Error: ${error.message}\n`);
    return 2;
  }
  return runStackCommand(
    dependencies,
    {
      env: options.env,
      readOutputs: readStackOutputs,
      json: options.json,
      interrupt: 'Aborting the upload… (Ctrl-C again to quit at once)',
    },
    ({ out, err, signal }, outputs) => {
      const run: UploadRun = {
        s3,
        bucket: outputs.exportBucketName,
        env: options.env,
        json: options.json,
        signal,
        partSizeBytes: dependencies.partSizeBytes,
        progress,
        out,
        err,
      };
      return plan.kind === 'job'
        ? uploadAsOneJob(files, plan, outputs.jobPrefix, run)
        : uploadSeparately(files, plan.format, outputs.exportPrefix, run);
    },
  );
}

/** Each file under the export prefix (in the source's folder when named): one job each. */
async function uploadSeparately(
  files: string[],
  format: SourceFormat | undefined,
  exportPrefix: string,
  run: UploadRun,
): Promise<number> {
  const { out, err, signal } = run;
  const uploaded: UploadedExport[] = [];
  let failed = false;
  for (const file of files) {
    if (signal?.aborted) {
      failed = true;
      break;
    }
    const key = exportKeyFor(exportPrefix, file, format);
    const reporter = progressReporter(run.progress, basename(file), err);
    try {
      const result = await uploadExport({
        s3: run.s3,
        bucket: run.bucket,
        key,
        file,
        onProgress: reporter.update,
        ...(signal ? { signal } : {}),
        ...(run.partSizeBytes ? { partSizeBytes: run.partSizeBytes } : {}),
      });
      reporter.stop();
      uploaded.push(result);
      if (!run.json) out(`${formatUpload(result)}\n`);
    } catch (error) {
      reporter.stop();
      failed = true;
      err(
        signal?.aborted
          ? `Aborted the upload of ${file}: no part of it is left in the bucket and no import started.\n`
          : `Error: could not upload ${file} to s3://${run.bucket}/${key}: ${describeAwsError(error)}\n`,
      );
      break;
    }
  }

  if (failed) {
    const notUploaded = files.slice(uploaded.length);
    err(`Not uploaded: ${notUploaded.join(', ')}\n`);
  }
  if (run.json) {
    // Also after a failure: a script learns which files made it, and their jobs.
    out(`${JSON.stringify({ uploads: uploaded })}\n`);
  } else if (uploaded.length > 0) {
    out(
      '\nEach upload starts one import job. Watch it with:\n' +
        uploaded
          .map((upload) => `  npm run migrate -- status ${upload.jobId} --env ${run.env}\n`)
          .join(''),
    );
  }
  return failed ? 1 : 0;
}

/** The files into the job's folder, then its manifest, which starts the one job. */
async function uploadAsOneJob(
  files: string[],
  plan: Extract<UploadPlan, { kind: 'job' }>,
  jobPrefix: string,
  run: UploadRun,
): Promise<number> {
  const { out, err, signal } = run;
  let current: { file: string; reporter: ProgressReporter } | undefined;
  const stopReporter = () => {
    current?.reporter.stop();
    current = undefined;
  };
  try {
    const job = await uploadJob({
      s3: run.s3,
      bucket: run.bucket,
      jobPrefix,
      jobName: plan.jobName,
      files,
      ...(plan.manifest ? { manifest: plan.manifest } : {}),
      options: plan.options,
      ...(plan.format ? { format: plan.format } : {}),
      ...(signal ? { signal } : {}),
      ...(run.partSizeBytes ? { partSizeBytes: run.partSizeBytes } : {}),
      onProgress: (file, progress) => {
        if (current?.file !== file) {
          stopReporter();
          current = { file, reporter: progressReporter(run.progress, basename(file), err) };
        }
        current.reporter.update(progress);
      },
      onFileUploaded: (upload) => {
        stopReporter();
        if (!run.json) out(`${formatUpload(upload)}\n`);
      },
    });
    if (run.json) {
      out(
        `${JSON.stringify({ uploads: job.uploads, job: { jobId: job.jobId, manifestKey: job.manifest.key } })}\n`,
      );
    } else {
      const manifest = plan.manifest
        ? `the job manifest ${plan.manifest.file}`
        : 'the job manifest';
      out(
        `${formatUpload(job.manifest, manifest)}\n` +
          `\nThe manifest starts one import job of ${files.length} file(s). Watch it with:\n` +
          `  npm run migrate -- status ${job.jobId} --env ${run.env}\n`,
      );
    }
    return 0;
  } catch (error) {
    stopReporter();
    if (!(error instanceof JobUploadError)) throw error;
    const folder = `s3://${run.bucket}/${posix.dirname(error.key)}/`;
    const notUploaded = files.slice(error.uploaded.length).join(', ');
    const failedManifest = error.uploaded.length === files.length;
    err(
      (signal?.aborted
        ? `Aborted the upload of ${error.file}: no part of it is left in the bucket.\n`
        : `Error: could not upload ${error.file} to s3://${run.bucket}/${error.key}: ` +
          `${describeAwsError(error.cause)}\n`) +
        (failedManifest
          ? 'The job manifest was not uploaded, so no import started.\n'
          : `Not uploaded: ${notUploaded}, and the job manifest, so no import started.\n`) +
        (error.uploaded.length > 0
          ? `The files uploaded to ${folder} start nothing by themselves; run the same command ` +
            `with --job-name ${plan.jobName} to upload the job again.\n`
          : ''),
    );
    if (run.json) out(`${JSON.stringify({ uploads: error.uploaded, job: null })}\n`);
    return 1;
  }
}

/** One upload; with the job it starts, unless it is a file of a job (which starts nothing). */
export function formatUpload(
  upload: JobFileUpload & { jobId?: string },
  label: string = upload.file,
): string {
  return (
    `Uploaded ${label} (${formatBytes(upload.sizeBytes)}) to s3://${upload.bucket}/${upload.key}` +
    `${upload.versionId ? ` (version ${upload.versionId})` : ''}` +
    `${upload.jobId === undefined ? '' : `\n  job ${upload.jobId}`}`
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
