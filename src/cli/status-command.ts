import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import cliProgress from 'cli-progress';
import { type RecordKind, recordStatuses } from '../model/outcome.ts';
import {
  isFinished,
  type JobStatus,
  type JobSummary,
  jobStatusReader,
  readQueueDepths,
  summarizeJob,
} from '../operations/job-status.ts';
import { formatCount, formatDuration } from '../operations/operator-console.ts';
import { operatorLedger } from '../operations/operator-ledger.ts';
import { pauseUnlessAborted } from '../operations/pause.ts';
import { readOperatorOutputs } from '../operations/stack-outputs.ts';
import { type CommandIo, runStackCommand } from './command-context.ts';
import { formatCountBlocks } from './summary.ts';

// Region, credentials and AWS_ENDPOINT_URL come from the SDK's default chain (AWS_PROFILE,
// AWS_REGION, SSO, instance roles), as with the AWS CLI. Clients resolve them on first use.
const defaultClients = {
  dynamodb: new DynamoDBClient({}),
  sqs: new SQSClient({}),
  cloudformation: new CloudFormationClient({}),
};

export interface StatusCommandOptions {
  env: string;
  json: boolean;
  /** Seconds between the two readings the rate is measured from (and between --watch refreshes). */
  interval: number;
  watch: boolean;
  /** Jobs listed without a job id. */
  limit: number;
}

/** `signal` ends a --watch (or the rate measurement). */
export interface StatusCommandDependencies extends CommandIo {
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  cloudformation: CloudFormationClient;
  /** Progress bars and a --watch redrawn in place. @default stdout is a TTY */
  tty?: boolean;
  now?: () => number;
}

/**
 * `migrate status`: the latest jobs, or one job's progress. Returns the exit code: 0 shown,
 * 1 the job is not in the ledger (or AWS failed), 2 usage or configuration errors.
 */
export async function runStatusCommand(
  jobId: string | undefined,
  options: StatusCommandOptions,
  dependencies: StatusCommandDependencies = defaultClients,
): Promise<number> {
  const { dynamodb, sqs } = dependencies;
  const tty = dependencies.tty ?? process.stdout.isTTY === true;
  return runStackCommand(
    dependencies,
    {
      env: options.env,
      readOutputs: readOperatorOutputs,
      json: options.json,
      interrupt: 'Stopping…',
      failureExitCode: 1,
    },
    async ({ out, err, signal }, outputs) => {
      const ledger = operatorLedger(dynamodb, outputs.ledgerTableName);
      if (jobId === undefined) {
        const [jobs, depths] = await Promise.all([
          ledger.listJobs(options.limit),
          readQueueDepths(sqs, outputs),
        ]);
        const summaries = jobs.map(summarizeJob);
        if (options.json) {
          out(`${JSON.stringify({ jobs: summaries, ...depths })}\n`);
        } else {
          out(`${formatJobList(summaries, depths, options.env)}\n`);
        }
        return 0;
      }

      const reader = jobStatusReader({
        ledger,
        sqs,
        userQueueUrl: outputs.userQueueUrl,
        deadLetterQueueUrl: outputs.deadLetterQueueUrl,
        jobId,
        ...(dependencies.now ? { now: dependencies.now } : {}),
      });
      let status = await reader.read();
      if (status === undefined) {
        err(
          `Error: no job ${jobId} in the ledger of ${outputs.stackName}. ` +
            `List the jobs with \`npm run migrate -- status --env ${options.env}\` ` +
            '(a job is forgotten ledgerRetentionDays after its last update).\n',
        );
        return 1;
      }
      const intervalMs = options.interval * 1000;

      if (!options.watch) {
        if (intervalMs > 0 && !isFinished(status.state)) {
          err(`Measuring the rate over ${options.interval} s (--interval 0 skips this)…\n`);
          if (await pauseUnlessAborted(intervalMs, signal))
            status = (await reader.read()) ?? status;
        }
        out(`${options.json ? JSON.stringify(status) : formatJobStatus(status, { tty })}\n`);
        return 0;
      }

      // --watch: a reading every interval until the job is finished or Ctrl-C.
      let drawnLines = 0;
      for (;;) {
        if (options.json) {
          out(`${JSON.stringify(status)}\n`);
        } else {
          const text = `${formatJobStatus(status, { tty })}\n`;
          // On a terminal, redraw in place; in a log, one block per reading.
          if (drawnLines === 0) out(text);
          else out(tty ? `\u001b[${drawnLines}A\u001b[0J${text}` : `\n${text}`);
          drawnLines = text.split('\n').length - 1;
        }
        if (isFinished(status.state)) return 0;
        if (!(await pauseUnlessAborted(Math.max(intervalMs, 1000), signal))) return 0;
        status = (await reader.read()) ?? status;
      }
    },
  );
}

const barWidth = 30;
const barOptions = {
  barsize: barWidth,
  barCompleteString: '█'.repeat(barWidth),
  barIncompleteString: '░'.repeat(barWidth),
  barGlue: '',
};

/** A static bar in cli-progress's style: the status is a snapshot, not a running task. */
function progressBar(done: number, total: number, label: string): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  return `  [${cliProgress.Format.BarFormat(fraction, barOptions)}] ${Math.floor(fraction * 100)}% ${label}`;
}

const apiKeyAdvice =
  'Put a valid key in the secret, then re-enable the consumer (docs/runbook.md, step 9).';
const haltAdvice: Record<string, string> = {
  workos_unauthorized: `WorkOS refused the API key. ${apiKeyAdvice}`,
  workos_forbidden: `The API key lacks user-management permission. ${apiKeyAdvice}`,
};

/** One job, as a block of labelled lines (progress bars on a terminal). */
export function formatJobStatus(status: JobStatus, { tty }: { tty: boolean }): string {
  const rows: [string, string][] = [
    ['state', status.state.replaceAll('_', ' ')],
    ['enqueued', formatCount(status.enqueued)],
    ['in flight', formatCount(status.inFlight)],
  ];
  const width = Math.max(...rows.slice(1).map(([, value]) => value.length));
  const lines = [
    `Job ${status.jobId} (${status.sourceFile}), started ${status.createdAt}`,
    ...rows.map(([label, value], index) =>
      // The state is a word; the counters line up on the right.
      index === 0
        ? `  ${label.padEnd(10)}${value}`
        : `  ${label.padEnd(10)}${value.padStart(width)}`,
    ),
    // The AWS path counts no WorkOS calls: the ledger's counts per kind are what it knows.
    ...formatCountBlocks(status.countsByKind, {
      // The users listed absent from the export are not records of it.
      read: status.read - totalOfKind(status, 'absent'),
      joinedIntoUser: totalOfKind(status, 'joined'),
    }),
  ];
  if (status.haltReason !== null && status.state === 'halted') {
    const advice = haltAdvice[status.haltReason];
    lines.push(`  halted    ${status.haltReason}${advice ? `: ${advice}` : ''}`);
  } else if (status.haltReason !== null) {
    lines.push(`  halted    ${status.haltReason} earlier; the job went on after the fix`);
  }
  const rates = [
    ...(status.ratePerSecond === null ? [] : [`${status.ratePerSecond} records/s now`]),
    ...(status.averageRatePerSecond === null
      ? []
      : [`${status.averageRatePerSecond} records/s since the start`]),
  ];
  lines.push(
    `  rate      ${rates.length > 0 ? rates.join('; ') : 'unknown'}`,
    `  ETA       ${status.etaSeconds === null ? 'unknown' : formatDuration(status.etaSeconds)}` +
      (status.state === 'splitting' ? ' (for the records read so far; still splitting)' : ''),
    `  queues    ${formatCount(status.userQueueDepth)} message(s) in the user queue, ` +
      `${formatCount(status.deadLetterQueueDepth)} in the dead-letter queue (whole environment)`,
  );
  if (tty) {
    const withOutcome =
      status.created + status.updated + status.unchanged + status.rejected + status.failed;
    lines.push(progressBar(withOutcome, status.read, 'of the records read have an outcome'));
    const imported = status.created + status.updated + status.unchanged;
    lines.push(progressBar(imported, status.read, 'of the records read are in WorkOS'));
  }
  return lines.join('\n');
}

const listColumns = [
  'JOB',
  'STATE',
  'READ',
  'IMPORTED',
  'REJECTED',
  'FAILED',
  'IN FLIGHT',
  'STARTED',
  'FILE',
] as const;
/** Columns aligned right: the numbers. */
const numericColumns = new Set([2, 3, 4, 5, 6]);

/** The latest jobs, newest first, as an aligned table. */
export function formatJobList(
  jobs: JobSummary[],
  depths: { userQueueDepth: number; deadLetterQueueDepth: number },
  environment: string,
): string {
  const queues =
    `${formatCount(depths.userQueueDepth)} message(s) in the user queue, ` +
    `${formatCount(depths.deadLetterQueueDepth)} in the dead-letter queue.`;
  if (jobs.length === 0) return `No jobs in the ledger yet. ${queues}`;
  const rows = jobs.map((job) => [
    job.jobId,
    job.state.replaceAll('_', ' '),
    formatCount(job.read),
    formatCount(job.created + job.updated + job.unchanged),
    formatCount(job.rejected),
    formatCount(job.failed),
    formatCount(job.inFlight),
    job.createdAt.replace(/\.\d{3}Z$/, 'Z'),
    job.sourceFile,
  ]);
  const table = [[...listColumns], ...rows];
  const widths = listColumns.map((_, column) =>
    Math.max(...table.map((row) => (row[column] ?? '').length)),
  );
  const lines = table.map((row) =>
    row
      .map((cell, column) =>
        column === row.length - 1
          ? cell
          : numericColumns.has(column)
            ? cell.padStart(widths[column] ?? 0)
            : cell.padEnd(widths[column] ?? 0),
      )
      .join('  '),
  );
  return [
    ...lines,
    '',
    queues,
    `One job in detail: npm run migrate -- status <job> --env ${environment}`,
  ].join('\n');
}

function totalOfKind(status: JobStatus, kind: RecordKind): number {
  return recordStatuses.reduce(
    (total, recordStatus) => total + status.countsByKind[kind][recordStatus],
    0,
  );
}
